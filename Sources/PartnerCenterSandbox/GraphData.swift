import Foundation
import GRDB
import PartnerCenterModels

// Which lines an operation's export holds (addendum §3.8–§3.10, §4): billed reconciliation is the
// invoice's one-time lines (what v1 `invoices.line_items` serves, so totals agree); unbilled
// reconciliation the open (current) or last period's charges in a currency; usage is made from
// the Azure subscriptions, reservations and savings plans (`GraphUsage.swift`).

extension SandboxEngine {
    /// The lines of an operation's export, as of now.
    func lineSource(for row: GraphOperationRow, partner: PartnerRecord) async throws -> any GraphLineSource {
        let prefix = configuration.graph.reservationOrderPrefix
        switch (row.export.dataSet, row.export.scope) {
        case (.reconciliation, .billed):
            let id = Self.bareInvoiceId(row.request.invoiceId ?? "").uppercased()
            let invoice = try await store.db.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM invoice WHERE id = ? AND partner_id = ?", arguments: [id, partner.tenantId]).map(Self.invoiceRow)
            }
            guard let invoice else { return StoredGraphLines(rows: []) }
            if invoice.generated > 0, let generator = scaleGenerators[id] {
                return ScaleReconLines(generator: generator, count: invoice.generated, prefix: prefix)
            }
            return try await reconLines(invoiceId: id, partner: partner, unbilled: false)
        case (.reconciliation, .unbilled):
            let month = Self.unbilledMonth(row)
            let key = "\(partner.tenantId.lowercased())|\(row.request.currencyCode ?? "USD")|\(WireDate.format(month).prefix(7))"
            let id = try await store.db.read { db in try String.fetchOne(db, sql: "SELECT id FROM invoice WHERE period_key = ?", arguments: [key]) }
            guard let id else { return StoredGraphLines(rows: []) }
            return try await reconLines(invoiceId: id, partner: partner, unbilled: true)
        case (.usage, _):
            return try await usageSource(for: row, partner: partner)
        }
    }

    /// An invoice's stored one-time lines as v2 reconciliation rows; a savings plan's charges carry
    /// the plan's order id (its Subscription `productOrderId`) in `reservationOrderId` with the
    /// purchase-channel prefix (addendum §3.8, §4.1), which v1 leaves empty.
    private func reconLines(invoiceId: String, partner: PartnerRecord, unbilled: Bool) async throws -> StoredGraphLines {
        let prefix = configuration.graph.reservationOrderPrefix
        let plans = try await savingsPlanOrders(partner: partner)
        return StoredGraphLines(rows: try await oneTimeLines(invoiceId: invoiceId).map { line in
            var row = GraphRows.recon(line, unbilled: unbilled, prefix: prefix)
            if line.productId == AzureOffers.savingsPlanProductId, line.reservationOrderId?.isEmpty ?? true,
               let bought = plans[(line.orderId ?? "").lowercased()], !bought.isEmpty {
                // an order of several plans: the one of the line's name, else the first
                let plan = bought.first { $0.name == line.skuName } ?? bought[0]
                row["reservationOrderId"] = .string(prefix + plan.orderId)
            }
            return row
        })
    }

    /// The partner's savings plans (order id = Subscription `productOrderId`, name) by the
    /// (lower-cased) id of the order that bought them.
    func savingsPlanOrders(partner: PartnerRecord) async throws -> [String: [(name: String, orderId: String)]] {
        let docs = try await store.db.read { db in
            try String.fetchAll(db, sql: """
                SELECT s.doc FROM subscription s JOIN customer c ON c.id = s.customer_id
                WHERE c.partner_id = ? AND s.kind = 'benefit' ORDER BY s.seq
                """, arguments: [partner.tenantId])
        }
        var out: [String: [(name: String, orderId: String)]] = [:]
        for doc in docs {
            let sub = try Doc.decode(Subscription.self, doc)
            guard sub.productType?.subType?.id == AzureOffers.savingsPlanSubType, let order = sub.orderId,
                  let planOrder = sub.productOrderId else { continue }
            out[order.lowercased(), default: []].append((name: sub.friendlyName ?? "", orderId: planOrder))
        }
        return out
    }

    /// The month an unbilled export covers: the operation's month (`current`) or the one before (`last`).
    static func unbilledMonth(_ row: GraphOperationRow) -> Date {
        let start = utc.date(from: utc.dateComponents([.year, .month], from: row.createdAt)) ?? row.createdAt
        return row.request.billingPeriod == "last" ? (utc.date(byAdding: .month, value: -1, to: start) ?? start) : start
    }

    /// The stored one-time billing lines of an invoice, in order.
    func oneTimeLines(invoiceId: String) async throws -> [OneTimeInvoiceLineItem] {
        try await store.db.read { db in
            try String.fetchAll(db, sql: "SELECT doc FROM invoice_line WHERE invoice_id = ? AND provider = 'onetime' AND line_type = 'billing' ORDER BY seq",
                                arguments: [invoiceId]).map { try Doc.decode(OneTimeInvoiceLineItem.self, $0) }
        }
    }

    /// Usage lines: the Graph scale invoice's generated ones, else those made from the facts for
    /// the invoice's month (billed) or the current/last month up to today (unbilled).
    private func usageSource(for row: GraphOperationRow, partner: PartnerRecord) async throws -> any GraphLineSource {
        let facts = try await usageFacts(partner: partner)
        if row.export.scope == .unbilled {
            let from = Self.unbilledMonth(row)
            let monthEnd = (Self.utc.date(byAdding: .month, value: 1, to: from) ?? from).addingTimeInterval(-86400)
            let today = Self.utc.startOfDay(for: row.createdAt)
            let frame = UsageFrame(partner: partner, from: from, through: min(monthEnd, today), currency: row.request.currencyCode ?? "USD", invoiceNumber: "")
            return StoredGraphLines(rows: UsageRows.rows(facts, frame: frame))
        }
        let id = Self.bareInvoiceId(row.request.invoiceId ?? "").uppercased()
        let invoice = try await store.db.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM invoice WHERE id = ? AND partner_id = ?", arguments: [id, partner.tenantId])
                .map { (currency: $0["currency"] as String, date: $0["invoice_date"] as Double, periodKey: $0["period_key"] as String?) }
        }
        guard let invoice else { return StoredGraphLines(rows: []) }
        let currency = invoice.currency
        let date = Date(timeIntervalSince1970: invoice.date)
        let periodKey = invoice.periodKey
        let month = periodKey.flatMap { WireDate.parse(String($0.suffix(7)) + "-01T00:00:00Z") }
            ?? Self.utc.date(from: Self.utc.dateComponents([.year, .month], from: date.addingTimeInterval(-86400))) ?? date
        let monthEnd = (Self.utc.date(byAdding: .month, value: 1, to: month) ?? month).addingTimeInterval(-86400)
        let frame = UsageFrame(partner: partner, from: month, through: monthEnd, currency: currency, invoiceNumber: id)
        if id == SandboxBilling.graphScaleInvoiceId, graphScaleUsageLines > 0 {
            let subscriptions = facts.subscriptions.filter { SandboxCatalog.currency(for: $0.country).code == currency }
            if !subscriptions.isEmpty { return ScaleUsageLines(count: graphScaleUsageLines, subscriptions: subscriptions, frame: frame) }
        }
        return StoredGraphLines(rows: UsageRows.rows(facts, frame: frame))
    }

    /// The partner's Azure-plan subscriptions, reservations and savings plans.
    func usageFacts(partner: PartnerRecord) async throws -> UsageFacts {
        let catalog = self.catalog
        return try await store.db.read { db in
            var facts = UsageFacts()
            let subscriptionRows = try Row.fetchAll(db, sql: """
                SELECT a.id, a.subscription_id, a.doc, c.id AS cid, c.name, c.domain, c.country FROM azure_entitlement a
                JOIN customer c ON c.id = a.customer_id WHERE c.partner_id = ? AND a.status = 'active' ORDER BY c.seq, a.seq
                """, arguments: [partner.tenantId])
            facts.subscriptions = try subscriptionRows.map { row in
                let doc = try Doc.decode(AzureEntitlement.self, row["doc"])
                return UsageFacts.AzureSubscription(id: row["id"], planId: row["subscription_id"], name: doc.friendlyName ?? "Azure subscription",
                                                    customerId: row["cid"], customerName: row["name"], domain: row["domain"], country: row["country"])
            }
            facts.reservations = try Self.reservedFacts(db, partner: partner, catalog: catalog)
            facts.plans = try Self.planFacts(db, partner: partner)
            return facts
        }
    }

    private static func reservedFacts(_ db: Database, partner: PartnerRecord, catalog: SandboxCatalog) throws -> [UsageFacts.Reserved] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT e.customer_id, e.doc FROM entitlement e JOIN customer c ON c.id = e.customer_id
            WHERE c.partner_id = ? AND e.entitlement_type = 'reservedinstance' ORDER BY e.seq
            """, arguments: [partner.tenantId])
        var out: [UsageFacts.Reserved] = []
        for row in rows {
            let entitlement = try Doc.decode(Entitlement.self, row["doc"])
            guard let resourceId = entitlement.entitledArtifacts?.first?.resourceId,
                  let detailsDoc = try String.fetchOne(db, sql: "SELECT doc FROM reservation WHERE resource_id = ?", arguments: [resourceId]),
                  let reservation = try Doc.decode(ReservedInstanceArtifactDetails.self, detailsDoc).reservations?.first,
                  let productId = entitlement.productId, let skuId = entitlement.skuId, let sku = catalog.sku(productId, skuId),
                  let start = reservation.effectiveDateTime, let end = reservation.expiryDateTime else { continue }
            let scope = reservation.appliedScopes?.first.map { String($0.split(separator: "/").last ?? "") }
            out.append(UsageFacts.Reserved(orderId: resourceId, reservationId: reservation.reservationId ?? "", customerId: row["customer_id"],
                                           productId: productId, skuId: skuId, skuName: sku.title, armSize: sku.size.arm, region: sku.region.arm,
                                           quantity: reservation.quantity ?? entitlement.quantity ?? 1, start: start, end: end, scopeSubscription: scope))
        }
        return out
    }

    private static func planFacts(_ db: Database, partner: PartnerRecord) throws -> [UsageFacts.Plan] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT s.customer_id, s.doc FROM subscription s JOIN customer c ON c.id = s.customer_id
            WHERE c.partner_id = ? AND s.kind = 'benefit' ORDER BY s.seq
            """, arguments: [partner.tenantId])
        return try rows.compactMap { row in
            let sub = try Doc.decode(Subscription.self, row["doc"])
            guard sub.productType?.subType?.id == AzureOffers.savingsPlanSubType, let orderId = sub.productOrderId,
                  let start = sub.effectiveStartDate, let end = sub.commitmentEndDate else { return nil }
            let item = sub.lineItems?.first
            let scope = item?.scope?["entitlementId"] ?? item?.scope?["subscriptionId"]
            return UsageFacts.Plan(orderId: orderId, benefitId: item?.id ?? "", customerId: row["customer_id"], start: start, end: end,
                                   scopeSubscription: scope)
        }
    }
}
