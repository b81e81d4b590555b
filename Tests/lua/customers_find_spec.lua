-- pc.customers.find: a tenant id, a domain or a company name, as people type them. The names come
-- from the sandbox's own customer list; none is written down here.

local all = pc.customers.list()
local function name_of(c) return c.companyProfile.companyName end
local function domain_of(c) return c.companyProfile.domain end

-- a customer whose company name is unique and shares no part with another's
local function unique_customer()
  for _, c in ipairs(all) do
    local n, clash = name_of(c):lower(), false
    for _, o in ipairs(all) do
      if o ~= c and (name_of(o):lower():find(n, 1, true) or domain_of(o):lower():find(n, 1, true)) then clash = true end
    end
    if not clash then return c end
  end
end

describe("pc.customers.find", function()
  local c = unique_customer()

  it("the sandbox has customers with unique names to find", function()
    expect(#all > 3).to_be(true)
    expect(c).to_be_truthy()
  end)

  it("finds by tenant id, in any case", function()
    expect(pc.customers.find(c.id).id).to_be(c.id)
    expect(pc.customers.find(c.id:upper()).id).to_be(c.id)
  end)

  it("finds by domain, ignoring case and spaces around it", function()
    expect(pc.customers.find(domain_of(c)).id).to_be(c.id)
    expect(pc.customers.find("  " .. domain_of(c):upper() .. " ").id).to_be(c.id)
  end)

  it("finds by the exact company name, ignoring case", function()
    expect(pc.customers.find(name_of(c)).id).to_be(c.id)
    expect(pc.customers.find(name_of(c):lower()).id).to_be(c.id)
  end)

  it("finds by a unique part of the company name", function()
    -- the first four letters of the name that no other customer's name or domain contains
    local part
    for i = 1, #name_of(c) - 3 do
      local p, matches = name_of(c):sub(i, i + 3):lower(), 0
      for _, o in ipairs(all) do
        if name_of(o):lower():find(p, 1, true) or domain_of(o):lower():find(p, 1, true) then matches = matches + 1 end
      end
      if matches == 1 and not p:find("%s") then part = p break end
    end
    expect(part).to_be_truthy()
    expect(pc.customers.find(part:upper()).id).to_be(c.id)
  end)

  it("an ambiguous text is an input error that lists the candidates", function()
    local ok, err = pcall(pc.customers.find, "onmicrosoft")
    expect(ok).to_be(false)
    expect(pc.errors.is(err, "invalid_argument")).to_be(true)
    expect(err.input).to_be(true)
    expect(err.message).to_match("matches " .. #all .. " customers")
    expect(#err.candidates).to_be(math.min(#all, 10))
    expect(err.candidates[1]).to_match("%(.+%.onmicrosoft%.com, ")
    expect(err.hint).to_match("give the tenant id or the domain")
  end)

  it("no match is an input error; an unknown tenant id too", function()
    local ok, err = pcall(pc.customers.find, "no such company zzq")
    expect(ok).to_be(false)
    expect(err.input).to_be(true)
    expect(err.message).to_match("no customer matches 'no such company zzq'")
    ok, err = pcall(pc.customers.find, "00000000-0000-0000-0000-000000000000")
    expect(ok).to_be(false)
    expect(err.input).to_be(true)
    expect(err.message).to_match("no customer has the tenant id")
  end)

  it("refuses an empty text or a non-string before any call", function()
    for _, bad in ipairs({ "", "   ", 42 }) do
      local ok, err = pcall(pc.customers.find, bad)
      expect(ok).to_be(false)
      expect(pc.errors.is(err, "invalid_argument")).to_be(true)
      expect(err.message).to_match("expected a tenant id, a domain or a company name")
    end
  end)
end)
