---@meta reservations

-- LuaLS type stubs for stdlib/reservations.lua (its own functions only; the `pc` module it calls
-- has its own stubs). Editors read these; the REPL's `:help NAME` prints the comment block above
-- each `function`. Nothing here runs.

---The Azure reservation purchase flow, high level, for every type (`reservations.types()`: VMs,
---SQL Database, Cosmos DB, App Service, Blob storage, Azure Cache for Redis), in the order of
---Partner Center's "purchase Azure reservations" guide: find the catalog item for an ARM SKU, plan (market, registration,
---inventory, price), then purchase through the purchase gate (journaled, idempotent) and wait for
---the order and its entitlement. Catalog lookups are cached for the run. Partner Center objects
---are plain tables with the REST names (`catalogItemId`, `lineItems`).
---@class reservations
---@field Plan reservations.Plan the metatable shared by all plans
local reservations = {}

---A term: "1Year", "1Years", "P1Y", "1", 1 (and the same for 3).
---@alias reservations.Term string|integer

---What `reservations.find` found.
---@class reservations.Found
---@field type string the reservation type ("vm", "sql", ...)
---@field product table the catalog product (REST names)
---@field sku table the SKU whose dynamicAttributes match the ARM SKU, region and term
---@field availability table the first purchasable availability for the term
---@field catalog_item_id string the availability's catalogItemId ("product:sku:availability")
---@field term_duration string "P1Y" or "P3Y"
---@field years integer 1 or 3

---Options of `reservations.find`.
---@class reservations.FindOptions
---@field country string the market, ISO 3166 alpha-2 ("US")
---@field type? string the reservation type, default "vm" ("sql", "cosmosdb", "appservice", "storage", "redis": `reservations.types()`)
---@field sku string the ARM SKU name ("Standard_D2s_v3", "SQLDB_GP_Compute_Gen5"); case, spaces, '_' and '-' are ignored when matching
---@field region string the ARM region ("westeurope")
---@field term? reservations.Term default "1Year"; only 1 and 3 years exist
---@field reservation_scope? string "AzurePlan" for Azure plan subscriptions

---Options of `reservations.plan`.
---@class reservations.PlanOptions
---@field customer string the customer tenant id
---@field subscription string an Azure plan id, an Azure subscription id under a plan, or an MS-AZR-0145P subscription id
---@field type? string the reservation type, default "vm" (`reservations.types()`); a wrong one is an input error before any call
---@field sku string the ARM SKU name ("Standard_D2s_v3", "SQLDB_GP_Compute_Gen5")
---@field region string the ARM region ("westeurope")
---@field term? reservations.Term default "1Year"
---@field scope? "Single"|"Shared" default "Single" for an Azure subscription, "Shared" for a plan or MS-AZR-0145P (case-insensitive)
---@field quantity? integer at least 1, default 1
---@field reservation_scope? string "AzurePlan" insists on an Azure plan (refused for MS-AZR-0145P); the subscription's kind decides anyway
---@field quote? boolean default true: price the plan with a cart (only when the subscription is registered)
---@field billing? "one-time"|"monthly" default "one-time"; monthly only under an Azure plan (priced per month; `total` is the whole term, `monthly_total` a month)

---Options of `reservations.purchase`.
---@class reservations.PurchaseOptions
---@field idempotency_key? string reuse to make a re-run the same purchase
---@field wait? boolean default true: wait for the order and its entitlement
---@field timeout? number seconds to wait for the order, default 600

---What `reservations.purchase` returns.
---@class reservations.PurchaseResult
---@field order table the order (completed when waited for)
---@field plan reservations.Plan
---@field journal_id any the purchase journal entry
---@field entitlement? table the reserved-instance entitlement created by the order
---@field reservation? table the reservation details behind the entitlement

---A purchase plan from `reservations.plan`; `tostring(plan)` prints it for a person to check.
---@class reservations.Plan
---@field customer string
---@field customer_name? string companyProfile.companyName
---@field country string the customer's market (ISO alpha-2)
---@field subscription string the Partner Center subscription registered for the purchase: the Azure plan, or the MS-AZR-0145P subscription
---@field kind "plan"|"azure"|"legacy" what the subscription given was
---@field plan_id? string the Azure plan (kinds plan and azure)
---@field azure_subscription? string the Azure subscription a single-scope purchase under a plan applies to
---@field registration? string the subscription's registration status ("Registered", ...)
---@field needs_registration boolean whether purchase() will register the subscription first
---@field product table
---@field sku table
---@field availability table
---@field catalog_item_id string
---@field term_duration string "P1Y" or "P3Y"
---@field duration string "1Year" or "3Year" (the provisioning context's spelling)
---@field scope "Single"|"Shared"
---@field quantity integer
---@field arm_sku string
---@field region string
---@field inventory? {restricted: boolean, restrictions: table[]} present when the SKU needs an inventory check
---@field currency? string
---@field cart? table the pricing cart, after `quote`
---@field unit_price? money.Money after `quote`
---@field total? money.Money after `quote`
---@field list_price? money.Money after `quote`, when Partner Center gives one
local Plan = {}

---The number of years a term text names ("P3Y", "1Year", "1Years", "3", or a number), or nil if
---it names none. Any count is read (`"P2Y"` is 2): the callers accept only 1 and 3.
---
--- example:
---```lua
---print(reservations.term_years("P3Y"), reservations.term_years("1Years"))   --> 3  1
---```
---@param term reservations.Term|any
---@return integer|nil
function reservations.term_years(term) end

---Clears the per-run catalog cache (products and SKUs).
---
--- example:
---```lua
---reservations.clear_cache()   -- after the catalog changed under a long-running script
---```
function reservations.clear_cache() end

---The reservation types pcx knows, VM first (the same list as `pc.reservations.types()`): `type`,
---`targetView`, `subType`, `reservationType`, `displayName`, `exampleSku`.
---
--- example:
---```lua
---for _, t in ipairs(reservations.types()) do print(t.type, t.targetView) end
---```
---@return table[]
function reservations.types() end

---The type named `name` ("vm", "sql", ...; nil means "vm"), or an input error (`invalid_argument`,
---`input = true`) naming the types.
---
--- example:
---```lua
---print(reservations.reservation_type("sql").targetView)   --> AzureReservationsSQL
---```
---@param name? string
---@return table type
function reservations.reservation_type(name) end

---What the purchase playbooks run (`purchase-reservation`, `purchase-reserved-vm`): plans (shown on
---stderr), buys through the gate, waits `p.wait` seconds for the order (0: no wait) and prints the
---outcome (text, or the table with --json). `p` holds the playbook's parameters: customer,
---subscription, type, sku, region, term, scope, quantity, billing, azure_plan, wait.
---
--- example:
---```lua
---local out = reservations.purchase_command { customer = customer_id, subscription = subscription_id, type = "sql",
---  sku = "SQLDB_GP_Compute_Gen5", region = "westeurope", term = "P1Y", quantity = 2, wait = 600 }
---print(out.order and out.order.id)
---```
---@param p table
---@return table outcome {dry_run, plan, journal_id, replayed, original_date, order, reservation, notes}
function reservations.purchase_command(p) end

---The parameter declarations the purchase playbooks share (`customer`, `subscription`, `scope`,
---`quantity`, `billing`, `azure_plan`, `wait`), with `overrides` replacing or adding declarations;
---`false` removes one. A playbook of your own that buys the same way starts from them.
---
--- example:
---```lua
---local params = reservations.purchase_params { sku = { type = "string", required = true }, azure_plan = false }
---print(params.customer.type, params.sku.required, params.azure_plan)   --> customer  true  nil
---```
---@param overrides? table<string, table|false>
---@return table params
function reservations.purchase_params(overrides) end

---Finds the Azure savings plan for compute in a customer's catalog (customer routes with
---`reservationScope=AzurePlan`: only a customer with an Azure plan sees it) for `years` (1 or 3).
---Raises `not_found` with a hint otherwise.
---
--- example:
---```lua
---local f = reservations.find_savings_plan(customer_id, 1)
---print(f.catalog_item_id, f.sku.minimumPurchaseCommitment.amount)
---```
---@param customer string
---@param years integer
---@return {product: table, sku: table, availability: table, catalog_item_id: string, years: integer}
function reservations.find_savings_plan(customer, years) end

---Plans an Azure savings plan for compute: an hourly `commitment` (a decimal string or number, at
---least the SKU's minimum of 0.001, at most 3 decimals) in `currency` (the customer's market
---currency, checked against the catalog) for `term` ("P1Y" default, or "P3Y"), `billing`
---("one-time" default, or "monthly"), `scope` ("shared": the plan; "single": an Azure subscription
---under it; the default follows the subscription given). Azure plan only: an MS-AZR-0145P
---subscription is an input error. The plan prices it with a cart (`quote = false` skips that) and
---`reservations.purchase` buys it through the gate like a reservation; the result then carries
---`subscription`, the benefit subscription the order created.
---
--- example:
---```lua
---local plan = reservations.savings_plan { customer = customer_id, subscription = plan_id, commitment = "12.50",
---  currency = "USD", term = "P1Y", billing = "monthly" }
---print(plan)                       -- the commitment, a month's price and the total over the term
---local result = reservations.purchase(plan)
---print(result.subscription and result.subscription.productOrderId)
---```
---@param opts {customer: string, subscription: string, commitment: string|number, currency: string, term?: string, scope?: string, billing?: string, quote?: boolean}
---@return reservations.Plan
function reservations.savings_plan(opts) end

---Finds the product, SKU and purchasable availability for an ARM SKU name, region and term in a
---market. Raises a pc.Error `not_found` (with a hint) when there is none.
---
--- example:
---```lua
---local f = reservations.find { country = "US", sku = "Standard_D2s_v3", region = "eastus", term = "P3Y" }
---print(f.catalog_item_id, f.term_duration)
---local sql = reservations.find { country = "US", type = "sql", sku = "SQLDB_GP_Compute_Gen5", region = "eastus" }
---```
---@param opts reservations.FindOptions
---@return reservations.Found
function reservations.find(opts) end

---The customer's market (ISO alpha-2): the billing profile's default address, else the company
---profile's address; nil when neither has one.
---
--- example:
---```lua
---local country = reservations.customer_country(pc.customers.get(customer_id))
---```
---@param customer table a customer as Partner Center returns it
---@return string|nil
function reservations.customer_country(customer) end

---What a subscription id given for a purchase is: an Azure plan (`kind = "plan"`), an Azure
---subscription under one of the customer's plans (`"azure"`, found through
---pc.subscriptions.azure_entitlements), or an MS-AZR-0145P subscription (`"legacy"`). Anything else
---raises `invalid_argument` saying what the id is.
---
--- example:
---```lua
---local t = reservations.resolve_subscription(customer_id, subscription_id)
---print(t.kind, t.plan, t.azure_subscription)   --> plan  <plan id>  nil (kind "azure" names the Azure subscription)
---```
---@param customer string the customer tenant id
---@param id string the subscription id given
---@return {kind: "plan"|"azure"|"legacy", subscription: string, plan?: string, azure_subscription?: string, status?: string}
function reservations.resolve_subscription(customer, id) end

---The provisioning context of a plan's cart line: MS-AZR-0145P names its subscription; under an
---Azure plan shared scope names the plan (`subscriptionId`) and single scope the Azure
---subscription (`entitlementId`).
---
--- example:
---```lua
---print(reservations.provisioning_context(plan).scope)
---```
---@param plan reservations.Plan
---@return table context
function reservations.provisioning_context(plan) end

---Whether a Partner Center subscription is an Azure plan (its offer is DZH318Z0BPS6:...).
---
--- example:
---```lua
---for _, s in ipairs(pc.subscriptions.list(customer_id)) do print(s.id, reservations.is_azure_plan(s)) end
---```
---@param subscription table a subscription as Partner Center returns it
---@return boolean
function reservations.is_azure_plan(subscription) end

---Builds the purchase plan: checks the market policy, the subscription's registration, finds the
---catalog item, checks inventory where the SKU requires it, and prices it with a cart (a cart
---spends nothing). Raises `policy_denied`, `not_found`, `conflict` (no inventory) or
---`invalid_argument` as pc.Errors.
---
--- example:
---```lua
---local plan = reservations.plan { customer = customer_id, subscription = subscription_id,
---  sku = "Standard_D2s_v3", region = "westeurope", term = "1Year", quantity = 2 }
---print(plan)          -- customer, subscription, catalog item, term, scope, unit price, total
---```
---@param opts reservations.PlanOptions
---@return reservations.Plan
function reservations.plan(opts) end

---The cart line item for a plan (one_time billing, the term, and the RI provisioning context).
---
--- example:
---```lua
---local cart = pc.carts.create(plan.customer, { lineItems = { reservations.cart_line(plan) } })
---```
---@param plan reservations.Plan
---@return table line a cart line item with REST names
function reservations.cart_line(plan) end

---Creates the cart that prices the plan and fills `plan.cart`, `plan.currency`, `plan.unit_price`,
---`plan.total` and `plan.list_price`. Raises `invalid_argument` (with a hint) when Partner Center
---refuses the cart line. Returns the plan.
---
--- example:
---```lua
---reservations.quote(plan)
---print(plan.total:format())
---```
---@param plan reservations.Plan
---@return reservations.Plan
function reservations.quote(plan) end

---A hint for a Partner Center cart error code (CartErrorCode), or a generic pointer.
---
--- example:
---```lua
---print(reservations.cart_error_hint(10011))   --> register the subscription first: ...
---```
---@param code integer
---@return string
function reservations.cart_error_hint(code) end

---Registers the plan's subscription if needed and waits until it is Registered. Returns the plan.
---
--- example:
---```lua
---reservations.ensure_registered(plan, { timeout = 300 })
---```
---@param plan reservations.Plan
---@param opts? table passed to pc.subscriptions.wait_registered (e.g. timeout)
---@return reservations.Plan
function reservations.ensure_registered(plan, opts) end

---Buys the plan: registration if needed, a price quote, the purchase gate, an idempotent
---checkout, then (unless `wait = false`) waits for the order and its entitlement. Re-running with
---the same idempotency key places no second order.
---
--- example:
---```lua
---local r = reservations.purchase(plan, { idempotency_key = "ri-" .. subscription_id })
---print(r.order.id, r.reservation and r.reservation.reservationId)
---```
---@param plan reservations.Plan from `reservations.plan`
---@param opts? reservations.PurchaseOptions
---@return reservations.PurchaseResult
function reservations.purchase(plan, opts) end

---The reserved-instance entitlement created by an order, or nil.
---
--- example:
---```lua
---local e = reservations.entitlement_for(customer_id, order.id)
---print(e and e.referenceOrder.id)
---```
---@param customer string the customer tenant id
---@param order_id string
---@return table|nil
function reservations.entitlement_for(customer, order_id) end

---The reservation behind an entitlement's "reservedinstance" artifact, and the full details
---response; nil when the entitlement has no such artifact.
---
--- example:
---```lua
---local reservation, details = reservations.reservation_details(customer_id, entitlement)
---print(reservation.reservationId, reservation.scopeType, #details.reservations)
---```
---@param customer string the customer tenant id
---@param entitlement table
---@return table|nil reservation the first reservation
---@return table? details the whole reservation details response
function reservations.reservation_details(customer, entitlement) end

---A plain table describing the plan, with amounts as exact decimal text (for --json output and the journal).
---
--- example:
---```lua
---print(require("json").encode(plan:summary()))
---```
---@return table
function Plan:summary() end


---The first GUID in `text`, lower-cased; nil when there is none.
---
--- example:
---```lua
---print(reservations.guid("RIOderId55EEBD03-C6E7-4593-8BA8-0BB7C0B25E02"))  --> 55eebd03-c6e7-4593-8ba8-0bb7c0b25e02
---```
---@param text string?
---@return string?
function reservations.guid(text) end

---A reconciliation line's `reservationOrderId` split into the reservation order GUID and the
---purchase channel its prefix names (addendum §4.2): "partner_center" (`RIOderId`, also spelled
---`RIOrderId`), "test" (`PCTest`), "azure" (no prefix: Azure Cost Management) or "other:<prefix>".
---
--- example:
---```lua
---local guid, channel = reservations.reservation_order("RIOderId55eebd03-c6e7-4593-8ba8-0bb7c0b25e02")
---print(guid, channel)  --> 55eebd03-c6e7-4593-8ba8-0bb7c0b25e02  partner_center
---```
---@param value string?
---@return string? guid
---@return string? channel
---@return string? prefix
function reservations.reservation_order(value) end

---The reservation a daily-rated usage line is covered by: `{order, reservation?}` from
---`additionalInfo` (a JSON string or table, keys matched case-insensitively), else
---`{order, reservation?, benefit}` from `benefitOrderId` (savings plans), else a GUID found in the
---raw `additionalInfo`. nil for usage no reservation covers.
---
--- example:
---```lua
---local r = reservations.usage_reservation { additionalInfo = '{"ReservationOrderId":"55eebd03-c6e7-4593-8ba8-0bb7c0b25e02"}' }
---print(r.order)  --> 55eebd03-c6e7-4593-8ba8-0bb7c0b25e02
---```
---@param line pc.UsageLine
---@return {order: string, reservation?: string, benefit?: string}?
function reservations.usage_reservation(line) end

return reservations
