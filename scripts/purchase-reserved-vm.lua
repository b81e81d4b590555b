-- Buy Azure Reserved VM Instances for one customer subscription, end to end:
-- registers the subscription if needed, resolves product/SKU/availability, checks market and
-- inventory, shows the plan with Partner Center's price, buys through the purchase gate
-- (idempotent and journaled), waits for the order and its entitlement, prints the reservation.
local ri = require "reservations"
local pb = require "playbook"

return playbook {
  name = "purchase-reserved-vm",
  summary = "Buy Azure Reserved VM Instances for one customer subscription",
  params = {
    customer     = { type = "customer", required = true, order = 1, help = "customer: tenant id, domain or company name" },
    subscription = { type = "string", required = true, order = 2,
                     help = "an Azure plan id, an Azure subscription id under a plan, or an MS-AZR-0145P subscription id" },
    sku          = { type = "string", required = true, order = 3, help = "ARM SKU name, e.g. Standard_D2s_v3" },
    region       = { type = "string", required = true, order = 4, help = "ARM region, e.g. westeurope" },
    term         = { type = "string", default = "1Year", choices = { "1Year", "3Year" }, help = "reservation term" },
    scope        = { type = "string", choices = { "Shared", "Single" },
                     help = "benefit scope (default: Single for an Azure subscription, Shared for a plan or MS-AZR-0145P)" },
    quantity     = { type = "integer", default = 1, min = 1, help = "number of instances" },
    billing      = { type = "string", default = "one-time", choices = { "one-time", "monthly" },
                     help = "billing plan: monthly only under an Azure plan (the caps weigh the whole term)" },
    azure_plan   = { type = "boolean", default = false,
                     help = "insist on an Azure plan (refused for MS-AZR-0145P); without it the subscription's kind decides" },
    wait         = { type = "integer", default = 900, min = 0, help = "seconds to wait for the order to complete (0: do not wait)" },
  },
  run = function(p)
    local plan = ri.plan {
      customer = p.customer, subscription = p.subscription, sku = p.sku, region = p.region,
      term = p.term, scope = p.scope, quantity = p.quantity, billing = p.billing,
      reservation_scope = p.azure_plan and "AzurePlan" or nil,
    }
    if not pc.options.json then io.stderr:write(tostring(plan), "\n") end
    local result = ri.purchase(plan, { wait = p.wait > 0, timeout = p.wait })
    local out = {
      dry_run = result.dry_run or false, plan = plan:summary(), journal_id = result.journal_id,
      replayed = result.replayed or false, original_date = result.original_date,
      order = result.order and { id = result.order.id, status = result.order.status, alternateId = result.order.alternateId } or nil,
      reservation = result.reservation, notes = result.notes,
    }
    pb.emit(out, function(o)
      local s = o.plan
      if o.replayed then
        print(string.format("already bought on %s: order %s, journal #%s; nothing was bought now%s",
          tostring(o.original_date), o.order and o.order.id or "?", tostring(o.journal_id), o.dry_run and " (dry run)" or ""))
        print("  to buy the same again, pass a new --idempotency-key")
      elseif o.dry_run then
        print(string.format("dry run: would buy %d x %s (%s) for customer %s, term %s, scope %s",
          s.quantity, tostring(s.arm_sku), tostring(s.catalog_item_id), s.customer, tostring(s.term), tostring(s.scope)))
        if s.quoted then
          print(string.format("  unit price %s %s, total %s %s", tostring(s.unit_price or "?"), tostring(s.currency or ""),
            tostring(s.total or "?"), tostring(s.currency or "")))
        else
          print("  price not quoted: a dry run creates no cart (add --quote to get Partner Center's price; a cart spends nothing)")
        end
        if plan.needs_registration then
          print("  the subscription is " .. tostring(s.registration) .. ": its registration was recorded, not sent")
        end
        for _, n in ipairs(o.notes or {}) do print("  note: " .. n) end
        print("dry run: nothing was bought. Re-run without --dry-run (and with --allow-purchase) to buy.")
      elseif o.reservation then
        local r = o.reservation
        print(string.format("bought: order %s (%s), reservation %s, %s x %s, scope %s, effective %s, expires %s",
          o.order.id, o.order.status, r.reservationId, tostring(r.quantity), plan.arm_sku, r.scopeType,
          r.effectiveDateTime, r.expiryDateTime))
      elseif o.order then
        print(string.format("ordered: order %s is %s; `pcx journal show %s` tracks it", o.order.id, o.order.status, tostring(o.journal_id)))
      end
    end)
    return out
  end,
}
