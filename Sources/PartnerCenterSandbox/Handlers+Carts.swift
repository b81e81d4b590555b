import Foundation
import GRDB
import PartnerCenterModels

extension SandboxEngine {
    /// Parses and type-checks a cart body (create or update): 400 / 800002 for shape problems.
    func parseCartBody(_ body: Data) throws -> Cart {
        let value = try RequestBinding.parse(body)
        guard case .object(let object) = value else { throw SandboxError.badInput("the body must be a JSON Cart object with lineItems.") }
        guard let lines = object["lineItems"], lines != .null else { throw SandboxError.badInput("lineItems is required and must contain at least one line item.") }
        try RequestBinding.requireKind(lines, ["array"], "lineItems")
        guard case .array(let items) = lines, !items.isEmpty else { throw SandboxError.badInput("lineItems must contain at least one line item.") }
        for (index, item) in items.enumerated() {
            let path = "lineItems[\(index)]"
            try RequestBinding.requireKind(item, ["object"], path)
            guard case .object(let line) = item else { continue }
            try RequestBinding.requireKind(line["id"], ["number"], path + ".id")
            try RequestBinding.requireKind(line["catalogItemId"], ["string"], path + ".catalogItemId")
            try RequestBinding.requireKind(line["quantity"], ["number"], path + ".quantity")
            try RequestBinding.requireKind(line["billingCycle"], ["string", "number"], path + ".billingCycle")
            try RequestBinding.requireKind(line["termDuration"], ["string"], path + ".termDuration")
            try RequestBinding.requireKind(line["friendlyName"], ["string"], path + ".friendlyName")
            try RequestBinding.requireKind(line["provisioningContext"], ["object"], path + ".provisioningContext")
            if case .object(let context)? = line["provisioningContext"] {
                for (key, entry) in context { try RequestBinding.requireKind(entry, ["string"], path + ".provisioningContext." + key) }
            }
        }
        return try RequestBinding.decode(Cart.self, from: value)
    }

    static func years(_ text: String?) -> Int? {
        guard let text else { return nil }
        switch text.lowercased() {
        case "p1y", "1year", "1years": return 1
        case "p3y", "3year", "3years": return 3
        default: return nil
        }
    }

    /// Validates one line and fills server fields (currency, order group, pricing, error).
    func validateLine(_ input: CartLineItem, index: Int, customerId: String, country: String, db: Database) throws -> CartLineItem {
        var line = input
        line.id = input.id ?? index
        line.error = nil
        line.pricing = nil
        if let context = input.provisioningContext {
            line.provisioningContext = Dictionary(context.map { (RequestBinding.canonical($0.key), $0.value) }, uniquingKeysWith: { a, _ in a })
        }
        line.currencyCode = SandboxCatalog.currency(for: country).code
        switch line.billingCycle {
        case .oneTime?, nil: line.orderGroup = "0"
        case .monthly?: line.orderGroup = "1"
        case .annual?: line.orderGroup = "2"
        default: line.orderGroup = "3"
        }
        let problem: LineProblem?
        if AzureOffers.isAzurePlan(line.catalogItemId) {
            problem = try checkPlanLine(&line, customerId: customerId, db: db)
        } else if SpecialProduct.isSavingsPlan(line.catalogItemId) {
            problem = try checkSavingsPlanLine(&line, country: country, customerId: customerId, db: db)
        } else {
            problem = try checkReservationLine(&line, country: country, customerId: customerId, db: db)
        }
        if let problem { line.error = CartError(errorCode: problem.code, errorDescription: problem.text) }
        return line
    }

    private func checkReservationLine(_ line: inout CartLineItem, country: String, customerId: String, db: Database) throws -> LineProblem? {
        let problem: LineProblem?
        switch checkCatalogItem(&line, country: country) {
        case .failure(let p): problem = p
        case .success(let (sku, azurePlan)):
            problem = try checkProvisioning(line, sku: sku, azurePlan: azurePlan, customerId: customerId, db: db)
        }
        return problem
    }

    /// Why a cart line is refused: a CartErrorCode and its text.
    struct LineProblem: Error {
        let code: Int
        let text: String
        init(_ code: Int, _ text: String) {
            self.code = code
            self.text = text
        }
    }

    /// The catalog item, market, price, quantity, billing cycle and term of a line; fills pricing
    /// and a missing term. Returns the SKU and whether the availability is an Azure plan one.
    private func checkCatalogItem(_ line: inout CartLineItem, country: String) -> Result<(SandboxCatalog.SKU, Bool), LineProblem> {
        guard let catalogItemId = line.catalogItemId, !catalogItemId.isEmpty else {
            return .failure(LineProblem(CartErrorCode.invalidInput, "catalogItemId is required (productId:skuId:availabilityId)."))
        }
        let parts = catalogItemId.split(separator: ":").map(String.init)
        guard parts.count == 3, let sku = catalog.sku(parts[0], parts[1]), let azurePlan = catalog.availability(sku, parts[2]) else {
            return .failure(LineProblem(CartErrorCode.catalogItemIdIsNotValid, "Catalog item '\(catalogItemId)' is not valid; take catalogItemId from a current availability."))
        }
        guard offersReservations(country) else {
            return .failure(LineProblem(CartErrorCode.catalogItemIdIsNotValid, "Catalog item '\(catalogItemId)' is not available in the customer's market (\(country)): Azure reservations are not sold there."))
        }
        // monthly lines are priced per month (the commitment is that times the term's months)
        let unit = line.billingCycle == .monthly && azurePlan ? catalog.monthlyPrice(sku, country: country) : catalog.price(sku, country: country).0
        if let quantity = line.quantity, quantity >= 1 {
            line.pricing = Pricing(listPrice: unit, discountedPrice: unit, price: unit, extendedPrice: unit * Decimal(quantity))
        }
        guard let quantity = line.quantity, (1...999_999_999).contains(quantity) else {
            return .failure(LineProblem(CartErrorCode.invalidInput, "quantity must be an integer from 1 to 999999999."))
        }
        guard line.billingCycle == .oneTime || (line.billingCycle == .monthly && azurePlan) else {
            if line.billingCycle == .monthly {
                return .failure(LineProblem(CartErrorCode.billingPlanNotSupported, "Monthly billing is available only for reservations bought under an Azure plan (reservationScope=AzurePlan); this MS-AZR-0145P catalog item is billed one_time."))
            }
            return .failure(LineProblem(CartErrorCode.invalidInput, "billingCycle '\(line.billingCycle?.wireValue ?? "missing")' is not supported by this SKU; use one_time\(azurePlan ? " or monthly" : "")."))
        }
        if let term = line.termDuration {
            guard Self.years(term) == sku.years else {
                return .failure(LineProblem(CartErrorCode.invalidInput, "termDuration '\(term)' does not match the SKU's term \(sku.termDuration)."))
            }
        } else {
            line.termDuration = sku.termDuration
        }
        return .success((sku, azurePlan))
    }

    /// The provisioning context of a reservation line: its subscription (the customer's, an active
    /// Azure one of the availability's kind, registered), scope and duration, and inventory.
    private func checkProvisioning(_ line: CartLineItem, sku: SandboxCatalog.SKU, azurePlan: Bool, customerId: String,
                                   db: Database) throws -> LineProblem? {
        let context = line.provisioningContext ?? [:]
        let catalogItemId = line.catalogItemId ?? ""
        guard let scope = context["scope"], ["single", "shared"].contains(scope.lowercased()) else {
            return LineProblem(CartErrorCode.scopeNotSupported,
                               "The selected scope '\(context["scope"] ?? "")' in the provisioning context is not supported. Use Single or Shared.")
        }
        if let duration = context["duration"], Self.years(duration) != sku.years {
            return LineProblem(CartErrorCode.invalidInput, "provisioningContext.duration '\(duration)' does not match the SKU's term (\(sku.durationAttribute)).")
        }
        let problem = azurePlan
            ? try checkPlanProvisioning(context, single: scope.lowercased() == "single", customerId: customerId, db: db)
            : try checkLegacyProvisioning(context, catalogItemId: catalogItemId, customerId: customerId, db: db)
        if let problem { return problem }
        if catalog.isRestricted(sku, region: nil) {
            return LineProblem(CartErrorCode.inventoryNotAvailable, "Inventory is not available for \(sku.size.arm) in \(sku.region.arm) for this subscription.")
        }
        return nil
    }

    /// An MS-AZR-0145P line: `subscriptionId` names the customer's active, registered 0145P
    /// subscription (an Azure plan there is 900315: its availabilities differ).
    private func checkLegacyProvisioning(_ context: [String: String], catalogItemId: String, customerId: String,
                                         db: Database) throws -> LineProblem? {
        guard let subscriptionId = context["subscriptionId"], !subscriptionId.isEmpty else {
            return LineProblem(CartErrorCode.invalidInput, "provisioningContext.subscriptionId is required for reservations.")
        }
        guard let row = try Row.fetchOne(db, sql: "SELECT kind, status, registration FROM subscription WHERE id = ? AND customer_id = ?", arguments: [subscriptionId, customerId]) else {
            return LineProblem(CartErrorCode.subscriptionIsNotValid, "Subscription '\(subscriptionId)' is not a subscription of customer \(customerId).")
        }
        let kind: String = row["kind"], status: String = row["status"], registration: String = row["registration"]
        guard kind == "legacy" || kind == "plan" else {
            return LineProblem(CartErrorCode.subscriptionIsNotEnabledForRI, "Subscription '\(subscriptionId)' is not an Azure subscription and cannot hold reservations.")
        }
        guard status == "active" else {
            return LineProblem(CartErrorCode.subscriptionIsNotValid, "Subscription '\(subscriptionId)' is not active (\(status)).")
        }
        guard kind == "legacy" else {
            return LineProblem(CartErrorCode.notEligibleForSubscription, "This product is not eligible for purchase using the provided Azure subscription. Catalog item '\(catalogItemId)' is for MS-AZR-0145P but subscription '\(subscriptionId)' is an Azure plan; list availabilities with reservationScope=AzurePlan.")
        }
        guard registration == "Registered" else {
            return LineProblem(CartErrorCode.subscriptionNotRegistered, "Subscription '\(subscriptionId)' is not registered for reservation purchases (status \(registration)); POST .../registrations and wait for Registered.")
        }
        return nil
    }

    /// Azure savings plans are bought with App+User credentials only (addendum §1.4): 403 / 900329.
    func requireAppUserForSavingsPlans(_ lines: [CartLineItem]?, _ request: RequestInfo) throws {
        guard !request.caller.appUser, (lines ?? []).contains(where: { SpecialProduct.isSavingsPlan($0.catalogItemId) }) else { return }
        throw SandboxError(status: 403, code: 900329, "This resource does not support application-only authentication. (Azure savings plans are bought with App+User credentials.)")
    }

    /// Why a cart whose lines carry errors cannot be checked out: a provisioning-context error of
    /// the Azure plan (900312-900318) is answered as itself (addendum §1.8), anything else as
    /// 800009 listing the lines' codes.
    static func checkoutRefusal(_ lines: [CartLineItem]) -> SandboxError {
        let errors = lines.compactMap(\.error)
        if let first = errors.first(where: { (900312...900318).contains($0.errorCode ?? 0) || $0.errorCode == CartErrorCode.partnerOfRecordMismatch }),
           let code = first.errorCode {
            return SandboxError(status: code == CartErrorCode.partnerOfRecordMismatch ? 403 : 400, code: code,
                                first.errorDescription ?? "The provisioning context is not valid.")
        }
        let codes = errors.compactMap(\.errorCode).map(String.init).joined(separator: ", ")
        return SandboxError(status: 400, code: 800009, "Error in cart item(s): line errors \(codes); GET the cart for details, fix the lines and PUT it back.")
    }

    /// The provisioning context of an Azure-plan line (addendum §1.6, errors §1.8): shared scope
    /// names the plan (`subscriptionId`, else 900317), single scope an active Azure subscription
    /// under the customer's plan (`entitlementId`, else 900313; not under a plan of the customer's:
    /// 900315; not active: 900314). The plan must exist with an active Azure subscription (900318)
    /// and be registered (10011).
    func checkPlanProvisioning(_ context: [String: String], single: Bool, customerId: String,
                               db: Database, registration: Bool = true) throws -> LineProblem? {
        var planId = context["subscriptionId"].flatMap { $0.isEmpty ? nil : $0 }
        if single {
            guard let entitlementId = context["entitlementId"], !entitlementId.isEmpty else {
                return LineProblem(CartErrorCode.entitlementRequired,
                                   "Entitlement ID (Azure subscription ID) in the provisioning context is required for the transaction.")
            }
            guard let row = try Row.fetchOne(db, sql: "SELECT subscription_id, status FROM azure_entitlement WHERE id = ? AND customer_id = ?",
                                             arguments: [entitlementId, customerId]) else {
                return LineProblem(CartErrorCode.notEligibleForSubscription, "This product is not eligible for purchase using the provided Azure subscription. Azure subscription '\(entitlementId)' is not under an Azure plan of customer \(customerId).")
            }
            let owner: String = row["subscription_id"], status: String = row["status"]
            if let given = planId, given.caseInsensitiveCompare(owner) != .orderedSame {
                return LineProblem(CartErrorCode.notEligibleForSubscription, "This product is not eligible for purchase using the provided Azure subscription. Azure subscription '\(entitlementId)' is under Azure plan \(owner), not \(given).")
            }
            guard status.lowercased() == "active" else {
                return LineProblem(CartErrorCode.entitlementNotActive, "The Azure subscription associated with the entitlement ID is not active. An active Azure subscription is required to complete the purchase. ('\(entitlementId)' is \(status).)")
            }
            planId = owner
        }
        guard let plan = planId else {
            return LineProblem(CartErrorCode.planRequired, "Subscription ID (Azure plan ID) in the provisioning context is required for the transaction.")
        }
        return try checkPlan(plan, customerId: customerId, db: db, registration: registration)
    }

    /// The Azure plan a line is bought under: the customer's, with an active Azure subscription
    /// (900318; an MS-AZR-0145P subscription is 900315), and registered (10011).
    private func checkPlan(_ planId: String, customerId: String, db: Database, registration needsRegistration: Bool) throws -> LineProblem? {
        let notFound = "The Azure plan associated with the subscription ID was not found or there are no active Azure subscriptions under it. An Azure Plan with active subscription(s) is required to complete the purchase."
        guard let row = try Row.fetchOne(db, sql: "SELECT kind, status, registration FROM subscription WHERE id = ? AND customer_id = ?", arguments: [planId, customerId]) else {
            return LineProblem(CartErrorCode.planNotFound, notFound + " ('\(planId)' is not a subscription of customer \(customerId).)")
        }
        let kind: String = row["kind"], status: String = row["status"], registration: String = row["registration"]
        guard kind == "plan" else {
            return LineProblem(CartErrorCode.notEligibleForSubscription, "This product is not eligible for purchase using the provided Azure subscription. Subscription '\(planId)' is not an Azure plan; for MS-AZR-0145P list availabilities without reservationScope.")
        }
        let active = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM azure_entitlement WHERE subscription_id = ? AND lower(status) = 'active'", arguments: [planId]) ?? 0
        guard status == "active", active > 0 else {
            return LineProblem(CartErrorCode.planNotFound, notFound + " (plan '\(planId)' is \(status) with \(active) active Azure subscriptions.)")
        }
        guard registration == "Registered" || !needsRegistration else {
            return LineProblem(CartErrorCode.subscriptionNotRegistered, "Azure plan '\(planId)' is not registered for reservation purchases (status \(registration)); POST .../registrations and wait for Registered.")
        }
        return nil
    }

    func cartRow(_ db: Database, customerId: String, cartId: String, now: Date) throws -> (Cart, String, Double, String?) {
        guard let row = try Row.fetchOne(db, sql: "SELECT doc, status, expires_at, checkout FROM cart WHERE id = ? AND customer_id = ?", arguments: [cartId, customerId]) else {
            throw SandboxError.notFound(800008, "Unable to retrieve cart '\(cartId)' for customer \(customerId).")
        }
        let cart = try Doc.decode(Cart.self, row["doc"])
        let expires: Double = row["expires_at"]
        let status: String = row["status"]
        if status != "Ordered" && expires <= now.timeIntervalSince1970 {
            throw SandboxError.notFound(800008, "Unable to retrieve cart '\(cartId)': it expired at \(WireDate.format(Date(timeIntervalSince1970: expires))); create a new cart.")
        }
        return (cart, status, expires, row["checkout"])
    }

    func createCart(_ request: RequestInfo) async throws -> SandboxResponse {
        let input = try parseCartBody(request.body)
        try requireAppUserForSavingsPlans(input.lineItems, request)
        let cid = request.param("customer_id")
        let country = try await customerCountry(cid)
        let lifetime = configuration.cartLifetime
        let seed = configuration.seed
        let modifier = request.caller.appUser ? request.partner.userId : request.partner.clientId
        return try await store.db.write { db in
            var rng = try SandboxStore.nextRandom(db, seed: seed)
            var cart = Cart(lineItems: [])
            cart.id = IDs.guid(&rng)
            cart.lineItems = try (input.lineItems ?? []).enumerated().map { try self.validateLine($1, index: $0, customerId: cid, country: country, db: db) }
            cart.creationTimestamp = request.now
            cart.lastModifiedTimestamp = request.now
            cart.expirationTimestamp = request.now.addingTimeInterval(lifetime)
            cart.lastModifiedUser = modifier
            cart.status = .active
            cart.partnerOnRecordAttestationAccepted = input.partnerOnRecordAttestationAccepted
            cart.links = Links(["self": Link(uri: OperationCatalog["carts.get"].link(["customer_id": cid, "cart_id": cart.id!]))])
            cart.attributes = ResourceAttributes(objectType: "Cart")
            try db.execute(sql: "INSERT INTO cart VALUES(?,?,?,?,?,?,NULL)", arguments: [
                cart.id!, cid, request.now.timeIntervalSince1970, request.now.timeIntervalSince1970 + lifetime, "Active", try Doc.encode(cart)])
            return .json(cart, status: 201)
        }
    }

    func getCart(_ request: RequestInfo) async throws -> SandboxResponse {
        let cid = request.param("customer_id"), cartId = request.param("cart_id")
        let now = request.now
        let cart = try await store.db.read { db in try self.cartRow(db, customerId: cid, cartId: cartId, now: now).0 }
        return .json(cart)
    }

    func updateCart(_ request: RequestInfo) async throws -> SandboxResponse {
        let input = try parseCartBody(request.body)
        try requireAppUserForSavingsPlans(input.lineItems, request)
        let cid = request.param("customer_id"), cartId = request.param("cart_id")
        let country = try await customerCountry(cid)
        let modifier = request.caller.appUser ? request.partner.userId : request.partner.clientId
        return try await store.db.write { db in
            var (cart, status, _, _) = try self.cartRow(db, customerId: cid, cartId: cartId, now: request.now)
            guard status == "Active" else {
                throw SandboxError(status: 400, code: 800065, "Can't update cart \(cartId): it was already submitted (status Ordered); create a new cart.")
            }
            cart.lineItems = try (input.lineItems ?? []).enumerated().map { try self.validateLine($1, index: $0, customerId: cid, country: country, db: db) }
            cart.lastModifiedTimestamp = request.now
            cart.lastModifiedUser = modifier
            if let attestation = input.partnerOnRecordAttestationAccepted { cart.partnerOnRecordAttestationAccepted = attestation }
            try db.execute(sql: "UPDATE cart SET doc = ? WHERE id = ?", arguments: [try Doc.encode(cart), cartId])
            return .json(cart, status: 201)
        }
    }

    /// Checkout: one order per order group; idempotent per cart (a repeat returns the stored result).
    func checkout(_ request: RequestInfo) async throws -> SandboxResponse {
        let cid = request.param("customer_id"), cartId = request.param("cart_id")
        let country = try await customerCountry(cid)
        let seed = configuration.seed
        let lag = configuration.orderLag, completion = configuration.orderCompletionDelay
        let legacy = configuration.legacyAlreadySubmittedError
        return try await store.db.write { db in
            var (cart, status, _, stored) = try self.cartRow(db, customerId: cid, cartId: cartId, now: request.now)
            if status == "Ordered" {
                if legacy { throw SandboxError(status: 400, code: 800065, "Can't check out an already submitted cart \(cartId).") }
                guard let stored else { throw SandboxError(status: 409, code: 800060, "Order in progress for cart \(cartId); check order history in a few minutes.") }
                var response = SandboxResponse(status: 201, headers: [("Content-Type", "application/json; charset=utf-8")], body: Data(stored.utf8))
                response.unchanged = true
                return response
            }
            try self.requireAppUserForSavingsPlans(cart.lineItems, request)
            let lines = try (cart.lineItems ?? []).enumerated().map { try self.validateLine($1, index: $0, customerId: cid, country: country, db: db) }
            cart.lineItems = lines
            if lines.contains(where: { $0.error != nil }) {
                try db.execute(sql: "UPDATE cart SET doc = ? WHERE id = ?", arguments: [try Doc.encode(cart), cartId])
                throw Self.checkoutRefusal(lines)
            }
            var rng = try SandboxStore.nextRandom(db, seed: seed)
            var orders: [Order] = []
            let groups = Dictionary(grouping: lines, by: { $0.orderGroup ?? "0" }).sorted { $0.key < $1.key }
            for (_, groupLines) in groups {
                let (order, pricing, total) = self.newOrder(groupLines, customerId: cid, country: country, now: request.now, rng: &rng)
                let now = request.now.timeIntervalSince1970
                try db.execute(sql: "INSERT INTO orders VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", arguments: [
                    order.id, cid, cartId, now, now + lag, now + completion, "pending", order.billingCycle?.wireValue ?? "one_time",
                    try Doc.encode(order), try Doc.encode(pricing), Money.text(total), country])
                orders.append(order)
            }
            let result = CartCheckoutResult(orders: orders, orderErrors: [])
            let text = try Doc.encode(result)
            cart.status = .ordered
            cart.lastModifiedTimestamp = request.now
            try db.execute(sql: "UPDATE cart SET doc = ?, status = 'Ordered', checkout = ? WHERE id = ?", arguments: [try Doc.encode(cart), text, cartId])
            return SandboxResponse(status: 201, headers: [("Content-Type", "application/json; charset=utf-8")], body: Data(text.utf8))
        }
    }

    /// One pending order for the lines of one order group, with its line links and pricing.
    func newOrder(_ groupLines: [CartLineItem], customerId cid: String, country: String, now: Date,
                  rng: inout SplitMix64) -> (Order, [Pricing], Decimal) {
        var order = Order(id: IDs.orderId(&rng))
        order.alternateId = IDs.hex12(&rng)
        order.referenceCustomerId = cid
        order.billingCycle = groupLines.first?.billingCycle ?? .oneTime
        let currency = SandboxCatalog.currency(for: country)
        order.currencyCode = currency.code
        order.currencySymbol = currency.symbol
        var pricing: [Pricing] = []
        var total: Decimal = 0
        order.lineItems = groupLines.enumerated().map { number, line in
            let linePricing = line.pricing ?? Pricing()
            pricing.append(linePricing)
            total += linePricing.extendedPrice ?? 0
            return orderLine(line, number: number, country: country)
        }
        order.creationDate = now
        order.status = .pending
        order.transactionType = "UserPurchase"
        order.client = [:]
        let orderIds = ["customer_id": cid, "order_id": order.id]
        let orderPath = OperationCatalog["orders.get"].link(orderIds)
        order.links = Links([
            "self": Link(uri: orderPath),
            "provisioningStatus": Link(uri: OperationCatalog["orders.provisioning_status"].link(orderIds)),
            // PATCH (cancel) is not a declared operation; it targets the order's own path, which orders.get declares
            "patchOperation": Link(uri: orderPath, method: "PATCH"),
        ])
        order.attributes = ResourceAttributes(objectType: "Order")
        return (order, pricing, total)
    }

    /// An order line for a cart line: offer, term, transaction type, name, context, catalog links.
    private func orderLine(_ line: CartLineItem, number: Int, country: String) -> OrderLineItem {
        var item = OrderLineItem(lineItemNumber: number, offerId: line.catalogItemId, quantity: line.quantity)
        let parts = (line.catalogItemId ?? "").split(separator: ":").map(String.init)
        let sku = parts.count == 3 ? catalog.sku(parts[0], parts[1]) : nil
        item.termDuration = line.termDuration
        item.transactionType = "New"
        item.friendlyName = line.friendlyName ?? sku?.title
        item.provisioningContext = line.provisioningContext
        item.purchaseCommitment = line.purchaseCommitment
        item.renewsTo = line.renewsTo
        if parts.count == 3 {
            let ids = ["product_id": parts[0], "sku_id": parts[1], "availability_id": parts[2]]
            let market = [("country", country)]
            item.links = Links([
                "product": Link(uri: OperationCatalog["products.get"].link(ids, query: market)),
                "sku": Link(uri: OperationCatalog["skus.get"].link(ids, query: market)),
                "availability": Link(uri: OperationCatalog["availabilities.get"].link(ids, query: market)),
            ])
        }
        return item
    }
}
