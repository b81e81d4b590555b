import Foundation
import GRDB
import PartnerCenterModels

// Monthly billing plans in the billing data (addendum §1.7, §5.1): a monthly reservation or
// savings plan is charged its first month at purchase (`new`, on that month's one-time invoice)
// and then once at the start of every later month of its term (`cycleCharge`), each charge with
// `billingFrequency: Monthly` and the month it covers, on the one-time invoice of the month it is
// made in, until 12 × years charges are made. Charges are made as the sandbox's clock passes the
// month's start (a request applies everything due, as for order completion).

extension SandboxEngine {
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// Records a monthly plan whose first month was charged: the later months are due from `start` + 1 month.
    /// `termUnit` is the one-time unit price of the whole term: the last month is charged what the
    /// earlier months leave of it.
    func scheduleMonthlyCharges(_ db: Database, orderId: String, partner: PartnerRecord, months: Int, start: Date, termUnit: Decimal,
                                line: OneTimeInvoiceLineItem) throws {
        guard months > 1, let next = Self.utc.date(byAdding: .month, value: 1, to: start) else { return }
        try db.execute(sql: "INSERT OR REPLACE INTO monthly_charge VALUES(?,?,?,?,?,?,?,?)", arguments: [
            orderId, partner.tenantId, 1, months, start.timeIntervalSince1970, next.timeIntervalSince1970, Money.text(termUnit), try Doc.encode(line)])
    }

    /// A later month's charge: the template's, for month `index` (1-based after the first), the
    /// last one what is left of the term's price.
    static func monthCharge(_ template: OneTimeInvoiceLineItem, from: Date, to: Date, last: Bool, termUnit: Decimal, months: Int) -> OneTimeInvoiceLineItem {
        var line = template
        line.chargeType = "cycleCharge"
        line.chargeStartDate = from
        line.chargeEndDate = to.addingTimeInterval(-86400)
        line.pcToBCExchangeRateDate = WireDate.parse(String(WireDate.format(from).prefix(7)) + "-01T00:00:00Z")
        if last, let monthly = template.unitPrice, let quantity = template.quantity {
            let unit = termUnit - monthly * Decimal(months - 1)
            line.unitPrice = unit
            line.effectiveUnitPrice = unit
            line.subtotal = unit * quantity
            line.totalForCustomer = unit * quantity
        }
        return line
    }

    /// Makes every monthly charge due by `now`.
    func chargeMonths(_ db: Database, now: Date) throws {
        let rows = try Row.fetchAll(db, sql: "SELECT * FROM monthly_charge WHERE next_at <= ? AND months_charged < total_months ORDER BY next_at, order_id",
                                    arguments: [now.timeIntervalSince1970])
        for row in rows {
            guard let partner = partners.first(where: { $0.tenantId.caseInsensitiveCompare(row["partner_id"] as String) == .orderedSame }) else { continue }
            let template = try Doc.decode(OneTimeInvoiceLineItem.self, row["line"])
            let start = Date(timeIntervalSince1970: row["start_at"])
            var charged: Int = row["months_charged"]
            let total: Int = row["total_months"]
            while charged < total, let from = Self.utc.date(byAdding: .month, value: charged, to: start), from <= now,
                  let to = Self.utc.date(byAdding: .month, value: charged + 1, to: start) {
                let line = Self.monthCharge(template, from: from, to: to, last: charged == total - 1,
                                            termUnit: Money.parse(row["term_unit"]), months: total)
                try appendLine(db, invoiceId: try invoiceFor(db, partner: partner, currency: template.currency ?? "USD", at: from), line: line)
                charged += 1
            }
            let next = Self.utc.date(byAdding: .month, value: charged, to: start) ?? now
            try db.execute(sql: "UPDATE monthly_charge SET months_charged = ?, next_at = ? WHERE order_id = ?",
                           arguments: [charged, next.timeIntervalSince1970, row["order_id"] as String])
        }
    }

    /// The one-time invoice of a partner's currency for the month of `date`, made when missing
    /// (`G2…`, dated at its first charge).
    func invoiceFor(_ db: Database, partner: PartnerRecord, currency: String, at date: Date) throws -> String {
        let periodKey = "\(partner.tenantId.lowercased())|\(currency)|\(WireDate.format(date).prefix(7))"
        if let id = try String.fetchOne(db, sql: "SELECT id FROM invoice WHERE period_key = ?", arguments: [periodKey]) { return id }
        let counter = (try SandboxStore.meta(db, "invoice_counter").flatMap(Int.init) ?? 0) + 1
        try SandboxStore.setMeta(db, "invoice_counter", String(counter))
        let id = String(format: "G2%08d", counter)
        let invoice = SandboxBilling.invoiceModel(id: id, type: .oneTime, currency: currency, date: date, total: 0, paid: 0, providers: [(.oneTime, .billingLineItems)])
        try db.execute(sql: "INSERT INTO invoice VALUES(?,?,?,?,?,?,?,?,?,?)", arguments: [
            id, partner.tenantId, "OneTime", currency, date.timeIntervalSince1970, "0", "0", 0, periodKey, try Doc.encode(invoice)])
        return id
    }

    /// Adds a one-time line to an invoice and its total.
    func appendLine(_ db: Database, invoiceId id: String, line: OneTimeInvoiceLineItem) throws {
        var line = line
        line.invoiceNumber = id
        let seq = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM invoice_line WHERE invoice_id = ?", arguments: [id]) ?? 0
        try db.execute(sql: "INSERT INTO invoice_line VALUES(?,?,?,?,?)", arguments: [id, "onetime", "billing", seq, try Doc.encode(line)])
        guard let row = try Row.fetchOne(db, sql: "SELECT total, doc FROM invoice WHERE id = ?", arguments: [id]) else { return }
        let total = Money.parse(row["total"]) + (line.totalForCustomer ?? 0)
        var invoice = try Doc.decode(Invoice.self, row["doc"])
        invoice.totalCharges = total
        try db.execute(sql: "UPDATE invoice SET total = ?, doc = ? WHERE id = ?", arguments: [Money.text(total), try Doc.encode(invoice), id])
    }
}
