-- Trace one reservation across Partner Center's data sets (addendum §4): the order that bought it, the entitlement
-- and the reservation details behind it, the invoice reconciliation lines that billed it (v2, Microsoft Graph; the
-- reservationOrderId carries the purchase channel as a prefix: RIOderId for Partner Center, PCTest for test accounts,
-- none for Azure Cost Management) and the daily-rated usage it covered (additionalInfo, or benefitOrderId).
-- Invoices are read from the purchase on (new-commerce invoices only), four exports at a time.
local output = require "output"
local ri = require "reservations"
local date = require "date"
local money = require "money"

local CHANNELS = { partner_center = "Partner Center (RIOderId)", test = "Partner Center test account (PCTest)",
  azure = "Azure Cost Management (no prefix)" }

local function bad(message, hint)
  error(pc.errors.new { code = "invalid_argument", input = true, message = message, hint = hint }, 0)
end

-- The new-commerce invoices to read: those named, else every one dated from the purchase on (oldest first).
local function invoices_for(p, order)
  if p.invoice then
    local list = {}
    for id in p.invoice:gmatch("[^,%s]+") do list[#list + 1] = pc.invoices.get(id) end
    return list
  end
  local since = date.parse(order.creationDate):add(-86400)
  local list = {}
  for inv in pc.invoices.each() do
    local kind = (inv.invoiceType or ""):lower()
    local when = inv.invoiceDate and date.parse(inv.invoiceDate, { lenient = true })
    if kind == "onetime" and when and when >= since and inv.currencyCode == order.currencyCode then list[#list + 1] = inv end
  end
  table.sort(list, function(a, b) return a.invoiceDate < b.invoiceDate end)
  while #list > p.max_invoices do table.remove(list) end
  return list
end

-- The reconciliation lines of one export that bill the reservation order.
local function recon_lines(export, guid, where)
  local out = {}
  for line in export do
    local g, channel, prefix = ri.reservation_order(line.reservationOrderId)
    if g == guid then
      out[#out + 1] = { invoice = line.invoiceNumber ~= "" and line.invoiceNumber or where, charge_type = line.chargeType,
        order = line.orderId, alternate_id = line.alternateId, reservation_order_id = line.reservationOrderId,
        channel = channel, prefix = prefix, amount = money.new(line.totalForCustomer or 0, line.currency):amount(),
        currency = line.currency, billing_frequency = line.billingFrequency, charge_start = line.chargeStartDate,
        charge_end = line.chargeEndDate }
    end
  end
  return out
end

-- Daily usage the reservation covered, summed per day (and Azure subscription).
local function usage_days(export, guid, days)
  for line in export do
    local u = ri.usage_reservation(line)
    if u and u.order == guid then
      local day = (line.usageDate or ""):sub(1, 10)
      local key = day .. "|" .. (line.entitlementId or "")
      local d = days[key]
      if not d then
        d = { date = day, subscription = line.entitlementId, hours = 0, reservation = u.reservation, meter = line.meterName }
        days[key] = d
      end
      d.hours = d.hours + (tonumber(line.quantity) or 0)
    end
  end
end

-- Graph's "no data" (an export that failed with code 5000: e.g. a month without Azure usage) reads as empty.
local function unless_empty(fn)
  local ok, err = pcall(fn)
  if ok then return end
  if pc.errors.is(err) and tostring(err.pc_code) == "5000" then return end
  error(err, 0)
end

local function read_invoice(inv, guid, days)
  local lines = {}
  unless_empty(function() lines = recon_lines(pc.reconciliation.billed(inv.id), guid, inv.id) end)
  unless_empty(function() usage_days(pc.usage.billed(inv.id), guid, days) end)
  return lines
end

-- The reconciliation lines that billed the reservation: what -o csv|tsv prints.
local LINES = {
  { "Invoice", "invoice" }, { "Charge", "charge_type" }, { "Amount", "amount", money = "currency" },
  { "Currency", "currency", table = false }, { "Order", "order" }, { "Channel", "channel" }, { "Alternate id", "alternate_id", table = false },
  { "Reservation order id", "reservation_order_id", table = false }, { "Billing", "billing_frequency", table = false },
  { "Charge start", "charge_start", table = false }, { "Charge end", "charge_end", table = false },
}

local function print_trace(o)
  print(string.format("Reservation order %s (customer %s)", o.reservation_order, o.customer))
  print(string.format("  order        %s (alternate id %s), %s, %s, billing %s", o.order.id, o.order.alternate_id or "-",
    o.order.status or "-", o.order.created or "-", o.order.billing_cycle or "-"))
  print(string.format("  entitlement  %s %s, quantity %s, reservation %s (%s)", o.entitlement.product or "-", o.entitlement.sku or "-",
    tostring(o.reservation.quantity or "-"), o.reservation.id or "-", o.reservation.name or "-"))
  print(string.format("  reconciliation: %d line(s) in %d invoice(s) read", #o.reconciliation, #o.invoices_read))
  local lines = {}
  for i, l in ipairs(o.reconciliation) do
    lines[i] = { invoice = l.invoice, charge_type = l.charge_type, amount = l.amount, currency = l.currency, order = l.order,
      channel = CHANNELS[l.channel] or l.channel }
  end
  if #lines > 0 then print((output.table(lines, LINES):gsub("[^\n]+", "    %0"))) end
  print(string.format("  daily usage: %d day(s), %s hours covered%s", #o.usage, tostring(o.usage_hours),
    #o.usage > 0 and string.format(" (%s to %s)", o.usage[1].date, o.usage[#o.usage].date) or ""))
end

return playbook {
  name = "trace-reservation",
  summary = "One reservation across order, entitlement, invoice reconciliation (v2) and daily usage",
  params = {
    reservation = { type = "string", required = true, order = 1, help = "a reservation order id (the entitlement's resourceId) or a reservation id" },
    customer = { type = "string", help = "the customer (tenant id, domain or name): searched first, faster" },
    invoice = { type = "string", help = "read only these invoices (comma-separated ids) instead of every one since the purchase" },
    max_invoices = { type = "integer", default = 13, min = 1, max = 60, help = "at most this many invoices since the purchase" },
    unbilled = { type = "boolean", default = true, help = "also read the open period's unbilled reconciliation and usage" },
  },
  run = function(p)
    if not ri.guid(p.reservation) then
      bad("--reservation takes a GUID (a reservation order id or a reservation id), got '" .. p.reservation .. "'",
        "list reservations with `pcx playbook run reservations-report`")
    end
    local found, r = pcall(pc.reservations.get, p.reservation, { customer = p.customer })
    if not found then
      -- an id the person typed that names no reservation is their input error (exit 2)
      if pc.errors.is(r, "not_found") then r.input = true; r.message = "--reservation: " .. r.message end
      error(r, 0)
    end
    local guid = ri.guid(r.reservation_order)
    local order = pc.orders.get(r.customer, r.order)
    local invoices = invoices_for(p, order)
    local days = {}
    local per_invoice = pc.map(invoices, function(inv) return read_invoice(inv, guid, days) end, { concurrency = 4 })
    local recon = {}
    for _, lines in ipairs(per_invoice) do for _, l in ipairs(lines) do recon[#recon + 1] = l end end
    if p.unbilled then
      -- the open period: its charges are on no invoice yet; its usage days may overlap the newest
      -- invoice's, which are kept (billed data wins)
      local cur = order.currencyCode or "USD"
      unless_empty(function()
        for _, l in ipairs(recon_lines(pc.reconciliation.unbilled { currency = cur }, guid, "unbilled")) do recon[#recon + 1] = l end
      end)
      local open = {}
      unless_empty(function() usage_days(pc.usage.unbilled { currency = cur }, guid, open) end)
      for key, d in pairs(open) do if not days[key] then days[key] = d end end
    end
    local usage, hours = {}, 0
    for _, d in pairs(days) do
      d.hours = math.floor(d.hours * 1e6 + 0.5) / 1e6
      usage[#usage + 1] = d
      hours = hours + d.hours
    end
    hours = math.floor(hours * 1e6 + 0.5) / 1e6
    table.sort(usage, function(a, b) return a.date < b.date or (a.date == b.date and (a.subscription or "") < (b.subscription or "")) end)
    local e = r.entitlement
    local ids = {}
    for i, inv in ipairs(invoices) do ids[i] = inv.id end
    local out = {
      reservation_order = guid, customer = r.customer,
      order = { id = order.id, alternate_id = order.alternateId, status = order.status, created = order.creationDate,
        billing_cycle = order.billingCycle },
      entitlement = { product = e.productId, sku = e.skuId, reference_order = e.referenceOrder and e.referenceOrder.id, resource_id = r.reservation_order },
      reservation = { id = r.reservation.reservationId, name = r.reservation.displayName, quantity = r.reservation.quantity,
        scope = r.reservation.scopeType, effective = r.reservation.effectiveDateTime, expiry = r.reservation.expiryDateTime },
      invoices_read = ids, reconciliation = recon, usage = usage, usage_hours = hours,
    }
    output.emit(out, { rows = recon, columns = LINES, text = print_trace })
    return out
  end,
}
