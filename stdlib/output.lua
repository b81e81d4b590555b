-- output: rows under declared columns, printed the way the run asked with -o: an aligned table
-- (the default), JSON, CSV (RFC 4180) or TSV. Every shipped playbook prints its data through it.
--
--   local output = require "output"
--   output.emit(report, {
--     rows = report.customers,
--     columns = { { "Customer", "customer" }, { "Total", "total", money = "currency" } },
--     text = function(r) print(output.table(r.customers, COLUMNS)); print("total " .. r.total) end,
--   })
--
-- A column is { "Header", "key" } with optional fields: money = "KEY" (the value is an amount whose
-- currency is in the row's KEY), currency = "USD" (a fixed currency), exact = true (a table shows
-- every digit of the amount, not only its minor units), align = "right" | "left", table = false
-- (CSV, TSV and JSON only). A plain string "key" is a column whose header is its key.
-- Tables show amounts with their currency's minor units and code ("1,234.50 USD", "1,234 JPY");
-- JSON, CSV and TSV carry exact decimal text ("1234.5" → "1234.50", never rounded, no grouping).
-- The layout (display width of accented, combining, CJK and emoji text, CSV quoting, TSV escapes)
-- is pcx's one renderer, the same as `pcx journal list -o csv` and the other verbs use.
local json = require "json"
local money = require "money"

local M = {}

local type, tostring, error, ipairs, pairs, next, print, select = type, tostring, error, ipairs, pairs, next, print, select
local getmetatable, setmetatable, rawequal, require, pcall = getmetatable, setmetatable, rawequal, require, pcall
local math_type, huge, sformat, sfind, tsort = math.type, math.huge, string.format, string.find, table.sort
local io_write = io.write
local is_money = money.is_money
-- line items come as json.records (decoded field by field); rows and JSON need their tables
local as_table = json.materialize   -- a record's table; any other value as it is
local sys = require "pcx.sys"

local FORMATS = { table = true, json = true, csv = true, tsv = true }

--- The run's output format: "table" (the default), "json", "csv" or "tsv" (pcx's -o; --json is "json").
function M.format()
  local options = require("pc.core").options
  return options and options.output or "table"
end

local function check_format(format, level)
  if format == nil then return M.format() end
  if not FORMATS[format] then
    error("output: format must be \"table\", \"json\", \"csv\" or \"tsv\", got " .. tostring(format), level + 1)
  end
  return format
end

--- The terminal columns `text` takes: East Asian wide characters and emoji 2, combining marks 0.
function M.width(text)
  text = tostring(text)
  if not sfind(text, "[^\32-\126]") then return #text end
  return sys.display_width(text)
end

-- A number as exact text: integers as they are, floats by their shortest round-trip decimal.
local function number_text(v)
  if math_type(v) == "integer" then return tostring(v) end
  if v ~= v or v == huge or v == -huge then return tostring(v) end
  return money.shortest_decimal(v)
end

-- The amount a cell holds, when it is one: a money value, or a column's number or decimal text
-- with its currency.
local function amount_of(v, row, column)
  if is_money(v) then return v end
  local currency = column.currency or (column.money and row[column.money])
  if not currency or currency == json.null or (type(v) ~= "number" and type(v) ~= "string") then return nil end
  local ok, m = pcall(money.new, v, currency)
  return ok and m or nil
end

--- A copy of `value` for JSON: money amounts become their exact decimal text (m:exact()); the
--- rest is left as it is (tables are copied only where an amount is inside).
function M.plain(value, depth)
  value = as_table(value)
  if type(value) ~= "table" then return value end
  if is_money(value) then return value:exact() end
  depth = depth or 0
  if depth > 200 then return value end
  local copy
  for k, v in next, value do
    local p = M.plain(v, depth + 1)
    if not rawequal(p, v) and not copy then
      copy = {}
      for k2, v2 in next, value do copy[k2] = v2 end
      setmetatable(copy, getmetatable(value))
    end
    if copy then copy[k] = p end
  end
  return copy or value
end

-- A cell's text: tables show amounts for people, the other formats exact machine-readable text.
local function cell(v, row, column, format)
  if v == nil or v == json.null then return "" end
  local m = amount_of(v, row, column)
  if m then return format == "table" and m:format { exact = column.exact } or m:exact() end
  local tv = type(v)
  if tv == "string" then return v end
  if tv == "number" then return number_text(v) end
  if tv == "boolean" then return v and "true" or "false" end
  local mt = getmetatable(v)
  if mt and mt.__tostring then return tostring(v) end
  if tv == "table" then return json.encode(M.plain(v)) end
  return tostring(v)
end

-- Columns as { header, key, money, currency, align, table }, checked.
local function normalize(columns, level)
  if type(columns) ~= "table" or #columns == 0 then
    error("output: columns must be a list like { { \"Customer\", \"customer\" }, { \"Total\", \"total\" } }", level + 1)
  end
  local out = {}
  for i, c in ipairs(columns) do
    if type(c) == "string" then c = { c, c } end
    if type(c) ~= "table" or type(c[1]) ~= "string" or (c[2] ~= nil and type(c[2]) ~= "string") then
      error(sformat("output: column %d must be { \"Header\", \"key\" } or \"key\", got %s", i, tostring(c)), level + 1)
    end
    out[i] = { header = c[1], key = c[2] or c[1], money = c.money, currency = c.currency, exact = c.exact, align = c.align,
      table = c.table }
  end
  return out
end

-- Whether every value of the column is a number or an amount (right-aligned in a table).
local function numeric(rows, column)
  local any = false
  for _, row in ipairs(rows) do
    local v = row[column.key]
    if v ~= nil and v ~= json.null then
      if type(v) ~= "number" and not amount_of(v, row, column) then return false end
      any = true
    end
  end
  return any
end

local function json_rows(rows, columns)
  local list = json.array()
  for i, row in ipairs(rows) do
    local o = json.object()
    for _, c in ipairs(columns) do
      local v = row[c.key]
      if v == nil then o[c.key] = json.null else o[c.key] = M.plain(v) end
    end
    list[i] = o
  end
  return json.encode(list, { indent = true })
end

--- Renders rows under columns as text in `format` (default: the run's -o). A table has a header
--- and a rule and no final newline; CSV and TSV have a header of keys and end every line; JSON is
--- an array of objects keyed by the columns' keys, amounts as exact decimal text.
function M.render(rows, columns, format)
  format = check_format(format, 2)
  if type(rows) ~= "table" then error("output.render: rows must be a list of tables, got " .. type(rows), 2) end
  local cols = normalize(columns, 2)
  if format == "json" then return json_rows(rows, cols) end
  local shown, spec = {}, {}
  for _, c in ipairs(cols) do
    if format ~= "table" or c.table ~= false then
      shown[#shown + 1] = c
      local right = c.align == "right" or (c.align == nil and numeric(rows, c))
      spec[#shown] = { header = c.header, key = c.key, right = right }
    end
  end
  local cells = {}
  for r, row in ipairs(rows) do
    row = as_table(row)
    if type(row) ~= "table" then error(sformat("output.render: row %d is a %s, not a table", r, type(row)), 2) end
    local line = {}
    for i, c in ipairs(shown) do line[i] = cell(row[c.key], row, c, format) end
    cells[r] = line
  end
  return sys.render_rows(format, spec, cells)
end

--- The rows as an aligned table (the same as output.render(rows, columns, "table")).
function M.table(rows, columns)
  return M.render(rows, columns, "table")
end

-- Writes rendered text: a table gets its final newline, the other formats end their lines.
local function write(text, format)
  if format == "table" or format == "json" then print(text) else io_write(text) end
end

--- Prints rows under columns in the run's -o format (or `format`).
function M.print(rows, columns, format)
  format = check_format(format, 2)
  write(M.render(rows, columns, format), format)
end

-- Columns for rows nobody declared: the keys of the rows (sorted), or "value" for scalars.
local function columns_of(rows)
  local seen, keys = {}, {}
  for _, row in ipairs(rows) do
    for k in pairs(row) do
      if type(k) == "string" and not seen[k] then seen[k] = true; keys[#keys + 1] = k end
    end
  end
  tsort(keys)
  return keys
end

--- Rows and columns for any value: a list of records as it is, one record as one row, anything
--- else as one row of one column "value" (nested tables become JSON text in their cell).
function M.rows_of(value)
  value = as_table(value)
  if type(value) ~= "table" or is_money(value) or (getmetatable(value) or {}).__tostring then
    return { { value = value } }, { "value" }
  end
  if #value > 0 then
    local rows = {}
    for i, v in ipairs(value) do
      v = as_table(v)
      rows[i] = (type(v) == "table" and not is_money(v)) and v or { value = v }
    end
    local cols = columns_of(rows)
    return rows, #cols > 0 and cols or { "value" }
  end
  local cols = columns_of({ value })
  if #cols == 0 then return {}, { "value" } end
  return { value }, cols
end

--- Prints a command's result in the run's -o format. spec: rows (the list CSV and TSV print; by
--- default the value itself, see output.rows_of), columns (for rows), text (how a table prints
--- the value: a function(value); default: the rows as a table). JSON prints the whole value.
function M.emit(value, spec)
  spec = spec or {}
  local format = check_format(spec.format, 2)
  if format == "json" then
    print(json.encode(M.plain(value), { indent = true }))
    return
  end
  if format == "table" and spec.text then
    spec.text(value)
    return
  end
  local rows, columns = spec.rows, spec.columns
  if rows == nil then rows, columns = M.rows_of(value) end
  if columns == nil then columns = select(2, M.rows_of(rows)) end
  write(M.render(rows, columns, format), format)
end

return M
