-- Gives a customer what reservations need first: an Azure plan with an active Azure subscription
-- (new commerce, the default: the plan from the catalog, bought with a cart), or with --legacy an
-- MS-AZR-0145P subscription (the offers list, an order, then waiting until it is fulfilled).
-- A customer that already has either gets nothing new: a second run buys nothing.
local azure = require "azure"
local output = require "output"

-- One row per Azure subscription under the plan (-o csv|tsv; a dry run that would buy has none).
local SUBSCRIPTIONS = {
  { "Plan", "plan" }, { "Legacy", "legacy" }, { "Azure subscription", "id" }, { "Name", "friendlyName" }, { "Status", "status" },
  { "Bought now", "purchased" },
}

return playbook {
  name = "ensure-azure-subscription",
  summary = "Find the customer's Azure plan (or MS-AZR-0145P subscription), or buy one",
  params = {
    customer = { type = "customer", required = true, order = 1, help = "customer: tenant id, domain or company name" },
    legacy   = { type = "boolean", default = false,
                 help = "when the customer has neither, buy MS-AZR-0145P (an order) instead of the Azure plan (a cart)" },
    wait     = { type = "integer", default = 600, min = 1, help = "seconds to wait for the order to be fulfilled" },
  },
  run = function(p)
    local out = azure.ensure(p.customer, { legacy = p.legacy, timeout = p.wait })
    local rows = {}
    for i, s in ipairs(out.subscriptions or {}) do
      rows[i] = { plan = out.planId, legacy = out.legacy, id = s.id, friendlyName = s.friendlyName, status = s.status,
        purchased = out.purchased }
    end
    output.emit(out, { rows = rows, columns = SUBSCRIPTIONS, text = function(o)
      if o.dry_run then
        local c = pc.customers.get(p.customer)
        local name = c.companyProfile and c.companyProfile.companyName or p.customer
        print(string.format("dry run: %s has no Azure plan or MS-AZR-0145P subscription; would buy %s (journal #%s)",
          name, o.would_buy, tostring(o.journal_id)))
        print("dry run: nothing was bought. Re-run without --dry-run (and with --allow-purchase) to buy.")
        return
      end
      local what = o.legacy and "MS-AZR-0145P subscription" or "Azure plan"
      print(string.format("%s %s%s", what, o.planId, o.purchased and " (bought now)" or " (already there; nothing bought)"))
      for _, s in ipairs(o.subscriptions) do
        print(string.format("  Azure subscription %s  %s  %s", s.id, tostring(s.friendlyName or ""), tostring(s.status or "")))
      end
      if #o.subscriptions == 0 then print("  no Azure subscription under the plan: create one in the Azure portal") end
      if o.note then print("  note: " .. o.note) end
    end })
    return out
  end,
}
