import Foundation
import PartnerCenterModels

/// Exact decimal helpers (money never goes through Double).
enum Money {
    static func round(_ value: Decimal, places: Int) -> Decimal {
        var input = value
        var output = Decimal()
        NSDecimalRound(&output, &input, places, .plain)
        return output
    }
    /// Rounds up (away from zero) to `places`.
    static func roundUp(_ value: Decimal, places: Int) -> Decimal {
        var input = value
        var output = Decimal()
        NSDecimalRound(&output, &input, places, .up)
        return output
    }
    static func text(_ value: Decimal) -> String { "\(value)" }
    static func parse(_ text: String?) -> Decimal { text.flatMap { Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX")) } ?? 0 }
}

/// A currency a market is priced in.
struct MarketCurrency: Sendable {
    let code: String
    let symbol: String
    /// Units per USD (exact).
    let rate: Decimal
    let places: Int
}

/// The seeded reservation catalog: VM series × sizes × regions × terms, two availabilities per
/// SKU (MS-AZR-0145P and `reservationScope=AzurePlan`), prices per currency. Deterministic.
struct SandboxCatalog: Sendable {
    struct Region: Sendable { let arm: String; let display: String }
    struct Size: Sendable { let arm: String; let display: String; let cores: Int; let ram: String; let yearlyUSD: Decimal }
    struct Series: Sendable {
        let productId: String
        let title: String
        let category: String
        let inventoryCheck: Bool
        let sizes: [Size]
        /// The reservation type (VM, SQL, ...), from the one declaration in `ReservationType.all`.
        var type: ReservationType = SandboxCatalog.vm
        /// What one SKU is called in titles and invoice lines ("Reserved VM Instance").
        var noun: String = "Reserved VM Instance"
        var isVM: Bool { type.name == "vm" }
        /// The instance-size-flexibility group (`"DSv3 Series"`): the title without "Virtual Machines".
        var flexibilityGroup: String { title.replacingOccurrences(of: "Virtual Machines ", with: "") }
    }

    static let vm = ReservationType.named("vm")!

    /// A reservation series of another type than VM.
    static func other(_ type: String, _ productId: String, _ title: String, noun: String, category: String, _ sizes: [Size]) -> Series {
        Series(productId: productId, title: title, category: category, inventoryCheck: false, sizes: sizes,
               type: ReservationType.named(type)!, noun: noun)
    }
    struct SKU: Sendable {
        let productId: String
        let skuId: String
        let series: Series
        let size: Size
        let region: Region
        let years: Int
        let usdPrice: Decimal
        var inventoryCheck: Bool { series.inventoryCheck }
        var termDuration: String { years == 1 ? "P1Y" : "P3Y" }
        var durationAttribute: String { years == 1 ? "1Year" : "3Years" }
        var title: String { "\(series.noun), \(size.arm), \(region.display), \(years == 1 ? "1 Year" : "3 Years")" }
        /// This SKU as an invoice charge.
        var chargeable: SandboxBilling.Chargeable {
            SandboxBilling.Chargeable(productId: productId, skuId: skuId, productName: series.noun, skuName: title, years: years)
        }
    }

    static let regions: [Region] = [
        .init(arm: "eastus", display: "US East"), .init(arm: "eastus2", display: "US East 2"),
        .init(arm: "westus2", display: "US West 2"), .init(arm: "northcentralus", display: "US North Central"),
        .init(arm: "northeurope", display: "EU North"), .init(arm: "westeurope", display: "EU West"),
        .init(arm: "uksouth", display: "UK South"), .init(arm: "japaneast", display: "JA East"),
        .init(arm: "japanwest", display: "JA West"), .init(arm: "australiaeast", display: "AU East"),
        .init(arm: "southeastasia", display: "AP Southeast"), .init(arm: "canadaeast", display: "CA East"),
        .init(arm: "koreasouth", display: "KR South"), .init(arm: "brazilsouth", display: "BR South"),
        .init(arm: "westus", display: "US West"), .init(arm: "centralus", display: "US Central"),
        .init(arm: "southcentralus", display: "US South Central"), .init(arm: "westus3", display: "US West 3"),
        .init(arm: "francecentral", display: "FR Central"), .init(arm: "germanywestcentral", display: "DE West Central"),
        .init(arm: "swedencentral", display: "SE Central"), .init(arm: "switzerlandnorth", display: "CH North"),
        .init(arm: "eastasia", display: "AP East"), .init(arm: "centralindia", display: "IN Central"),
    ]

    /// Regions where `InventoryCheck` SKUs are restricted (capacity-constrained GPU regions).
    static let restrictedInventoryRegions: Set<String> = ["japanwest", "koreasouth", "uksouth"]

    static let series: [Series] = [
        Series(productId: "DZH318Z0BQ3Q", title: "Virtual Machines DSv2 Series", category: "General purpose", inventoryCheck: false, sizes: [
            Size(arm: "Standard_DS1_v2", display: "DS1 v2", cores: 1, ram: "3.5", yearlyUSD: Decimal(string: "403.82")!),
            Size(arm: "Standard_DS2_v2", display: "DS2 v2", cores: 2, ram: "7", yearlyUSD: Decimal(string: "807.64")!)]),
        Series(productId: "DZH318Z0BQ4Z", title: "Virtual Machines BS Series", category: "Burstable", inventoryCheck: false, sizes: [
            Size(arm: "Standard_B1s", display: "B1s", cores: 1, ram: "1", yearlyUSD: Decimal(string: "45.99")!),
            Size(arm: "Standard_B2s", display: "B2s", cores: 2, ram: "4", yearlyUSD: Decimal(string: "183.96")!)]),
        Series(productId: "DZH318Z0BQ3W", title: "Virtual Machines Dv3 Series", category: "General purpose", inventoryCheck: false, sizes: [
            Size(arm: "Standard_D2_v3", display: "D2 v3", cores: 2, ram: "8", yearlyUSD: Decimal(string: "709.56")!),
            Size(arm: "Standard_D4_v3", display: "D4 v3", cores: 4, ram: "16", yearlyUSD: Decimal(string: "1419.12")!)]),
        Series(productId: "DZH318Z0BQ3V", title: "Virtual Machines DSv3 Series", category: "General purpose", inventoryCheck: false, sizes: [
            Size(arm: "Standard_D2s_v3", display: "D2s v3", cores: 2, ram: "8", yearlyUSD: Decimal(string: "505.89")!),
            Size(arm: "Standard_D4s_v3", display: "D4s v3", cores: 4, ram: "16", yearlyUSD: Decimal(string: "1011.78")!)]),
        Series(productId: "DZH318Z0D1K5", title: "Virtual Machines Dv5 Series", category: "General purpose", inventoryCheck: false, sizes: [
            Size(arm: "Standard_D2_v5", display: "D2 v5", cores: 2, ram: "8", yearlyUSD: Decimal(string: "603.17")!),
            Size(arm: "Standard_D4_v5", display: "D4 v5", cores: 4, ram: "16", yearlyUSD: Decimal(string: "1206.34")!)]),
        Series(productId: "DZH318Z0D1K6", title: "Virtual Machines Dsv5 Series", category: "General purpose", inventoryCheck: false, sizes: [
            Size(arm: "Standard_D2s_v5", display: "D2s v5", cores: 2, ram: "8", yearlyUSD: Decimal(string: "603.17")!),
            Size(arm: "Standard_D4s_v5", display: "D4s v5", cores: 4, ram: "16", yearlyUSD: Decimal(string: "1206.34")!)]),
        Series(productId: "DZH318Z0D1K7", title: "Virtual Machines Ev5 Series", category: "Memory optimized", inventoryCheck: false, sizes: [
            Size(arm: "Standard_E2_v5", display: "E2 v5", cores: 2, ram: "16", yearlyUSD: Decimal(string: "791.53")!),
            Size(arm: "Standard_E4_v5", display: "E4 v5", cores: 4, ram: "32", yearlyUSD: Decimal(string: "1583.06")!)]),
        Series(productId: "DZH318Z0D1K8", title: "Virtual Machines Esv5 Series", category: "Memory optimized", inventoryCheck: false, sizes: [
            Size(arm: "Standard_E2s_v5", display: "E2s v5", cores: 2, ram: "16", yearlyUSD: Decimal(string: "791.53")!),
            Size(arm: "Standard_E4s_v5", display: "E4s v5", cores: 4, ram: "32", yearlyUSD: Decimal(string: "1583.06")!)]),
        Series(productId: "DZH318Z0BQ4C", title: "Virtual Machines FSv2 Series", category: "Compute optimized", inventoryCheck: false, sizes: [
            Size(arm: "Standard_F2s_v2", display: "F2s v2", cores: 2, ram: "4", yearlyUSD: Decimal(string: "447.06")!),
            Size(arm: "Standard_F4s_v2", display: "F4s v2", cores: 4, ram: "8", yearlyUSD: Decimal(string: "894.12")!)]),
        Series(productId: "DZH318Z0BQ3P", title: "Virtual Machines Ev3 Series", category: "Memory optimized", inventoryCheck: false, sizes: [
            Size(arm: "Standard_E2_v3", display: "E2 v3", cores: 2, ram: "16", yearlyUSD: Decimal(string: "930.24")!),
            Size(arm: "Standard_E4_v3", display: "E4 v3", cores: 4, ram: "32", yearlyUSD: Decimal(string: "1860.48")!)]),
        Series(productId: "DZH318Z0BQ36", title: "Virtual Machines NV Series", category: "GPU", inventoryCheck: true, sizes: [
            Size(arm: "Standard_NV6", display: "NV6", cores: 6, ram: "56", yearlyUSD: Decimal(string: "6307.20")!),
            Size(arm: "Standard_NV12", display: "NV12", cores: 12, ram: "112", yearlyUSD: Decimal(string: "12614.40")!)]),
        Series(productId: "DZH318Z0BQ5S", title: "Virtual Machines ND Series", category: "GPU", inventoryCheck: true, sizes: [
            Size(arm: "Standard_ND6s", display: "ND6s", cores: 6, ram: "112", yearlyUSD: Decimal(string: "9460.80")!),
            Size(arm: "Standard_ND12s", display: "ND12s", cores: 12, ram: "224", yearlyUSD: Decimal(string: "18921.60")!)]),
    ] + otherTypes

    /// Reservations other than VMs (addendum §1.5): SQL Database (per vCore), Cosmos DB (per 100
    /// RU/s), App Service, Blob storage (per 100 TB) and Azure Cache for Redis, with yearly prices of
    /// Azure's magnitude. Their ARM SKU names follow Azure's reservation SKUs in shape.
    static let otherTypes: [Series] = [
        other("sql", "DZH318Z0BPVW", "SQL Database Reserved Capacity, vCore", noun: "SQL Database Reserved Capacity", category: "Databases", [
            Size(arm: "SQLDB_GP_Compute_Gen5", display: "General Purpose Gen5, 1 vCore", cores: 1, ram: "", yearlyUSD: Decimal(string: "1112.52")!),
            Size(arm: "SQLDB_BC_Compute_Gen5", display: "Business Critical Gen5, 1 vCore", cores: 1, ram: "", yearlyUSD: Decimal(string: "3002.04")!)]),
        other("cosmosdb", "DZH318Z0BQ2D", "Azure Cosmos DB Reserved Capacity", noun: "Cosmos DB Reserved Capacity", category: "Databases", [
            Size(arm: "CosmosDB_100RUs", display: "100 RU/s", cores: 0, ram: "", yearlyUSD: Decimal(string: "56.06")!),
            Size(arm: "CosmosDB_1000RUs", display: "1,000 RU/s", cores: 0, ram: "", yearlyUSD: Decimal(string: "560.64")!)]),
        other("appservice", "DZH318Z0BPXQ", "App Service Premium v3 Reserved Instances", noun: "App Service Reserved Instance", category: "Web", [
            Size(arm: "P1v3", display: "P1 v3", cores: 2, ram: "8", yearlyUSD: Decimal(string: "1115.64")!),
            Size(arm: "P2v3", display: "P2 v3", cores: 4, ram: "16", yearlyUSD: Decimal(string: "2231.28")!)]),
        other("storage", "DZH318Z0BPZ6", "Blob Storage Reserved Capacity, Hot LRS", noun: "Blob Storage Reserved Capacity", category: "Storage", [
            Size(arm: "Blob_Hot_LRS_100TB", display: "Hot LRS, 100 TB", cores: 0, ram: "", yearlyUSD: Decimal(string: "17940.00")!),
            Size(arm: "Blob_Hot_LRS_1PB", display: "Hot LRS, 1 PB", cores: 0, ram: "", yearlyUSD: Decimal(string: "166368.00")!)]),
        other("redis", "DZH318Z0BQ1K", "Azure Cache for Redis Reserved Capacity", noun: "Azure Cache for Redis Reserved Capacity", category: "Databases", [
            Size(arm: "Premium_P1", display: "Premium P1", cores: 0, ram: "6", yearlyUSD: Decimal(string: "2641.32")!),
            Size(arm: "Premium_P2", display: "Premium P2", cores: 0, ram: "13", yearlyUSD: Decimal(string: "5282.64")!)]),
    ]

    static let currencies: [String: MarketCurrency] = {
        var map: [String: MarketCurrency] = [:]
        let usd = MarketCurrency(code: "USD", symbol: "$", rate: 1, places: 2)
        let eur = MarketCurrency(code: "EUR", symbol: "€", rate: Decimal(string: "0.92")!, places: 2)
        for country in ["DE", "FR", "NL", "IT", "ES", "IE", "AT", "BE", "FI", "PT"] { map[country] = eur }
        map["GB"] = MarketCurrency(code: "GBP", symbol: "£", rate: Decimal(string: "0.79")!, places: 2)
        map["JP"] = MarketCurrency(code: "JPY", symbol: "¥", rate: 151, places: 0)
        map["CH"] = MarketCurrency(code: "CHF", symbol: "CHF", rate: Decimal(string: "0.88")!, places: 2)
        map["AU"] = MarketCurrency(code: "AUD", symbol: "A$", rate: Decimal(string: "1.52")!, places: 2)
        map["CA"] = MarketCurrency(code: "CAD", symbol: "C$", rate: Decimal(string: "1.36")!, places: 2)
        map["SE"] = MarketCurrency(code: "SEK", symbol: "kr", rate: Decimal(string: "10.5")!, places: 2)
        map["DK"] = MarketCurrency(code: "DKK", symbol: "kr", rate: Decimal(string: "6.86")!, places: 2)
        map["BR"] = MarketCurrency(code: "BRL", symbol: "R$", rate: 5, places: 2)
        map["IN"] = MarketCurrency(code: "INR", symbol: "₹", rate: 83, places: 2)
        map["CN"] = MarketCurrency(code: "CNY", symbol: "¥", rate: Decimal(string: "7.2")!, places: 2)
        map["RU"] = MarketCurrency(code: "RUB", symbol: "₽", rate: 92, places: 2)
        map["KR"] = MarketCurrency(code: "KRW", symbol: "₩", rate: 1350, places: 0)
        map["TW"] = MarketCurrency(code: "TWD", symbol: "NT$", rate: 32, places: 0)
        map["HK"] = MarketCurrency(code: "HKD", symbol: "HK$", rate: Decimal(string: "7.8")!, places: 2)
        map["US"] = usd
        return map
    }()

    static func currency(for country: String) -> MarketCurrency {
        currencies[country.uppercased()] ?? MarketCurrency(code: "USD", symbol: "$", rate: 1, places: 2)
    }

    let skus: [SKU]
    private let byProduct: [String: [SKU]]

    init() {
        var skus: [SKU] = []
        for series in Self.series {
            var index = 0
            for size in series.sizes {
                for (regionIndex, region) in Self.regions.enumerated() {
                    for years in [1, 3] {
                        index += 1
                        let regionFactor = 1 + Decimal(regionIndex) * Decimal(string: "0.03")!
                        let yearly = Money.round(size.yearlyUSD * regionFactor, places: 2)
                        let price = years == 1 ? yearly : Money.round(yearly * 3 * Decimal(string: "0.62")!, places: 2)
                        skus.append(SKU(productId: series.productId, skuId: Self.skuId(index), series: series, size: size, region: region, years: years, usdPrice: price))
                    }
                }
            }
        }
        self.skus = skus
        self.byProduct = Dictionary(grouping: skus, by: { $0.productId.uppercased() })
    }

    static func skuId(_ index: Int) -> String {
        let text = String(index, radix: 36, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - text.count)) + text
    }

    /// Availability id for a SKU and scope (`AzurePlan` or legacy), 12 characters.
    static func availabilityId(productId: String, skuId: String, azurePlan: Bool) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(productId.uppercased()):\(skuId.uppercased()):\(azurePlan)".utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        let alphabet = Array("0123456789BCDFGHJKLMNPQRSTVWXZ")
        var text = "DZH318"
        for _ in 0..<6 {
            text.append(alphabet[Int(hash % UInt64(alphabet.count))])
            hash /= UInt64(alphabet.count)
        }
        return text
    }

    func product(_ id: String) -> Series? { Self.series.first { $0.productId.caseInsensitiveCompare(id) == .orderedSame } }
    func skus(of productId: String) -> [SKU] { byProduct[productId.uppercased()] ?? [] }
    func sku(_ productId: String, _ skuId: String) -> SKU? {
        skus(of: productId).first { $0.skuId.caseInsensitiveCompare(skuId) == .orderedSame }
    }
    /// Resolves an availability id for a SKU; returns whether it is the Azure-plan one.
    func availability(_ sku: SKU, _ availabilityId: String) -> Bool? {
        if Self.availabilityId(productId: sku.productId, skuId: sku.skuId, azurePlan: false).caseInsensitiveCompare(availabilityId) == .orderedSame { return false }
        if Self.availabilityId(productId: sku.productId, skuId: sku.skuId, azurePlan: true).caseInsensitiveCompare(availabilityId) == .orderedSame { return true }
        return nil
    }

    /// The one-time unit price of a SKU in a market's currency (exact, rounded to the currency).
    func price(_ sku: SKU, country: String) -> (Decimal, MarketCurrency) {
        let currency = Self.currency(for: country)
        return (Money.round(sku.usdPrice * currency.rate, places: currency.places), currency)
    }

    /// The monthly unit price of a SKU billed monthly: the term's price spread over its months,
    /// rounded up to the currency; the last month is charged what is left, so the months add up
    /// to the one-time price exactly (Azure: monthly and upfront cost the same in total).
    func monthlyPrice(_ sku: SKU, country: String) -> Decimal {
        let (unit, currency) = price(sku, country: country)
        return Money.roundUp(unit / Decimal(12 * sku.years), places: currency.places)
    }

    /// Whether an `InventoryCheck` SKU is restricted for a region.
    func isRestricted(_ sku: SKU, region: String?) -> Bool {
        guard sku.inventoryCheck else { return false }
        let region = (region ?? sku.region.arm).lowercased()
        return Self.restrictedInventoryRegions.contains(region) && region == sku.region.arm
    }

    // MARK: wire rendering

    func productModel(_ series: Series, country: String) -> Product {
        Self.product(id: series.productId, title: series.title, description: "\(series.title): pay once or monthly for a 1- or 3-year term.",
                     subType: series.type.subType, country: country)
    }

    // MARK: shared builders (reservations, the Azure plan, the savings plan)

    /// A Microsoft product of the Azure catalog with its `skus` and `self` links.
    static func product(id: String, title: String, description: String, subType: String?, country: String) -> Product {
        var product = Product(id: id)
        product.title = title
        product.description = description
        product.productType = ItemType(id: "Azure", displayName: "Azure", subType: subType.map { ItemType(id: $0, displayName: $0) })
        product.isMicrosoftProduct = true
        product.publisherName = "Microsoft Corporation"
        let ids = ["product_id": id], market = [("country", country)]
        product.links = Links([
            "skus": Link(uri: OperationCatalog["skus.list"].link(ids, query: market)),
            "self": Link(uri: OperationCatalog["products.get"].link(ids, query: market)),
        ])
        return product
    }

    /// A SKU's common fields: quantities, billing cycles, prerequisites, no inventory or
    /// provisioning variables, and its `availabilities` and `self` links.
    static func sku(id: String, productId: String, title: String, description: String, quantity: ClosedRange<Int>,
                    billing: [BillingCycleType], prerequisites: [String], country: String) -> Sku {
        var sku = Sku(id: id)
        sku.productId = productId
        sku.title = title
        sku.description = description
        sku.minimumQuantity = quantity.lowerBound
        sku.maximumQuantity = quantity.upperBound
        sku.isTrial = false
        sku.supportedBillingCycles = billing
        sku.purchasePrerequisites = prerequisites
        sku.inventoryVariables = []
        sku.provisioningVariables = []
        let ids = ["product_id": productId, "sku_id": id], market = [("country", country)]
        sku.links = Links([
            "availabilities": Link(uri: OperationCatalog["availabilities.list"].link(ids, query: market)),
            "self": Link(uri: OperationCatalog["skus.get"].link(ids, query: market)),
        ])
        return sku
    }

    /// A purchasable availability of `sku` in a market: its catalog item id, currency, terms and
    /// the product and SKU it belongs to.
    static func availability(id: String, product: Product, sku: Sku, terms: [AvailabilityTerm], country: String,
                             segment: TargetSegment = .commercial) -> Availability {
        var model = Availability(id: id)
        model.productId = product.id
        model.skuId = sku.id
        model.catalogItemId = "\(product.id):\(sku.id):\(id)"
        let currency = currency(for: country)
        model.defaultCurrency = CurrencyInfo(code: currency.code, symbol: currency.symbol)
        model.segment = segment
        model.country = country
        model.isPurchasable = true
        model.isRenewable = false
        model.terms = terms
        model.product = product
        model.sku = sku
        model.links = Links(["self": Link(uri: OperationCatalog["availabilities.get"].link(
            ["product_id": product.id, "sku_id": sku.id, "availability_id": id], query: [("country", country)]))])
        return model
    }

    /// A SKU as listed; with `reservationScope=AzurePlan` it also supports monthly billing (the
    /// addendum §1.5, §1.7: monthly is documented for the Azure plan only).
    func skuModel(_ sku: SKU, country: String, azurePlan: Bool = false) -> Sku {
        var model = Self.sku(id: sku.skuId, productId: sku.productId, title: sku.title,
                             description: "\(sku.series.noun), \(sku.size.display), \(sku.region.display), \(sku.years == 1 ? "1 Year" : "3 Years")",
                             quantity: 1...999_999_999, billing: azurePlan ? [.oneTime, .monthly] : [.oneTime],
                             prerequisites: sku.inventoryCheck ? ["AzureSubscriptionRegistration", "InventoryCheck"] : ["AzureSubscriptionRegistration"],
                             country: country)
        model.inventoryVariables = sku.inventoryCheck ? ["CustomerId", "AzureSubscriptionId", "ArmRegionName"] : []
        model.provisioningVariables = ["Scope", "SubscriptionId", "Duration"]
        model.dynamicAttributes = [
            "armSkuName": .string(sku.size.arm), "skuDisplayName": .string(sku.size.display), "category": .string(sku.series.category),
            "armRegionName": .string(sku.region.arm), "duration": .string(sku.durationAttribute),
            "region": .string(sku.region.display), "reservationType": .string(sku.series.type.artifactType),
        ]
        if sku.series.isVM {
            model.dynamicAttributes?["cores"] = .string(String(sku.size.cores))
            model.dynamicAttributes?["ram"] = .string(sku.size.ram)
            model.dynamicAttributes?["diskType"] = .string("Ssd")
            // instance size flexibility: the reservation also covers the group's other sizes, by ratio
            model.dynamicAttributes?["instanceSizeFlexibilityGroup"] = .string(sku.series.flexibilityGroup)
            model.dynamicAttributes?["instanceSizeFlexibilityRatio"] = .string(String(sku.size.cores / max(1, sku.series.sizes.map(\.cores).min() ?? 1)))
        }
        return model
    }

    func availabilityModel(_ sku: SKU, azurePlan: Bool, country: String, segment: TargetSegment = .commercial) -> Availability {
        Self.availability(id: Self.availabilityId(productId: sku.productId, skuId: sku.skuId, azurePlan: azurePlan),
                          product: productModel(sku.series, country: country), sku: skuModel(sku, country: country),
                          terms: [AvailabilityTerm(duration: sku.termDuration, description: sku.years == 1 ? "1 Year Prepaid" : "3 Years Prepaid")],
                          country: country, segment: segment)
    }
}
