-- Azure plans: the Azure subscriptions under a plan (pc.subscriptions.azure_entitlements), found
-- through pc.customers.list / pc.subscriptions.list; no id is written down here.

-- An Azure plan is bought as the catalog item DZH318Z0BPS6:0001:... (addendum §1.1).
local function is_plan(s) return (s.offerId or ""):upper():find("^DZH318Z0BPS6:") ~= nil end

local plans, legacy = {}, nil
for _, c in ipairs(pc.customers.list()) do
  for _, s in ipairs(pc.subscriptions.list(c.id)) do
    if is_plan(s) then plans[#plans + 1] = { customer = c.id, plan = s }
    elseif s.offerId == "MS-AZR-0145P" and not legacy then legacy = { customer = c.id, subscription = s } end
  end
end

local GUID = "^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$"

-- An Azure-plan customer in a market where reservations are sold: {customer, plan, azure}.
local function sellable_plan()
  local ri = require "reservations"
  local excluded = {}
  for _, m in ipairs(pc.policy.excluded_markets()) do excluded[m] = true end
  for _, p in ipairs(plans) do
    local country = ri.customer_country(pc.customers.get(p.customer))
    if country and not excluded[country] then
      return { customer = p.customer, plan = p.plan.id, azure = pc.subscriptions.azure_entitlements(p.customer, p.plan.id)[1].id }
    end
  end
end

describe("pc.subscriptions.azure_entitlements", function()
  it("the seed has customers with an Azure plan and with an MS-AZR-0145P subscription", function()
    expect(#plans > 0).to_be(true)
    expect(legacy).to_be_truthy()
  end)

  it("lists the active Azure subscription under an Azure plan", function()
    local p = plans[1]
    local list = pc.subscriptions.azure_entitlements(p.customer, p.plan.id)
    expect(#list).to_be(1)
    local e = list[1]
    expect(e.friendlyName).to_be("Microsoft Azure")
    expect(e.status).to_be("active")
    expect(e.subscriptionId).to_be(p.plan.id)
    expect(e.id).to_match(GUID)
    expect(e.id:lower() ~= p.plan.id:lower()).to_be(true)
  end)

  it("every Azure plan has its own active Azure subscription", function()
    local seen = {}
    for _, p in ipairs(plans) do
      local list = pc.subscriptions.azure_entitlements(p.customer, p.plan.id)
      expect(#list).to_be(1)
      expect(list[1].status).to_be("active")
      expect(seen[list[1].id]).to_be_nil()
      seen[list[1].id] = true
    end
  end)

  it("an MS-AZR-0145P subscription is not an Azure plan: invalid_argument, HTTP 400, Partner Center code 800002", function()
    local ok, err = pcall(pc.subscriptions.azure_entitlements, legacy.customer, legacy.subscription.id)
    expect(ok).to_be(false)
    expect(pc.errors.is(err, "invalid_argument")).to_be(true)
    expect(err.status).to_be(400)
    expect(tostring(err.pc_code)).to_be("800002")
    expect(err.message).to_match("not an Azure plan")
    expect(err.path).to_match("/azureEntitlements$")
  end)

  it("a missing subscription id is refused before anything is sent", function()
    local ok, err = pcall(pc.subscriptions.azure_entitlements, plans[1].customer)
    expect(ok).to_be(false)
    expect(pc.errors.is(err, "invalid_argument")).to_be(true)
    expect(err.message).to_match("subscription_id")
  end)
end)

describe("cart lines and the Azure plan: each Partner Center code has its own hint", function()
  -- an Azure-plan availability of the first reservation SKU in the US
  local function plan_item()
    local product = pc.products.list { country = "US", target_view = "AzureReservationsVM", reservation_scope = "AzurePlan" }[1]
    local sku = pc.skus.list(product.id, { country = "US", reservation_scope = "AzurePlan" })[1]
    local av = pc.availabilities.list(product.id, sku.id, { country = "US", reservation_scope = "AzurePlan" })[1]
    return av.catalogItemId, sku
  end

  it("an Azure-plan catalog item on an MS-AZR-0145P subscription: line error 900315, whose hint names reservationScope", function()
    local item, sku = plan_item()
    local cart = pc.carts.create(legacy.customer, { lineItems = { {
      id = 0, catalogItemId = item, quantity = 1, billingCycle = "one_time", termDuration = sku.dynamicAttributes.duration == "3 Years" and "P3Y" or nil,
      provisioningContext = { subscriptionId = legacy.subscription.id, scope = "shared" } } } })
    local line = cart.lineItems[1]
    expect(line.error).to_be_truthy()
    expect(line.error.errorCode).to_be(900315)
    expect(line.error.errorDescription).to_match("not eligible for purchase using the provided Azure subscription")
    expect(pc.errors.hint(line.error.errorCode)).to_match("reservationScope=AzurePlan")
  end)

  it("the hints of 10010 and 900312-900318 say what each is about", function()
    expect(pc.errors.hint(10010)).to_match("quantity within the SKU's minimumQuantity..maximumQuantity")
    expect(pc.errors.hint(900312)).to_match("scope must be Single or Shared")
    expect(pc.errors.hint(900313)).to_match("entitlementId")
    expect(pc.errors.hint(900314)).to_match("not active")
    expect(pc.errors.hint(900317)).to_match("the Azure plan's id")
    expect(pc.errors.hint(900318)).to_match("no active Azure subscription")
    expect(pc.errors.hint("900315")).to_be(pc.errors.hint(900315))
  end)
end)

describe("reservations under an Azure plan: the subscription given decides how it is bought", function()
  local ri = require "reservations"
  local target = sellable_plan()
  local function plan_for(subscription, extra)
    local opts = { customer = target.customer, subscription = subscription, sku = "Standard_D2_v3", region = "westeurope" }
    for k, v in pairs(extra or {}) do opts[k] = v end
    return ri.plan(opts)
  end

  it("resolves a plan id, an Azure subscription under it and an MS-AZR-0145P id", function()
    expect(target).to_be_truthy()
    local p = ri.resolve_subscription(target.customer, target.plan:lower())
    expect(p.kind).to_be("plan")
    expect(p.subscription).to_be(target.plan)
    local a = ri.resolve_subscription(target.customer, target.azure:upper())
    expect(a.kind).to_be("azure")
    expect(a.plan).to_be(target.plan)
    expect(a.azure_subscription).to_be(target.azure)
    local l = ri.resolve_subscription(legacy.customer, legacy.subscription.id)
    expect(l.kind).to_be("legacy")
  end)

  it("an id the customer does not have, or a licence subscription, is invalid_argument naming it", function()
    local ok, err = pcall(ri.resolve_subscription, target.customer, "00000000-0000-0000-0000-000000000001")
    expect(ok).to_be(false)
    expect(err.message).to_match("has no subscription 00000000%-0000%-0000%-0000%-000000000001")
    for _, s in ipairs(pc.subscriptions.list(legacy.customer)) do
      if s.offerId ~= "MS-AZR-0145P" and not is_plan(s) then
        ok, err = pcall(ri.resolve_subscription, legacy.customer, s.id)
        expect(ok).to_be(false)
        expect(err.message).to_match("not an Azure subscription")
        break
      end
    end
  end)

  it("a plan id buys shared under the plan from the AzurePlan catalog; Partner Center accepts the line", function()
    local plan = plan_for(target.plan)
    expect(plan.kind).to_be("plan")
    expect(plan.scope).to_be("Shared")
    local ctx = ri.cart_line(plan).provisioningContext
    expect(ctx.subscriptionId).to_be(target.plan)
    expect(ctx.entitlementId).to_be_nil()
    expect(ctx.scope).to_be("shared")
    expect(plan.cart.lineItems[1].error).to_be_nil()
    local found = ri.find { country = plan.country, sku = "Standard_D2_v3", region = "westeurope", reservation_scope = "AzurePlan" }
    expect(plan.catalog_item_id).to_be(found.catalog_item_id)
    local legacy_item = ri.find { country = plan.country, sku = "Standard_D2_v3", region = "westeurope" }
    expect(plan.catalog_item_id ~= legacy_item.catalog_item_id).to_be(true)
  end)

  it("an Azure subscription id buys single scope for it (entitlementId), never as subscriptionId", function()
    local plan = plan_for(target.azure)
    expect(plan.scope).to_be("Single")
    local ctx = ri.cart_line(plan).provisioningContext
    expect(ctx.entitlementId).to_be(target.azure)
    expect(ctx.subscriptionId).to_be_nil()
    expect(plan.cart.lineItems[1].error).to_be_nil()
  end)

  it("single scope with a plan id uses the plan's one active Azure subscription; shared with an Azure subscription names the plan", function()
    local single = plan_for(target.plan, { scope = "single" })
    expect(ri.cart_line(single).provisioningContext.entitlementId).to_be(target.azure)
    local shared = plan_for(target.azure, { scope = "Shared" })
    expect(ri.cart_line(shared).provisioningContext.subscriptionId).to_be(target.plan)
    expect(shared.cart.lineItems[1].error).to_be_nil()
  end)

  it("reservation_scope AzurePlan on an MS-AZR-0145P subscription is refused before any cart", function()
    local ok, err = pcall(ri.plan, { customer = legacy.customer, subscription = legacy.subscription.id, sku = "Standard_D2_v3",
      region = "eastus", reservation_scope = "AzurePlan" })
    expect(ok).to_be(false)
    expect(err.message).to_match("is MS%-AZR%-0145P, not an Azure plan")
  end)
end)

describe("monthly billing under an Azure plan", function()
  local ri = require "reservations"
  local target = sellable_plan()

  it("prices per month, totals the whole term, and buys a monthly order that pc.orders.list finds with billing_type = monthly", function()
    local plan = ri.plan { customer = target.customer, subscription = target.plan, sku = "Standard_D2s_v3", region = "westeurope",
      term = "3Year", billing = "monthly" }
    expect(ri.cart_line(plan).billingCycle).to_be("monthly")
    expect(plan.cart.lineItems[1].error).to_be_nil()
    expect(plan.monthly_total).to_be_truthy()
    expect(plan.total == plan.monthly_total * 36).to_be(true)
    expect(plan:summary().billing).to_be("monthly")
    local result = ri.purchase(plan, { wait = true, timeout = 60 })
    expect(result.order).to_be_truthy()
    local found = false
    for _, o in ipairs(pc.orders.list(target.customer, { billing_type = "monthly" })) do
      if o.id == result.order.id then found = true expect(o.billingCycle).to_be("monthly") end
    end
    expect(found).to_be(true)
    for _, o in ipairs(pc.orders.list(target.customer, { billing_type = "onetime" })) do
      expect(o.id ~= result.order.id).to_be(true)
    end
    -- found again by its reservation id or its reservation order id, without the artifact link
    local by_reservation = pc.reservations.get(result.reservation.reservationId)
    expect(by_reservation.customer).to_be(target.customer)
    expect(by_reservation.order).to_be(result.order.id)
    expect(by_reservation.reservation.reservationId).to_be(result.reservation.reservationId)
    local by_order = pc.reservations.get(by_reservation.reservation_order:upper(), { customer = target.customer })
    expect(by_order.reservation.reservationId).to_be(result.reservation.reservationId)
    local ok, err = pcall(pc.reservations.get, "00000000-0000-0000-0000-00000000000f", { customer = target.customer })
    expect(ok).to_be(false)
    expect(pc.errors.is(err, "not_found")).to_be(true)
    expect(err.message).to_match("among the reserved%-instance entitlements of 1 customer$")
  end)

  it("is refused for MS-AZR-0145P before any cart, as an input error", function()
    local ok, err = pcall(ri.plan, { customer = legacy.customer, subscription = legacy.subscription.id, sku = "Standard_D2_v3",
      region = "eastus", billing = "monthly" })
    expect(ok).to_be(false)
    expect(err.input).to_be(true)
    expect(err.message).to_match("monthly billing is for reservations under an Azure plan")
  end)

  it("refuses a billing plan it does not know", function()
    local ok, err = pcall(ri.plan, { customer = target.customer, subscription = target.plan, sku = "Standard_D2s_v3",
      region = "westeurope", billing = "yearly" })
    expect(ok).to_be(false)
    expect(err.message).to_match("billing must be one%-time or monthly")
  end)
end)
