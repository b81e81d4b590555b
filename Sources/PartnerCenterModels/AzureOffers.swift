import Foundation

/// The Azure offers a customer needs before it can buy reservations (addendum §1.1): the legacy
/// Microsoft Azure subscription (offer `MS-AZR-0145P`, bought with an order) and the Azure plan
/// (product `DZH318Z0BPS6`, bought with a cart). Shared by the client, pcx and the sandbox.
public enum AzureOffers {
    /// The legacy Microsoft Azure offer (`GET /v1/offers?country=` lists it).
    public static let legacyOfferId = "MS-AZR-0145P"
    /// The Azure plan's product (`targetView=MicrosoftAzure`).
    public static let azurePlanProductId = "DZH318Z0BPS6"
    /// The Azure plan's SKU.
    public static let azurePlanSkuId = "0001"
    /// The Azure plan's availability as documented (`DZH318Z0BPS6:0001:DZH318Z0BML6`).
    public static let azurePlanAvailabilityId = "DZH318Z0BML6"
    /// The Azure plan's catalog item id.
    public static var azurePlanCatalogItemId: String { "\(azurePlanProductId):\(azurePlanSkuId):\(azurePlanAvailabilityId)" }

    /// True when an offer or catalog item id is the Azure plan's (any availability, any case).
    public static func isAzurePlan(_ offerId: String?) -> Bool {
        guard let offerId else { return false }
        return offerId.uppercased().hasPrefix(azurePlanProductId + ":")
    }

    /// True when an offer id is the legacy Microsoft Azure offer (any case).
    public static func isLegacyAzure(_ offerId: String?) -> Bool {
        offerId?.caseInsensitiveCompare(legacyOfferId) == .orderedSame
    }
}

/// A kind of Azure reservation partners buy, and how Partner Center's catalog shows it (addendum
/// §1.5): the product list's `targetView`, the product's `productType.subType.id` and the
/// entitlement artifact's `reservationType`. Declared once: pcx's `purchase-reservation --type`,
/// `pc.reservation_types()` and the sandbox's catalog all read ``all``.
///
/// Only `AzureReservationsVM`, `AzureReservationsSQL` and `AzureReservationsCosmosDb` are documented
/// views; the other types are reached through `AzureReservations` ("all Azure reservation items") and
/// told apart by sub-type. Sub-types other than `VirtualMachines` and artifact types other than
/// `virtualmachines`/`sqldatabases` are UNCONFIRMED: clients compare them case-insensitively.
public struct ReservationType: Sendable, Hashable {
    /// pcx's short name (`--type`): `vm`, `sql`, `cosmosdb`, `appservice`, `storage`, ...
    public let name: String
    /// The product list's `targetView`.
    public let targetView: String
    /// `productType.subType.id` of the type's products.
    public let subType: String
    /// The entitlement artifact's `dynamicAttributes.reservationType`.
    public let artifactType: String
    /// What a person calls it.
    public let displayName: String
    /// An ARM SKU name of the type, for help and examples.
    public let exampleSku: String

    /// Every type pcx knows, VM first.
    public static let all: [ReservationType] = [
        ReservationType(name: "vm", targetView: "AzureReservationsVM", subType: "VirtualMachines", artifactType: "virtualmachines",
                        displayName: "Virtual machines", exampleSku: "Standard_D2s_v3"),
        ReservationType(name: "sql", targetView: "AzureReservationsSQL", subType: "SqlDatabases", artifactType: "sqldatabases",
                        displayName: "SQL Database", exampleSku: "SQLDB_GP_Compute_Gen5"),
        ReservationType(name: "cosmosdb", targetView: "AzureReservationsCosmosDb", subType: "CosmosDb", artifactType: "cosmosdb",
                        displayName: "Cosmos DB", exampleSku: "CosmosDB_100RUs"),
        ReservationType(name: "appservice", targetView: "AzureReservations", subType: "AppService", artifactType: "appservice",
                        displayName: "App Service", exampleSku: "P1v3"),
        ReservationType(name: "storage", targetView: "AzureReservations", subType: "BlockBlob", artifactType: "blockblob",
                        displayName: "Blob storage", exampleSku: "Blob_Hot_LRS_100TB"),
        ReservationType(name: "redis", targetView: "AzureReservations", subType: "RedisCache", artifactType: "rediscache",
                        displayName: "Azure Cache for Redis", exampleSku: "Premium_P1"),
    ]

    /// The view that lists every reservation product.
    public static let allReservationsView = "AzureReservations"

    /// The type named `name` (case-insensitive), or nil.
    public static func named(_ name: String) -> ReservationType? {
        all.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }
    }

    /// The type of a product sub-type (case-insensitive), or nil.
    public static func forSubType(_ subType: String) -> ReservationType? {
        all.first { $0.subType.caseInsensitiveCompare(subType) == .orderedSame }
    }
}

/// An offer of the legacy (license-based) catalog (`Offer`), listed by `GET /v1/offers?country=`.
/// The Microsoft Azure offer `MS-AZR-0145P` is one; it is bought with an order (``Order``) whose
/// line's `offerId` is the offer's id.
public struct Offer: Codable, Hashable, Sendable {
    /// The offer id, e.g. `MS-AZR-0145P`.
    public var id: String
    /// Name, e.g. `Microsoft Azure`.
    public var name: String?
    /// Description.
    public var description: String?
    /// Smallest quantity an order may ask for.
    public var minimumQuantity: Int?
    /// Largest quantity an order may ask for.
    public var maximumQuantity: Int?
    /// Rank within its category.
    public var rank: Int?
    /// Offer URI.
    public var uri: String?
    /// Locale of the texts.
    public var locale: String?
    /// Market (ISO alpha-2).
    public var country: String?
    /// The offer's category.
    public var category: OfferCategory?
    /// Offers that must be owned first.
    public var prerequisiteOffers: [String]?
    /// True for an add-on.
    public var isAddOn: Bool?
    /// True when it can be bought now.
    public var isAvailableForPurchase: Bool?
    /// `usage` (Azure) or `license`.
    public var billing: String?
    /// Whether it renews by itself.
    public var isAutoRenewable: Bool?
    /// The product it belongs to.
    public var product: OfferProduct?
    /// `Usage-based` or `Licenses`.
    public var unitType: String?
    /// `self`.
    public var links: Links?
    /// `{"objectType": "Offer"}`.
    public var attributes: ResourceAttributes?
    /// Makes an offer with only an id.
    public init(id: String) { self.id = id }
}

/// An offer's category (`OfferCategory`).
public struct OfferCategory: Codable, Hashable, Sendable {
    /// Category id, e.g. `Azure`.
    public var id: String?
    /// Name.
    public var name: String?
    /// Rank.
    public var rank: Int?
    /// Locale.
    public var locale: String?
    /// Market.
    public var country: String?
    /// Makes a category.
    public init(id: String?, name: String?) {
        self.id = id
        self.name = name
    }
}

/// The product an offer belongs to (`OfferProduct`).
public struct OfferProduct: Codable, Hashable, Sendable {
    /// Product id.
    public var id: String?
    /// Name.
    public var name: String?
    /// Unit, e.g. `Usage-based`.
    public var unit: String?
    /// Makes an offer product.
    public init(id: String?, name: String?, unit: String?) {
        self.id = id
        self.name = name
        self.unit = unit
    }
}

/// An Azure savings plan's hourly commitment (`purchaseCommitment` on a cart or order line:
/// `{"amount": 0.05, "grain": "hourly", "currency": "usd"}`, addendum §1.5). `amount` is read from
/// a JSON number or a decimal string, exactly.
public struct PurchaseCommitment: Codable, Hashable, Sendable {
    /// The committed amount per `grain`, in `currency`.
    public var amount: Decimal?
    /// `hourly` (the only grain documented; any case).
    public var grain: String?
    /// The currency code (the sample writes it in lower case).
    public var currency: String?

    /// Makes a commitment.
    public init(amount: Decimal?, grain: String? = "hourly", currency: String?) {
        self.amount = amount
        self.grain = grain
        self.currency = currency
    }

    enum CodingKeys: String, CodingKey { case amount, grain, currency }

    /// Decodes tolerantly: `amount` as a number or a decimal string; wrong kinds become nil.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let number = try? c.decodeIfPresent(Decimal.self, forKey: .amount) {
            amount = number
        } else if let text = try? c.decodeIfPresent(String.self, forKey: .amount) {
            amount = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
        }
        grain = try? c.decodeIfPresent(String.self, forKey: .grain)
        currency = try? c.decodeIfPresent(String.self, forKey: .currency)
    }
}

/// The smallest commitment a savings plan SKU accepts (`minimumPurchaseCommitment`:
/// `{"grain": "Hourly", "currencyCode": {"code", "symbol"}, "amount": "0.001"}`, the amount a string).
public struct MinimumPurchaseCommitment: Codable, Hashable, Sendable {
    /// `Hourly`.
    public var grain: String?
    /// The currency.
    public var currencyCode: CurrencyInfo?
    /// The amount, as a decimal string.
    public var amount: String?
    /// Makes one.
    public init(grain: String?, currencyCode: CurrencyInfo?, amount: String?) {
        self.grain = grain
        self.currencyCode = currencyCode
        self.amount = amount
    }
}

/// One purchase inside a benefit subscription (an Azure savings plan's `lineItems`, addendum §1.7).
public struct SubscriptionLineItem: Codable, Hashable, Sendable {
    /// Line id.
    public var id: String?
    /// Name, e.g. `Compute savings plan, 1 Year`.
    public var friendlyName: String?
    /// The benefit's scope: `{"type": "Shared", "subscriptionId": plan}` or `{"type": "Single", "entitlementId": ...}`.
    public var scope: [String: String]?
    /// Auto-renew flag.
    public var autoRenewEnabled: Bool?
    /// `active`, ...
    public var status: String?
    /// The hourly commitment.
    public var purchaseCommitment: PurchaseCommitment?
    /// Makes a line.
    public init(id: String?) { self.id = id }
}

extension AzureOffers {
    /// The Azure savings plan for compute (documented product `DZH318Z09V6F`, sub-type `SavingsPlan`,
    /// SKU `0001` for one year and `0002` for three, ARM name `Compute_Savings_Plan`).
    public static let savingsPlanProductId = "DZH318Z09V6F"
    /// The savings plan product's `productType.subType.id`.
    public static let savingsPlanSubType = "SavingsPlan"
    /// The savings plan SKU's `armSkuName`.
    public static let savingsPlanArmSkuName = "Compute_Savings_Plan"
    /// Hours in a savings plan year: the commitment per hour times these is a year's price.
    public static let hoursPerYear = 8760
}
