-- A pure-Lua CPU benchmark: table inserts/lookups, string building and matching, closures and
-- method calls, a sort. About 2-5 s under lua5.4 on one core; prints the time and a checksum so
-- runs under `lua5.4` and `pcx run` can be compared (the checksum must be equal).
-- usage: lua5.4 Benchmarks/lua/cpu.lua [scale]     |     pcx run Benchmarks/lua/cpu.lua [scale]
local scale = tonumber(arg and arg[1]) or 3
local clock = os.clock
local t0 = clock()
local checksum = 0

-- 1. tables: build a map of records, look them up, aggregate
do
  local records = {}
  for i = 1, 200000 * scale do
    records["k" .. i] = { id = i, price = (i % 997) / 100, qty = i % 7 + 1 }
  end
  local total = 0
  for i = 1, 200000 * scale, 3 do
    local r = records["k" .. i]
    total = total + r.price * r.qty
  end
  checksum = checksum + math.floor(total)
end

-- 2. strings: format, concat through table.concat, gsub/find
do
  local parts = {}
  for i = 1, 100000 * scale do
    parts[#parts + 1] = string.format("%08x-%s", i * 2654435761 % 4294967296, i % 3 == 0 and "VM" or "RI")
  end
  local text = table.concat(parts, ",")
  local count = 0
  for word in text:gmatch("%x+%-VM") do count = count + #word end
  local replaced = text:gsub("RI", "ri")
  checksum = checksum + count + #replaced
end

-- 3. closures and methods: a tiny class hierarchy and higher-order functions
do
  local Account = {}
  Account.__index = Account
  function Account.new(balance) return setmetatable({ balance = balance }, Account) end
  function Account:deposit(v) self.balance = self.balance + v end
  function Account:withdraw(v) if v <= self.balance then self.balance = self.balance - v end end
  local function map(t, f) local out = {} for i = 1, #t do out[i] = f(t[i]) end return out end
  local function reduce(t, f, acc) for i = 1, #t do acc = f(acc, t[i]) end return acc end
  local accounts = {}
  for i = 1, 2000 do accounts[i] = Account.new(i) end
  for round = 1, 300 * scale do
    for i = 1, #accounts do
      local a = accounts[i]
      a:deposit(round % 5)
      a:withdraw((i + round) % 7)
    end
  end
  local balances = map(accounts, function(a) return a.balance end)
  checksum = checksum + reduce(balances, function(x, y) return x + y end, 0)
end

-- 4. sort with a comparator
do
  local items = {}
  local seed = 12345
  for i = 1, 200000 * scale do
    seed = (seed * 1103515245 + 12345) % 2147483648
    items[i] = { key = seed % 100000, id = i }
  end
  table.sort(items, function(a, b) if a.key ~= b.key then return a.key < b.key end return a.id < b.id end)
  checksum = checksum + items[1].id + items[#items].id
end

print(string.format("cpu.lua: %.3f s, checksum %d", clock() - t0, checksum))
