---@meta azure

-- LuaLS type stubs for stdlib/azure.lua. Editors read these; the REPL's `:help NAME` prints the
-- comment block above each `function`. Nothing here runs.

---A customer's Azure plan or MS-AZR-0145P subscription, and buying the first one (the purchase
---guide's "get a list of offers for a market, create an order for a CSP Azure subscription,
---submit it, make sure it is fulfilled"; for new commerce the Azure plan from the catalog, bought
---with a cart). Buying goes through pcx's gate: `--allow-purchase` (or a "yes" at a terminal), the
---journal, and `--dry-run`, which records the purchase and sends nothing.
---@class azure
---@field LEGACY_OFFER string "MS-AZR-0145P"
---@field AZURE_PLAN_PRODUCT string "DZH318Z0BPS6"
local azure = {}

---What `azure.find` and `azure.ensure` return.
---@class azure.Found
---@field planId? string the Azure plan's subscription id, or the MS-AZR-0145P subscription's (nil in a dry run that would buy)
---@field legacy boolean true for MS-AZR-0145P
---@field subscriptions {id: string, friendlyName?: string, status?: string}[] the Azure subscriptions under the plan (for MS-AZR-0145P: that subscription)
---@field purchased boolean true when `ensure` bought it now
---@field dry_run? boolean a dry run that would buy: nothing was sent
---@field would_buy? string in a dry run: "Azure plan" or "MS-AZR-0145P"
---@field journal_id? integer in a dry run: the journal entry that records the purchase
---@field note? string e.g. why `legacy` was not followed (the customer already has the other kind)

---The customer's active Azure plan (checked first) with its Azure subscriptions, or its active
---MS-AZR-0145P subscription; nil when it has neither. Reads only.
---
--- example:
---```lua
---local found = azure.find(customer_id)
---if found then print(found.legacy and "MS-AZR-0145P" or "Azure plan", found.planId) end
---```
---@param customer string the customer's tenant id
---@return azure.Found?
function azure.find(customer) end

---Finds the customer's Azure plan or MS-AZR-0145P subscription, or buys one: the Azure plan
---(default: product DZH318Z0BPS6 from `targetView=MicrosoftAzure`, a cart, the purchase gate, then
---waiting for the order) or, with `legacy = true`, MS-AZR-0145P (`pc.offers.list`, then
---`pc.orders.create`, then waiting until it is fulfilled). A customer that has either gets
---nothing new, whatever `legacy` says. Refused (`policy_denied`) in the markets where pcx sells no
---reservations.
---
--- example:
---```lua
---local found = azure.ensure(customer_id, { legacy = false })
---print(found.planId, found.purchased, found.subscriptions[1] and found.subscriptions[1].id)
---```
---@param customer string the customer's tenant id
---@param opts? {legacy?: boolean, timeout?: number, idempotency_key?: string}
---@return azure.Found
function azure.ensure(customer, opts) end

---True when a subscription (a Partner Center `Subscription` table) is an Azure plan.
---
--- example:
---```lua
---for _, s in ipairs(pc.subscriptions.list(customer_id)) do print(s.id, azure.is_azure_plan(s)) end
---```
---@param s table
---@return boolean
function azure.is_azure_plan(s) end

---True when a subscription is the legacy Microsoft Azure offer (MS-AZR-0145P).
---
--- example:
---```lua
---for _, s in ipairs(pc.subscriptions.list(customer_id)) do print(s.id, azure.is_legacy(s)) end
---```
---@param s table
---@return boolean
function azure.is_legacy(s) end

return azure
