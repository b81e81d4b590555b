import Foundation
import PartnerCenterModels
@testable import PartnerCenterSandbox
import Testing

/// What one partner's seeded world holds, read through the API.
private struct WorldIndex {
    var customers: Set<String> = []
    /// Per customer: its subscriptions and the Azure subscriptions under its plans (lower case).
    var subscriptions: [String: Set<String>] = [:]
    var orders: [String: [String: Order]] = [:]
    var reservationOrders: [String: Set<String>] = [:]
    var benefits: [(customer: String, subscription: Subscription)] = []
    var entitlements: [(customer: String, entitlement: Entitlement)] = []
    var problems: [String] = []
}

private extension Harness {
    func json(_ path: String, _ token: String) async throws -> JSONValue {
        let r = try await send(.GET, path, token: token)
        guard r.status == 200 else { throw HarnessError(message: "GET \(path): \(r.status) \(r.text)") }
        return try r.decode(JSONValue.self)
    }

    func resolves(_ path: String, _ token: String) async throws -> Bool {
        try await send(.GET, path, token: token).status == 200
    }

    /// A catalog item id (`product:sku:availability`) or a legacy offer id resolves in the catalog.
    func catalogItemResolves(_ item: String?, _ token: String) async throws -> Bool {
        guard let item else { return false }
        if AzureOffers.isLegacyAzure(item) { return try await resolves("/v1/offers/\(item)?country=US", token) }
        let parts = item.split(separator: ":").map(String.init)
        if parts.count == 1 { return true }   // a licence offer of the legacy catalog (not modelled)
        guard parts.count == 3 else { return false }
        return try await resolves("/v1/products/\(parts[0])/skus/\(parts[1])/availabilities/\(parts[2])?country=US", token)
    }

    /// Customers, their subscriptions, orders, entitlements and reservation details, with every
    /// reference among them checked.
    func indexWorld(_ token: String) async throws -> WorldIndex {
        var w = WorldIndex()
        for customer in try await customers(token) {
            let c = customer.id.lowercased()
            w.customers.insert(c)
            let subs = try await subscriptions(of: customer.id, token)
            var ids = Set(subs.map { $0.id.lowercased() })
            for plan in subs where plan.isAzurePlan {
                let list = try await send(.GET, "/v1/customers/\(customer.id)/subscriptions/\(plan.id)/azureEntitlements", token: token)
                    .decode(ResourceCollection<AzureEntitlement>.self).items
                ids.formUnion(list.map { $0.id.lowercased() })
            }
            w.subscriptions[c] = ids
            w.benefits += subs.filter { $0.billingType == "benefit" }.map { (c, $0) }
            let orders = try await send(.GET, "/v1/customers/\(customer.id)/orders", token: token).decode(ResourceCollection<Order>.self).items
            w.orders[c] = Dictionary(orders.map { ($0.id.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
            for order in orders {
                if order.referenceCustomerId?.lowercased() != c { w.problems.append("order \(order.id) names customer \(order.referenceCustomerId ?? "none")") }
                for line in order.lineItems ?? [] {
                    if let sid = line.subscriptionId, !ids.contains(sid.lowercased()) { w.problems.append("order \(order.id) line names subscription \(sid)") }
                    if try await !catalogItemResolves(line.offerId, token) { w.problems.append("order \(order.id) line offer \(line.offerId ?? "none") is not in the catalog") }
                }
            }
            try await indexEntitlements(customer.id, &w, token)
        }
        return w
    }

    func indexEntitlements(_ customer: String, _ w: inout WorldIndex, _ token: String) async throws {
        let c = customer.lowercased()
        for e in try await send(.GET, "/v1/customers/\(customer)/entitlements?showExpiry=true", token: token).decode(ResourceCollection<Entitlement>.self).items {
            w.entitlements.append((c, e))
            guard let oid = e.referenceOrder?.id?.lowercased(), let order = w.orders[c]?[oid] else {
                w.problems.append("entitlement of \(customer) names order \(e.referenceOrder?.id ?? "none"), which it has not"); continue
            }
            if e.referenceOrder?.alternateId != order.alternateId { w.problems.append("entitlement of order \(oid): alternateId differs") }
            if try await !resolves("/v1/products/\(e.productId ?? "")/skus/\(e.skuId ?? "")?country=US", token) {
                w.problems.append("entitlement of order \(oid): SKU \(e.productId ?? "")/\(e.skuId ?? "") is not in the catalog")
            }
            for artifact in e.entitledArtifacts ?? [] {
                guard let uri = artifact.link?.uri, let resource = artifact.resourceId, uri.hasSuffix("/" + resource) else {
                    w.problems.append("entitlement of order \(oid): artifact without a link ending in its resourceId"); continue
                }
                w.reservationOrders[c, default: []].insert(resource.lowercased())
                let details = try await send(.GET, "/v1" + uri, token: token).decode(ReservedInstanceArtifactDetails.self)
                for r in details.allReservations {
                    for scope in r.appliedScopes ?? [] where !(w.subscriptions[c] ?? []).contains(scope.replacingOccurrences(of: "/subscriptions/", with: "").lowercased()) {
                        w.problems.append("reservation \(r.reservationId ?? "?") applies to \(scope), not a subscription of \(customer)")
                    }
                }
            }
        }
    }

    /// Every line of every invoice but the generated scale one: customer, order, subscription,
    /// reservation order and catalog item all exist.
    func checkInvoiceLines(_ w: inout WorldIndex, _ token: String) async throws -> Int {
        var count = 0
        for invoice in try await send(.GET, "/v1/invoices", token: token).decode(ResourceCollection<Invoice>.self).items where invoice.id != "G100000001" {
            for detail in invoice.invoiceDetails ?? [] {
                let provider = detail.billingProvider?.wireValue == "one_time" ? "onetime" : (detail.billingProvider?.wireValue ?? "")
                let page = try await json("/v1/invoices/\(invoice.id)/lineitems?provider=\(provider)&invoicelineitemtype=billinglineitems&size=2000", token)
                guard case .object(let body) = page, case .array(let items)? = body["items"] else { continue }
                for case .object(let line) in items {
                    count += 1
                    checkLine(line, invoice: invoice.id, &w)
                    if case .string(let product)? = line["productId"], case .string(let sku)? = line["skuId"],
                       try await !resolves("/v1/products/\(product)/skus/\(sku)?country=US", token) {
                        w.problems.append("\(invoice.id): line names SKU \(product)/\(sku), not in the catalog")
                    }
                }
            }
        }
        return count
    }

    func checkLine(_ line: [String: JSONValue], invoice: String, _ w: inout WorldIndex) {
        func text(_ key: String) -> String? { if case .string(let s)? = line[key], !s.isEmpty { return s.lowercased() } else { return nil } }
        guard let c = text("customerId"), w.customers.contains(c) else { w.problems.append("\(invoice): line names customer \(text("customerId") ?? "none")"); return }
        if let o = text("orderId"), w.orders[c]?[o] == nil { w.problems.append("\(invoice): line names order \(o), not an order of \(c)") }
        if let s = text("subscriptionId"), !(w.subscriptions[c] ?? []).contains(s) { w.problems.append("\(invoice): line names subscription \(s), not one of \(c)") }
        if let r = text("reservationOrderId"), !(w.reservationOrders[c] ?? []).contains(r) { w.problems.append("\(invoice): line names reservation order \(r), not one of \(c)") }
    }
}

@Suite("The seeded world is one consistent Partner Center (issue 18, addendum §5.4)")
struct SeededWorldTests {
    @Test("every invoice line, order, entitlement, reservation and benefit subscription refers to objects that exist, for both partners")
    func everyReferenceResolves() async throws {
        try await withSandbox { h in
            for partner in 0..<2 {
                let token = try await h.token(partner: partner)
                var w = try await h.indexWorld(token)
                let lines = try await h.checkInvoiceLines(&w, token)
                for (c, benefit) in w.benefits {
                    if let o = benefit.orderId?.lowercased(), w.orders[c]?[o] == nil { w.problems.append("benefit \(benefit.id) names order \(o)") }
                    if let r = benefit.productOrderId?.lowercased(), !(w.reservationOrders[c] ?? []).contains(r) {
                        w.problems.append("benefit \(benefit.id) names reservation order \(r)")
                    }
                }
                #expect(lines >= 4 && !w.entitlements.isEmpty, "partner \(partner): \(lines) lines, \(w.entitlements.count) entitlements")
                let report = w.problems.joined(separator: "\n")
                #expect(w.problems.isEmpty, "partner \(partner):\n\(report)")
            }
        }
    }

    @Test("the seeded reservations: several types, one-time and monthly, auto-renew on and off, expiries from last year to 3 years ahead, some within 30, 60 and 90 days")
    func seededReservations() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            let w = try await h.indexWorld(token)
            let now = h.sandbox.clock.now
            let days = w.entitlements.compactMap { $0.entitlement.expiryDate }.map { Int(($0.timeIntervalSince(now) / 86400).rounded(.down)) }
            #expect(days.contains { $0 < -300 }, "one expired last year: \(days.sorted())")
            #expect(days.contains { $0 < 0 && $0 > -90 })
            #expect(days.contains { (0...30).contains($0) } && days.contains { (31...60).contains($0) } && days.contains { (61...90).contains($0) })
            #expect(days.contains { $0 > 2 * 365 }, "one three-year reservation far from its end")
            var types: Set<String> = []
            for (_, e) in w.entitlements {
                for a in e.entitledArtifacts ?? [] { if case .string(let t)? = a.dynamicAttributes?["reservationType"] { types.insert(t) } }
            }
            #expect(types.isSuperset(of: ["virtualmachines", "sqldatabases", "cosmosdb", "appservice"]), "\(types)")
            let cycles = Set(w.orders.values.flatMap(\.values).filter { $0.lineItems?.first?.offerId?.contains(":") == true }.compactMap(\.billingCycle))
            #expect(cycles.isSuperset(of: [.oneTime, .monthly]))
            let renew = Set(w.benefits.compactMap(\.subscription.autoRenewEnabled))
            #expect(renew == [true, false], "auto-renew on and off among the benefit subscriptions")
            // the partner's first customer is a clean slate
            let first = try #require(try await h.customers(token).first)
            #expect(w.orders[first.id.lowercased()]?.isEmpty == true)
        }
    }
}
