-- Specs for stdlib/output.lua: rows under declared columns as a table, JSON, CSV and TSV; display
-- width; amounts shown with their currency's minor units in tables and exact elsewhere.
local output = require "output"
local money = require "money"
local json = require "json"

local COLUMNS = {
  { "Customer", "customer" }, { "Qty", "quantity" }, { "Total", "total", money = "currency" },
  { "Currency", "currency", table = false },
}
local ROWS = {
  { customer = "Contoso", quantity = 2, total = "1234.5", currency = "USD" },
  { customer = "株式会社", quantity = 10, total = 98765, currency = "JPY" },
  { customer = "Socie\u{301}te\u{301} Ge\u{301}ne\u{301}rale", quantity = 1, total = money.new("12.345", "KWD"), currency = "KWD" },
}

describe("output.width", function()
  it("counts wide characters 2, combining marks 0, ASCII 1", function()
    expect(output.width("Contoso")).to_be(7)
    expect(output.width("株式会社")).to_be(8)
    expect(output.width("Socie\u{301}te\u{301}")).to_be(7)
    expect(output.width("Société")).to_be(7)
    expect(output.width("👍 ok")).to_be(5)
    expect(output.width("")).to_be(0)
  end)
end)

describe("output.render", function()
  it("aligns a table by display width, right-aligns numbers and amounts, shows amounts with their minor units", function()
    expect(output.render(ROWS, COLUMNS, "table")).to_be(table.concat({
      "Customer          Qty         Total",
      "----------------  ---  ------------",
      "Contoso             2  1,234.50 USD",
      "株式会社           10    98,765 JPY",
      "Socie\u{301}te\u{301} Ge\u{301}ne\u{301}rale    1    12.345 KWD",
    }, "\n"))
  end)

  it("writes CSV with a header of keys, exact amounts, RFC 4180 quoting and CRLF", function()
    local rows = { { customer = "Fabrikam, Inc.", quantity = 1, total = 0.1, currency = "USD" },
                   { customer = 'say "hi"\nthere', quantity = 1.5, total = "7", currency = "EUR" } }
    expect(output.render(rows, COLUMNS, "csv")).to_be(
      "customer,quantity,total,currency\r\n" ..
      "\"Fabrikam, Inc.\",1,0.10,USD\r\n" ..
      "\"say \"\"hi\"\"\nthere\",1.5,7.00,EUR\r\n")
  end)

  it("writes TSV with tabs, newlines and backslashes escaped", function()
    local rows = { { customer = "a\tb\\c\nd", quantity = 3, total = "2.5", currency = "KWD" } }
    expect(output.render(rows, COLUMNS, "tsv")).to_be("customer\tquantity\ttotal\tcurrency\na\\tb\\\\c\\nd\t3\t2.500\tKWD\n")
  end)

  it("writes JSON objects keyed by the columns, amounts as exact text, missing values as null", function()
    local text = output.render({ { customer = "c1", total = money.new("2.5", "USD") } }, COLUMNS, "json")
    local decoded = json.decode(text)
    expect(#decoded).to_be(1)
    expect(decoded[1].customer).to_be("c1")
    expect(decoded[1].total).to_be("2.50")
    expect(decoded[1].quantity).to_be(json.null)
  end)

  it("shows an amount's every digit in a table with exact = true", function()
    local text = output.render({ { t = "0.125" } }, { { "T", "t", currency = "USD", exact = true } }, "table")
    expect(text).to_be("        T\n---------\n0.125 USD")
  end)

  it("escapes control characters in a table cell so they cannot break the alignment", function()
    expect(output.render({ { a = "x\ty\27" } }, { "a" }, "table")).to_be("a\n----------\nx\\ty\\u{1b}")
  end)

  it("refuses a bad format and bad columns, naming them", function()
    expect(function() output.render({}, COLUMNS, "xml") end).to_fail('format must be "table", "json", "csv" or "tsv", got xml')
    expect(function() output.render({}, { { 1, 2 } }, "csv") end).to_fail("column 1 must be")
  end)
end)

describe("output.rows_of and output.plain", function()
  it("reads a list of records, one record, or a scalar as rows", function()
    local rows, columns = output.rows_of({ { b = 1, a = 2 }, { c = 3 } })
    expect(#rows).to_be(2)
    expect(table.concat(columns, ",")).to_be("a,b,c")
    rows, columns = output.rows_of({ id = "x" })
    expect(rows[1].id).to_be("x")
    expect(table.concat(columns, ",")).to_be("id")
    rows, columns = output.rows_of(42)
    expect(rows[1].value).to_be(42)
    expect(columns[1]).to_be("value")
  end)

  it("turns amounts into exact text without changing the value it copies", function()
    local m = money.new("3", "JPY")
    local value = { total = m, nested = { m }, name = "n" }
    local p = output.plain(value)
    expect(p.total).to_be("3")
    expect(p.nested[1]).to_be("3")
    expect(p.name).to_be("n")
    expect(money.is_money(value.total)).to_be(true)
    local untouched = { a = 1 }
    expect(output.plain(untouched) == untouched).to_be(true)
  end)
end)
