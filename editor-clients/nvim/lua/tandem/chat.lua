---@mod tandem.chat The chat's state: the shown session, its turns, and what streams in
---
---Turns change three ways: the user sends one (`send`), the server reports one
---(`on_status` / `on_delta`, also for turns this client did not start, such as a
---code action run elsewhere), or a request answers (`finish`). Every change ends in
---`refresh` (whole transcript) or an append at the streaming turn's end mark.

local config = require("tandem.config")
local panel = require("tandem.panel")
local tandem_client = require("tandem.client")
local transcript = require("tandem.transcript")
local util = require("tandem.util")

local M = {}

---@class tandem.ChatState
---@field client_id integer? The client whose session is shown.
---@field session_id string?
---@field title string?
---@field turns tandem.Turn[]
---@field loaded boolean The session's transcript has been read.
---@field generation integer Bumped on every load, so a stale answer is dropped.
---@field title_asked string? The session whose title was asked for after its first turn.
local state = { turns = {}, loaded = false, generation = 0 }

---@type table<string, string>
local LABELS = {
  idle = "ready",
  loading = "loading…",
  thinking = "thinking…",
  streaming = "streaming…",
  complete = "ready",
  cancelling = "cancelling…",
  cancelled = "cancelled",
  error = "error",
  partial = "incomplete",
}

---@param turn tandem.Turn
---@return boolean
local function live(turn)
  return turn.status == "thinking" or turn.status == "streaming"
end

---The panel's state: `idle`, `loading`, or the last turn's status (`thinking`,
---`streaming`, `cancelling`, `complete`, `cancelled`, `error`, `partial`).
---@return string
function M.status()
  local last = state.turns[#state.turns]
  if last then
    return (last.cancelling and live(last)) and "cancelling" or last.status
  end
  return state.loaded and "idle" or (state.client_id and "loading" or "idle")
end

---@return tandem.Turn[]
function M.turns()
  return state.turns
end

---@return {client_id: integer?, session_id: string?, title: string?, loaded: boolean}
function M.session()
  return { client_id = state.client_id, session_id = state.session_id, title = state.title, loaded = state.loaded }
end

---@return string[]
local function hint()
  local keys = config.options.keymaps
  local parts = {}
  local described = {
    { keys.send, "sends" },
    { keys.cancel, "cancels" },
    { keys.manifest, "shows what was sent" },
    { keys.close, "closes" },
  }
  for _, k in ipairs(described) do
    if k[1] then
      table.insert(parts, ("`%s` %s"):format(k[1], k[2]))
    end
  end
  return { "_Ask about your workspace in the prompt below._", "", "_" .. table.concat(parts, " · ") .. "_" }
end

local function winbar()
  local title = state.title or (state.session_id and "chat" or "new chat")
  title = title:gsub("%%", "%%%%")
  return ("%%#Title# Tandem %%* %s │ %s"):format(title, LABELS[M.status()] or M.status())
end

---Rewrite the whole transcript and the panel's status line.
function M.refresh()
  transcript.render(panel.transcript_buf(), state.turns, hint())
  panel.set_winbar(winbar())
end

---@param turn_id string?
---@return tandem.Turn?
local function find(turn_id)
  if turn_id == nil then
    return nil
  end
  for i = #state.turns, 1, -1 do
    if state.turns[i].turn_id == turn_id then
      return state.turns[i]
    end
  end
end

---Replace the shown turns with the session's history, keeping turns still running.
---@param result table `tandem.getTranscript` result
local function load(result)
  local running = vim.tbl_filter(live, state.turns)
  local running_ids = {}
  for _, turn in ipairs(running) do
    running_ids[turn.turn_id or ""] = true
  end
  local history = vim.tbl_filter(function(turn)
    return not running_ids[turn.turn_id or false]
  end, transcript.from_messages(result.messages or {}))
  state.turns = vim.list_extend(history, running)
  state.session_id = util.value(result.sessionId)
  state.title = util.nonempty(result.title)
  state.loaded = true
end

---Show `client`'s active session; `done` runs once its transcript is in.
---@param client vim.lsp.Client
---@param done? fun()
function M.attach(client, done)
  if state.client_id == client.id and state.loaded then
    return done and done()
  end
  if state.client_id ~= client.id then
    state.turns = vim.tbl_filter(function(turn)
      return live(turn) and turn.client_id == client.id
    end, state.turns)
  end
  state.client_id, state.loaded = client.id, false
  state.generation = state.generation + 1
  local generation = state.generation
  M.refresh()
  tandem_client.request(client, "tandem.getTranscript", nil, function(err, result)
    if generation ~= state.generation then
      return
    end
    if err then
      util.notify("could not read the chat history: " .. util.error_message(err), vim.log.levels.WARN)
      state.loaded = true
    else
      load(result)
    end
    M.refresh()
    panel.scroll_to_end()
    return done and done()
  end)
end

---Read the active session again (after a switch or a new session).
---@param client vim.lsp.Client
---@param done? fun()
function M.reload(client, done)
  state.loaded = false
  state.client_id = nil
  M.attach(client, done)
end

---Forget the shown session (after a reset): the next turn starts a new one.
function M.clear()
  state.turns = vim.tbl_filter(live, state.turns)
  state.session_id, state.title = nil, nil
  M.refresh()
end

---A new session gets its title from its first turn: ask for it once.
---@param turn tandem.Turn
---@param client vim.lsp.Client
local function fetch_title(turn, client)
  if state.title or not turn.session_id or state.title_asked == turn.session_id then
    return
  end
  state.title_asked = turn.session_id
  tandem_client.request(client, "tandem.getTranscript", { sessionId = turn.session_id }, function(err, result)
    if not err and result and result.sessionId == state.session_id then
      state.title = util.nonempty(result.title)
      panel.set_winbar(winbar())
    end
  end)
end

---A chat request answered: take its final text, status and manifest.
---@param turn tandem.Turn
---@param err lsp.ResponseError?
---@param result table?
local function finish(turn, err, result)
  turn.request_id = nil
  if err or type(result) ~= "table" then
    turn.status, turn.error = "error", err and util.error_message(err) or "no answer"
  else
    turn.turn_id = turn.turn_id or util.value(result.turnId)
    turn.session_id = util.value(result.sessionId) or turn.session_id
    turn.status = util.value(result.status) or "complete"
    turn.error = util.value(result.error)
    turn.manifest, turn.usage = util.value(result.manifest), util.value(result.usage)
    local text = util.value(result.text)
    if type(text) == "string" and text ~= turn.answer then
      turn.answer = text
    end
    if turn.session_id and turn.session_id ~= state.session_id then
      state.session_id, state.title = turn.session_id, nil
    end
  end
  M.refresh()
  local client = vim.lsp.get_client_by_id(turn.client_id)
  if client then
    fetch_title(turn, client)
  end
end

---Send one chat request and show it as a new turn.
---@class tandem.SendOpts
---@field command string `tandem.chat` or `tandem.askAboutSelection`.
---@field args table The command's one argument.
---@field prompt string What the transcript shows as the question.
---@field buf? integer The buffer whose client to use (default: the current one).
---@field client_id? integer Use this client.
---@param opts tandem.SendOpts
function M.send(opts)
  local function go(client)
    M.attach(client, function()
      local turn = transcript.new_turn({ prompt = opts.prompt, client_id = client.id, session_id = state.session_id })
      table.insert(state.turns, turn)
      M.refresh()
      panel.scroll_to_end()
      turn.request_id = tandem_client.request(client, opts.command, opts.args, function(err, result)
        finish(turn, err, result)
      end)
    end)
  end
  local client = opts.client_id and vim.lsp.get_client_by_id(opts.client_id)
  if client then
    go(client)
  else
    tandem_client.with_client(opts.buf or vim.api.nvim_get_current_buf(), go)
  end
end

---The turn a notification is about: a turn this client sent that has no id yet, or a
---new turn started elsewhere (a code action run by another plugin, say).
---@param params table
---@param client_id integer
---@return tandem.Turn
local function adopt(params, client_id)
  for _, turn in ipairs(state.turns) do
    if turn.client_id == client_id and turn.turn_id == nil and turn.request_id then
      turn.turn_id = params.turnId
      return turn
    end
  end
  local prompt = util.value(params.prompt) or ""
  local turn = transcript.new_turn({ turn_id = params.turnId, client_id = client_id, prompt = prompt })
  table.insert(state.turns, turn)
  local client = vim.lsp.get_client_by_id(client_id)
  if client and state.client_id ~= client_id then
    M.attach(client)
  end
  if config.options.panel.auto_open and not panel.is_open() then
    panel.open({ focus = false })
  end
  return turn
end

---@param params {turnId: string, sessionId: string, status: string, prompt?: string, message?: string}
---@param client_id integer
function M.on_status(params, client_id)
  local turn = find(params.turnId) or adopt(params, client_id)
  turn.session_id = util.value(params.sessionId) or turn.session_id
  if turn.session_id and state.session_id ~= turn.session_id then
    state.session_id, state.title = turn.session_id, nil
  end
  local status = params.status
  if status == "started" then
    turn.status = turn.answer == "" and "thinking" or "streaming"
    if turn.prompt == "" then
      turn.prompt = util.value(params.prompt) or ""
    end
  elseif status == "streaming" or status == "complete" or status == "cancelled" or status == "error" then
    turn.status = status
    turn.error = status == "error" and (util.value(params.message) or turn.error) or turn.error
  end
  M.refresh()
end

---@param params {turnId: string, sessionId: string, delta: string}
---@param client_id integer
function M.on_delta(params, client_id)
  local turn = find(params.turnId) or adopt(params, client_id)
  turn.answer = turn.answer .. params.delta
  if turn.status == "thinking" then
    turn.status = "streaming"
    panel.set_winbar(winbar())
  end
  panel.follow(function()
    if not transcript.append(panel.transcript_buf(), turn, params.delta) then
      M.refresh()
    end
  end)
end

---A server stopped: its running turns will never finish.
---@param client_id integer
function M.on_exit(client_id)
  for _, turn in ipairs(state.turns) do
    if turn.client_id == client_id and live(turn) then
      turn.status, turn.error, turn.request_id = "error", "the Tandem server stopped", nil
    end
  end
  if state.client_id == client_id then
    state.client_id, state.loaded = nil, false
  end
  M.refresh()
end

---The running turn, if any (the last one still thinking or streaming).
---@return tandem.Turn?
function M.running()
  for i = #state.turns, 1, -1 do
    if live(state.turns[i]) then
      return state.turns[i]
    end
  end
end

---How long a cancelled turn may wait for the server to confirm before it is shown as
---cancelled anyway (the server may never have started it).
M.cancel_grace_ms = 3000

---Cancel the running turn: `$/cancelRequest` for a request this client sent, else
---`tandem.cancel` with the turn's id. The server confirms with `tandem/chatStatus`.
---@return boolean cancelled whether there was a turn to cancel
function M.cancel()
  local turn = M.running()
  local client = turn and vim.lsp.get_client_by_id(turn.client_id)
  if not (turn and client) then
    return false
  end
  if turn.request_id then
    client:cancel_request(turn.request_id)
    turn.request_id = nil
  elseif turn.turn_id then
    tandem_client.request(client, "tandem.cancel", { turnId = turn.turn_id }, function() end)
  end
  turn.cancelling = true
  panel.set_winbar(winbar())
  vim.defer_fn(function()
    if live(turn) then
      turn.status, turn.unconfirmed = "cancelled", true
      M.refresh()
    end
  end, M.cancel_grace_ms)
  return true
end

---The turn shown at transcript `row` (1-based), else the last turn.
---@param row? integer
---@return tandem.Turn?
function M.turn_at(row)
  local buf = panel.transcript_buf()
  for _, turn in ipairs(state.turns) do
    local pos = turn.mark and vim.api.nvim_buf_get_extmark_by_id(buf, transcript.ns, turn.mark, {}) or {}
    if row and pos[1] and pos[1] + 1 >= row then
      return turn
    end
  end
  return state.turns[#state.turns]
end

return M
