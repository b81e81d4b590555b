-- reservations: find / plan / quote / cart_line / purchase against the sandbox, with bad input.
local ri = require "reservations"
local money = require "money"

local function here()
  local info = debug.getinfo(2, "Sl")
  return info.short_src .. ":" .. info.currentline
end

local EXCLUDED = { BR = true, CN = true, IN = true, RU = true, KR = true, TW = true, HK = true }
local SKU, REGION = "Standard_D2_v3", "eastus"

-- Customers by kind: an allowed-market one with a Registered Azure subscription, one with an
-- unregistered one, and one in an excluded market.
local registered, unregistered, excluded
for c in pc.customers.each() do
  local cust = pc.customers.get(c.id)
  local country = ri.customer_country(cust)
  for _, s in ipairs(pc.subscriptions.list(c.id)) do
    if s.offerId == "MS-AZR-0145P" and (s.status or ""):lower() == "active" then
      if EXCLUDED[country] then
        excluded = excluded or { customer = cust, country = country, subscription = s.id }
      else
        local st = pc.subscriptions.registration_status(c.id, s.id).status:lower()
        if st == "registered" then registered = registered or { customer = cust, country = country, subscription = s.id }
        elseif st == "notregistered" then unregistered = unregistered or { customer = cust, country = country, subscription = s.id } end
      end
    end
  end
  if registered and unregistered and excluded then break end
end

local function expect_invalid(ok, err, pattern, where)
  expect(ok).to_be(false)
  expect(pc.errors.is(err, "invalid_argument")).to_be(true)
  expect(err.message).to_match(pattern)
  if where then expect(err.where).to_be(where) end
end

describe("reservations helpers", function()
  it("term_years reads every spelling of a term", function()
    for text, years in pairs({ ["1Year"] = 1, ["3Years"] = 3, P1Y = 1, p3y = 3, ["1"] = 1, ["3 Year"] = 3 }) do
      expect(ri.term_years(text)).to_be(years)
    end
    expect(ri.term_years(3)).to_be(3)
    expect(ri.term_years("forever")).to_be_nil()
    expect(ri.term_years(nil)).to_be_nil()
  end)

  it("customer_country reads the billing profile, else the company address", function()
    expect(ri.customer_country({ billingProfile = { defaultAddress = { country = "DE" } } })).to_be("DE")
    expect(ri.customer_country({ companyProfile = { address = { country = "FR" } } })).to_be("FR")
    expect(ri.customer_country({})).to_be_nil()
  end)

  it("the seed has the customers this spec needs", function()
    expect(registered).to_be_truthy()
    expect(unregistered).to_be_truthy()
    expect(excluded).to_be_truthy()
  end)
end)

describe("reservations.find", function()
  it("finds the product, SKU and availability for an ARM SKU, region and term", function()
    local f = ri.find { country = "US", sku = SKU, region = REGION, term = "1Year" }
    expect(f.sku.dynamicAttributes.armSkuName).to_be(SKU)
    expect(f.sku.dynamicAttributes.armRegionName:lower()).to_be(REGION)
    expect(f.term_duration).to_be("P1Y")
    expect(f.years).to_be(1)
    expect(f.catalog_item_id).to_be(f.product.id .. ":" .. f.sku.id .. ":" .. f.availability.id)
  end)

  it("matches names loosely (case, '_' and '-') and picks the 3-year SKU for a 3-year term", function()
    local one = ri.find { country = "US", sku = "standard_d2_V3", region = "EastUS", term = "P1Y" }
    local three = ri.find { country = "US", sku = SKU, region = REGION, term = "3Year" }
    expect(one.sku.id).to_be(ri.find { country = "US", sku = SKU, region = REGION }.sku.id)
    expect(three.term_duration).to_be("P3Y")
    expect(three.sku.id ~= one.sku.id).to_be(true)
  end)

  it("an unknown SKU is not_found at the caller's line", function()
    local ok, err = pcall(ri.find, { country = "US", sku = "Standard_Nope_v9", region = REGION }); local w = here()
    expect(ok).to_be(false)
    expect(pc.errors.is(err, "not_found")).to_be(true)
    expect(err.message).to_match("Standard_Nope_v9")
    expect(err.hint).to_be_truthy()
    expect(err.where).to_be(w)
  end)

  it("bad input is invalid_argument at the caller's line", function()
    local ok, err = pcall(ri.find, "US"); local w = here()
    expect_invalid(ok, err, "reservations%.find: expected a table of options", w)
    ok, err = pcall(ri.find, { country = "US", region = REGION }); w = here()
    expect_invalid(ok, err, "missing required option 'sku'", w)
    ok, err = pcall(ri.find, { country = "US", sku = SKU, region = REGION, term = "2Year" }); w = here()
    expect_invalid(ok, err, "term must be 1Year or 3Year", w)
    ok, err = pcall(ri.find, { country = "US", sku = SKU, regoin = REGION }); w = here()
    expect_invalid(ok, err, "unknown option 'regoin' — did you mean 'region'%?", w)
    ok, err = pcall(ri.find, { country = "US", sku = 42, region = REGION })
    expect_invalid(ok, err, "option 'sku' must be a string")
  end)
end)

describe("reservations.plan and quote", function()
  it("plans a registered subscription with Partner Center's price from a cart", function()
    local plan = ri.plan { customer = registered.customer.id, subscription = registered.subscription,
      sku = SKU, region = REGION, quantity = 3, scope = "single" }
    expect(plan.needs_registration).to_be(false)
    expect(plan.country).to_be(registered.country)
    expect(plan.scope).to_be("Single")
    expect(plan.quantity).to_be(3)
    expect(plan.cart.id).to_be_truthy()
    expect(plan.cart.lineItems[1].error).to_be_nil()
    expect(money.is_money(plan.unit_price)).to_be(true)
    expect(plan.total == plan.unit_price * 3).to_be(true)
    expect(plan.currency).to_be(plan.cart.lineItems[1].currencyCode)
    local s = plan:summary()
    expect(s.unit_price).to_be(plan.unit_price:amount())
    expect(s.total).to_be(plan.total:amount())
    expect(s.cart_id).to_be(plan.cart.id)
    expect(tostring(plan)).to_match("unit price")
    expect(tostring(plan)).to_match("total")
  end)

  it("builds the cart line with the RI provisioning context", function()
    local plan = ri.plan { customer = registered.customer.id, subscription = registered.subscription,
      sku = SKU, region = REGION, term = "3Year", quote = false }
    expect(plan.cart).to_be_nil()
    local line = ri.cart_line(plan)
    expect(line.catalogItemId).to_be(plan.catalog_item_id)
    expect(line.billingCycle).to_be("one_time")
    expect(line.termDuration).to_be("P3Y")
    expect(line.provisioningContext.subscriptionId).to_be(registered.subscription)
    expect(line.provisioningContext.scope).to_be("shared")
    expect(line.provisioningContext.duration).to_be("3Year")
    ri.quote(plan)
    expect(plan.cart.lineItems[1].termDuration).to_be("P3Y")
    expect(plan.total).to_be_truthy()
  end)

  it("plans an unregistered subscription: it needs registration and is still priced", function()
    local plan = ri.plan { customer = unregistered.customer.id, subscription = unregistered.subscription,
      sku = SKU, region = REGION }
    expect(plan.needs_registration).to_be(true)
    expect(plan.registration:lower()).to_be("notregistered")
    expect(plan.quote_pending_registration).to_be(true)
    expect(plan.total).to_be_truthy()
    expect(tostring(plan)).to_match("registered first")
  end)

  it("refuses an excluded market before anything is changed, at the caller's line", function()
    local w = here(); local ok, err = pcall(ri.plan, { customer = excluded.customer.id, subscription = excluded.subscription,
      sku = SKU, region = REGION })
    expect(ok).to_be(false)
    expect(pc.errors.is(err, "policy_denied")).to_be(true)
    expect(err.message).to_match(excluded.country)
    expect(err.where).to_be(w)
  end)

  it("pc.carts.create for a customer in an excluded market is policy_denied too", function()
    local f = ri.find { country = "US", sku = SKU, region = REGION }
    local line = { id = 0, catalogItemId = f.catalog_item_id, quantity = 1, billingCycle = "one_time", termDuration = "P1Y",
      provisioningContext = { subscriptionId = excluded.subscription, scope = "shared", duration = "1Year" } }
    local ok, err = pcall(pc.carts.create, excluded.customer.id, { lineItems = { line } }); local w = here()
    expect(ok).to_be(false)
    expect(pc.errors.is(err, "policy_denied")).to_be(true)
    expect(err.message).to_match(excluded.country)
    expect(err.where).to_be(w)
  end)

  it("bad input is invalid_argument at the caller's line", function()
    local base = { customer = registered.customer.id, subscription = registered.subscription, sku = SKU, region = REGION }
    local function with(k, v) local t = {} for a, b in pairs(base) do t[a] = b end t[k] = v return t end
    local ok, err = pcall(ri.plan, with("quantity", 0)); local w = here()
    expect_invalid(ok, err, "quantity must be a whole number of at least 1", w)
    ok, err = pcall(ri.plan, with("quantity", 1.5))
    expect_invalid(ok, err, "quantity")
    ok, err = pcall(ri.plan, with("scope", "Global")); w = here()
    expect_invalid(ok, err, "scope must be Single or Shared", w)
    ok, err = pcall(ri.plan, with("subscription", nil)); w = here()
    expect_invalid(ok, err, "missing required option 'subscription'", w)
    ok, err = pcall(ri.plan, with("quantiy", 2)); w = here()
    expect_invalid(ok, err, "did you mean 'quantity'", w)
    ok, err = pcall(ri.plan, nil)
    expect_invalid(ok, err, "expected a table of options")
  end)

  it("an unknown customer is not_found", function()
    local w = here(); local ok, err = pcall(ri.plan, { customer = "00000000-0000-4000-8000-000000000000", subscription = "x",
      sku = SKU, region = REGION })
    expect(ok).to_be(false)
    expect(pc.errors.is(err, "not_found")).to_be(true)
    expect(err.where).to_be(w)
  end)

  it("quote, cart_line and purchase refuse things that are not plans", function()
    local ok, err = pcall(ri.quote, {}); local w = here()
    expect_invalid(ok, err, "reservations%.quote: expected a plan", w)
    ok, err = pcall(ri.cart_line, "plan")
    expect_invalid(ok, err, "reservations%.cart_line: expected a plan")
    ok, err = pcall(ri.purchase, { customer = "x" }); w = here()
    expect_invalid(ok, err, "reservations%.purchase: expected a plan", w)
  end)

  it("maps Partner Center's cart error codes to hints", function()
    expect(ri.cart_error_hint(10011)).to_match("register")
    expect(ri.cart_error_hint(12345)).to_be_truthy()
  end)
end)

describe("reservations.purchase", function()
  local first_order
  it("registers the subscription, buys, waits and returns the reservation", function()
    local plan = ri.plan { customer = unregistered.customer.id, subscription = unregistered.subscription,
      sku = SKU, region = REGION, quantity = 2 }
    expect(plan.needs_registration).to_be(true)
    local r = ri.purchase(plan, { timeout = 120, idempotency_key = "pc_reservations_spec-" .. unregistered.subscription })
    expect(plan.needs_registration).to_be(false)
    expect(pc.subscriptions.registration_status(plan.customer, plan.subscription).status:lower()).to_be("registered")
    expect(r.order.id).to_be_truthy()
    expect(r.order.status:lower()).to_be("completed")
    expect(r.entitlement.referenceOrder.id).to_be(r.order.id)
    expect(r.reservation.reservationId).to_be_truthy()
    expect(r.reservation.quantity).to_be(2)
    expect(r.journal_id).to_be_truthy()
    first_order = r.order.id
  end)

  it("buying the same plan again returns the same order (journal idempotency)", function()
    local plan = ri.plan { customer = unregistered.customer.id, subscription = unregistered.subscription,
      sku = SKU, region = REGION, quantity = 2 }
    expect(plan.needs_registration).to_be(false)
    local a = ri.purchase(plan, { wait = false, idempotency_key = "pc_reservations_spec-" .. unregistered.subscription })
    expect(a.order.id).to_be(first_order)
  end)
end)

describe("reservations.rank_products", function()
  local products = {
    { id = "A", title = "Virtual Machines DSv2 Series" }, { id = "B", title = "Virtual Machines BS Series" },
    { id = "C", title = "Virtual Machines Dv3 Series" }, { id = "D", title = "Virtual Machines Ev3 Series" },
  }
  it("puts the product named after the ARM SKU's series first", function()
    expect(ri.rank_products(products, "Standard_E4_v3")[1].id).to_be("D")
    expect(ri.rank_products(products, "Standard_D2_v3")[1].id).to_be("C")
    expect(ri.rank_products(products, "Standard_DS1_v2")[1].id).to_be("A")
    expect(ri.rank_products(products, "Standard_B1s")[1].id).to_be("B")
  end)
  it("keeps every product and the original order when nothing matches", function()
    local ranked = ri.rank_products(products, "Standard_X9")
    expect(#ranked).to_be(4)
    expect(ranked[1].id).to_be("A")
    expect(ranked[4].id).to_be("D")
  end)
end)
