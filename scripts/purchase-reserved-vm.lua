-- Buy Azure Reserved VM Instances for one customer subscription, end to end (the VM shortcut of
-- purchase-reservation, which buys every reservation type):
-- registers the subscription if needed, resolves product/SKU/availability, checks market and
-- inventory, shows the plan with Partner Center's price, buys through the purchase gate
-- (idempotent and journaled), waits for the order and its entitlement, prints the reservation.
local ri = require "reservations"

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
    p.type = "vm"
    return ri.purchase_command(p)
  end,
}
