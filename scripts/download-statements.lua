-- Download invoice statement PDFs for a range of invoices. Each file is written to a temporary
-- name and renamed, so an interrupted run never leaves half a PDF.
local output = require "output"
local date = require "date"

local FILES = { { "Invoice", "invoice" }, { "Date", "date" }, { "File", "path" }, { "Bytes", "bytes" } }

return playbook {
  name = "download-statements",
  summary = "Download invoice statement PDFs for a range of invoices",
  params = {
    dir = { type = "string", required = true, order = 1, output = "directory",
            help = "directory to write Invoice_<id>.pdf files into, created if missing (needs --allow-write)" },
    invoices = { type = "list", help = "invoice ids (comma-separated); default: all in the date range" },
    since = { type = "string", help = "first invoice date to include, e.g. 2024-01-01" },
    ["until"] = { type = "string", help = "last invoice date to include, e.g. 2024-12-31" },
    concurrency = { type = "integer", default = 4, min = 1, max = 16, help = "downloads at once" },
  },
  run = function(p)
    local function day(option, text)
      local ok, d = pcall(date.parse, text)
      if not ok or not d then
        error(pc.errors.new { code = "invalid_argument", input = true, message = string.format("--%s: '%s' is not a date", option, text),
          hint = "give an ISO-8601 date such as 2024-01-31" }, 0)
      end
      return d
    end
    local since = p.since and day("since", p.since)
    local upto = p["until"] and day("until", p["until"]):add("P1D")
    local wanted
    if p.invoices then wanted = {} for _, id in ipairs(p.invoices) do wanted[id:upper()] = true end end
    local selected = {}
    for inv in pc.invoices.each() do
      local d = date.parse(inv.invoiceDate)
      local ok = true
      if wanted and not wanted[(inv.id or ""):upper()] then ok = false end
      if since and (not d or d < since) then ok = false end
      if upto and (not d or d >= upto) then ok = false end
      if ok then selected[#selected + 1] = inv end
    end
    if wanted then
      for id in pairs(wanted) do
        local found = false
        for _, inv in ipairs(selected) do if inv.id:upper() == id then found = true end end
        if not found then
          error(pc.errors.new { code = "not_found", input = true, message = "--invoices: invoice " .. id .. " is not in the partner's invoice list",
            hint = "leave --invoices out to download every invoice in the date range" }, 0)
        end
      end
    end
    local files = pc.map(selected, function(inv)
      local path = p.dir .. "/Invoice_" .. inv.id .. ".pdf"
      local bytes = pc.invoices.statement(inv.id, path)
      return { invoice = inv.id, date = inv.invoiceDate, path = path, bytes = bytes }
    end, { concurrency = p.concurrency })
    local out = { count = #files, files = files }
    output.emit(out, { rows = files, columns = FILES, text = function(o)
      if o.count > 0 then print(output.table(o.files, FILES)) end
      print(string.format("%d statement%s downloaded", o.count, o.count == 1 and "" or "s"))
    end })
    return out
  end,
}
