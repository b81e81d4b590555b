-- The partner's account balance and its per-currency invoice summaries (table, -o json, csv or tsv).
local output = require "output"
local money = require "money"

-- Amounts stay exact decimal text in the rows (JSON, CSV); the table shows them with their currency.
local COLUMNS = {
  { "Currency", "currency" }, { "Balance", "balance", money = "currency" }, { "Recurring", "recurring", money = "currency" },
  { "One-time", "one_time", money = "currency" }, { "Latest invoice", "latest_invoice" },
}

return playbook {
  name = "balance",
  summary = "Account balance and per-currency invoice summaries",
  params = {},
  run = function()
    local balance = pc.invoices.balance()
    local summaries = pc.invoices.summaries()
    local rows = {}
    for _, s in ipairs(summaries) do
      local cur = s.currencyCode
      local row = { currency = cur, balance = money.new(s.balanceAmount or 0, cur):exact() }
      for _, d in ipairs(s.details or {}) do
        local amount = money.new(d.summary and d.summary.balanceAmount or 0, cur):exact()
        if (d.invoiceType or ""):lower() == "recurring" then row.recurring = amount else row.one_time = amount end
      end
      row.latest_invoice = s.latestInvoiceDate
      rows[#rows + 1] = row
    end
    local total = money.new(balance.balanceAmount or 0, balance.currencyCode)
    local out = { balance = total:exact(), currency = total.currency, accounting_date = balance.accountingDate, summaries = rows }
    output.emit(out, { rows = rows, columns = COLUMNS, text = function(o)
      print("balance: " .. total:format())
      print(output.table(o.summaries, COLUMNS))
    end })
    return out
  end,
}
