---@mod tandem.preview What was (or would be) sent to the model, shown in a float

local util = require("tandem.util")

local M = {}

---@param value any
---@return string
local function inline(value)
  value = util.value(value)
  if type(value) ~= "table" then
    return tostring(value)
  end
  if vim.islist(value) then
    return table.concat(vim.tbl_map(inline, value), ", ")
  end
  local keys = vim.tbl_keys(value)
  table.sort(keys)
  return table.concat(vim.tbl_map(function(k)
    return ("%s=%s"):format(k, inline(value[k]))
  end, keys), ", ")
end

---Markdown lines for a manifest: its numbers first, then any lists it carries
---(included sections, dropped items and why) one item a line.
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
  local lists = {}
  for _, key in ipairs(keys) do
    local value = util.value(manifest[key])
    if type(value) == "table" and vim.islist(value) and type(value[1]) == "table" then
      table.insert(lists, key)
    elseif key ~= "totalTokens" and key ~= "budget" then
      table.insert(lines, ("- **%s**: %s"):format(key, inline(value)))
    end
  end
  for _, key in ipairs(lists) do
    vim.list_extend(lines, { "", "### " .. key, "" })
    for _, item in ipairs(manifest[key]) do
      table.insert(lines, "- " .. inline(item))
    end
  end
  if usage then
    vim.list_extend(lines, { "", "- **usage**: " .. inline(usage) })
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
    vim.list_extend(lines, { "", ("## %d. %s (%d characters)"):format(i, message.role or "?", #text), "" })
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
