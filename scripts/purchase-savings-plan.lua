-- Buy an Azure savings plan for compute for one customer under its Azure plan: an hourly
-- commitment for one or three years, billed one-time or monthly, scoped to the plan (shared) or
-- one Azure subscription under it (single). The same cart flow and safety as the reservation
-- playbooks: the plan with Partner Center's price, the gate (caps weigh the whole term,
-- --allow-purchase, journal, --dry-run), the order, then the benefit subscription it creates.
-- App+User credentials only (Partner Center refuses App-only: 403 / 900329).
local ri = require "reservations"

return playbook {
  name = "purchase-savings-plan",
  summary = "Buy an Azure savings plan for compute (hourly commitment) under a customer's Azure plan",
  params = ri.purchase_params {
    subscription = { type = "string", required = true, order = 2,
                     help = "the customer's Azure plan id, or an Azure subscription id under it (MS-AZR-0145P is refused)" },
    commitment   = { type = "string", required = true, metavar = "AMOUNT",
                     help = "hourly commitment, e.g. 12.50 (0.001 to 1000000, at most 3 decimals)" },
    currency     = { type = "string", required = true, help = "the customer's market currency, e.g. USD (checked against the catalog)" },
    term         = { type = "string", default = "P1Y", choices = { "P1Y", "P3Y", "1Year", "3Year" }, help = "savings plan term" },
    scope        = { type = "string", choices = { "shared", "single" },
                     help = "benefit scope (default: single for an Azure subscription, shared for the plan)" },
    quantity     = false, azure_plan = false,
  },
  run = function(p)
    return ri.purchase_command(p)
  end,
}
