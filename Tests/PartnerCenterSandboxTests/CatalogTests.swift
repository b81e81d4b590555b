import Foundation
import PartnerCenterModels
@testable import PartnerCenterSandbox
import Testing

@Suite("Catalog, inventory and registration")
struct CatalogTests {
    @Test("RI products are listed per market and absent in every market where RIs are not sold")
    func markets() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            let us = try await h.send(.GET, "/v1/products?country=US&targetView=AzureReservationsVM", token: token).decode(ResourceCollection<Product>.self)
            #expect(us.items.count == SandboxCatalog.series.filter(\.isVM).count)
            #expect(us.totalCount == us.items.count)
            for country in ["BR", "CN", "IN", "RU", "KR", "TW", "HK"] {
                let result = try await h.send(.GET, "/v1/products?country=\(country)&targetView=AzureReservationsVM", token: token)
                #expect(result.status == 200)
                #expect(try result.decode(ResourceCollection<Product>.self).items.isEmpty, "\(country)")
            }
            let software = try await h.send(.GET, "/v1/products?country=US&targetView=Software", token: token)
            #expect(try software.decode(ResourceCollection<Product>.self).items.isEmpty)
        }
    }

    @Test("the catalog is close to Azure's: the common VM families in at least 20 regions, both terms, ARM names, flexibility groups; every SKU the docs name exists")
    func breadth() async throws {
        let catalog = SandboxCatalog()
        let families = Set(catalog.skus.map(\.series.flexibilityGroup))
        for family in ["Dv3 Series", "DSv3 Series", "Dv5 Series", "Dsv5 Series", "Ev5 Series", "Esv5 Series", "FSv2 Series", "BS Series"] {
            #expect(families.contains(family), "\(family) in \(families.sorted())")
        }
        #expect(Set(catalog.skus.map(\.region.arm)).count >= 20)
        // the SKUs the README and the stubs use as examples, in every region and both terms
        let docs = try ["README.md", "stdlib/meta/pc.lua", "stdlib/meta/reservations.lua"].map {
            try String(contentsOf: packageRoot().appendingPathComponent($0), encoding: .utf8)
        }.joined()
        let named = Set(docs.matches(of: /Standard_[A-Z][A-Za-z0-9]*_v\d/).map { String($0.output) })
        #expect(named.contains("Standard_D2s_v3") && named.contains("Standard_D2_v3"), "\(named)")
        for arm in named {
            for region in SandboxCatalog.regions {
                for years in [1, 3] {
                    #expect(catalog.skus.contains { $0.size.arm == arm && $0.region.arm == region.arm && $0.years == years },
                            "\(arm) \(region.arm) \(years)y")
                }
            }
        }
        try await withSandbox { h in
            let token = try await h.token()
            let (sku, _) = try await h.catalogItem(productId: "DZH318Z0BQ3V", region: "westeurope", token: token)
            #expect(sku.dynamicAttribute("armSkuName") == "Standard_D2s_v3" || sku.dynamicAttribute("armSkuName") == "Standard_D4s_v3")
            #expect(sku.dynamicAttribute("instanceSizeFlexibilityGroup") == "DSv3 Series")
            #expect(["1", "2"].contains(sku.dynamicAttribute("instanceSizeFlexibilityRatio") ?? ""))
        }
    }

    @Test("query parameter names and values bind case-insensitively and paths work without /v1")
    func lenientQuery() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            let result = try await h.send(.GET, "/products?COUNTRY=us&TargetView=azurereservationsvm", token: token)
            #expect(result.status == 200)
            #expect(try result.decode(ResourceCollection<Product>.self).items.count == SandboxCatalog.series.filter(\.isVM).count)
            let product = try await h.send(.GET, "/V1/Products/dzh318z0bq3q?country=US", token: token)
            #expect(product.status == 200)
        }
    }

    @Test("catalog errors use the documented codes")
    func catalogErrors() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            let noView = try await h.send(.GET, "/v1/products?country=US", token: token)
            #expect(noView.status == 400)
            #expect(noView.fault?.numericCode == 800002)
            let badView = try await h.send(.GET, "/v1/products?country=US&targetView=Bogus", token: token)
            #expect(badView.status == 403)
            #expect(badView.fault?.numericCode == 400036)
            let badSegment = try await h.send(.GET, "/v1/products?country=US&targetView=AzureReservationsVM&targetSegment=pirates", token: token)
            #expect(badSegment.fault?.numericCode == 400030)
            #expect(try await h.send(.GET, "/v1/products/NOPE?country=US", token: token).fault?.numericCode == 400013)
            #expect(try await h.send(.GET, "/v1/products/DZH318Z0BQ3Q/skus/ZZZZ?country=US", token: token).fault?.numericCode == 400018)
            let (sku, _) = try await h.catalogItem(token: token)
            #expect(try await h.send(.GET, "/v1/products/DZH318Z0BQ3Q/skus/\(sku.id)/availabilities/NOPE?country=US", token: token).fault?.numericCode == 400019)
        }
    }

    @Test("availabilities carry catalogItemId = product:sku:availability and differ for reservationScope=AzurePlan")
    func availabilities() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            let (sku, legacy) = try await h.catalogItem(token: token)
            let (_, plan) = try await h.catalogItem(azurePlan: true, token: token)
            #expect(legacy != plan)
            let parts = legacy.split(separator: ":")
            #expect(parts.count == 3 && parts[0] == "DZH318Z0BQ3Q" && String(parts[1]) == sku.id)
            let byId = try await h.send(.GET, "/v1/products/DZH318Z0BQ3Q/skus/\(sku.id)/availabilities/\(parts[2])?country=GB", token: token).decode(Availability.self)
            #expect(byId.defaultCurrency?.code == "GBP")
            let customer = try #require(try await h.customers(token).first)
            let scoped = try await h.send(.GET, "/v1/customers/\(customer.id)/products/DZH318Z0BQ3Q/skus/\(sku.id)/availabilities", token: token)
            #expect(scoped.status == 200)
        }
    }

    @Test("inventory check reports restrictions per SKU and region and leaves unknown products out")
    func inventory() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            let body = #"{"targetItems":[{"productId":"DZH318Z0BQ36"},{"productId":"UNKNOWN00000"}],"inventoryContext":{"customerId":"c","azureSubscriptionId":"s","armRegionName":"japanwest"}}"#
            let items = try await h.send(.POST, "/v1/extensions/product/checkInventory?country=US", body: body, token: token).decode([InventoryItem].self)
            #expect(!items.isEmpty)
            #expect(items.allSatisfy { $0.productId == "DZH318Z0BQ36" && $0.isRestricted == true })
            #expect(items.first?.restrictions?.first?.properties?["values"] == "japanwest")
            let open = #"{"targetItems":[{"productId":"DZH318Z0BQ36"}],"inventoryContext":{"armRegionName":"eastus"}}"#
            let free = try await h.send(.POST, "/v1/extensions/product/checkinventory?country=US", body: open, token: token).decode([InventoryItem].self)
            #expect(!free.isEmpty && free.allSatisfy { $0.isRestricted == false })
        }
    }

    @Test("registration goes NotRegistered → Registering → Registered after the configured delay")
    func registration() async throws {
        try await withSandbox({ $0.registrationDelay = 600 }) { h in
            let token = try await h.token()
            let (customer, sub) = try await h.customer(country: "US", registered: false, token: token)
            let statusPath = "/v1/customers/\(customer.id)/subscriptions/\(sub.id)/registrationstatus"
            #expect(try await h.send(.GET, statusPath, token: token).decode(SubscriptionRegistrationStatus.self).status == .notRegistered)
            let post = try await h.send(.POST, "/v1/customers/\(customer.id)/subscriptions/\(sub.id)/registrations", token: token)
            #expect(post.status == 202)
            #expect(try await h.send(.GET, statusPath, token: token).text.contains(#""status":"Registering""#))
            // the sandbox clock also runs in real time: a margin a loaded machine cannot use up
            h.sandbox.clock.advance(by: 300)
            #expect(try await h.send(.GET, statusPath, token: token).decode(SubscriptionRegistrationStatus.self).status == .registering)
            h.sandbox.clock.advance(by: 301)
            #expect(try await h.send(.GET, statusPath, token: token).decode(SubscriptionRegistrationStatus.self).status == .registered)
            let again = try await h.send(.POST, "/v1/customers/\(customer.id)/subscriptions/\(sub.id)/registrations", token: token)
            #expect(again.status == 202)
        }
    }

    @Test("only active Azure subscriptions can be registered")
    func registrationErrors() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            for customer in try await h.customers(token) {
                let subs = try await h.send(.GET, "/v1/customers/\(customer.id)/subscriptions", token: token).decode(ResourceCollection<Subscription>.self).items
                if let office = subs.first(where: { $0.unitType == "Licenses" }) {
                    let result = try await h.send(.POST, "/v1/customers/\(customer.id)/subscriptions/\(office.id)/registrations", token: token)
                    #expect(result.status == 400)
                    #expect(result.fault?.numericCode == 800011)
                    let missing = try await h.send(.POST, "/v1/customers/\(customer.id)/subscriptions/\(UUID().uuidString)/registrations", token: token)
                    #expect(missing.fault?.numericCode == 20003)
                    return
                }
            }
            Issue.record("no licence subscription seeded")
        }
    }
}
