-- Waits that cost nothing: a Microsoft Graph export that runs for a while (polled only as its
-- Retry-After says, sleeping in between), then three calls to one customer whose route the
-- sandbox throttles to 1 per 10 s (each 429's Retry-After is slept, not spun). Run against
-- `pcx sandbox serve --rate-limit customer=1/10s --graph running=10s,retry-after=2`.
-- usage: pcx run Benchmarks/idle/waits.lua [INVOICE] (default: the newest one-time invoice)
-- Prints one line `BENCH {...}` for tools/bench.py: seconds of the export wait and of the throttled calls.
local sys = require "pcx.sys"
local invoice = arg[1]

local customer
for c in pc.customers.each() do customer = c.id; break end
assert(customer, "the sandbox has no customer")
if not invoice then -- the newest one-time (new-commerce) invoice
  for inv in pc.invoices.each() do
    if inv.invoiceType == "OneTime" then invoice = inv.id; break end
  end
end

local t0 = sys.monotonic()
local lines = 0
for _ in pc.reconciliation.billed(invoice, { attributes = "basic" }) do lines = lines + 1 end
local t1 = sys.monotonic()
for _ = 1, 3 do pc.customers.get(customer) end
local t2 = sys.monotonic()
print(string.format('BENCH {"export_seconds":%.3f,"lines":%d,"throttled_seconds":%.3f}', t1 - t0, lines, t2 - t1))
