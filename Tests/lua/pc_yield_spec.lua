-- pc calls at yield boundaries: inside table.sort comparators, string.gsub callbacks, a
-- require'd module body, __tostring, user coroutines; pc.map / pc.parallel order and errors;
-- each() iterators stream page by page.

local customers = pc.customers.list()
local ids = {}
for i = 1, 6 do ids[i] = customers[i].id end

local function name_of(id)
  local c = pc.customers.get(id)
  return c.companyProfile.companyName
end

describe("pc calls where a yield is impossible", function()
  it("work inside a table.sort comparator", function()
    local list = { ids[1], ids[2], ids[3], ids[4] }
    table.sort(list, function(a, b) return name_of(a) < name_of(b) end)
    for i = 2, #list do
      expect(customers and name_of(list[i - 1]) <= name_of(list[i])).to_be(true)
    end
  end)

  it("work inside a string.gsub callback", function()
    local text = table.concat({ ids[1], ids[2] }, ",")
    local out, n = text:gsub("[^,]+", function(id) return name_of(id) end)
    expect(n).to_be(2)
    expect(out).to_be(name_of(ids[1]) .. "," .. name_of(ids[2]))
  end)

  it("work inside a require'd module's body (found in the spec's lib/)", function()
    package.loaded.pc_yield_module = nil
    local m = require "pc_yield_module"
    expect(m.count).to_be(#customers)
    expect(m.first_id).to_be(customers[1].id)
    expect(m.first_name).to_be(name_of(customers[1].id))
  end)

  it("work inside a __tostring metamethod", function()
    local obj = setmetatable({ id = ids[3] }, { __tostring = function(t) return "customer " .. name_of(t.id) end })
    expect(tostring(obj)).to_be("customer " .. name_of(ids[3]))
    expect(string.format("%s", obj)).to_be("customer " .. name_of(ids[3]))
  end)

  it("work inside __index and __lt metamethods", function()
    local lazy = setmetatable({}, { __index = function(_, id) return name_of(id) end })
    expect(lazy[ids[2]]).to_be(name_of(ids[2]))
    local mt = { __lt = function(a, b) return name_of(a.id) < name_of(b.id) end }
    local a, b = setmetatable({ id = ids[1] }, mt), setmetatable({ id = ids[2] }, mt)
    expect(a < b).to_be(name_of(ids[1]) < name_of(ids[2]))
  end)

  it("errors inside a sort comparator still reach the caller as pc.Error", function()
    local ok, err = pcall(table.sort, { "", " " }, function(a, b) return name_of(a) < name_of(b) end)
    expect(ok).to_be(false)
    expect(pc.errors.is(err, "invalid_argument")).to_be(true)
    local ok2, err2 = pcall(string.gsub, "x", "x", function() return name_of("00000000-0000-4000-8000-000000000000") end)
    expect(ok2).to_be(false)
    expect(pc.errors.is(err2, "not_found")).to_be(true)
  end)
end)

describe("user coroutines", function()
  it("coroutine.wrap: pc calls inside, and the user's own yields, both work", function()
    local gen = coroutine.wrap(function()
      for i = 1, 3 do coroutine.yield(name_of(ids[i])) end
      return "done"
    end)
    expect(gen()).to_be(name_of(ids[1]))
    expect(gen()).to_be(name_of(ids[2]))
    expect(gen()).to_be(name_of(ids[3]))
    expect(gen()).to_be("done")
  end)

  it("coroutine.resume passes values both ways around pc calls", function()
    local co = coroutine.create(function(first)
      local got = coroutine.yield(pc.customers.get(first).id)
      return pc.customers.get(got).id, coroutine.isyieldable()
    end)
    local ok, v = coroutine.resume(co, ids[4])
    expect(ok).to_be(true)
    expect(v).to_be(ids[4])
    expect(coroutine.status(co)).to_be("suspended")
    local ok2, v2, yieldable = coroutine.resume(co, ids[5])
    expect(ok2).to_be(true)
    expect(v2).to_be(ids[5])
    expect(yieldable).to_be(true)
    expect(coroutine.status(co)).to_be("dead")
  end)

  it("a pc error inside a user coroutine is returned by resume", function()
    local co = coroutine.create(function() return pc.customers.get("00000000-0000-4000-8000-000000000000") end)
    local ok, err = coroutine.resume(co)
    expect(ok).to_be(false)
    expect(pc.errors.is(err, "not_found")).to_be(true)
  end)

  it("an each() iterator driven from a coroutine", function()
    local co = coroutine.wrap(function()
      for c in pc.customers.each { size = 2 } do coroutine.yield(c.id) end
    end)
    expect(co()).to_be(customers[1].id)
    expect(co()).to_be(customers[2].id)
    expect(co()).to_be(customers[3].id)
  end)
end)

describe("pc.map and pc.parallel", function()
  it("pc.map returns results in the list's order with concurrency", function()
    local got = pc.map(ids, function(id, i) return { i = i, id = pc.customers.get(id).id } end, { concurrency = 3 })
    expect(#got).to_be(#ids)
    for i, r in ipairs(got) do
      expect(r.i).to_be(i)
      expect(r.id).to_be(ids[i])
    end
  end)

  it("pc.map with concurrency 1 and with more workers than items", function()
    local one = pc.map(ids, function(id) return pc.customers.get(id).id end, { concurrency = 1 })
    local many = pc.map(ids, function(id) return pc.customers.get(id).id end, { concurrency = 32 })
    for i = 1, #ids do
      expect(one[i]).to_be(ids[i])
      expect(many[i]).to_be(ids[i])
    end
  end)

  it("pc.map of an empty list is an empty list", function()
    expect(#pc.map({}, function() error("never") end, { concurrency = 4 })).to_be(0)
  end)

  it("pc.map propagates the first error (a pc.Error stays a pc.Error)", function()
    local list = { ids[1], ids[2], "00000000-0000-4000-8000-000000000000", ids[3] }
    local ok, err = pcall(pc.map, list, function(id) return pc.customers.get(id) end, { concurrency = 2 })
    expect(ok).to_be(false)
    expect(pc.errors.is(err, "not_found")).to_be(true)
  end)

  it("pc.map propagates a plain Lua error", function()
    local ok, err = pcall(pc.map, ids, function(_, i)
      if i == 2 then error("item two failed") end
      return pc.customers.get(ids[i]).id
    end, { concurrency = 3 })
    expect(ok).to_be(false)
    expect(tostring(err)).to_match("item two failed")
  end)

  it("pc.map refuses a bad concurrency", function()
    expect(function() pc.map(ids, function() end, { concurrency = 0 }) end).to_fail("concurrency")
  end)

  it("pc.parallel returns each function's result in argument order", function()
    local a, b, c = pc.parallel(
      function() return pc.customers.get(ids[1]).id end,
      function() return #pc.subscriptions.list(ids[2]) end,
      function() return pc.invoices.balance().currencyCode end)
    expect(a).to_be(ids[1])
    expect(b).to_be(#pc.subscriptions.list(ids[2]))
    expect(c).to_be(pc.invoices.balance().currencyCode)
  end)

  it("pc.parallel propagates the first error", function()
    local ok, err = pcall(pc.parallel,
      function() return pc.customers.get(ids[1]) end,
      function() return pc.customers.get("") end)
    expect(ok).to_be(false)
    expect(pc.errors.is(err, "invalid_argument")).to_be(true)
  end)
end)

describe("each() streams lazily", function()
  -- A fresh pc module over a pc.core whose next_page is counted: how many pages were pulled.
  local function counted_pc()
    local core = require "pc.core"
    local saved_loaded, saved_next = package.loaded.pc, core.next_page
    local pages = 0
    core.next_page = function(...) pages = pages + 1; return saved_next(...) end
    package.loaded.pc = nil
    local fresh = require "pc"
    package.loaded.pc = saved_loaded
    core.next_page = saved_next
    return fresh, function() return pages end
  end

  it("pulls invoice line items one page at a time", function()
    local cpc, pages = counted_pc()
    local invoice, total
    for inv in pc.invoices.each() do
      if (inv.invoiceType or ""):lower() == "onetime" then
        local n = #pc.invoices.line_items(inv.id)
        if n >= 3 then invoice, total = inv.id, n break end
      end
    end
    expect(invoice).to_be_truthy()
    local it = cpc.invoices.each_line_item(invoice, { size = 1 })
    expect(pages()).to_be(0)
    local first = it()
    expect(first.invoiceNumber or first.customerId).to_be_truthy()
    expect(pages()).to_be(1)
    it()
    expect(pages()).to_be(2)
    local n = 2
    for _ in it do n = n + 1 end
    expect(n).to_be(total)
    expect(pages()).to_be(total + 1) -- one page per item, then the end
    expect(it()).to_be_nil()
  end)

  it("stops fetching when the loop breaks early", function()
    local cpc, pages = counted_pc()
    local seen = 0
    for _ in cpc.customers.each { size = 2 } do
      seen = seen + 1
      if seen == 3 then break end
    end
    expect(pages()).to_be(2)
    expect(#customers > 6).to_be(true) -- many more pages were there to fetch
  end)

  it("list() returns every item of every page", function()
    local all = pc.customers.list { size = 4 }
    expect(#all).to_be(#customers)
    local n = 0
    for _ in pc.customers.each { size = 5 } do n = n + 1 end
    expect(n).to_be(#customers)
  end)
end)
