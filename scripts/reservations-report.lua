-- Every reservation of one customer or of all of them: what it is (type, SKU, region, quantity,
-- scope, billing plan, term), when it was bought and when it expires, as a table, -o json|csv|tsv, or
-- a CSV file (--csv FILE: the same columns as -o csv). Partner Center is read the way its guide describes: the reserved-instance entitlements,
-- the reservation details behind each, the SKU (once per SKU) and the order (once per order).
local output = require "output"
local date = require "date"
local csv = require "csv"

-- The table shows the columns without `table = false`; -o csv|tsv|json and --csv FILE carry them all.
local COLUMNS = {
  { "Customer id", "customer", table = false }, { "Customer", "company" }, { "Type", "type" }, { "SKU", "sku" },
  { "Region", "region" }, { "Qty", "quantity" }, { "Scope", "scope" }, { "Billing", "billing" }, { "Term", "term" },
  { "Purchased", "purchased" }, { "Expires", "expiry" }, { "Days left", "days_left" }, { "Auto-renew", "auto_renew" },
  { "Order", "order" }, { "Reservation order", "reservation_order", table = false },
  { "Reservation", "reservation", table = false }, { "Product", "product", table = false }, { "SKU id", "sku_id", table = false },
}
local KEYS = {}
for i, c in ipairs(COLUMNS) do KEYS[i] = c[2] end

-- "90", "90d" or "90 days" → 90; anything else is an input error (exit 2)
local function days_of(text)
  local n = text and (text:match("^%s*(%d+)%s*$") or text:match("^%s*(%d+)%s*d%s*$") or text:match("^%s*(%d+)%s*days?%s*$"))
  if not n then
    error(pc.errors.new { code = "invalid_argument", input = true,
      message = "--expiring-within takes a number of days such as 90 or 90d, got '" .. tostring(text) .. "'",
      hint = "e.g. --expiring-within 90d" }, 0)
  end
  return tonumber(n)
end

local function parse(text) return type(text) == "string" and date.parse(text) or nil end

-- pcx's type name for an artifact's reservationType ("sqldatabases" → "sql"); unknown ones as they came
local TYPE_NAMES = {}
for _, t in ipairs(pc.reservations.types()) do TYPE_NAMES[t.reservationType:lower()] = t.type end
local function type_name(artifact_type) return artifact_type and (TYPE_NAMES[artifact_type:lower()] or artifact_type) or nil end

-- the billing plan as the purchase flags spell it
local BILLING = { one_time = "one-time", onetime = "one-time", monthly = "monthly" }

-- Reads once per key: SKUs and orders are shared by many reservations.
local function memo(fn)
  local cache = {}
  return function(key, ...)
    if cache[key] == nil then cache[key] = fn(...) or false end
    return cache[key] or nil
  end
end

-- One row per reservation behind an entitlement (details read through its artifact link).
local function rows_for(c, list, ctx)
  local rows = {}
  for _, e in ipairs(list) do
    for _, a in ipairs(e.entitledArtifacts or {}) do
      if a.link then
        local details = pc.entitlements.reservation_details(a.link)
        local order_id = e.referenceOrder and e.referenceOrder.id
        local sku = ctx.sku(e.productId .. ":" .. e.skuId, e.productId, e.skuId, ctx.country(c.id, c))
        local order = order_id and ctx.order(c.id .. ":" .. order_id, c.id, order_id)
        local attrs = sku and sku.dynamicAttributes or {}
        for _, r in ipairs(details.reservations or details.virtualMachineReservations or {}) do
          local expiry = parse(r.expiryDateTime or e.expiryDate)
          local effective = parse(r.effectiveDateTime)
          local years = expiry and effective and math.floor((expiry.epoch - effective.epoch) / 86400 / 365 + 0.5) or nil
          local renew = r.renew
          if renew == nil and a.resourceId then renew = ctx.benefits(c.id, c.id)[a.resourceId:lower()] end
          rows[#rows + 1] = {
            customer = c.id, company = c.companyProfile and c.companyProfile.companyName,
            type = type_name((a.dynamicAttributes or {}).reservationType), sku = attrs.armSkuName, region = attrs.armRegionName,
            quantity = r.quantity or e.quantity, scope = r.scopeType,
            billing = order and order.billingCycle and (BILLING[order.billingCycle:lower()] or order.billingCycle) or nil,
            term = years and ("P" .. years .. "Y") or nil,
            purchased = effective and effective:day() or nil, expiry = expiry and expiry:day() or nil,
            days_left = expiry and expiry:days_until(ctx.now) or nil,
            -- auto-renew: the details' own flag, else the reservation's benefit subscription (an
            -- Azure-plan reservation's productOrderId is its reservation order, addendum §1.7);
            -- MS-AZR-0145P reservations have neither (Partner Center does not report it, §2.4)
            auto_renew = renew, order = order_id, reservation_order = a.resourceId, reservation = r.reservationId,
            product = e.productId, sku_id = e.skuId,
          }
        end
      end
    end
  end
  return rows
end

return playbook {
  name = "reservations-report",
  summary = "Every reservation with type, SKU, region, scope, billing plan, term and expiry (table, -o json|csv|tsv)",
  params = {
    customer = { type = "customer", help = "only this customer: tenant id, domain or company name" },
    all = { type = "boolean", default = false, help = "every customer (the default when --customer is not given)" },
    csv = { type = "string", output = "file", help = "also write the rows to this CSV file (needs --allow-write)" },
    expiring_within = { type = "string", metavar = "DAYS", help = "only reservations expiring within DAYS days, e.g. 90 or 90d" },
    concurrency = { type = "integer", default = 8, min = 1, max = 32, help = "customers queried at once" },
  },
  run = function(p)
    if p.customer and p.all then
      error(pc.errors.new { code = "invalid_argument", input = true, message = "--customer and --all exclude each other",
        hint = "give --customer C for one customer, or --all (or neither) for every customer" }, 0)
    end
    local within = p.expiring_within and days_of(p.expiring_within) or nil
    -- the CSV file is tried before anything is read: a path pcx may not write is refused up front
    if p.csv then
      local ok, w = pcall(csv.writer, p.csv, { header = KEYS })
      if not ok then
        error(pc.errors.new { code = "invalid_argument", input = true, message = "--csv " .. p.csv .. ": " .. tostring(w):gsub("^.-csv%.writer: ", ""),
          hint = "pass --allow-write DIR for the CSV's folder" }, 0)
      end
      w:abort()
    end
    local customers
    if p.customer then customers = { pc.customers.get(p.customer) } else customers = pc.customers.list() end
    local ri = require "reservations"
    local ctx = { now = date.now() }
    -- the market prices the SKU; a listed customer may lack its address: read it once
    ctx.country = memo(function(c) return ri.customer_country(c) or ri.customer_country(pc.customers.get(c.id)) or "US" end)
    ctx.sku = memo(function(product, sku, country) return pc.skus.get(product, sku, { country = country }) end)
    ctx.order = memo(function(customer, order) return pc.orders.get(customer, order) end)
    -- a customer's benefit subscriptions: auto-renew by reservation order id
    ctx.benefits = memo(function(customer)
      local map = {}
      for _, s in ipairs(pc.subscriptions.list(customer)) do
        if s.productOrderId and s.autoRenewEnabled ~= nil then map[s.productOrderId:lower()] = s.autoRenewEnabled end
      end
      return map
    end)
    local per = pc.map(customers, function(c)
      local ok, list = pcall(pc.entitlements.list, c.id, { entitlement_type = "reservedInstance", show_expiry = true })
      if not ok then
        if pc.errors.is(list, "forbidden") or pc.errors.is(list, "not_found") then return {} end
        error(list, 0)
      end
      local rows = {}
      for _, r in ipairs(rows_for(c, list, ctx)) do
        -- --expiring-within: still running and ending within the days given (expired ones are left out)
        if not within or (r.days_left and r.days_left >= 0 and r.days_left <= within) then rows[#rows + 1] = r end
      end
      return rows
    end, { concurrency = p.concurrency })
    local rows = {}
    for _, list in ipairs(per) do for _, r in ipairs(list) do rows[#rows + 1] = r end end
    table.sort(rows, function(a, b)
      if (a.expiry or "") ~= (b.expiry or "") then return (a.expiry or "~") < (b.expiry or "~") end
      return (a.customer or "") < (b.customer or "")
    end)
    if p.csv then
      local w = csv.writer(p.csv, { header = KEYS })
      for _, r in ipairs(rows) do w:write(r) end
      w:close()
    end
    local out = { count = #rows, reservations = rows, csv = p.csv }
    output.emit(out, { rows = rows, columns = COLUMNS, text = function(o)
      print(output.table(o.reservations, COLUMNS))
      print(string.format("%d reservation%s", o.count, o.count == 1 and "" or "s"))
      if o.csv then print("wrote " .. o.csv) end
    end })
    return out
  end,
}
