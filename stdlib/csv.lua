-- csv: RFC 4180 reading and writing, streamed.
--
-- Writer: rows go to a temporary file beside the target, renamed into place by close(), so a
-- crash never leaves half a file. Fields are quoted when they hold a comma, a quote, CR or LF, or
-- leading/trailing spaces; lines end with CRLF (RFC 4180) unless `eol = "\n"` is asked for.
-- Money amounts are written as exact decimal text, dates as ISO-8601, json.null as empty.
-- Reader: an iterator over rows (arrays of strings), quoted fields may span lines.
local M = {}

local type, tostring, tonumber, error, ipairs, pairs, next = type, tostring, tonumber, error, ipairs, pairs, next
local getmetatable, setmetatable, pcall, require = getmetatable, setmetatable, pcall, require
local sfind, sgsub, ssub, sbyte, sformat = string.find, string.gsub, string.sub, string.byte, string.format
local tconcat = table.concat
local io_open, os_rename, os_remove, os_time, math_random = io.open, os.rename, os.remove, os.time, math.random

local function field_text(v)
  local tv = type(v)
  if v == nil then return "" end
  if tv == "string" then return v end
  if tv == "number" then
    if math.type(v) == "integer" then return tostring(v) end
    -- shortest text that reads back as the same double
    for p = 15, 17 do
      local s = sformat("%." .. p .. "g", v)
      if tonumber(s) == v then return s end
    end
    return sformat("%.17g", v)
  end
  if tv == "boolean" then return v and "true" or "false" end
  local mt = getmetatable(v)
  if mt and mt.__name == "money" then return v:amount() end
  if mt and mt.__tostring then return tostring(v) end
  if tv == "userdata" or tv == "table" then
    -- json.null and friends
    local ok, json = pcall(require, "json")
    if ok and json and v == json.null then return "" end
  end
  error("csv: cannot write a " .. tv .. " as a field (convert it to a string first)", 4)
end

-- Whitespace bytes (%s): a field starting or ending with one is quoted.
local SPACE = { [9] = true, [10] = true, [11] = true, [12] = true, [13] = true, [32] = true }

local function quote(s)
  if s == "" then return s end
  if sfind(s, '[,"\r\n]') or SPACE[sbyte(s, 1)] or SPACE[sbyte(s, -1)] then
    return '"' .. sgsub(s, '"', '""') .. '"'
  end
  return s
end

local function encode(row, n)
  local out = {}
  for i = 1, n do out[i] = quote(field_text(row[i])) end
  return tconcat(out, ",")
end

-- a line item (json.record) is used as its table; any other value as it is
local as_table = require("json").materialize

--- Encodes one row (an array of values) as a CSV line without the line ending.
function M.encode_row(row)
  row = as_table(row)
  if type(row) ~= "table" then error("csv.encode_row: expected an array of fields, got " .. type(row), 2) end
  return encode(row, #row)
end

local Writer = {}
Writer.__index = Writer
Writer.__name = "csv.Writer"

--- Opens a writer: csv.writer("out.csv", {header = {"customer", "total"}, eol = "\r\n"}).
--- Rows are arrays, or maps keyed by the header's names. Call w:close() to publish the file;
--- w:abort() (or a script error before close) removes the temporary file.
function M.writer(path, opts)
  if type(path) ~= "string" or path == "" then error("csv.writer: expected a file path", 2) end
  opts = opts or {}
  if opts.header ~= nil and type(opts.header) ~= "table" then error("csv.writer: header must be an array of column names", 2) end
  local tmp = sformat("%s.tmp-%d-%d", path, os_time(), math_random(1, 1e9))
  local f, err = io_open(tmp, "wb")
  if not f then error("csv.writer: cannot write " .. path .. ": " .. tostring(err), 2) end
  local known = {}
  for _, name in ipairs(opts.header or {}) do known[name] = true end
  local w = setmetatable({ path = path, tmp = tmp, file = f, eol = opts.eol or "\r\n", header = opts.header, known = known, rows = 0 }, Writer)
  if opts.header then
    f:write(M.encode_row(opts.header), w.eol)
  end
  return w
end

--- Writes one row (array, or map keyed by header names). Under a header an array row may have
--- holes (nil fields are written empty).
function Writer:write(row)
  if not self.file then error("csv: write after close of " .. self.path, 2) end
  row = as_table(row)
  if type(row) ~= "table" then error("csv: a row must be a table, got " .. type(row), 2) end
  local line
  -- a map row is keyed by names; an array row by positions (it may have holes, even the first)
  local first = row[1] == nil and next(row)
  local is_map = first ~= nil and first ~= false and type(first) ~= "number"
  if not self.header and is_map then
    error("csv: a row keyed by column names needs a header (csv.writer(path, {header = {...}}))", 2)
  end
  local header = self.header
  if header and is_map then
    local arr, known = {}, self.known
    for i = 1, #header do arr[i] = row[header[i]] end
    for k in pairs(row) do
      if not known[k] then error("csv: row has column '" .. tostring(k) .. "' that is not in the header", 2) end
    end
    -- arr may have holes (columns the row leaves out): encode every header column
    line = encode(arr, #header)
  elseif header then
    -- an array row under a header: every header column, holes written empty
    line = encode(row, #header > #row and #header or #row)
  else
    line = M.encode_row(row)
  end
  local ok, err = self.file:write(line, self.eol)
  if not ok then error("csv: writing " .. self.path .. " failed: " .. tostring(err), 2) end
  self.rows = self.rows + 1
  return self
end

--- Flushes, closes and renames the temporary file into place. Returns the number of rows.
function Writer:close()
  if not self.file then return self.rows end
  local ok, err = self.file:close()
  self.file = nil
  if not ok then os_remove(self.tmp); error("csv: closing " .. self.path .. " failed: " .. tostring(err), 2) end
  local renamed, rerr = os_rename(self.tmp, self.path)
  if not renamed then os_remove(self.tmp); error("csv: cannot move the finished file into " .. self.path .. ": " .. tostring(rerr), 2) end
  return self.rows
end

--- Discards the temporary file; the target is left as it was.
function Writer:abort()
  if self.file then self.file:close(); self.file = nil end
  os_remove(self.tmp)
end

Writer.__close = function(self, err) if err then self:abort() else self:close() end end
Writer.__gc = function(self) if self.file then self:abort() end end

-- Reader -------------------------------------------------------------------------------------

-- Parses rows from a chunk source (a function returning successive strings, nil at the end).
local function rows_from(next_chunk, where)
  local buf, pos, done = "", 1, false
  local line = 1
  local first = true
  local function more()
    if done then return false end
    local c = next_chunk()
    if c == nil then done = true; return false end
    if first then
      first = false
      if ssub(c, 1, 3) == "\239\187\191" then c = ssub(c, 4) end -- a UTF-8 byte order mark is not data
    end
    if c == "" then return more() end
    buf = ssub(buf, pos) .. c
    pos = 1
    return true
  end
  return function()
    if pos > #buf and not more() then return nil end
    local row, field = {}, {}
    local i = pos
    while true do
      if i > #buf then
        pos = i
        if not more() then
          row[#row + 1] = tconcat(field)
          pos = #buf + 1
          return row
        end
        i = pos
      end
      local b = sbyte(buf, i)
      if b == 34 and #field == 0 then -- opening quote
        local j = i + 1
        local parts = {}
        while true do
          local q = sfind(buf, '"', j, true)
          while not q do
            parts[#parts + 1] = ssub(buf, j)
            pos = #buf + 1
            if not more() then error(sformat("csv: unterminated quoted field starting on line %d of %s", line, where), 0) end
            j = 1
            q = sfind(buf, '"', j, true)
          end
          parts[#parts + 1] = ssub(buf, j, q - 1)
          if q + 1 > #buf then pos = q + 1; more(); q = pos - 1 end
          if sbyte(buf, q + 1) == 34 then
            parts[#parts + 1] = '"'
            j = q + 2
          else
            i = q + 1
            break
          end
        end
        local text = tconcat(parts)
        local _, nl = sgsub(text, "\n", "")
        line = line + nl
        field[#field + 1] = text
        if i <= #buf then
          local c = sbyte(buf, i)
          if c ~= 44 and c ~= 13 and c ~= 10 then
            error(sformat("csv: unexpected character after a closing quote on line %d of %s", line, where), 0)
          end
        end
      elseif b == 44 then -- comma
        row[#row + 1] = tconcat(field); field = {}
        i = i + 1
      elseif b == 13 or b == 10 then
        row[#row + 1] = tconcat(field)
        if b == 13 then
          if i + 1 > #buf then pos = i + 1; more(); i = pos - 1 end
          if sbyte(buf, i + 1) == 10 then i = i + 1 end
        end
        pos = i + 1
        line = line + 1
        return row
      else
        local s = sfind(buf, '[,\r\n"]', i)
        if not s then
          field[#field + 1] = ssub(buf, i)
          i = #buf + 1
        elseif sbyte(buf, s) == 34 then
          error(sformat("csv: a quote inside an unquoted field on line %d of %s (quote the whole field)", line, where), 0)
        else
          field[#field + 1] = ssub(buf, i, s - 1)
          i = s
        end
      end
    end
  end
end

--- Iterates over the rows of a CSV file: for row in csv.rows("in.csv") do ... end.
--- With `{header = true}` each row is a map keyed by the first row's names.
function M.rows(path, opts)
  if type(path) ~= "string" then error("csv.rows: expected a file path", 2) end
  local f, err = io_open(path, "rb")
  if not f then error("csv.rows: cannot read " .. path .. ": " .. tostring(err), 2) end
  local it = rows_from(function()
    local c = f:read(65536)
    if not c then f:close() end
    return c
  end, path)
  if opts and opts.header then
    local names = it()
    return function()
      local r = it()
      if not r then return nil end
      local m = {}
      for i, n in ipairs(names or {}) do m[n] = r[i] end
      return m
    end
  end
  return it
end

--- Parses CSV text into an array of rows (arrays of strings).
function M.parse(text)
  if type(text) ~= "string" then error("csv.parse: expected a string", 2) end
  local given = false
  local it = rows_from(function() if given then return nil end given = true return text end, "text")
  local out = {}
  if text == "" then return out end
  for r in it do out[#out + 1] = r end
  -- a trailing line ending does not make an extra empty row
  return out
end

return M
