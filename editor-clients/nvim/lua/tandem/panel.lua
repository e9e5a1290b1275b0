---@mod tandem.panel The chat panel: a transcript window and a prompt window under it

local config = require("tandem.config")
local util = require("tandem.util")

local M = {}

---@class tandem.PanelState
---@field transcript integer? Transcript buffer (markdown).
---@field prompt integer? Prompt buffer.
---@field win integer? Transcript window.
---@field prompt_win integer? Prompt window.
---@field source integer? The last file buffer the user was in: the chat's active file.
local state = {}

local group = vim.api.nvim_create_augroup("tandem.panel", { clear = true })

---@param buf integer
function M.remember(buf)
  if util.is_file_buffer(buf) then
    state.source = buf
  end
end

vim.api.nvim_create_autocmd("BufEnter", {
  group = group,
  callback = function(args)
    M.remember(args.buf)
  end,
})

---The file the chat is about: the last file buffer the user was in, if still valid.
---@return integer?
function M.source()
  if state.source and util.is_file_buffer(state.source) then
    return state.source
  end
end

---@param name string
---@param filetype string
---@return integer
local function scratch(name, filetype)
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_name(buf, name)
  vim.bo[buf].filetype = filetype
  return buf
end

---@param buf integer
---@param mode string|string[]
---@param lhs string|false
---@param fn fun()
---@param desc string
local function map(buf, mode, lhs, fn, desc)
  if lhs then
    vim.keymap.set(mode, lhs, fn, { buffer = buf, desc = "Tandem: " .. desc, nowait = true })
  end
end

---@param buf integer
---@param prompt boolean
local function set_keymaps(buf, prompt)
  local keys = config.options.keymaps
  local commands = function()
    return require("tandem.commands")
  end
  map(buf, { "n", "i" }, keys.cancel, function()
    commands().cancel()
  end, "cancel the running turn")
  map(buf, "n", keys.manifest, function()
    commands().show_manifest()
  end, "show what was sent")
  map(buf, "n", keys.close, M.close, "close the panel")
  if prompt then
    map(buf, "n", keys.send, function()
      commands().send_prompt()
    end, "send the prompt")
    map(buf, "i", keys.send_insert, function()
      vim.cmd.stopinsert()
      commands().send_prompt()
    end, "send the prompt")
  end
end

---The transcript buffer, created on first use.
---@return integer
function M.transcript_buf()
  if not (state.transcript and vim.api.nvim_buf_is_valid(state.transcript)) then
    state.transcript = scratch("tandem://transcript", "markdown")
    vim.bo[state.transcript].modifiable = false
    set_keymaps(state.transcript, false)
  end
  return state.transcript
end

---@return integer
local function prompt_buf()
  if not (state.prompt and vim.api.nvim_buf_is_valid(state.prompt)) then
    state.prompt = scratch("tandem://prompt", "markdown")
    set_keymaps(state.prompt, true)
  end
  return state.prompt
end

---@return boolean
function M.is_open()
  return state.win ~= nil and vim.api.nvim_win_is_valid(state.win)
end

---@param win integer
---@param fixed "winfixwidth"|"winfixheight"|nil
local function window_options(win, fixed)
  local wo = vim.wo[win]
  wo.wrap, wo.linebreak, wo.number, wo.relativenumber = true, true, false, false
  wo.signcolumn, wo.foldcolumn, wo.spell, wo.winfixbuf = "no", "0", false, true
  if fixed then
    wo[fixed] = true
  end
end

local function open_split()
  local o = config.options.panel
  local vertical = o.layout ~= "below"
  local where = { split = o.layout, win = -1 }
  if vertical then
    where.width = util.size(o.width, vim.o.columns)
  else
    where.height = util.size(o.height, vim.o.lines)
  end
  state.win = vim.api.nvim_open_win(M.transcript_buf(), false, where)
  local below = { split = "below", win = state.win, height = o.prompt_height }
  state.prompt_win = vim.api.nvim_open_win(prompt_buf(), false, below)
  window_options(state.win, vertical and "winfixwidth" or "winfixheight")
  window_options(state.prompt_win, "winfixheight")
end

local function open_float()
  local o = config.options.panel
  local columns, lines = vim.o.columns, vim.o.lines - vim.o.cmdheight - 1
  local width, height = util.size(o.float.width, columns), util.size(o.float.height, lines)
  local prompt_height = math.min(o.prompt_height, math.max(1, height - 6))
  local row, col = math.floor((lines - height) / 2), math.floor((columns - width) / 2)
  local base = { relative = "editor", col = col, width = width, border = o.float.border, title_pos = "center" }
  state.win = vim.api.nvim_open_win(M.transcript_buf(), false, vim.tbl_extend("force", base, {
    row = row, height = math.max(1, height - prompt_height - 2), title = " Tandem ",
  }))
  state.prompt_win = vim.api.nvim_open_win(prompt_buf(), false, vim.tbl_extend("force", base, {
    row = row + height - prompt_height, height = prompt_height, title = " prompt ",
  }))
  window_options(state.win)
  window_options(state.prompt_win)
end

---Close the other panel window when one of them is closed.
local function watch_close()
  vim.api.nvim_create_autocmd("WinClosed", {
    group = group,
    callback = function(args)
      local closed = tonumber(args.match)
      if closed == state.win or closed == state.prompt_win then
        vim.schedule(M.close)
        return true
      end
    end,
  })
end

---Open the panel (or keep it open) and optionally move into the prompt.
---@param opts? {focus?: boolean, insert?: boolean}
function M.open(opts)
  opts = opts or {}
  M.remember(vim.api.nvim_get_current_buf())
  if not M.is_open() then
    M.close()
    if config.options.panel.layout == "float" then
      open_float()
    else
      open_split()
    end
    watch_close()
    require("tandem.chat").refresh()
    M.scroll_to_end()
  end
  if opts.focus then
    vim.api.nvim_set_current_win(state.prompt_win)
    if opts.insert then
      vim.cmd.startinsert({ bang = true })
    end
  end
end

function M.close()
  for _, win in ipairs({ state.prompt_win, state.win }) do
    if win and vim.api.nvim_win_is_valid(win) then
      pcall(vim.api.nvim_win_close, win, true)
    end
  end
  state.win, state.prompt_win = nil, nil
end

---The prompt's text, trimmed; the prompt is emptied.
---@return string
function M.take_prompt()
  local buf = prompt_buf()
  local text = vim.trim(table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n"))
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, {})
  return text
end

---The prompt's text, trimmed, left in place.
---@return string
function M.peek_prompt()
  return vim.trim(table.concat(vim.api.nvim_buf_get_lines(prompt_buf(), 0, -1, false), "\n"))
end

---@param text string A 'winbar' value.
function M.set_winbar(text)
  if M.is_open() then
    vim.wo[state.win].winbar = text
  end
end

function M.scroll_to_end()
  if M.is_open() then
    local last = vim.api.nvim_buf_line_count(state.transcript)
    vim.api.nvim_win_set_cursor(state.win, { last, 0 })
  end
end

---Run `edit` on the transcript; keep following the end if the cursor was on the last line.
---@param edit fun()
function M.follow(edit)
  local following = M.is_open()
    and vim.api.nvim_win_get_cursor(state.win)[1] >= vim.api.nvim_buf_line_count(state.transcript) - 1
  edit()
  if following then
    M.scroll_to_end()
  end
end

---@return {transcript: integer?, prompt: integer?, win: integer?, prompt_win: integer?}
function M.handles()
  return { transcript = state.transcript, prompt = state.prompt, win = state.win, prompt_win = state.prompt_win }
end

return M
