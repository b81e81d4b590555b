-- Generates a Partner Center "one-time" invoice line-item page of about TARGET_MB megabytes.
-- usage: lua5.4 Benchmarks/lua/gen_lineitems.lua [out.json] [target_mb]
-- The shape follows GET /v1/invoices/{id}/lineitems/OneTime/BillingLineItems: a collection
-- object with totalCount, items (one line item each) and links. Like a real page (and the
-- sandbox's --scale invoice) it belongs to one partner and one invoice, its customers come from
-- a pool (CUSTOMERS, default 500) and each line has its own order, subscription, alternate and
-- reservation order ids. CUSTOMERS=0 makes every id unique per line (a worst case for decoders
-- that cache repeated strings).
local out_path = arg[1] or "bench-out/lineitems.json"
local target = (tonumber(arg[2]) or 30) * 1024 * 1024

local random = math.random
math.randomseed(42)

local function guid()
  return string.format("%08x-%04x-%04x-%04x-%012x", random(0, 0xffffffff), random(0, 0xffff),
    random(0, 0xffff), random(0, 0xffff), random(0, 0xffffffffffff))
end

local skus = { "Standard_D2s_v3", "Standard_E4s_v5", "Standard_F8s_v2", "Standard_B2ms", "Standard_D16as_v5" }
local regions = { "westeurope", "northeurope", "eastus", "eastus2", "uksouth", "japaneast" }
local names = { "Contoso Ltd", "Fabrikam Inc", "Northwind Traders", "Adventure Works", "Wide World Importers" }

local pool = tonumber(os.getenv("CUSTOMERS") or "500")
local partner, invoice, mpn = guid(), string.format("G%09d", random(1, 999999999)), random(100000, 9999999)
local customers = {}
for c = 1, pool do customers[c] = { id = guid(), name = names[random(#names)], n = c } end

local function item(i)
  local c = pool > 0 and customers[random(pool)] or { id = guid(), name = names[random(#names)], n = i }
  local qty = random(1, 20)
  local price = random(1000, 999999) / 100
  local subtotal = qty * price
  local tax = math.floor(subtotal * 19 + 0.5) / 100
  return string.format([[{"partnerId":"%s","customerId":"%s","customerName":"%s","customerDomainName":"cust%d.onmicrosoft.com","customerCountry":"US","invoiceNumber":"G%09d","mpnId":"%d","resellerMpnId":"","orderId":"%s","orderDate":"2026-10-%02dT10:%02d:00Z","productId":"DZH318Z0BQ3%d","skuId":"%04d","availabilityId":"DZH318Z0%s","skuName":"%s %s 1 Year","productName":"Reserved VM Instance, %s, %s","chargeType":"new","unitPrice":%.2f,"effectiveUnitPrice":%.2f,"unitType":"1 Hour","quantity":%d,"subtotal":%.2f,"taxTotal":%.2f,"totalForCustomer":%.2f,"currency":"USD","publisherName":"Microsoft Corporation","publisherId":"","subscriptionDescription":"","subscriptionId":"%s","chargeStartDate":"2026-10-01T00:00:00Z","chargeEndDate":"2027-09-30T00:00:00Z","termAndBillingCycle":"1 Year Upfront","effectiveUnitPrice_rounded":%.2f,"alternateId":"%s","priceAdjustmentDescription":"","discountDetails":"","pricingCurrency":"USD","pcToBCExchangeRate":1,"pcToBCExchangeRateDate":"2026-10-01T00:00:00Z","billableQuantity":%d.0,"meterDescription":"","reservationOrderId":"%s","invoiceLineItemType":"billingLineItems","billingProvider":"one_time","promotionId":null,"attributes":{"objectType":"OneTimeInvoiceLineItem"},"tags":[]}]],
    pool > 0 and partner or guid(), c.id, c.name, c.n,
    pool > 0 and tonumber(invoice:sub(2)) or random(1, 999999999), pool > 0 and mpn or random(100000, 9999999), guid(),
    random(1, 28), random(0, 59), random(0, 9), random(1, 9999), guid():sub(1, 4):upper(),
    skus[random(#skus)], regions[random(#regions)], skus[random(#skus)], regions[random(#regions)],
    price, price, qty, subtotal, tax, subtotal + tax, guid(), price, guid(), qty, guid())
end

local parts, size, i = {}, 0, 0
while size < target do
  i = i + 1
  local s = item(i)
  parts[i] = s
  size = size + #s + 1
end
local f = assert(io.open(out_path, "w"))
f:write('{"totalCount":', i, ',"items":[', table.concat(parts, ","),
  '],"links":{"self":{"uri":"/invoices/G000000001/lineitems/OneTime/BillingLineItems?size=', i,
  '","method":"GET","headers":[]}},"attributes":{"objectType":"Collection"}}')
f:close()
io.stderr:write(string.format("wrote %s: %d items, %.1f MB\n", out_path, i, size / 1048576))
