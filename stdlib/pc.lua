-- pc: the Partner Center reservation client, for scripts.
--
-- Mirrors the Swift client one-to-one: pc.<resource>.<verb>(...), option keys in snake_case,
-- results are plain tables decoded from the response with Partner Center's own field names
-- (catalogItemId, lineItems, ...). `list` returns every item of a collection, following
-- links.next / continuation tokens; `each` returns a lazy iterator that streams page by page
-- (the next page is fetched while the current one is consumed).
-- Errors are raised as pc.Error tables: code, message, status, pc_code, request_id,
-- correlation_id, method, path, where (your script's file:line), hint. Test them with
-- pc.errors.is(err, "not_found").
local core = require "pc.core"
local json = require "json"
local args = require "args"

local type, tostring, error, pairs, ipairs, setmetatable, getmetatable, select, pcall =
  type, tostring, error, pairs, ipairs, setmetatable, getmetatable, select, pcall
local sformat, sfind, ssub = string.format, string.find, string.sub
local tconcat, tsort = table.concat, table.sort
local getinfo = debug.getinfo
local core_call, core_pages, core_next = core.call, core.pages, core.next_page

local pc = {}

-- Errors ---------------------------------------------------------------------------------------

local CODES = {
  "invalid_argument", "unauthenticated", "forbidden", "not_found", "conflict", "throttled", "server_error",
  "network", "timeout", "cancelled", "interrupted", "policy_denied", "memory_limit", "script_error",
}
local KNOWN = {}
for _, c in ipairs(CODES) do KNOWN[c] = true end

local Error = getmetatable(core.error_prototype())
pc.Error = Error

-- The first stack frame outside pcx's own stdlib: the user's file:line.
local function locate(start)
  local level = start or 3
  while true do
    local info = getinfo(level, "Sl")
    if not info then return nil end
    local src = info.source or ""
    if info.currentline and info.currentline > 0 and ssub(src, 1, 1) == "@" and not sfind(src, "^@stdlib/")
      and not sfind(src, "/stdlib/[%w_]+%.lua$") then
      return ssub(src, 2) .. ":" .. info.currentline
    end
    level = level + 1
  end
end

pc.errors = {}
pc.errors.codes = CODES

--- Creates a pc.Error: pc.errors.new{code = "not_found", message = "...", hint = "..."}.
function pc.errors.new(fields)
  if type(fields) ~= "table" then error("pc.errors.new: expected a table {code = ..., message = ...}", 2) end
  local code = fields.code or "script_error"
  if not KNOWN[code] then error("pc.errors.new: unknown code '" .. tostring(code) .. "' (one of: " .. tconcat(CODES, ", ") .. ")", 2) end
  local e = {}
  for k, v in pairs(fields) do e[k] = v end
  e.code = code
  e.message = e.message or code
  e.where = e.where or locate(3)
  return setmetatable(e, Error)
end

--- Whether `err` is a pc.Error, optionally of `code`.
function pc.errors.is(err, code)
  if getmetatable(err) ~= Error then return false end
  if code == nil then return true end
  return err.code == code
end

-- Whether a "file:line" points into pcx's own stdlib (not the user's script).
local function in_stdlib(where)
  return type(where) == "string" and (sfind(where, "^stdlib/") or sfind(where, "/stdlib/[%w_]+%.lua:%d+$")) and true or false
end

-- Raises an error from pc.core at the user's line: the runtime stamps `where` with the nearest Lua
-- frame, which is this module; move it to the first frame outside the stdlib.
local function raise_at_caller(e)
  if type(e) == "string" and sfind(e, "json.decode:", 1, true) then
    -- the host checks bodies before handing them over; this is the rare malformed one it let through
    e = setmetatable({ code = "server_error",
      message = "Partner Center's answer could not be read: " .. (e:gsub("^.-json%.decode:%s*", "")),
      hint = "retry later; if it persists, report it to Microsoft" }, Error)
  end
  if getmetatable(e) == Error and (not e.where or in_stdlib(e.where)) then e.where = locate(3) or e.where end
  error(e, 0)
end

-- Argument checking ---------------------------------------------------------------------------

local function argerror(fname, msg)
  local e = pc.errors.new { code = "invalid_argument", message = fname .. ": " .. msg, where = locate(3) }
  error(e, 0)
end

local function check_id(fname, name, v)
  if type(v) ~= "string" or v == "" or sfind(v, "[%s/?#%%]") then
    argerror(fname, sformat("%s must be a non-empty id string without spaces or '/', got %s",
      name, type(v) == "string" and sformat("%q", v) or type(v)))
  end
  return v
end

local function check_opts(fname, opts, allowed)
  if opts == nil then return {} end
  if type(opts) ~= "table" then argerror(fname, "options must be a table, got " .. type(opts)) end
  for k, v in pairs(opts) do
    local spec = allowed[k]
    if not spec then
      local names = {}
      for n in pairs(allowed) do names[#names + 1] = n end
      tsort(names)
      local s = type(k) == "string" and args.suggest(k, names)
      argerror(fname, sformat("unknown option '%s'%s (options: %s)", tostring(k),
        s and (" — did you mean '" .. s .. "'?") or "", #names > 0 and tconcat(names, ", ") or "none"))
    end
    local want = spec
    local tv = type(v)
    if want == "integer" then
      if math.type(v) ~= "integer" then argerror(fname, sformat("option '%s' must be an integer, got %s", k, tv)) end
    elseif want == "id" then
      check_id(fname, "option '" .. k .. "'", v)
    elseif want ~= tv and not (want == "number" and tv == "number") then
      argerror(fname, sformat("option '%s' must be a %s, got %s", k, want, tv))
    end
  end
  return opts
end

local function required_opts(fname, opts, names)
  for _, n in ipairs(names) do
    if opts[n] == nil then argerror(fname, sformat("missing required option '%s'", n)) end
  end
end

-- Calls ----------------------------------------------------------------------------------------

local function call(op, params)
  local ok, res = pcall(core_call, op, params)
  if ok then return res end
  raise_at_caller(res)
end

-- A collection's items, following every page.
local function list_all(op, params)
  local ok, handle = pcall(core_pages, op, params)
  if not ok then raise_at_caller(handle) end
  local items, n = {}, 0
  while true do
    local okp, page = pcall(core_next, handle)
    if not okp then raise_at_caller(page) end
    if page == nil then break end
    local arr = page.items or page
    for i = 1, #arr do n = n + 1; items[n] = arr[i] end
  end
  return items
end

-- A lazy iterator over a collection's items, page by page.
local function each(op, params)
  local ok, handle = pcall(core_pages, op, params)
  if not ok then raise_at_caller(handle) end
  local page, i, done = nil, 0, false
  return function()
    while true do
      if page then
        i = i + 1
        local v = page[i]
        if v ~= nil then return v end
      end
      if done then return nil end
      local okp, p = pcall(core_next, handle)
      if not okp then raise_at_caller(p) end
      if p == nil then done = true; return nil end
      page, i = p.items or p, 0
    end
  end
end

local function body_of(fname, t, what)
  if type(t) ~= "table" then argerror(fname, what .. " must be a table, got " .. type(t)) end
  return json.encode(t)
end

-- Resources --------------------------------------------------------------------------------------

pc.customers = {}
--- The partner's customers (seek paging, all pages).
function pc.customers.list(opts)
  opts = check_opts("pc.customers.list", opts, { size = "integer" })
  return list_all("customers.list", { size = opts.size })
end
--- A lazy iterator over the partner's customers.
function pc.customers.each(opts)
  opts = check_opts("pc.customers.each", opts, { size = "integer" })
  return each("customers.list", { size = opts.size })
end
--- One customer, with company and billing profile.
function pc.customers.get(customer_id)
  check_id("pc.customers.get", "customer_id", customer_id)
  return call("customers.get", { customer_id = customer_id })
end

pc.subscriptions = {}
function pc.subscriptions.list(customer_id)
  check_id("pc.subscriptions.list", "customer_id", customer_id)
  return list_all("subscriptions.list", { customer_id = customer_id })
end
function pc.subscriptions.get(customer_id, subscription_id)
  check_id("pc.subscriptions.get", "customer_id", customer_id)
  check_id("pc.subscriptions.get", "subscription_id", subscription_id)
  return call("subscriptions.get", { customer_id = customer_id, subscription_id = subscription_id })
end
--- Registers a subscription for reservation purchases (202 + Location). In a dry run the
--- registration is recorded in the journal instead of being sent.
function pc.subscriptions.register(customer_id, subscription_id)
  check_id("pc.subscriptions.register", "customer_id", customer_id)
  check_id("pc.subscriptions.register", "subscription_id", subscription_id)
  return call("subscriptions.register", { customer_id = customer_id, subscription_id = subscription_id })
end
function pc.subscriptions.registration_status(customer_id, subscription_id)
  check_id("pc.subscriptions.registration_status", "customer_id", customer_id)
  check_id("pc.subscriptions.registration_status", "subscription_id", subscription_id)
  return call("subscriptions.registration_status", { customer_id = customer_id, subscription_id = subscription_id })
end
--- Polls the registration status with backoff until Registered, or raises timeout.
--- opts: timeout (seconds, default 600).
function pc.subscriptions.wait_registered(customer_id, subscription_id, opts)
  check_id("pc.subscriptions.wait_registered", "customer_id", customer_id)
  check_id("pc.subscriptions.wait_registered", "subscription_id", subscription_id)
  opts = check_opts("pc.subscriptions.wait_registered", opts, { timeout = "number" })
  return call("subscriptions.wait_registered", { customer_id = customer_id, subscription_id = subscription_id, timeout = opts.timeout })
end

local CATALOG_OPTS = { country = "string", target_segment = "string", reservation_scope = "string" }

pc.products = {}
--- Products for a market and target view: pc.products.list{country = "US", target_view = "AzureReservationsVM"}.
function pc.products.list(opts)
  opts = check_opts("pc.products.list", opts, { country = "string", target_view = "string", target_segment = "string", reservation_scope = "string" })
  required_opts("pc.products.list", opts, { "country", "target_view" })
  return list_all("products.list", opts)
end
function pc.products.get(product_id, opts)
  check_id("pc.products.get", "product_id", product_id)
  opts = check_opts("pc.products.get", opts, { country = "string", reservation_scope = "string" })
  required_opts("pc.products.get", opts, { "country" })
  return call("products.get", { product_id = product_id, country = opts.country, reservation_scope = opts.reservation_scope })
end

pc.skus = {}
function pc.skus.list(product_id, opts)
  check_id("pc.skus.list", "product_id", product_id)
  opts = check_opts("pc.skus.list", opts, CATALOG_OPTS)
  required_opts("pc.skus.list", opts, { "country" })
  return list_all("skus.list", { product_id = product_id, country = opts.country, target_segment = opts.target_segment, reservation_scope = opts.reservation_scope })
end
function pc.skus.get(product_id, sku_id, opts)
  check_id("pc.skus.get", "product_id", product_id)
  check_id("pc.skus.get", "sku_id", sku_id)
  opts = check_opts("pc.skus.get", opts, { country = "string", reservation_scope = "string" })
  required_opts("pc.skus.get", opts, { "country" })
  return call("skus.get", { product_id = product_id, sku_id = sku_id, country = opts.country, reservation_scope = opts.reservation_scope })
end

pc.inventory = {}
--- Checks inventory: pc.inventory.check("US", {targetItems = {{productId = ..., skuId = ...}},
--- inventoryContext = {customerId = ..., azureSubscriptionId = ..., armRegionName = ...}}).
--- Returns the bare array of InventoryItem.
function pc.inventory.check(country, request)
  if type(country) ~= "string" or not country:match("^%a%a$") then
    argerror("pc.inventory.check", "country must be an ISO alpha-2 code such as \"US\", got " .. tostring(country))
  end
  return call("inventory.check", { country = country, body = body_of("pc.inventory.check", request, "request") })
end

pc.availabilities = {}
function pc.availabilities.list(product_id, sku_id, opts)
  check_id("pc.availabilities.list", "product_id", product_id)
  check_id("pc.availabilities.list", "sku_id", sku_id)
  opts = check_opts("pc.availabilities.list", opts, CATALOG_OPTS)
  required_opts("pc.availabilities.list", opts, { "country" })
  return list_all("availabilities.list", { product_id = product_id, sku_id = sku_id, country = opts.country, target_segment = opts.target_segment, reservation_scope = opts.reservation_scope })
end
function pc.availabilities.get(product_id, sku_id, availability_id, opts)
  check_id("pc.availabilities.get", "product_id", product_id)
  check_id("pc.availabilities.get", "sku_id", sku_id)
  check_id("pc.availabilities.get", "availability_id", availability_id)
  opts = check_opts("pc.availabilities.get", opts, { country = "string" })
  required_opts("pc.availabilities.get", opts, { "country" })
  return call("availabilities.get", { product_id = product_id, sku_id = sku_id, availability_id = availability_id, country = opts.country })
end

pc.carts = {}
--- Creates a cart (Partner Center's price quote; spends nothing). The market policy is checked
--- first: a customer in a market where Reserved VM Instances are not sold is refused.
function pc.carts.create(customer_id, cart)
  check_id("pc.carts.create", "customer_id", customer_id)
  if type(cart) ~= "table" or type(cart.lineItems) ~= "table" or #cart.lineItems == 0 then
    argerror("pc.carts.create", "cart must be a table with a non-empty lineItems array")
  end
  return call("carts.create", { customer_id = customer_id, body = json.encode(cart) })
end
function pc.carts.get(customer_id, cart_id)
  check_id("pc.carts.get", "customer_id", customer_id)
  check_id("pc.carts.get", "cart_id", cart_id)
  return call("carts.get", { customer_id = customer_id, cart_id = cart_id })
end
function pc.carts.update(customer_id, cart_id, cart)
  check_id("pc.carts.update", "customer_id", customer_id)
  check_id("pc.carts.update", "cart_id", cart_id)
  return call("carts.update", { customer_id = customer_id, cart_id = cart_id, body = body_of("pc.carts.update", cart, "cart") })
end
--- Checks out a cart through the purchase gate and the journal (see pc.purchase).
--- opts: idempotency_key, plan (a table shown to the user and journaled).
function pc.carts.checkout(customer_id, cart_id, opts)
  check_id("pc.carts.checkout", "customer_id", customer_id)
  check_id("pc.carts.checkout", "cart_id", cart_id)
  opts = check_opts("pc.carts.checkout", opts, { idempotency_key = "string", plan = "table" })
  return call("carts.checkout", { customer_id = customer_id, cart_id = cart_id,
    idempotency_key = opts.idempotency_key, plan = opts.plan and json.encode(opts.plan) or nil })
end

--- Buys a cart: the purchase gate (--allow-purchase or a confirmation at the terminal), the spend
--- and quantity caps, then an idempotent, journaled checkout. In a dry run nothing is sent.
--- request: {customer = id, cart = cart table (from pc.carts.create), plan = table, idempotency_key = string}.
function pc.purchase(request)
  if type(request) ~= "table" then argerror("pc.purchase", "expected a table {customer = ..., cart = ...}") end
  check_opts("pc.purchase", request, { customer = "string", cart = "table", plan = "table", idempotency_key = "string" })
  required_opts("pc.purchase", request, { "customer", "cart" })
  check_id("pc.purchase", "customer", request.customer)
  return call("carts.checkout", {
    -- only the cart's id: the gate reads the cart Partner Center holds, not this table
    customer_id = request.customer, cart_id = check_id("pc.purchase", "cart.id", request.cart.id),
    plan = request.plan and json.encode(request.plan) or nil,
    idempotency_key = request.idempotency_key,
  })
end

--- Runs the purchase gate for a cart without checking it out: refuses carts whose lines carry a
--- Partner Center error (other than "subscription not registered yet"), plans above --max-quantity
--- or --max-spend, and, unless --allow-purchase, asks for confirmation at the terminal (the
--- checkout of the same purchase later in the run does not ask again). Call it before changing
--- anything for a purchase (e.g. registering its subscription). In a dry run only the caps apply.
--- request: {customer = id, cart = cart table, plan = table}. Returns true or raises policy_denied.
function pc.purchase_check(request)
  if type(request) ~= "table" then argerror("pc.purchase_check", "expected a table {customer = ..., cart = ...}") end
  check_opts("pc.purchase_check", request, { customer = "string", cart = "table", plan = "table" })
  required_opts("pc.purchase_check", request, { "customer", "cart" })
  check_id("pc.purchase_check", "customer", request.customer)
  return call("carts.preflight", {
    customer_id = request.customer, cart_id = request.cart.id and tostring(request.cart.id) or nil,
    cart = json.encode(request.cart), plan = request.plan and json.encode(request.plan) or nil,
  })
end

pc.orders = {}
function pc.orders.get(customer_id, order_id, opts)
  check_id("pc.orders.get", "customer_id", customer_id)
  check_id("pc.orders.get", "order_id", order_id)
  opts = check_opts("pc.orders.get", opts, { include_price = "boolean" })
  return call("orders.get", { customer_id = customer_id, order_id = order_id, include_price = opts.include_price })
end
local ORDER_LIST = { billing_type = "string", include_price = "boolean" }
--- A customer's orders; opts.billing_type = "onetime" lists reserved-instance orders only.
function pc.orders.list(customer_id, opts)
  check_id("pc.orders.list", "customer_id", customer_id)
  opts = check_opts("pc.orders.list", opts, ORDER_LIST)
  return list_all("orders.list", { customer_id = customer_id, billing_type = opts.billing_type, include_price = opts.include_price })
end
function pc.orders.each(customer_id, opts)
  check_id("pc.orders.each", "customer_id", customer_id)
  opts = check_opts("pc.orders.each", opts, ORDER_LIST)
  return each("orders.list", { customer_id = customer_id, billing_type = opts.billing_type, include_price = opts.include_price })
end
function pc.orders.provisioning_status(customer_id, order_id)
  check_id("pc.orders.provisioning_status", "customer_id", customer_id)
  check_id("pc.orders.provisioning_status", "order_id", order_id)
  return list_all("orders.provisioning_status", { customer_id = customer_id, order_id = order_id })
end
--- Polls an order with backoff until it is completed (or failed/cancelled), or raises timeout.
function pc.orders.wait_completed(customer_id, order_id, opts)
  check_id("pc.orders.wait_completed", "customer_id", customer_id)
  check_id("pc.orders.wait_completed", "order_id", order_id)
  opts = check_opts("pc.orders.wait_completed", opts, { timeout = "number" })
  return call("orders.wait_completed", { customer_id = customer_id, order_id = order_id, timeout = opts.timeout })
end

pc.entitlements = {}
--- A customer's entitlements; opts: entitlement_type ("reservedInstance", "software"), show_expiry.
function pc.entitlements.list(customer_id, opts)
  check_id("pc.entitlements.list", "customer_id", customer_id)
  opts = check_opts("pc.entitlements.list", opts, { entitlement_type = "string", show_expiry = "boolean" })
  return list_all("entitlements.list", { customer_id = customer_id, entitlement_type = opts.entitlement_type, show_expiry = opts.show_expiry })
end
--- Reservation details behind a reservedinstance artifact: pass the artifact's `link` (or its uri).
function pc.entitlements.reservation_details(link)
  local uri = type(link) == "table" and link.uri or link
  if type(uri) ~= "string" or not sfind(uri, "/artifacts/", 1, true) then
    argerror("pc.entitlements.reservation_details", "expected an artifact link {uri = \"/customers/.../artifacts/reservedinstance/...\"}")
  end
  return call("entitlements.reservation_details", { uri = uri })
end

pc.invoices = {}
--- The account balance (/invoices/summary).
function pc.invoices.balance() return call("invoices.balance", {}) end
--- Invoice summaries, one per currency.
function pc.invoices.summaries() return list_all("invoices.summaries", {}) end
function pc.invoices.list(opts)
  opts = check_opts("pc.invoices.list", opts, { size = "integer" })
  return list_all("invoices.list", { size = opts.size })
end
function pc.invoices.each(opts)
  opts = check_opts("pc.invoices.each", opts, { size = "integer" })
  return each("invoices.list", { size = opts.size })
end
function pc.invoices.get(invoice_id)
  check_id("pc.invoices.get", "invoice_id", invoice_id)
  return call("invoices.get", { invoice_id = invoice_id })
end
local LINE_ITEM_OPTS = { provider = "string", invoice_line_item_type = "string", size = "integer", currency_code = "string", period = "string" }
--- Streams an invoice's line items: for item in pc.invoices.each_line_item("G000024135") do ... end.
--- opts: provider ("onetime" default, "azure", "office"), invoice_line_item_type ("billinglineitems"
--- default, "usagelineitems"), size (page size, max 2000), currency_code, period.
function pc.invoices.each_line_item(invoice_id, opts)
  check_id("pc.invoices.each_line_item", "invoice_id", invoice_id)
  opts = check_opts("pc.invoices.each_line_item", opts, LINE_ITEM_OPTS)
  return each("invoices.line_items", { invoice_id = invoice_id, provider = opts.provider or "onetime",
    invoice_line_item_type = opts.invoice_line_item_type or "billinglineitems", size = opts.size,
    currency_code = opts.currency_code, period = opts.period })
end
--- All of an invoice's line items in one table (prefer each_line_item for large invoices).
function pc.invoices.line_items(invoice_id, opts)
  check_id("pc.invoices.line_items", "invoice_id", invoice_id)
  opts = check_opts("pc.invoices.line_items", opts, LINE_ITEM_OPTS)
  return list_all("invoices.line_items", { invoice_id = invoice_id, provider = opts.provider or "onetime",
    invoice_line_item_type = opts.invoice_line_item_type or "billinglineitems", size = opts.size,
    currency_code = opts.currency_code, period = opts.period })
end
--- Downloads the invoice statement PDF to `path` (which must be under an --allow-write
--- directory). Written to a temporary file and renamed. Returns the number of bytes.
function pc.invoices.statement(invoice_id, path)
  check_id("pc.invoices.statement", "invoice_id", invoice_id)
  if type(path) ~= "string" or path == "" then argerror("pc.invoices.statement", "path must be a file path string") end
  return call("invoices.statement", { invoice_id = invoice_id, path = path })
end

-- Policy, options, concurrency ---------------------------------------------------------------------

pc.policy = {}
--- Raises policy_denied if Reserved VM Instances are not sold in `country` (ISO alpha-2).
function pc.policy.check_market(customer_id, country)
  return call("policy.check_market", { customer_id = customer_id, country = country })
end
--- The markets where pcx refuses reserved-instance purchases.
function pc.policy.excluded_markets() return call("policy.excluded_markets", {}) end

--- The run's options: json, dry_run, target ("sandbox" or the endpoint), allow_purchase.
pc.options = core.options

local async = require "async"
--- Runs the functions concurrently (their pc calls overlap); returns their results in order.
pc.parallel = async.parallel
--- Calls fn(item, index) for every item with at most opts.concurrency at once; returns the
--- results in the list's order. The first error is raised after the others finish.
pc.map = async.map

return pc
