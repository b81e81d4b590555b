import Foundation

/// An order line (`OrderLineItem`).
public struct OrderLineItem: Codable, Hashable, Sendable {
    /// 0-based line number.
    public var lineItemNumber: Int?
    /// The catalog item id bought.
    public var offerId: String?
    /// Subscription created (absent for RIs).
    public var subscriptionId: String?
    /// Parent subscription.
    public var parentSubscriptionId: String?
    /// Term.
    public var termDuration: String?
    /// `New`, ….
    public var transactionType: String?
    /// Friendly name.
    public var friendlyName: String?
    /// Quantity.
    public var quantity: Int?
    /// Prices (with `include_price=true`).
    public var pricing: Pricing?
    /// Partner of record.
    public var partnerIdOnRecord: String?
    /// Provisioning context.
    public var provisioningContext: [String: String]?
    /// An Azure savings plan's hourly commitment.
    public var purchaseCommitment: PurchaseCommitment?
    /// Renewal term.
    public var renewsTo: RenewsTo?
    /// `product`, `sku`, `availability`, ….
    public var links: Links?
    /// Makes a line.
    public init(lineItemNumber: Int?, offerId: String?, quantity: Int?) {
        self.lineItemNumber = lineItemNumber
        self.offerId = offerId
        self.quantity = quantity
    }
}

/// An order (`Order`).
public struct Order: Codable, Hashable, Sendable {
    /// Order id (opaque).
    public var id: String
    /// 12-hex friendly id.
    public var alternateId: String?
    /// Customer tenant id.
    public var referenceCustomerId: String?
    /// Billing cycle (`one_time` for RIs).
    public var billingCycle: BillingCycleType?
    /// `UserPurchase`, `SystemPurchase`, `SystemBilling`.
    public var transactionType: String?
    /// Lines.
    public var lineItems: [OrderLineItem]?
    /// Currency.
    public var currencyCode: String?
    /// Currency symbol.
    public var currencySymbol: String?
    /// Creation time.
    public var creationDate: Date?
    /// `pending`, `completed`, ….
    public var status: OrderStatus?
    /// Total (with `include_price=true`).
    public var totalPrice: Decimal?
    /// Attestation flag.
    public var partnerOnRecordAttestationAccepted: Bool?
    /// Client info (sample `{}`).
    public var client: [String: JSONValue]?
    /// `self`, `provisioningStatus`, `patchOperation`.
    public var links: Links?
    /// `{"objectType": "Order"}`.
    public var attributes: ResourceAttributes?
    /// Makes an order with only an id.
    public init(id: String) { self.id = id }
}

/// `{quantity, status}` inside a provisioning status.
public struct QuantityProvisioningInformation: Codable, Hashable, Sendable {
    /// Quantity.
    public var quantity: Int?
    /// Status.
    public var status: ProvisioningStatus?
    /// Makes an entry.
    public init(quantity: Int?, status: ProvisioningStatus?) {
        self.quantity = quantity
        self.status = status
    }
}

/// One line's provisioning status (`OrderLineItemProvisioningStatus`).
public struct OrderLineItemProvisioningStatus: Codable, Hashable, Sendable {
    /// Line id (sample only).
    public var orderLineItemId: Int?
    /// Line number.
    public var lineItemNumber: Int?
    /// `fulfilled`, `unfulfilled`, `prefulfillmentpending`.
    public var status: ProvisioningStatus?
    /// Per-quantity details.
    public var quantityProvisioningInformation: [QuantityProvisioningInformation]?
    /// Makes a status.
    public init(lineItemNumber: Int?, status: ProvisioningStatus?) {
        self.lineItemNumber = lineItemNumber
        self.status = status
    }
}

/// `referenceOrder` of an entitlement.
public struct ReferenceOrder: Codable, Hashable, Sendable {
    /// Order id.
    public var id: String?
    /// Line id (a string on the wire).
    public var lineItemId: String?
    /// Order alternate id.
    public var alternateId: String?
    /// Makes a reference.
    public init(id: String?, lineItemId: String?, alternateId: String?) {
        self.id = id
        self.lineItemId = lineItemId
        self.alternateId = alternateId
    }
}

/// `{quantity, status}` of an entitlement.
public struct QuantityDetail: Codable, Hashable, Sendable {
    /// Quantity.
    public var quantity: Int?
    /// Status.
    public var status: String?
    /// Makes a detail.
    public init(quantity: Int?, status: String?) {
        self.quantity = quantity
        self.status = status
    }
}

/// An entitled artifact; for `reservedinstance` it carries `link` and `resourceId`.
public struct Artifact: Codable, Hashable, Sendable {
    /// `reservedinstance`, ….
    public var artifactType: ArtifactType?
    /// e.g. `{"reservationType": "virtualmachines"}`.
    public var dynamicAttributes: [String: JSONValue]?
    /// Link to the reservation details.
    public var link: Link?
    /// Azure reservation order id.
    public var resourceId: String?
    /// Makes an artifact.
    public init(artifactType: ArtifactType?) { self.artifactType = artifactType }
}

/// An entitlement (`Entitlement`).
public struct Entitlement: Codable, Hashable, Sendable {
    /// The order line that created it.
    public var referenceOrder: ReferenceOrder?
    /// Product id.
    public var productId: String?
    /// SKU id.
    public var skuId: String?
    /// Quantity.
    public var quantity: Int?
    /// Quantity details.
    public var quantityDetails: [QuantityDetail]?
    /// `reservedinstance`, `software`.
    public var entitlementType: EntitlementType?
    /// Artifacts.
    public var entitledArtifacts: [Artifact]?
    /// Nested entitlements.
    public var includedEntitlements: [Entitlement]?
    /// Expiry (with `showExpiry=true`).
    public var expiryDate: Date?
    /// Fulfillment state.
    public var fulfillmentState: String?
    /// Sometimes sent here instead of on the artifact.
    public var dynamicAttributes: [String: JSONValue]?
    /// Makes an empty entitlement.
    public init() {}
}

/// One Azure reservation (`Reservation`).
public struct Reservation: Codable, Hashable, Sendable {
    /// Reservation id.
    public var reservationId: String?
    /// `Shared` or `Single`.
    public var scopeType: String?
    /// Display name.
    public var displayName: String?
    /// Applied scopes (non-shared only).
    public var appliedScopes: [String]?
    /// Quantity.
    public var quantity: Int?
    /// Expiry.
    public var expiryDateTime: Date?
    /// Effective date.
    public var effectiveDateTime: Date?
    /// e.g. `Created`.
    public var provisioningState: String?
    /// Makes a reservation.
    public init(reservationId: String?) { self.reservationId = reservationId }
}

/// Reservation details behind an RI artifact (`ReservedInstanceArtifactDetails`).
public struct ReservedInstanceArtifactDetails: Codable, Hashable, Sendable {
    /// `reservedinstance`.
    public var type: String?
    /// Reservations (SDK name).
    public var reservations: [Reservation]?
    /// Reservations (legacy name used by the sample).
    public var virtualMachineReservations: [Reservation]?
    /// Makes details.
    public init(type: String?, reservations: [Reservation]) {
        self.type = type
        self.reservations = reservations
        self.virtualMachineReservations = reservations
    }
    /// `reservations`, falling back to `virtualMachineReservations`.
    public var allReservations: [Reservation] { reservations ?? virtualMachineReservations ?? [] }
}
