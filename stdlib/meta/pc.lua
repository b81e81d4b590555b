---@meta pc

-- LuaLS type stubs for stdlib/pc.lua (the global `pc`, also `require "pc"`). Editors read these;
-- the REPL's `:help NAME` prints the comment block above each `function`. Nothing here runs.

---The Partner Center reservation client, for scripts.
---
---Mirrors the Swift client one-to-one: `pc.<resource>.<verb>(...)`, option keys in snake_case,
---results are plain tables decoded from the response with Partner Center's own field names
---(`catalogItemId`, `lineItems`, ...). `list` returns every item of a collection, following
---`links.next` / continuation tokens; `each` returns a lazy iterator that streams page by page.
---Every failure is raised as a `pc.Error` table; test it with `pc.errors.is(err, "not_found")`.
---@class pc
---@field Error pc.Error the metatable of every error pcx raises (compare with getmetatable)
---@field options pc.Options the run's options (read only)
pc = {}

---The stable error codes of `pc.Error.code`.
---@alias pc.ErrorCode "invalid_argument"|"unauthenticated"|"forbidden"|"not_found"|"conflict"|"throttled"|"server_error"|"network"|"timeout"|"cancelled"|"interrupted"|"policy_denied"|"bought_above_cap"|"memory_limit"|"script_error"

---A structured error raised by every `pc` call (and by `pc.errors.new`). Never contains secrets.
---@class pc.Error
---@field code pc.ErrorCode stable machine-readable code
---@field message string what went wrong
---@field status? integer the HTTP status Partner Center answered
---@field pc_code? integer|string Partner Center's own error code (e.g. 800002)
---@field request_id? string the MS-RequestId of the failed call
---@field correlation_id? string the MS-CorrelationId of the failed call
---@field method? string HTTP method of the failed call
---@field path? string request path of the failed call
---@field where? string your script's file:line that made the call
---@field hint? string how to fix it
---@field retry_after? number seconds Partner Center asked to wait (429)
---@field outcome_unknown? boolean an attempt may have been applied although the call failed (re-run resumes it)
---@field input? boolean the script's input was wrong (e.g. no customer matches a name): uncaught, pcx exits 2
---@field candidates? string[] what could have been meant (pc.customers.find), "Name (domain, id)"

---The run's options.
---@class pc.Options
---@field json boolean the run asked for --json (or -o json) output
---@field output "table"|"json"|"csv"|"tsv" the run's -o (default "table"; `require("output").format()` reads it)
---@field dry_run boolean --dry-run: every change (carts, registration, checkout) is journaled instead of sent
---@field quote boolean --quote: a dry run may create carts (price quotes) to show prices
---@field allow_purchase boolean --allow-purchase: check out without asking

---Options of list calls that page by size.
---@class pc.PageOptions
---@field size? integer items per request

---Catalog options.
---@class pc.CatalogOptions
---@field country string the market, ISO 3166 alpha-2 ("US")
---@field target_segment? string e.g. "commercial"
---@field reservation_scope? string "AzurePlan" for Azure plan subscriptions

---Options of the line-item calls.
---@class pc.LineItemOptions
---@field provider? "onetime"|"azure"|"office" default "onetime"
---@field invoice_line_item_type? "billinglineitems"|"usagelineitems" default "billinglineitems"
---@field size? integer page size, at most 2000
---@field currency_code? string the invoice's own currency (a billed invoice has one; another currency is an error, not an empty list)
---@field period? "current"|"previous" billed consumption only (`provider = "onetime", invoice_line_item_type = "usagelineitems"`, where it is required with `currency_code`); refused for billing line items

-- Errors ------------------------------------------------------------------

---Error helpers.
---@class pc.errors
---@field codes pc.ErrorCode[] every code, in a stable order
pc.errors = {}

---Creates a `pc.Error` (to raise with `error(e, 0)`); `where` defaults to the caller's file:line.
---
--- example:
---```lua
---local err = pc.errors.new { code = "not_found", message = "no SKU Standard_X1 in westeurope",
---  hint = "list the SKUs with pc.skus.list(product_id, {country = \"US\"})" }
---print(err.code, err.message)   -- raise it with error(err, 0)
---```
---@param fields {code: pc.ErrorCode, message?: string, hint?: string, where?: string} the error's fields (any others are kept)
---@return pc.Error
function pc.errors.new(fields) end

---Whether `err` is a `pc.Error`, optionally of the given code.
---
--- example:
---```lua
---local ok, err = pcall(pc.customers.get, "no-such-customer")
---if not ok and pc.errors.is(err, "not_found") then print("unknown customer") end
---```
---@param err any a value caught by pcall
---@param code? pc.ErrorCode the code to test for
---@return boolean
function pc.errors.is(err, code) end

---What to do about a Partner Center error code (an ApiFault code or a cart line's errorCode),
---from pcx's one hint table; nil when none is known.
---
--- example:
---```lua
---print(pc.errors.hint(10011))   --> register the Azure subscription for reservation purchases ...
---```
---@param code integer|string
---@return string? hint
function pc.errors.hint(code) end

---An error as pcx prints it: `pcx: code: message`, the request it concerns, the hint.
---
--- example:
---```lua
---local ok, err = pcall(pc.customers.get, "nope")
---if not ok then io.stderr:write(pc.errors.format(err), "\n") end
---```
---@param err pc.Error
---@return string text
function pc.errors.format(err) end

-- Customers ------------------------------------------------------------------

pc.customers = {}

---The partner's customers (seek paging, all pages).
---
--- example:
---```lua
---for _, c in ipairs(pc.customers.list()) do print(c.id, c.companyProfile.companyName) end
---```
---@param opts? pc.PageOptions
---@return table[] customers
function pc.customers.list(opts) end

---A lazy iterator over the partner's customers, page by page.
---
--- example:
---```lua
---for c in pc.customers.each { size = 100 } do print(c.id) end
---```
---@param opts? pc.PageOptions
---@return fun(): table? iterator
function pc.customers.each(opts) end

---One customer, with company and billing profile.
---
--- example:
---```lua
---local c = pc.customers.get(customer_id)
---print(c.companyProfile.companyName, c.billingProfile.defaultAddress.country)
---```
---@param customer_id string the customer tenant id
---@return table customer
function pc.customers.get(customer_id) end

---Finds one customer by what people type: a tenant id, a domain (`contoso.onmicrosoft.com`) or a
---company name. An exact tenant id or domain wins, then the company name exactly (ignoring case),
---then a unique part of a company name or domain. No match, or several, raises `invalid_argument`
---with `input = true` and the `candidates` (uncaught: exit 2). Every playbook's `--customer` takes
---the same forms.
---
--- example:
---```lua
---local c = pc.customers.find("fabrikam")
---print(c.id, c.companyProfile.companyName)
---```
---@param text string a tenant id, a domain or a company name
---@return table customer
function pc.customers.find(text) end

---A customer's company profile (App+User only): tenantId, domain, companyName, address, email.
---
--- example:
---```lua
---print(pc.customers.company_profile(customer_id).address.country)
---```
---@param customer_id string
---@return table profile
function pc.customers.company_profile(customer_id) end

---A customer's billing profile (App+User only): defaultAddress, culture, language, email.
---
--- example:
---```lua
---print(pc.customers.billing_profile(customer_id).defaultAddress.country)
---```
---@param customer_id string
---@return table profile
function pc.customers.billing_profile(customer_id) end

-- Subscriptions ------------------------------------------------------------------

pc.subscriptions = {}

---A customer's subscriptions (every page).
---
--- example:
---```lua
---for _, s in ipairs(pc.subscriptions.list(customer_id)) do print(s.id, s.offerName, s.status) end
---```
---@param customer_id string
---@return table[] subscriptions
function pc.subscriptions.list(customer_id) end

---One subscription of a customer.
---
--- example:
---```lua
---local s = pc.subscriptions.get(customer_id, subscription_id)
---print(s.offerId, s.status)
---```
---@param customer_id string
---@param subscription_id string
---@return table subscription
function pc.subscriptions.get(customer_id, subscription_id) end

---Registers a subscription for reservation purchases (202 + Location). In a dry run the
---registration is recorded in the journal instead of being sent.
---
--- example:
---```lua
---pc.subscriptions.register(customer_id, subscription_id)
---pc.subscriptions.wait_registered(customer_id, subscription_id, { timeout = 300 })
---```
---@param customer_id string
---@param subscription_id string
---@return table result the registration answer (status, location)
function pc.subscriptions.register(customer_id, subscription_id) end

---The registration status of a subscription (`subscriptionId`, `status`: Registered, Registering, NotRegistered).
---
--- example:
---```lua
---local st = pc.subscriptions.registration_status(customer_id, subscription_id)
---if st.status:lower() ~= "registered" then pc.subscriptions.register(customer_id, subscription_id) end
---```
---@param customer_id string
---@param subscription_id string
---@return table status
function pc.subscriptions.registration_status(customer_id, subscription_id) end

---Polls the registration status with backoff until Registered, or raises `timeout`.
---
--- example:
---```lua
---local st = pc.subscriptions.wait_registered(customer_id, subscription_id, { timeout = 120 })
---print(st.status)   --> Registered
---```
---@param customer_id string
---@param subscription_id string
---@param opts? {timeout?: number} seconds to wait, default 600
---@return table status
function pc.subscriptions.wait_registered(customer_id, subscription_id, opts) end

---The Azure subscriptions under an Azure plan (`id` = the Azure subscription id, `friendlyName`,
---`status` active/inactive, `subscriptionId` = the plan). `subscription_id` is the Azure plan's
---Partner Center subscription id; any other subscription raises `invalid_argument` (HTTP 400,
---Partner Center code 800002).
---App-only or App+User.
---
--- example:
---```lua
---for _, e in ipairs(pc.subscriptions.azure_entitlements(customer_id, plan_id)) do
---  if e.status == "active" then print(e.id, e.friendlyName) end
---end
---```
---@param customer_id string
---@param subscription_id string the Azure plan's subscription id
---@return table[] entitlements
function pc.subscriptions.azure_entitlements(customer_id, subscription_id) end

-- Catalog ------------------------------------------------------------------

pc.offers = {}

---The legacy offers of a market (`GET /v1/offers?country=`): the Microsoft Azure offer
---`MS-AZR-0145P` is one (`id`, `name`, `billing` "usage", `minimumQuantity`, `maximumQuantity`,
---`isAvailableForPurchase`). Buy it with `pc.orders.create`.
---
--- example:
---```lua
---for _, o in ipairs(pc.offers.list("US")) do print(o.id, o.name, o.billing) end
---```
---@param country string ISO 3166-1 alpha-2
---@return table[] offers
function pc.offers.list(country) end

---One legacy offer of a market (a subscription's `links.offer` names it).
---
--- example:
---```lua
---local o = pc.offers.get("MS-AZR-0145P", { country = "US" })
---print(o.name, o.unitType)
---```
---@param offer_id string
---@param opts {country: string}
---@return table offer
function pc.offers.get(offer_id, opts) end

pc.products = {}

---Products for a market and target view (every page).
---
--- example:
---```lua
---for _, p in ipairs(pc.products.list { country = "US", target_view = "AzureReservationsVM" }) do
---  print(p.id, p.title)
---end
---```
---@param opts {country: string, target_view: string, target_segment?: string, reservation_scope?: string}
---@return table[] products
function pc.products.list(opts) end

---One product in a market.
---
--- example:
---```lua
---local p = pc.products.get(product_id, { country = "US" })
---print(p.title, p.productType.id)
---```
---@param product_id string
---@param opts {country: string, reservation_scope?: string}
---@return table product
function pc.products.get(product_id, opts) end

pc.skus = {}

---A product's SKUs in a market (every page); ARM details are in `dynamicAttributes`.
---
--- example:
---```lua
---for _, s in ipairs(pc.skus.list(product_id, { country = "US" })) do
---  print(s.id, s.dynamicAttributes.armSkuName, s.dynamicAttributes.duration)
---end
---```
---@param product_id string
---@param opts pc.CatalogOptions
---@return table[] skus
function pc.skus.list(product_id, opts) end

---One SKU of a product in a market.
---
--- example:
---```lua
---local s = pc.skus.get(product_id, sku_id, { country = "US" })
---print(s.title, s.dynamicAttributes.armRegionName)
---```
---@param product_id string
---@param sku_id string
---@param opts {country: string, reservation_scope?: string}
---@return table sku
function pc.skus.get(product_id, sku_id, opts) end

pc.inventory = {}

---Checks inventory for catalog items in a customer's subscription and region; returns the bare
---array of InventoryItem (`isRestricted`, `restrictions`).
---
--- example:
---```lua
---local items = pc.inventory.check("US", {
---  targetItems = { { productId = product_id, skuId = sku_id } },
---  inventoryContext = { customerId = customer_id, azureSubscriptionId = subscription_id, armRegionName = "eastus" },
---})
---print(items[1].isRestricted)
---```
---@param country string ISO alpha-2 market ("US")
---@param request table the inventory request (targetItems, inventoryContext)
---@return table[] items
function pc.inventory.check(country, request) end

pc.availabilities = {}

---A SKU's availabilities in a market (every page); each has the `catalogItemId` to buy.
---
--- example:
---```lua
---local avs = pc.availabilities.list(product_id, sku_id, { country = "US" })
---print(avs[1].catalogItemId)
---```
---@param product_id string
---@param sku_id string
---@param opts pc.CatalogOptions
---@return table[] availabilities
function pc.availabilities.list(product_id, sku_id, opts) end

---One availability of a SKU in a market.
---
--- example:
---```lua
---local av = pc.availabilities.get(product_id, sku_id, availability_id, { country = "US" })
---print(av.catalogItemId, av.terms[1].duration)
---```
---@param product_id string
---@param sku_id string
---@param availability_id string
---@param opts {country: string}
---@return table availability
function pc.availabilities.get(product_id, sku_id, availability_id, opts) end

-- Customer-scoped catalog (the customer's market, no country) -------------------------------

pc.customer_products = {}

---Products in the customer's market for a target view (every page).
---
--- example:
---```lua
---for _, p in ipairs(pc.customer_products.list(customer_id, { target_view = "AzureReservationsVM" })) do print(p.id) end
---```
---@param customer_id string
---@param opts {target_view: string, target_segment?: string, reservation_scope?: string}
---@return table[] products
function pc.customer_products.list(customer_id, opts) end

---One product in the customer's market.
---
--- example:
---```lua
---print(pc.customer_products.get(customer_id, product_id).title)
---```
---@param customer_id string
---@param product_id string
---@param opts? {reservation_scope?: string}
---@return table product
function pc.customer_products.get(customer_id, product_id, opts) end

pc.customer_skus = {}

---A product's SKUs in the customer's market (every page).
---
--- example:
---```lua
---for _, s in ipairs(pc.customer_skus.list(customer_id, product_id)) do print(s.id, s.title) end
---```
---@param customer_id string
---@param product_id string
---@param opts? {target_segment?: string, reservation_scope?: string}
---@return table[] skus
function pc.customer_skus.list(customer_id, product_id, opts) end

---One SKU in the customer's market.
---
--- example:
---```lua
---print(pc.customer_skus.get(customer_id, product_id, sku_id).dynamicAttributes.armSkuName)
---```
---@param customer_id string
---@param product_id string
---@param sku_id string
---@param opts? {reservation_scope?: string}
---@return table sku
function pc.customer_skus.get(customer_id, product_id, sku_id, opts) end

pc.customer_availabilities = {}

---A SKU's availabilities in the customer's market (every page).
---
--- example:
---```lua
---local av = pc.customer_availabilities.list(customer_id, product_id, sku_id)[1]
---print(av.catalogItemId)
---```
---@param customer_id string
---@param product_id string
---@param sku_id string
---@param opts? {target_segment?: string, reservation_scope?: string}
---@return table[] availabilities
function pc.customer_availabilities.list(customer_id, product_id, sku_id, opts) end

---One availability in the customer's market.
---
--- example:
---```lua
---print(pc.customer_availabilities.get(customer_id, product_id, sku_id, availability_id).catalogItemId)
---```
---@param customer_id string
---@param product_id string
---@param sku_id string
---@param availability_id string
---@return table availability
function pc.customer_availabilities.get(customer_id, product_id, sku_id, availability_id) end

-- Carts and purchases ------------------------------------------------------------------

pc.carts = {}

---Creates a cart (Partner Center's price quote; spends nothing). A change: it passes the gate
---(the market rule; --allow-purchase or an interactive terminal; journaled). In a dry run it is
---recorded, not sent (the result is `{dry_run = true, recorded = true, journal_id = ...}`),
---unless --quote lets the dry run create it.
---
--- example:
---```lua
---local cart = pc.carts.create(customer_id, { lineItems = { {
---  id = 0, catalogItemId = catalog_item_id, quantity = 1, billingCycle = "one_time", termDuration = "P1Y",
---  provisioningContext = { subscriptionId = subscription_id, scope = "shared", duration = "1Year" },
---} } })
---print(cart.id, cart.lineItems[1].catalogItemId)
---```
---@param customer_id string
---@param cart {lineItems: table[]} the cart (REST names); lineItems must not be empty
---@return table cart the created cart, with its id and prices
function pc.carts.create(customer_id, cart) end

---One cart of a customer.
---
--- example:
---```lua
---local cart = pc.carts.get(customer_id, cart_id)
---print(cart.status, #cart.lineItems)
---```
---@param customer_id string
---@param cart_id string
---@return table cart
function pc.carts.get(customer_id, cart_id) end

---Replaces a cart's content (e.g. a new quantity). A change, like `pc.carts.create`; refused
---while this run checks the same cart out.
---
--- example:
---```lua
---cart.lineItems[1].quantity = 3
---cart = pc.carts.update(customer_id, cart.id, cart)
---```
---@param customer_id string
---@param cart_id string
---@param cart table the whole cart (REST names)
---@return table cart
function pc.carts.update(customer_id, cart_id, cart) end

---Checks out a cart through the purchase gate and the journal (see `pc.purchase`).
---
--- example:
---```lua
---local result = pc.carts.checkout(customer_id, cart.id, { idempotency_key = "order-2026-11-ri-1" })
---print(result.orders and result.orders[1].id)
---```
---@param customer_id string
---@param cart_id string
---@param opts? {idempotency_key?: string, plan?: table} plan is shown to the user and journaled
---@return table result the checkout result (orders, orderErrors)
function pc.carts.checkout(customer_id, cart_id, opts) end

---Buys a cart: the purchase gate (--allow-purchase or a "yes" for this purchase at the terminal),
---the spend and quantity caps on the cart Partner Center holds, then an idempotent, journaled
---checkout. In a dry run nothing is sent. A purchase already made (same idempotency key, within
---the replay window or a pinned key) is returned with `replayed = true` and `original_date`,
---and nothing is bought.
---
--- example:
---```lua
---local line = { id = 0, catalogItemId = catalog_item_id, quantity = 1, billingCycle = "one_time", termDuration = "P1Y",
---  provisioningContext = { subscriptionId = subscription_id, scope = "shared", duration = "1Year" } }
---local cart = pc.carts.create(customer_id, { lineItems = { line } })
---local result = pc.purchase { customer = customer_id, cart = cart, plan = { sku = "Standard_D2s_v3" } }
---print(result.dry_run and "recorded" or result.orders[1].id)
---```
---@param request {customer: string, cart: table, plan?: table, idempotency_key?: string} cart from pc.carts.create
---@return table result the checkout result with journal_id and replayed (in a dry run: {dry_run = true, journal_id = ..., quantity, total, currency, notes})
function pc.purchase(request) end

---Runs the purchase gate for a cart without checking it out: refuses carts whose lines carry a
---Partner Center error (other than "subscription not registered yet"), plans above --max-quantity
---or --max-spend, and, unless --allow-purchase, asks for confirmation at the terminal (the checkout
---of the same purchase later in the run does not ask again). Call it before changing anything for
---a purchase, e.g. registering its subscription. In a dry run only the caps apply.
---Raises `policy_denied` when the purchase is refused.
---
--- example:
---```lua
---local line = { id = 0, catalogItemId = catalog_item_id, quantity = 1, billingCycle = "one_time", termDuration = "P1Y",
---  provisioningContext = { subscriptionId = subscription_id, scope = "shared", duration = "1Year" } }
---local cart = pc.carts.create(customer_id, { lineItems = { line } })
---pc.purchase_check { customer = customer_id, cart = cart, plan = { sku = "Standard_D2s_v3" } }
---pc.subscriptions.register(customer_id, subscription_id)   -- only after the user said yes
---```
---@param request {customer: string, cart: table, plan?: table} cart from pc.carts.create
---@return boolean ok true when the purchase may go ahead
function pc.purchase_check(request) end

-- Orders ------------------------------------------------------------------

pc.orders = {}

---Orders a legacy offer: `MS-AZR-0145P`, a Microsoft Azure subscription billed by usage
---(nothing is charged up front). A change: it needs `--allow-purchase` (or a "yes" at a terminal),
---is journaled, and a dry run records it without sending. The order is `pending`; wait with
---`pc.orders.wait_completed`, after which its line carries the new `subscriptionId`.
---`pcx playbook run ensure-azure-subscription --legacy` does all of this.
---
--- example:
---```lua
---if not require("azure").find(customer_id) then   -- only for a customer with no Azure subscription yet
---  local order = pc.orders.create(customer_id, {
---    referenceCustomerId = customer_id,
---    lineItems = { { lineItemNumber = 0, offerId = "MS-AZR-0145P", friendlyName = "Microsoft Azure", quantity = 1 } },
---  })
---  if not order.dry_run then
---    order = pc.orders.wait_completed(customer_id, order.id)
---    print(order.lineItems[1].subscriptionId)
---  end
---end
---```
---@param customer_id string
---@param order table an Order with lineItems
---@return table order
function pc.orders.create(customer_id, order) end

---One order of a customer.
---
--- example:
---```lua
---local o = pc.orders.get(customer_id, order_id, { include_price = true })
---print(o.status, o.totalPrice, o.currencyCode)
---```
---@param customer_id string
---@param order_id string
---@param opts? {include_price?: boolean}
---@return table order
function pc.orders.get(customer_id, order_id, opts) end

---A customer's orders (every page); `billing_type = "onetime"` lists reserved-instance orders only.
---
--- example:
---```lua
---for _, o in ipairs(pc.orders.list(customer_id, { billing_type = "onetime" })) do print(o.id, o.status) end
---```
---@param customer_id string
---@param opts? {billing_type?: string, include_price?: boolean}
---@return table[] orders
function pc.orders.list(customer_id, opts) end

---A lazy iterator over a customer's orders, page by page.
---
--- example:
---```lua
---for o in pc.orders.each(customer_id, { billing_type = "onetime" }) do print(o.id) end
---```
---@param customer_id string
---@param opts? {billing_type?: string, include_price?: boolean}
---@return fun(): table? iterator
function pc.orders.each(customer_id, opts) end

---An order's provisioning status, one entry per line item.
---
--- example:
---```lua
---for _, st in ipairs(pc.orders.provisioning_status(customer_id, order_id)) do print(st.lineItemNumber, st.status) end
---```
---@param customer_id string
---@param order_id string
---@return table[] statuses
function pc.orders.provisioning_status(customer_id, order_id) end

---Polls an order with backoff until it is completed (or failed/cancelled), or raises `timeout`.
---
--- example:
---```lua
---local o = pc.orders.wait_completed(customer_id, order_id, { timeout = 900 })
---print(o.status)   --> completed
---```
---@param customer_id string
---@param order_id string
---@param opts? {timeout?: number} seconds, default 600
---@return table order
function pc.orders.wait_completed(customer_id, order_id, opts) end

-- Entitlements ------------------------------------------------------------------

pc.entitlements = {}

---A customer's entitlements (every page).
---
--- example:
---```lua
---for _, e in ipairs(pc.entitlements.list(customer_id, { entitlement_type = "reservedInstance" })) do
---  print(e.referenceOrder.id, e.entitledArtifacts[1].resourceId)
---end
---```
---@param customer_id string
---@param opts? {entitlement_type?: "reservedInstance"|"software", show_expiry?: boolean}
---@return table[] entitlements
function pc.entitlements.list(customer_id, opts) end

---Reservation details behind a reservedinstance artifact: pass the artifact's `link` (or its uri).
---
--- example:
---```lua
---local entitlement = pc.entitlements.list(customer_id, { entitlement_type = "reservedInstance" })[1]
---local art = entitlement.entitledArtifacts[1]
---local details = pc.entitlements.reservation_details(art.link)
---local r = details.reservations[1]   -- older answers carry details.virtualMachineReservations instead
---print(r.reservationId, r.quantity, r.expiryDateTime)
---```
---@param link table|string the artifact's link table ({uri = "/customers/.../artifacts/reservedinstance/..."}) or uri
---@return table details
function pc.entitlements.reservation_details(link) end

-- Invoices ------------------------------------------------------------------

pc.invoices = {}

---The account balance (/invoices/summary).
---
--- example:
---```lua
---local b = pc.invoices.balance()
---print(b.balanceAmount, b.currencyCode)
---```
---@return table summary
function pc.invoices.balance() end

---Invoice summaries, one per currency.
---
--- example:
---```lua
---for _, s in ipairs(pc.invoices.summaries()) do print(s.currencyCode, s.balanceAmount) end
---```
---@return table[] summaries
function pc.invoices.summaries() end

---The partner's invoices (every page).
---
--- example:
---```lua
---for _, inv in ipairs(pc.invoices.list()) do print(inv.id, inv.totalCharges, inv.currencyCode) end
---```
---@param opts? pc.PageOptions
---@return table[] invoices
function pc.invoices.list(opts) end

---A lazy iterator over the partner's invoices, page by page.
---
--- example:
---```lua
---for inv in pc.invoices.each { size = 50 } do print(inv.id) end
---```
---@param opts? pc.PageOptions
---@return fun(): table? iterator
function pc.invoices.each(opts) end

---One invoice, with its `invoiceDetails` per billing provider.
---
--- example:
---```lua
---local inv = pc.invoices.get(invoice_id)   -- e.g. "G000024135"
---print(inv.totalCharges, inv.currencyCode)
---```
---@param invoice_id string
---@return table invoice
function pc.invoices.get(invoice_id) end

---Streams an invoice's line items page by page (the next page is fetched while this one is consumed).
---
--- example:
---```lua
---local money = require "money"
---local currency = pc.invoices.get(invoice_id).currencyCode
---local total = money.zero(currency)
---for item in pc.invoices.each_line_item(invoice_id, { size = 2000 }) do
---  total = total + money.new(item.totalForCustomer, currency)
---end
---print(total)
---```
---@param invoice_id string
---@param opts? pc.LineItemOptions
---@return fun(): table? iterator
function pc.invoices.each_line_item(invoice_id, opts) end

---All of an invoice's line items in one table (prefer `each_line_item` for large invoices).
---
--- example:
---```lua
---local items = pc.invoices.line_items(invoice_id, { provider = "onetime" })
---print(#items)
---```
---@param invoice_id string
---@param opts? pc.LineItemOptions
---@return table[] items
function pc.invoices.line_items(invoice_id, opts) end

---Downloads the invoice statement PDF to `path` (which must be under an --allow-write directory).
---Written to a temporary file and renamed. Returns the number of bytes.
---
--- example:
---```lua
----- pcx run --allow-write out statements.lua
---local bytes = pc.invoices.statement(invoice_id, "out/" .. invoice_id .. ".pdf")
---print(bytes)
---```
---@param invoice_id string
---@param path string
---@return integer bytes
function pc.invoices.statement(invoice_id, path) end

---Unbilled one-time (or usage) line items of the current or previous period, in one table.
---
--- example:
---```lua
---local items = pc.invoices.unbilled_line_items { currency_code = "USD", period = "current" }
---print(#items)
---```
---@param opts {currency_code: string, period?: "current"|"previous", provider?: string, invoice_line_item_type?: "billinglineitems"|"usagelineitems", size?: integer}
---@return table[] items
function pc.invoices.unbilled_line_items(opts) end

---Streams the unbilled line items page by page.
---
--- example:
---```lua
---for item in pc.invoices.each_unbilled_line_item { currency_code = "USD" } do print(item.orderId) end
---```
---@param opts {currency_code: string, period?: "current"|"previous", provider?: string, invoice_line_item_type?: "billinglineitems"|"usagelineitems", size?: integer}
---@return fun(): table? iterator
function pc.invoices.each_unbilled_line_item(opts) end

---Where unbilled charges can be read, per currency (estimate links).
---
--- example:
---```lua
---for _, l in ipairs(pc.invoices.estimate_links("USD")) do print(l.title, l.link.uri) end
---```
---@param currency_code string
---@return table[] links
function pc.invoices.estimate_links(currency_code) end

-- Reservations -------------------------------------------------------------

pc.reservations = {}

---A reservation by its reservation order id (the artifact's `resourceId`) or its reservation id,
---found through the customers' reserved-instance entitlements and the details behind them (no
---artifact link needed). `opts.customer` (a tenant id, domain or company name) narrows the search
---to one customer. Raises `not_found` when no customer holds it.
---
--- example:
---```lua
---local r = pc.reservations.get(reservation_order_id)
---print(r.customer, r.reservation.scopeType, r.reservation.expiryDateTime)
---```
---@param id string a reservation order id or a reservation id
---@param opts? {customer?: string}
---@return {customer: string, reservation_order: string, order?: string, entitlement: table, reservation: table, reservations: table[]}
function pc.reservations.get(id, opts) end

---The reservation types pcx knows, VM first: `type` (pcx's name: vm, sql, cosmosdb, appservice,
---storage, redis), `targetView` (the product list's view), `subType` (the products'
---`productType.subType.id`), `reservationType` (the entitlement artifact's), `displayName` and
---`exampleSku` (an ARM SKU name). `pcx playbook run purchase-reservation --list-types` prints them.
---
--- example:
---```lua
---for _, t in ipairs(pc.reservations.types()) do print(t.type, t.targetView, t.exampleSku) end
---```
---@return {type: string, targetView: string, subType: string, reservationType: string, displayName: string, exampleSku: string}[]
function pc.reservations.types() end

-- Policy ------------------------------------------------------------------

pc.policy = {}

---Raises `policy_denied` if Reserved VM Instances are not sold in `country` (ISO alpha-2).
---
--- example:
---```lua
---local ok, err = pcall(pc.policy.check_market, customer_id, "BR")
---if not ok and pc.errors.is(err, "policy_denied") then print(err.message) end
---```
---@param customer_id string the customer the purchase is for (named in the error)
---@param country string ISO alpha-2
function pc.policy.check_market(customer_id, country) end

---The markets where pcx refuses reserved-instance purchases (ISO alpha-2 codes).
---
--- example:
---```lua
---print(table.concat(pc.policy.excluded_markets(), ","))   --> BR,CN,HK,IN,KR,RU,TW
---```
---@return string[] markets
function pc.policy.excluded_markets() end

-- Concurrency ------------------------------------------------------------------

---Runs the functions concurrently (their pc calls overlap); returns their results in order.
---
--- example:
---```lua
---local customer, subs = pc.parallel(
---  function() return pc.customers.get(customer_id) end,
---  function() return pc.subscriptions.list(customer_id) end)
---```
---@param ... fun(): any
---@return any ...
function pc.parallel(...) end

---Calls fn(item, index) for every item with at most `opts.concurrency` at once (default 4);
---returns the results in the list's order. The first error is raised after the others finish.
---
--- example:
---```lua
---local ids = {}
---for i, c in ipairs(pc.customers.list()) do if i <= 3 then ids[i] = c.id end end
---local ents = pc.map(ids, function(id) return pc.entitlements.list(id) end, { concurrency = 16 })
---print(#ents)   --> 3
---```
---@generic T, R
---@param list T[]
---@param fn fun(item: T, index: integer): R
---@param opts? {concurrency?: integer}
---@return R[]
function pc.map(list, fn, opts) end


-- Reconciliation v2 through Microsoft Graph ---------------------------------------------------------

---An invoice reconciliation line (new commerce), billed or unbilled (addendum §3.8, §3.10). Keys are
---the declared camelCase names whatever spelling the blob used (PascalCase, documented aliases).
---Money and quantities are numbers: wrap them with `money.new(x, line.currency)` to stay exact.
---Columns marked [basic] are the ones `attributes = "basic"` keeps.
---@class pc.ReconciliationLine
---@field partnerId? string The partner's Entra tenant id [basic]
---@field customerId? string The customer's tenant id (an `org:` prefix is stripped before joins) [basic]
---@field customerName? string The customer's company name [basic]
---@field customerDomainName? string The customer's domain
---@field customerCountry? string The customer's country (ISO 3166-1 alpha-2)
---@field invoiceNumber? string The invoice (empty on unbilled lines) [basic]
---@field mpnId? string The partner's MPN id
---@field resellerMpnId? string The reseller on record (also read from Tier2MpnId, ResellerMPNID)
---@field orderId? string The Partner Center order id [basic]
---@field orderDate? string UTC date of the billing event
---@field productId? string The catalog product id [basic]
---@field skuId? string The catalog SKU id [basic]
---@field availabilityId? string The catalog availability id [basic]
---@field skuName? string SKU name
---@field productName? string Product name
---@field chargeType? string new, cycleCharge, renew, cancelImmediate, … [basic]
---@field unitPrice? number Price-list unit price [basic]
---@field quantity? number Units bought (reconcile with billableQuantity) [basic]
---@field subtotal? number Pre-tax amount [basic]
---@field taxTotal? number Tax [basic]
---@field totalForCustomer? number Subtotal plus tax (also read from Total) [basic]
---@field currency? string Billing currency [basic]
---@field priceAdjustmentDescription? string|table Price adjustments (a JSON string array)
---@field publisherName? string Publisher
---@field publisherId? string Publisher id
---@field subscriptionDescription? string Service offering name
---@field subscriptionId? string Billing-platform subscription id [basic]
---@field chargeStartDate? string Start of the charge
---@field chargeEndDate? string End of the charge
---@field termAndBillingCycle? string Term and billing cycle wording
---@field effectiveUnitPrice? number Prorated, discounted unit price
---@field unitType? string Unit type
---@field alternateId? string The order's alternate id (12 hex) [basic]
---@field billableQuantity? number Quantity billed [basic]
---@field billingFrequency? string Monthly, Annual; blank for one-time and unbilled [basic]
---@field pricingCurrency? string Pricing currency
---@field pcToBCExchangeRate? number Pricing-to-billing currency rate
---@field pcToBCExchangeRateDate? string Date of that rate
---@field meterDescription? string Meter description
---@field reservationOrderId? string Azure reservation or savings plan order id, maybe prefixed with the purchase channel (RIOderId, PCTest) [basic]
---@field creditReasonCode? string Azure credit reason
---@field subscriptionStartDate? string Start of the term
---@field subscriptionEndDate? string End of the term
---@field referenceId? string Concurrent transactions identifier
---@field productQualifiers? string|table Purchase-type identifiers (a JSON array)
---@field promotionId? string Promotion id
---@field productCategory? string UNCONFIRMED: seen only in a third-party list of current CSV columns

---A daily-rated usage line, billed or unbilled (addendum §3.9). Reservation-covered usage has
---zero cost and carries the reservation in `additionalInfo` (a JSON string: decode it with
---`json.decode`); `reservations.usage_reservation(line)` extracts it. Columns marked [basic] are
---the Graph 2024 basic set; rates are 0–1 (percent aliases are converted).
---@class pc.UsageLine
---@field partnerId? string The CSP partner id [basic]
---@field partnerName? string The partner's name [basic]
---@field customerId? string The customer's tenant id [basic]
---@field customerName? string The customer's company name [basic]
---@field customerDomainName? string The customer's domain
---@field customerCountry? string The customer's country
---@field mpnId? string The partner's MPN id
---@field resellerMpnId? string The reseller on record (blank in unbilled usage) (also read from Tier2MpnId)
---@field invoiceNumber? string The invoice (empty for unbilled usage) [basic]
---@field productId? string The catalog product id [basic]
---@field skuId? string The catalog SKU id [basic]
---@field availabilityId? string The catalog availability id
---@field skuName? string SKU name [basic]
---@field productName? string Product name
---@field publisherName? string Publisher [basic]
---@field publisherId? string Publisher id
---@field subscriptionDescription? string Service offering name
---@field subscriptionId? string Billing-platform subscription id (the PAYG bridge only) [basic]
---@field chargeStartDate? string Start of the charge period [basic]
---@field chargeEndDate? string End of the charge period [basic]
---@field usageDate? string The day the usage happened [basic]
---@field meterType? string Meter type
---@field meterCategory? string Meter category
---@field meterId? string Meter id
---@field meterSubCategory? string Meter subcategory
---@field meterName? string Meter name
---@field meterRegion? string Meter region
---@field unitOfMeasure? string Unit of the resource (also read from Unit)
---@field resourceLocation? string Azure region of the resource
---@field consumedService? string Consumed service
---@field resourceGroup? string Resource group
---@field resourceUri? string The resource's URI (also read from ResourceURI) [basic]
---@field chargeType? string Charge type [basic]
---@field unitPrice? number Unit price [basic]
---@field quantity? number Quantity used (reservation-covered usage: quantity with zero cost) [basic]
---@field unitType? string Unit type [basic]
---@field billingPreTaxTotal? number Pre-tax charge in the billing currency, after partner earned credit [basic]
---@field billingCurrency? string Billing currency [basic]
---@field pricingPreTaxTotal? number Pre-tax charge in the pricing currency [basic]
---@field pricingCurrency? string Pricing currency [basic]
---@field serviceInfo1? string Service information 1
---@field serviceInfo2? string Service information 2
---@field tags? string Resource tags
---@field additionalInfo? string|table JSON (often JSON-encoded in a string); carries ReservationOrderId/ReservationId for reservation-covered usage [basic]
---@field effectiveUnitPrice? number Effective unit price [basic]
---@field pcToBCExchangeRate? number Pricing-to-billing currency rate [basic]
---@field pcToBCExchangeRateDate? string Date of that rate
---@field entitlementId? string The Azure subscription id [basic]
---@field entitlementDescription? string The Azure subscription's name
---@field rateOfPartnerEarnedCredit? number Partner earned credit, 0–1 (0 or 0.15) (also read from PartnerEarnedCreditPercentage)
---@field rateOfCredit? number Azure credit rate, 0–1 (also read from CreditPercentage) [basic]
---@field creditType? string Credit Not Applied, Azure Credit Applied, … [basic]
---@field benefitOrderId? string Savings plan order id (blank for other products) (also read from BenefitOrderID) [basic]
---@field benefitId? string Savings plan id (also read from BenefitID)
---@field benefitType? string SavingsPlan, Charge, … [basic]

---An export being read: call it for the next line (nil at the end), or loop over it.
---@class pc.Export
---@overload fun(): table?
local Export = {}

---What was opened: `export` (its name), `manifest_id`, `etag` (the data's version), `blobs` (files
---in the manifest), `resumed` (an earlier run's export was picked up: no new export was started),
---`skipped_blobs` (consumed earlier, skipped with `resume`), `lines` (handed out so far), `created`.
---@return {export: string, manifest_id: string, etag?: string, blobs: integer, resumed: boolean, skipped_blobs: integer, lines: integer, created?: string}
function Export:info() end

---Stops reading; the export's checkpoint stays, so a later run picks the export up.
function Export:close() end

---@class pc.ExportOptions
---@field attributes? "full"|"basic" the attribute set (default "full")
---@field resume? boolean skip the blobs an earlier, interrupted run consumed (only when you kept their lines)
---@field timeout? number seconds to wait for Graph to prepare the export (default 1800)
---@field to? string load the lines into this .csv or .sqlite file instead of returning them (needs --allow-write for its directory); returns a pc.ExportLoad

---What a load (`opts.to`) did. SQLite files keep one table per data set (`reconciliation_lines`,
---`usage_lines`: typed columns, indexes on customer, reservation order, product and date),
---`pcx_exports` (one row per export: eTag, manifest, lines, complete) and `pcx_export_blobs`; an
---interrupted load resumes at the first blob not loaded, and a re-run with the same eTag reads
---nothing (`unchanged`). CSV files are written whole (a temporary file renamed into place).
---@class pc.ExportLoad
---@field target string the file
---@field format "csv"|"sqlite"
---@field export string e.g. "reconciliation.billed"
---@field etag? string the data's version
---@field manifest_id string
---@field blobs integer blobs in the manifest
---@field blobs_read integer blobs read by this run
---@field lines integer lines read by this run
---@field stored_lines integer lines the file holds for this export (all runs: a resumed or unchanged load counts them all)
---@field unchanged boolean the file already held this eTag, complete: nothing was read
---@field resumed boolean an interrupted load was continued
---@field totals table<string, table<string, string>> exact totals (decimal text) by customer id and currency: totalForCustomer, or billingPreTaxTotal for usage
---@field names table<string, string> each customer's name (`customerName`, the first seen), by the same customer id as `totals`

---@class pc.UnbilledExportOptions: pc.ExportOptions
---@field period? "current"|"last" the open period, or the last closed one not yet invoiced (default "current")
---@field currency string the billing currency, e.g. "USD" (one export per currency)

pc.reconciliation = {}
pc.usage = {}

---Billed invoice reconciliation lines of a new-commerce invoice, streamed from Microsoft Graph
---(POST export, poll, manifest, gzip JSON-lines blobs). Needs the Graph permission
---PartnerBilling.Read.All. An interrupted run's export is picked up by the next run (no new
---export); `opts.resume` also skips the blobs it consumed. While Graph prepares the export a
---progress line shows on stderr (when it is a terminal, or PCX_PROGRESS=1).
---
--- example:
---```lua
---local money = require "money"
---local per_customer = {}
---for line in pc.reconciliation.billed(invoice_id) do
---  local t = per_customer[line.customerId] or money.totals()
---  per_customer[line.customerId] = t:add(money.new(line.totalForCustomer, line.currency))
---end
---for customer, t in pairs(per_customer) do
---  for _, c in ipairs(t:currencies()) do print(customer, t:get(c)) end
---end
---```
---@param invoice_id string a new-commerce invoice (G…)
---@param opts? pc.ExportOptions
---@return pc.Export|pc.ExportLoad lines of pc.ReconciliationLine (a pc.ExportLoad with opts.to)
function pc.reconciliation.billed(invoice_id, opts) end

---Unbilled invoice reconciliation lines of the current or last period, in one currency.
---
--- example:
---```lua
---local n = 0
---for line in pc.reconciliation.unbilled { period = "current", currency = "USD" } do n = n + 1 end
---print(n .. " unbilled lines")
---```
---@param opts pc.UnbilledExportOptions
---@return pc.Export lines of pc.ReconciliationLine
function pc.reconciliation.unbilled(opts) end

---Billed daily-rated usage lines of a new-commerce invoice.
---
--- example:
---```lua
---for line in pc.usage.billed(invoice_id, { attributes = "basic" }) do
---  if line.quantity > 0 then print(line.usageDate, line.entitlementId, line.quantity) break end
---end
---```
---@param invoice_id string
---@param opts? pc.ExportOptions
---@return pc.Export lines of pc.UsageLine
function pc.usage.billed(invoice_id, opts) end

---Unbilled daily-rated usage lines of the current or last period, in one currency.
---@param opts pc.UnbilledExportOptions
---@return pc.Export lines of pc.UsageLine
function pc.usage.unbilled(opts) end

---The declared columns of each data set (the same list as the stubs above, the CSV headers and
---the SQLite tables): `{reconciliation = {{name, type, basic}, ...}, usage = {...}}`; type is
---string, decimal, date or json.
---@return {reconciliation: {name: string, type: string, basic: boolean}[], usage: {name: string, type: string, basic: boolean}[]}
function pc.reconciliation.columns() end

return pc
