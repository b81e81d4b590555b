-- Reconcile an invoice: stream its billing line items, from every provider the invoice lists
-- (onetime, azure, office), to a CSV, total them per customer and currency with exact decimals, and check that the totals equal
-- the invoice's total to the last digit. The CSV is written to a temporary file and renamed.
local pb = require "playbook"
local money = require "money"
local csv = require "csv"
local progress = require "progress"

local COLUMNS = {
  "invoiceNumber", "customerId", "customerName", "customerCountry", "orderId", "orderDate", "productId", "skuId",
  "availabilityId", "skuName", "chargeType", "unitPrice", "effectiveUnitPrice", "quantity", "subtotal", "taxTotal",
  "totalForCustomer", "currency", "chargeStartDate", "chargeEndDate", "termAndBillingCycle", "reservationOrderId",
  "billingProvider",
  -- recurring (azure, office) lines: what they carry instead
  "subscriptionId", "subscriptionName", "offerId", "offerName", "serviceName", "resourceName", "region",
  "consumedQuantity", "postTaxTotal",
}

-- A line as a CSV row keyed by column; recurring lines' names for the same things are mapped in.
local function csv_row(item)
  local row = {}
  for _, c in ipairs(COLUMNS) do row[c] = item[c] end
  row.customerName = row.customerName or item.customerCompanyName
  row.totalForCustomer = row.totalForCustomer or item.postTaxTotal
  return row
end

local function provider_of(detail)
  local p = (detail.billingProvider or ""):lower():gsub("_", "")
  return p
end

return playbook {
  name = "reconcile-invoice",
  summary = "Invoice line items to CSV with per-customer totals checked against the invoice",
  params = {
    invoice = { type = "string", required = true, order = 1, help = "invoice id, e.g. G000024135" },
    out = { type = "string", order = 2, help = "CSV file to write (needs --allow-write for its directory)" },
    provider = { type = "string", choices = { "onetime", "azure", "office" },
                 help = "reconcile only this provider's line items (default: every provider the invoice lists)" },
    page_size = { type = "integer", default = 2000, min = 1, max = 2000, help = "line items per request" },
  },
  run = function(p)
    local invoice = pc.invoices.get(p.invoice)
    local currency = invoice.currencyCode
    local writer = p.out and csv.writer(p.out, { header = COLUMNS }) or nil
    local per_customer, names, order = {}, {}, {}
    local totals = money.totals()
    local count = 0
    local bar = progress.new { label = "line items" }

    -- the providers come from the invoice: a recurring invoice has azure/office lines, not onetime
    local listed, providers, seen = {}, {}, {}
    for _, d in ipairs(invoice.invoiceDetails or {}) do
      local prov, kind = provider_of(d), (d.invoiceLineItemType or ""):lower():gsub("_", "")
      if kind == "billinglineitems" and (prov == "onetime" or prov == "azure" or prov == "office") and not seen[prov] then
        seen[prov] = true
        listed[#listed + 1] = prov
      end
    end
    if #listed == 0 then listed = { "onetime" } end
    if p.provider and not seen[p.provider] and #(invoice.invoiceDetails or {}) > 0 then
      error(pc.errors.new { code = "invalid_argument", input = true,
        message = string.format("invoice %s has no %s line items: it lists %s", p.invoice, p.provider, table.concat(listed, " and ")),
        hint = "leave --provider out to reconcile every provider, or give one of " .. table.concat(listed, ", ") }, 0)
    end
    providers = p.provider and { p.provider } or listed
    -- one provider of several cannot be checked against the invoice's total (it covers them all)
    local partial = #providers < #listed

    local ok, err = pcall(function()
      for _, provider in ipairs(providers) do
        for item in pc.invoices.each_line_item(p.invoice, { provider = provider, invoice_line_item_type = "billinglineitems", size = p.page_size }) do
          local cur = item.currency or currency
          local amount = money.new(item.totalForCustomer or item.postTaxTotal or 0, cur)
          totals:add(amount)
          local key = (item.customerId or "?") .. "|" .. cur
          local t = per_customer[key]
          if t then per_customer[key] = t + amount else
            per_customer[key] = amount
            names[key] = item.customerName or item.customerCompanyName -- Azure lines carry the latter
            order[#order + 1] = key
          end
          if writer then writer:write(csv_row(item)) end
          count = count + 1
          bar:add(1)
        end
      end
    end)
    bar:done()
    if not ok then
      if writer then writer:abort() end
      error(err, 0)
    end
    if writer then writer:close() end

    table.sort(order)
    local customers = {}
    for _, key in ipairs(order) do
      local id, cur = key:match("^(.*)|(%a+)$")
      customers[#customers + 1] = { customer = id, name = names[key], currency = cur, total = per_customer[key]:amount() }
    end
    local invoice_total = money.new(invoice.totalCharges or 0, currency)
    local lines_total = totals:get(currency)
    local matches = lines_total == invoice_total
    local out = {
      invoice = p.invoice, currency = currency, providers = providers, line_items = count, customers = customers,
      lines_total = lines_total:amount(), invoice_total = invoice_total:amount(), csv = p.out,
      matches = not partial and matches or nil, checked = not partial,
    }
    pb.emit(out, function(o)
      print(pb.table(o.customers, { { "Customer", "customer" }, { "Name", "name" }, { "Currency", "currency" }, { "Total", "total" } }))
      local verdict = not o.checked and ("NOT CHECKED: only " .. table.concat(o.providers, ", ") .. " of " .. table.concat(listed, ", ")
        .. " read, and the invoice's total covers them all") or (o.matches and "MATCH" or "MISMATCH")
      print(string.format("%d line items; lines total %s %s; invoice total %s %s; %s", o.line_items, o.lines_total,
        o.currency, o.invoice_total, o.currency, verdict))
      if o.csv then print("wrote " .. o.csv) end
    end)
    if not partial and not matches then
      error(pc.errors.new { code = "conflict", message = string.format(
        "invoice %s: line items total %s %s but the invoice says %s %s", p.invoice, lines_total:amount(), currency,
        invoice_total:amount(), currency),
        hint = "the line items of every provider the invoice lists do not add up to its total; compare the CSV (--out) with the invoice, and report it to Microsoft if it persists" }, 0)
    end
    return out
  end,
}
