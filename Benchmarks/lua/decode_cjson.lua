-- Decodes a JSON file N times with lua-cjson (Debian `lua-cjson`) under lua5.4 and prints MB/s.
-- usage: lua5.4 Benchmarks/lua/decode_cjson.lua bench-out/lineitems.json [runs]
local cjson = require "cjson"
local path, runs = arg[1] or "bench-out/lineitems.json", tonumber(arg[2]) or 5
local f = assert(io.open(path, "rb"))
local text = f:read("a")
f:close()
local best = math.huge
local items = 0
for _ = 1, runs do
  collectgarbage("collect")
  local t0 = os.clock()
  local v = cjson.decode(text)
  local dt = os.clock() - t0
  items = #v.items
  if dt < best then best = dt end
end
print(string.format("cjson decode: %d items, %.1f MB, best of %d: %.3f s, %.1f MB/s",
  items, #text / 1048576, runs, best, #text / 1048576 / best))
