import Foundation
import GRDB
import PartnerCenterModels

extension SandboxEngine {
    struct InvoiceRow: Sendable {
        let id: String
        let type: String
        let currency: String
        let date: Double
        let total: Decimal
        let paid: Decimal
        let generated: Int
        let doc: String
    }

    func invoiceRows(partner: String) async throws -> [InvoiceRow] {
        try await store.db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM invoice WHERE partner_id = ? ORDER BY invoice_date DESC, id DESC", arguments: [partner]).map(Self.invoiceRow)
        }
    }

    static func invoiceRow(_ row: Row) -> InvoiceRow {
        InvoiceRow(id: row["id"], type: row["invoice_type"], currency: row["currency"], date: row["invoice_date"], total: Money.parse(row["total"]),
                   paid: Money.parse(row["paid"]), generated: row["generated_lines"], doc: row["doc"])
    }

    /// Accepts `G000024130` and the typed form `OneTime-G000024130`.
    static func bareInvoiceId(_ id: String) -> String {
        for prefix in ["onetime-", "recurring-"] where id.lowercased().hasPrefix(prefix) { return String(id.dropFirst(prefix.count)) }
        return id
    }

    func invoiceRow(_ request: RequestInfo) async throws -> InvoiceRow {
        let id = Self.bareInvoiceId(request.param("invoice_id"))
        let partner = request.partner.tenantId
        let row = try await store.db.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM invoice WHERE id = ? AND partner_id = ?", arguments: [id, partner]).map(Self.invoiceRow)
        }
        guard let row else { throw SandboxError.notFound(1000, "Invoice '\(id)' not found.") }
        return row
    }

    func summary(_ rows: [InvoiceRow], currency: String) -> InvoiceSummary {
        let symbol = SandboxCatalog.currencies.values.first { $0.code == currency }?.symbol ?? currency
        func make(_ rows: [InvoiceRow], details: [InvoiceSummaryDetail]?, links: Links?) -> InvoiceSummary {
            let dates = rows.map { Date(timeIntervalSince1970: $0.date) }
            let paidRows = rows.filter { $0.paid != 0 }
            let lastPaid = paidRows.max { $0.date < $1.date }
            return InvoiceSummary(balanceAmount: details.map { $0.compactMap { $0.summary?.balanceAmount }.reduce(0, +) } ?? rows.reduce(Decimal(0)) { $0 + $1.total + $1.paid },
                                  currencyCode: currency, currencySymbol: symbol, accountingDate: dates.max(), firstInvoiceCreationDate: dates.min(),
                                  lastPaymentDate: lastPaid.map { Date(timeIntervalSince1970: $0.date + 20 * 86400) },
                                  lastPaymentAmount: lastPaid.map { -$0.paid } ?? 0, latestInvoiceDate: dates.max(), details: details, links: links)
        }
        let inCurrency = rows.filter { $0.currency == currency }
        let details = [("Recurring", InvoiceType.recurring), ("OneTime", InvoiceType.oneTime)].map { name, type in
            InvoiceSummaryDetail(invoiceType: type, summary: make(inCurrency.filter { $0.type == name }, details: nil, links: nil))
        }
        return make(inCurrency, details: details, links: Links(["self": Link(uri: OperationCatalog["invoices.balance"].link([:]))]))
    }

    func invoiceSummary(_ request: RequestInfo) async throws -> SandboxResponse {
        .json(summary(try await invoiceRows(partner: request.partner.tenantId), currency: request.partner.currency))
    }

    func invoiceSummaries(_ request: RequestInfo) async throws -> SandboxResponse {
        let rows = try await invoiceRows(partner: request.partner.tenantId)
        let currencies = Array(Set(rows.map(\.currency))).sorted { ($0 == request.partner.currency ? "" : $0) < ($1 == request.partner.currency ? "" : $1) }
        return .json(ResourceCollection(items: currencies.map { summary(rows, currency: $0) }, links: Links(["self": Link(uri: OperationCatalog["invoices.summaries"].link([:]))])))
    }

    func pageParameters(_ request: RequestInfo, defaultSize: Int, maxSize: Int) throws -> (Int, Int) {
        var size = defaultSize, offset = 0
        if let text = request.q("size") {
            guard let value = Int(text), (1...maxSize).contains(value) else { throw SandboxError.badInput("size must be an integer from 1 to \(maxSize), got '\(text)'.") }
            size = value
        }
        if let text = request.q("offset") {
            guard let value = Int(text), value >= 0 else { throw SandboxError.badInput("offset must be a non-negative integer, got '\(text)'.") }
            offset = value
        }
        return (size, offset)
    }

    func listInvoices(_ request: RequestInfo) async throws -> SandboxResponse {
        let (size, offset) = try pageParameters(request, defaultSize: 200, maxSize: 1000)
        let rows = try await invoiceRows(partner: request.partner.tenantId)
        let page = rows.dropFirst(offset).prefix(size)
        let items = try page.map { try Doc.decode(Invoice.self, $0.doc) }
        let list = OperationCatalog["invoices.list"]
        var links = Links(["self": Link(uri: list.link([:], query: [("size", String(size)), ("offset", String(offset))]))])
        if offset + size < rows.count { links.next = Link(uri: list.link([:], query: [("size", String(size)), ("offset", String(offset + size))])) }
        return .json(ResourceCollection(items: items, links: links))
    }

    func getInvoice(_ request: RequestInfo) async throws -> SandboxResponse {
        .json(try Doc.decode(Invoice.self, try await invoiceRow(request).doc))
    }

    func invoiceStatement(_ request: RequestInfo) async throws -> SandboxResponse {
        let row = try await invoiceRow(request)
        let pdf = SandboxBilling.statementPDF(invoiceId: row.id, date: Date(timeIntervalSince1970: row.date), total: row.total, currency: row.currency, partnerName: request.partner.name)
        return SandboxResponse(status: 200, headers: [("Content-Type", "application/pdf"), ("Content-Disposition", "attachment; filename=Invoice_\(row.id).pdf")], body: pdf)
    }

    /// `currencycode` and `period` on an invoice's line items. A billed invoice has one currency,
    /// so another currency is a bad request (it would otherwise quietly return that invoice's
    /// lines, or none); `period` (current or previous) belongs to billed consumption
    /// (`provider=onetime&invoicelineitemtype=usagelineitems`) and is refused elsewhere rather
    /// than ignored. The documents are silent on both; the sandbox is strict so that scripts stay
    /// honest, and says so in its messages.
    func checkLineItemFilters(_ request: RequestInfo, invoice: InvoiceRow, usage: Bool) throws {
        if let currency = request.q("currencyCode"), currency.caseInsensitiveCompare(invoice.currency) != .orderedSame {
            throw SandboxError.badInput("Invoice \(invoice.id) is billed in \(invoice.currency), so every line item is in \(invoice.currency); currencycode '\(currency)' matches none. Give currencycode=\(invoice.currency) or leave it out.")
        }
        if !usage, let period = request.q("period") {
            throw SandboxError.badInput("period '\(period)' applies only to billed consumption line items (provider=onetime&invoicelineitemtype=usagelineitems); an invoice's billing line items all belong to its billing period. Leave period out.")
        }
    }

    /// A provider the invoice does not list (its `invoiceDetails`) has no lines there: say so, with
    /// the providers it does list, rather than answer an empty page (a recurring invoice asked for
    /// `onetime` lines would otherwise look empty). The documents are silent; the sandbox is strict.
    func checkProviderListed(_ provider: BillingProvider, text: String, invoice: InvoiceRow) throws {
        guard let model = try? Doc.decode(Invoice.self, invoice.doc), let details = model.invoiceDetails, !details.isEmpty else { return }
        let listed = details.compactMap(\.billingProvider)
        guard !listed.contains(provider) else { return }
        let names = Array(Set(listed.map { $0 == .oneTime ? "onetime" : $0.wireValue.replacingOccurrences(of: "_", with: "") })).sorted()
        throw SandboxError.badInput("Invoice \(invoice.id) has no '\(text)' line items: it lists \(names.joined(separator: " and ")). Ask for provider=\(names.first ?? "onetime").")
    }

    /// Line items: seek paging (`MS-ContinuationToken`) for `onetime`, offset paging for `azure`/`office`.
    func invoiceLineItems(_ request: RequestInfo) async throws -> SandboxResponse {
        let invoice = try await invoiceRow(request)
        let pathForm = !request.param("provider").isEmpty
        guard let providerText = pathForm ? request.param("provider") : request.q("provider") else {
            throw SandboxError.badInput("the 'provider' query parameter is required: onetime, azure or office.")
        }
        guard let typeText = pathForm ? request.param("invoice_line_item_type") : request.q("invoiceLineItemType") else {
            throw SandboxError.badInput("the 'invoicelineitemtype' query parameter is required: billinglineitems or usagelineitems.")
        }
        let provider = BillingProvider(wire: providerText)
        let type = InvoiceLineItemType(wire: typeText)
        guard [.oneTime, .azure, .office, .marketplace].contains(provider) else {
            throw SandboxError(status: 400, code: 900126, "Unable to parse enum provider '\(providerText)'; use onetime, azure or office.")
        }
        guard type == .billingLineItems || type == .usageLineItems else {
            throw SandboxError(status: 400, code: 900126, "Unable to parse enum invoicelineitemtype '\(typeText)'; use billinglineitems or usagelineitems.")
        }
        try checkLineItemFilters(request, invoice: invoice, usage: provider == .oneTime && type == .usageLineItems)
        try checkProviderListed(provider, text: providerText, invoice: invoice)
        if provider == .oneTime, type == .billingLineItems, try v1CutOver(invoice, now: request.now) { return rawCollection(items: [], count: 0, links: Links([:]), token: nil) }
        let providerKey = provider == .oneTime ? "onetime" : provider == .azure ? "azure" : provider == .office ? "office" : "marketplace"
        let typeKey = type == .billingLineItems ? "billing" : "usage"
        let maxSize = configuration.maxLineItemPageSize
        let page: PageLink
        if pathForm {
            page = PageLink(operation: OperationCatalog["invoices.line_items"], alternate: 0, values: [
                "invoice_id": invoice.id, "provider": request.param("provider"), "invoice_line_item_type": request.param("invoice_line_item_type")])
        } else {
            var query = [("provider", providerText), ("invoicelineitemtype", typeText)]
            for key in ["currencycode", "period"] { if let value = request.q(key) { query.append((key, value)) } }
            page = PageLink(operation: OperationCatalog["invoices.line_items"], values: ["invoice_id": invoice.id], query: query)
        }
        let seek = provider == .oneTime || provider == .marketplace
        if seek {
            if provider == .oneTime && type == .usageLineItems {
                guard request.q("currencyCode") != nil, let period = request.q("period") else {
                    throw SandboxError.badInput("billed consumption line items need currencycode and period (current or previous).")
                }
                guard ["current", "previous"].contains(period.lowercased()) else { throw SandboxError.badInput("period must be current or previous, got '\(period)'.") }
            }
            let generated = (provider == .oneTime && type == .billingLineItems) ? invoice.generated : 0
            return try await seekPage(request, invoiceId: invoice.id, generated: generated, providerKey: providerKey, typeKey: typeKey, page: page)
        }
        let (size, offset) = try pageParameters(request, defaultSize: maxSize, maxSize: maxSize)
        let invoiceId = invoice.id
        let (docs, total) = try await store.db.read { db in
            (try String.fetchAll(db, sql: "SELECT doc FROM invoice_line WHERE invoice_id = ? AND provider = ? AND line_type = ? ORDER BY seq LIMIT ? OFFSET ?",
                                 arguments: [invoiceId, providerKey, typeKey, size, offset]),
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM invoice_line WHERE invoice_id = ? AND provider = ? AND line_type = ?", arguments: [invoiceId, providerKey, typeKey]) ?? 0)
        }
        var links = Links(["self": Link(uri: page.uri([("size", String(size)), ("offset", String(offset))]))])
        if offset + size < total {
            links.next = Link(uri: page.uri([("size", String(size)), ("offset", String(offset + size))]))
        }
        return rawCollection(items: Array(docs.joined(separator: ",").utf8), count: docs.count, links: links, token: nil)
    }

    /// Whether v1 stops serving an invoice's one-time lines (addendum §3.11): a new-commerce invoice
    /// whose billing period starts on or after ``GraphSandboxOptions/v2PeriodStart``, once the
    /// sandbox clock is past ``GraphSandboxOptions/v1Cutover``. `empty` answers true (an empty
    /// collection), `error` throws the configured ApiFault, `serve` answers false.
    func v1CutOver(_ invoice: InvoiceRow, now: Date) throws -> Bool {
        let options = configuration.graph
        guard options.v1CutoverMode != .serve, invoice.type == "OneTime", now >= options.v1Cutover,
              let model = try? Doc.decode(Invoice.self, invoice.doc), let start = model.billingPeriodStartDate, start >= options.v2PeriodStart else { return false }
        if options.v1CutoverMode == .error {
            throw SandboxError(status: 400, code: options.v1CutoverErrorCode,
                               "Invoice \(invoice.id) is a new-commerce invoice of a billing period from \(String(WireDate.format(options.v2PeriodStart).prefix(10))) on: after \(String(WireDate.format(options.v1Cutover).prefix(10))) its line items are served by Microsoft Graph reconciliation v2 (POST /reports/partners/billing/reconciliation/billed/export).")
        }
        return true
    }

    /// `GET /invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype=…&currencycode=…&period=current|previous`:
    /// the one-time charges of the current (or previous) calendar month in that currency, seek-paged.
    func unbilledLineItems(_ request: RequestInfo) async throws -> SandboxResponse {
        guard let providerText = request.q("provider") else { throw SandboxError.badInput("the 'provider' query parameter is required: onetime (or all).") }
        guard let typeText = request.q("invoiceLineItemType") else { throw SandboxError.badInput("the 'invoicelineitemtype' query parameter is required: billinglineitems or usagelineitems.") }
        guard let currency = request.q("currencyCode") else { throw SandboxError.badInput("the 'currencycode' query parameter is required, e.g. currencycode=USD.") }
        guard let period = request.q("period"), ["current", "previous"].contains(period.lowercased()) else {
            throw SandboxError.badInput("the 'period' query parameter must be current or previous.")
        }
        let provider = BillingProvider(wire: providerText), type = InvoiceLineItemType(wire: typeText)
        guard [.oneTime, .all, .marketplace].contains(provider) else {
            throw SandboxError(status: 400, code: 900126, "Unable to parse enum provider '\(providerText)'; unbilled line items use onetime.")
        }
        guard type == .billingLineItems || type == .usageLineItems else {
            throw SandboxError(status: 400, code: 900126, "Unable to parse enum invoicelineitemtype '\(typeText)'; use billinglineitems or usagelineitems.")
        }
        var month = Calendar(identifier: .gregorian)
        month.timeZone = TimeZone(identifier: "UTC")!
        let reference = period.lowercased() == "current" ? request.now : month.date(byAdding: .month, value: -1, to: request.now) ?? request.now
        let key = "\(request.partner.tenantId.lowercased())|\(currency.uppercased())|\(WireDate.format(reference).prefix(7))"
        let invoiceId = try await store.db.read { db in try String.fetchOne(db, sql: "SELECT id FROM invoice WHERE period_key = ?", arguments: [key]) }
        let page = PageLink(operation: OperationCatalog["invoices.unbilled_line_items"], values: [:], query: [
            ("provider", providerText), ("invoicelineitemtype", typeText), ("currencycode", currency), ("period", period)])
        return try await seekPage(request, invoiceId: type == .billingLineItems ? (invoiceId ?? "none") : "none", generated: 0, providerKey: "onetime",
                                  typeKey: "billing", page: page)
    }

    /// `GET /invoices/estimates/links?currencycode=…`: where to read unbilled charges.
    func estimateLinks(_ request: RequestInfo) async throws -> SandboxResponse {
        guard let currency = request.q("currencyCode") else { throw SandboxError.badInput("the 'currencycode' query parameter is required, e.g. currencycode=USD.") }
        var links: [EstimateLink] = []
        let unbilled = OperationCatalog["invoices.unbilled_line_items"]
        func unbilledLink(provider: String, type: String, period: String) -> Link {
            Link(uri: unbilled.link([:], query: [("provider", provider), ("invoicelineitemtype", type), ("currencycode", currency),
                                                 ("period", period), ("size", "2000")]))
        }
        for period in ["current", "previous"] {
            var usage = EstimateLink(type: "daily_rated_usage", period: period, link: unbilledLink(provider: "onetime", type: "usagelineitems", period: period))
            usage.title = "Daily rated usage (\(period))"
            usage.description = "Unbilled consumption line items for the \(period) billing period."
            var charges = EstimateLink(type: "non_consumption", period: period, link: unbilledLink(provider: "all", type: "billinglineitems", period: period))
            charges.title = "Non-consumption charges (\(period))"
            charges.description = "Unbilled one-time and recurring charges for the \(period) billing period."
            links += [usage, charges]
        }
        return .json(ResourceCollection(items: links, links: Links(["self": Link(uri: OperationCatalog["invoices.estimate_links"].link([:], query: [("currencycode", currency)]))])))
    }

    /// One seek-paged page of stored (and, for the scale invoice, generated) lines of an invoice.
    func seekPage(_ request: RequestInfo, invoiceId: String, generated: Int, providerKey: String, typeKey: String,
                  page: PageLink) async throws -> SandboxResponse {
        let maxSize = configuration.maxLineItemPageSize
        let (size, _) = try pageParameters(request, defaultSize: maxSize, maxSize: maxSize)
        var offset = 0
        let scope = "lines:\(invoiceId.lowercased()):\(providerKey):\(typeKey)"
        if request.q("seekOperation") != nil || request.headers["ms-continuationtoken"] != nil {
            guard request.q("seekOperation").map({ $0.lowercased() == "next" }) ?? true else {
                throw SandboxError.badInput("seekOperation must be Next, got '\(request.q("seekOperation") ?? "")'.")
            }
            guard let token = request.headers["ms-continuationtoken"], let value = decodeContinuation(token, scope: scope) else {
                throw SandboxError.badInput("seekOperation=Next needs the MS-ContinuationToken header from the previous page's links.next.")
            }
            offset = value
        }
        let storedCount = try await store.db.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM invoice_line WHERE invoice_id = ? AND provider = ? AND line_type = ?", arguments: [invoiceId, providerKey, typeKey]) ?? 0
        }
        let total = generated + storedCount
        offset = min(offset, total)
        let end = min(total, offset + size)
        var writer = FastJSONWriter(capacity: (end - offset) * 1500 + 1024)
        var wroteItem = false
        if offset < min(end, generated), let generator = scaleGenerators[invoiceId.uppercased()] {
            for index in offset..<min(end, generated) {
                if wroteItem { writer.bytes.append(UInt8(ascii: ",")) }
                generator.appendLine(at: index, to: &writer.bytes)
                wroteItem = true
            }
        }
        if end > max(offset, generated) {
            let from = max(offset, generated) - generated, count = end - max(offset, generated)
            let docs = try await store.db.read { db in
                try String.fetchAll(db, sql: "SELECT doc FROM invoice_line WHERE invoice_id = ? AND provider = ? AND line_type = ? ORDER BY seq LIMIT ? OFFSET ?",
                                    arguments: [invoiceId, providerKey, typeKey, count, from])
            }
            for doc in docs {
                if wroteItem { writer.bytes.append(UInt8(ascii: ",")) }
                writer.raw(doc)
                wroteItem = true
            }
        }
        var links = Links(["self": Link(uri: page.uri([("size", String(size))]))])
        var token: String?
        if end < total {
            token = encodeContinuation(end, scope: scope)
            links.next = Link(uri: page.uri([("size", String(size)), ("seekOperation", "Next")]),
                              headers: [LinkHeader(key: "MS-ContinuationToken", value: token!)])
        }
        return rawCollection(items: writer.bytes, count: max(0, end - offset), links: links, token: token)
    }

    /// A collection assembled from already-encoded item JSON (no re-encoding of stored documents).
    func rawCollection(items: [UInt8], count: Int, links: Links, token: String?) -> SandboxResponse {
        var body = Data()
        body.reserveCapacity(items.count + 1024)
        body.append(contentsOf: Array("{\"totalCount\":\(count),\"items\":[".utf8))
        body.append(contentsOf: items)
        body.append(UInt8(ascii: "]"))
        if let token, let encoded = try? PartnerCenterJSON.encode(token) {
            body.append(contentsOf: Array(",\"continuationToken\":".utf8))
            body.append(encoded)
        }
        if let encoded = try? PartnerCenterJSON.encode(links) {
            body.append(contentsOf: Array(",\"links\":".utf8))
            body.append(encoded)
        }
        body.append(contentsOf: Array(",\"attributes\":{\"objectType\":\"Collection\"}}".utf8))
        return SandboxResponse(status: 200, headers: [("Content-Type", "application/json; charset=utf-8")], body: body)
    }
}

/// Where a paged collection's `links.self` and `links.next` point: a declared operation (in its
/// main or an alternate spelling), its path values, and the query every page repeats.
struct PageLink: Sendable {
    let operation: APIOperation
    var alternate: Int? = nil
    let values: [String: String]
    var query: [(String, String)] = []

    /// The link with `extra` query parameters (size, offset, seekOperation) after the repeated ones.
    func uri(_ extra: [(String, String)]) -> String {
        if let alternate { return operation.alternateLink(alternate, values, query: query + extra) }
        return operation.link(values, query: query + extra)
    }
}
