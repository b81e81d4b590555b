-- Specs for stdlib/args.lua: declared parameters for scripts and playbooks.
-- Run with `pcx test Tests/lua/args_spec.lua`.
local args = require "args"

-- a fresh declaration each time: args.validate fills in default types in place
local function params()
  return {
    customer     = { type = "string", required = true, help = "customer tenant id" },
    subscription = { type = "string", required = true, help = "Azure subscription id" },
    term         = { type = "string", default = "1Year", choices = { "1Year", "3Year" } },
    quantity     = { type = "integer", default = 1, min = 1, max = 100 },
    ratio        = { type = "number", min = 0, max = 1 },
    budget       = { type = "decimal" },
    dry_run      = { type = "boolean" },
    regions      = { type = "list", choices = { "westeurope", "eastus" } },
    tags         = { type = "list" },
  }
end

local REQUIRED = { "--customer", "c1", "--subscription", "s1" }

local function parse(extra, preset)
  local argv = {}
  for _, a in ipairs(REQUIRED) do argv[#argv + 1] = a end
  for _, a in ipairs(extra or {}) do argv[#argv + 1] = a end
  return args.parse(params(), argv, preset)
end

describe("args.parse values and types", function()
  it("reads '--name value' and '--name=value'", function()
    local o = parse({ "--term", "3Year" })
    expect(o.term).to_be("3Year")
    o = parse({ "--term=3Year" })
    expect(o.term).to_be("3Year")
  end)

  it("'--name=value' keeps '=' signs inside the value", function()
    local o = args.parse({ filter = {} }, { "--filter=a=b" })
    expect(o.filter).to_be("a=b")
  end)

  it("accepts '-' and '_' alike in option names", function()
    expect(parse({ "--dry-run" }).dry_run).to_be(true)
    expect(parse({ "--dry_run" }).dry_run).to_be(true)
  end)

  it("fills in defaults and leaves undeclared optional values nil", function()
    local o = parse()
    expect(o.term).to_be("1Year")
    expect(o.quantity).to_be(1)
    expect(o.dry_run).to_be_nil()
    expect(o.budget).to_be_nil()
  end)

  it("converts integers and refuses fractions and words", function()
    expect(math.type(parse({ "--quantity", "7" }).quantity)).to_be("integer")
    expect(function() parse({ "--quantity", "1.5" }) end).to_fail("%-%-quantity expects a whole number, got '1.5'")
    expect(function() parse({ "--quantity", "seven" }) end).to_fail("expects a whole number")
  end)

  it("converts numbers and refuses text", function()
    expect(parse({ "--ratio", "0.25" }).ratio).to_be(0.25)
    expect(function() parse({ "--ratio", "half" }) end).to_fail("%-%-ratio expects a number")
  end)

  it("integers are an optional sign and decimal digits: hex, exponents, spaces and fractions are refused", function()
    local function esc(text) return (text:gsub("%p", "%%%0")) end
    for _, bad in ipairs({ "0x10", "0X10", "1e2", "1E2", " 16", "16 ", "\t16", "1.0", "16.", "+", "-", "", "--5", "1_000", "٣" }) do
      expect(function() parse({ "--quantity", bad }) end).to_fail("^%-%-quantity expects a whole number, got '" .. esc(bad) .. "'$")
      -- preset text is held to the same rule
      expect(function() parse(nil, { quantity = bad }) end).to_fail("^%-%-quantity expects a whole number, got '" .. esc(bad) .. "'$")
    end
    local spec = function() return { n = { type = "integer" } } end
    for text, want in pairs({ ["16"] = 16, ["+5"] = 5, ["-3"] = -3, ["007"] = 7, ["0"] = 0 }) do
      local v = args.parse(spec(), { "--n", text }).n
      expect(math.type(v)).to_be("integer")
      expect(v).to_be(want)
    end
    expect(args.parse(spec(), { "--n", tostring(math.maxinteger) }).n).to_be(math.maxinteger)
    expect(args.parse(spec(), { "--n", tostring(math.mininteger) }).n).to_be(math.mininteger)
  end)

  it("an integer with too many digits is refused with the range, not turned into a float", function()
    local huge = tostring(math.maxinteger) .. "0"
    local want = "--n expects a whole number from " .. math.mininteger .. " to " .. math.maxinteger .. ", got '" .. huge .. "'"
    expect(function() args.parse({ n = { type = "integer" } }, { "--n", huge }) end).to_fail("^" .. want:gsub("%p", "%%%0") .. "$")
  end)

  it("numbers are decimal text: hex, inf, nan, spaces and overflowing exponents are refused", function()
    local function esc(text) return (text:gsub("%p", "%%%0")) end
    for _, bad in ipairs({ "0x10", "0x1p-2", "inf", "-inf", "nan", "-nan", " 0.5", "0.5 ", "1e999", "-1e999", "", ".", "e5", "1e", "0.5.1" }) do
      expect(function() parse({ "--ratio", bad }) end).to_fail("^%-%-ratio expects a number, got '" .. esc(bad) .. "'$")
    end
    -- a preset that is a non-finite number is refused as well
    expect(function() parse(nil, { ratio = 0 / 0 }) end).to_fail("^%-%-ratio expects a number")
    expect(function() parse(nil, { ratio = math.huge }) end).to_fail("^%-%-ratio expects a number")
    local spec = function() return { x = { type = "number" } } end
    for text, want in pairs({ ["0.25"] = 0.25, [".5"] = 0.5, ["-.5"] = -0.5, ["+2"] = 2, ["2.5e3"] = 2500.0, ["25E-2"] = 0.25, ["7."] = 7.0 }) do
      expect(args.parse(spec(), { "--x", text }).x).to_be(want)
    end
  end)

  it("keeps decimals as exact text and refuses anything else", function()
    expect(parse({ "--budget", "1500.00" }).budget).to_be("1500.00")
    expect(parse({ "--budget", "-.5" }).budget).to_be("-.5")
    expect(function() parse({ "--budget", "1,500" }) end).to_fail("expects a decimal amount")
    expect(function() parse({ "--budget", "1e3" }) end).to_fail("expects a decimal amount")
  end)

  it("splits lists on commas, trimming spaces and dropping empty items", function()
    expect(parse({ "--tags", " a, b ,,c " }).tags).to_equal({ "a", "b", "c" })
  end)

  it("collects positional arguments and everything after '--'", function()
    local o, pos = args.parse(params(), { "first", "--customer", "c1", "second", "--subscription", "s1", "--", "--term", "x" })
    expect(o.customer).to_be("c1")
    expect(o.term).to_be("1Year")
    expect(pos).to_equal({ "first", "second", "--term", "x" })
  end)

  it("refuses arguments that are not strings", function()
    expect(function() args.parse(params(), { "--customer", 5 }) end).to_fail("arguments must be strings")
  end)
end)

describe("args.parse booleans", function()
  it("a bare --flag is true and --no-flag is false", function()
    expect(parse({ "--dry-run" }).dry_run).to_be(true)
    expect(parse({ "--no-dry-run" }).dry_run).to_be(false)
  end)

  it("--flag=value accepts true/false, yes/no, on/off and 1/0 in any case", function()
    for _, t in ipairs({ "true", "YES", "on", "1" }) do expect(parse({ "--dry-run=" .. t }).dry_run).to_be(true) end
    for _, f in ipairs({ "false", "No", "OFF", "0" }) do expect(parse({ "--dry-run=" .. f }).dry_run).to_be(false) end
  end)

  it("--flag=value refuses other words", function()
    expect(function() parse({ "--dry-run=maybe" }) end).to_fail("%-%-dry%-run expects true or false, got 'maybe'")
  end)

  it("--no-flag takes no value", function()
    expect(function() parse({ "--no-dry-run=true" }) end).to_fail("takes no value when negated")
  end)

  it("--no- only negates booleans", function()
    expect(function() parse({ "--no-term" }) end).to_fail("unknown option %-%-no%-term")
  end)

  it("a bare boolean flag does not swallow the next argument", function()
    local o, pos = parse({ "--dry-run", "extra" })
    expect(o.dry_run).to_be(true)
    expect(pos).to_equal({ "extra" })
  end)
end)

describe("args.parse choices and ranges", function()
  it("choices match case-insensitively and come back in the declared spelling", function()
    expect(parse({ "--term", "3year" }).term).to_be("3Year")
    expect(parse({ "--term=1YEAR" }).term).to_be("1Year")
  end)

  it("a value outside the choices is refused with the list of choices", function()
    expect(function() parse({ "--term", "5Year" }) end).to_fail("%-%-term must be one of 1Year, 3Year, got '5Year'")
  end)

  it("every item of a list is checked against the choices and normalised", function()
    expect(parse({ "--regions", "WestEurope,eastus" }).regions).to_equal({ "westeurope", "eastus" })
    expect(function() parse({ "--regions", "westeurope,mars" }) end).to_fail("got 'mars'")
  end)

  it("integers below min or above max are refused", function()
    expect(parse({ "--quantity", "100" }).quantity).to_be(100)
    expect(function() parse({ "--quantity", "0" }) end).to_fail("%-%-quantity must be at least 1, got 0")
    expect(function() parse({ "--quantity", "101" }) end).to_fail("%-%-quantity must be at most 100, got 101")
  end)

  it("numbers below min or above max are refused", function()
    expect(function() parse({ "--ratio", "-0.1" }) end).to_fail("must be at least 0")
    expect(function() parse({ "--ratio", "1.5" }) end).to_fail("must be at most 1")
  end)
end)

describe("args.parse errors", function()
  it("names every missing required option in one error", function()
    expect(function() args.parse(params(), {}) end).to_fail("missing required options %-%-customer, %-%-subscription")
    expect(function() args.parse(params(), { "--customer", "c" }) end).to_fail("missing required option %-%-subscription")
  end)

  it("an option at the end without its value is an error", function()
    expect(function() parse({ "--term" }) end).to_fail("%-%-term needs a value")
  end)

  it("an option's value is never another declared option (an empty variable before it)", function()
    expect(function() args.parse(params(), { "--customer", "--subscription", "s1" }) end)
      .to_fail("%-%-customer needs a value, but the next word is the option %-%-subscription")
    expect(function() parse({ "--term", "--no-dry-run" }) end).to_fail("%-%-term needs a value, but the next word")
    -- an undeclared word that starts with -- is still a value, and --name=VALUE takes anything
    expect(args.parse(params(), { "--customer", "--c1--", "--subscription", "s1" }).customer).to_be("--c1--")
    expect(args.parse(params(), { "--customer=--subscription", "--subscription", "s1" }).customer).to_be("--subscription")
  end)

  it("an unknown option suggests the closest declared name", function()
    expect(function() parse({ "--quantitty", "2" }) end).to_fail("unknown option %-%-quantitty %(did you mean %-%-quantity%?%)")
    expect(function() parse({ "--dry-rn" }) end).to_fail("did you mean %-%-dry%-run%?")
    expect(function() parse({ "--custmer=x" }) end).to_fail("did you mean %-%-customer%?")
  end)

  it("an unknown option with nothing close gives no suggestion", function()
    local err = expect(function() parse({ "--zzzzzzzz" }) end).to_fail("unknown option %-%-zzzzzzzz")
    expect(tostring(err):find("did you mean", 1, true)).to_be_nil()
  end)

  it("usage errors carry no file position", function()
    local err = expect(function() parse({ "--bogus" }) end).to_fail("unknown option")
    expect(tostring(err):sub(1, 15)).to_be("unknown option ")
  end)
end)

describe("args.parse presets", function()
  it("preset values count as supplied for required parameters", function()
    local o = args.parse(params(), {}, { customer = "c1", subscription = "s1" })
    expect(o.customer).to_be("c1")
  end)

  it("command-line values win over presets", function()
    local o = parse({ "--term", "3Year" }, { term = "1Year" })
    expect(o.term).to_be("3Year")
  end)

  it("preset text is converted like command-line text, so 'false' is false", function()
    local o = parse(nil, { dry_run = "false", quantity = "5", term = "3year" })
    expect(o.dry_run).to_be(false)
    expect(o.quantity).to_be(5)
    expect(o.term).to_be("3Year")
  end)

  it("preset numbers are range-checked and other values taken as given", function()
    expect(function() parse(nil, { quantity = 0 }) end).to_fail("must be at least 1")
    expect(parse(nil, { dry_run = true, tags = { "x" } }).tags).to_equal({ "x" })
  end)

  it("an unknown preset name is refused with a suggestion", function()
    expect(function() parse(nil, { quantty = 1 }) end).to_fail("unknown parameter 'quantty' %(did you mean 'quantity'%?%)")
  end)
end)

describe("args.validate", function()
  it("defaults the type to string", function()
    local spec = args.validate({ name = {} })
    expect(spec.name.type).to_be("string")
  end)

  it("refuses unknown types, unknown fields, bad names and non-table declarations", function()
    expect(function() args.validate({ x = { type = "date" } }) end).to_fail("unknown type 'date'")
    expect(function() args.validate({ x = { defualt = 1 } }) end).to_fail("unknown field 'defualt'")
    expect(function() args.validate({ ["1x"] = {} }) end).to_fail("must be identifiers")
    expect(function() args.validate({ x = "string" }) end).to_fail("expected a table like")
    expect(function() args.validate("x") end).to_fail("expected a table of parameter declarations")
  end)
end)

describe("args.help", function()
  it("lists required options first, then the rest by name, with type, default, choices and range", function()
    local text = args.help(params(), { usage = "pcx run buy.lua [options]", summary = "Buy reserved instances" })
    local lines = {}
    for l in (text .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = l end
    expect(lines[1]).to_be("usage: pcx run buy.lua [options]")
    expect(lines[2]).to_be("Buy reserved instances")
    expect(lines[3]).to_be("")
    expect(lines[4]).to_be("options:")
    expect(lines[5]).to_match("^  %-%-customer VALUE +customer tenant id %(required%)$")
    expect(lines[6]).to_match("^  %-%-subscription VALUE +Azure subscription id %(required%)$")
    expect(lines[7]).to_be("  --budget DECIMAL")
    expect(lines[8]).to_be("  --dry-run")
    text = text .. "\n"
    expect(text).to_match("\n  %-%-quantity INTEGER +%(default: 1; min: 1; max: 100%)\n")
    expect(text).to_match("\n  %-%-term VALUE +%(default: 1Year; one of: 1Year, 3Year%)\n")
    expect(text).to_match("\n  %-%-regions LIST +%(one of: westeurope, eastus%)\n")
  end)

  it("aligns the help column", function()
    local text = args.help({ a = { help = "first" }, long_name = { help = "second" } })
    local a = text:match("\n(  %-%-a VALUE +)first")
    local b = text:match("\n(  %-%-long%-name VALUE +)second")
    expect(#a).to_be(#b)
  end)

  it("works on a declaration that was never validated and uses metavar", function()
    local text = args.help({ region = { help = "ARM region", metavar = "REGION" }, count = { type = "integer" } })
    expect(text).to_match("%-%-region REGION +ARM region")
    expect(text).to_match("%-%-count INTEGER")
  end)
end)

describe("args helpers", function()
  it("distance is the edit distance", function()
    expect(args.distance("kitten", "sitting")).to_be(3)
    expect(args.distance("", "abc")).to_be(3)
    expect(args.distance("same", "same")).to_be(0)
  end)

  it("suggest returns the closest name or nil", function()
    expect(args.suggest("quantty", { "quantity", "term" })).to_be("quantity")
    expect(args.suggest("xyz", { "quantity", "term" })).to_be_nil()
  end)
end)
