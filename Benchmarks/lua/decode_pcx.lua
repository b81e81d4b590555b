-- Decodes a JSON file N times with pcx's `json` module and prints MB/s (run with `pcx run`).
-- usage: pcx run Benchmarks/lua/decode_pcx.lua bench-out/lineitems.json [runs]
local json = require "json"
local path, runs = arg[1] or "bench-out/lineitems.json", tonumber(arg[2]) or 5
local f = assert(io.open(path, "rb"))
local text = f:read("a")
f:close()
local best = math.huge
local items = 0
for _ = 1, runs do
  collectgarbage("collect")
  local t0 = os.clock()
  local v = json.decode(text)
  local dt = os.clock() - t0
  items = #v.items
  if dt < best then best = dt end
end
print(string.format("pcx json decode: %d items, %.1f MB, best of %d: %.3f s, %.1f MB/s",
  items, #text / 1048576, runs, best, #text / 1048576 / best))
