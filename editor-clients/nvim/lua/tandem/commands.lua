---@mod tandem.commands What the user commands and panel keys do

local chat = require("tandem.chat")
local panel = require("tandem.panel")
local preview = require("tandem.preview")
local tandem_client = require("tandem.client")
local util = require("tandem.util")

local M = {}

---The file a command is about: the current buffer when it is a file, else the last one.
---@return integer?
local function source_buf()
  local current = vim.api.nvim_get_current_buf()
  if util.is_file_buffer(current) then
    return current
  end
  return panel.source()
end

---@param buf integer?
---@return string?
local function uri_of(buf)
  return buf and vim.uri_from_bufnr(buf) or nil
end

---Send `prompt` as a chat turn about `buf`.
---@param prompt string
---@param buf integer?
local function send_chat(prompt, buf)
  chat.send({ command = "tandem.chat", args = { prompt = prompt, uri = uri_of(buf) }, prompt = prompt, buf = buf })
end

---`:TandemChat [prompt]`: open the panel; with a prompt, send it about the current file.
---@param opts {args?: string}
function M.chat(opts)
  local prompt = vim.trim(opts.args or "")
  local buf = source_buf()
  if prompt == "" then
    panel.open({ focus = true, insert = true })
    tandem_client.with_client(buf or vim.api.nvim_get_current_buf(), function(client)
      chat.attach(client)
    end)
  else
    panel.open({ focus = false })
    send_chat(prompt, buf)
  end
end

---Panel key: send the prompt area's text.
function M.send_prompt()
  local prompt = panel.take_prompt()
  if prompt == "" then
    util.notify("the prompt is empty", vim.log.levels.WARN)
    return
  end
  send_chat(prompt, panel.source())
end

---Diagnostics on the selected lines, as the server takes them ("line N: source: message").
---@param buf integer
---@param range lsp.Range
---@return string[]?
local function diagnostics_in(buf, range)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.lnum >= range.start.line and d.lnum <= range["end"].line then
      local source = d.source and (d.source .. ": ") or ""
      table.insert(found, ("line %d: %s%s"):format(d.lnum + 1, source, d.message))
    end
  end
  return #found > 0 and found or nil
end

---How an ask shows in the transcript: the question and where the selection is.
---@param question string?
---@param buf integer
---@param range lsp.Range
---@return string
local function describe(question, buf, range)
  local name = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(buf), ":~:.")
  local first, last = range.start.line + 1, range["end"].line + 1
  local where = first == last and ("%s:%d"):format(name, first) or ("%s:%d-%d"):format(name, first, last)
  return ("%s\n\n_(selection: %s)_"):format(question or "Explain this code.", where)
end

---`:'<,'>TandemAsk [question]`: ask about the selection (or the given lines).
---@param opts {args?: string, line1: integer, line2: integer}
function M.ask(opts)
  local buf = vim.api.nvim_get_current_buf()
  if not util.is_file_buffer(buf) then
    util.notify(":TandemAsk works on a file buffer", vim.log.levels.ERROR)
    return
  end
  local first, last = util.command_selection(buf, opts.line1, opts.line2)
  local question = vim.trim(opts.args or "")
  tandem_client.with_client(buf, function(client)
    local range = util.lsp_range(buf, first, last, client.offset_encoding)
    local args = { uri = vim.uri_from_bufnr(buf), range = range, diagnostics = diagnostics_in(buf, range) }
    args.question = question ~= "" and question or nil
    panel.open({ focus = false })
    chat.send({
      command = "tandem.askAboutSelection",
      args = args,
      prompt = describe(args.question, buf, range),
      client_id = client.id,
    })
  end)
end

---The code action's `tandem.askAboutSelection` command, run through the panel.
---@param command lsp.Command
---@param ctx {bufnr: integer, client_id: integer}
function M.ask_from_code_action(command, ctx)
  local args = command.arguments and command.arguments[1] or {}
  local buf = args.uri and vim.uri_to_bufnr(args.uri) or ctx.bufnr
  panel.open({ focus = false })
  chat.send({
    command = command.command,
    args = args,
    prompt = describe(util.value(args.question), buf, args.range),
    client_id = ctx.client_id,
  })
end

---`:TandemCancel` and the panel's cancel key.
function M.cancel()
  if not chat.cancel() then
    util.notify("nothing is running", vim.log.levels.INFO)
  end
end

local RESET_CHOICES = {
  { mode = "archive", label = "Archive: keep old sessions readable, out of future context" },
  { mode = "delete", label = "Delete: remove this workspace's history for good" },
}

---@param mode "archive"|"delete"
local function reset_with(mode)
  tandem_client.with_client(source_buf() or vim.api.nvim_get_current_buf(), function(client)
    tandem_client.run(client, "tandem.resetWorkspace", { mode = mode }, function(result)
      local sessions = util.value(result.sessions)
      local count = type(sessions) == "table" and #sessions or sessions or 0
      chat.clear()
      local verb = mode == "delete" and "deleted" or "archived"
      util.notify(("%s %s session(s); the next chat starts afresh"):format(verb, count))
    end)
  end)
end

---`:TandemReset [archive|delete]`: without an argument, asks (archive first).
---@param opts {args?: string}
function M.reset(opts)
  local mode = vim.trim(opts.args or "")
  if mode == "archive" or mode == "delete" then
    return reset_with(mode)
  elseif mode ~= "" then
    return util.notify("TandemReset takes archive or delete, not " .. mode, vim.log.levels.ERROR)
  end
  vim.ui.select(RESET_CHOICES, {
    prompt = "Reset Tandem's history for this workspace",
    format_item = function(item)
      return item.label
    end,
  }, function(choice)
    if choice then
      reset_with(choice.mode)
    end
  end)
end

---@param session table
---@return string
local function session_label(session)
  local title = util.nonempty(session.title) or "(untitled)"
  local updated = tostring(util.value(session.updated) or ""):sub(1, 16):gsub("T", " ")
  return ("%s  %s%s"):format(title, updated, session.archived and "  [archived]" or "")
end

---@param client vim.lsp.Client
local function new_session(client)
  vim.ui.input({ prompt = "Title of the new session (optional): " }, function(title)
    if title == nil then
      return
    end
    title = vim.trim(title)
    tandem_client.run(client, "tandem.newSession", { title = title ~= "" and title or nil }, function()
      panel.open({ focus = false })
      chat.reload(client)
    end)
  end)
end

---`:TandemSessions`: list the workspace's sessions; switch to one or start a new one.
function M.sessions()
  tandem_client.with_client(source_buf() or vim.api.nvim_get_current_buf(), function(client)
    tandem_client.run(client, "tandem.listSessions", nil, function(result)
      local items = { { new = true } }
      vim.list_extend(items, util.value(result.sessions) or {})
      local active = util.value(result.activeSessionId)
      vim.ui.select(items, {
        prompt = "Tandem sessions",
        format_item = function(item)
          if item.new then
            return "+ New session"
          end
          return (item.id == active and "* " or "  ") .. session_label(item)
        end,
      }, function(choice)
        if not choice then
          return
        elseif choice.new then
          return new_session(client)
        end
        tandem_client.run(client, "tandem.switchSession", { sessionId = choice.id }, function()
          panel.open({ focus = false })
          chat.reload(client)
        end)
      end)
    end)
  end)
end

---@param prompt string
local function preview_context(prompt)
  local buf = source_buf()
  tandem_client.with_client(buf or vim.api.nvim_get_current_buf(), function(client)
    local args = { prompt = prompt, uri = uri_of(buf) }
    tandem_client.run(client, "tandem.previewContext", args, function(result)
      preview.show(preview.context_lines(result), "Tandem context")
    end)
  end)
end

---`:TandemContext [prompt]`: what would be sent for a prompt (the argument, else the
---panel's prompt, else asked for).
---@param opts {args?: string}
function M.context(opts)
  local prompt = vim.trim(opts.args or "")
  prompt = prompt ~= "" and prompt or panel.peek_prompt()
  if prompt ~= "" then
    return preview_context(prompt)
  end
  vim.ui.input({ prompt = "Preview the context for: " }, function(input)
    if input and vim.trim(input) ~= "" then
      preview_context(vim.trim(input))
    end
  end)
end

---Panel key `gm`: the manifest of the turn under the cursor (or the last one); in the
---prompt with text in it, the context that prompt would send.
function M.show_manifest()
  local handles = panel.handles()
  local in_prompt = vim.api.nvim_get_current_buf() == handles.prompt
  if in_prompt and panel.peek_prompt() ~= "" then
    return preview_context(panel.peek_prompt())
  end
  local row = not in_prompt and vim.api.nvim_win_get_cursor(0)[1] or nil
  local turn = chat.turn_at(row)
  if not (turn and turn.manifest) then
    util.notify("no manifest for this turn: type a prompt and press gm to preview one", vim.log.levels.INFO)
    return
  end
  local lines = { "# What was sent", "" }
  vim.list_extend(lines, preview.manifest_lines(turn.manifest, turn.usage))
  preview.show(lines, "Tandem manifest")
end

return M
