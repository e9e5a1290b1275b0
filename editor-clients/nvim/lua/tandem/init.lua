---@mod tandem Tandem for Neovim: a chat panel and commands over the Tandem language server

local M = {}

local did_setup = false

---Push new settings to running servers (they pull `workspace/configuration` again).
---@param settings table
local function update_running(settings)
  for _, client in ipairs(vim.lsp.get_clients({ name = "tandem" })) do
    client.settings = vim.tbl_extend("force", client.settings or {}, { tandem = settings })
    client:notify("workspace/didChangeConfiguration", { settings = client.settings })
  end
end

---@param keymaps tandem.KeymapOpts
local function global_keymaps(keymaps)
  if keymaps.chat then
    vim.keymap.set("n", keymaps.chat, "<Cmd>TandemChat<CR>", { desc = "Tandem: open the chat" })
  end
  if keymaps.ask then
    vim.keymap.set("x", keymaps.ask, ":TandemAsk<CR>", { desc = "Tandem: ask about the selection", silent = true })
  end
end

---Configure Tandem and start its language server for file buffers. Calling it again
---applies new options (running servers get new settings at once).
---@param opts? tandem.UserOptions
function M.setup(opts)
  local options = require("tandem.config").set(opts)
  local client = require("tandem.client")
  local util = require("tandem.util")
  local lsp_config = client.lsp_config(options)
  vim.lsp.config(client.name, lsp_config)
  local exe = options.cmd[1]
  if vim.fn.executable(exe) == 1 then
    vim.lsp.enable(client.name)
  else
    local advice = "pip install tandem-ls, or set `cmd` in setup() (see :checkhealth tandem)"
    util.notify(("the Tandem server '%s' was not found: %s"):format(exe, advice), vim.log.levels.WARN)
  end
  update_running(lsp_config.settings.tandem)
  global_keymaps(options.keymaps)
  did_setup = true
end

---Run `setup()` with the defaults unless it ran already, or the user enabled the
---`tandem` config by hand (`vim.lsp.enable("tandem")`, see |tandem-lsp|). The user
---commands call this.
function M.ensure_setup()
  if not did_setup and not vim.lsp.is_enabled("tandem") then
    M.setup()
  end
  did_setup = true
end

---The chat panel's state, for a statusline: `idle`, `loading`, `thinking`,
---`streaming`, `cancelling`, `complete`, `cancelled`, `error` or `partial`.
---@return string
function M.status()
  return require("tandem.chat").status()
end

---Open the chat panel; with a prompt, send it about the current file.
---@param prompt? string
function M.chat(prompt)
  require("tandem.commands").chat({ args = prompt or "" })
end

---Cancel the running turn.
function M.cancel()
  require("tandem.commands").cancel()
end

---Open the chat panel (loading the session's transcript) or close it.
function M.toggle()
  local panel = require("tandem.panel")
  if panel.is_open() then
    panel.close()
  else
    M.chat()
  end
end

return M
