import Foundation
import PartnerCenterModels

extension SandboxEngine {
    /// The series a `targetView` lists: every reservation for `AzureReservations`, else those of
    /// the types whose own view it is (`AzureReservationsVM`, `AzureReservationsSQL`, ...).
    static func series(forView view: String) -> [SandboxCatalog.Series] {
        let view = view.lowercased()
        if view == ReservationType.allReservationsView.lowercased() { return SandboxCatalog.series }
        return SandboxCatalog.series.filter { $0.type.targetView.lowercased() == view }
    }
    static let knownViews: Set<String> = ["azure", "azurereservations", "azurereservationsvm", "azurereservationssql", "azurereservationscosmosdb",
                                          "microsoftazure", "onlineservices", "software", "softwaresuselinux", "softwareperpetual",
                                          "softwaresubscriptions", "specializedoffers", "marketplacesaas"]

    /// The market of a catalog call: `country` for global routes, the customer's country for customer-scoped ones.
    func market(_ request: RequestInfo) async throws -> String {
        if !request.param("customer_id").isEmpty { return try await customerCountry(request.param("customer_id")) }
        guard let country = request.q("country") else {
            throw SandboxError.badInput("the 'country' query parameter is required (ISO 3166-1 alpha-2, e.g. country=US).")
        }
        guard country.count == 2, country.allSatisfy(\.isLetter) else {
            throw SandboxError.badInput("country '\(country)' is not an ISO 3166-1 alpha-2 code (e.g. US).")
        }
        return country.uppercased()
    }

    /// Validates `targetSegment` / `reservationScope`; returns (segment, azurePlan).
    func catalogFilters(_ request: RequestInfo) throws -> (TargetSegment, Bool) {
        var segment = TargetSegment.commercial
        if let text = request.q("targetSegment") {
            guard let value = TargetSegment(knownWire: text) else {
                throw SandboxError(status: 403, code: 400030, "Requested targetSegment '\(text)' is not allowed; use commercial, education, government or nonprofit.")
            }
            segment = value
        }
        var azurePlan = false
        if let scope = request.q("reservationScope") {
            guard scope.caseInsensitiveCompare("AzurePlan") == .orderedSame else {
                throw SandboxError.badInput("reservationScope '\(scope)' is not supported; the only value is AzurePlan (omit it for MS-AZR-0145P).")
            }
            azurePlan = true
        }
        return (segment, azurePlan)
    }

    func offersReservations(_ country: String) -> Bool { !configuration.restrictedMarkets.contains(country.uppercased()) }

    func requireProduct(_ request: RequestInfo, country: String) throws -> SandboxCatalog.Series {
        let id = request.param("product_id")
        guard let product = catalog.product(id), offersReservations(country) else {
            throw SandboxError.notFound(400013, "Product '\(id)' not found in the catalog for country \(country).")
        }
        return product
    }

    func requireSku(_ request: RequestInfo, country: String) throws -> SandboxCatalog.SKU {
        let product = try requireProduct(request, country: country)
        guard let sku = catalog.sku(product.productId, request.param("sku_id")) else {
            throw SandboxError.notFound(400018, "SKU '\(request.param("sku_id"))' not found for product \(product.productId).")
        }
        return sku
    }

    func catalogSelf(_ request: RequestInfo) -> Link {
        var path = request.path
        if path.lowercased().hasPrefix("/v1/") { path = String(path.dropFirst(3)) }
        return Link(uri: request.rawQuery.isEmpty ? path : "\(path)?\(request.rawQuery)")
    }

    func listProducts(_ request: RequestInfo) async throws -> SandboxResponse {
        let country = try await market(request)
        guard let view = request.q("targetView") else {
            throw SandboxError.badInput("the 'targetView' query parameter is required (e.g. targetView=AzureReservationsVM).")
        }
        guard Self.knownViews.contains(view.lowercased()) else {
            throw SandboxError(status: 403, code: 400036, "Requested targetView '\(view)' is not allowed; e.g. AzureReservationsVM, AzureReservations, OnlineServices, Software.")
        }
        let (segment, _) = try catalogFilters(request)
        var items: [Product] = []
        if view.caseInsensitiveCompare("MicrosoftAzure") == .orderedSame, segment != .nonprofit {
            items = [SandboxCatalog.planProduct(country: country)]   // the Azure plan is sold in every market
        } else if offersReservations(country), segment != .nonprofit {
            items = Self.series(forView: view).map { catalog.productModel($0, country: country) }
            // savings plans: on the customer's routes, for a customer with an Azure plan (addendum §1.4)
            let cid = request.param("customer_id")
            if !cid.isEmpty, ["azure", "azurereservations"].contains(view.lowercased()),
               try await store.db.read({ try self.azureHoldings($0, customerId: cid).plan }) != nil {
                items.append(SandboxCatalog.savingsPlanProduct(country: country))
            }
        }
        return .json(ResourceCollection(items: items, links: Links(["self": catalogSelf(request)])))
    }

    func getProduct(_ request: RequestInfo) async throws -> SandboxResponse {
        let country = try await market(request)
        _ = try catalogFilters(request)
        if let special = try await specialProduct(request) { return try specialCatalog(special, request, country: country, route: "product") }
        return .json(catalog.productModel(try requireProduct(request, country: country), country: country))
    }

    func listSkus(_ request: RequestInfo) async throws -> SandboxResponse {
        let country = try await market(request)
        let (segment, azurePlan) = try catalogFilters(request)
        if let special = try await specialProduct(request) { return try specialCatalog(special, request, country: country, route: "skus") }
        let product = try requireProduct(request, country: country)
        let items = segment == .nonprofit ? [] : catalog.skus(of: product.productId).map { catalog.skuModel($0, country: country, azurePlan: azurePlan) }
        return .json(ResourceCollection(items: items, links: Links(["self": catalogSelf(request)])))
    }

    func getSku(_ request: RequestInfo) async throws -> SandboxResponse {
        let country = try await market(request)
        let (_, azurePlan) = try catalogFilters(request)
        if let special = try await specialProduct(request) { return try specialCatalog(special, request, country: country, route: "sku") }
        return .json(catalog.skuModel(try requireSku(request, country: country), country: country, azurePlan: azurePlan))
    }

    func listAvailabilities(_ request: RequestInfo) async throws -> SandboxResponse {
        let country = try await market(request)
        let (segment, azurePlan) = try catalogFilters(request)
        if let special = try await specialProduct(request) { return try specialCatalog(special, request, country: country, route: "availabilities") }
        let sku = try requireSku(request, country: country)
        let items = segment == .nonprofit ? [] : [catalog.availabilityModel(sku, azurePlan: azurePlan, country: country, segment: segment)]
        return .json(ResourceCollection(items: items, links: Links(["self": catalogSelf(request)])))
    }

    func getAvailability(_ request: RequestInfo) async throws -> SandboxResponse {
        let country = try await market(request)
        _ = try catalogFilters(request)
        if let special = try await specialProduct(request) { return try specialCatalog(special, request, country: country, route: "availability") }
        let sku = try requireSku(request, country: country)
        guard let azurePlan = catalog.availability(sku, request.param("availability_id")) else {
            throw SandboxError.notFound(400019, "Availability '\(request.param("availability_id"))' not found for \(sku.productId)/\(sku.skuId); availability ids change, list the SKU's availabilities again.")
        }
        return .json(catalog.availabilityModel(sku, azurePlan: azurePlan, country: country))
    }

    /// `POST /extensions/product/checkInventory?country=` → bare array of InventoryItem.
    func checkInventory(_ request: RequestInfo) async throws -> SandboxResponse {
        let country = try await market(request)
        let body = try RequestBinding.parse(request.body)
        guard case .object(let object) = body else { throw SandboxError.badInput("the body must be a JSON object with targetItems and inventoryContext.") }
        try RequestBinding.requireKind(object["targetItems"], ["array"], "targetItems")
        try RequestBinding.requireKind(object["inventoryContext"], ["object"], "inventoryContext")
        if case .array(let items)? = object["targetItems"] {
            for (index, item) in items.enumerated() { try RequestBinding.requireKind(item, ["object"], "targetItems[\(index)]") }
        }
        let check = try RequestBinding.decode(InventoryCheckRequest.self, from: body)
        guard let targets = check.targetItems, !targets.isEmpty else {
            throw SandboxError(status: 400, code: 900142, "targetItems is required and must name at least one productId.")
        }
        let context = Dictionary((check.inventoryContext ?? [:]).map { (RequestBinding.canonical($0.key), $0.value) }, uniquingKeysWith: { a, _ in a })
        let region = context["armRegionName"]?.lowercased()
        var result: [InventoryItem] = []
        for target in targets {
            guard let productId = target.productId, let product = catalog.product(productId), offersReservations(country) else { continue }
            let skus: [SandboxCatalog.SKU]
            if let skuId = target.skuId {
                skus = catalog.sku(product.productId, skuId).map { [$0] } ?? []
            } else {
                skus = catalog.skus(of: product.productId).filter { region == nil || $0.region.arm == region }
            }
            for sku in skus {
                var item = InventoryItem(productId: sku.productId, skuId: sku.skuId)
                let restricted = catalog.isRestricted(sku, region: region)
                item.isRestricted = restricted
                item.restrictions = restricted ? [InventoryRestriction(
                    reasonCode: "NotAvailableForSubscription",
                    description: "Restriction identified of type 'Location' with values '\(sku.region.arm)'.",
                    properties: ["type": "Location", "values": sku.region.arm])] : []
                result.append(item)
            }
        }
        return .json(result)
    }
}
