---@mod tandem.preview What was (or would be) sent to the model, shown in a float

local util = require("tandem.util")

local M = {}

---@param value any
---@return string
local function inline(value)
  value = util.value(value)
  if type(value) ~= "table" then
    return tostring(value)
  elseif next(value) == nil then
    return "none"
  elseif vim.islist(value) then
    return table.concat(vim.tbl_map(inline, value), ", ")
  end
  local keys = vim.tbl_keys(value)
  table.sort(keys)
  return table.concat(vim.tbl_map(function(k)
    return ("%s=%s"):format(k, inline(value[k]))
  end, keys), ", ")
end

---Columns first when present, in this order; the rest follow alphabetically.
local LEADING = { "name", "key", "path", "section", "kind", "tokens", "items", "dropped", "why", "reason" }

---@param rows table[]
---@return string[]
local function columns_of(rows)
  local seen = {}
  for _, row in ipairs(rows) do
    for k in pairs(row) do
      seen[k] = true
    end
  end
  local columns = vim.tbl_filter(function(k)
    return seen[k]
  end, LEADING)
  local rest = vim.tbl_filter(function(k)
    return not vim.list_contains(LEADING, k)
  end, vim.tbl_keys(seen))
  table.sort(rest)
  return vim.list_extend(columns, rest)
end

---An aligned markdown table of `rows` (tables with any keys).
---@param rows table[]
---@return string[]
local function table_lines(rows)
  local columns = columns_of(rows)
  local cells = { columns }
  for _, row in ipairs(rows) do
    table.insert(cells, vim.tbl_map(function(c)
      return row[c] == nil and "" or inline(row[c]):gsub("|", "\\|")
    end, columns))
  end
  local widths = vim.tbl_map(function()
    return 3
  end, columns)
  for _, line in ipairs(cells) do
    for i, cell in ipairs(line) do
      widths[i] = math.max(widths[i], vim.fn.strdisplaywidth(cell))
    end
  end
  local function render(line)
    local padded = {}
    for i, cell in ipairs(line) do
      padded[i] = cell .. string.rep(" ", widths[i] - vim.fn.strdisplaywidth(cell))
    end
    return "| " .. table.concat(padded, " | ") .. " |"
  end
  local lines = { render(cells[1]), render(vim.tbl_map(function(w)
    return string.rep("-", w)
  end, widths)) }
  for i = 2, #cells do
    table.insert(lines, render(cells[i]))
  end
  return lines
end

---Rows of a table-like value: a list of objects, or an object of objects (keyed by name).
---@param value any
---@return table[]?
local function rows_of(value)
  if type(value) ~= "table" or next(value) == nil then
    return nil
  end
  if vim.islist(value) then
    return type(value[1]) == "table" and not vim.islist(value[1]) and value or nil
  end
  local rows = {}
  for name, row in pairs(value) do
    if type(row) ~= "table" or vim.islist(row) then
      return nil
    end
    table.insert(rows, vim.tbl_extend("keep", { name = name }, row))
  end
  table.sort(rows, function(a, b)
    return tostring(a.name) < tostring(b.name)
  end)
  return rows
end

---Markdown lines for a manifest: its numbers first, then what it lists (sections,
---included and dropped items with why) as tables.
---@param manifest table
---@param usage? table
---@return string[]
function M.manifest_lines(manifest, usage)
  local lines = {}
  if manifest.totalTokens and manifest.budget then
    table.insert(lines, ("- **tokens**: %s of a %s budget"):format(manifest.totalTokens, manifest.budget))
  end
  local keys = vim.tbl_keys(manifest)
  table.sort(keys)
  local tables = {}
  for _, key in ipairs(keys) do
    local value = util.value(manifest[key])
    local rows = rows_of(value)
    if rows then
      table.insert(tables, { key, rows })
    elseif key ~= "totalTokens" and key ~= "budget" then
      table.insert(lines, ("- **%s**: %s"):format(key, inline(value)))
    end
  end
  if usage then
    table.insert(lines, "- **usage**: " .. inline(usage))
  end
  for _, t in ipairs(tables) do
    vim.list_extend(lines, { "", "## " .. t[1], "" })
    vim.list_extend(lines, table_lines(t[2]))
  end
  return lines
end

---@param content any A message's content: text, or a list of parts.
---@return string
local function content_text(content)
  content = util.value(content)
  if type(content) == "table" then
    return table.concat(vim.tbl_map(function(part)
      return type(part) == "table" and (part.text or inline(part)) or tostring(part)
    end, content), "\n")
  end
  return content and tostring(content) or ""
end

---Markdown lines for a `tandem.previewContext` result: the manifest, then each message.
---@param result table
---@return string[]
function M.context_lines(result)
  local manifest = util.value(result.manifest) or {}
  manifest.totalTokens = manifest.totalTokens or util.value(result.totalTokens)
  manifest.budget = manifest.budget or util.value(result.budget)
  local lines = { "# What Tandem would send", "" }
  vim.list_extend(lines, M.manifest_lines(manifest))
  for i, message in ipairs(util.value(result.messages) or {}) do
    local text = content_text(message.content)
    vim.list_extend(lines, { "", "---", "", ("# %d. %s (%d characters)"):format(i, message.role or "?", #text), "" })
    vim.list_extend(lines, util.lines(text))
  end
  return lines
end

---Show markdown lines in a centred float; `q` or `<Esc>` closes it.
---@param lines string[]
---@param title string
---@return integer buf, integer win
function M.show(lines, title)
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].filetype = "markdown"
  vim.bo[buf].modifiable = false
  local columns, rows = vim.o.columns, vim.o.lines - vim.o.cmdheight - 2
  local widest = 20
  for _, line in ipairs(lines) do
    widest = math.max(widest, vim.fn.strdisplaywidth(line))
  end
  local width = math.min(widest + 2, math.floor(columns * 0.8))
  local height = math.max(1, math.min(#lines, math.floor(rows * 0.8)))
  local win = vim.api.nvim_open_win(buf, true, {
    relative = "editor",
    row = math.floor((rows - height) / 2),
    col = math.floor((columns - width) / 2),
    width = width,
    height = height,
    border = "rounded",
    title = " " .. title .. " ",
    title_pos = "center",
    style = "minimal",
  })
  vim.wo[win].wrap, vim.wo[win].linebreak = true, true
  for _, lhs in ipairs({ "q", "<Esc>" }) do
    vim.keymap.set("n", lhs, function()
      pcall(vim.api.nvim_win_close, win, true)
    end, { buffer = buf, nowait = true, desc = "Tandem: close" })
  end
  return buf, win
end

return M
