-- Every customer's Reserved Instance entitlements with their expiry dates: as a table, --json,
-- or a CSV file.
local pb = require "playbook"
local date = require "date"
local csv = require "csv"

local COLUMNS = { "customer", "company", "order", "product", "sku", "quantity", "reservation_order", "expiry", "days_left" }

return playbook {
  name = "reservations-report",
  summary = "Every customer's RI entitlements with expiry dates (table, --json or CSV)",
  params = {
    customer = { type = "customer", help = "only this customer: tenant id, domain or company name" },
    csv = { type = "string", help = "also write the rows to this CSV file (needs --allow-write)" },
    expiring_within = { type = "integer", min = 0, help = "only reservations expiring within N days" },
    concurrency = { type = "integer", default = 8, min = 1, max = 32, help = "customers queried at once" },
  },
  run = function(p)
    local customers
    if p.customer then customers = { pc.customers.get(p.customer) } else customers = pc.customers.list() end
    local now = date.now()
    local per = pc.map(customers, function(c)
      local ok, list = pcall(pc.entitlements.list, c.id, { entitlement_type = "reservedInstance", show_expiry = true })
      if not ok then
        if pc.errors.is(list, "forbidden") or pc.errors.is(list, "not_found") then return {} end
        error(list, 0)
      end
      local rows = {}
      for _, e in ipairs(list) do
        local expiry = e.expiryDate and date.parse(e.expiryDate)
        local days = expiry and expiry:days_until(now) or nil
        if not p.expiring_within or (days and days <= p.expiring_within) then
          local ro
          for _, a in ipairs(e.entitledArtifacts or {}) do if a.resourceId then ro = a.resourceId end end
          rows[#rows + 1] = {
            customer = c.id, company = c.companyProfile and c.companyProfile.companyName,
            order = e.referenceOrder and e.referenceOrder.id, product = e.productId, sku = e.skuId,
            quantity = e.quantity, reservation_order = ro, expiry = expiry and expiry:day() or nil, days_left = days,
          }
        end
      end
      return rows
    end, { concurrency = p.concurrency })
    local rows = {}
    for _, list in ipairs(per) do for _, r in ipairs(list) do rows[#rows + 1] = r end end
    table.sort(rows, function(a, b)
      if (a.expiry or "") ~= (b.expiry or "") then return (a.expiry or "~") < (b.expiry or "~") end
      return (a.customer or "") < (b.customer or "")
    end)
    if p.csv then
      local w = csv.writer(p.csv, { header = COLUMNS })
      for _, r in ipairs(rows) do w:write(r) end
      w:close()
    end
    local out = { count = #rows, reservations = rows, csv = p.csv }
    pb.emit(out, function(o)
      -- a SKU id ("0001") means something only with its product: show "product:sku" (the catalog id)
      local shown = {}
      for i, r in ipairs(o.reservations) do
        shown[i] = setmetatable({ item = r.product and r.sku and (r.product .. ":" .. r.sku) or r.product or r.sku },
          { __index = r })
      end
      print(pb.table(shown, { { "Customer", "customer" }, { "Company", "company" }, { "Order", "order" },
        { "Product:SKU", "item" }, { "Qty", "quantity" }, { "Expires", "expiry" }, { "Days left", "days_left" } }))
      print(string.format("%d reserved instance entitlement%s", o.count, o.count == 1 and "" or "s"))
      if o.csv then print("wrote " .. o.csv) end
    end)
    return out
  end,
}
