---@mod tandem.health `:checkhealth tandem`

local util = require("tandem.util")

local M = {}

local health = vim.health

local INSTALL_ADVICE = {
  "Install the server: pip install tandem-ls (gives the `tandem` command)",
  "Or point setup() at it: require('tandem').setup({ cmd = { '/path/to/.venv/bin/tandem', 'serve' } })",
}

---The command the server is started with: the resolved LSP config's, else the options'.
---@return string[]|function
local function server_cmd()
  local ok, resolved = pcall(function()
    return vim.lsp.config.tandem
  end)
  if ok and resolved and resolved.cmd then
    return resolved.cmd
  end
  return require("tandem.config").options.cmd
end

local function check_neovim()
  health.start("tandem: Neovim")
  local v = vim.version()
  local version = ("%d.%d.%d"):format(v.major, v.minor, v.patch)
  if vim.fn.has("nvim-0.11") == 1 then
    health.ok("Neovim " .. version)
  else
    health.error("Neovim " .. version .. " is too old", { "Tandem needs Neovim 0.11 or newer (vim.lsp.config)" })
  end
end

---`tandem --version` (the server command up to `serve`, then `--version`).
---@param cmd string[]
local function check_version(cmd)
  local version_cmd = {}
  for _, part in ipairs(cmd) do
    if part == "serve" then
      break
    end
    table.insert(version_cmd, part)
  end
  table.insert(version_cmd, "--version")
  local ok, result = pcall(function()
    return vim.system(version_cmd, { text = true }):wait(15000)
  end)
  if ok and result.code == 0 then
    health.ok(("`%s`: %s"):format(table.concat(version_cmd, " "), vim.trim(result.stdout)))
  else
    local why = tostring(result)
    if ok then
      why = vim.trim(result.stderr ~= "" and result.stderr or ("exit code " .. result.code))
    end
    health.error(("`%s` failed: %s"):format(table.concat(version_cmd, " "), why), INSTALL_ADVICE)
  end
end

---@return boolean found
local function check_executable()
  health.start("tandem: server")
  local cmd = server_cmd()
  if type(cmd) ~= "table" or type(cmd[1]) ~= "string" then
    health.info("cmd is a function (an RPC connection): cannot check the executable")
    return true
  end
  local path = vim.fn.exepath(cmd[1])
  if path == "" then
    health.error(("server executable not found: `%s` (cmd = %s)"):format(cmd[1], vim.inspect(cmd)), INSTALL_ADVICE)
    return false
  end
  health.ok(("server command: `%s` (%s)"):format(table.concat(cmd, " "), path))
  check_version(cmd)
  return true
end

---@param client vim.lsp.Client
---@param command string
---@return table? result, string? error
local function ask(client, command)
  local response, err = client:request_sync("workspace/executeCommand", util.command_params(command), 10000)
  if not response then
    return nil, err or "no answer"
  elseif response.err then
    return nil, util.error_message(response.err)
  end
  return response.result
end

---@param client vim.lsp.Client
local function check_client(client)
  local root = client.root_dir or "(no root)"
  local status, err = ask(client, "tandem.status")
  if not status then
    health.error(("server for %s: tandem.status failed: %s"):format(root, err))
    return
  end
  health.ok(("server %s for %s is running"):format(status.version or "?", root))
  health.info("data dir: " .. tostring(util.value(status.dataDir)))
  health.info("history: " .. tostring(util.value(status.historyBackend)))
  local index = util.value(status.index)
  if type(index) == "table" then
    health.info(("index: %s, %s files, %s chunks"):format(index.state, index.files, index.chunks))
  end
  local endpoint = tostring(util.value(status.endpoint))
  local models, models_err = ask(client, "tandem.listModels")
  if models then
    health.ok(("model %s at %s: the endpoint answers (%d models listed)"):format(
      tostring(util.value(status.model)), endpoint, #(util.value(models.models) or {})))
  else
    health.error(("model endpoint %s is not reachable: %s"):format(endpoint, models_err), {
      "Check settings.model.baseUrl (or $OPENAI_BASE_URL) and the API key variable",
    })
  end
end

local function check_running()
  health.start("tandem: running server")
  local clients = vim.lsp.get_clients({ name = "tandem" })
  if #clients == 0 then
    health.info("no Tandem server is running: open a file (or run :TandemChat), then :checkhealth tandem again")
    return
  end
  for _, client in ipairs(clients) do
    check_client(client)
  end
end

local function check_settings()
  health.start("tandem: settings")
  local options = require("tandem.config").options
  local key_env = vim.tbl_get(options.settings, "model", "apiKeyEnv") or "OPENAI_API_KEY"
  if vim.env[key_env] and vim.env[key_env] ~= "" then
    health.ok(("API key variable $%s is set"):format(key_env))
  else
    health.warn(("$%s is not set"):format(key_env), { "Fine for local endpoints that need no key (Ollama, llama.cpp)" })
  end
  local data_dir = vim.env.TANDEM_DATA_DIR
  if data_dir then
    health.info("data dir: $TANDEM_DATA_DIR = " .. data_dir)
  else
    health.info("data dir: the platform's user data dir (~/.local/share/tandem on Linux)")
  end
end

function M.check()
  check_neovim()
  if check_executable() then
    check_running()
  end
  check_settings()
end

return M
