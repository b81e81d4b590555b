---@meta output

-- LuaLS stubs for stdlib/output.lua. Editors read these; the REPL's `:help NAME` prints the
-- comment block above each `function`. Nothing here runs.

---Rows under declared columns, printed the way the run asked with `-o`: an aligned table (the
---default), `json`, `csv` (RFC 4180) or `tsv`. Tables align by terminal display width (accents,
---combining marks, CJK and emoji count right) and show amounts with their currency's minor units
---("1,234.50 USD", "1,234 JPY", "12.345 KWD"); JSON, CSV and TSV carry exact decimal text, never
---rounded or grouped. Every shipped playbook prints through it; so can your scripts.
---@class output
local output = {}

---A column: `{ "Header", "key" }` or just `"key"`, with optional fields.
---@class output.Column
---@field [1] string the header a table shows (CSV, TSV and JSON use the key)
---@field [2] string the row's key
---@field money? string the key of the row's currency: the value is an amount
---@field currency? string a fixed currency for the column's amounts ("USD")
---@field exact? boolean a table shows every digit of the amount, not only its minor units
---@field align? "left"|"right" default: right for numbers and amounts, left otherwise
---@field table? boolean false: in CSV, TSV and JSON only

---The run's output format: `"table"` (the default), `"json"`, `"csv"` or `"tsv"` (pcx's `-o`;
---`--json` is `"json"`).
---
--- example:
---```lua
---local output = require "output"
---if output.format() == "table" then print("a table for people") end
---```
---@return "table"|"json"|"csv"|"tsv"
function output.format() end

---The terminal columns a text takes: East Asian wide characters and emoji 2, combining marks 0,
---other characters 1.
---
--- example:
---```lua
---local output = require "output"
---print(output.width("株式会社"), output.width("Socie\u{301}te\u{301}"))   --> 8	7
---```
---@param text string
---@return integer
function output.width(text) end

---Renders rows under columns as text in `format` (default: the run's `-o`). A table has a header
---and a rule and no final newline; CSV and TSV have a header of the keys and end every line (CSV
---with CRLF); JSON is an array of objects keyed by the columns' keys.
---
--- example:
---```lua
---local output = require "output"
---local rows = { { customer = "Contoso", total = "1234.5", currency = "USD" } }
---local columns = { { "Customer", "customer" }, { "Total", "total", money = "currency" }, { "Currency", "currency", table = false } }
---print(output.render(rows, columns, "table"))
---io.write(output.render(rows, columns, "csv"))   --> customer,total,currency / Contoso,1234.50,USD
---```
---@param rows table[]
---@param columns (output.Column|string)[]
---@param format? "table"|"json"|"csv"|"tsv"
---@return string
function output.render(rows, columns, format) end

---The rows as an aligned table: `output.render(rows, columns, "table")`.
---
--- example:
---```lua
---local output = require "output"
---print(output.table({ { name = "株式会社", n = 3 } }, { { "Name", "name" }, { "N", "n" } }))
---```
---@param rows table[]
---@param columns (output.Column|string)[]
---@return string
function output.table(rows, columns) end

---Prints rows under columns in the run's `-o` format (or `format`).
---
--- example:
---```lua
---local output = require "output"
---output.print({ { id = "c1", total = "10" } }, { { "Customer", "id" }, { "Total", "total", currency = "EUR" } })
---```
---@param rows table[]
---@param columns (output.Column|string)[]
---@param format? "table"|"json"|"csv"|"tsv"
function output.print(rows, columns, format) end

---Prints a command's result in the run's `-o` format: the whole value as JSON (`-o json`), its
---rows as CSV or TSV, or, as a table, `spec.text(value)` (default: the rows as a table).
---
--- example:
---```lua
---local output = require "output"
---local report = { count = 1, customers = { { id = "c1", total = "10.5", currency = "USD" } } }
---output.emit(report, {
---  rows = report.customers,
---  columns = { { "Customer", "id" }, { "Total", "total", money = "currency" } },
---  text = function(r) print(r.count .. " customer(s)") end,
---})
---```
---@param value any the result (what JSON prints)
---@param spec? {rows?: table[], columns?: (output.Column|string)[], text?: fun(value: any), format?: string}
function output.emit(value, spec) end

---A copy of a value for JSON: money amounts become their exact decimal text (`m:exact()`).
---
--- example:
---```lua
---local output, money, json = require "output", require "money", require "json"
---print(json.encode(output.plain({ total = money.new("2.5", "USD") })))   --> {"total":"2.50"}
---```
---@param value any
---@return any
function output.plain(value) end

---Rows and columns for any value: a list of records as it is, one record as one row, anything
---else as one row of one column `value`.
---
--- example:
---```lua
---local output = require "output"
---local rows, columns = output.rows_of({ id = "c1", name = "Contoso" })
---print(#rows, table.concat(columns, ","))   --> 1	id,name
---```
---@param value any
---@return table[] rows
---@return string[] columns
function output.rows_of(value) end

return output
