import Foundation
import GRDB
import PartnerCenterModels

extension SandboxEngine {
    func orderModel(doc: String, pricing: String, total: String, includePrice: Bool) throws -> Order {
        var order = try Doc.decode(Order.self, doc)
        if includePrice {
            let prices = try Doc.decode([Pricing].self, pricing)
            order.lineItems = order.lineItems?.enumerated().map { index, line in
                var line = line
                line.pricing = index < prices.count ? prices[index] : nil
                return line
            }
            order.totalPrice = Money.parse(total)
        }
        return order
    }

    func includePrice(_ request: RequestInfo) throws -> Bool {
        guard let text = request.q("include_price") else { return false }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw SandboxError.badInput("include_price must be true or false, got '\(text)'.")
        }
    }

    /// `GET /customers/{id}/orders[?billingType=][&include_price=]` — new orders appear after the configured lag.
    func listOrders(_ request: RequestInfo) async throws -> SandboxResponse {
        let cid = request.param("customer_id")
        let withPrice = try includePrice(request)
        var cycle: String?
        if let text = request.q("billingType") {
            let value = BillingCycleType(wire: text)
            guard value.isKnown else {
                throw SandboxError(status: 400, code: 900126, "Unable to parse enum billingType '\(text)'; use onetime, monthly, annual, none, triennial (or 1-6).")
            }
            cycle = value.wireValue
        }
        let now = request.now.timeIntervalSince1970
        let filter = cycle
        let rows = try await store.db.read { db in
            try Row.fetchAll(db, sql: "SELECT doc, pricing, total, billing_cycle FROM orders WHERE customer_id = ? AND visible_at <= ? ORDER BY created_at, id", arguments: [cid, now])
                .filter { filter == nil || ($0["billing_cycle"] as String) == filter }
                .map { ($0["doc"] as String, $0["pricing"] as String, $0["total"] as String) }
        }
        let orders = try rows.map { try orderModel(doc: $0.0, pricing: $0.1, total: $0.2, includePrice: withPrice) }
        return .json(ResourceCollection(items: orders, links: Links(["self": Link(uri: OperationCatalog["orders.list"].link(["customer_id": cid]))])))
    }

    func orderRow(_ cid: String, _ oid: String) async throws -> (String, String, String) {
        let row = try await store.db.read { db in
            try Row.fetchOne(db, sql: "SELECT doc, pricing, total FROM orders WHERE id = ? AND customer_id = ?", arguments: [oid, cid])
                .map { ($0["doc"] as String, $0["pricing"] as String, $0["total"] as String) }
        }
        guard let row else { throw SandboxError.notFound(20000, "Order ID '\(oid)' not found for customer \(cid).") }
        return row
    }

    func getOrder(_ request: RequestInfo) async throws -> SandboxResponse {
        let withPrice = try includePrice(request)
        let row = try await orderRow(request.param("customer_id"), request.param("order_id"))
        return .json(try orderModel(doc: row.0, pricing: row.1, total: row.2, includePrice: withPrice))
    }

    func provisioningStatus(_ request: RequestInfo) async throws -> SandboxResponse {
        let row = try await orderRow(request.param("customer_id"), request.param("order_id"))
        let order = try Doc.decode(Order.self, row.0)
        let state: ProvisioningStatus = order.status == .completed ? .fulfilled : .prefulfillmentPending
        let items = (order.lineItems ?? []).map { line -> OrderLineItemProvisioningStatus in
            var status = OrderLineItemProvisioningStatus(lineItemNumber: line.lineItemNumber, status: state)
            status.orderLineItemId = line.lineItemNumber
            status.quantityProvisioningInformation = [QuantityProvisioningInformation(quantity: line.quantity, status: state)]
            return status
        }
        var collection = ResourceCollection(items: items)
        collection.links = nil
        return .json(collection)
    }

    func listEntitlements(_ request: RequestInfo) async throws -> SandboxResponse {
        let cid = request.param("customer_id")
        var type: EntitlementType?
        if let text = request.q("entitlementType") {
            let value = EntitlementType(wire: text)
            guard value.isKnown else { throw SandboxError(status: 400, code: 900126, "Unable to parse enum entitlementType '\(text)'; use software or reservedInstance.") }
            type = value
        }
        var showExpiry = false
        if let text = request.q("showExpiry") {
            guard ["true", "false"].contains(text.lowercased()) else { throw SandboxError.badInput("showExpiry must be true or false, got '\(text)'.") }
            showExpiry = text.lowercased() == "true"
        }
        let docs = try await store.db.read { db in
            try String.fetchAll(db, sql: "SELECT doc FROM entitlement WHERE customer_id = ? ORDER BY seq", arguments: [cid])
        }
        let items = try docs.map { try Doc.decode(Entitlement.self, $0) }.filter { entitlement in
            switch type {
            case nil: return true
            case .software?: return entitlement.entitlementType == .software
            default: return entitlement.entitlementType == .reservedInstance
            }
        }.map { entitlement -> Entitlement in
            var entitlement = entitlement
            if !showExpiry { entitlement.expiryDate = nil }
            return entitlement
        }
        var collection = ResourceCollection(items: items)
        collection.links = nil
        return .json(collection)
    }

    func reservationDetails(_ request: RequestInfo) async throws -> SandboxResponse {
        let type = request.param("artifact_type").lowercased()
        guard ["reservedinstance", "virtualmachinereservedinstance"].contains(type) else {
            throw SandboxError.notFound(1000, "Artifact type '\(request.param("artifact_type"))' not found; use reservedinstance.")
        }
        let cid = request.param("customer_id"), group = request.param("group_id"), line = request.param("line_item_id"), rid = request.param("resource_id")
        let doc = try await store.db.read { db in
            try String.fetchOne(db, sql: "SELECT doc FROM reservation WHERE resource_id = ? AND customer_id = ? AND group_id = ? AND line_id = ?", arguments: [rid, cid, group, line])
        }
        guard let doc else { throw SandboxError.notFound(1000, "Reservation artifact '\(rid)' not found for customer \(cid).") }
        return SandboxResponse(status: 200, headers: [("Content-Type", "application/json; charset=utf-8")], body: Data(doc.utf8))
    }

    // MARK: time-driven state

    /// Applies everything due by `now`: registrations complete; pending orders complete and create
    /// entitlements, reservation details and one-time invoice charges.
    func progress(now: Date) async throws {
        let seconds = now.timeIntervalSince1970
        let due = try await store.db.read { db in
            try Bool.fetchOne(db, sql: """
                SELECT EXISTS(SELECT 1 FROM subscription WHERE registration = 'Registering' AND registered_at <= ?)
                    OR EXISTS(SELECT 1 FROM orders WHERE status = 'pending' AND completes_at <= ?)
                    OR EXISTS(SELECT 1 FROM monthly_charge WHERE next_at <= ? AND months_charged < total_months)
                """, arguments: [seconds, seconds, seconds]) ?? false
        }
        guard due else { return }
        let seed = configuration.seed
        try await store.db.write { db in
            try db.execute(sql: "UPDATE subscription SET registration = 'Registered' WHERE registration = 'Registering' AND registered_at <= ?", arguments: [seconds])
            let rows = try Row.fetchAll(db, sql: "SELECT o.id, o.customer_id, o.doc, o.pricing, o.country, o.completes_at, c.partner_id, c.name, c.domain FROM orders o JOIN customer c ON c.id = o.customer_id WHERE o.status = 'pending' AND o.completes_at <= ? ORDER BY o.completes_at, o.id", arguments: [seconds])
            for row in rows {
                try self.complete(db, row: row, seed: seed)
            }
            try self.chargeMonths(db, now: now)
        }
    }

    private func complete(_ db: Database, row: Row, seed: UInt64) throws {
        var order = try Doc.decode(Order.self, row["doc"])
        let prices = try Doc.decode([Pricing].self, row["pricing"])
        let cid: String = row["customer_id"], country: String = row["country"], partnerId: String = row["partner_id"]
        let completedAt = Date(timeIntervalSince1970: row["completes_at"])
        guard let partner = partners.first(where: { $0.tenantId.caseInsensitiveCompare(partnerId) == .orderedSame }) else { return }
        var rng = try SandboxStore.nextRandom(db, seed: seed)
        order.status = .completed
        for (index, line) in (order.lineItems ?? []).enumerated() {
            if let subscriptionId = try provisionAzureSubscription(db, line: line, customerId: cid, country: country, orderId: order.id,
                                                                   at: completedAt, seed: seed, rng: &rng) {
                order.lineItems?[index].subscriptionId = subscriptionId
                order.lineItems?[index].links = Links(["subscription": Link(uri: OperationCatalog["subscriptions.get"].link(["customer_id": cid, "subscription_id": subscriptionId]))])
                continue
            }
            let unit = index < prices.count ? (prices[index].price ?? 0) : 0
            let customer = (name: row["name"] as String, domain: row["domain"] as String)
            if let benefitId = try provisionSavingsPlan(db, line: line, order: order, customerId: cid, at: completedAt, rng: &rng) {
                order.lineItems?[index].subscriptionId = benefitId
                let years = SandboxEngine.years(line.termDuration) ?? 1
                let item = SandboxBilling.Chargeable(productId: AzureOffers.savingsPlanProductId, skuId: years == 1 ? "0001" : "0002",
                                                     productName: "Azure savings plan", skuName: line.friendlyName ?? "Compute savings plan", years: years)
                let term = SandboxCatalog.savingsPlanPrice(hourly: line.purchaseCommitment?.amount ?? 0, years: years, monthly: false, country: country)
                try addOneTimeCharge(db, partner: partner, customerId: cid, customerName: customer.name, customerDomain: customer.domain, country: country,
                                     order: order, sku: item, quantity: 1, unit: unit, termUnit: term, reservationOrderId: "", at: completedAt)
                continue
            }
            let parts = (line.offerId ?? "").split(separator: ":").map(String.init)
            guard parts.count == 3, let sku = catalog.sku(parts[0], parts[1]) else { continue }
            let resourceId = try addReservation(db, line: line, index: index, order: order, sku: sku, customerId: cid, at: completedAt, rng: &rng)
            if catalog.availability(sku, parts[2]) == true {
                // an Azure-plan reservation also appears as a benefit subscription (addendum §1.7)
                let benefit = BenefitPurchase(productOrderId: resourceId, subType: sku.series.type.subType, autoRenew: line.renewsTo != nil)
                let benefitId = try addBenefitSubscription(db, line: line, order: order, customerId: cid, at: completedAt, benefit: benefit, rng: &rng)
                order.lineItems?[index].subscriptionId = benefitId
            }
            try addOneTimeCharge(db, partner: partner, customerId: cid, customerName: customer.name, customerDomain: customer.domain, country: country,
                                 order: order, sku: sku.chargeable, quantity: line.quantity ?? 1, unit: unit, termUnit: catalog.price(sku, country: country).0,
                                 reservationOrderId: resourceId, at: completedAt)
        }
        try db.execute(sql: "UPDATE orders SET status = 'completed', doc = ? WHERE id = ?", arguments: [try Doc.encode(order), order.id])
    }

    /// The entitlement and reservation details an order line creates; returns the reservation order id.
    private func addReservation(_ db: Database, line: OrderLineItem, index: Int, order: Order, sku: SandboxCatalog.SKU, customerId cid: String,
                                at completedAt: Date, rng: inout SplitMix64) throws -> String {
        let quantity = line.quantity ?? 1
        let groupId = String(IDs.guid(&rng).replacingOccurrences(of: "-", with: ""))
        let lineId = IDs.guid(&rng)
        let resourceId = IDs.guid(&rng)
        let scope = (line.provisioningContext?["scope"] ?? "shared").lowercased() == "single" ? "Single" : "Shared"
        let expiry = addingYears(sku.years, to: completedAt)
        var artifact = Artifact(artifactType: .reservedInstance)
        artifact.dynamicAttributes = ["reservationType": .string(sku.series.type.artifactType)]
        artifact.link = Link(uri: OperationCatalog["entitlements.reservation_details"].link([
            "customer_id": cid, "artifact_type": "reservedinstance", "group_id": groupId, "line_item_id": lineId, "resource_id": resourceId]))
        artifact.resourceId = resourceId
        var entitlement = Entitlement()
        entitlement.includedEntitlements = []
        entitlement.referenceOrder = ReferenceOrder(id: order.id, lineItemId: String(line.lineItemNumber ?? index), alternateId: order.alternateId)
        entitlement.productId = sku.productId
        entitlement.skuId = sku.skuId
        entitlement.quantity = quantity
        entitlement.quantityDetails = [QuantityDetail(quantity: quantity, status: "Active")]
        entitlement.entitledArtifacts = [artifact]
        entitlement.entitlementType = .reservedInstance
        entitlement.expiryDate = expiry
        try db.execute(sql: "INSERT INTO entitlement(customer_id, order_id, entitlement_type, doc, expiry) VALUES(?,?,?,?,?)",
                       arguments: [cid, order.id, "reservedinstance", try Doc.encode(entitlement), expiry.timeIntervalSince1970])
        var reservation = Reservation(reservationId: IDs.guid(&rng))
        reservation.scopeType = scope
        reservation.displayName = "\(sku.series.isVM ? "VM" : sku.series.type.name.uppercased())_RI_\(String(WireDate.format(completedAt).prefix(10)))_\(sku.size.arm)"
        // single scope: an Azure plan's Azure subscription (entitlementId), else the 0145P subscription
        if scope == "Single", let sub = line.provisioningContext?["entitlementId"] ?? line.provisioningContext?["subscriptionId"] {
            reservation.appliedScopes = ["/subscriptions/\(sub)"]
        }
        reservation.quantity = quantity
        reservation.effectiveDateTime = completedAt
        reservation.expiryDateTime = expiry
        reservation.provisioningState = "Created"
        let details = ReservedInstanceArtifactDetails(type: "reservedinstance", reservations: [reservation])
        try db.execute(sql: "INSERT INTO reservation VALUES(?,?,?,?,?)", arguments: [resourceId, cid, groupId, lineId, try Doc.encode(details)])
        return resourceId
    }

    private func addOneTimeCharge(_ db: Database, partner: PartnerRecord, customerId: String, customerName: String, customerDomain: String, country: String,
                                  order: Order, sku: SandboxBilling.Chargeable, quantity: Int, unit: Decimal, termUnit: Decimal, reservationOrderId: String,
                                  at date: Date) throws {
        let currency = order.currencyCode ?? "USD"
        let id = try invoiceFor(db, partner: partner, currency: currency, at: date)
        var line = SandboxBilling.oneTimeLine(partner: partner, customerId: customerId, customerName: customerName, customerDomain: customerDomain, country: country,
                                              invoiceId: id, orderId: order.id, alternateId: order.alternateId ?? "", orderDate: order.creationDate ?? date,
                                              sku: sku, quantity: quantity, unitPrice: unit, currency: currency, reservationOrderId: reservationOrderId)
        // the availability the order bought (an Azure plan's differs from MS-AZR-0145P's)
        if let bought = order.lineItems?.compactMap({ $0.offerId?.split(separator: ":").map(String.init) })
            .first(where: { $0.count == 3 && $0[0].caseInsensitiveCompare(sku.productId) == .orderedSame
                && $0[1].caseInsensitiveCompare(sku.skuId) == .orderedSame }) {
            line.availabilityId = bought[2]
        }
        if order.billingCycle == .monthly {
            // a monthly plan: this charge is the first month's (addendum §1.7: BillingFrequency Monthly;
            // one-time purchases leave it blank); each later month is charged when it starts
            line.billingFrequency = "Monthly"
            line.termAndBillingCycle = (sku.years == 1 ? "1 Year" : "3 Years") + " Subscription, billed monthly"
            if let start = line.chargeStartDate {
                line.chargeEndDate = Self.utc.date(byAdding: .month, value: 1, to: start)?.addingTimeInterval(-86400)
                try scheduleMonthlyCharges(db, orderId: order.id, partner: partner, months: 12 * sku.years, start: start, termUnit: termUnit, line: line)
            }
        }
        try appendLine(db, invoiceId: id, line: line)
    }
}
