---@mod tandem.client Finding, starting and talking to the Tandem language server

local util = require("tandem.util")

local M = {}

M.name = "tandem"

---Answer `workspace/configuration` from the client's `settings` table: section `tandem`
---is `settings.tandem`, the empty section is the whole table.
---@type lsp.Handler
local function configuration(_, params, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  local settings = client and client.settings or {}
  local answers = {}
  for _, item in ipairs(params.items or {}) do
    local path = vim.split(item.section or "", ".", { plain = true })
    local value = item.section == "" and settings or vim.tbl_get(settings, unpack(path))
    table.insert(answers, value == nil and vim.NIL or value)
  end
  return answers
end

---Handlers, client-side commands and the exit callback every Tandem client gets (also
---used by `lsp/tandem.lua`). Their bodies `require` lazily: nothing loads before the
---server talks.
---@return table<string, lsp.Handler> handlers
---@return table<string, fun(command: lsp.Command, ctx: table)> commands
---@return fun(code: integer, signal: integer, client_id: integer) on_exit
function M.hooks()
  local handlers = {
    ["tandem/chatDelta"] = function(_, params, ctx)
      require("tandem.chat").on_delta(params, ctx.client_id)
    end,
    ["tandem/chatStatus"] = function(_, params, ctx)
      require("tandem.chat").on_status(params, ctx.client_id)
    end,
    ["workspace/configuration"] = configuration,
  }
  local commands = {
    -- The code action's command runs through the panel, which keeps the request to cancel it.
    ["tandem.askAboutSelection"] = function(command, ctx)
      require("tandem.commands").ask_from_code_action(command, ctx)
    end,
  }
  local function on_exit(_, _, client_id)
    vim.schedule(function()
      require("tandem.chat").on_exit(client_id)
    end)
  end
  return handlers, commands, on_exit
end

---The root folder of `buf`: the nearest folder with a root marker, else the current
---directory, or the file's own folder when the file lies outside the current directory.
---@param buf integer
---@param markers string[]
---@return string
function M.root_for(buf, markers)
  local found = vim.fs.root(buf, markers)
  if found then
    return found
  end
  local cwd = vim.fn.getcwd()
  local name = vim.api.nvim_buf_get_name(buf)
  if name == "" or vim.fs.relpath(cwd, name) then
    return cwd
  end
  return vim.fs.dirname(name)
end

---A `root_dir` function for `vim.lsp.Config`: file buffers only (an unnamed buffer has
---no file for the server to see).
---@param markers string[]
---@return fun(buf: integer, on_dir: fun(root: string))
function M.root_dir(markers)
  return function(buf, on_dir)
    if vim.api.nvim_buf_get_name(buf) ~= "" then
      on_dir(M.root_for(buf, markers))
    end
  end
end

---The `vim.lsp.Config` that `setup()` lays over `lsp/tandem.lua`.
---@param opts tandem.Options
---@return vim.lsp.Config
function M.lsp_config(opts)
  local settings = util.wire(opts.settings)
  local handlers, commands, on_exit = M.hooks()
  return {
    cmd = opts.cmd,
    filetypes = opts.filetypes,
    root_markers = opts.root_markers,
    root_dir = M.root_dir(opts.root_markers),
    settings = { tandem = settings },
    init_options = { tandem = settings },
    handlers = handlers,
    commands = commands,
    on_exit = on_exit,
  }
end

---A running Tandem client: the one attached to `buf`, else the first one.
---@param buf? integer
---@return vim.lsp.Client?
function M.get(buf)
  if buf and vim.api.nvim_buf_is_valid(buf) then
    local attached = vim.lsp.get_clients({ name = M.name, bufnr = buf })[1]
    if attached then
      return attached
    end
  end
  return vim.lsp.get_clients({ name = M.name })[1]
end

---Start a client for `buf` (or the current directory when `buf` is not a file).
---@param buf integer
---@return integer? client_id
local function start(buf)
  local config = vim.deepcopy(vim.lsp.config[M.name] or {})
  if config.cmd == nil then
    util.notify("Tandem is not configured: call require('tandem').setup()", vim.log.levels.ERROR)
    return nil
  end
  local is_file = util.is_file_buffer(buf)
  config.name = M.name
  config.root_dir = is_file and M.root_for(buf, config.root_markers or {}) or vim.fn.getcwd()
  return vim.lsp.start(config, { bufnr = buf, attach = is_file })
end

---Call `fn` with an initialized Tandem client for `buf`. A file buffer that is not
---attached yet (no filetype, say) is attached to its workspace's client, which starts
---if need be; any other buffer uses whichever client runs (or one for the current
---directory).
---@param buf integer
---@param fn fun(client: vim.lsp.Client)
function M.with_client(buf, fn)
  local attached = vim.api.nvim_buf_is_valid(buf) and vim.lsp.get_clients({ name = M.name, bufnr = buf })[1]
  local client = attached or (not util.is_file_buffer(buf) and M.get())
  if not client then
    local id = start(buf)
    client = id and vim.lsp.get_client_by_id(id)
  end
  if not client then
    return
  end
  local deadline = vim.uv.now() + 15000
  local function ready()
    if client.initialized then
      fn(client)
    elseif client:is_stopped() or vim.uv.now() > deadline then
      util.notify("the Tandem server did not start (see :checkhealth tandem)", vim.log.levels.ERROR)
    else
      vim.defer_fn(ready, 20)
    end
  end
  ready()
end

---Run a Tandem command; `callback(err, result)` is called unless the request is cancelled.
---Pending edits of every buffer are flushed first, so the server sees unsaved text.
---@param client vim.lsp.Client
---@param command string
---@param args? table
---@param callback fun(err: lsp.ResponseError?, result: any)
---@return integer? request_id
function M.request(client, command, args, callback)
  local ok, id = client:request("workspace/executeCommand", util.command_params(command, args), function(err, result)
    callback(err, result)
  end)
  if not ok then
    callback({ code = -32803, message = "the Tandem server is not running" }, nil)
    return nil
  end
  return id
end

---Like `request`, but errors are shown to the user and only results reach `on_result`.
---@param client vim.lsp.Client
---@param command string
---@param args? table
---@param on_result fun(result: any)
function M.run(client, command, args, on_result)
  M.request(client, command, args, function(err, result)
    if err then
      util.notify(command .. ": " .. util.error_message(err), vim.log.levels.ERROR)
    else
      on_result(result)
    end
  end)
end

return M
