-- The Tandem language server, for `vim.lsp.enable("tandem")`.
-- `require("tandem").setup(opts)` lays your options over this file; without setup() these
-- defaults apply: `tandem serve` from PATH, every file buffer, the nearest git (or other
-- marked) folder as the workspace, else the current directory.

local client = require("tandem.client")
local handlers, commands, on_exit = client.hooks()
local markers = require("tandem.config").defaults.root_markers

---@type vim.lsp.Config
return {
  cmd = { "tandem", "serve" },
  root_markers = markers,
  root_dir = client.root_dir(markers),
  -- filetypes = nil: all of them.
  settings = { tandem = vim.empty_dict() },
  init_options = { tandem = vim.empty_dict() },
  handlers = handlers,
  commands = commands,
  on_exit = on_exit,
}
