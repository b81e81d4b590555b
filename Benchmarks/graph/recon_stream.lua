-- Streams a new-commerce invoice's v2 reconciliation lines from Microsoft Graph
-- (pc.reconciliation.billed: POST export, poll, manifest, gzip JSON-lines blobs) and sums
-- totalForCustomer exactly per customer and currency with money; stops after LIMIT lines
-- (default: all).
-- usage: pcx run Benchmarks/graph/recon_stream.lua [INVOICE] [LIMIT]
-- Prints one line `BENCH {...}` (JSON) for tools/bench.py: lines, seconds (export request to
-- last line), customers, totals {customerId = {currency = "decimal text"}}, lua_kb.
-- The same job as Benchmarks/peer/graph-recon.js (the Node peer); the harness compares totals.
local money = require "money"
local json = require "json"
local sys = require "pcx.sys"
local invoice = arg[1] or "G100000002"
local limit = tonumber(arg[2]) or math.huge

local per_customer, customers, n = {}, 0, 0
local t0 = sys.monotonic()
local export = pc.reconciliation.billed(invoice)
for line in export do
  local key = line.customerId or "?"
  local t = per_customer[key]
  if not t then
    t = money.totals()
    per_customer[key] = t
    customers = customers + 1
  end
  t:add(money.new(line.totalForCustomer or 0, line.currency or "USD"))
  n = n + 1
  if n >= limit then break end
end
export:close()
local dt = sys.monotonic() - t0

local totals = {}
for customer, t in pairs(per_customer) do
  local by_currency = {}
  for _, c in ipairs(t:currencies()) do by_currency[c] = t:get(c):amount() end
  totals[customer] = by_currency
end
local info = export:info()
print("BENCH " .. json.encode({ lines = n, seconds = dt, customers = customers, totals = totals,
  blobs = info.blobs, resumed = info.resumed, lua_kb = math.floor(collectgarbage("count")) }))
