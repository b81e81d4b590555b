-- Walks Partner Center's "purchase Azure reservations" guide end to end against the sandbox:
-- register → wait registered → products → SKUs → inventory → availabilities → cart → checkout →
-- order → entitlements → reservation details → balance → invoices → line items → statement PDF.
local money = require "money"

local EXCLUDED = { BR = true, CN = true, IN = true, RU = true, KR = true, TW = true, HK = true }

local function country_of(c)
  return (c.billingProfile and c.billingProfile.defaultAddress and c.billingProfile.defaultAddress.country)
    or (c.companyProfile and c.companyProfile.address and c.companyProfile.address.country)
end

-- A customer in an allowed market with an active Azure subscription that is not registered yet.
local function pick()
  for c in pc.customers.each() do
    local cust = pc.customers.get(c.id)
    local country = country_of(cust)
    if country and not EXCLUDED[country:upper()] then
      for _, s in ipairs(pc.subscriptions.list(c.id)) do
        if (s.status or ""):lower() == "active" and (s.offerId == "MS-AZR-0145P" or (s.billingType or ""):lower() == "usage") then
          local st = pc.subscriptions.registration_status(c.id, s.id)
          if (st.status or ""):lower() ~= "registered" then return cust, country, s end
        end
      end
    end
  end
end

describe("the RI purchase guide", function()
  local customer, country, sub = pick()
  local state = {}

  it("finds a customer in an allowed market with an unregistered Azure subscription", function()
    expect(customer).to_be_truthy()
    expect(sub).to_be_truthy()
  end)
  if not customer then return end

  it("registers the subscription and waits until Registered", function()
    local r = pc.subscriptions.register(customer.id, sub.id)
    expect(r).to_be_truthy()
    local st = pc.subscriptions.wait_registered(customer.id, sub.id, { timeout = 120 })
    expect(st.status:lower()).to_be("registered")
  end)

  it("lists AzureReservationsVM products and their SKUs for the customer's market", function()
    local products = pc.products.list { country = country, target_view = "AzureReservationsVM" }
    expect(#products > 0).to_be(true)
    local skus = pc.skus.list(products[1].id, { country = country })
    expect(#skus > 0).to_be(true)
    state.product, state.sku = products[1], skus[1]
    expect(state.sku.dynamicAttributes.armSkuName).to_be_truthy()
  end)

  it("checks inventory for the SKU in its region", function()
    local items = pc.inventory.check(country, {
      targetItems = { { productId = state.product.id, skuId = state.sku.id } },
      inventoryContext = { customerId = customer.id, azureSubscriptionId = sub.id,
        armRegionName = state.sku.dynamicAttributes.armRegionName },
    })
    expect(type(items)).to_be("table")
  end)

  it("gets an availability whose catalogItemId is product:sku:availability", function()
    local avs = pc.availabilities.list(state.product.id, state.sku.id, { country = country })
    expect(#avs > 0).to_be(true)
    state.av = avs[1]
    expect(state.av.catalogItemId).to_be(state.product.id .. ":" .. state.sku.id .. ":" .. state.av.id)
  end)

  it("creates a cart priced in the availability's currency", function()
    local cart = pc.carts.create(customer.id, { lineItems = { {
      id = 0, catalogItemId = state.av.catalogItemId, quantity = 1, billingCycle = "one_time", termDuration = "P1Y",
      provisioningContext = { subscriptionId = sub.id, scope = "shared", duration = "1Year" },
    } } })
    expect(cart.id).to_be_truthy()
    expect(cart.status).to_be("Active")
    expect(cart.lineItems[1].error).to_be_nil()
    state.cart = cart
  end)

  it("checks out through the purchase gate and gets one order", function()
    local result = pc.purchase { customer = customer.id, cart = state.cart }
    expect(#result.orders).to_be(1)
    state.order = result.orders[1]
  end)

  it("reads the order back and waits for it to complete", function()
    local o = pc.orders.get(customer.id, state.order.id)
    expect(o.id).to_be(state.order.id)
    local done = pc.orders.wait_completed(customer.id, state.order.id, { timeout = 120 })
    expect(done.status:lower()).to_be("completed")
  end)

  it("finds the reserved-instance entitlement and its reservation", function()
    local found
    for _, e in ipairs(pc.entitlements.list(customer.id, { entitlement_type = "reservedInstance", show_expiry = true })) do
      if e.referenceOrder and e.referenceOrder.id == state.order.id then found = e end
    end
    expect(found).to_be_truthy()
    local details = pc.entitlements.reservation_details(found.entitledArtifacts[1].link)
    local r = (details.reservations or details.virtualMachineReservations)[1]
    expect(r.reservationId).to_be_truthy()
    -- a one-year term ends on the same calendar day a year later
    local date = require "date"
    expect(date.parse(r.effectiveDateTime):add("P1Y"):day()).to_be(date.parse(r.expiryDateTime):day())
  end)

  it("reads the balance, invoices, line items and a statement PDF", function()
    local b = pc.invoices.balance()
    expect(b.currencyCode).to_be_truthy()
    local invoices = pc.invoices.list()
    expect(#invoices > 0).to_be(true)
    local inv
    for _, i in ipairs(invoices) do if (i.invoiceType or ""):lower() == "onetime" then inv = i end end
    expect(inv).to_be_truthy()
    local total, n = money.zero(inv.currencyCode), 0
    for item in pc.invoices.each_line_item(inv.id) do
      total = total + money.new(item.totalForCustomer, inv.currencyCode)
      n = n + 1
    end
    expect(n > 0).to_be(true)
    expect(total == money.new(pc.invoices.get(inv.id).totalCharges, inv.currencyCode)).to_be(true)
    -- line items arrive as records: each field reads as the eager decoder reads the same bytes
    local json, inspect, output = require "json", require "inspect", require "output"
    local item = pc.invoices.line_items(inv.id)[1]
    expect(json.is_record(item)).to_be(true)
    local eager, fields = json.decode(json.encode(item)), 0
    for k, v in pairs(eager) do
      expect(json.encode(item[k])).to_be(json.encode(v))
      fields = fields + 1
    end
    expect(fields > 10).to_be(true)
    expect(inspect(item)).to_be(inspect(eager))
    local rows, cols = output.rows_of(item)
    expect(rows[1].customerId).to_be(eager.customerId)
    expect(#cols).to_be(fields)
    -- records as csv rows and as pc.* option tables
    local csv = require "csv"
    local csv_path = os.getenv("PCX_TEST_TMP") .. "/items.csv"
    local header = {}
    for k in pairs(eager) do if type(eager[k]) ~= "table" then header[#header + 1] = k end end
    table.sort(header)
    local w = csv.writer(csv_path, { header = header })
    local row = {}
    for _, k in ipairs(header) do row[k] = item[k] end
    w:write(row)   -- a plain map row, and the record itself: the same line
    for k in pairs(eager) do if type(eager[k]) == "table" then item[k] = nil end end
    w:write(item)
    w:close()
    local cf = assert(io.open(csv_path, "rb"))
    local _, first, second = cf:read("l"), cf:read("l"), cf:read("l")
    cf:close()
    expect(second).to_be(first)
    expect(first:find(eager.customerId, 1, true) ~= nil).to_be(true)
    local opts = json.decode('[{"size": 1}]', { lazy = true })[1]
    expect(#pc.invoices.line_items(inv.id, opts)).to_be(n)
    local path = os.getenv("PCX_TEST_TMP") .. "/statement.pdf"
    local bytes = pc.invoices.statement(inv.id, path)
    expect(bytes > 100).to_be(true)
    local f = assert(io.open(path, "rb"))
    expect(f:read(5)).to_be("%PDF-")
    f:close()
  end)
end)
