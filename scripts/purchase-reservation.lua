-- Buy an Azure reservation of any type partners buy (VM, SQL Database, Cosmos DB, App Service,
-- Blob storage, Azure Cache for Redis: --list-types shows them and their catalog views) for one
-- customer subscription, end to end, with the same flags and safety as purchase-reserved-vm:
-- registration if needed, the catalog item for the ARM SKU name, market and inventory checks,
-- Partner Center's price, the purchase gate (caps, --allow-purchase, journal, --dry-run), the
-- order and its reservation.
local ri = require "reservations"
local output = require "output"
local json = require "json"

local type_names = {}
for i, t in ipairs(ri.types()) do type_names[i] = t.type end

-- Missing required flags, as the args module words them (required only when buying).
local function require_flags(p)
  local missing = {}
  for _, name in ipairs { "customer", "subscription", "type", "sku", "region" } do
    if p[name] == nil then missing[#missing + 1] = "--" .. name end
  end
  if #missing > 0 then
    error(pc.errors.new { code = "invalid_argument", input = true,
      message = "purchase-reservation: missing " .. table.concat(missing, ", "),
      hint = "e.g. --customer fabrikam --subscription <plan or subscription id> --type sql --sku SQLDB_GP_Compute_Gen5 --region westeurope; --list-types lists the types" }, 0)
  end
end

return playbook {
  name = "purchase-reservation",
  summary = "Buy an Azure reservation of any type (VM, SQL, Cosmos DB, App Service, storage, ...)",
  -- customer and subscription are required only to buy (not with --list-types): checked in run
  params = ri.purchase_params {
    customer     = { type = "customer", order = 1, help = "customer: tenant id, domain or company name (required to buy)" },
    subscription = { type = "string", order = 2,
                     help = "an Azure plan id, an Azure subscription id under a plan, or an MS-AZR-0145P subscription id (required to buy)" },
    type         = { type = "string", choices = type_names, help = "reservation type (required to buy; --list-types shows each with its catalog view)" },
    sku          = { type = "string", help = "the SKU's ARM name (armSkuName), e.g. Standard_D2s_v3 or SQLDB_GP_Compute_Gen5 (required to buy)" },
    region       = { type = "string", help = "ARM region, e.g. westeurope (required to buy)" },
    term         = { type = "string", default = "P1Y", choices = { "P1Y", "P3Y", "1Year", "3Year" }, help = "reservation term" },
    list_types   = { type = "boolean", default = false, help = "print the reservation types and their catalog views, buy nothing" },
  },
  run = function(p)
    if p.list_types then
      local out = json.array()
      for i, t in ipairs(ri.types()) do
        out[i] = { type = t.type, targetView = t.targetView, displayName = t.displayName, exampleSku = t.exampleSku }
      end
      output.emit(out, { rows = out, columns = { { "Type", "type" }, { "Catalog view", "targetView" }, { "Name", "displayName" },
        { "Example SKU", "exampleSku" } } })
      return out
    end
    require_flags(p)
    return ri.purchase_command(p)
  end,
}
