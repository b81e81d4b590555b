-- tools/soak: the purchases of the regression shapes (tools/soak_shapes.py), one mode per run.
-- Every mode but `grow` takes the purchase target C S SKU REGION TERM after its name.
--
--   register TARGET              registers the subscription (if needed) and waits for it
--   buy TARGET [QTY [KEY]]       plans and buys; writes "cart <id>" to stderr before the checkout
--                                and prints {"order","replayed","units"} as JSON
--   grow C CART QTY              another process changes a cart's quantity
--   parallel TARGET CART_A       buys a new cart while updating cart A at the same moment
--   three TARGET                 buys three times, each under its own idempotency key
local json = require "json"
local ri = require "reservations"
local mode = arg[1]

local function plan_of(quantity)
  return ri.plan { customer = arg[2], subscription = arg[3], sku = arg[4], region = arg[5], term = arg[6],
    quantity = tonumber(quantity or "1") }
end

local function units(order)
  local n = 0
  for _, l in ipairs(order and order.lineItems or {}) do n = n + (l.quantity or 0) end
  return n
end

if mode == "register" then
  ri.ensure_registered(plan_of())
  print("registered")
elseif mode == "buy" then
  local plan = plan_of(arg[7])
  if not plan.cart then ri.quote(plan) end
  io.stderr:write("cart ", plan.cart.id, "\n")
  local r = ri.purchase(plan, { wait = false, idempotency_key = arg[8] })
  print(json.encode { order = r.order and r.order.id, replayed = r.replayed or false, units = units(r.order) })
elseif mode == "grow" then
  local cart = pc.carts.get(arg[2], arg[3])
  cart.lineItems[1].quantity = tonumber(arg[4])
  pc.carts.update(arg[2], arg[3], cart)
  print("grown")
elseif mode == "parallel" then
  local customer, cart_a = arg[2], arg[7]
  local bought, update = pc.parallel(function()
    local r = ri.purchase(plan_of(), { wait = false })
    return "bought " .. r.order.id
  end, function()
    pc.invoices.balance() -- held 1 s by the sandbox: the checkout of A is on its way by then
    local cart = pc.carts.get(customer, cart_a)
    cart.lineItems[1].quantity = 10
    local ok, e = pcall(pc.carts.update, customer, cart_a, cart)
    return ok and "updated" or tostring(type(e) == "table" and e.message or e)
  end)
  print(bought)
  print(update)
elseif mode == "three" then
  for i = 1, 3 do
    local r = ri.purchase(plan_of(), { wait = false, idempotency_key = "three-" .. i })
    print("bought", i, r.order.id)
  end
else
  error("soak-shapes.lua: unknown mode " .. tostring(mode) .. " (register, buy, grow, parallel, three)", 0)
end
