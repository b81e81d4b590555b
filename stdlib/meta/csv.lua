---@meta csv

-- LuaLS type stubs for stdlib/csv.lua. Editors read these; the REPL's `:help NAME` prints the
-- comment block above each `function`. Nothing here runs.

---RFC 4180 reading and writing, streamed.
---
---The writer puts rows in a temporary file beside the target and renames it into place on
---`close()`, so a failed script never leaves half a file. Fields are quoted when they hold a comma,
---a quote, CR or LF, or leading/trailing spaces; lines end with CRLF unless `eol = "\n"`.
---Money amounts are written as exact decimal text, dates as ISO-8601, nil and json.null as empty.
---The reader streams a file in 64 KiB chunks; quoted fields may span lines and chunks. A UTF-8
---byte order mark at the start is skipped. Errors name the line.
---@class csv
local csv = {}

---A CSV writer from `csv.writer`. Usable as a to-be-closed variable: `local w <close> = csv.writer(...)`
---publishes the file when the block ends normally and aborts it when the block raises.
---@class csv.Writer
---@field path string the target file
---@field tmp string the temporary file written until `close()`
---@field eol string the line ending
---@field header string[]? the column names, when given
---@field rows integer rows written so far (the header not included)
local Writer = {}

---A row to write: an array of fields, or (with a header) a map from column name to field.
---A field is a string, number, boolean, money amount, date (or anything with __tostring), nil or json.null.
---@alias csv.Row any[]|table<string, any>

---Encodes one row as a CSV line without the line ending.
---
--- example:
---```lua
---local money = require "money"
---print(csv.encode_row({ "Contoso, Ltd", 42 }))          --> "Contoso, Ltd",42
---print(csv.encode_row({ money.new("16.50", "USD") }))  --> 16.50
---```
---@param row any[] an array of fields (its length is `#row`)
---@return string
function csv.encode_row(row) end

---Opens a writer for `path`. Call `w:close()` to publish the file or `w:abort()` to discard it.
---
--- example:
---```lua
---local money = require "money"
---local w <close> = csv.writer("invoice.csv", { header = { "customer", "total" } })
---w:write({ "c1", money.new("10.50", "USD") })
---w:write({ customer = "c2", total = "7.25" })   -- a map keyed by header names
---```
---@param path string the target file (the temporary file is created beside it)
---@param opts? {header?: string[], eol?: string} header: column names written first and used for map rows; eol: line ending, default "\r\n"
---@return csv.Writer
function csv.writer(path, opts) end

---Iterates over the rows of a CSV file, as arrays of strings or, with `header = true`, as maps
---keyed by the first row's names.
---
--- example:
---```lua
---for row in csv.rows("invoice.csv", { header = true }) do   -- the file csv.writer's example wrote
---  print(row.customer, row.total)
---end
---```
---@param path string
---@param opts? {header?: boolean}
---@return fun(): (string[]|table<string, string>|nil) iterator
function csv.rows(path, opts) end

---Parses CSV text into an array of rows (arrays of strings). A trailing line ending adds no row.
---
--- example:
---```lua
---local rows = csv.parse('id,name\r\n1,"Contoso, Ltd"\r\n')
---print(rows[2][2])   --> Contoso, Ltd
---```
---@param text string
---@return string[][]
function csv.parse(text) end

---Writes one row: an array, or (on a writer with a header) a map keyed by header names (missing columns are empty, unknown
---ones raise). Returns the writer for chaining.
---
--- example:
---```lua
---local w <close> = csv.writer("pairs.csv")
---w:write({ "c1", 10 }):write({ "c2", 20 })
---```
---@param row csv.Row
---@return csv.Writer
function Writer:write(row) end

---Flushes and closes the temporary file and renames it over the target; returns the number of rows.
---Calling it again does nothing.
---
--- example:
---```lua
---local w = csv.writer("closed.csv", { header = { "id" } })
---w:write({ "c1" })
---local n = w:close()
---print(n .. " rows written to " .. w.path)
---```
---@return integer rows
function Writer:close() end

---Discards the temporary file; the target is left as it was.
---
--- example:
---```lua
---local w = csv.writer("maybe.csv", { header = { "id" } })
---local function fill(out) out:write({ "c1" }) end
---local ok, err = pcall(fill, w)
---if ok then w:close() else w:abort(); error(err) end
---```
function Writer:abort() end

return csv
