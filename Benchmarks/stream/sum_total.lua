-- Streams an invoice's one-time line items through pc.invoices.each_line_item and sums
-- totalForCustomer exactly with money; stops after LIMIT items (default: all).
-- usage: pcx run Benchmarks/stream/sum_total.lua [INVOICE] [LIMIT] [PAGE_SIZE] [money|count]
-- `count` only counts the items (the cost of transport, decoding and iteration without money).
-- Prints one line `BENCH {...}` (JSON) for tools/bench.py.
local money = require "money"
local sys = require "pcx.sys"
local invoice = arg[1] or "G100000001"
local limit = tonumber(arg[2]) or math.huge
local size = math.tointeger(tonumber(arg[3]) or 2000)
local count_only = arg[4] == "count"

local totals = money.totals()
local n = 0
local t0 = sys.monotonic()
for item in pc.invoices.each_line_item(invoice, { size = size }) do
  if not count_only then totals:add(money.new(item.totalForCustomer, item.currency or "USD")) end
  n = n + 1
  if n >= limit then break end
end
local dt = sys.monotonic() - t0
local usd = totals:get("USD")
print(string.format('BENCH {"items":%d,"seconds":%.6f,"total":"%s","lua_kb":%d}', n, dt,
  usd and usd:amount() or "0", math.floor(collectgarbage("count"))))
