extension LuaVMCore {
    /// Lua run once per state, with the host helpers table as `...`: text-only `load`,
    /// `loadfile`, `dofile`; writes checked against the allowed directories; `os.exit` raising a
    /// host-controlled abort; the `require` searchers (preload, embedded, directories). Returns
    /// internal helpers kept in the registry (`pcxl.helpers`).
    static let bootstrap = #"""
local host = ...
local type, select, error, tostring, rawget, getmetatable = type, select, error, tostring, rawget, getmetatable
local string_find, string_gsub, string_format = string.find, string.gsub, string.format
local raw_load, raw_loadfile = load, loadfile
local io_open, io_output, os_remove, os_rename = io.open, io.output, os.remove, os.rename
local package = package
local searchpath = package.searchpath
local check_write, embedded = host.check_write, host.embedded

local function text_mode(mode)
  if mode ~= nil and type(mode) == "string" and not string_find(mode, "t", 1, true) then
    return nil, "binary chunks are not allowed (pcx loads Lua source only)"
  end
  return "t"
end

function load(chunk, name, mode, ...)
  local m, err = text_mode(mode)
  if not m then return nil, err end
  if select("#", ...) > 0 then return raw_load(chunk, name, "t", ...) end
  return raw_load(chunk, name, "t")
end

function loadfile(filename, mode, ...)
  local m, err = text_mode(mode)
  if not m then return nil, err end
  if select("#", ...) > 0 then return raw_loadfile(filename, "t", ...) end
  return raw_loadfile(filename, "t")
end

function dofile(filename)
  local f, err = raw_loadfile(filename, "t")
  if not f then error(err, 2) end
  return f()
end

local function refuse(path)
  local ok, reason = check_write(tostring(path))
  if ok then return nil end
  return reason
end

function io.open(path, mode)
  if type(mode) == "string" and string_find(mode, "[wa+]") then
    local reason = refuse(path)
    if reason then return nil, reason, 13 end
  end
  return io_open(path, mode)
end

function io.output(file)
  if type(file) == "string" then
    local reason = refuse(file)
    if reason then error(reason, 2) end
  end
  return io_output(file)
end

function os.remove(path)
  local reason = refuse(path)
  if reason then return nil, reason, 13 end
  return os_remove(path)
end

function os.rename(from, to)
  local reason = refuse(from) or refuse(to)
  if reason then return nil, reason, 13 end
  return os_rename(from, to)
end

os.exit = host.exit

-- require: preload (kept as searcher 1), embedded modules, then directories (package.path).
local searchers = package.searchers
searchers[2] = function(name)
  local src = embedded(name)
  if src == nil then return "no embedded module '" .. name .. "'" end
  local chunkname = "@stdlib/" .. string_gsub(name, "%.", "/") .. ".lua"
  local f, err = raw_load(src, chunkname, "t")
  if not f then
    error(string_format("error loading module '%s' (embedded):\n\t%s", name, err), 0)
  end
  return f, chunkname
end
searchers[3] = function(name)
  local path, err = searchpath(name, package.path)
  if not path then return err end
  local f, lerr = raw_loadfile(path, "t")
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
"""#
}
