-- Run once in every new Lua state, after the modules are registered.
-- Secrets never reach Lua: pcx.sys.getenv decides in Swift (no Lua function on its path).
os.getenv = require("pcx.sys").getenv
pc = require "pc"
playbook = require("playbook").declare
