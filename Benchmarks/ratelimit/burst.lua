-- A burst of N pc.customers.get calls on one customer through pc.map with concurrency C: a route
-- Partner Center documents at 500 requests per minute per customer (the Customer resource). The
-- client runs in its default configuration, so it follows that limit by itself. Counts the calls
-- that failed with `throttled` (a 429 that reached the script) and any other error.
-- usage: pcx run Benchmarks/ratelimit/burst.lua [N] [C]
local sys = require "pcx.sys"
local n = math.tointeger(tonumber(arg[1]) or 400)
local concurrency = math.tointeger(tonumber(arg[2]) or 16)

local customer
for c in pc.customers.each() do customer = c.id; break end
assert(customer, "the sandbox has no customer")
pc.invoices.balance() -- warm up: token and connection, outside the timing (another route)
local list = {}
for i = 1, n do list[i] = i end
local throttled, other, first_error = 0, 0, nil
local t0 = sys.monotonic()
pc.map(list, function()
  local ok, err = pcall(pc.customers.get, customer)
  if not ok then
    if pc.errors.is(err, "throttled") then throttled = throttled + 1 else
      other = other + 1
      first_error = first_error or tostring(err.message or err)
    end
  end
end, { concurrency = concurrency })
local dt = sys.monotonic() - t0
print(string.format('BENCH {"requests":%d,"seconds":%.6f,"throttled":%d,"errors":%d}', n, dt, throttled, other))
if first_error then io.stderr:write("first error: ", first_error, "\n") end
