-- azure: a customer's Azure plan or MS-AZR-0145P subscription, and buying the first one.
--
-- azure.find(customer)            the active Azure plan (with its Azure subscriptions) or the
--                                  active MS-AZR-0145P subscription; nil when there is neither
-- azure.ensure(customer, opts)    find, or buy one: the Azure plan through a cart (new commerce,
--                                  the default) or MS-AZR-0145P through an order (opts.legacy)
--
-- Both return {planId, legacy, subscriptions = {{id, friendlyName, status}}, purchased}. For an
-- MS-AZR-0145P customer planId is that subscription's id and subscriptions lists it.
-- Buying goes through pcx's gate: --allow-purchase (or a "yes" at a terminal), the journal, and
-- --dry-run, which records the purchase and sends nothing.
local M = {}

local pc = require "pc"
local json = require "json"
local type, tostring, error, ipairs = type, tostring, error, ipairs
local slower, sformat = string.lower, string.format

local OFFERS = require("pc.core").azure_offers -- the ids Partner Center uses (shared with the sandbox)
M.LEGACY_OFFER = OFFERS.legacy_offer_id
M.AZURE_PLAN_PRODUCT = OFFERS.azure_plan_product_id

local function raise(fields) error(pc.errors.new(fields), 0) end

--- True when a subscription is an Azure plan (its offer is the plan's catalog item).
function M.is_azure_plan(s)
  return slower(tostring(s.offerId or "")):find("^" .. slower(M.AZURE_PLAN_PRODUCT) .. ":") ~= nil
end

--- True when a subscription is the legacy Microsoft Azure offer (MS-AZR-0145P).
function M.is_legacy(s) return slower(tostring(s.offerId or "")) == slower(M.LEGACY_OFFER) end

local function active(s) return slower(tostring(s.status or "")) == "active" end

local function entry(id, name, status) return { id = id, friendlyName = name, status = status } end

-- What a plan or 0145P subscription looks like in find/ensure's answer.
local function describe(customer, sub, legacy)
  local list = json.array()
  if legacy then
    list[1] = entry(sub.id, sub.friendlyName or sub.offerName, sub.status)
  else
    for _, e in ipairs(pc.subscriptions.azure_entitlements(customer, sub.id)) do
      list[#list + 1] = entry(e.id, e.friendlyName, e.status)
    end
  end
  return { planId = sub.id, legacy = legacy, subscriptions = list, purchased = false }
end

--- The customer's active Azure plan (first) or active MS-AZR-0145P subscription, or nil.
function M.find(customer)
  if type(customer) ~= "string" or customer == "" then
    raise { code = "invalid_argument", message = "azure.find: expected a customer id" }
  end
  local legacy
  for _, s in ipairs(pc.subscriptions.list(customer)) do
    if active(s) and M.is_azure_plan(s) then return describe(customer, s, false) end
    if active(s) and M.is_legacy(s) and not legacy then legacy = s end
  end
  return legacy and describe(customer, legacy, true) or nil
end

-- The customer's market, as reservations reads it (required at call time: reservations requires this module).
local function country_of(customer)
  local country = require("reservations").customer_country(pc.customers.get(customer))
  if not country or country == "" then
    raise { code = "invalid_argument", message = "customer " .. customer .. " has no country in its profile",
      hint = "the partner needs a relationship with the customer that exposes its billing profile" }
  end
  return country
end

-- The catalog item of the Azure plan in `country` (targetView MicrosoftAzure), and its billing cycle.
local function plan_catalog_item(country)
  for _, p in ipairs(pc.products.list { country = country, target_view = "MicrosoftAzure" }) do
    if slower(p.id or "") == slower(M.AZURE_PLAN_PRODUCT) then
      local sku = pc.skus.list(p.id, { country = country })[1]
      local av = sku and pc.availabilities.list(p.id, sku.id, { country = country })[1]
      if av then
        local cycle = sku.supportedBillingCycles and sku.supportedBillingCycles[1] or "monthly"
        return av.catalogItemId or (p.id .. ":" .. sku.id .. ":" .. av.id), cycle, sku.title or p.title
      end
    end
  end
  raise { code = "not_found", message = "the Azure plan (product " .. M.AZURE_PLAN_PRODUCT .. ") is not in the catalog of market " .. country,
    hint = "pc.products.list{country = ..., target_view = 'MicrosoftAzure'} lists what is sold there" }
end

-- Buys the Azure plan with a cart; returns the new plan's id (nil in a dry run) and the result.
local function buy_plan(customer, country, opts)
  local item, cycle, title = plan_catalog_item(country)
  local line = { id = 0, catalogItemId = item, quantity = 1, billingCycle = cycle, friendlyName = title }
  local cart = pc.carts.create(customer, { lineItems = { line } })
  local got = cart.lineItems and cart.lineItems[1]
  if not cart.dry_run and got and got.error then
    raise { code = "invalid_argument", pc_code = got.error.errorCode,
      message = "Partner Center refused the Azure plan line: " .. tostring(got.error.errorDescription),
      hint = pc.errors.hint(got.error.errorCode) or "see the line's error" }
  end
  if cart.dry_run then cart = { lineItems = { line } } end
  local result = pc.purchase { customer = customer, cart = cart, idempotency_key = opts.idempotency_key,
    plan = { customer = customer, buys = "Azure plan", catalog_item_id = item, quantity = 1, billing = cycle } }
  if result.dry_run then return nil, result end
  local order = result.orders and result.orders[1]
  if not order then
    raise { code = "server_error", message = "the Azure plan's checkout created no order", hint = "see `pcx journal list`; re-running is safe" }
  end
  order = pc.orders.wait_completed(customer, order.id, { timeout = opts.timeout })
  return order.lineItems and order.lineItems[1] and order.lineItems[1].subscriptionId, result
end

-- Orders MS-AZR-0145P; returns the new subscription's id (nil in a dry run) and the order.
local function buy_legacy(customer, country, opts)
  local offer
  for _, o in ipairs(pc.offers.list(country)) do
    if slower(o.id or "") == slower(M.LEGACY_OFFER) then offer = o end
  end
  if not offer or offer.isAvailableForPurchase == false then
    raise { code = "not_found", message = M.LEGACY_OFFER .. " is not offered in market " .. country,
      hint = "buy the Azure plan instead (leave out --legacy)" }
  end
  local order = pc.orders.create(customer, { referenceCustomerId = customer, lineItems = {
    { lineItemNumber = 0, offerId = offer.id, friendlyName = offer.name or "Microsoft Azure", quantity = 1 } } })
  if order.dry_run then return nil, order end
  order = pc.orders.wait_completed(customer, order.id, { timeout = opts.timeout })
  return order.lineItems and order.lineItems[1] and order.lineItems[1].subscriptionId, order
end

--- Finds the customer's Azure plan or MS-AZR-0145P subscription, or buys one: the Azure plan
--- (default) or, with opts.legacy, MS-AZR-0145P. opts: legacy, timeout (seconds to wait for the
--- order, default 600), idempotency_key. Returns find's answer with purchased = true when it
--- bought now; in a dry run {dry_run = true, purchased = false, would_buy = ..., journal_id}.
--- A customer's existing plan or subscription is returned whatever opts.legacy says.
function M.ensure(customer, opts)
  opts = opts or {}
  local found = M.find(customer)
  if found then
    if opts.legacy ~= nil and found.legacy ~= (opts.legacy and true or false) then
      found.note = found.legacy and "the customer already has an MS-AZR-0145P subscription; nothing was bought"
        or "the customer already has an Azure plan; nothing was bought"
    end
    return found
  end
  local country = country_of(customer)
  pc.policy.check_market(customer, country) -- pcx buys nothing where it does not sell reservations
  local buy = opts.legacy and buy_legacy or buy_plan
  local id, result = buy(customer, country, opts)
  local what = opts.legacy and M.LEGACY_OFFER or "Azure plan"
  if not id then
    if result and result.dry_run then
      return { dry_run = true, legacy = opts.legacy and true or false, subscriptions = json.array(), purchased = false,
        would_buy = what, journal_id = result.journal_id }
    end
    raise { code = "server_error", message = "the " .. what .. " order completed without naming its subscription",
      hint = "pc.subscriptions.list shows the customer's subscriptions; re-running finds the new one" }
  end
  found = M.find(customer)
  if not found then
    raise { code = "server_error", message = sformat("the %s order completed but subscription %s is not active yet", what, id),
      hint = "wait a minute and run again: it buys nothing when the subscription is there" }
  end
  found.purchased = true
  return found
end

return M
