-- log: leveled messages to stderr, each prefixed with the caller's file:line.
--   log.debug(fmt, ...) log.info(...) log.warn(...) log.error(...)
-- The level comes from pcx's -q/-v/--log-level when given, else the environment variable
-- PCX_LOG_LEVEL (debug, info, warn, error; default info), and can be changed with log.set_level.
-- With --log-format json each line is a JSON object: time, level, source (file:line), message. Arguments are formatted with
-- string.format when there is more than one; tables are rendered with inspect.
local type, tostring, select, pcall, require, error, unpack = type, tostring, select, pcall, require, error, table.unpack
local format, lower, upper = string.format, string.lower, string.upper
local getinfo = debug.getinfo
local getenv, date = os.getenv, os.date
local stderr = io.stderr

local ok_inspect, inspect = pcall(require, "inspect")

local M = {}

local levels = { debug = 10, info = 20, warn = 30, error = 40 }
M.levels = { "debug", "info", "warn", "error" }

-- pcx's settings: -q/-v/--log-level choose the level, --log-format the line format (text or json,
-- the same lines pcx writes for its own diagnostics).
local settings = {}
do
  local ok, sys = pcall(require, "pcx.sys")
  if ok and type(sys) == "table" and sys.log_settings then settings = sys.log_settings() end
end
local json_lines = settings.format == "json"

local current = "info"
do
  local env = getenv("PCX_LOG_LEVEL")
  if env and levels[lower(env)] then current = lower(env) end
  if settings.level and levels[settings.level] then current = settings.level end
end

local writer = function(line) stderr:write(line) end

--- Sets the minimum level printed ("debug", "info", "warn" or "error").
function M.set_level(name)
  local l = type(name) == "string" and lower(name) or name
  if not levels[l] then
    error("log.set_level: unknown level '" .. tostring(name) .. "' (use debug, info, warn or error)", 2)
  end
  current = l
end

--- The current minimum level.
function M.level() return current end

--- True when messages at `name` are printed.
function M.enabled(name) return levels[name] ~= nil and levels[name] >= levels[current] end

--- Replaces the writer (a function receiving each complete line); nil restores stderr.
function M.set_writer(fn)
  writer = fn or function(line) stderr:write(line) end
end

local function show(v)
  v = require("json").materialize(v)   -- a line item (json.record) is shown as its table
  if type(v) == "table" and ok_inspect then return inspect(v, { compact = true, depth = 4 }) end
  return v
end

-- Text that is not valid UTF-8 (a binary value, a Latin-1 file name) with each bad byte as U+FFFD,
-- so that a JSON log line can always be written.
local function valid_utf8(s)
  if utf8.len(s) then return s end
  local out, i = {}, 1
  while true do
    local ok, bad = utf8.len(s, i)
    if ok then
      out[#out + 1] = s:sub(i)
      return table.concat(out)
    end
    out[#out + 1] = s:sub(i, bad - 1)
    out[#out + 1] = "\u{FFFD}"
    i = bad + 1
  end
end

local function emit(level, ...)
  if levels[level] < levels[current] then return end
  local n = select("#", ...)
  local msg
  if n == 0 then
    msg = ""
  elseif n == 1 then
    local v = ...
    msg = type(v) == "string" and v or tostring(show(v))
  else
    local args = { ... }
    for i = 2, n do args[i] = show(args[i]) end
    local ok, text = pcall(format, tostring(args[1]), unpack(args, 2, n))
    msg = ok and text or (tostring(args[1]) .. " (log: " .. tostring(text) .. ")")
  end
  local info = getinfo(3, "Sl")
  local where = info and info.currentline and info.currentline > 0
    and (info.short_src .. ":" .. info.currentline) or "?"
  if json_lines then
    local json = require "json"
    writer(json.encode({ time = date("!%Y-%m-%dT%H:%M:%SZ"), level = level == "warn" and "warning" or level,
      source = valid_utf8(where), message = valid_utf8(msg) }) .. "\n")
  else
    writer(format("%s %-5s %s: %s\n", date("!%H:%M:%S"), upper(level), where, msg))
  end
end

function M.debug(...) emit("debug", ...) end
function M.info(...) emit("info", ...) end
function M.warn(...) emit("warn", ...) end
function M.error(...) emit("error", ...) end

return M
