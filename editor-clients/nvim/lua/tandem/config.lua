---@mod tandem.config Options and their defaults

local M = {}

---@alias tandem.Layout "right"|"left"|"below"|"float"

---@class tandem.PanelFloatOpts
---@field width number Columns, or a fraction of the editor width when < 1.
---@field height number Rows, or a fraction of the editor height when < 1.
---@field border string|string[] Any 'winborder' value.

---@class tandem.PanelOpts
---@field layout tandem.Layout
---@field width number Columns, or a fraction of the editor width when < 1 ("right"/"left").
---@field height number Rows, or a fraction of the editor height when < 1 ("below").
---@field prompt_height integer Rows of the prompt area under the transcript.
---@field float tandem.PanelFloatOpts
---@field auto_open boolean Open the panel when a turn starts that it did not start.

---@class tandem.KeymapOpts
---@field send string|false Normal mode, in the prompt: send it.
---@field send_insert string|false Insert mode, in the prompt: send it.
---@field cancel string|false In the panel: cancel the running turn.
---@field manifest string|false In the panel: show what was (or would be) sent.
---@field close string|false In the panel: close it.
---@field chat string|false Global, normal mode: open the panel.
---@field ask string|false Global, visual mode: ask about the selection.

---@class tandem.Options
---@field cmd string[] How to start the server.
---@field root_markers string[] Files or folders that mark a workspace root.
---@field filetypes string[]? Filetypes to attach to; nil attaches to every file buffer.
---@field settings table Tandem settings (docs/settings.md), without the `tandem` key.
---@field panel tandem.PanelOpts
---@field keymaps tandem.KeymapOpts

---@class tandem.UserOptions Any subset of |tandem.Options|.
---@field cmd? string[]
---@field root_markers? string[]
---@field filetypes? string[]
---@field settings? table
---@field panel? table
---@field keymaps? table

---@type tandem.Options
M.defaults = {
  -- How to start the server. `tandem` comes with `pip install tandem-ls`; point this at a
  -- virtualenv when it is not on PATH, e.g. { "/path/.venv/bin/tandem", "serve" } or
  -- { "/path/.venv/bin/python", "-m", "tandem", "serve" }.
  cmd = { "tandem", "serve" },
  -- A buffer's workspace is the nearest folder holding one of these. Without one, the
  -- current directory (or the file's own directory when the file is outside it).
  root_markers = { ".git", ".hg", ".jj", "pyproject.toml", "package.json", "Cargo.toml", "go.mod" },
  -- nil: attach to every file buffer, whatever its filetype.
  filetypes = nil,
  -- Tandem's settings (see docs/settings.md), e.g.
  --   settings = { model = { baseUrl = "http://localhost:11434/v1", name = "qwen2.5-coder" } }
  -- Sent as `initializationOptions` and as the answer to `workspace/configuration`.
  -- Never put an API key here: `model.apiKeyEnv` names the variable that holds it.
  settings = {},
  panel = {
    -- "right" / "left": a vertical split; "below": a horizontal split; "float": a window on top.
    layout = "right",
    width = 0.4,
    height = 0.35,
    prompt_height = 5,
    float = { width = 0.8, height = 0.8, border = "rounded" },
    -- Open the panel when a turn starts that it did not start (e.g. from another plugin).
    auto_open = true,
  },
  keymaps = {
    -- Inside the panel. false disables a key.
    send = "<CR>",
    send_insert = "<C-s>",
    cancel = "<C-c>",
    manifest = "gm",
    close = "q",
    -- Global, none by default, e.g. chat = "<leader>tc", ask = "<leader>ta".
    chat = false,
    ask = false,
  },
}

---@type tandem.Options
M.options = vim.deepcopy(M.defaults)

---Merge user options over the defaults (lists such as `cmd` are replaced, not merged).
---@param opts? tandem.UserOptions
---@return tandem.Options
function M.set(opts)
  vim.validate("opts", opts, "table", true)
  opts = opts or {}
  local merged = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts)
  for _, key in ipairs({ "cmd", "root_markers", "filetypes" }) do
    if opts[key] ~= nil then
      merged[key] = opts[key]
    end
  end
  vim.validate("cmd", merged.cmd, "table")
  vim.validate("settings", merged.settings, "table")
  vim.validate("panel.layout", merged.panel.layout, function(v)
    return vim.list_contains({ "right", "left", "below", "float" }, v)
  end, "one of right, left, below, float")
  M.options = merged
  return merged
end

return M
