-- How much of each reservation was used, from daily-rated usage (v2, Microsoft Graph): per reservation and day, the
-- hours used against the hours bought (quantity x 24 while the reservation is in force), and what the unused hours
-- cost (the reservation's price for its term, spread over its hours). A summary ranks the least-used reservations.
-- Reservation-covered usage is found by the reservation order id in additionalInfo (addendum §4.2); the reservations
-- themselves come from the customers' reserved-instance entitlements, so one that was never used still shows (0 %).
local output = require "output"
local ri = require "reservations"
local date = require "date"
local money = require "money"

local function bad(message, hint)
  error(pc.errors.new { code = "invalid_argument", input = true, message = message, hint = hint }, 0)
end

-- Used hours per reservation order and day, the days the data covers, and the customers seen.
local function read_usage(export, only_customer)
  local used, period_days, customers = {}, {}, {}
  for line in export do
    local customer = (line.customerId or ""):gsub("^org:", ""):lower()
    if not only_customer or customer == only_customer then
      local day = (line.usageDate or ""):sub(1, 10)
      if day ~= "" then period_days[day] = true end
      customers[customer] = true
      local u = ri.usage_reservation(line)
      if u and u.benefit == nil then
        local per = used[u.order] or {}
        used[u.order] = per
        per[day] = (per[day] or 0) + (tonumber(line.quantity) or 0)
      end
    end
  end
  return used, period_days, customers
end

-- Every reservation of the customers: {order guid → {customer, reservation, name, quantity, effective, expiry, price, currency, years}}.
local function reservations_of(customers)
  local out = {}
  for customer in pairs(customers) do
    local ok, list = pcall(pc.entitlements.list, customer, { entitlement_type = "reservedInstance", show_expiry = true })
    for _, e in ipairs(ok and list or {}) do
      for _, a in ipairs(e.entitledArtifacts or {}) do
        local guid = ri.guid(a.resourceId)
        if a.link and guid then
          local details = pc.entitlements.reservation_details(a.link)
          local r = (details.reservations or details.virtualMachineReservations or {})[1] or {}
          out[guid] = { customer = customer, order = e.referenceOrder and e.referenceOrder.id, product = e.productId, sku = e.skuId,
            reservation = r.reservationId, name = r.displayName, quantity = r.quantity or e.quantity or 1,
            effective = r.effectiveDateTime, expiry = r.expiryDateTime or e.expiryDate }
        end
      end
    end
  end
  return out
end

-- The price of one unit for the whole term, from the order (include_price), and the term in years.
local function unit_price(res)
  if not res.order then return nil end
  local ok, order = pcall(pc.orders.get, res.customer, res.order, { include_price = true })
  if not ok then return nil end
  for _, line in ipairs(order.lineItems or {}) do
    local offer = line.offerId or ""
    if offer:find(res.product .. ":" .. res.sku, 1, true) == 1 and line.pricing and line.pricing.price then
      local years = tonumber((line.termDuration or "P1Y"):match("P(%d+)Y")) or 1
      return money.new(line.pricing.price, order.currencyCode), years
    end
  end
end

local function in_force(res, day)
  local d = date.parse(day .. "T12:00:00Z")
  local from = res.effective and date.parse(res.effective, { lenient = true })
  local to = res.expiry and date.parse(res.expiry, { lenient = true })
  return (not from or d >= from:add(-43200)) and (not to or d < to:add(43200))
end

local function round_hours(h) return math.floor(h * 1e4 + 0.5) / 1e4 end

-- One reservation's days and totals.
local function utilization(guid, res, used_days, days)
  local price, years = unit_price(res)
  local hourly = price and price:div((years or 1) * 8760, 10) or nil
  local rows, used, bought, unused_cost = {}, 0, 0, hourly and money.new(0, hourly.currency) or nil
  for _, day in ipairs(days) do
    if in_force(res, day) then
      local u = round_hours(used_days[day] or 0)
      local b = res.quantity * 24
      local unused = math.max(0, b - u)
      local cost = hourly and (hourly * string.format("%.4f", unused)) or nil
      if cost then unused_cost = unused_cost + cost end
      rows[#rows + 1] = { date = day, used = u, bought = b, unused = round_hours(unused), unused_charge = cost and cost:round(2):amount() or nil }
      used, bought = used + u, bought + b
    end
  end
  return {
    customer = res.customer, reservation_order = guid, reservation = res.reservation, name = res.name, quantity = res.quantity,
    used_hours = round_hours(used), bought_hours = bought, utilization = bought > 0 and math.floor(used / bought * 1000 + 0.5) / 10 or nil,
    unused_charge = unused_cost and unused_cost:round(2):amount() or nil, currency = unused_cost and unused_cost.currency or nil,
    days = rows,
  }
end

-- The ranking's columns (-o csv|tsv prints the ranking's rows); the table shows the unused charge with its currency.
local RANKING = {
  { "Customer", "customer" }, { "Reservation", "name" }, { "Qty", "quantity" }, { "Used h", "used_hours" },
  { "Bought h", "bought_hours" }, { "Use %", "utilization" }, { "Unused", "unused_charge", money = "currency" },
  { "Currency", "currency", table = false }, { "Reservation order", "reservation_order", table = false },
}

local function print_report(o)
  print(string.format("Reservation utilization, %s (%d day(s) of usage data)", o.source, o.period_days))
  print(output.table(o.ranking, RANKING))
  print(string.format("%d reservation(s); least used first; -o json for every day", #o.reservations))
end

return playbook {
  name = "reservation-utilization",
  summary = "Hours used against hours bought per reservation and day, from daily-rated usage (v2), least used first",
  params = {
    invoice = { type = "string", help = "the billed usage of this new-commerce invoice" },
    period = { type = "string", choices = { "current", "last" }, help = "the unbilled usage of the open (current) or last period" },
    currency = { type = "string", default = "USD", help = "with --period: the billing currency" },
    customer = { type = "string", help = "only this customer (tenant id, domain or name)" },
    top = { type = "integer", default = 10, min = 1, help = "rows in the ranking" },
  },
  run = function(p)
    if (p.invoice == nil) == (p.period == nil) then
      bad("give --invoice ID or --period current|last (one of them)", "e.g. --invoice G000123456, or --period current --currency USD")
    end
    if p.period and not p.currency:match("^%u%u%u$") then bad("--currency takes a 3-letter ISO code like USD, got '" .. p.currency .. "'") end
    local only = p.customer and pc.customers.find(p.customer).id:lower() or nil
    local export = p.invoice and pc.usage.billed(p.invoice) or pc.usage.unbilled { period = p.period, currency = p.currency }
    local used, period_days, customers = read_usage(export, only)
    local days = {}
    for day in pairs(period_days) do days[#days + 1] = day end
    table.sort(days)
    local list = {}
    for guid, res in pairs(reservations_of(customers)) do
      local u = utilization(guid, res, used[guid] or {}, days)
      -- a reservation not in force on any day of the data (expired before, bought after) is not ranked
      if u.bought_hours > 0 then list[#list + 1] = u end
    end
    table.sort(list, function(a, b) return (a.utilization or 101) < (b.utilization or 101) or
      (a.utilization == b.utilization and a.reservation_order < b.reservation_order) end)
    local ranking = {}
    for i = 1, math.min(p.top, #list) do
      local r = list[i]
      ranking[i] = { customer = r.customer, name = r.name or r.reservation_order, quantity = r.quantity, used_hours = r.used_hours,
        bought_hours = r.bought_hours, utilization = r.utilization, unused_charge = r.unused_charge, currency = r.currency,
        reservation_order = r.reservation_order }
    end
    local out = { source = p.invoice and ("invoice " .. p.invoice) or (p.period .. " period, " .. p.currency),
      period_days = #days, reservations = list, ranking = ranking }
    output.emit(out, { rows = ranking, columns = RANKING, text = print_report })
    return out
  end,
}
