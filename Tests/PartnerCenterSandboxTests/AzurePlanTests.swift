import Foundation
import PartnerCenterModels
@testable import PartnerCenterSandbox
import Testing

/// The Azure plan's product id in its catalog item (`DZH318Z0BPS6:0001:…`, addendum §1.1).
let azurePlanProductId = "DZH318Z0BPS6"

extension Harness {
    /// Every subscription of the partner's customers, found through the API, with its customer id.
    func subscriptions(_ token: String) async throws -> [(customer: String, subscription: Subscription)] {
        var out: [(String, Subscription)] = []
        for customer in try await customers(token) {
            let result = try await send(.GET, "/v1/customers/\(customer.id)/subscriptions", token: token)
            out += try result.decode(ResourceCollection<Subscription>.self).items.map { (customer.id, $0) }
        }
        return out
    }

    /// The Azure entitlements of every Azure plan of the partner, by plan id, read through the API.
    func azureEntitlementsByPlan(_ token: String) async throws -> [String: [AzureEntitlement]] {
        var out: [String: [AzureEntitlement]] = [:]
        for (customer, subscription) in try await subscriptions(token) where subscription.isAzurePlan {
            let result = try await send(.GET, "/v1/customers/\(customer)/subscriptions/\(subscription.id)/azureEntitlements", token: token)
            try #require(result.status == 200, "\(subscription.id): \(result.status) \(result.text)")
            out[subscription.id] = try result.decode(ResourceCollection<AzureEntitlement>.self).items
        }
        return out
    }
}

extension Subscription {
    var isAzurePlan: Bool { offerId?.uppercased().hasPrefix(azurePlanProductId + ":") == true }
}

@Suite("Azure plans: the Azure subscriptions under them (azureEntitlements)")
struct AzurePlanTests {
    @Test("the seeded customers are on the Azure plan or on MS-AZR-0145P, never both; some have no Azure subscription; some are in excluded markets")
    func seededKinds() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            var kinds: [String: Set<String>] = [:]
            for customer in try await h.customers(token) { kinds[customer.id] = [] }
            for (customer, subscription) in try await h.subscriptions(token) {
                if subscription.isAzurePlan { kinds[customer, default: []].insert("plan") }
                if subscription.offerId == "MS-AZR-0145P" { kinds[customer, default: []].insert("legacy") }
            }
            #expect(kinds.values.filter { $0 == ["plan"] }.count >= 3)
            #expect(kinds.values.filter { $0 == ["legacy"] }.count >= 10)
            #expect(kinds.values.filter(\.isEmpty).count >= 1, "a customer with no Azure subscription")
            #expect(!kinds.values.contains { $0 == ["plan", "legacy"] }, "an Azure plan is not created beside an MS-AZR-0145P subscription")
            var excluded = 0
            for customer in try await h.customers(token) {
                let full = try await h.send(.GET, "/v1/customers/\(customer.id)", token: token).decode(Customer.self)
                if ["BR", "CN", "IN", "RU", "KR", "TW", "HK"].contains(full.country ?? "") { excluded += 1 }
            }
            #expect(excluded >= 7)
        }
    }

    @Test("every seeded Azure plan lists one active Azure subscription named Microsoft Azure, in the documented shape")
    func seededPlans() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            let all = try await h.subscriptions(token)
            let plans = all.filter { $0.subscription.isAzurePlan }
            #expect(plans.count >= 3, "the seed has Azure plans (\(plans.count))")
            var ids: Set<String> = []
            for (customer, plan) in plans {
                let result = try await h.send(.GET, "/v1/customers/\(customer)/subscriptions/\(plan.id)/azureEntitlements", token: token)
                #expect(result.status == 200, "\(result.text)")
                #expect(shapeMismatches(try #require(result.json), try golden("azure-entitlements")).isEmpty, "documented shape: \(result.text)")
                guard case .object(let envelope)? = result.json else { Issue.record("not an object"); continue }
                #expect(envelope["links"] == nil, "one page, no links, as documented")
                let list = try result.decode(ResourceCollection<AzureEntitlement>.self)
                #expect(list.totalCount == 1)
                let entitlement = try #require(list.items.first)
                #expect(entitlement.friendlyName == "Microsoft Azure")
                #expect(entitlement.status == .active)
                #expect(entitlement.subscriptionId == plan.id)
                #expect(UUID(uuidString: entitlement.id) != nil, "a GUID: \(entitlement.id)")
                #expect(entitlement.id.caseInsensitiveCompare(plan.id) != .orderedSame, "the Azure subscription is not the plan itself")
                #expect(entitlement.attributes == nil && entitlement.links == nil, "items carry no attributes and no links, like the sample")
                ids.insert(entitlement.id.lowercased())
            }
            #expect(ids.count == plans.count, "every plan has its own Azure subscription")
        }
    }

    @Test("the entitlement ids follow from the seed: the same seed gives the same ids, another seed others")
    func deterministic() async throws {
        var first: [String: [AzureEntitlement]] = [:], again: [String: [AzureEntitlement]] = [:], other: [String: [AzureEntitlement]] = [:]
        try await withSandbox({ $0.seed = 41 }) { h in first = try await h.azureEntitlementsByPlan(try await h.token()) }
        try await withSandbox({ $0.seed = 41 }) { h in again = try await h.azureEntitlementsByPlan(try await h.token()) }
        try await withSandbox({ $0.seed = 42 }) { h in other = try await h.azureEntitlementsByPlan(try await h.token()) }
        #expect(!first.isEmpty)
        #expect(first == again)
        let firstIds = Set(first.values.flatMap { $0.map(\.id) }), otherIds = Set(other.values.flatMap { $0.map(\.id) })
        #expect(firstIds.isDisjoint(with: otherIds))
    }

    @Test("routing is case-insensitive, App-only tokens are accepted, and the second partner's plans are its own")
    func routingAndAuth() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            let (customer, plan) = try #require(try await h.subscriptions(token).first { $0.subscription.isAzurePlan })
            let documented = try await h.send(.GET, "/v1/customers/\(customer)/subscriptions/\(plan.id)/azureEntitlements", token: token)
            let lower = try await h.send(.GET, "/v1/customers/\(customer)/subscriptions/\(plan.id)/azureentitlements", token: token)
            #expect(lower.status == 200)
            #expect(lower.body == documented.body)
            let appOnly = try await h.send(.GET, "/v1/customers/\(customer)/subscriptions/\(plan.id)/azureEntitlements", token: try await h.token(appUser: false))
            #expect(appOnly.status == 200, "App-only is allowed: \(appOnly.text)")
            #expect(appOnly.body == documented.body)
            #expect(h.sandbox.requestLog.entries.filter { $0.route == "subscriptions.azure_entitlements" }.count == 3)
            let stranger = try await h.send(.GET, "/v1/customers/\(customer)/subscriptions/\(plan.id)/azureEntitlements", token: try await h.token(partner: 1))
            #expect(stranger.status == 403)
            #expect(stranger.fault?.numericCode == 20002)
            let post = try await h.send(.POST, "/v1/customers/\(customer)/subscriptions/\(plan.id)/azureEntitlements", token: token)
            #expect(post.status == 405)
        }
    }

    @Test("a subscription that is not an Azure plan (MS-AZR-0145P, licence-based) answers 400 / 800002; an unknown one 404 / 20003")
    func notAPlan() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            let all = try await h.subscriptions(token)
            let legacy = try #require(all.first { $0.subscription.offerId == "MS-AZR-0145P" })
            let licence = try #require(all.first { $0.subscription.unitType == "Licenses" })
            for (customer, subscription) in [legacy, licence] {
                let result = try await h.send(.GET, "/v1/customers/\(customer)/subscriptions/\(subscription.id)/azureEntitlements", token: token)
                #expect(result.status == 400, "\(subscription.offerId ?? ""): \(result.status) \(result.text)")
                #expect(result.fault?.numericCode == 800002)
                #expect(result.fault?.description?.contains("is not an Azure plan") == true, "\(result.text)")
                #expect(result.fault?.description?.contains(subscription.offerId ?? "?") == true, "names the offer: \(result.text)")
            }
            let unknown = try await h.send(.GET, "/v1/customers/\(legacy.customer)/subscriptions/\(UUID().uuidString)/azureEntitlements", token: token)
            #expect(unknown.status == 404)
            #expect(unknown.fault?.numericCode == 20003)
            let noCustomer = try await h.send(.GET, "/v1/customers/\(UUID().uuidString)/subscriptions/\(legacy.subscription.id)/azureEntitlements", token: token)
            #expect(noCustomer.status == 404)
            #expect(noCustomer.fault?.numericCode == 60003)
        }
    }

    @Test("a database seeded by an earlier version (no azure_entitlement table) gets the same Azure subscriptions when reused")
    func earlierDatabase() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pcx-sandbox-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        var fresh: [String: [AzureEntitlement]] = [:]
        try await withSandbox({ $0.seed = 7 }) { h in fresh = try await h.azureEntitlementsByPlan(try await h.token()) }
        var cartPath = ""
        try await withSandbox({ $0.storage = .file(path); $0.seed = 7 }) { h in
            // state the earlier version's user left behind, which must survive the upgrade
            let token = try await h.token()
            let customer = try #require(try await h.customers(token).first)
            let cart = try await h.send(.POST, "/v1/customers/\(customer.id)/carts", body: #"{"lineItems":[{"catalogItemId":"x","quantity":1,"billingCycle":"one_time"}]}"#, token: token).decode(Cart.self)
            cartPath = "/v1/customers/\(customer.id)/carts/\(cart.id!)"
        }
        // what a version without Azure entitlements left: the same seeded data, without the table
        try SandboxStore.execute("DROP TABLE azure_entitlement; DELETE FROM meta WHERE key = '\(Seeder.azureEntitlementsMetaKey)'", inDatabaseAt: path)
        try await withSandbox({ $0.storage = .file(path); $0.seed = 999 }) { h in
            let token = try await h.token()
            let cart = try await h.send(.GET, cartPath, token: token)
            #expect(cart.status == 200, "reused, not reseeded")
            let upgraded = try await h.azureEntitlementsByPlan(token)
            #expect(!upgraded.isEmpty)
            #expect(upgraded == fresh, "filled from the seed the file was made with (7), not the configured one (999)")
        }
        try await withSandbox({ $0.storage = .file(path) }) { h in
            let later = try await h.azureEntitlementsByPlan(try await h.token())
            #expect(later == fresh, "filled once: a later start adds nothing")
        }
    }
}

/// Azure-plan cart lines (addendum §1.6): shared scope names the plan, single scope an Azure
/// subscription under it; each mistake is answered with its documented code (§1.8).
@Suite("Azure-plan reservations: provisioning context and errors 900312-900318")
struct AzurePlanCartTests {
    struct PlanCustomer {
        let token: String
        let customer: String
        let plan: String
        let azureSubscription: String
        let item: String
    }

    /// An allowed-market customer with an Azure plan, the plan registered, its Azure subscription
    /// and an Azure-plan catalog item.
    func planCustomer(_ h: Harness) async throws -> PlanCustomer {
        let token = try await h.token()
        let (_, item) = try await h.catalogItem(azurePlan: true, token: token)
        for (customer, plan) in try await h.subscriptions(token) where plan.isAzurePlan {
            let full = try await h.send(.GET, "/v1/customers/\(customer)", token: token).decode(Customer.self)
            guard full.country == "US" || full.country == "GB" || full.country == "DE" || full.country == "FR" else { continue }
            let register = try await h.send(.POST, "/v1/customers/\(customer)/subscriptions/\(plan.id)/registrations", token: token)
            try #require([200, 201, 202].contains(register.status), "\(register.text)")
            let entitlements = try await h.send(.GET, "/v1/customers/\(customer)/subscriptions/\(plan.id)/azureEntitlements", token: token)
                .decode(ResourceCollection<AzureEntitlement>.self).items
            let azure = try #require(entitlements.first { $0.status == .active })
            return PlanCustomer(token: token, customer: customer, plan: plan.id, azureSubscription: azure.id, item: item)
        }
        throw HarnessError(message: "no Azure-plan customer in an allowed market")
    }

    func line(_ p: PlanCustomer, _ context: String) -> String {
        """
        {"lineItems": [{"id": 0, "catalogItemId": "\(p.item)", "quantity": 1, "billingCycle": "one_time", "termDuration": "P1Y",
          "provisioningContext": {\(context)}}]}
        """
    }

    func lineError(_ h: Harness, _ p: PlanCustomer, _ context: String) async throws -> CartError? {
        let result = try await h.send(.POST, "/v1/customers/\(p.customer)/carts", body: line(p, context), token: p.token)
        try #require(result.status == 201, "\(result.text)")
        return try result.decode(Cart.self).lineItems?.first?.error
    }

    @Test("shared scope with the plan id and single scope with an Azure subscription under it are valid, and are bought")
    func validContexts() async throws {
        try await withSandbox({ $0.registrationDelay = 0; $0.orderCompletionDelay = 0 }) { h in
            let p = try await planCustomer(h)
            #expect(try await lineError(h, p, #""scope": "shared", "subscriptionId": "\#(p.plan)", "duration": "1Year""#) == nil)
            #expect(try await lineError(h, p, #""Scope": "Single", "EntitlementId": "\#(p.azureSubscription)""#) == nil)
            let cart = try await h.send(.POST, "/v1/customers/\(p.customer)/carts",
                                        body: line(p, #""scope": "single", "entitlementId": "\#(p.azureSubscription)""#), token: p.token).decode(Cart.self)
            let checkout = try await h.send(.POST, "/v1/customers/\(p.customer)/carts/\(cart.id ?? "")/checkout", token: p.token)
            #expect(checkout.status == 201 || checkout.status == 200, "\(checkout.text)")
            #expect(checkout.text.contains(p.azureSubscription), "the order line echoes the provisioning context: \(checkout.text)")
        }
    }

    @Test("each documented mistake gets its own code at cart time, and the same code at checkout")
    func errors() async throws {
        try await withSandbox({ $0.registrationDelay = 0 }) { h in
            let p = try await planCustomer(h)
            let cases: [(String, Int, String)] = [
                (#""scope": "resourcegroup", "subscriptionId": "\#(p.plan)""#, 900312, "The selected scope 'resourcegroup'"),
                (#""scope": "single", "subscriptionId": "\#(p.plan)""#, 900313, "Entitlement ID (Azure subscription ID)"),
                (#""scope": "shared""#, 900317, "Subscription ID (Azure plan ID)"),
                (#""scope": "shared", "subscriptionId": "\#(UUID().uuidString)""#, 900318, "The Azure plan associated with the subscription ID was not found"),
                (#""scope": "single", "entitlementId": "\#(UUID().uuidString)""#, 900315, "not eligible for purchase using the provided Azure subscription"),
            ]
            for (context, code, text) in cases {
                let error = try await lineError(h, p, context)
                #expect(error?.errorCode == code, "\(context): \(String(describing: error))")
                #expect(error?.errorDescription?.contains(text) == true, "\(context): \(String(describing: error?.errorDescription))")
                let cart = try await h.send(.POST, "/v1/customers/\(p.customer)/carts", body: line(p, context), token: p.token).decode(Cart.self)
                let checkout = try await h.send(.POST, "/v1/customers/\(p.customer)/carts/\(cart.id ?? "")/checkout", token: p.token)
                #expect(checkout.status == 400, "\(checkout.text)")
                #expect(checkout.text.contains("\"code\":\"\(code)\"") || checkout.text.contains("\"code\":\(code)"), "\(checkout.text)")
            }
            // an Azure subscription that is no longer active: 900314
            try await h.sandbox.engine.store.db.write { db in
                try db.execute(sql: "UPDATE azure_entitlement SET status = 'inactive' WHERE id = ?", arguments: [p.azureSubscription])
            }
            #expect(try await lineError(h, p, #""scope": "single", "entitlementId": "\#(p.azureSubscription)""#)?.errorCode == 900314)
            // and a plan without any active Azure subscription: 900318
            #expect(try await lineError(h, p, #""scope": "shared", "subscriptionId": "\#(p.plan)""#)?.errorCode == 900318)
        }
    }
}

/// Monthly billing (addendum §1.7): Azure-plan reservation SKUs offer it, MS-AZR-0145P ones do not.
@Suite("Azure-plan reservations: monthly billing")
struct MonthlyBillingTests {
    @Test("AzurePlan SKUs list monthly; a monthly line is priced per month, ordered as a monthly order, listed with billingType=monthly, charged with BillingFrequency Monthly every month of its term; 0145P refuses it with 10013")
    func monthly() async throws {
        try await withSandbox({ $0.registrationDelay = 0; $0.orderCompletionDelay = 0; $0.orderLag = 0 }) { h in
            let p = try await AzurePlanCartTests().planCustomer(h)
            let planSkus = try await h.send(.GET, "/v1/products/DZH318Z0BQ3Q/skus?country=US&reservationScope=AzurePlan", token: p.token)
                .decode(ResourceCollection<Sku>.self)
            #expect(!planSkus.items.isEmpty && planSkus.items.allSatisfy { $0.supportedBillingCycles == [.oneTime, .monthly] })
            let plainSkus = try await h.send(.GET, "/v1/products/DZH318Z0BQ3Q/skus?country=US", token: p.token).decode(ResourceCollection<Sku>.self)
            #expect(plainSkus.items.allSatisfy { $0.supportedBillingCycles == [.oneTime] })

            let body = """
            {"lineItems": [{"id": 0, "catalogItemId": "\(p.item)", "quantity": 2, "billingCycle": "monthly", "termDuration": "P1Y",
              "provisioningContext": {"scope": "shared", "subscriptionId": "\(p.plan)"}}]}
            """
            let cart = try await h.send(.POST, "/v1/customers/\(p.customer)/carts", body: body, token: p.token).decode(Cart.self)
            let line = try #require(cart.lineItems?.first)
            #expect(line.error == nil, "\(String(describing: line.error))")
            let catalog = SandboxCatalog()
            let parts = p.item.split(separator: ":").map(String.init)
            let sku = try #require(catalog.sku(parts[0], parts[1]))
            let country = try await h.send(.GET, "/v1/customers/\(p.customer)", token: p.token).decode(Customer.self).country ?? "US"
            #expect(line.pricing?.price == catalog.monthlyPrice(sku, country: country))
            #expect(line.pricing?.extendedPrice == catalog.monthlyPrice(sku, country: country) * 2)

            let checkout = try await h.send(.POST, "/v1/customers/\(p.customer)/carts/\(cart.id ?? "")/checkout", token: p.token)
            let order = try #require(try checkout.decode(CartCheckoutResult.self).orders?.first)
            #expect(order.billingCycle == .monthly)
            let monthlyOrders = try await h.send(.GET, "/v1/customers/\(p.customer)/orders?billingType=monthly", token: p.token).decode(ResourceCollection<Order>.self)
            #expect(monthlyOrders.items.map(\.id).contains(order.id))
            let oneTime = try await h.send(.GET, "/v1/customers/\(p.customer)/orders?billingType=onetime", token: p.token).decode(ResourceCollection<Order>.self)
            #expect(!oneTime.items.map(\.id).contains(order.id))
            _ = try await h.send(.GET, "/v1/customers/\(p.customer)/orders/\(order.id)", token: p.token)
            let charges = try await h.sandbox.engine.store.db.read { db in
                try String.fetchAll(db, sql: "SELECT doc FROM invoice_line WHERE doc LIKE ?", arguments: ["%\(order.id)%"])
            }
            #expect(charges.count == 1, "the first month is charged once the order completes")
            #expect(charges.first?.contains("\"billingFrequency\":\"Monthly\"") == true, "\(charges)")

            // the later months: one cycleCharge at the start of each, on that month's one-time invoice, 12 in all
            func monthCharges() async throws -> [OneTimeInvoiceLineItem] {
                let fresh = try await h.token()   // the clock moved past the old token's expiry
                let read = try await h.send(.GET, "/v1/customers/\(p.customer)/orders/\(order.id)", token: fresh)   // applies what is due
                #expect(read.status == 200, "\(read.text)")
                return try await h.sandbox.engine.store.db.read { db in
                    try String.fetchAll(db, sql: "SELECT doc FROM invoice_line WHERE doc LIKE ? ORDER BY rowid", arguments: ["%\(order.id)%"])
                }.map { try Doc.decode(OneTimeInvoiceLineItem.self, $0) }.sorted { ($0.chargeStartDate ?? .distantPast) < ($1.chargeStartDate ?? .distantPast) }
            }
            h.sandbox.clock.advance(by: 40 * 86400)
            let two = try await monthCharges()
            #expect(two.map(\.chargeType) == ["New", "cycleCharge"], "\(two.map(\.chargeType))")
            #expect(two.allSatisfy { $0.billingFrequency == "Monthly" && $0.totalForCustomer == two[0].totalForCustomer })
            let calendar = SandboxEngine.utc
            #expect(two[1].chargeStartDate == calendar.date(byAdding: .month, value: 1, to: two[0].chargeStartDate!))
            let invoice = try #require(two[1].invoiceNumber)
            let listed = try await h.send(.GET, "/v1/invoices/\(invoice)/lineitems?provider=onetime&invoicelineitemtype=billinglineitems&size=2000", token: try await h.token())
            #expect(listed.text.contains(order.id) && listed.text.contains("cycleCharge"), "\(invoice)")
            h.sandbox.clock.advance(by: 400 * 86400)
            let year = try await monthCharges()
            #expect(year.count == 12, "a one-year monthly plan is charged 12 times")
            // the months add up to the one-time price exactly (the last month takes what is left)
            #expect(year.reduce(Decimal(0)) { $0 + ($1.totalForCustomer ?? 0) } == catalog.price(sku, country: country).0 * 2,
                    "\(year.map { $0.totalForCustomer ?? 0 })")
            h.sandbox.clock.advance(by: 100 * 86400)
            #expect(try await monthCharges().count == 12, "and never more")

            let later = try await h.token()
            let (_, legacyItem) = try await h.catalogItem(token: later)
            let legacyBody = body.replacingOccurrences(of: p.item, with: legacyItem)
            let refused = try await h.send(.POST, "/v1/customers/\(p.customer)/carts", body: legacyBody, token: later).decode(Cart.self)
            #expect(refused.lineItems?.first?.error?.errorCode == 10013, "\(String(describing: refused.lineItems?.first?.error))")
        }
    }
}
