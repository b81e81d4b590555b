-- Loads a new-commerce invoice's v2 reconciliation lines into SQLite with the native loader
-- (pc.reconciliation.billed(id, { to = FILE.sqlite }): typed table, exact totals).
-- usage: pcx run --allow-write DIR Benchmarks/graph/recon_load.lua INVOICE DIR/FILE.sqlite
-- Prints one line `BENCH {...}` (JSON) for tools/bench.py: lines, stored_lines, seconds,
-- unchanged, resumed, customers, totals {customerId = {currency = "decimal text"}}.
local json = require "json"
local sys = require "pcx.sys"
local invoice = assert(arg[1], "usage: recon_load.lua INVOICE FILE.sqlite")
local file = assert(arg[2], "usage: recon_load.lua INVOICE FILE.sqlite")

local t0 = sys.monotonic()
local load = pc.reconciliation.billed(invoice, { to = file })
local dt = sys.monotonic() - t0
local customers = 0
for _ in pairs(load.totals) do customers = customers + 1 end
print("BENCH " .. json.encode({ lines = load.lines, stored_lines = load.stored_lines, seconds = dt,
  unchanged = load.unchanged, resumed = load.resumed, blobs = load.blobs, customers = customers,
  totals = load.totals }))
