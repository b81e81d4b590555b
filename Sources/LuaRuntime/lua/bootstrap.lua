-- Run once per state by LuaRuntime (see Bootstrap.swift), with the host helpers table as `...`.
local host = ...
local type, error, tostring, rawget, getmetatable = type, error, tostring, rawget, getmetatable
local string_gsub, string_format = string.gsub, string.format
-- load, loadfile and dofile are pcx's C versions (text only; loadfile and dofile ask the file
-- policy); io.open, io.lines, io.input, io.output, os.remove and os.rename ask it in C too.
local load, loadfile = load, loadfile
local package = package
local io_open, string_find, table_concat = io.open, string.find, table.concat
local dirsep = string.sub(package.config, 1, 1)

-- package.searchpath, opening candidates through the file policy (io.open above): Lua's own
-- opens any file, so it would tell a script whether a file it may not read exists.
local function searchpath(name, path, sep, rep)
  if type(name) ~= "string" then error("bad argument #1 to 'searchpath' (string expected, got " .. type(name) .. ")", 2) end
  if type(path) ~= "string" then error("bad argument #2 to 'searchpath' (string expected, got " .. type(path) .. ")", 2) end
  sep, rep = sep or ".", rep or dirsep
  if sep ~= "" and string_find(name, sep, 1, true) then
    name = string_gsub(name, string_gsub(sep, "%W", "%%%0"), (string_gsub(rep, "%%", "%%%%")))
  end
  local tried = {}
  for template in string.gmatch(path, "[^;]+") do
    local filename = string_gsub(template, "%?", (string_gsub(name, "%%", "%%%%")))
    local f, err = io_open(filename, "r")
    if f then f:close(); return filename end
    if err ~= nil and not string_find(err, "No such file or directory", 1, true) then
      tried[#tried + 1] = err   -- a refusal by the file policy says why and the fix
    else
      tried[#tried + 1] = "no file '" .. filename .. "'"
    end
  end
  -- Lua 5.4's form: require puts "\n\t" before each searcher's message
  return nil, table_concat(tried, "\n\t")
end
package.searchpath = searchpath
local embedded = host.embedded

os.exit = host.exit

-- require: preload (kept as searcher 1), embedded modules, then directories (package.path).
local searchers = package.searchers
searchers[2] = function(name)
  local src = embedded(name)
  if src == nil then return "no embedded module '" .. name .. "'" end
  local chunkname = "@stdlib/" .. string_gsub(name, "%.", "/") .. ".lua"
  local f, err = load(src, chunkname, "t")
  if not f then
    error(string_format("error loading module '%s' (embedded):\n\t%s", name, err), 0)
  end
  return f, chunkname
end
searchers[3] = function(name)
  local path, err = searchpath(name, package.path)
  if not path then return err end
  local f, lerr = loadfile(path, "t")
  if not f then
    error(string_format("error loading module '%s' from file '%s':\n\t%s", name, path, lerr), 0)
  end
  return f, path
end
searchers[4] = nil

local helpers = {}

function helpers.make_loader(value)
  return function() return value end
end

-- default __tostring for structured errors (tables with a named metatable)
function helpers.error_tostring(e)
  local code, message = rawget(e, "code"), rawget(e, "message")
  local text
  if code ~= nil and message ~= nil then
    text = tostring(code) .. ": " .. tostring(message)
  elseif message ~= nil then
    text = tostring(message)
  elseif code ~= nil then
    text = tostring(code)
  else
    local mt = getmetatable(e)
    text = (type(mt) == "table" and rawget(mt, "__name")) or "error"
  end
  return text
end

return helpers
