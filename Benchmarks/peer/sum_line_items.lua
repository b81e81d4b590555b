-- The pcx side of the Python peer (Benchmarks/peer/sum_line_items.py): every one-time line item
-- of one invoice, summed per customer with exact decimals, the same output line.
-- usage: pcx run Benchmarks/peer/sum_line_items.lua INVOICE_ID
local money = require "money"
local invoice = assert(arg[1], "usage: sum_line_items.lua INVOICE_ID")

local per_customer, customers, count = {}, 0, 0
for item in pc.invoices.each_line_item(invoice, { size = 2000 }) do
  local key = item.customerId or "?"
  local amount = money.new(item.totalForCustomer or 0, item.currency or "USD")
  local t = per_customer[key]
  if t then per_customer[key] = t + amount else
    per_customer[key] = amount
    customers = customers + 1
  end
  count = count + 1
end
local grand
for _, t in pairs(per_customer) do grand = grand and grand + t or t end
print(string.format("%d line items, %d customers, total %s", count, customers, grand and grand:amount() or "0"))
