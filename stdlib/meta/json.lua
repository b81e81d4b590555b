---@meta json
-- LuaLS stubs for pcx's `json` module (implemented in C; see Sources/CLuaShim/json.c).

---JSON encoding and decoding.
---
---Rules:
--- * Integers without fraction or exponent that fit in 64 bits decode as Lua integers; every
---   other number (with `.`/`e`, or an integer beyond int64) decodes as a float.
--- * `null` decodes as `json.null` (never as nil, so arrays keep their length).
--- * An empty object `{}` decodes as an empty table marked with `json.object`, so it encodes
---   back as `{}`; a plain empty table encodes as `[]`.
--- * Encoding: a table whose keys are exactly 1..n is an array; any other table is an object
---   whose keys must be strings or numbers (numbers become their decimal text).
--- * Floats keep a fraction when encoded (`1.0`), so they stay floats across a round trip.
--- * Strings are bytes: decode keeps invalid UTF-8 as is; `\u` escapes become UTF-8 with
---   surrogate pairs combined and lone surrogates replaced by U+FFFD. Encode refuses invalid
---   UTF-8 (error names the byte).
--- * Nesting deeper than 1000 levels is an error both ways (a cycle shows up as this error).
--- * Malformed input fails with `json.decode: <what> at byte N (line L, column C)`.
---@class jsonlib
---@field null lightuserdata The JSON null sentinel (`v == json.null`).
local json = {}

---Decodes JSON text into Lua values.
---
---With `{lazy = true}` every object inside an array becomes a **record** (`json.record`, a
---userdata): it keeps its own copy of the object's bytes and decodes a field when the field is
---read, so reading 3 fields of a 40-field object builds 3 values, not 40. Pages of line items
---(`pc.invoices.each_line_item`, `.line_items`, the unbilled ones) reach scripts as records.
---A record reads like a table (`r.customerId`, `r["x"]`, missing keys are nil); `pairs(r)`, `#r`,
---writing a field (`r.note = "x"`) and `json.materialize(r)` decode it once into a plain table
---that the record uses from then on; `json.encode` encodes that table. `type(r)` is "userdata":
---call `json.materialize(r)` for a real table
---(`next`, `rawget`, `table.*`). Keys and structure are checked when the page is decoded; a
---malformed value (`tru`) is reported when it is read or encoded. A key repeated inside one object reads as its last
---value, as `json.decode` keeps it.
---@param text string JSON text
---@param options? {lazy?: boolean} (a value other than a table is ignored, e.g. the count `s:gsub()` returns)
---@return any value
---Example:
---```lua
---local v = json.decode('{"id": 7, "price": 19.99, "tags": [], "meta": {}}')
---assert(math.type(v.id) == "integer" and json.is_object(v.meta))
---local page = json.decode('{"items": [{"id": "a", "n": 1}]}', { lazy = true })
---assert(json.is_record(page.items[1]) and page.items[1].n == 1)
---```
function json.decode(text, options) end

---A record's plain table (decoded once; the record reads and writes it from then on). Any other
---value is returned as it is.
---@param v any
---@return any
function json.materialize(v) end

---True when `v` is a record (an object from `json.decode(s, {lazy = true})` or a line-item page).
---@param v any
---@return boolean
function json.is_record(v) end

---Encodes a Lua value as JSON text.
---@param value any
---@param options? {indent?: boolean|integer|string, sort_keys?: boolean} `indent` pretty-prints (true = 2 spaces) and then sorts keys unless `sort_keys = false`.
---@return string
---Example:
---```lua
---print(json.encode({ b = 1, a = { 1, 2 } }, { indent = true }))
---```
function json.encode(value, options) end

---Marks a table (or a new one) so it encodes as an object even when empty.
---@param t? table
---@return table t
---Example: `json.encode(json.object()) --> "{}"`
function json.object(t) end

---Marks a table (or a new one) so it always encodes as an array.
---@param t? table
---@return table t
---Example: `json.encode(json.array()) --> "[]"`
function json.array(t) end

---True when `v` is `json.null`.
---@param v any
---@return boolean
function json.is_null(v) end

---True when `t` carries the object marker (decoded `{}` or `json.object`), or is a record.
---@param t any
---@return boolean
function json.is_object(t) end

return json
