import Foundation
import GRDB
import PartnerCenterModels

/// The catalog's products that are not reservations: the Azure plan and the Azure savings plan.
/// Each answers the product, SKU and availability routes by id (404 for an unknown SKU or
/// availability, with the documented codes).
enum SpecialProduct: Sendable {
    case azurePlan
    case savingsPlan

    /// The special product a request's `product_id` names, if any.
    static func named(_ id: String) -> SpecialProduct? {
        if id.caseInsensitiveCompare(AzureOffers.azurePlanProductId) == .orderedSame { return .azurePlan }
        if id.caseInsensitiveCompare(AzureOffers.savingsPlanProductId) == .orderedSame { return .savingsPlan }
        return nil
    }

    func product(country: String) -> Product {
        switch self {
        case .azurePlan: return SandboxCatalog.planProduct(country: country)
        case .savingsPlan: return SandboxCatalog.savingsPlanProduct(country: country)
        }
    }

    func skus(country: String) -> [Sku] {
        switch self {
        case .azurePlan: return [SandboxCatalog.planSku(country: country)]
        case .savingsPlan: return [1, 3].map { SandboxCatalog.savingsPlanSku(years: $0, country: country) }
        }
    }

    func availabilities(skuId: String, country: String) -> [Availability]? {
        switch self {
        case .azurePlan:
            guard skuId.caseInsensitiveCompare(AzureOffers.azurePlanSkuId) == .orderedSame else { return nil }
            return [SandboxCatalog.planAvailability(country: country)]
        case .savingsPlan:
            guard let years = SandboxCatalog.savingsPlanYears(skuId: skuId) else { return nil }
            return [SandboxCatalog.savingsPlanAvailability(years: years, country: country)]
        }
    }
}

extension SandboxEngine {
    /// The special product of a catalog request, or nil. On a customer route the savings plan is
    /// visible only to a customer with an active Azure plan (addendum §1.4): 404 / 400013 otherwise.
    func specialProduct(_ request: RequestInfo) async throws -> SpecialProduct? {
        guard let special = SpecialProduct.named(request.param("product_id")) else { return nil }
        let cid = request.param("customer_id")
        if special == .savingsPlan, !cid.isEmpty, try await store.db.read({ try self.azureHoldings($0, customerId: cid).plan }) == nil {
            throw SandboxError.notFound(400013, "Product '\(request.param("product_id"))' not found: Azure savings plans are shown only to customers with an Azure plan.")
        }
        return special
    }

    /// Answers the catalog routes for a special product: product, SKUs, one SKU, availabilities, one availability.
    func specialCatalog(_ special: SpecialProduct, _ request: RequestInfo, country: String, route: String) throws -> SandboxResponse {
        let selfLink = Links(["self": catalogSelf(request)])
        let skuId = request.param("sku_id")
        switch route {
        case "product": return .json(special.product(country: country))
        case "skus": return .json(ResourceCollection(items: special.skus(country: country), links: selfLink))
        default: break
        }
        if route == "sku" {
            guard let sku = special.skus(country: country).first(where: { $0.id.caseInsensitiveCompare(skuId) == .orderedSame }) else {
                throw SandboxError.notFound(400018, "SKU '\(skuId)' not found for product \(request.param("product_id")).")
            }
            return .json(sku)
        }
        guard let availabilities = special.availabilities(skuId: skuId, country: country) else {
            throw SandboxError.notFound(400018, "SKU '\(skuId)' not found for product \(request.param("product_id")).")
        }
        if route == "availabilities" { return .json(ResourceCollection(items: availabilities, links: selfLink)) }
        let id = request.param("availability_id")
        guard let one = availabilities.first(where: { $0.id.caseInsensitiveCompare(id) == .orderedSame }) else {
            throw SandboxError.notFound(400019, "Availability '\(id)' not found for \(request.param("product_id"))/\(skuId); list the SKU's availabilities again.")
        }
        return .json(one)
    }
}

// MARK: the Azure savings plan for compute (addendum §1.4, §1.5, §1.8)

extension SandboxCatalog {
    static func savingsPlanYears(skuId: String) -> Int? {
        switch skuId.uppercased() {
        case "0001": return 1
        case "0002": return 3
        default: return nil
        }
    }

    static func savingsPlanProduct(country: String) -> Product {
        product(id: AzureOffers.savingsPlanProductId, title: "Azure savings plan",
                description: "Flexible pricing: lower prices than pay-as-you-go in exchange for an hourly commitment on compute for 1 or 3 years.",
                subType: AzureOffers.savingsPlanSubType, country: country)
    }

    static func savingsPlanSku(years: Int, country: String) -> Sku {
        let title = "Compute savings plan, \(years == 1 ? "1 Year" : "3 Years")"
        var sku = sku(id: years == 1 ? "0001" : "0002", productId: AzureOffers.savingsPlanProductId, title: title, description: title,
                      quantity: 1...1, billing: [.oneTime, .monthly], prerequisites: ["MicrosoftCloudAgreement"], country: country)
        let currency = currency(for: country)
        sku.minimumPurchaseCommitment = MinimumPurchaseCommitment(grain: "Hourly", currencyCode: CurrencyInfo(code: currency.code, symbol: currency.symbol),
                                                                  amount: "0.001")
        sku.actions = ["Refund"]
        sku.dynamicAttributes = ["isMicrosoftProduct": .bool(true), "armSkuName": .string(AzureOffers.savingsPlanArmSkuName),
                                 "duration": .string(years == 1 ? "1year" : "3years"), "termDuration": .string("P\(years)Y"), "internal": .bool(false)]
        return sku
    }

    static func savingsPlanAvailabilityId(years: Int) -> String {
        availabilityId(productId: AzureOffers.savingsPlanProductId, skuId: years == 1 ? "0001" : "0002", azurePlan: true)
    }

    static func savingsPlanAvailability(years: Int, country: String) -> Availability {
        availability(id: savingsPlanAvailabilityId(years: years), product: savingsPlanProduct(country: country),
                     sku: savingsPlanSku(years: years, country: country),
                     terms: [AvailabilityTerm(duration: "P\(years)Y", description: years == 1 ? "1year" : "3years")], country: country)
    }

    /// The price of a commitment over `years` (one-time) or a month of it (monthly), rounded to the
    /// market's currency: hourly amount × 8760 hours a year (the documented sample: 0.05 → 438.0).
    static func savingsPlanPrice(hourly: Decimal, years: Int, monthly: Bool, country: String) -> Decimal {
        let term = hourly * Decimal(AzureOffers.hoursPerYear * years)
        return Money.round(monthly ? term / Decimal(12 * years) : term, places: currency(for: country).places)
    }
}

extension SpecialProduct {
    /// True when a catalog item id is the savings plan's (any SKU or availability, any case).
    static func isSavingsPlan(_ catalogItemId: String?) -> Bool {
        catalogItemId?.uppercased().hasPrefix(AzureOffers.savingsPlanProductId + ":") == true
    }
}

extension SandboxEngine {
    /// A savings plan line (addendum §1.5, §1.6, §1.8): its SKU and availability, quantity 1, a
    /// billing plan the SKU lists, an hourly `purchaseCommitment` in the market's currency of at
    /// least the SKU's minimum (0.001, at most 3 decimals), the provisioning context of an Azure plan
    /// (900312–900318; no registration needed), and no partner of record other than the plan's
    /// (900323). Fills its pricing: the commitment over the term, or a month of it.
    func checkSavingsPlanLine(_ line: inout CartLineItem, country: String, customerId: String, db: Database) throws -> LineProblem? {
        let parts = (line.catalogItemId ?? "").split(separator: ":").map(String.init)
        guard parts.count == 3, let years = SandboxCatalog.savingsPlanYears(skuId: parts[1]),
              parts[2].caseInsensitiveCompare(SandboxCatalog.savingsPlanAvailabilityId(years: years)) == .orderedSame else {
            return LineProblem(CartErrorCode.catalogItemIdIsNotValid, "Catalog item '\(line.catalogItemId ?? "")' is not valid; take catalogItemId from a current availability of the savings plan.")
        }
        if line.termDuration == nil { line.termDuration = "P\(years)Y" }
        if let problem = savingsPlanShape(line, years: years, country: country) { return problem }
        let hourly = line.purchaseCommitment?.amount ?? 0
        let unit = SandboxCatalog.savingsPlanPrice(hourly: hourly, years: years, monthly: line.billingCycle == .monthly, country: country)
        line.pricing = Pricing(listPrice: unit, discountedPrice: unit, proratedPrice: unit, price: unit, extendedPrice: unit)
        let context = line.provisioningContext ?? [:]
        guard let scope = context["scope"], ["single", "shared"].contains(scope.lowercased()) else {
            return LineProblem(CartErrorCode.scopeNotSupported, "The selected scope '\(context["scope"] ?? "")' in the provisioning context is not supported. Use single or shared.")
        }
        if let problem = try checkPlanProvisioning(context, single: scope.lowercased() == "single", customerId: customerId, db: db, registration: false) {
            return problem
        }
        return try partnerOfRecordProblem(line, customerId: customerId, db: db)
    }

    /// Quantity, billing plan, term and commitment of a savings plan line.
    private func savingsPlanShape(_ line: CartLineItem, years: Int, country: String) -> LineProblem? {
        guard line.quantity == 1 else { return LineProblem(CartErrorCode.invalidInput, "An Azure savings plan is bought with quantity 1; the commitment sets its size.") }
        guard line.billingCycle == .oneTime || line.billingCycle == .monthly else {
            return LineProblem(CartErrorCode.billingPlanNotSupported, "billingCycle '\(line.billingCycle?.wireValue ?? "missing")' is not supported; use one_time or monthly.")
        }
        guard SandboxEngine.years(line.termDuration) == years else {
            return LineProblem(CartErrorCode.invalidInput, "termDuration '\(line.termDuration ?? "")' does not match the SKU's term (P\(years)Y).")
        }
        guard let commitment = line.purchaseCommitment, let amount = commitment.amount else {
            return LineProblem(CartErrorCode.invalidInput, "purchaseCommitment {amount, grain, currency} is required for an Azure savings plan.")
        }
        guard commitment.grain?.lowercased() == "hourly" else {
            return LineProblem(CartErrorCode.invalidInput, "purchaseCommitment.grain '\(commitment.grain ?? "missing")' is not supported; use hourly.")
        }
        let currency = SandboxCatalog.currency(for: country).code
        guard commitment.currency?.uppercased() == currency else {
            return LineProblem(CartErrorCode.currencyIsNotSupported, "purchaseCommitment.currency '\(commitment.currency ?? "missing")' is not the market's currency (\(currency)).")
        }
        guard amount >= Decimal(string: "0.001")!, amount <= 1_000_000, Money.round(amount, places: 3) == amount else {
            return LineProblem(CartErrorCode.invalidInput, "purchaseCommitment.amount \(amount) must be from 0.001 to 1000000 with at most 3 decimals (the SKU's minimumPurchaseCommitment is 0.001 an hour).")
        }
        return nil
    }

    /// 900323: a savings plan inherits the Azure plan's partner of record; a different one given
    /// as a participant is refused.
    private func partnerOfRecordProblem(_ line: CartLineItem, customerId: String, db: Database) throws -> LineProblem? {
        guard let given = line.participants?.first(where: { ($0.key ?? "").lowercased().contains("reseller") || ($0.key ?? "").lowercased().contains("partner") })?.value else {
            return nil
        }
        let planId = try azureHoldings(db, customerId: customerId).plan
        let doc = try planId.flatMap { try String.fetchOne(db, sql: "SELECT doc FROM subscription WHERE id = ?", arguments: [$0]) }
        let onPlan = try doc.map { try Doc.decode(Subscription.self, $0) }?.partnerId ?? ""
        guard given.caseInsensitiveCompare(onPlan) != .orderedSame else { return nil }
        return LineProblem(CartErrorCode.partnerOfRecordMismatch, "Azure savings plan purchases will inherit the partner on record of the associated Azure Plan. The provided partner on record does not match the value (\(onPlan.isEmpty ? "none" : onPlan)) on the associated Azure Plan.")
    }

    /// Fulfils a savings plan order line: a benefit subscription (`unitType` Benefit, `billingType`
    /// benefit) carrying the scope and commitment, with a new `productOrderId`. Returns its id, or
    /// nil when the line buys something else.
    func provisionSavingsPlan(_ db: Database, line: OrderLineItem, order: Order, customerId: String, at date: Date,
                              rng: inout SplitMix64) throws -> String? {
        guard SpecialProduct.isSavingsPlan(line.offerId) else { return nil }
        let benefit = BenefitPurchase(productOrderId: IDs.guid(&rng), subType: AzureOffers.savingsPlanSubType, autoRenew: line.renewsTo != nil)
        return try addBenefitSubscription(db, line: line, order: order, customerId: customerId, at: date, benefit: benefit, rng: &rng)
    }

    /// What a benefit subscription records about its purchase.
    struct BenefitPurchase {
        /// The reservation order or savings plan order id.
        let productOrderId: String
        /// `productType.subType.id` (`SavingsPlan`, `VirtualMachines`, ...).
        let subType: String
        let autoRenew: Bool
    }

    /// The benefit subscription of a new-commerce purchase (addendum §1.7: `unitType` Benefit,
    /// `billingType` benefit, `productOrderId`, `lineItems` with the scope and any commitment,
    /// `autoRenewEnabled`), made for Azure savings plans and Azure-plan reservations. Returns its id.
    func addBenefitSubscription(_ db: Database, line: OrderLineItem, order: Order, customerId: String, at date: Date,
                                benefit: BenefitPurchase, rng: inout SplitMix64) throws -> String {
        let years = SandboxEngine.years(line.termDuration) ?? 1
        var sub = Subscription(id: IDs.guid(&rng).uppercased())
        sub.offerId = line.offerId
        sub.offerName = line.friendlyName ?? benefit.subType
        sub.friendlyName = sub.offerName
        sub.quantity = line.quantity ?? 1
        sub.unitType = "Benefit"
        sub.billingType = "benefit"
        sub.billingCycle = order.billingCycle
        sub.termDuration = line.termDuration
        sub.creationDate = date
        sub.effectiveStartDate = date
        sub.commitmentEndDate = addingYears(years, to: date)
        sub.status = .active
        sub.autoRenewEnabled = benefit.autoRenew
        sub.orderId = order.id
        sub.productOrderId = benefit.productOrderId
        sub.productType = ItemType(id: "Azure", displayName: "Azure", subType: ItemType(id: benefit.subType, displayName: benefit.subType))
        let context = line.provisioningContext ?? [:]
        var item = SubscriptionLineItem(id: IDs.guid(&rng))
        item.friendlyName = sub.friendlyName
        item.scope = (context["scope"] ?? "").lowercased() == "single"
            ? ["type": "Single", "entitlementId": context["entitlementId"] ?? ""] : ["type": "Shared", "subscriptionId": context["subscriptionId"] ?? ""]
        item.autoRenewEnabled = benefit.autoRenew
        item.status = "active"
        item.purchaseCommitment = line.purchaseCommitment
        sub.lineItems = [item]
        sub.links = Links(["self": Link(uri: OperationCatalog["subscriptions.get"].link(["customer_id": customerId, "subscription_id": sub.id]))])
        sub.attributes = ResourceAttributes(objectType: "Subscription")
        try appendSubscription(db, sub, customerId: customerId, kind: "benefit")
        return sub.id
    }
}
