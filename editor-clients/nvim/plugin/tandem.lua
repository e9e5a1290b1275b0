-- User commands for Tandem. Everything loads on first use; `require("tandem").setup()`
-- configures and starts the language server (the commands call it with the defaults
-- when it has not run).
if vim.g.loaded_tandem then
  return
end
vim.g.loaded_tandem = true

---@param name string
---@param fn string A function of `tandem.commands`.
---@param opts vim.api.keyset.user_command
local function command(name, fn, opts)
  vim.api.nvim_create_user_command(name, function(args)
    require("tandem").ensure_setup()
    require("tandem.commands")[fn](args)
  end, opts)
end

command("TandemChat", "chat", { nargs = "*", desc = "Tandem: open the chat; with a prompt, send it" })
command("TandemAsk", "ask", { nargs = "*", range = true, desc = "Tandem: ask about the selection" })
command("TandemReset", "reset", {
  nargs = "?",
  complete = function()
    return { "archive", "delete" }
  end,
  desc = "Tandem: archive or delete this workspace's chat history",
})
command("TandemSessions", "sessions", { nargs = 0, desc = "Tandem: list, switch or start sessions" })
command("TandemContext", "context", { nargs = "*", desc = "Tandem: preview what a prompt would send" })
command("TandemCancel", "cancel", { nargs = 0, desc = "Tandem: cancel the running turn" })
