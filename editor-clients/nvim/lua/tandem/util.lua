---@mod tandem.util Small helpers shared by the other modules

local M = {}

---@param msg string
---@param level? integer vim.log.levels.*
function M.notify(msg, level)
  vim.notify(msg, level or vim.log.levels.INFO, { title = "Tandem" })
end

---`value`, with JSON null (`vim.NIL`) as nil.
---@generic T
---@param value T
---@return T?
function M.value(value)
  if value == vim.NIL then
    return nil
  end
  return value
end

---A string that says something, else nil (for JSON null and "").
---@param value any
---@return string?
function M.nonempty(value)
  if type(value) == "string" and value ~= "" then
    return value
  end
end

---Split text into buffer lines (a trailing newline gives a trailing empty line).
---@param text string
---@return string[]
function M.lines(text)
  return vim.split(text, "\n", { plain = true })
end

---A copy fit for JSON: empty tables are dropped (Lua cannot tell `{}` from `[]`, and an
---absent Tandem setting means its default). An empty top level becomes an object.
---@param value table
---@return table
function M.wire(value)
  local function prune(v)
    if type(v) ~= "table" or getmetatable(v) ~= nil then
      return v
    end
    local out = {}
    for k, item in pairs(v) do
      local pruned = prune(item)
      if not (type(pruned) == "table" and next(pruned) == nil and getmetatable(pruned) == nil) then
        out[k] = pruned
      end
    end
    return out
  end
  local out = prune(value)
  return next(out) == nil and vim.empty_dict() or out
end

---Parameters of `workspace/executeCommand` for one Tandem command: one object argument.
---@param command string
---@param args? table
---@return lsp.ExecuteCommandParams
function M.command_params(command, args)
  local arg = (args and next(args) ~= nil) and args or vim.empty_dict()
  return { command = command, arguments = { arg } }
end

---@param buf integer
---@return boolean
function M.is_file_buffer(buf)
  return vim.api.nvim_buf_is_valid(buf)
    and vim.bo[buf].buftype == ""
    and vim.api.nvim_buf_get_name(buf) ~= ""
end

---A size in cells: `value` as is, or as a fraction of `total` when below 1.
---@param value number
---@param total integer
---@return integer
function M.size(value, total)
  local cells = value < 1 and math.floor(total * value) or math.floor(value)
  return math.max(1, math.min(cells, total))
end

---The text of an LSP error for the user.
---@param err lsp.ResponseError|string
---@return string
function M.error_message(err)
  if type(err) == "table" then
    return err.message or vim.inspect(err)
  end
  return tostring(err)
end

---LSP character offset of byte column `col` (0-based) in `line`.
---@param line string
---@param col integer
---@param encoding "utf-8"|"utf-16"|"utf-32"
---@return integer
local function character(line, col, encoding)
  col = math.min(col, #line)
  return vim.str_utfindex(line, encoding, col, false)
end

---The LSP range of a selection in `buf`, in the client's offset encoding.
---Positions are (1-based row, 0-based byte column) like marks; `last` is the position
---of the selection's last character (inclusive), as '> is.
---@param buf integer
---@param first [integer, integer]
---@param last [integer, integer]
---@param encoding "utf-8"|"utf-16"|"utf-32"
---@return lsp.Range
function M.lsp_range(buf, first, last, encoding)
  local start_line = vim.api.nvim_buf_get_lines(buf, first[1] - 1, first[1], false)[1] or ""
  local end_line = vim.api.nvim_buf_get_lines(buf, last[1] - 1, last[1], false)[1] or ""
  local end_col = #end_line
  if last[2] < #end_line then -- past the last character (whole) of the selection
    end_col = last[2] + #vim.fn.strcharpart(end_line:sub(last[2] + 1), 0, 1)
  end
  return {
    start = { line = first[1] - 1, character = character(start_line, first[2], encoding) },
    ["end"] = { line = last[1] - 1, character = character(end_line, end_col, encoding) },
  }
end

---The selection a user command was given: the last visual selection when the command's
---range is that selection (charwise keeps columns), else whole lines `line1`..`line2`.
---@param buf integer
---@param line1 integer
---@param line2 integer
---@return [integer, integer] first, [integer, integer] last
function M.command_selection(buf, line1, line2)
  local from = vim.api.nvim_buf_get_mark(buf, "<")
  local to = vim.api.nvim_buf_get_mark(buf, ">")
  if vim.fn.visualmode() == "v" and from[1] == line1 and to[1] == line2 then
    return from, to
  end
  return { line1, 0 }, { line2, vim.v.maxcol }
end

return M
