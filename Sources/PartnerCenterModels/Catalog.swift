import Foundation

/// `ItemType`: a product type with an optional sub-type.
public final class ItemType: Codable, Hashable, Sendable {
    /// e.g. `Azure`, `OnlineServicesNCE`.
    public let id: String?
    /// Display name.
    public let displayName: String?
    /// Nested sub-type, e.g. `VirtualMachines`.
    public let subType: ItemType?
    /// Makes an item type.
    public init(id: String?, displayName: String?, subType: ItemType? = nil) {
        self.id = id
        self.displayName = displayName
        self.subType = subType
    }
    /// Structural equality.
    public static func == (lhs: ItemType, rhs: ItemType) -> Bool {
        lhs.id == rhs.id && lhs.displayName == rhs.displayName && lhs.subType == rhs.subType
    }
    /// Structural hash.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(displayName)
        hasher.combine(subType)
    }
}

/// A catalog product (`Product`); products are bought through an availability's `catalogItemId`.
public struct Product: Codable, Hashable, Sendable {
    /// 12-character id, e.g. `DZH318Z0BQ3Q`.
    public var id: String
    /// Title.
    public var title: String?
    /// Description.
    public var description: String?
    /// Product type.
    public var productType: ItemType?
    /// Microsoft product flag.
    public var isMicrosoftProduct: Bool?
    /// Publisher.
    public var publisherName: String?
    /// `skus`, `self`.
    public var links: Links?
    /// Usually absent on products.
    public var attributes: ResourceAttributes?
    /// Makes a product with only an id.
    public init(id: String) { self.id = id }
}

/// A SKU of a product (`Sku`).
public struct Sku: Codable, Hashable, Sendable {
    /// 4-character id unique within its product, e.g. `0001`.
    public var id: String
    /// Parent product id.
    public var productId: String?
    /// Title.
    public var title: String?
    /// Description.
    public var description: String?
    /// Minimum quantity per line.
    public var minimumQuantity: Int?
    /// Maximum quantity per line.
    public var maximumQuantity: Int?
    /// Trial flag.
    public var isTrial: Bool?
    /// Terms of use.
    public var termsOfUseUri: String?
    /// e.g. `[one_time]`.
    public var supportedBillingCycles: [BillingCycleType]?
    /// `InventoryCheck`, `AzureSubscriptionRegistration`, ….
    public var purchasePrerequisites: [String]?
    /// `CustomerId`, `AzureSubscriptionId`, `ArmRegionName`.
    public var inventoryVariables: [String]?
    /// `Scope`, `SubscriptionId`, `Duration`.
    public var provisioningVariables: [String]?
    /// `armSkuName`, `armRegionName`, `duration`, … (keys not guaranteed stable).
    public var dynamicAttributes: [String: JSONValue]?
    /// Actions, e.g. `Refund`.
    public var actions: [String]?
    /// An Azure savings plan's smallest hourly commitment.
    public var minimumPurchaseCommitment: MinimumPurchaseCommitment?
    /// Consumption type.
    public var consumptionType: String?
    /// `availabilities`, `self`.
    public var links: Links?
    /// Attributes, when sent.
    public var attributes: ResourceAttributes?
    /// Makes a SKU with only an id.
    public init(id: String) { self.id = id }

    /// `dynamicAttributes[key]` as text.
    public func dynamicAttribute(_ key: String) -> String? { dynamicAttributes?[key]?.stringValue }
    /// True when `purchasePrerequisites` contains `name` (case-insensitive).
    public func requires(_ name: String) -> Bool {
        purchasePrerequisites?.contains { $0.caseInsensitiveCompare(name) == .orderedSame } ?? false
    }
}

/// `defaultCurrency`: an object `{code, symbol}` on the wire.
public struct CurrencyInfo: Codable, Hashable, Sendable {
    /// ISO currency code.
    public var code: String?
    /// Symbol, e.g. `$`.
    public var symbol: String?
    /// Makes currency info.
    public init(code: String?, symbol: String?) {
        self.code = code
        self.symbol = symbol
    }
}

/// An availability's term (`AvailabilityTerm`).
public struct AvailabilityTerm: Codable, Hashable, Sendable {
    /// NCE term id.
    public var id: String?
    /// `P1M`, `P1Y`, `P3Y`.
    public var duration: String?
    /// e.g. `1 Year Prepaid`.
    public var description: String?
    /// PascalCase text such as `Annual` (a string, not the enum).
    public var billingCycle: String?
    /// Makes a term.
    public init(duration: String?, description: String?) {
        self.duration = duration
        self.description = description
    }
}

/// Where and how a SKU can be bought (`Availability`).
public struct Availability: Codable, Hashable, Sendable {
    /// 12-character id, unique within product+SKU; may rotate.
    public var id: String
    /// Product id.
    public var productId: String?
    /// SKU id.
    public var skuId: String?
    /// `productId:skuId:availabilityId`, the value to put in a cart line.
    public var catalogItemId: String?
    /// Currency of prices for this availability.
    public var defaultCurrency: CurrencyInfo?
    /// `commercial`, ….
    public var segment: TargetSegment?
    /// Country.
    public var country: String?
    /// Purchasable flag.
    public var isPurchasable: Bool?
    /// Renewable flag.
    public var isRenewable: Bool?
    /// Terms.
    public var terms: [AvailabilityTerm]?
    /// Embedded product.
    public var product: Product?
    /// Embedded SKU.
    public var sku: Sku?
    /// `self`.
    public var links: Links?
    /// Attributes, when sent.
    public var attributes: ResourceAttributes?
    /// Makes an availability with only an id.
    public init(id: String) { self.id = id }
}

/// One item to check, or a result of `checkInventory` (`InventoryItem`).
public struct InventoryItem: Codable, Hashable, Sendable {
    /// Product id (required on input).
    public var productId: String?
    /// SKU id; omit on input to check every SKU of the product.
    public var skuId: String?
    /// Output: restricted flag.
    public var isRestricted: Bool?
    /// Output: restrictions.
    public var restrictions: [InventoryRestriction]?
    /// Makes an item.
    public init(productId: String?, skuId: String? = nil) {
        self.productId = productId
        self.skuId = skuId
    }
}

/// Why an inventory item is restricted (`InventoryRestriction`).
public struct InventoryRestriction: Codable, Hashable, Sendable {
    /// e.g. `NotAvailableForSubscription`.
    public var reasonCode: String?
    /// Description.
    public var description: String?
    /// e.g. `{"type": "Location", "values": "japanwest"}`.
    public var properties: [String: String]?
    /// Makes a restriction.
    public init(reasonCode: String?, description: String?, properties: [String: String]?) {
        self.reasonCode = reasonCode
        self.description = description
        self.properties = properties
    }
}

/// The body of `POST /v1/extensions/product/checkInventory` (`InventoryCheckRequest`).
public struct InventoryCheckRequest: Codable, Hashable, Sendable {
    /// Items to check.
    public var targetItems: [InventoryItem]?
    /// `customerId`, `azureSubscriptionId`, `armRegionName`.
    public var inventoryContext: [String: String]?
    /// Links.
    public var links: Links?
    /// Makes a request.
    public init(targetItems: [InventoryItem], inventoryContext: [String: String]) {
        self.targetItems = targetItems
        self.inventoryContext = inventoryContext
    }
}
