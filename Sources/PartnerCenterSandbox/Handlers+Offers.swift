import Foundation
import GRDB
import PartnerCenterModels

// A customer's first Azure subscription (addendum §1.1; the purchase guide's "get a list of offers
// for a market, create an order for a CSP Azure subscription, submit it, make sure it is
// fulfilled"): the legacy offers list and order, and the Azure plan in the catalog.
//
// What the sandbox does where the documents are silent (README, "Sandbox"):
// - `GET /offers?country=` lists MS-AZR-0145P ("Microsoft Azure", usage-based, quantity 1) in every market.
// - `POST /customers/{id}/orders` sells only MS-AZR-0145P, quantity 1, to a customer without an Azure
//   plan (an Azure plan and MS-AZR-0145P never share a customer); the order completes like a cart's
//   and its line then carries the new subscription's id (unregistered, active).
// - The Azure plan (`DZH318Z0BPS6:0001:DZH318Z0BML6`, `targetView=MicrosoftAzure`) is priced 0 and
//   billed monthly (usage); one per customer, never next to MS-AZR-0145P. Its checkout makes a
//   monthly order; on completion the plan exists (unregistered) with one active Azure subscription.

extension SandboxCatalog {
    /// The Azure plan product (`targetView=MicrosoftAzure`).
    static func planProduct(country: String) -> Product {
        product(id: AzureOffers.azurePlanProductId, title: "Azure plan",
                description: "The Azure plan: Azure subscriptions billed by usage under the Microsoft Customer Agreement.", subType: nil, country: country)
    }

    /// The Azure plan's one SKU: quantity 1, billed monthly (by usage), nothing to provision.
    static func planSku(country: String) -> Sku {
        var sku = sku(id: AzureOffers.azurePlanSkuId, productId: AzureOffers.azurePlanProductId, title: "Azure plan", description: "Azure plan",
                      quantity: 1...1, billing: [.monthly], prerequisites: ["MicrosoftCustomerAgreement"], country: country)
        sku.dynamicAttributes = ["isMicrosoftProduct": .bool(true)]
        return sku
    }

    /// The Azure plan's availability (the documented `DZH318Z0BML6`).
    static func planAvailability(country: String) -> Availability {
        availability(id: AzureOffers.azurePlanAvailabilityId, product: planProduct(country: country), sku: planSku(country: country),
                     terms: [], country: country)
    }

    /// The legacy offers of a market: MS-AZR-0145P.
    static func offers(country: String) -> [Offer] {
        var offer = Offer(id: AzureOffers.legacyOfferId)
        offer.name = "Microsoft Azure"
        offer.description = "Microsoft Azure (MS-AZR-0145P): an Azure subscription billed monthly by usage."
        offer.minimumQuantity = 1
        offer.maximumQuantity = 1
        offer.rank = 0
        offer.uri = OperationCatalog["offers.get"].link(["offer_id": offer.id], query: [("country", country)])
        offer.locale = "en-US"
        offer.country = country
        offer.category = OfferCategory(id: "Azure", name: "Azure")
        offer.prerequisiteOffers = []
        offer.isAddOn = false
        offer.isAvailableForPurchase = true
        offer.billing = "usage"
        offer.isAutoRenewable = false
        offer.product = OfferProduct(id: "Azure", name: "Microsoft Azure", unit: "Usage-based")
        offer.unitType = "Usage-based"
        offer.links = Links(["self": Link(uri: offer.uri!)])
        offer.attributes = ResourceAttributes(objectType: "Offer")
        return [offer]
    }
}

extension SandboxEngine {
    // MARK: offers

    func listOffers(_ request: RequestInfo) async throws -> SandboxResponse {
        let country = try await market(request)
        return .json(ResourceCollection(items: SandboxCatalog.offers(country: country), links: Links(["self": catalogSelf(request)])))
    }

    func getOffer(_ request: RequestInfo) async throws -> SandboxResponse {
        let country = try await market(request)
        guard let offer = SandboxCatalog.offers(country: country).first(where: { $0.id.caseInsensitiveCompare(request.param("offer_id")) == .orderedSame }) else {
            throw SandboxError.notFound(400013, "Offer '\(request.param("offer_id"))' not found for country \(country); the offers list of the market names them.")
        }
        return .json(offer)
    }

    // MARK: the customer's Azure subscriptions (rules shared by orders and carts)

    /// What the customer already has: its Azure plan (if any) and whether it has MS-AZR-0145P.
    func azureHoldings(_ db: Database, customerId: String) throws -> (plan: String?, legacy: String?) {
        let rows = try Row.fetchAll(db, sql: "SELECT id, kind FROM subscription WHERE customer_id = ? AND kind IN ('plan', 'legacy') AND status = 'active' ORDER BY seq",
                                    arguments: [customerId])
        return (rows.first { ($0["kind"] as String) == "plan" }?["id"], rows.first { ($0["kind"] as String) == "legacy" }?["id"])
    }

    /// Why an Azure plan line cannot be bought (addendum §1.1: never next to MS-AZR-0145P, one per
    /// customer), or nil; fills its zero pricing.
    func checkPlanLine(_ line: inout CartLineItem, customerId: String, db: Database) throws -> LineProblem? {
        let parts = (line.catalogItemId ?? "").split(separator: ":").map(String.init)
        guard parts.count == 3, parts[1].caseInsensitiveCompare(AzureOffers.azurePlanSkuId) == .orderedSame,
              parts[2].caseInsensitiveCompare(AzureOffers.azurePlanAvailabilityId) == .orderedSame else {
            return LineProblem(CartErrorCode.catalogItemIdIsNotValid, "Catalog item '\(line.catalogItemId ?? "")' is not valid; the Azure plan is \(AzureOffers.azurePlanCatalogItemId).")
        }
        line.pricing = Pricing(listPrice: 0, discountedPrice: 0, price: 0, extendedPrice: 0)
        guard line.quantity == 1 else { return LineProblem(CartErrorCode.invalidInput, "The Azure plan is bought with quantity 1.") }
        guard line.billingCycle == .monthly else {
            return LineProblem(CartErrorCode.billingPlanNotSupported, "The Azure plan is billed monthly (by usage); set billingCycle to monthly.")
        }
        let holdings = try azureHoldings(db, customerId: customerId)
        if let legacy = holdings.legacy {
            return LineProblem(CartErrorCode.unableToProcessCartLineItem, "An Azure plan cannot be created for a customer that has an MS-AZR-0145P subscription (\(legacy)); transition it with the product-upgrade APIs, or buy reservations on that subscription.")
        }
        if let plan = holdings.plan {
            return LineProblem(CartErrorCode.unableToProcessCartLineItem, "Customer \(customerId) already has an Azure plan (\(plan)); a customer has one Azure plan.")
        }
        return nil
    }

    // MARK: orders.create (legacy offers)

    /// `POST /customers/{id}/orders`: an order for MS-AZR-0145P (the only offer the sandbox sells by
    /// order). 201 with the pending order; it completes after the configured delay.
    func createOrder(_ request: RequestInfo) async throws -> SandboxResponse {
        let cid = request.param("customer_id")
        let country = try await customerCountry(cid)
        let input = try parseOrderBody(request.body)
        let seed = configuration.seed, lag = configuration.orderLag, completion = configuration.orderCompletionDelay
        return try await store.db.write { db in
            let holdings = try self.azureHoldings(db, customerId: cid)
            if let plan = holdings.plan {
                throw SandboxError.badInput("customer \(cid) has an Azure plan (\(plan)): MS-AZR-0145P cannot be added next to it; buy reservations under the plan.")
            }
            if let legacy = holdings.legacy {
                throw SandboxError.badInput("customer \(cid) already has an active MS-AZR-0145P subscription (\(legacy)); use it.")
            }
            var rng = try SandboxStore.nextRandom(db, seed: seed)
            let order = self.legacyOrder(input, customerId: cid, country: country, now: request.now, rng: &rng)
            let now = request.now.timeIntervalSince1970
            try db.execute(sql: "INSERT INTO orders VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", arguments: [
                order.id, cid, nil, now, now + lag, now + completion, "pending", order.billingCycle?.wireValue ?? "monthly",
                try Doc.encode(order), try Doc.encode([Pricing]()), "0", country])
            return .json(order, status: 201)
        }
    }

    /// The body of an order: one line for MS-AZR-0145P with quantity 1 (400 / 800002 otherwise).
    func parseOrderBody(_ body: Data) throws -> [OrderLineItem] {
        let value = try RequestBinding.parse(body)
        guard case .object(let object) = value, case .array(let items)? = object["lineItems"], !items.isEmpty else {
            throw SandboxError.badInput("the body must be an Order with lineItems (e.g. [{\"lineItemNumber\":0,\"offerId\":\"MS-AZR-0145P\",\"quantity\":1}]).")
        }
        for (index, item) in items.enumerated() {
            try RequestBinding.requireKind(item, ["object"], "lineItems[\(index)]")
            guard case .object(let line) = item else { continue }
            try RequestBinding.requireKind(line["offerId"], ["string"], "lineItems[\(index)].offerId")
            try RequestBinding.requireKind(line["quantity"], ["number"], "lineItems[\(index)].quantity")
            try RequestBinding.requireKind(line["friendlyName"], ["string"], "lineItems[\(index)].friendlyName")
        }
        let lines = try RequestBinding.decode([OrderLineItem].self, from: .array(items))
        for (index, line) in lines.enumerated() {
            guard AzureOffers.isLegacyAzure(line.offerId) else {
                throw SandboxError(status: 400, code: 400013, "lineItems[\(index)].offerId '\(line.offerId ?? "missing")' is not an offer the sandbox sells by order; use \(AzureOffers.legacyOfferId) (the market's offers list names them; the Azure plan is bought with a cart).")
            }
            guard (line.quantity ?? 1) == 1 else { throw SandboxError.badInput("lineItems[\(index)].quantity must be 1 for \(AzureOffers.legacyOfferId).") }
        }
        guard lines.count == 1 else { throw SandboxError.badInput("order one \(AzureOffers.legacyOfferId) subscription at a time (one line item).") }
        return lines
    }

    private func legacyOrder(_ input: [OrderLineItem], customerId cid: String, country: String, now: Date, rng: inout SplitMix64) -> Order {
        var order = Order(id: IDs.guid(&rng))
        order.referenceCustomerId = cid
        order.billingCycle = .monthly
        let currency = SandboxCatalog.currency(for: country)
        order.currencyCode = currency.code
        order.currencySymbol = currency.symbol
        order.lineItems = input.enumerated().map { number, line in
            var item = OrderLineItem(lineItemNumber: number, offerId: AzureOffers.legacyOfferId, quantity: 1)
            item.friendlyName = line.friendlyName ?? "Microsoft Azure"
            item.links = Links(["offer": Link(uri: OperationCatalog["offers.get"].link(["offer_id": AzureOffers.legacyOfferId], query: [("country", country)]))])
            return item
        }
        order.creationDate = now
        order.status = .pending
        order.transactionType = "UserPurchase"
        let ids = ["customer_id": cid, "order_id": order.id]
        order.links = Links(["self": Link(uri: OperationCatalog["orders.get"].link(ids)),
                             "provisioningStatus": Link(uri: OperationCatalog["orders.provisioning_status"].link(ids))])
        order.attributes = ResourceAttributes(objectType: "Order")
        return order
    }

    // MARK: fulfilment

    /// Fulfils an order line that buys an Azure subscription (MS-AZR-0145P, or the Azure plan with
    /// one active Azure subscription): the new subscription, unregistered and active. Returns its
    /// id, or nil when the line buys something else.
    func provisionAzureSubscription(_ db: Database, line: OrderLineItem, customerId: String, country: String, orderId: String,
                                    at date: Date, seed: UInt64, rng: inout SplitMix64) throws -> String? {
        let plan = AzureOffers.isAzurePlan(line.offerId)
        guard plan || AzureOffers.isLegacyAzure(line.offerId) else { return nil }
        var sub = Seeder.azureSubscription(customerId: customerId, country: country, offer: line.offerId ?? AzureOffers.legacyOfferId,
                                           name: plan ? "Azure plan" : (line.friendlyName ?? "Microsoft Azure"), created: date, rng: &rng)
        sub.orderId = orderId
        try appendSubscription(db, sub, customerId: customerId, kind: plan ? "plan" : "legacy")
        if plan { try Seeder.fillAzureEntitlements(db, seed: seed) }
        return sub.id
    }

    /// Adds a subscription a purchase made (active, unregistered) after the customer's others.
    func appendSubscription(_ db: Database, _ sub: Subscription, customerId: String, kind: String) throws {
        let seq = (try Int.fetchOne(db, sql: "SELECT MAX(seq) FROM subscription WHERE customer_id = ?", arguments: [customerId]) ?? -1) + 1
        try db.execute(sql: "INSERT INTO subscription VALUES(?,?,?,?,?,?,?,?)", arguments: [
            sub.id, customerId, seq, kind, "active", "NotRegistered", nil, try Doc.encode(sub)])
    }
}
