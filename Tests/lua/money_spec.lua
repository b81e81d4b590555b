-- Specs for stdlib/money.lua: exact decimal amounts with a currency.
-- Run with `pcx test Tests/lua/money_spec.lua`.
local money = require "money"

local function usd(x) return money.new(x, "USD") end

describe("money exactness", function()
  it("0.1 + 0.2 is exactly 0.3 when the amounts come from floats", function()
    local sum = usd(0.1) + usd(0.2)
    expect(sum:amount()).to_be("0.3")
    expect(sum == usd("0.3")).to_be(true)
  end)

  it("0.1 + 0.2 is exactly 0.3 when the amounts come from decimal text", function()
    expect(tostring(usd("0.1") + usd("0.2"))).to_be("0.3 USD")
  end)

  it("summing 100000 amounts of 0.01 gives exactly 1000.00", function()
    local total = money.zero("USD")
    local cent = usd(0.01)
    for _ = 1, 100000 do total = total + cent end
    expect(total:amount()).to_be("1000.00")
    expect(total == usd("1000")).to_be(true)
  end)

  it("money.sum over 100000 line items of 0.01 equals 1000.00 exactly", function()
    local items = {}
    for i = 1, 100000 do items[i] = usd(0.01) end
    expect(money.sum(items):amount(2)).to_be("1000.00")
  end)

  it("a float with 15 significant digits is recovered digit for digit", function()
    expect(usd(1234567890.12345):amount()).to_be("1234567890.12345")
    expect(usd(0.123456789012345):amount()).to_be("0.123456789012345")
    expect(usd(999999999999999):amount()).to_be("999999999999999")
  end)

  it("a float that needs 16 or 17 significant digits keeps its shortest round-trip text", function()
    expect(money.shortest_decimal(0.1 + 0.2)).to_be("0.30000000000000004")
    expect(usd(0.1 + 0.2):amount()).to_be("0.30000000000000004")
    expect(usd(1234567890123.4567):amount()).to_be(money.shortest_decimal(1234567890123.4567))
    expect(tonumber(money.shortest_decimal(2 ^ 53 + 0.0))).to_be(2 ^ 53)
  end)

  it("shortest_decimal always reads back as the same double", function()
    for _, x in ipairs({ 0.1, 1 / 3, 2 / 3, 16.5, 1e-7, 123.456, 9007199254740993.0, 5e-324 }) do
      expect(tonumber(money.shortest_decimal(x))).to_be(x)
    end
  end)

  it("integers, decimal text and floats of the same value are equal", function()
    expect(usd(16) == usd("16.00")).to_be(true)
    expect(usd(16.5) == usd("16.50")).to_be(true)
    expect(usd("1e2") == usd(100)).to_be(true)
    expect(usd("1.5E-1") == usd("0.15")).to_be(true)
  end)

  it("trailing zeros of decimal text are kept as the amount's scale", function()
    expect(usd("16.50"):amount()).to_be("16.50")
    expect(usd("16.5"):amount()).to_be("16.5")
    expect(usd("-0.0001"):amount()).to_be("-0.0001")
  end)
end)

describe("money arithmetic", function()
  it("subtraction aligns scales exactly", function()
    expect((usd("10") - usd("0.01")):amount()).to_be("9.99")
    expect((usd("0.01") - usd("10")):amount()).to_be("-9.99")
  end)

  it("multiplication by a quantity or a decimal factor is exact", function()
    expect((usd("16.50") * 3):amount()).to_be("49.50")
    expect((3 * usd("16.50")):amount()).to_be("49.50")
    expect((usd("100") * "0.075"):amount()).to_be("7.500")
    expect((usd("19.99") * 0.1):amount()).to_be("1.999")
  end)

  it("multiplying two money amounts is an error", function()
    expect(function() return usd(1) * usd(2) end).to_fail("cannot multiply two money amounts")
  end)

  it("the / operator is refused so that the rounding of a division is explicit", function()
    expect(function() return usd(1) / 3 end).to_fail("m:div")
  end)

  it("unary minus and abs flip and drop the sign", function()
    expect((-usd("1.25")):amount()).to_be("-1.25")
    expect(usd("-1.25"):abs():amount()).to_be("1.25")
    expect(usd("-1.25"):is_negative()).to_be(true)
    expect(money.zero("USD"):is_zero()).to_be(true)
  end)

  it("mixing currencies in addition, subtraction or comparison is an error", function()
    local eur = money.new("1", "EUR")
    expect(function() return usd(1) + eur end).to_fail("cannot add USD and EUR")
    expect(function() return usd(1) - eur end).to_fail("cannot subtract USD and EUR")
    expect(function() return usd(1) < eur end).to_fail("cannot compare USD and EUR")
  end)

  it("adding a plain number to money is an error that says to wrap it", function()
    expect(function() return usd(1) + 1 end).to_fail("money.new")
  end)

  it("amounts in different currencies are never equal", function()
    expect(usd(1) == money.new(1, "EUR")).to_be(false)
  end)

  it("the fast paths for floats and running totals agree with the general ones", function()
    local fast, general = money.zero("USD"), money.zero("USD")
    for i = 1, 2000 do
      local x = ((i * 7919) % 100000) / 100
      fast = fast + money.new(x, "usd")
      general = general + money.parse(string.format("%.2f USD", x))
    end
    expect(fast:amount()).to_be(general:amount())
    expect(fast == general).to_be(true)
    expect((money.new(1.5, "USD") + money.new(2, "USD")):amount()).to_be("3.5")
    expect((money.new(0.1, "USD") + money.new(0.2, "USD")):amount()).to_be("0.3")
    expect(function() return money.new(1.5, "USD") + money.new(1.5, "EUR") end).to_fail("USD and EUR")
    expect(function() return money.new(1.5, "USD") + 1 end).to_fail("cannot add")
  end)

  it("addition beyond 64-bit coefficients raises an overflow error", function()
    local big = usd("900000000000000000") * 10 -- 9e18, just under 2^63
    expect(big:amount()).to_be("9000000000000000000")
    expect(function() return big + big end).to_fail("overflow")
    expect(function() return -big - big end).to_fail("overflow")
  end)

  it("multiplication beyond 64-bit coefficients raises an overflow error", function()
    expect(function() return usd("900000000000000000") * 100 end).to_fail("overflow")
  end)

  it("aligning scales beyond 64 bits raises an overflow error", function()
    expect(function() return usd("900000000000000000") + usd("0.01") end).to_fail("overflow")
  end)

  it("negating the most negative coefficient raises an overflow error", function()
    local min = usd(math.mininteger)
    expect(function() return -min end).to_fail("overflow")
    expect(function() return min:abs() end).to_fail("overflow")
    expect(function() return money.zero("USD") - min end).to_fail("overflow")
  end)

  it("products beyond 18 decimal places truncate toward zero for both signs", function()
    local tiny = usd("0.000000000000000001")
    expect((tiny * "0.5"):is_zero()).to_be(true)
    expect((-tiny * "0.5"):is_zero()).to_be(true)
  end)
end)

describe("money rounding", function()
  it("round defaults to 2 places half-up (away from zero)", function()
    expect(usd("2.345"):round():amount()).to_be("2.35")
    expect(usd("-2.345"):round():amount()).to_be("-2.35")
    expect(usd("2.344"):round():amount()).to_be("2.34")
  end)

  it("half_even rounds exact halves to the even neighbour", function()
    expect(usd("2.345"):round(2, "half_even"):amount()).to_be("2.34")
    expect(usd("2.355"):round(2, "half_even"):amount()).to_be("2.36")
    expect(usd("-2.345"):round(2, "half_even"):amount()).to_be("-2.34")
    expect(usd("-2.355"):round(2, "half_even"):amount()).to_be("-2.36")
    expect(usd("0.5"):round(0, "half_even"):amount()).to_be("0")
    expect(usd("1.5"):round(0, "half_even"):amount()).to_be("2")
    expect(usd("2.3451"):round(2, "half_even"):amount()).to_be("2.35")
  end)

  it("half_down rounds exact halves toward zero", function()
    expect(usd("2.345"):round(2, "half_down"):amount()).to_be("2.34")
    expect(usd("-2.345"):round(2, "half_down"):amount()).to_be("-2.34")
    expect(usd("2.3451"):round(2, "half_down"):amount()).to_be("2.35")
  end)

  it("up and down round away from and toward zero for both signs", function()
    expect(usd("2.341"):round(2, "up"):amount()).to_be("2.35")
    expect(usd("-2.341"):round(2, "up"):amount()).to_be("-2.35")
    expect(usd("2.349"):round(2, "down"):amount()).to_be("2.34")
    expect(usd("-2.349"):round(2, "down"):amount()).to_be("-2.34")
  end)

  it("floor and ceiling round toward -inf and +inf", function()
    expect(usd("2.349"):round(2, "floor"):amount()).to_be("2.34")
    expect(usd("-2.341"):round(2, "floor"):amount()).to_be("-2.35")
    expect(usd("2.341"):round(2, "ceiling"):amount()).to_be("2.35")
    expect(usd("-2.349"):round(2, "ceiling"):amount()).to_be("-2.34")
  end)

  it("rounding to more places pads with zeros", function()
    expect(usd("1.5"):round(4):amount()).to_be("1.5000")
  end)

  it("an unknown rounding mode is an error even when no rounding is needed", function()
    expect(function() return usd("2.345"):round(2, "bankers") end).to_fail("unknown rounding mode")
    expect(function() return usd("2.34"):round(2, "bankers") end).to_fail("unknown rounding mode")
    expect(function() return usd("1"):div(3, 2, "nearest") end).to_fail("unknown rounding mode")
  end)

  it("places must be an integer from 0 to 18", function()
    expect(function() return usd(1):round(-1) end).to_fail("places")
    expect(function() return usd(1):round(19) end).to_fail("places")
    expect(function() return usd(1):round(1.5) end).to_fail("places")
    expect(function() return usd(1):div(3, -1) end).to_fail("places")
  end)
end)

describe("money division", function()
  it("div rounds to 2 places half-up by default", function()
    expect(usd("10"):div(3):amount()).to_be("3.33")
    expect(usd("20"):div(3):amount()).to_be("6.67")
    expect(usd("-20"):div(3):amount()).to_be("-6.67")
  end)

  it("div honours places and every rounding mode, negatives included", function()
    expect(usd("1"):div(8, 2, "half_even"):amount()).to_be("0.12")
    expect(usd("3"):div(8, 2, "half_even"):amount()).to_be("0.38")
    expect(usd("-1"):div(8, 2, "half_even"):amount()).to_be("-0.12")
    expect(usd("1"):div(8, 2, "half_down"):amount()).to_be("0.12")
    expect(usd("1"):div(8, 2, "half_up"):amount()).to_be("0.13")
    expect(usd("-1"):div(8, 2, "half_up"):amount()).to_be("-0.13")
    expect(usd("10"):div(3, 2, "up"):amount()).to_be("3.34")
    expect(usd("-10"):div(3, 2, "up"):amount()).to_be("-3.34")
    expect(usd("-10"):div(3, 2, "down"):amount()).to_be("-3.33")
    expect(usd("-10"):div(3, 2, "floor"):amount()).to_be("-3.34")
    expect(usd("-10"):div(3, 2, "ceiling"):amount()).to_be("-3.33")
    expect(usd("10"):div(-3, 2, "floor"):amount()).to_be("-3.34")
    expect(usd("100"):div(7, 4):amount()).to_be("14.2857")
  end)

  it("div by a decimal divisor is exact", function()
    expect(usd("1"):div("0.25"):amount()).to_be("4.00")
    expect(usd("0.3"):div(0.1, 0):amount()).to_be("3")
  end)

  it("division by zero is an error", function()
    expect(function() return usd(1):div(0) end).to_fail("division by zero")
    expect(function() return usd(1):div("0.00") end).to_fail("division by zero")
  end)

  it("a division whose scaling does not fit in 64 bits raises an overflow error", function()
    expect(function() return usd("1"):div("0.000001", 18) end).to_fail("overflow")
  end)
end)

describe("money parsing", function()
  it("parse reads '16.50 USD' and 'USD 16.50' alike and upper-cases the currency", function()
    expect(money.parse("16.50 USD") == money.parse("USD 16.50")).to_be(true)
    expect(tostring(money.parse(" 16.50 usd "))).to_be("16.50 USD")
  end)

  it("parse refuses text without an amount and a currency", function()
    expect(function() return money.parse("16.50") end).to_fail("not of the form")
    expect(function() return money.parse("16.50 US Dollars") end).to_fail("not of the form")
    expect(function() return money.parse(16.5) end).to_fail("expected a string")
  end)

  it("new refuses text that is not a plain decimal number", function()
    for _, bad in ipairs({ "1,234.50", "abc", "", ".", "1.2.3", "$5", "1e", "--1", "0x10" }) do
      expect(function() return usd(bad) end).to_fail("not a decimal number")
    end
  end)

  it("new refuses NaN and infinities", function()
    expect(function() return usd(0 / 0) end).to_fail("not a finite amount")
    expect(function() return usd(math.huge) end).to_fail("not a finite amount")
    expect(function() return usd(-math.huge) end).to_fail("not a finite amount")
  end)

  it("new refuses more than 18 significant digits or 18 places", function()
    expect(function() return usd("1234567890123456789") end).to_fail("more digits")
    expect(function() return usd("0.0000000000000000001") end).to_fail("more digits")
    expect(function() return usd("1e19") end).to_fail("more digits")
  end)

  it("new accepts 18 digits and drops surplus trailing zeros after the point", function()
    expect(usd("123456789012345678"):amount()).to_be("123456789012345678")
    expect(usd("1.00000000000000000000"):amount()).to_be("1.00000000000000000")
    expect(usd("1.00000000000000000000") == usd(1)).to_be(true)
  end)

  it("the currency must be a 3-letter code", function()
    expect(function() return money.new(1, "US") end).to_fail("3%-letter")
    expect(function() return money.new(1) end).to_fail("3%-letter")
    expect(function() return money.zero("dollars") end).to_fail("3%-letter")
    expect(money.new(1, "eur").currency).to_be("EUR")
    -- checked codes are remembered: the same answers the second time, bad codes still refused
    expect(money.new(2, "eur").currency).to_be("EUR")
    expect(function() return money.new(1, "eur ") end).to_fail("3%-letter")
    expect(function() return money.new(1, "US") end).to_fail("3%-letter")
  end)

  it("new refuses values that are not numbers, text or money", function()
    expect(function() return usd(true) end).to_fail("expected a number or decimal string")
    expect(function() return usd({}) end).to_fail("expected a number or decimal string")
  end)

  it("of passes money through, converts other values and checks the currency", function()
    local m = usd("5")
    expect(rawequal(money.of(m), m)).to_be(true)
    expect(money.of("5", "USD") == m).to_be(true)
    expect(function() return money.of(m, "EUR") end).to_fail("expected EUR")
  end)

  it("is_money tells money amounts from other values", function()
    expect(money.is_money(usd(1))).to_be(true)
    expect(money.is_money({ coef = 1, scale = 0, currency = "USD" })).to_be(false)
    expect(money.is_money(1)).to_be(false)
  end)
end)

describe("money comparison", function()
  it("compares amounts of different scales by value", function()
    expect(usd("1.5") < usd("1.51")).to_be(true)
    expect(usd("1.50") <= usd("1.5")).to_be(true)
    expect(usd("-1") < usd("0")).to_be(true)
    expect(usd("2"):cmp(usd("1.99"))).to_be(1)
    expect(usd("1.99"):cmp(usd("2"))).to_be(-1)
    expect(usd("2.0"):cmp(usd("2"))).to_be(0)
  end)
end)

describe("money formatting", function()
  it("amount prints the exact decimal text, padding small values with zeros", function()
    expect(usd("0.05"):amount()).to_be("0.05")
    expect(usd("-0.05"):amount()).to_be("-0.05")
    expect(usd("16.5"):amount(2)).to_be("16.50")
    expect(usd("16.555"):amount(2)).to_be("16.56")
    expect(usd(math.mininteger):amount()).to_be("-9223372036854775808")
  end)

  it("format groups thousands and shows the currency's minor units (USD: 2)", function()
    expect(usd("1234567.5"):format()).to_be("1,234,567.50 USD")
    expect(usd("123456"):format()).to_be("123,456.00 USD")
    expect(usd("-1234.5"):format()).to_be("-1,234.50 USD")
    expect(usd("999"):format()).to_be("999.00 USD")
    expect(usd("951.2"):format()).to_be("951.20 USD")
  end)

  it("format shows JPY with 0 decimals, KWD and BHD with 3, an unknown currency with 2", function()
    expect(money.new("1234", "JPY"):format()).to_be("1,234 JPY")
    expect(money.new(1234.0, "jpy"):format()).to_be("1,234 JPY")
    expect(money.new("1234.5", "JPY"):format()).to_be("1,235 JPY")
    expect(money.new("12.345", "KWD"):format()).to_be("12.345 KWD")
    expect(money.new("12.3", "BHD"):format()).to_be("12.300 BHD")
    expect(money.new("1000", "KRW"):format()).to_be("1,000 KRW")
    expect(money.new("1.5", "EUR"):format()).to_be("1.50 EUR")
    expect(money.new("1.5", "XYZ"):format()).to_be("1.50 XYZ")
  end)

  it("format rounds for display only: the amount keeps every digit", function()
    local m = usd("0.125")
    expect(m:format()).to_be("0.13 USD")
    expect(m:amount()).to_be("0.125")
    expect(m:exact()).to_be("0.125")
    expect(m == usd("0.125")).to_be(true)
    expect(m:format { exact = true }).to_be("0.125 USD")
    expect(usd("1234.5"):format { exact = true }).to_be("1,234.50 USD")
    expect(usd("1234.5"):format { code = false }).to_be("1,234.50")
  end)

  it("minor_units is ISO 4217's table, 2 for a currency pcx does not list", function()
    local units, listed = money.minor_units("USD")
    expect(units).to_be(2)
    expect(listed).to_be(true)
    expect((money.minor_units("jpy"))).to_be(0)
    expect((money.minor_units("KWD"))).to_be(3)
    expect((money.minor_units("BHD"))).to_be(3)
    expect((money.minor_units("CLF"))).to_be(4)
    units, listed = money.minor_units("XYZ")
    expect(units).to_be(2)
    expect(listed).to_be(false)
  end)

  it("exact pads to the minor units and never rounds", function()
    expect(money.new(951.2, "USD"):exact()).to_be("951.20")
    expect(money.new("1234", "JPY"):exact()).to_be("1234")
    expect(money.new("1234.50", "JPY"):exact()).to_be("1234.50")
    expect(money.new("12.3", "KWD"):exact()).to_be("12.300")
    expect(money.new("-0.5", "USD"):exact()).to_be("-0.50")
  end)

  it("format honours places and the separator", function()
    expect(usd("1234567.555"):format { places = 2 }).to_be("1,234,567.56 USD")
    expect(usd("1234567"):format { sep = "" }).to_be("1234567.00 USD")
    expect(usd("1234567"):format { sep = " ", places = 0 }).to_be("1 234 567 USD")
  end)

  it("tostring is the amount and the currency", function()
    expect(tostring(usd("16.50"))).to_be("16.50 USD")
  end)

  it("to_number gives an approximate float", function()
    expect(usd("16.50"):to_number()).to_be_near(16.5)
  end)
end)

describe("money totals", function()
  it("sum adds a list in one currency", function()
    expect(money.sum({ usd("1.10"), usd("2.20"), usd("3.30") }):amount()).to_be("6.60")
  end)

  it("sum of an empty list needs a currency", function()
    expect(money.sum({}, "USD"):is_zero()).to_be(true)
    expect(function() return money.sum({}) end).to_fail("empty list")
  end)

  it("sum refuses items that are not money and mixed currencies", function()
    expect(function() return money.sum({ usd(1), 2 }) end).to_fail("item 2 is a number")
    expect(function() return money.sum({ usd(1), money.new(1, "EUR") }) end).to_fail("cannot add")
  end)

  it("totals keeps one running total per currency", function()
    local t = money.totals()
    t:add(usd("1.10")):add(money.new("2", "EUR")):add(usd("0.20"))
    expect(t:get("USD"):amount()).to_be("1.30")
    expect(t:get("usd"):amount()).to_be("1.30")
    expect(t:get("EUR"):amount()).to_be("2")
    expect(t:currencies()).to_equal({ "EUR", "USD" })
    local all = t:totals()
    expect(all.USD == usd("1.3")).to_be(true)
  end)

  it("totals gives zero for a currency never added", function()
    expect(money.totals():get("GBP"):is_zero()).to_be(true)
  end)

  it("totals:add refuses values that are not money", function()
    expect(function() money.totals():add(5) end).to_fail("expects a money amount")
  end)
end)

describe("money.new from floats", function()
  it("reads every float the same as its shortest round-trip text (fast path included)", function()
    local seed = 12345
    local function rnd(n) seed = (seed * 1103515245 + 12345) % 2147483648 return seed % n end
    for i = 1, 20000 do
      local v
      local k = i % 4
      if k == 0 then v = (rnd(199999999) - 99999999) / 100
      elseif k == 1 then v = rnd(999999999) / 10000
      elseif k == 2 then v = (rnd(2000000000) - 1000000000) + rnd(1000) / 1000
      else v = rnd(1000000) * 0.01 + rnd(100) * 0.1 end
      local a = money.new(v, "USD")
      local b = money.new(money.shortest_decimal(v), "USD")
      if a ~= b then error(string.format("%.17g: %s vs %s", v, tostring(a), tostring(b))) end
    end
  end)
end)
