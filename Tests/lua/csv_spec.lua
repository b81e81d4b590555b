-- Specs for stdlib/csv.lua: RFC 4180 reading and writing, streamed, with an atomic writer.
-- Run with `pcx test --allow-write DIR Tests/lua/csv_spec.lua` with PCX_TEST_TMP=DIR; files are written only there.
local csv = require "csv"
local money = require "money"
local date = require "date"

local CHUNK = 65536 -- the reader's read size

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function write_file(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

local function collect(path, opts)
  local out = {}
  for row in csv.rows(path, opts) do out[#out + 1] = row end
  return out
end

-- A fresh temporary path and a function that removes it. Paths are also removed at the end of the
-- file, so a failing spec (which never reaches its cleanup) leaves nothing behind.
-- Under `pcx test` files may only be written below PCX_TEST_TMP (passed with --allow-write).
local created = {}
local tmpdir = os.getenv("PCX_TEST_TMP") or "/tmp"
local counter = 0
local function temp()
  counter = counter + 1
  local path = string.format("%s/csv_spec_%d_%d.csv", tmpdir, os.time(), counter)
  created[#created + 1] = path
  return path, function() os.remove(path) end
end

describe("csv.parse", function()
  it("splits CRLF-terminated records into fields", function()
    expect(csv.parse("a,b,c\r\n1,2,3\r\n")).to_equal({ { "a", "b", "c" }, { "1", "2", "3" } })
  end)

  it("accepts LF and CR line endings and a last line without a line ending", function()
    expect(csv.parse("a,b\n1,2")).to_equal({ { "a", "b" }, { "1", "2" } })
    expect(csv.parse("a,b\r1,2\r")).to_equal({ { "a", "b" }, { "1", "2" } })
  end)

  it("a trailing line ending does not add an empty row", function()
    expect(#csv.parse("a\r\nb\r\n")).to_be(2)
    expect(#csv.parse("")).to_be(0)
  end)

  it("keeps empty fields, including a trailing one", function()
    expect(csv.parse(",,\r\na,\r\n")).to_equal({ { "", "", "" }, { "a", "" } })
  end)

  it("reads quoted fields holding commas, doubled quotes and line breaks", function()
    local rows = csv.parse('"a,b","say ""hi""","two\r\nlines","x\ny",""\r\nnext\r\n')
    expect(rows).to_equal({ { "a,b", 'say "hi"', "two\r\nlines", "x\ny", "" }, { "next" } })
  end)

  it("keeps spaces inside and around unquoted fields", function()
    expect(csv.parse(" a , b \r\n")).to_equal({ { " a ", " b " } })
  end)

  it("reports an unterminated quoted field with the line it starts on", function()
    expect(function() return csv.parse('a,b\r\nc,"open\r\nmore') end)
      .to_fail("unterminated quoted field starting on line 2")
    expect(function() return csv.parse('"x\r\ny",1\r\n"z\r\n') end)
      .to_fail("unterminated quoted field starting on line 3")
  end)

  it("refuses a quote inside an unquoted field", function()
    expect(function() return csv.parse('ab"c",d\r\n') end).to_fail("quote inside an unquoted field on line 1")
  end)

  it("refuses text after a closing quote", function()
    expect(function() return csv.parse('a\r\n"abc"x,d\r\n') end).to_fail("after a closing quote on line 2")
  end)

  it("refuses values that are not text", function()
    expect(function() return csv.parse(nil) end).to_fail("expected a string")
  end)
end)

describe("csv.encode_row", function()
  it("quotes fields with commas, quotes, CR, LF or edge spaces, and doubles quotes", function()
    expect(csv.encode_row({ "a,b", 'say "hi"', "l1\nl2", "l1\rl2", " lead", "trail ", "plain", "" }))
      .to_be('"a,b","say ""hi""","l1\nl2","l1\rl2"," lead","trail ",plain,')
  end)

  it("writes numbers, booleans, money and dates as text", function()
    expect(csv.encode_row({ 42, 0.1, 16.5, true, false })).to_be("42,0.1,16.5,true,false")
    expect(csv.encode_row({ money.new("16.50", "USD"), date.utc(2024, 5, 1) }))
      .to_be("16.50,2024-05-01T00:00:00Z")
  end)

  it("refuses values it cannot write", function()
    expect(function() return csv.encode_row({ {} }) end).to_fail("cannot write a table")
    expect(function() return csv.encode_row({ print }) end).to_fail("cannot write a function")
    expect(function() return csv.encode_row("a,b") end).to_fail("expected an array of fields")
  end)

  it("round-trips awkward fields through parse", function()
    local row = { 'q"uote', "comma,", "cr\r\nlf", " ", "", "x" }
    expect(csv.parse(csv.encode_row(row) .. "\r\n")[1]).to_equal(row)
  end)
end)

describe("csv.rows", function()
  it("streams the rows of a file", function()
    local path, cleanup = temp()
    write_file(path, 'id,name\r\n1,"Contoso, Ltd"\r\n2,"Fabrikam\r\nEurope"\r\n')
    expect(collect(path)).to_equal({ { "id", "name" }, { "1", "Contoso, Ltd" }, { "2", "Fabrikam\r\nEurope" } })
    cleanup()
  end)

  it("with header = true yields maps keyed by the first row's names", function()
    local path, cleanup = temp()
    write_file(path, "customer,total\r\nc1,10.50\r\nc2,\r\n")
    expect(collect(path, { header = true })).to_equal({
      { customer = "c1", total = "10.50" }, { customer = "c2", total = "" } })
    cleanup()
  end)

  it("a UTF-8 byte order mark does not become part of the first header name", function()
    local path, cleanup = temp()
    write_file(path, "\239\187\191customer,total\r\nc1,1\r\n")
    expect(collect(path, { header = true })).to_equal({ { customer = "c1", total = "1" } })
    expect(#csv.parse("\239\187\191")).to_be(0)
    cleanup()
  end)

  it("with header = true over an empty file yields nothing", function()
    local path, cleanup = temp()
    write_file(path, "")
    expect(#collect(path, { header = true })).to_be(0)
    cleanup()
  end)

  it("gives the same rows whatever byte a 64 KiB chunk boundary falls on", function()
    local tail = 'p,"x""y",z\r\n"multi\r\nline",""\r\nq,"a,b"\r\nend,"q"'
    local expected_tail = { { "p", 'x"y', "z" }, { "multi\r\nline", "" }, { "q", "a,b" }, { "end", "q" } }
    local path, cleanup = temp()
    for k = 0, #tail + 1 do
      local filler = string.rep("f", CHUNK - k - 2) .. "\r\n" -- the boundary falls k bytes into the tail
      write_file(path, filler .. tail)
      local rows = collect(path)
      expect(#rows).to_be(1 + #expected_tail)
      expect(#rows[1][1]).to_be(CHUNK - k - 2)
      for i, want in ipairs(expected_tail) do expect(rows[i + 1]).to_equal(want) end
    end
    cleanup()
  end)

  it("reads a CR LF pair split across a chunk boundary as one line ending", function()
    local path, cleanup = temp()
    write_file(path, string.rep("a", CHUNK - 1) .. "\r\nb\r\n") -- CR is the chunk's last byte
    local rows = collect(path)
    expect(#rows).to_be(2)
    expect(rows[2]).to_equal({ "b" })
    cleanup()
  end)

  it("reads a quoted field longer than several chunks, with doubled quotes in it", function()
    local path, cleanup = temp()
    local body = string.rep('ab""cd\r\n', 30000) -- about 240 KB on disk
    write_file(path, 'x,"' .. body .. '",y\r\nlast\r\n')
    local rows = collect(path)
    expect(#rows).to_be(2)
    expect(rows[1][2]).to_be((body:gsub('""', '"')))
    expect(rows[1][3]).to_be("y")
    expect(rows[2]).to_equal({ "last" })
    cleanup()
  end)

  it("refuses text after a closing quote even across a chunk boundary", function()
    local path, cleanup = temp()
    write_file(path, string.rep("f", CHUNK - 6) .. '\r\n"ab"x\r\n') -- the closing quote ends the chunk
    expect(function() return collect(path) end).to_fail("after a closing quote on line 2")
    cleanup()
  end)

  it("reports an unterminated quote with its line number after many chunks", function()
    local path, cleanup = temp()
    local lines = {}
    for i = 1, 20000 do lines[i] = "row" .. i .. ",value" end
    write_file(path, table.concat(lines, "\r\n") .. '\r\nbad,"never closed\r\nstill open\r\n')
    expect(function() return collect(path) end).to_fail("unterminated quoted field starting on line 20001 of ")
    cleanup()
  end)

  it("refuses a missing file and a non-string path", function()
    expect(function() return csv.rows("/nonexistent/dir/x.csv") end).to_fail("cannot read")
    expect(function() return csv.rows(nil) end).to_fail("expected a file path")
  end)
end)

describe("csv.writer", function()
  it("writes CRLF lines with a header and reads back the same rows", function()
    local path, cleanup = temp()
    local w = csv.writer(path, { header = { "customer", "note" } })
    w:write({ "c1", "plain" }):write({ "c2", 'with "quotes", commas\nand a newline' })
    expect(w:close()).to_be(2)
    expect(read_file(path)).to_be('customer,note\r\nc1,plain\r\nc2,"with ""quotes"", commas\nand a newline"\r\n')
    expect(collect(path)).to_equal({ { "customer", "note" }, { "c1", "plain" }, { "c2", 'with "quotes", commas\nand a newline' } })
    cleanup()
  end)

  it("writes LF lines when eol is '\\n'", function()
    local path, cleanup = temp()
    local w = csv.writer(path, { eol = "\n" })
    w:write({ 1, 2 })
    w:close()
    expect(read_file(path)).to_be("1,2\n")
    cleanup()
  end)

  it("writes map rows in header order with empty fields for missing columns", function()
    local path, cleanup = temp()
    local w = csv.writer(path, { header = { "a", "b", "c" } })
    w:write({ a = 1, c = 3 })
    w:write({ c = "z" })
    w:close()
    expect(read_file(path)).to_be("a,b,c\r\n1,,3\r\n,,z\r\n")
    cleanup()
  end)

  it("writes array rows with holes under a header: every header column, nil fields empty", function()
    local path, cleanup = temp()
    local w = csv.writer(path, { header = { "a", "b", "c", "d" } })
    w:write({ 1, nil, " x", nil })
    w:write({ nil, nil, nil, "last" })
    w:close()
    expect(read_file(path)).to_be('a,b,c,d\r\n1,," x",\r\n,,,last\r\n')
    cleanup()
  end)

  it("refuses a map row with a column that is not in the header", function()
    local path, cleanup = temp()
    local w = csv.writer(path, { header = { "customer", "total" } })
    expect(function() w:write({ customer = "c1", totl = 5 }) end).to_fail("column 'totl' that is not in the header")
    w:abort()
    cleanup()
  end)

  it("refuses a map row when there is no header instead of writing an empty line", function()
    local path, cleanup = temp()
    local w = csv.writer(path)
    expect(function() w:write({ customer = "c1" }) end).to_fail("needs a header")
    expect(w.rows).to_be(0)
    w:abort()
    cleanup()
  end)

  it("leaves the target untouched until close, then replaces it", function()
    local path, cleanup = temp()
    write_file(path, "old contents\n")
    local w = csv.writer(path)
    w:write({ "new", "row" })
    expect(read_file(path)).to_be("old contents\n")
    expect(exists(w.tmp)).to_be(true)
    w:close()
    expect(read_file(path)).to_be("new,row\r\n")
    expect(exists(w.tmp)).to_be(false)
    cleanup()
  end)

  it("writes its temporary file beside the target", function()
    local path, cleanup = temp()
    local w = csv.writer(path)
    expect(w.tmp:sub(1, #path)).to_be(path)
    w:abort()
    cleanup()
  end)

  it("abort removes the temporary file and leaves the target as it was", function()
    local path, cleanup = temp()
    write_file(path, "keep me\n")
    local w = csv.writer(path)
    w:write({ "discarded" })
    w:abort()
    expect(exists(w.tmp)).to_be(false)
    expect(read_file(path)).to_be("keep me\n")
    cleanup()
  end)

  it("abort of a new file creates nothing", function()
    local path, cleanup = temp()
    os.remove(path)
    local w = csv.writer(path)
    w:write({ "x" })
    w:abort()
    expect(exists(path)).to_be(false)
    expect(exists(w.tmp)).to_be(false)
    cleanup()
  end)

  it("a to-be-closed writer is aborted when the block raises and published when it ends", function()
    local path, cleanup = temp()
    write_file(path, "before\n")
    local tmp
    local ok = pcall(function()
      local w <close> = csv.writer(path)
      tmp = w.tmp
      w:write({ "half" })
      error("script failed")
    end)
    expect(ok).to_be(false)
    expect(exists(tmp)).to_be(false)
    expect(read_file(path)).to_be("before\n")
    do
      local w <close> = csv.writer(path)
      w:write({ "done" })
    end
    expect(read_file(path)).to_be("done\r\n")
    cleanup()
  end)

  it("refuses writes after close and close is idempotent", function()
    local path, cleanup = temp()
    local w = csv.writer(path)
    w:write({ 1 })
    expect(w:close()).to_be(1)
    expect(w:close()).to_be(1)
    expect(function() w:write({ 2 }) end).to_fail("write after close")
    cleanup()
  end)

  it("refuses rows that are not tables, bad headers and bad paths", function()
    local path, cleanup = temp()
    local w = csv.writer(path)
    expect(function() w:write("a,b") end).to_fail("a row must be a table")
    w:abort()
    expect(function() return csv.writer(path, { header = "a,b" }) end).to_fail("header must be an array")
    expect(function() return csv.writer("") end).to_fail("expected a file path")
    expect(function() return csv.writer("/nonexistent/dir/out.csv") end).to_fail("cannot write")
    cleanup()
  end)
end)

for _, path in ipairs(created) do os.remove(path) end
