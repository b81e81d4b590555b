-- Decodes a JSON file N times and prints MB/s; the same loop for both decoders, so the comparison
-- measures only the decoder.
-- usage: lua5.4 Benchmarks/lua/decode.lua cjson bench-out/lineitems.json [runs] [tree|read3]
--        pcx run Benchmarks/lua/decode.lua pcx bench-out/lineitems.json [runs] [tree|read3]
-- tree (the default): decode the whole page into Lua tables.
-- read3: decode the page and read the three fields a reconciliation reads from every item
--   (customerId, totalForCustomer, currency). pcx decodes with {lazy = true}, as it hands line-item
--   pages to scripts (each item a json.record, decoded field by field); cjson builds every field.
local which = arg[1]
local decoder = which == "cjson" and require("cjson") or which == "pcx" and require("json")
  or error("usage: decode.lua cjson|pcx FILE [RUNS] [tree|read3]")
local path, runs, mode = arg[2] or "bench-out/lineitems.json", tonumber(arg[3]) or 5, arg[4] or "tree"
if mode ~= "tree" and mode ~= "read3" then error("mode must be tree or read3, got " .. mode) end
local decode = decoder.decode
local options = (which == "pcx" and mode == "read3") and { lazy = true } or nil
local f = assert(io.open(path, "rb"))
local text = f:read("a")
f:close()
local best = math.huge
local items, checksum = 0, 0
for _ = 1, runs do
  collectgarbage("collect")
  local t0 = os.clock()
  local v = options and decode(text, options) or decode(text)
  if mode == "read3" then
    local list, n = v.items, 0
    for i = 1, #list do
      local item = list[i]
      local c, t, cur = item.customerId, item.totalForCustomer, item.currency
      if c and t and cur then n = n + 1 end
    end
    checksum = n
  end
  local dt = os.clock() - t0
  items = #v.items
  if dt < best then best = dt end
end
print(string.format("%s decode (%s): %d items (%d read), %.1f MB, best of %d: %.3f s, %.1f MB/s",
  which == "cjson" and "cjson" or "pcx json", mode, items, checksum, #text / 1048576, runs, best, #text / 1048576 / best))
