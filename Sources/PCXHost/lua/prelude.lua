-- Run once in every new Lua state, after the modules are registered.
-- Secrets never reach Lua: pcx.sys.getenv decides in Swift (no Lua function on its path).
os.getenv = require("pcx.sys").getenv

-- The globals `pc` and `playbook` are loaded on first use: a script that never touches them
-- starts without binding the operation catalogue (start-up time). Once loaded they are plain
-- globals (rawset), so later reads cost nothing extra.
local rawset, require = rawset, require
local LAZY = {
  pc = function() return require "pc" end,
  playbook = function() return require("playbook").declare end,
}
setmetatable(_G, { __index = function(t, k)
  local load = LAZY[k]
  if load then
    local v = load()
    rawset(t, k, v)
    return v
  end
end })
