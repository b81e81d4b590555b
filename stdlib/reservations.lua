-- reservations: the Azure reservation purchase flow, high level (VMs, SQL Database, Cosmos DB,
-- App Service, storage, ...: ri.types()).
--
-- ri.types()                                 the reservation types and their catalog views
-- ri.find{country, type, sku, region, term}  product, SKU and availability for an ARM SKU name
-- ri.resolve_subscription(customer, id)    an Azure plan, an Azure subscription under one, or 0145P
-- ri.plan{customer, subscription, type, sku, region, term, scope, quantity, billing}
--                                            market, registration, catalog item, inventory, price
-- ri.cart_line(plan)                          the cart line with the RI provisioning context
-- ri.purchase(plan, opts)                     registers if needed, buys through the purchase gate
--                                            (idempotent: journaled by pcx), waits for the order
--                                            and its entitlement, returns the reservation
-- The calls made are the ones a careful person would make, in the order of Partner Center's
-- "purchase Azure reservations" guide; catalog lookups are cached for the run.
local M = {}

local pc = require "pc"
local money = require "money"
local args = require "args"
local azure = require "azure"
local json = require "json"
local type, tostring, error, ipairs, pairs, setmetatable = type, tostring, error, ipairs, pairs, setmetatable
local slower, sformat, smatch = string.lower, string.format, string.match
local tconcat = table.concat

--- The reservation types pcx knows ({type, targetView, subType, displayName, exampleSku}, VM first).
function M.types() return pc.reservations.types() end

-- The type named `name` ("vm", "sql", ...; default "vm"), or an input error naming the types.
local function reservation_type(name)
  local names = {}
  for _, t in ipairs(M.types()) do
    if slower(t.type) == slower(name or "vm") then return t end
    names[#names + 1] = t.type
  end
  error(pc.errors.new { code = "invalid_argument", input = true,
    message = sformat("reservation type '%s' is not known; the types are %s", tostring(name), tconcat(names, ", ")),
    hint = "pcx playbook run purchase-reservation --list-types lists them with their catalog views" }, 0)
end
M.reservation_type = reservation_type

-- "1Year", "1Years", "P1Y", "1" → 1; "3Year(s)", "P3Y", "3" → 3
local function term_years(term)
  if type(term) == "number" then return term end
  if type(term) ~= "string" then return nil end
  local t = slower(term)
  return tonumber(smatch(t, "^p(%d+)y$") or smatch(t, "^(%d+)%s*years?$") or smatch(t, "^(%d+)$"))
end
M.term_years = term_years

local function norm(s) return s and slower(tostring(s)):gsub("[%s_%-]", "") or nil end

-- Bad input is a pc.Error (invalid_argument) raised at the script's line (a script's mistake,
-- exit 1 when uncaught); a value a person typed that names nothing usable (a subscription id, a
-- scope, a billing plan) is an input error (`input = true`, exit 2 when uncaught).
local function bad(message)
  error(pc.errors.new { code = "invalid_argument", message = message }, 0)
end
local function bad_input(message)
  error(pc.errors.new { code = "invalid_argument", input = true, message = message }, 0)
end

local function check_opts(opts, fn, required, allowed)
  if type(opts) ~= "table" then bad(fn .. ": expected a table of options, got " .. type(opts)) end
  if allowed then
    local names = {}
    for n in pairs(allowed) do names[#names + 1] = n end
    table.sort(names)
    for k in pairs(opts) do
      if not allowed[k] then
        local s = type(k) == "string" and args.suggest(k, names)
        bad(sformat("%s: unknown option '%s'%s (options: %s)", fn, tostring(k),
          s and (" — did you mean '" .. s .. "'?") or "", tconcat(names, ", ")))
      end
    end
  end
  for _, k in ipairs(required) do
    if opts[k] == nil or opts[k] == "" then bad(fn .. ": missing required option '" .. k .. "'") end
  end
  for k, v in pairs(opts) do
    if allowed and allowed[k] == "string" and type(v) ~= "string" then
      bad(sformat("%s: option '%s' must be a string, got %s", fn, k, type(v)))
    end
  end
end

local FIND_OPTS = { country = "string", sku = "string", region = "string", term = "any", reservation_scope = "string", type = "string" }
local PLAN_OPTS = { customer = "string", subscription = "string", sku = "string", region = "string", term = "any",
  scope = "string", quantity = "any", reservation_scope = "string", quote = "any", billing = "string", type = "string" }

-- "one-time", "one_time", "onetime", "OneTime" → "one_time"; "monthly" → "monthly"; else nil
local function billing_cycle(text)
  local t = norm(text)
  if t == "onetime" then return "one_time" end
  if t == "monthly" then return "monthly" end
  return nil
end

-- Per-run catalog cache: products by (country, scope), SKUs by product.
local cache = { products = {}, skus = {}, availabilities = {} }

--- Clears the catalog cache (availability IDs rotate; plan() always refetches availabilities).
function M.clear_cache() cache = { products = {}, skus = {}, availabilities = {} } end

-- The products of a type: its own view, keeping only its sub-type where the view lists several
-- types (AzureReservations); a product without a sub-type is kept (addendum §1.5: tolerant).
local function products_for(country, reservation_scope, rtype)
  local key = slower(country) .. "|" .. tostring(reservation_scope or "") .. "|" .. rtype.type
  local list = cache.products[key]
  if not list then
    list = {}
    for _, p in ipairs(pc.products.list { country = country, target_view = rtype.targetView, reservation_scope = reservation_scope }) do
      local sub = p.productType and p.productType.subType and p.productType.subType.id
      if not sub or slower(sub) == slower(rtype.subType) then list[#list + 1] = p end
    end
    cache.products[key] = list
  end
  return list
end

local function skus_for(product_id, country, reservation_scope)
  local key = product_id .. "|" .. slower(country) .. "|" .. tostring(reservation_scope or "")
  local list = cache.skus[key]
  if not list then
    list = pc.skus.list(product_id, { country = country, reservation_scope = reservation_scope })
    cache.skus[key] = list
  end
  return list
end

local function sku_matches(sku, arm_sku, region, years)
  local a = sku.dynamicAttributes or {}
  return norm(a.armSkuName) == norm(arm_sku)
    and norm(a.armRegionName) == norm(region)
    and term_years(a.duration) == years
end

-- The series names an ARM SKU name may appear under in a product title, most specific first:
-- Standard_DS1_v2 → DSv2, DS; Standard_D2s_v3 → Dsv3, Dv3, Ds, D; Standard_B1s → Bs, B.
local function series_candidates(arm)
  local family, features, version = smatch(arm or "", "^[Ss]tandard_(%u+)%d+(%l*)_?(v?%d*)$")
  if not family then return {} end
  local out = {}
  local function add(x) if x ~= "" then out[#out + 1] = slower(x) end end
  if version ~= "" then add(family .. features .. version); add(family .. version) end
  if features ~= "" then add(family .. features) end
  add(family)
  return out
end

--- Orders products so the one whose title names the ARM SKU's series ("Virtual Machines Dv3
--- Series" for Standard_D4_v3) comes first; the others keep their order. Only changes how many
--- SKU lists a search reads, never what it finds.
function M.rank_products(products, arm_sku)
  local candidates = series_candidates(arm_sku)
  local function rank(p)
    local title = " " .. slower(p.title or "") .. " "
    for i, c in ipairs(candidates) do
      if title:find(" " .. c .. " series", 1, true) or title:find(" " .. c .. "-series", 1, true) then return i end
    end
    return #candidates + 1
  end
  local ranked = {}
  for i, p in ipairs(products) do ranked[i] = { p = p, r = rank(p), i = i } end
  table.sort(ranked, function(a, b) if a.r ~= b.r then return a.r < b.r end return a.i < b.i end)
  local out = {}
  for i, x in ipairs(ranked) do out[i] = x.p end
  return out
end

-- What a SKU search nearly found, for its error: " (did you mean ...?)" naming a close ARM SKU
-- name of the type, or a region the SKU is sold in; "" when nothing is close. Reads only the
-- SKU lists the search already read (cached).
local function near_misses(products, opts)
  local names, regions = {}, {}
  local seen_name, seen_region = {}, {}
  for _, product in ipairs(products) do
    for _, sku in ipairs(skus_for(product.id, opts.country, opts.reservation_scope)) do
      local a = sku.dynamicAttributes or {}
      if a.armSkuName and not seen_name[a.armSkuName] then seen_name[a.armSkuName] = true; names[#names + 1] = a.armSkuName end
      if norm(a.armSkuName) == norm(opts.sku) and a.armRegionName and not seen_region[a.armRegionName] then
        seen_region[a.armRegionName] = true; regions[#regions + 1] = a.armRegionName
      end
    end
  end
  if #regions > 0 then
    local guess = args.suggest(opts.region, regions)
    return guess and (" — did you mean region " .. guess .. "?") or (" — " .. opts.sku .. " is sold in " .. tconcat(regions, ", ", 1, math.min(#regions, 6)) .. (#regions > 6 and ", ..." or ""))
  end
  local guess = args.suggest(opts.sku, names)
  if guess then return " — did you mean " .. guess .. "?" end
  if #names > 0 then return " (this type's SKUs include " .. tconcat(names, ", ", 1, math.min(#names, 4)) .. ")" end
  return ""
end

--- Finds the product, SKU and availability to buy for an ARM SKU name, region and term.
--- opts: country (ISO alpha-2), type ("vm" default, "sql", "cosmosdb", ...: ri.types()), sku
--- ("Standard_D2s_v3", "SQLDB_GP_Compute_Gen5"), region ("westeurope"), term ("1Year" | "3Year" |
--- "P1Y" | "P3Y"), reservation_scope ("AzurePlan" for Azure plan subscriptions).
--- Returns {product, sku, availability, catalog_item_id, term_duration} or raises not_found.
function M.find(opts)
  check_opts(opts, "reservations.find", { "country", "sku", "region" }, FIND_OPTS)
  local years = term_years(opts.term or "1Year")
  if years ~= 1 and years ~= 3 then
    bad("reservations.find: term must be 1Year or 3Year (P1Y/P3Y), got " .. tostring(opts.term))
  end
  local rtype = reservation_type(opts.type)
  local found_product, found_sku
  for _, product in ipairs(M.rank_products(products_for(opts.country, opts.reservation_scope, rtype), opts.sku)) do
    for _, sku in ipairs(skus_for(product.id, opts.country, opts.reservation_scope)) do
      if sku_matches(sku, opts.sku, opts.region, years) then
        found_product, found_sku = product, sku
        break
      end
    end
    if found_sku then break end
  end
  if not found_sku then
    error(pc.errors.new {
      code = "not_found", input = true,
      message = sformat("no %s reservation SKU %s in %s for %d year%s in market %s%s",
        rtype.displayName, opts.sku, opts.region, years, years == 1 and "" or "s", opts.country,
        near_misses(products_for(opts.country, opts.reservation_scope, rtype), opts)),
      hint = sformat("check the type, the ARM SKU name (e.g. %s) and the region (e.g. westeurope); list them with pc.products.list{country=..., target_view='%s'} and pc.skus.list",
        rtype.exampleSku, rtype.targetView),
    }, 2)
  end
  local wanted = "P" .. years .. "Y"
  local availability
  for _, av in ipairs(pc.availabilities.list(found_product.id, found_sku.id,
      { country = opts.country, reservation_scope = opts.reservation_scope })) do
    if av.isPurchasable ~= false then
      local term_ok = av.terms == nil or #av.terms == 0
      for _, t in ipairs(av.terms or {}) do if slower(t.duration or "") == slower(wanted) then term_ok = true end end
      if term_ok then availability = av break end
    end
  end
  if not availability then
    error(pc.errors.new {
      code = "not_found",
      message = sformat("SKU %s of product %s has no purchasable availability for %s in %s",
        found_sku.id, found_product.id, wanted, opts.country),
      hint = "the catalog may be changing; try again later",
    }, 2)
  end
  return {
    type = rtype.type, product = found_product, sku = found_sku, availability = availability,
    catalog_item_id = availability.catalogItemId or (found_product.id .. ":" .. found_sku.id .. ":" .. availability.id),
    term_duration = wanted, years = years,
  }
end

local function has(list, value)
  for _, v in ipairs(list or {}) do if slower(tostring(v)) == slower(value) then return true end end
  return false
end

--- The customer's market (ISO alpha-2): billing profile address, else company profile address.
function M.customer_country(customer)
  local c = customer.billingProfile and customer.billingProfile.defaultAddress and customer.billingProfile.defaultAddress.country
  if not c or c == "" then c = customer.companyProfile and customer.companyProfile.address and customer.companyProfile.address.country end
  return c
end

-- The Azure plan's catalog item is DZH318Z0BPS6:0001:... (addendum §1.1).
local is_azure_plan = azure.is_azure_plan
M.is_azure_plan = is_azure_plan

--- What a subscription id given for a purchase is: `{kind = "plan" | "azure" | "legacy", plan = plan
--- id, azure_subscription = Azure subscription id (kind "azure"), subscription = the Partner Center
--- subscription that is registered (the plan or the MS-AZR-0145P subscription)}`. Accepts an Azure
--- plan id, the id of an Azure subscription under one of the customer's plans (found through
--- pc.subscriptions.azure_entitlements), or an MS-AZR-0145P subscription id. Anything else is
--- invalid_argument naming what the id is.
function M.resolve_subscription(customer, id)
  if type(customer) ~= "string" or type(id) ~= "string" or id == "" then
    bad("reservations.resolve_subscription: expected a customer id and a subscription id")
  end
  local subs = pc.subscriptions.list(customer)
  for _, s in ipairs(subs) do
    if slower(s.id or "") == slower(id) then
      if is_azure_plan(s) then return { kind = "plan", plan = s.id, subscription = s.id, status = s.status } end
      if azure.is_legacy(s) then return { kind = "legacy", subscription = s.id, status = s.status } end
      bad_input(sformat("subscription %s of customer %s is %s (%s), not an Azure subscription: reservations need an Azure plan, an Azure subscription under one, or an MS-AZR-0145P subscription",
        id, customer, tostring(s.offerName or s.friendlyName or "?"), tostring(s.offerId or "?")))
    end
  end
  for _, s in ipairs(subs) do
    if is_azure_plan(s) then
      for _, e in ipairs(pc.subscriptions.azure_entitlements(customer, s.id)) do
        if slower(e.id or "") == slower(id) then
          return { kind = "azure", plan = s.id, subscription = s.id, azure_subscription = e.id, status = e.status }
        end
      end
    end
  end
  bad_input(sformat("customer %s has no subscription %s: give its Azure plan id, an Azure subscription id under the plan, or an MS-AZR-0145P subscription id (pc.subscriptions.list and pc.subscriptions.azure_entitlements list them)",
    customer, id))
end

-- The Azure subscription a single-scope purchase under `plan_id` applies to, when the plan has
-- exactly one active one; otherwise the caller must name it.
local function only_azure_subscription(customer, plan_id)
  local active = {}
  for _, e in ipairs(pc.subscriptions.azure_entitlements(customer, plan_id)) do
    if slower(e.status or "") == "active" then active[#active + 1] = e.id end
  end
  if #active == 1 then return active[1] end
  bad_input(sformat("single scope needs one Azure subscription, and Azure plan %s has %d active ones%s: give the Azure subscription's id as the subscription",
    plan_id, #active, #active > 0 and (" (" .. tconcat(active, ", ") .. ")") or ""))
end

-- Who buys and under what (shared by reservations and savings plans): the customer and its
-- market (refused where pcx sells nothing), the subscription's kind (active), the billing plan's
-- fit, the scope (default: single for an Azure subscription, shared otherwise) and, for single
-- scope under a plan, the Azure subscription.
local function purchase_target(opts, billing, what)
  local customer = pc.customers.get(opts.customer)
  local country = M.customer_country(customer)
  if not country then
    error(pc.errors.new { code = "invalid_argument", message = "customer " .. opts.customer .. " has no country in its profile",
      hint = "the partner needs a relationship with the customer that exposes its billing profile" }, 2)
  end
  pc.policy.check_market(opts.customer, country) -- raises policy_denied before anything is changed

  -- an Azure plan, an Azure subscription under one, or MS-AZR-0145P: each is bought its own way
  local target = M.resolve_subscription(opts.customer, opts.subscription)
  local on_plan = target.kind ~= "legacy"
  if target.status and slower(tostring(target.status)) ~= "active" then
    -- a dry run must say what the real run would meet: Partner Center refuses an inactive one
    error(pc.errors.new { code = "invalid_argument", input = true,
      message = sformat("subscription %s is %s, not active: %s are bought only with an active subscription", opts.subscription, tostring(target.status), what),
      hint = "pick an active subscription of the customer (pc.subscriptions.list), or reactivate this one" }, 0)
  end
  if opts.reservation_scope and norm(opts.reservation_scope) == "azureplan" and not on_plan then
    bad_input(sformat("subscription %s is MS-AZR-0145P, not an Azure plan: leave out --azure-plan (reservation_scope)", opts.subscription))
  end
  if billing == "monthly" and not on_plan then
    error(pc.errors.new { code = "invalid_argument", input = true,
      message = sformat("monthly billing is for %s under an Azure plan; subscription %s is MS-AZR-0145P, which is billed one-time", what, opts.subscription),
      hint = "buy with --billing one-time, or under the customer's Azure plan (give the plan id or an Azure subscription under it)" }, 0)
  end
  -- the default scope: single for an Azure subscription, shared for a plan or MS-AZR-0145P
  local scope = opts.scope and (norm(opts.scope) == "shared" and "Shared" or "Single")
    or (target.kind == "azure" and "Single" or "Shared")
  local azure_subscription = target.azure_subscription
  if on_plan and scope == "Single" and not azure_subscription then
    azure_subscription = only_azure_subscription(opts.customer, target.plan)
  end

  return customer, country, target, on_plan, scope, azure_subscription
end

local Plan = {}
Plan.__index = Plan
Plan.__name = "reservations.Plan"

--- Builds the purchase plan: checks the market, registration, finds the catalog item, checks
--- inventory where the SKU requires it, and prices it with a cart (a cart spends nothing; it is
--- Partner Center's own quote). opts: customer, subscription, sku, region, term, scope
--- ("Single" | "Shared"), quantity, reservation_scope, quote (default true).
function M.plan(opts)
  check_opts(opts, "reservations.plan", { "customer", "subscription", "sku", "region" }, PLAN_OPTS)
  local quantity = opts.quantity or 1
  if math.type(quantity) ~= "integer" or quantity < 1 then
    bad("reservations.plan: quantity must be a whole number of at least 1, got " .. tostring(quantity))
  end
  if opts.scope ~= nil and norm(opts.scope) ~= "shared" and norm(opts.scope) ~= "single" then
    bad_input("reservations.plan: scope must be Single or Shared, got " .. tostring(opts.scope))
  end
  reservation_type(opts.type) -- a wrong type is refused before any call
  local billing = billing_cycle(opts.billing or "one_time")
  if not billing then bad_input("reservations.plan: billing must be one-time or monthly, got " .. tostring(opts.billing)) end

  local customer, country, target, on_plan, scope, azure_subscription = purchase_target(opts, billing, "reservations")

  local registration = pc.subscriptions.registration_status(opts.customer, target.subscription)
  local found = M.find { country = country, type = opts.type, sku = opts.sku, region = opts.region, term = opts.term or "1Year",
    reservation_scope = on_plan and "AzurePlan" or nil }

  local inventory
  if has(found.sku.purchasePrerequisites, "InventoryCheck") then
    local items = pc.inventory.check(country, {
      targetItems = { { productId = found.product.id, skuId = found.sku.id } },
      inventoryContext = { customerId = opts.customer, azureSubscriptionId = azure_subscription or target.subscription,
        armRegionName = (found.sku.dynamicAttributes or {}).armRegionName or opts.region },
    })
    inventory = { restricted = false, restrictions = {} }
    for _, item in ipairs(items) do
      if item.skuId == nil or item.skuId == found.sku.id then
        if item.isRestricted then
          inventory.restricted = true
          for _, r in ipairs(item.restrictions or {}) do inventory.restrictions[#inventory.restrictions + 1] = r end
        end
      end
    end
  end

  local plan = setmetatable({
    customer = opts.customer, customer_name = customer.companyProfile and customer.companyProfile.companyName,
    country = country, subscription = target.subscription, kind = target.kind, plan_id = target.plan,
    azure_subscription = azure_subscription, given_subscription = opts.subscription, billing = billing,
    registration = registration.status, needs_registration = slower(registration.status or "") ~= "registered",
    type = found.type, product = found.product, sku = found.sku, availability = found.availability,
    catalog_item_id = found.catalog_item_id, term_duration = found.term_duration,
    duration = found.years .. "Year", scope = scope, quantity = quantity,
    arm_sku = opts.sku, region = opts.region, inventory = inventory,
    currency = found.availability.defaultCurrency and found.availability.defaultCurrency.code,
  }, Plan)

  local cycles = found.sku.supportedBillingCycles
  if billing == "monthly" and type(cycles) == "table" and #cycles > 0 then
    local supported = false
    for _, c in ipairs(cycles) do if billing_cycle(c) == "monthly" then supported = true end end
    if not supported then
      error(pc.errors.new { code = "invalid_argument", input = true,
        message = sformat("%s in %s is not sold with monthly billing (its billing plans: %s)", opts.sku, opts.region, tconcat(cycles, ", ")),
        hint = "buy it with --billing one-time" }, 0)
    end
  end

  if inventory and inventory.restricted then
    local reasons = {}
    for _, r in ipairs(inventory.restrictions) do reasons[#reasons + 1] = r.description or r.reasonCode end
    error(pc.errors.new { code = "conflict", pc_code = 800010,
      message = sformat("no inventory for %s in %s for subscription %s: %s", opts.sku, opts.region, opts.subscription, tconcat(reasons, "; ")),
      hint = "pick another region or SKU, or another subscription" }, 2)
  end

  if opts.quote ~= false then
    M.quote(plan)
  end
  return plan
end

-- Azure savings plans ----------------------------------------------------------------------------

local SAVINGS_OPTS = { customer = "string", subscription = "string", commitment = "any", currency = "string", term = "any",
  scope = "string", billing = "string", quote = "any" }

--- Finds the Azure savings plan for compute in a customer's catalog (customer routes only: a
--- customer with an Azure plan sees it, addendum §1.4) for a term of `years`: {product, sku,
--- availability, catalog_item_id, years}; raises not_found otherwise.
function M.find_savings_plan(customer, years)
  for _, p in ipairs(pc.customer_products.list(customer, { target_view = "AzureReservations", reservation_scope = "AzurePlan" })) do
    local sub = p.productType and p.productType.subType and p.productType.subType.id
    if sub and slower(sub) == "savingsplan" then
      for _, sku in ipairs(pc.customer_skus.list(customer, p.id, { reservation_scope = "AzurePlan" })) do
        local a = sku.dynamicAttributes or {}
        if term_years(a.termDuration or a.duration) == years then
          local av = pc.customer_availabilities.list(customer, p.id, sku.id, { reservation_scope = "AzurePlan" })[1]
          if av then
            return { product = p, sku = sku, availability = av, years = years,
              catalog_item_id = av.catalogItemId or (p.id .. ":" .. sku.id .. ":" .. av.id) }
          end
        end
      end
    end
  end
  error(pc.errors.new { code = "not_found",
    message = sformat("no Azure savings plan for %d year%s in the catalog of customer %s", years, years == 1 and "" or "s", customer),
    hint = "savings plans are shown only to customers with an Azure plan (ensure-azure-subscription gives one)" }, 2)
end

-- The hourly commitment as money: positive, at most 3 decimals (the SKU's minimum is 0.001).
local function commitment_of(opts)
  if type(opts.currency) ~= "string" or not opts.currency:match("^%a%a%a$") then
    bad_input(sformat("currency must be a three-letter ISO 4217 code such as USD or EUR, got %s", tostring(opts.currency)))
  end
  if type(opts.commitment) == "string" and not opts.commitment:match("^%s*%d+%.?%d*%s*$") then
    bad_input(sformat("commitment must be a plain decimal hourly amount such as 12.50, got %s", opts.commitment))
  end
  local ok, amount = pcall(money.new, opts.commitment, opts.currency)
  if not ok or amount <= money.new(0, opts.currency) then
    bad_input(sformat("commitment must be a positive hourly amount such as 12.50, got %s", tostring(opts.commitment)))
  end
  if amount > money.new(1000000, opts.currency) then
    bad_input(sformat("commitment %s is above 1,000,000 an hour, the most Partner Center takes", tostring(opts.commitment)))
  end
  if amount:round(3) ~= amount then
    bad_input(sformat("commitment %s has more than 3 decimals (the smallest step is 0.001 an hour)", tostring(opts.commitment)))
  end
  return amount
end

--- Plans an Azure savings plan for compute: an hourly `commitment` in `currency` (the customer's
--- market currency) for `term` (P1Y | P3Y), billed one-time or monthly, scoped shared (the plan) or
--- single (an Azure subscription under it). Azure plan only: an MS-AZR-0145P subscription is an
--- input error. Returns a plan that `reservations.purchase` buys like a reservation's.
function M.savings_plan(opts)
  check_opts(opts, "reservations.savings_plan", { "customer", "subscription", "commitment", "currency" }, SAVINGS_OPTS)
  local years = term_years(opts.term or "P1Y")
  if years ~= 1 and years ~= 3 then bad_input("reservations.savings_plan: term must be P1Y or P3Y, got " .. tostring(opts.term)) end
  if opts.scope ~= nil and norm(opts.scope) ~= "shared" and norm(opts.scope) ~= "single" then
    bad_input("reservations.savings_plan: scope must be shared or single, got " .. tostring(opts.scope))
  end
  local billing = billing_cycle(opts.billing or "one_time")
  if not billing then bad_input("reservations.savings_plan: billing must be one-time or monthly, got " .. tostring(opts.billing)) end
  local commitment = commitment_of(opts)
  local customer, country, target, on_plan, scope, azure_subscription = purchase_target(opts, "one_time", "Azure savings plans")
  if not on_plan then
    bad_input(sformat("Azure savings plans are bought under an Azure plan only; subscription %s is MS-AZR-0145P (give the customer's Azure plan or an Azure subscription under it)", opts.subscription))
  end
  local found = M.find_savings_plan(opts.customer, years)
  local currency = found.availability.defaultCurrency and found.availability.defaultCurrency.code or opts.currency
  if slower(currency) ~= slower(opts.currency) then
    bad_input(sformat("customer %s is billed in %s, not %s: give --currency %s", opts.customer, currency, opts.currency, currency))
  end
  local minimum = found.sku.minimumPurchaseCommitment
  if minimum and minimum.amount and commitment < money.new(minimum.amount, currency) then
    bad_input(sformat("commitment %s is below the SKU's minimum of %s %s an hour", commitment:format(), minimum.amount, currency))
  end
  local plan = setmetatable({
    type = "savingsplan", customer = opts.customer, customer_name = customer.companyProfile and customer.companyProfile.companyName,
    country = country, subscription = target.subscription, kind = target.kind, plan_id = target.plan,
    azure_subscription = azure_subscription, given_subscription = opts.subscription, billing = billing,
    registration = "registration not needed", needs_registration = false, commitment = commitment,
    product = found.product, sku = found.sku, availability = found.availability, catalog_item_id = found.catalog_item_id,
    term_duration = "P" .. years .. "Y", scope = scope, quantity = 1, arm_sku = "Compute_Savings_Plan", region = "", currency = currency,
  }, Plan)
  if opts.quote ~= false then M.quote(plan) end
  return plan
end

--- The provisioning context of a plan's cart line (addendum §1.6): MS-AZR-0145P names its
--- subscription; under an Azure plan, shared scope names the plan (`subscriptionId`) and single
--- scope the Azure subscription (`entitlementId`), never an Azure subscription as `subscriptionId`.
function M.provisioning_context(plan)
  local scope = slower(plan.scope)
  if plan.kind == "plan" or plan.kind == "azure" then
    if scope == "single" then return { scope = scope, entitlementId = plan.azure_subscription, duration = plan.duration } end
    return { scope = scope, subscriptionId = plan.plan_id, duration = plan.duration }
  end
  return { subscriptionId = plan.subscription, scope = scope, duration = plan.duration }
end

--- The cart line for a plan.
function M.cart_line(plan)
  if type(plan) ~= "table" or not plan.catalog_item_id or not plan.subscription then
    bad("reservations.cart_line: expected a plan from reservations.plan")
  end
  return {
    id = 0, catalogItemId = plan.catalog_item_id, quantity = plan.quantity, billingCycle = plan.billing or "one_time",
    termDuration = plan.term_duration, friendlyName = plan.sku.title,
    provisioningContext = M.provisioning_context(plan),
    -- an Azure savings plan's hourly commitment (the documented sample: {amount = 0.05, grain = "hourly", currency = "usd"})
    purchaseCommitment = plan.commitment and { amount = tonumber(plan.commitment:amount()), grain = "hourly", currency = slower(plan.currency) } or nil,
  }
end

--- Creates (or refreshes) the cart that prices the plan; fills plan.cart, plan.unit_price,
--- plan.total (money). A cart spends nothing and expires after 7 days. In a dry run no cart is
--- created unless --quote asks for one: the plan then has no price (plan.quote_recorded).
function M.quote(plan)
  if getmetatable(plan) ~= Plan then bad("reservations.quote: expected a plan from reservations.plan, got " .. type(plan)) end
  local line = M.cart_line(plan)
  local cart = pc.carts.create(plan.customer, { lineItems = { line } })
  if cart.dry_run then
    -- recorded, not sent: the plan keeps the lines it would buy, without Partner Center's price
    plan.cart, plan.quote_recorded = { lineItems = { line } }, true
    return plan
  end
  plan.cart, plan.quote_recorded = cart, nil
  line = cart.lineItems and cart.lineItems[1] or {}
  -- In a dry run the registration is recorded, not sent: Partner Center answers the quote for a
  -- subscription that is not registered yet with error 10011 on the line, but still prices it.
  -- Before a real purchase the same happens until the registration is sent (after the gate).
  local pending_registration = line.error and line.error.errorCode == 10011 and plan.needs_registration
  plan.quote_pending_registration = pending_registration or nil
  if line.error and not pending_registration then
    error(pc.errors.new { code = "invalid_argument", pc_code = line.error.errorCode,
      message = "Partner Center refused the cart line: " .. tostring(line.error.errorDescription),
      hint = M.cart_error_hint(line.error.errorCode) }, 2)
  end
  local currency = line.currencyCode or plan.currency or "USD"
  plan.currency = currency
  local p = line.pricing
  if p then
    local unit = p.price or p.discountedPrice or p.listPrice
    if unit then plan.unit_price = money.new(unit, currency) end
    if p.extendedPrice then plan.total = money.new(p.extendedPrice, currency)
    elseif plan.unit_price then plan.total = plan.unit_price * plan.quantity end
    if p.listPrice then plan.list_price = money.new(p.listPrice, currency) end
    if plan.billing == "monthly" and plan.total then
      -- a monthly line is priced per month: the plan's total is the whole commitment
      plan.monthly_total = plan.total
      plan.total = plan.total * (12 * (term_years(plan.term_duration) or 1))
    end
  end
  return plan
end

--- What to do about a cart line error code (pcx's one hint table).
function M.cart_error_hint(code) return pc.errors.hint(code) or "see Partner Center's cart error codes" end

-- An amount as exact text padded to its currency's minor units (Partner Center's numbers may have
-- fewer: 109500, 919.8 → "109500.00", "919.80" in USD; "109500" in JPY).
local function amount_text(m)
  return m and m:exact() or nil
end

--- A plain table describing the plan (for --json output and the journal).
function Plan:summary()
  return {
    customer = self.customer, customer_name = self.customer_name, country = self.country,
    subscription = self.subscription, registration = self.registration,
    type = self.type, kind = self.kind, azure_plan = self.plan_id, azure_subscription = self.azure_subscription, billing = self.billing,
    monthly_total = amount_text(self.monthly_total),
    commitment = amount_text(self.commitment),
    catalog_item_id = self.catalog_item_id, product = self.product.title, sku = self.sku.title,
    arm_sku = self.arm_sku, region = self.region, term = self.term_duration, scope = self.scope,
    quantity = self.quantity, currency = self.currency,
    unit_price = amount_text(self.unit_price),
    total = amount_text(self.total),
    cart_id = self.cart and self.cart.id or nil,
    quoted = not self.quote_recorded,
  }
end

function Plan:__tostring()
  local lines = {
    "Purchase plan",
    sformat("  customer      %s%s (%s)", self.customer, self.customer_name and (" " .. self.customer_name) or "", self.country),
    self.kind == "legacy" and sformat("  subscription  %s MS-AZR-0145P (%s)", self.subscription, self.registration or "?")
      or sformat("  azure plan    %s (%s)%s", self.plan_id, self.registration or "?",
        self.azure_subscription and (", Azure subscription " .. self.azure_subscription) or ""),
    sformat("  catalog item  %s", self.catalog_item_id),
    sformat("  sku           %s (%s)", self.sku.title or self.arm_sku, self.type),
    sformat("  term / scope  %s / %s", self.term_duration, self.scope),
    sformat("  quantity      %d", self.quantity),
  }
  if self.commitment then lines[#lines + 1] = sformat("  commitment    %s an hour", self.commitment:format { exact = true }) end
  if self.unit_price then
    lines[#lines + 1] = sformat("  unit price    %s%s", self.unit_price:format { exact = true }, self.billing == "monthly" and " a month" or "")
  end
  if self.billing == "monthly" and not self.monthly_total then lines[#lines + 1] = "  billing       monthly (not priced yet: --quote prices it)" end
  if self.monthly_total then
    lines[#lines + 1] = sformat("  billing       monthly: %s a month", self.monthly_total:format())
    if self.total then
      lines[#lines + 1] = sformat("  total         %s over the term (at most: the last month may be a little less)", self.total:format())
    end
  elseif self.total then lines[#lines + 1] = sformat("  total         %s", self.total:format()) end
  if self.needs_registration then lines[#lines + 1] = "  note          the subscription will be registered first" end
  return tconcat(lines, "\n")
end

--- Registers the plan's subscription if needed and waits until it is Registered.
function M.ensure_registered(plan, opts)
  if not plan.needs_registration then return plan end
  pc.subscriptions.register(plan.customer, plan.subscription)
  local status = pc.subscriptions.wait_registered(plan.customer, plan.subscription, opts)
  if pc.options.dry_run then
    -- recorded, not sent: the subscription stays unregistered and the plan says so
    plan.registration = status and status.status or plan.registration
    return plan
  end
  plan.registration, plan.needs_registration = "Registered", false
  return plan
end

--- Buys the plan: registration (if needed), price quote, purchase gate, idempotent checkout,
--- then waits for the order and its entitlement. opts: idempotency_key, wait (default true),
--- timeout (seconds, default 600). Returns {order, entitlement, reservation, plan, journal_id},
--- with replayed = true and original_date when the purchase was already made (nothing was
--- bought now), or {dry_run = true, ...} in a dry run.
function M.purchase(plan, opts)
  if getmetatable(plan) ~= Plan then bad("reservations.purchase: expected a plan from reservations.plan, got " .. type(plan)) end
  opts = opts or {}
  if plan.needs_registration and not pc.options.dry_run then
    -- The gate (caps, --allow-purchase or the terminal's "yes") before the registration is sent:
    -- a refused purchase changes nothing at Partner Center.
    if not plan.cart then M.quote(plan) end
    pc.purchase_check { customer = plan.customer, cart = plan.cart, plan = plan:summary() }
    M.ensure_registered(plan)
    M.quote(plan) -- a fresh quote now that the subscription is registered
  else
    M.ensure_registered(plan)
    if not plan.cart or plan.quote_pending_registration and not pc.options.dry_run then M.quote(plan) end
  end
  local result = pc.purchase {
    customer = plan.customer, cart = plan.cart, plan = plan:summary(),
    idempotency_key = opts.idempotency_key,
  }
  local replay = result.replayed and { replayed = true, original_date = result.original_date } or nil
  if result.dry_run then
    -- nothing was sent: the checkout (and any registration) was recorded in the journal, or the
    -- journal already holds this purchase (a replay)
    local order = replay and result.orders and result.orders[1] or nil
    return { dry_run = true, plan = plan, journal_id = result.journal_id, recorded = result.recorded, order = order,
      replayed = replay and true or nil, original_date = replay and replay.original_date or nil, notes = result.notes }
  end
  local order = result.orders and result.orders[1]
  if not order then
    local e = result.orderErrors and result.orderErrors[1] or {}
    error(pc.errors.new { code = "server_error", pc_code = e.code,
      message = "checkout created no order: " .. tostring(e.description or "no reason given"),
      hint = "see `pcx journal list`; re-running the same purchase is safe" }, 2)
  end
  local out = { order = order, plan = plan, journal_id = result.journal_id,
    replayed = replay and true or nil, original_date = replay and replay.original_date or nil }
  if opts.wait == false then return out end
  out.order = pc.orders.wait_completed(plan.customer, order.id, { timeout = opts.timeout })
  if plan.type == "savingsplan" then
    -- a savings plan is a benefit subscription, named on the order's line once provisioned
    local id = out.order.lineItems and out.order.lineItems[1] and out.order.lineItems[1].subscriptionId
    if id then out.subscription = pc.subscriptions.get(plan.customer, id) end
    return out
  end
  out.entitlement = M.entitlement_for(plan.customer, order.id)
  if out.entitlement then out.reservation = M.reservation_details(plan.customer, out.entitlement) end
  return out
end

--- The reserved-instance entitlement created by an order, or nil.
function M.entitlement_for(customer, order_id)
  for _, e in ipairs(pc.entitlements.list(customer, { entitlement_type = "reservedInstance", show_expiry = true })) do
    if e.referenceOrder and e.referenceOrder.id == order_id then return e end
  end
  return nil
end

--- The reservation details behind an entitlement's reservedinstance artifact.
-- `customer` is unused (the artifact link names it) but stays: the documented signature is (customer, entitlement).
function M.reservation_details(customer, entitlement) -- luacheck: ignore 212/customer
  for _, a in ipairs(entitlement.entitledArtifacts or {}) do
    if slower(a.artifactType or "") == "reservedinstance" and a.link then
      local details = pc.entitlements.reservation_details(a.link)
      local list = details.reservations
      if not list or #list == 0 then list = details.virtualMachineReservations end
      return list and list[1], details
    end
  end
  return nil
end

--- The parameters the purchase playbooks share (customer, subscription, scope, quantity, billing,
--- azure_plan, wait), with `overrides` replacing or adding declarations (`false` removes one).
function M.purchase_params(overrides)
  local params = {
    customer     = { type = "customer", required = true, order = 1, help = "customer: tenant id, domain or company name" },
    subscription = { type = "string", required = true, order = 2,
                     help = "an Azure plan id, an Azure subscription id under a plan, or an MS-AZR-0145P subscription id" },
    scope        = { type = "string", choices = { "Shared", "Single" },
                     help = "benefit scope (default: Single for an Azure subscription, Shared for a plan or MS-AZR-0145P)" },
    quantity     = { type = "integer", default = 1, min = 1, help = "number of units (instances, vCores, 100 RU/s, ...)" },
    billing      = { type = "string", default = "one-time", choices = { "one-time", "monthly" },
                     help = "billing plan: monthly only under an Azure plan (the caps weigh the whole term)" },
    azure_plan   = { type = "boolean", default = false,
                     help = "insist on an Azure plan (refused for MS-AZR-0145P); without it the subscription's kind decides" },
    wait         = { type = "integer", default = 900, min = 0, help = "seconds to wait for the order to complete (0: do not wait)" },
  }
  for name, declaration in pairs(overrides or {}) do params[name] = declaration or nil end
  return params
end

-- What a purchase playbook prints (text; --json prints the table itself).
local function print_outcome(o, plan)
  local s = o.plan
  if o.replayed then
    print(sformat("already bought on %s: order %s, journal #%s; nothing was bought now%s",
      tostring(o.original_date), o.order and o.order.id or "?", tostring(o.journal_id), o.dry_run and " (dry run)" or ""))
    print("  to buy the same again, pass a new --idempotency-key")
  elseif o.dry_run then
    local what = s.type == "savingsplan" and ("Azure savings plan, " .. tostring(s.commitment) .. " " .. tostring(s.currency) .. " an hour,")
      or (tostring(s.type) .. " reservation")
    print(sformat("dry run: would buy %d x %s (%s %s) for customer %s, term %s, scope %s, billing %s",
      s.quantity, tostring(s.arm_sku), what, tostring(s.catalog_item_id), s.customer, tostring(s.term), tostring(s.scope),
      tostring(s.billing)))
    if s.quoted then
      print(sformat("  unit price %s%s, total %s", plan.unit_price and plan.unit_price:format { exact = true } or "?",
        plan.billing == "monthly" and " a month" or "", plan.total and plan.total:format() or "?"))
    else
      print("  price not quoted: a dry run creates no cart (add --quote to get Partner Center's price; a cart spends nothing)")
    end
    if plan.needs_registration then
      print("  the subscription is " .. tostring(s.registration) .. ": its registration was recorded, not sent")
    end
    for _, n in ipairs(o.notes or {}) do print("  note: " .. n) end
    print("dry run: nothing was bought. Re-run without --dry-run (and with --allow-purchase) to buy.")
  elseif o.subscription then
    local sub = o.subscription
    print(sformat("bought: order %s (%s), Azure savings plan %s, %s an hour, %s, scope %s, ends %s",
      o.order.id, o.order.status, sub.id, tostring(plan.commitment and plan.commitment:format { exact = true }), tostring(sub.termDuration),
      plan.scope, tostring(sub.commitmentEndDate)))
  elseif o.reservation then
    local r = o.reservation
    print(sformat("bought: order %s (%s), reservation %s, %s x %s, scope %s, effective %s, expires %s",
      o.order.id, o.order.status, r.reservationId, tostring(r.quantity), plan.arm_sku, r.scopeType,
      r.effectiveDateTime, r.expiryDateTime))
  elseif o.order then
    print(sformat("ordered: order %s is %s; `pcx journal show %s` tracks it", o.order.id, o.order.status, tostring(o.journal_id)))
  end
end

-- The outcome as one row for -o csv|tsv: what was bought (or would be), its price and what came of it.
local OUTCOME = {
  "customer", "type", "arm_sku", "region", "term", "scope", "billing", "quantity", "unit_price", "total", "currency",
  "dry_run", "replayed", "journal_id", "order", "order_status", "reservation", "subscription",
}

local function outcome_row(o)
  local s = o.plan
  return {
    customer = s.customer, type = s.type, arm_sku = s.arm_sku, region = s.region, term = s.term, scope = s.scope,
    billing = s.billing, quantity = s.quantity, unit_price = s.unit_price, total = s.total, currency = s.currency,
    dry_run = o.dry_run, replayed = o.replayed, journal_id = o.journal_id, order = o.order and o.order.id,
    order_status = o.order and o.order.status, reservation = o.reservation and o.reservation.reservationId,
    subscription = o.subscription and o.subscription.id,
  }
end

--- The purchase playbooks' run (purchase-reservation, purchase-reserved-vm): plans (the plan is
--- shown on stderr), buys through the gate, waits for the order (p.wait seconds, 0: no wait) and
--- prints the outcome (text; the outcome with -o json; one row with -o csv|tsv). Returns the outcome table.
function M.purchase_command(p)
  local plan
  if p.commitment then
    plan = M.savings_plan { customer = p.customer, subscription = p.subscription, commitment = p.commitment,
      currency = p.currency, term = p.term, scope = p.scope, billing = p.billing }
  else
    plan = M.plan {
      customer = p.customer, subscription = p.subscription, type = p.type, sku = p.sku, region = p.region,
      term = p.term, scope = p.scope, quantity = p.quantity, billing = p.billing,
      reservation_scope = p.azure_plan and "AzurePlan" or nil,
    }
  end
  if not pc.options.json then io.stderr:write(tostring(plan), "\n") end -- stderr: -o csv|tsv keeps stdout to the rows
  local result = M.purchase(plan, { wait = p.wait > 0, timeout = p.wait })
  local out = {
    dry_run = result.dry_run or false, plan = plan:summary(), journal_id = result.journal_id,
    replayed = result.replayed or false, original_date = result.original_date,
    order = result.order and { id = result.order.id, status = result.order.status, alternateId = result.order.alternateId } or nil,
    reservation = result.reservation, notes = result.notes,
    subscription = result.subscription and { id = result.subscription.id, productOrderId = result.subscription.productOrderId,
      termDuration = result.subscription.termDuration, commitmentEndDate = result.subscription.commitmentEndDate,
      status = result.subscription.status } or nil,
  }
  require("output").emit(out, { rows = { outcome_row(out) }, columns = OUTCOME, text = function(o) print_outcome(o, plan) end })
  return out
end

M.Plan = Plan
-- Tracing across data sets (addendum §4) ------------------------------------------------------------

local GUID = "%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x"

--- The first GUID in `text`, lower-cased (nil when there is none).
function M.guid(text)
  if type(text) ~= "string" then return nil end
  local g = text:match(GUID)
  return g and slower(g) or nil
end

--- A reconciliation line's reservationOrderId split into the order GUID and the purchase
--- channel its prefix names: "partner_center" (RIOderId/RIOrderId), "test" (PCTest), "azure"
--- (no prefix: bought in Azure Cost Management), or "other:<prefix>". Returns guid, channel, prefix.
function M.reservation_order(value)
  local g = M.guid(value)
  if not g then return nil end
  local s = tostring(value)
  local at = s:lower():find(g, 1, true)
  local prefix = s:sub(1, at - 1):gsub("[%s:_%-/|]+$", "")
  local p = slower(prefix)
  local channel = (p == "" and "azure") or ((p == "rioderid" or p == "riorderid") and "partner_center")
    or (p == "pctest" and "test") or ("other:" .. prefix)
  return g, channel, prefix
end

local function find_key(t, want)
  for k, v in pairs(t) do
    if type(k) == "string" and slower(k) == want then return v end
  end
end

--- The reservation a daily-usage line is covered by: {order = guid, reservation = guid?} from
--- additionalInfo (a JSON string or a table; keys matched case-insensitively), else from
--- benefitOrderId (savings plans, and reservations where it is filled), else a GUID found in the
--- raw additionalInfo text. nil when the line is not reservation-covered.
function M.usage_reservation(line)
  local info = line.additionalInfo
  if type(info) == "string" and info:find("{", 1, true) then
    local ok, decoded = pcall(json.decode, info)
    if ok and type(decoded) == "table" then info = decoded end
  end
  if type(info) == "table" then
    local order = M.guid(find_key(info, "reservationorderid"))
    if order then return { order = order, reservation = M.guid(find_key(info, "reservationid")) } end
  end
  local benefit = M.guid(line.benefitOrderId)
  if benefit then return { order = benefit, reservation = M.guid(line.benefitId), benefit = line.benefitType } end
  if type(info) == "string" then
    local g = M.guid(info)
    if g then return { order = g } end
  end
  return nil
end

return M
