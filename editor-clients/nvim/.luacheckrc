-- luacheck lua plugin lsp
std = "luajit"
globals = { "vim" }
max_line_length = 120
