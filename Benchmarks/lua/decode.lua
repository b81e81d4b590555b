-- Decodes a JSON file N times and prints MB/s; the same loop for both decoders, so the comparison
-- measures only the decoder.
-- usage: lua5.4 Benchmarks/lua/decode.lua cjson bench-out/lineitems.json [runs]
--        pcx run Benchmarks/lua/decode.lua pcx bench-out/lineitems.json [runs]
local which = arg[1]
local decoder = which == "cjson" and require("cjson") or which == "pcx" and require("json")
  or error("usage: decode.lua cjson|pcx FILE [RUNS]")
local decode = decoder.decode
local path, runs = arg[2] or "bench-out/lineitems.json", tonumber(arg[3]) or 5
local f = assert(io.open(path, "rb"))
local text = f:read("a")
f:close()
local best = math.huge
local items = 0
for _ = 1, runs do
  collectgarbage("collect")
  local t0 = os.clock()
  local v = decode(text)
  local dt = os.clock() - t0
  items = #v.items
  if dt < best then best = dt end
end
print(string.format("%s decode: %d items, %.1f MB, best of %d: %.3f s, %.1f MB/s",
  which == "cjson" and "cjson" or "pcx json", items, #text / 1048576, runs, best, #text / 1048576 / best))
