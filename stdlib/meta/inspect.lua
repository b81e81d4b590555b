---@meta inspect
-- LuaLS stubs for stdlib/inspect.lua.

---@class inspect.Options
---@field depth? integer tables deeper than this print as `{...}` (default 8)
---@field max_items? integer entries shown per table before `... (N more)` (default 200)
---@field width? integer a table fitting in this many columns prints on one line (default 80)
---@field indent? string one level of indentation (default two spaces)
---@field compact? boolean always one line (default false)

---Renders any value as readable, deterministic text: keys sorted, arrays without keys,
---strings quoted, `json.null` as `null`, cycles as `<cycle>`, named metatables (e.g. `pc.Error`)
---as a prefix. The module itself is callable: `inspect(v)` == `inspect.inspect(v)`.
---@overload fun(value: any, options?: inspect.Options): string
local inspect = {}

---Renders `value` as text.
---@param value any
---@param options? inspect.Options
---@return string
---Example:
---```lua
---local inspect = require "inspect"
---print(inspect({ id = 1, tags = { "a", "b" } }))  --> { id = 1, tags = { "a", "b" } }
---```
function inspect.inspect(value, options) end

return inspect
