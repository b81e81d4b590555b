-- The partner's account balance and its per-currency invoice summaries.
local pb = require "playbook"
local money = require "money"

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
      local row = { currency = cur, balance = money.new(s.balanceAmount or 0, cur):amount(2) }
      for _, d in ipairs(s.details or {}) do
        local amount = money.new(d.summary and d.summary.balanceAmount or 0, cur):amount(2)
        if (d.invoiceType or ""):lower() == "recurring" then row.recurring = amount else row.one_time = amount end
      end
      row.latest_invoice = s.latestInvoiceDate
      rows[#rows + 1] = row
    end
    local out = {
      balance = money.new(balance.balanceAmount or 0, balance.currencyCode):amount(2),
      currency = balance.currencyCode, accounting_date = balance.accountingDate, summaries = rows,
    }
    pb.emit(out, function(o)
      print(string.format("balance: %s %s", o.balance, o.currency or ""))
      print(pb.table(o.summaries, { { "Currency", "currency" }, { "Balance", "balance" }, { "Recurring", "recurring" },
        { "One-time", "one_time" }, { "Latest invoice", "latest_invoice" } }))
    end)
    return out
  end,
}
