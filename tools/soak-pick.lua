-- tools/soak: the purchase targets the soak picks from, as JSON on stdout:
-- {"customers":[{"id","country","subscriptions":[{"id","azure_plan"}]}], "skus":{COUNTRY:[{"sku","region","terms":[..]}]}}
-- Customers: allowed markets, active MS-AZR-0145P or Azure plan subscriptions. SKUs: the
-- AzureReservationsVM catalog of each customer's market, without an InventoryCheck prerequisite
-- (so a purchase is never refused for inventory, which a re-run would not fix).
local json = require "json"
local ri = require "reservations"
local max_customers = tonumber(arg[1]) or 16
local max_skus = tonumber(arg[2]) or 12

local excluded = {}
for _, m in ipairs(pc.policy.excluded_markets()) do excluded[m] = true end

local out = { customers = {}, skus = {} }
for c in pc.customers.each() do
  if #out.customers >= max_customers then break end
  local cust = pc.customers.get(c.id)
  local country = ri.customer_country(cust)
  if country and not excluded[country] then
    local subs = {}
    for _, s in ipairs(pc.subscriptions.list(c.id)) do
      if (s.status or ""):lower() == "active" then
        if s.offerId == "MS-AZR-0145P" then subs[#subs + 1] = { id = s.id, azure_plan = false } end
      end
    end
    if #subs > 0 then
      out.customers[#out.customers + 1] = { id = c.id, country = country, subscriptions = subs }
      if not out.skus[country] then
        local list, seen = {}, {}
        for _, product in ipairs(pc.products.list { country = country, target_view = "AzureReservationsVM" }) do
          local from_product = 0   -- at most two SKU/region pairs per product: spread over VM series
          for _, sku in ipairs(pc.skus.list(product.id, { country = country })) do
            local a = sku.dynamicAttributes or {}
            local needs_check = false
            for _, p in ipairs(sku.purchasePrerequisites or {}) do
              if tostring(p):lower() == "inventorycheck" then needs_check = true end
            end
            local key = a.armSkuName and a.armRegionName and (a.armSkuName .. "|" .. a.armRegionName)
            if not needs_check and key and (seen[key] or (#list < max_skus and from_product < 2)) then
              local years = ri.term_years(a.duration)
              if not seen[key] then
                from_product = from_product + 1
                seen[key] = { sku = a.armSkuName, region = a.armRegionName, terms = {} }
                list[#list + 1] = seen[key]
              end
              local t = seen[key].terms
              if years then t[#t + 1] = years .. "Year" end
            end
          end
          if #list >= max_skus then break end
        end
        out.skus[country] = list
      end
    end
  end
end
print(json.encode(out))
