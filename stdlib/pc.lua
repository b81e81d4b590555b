-- pc: the Partner Center reservation client, for scripts.
--
-- Every pc.<group>.<verb> that talks to Partner Center is bound here from pcx's operation
-- catalogue (pc.core.operations()): positional arguments are the path parameters in order (then
-- the request body, or the file a document goes to), then a table of options in snake_case.
-- Results are plain tables decoded from the response with Partner Center's own field names
-- (catalogItemId, lineItems, ...). For a collection, `list`-style functions return every item,
-- following links.next / continuation tokens; the iterator (`each`, `each_line_item`) streams
-- page by page (the next page is fetched while the current one is consumed).
-- Changes (carts, registration, checkout) go through pcx's gate whatever calls them: policy,
-- confirmation, journal, send.
-- Errors are raised as pc.Error tables: code, message, status, pc_code, request_id,
-- correlation_id, method, path, where (your script's file:line), hint. Test them with
-- pc.errors.is(err, "not_found").
local core = require "pc.core"
local json = require "json"

local type, tostring, error, pairs, ipairs, setmetatable, getmetatable, select, pcall, next =
  type, tostring, error, pairs, ipairs, setmetatable, getmetatable, select, pcall, next
local sformat, sfind, ssub, smatch, slower, sgmatch = string.format, string.find, string.sub, string.match, string.lower, string.gmatch
local tconcat = table.concat
local getinfo = debug.getinfo
local core_call, core_pages, core_next, core_close = core.call, core.pages, core.next_page, core.close_pages
local json_encode = json.encode

local pc = {}

-- Errors ---------------------------------------------------------------------------------------

local CODES = {
  "invalid_argument", "unauthenticated", "forbidden", "not_found", "conflict", "throttled", "server_error",
  "network", "timeout", "cancelled", "interrupted", "policy_denied", "bought_above_cap", "memory_limit", "script_error",
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
    -- a file ("@name") or a named chunk such as the REPL's "=stdin"; not pcx's own "=[pcx ...]"
    local named = ssub(src, 1, 1) == "@" or (ssub(src, 1, 1) == "=" and ssub(src, 2, 2) ~= "[")
    if info.currentline and info.currentline > 0 and named and not sfind(src, "^[@=]stdlib/")
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

--- What to do about a Partner Center error code (an ApiFault code or a cart line's errorCode), or nil.
function pc.errors.hint(code) return core.hint(code) end

--- An error as pcx prints it (one line, the request, the hint).
function pc.errors.format(err) return core.render_error(err) end

-- Whether a "file:line" points into pcx's own stdlib (not the user's script).
local function in_stdlib(where)
  return type(where) == "string" and (sfind(where, "^stdlib/") or sfind(where, "/stdlib/[%w_]+%.lua:%d+$")) and true or false
end

-- A Partner Center object a person named in a playbook's parameter (`--invoice G0001`,
-- `--customer GUID`, `--subscription S`) that Partner Center does not know is that person's input
-- error (exit 2), named by its option. The playbook module records the values typed
-- (playbook.inputs: lower-case value -> "--option"); the object not found is the path's last
-- segment that is not a plain word such as `registrationstatus` (the customer for Partner
-- Center's 60003, tenant not found).
local loaded = package.loaded
local function input_option(e)
  if e.code ~= "not_found" or e.status ~= 404 or e.input or type(e.path) ~= "string" then return nil end
  local pbm = loaded.playbook
  local inputs = pbm and pbm.inputs
  if type(inputs) ~= "table" or next(inputs) == nil then return nil end
  local path = smatch(e.path, "^[^?#]*")
  if tostring(e.pc_code) == "60003" then
    local id = smatch(path, "/customers/([^/]+)")
    return id and inputs[slower(id)]
  end
  local segments = {}
  for segment in sgmatch(path, "[^/]+") do segments[#segments + 1] = segment end
  for i = #segments, 1, -1 do
    local flag = inputs[slower(segments[i])]
    if flag then return flag end
    if not smatch(segments[i], "^%l+$") then return nil end
  end
  return nil
end

local function mark_input(e)
  local flag = input_option(e)
  if not flag then return end
  e.input = true
  e.message = flag .. ": " .. tostring(e.message)
  if flag == "--customer" then
    e.hint = "give a tenant id, a domain or a company name of one of your customers (pc.customers.list() lists them)"
  end
end

-- Raises an error from pc.core at the user's line: the runtime stamps `where` with the nearest Lua
-- frame, which is this module; move it to the first frame outside the stdlib.
local function raise_at_caller(e)
  if type(e) == "string" and sfind(e, "json.decode:", 1, true) then
    -- the client checks bodies before handing them over; this is the rare malformed one it let through
    e = setmetatable({ code = "server_error",
      message = "Partner Center's answer could not be read: " .. (e:gsub("^.-json%.decode:%s*", "")),
      hint = "retry later; if it persists, report it to Microsoft" }, Error)
  end
  if getmetatable(e) == Error then
    if not e.where or in_stdlib(e.where) then e.where = locate(3) or e.where end
    mark_input(e)
  end
  error(e, 0)
end

local function argerror(fname, msg)
  error(pc.errors.new { code = "invalid_argument", message = fname .. ": " .. msg, where = locate(3) }, 0)
end

-- Calls ----------------------------------------------------------------------------------------

local function call(op, params, fname)
  local ok, res = pcall(core_call, op, params, fname)
  if ok then return res end
  raise_at_caller(res)
end

-- A cursor handle closed when the iterator holding it is collected (abandoned half-way).
local function closer(handle)
  return setmetatable({}, { __gc = function() pcall(core_close, handle) end })
end

-- A collection's items, following every page.
local function list_all(op, params, fname)
  local ok, handle = pcall(core_pages, op, params, fname)
  if not ok then raise_at_caller(handle) end
  local items, n = {}, 0
  while true do
    local okp, page = pcall(core_next, handle)
    if not okp then pcall(core_close, handle); raise_at_caller(page) end
    if page == nil then break end
    local arr = page.items or page
    for i = 1, #arr do n = n + 1; items[n] = arr[i] end
  end
  return items
end

-- A lazy iterator over a collection's items, page by page.
local function each(op, params, fname)
  local ok, handle = pcall(core_pages, op, params, fname)
  if not ok then raise_at_caller(handle) end
  local guard = closer(handle)
  local page, i, done = nil, 0, false
  return function()
    local _ = guard
    while true do
      if page then
        i = i + 1
        local v = page[i]
        if v ~= nil then return v end
      end
      if done then return nil end
      local okp, p = pcall(core_next, handle)
      if not okp then done = true; pcall(core_close, handle); raise_at_caller(p) end
      if p == nil then done = true; return nil end
      page, i = p.items or p, 0
    end
  end
end

-- Binding the catalogue ---------------------------------------------------------------------------

-- The parameters table of a call: positional arguments by name, then the body (a table, sent as
-- JSON) or a document's file path, then the options table (checked by pcx: unknown names get a
-- did-you-mean, wrong types a clear error).
local function shape(op, fname, ...)
  local n = select("#", ...)
  local params = {}
  local npos = #op.positional
  for i = 1, npos do params[op.positional[i]] = (select(i, ...)) end
  local k = npos + 1
  if op.body then
    local body = json.materialize((select(k, ...)))   -- a record (a line item) as its table
    if type(body) ~= "table" then argerror(fname, sformat("%s must be a table, got %s", op.body, type(body))) end
    params[op.body] = json_encode(body)
    k = k + 1
  elseif op.document then
    params.path = (select(k, ...))
    if type(params.path) ~= "string" or params.path == "" then argerror(fname, "path must be a file path string") end
    k = k + 1
  end
  local opts = (select(k, ...))
  if opts ~= nil then
    opts = json.materialize(opts)
    if type(opts) ~= "table" then argerror(fname, "options must be a table, got " .. type(opts)) end
    for key, v in pairs(opts) do
      if params[key] ~= nil then argerror(fname, sformat("'%s' is given twice (positionally and as an option)", tostring(key))) end
      if op.options[key] == "json" and type(v) == "table" then v = json_encode(v) end
      params[key] = v
    end
  end
  if n > k then
    argerror(fname, sformat("too many arguments (%d; expected %s)", n, tconcat(op.positional, ", ") ..
      (op.body and (", " .. op.body) or "") .. (op.document and ", path" or "") .. ", {options}"))
  end
  return params
end

local function bind(op)
  local group = pc[op.group]
  if not group then group = {}; pc[op.group] = group end
  local name = op.name
  local fname = "pc." .. name
  if op.collection then
    group[op.verb] = function(...) return list_all(name, shape(op, fname, ...), fname) end
    if op.iterator then
      local iname = "pc." .. op.group .. "." .. op.iterator
      group[op.iterator] = function(...) return each(name, shape(op, iname, ...), iname) end
    end
  else
    group[op.verb] = function(...) return call(name, shape(op, fname, ...), fname) end
  end
end

for _, op in ipairs(core.operations()) do bind(op) end

-- What pcx adds to the catalogue ------------------------------------------------------------------

local function check_string(fname, name, v)
  if type(v) ~= "string" or v == "" then
    argerror(fname, sformat("%s must be a non-empty string, got %s", name, type(v) == "string" and '""' or type(v)))
  end
  return v
end

local function check_opts(fname, opts, allowed)
  if opts == nil then return {} end
  if type(opts) ~= "table" then argerror(fname, "options must be a table, got " .. type(opts)) end
  for k, v in pairs(opts) do
    local want = allowed[k]
    if not want then
      local names = {}
      for n in pairs(allowed) do names[#names + 1] = n end
      table.sort(names)
      argerror(fname, sformat("unknown option '%s' (options: %s)", tostring(k), tconcat(names, ", ")))
    end
    if type(v) ~= want then argerror(fname, sformat("option '%s' must be a %s, got %s", k, want, type(v))) end
  end
  return opts
end

local function extra(fn, ...)
  local ok, res = pcall(fn, ...)
  if ok then return res end
  raise_at_caller(res)
end

--- Polls the registration status with backoff until Registered, or raises timeout.
--- opts: timeout (seconds, default 600). In a dry run (the registration was recorded, not sent)
--- returns the current status.
function pc.subscriptions.wait_registered(customer_id, subscription_id, opts)
  local fname = "pc.subscriptions.wait_registered"
  opts = check_opts(fname, opts, { timeout = "number" })
  return extra(core.wait_registered, check_string(fname, "customer_id", customer_id),
    check_string(fname, "subscription_id", subscription_id), opts.timeout)
end

--- Polls an order with backoff until it is completed (or failed/cancelled), or raises timeout.
function pc.orders.wait_completed(customer_id, order_id, opts)
  local fname = "pc.orders.wait_completed"
  opts = check_opts(fname, opts, { timeout = "number" })
  return extra(core.wait_completed, check_string(fname, "customer_id", customer_id),
    check_string(fname, "order_id", order_id), opts.timeout)
end

-- Customers by what people type: a tenant id, a domain or a company name ----------------------

local is_tenant_id = require("args").is_tenant_id

local function customer_label(c)
  local p = c.companyProfile or {}
  return sformat("%s (%s, %s)", tostring(p.companyName or "?"), tostring(p.domain or "?"), tostring(c.id))
end

-- An input error (exit 2 when uncaught) that lists the candidates.
local function find_error(message, candidates)
  local shown = {}
  for i = 1, math.min(#candidates, 10) do shown[i] = customer_label(candidates[i]) end
  local more = #candidates > 10 and sformat(" and %d more", #candidates - 10) or ""
  return pc.errors.new { code = "invalid_argument", input = true, message = message,
    candidates = shown,
    hint = #candidates > 0 and ("candidates: " .. tconcat(shown, "; ") .. more .. "; give the tenant id or the domain")
      or "give a tenant id, a domain or a company name of one of your customers (pc.customers.list() lists them)",
    where = locate(4) }
end

--- Finds one customer by tenant id, domain or company name: an exact id or domain first, then the
--- company name exactly (ignoring case), then a unique part of a company name or domain. No match
--- or several raise invalid_argument listing the candidates (uncaught: exit 2).
function pc.customers.find(text)
  local fname = "pc.customers.find"
  if type(text) ~= "string" or not sfind(text, "%S") then
    argerror(fname, "expected a tenant id, a domain or a company name, got " .. (type(text) == "string" and "an empty string" or type(text)))
  end
  local query = text:match("^%s*(.-)%s*$")
  local lower = query:lower()
  if is_tenant_id(query) then
    local ok, c = pcall(pc.customers.get, query)
    if ok then return c end
    if not (pc.errors.is(c, "not_found") or pc.errors.is(c, "forbidden")) then raise_at_caller(c) end
    error(find_error(sformat("no customer has the tenant id %s", query), {}), 0)
  end
  local exact_name, partial, words = {}, {}, {}
  for c in pc.customers.each() do
    local p = c.companyProfile or {}
    local domain, name = (p.domain or ""):lower(), (p.companyName or ""):lower()
    if domain == lower or (c.id or ""):lower() == lower then return c end
    if name == lower then exact_name[#exact_name + 1] = c
    elseif sfind(name, lower, 1, true) or sfind(domain, lower, 1, true) then partial[#partial + 1] = c
    else
      for w in lower:gmatch("%w+") do
        if #w > 2 and sfind(name, w, 1, true) then words[#words + 1] = c break end
      end
    end
  end
  if #exact_name == 1 then return exact_name[1] end
  if #exact_name > 1 then
    error(find_error(sformat("%d customers are named '%s'", #exact_name, query), exact_name), 0)
  end
  if #partial == 1 then return partial[1] end
  if #partial > 1 then
    error(find_error(sformat("'%s' matches %d customers", query, #partial), partial), 0)
  end
  error(find_error(sformat("no customer matches '%s' (by tenant id, domain or company name)", query), words), 0)
end

--- Reservation details behind a reservedinstance artifact: pass the artifact's `link` (or its uri).
local reservation_details = pc.entitlements.reservation_details
function pc.entitlements.reservation_details(link)
  local fname = "pc.entitlements.reservation_details"
  local uri = type(link) == "table" and link.uri or link
  if type(uri) ~= "string" or not sfind(uri, "/artifacts/", 1, true) then
    argerror(fname, "expected an artifact link {uri = \"/customers/.../artifacts/reservedinstance/...\"}")
  end
  local a = extra(core.link_arguments, "entitlements.reservation_details", uri)
  return reservation_details(a.customer_id, a.artifact_type, a.group_id, a.line_item_id, a.resource_id)
end

--- Buys a cart: the purchase gate (--allow-purchase or a "yes" for this purchase at the terminal),
--- the spend and quantity caps on the cart Partner Center holds, then an idempotent, journaled
--- checkout. In a dry run nothing is sent. A purchase already made is returned with
--- `replayed = true` and its `original_date`, and nothing is bought.
--- request: {customer = id, cart = cart table (from pc.carts.create), plan = table, idempotency_key = string}.
function pc.purchase(request)
  local fname = "pc.purchase"
  if type(request) ~= "table" then argerror(fname, "expected a table {customer = ..., cart = ...}") end
  check_opts(fname, request, { customer = "string", cart = "table", plan = "table", idempotency_key = "string" })
  check_string(fname, "customer", request.customer)
  if type(request.cart) ~= "table" then argerror(fname, "missing required option 'cart'") end
  if request.cart.id == nil then
    -- a dry run without --quote created no cart at Partner Center: it records the plan's lines
    if pc.options.dry_run then
      return extra(core.record_purchase, request.customer, json_encode(request.cart), request.plan and json_encode(request.plan) or nil)
    end
    argerror(fname, "cart.id is missing: create the cart with pc.carts.create first")
  end
  -- only the cart's id: the gate reads the cart Partner Center holds, not this table
  return pc.carts.checkout(request.customer, request.cart.id, {
    plan = request.plan, idempotency_key = request.idempotency_key,
  })
end

--- Runs the purchase gate for a cart without checking it out: refuses carts whose lines carry a
--- Partner Center error (other than "subscription not registered yet"), plans above --max-quantity
--- or --max-spend, and, unless --allow-purchase, asks for confirmation at the terminal; the next
--- checkout of the same purchase in the run does not ask again (once). Call it before changing
--- anything for a purchase (e.g. registering its subscription). In a dry run only the caps apply.
--- request: {customer = id, cart = cart table, plan = table}. Returns true or raises policy_denied.
function pc.purchase_check(request)
  local fname = "pc.purchase_check"
  if type(request) ~= "table" then argerror(fname, "expected a table {customer = ..., cart = ...}") end
  check_opts(fname, request, { customer = "string", cart = "table", plan = "table" })
  check_string(fname, "customer", request.customer)
  if type(request.cart) ~= "table" then argerror(fname, "missing required option 'cart'") end
  return extra(core.purchase_check, request.customer, request.cart.id and tostring(request.cart.id) or nil,
    json_encode(request.cart), request.plan and json_encode(request.plan) or nil)
end

-- Reservations by id -------------------------------------------------------------------------------

pc.reservations = {}

--- A reservation by its reservation order id (the artifact's resourceId) or its reservation id,
--- found through the customers' reserved-instance entitlements and the details behind them: no
--- artifact link needed. opts.customer (a tenant id, domain or company name) narrows the search to
--- one customer. Returns {customer, reservation_order, order, entitlement, reservation, reservations};
--- raises not_found naming how many customers were searched.
function pc.reservations.get(id, opts)
  local fname = "pc.reservations.get"
  check_string(fname, "id", id)
  opts = check_opts(fname, opts, { customer = "string" })
  local want = id:lower()
  local customers = opts.customer and { pc.customers.find(opts.customer) } or pc.customers.list()
  for _, c in ipairs(customers) do
    local ok, list = pcall(pc.entitlements.list, c.id, { entitlement_type = "reservedInstance", show_expiry = true })
    if not ok and not (pc.errors.is(list, "forbidden") or pc.errors.is(list, "not_found")) then raise_at_caller(list) end
    for _, e in ipairs(ok and list or {}) do
      for _, a in ipairs(e.entitledArtifacts or {}) do
        if a.link then
          local details = pc.entitlements.reservation_details(a.link)
          local all = details.reservations or details.virtualMachineReservations or {}
          local match = (a.resourceId or ""):lower() == want and (all[1] or {}) or nil
          for _, r in ipairs(all) do if (r.reservationId or ""):lower() == want then match = r end end
          if match then
            return { customer = c.id, reservation_order = a.resourceId, order = e.referenceOrder and e.referenceOrder.id,
              entitlement = e, reservation = match, reservations = all }
          end
        end
      end
    end
  end
  raise_at_caller(pc.errors.new { code = "not_found",
    message = sformat("no reservation order or reservation %s among the reserved-instance entitlements of %d customer%s", id,
      #customers, #customers == 1 and "" or "s"),
    hint = "check the id (a reservation order id is the artifact's resourceId); reservations bought outside Partner Center are not listed there" })
end

--- The reservation types pcx knows: {type, targetView, subType, reservationType, displayName,
--- exampleSku} each, VM first (one declaration, shared with the sandbox's catalog).
function pc.reservations.types()
  local out = {}
  for i, t in ipairs(core.reservation_types()) do
    local copy = {}
    for k, v in pairs(t) do copy[k] = v end
    out[i] = copy
  end
  return out
end

-- Reconciliation v2 through Microsoft Graph ---------------------------------------------------------

-- An export's lines, one table per line, pulled in batches as the blobs stream in. The stream is a
-- callable table: `for line in pc.reconciliation.billed(id) do ... end`; s:info() says what was
-- read (manifest id, eTag, blobs, whether an earlier run's export was picked up); s:close() stops.
local Export = {}
Export.__index = Export
Export.__name = "pc.Export"

function Export:__call()
  local batch = self.batch
  local i = self.i + 1
  if batch and i <= #batch then self.i = i; return batch[i] end
  if self.done then return nil end
  local ok, next_batch = pcall(core.graph_next, self.id)
  if not ok then self.done = true; pcall(core.graph_close, self.id); raise_at_caller(next_batch) end
  if next_batch == nil then self.done = true; self.batch = nil; return nil end
  self.batch, self.i = next_batch, 1
  return next_batch[1]
end

function Export:info() return core.graph_info(self.id) end
function Export:close() self.done = true; core.graph_close(self.id) end
Export.__close = Export.close
Export.__gc = function(self) if not self.done then pcall(core.graph_close, self.id) end end

local export_options = { attributes = "string", resume = "boolean", timeout = "number", to = "string" }
local unbilled_options = { period = "string", currency = "string", attributes = "string", resume = "boolean", timeout = "number",
  to = "string" }

-- With opts.to (a .csv or .sqlite file) pcx loads the lines itself and returns a summary.
local function open_export(name, params)
  local ok, id = pcall(core.graph_open, name, params)
  if not ok then raise_at_caller(id) end
  if params.to then return id end
  return setmetatable({ id = id, i = 0, done = false }, Export)
end

for _, e in ipairs(core.graph_exports()) do
  local group = pc[e.group]
  if not group then group = {}; pc[e.group] = group end
  local name, fname = e.name, "pc." .. e.name
  if e.billed then
    group[e.verb] = function(invoice_id, opts)
      check_string(fname, "invoice_id", invoice_id)
      local o = check_opts(fname, opts, export_options)
      return open_export(name, { invoice_id = invoice_id, attributes = o.attributes, resume = o.resume, timeout = o.timeout,
        to = o.to })
    end
  else
    group[e.verb] = function(opts)
      local o = check_opts(fname, opts, unbilled_options)
      if o.currency == nil then argerror(fname, "missing required option 'currency' (e.g. { period = \"current\", currency = \"USD\" })") end
      return open_export(name, o)
    end
  end
end

--- The declared columns of each data set: {reconciliation = {{name, type, basic}, ...}, usage = {...}}.
function pc.reconciliation.columns() return core.graph_columns() end

-- Policy, options, concurrency ---------------------------------------------------------------------

pc.policy = {}
--- Raises policy_denied if Reserved VM Instances are not sold in `country` (ISO alpha-2).
function pc.policy.check_market(customer_id, country)
  return extra(core.check_market, customer_id, country)
end
--- The markets where pcx refuses reserved-instance purchases.
function pc.policy.excluded_markets() return extra(core.excluded_markets) end

--- The run's options: json, output, dry_run, quote, allow_purchase.
pc.options = core.options

local async = require "async"
--- Runs the functions concurrently (their pc calls overlap); returns their results in order.
pc.parallel = async.parallel
--- Calls fn(item, index) for every item with at most opts.concurrency at once; returns the
--- results in the list's order. The first error is raised after the others finish.
pc.map = async.map

return pc
