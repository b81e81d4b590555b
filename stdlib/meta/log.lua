---@meta log
-- LuaLS stubs for stdlib/log.lua.

---Leveled logging to stderr. Each line is `HH:MM:SS LEVEL file:line: message` where
---`file:line` is the caller. The minimum level comes from `PCX_LOG_LEVEL` (debug, info, warn,
---error; default info). With more than one argument the first is a `string.format` pattern;
---table arguments are rendered with `inspect`.
local log = {}

---Logs at debug level.
---@param fmt any message or format pattern
---@param ... any format arguments
---Example: `log.debug("page %d has %d items", page, #items)`
function log.debug(fmt, ...) end

---Logs at info level.
---@param fmt any
---@param ... any
---Example: `log.info("customer %s", customer.id)`
function log.info(fmt, ...) end

---Logs at warn level.
---@param fmt any
---@param ... any
---Example: `log.warn("retrying after %d s", delay)`
function log.warn(fmt, ...) end

---Logs at error level.
---@param fmt any
---@param ... any
---Example: `log.error("purchase failed: %s", err)`
function log.error(fmt, ...) end

---Sets the minimum level printed.
---@param name "debug"|"info"|"warn"|"error"
---Example: `log.set_level("debug")`
function log.set_level(name) end

---The current minimum level.
---@return "debug"|"info"|"warn"|"error"
function log.level() end

---True when messages at `name` would be printed.
---@param name string
---@return boolean
function log.enabled(name) end

---Sends each complete line to `fn` instead of stderr (nil restores stderr).
---@param fn? fun(line: string)
---Example: `log.set_writer(function(line) lines[#lines + 1] = line end)`
function log.set_writer(fn) end

return log
