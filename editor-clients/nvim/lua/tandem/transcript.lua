---@mod tandem.transcript Turns, and how they are written into the transcript buffer

local util = require("tandem.util")

local M = {}

M.ns = vim.api.nvim_create_namespace("tandem.transcript")

---@alias tandem.TurnStatus "thinking"|"streaming"|"complete"|"cancelled"|"error"|"partial"

---One question and its answer.
---@class tandem.Turn
---@field key integer Local identity (a turn has no turnId until the server names it).
---@field turn_id string?
---@field session_id string?
---@field client_id integer?
---@field prompt string
---@field answer string
---@field status tandem.TurnStatus
---@field error string?
---@field manifest table? What was sent, from the chat result.
---@field usage table?
---@field request_id integer? The pending `workspace/executeCommand` request.
---@field mark integer? Extmark at the end of the answer in the transcript buffer.

local next_key = 0

---@param fields table
---@return tandem.Turn
function M.new_turn(fields)
  next_key = next_key + 1
  return vim.tbl_extend("keep", fields, { key = next_key, prompt = "", answer = "", status = "thinking" })
end

---Turns from `tandem.getTranscript` messages: a user message opens a turn, the
---assistant message that follows (same turn) answers it. Other roles are not shown.
---@param messages table[]
---@return tandem.Turn[]
function M.from_messages(messages)
  local turns = {}
  for _, msg in ipairs(messages) do
    local last = turns[#turns]
    local turn_id = util.value(msg.turnId)
    if msg.role == "user" then
      local prompt = util.value(msg.content) or ""
      table.insert(turns, M.new_turn({ turn_id = turn_id, prompt = prompt, status = "complete" }))
    elseif msg.role == "assistant" then
      local same = last and last.answer == "" and (last.turn_id == nil or turn_id == nil or last.turn_id == turn_id)
      if not same then
        last = M.new_turn({ turn_id = turn_id })
        table.insert(turns, last)
      end
      last.answer = util.value(msg.content) or ""
      last.status = util.value(msg.status) or "complete"
      last.error = util.value(msg.error)
      last.usage = util.value(msg.usage)
    end
  end
  return turns
end

---@type table<tandem.TurnStatus, string>
local labels = {
  cancelled = "_(cancelled)_",
  partial = "_(incomplete: the server stopped mid-answer)_",
}

---@param turn tandem.Turn
---@return string?
local function footer(turn)
  if turn.status == "error" then
    return "_(error: " .. (turn.error or "unknown") .. ")_"
  end
  return labels[turn.status]
end

---The lines of one turn, and where its answer ends (0-based row within them, byte col).
---@param turn tandem.Turn
---@return string[] lines, integer row, integer col
function M.turn_lines(turn)
  local lines = { "## You", "" }
  vim.list_extend(lines, util.lines(turn.prompt))
  vim.list_extend(lines, { "", "## Tandem", "" })
  local answer = util.lines(turn.answer)
  vim.list_extend(lines, answer)
  local row, col = #lines - 1, #answer[#answer]
  local note = footer(turn)
  if note then
    vim.list_extend(lines, { "", note })
  end
  table.insert(lines, "")
  return lines, row, col
end

---@param buf integer
---@param fn fun()
local function edit(buf, fn)
  vim.bo[buf].modifiable = true
  fn()
  vim.bo[buf].modifiable = false
  vim.bo[buf].modified = false
end

---Write all turns into `buf` (or `hint` when there are none), marking each answer's end.
---@param buf integer
---@param turns tandem.Turn[]
---@param hint string[]
function M.render(buf, turns, hint)
  local lines, ends = {}, {}
  for _, turn in ipairs(turns) do
    local own, row, col = M.turn_lines(turn)
    ends[#ends + 1] = { turn, #lines + row, col }
    vim.list_extend(lines, own)
  end
  edit(buf, function()
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, #turns > 0 and lines or hint)
  end)
  vim.api.nvim_buf_clear_namespace(buf, M.ns, 0, -1)
  for _, e in ipairs(ends) do
    e[1].mark = vim.api.nvim_buf_set_extmark(buf, M.ns, e[2], e[3], { right_gravity = true })
  end
end

---Insert `delta` at the end of the turn's answer; false when the turn is not in `buf`.
---@param buf integer
---@param turn tandem.Turn
---@param delta string
---@return boolean
function M.append(buf, turn, delta)
  local pos = turn.mark and vim.api.nvim_buf_get_extmark_by_id(buf, M.ns, turn.mark, {}) or {}
  if pos[1] == nil then
    return false
  end
  edit(buf, function()
    vim.api.nvim_buf_set_text(buf, pos[1], pos[2], pos[1], pos[2], util.lines(delta))
  end)
  return true
end

return M
