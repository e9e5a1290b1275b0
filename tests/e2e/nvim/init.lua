-- Neovim init for the e2e tests: the plugin from this checkout, set up with the options
-- the test passes as JSON in $TANDEM_NVIM_TEST_OPTS ({plugin_dir, setup}).
local opts = vim.json.decode(vim.env.TANDEM_NVIM_TEST_OPTS)
-- Probing for the Python provider (ftplugin/python.vim asks) costs seconds per Neovim.
for _, provider in ipairs({ "python3", "node", "perl", "ruby" }) do
  vim.g["loaded_" .. provider .. "_provider"] = 0
end
vim.opt.rtp:prepend(opts.plugin_dir)
vim.o.swapfile = false
vim.o.shadafile = "NONE"
vim.o.columns, vim.o.lines = 160, 50
require("tandem").setup(opts.setup)
