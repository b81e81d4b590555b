-- N entitlement lists (GET /v1/customers/{id}/entitlements) over the sandbox's customers,
-- sequentially or through pc.map with concurrency C. Run against a sandbox that delays the
-- route (--faults 'listEntitlements=rate:1:delay=50ms').
-- usage: pcx run Benchmarks/latency/entitlements.lua [N] [sequential|parallel] [C]
local sys = require "pcx.sys"
local n = math.tointeger(tonumber(arg[1]) or 200)
local mode = arg[2] or "parallel"
local concurrency = math.tointeger(tonumber(arg[3]) or 16)

local customers = pc.customers.list()
local ids = {}
for i = 1, n do ids[i] = customers[(i - 1) % #customers + 1].id end
pc.entitlements.list(ids[1]) -- warm up: App+User token and connection, outside the timing

local count = 0
local t0 = sys.monotonic()
if mode == "sequential" then
  for i = 1, n do count = count + #pc.entitlements.list(ids[i]) end
elseif mode == "parallel" then
  local results = pc.map(ids, function(id) return #pc.entitlements.list(id) end, { concurrency = concurrency })
  for i = 1, n do count = count + results[i] end
else
  error("mode must be sequential or parallel, got " .. tostring(mode))
end
local dt = sys.monotonic() - t0
print(string.format('BENCH {"lists":%d,"mode":"%s","seconds":%.6f,"entitlements":%d}', n, mode, dt, count))
