import Foundation

/// Pre-tax prices of a cart or order line (`pricing`), in the line's currency.
public struct Pricing: Codable, Hashable, Sendable {
    /// List unit price.
    public var listPrice: Decimal?
    /// Discounted unit price.
    public var discountedPrice: Decimal?
    /// Prorated unit price.
    public var proratedPrice: Decimal?
    /// Unit price charged.
    public var price: Decimal?
    /// `price × quantity`.
    public var extendedPrice: Decimal?
    /// Makes pricing.
    public init(listPrice: Decimal? = nil, discountedPrice: Decimal? = nil, proratedPrice: Decimal? = nil, price: Decimal? = nil, extendedPrice: Decimal? = nil) {
        self.listPrice = listPrice
        self.discountedPrice = discountedPrice
        self.proratedPrice = proratedPrice
        self.price = price
        self.extendedPrice = extendedPrice
    }
}

/// A `{key, value}` participant (e.g. `transaction_reseller`).
public struct Participant: Codable, Hashable, Sendable {
    /// Participant type.
    public var key: String?
    /// Partner id.
    public var value: String?
    /// Makes a participant.
    public init(key: String?, value: String?) {
        self.key = key
        self.value = value
    }
}

/// `renewsTo`: `{termDuration}`.
public struct RenewsTo: Codable, Hashable, Sendable {
    /// Renewal term.
    public var termDuration: String?
    /// Makes a renewal term.
    public init(termDuration: String?) { self.termDuration = termDuration }
}

/// A line item's validation error (`CartError`); not an HTTP error.
public struct CartError: Codable, Hashable, Sendable {
    /// Integer `CartErrorCode` (10001, 10003, 10011, …).
    public var errorCode: Int?
    /// Description.
    public var errorDescription: String?
    /// e.g. `availableQuantity`, `purchasedQuantity`.
    public var additionalInformation: [String: JSONValue]?
    /// Makes an error.
    public init(errorCode: Int, errorDescription: String, additionalInformation: [String: JSONValue]? = nil) {
        self.errorCode = errorCode
        self.errorDescription = errorDescription
        self.additionalInformation = additionalInformation
    }
}

/// Documented `CartErrorCode` integers.
public enum CartErrorCode {
    /// 10000.
    public static let currencyIsNotSupported = 10000
    /// 10001.
    public static let catalogItemIdIsNotValid = 10001
    /// 10002.
    public static let quotaNotAvailable = 10002
    /// 10003.
    public static let inventoryNotAvailable = 10003
    /// 10006.
    public static let unableToProcessCartLineItem = 10006
    /// 10007.
    public static let subscriptionIsNotValid = 10007
    /// 10008.
    public static let subscriptionIsNotEnabledForRI = 10008
    /// 10009.
    public static let sandboxLimitExceeded = 10009
    /// 10010.
    public static let invalidInput = 10010
    /// 10011.
    public static let subscriptionNotRegistered = 10011
    /// 10013: the SKU does not support the line's billing plan (monthly outside the Azure plan).
    public static let billingPlanNotSupported = 10013
    /// 900312: the provisioning context's scope is neither single nor shared.
    public static let scopeNotSupported = 900312
    /// 900313: single scope under an Azure plan without an `entitlementId`.
    public static let entitlementRequired = 900313
    /// 900314: the Azure subscription given as `entitlementId` is not active.
    public static let entitlementNotActive = 900314
    /// 900317: shared scope under an Azure plan without the plan's `subscriptionId`.
    public static let planRequired = 900317
    /// 900318: the Azure plan was not found or has no active Azure subscription.
    public static let planNotFound = 900318
    /// 900315: the catalog item cannot be bought with this subscription (the wrong
    /// `reservationScope` for its kind, or an Azure subscription outside the customer's plan).
    public static let notEligibleForSubscription = 900315
    /// 900323 (403): a savings plan's partner of record differs from the Azure plan's (it is inherited).
    public static let partnerOfRecordMismatch = 900323
}

/// A cart line (`CartLineItem`).
public struct CartLineItem: Codable, Hashable, Sendable {
    /// Client-assigned index (an integer on the wire).
    public var id: Int?
    /// `productId:skuId:availabilityId`.
    public var catalogItemId: String?
    /// Friendly name.
    public var friendlyName: String?
    /// Quantity.
    public var quantity: Int?
    /// Currency (server-filled).
    public var currencyCode: String?
    /// Billing cycle (`one_time` for RIs).
    public var billingCycle: BillingCycleType?
    /// `P1Y`, `P3Y`.
    public var termDuration: String?
    /// Promotion id.
    public var promotionId: String?
    /// Participants.
    public var participants: [Participant]?
    /// RIs: `subscriptionId`, `scope`, `duration` (echoed in lower camel case).
    public var provisioningContext: [String: String]?
    /// Server-assigned order group.
    public var orderGroup: String?
    /// Purchase system.
    public var purchaseSystem: String?
    /// Add-ons.
    public var addonItems: [CartLineItem]?
    /// Renewal term.
    public var renewsTo: RenewsTo?
    /// Validation error, when the line cannot be bought.
    public var error: CartError?
    /// Co-termination date.
    public var customTermEndDate: Date?
    /// Attestation flag.
    public var attestationAccepted: Bool?
    /// Prices (server-filled).
    public var pricing: Pricing?
    /// An Azure savings plan's hourly commitment.
    public var purchaseCommitment: PurchaseCommitment?
    /// Makes a line.
    public init(id: Int?, catalogItemId: String?, quantity: Int?, billingCycle: BillingCycleType?) {
        self.id = id
        self.catalogItemId = catalogItemId
        self.quantity = quantity
        self.billingCycle = billingCycle
    }
}

/// A cart (`Cart`).
public struct Cart: Codable, Hashable, Sendable {
    /// GUID (server-assigned; absent on create).
    public var id: String?
    /// Creation time.
    public var creationTimestamp: Date?
    /// Last modification time.
    public var lastModifiedTimestamp: Date?
    /// Expiry (7 days after creation).
    public var expirationTimestamp: Date?
    /// Object id of the last modifier.
    public var lastModifiedUser: String?
    /// Lines.
    public var lineItems: [CartLineItem]?
    /// `Active` or `Ordered`.
    public var status: CartStatus?
    /// Partner-of-record attestation.
    public var partnerOnRecordAttestationAccepted: Bool?
    /// `self`.
    public var links: Links?
    /// `{"objectType": "Cart"}`.
    public var attributes: ResourceAttributes?
    /// Makes a cart from lines.
    public init(lineItems: [CartLineItem]) { self.lineItems = lineItems }
}

/// One failed order group at checkout (`OrderError`).
public struct OrderError: Codable, Hashable, Sendable {
    /// The failed `orderGroup`.
    public var orderGroupId: String?
    /// Partner Center error code.
    public var code: Int?
    /// Description.
    public var description: String?
    /// Makes an error.
    public init(orderGroupId: String?, code: Int?, description: String?) {
        self.orderGroupId = orderGroupId
        self.code = code
        self.description = description
    }
}

/// The result of a checkout (`CartCheckoutResult`): orders and per-group failures.
public struct CartCheckoutResult: Codable, Hashable, Sendable {
    /// Orders created, one per order group.
    public var orders: [Order]?
    /// Failed groups.
    public var orderErrors: [OrderError]?
    /// `{"objectType": "CartCheckoutResult"}`.
    public var attributes: ResourceAttributes?
    /// Makes a result.
    public init(orders: [Order], orderErrors: [OrderError]) {
        self.orders = orders
        self.orderErrors = orderErrors
        self.attributes = ResourceAttributes(objectType: "CartCheckoutResult")
    }
}
