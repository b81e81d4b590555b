-- Reconcile an invoice: stream its lines to a CSV or SQLite file, total them per customer and currency with exact
-- decimals, and check that the totals equal the invoice's total to the last digit.
-- The source is picked from the invoice (addendum §3.1): a new-commerce (one-time) invoice whose billing period starts on
-- or after 2024-02-01 (PCX_RECON_V2_FROM) reconciles through Microsoft Graph (v2 billed invoice reconciliation export);
-- legacy (recurring) invoices and older periods through Partner Center's v1 line items, from every provider the invoice
-- lists (onetime, azure, office). Files are written to a temporary file and renamed; an SQLite load resumes where an
-- interrupted one stopped and is skipped when the data did not change (same eTag).
local output = require "output"
local money = require "money"
local csv = require "csv"
local progress = require "progress"
local date = require "date"

-- The first billing period that reconciles only through Graph (addendum §3.1, the 2025 note).
local V2_FROM = os.getenv("PCX_RECON_V2_FROM") or "2024-02-01"

local COLUMNS = {
  "invoiceNumber", "customerId", "customerName", "customerCountry", "orderId", "orderDate", "productId", "skuId",
  "availabilityId", "skuName", "chargeType", "unitPrice", "effectiveUnitPrice", "quantity", "subtotal", "taxTotal",
  "totalForCustomer", "currency", "chargeStartDate", "chargeEndDate", "termAndBillingCycle", "reservationOrderId",
  "billingProvider",
  -- recurring (azure, office) lines: what they carry instead
  "subscriptionId", "subscriptionName", "offerId", "offerName", "serviceName", "resourceName", "region",
  "consumedQuantity", "postTaxTotal",
}

local NCOLUMNS = #COLUMNS

-- The per-customer totals (-o csv|tsv prints these rows); a table shows each total exactly, with its currency.
local TOTALS = {
  { "Customer", "customer" }, { "Name", "name" }, { "Currency", "currency", table = false },
  { "Total", "total", money = "currency", exact = true },
}

-- An exact amount for a sentence: grouped, every digit (a mismatch in the third decimal must show).
local function shown(amount, currency) return money.new(amount, currency):format { exact = true } end
local CUSTOMER_NAME, TOTAL
for i, c in ipairs(COLUMNS) do
  if c == "customerName" then CUSTOMER_NAME = i elseif c == "totalForCustomer" then TOTAL = i end
end

-- A line as a CSV row in COLUMNS order (an array, holes for what the line lacks); recurring
-- lines' names for the same things are mapped in.
local function csv_row(item)
  local row = {}
  for i = 1, NCOLUMNS do row[i] = item[COLUMNS[i]] end
  row[CUSTOMER_NAME] = row[CUSTOMER_NAME] or item.customerCompanyName
  row[TOTAL] = row[TOTAL] or item.postTaxTotal
  return row
end

local function provider_of(detail)
  local p = (detail.billingProvider or ""):lower():gsub("_", "")
  return p
end

-- "v1" or "v2" for an invoice, and why.
local function pick_source(invoice)
  local kind = (invoice.invoiceType or ""):lower():gsub("[_%s]", "")
  local new_commerce = kind == "onetime" or (kind == "" and (invoice.id or ""):match("^G") ~= nil)
  if not new_commerce then return "v1", "a legacy (recurring) invoice" end
  local start = invoice.billingPeriodStartDate and date.parse(invoice.billingPeriodStartDate, { lenient = true })
  local from = date.parse(V2_FROM, { lenient = true })
  if not from then
    error(pc.errors.new { code = "invalid_argument", input = true, message = "PCX_RECON_V2_FROM='" .. V2_FROM .. "' is not a date",
      hint = "give a date such as 2024-02-01, or unset it" }, 0)
  end
  if start and start < from then return "v1", "a new-commerce invoice of a period before " .. V2_FROM end
  return "v2", "a new-commerce invoice of a period from " .. V2_FROM .. " on (Microsoft Graph)"
end

-- The share of the invoice read so far, for the progress line's ETA: Partner Center does not say
-- how many line items an invoice has, but the lines add up to its total. An estimate (credits and
-- uneven lines move it); nil when the invoice's total is zero or unknown.
local function share_read(totals, invoice)
  local whole = tonumber(invoice.totalCharges)
  if not whole or whole == 0 then return nil end
  return function() return tonumber(totals:get(invoice.currencyCode):amount()) / whole end
end

-- "1 line item", "2 line items".
local function count_of(n, what) return string.format("%d %s%s", n, what, n == 1 and "" or "s") end

-- Per-customer rows from exact totals keyed "customer|currency".
local function customer_rows(per_customer, names)
  local keys = {}
  for key in pairs(per_customer) do keys[#keys + 1] = key end
  table.sort(keys)
  local customers = {}
  for _, key in ipairs(keys) do
    local id, cur = key:match("^(.*)|(%a+)$")
    customers[#customers + 1] = { customer = id, name = names[key], currency = cur, total = per_customer[key]:amount() }
  end
  return customers
end

-- v2: the Graph billed reconciliation export, streamed (totals in Lua) or loaded into a file (totals by pcx).
local function read_v2(p, to, invoice)
  local per_customer, names, totals, count = {}, {}, money.totals(), 0
  local load
  if to then
    local ok, result = pcall(pc.reconciliation.billed, p.invoice, { to = to, resume = true })
    if not ok then
      -- pcx refused the target before Graph was asked (a bad path or URL, no --allow-write): --to was wrong
      if pc.errors.is(result, "invalid_argument") and not result.status then result.input = true end
      error(result, 0)
    end
    load = result
    for customer, by_currency in pairs(load.totals) do
      for cur, amount in pairs(by_currency) do
        local m = money.new(amount, cur)
        per_customer[customer .. "|" .. cur] = m
        names[customer .. "|" .. cur] = load.names and load.names[customer]
        totals:add(m)
      end
    end
    count = load.stored_lines
  else
    local bar -- started at the first line: the export's wait before it is not reading time
    for line in pc.reconciliation.billed(p.invoice) do
      bar = bar or progress.new { label = "reconciliation lines", estimate = share_read(totals, invoice) }
      local cur = line.currency
      local amount = money.new(line.totalForCustomer or 0, cur)
      totals:add(amount)
      local key = (line.customerId or "?"):gsub("^org:", ""):lower() .. "|" .. cur
      per_customer[key] = per_customer[key] and per_customer[key] + amount or amount
      names[key] = names[key] or line.customerName
      count = count + 1
      bar:add(1)
    end
    if bar then bar:done() end
  end
  return per_customer, names, totals, count, load
end

-- The v2 run: totals per customer from the Graph export, checked against the invoice.
local function reconcile_v2(p, invoice, to, why)
  local currency = invoice.currencyCode
  local per_customer, names, totals, count, load = read_v2(p, to, invoice)
  local invoice_total = money.new(invoice.totalCharges or 0, currency)
  local lines_total = totals:get(currency)
  local matches = lines_total == invoice_total
  local out = {
    invoice = p.invoice, currency = currency, source = "v2", source_reason = why, line_items = count,
    customers = customer_rows(per_customer, names), lines_total = lines_total:amount(), invoice_total = invoice_total:amount(),
    matches = matches, checked = true, to = load and load.target or to, etag = load and load.etag, unchanged = load and load.unchanged or nil,
    resumed = load and load.resumed or nil,
  }
  output.emit(out, { rows = out.customers, columns = TOTALS, text = function(o)
    print(output.table(o.customers, TOTALS))
    print(string.format("%s; lines total %s; invoice total %s; %s", count_of(o.line_items, "reconciliation line"), shown(o.lines_total, o.currency),
      shown(o.invoice_total, o.currency), o.matches and "MATCH" or "MISMATCH"))
    if o.to then
      print((o.unchanged and "unchanged (same data, eTag " .. tostring(o.etag) .. "): " or (o.resumed and "resumed and loaded " or "wrote ")) .. o.to)
    end
    print("source: v2 (Microsoft Graph billed invoice reconciliation): " .. o.source_reason)
  end })
  if not matches then
    error(pc.errors.new { code = "conflict", message = string.format(
      "invoice %s: reconciliation lines total %s %s but the invoice says %s %s", p.invoice, lines_total:amount(), currency,
      invoice_total:amount(), currency),
      hint = "compare the lines (--to FILE) with the invoice; report it to Microsoft if it persists" }, 0)
  end
  return out
end

return playbook {
  name = "reconcile-invoice",
  summary = "Invoice line items to CSV with per-customer totals checked against the invoice",
  params = {
    invoice = { type = "string", required = true, order = 1, help = "invoice id, e.g. G000024135" },
    out = { type = "string", order = 2, output = "file", help = "CSV file to write (needs --allow-write for its directory); same as --to FILE.csv" },
    to = { type = "string", output = "file", help = "write the lines to FILE.csv, or load them into FILE.sqlite or postgres://USER@HOST/DB (one table per data set, resumable; v2)" },
    source = { type = "string", choices = { "auto", "v1", "v2" }, default = "auto",
               help = "where the lines come from: auto picks v2 (Microsoft Graph) for new-commerce invoices from 2024-02 on, else v1" },
    provider = { type = "string", choices = { "onetime", "azure", "office" },
                 help = "v1: reconcile only this provider's line items (default: every provider the invoice lists)" },
    page_size = { type = "integer", default = 2000, min = 1, max = 2000, help = "line items per request" },
  },
  run = function(p)
    if p.out and p.to then
      error(pc.errors.new { code = "invalid_argument", input = true, message = "give --out or --to, not both",
        hint = "--to FILE.csv or --to FILE.sqlite" }, 0)
    end
    local to = p.to or p.out
    local database = to and (to:lower():match("^postgres://") or to:lower():match("^postgresql://"))
    if to and not (database or to:lower():match("%.csv$") or to:lower():match("%.sqlite3?$") or to:lower():match("%.db$")) then
      error(pc.errors.new { code = "invalid_argument", input = true,
        message = "--to " .. to .. " must name a .csv or .sqlite file, or a postgres:// URL",
        hint = "e.g. --to recon.csv, --to recon.sqlite or --to postgres://pcx@localhost/billing" }, 0)
    end
    local invoice = pc.invoices.get(p.invoice)
    local source, why = pick_source(invoice)
    if p.source ~= "auto" then source, why = p.source, "asked for with --source" end
    if source == "v2" then
      if p.provider then
        error(pc.errors.new { code = "invalid_argument", input = true, message = "--provider applies to v1 line items only; this invoice reconciles through Graph (v2)",
          hint = "leave --provider out, or add --source v1" }, 0)
      end
      return reconcile_v2(p, invoice, to, why)
    end
    if to and not to:lower():match("%.csv$") then
      error(pc.errors.new { code = "invalid_argument", input = true,
        message = "a database (--to " .. (database and "postgres://…" or to) .. ") holds v2 (Graph) data; invoice " .. p.invoice .. " reconciles through v1 (" .. why .. ")",
        hint = "write v1 line items to a .csv file" }, 0)
    end
    local currency = invoice.currencyCode
    local writer = to and csv.writer(to, { header = COLUMNS }) or nil
    local per_customer, names = {}, {}
    local totals = money.totals()
    local count = 0
    local bar = progress.new { label = "line items", estimate = share_read(totals, invoice) }

    -- the providers come from the invoice: a recurring invoice has azure/office lines, not onetime
    local listed, seen = {}, {}
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
    local providers = p.provider and { p.provider } or listed
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

    local customers = customer_rows(per_customer, names)
    local invoice_total = money.new(invoice.totalCharges or 0, currency)
    local lines_total = totals:get(currency)
    local matches = lines_total == invoice_total
    local out = {
      invoice = p.invoice, currency = currency, providers = providers, line_items = count, customers = customers,
      lines_total = lines_total:amount(), invoice_total = invoice_total:amount(), csv = to,
      matches = not partial and matches or nil, checked = not partial, source = "v1", source_reason = why,
    }
    output.emit(out, { rows = customers, columns = TOTALS, text = function(o)
      print(output.table(o.customers, TOTALS))
      local verdict = not o.checked and ("NOT CHECKED: only " .. table.concat(o.providers, ", ") .. " of " .. table.concat(listed, ", ")
        .. " read, and the invoice's total covers them all") or (o.matches and "MATCH" or "MISMATCH")
      print(string.format("%s; lines total %s; invoice total %s; %s", count_of(o.line_items, "line item"), shown(o.lines_total, o.currency),
        shown(o.invoice_total, o.currency), verdict))
      if o.csv then print("wrote " .. o.csv) end
      print("source: v1 (Partner Center line items): " .. o.source_reason)
    end })
    if not partial and not matches then
      error(pc.errors.new { code = "conflict", message = string.format(
        "invoice %s: line items total %s %s but the invoice says %s %s", p.invoice, lines_total:amount(), currency,
        invoice_total:amount(), currency),
        hint = "the line items of every provider the invoice lists do not add up to its total; compare the CSV (--out) with the invoice, and report it to Microsoft if it persists" }, 0)
    end
    return out
  end,
}
