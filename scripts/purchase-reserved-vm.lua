-- Buy Azure Reserved VM Instances for one customer subscription, end to end (the VM shortcut of
-- purchase-reservation, which buys every reservation type):
-- registers the subscription if needed, resolves product/SKU/availability, checks market and
-- inventory, shows the plan with Partner Center's price, buys through the purchase gate
-- (idempotent and journaled), waits for the order and its entitlement, prints the reservation.
local ri = require "reservations"

return playbook {
  name = "purchase-reserved-vm",
  summary = "Buy Azure Reserved VM Instances for one customer subscription",
  params = ri.purchase_params {
    sku    = { type = "string", required = true, order = 3, help = "ARM SKU name, e.g. Standard_D2s_v3" },
    region = { type = "string", required = true, order = 4, help = "ARM region, e.g. westeurope" },
    term   = { type = "string", default = "1Year", choices = { "1Year", "3Year", "P1Y", "P3Y" }, help = "reservation term" },
  },
  run = function(p)
    p.type = "vm"
    return ri.purchase_command(p)
  end,
}
