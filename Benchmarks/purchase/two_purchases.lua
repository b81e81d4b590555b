-- Two Reserved VM Instance purchases in one run with the reservations module: the first for
-- SKU1 (cold catalog cache; registers the subscription if needed), then one for SKU2 (warm
-- catalog). Between the two it prints `BENCH-PHASE first ...` and waits for a line on stdin so
-- tools/bench.py can read the sandbox's request log at that point.
-- usage: pcx run --allow-purchase Benchmarks/purchase/two_purchases.lua CUSTOMER SUBSCRIPTION SKU1 SKU2 REGION
local ri = require "reservations"
local customer, subscription, sku1, sku2, region = arg[1], arg[2], arg[3], arg[4], arg[5]
assert(customer and subscription and sku1 and sku2 and region,
  "usage: two_purchases.lua CUSTOMER SUBSCRIPTION SKU1 SKU2 REGION")

local function buy(sku)
  local plan = ri.plan { customer = customer, subscription = subscription, sku = sku, region = region,
    term = "1Year", scope = "Shared", quantity = 1 }
  local r = ri.purchase(plan, { wait = true, timeout = 300 })
  return r.order.id, r.order.status, r.reservation and r.reservation.reservationId or "-"
end

print("BENCH-PHASE first", buy(sku1))
io.stdout:flush()
io.read("l")
print("BENCH-PHASE second", buy(sku2))
io.stdout:flush()
