import Foundation

/// How often an item is charged (`billingCycle`).
///
/// Tolerant: any casing/underscores parse; unrecognized text is kept in `.unknown`.
public enum BillingCycleType: WireEnum {
    /// Wire `monthly`.
    case monthly
    /// Wire `annual`.
    case annual
    /// Wire `none`.
    case none
    /// Wire `one_time`.
    case oneTime
    /// Wire `triennial`.
    case triennial
    /// Wire `biennial`.
    case biennial
    /// A value this version does not know, as it arrived.
    case unknown(String)

    /// Every documented member.
    public static let knownCases: [BillingCycleType] = [.monthly, .annual, .none, .oneTime, .triennial, .biennial]
    /// The SDK's integer values.
    public static let integerForms: [Int: BillingCycleType] = [0: .unknown("unknown"), 1: .monthly, 2: .annual, 3: .none, 4: .oneTime, 5: .triennial, 6: .biennial]
    /// The documented wire spelling.
    public var wireValue: String {
        switch self {
        case .monthly: return "monthly"
        case .annual: return "annual"
        case .none: return "none"
        case .oneTime: return "one_time"
        case .triennial: return "triennial"
        case .biennial: return "biennial"
        case .unknown(let raw): return raw
        }
    }
    /// Makes the unknown case.
    public init(unknownWireValue raw: String) { self = .unknown(raw) }
}

/// An order's `status` (lower case on the wire).
///
/// Tolerant: any casing/underscores parse; unrecognized text is kept in `.unknown`.
public enum OrderStatus: WireEnum {
    /// Wire `completed`.
    case completed
    /// Wire `pending`.
    case pending
    /// Wire `cancelled`.
    case cancelled
    /// Wire `suspended`.
    case suspended
    /// Wire `pending review`.
    case pendingReview
    /// Wire `pending po upload`.
    case pendingPOUpload
    /// Wire `po upload complete`.
    case poUploadComplete
    /// Wire `po review rejected`.
    case poReviewRejected
    /// Wire `partial success`.
    case partialSuccess
    /// Wire `error`.
    case error
    /// A value this version does not know, as it arrived.
    case unknown(String)

    /// Every documented member.
    public static let knownCases: [OrderStatus] = [.completed, .pending, .cancelled, .suspended, .pendingReview, .pendingPOUpload, .poUploadComplete, .poReviewRejected, .partialSuccess, .error]
    /// The SDK's integer values.
    public static let integerForms: [Int: OrderStatus] = [0: .unknown("unknown"), 1: .completed, 2: .pending, 3: .cancelled, 4: .suspended, 5: .pendingReview, 6: .pendingPOUpload, 7: .poUploadComplete, 8: .poReviewRejected, 9: .partialSuccess, 10: .error]
    /// The documented wire spelling.
    public var wireValue: String {
        switch self {
        case .completed: return "completed"
        case .pending: return "pending"
        case .cancelled: return "cancelled"
        case .suspended: return "suspended"
        case .pendingReview: return "pending review"
        case .pendingPOUpload: return "pending po upload"
        case .poUploadComplete: return "po upload complete"
        case .poReviewRejected: return "po review rejected"
        case .partialSuccess: return "partial success"
        case .error: return "error"
        case .unknown(let raw): return raw
        }
    }
    /// Makes the unknown case.
    public init(unknownWireValue raw: String) { self = .unknown(raw) }
}

/// A cart's `status`.
///
/// Tolerant: any casing/underscores parse; unrecognized text is kept in `.unknown`.
public enum CartStatus: WireEnum {
    /// Wire `Active`.
    case active
    /// Wire `Ordered`.
    case ordered
    /// A value this version does not know, as it arrived.
    case unknown(String)

    /// Every documented member.
    public static let knownCases: [CartStatus] = [.active, .ordered]
    /// The documented wire spelling.
    public var wireValue: String {
        switch self {
        case .active: return "Active"
        case .ordered: return "Ordered"
        case .unknown(let raw): return raw
        }
    }
    /// Makes the unknown case.
    public init(unknownWireValue raw: String) { self = .unknown(raw) }
}

/// A subscription's RI registration `status` (emitted PascalCase like the only real sample).
///
/// Tolerant: any casing/underscores parse; unrecognized text is kept in `.unknown`.
public enum RegistrationState: WireEnum {
    /// Wire `NotRegistered`.
    case notRegistered
    /// Wire `Registering`.
    case registering
    /// Wire `Registered`.
    case registered
    /// A value this version does not know, as it arrived.
    case unknown(String)

    /// Every documented member.
    public static let knownCases: [RegistrationState] = [.notRegistered, .registering, .registered]
    /// The documented wire spelling.
    public var wireValue: String {
        switch self {
        case .notRegistered: return "NotRegistered"
        case .registering: return "Registering"
        case .registered: return "Registered"
        case .unknown(let raw): return raw
        }
    }
    /// Makes the unknown case.
    public init(unknownWireValue raw: String) { self = .unknown(raw) }
}

/// An invoice detail's or line item's `billingProvider` (also the `provider` query value).
///
/// Tolerant: any casing/underscores parse; unrecognized text is kept in `.unknown`.
public enum BillingProvider: WireEnum {
    /// Wire `none`.
    case none
    /// Wire `office`.
    case office
    /// Wire `azure`.
    case azure
    /// Wire `one_time`.
    case oneTime
    /// Wire `marketplace`.
    case marketplace
    /// Wire `all`.
    case all
    /// Wire `azure_data_market`.
    case azureDataMarket
    /// A value this version does not know, as it arrived.
    case unknown(String)

    /// Every documented member.
    public static let knownCases: [BillingProvider] = [.none, .office, .azure, .oneTime, .marketplace, .all, .azureDataMarket]
    /// The documented wire spelling.
    public var wireValue: String {
        switch self {
        case .none: return "none"
        case .office: return "office"
        case .azure: return "azure"
        case .oneTime: return "one_time"
        case .marketplace: return "marketplace"
        case .all: return "all"
        case .azureDataMarket: return "azure_data_market"
        case .unknown(let raw): return raw
        }
    }
    /// Makes the unknown case.
    public init(unknownWireValue raw: String) { self = .unknown(raw) }
}

/// `invoiceLineItemType` (query/path forms `BillingLineItems`, `billinglineitems` also parse).
///
/// Tolerant: any casing/underscores parse; unrecognized text is kept in `.unknown`.
public enum InvoiceLineItemType: WireEnum {
    /// Wire `none`.
    case none
    /// Wire `usage_line_items`.
    case usageLineItems
    /// Wire `billing_line_items`.
    case billingLineItems
    /// A value this version does not know, as it arrived.
    case unknown(String)

    /// Every documented member.
    public static let knownCases: [InvoiceLineItemType] = [.none, .usageLineItems, .billingLineItems]
    /// The documented wire spelling.
    public var wireValue: String {
        switch self {
        case .none: return "none"
        case .usageLineItems: return "usage_line_items"
        case .billingLineItems: return "billing_line_items"
        case .unknown(let raw): return raw
        }
    }
    /// Makes the unknown case.
    public init(unknownWireValue raw: String) { self = .unknown(raw) }
}

/// An invoice's `documentType`.
///
/// Tolerant: any casing/underscores parse; unrecognized text is kept in `.unknown`.
public enum InvoiceDocumentType: WireEnum {
    /// Wire `invoice`.
    case invoice
    /// Wire `void_note`.
    case voidNote
    /// Wire `adjustment_note`.
    case adjustmentNote
    /// A value this version does not know, as it arrived.
    case unknown(String)

    /// Every documented member.
    public static let knownCases: [InvoiceDocumentType] = [.invoice, .voidNote, .adjustmentNote]
    /// The documented wire spelling.
    public var wireValue: String {
        switch self {
        case .invoice: return "invoice"
        case .voidNote: return "void_note"
        case .adjustmentNote: return "adjustment_note"
        case .unknown(let raw): return raw
        }
    }
    /// Makes the unknown case.
    public init(unknownWireValue raw: String) { self = .unknown(raw) }
}

/// An invoice's `invoiceType` (PascalCase in samples).
///
/// Tolerant: any casing/underscores parse; unrecognized text is kept in `.unknown`.
public enum InvoiceType: WireEnum {
    /// Wire `Recurring`.
    case recurring
    /// Wire `OneTime`.
    case oneTime
    /// A value this version does not know, as it arrived.
    case unknown(String)

    /// Every documented member.
    public static let knownCases: [InvoiceType] = [.recurring, .oneTime]
    /// The documented wire spelling.
    public var wireValue: String {
        switch self {
        case .recurring: return "Recurring"
        case .oneTime: return "OneTime"
        case .unknown(let raw): return raw
        }
    }
    /// Makes the unknown case.
    public init(unknownWireValue raw: String) { self = .unknown(raw) }
}

/// An entitlement's `entitlementType`.
///
/// Tolerant: any casing/underscores parse; unrecognized text is kept in `.unknown`.
public enum EntitlementType: WireEnum {
    /// Wire `software`.
    case software
    /// Wire `reservedinstance`.
    case reservedInstance
    /// Wire `virtualmachinereservedinstance`.
    case virtualMachineReservedInstance
    /// A value this version does not know, as it arrived.
    case unknown(String)

    /// Every documented member.
    public static let knownCases: [EntitlementType] = [.software, .reservedInstance, .virtualMachineReservedInstance]
    /// The documented wire spelling.
    public var wireValue: String {
        switch self {
        case .software: return "software"
        case .reservedInstance: return "reservedinstance"
        case .virtualMachineReservedInstance: return "virtualmachinereservedinstance"
        case .unknown(let raw): return raw
        }
    }
    /// Makes the unknown case.
    public init(unknownWireValue raw: String) { self = .unknown(raw) }
}

/// An entitled artifact's `artifactType`.
///
/// Tolerant: any casing/underscores parse; unrecognized text is kept in `.unknown`.
public enum ArtifactType: WireEnum {
    /// Wire `reservedinstance`.
    case reservedInstance
    /// Wire `virtual_machine_reserved_instance`.
    case virtualMachineReservedInstance
    /// A value this version does not know, as it arrived.
    case unknown(String)

    /// Every documented member.
    public static let knownCases: [ArtifactType] = [.reservedInstance, .virtualMachineReservedInstance]
    /// The documented wire spelling.
    public var wireValue: String {
        switch self {
        case .reservedInstance: return "reservedinstance"
        case .virtualMachineReservedInstance: return "virtual_machine_reserved_instance"
        case .unknown(let raw): return raw
        }
    }
    /// Makes the unknown case.
    public init(unknownWireValue raw: String) { self = .unknown(raw) }
}

/// A catalog segment (`targetSegment`, availability `segment`).
///
/// Tolerant: any casing/underscores parse; unrecognized text is kept in `.unknown`.
public enum TargetSegment: WireEnum {
    /// Wire `commercial`.
    case commercial
    /// Wire `education`.
    case education
    /// Wire `government`.
    case government
    /// Wire `nonprofit`.
    case nonprofit
    /// A value this version does not know, as it arrived.
    case unknown(String)

    /// Every documented member.
    public static let knownCases: [TargetSegment] = [.commercial, .education, .government, .nonprofit]
    /// The documented wire spelling.
    public var wireValue: String {
        switch self {
        case .commercial: return "commercial"
        case .education: return "education"
        case .government: return "government"
        case .nonprofit: return "nonprofit"
        case .unknown(let raw): return raw
        }
    }
    /// Makes the unknown case.
    public init(unknownWireValue raw: String) { self = .unknown(raw) }
}

/// A subscription's `status`.
///
/// Tolerant: any casing/underscores parse; unrecognized text is kept in `.unknown`.
public enum SubscriptionStatus: WireEnum {
    /// Wire `none`.
    case none
    /// Wire `active`.
    case active
    /// Wire `pending`.
    case pending
    /// Wire `suspended`.
    case suspended
    /// Wire `expired`.
    case expired
    /// Wire `disabled`.
    case disabled
    /// Wire `deleted`.
    case deleted
    /// A value this version does not know, as it arrived.
    case unknown(String)

    /// Every documented member.
    public static let knownCases: [SubscriptionStatus] = [.none, .active, .pending, .suspended, .expired, .disabled, .deleted]
    /// The documented wire spelling.
    public var wireValue: String {
        switch self {
        case .none: return "none"
        case .active: return "active"
        case .pending: return "pending"
        case .suspended: return "suspended"
        case .expired: return "expired"
        case .disabled: return "disabled"
        case .deleted: return "deleted"
        case .unknown(let raw): return raw
        }
    }
    /// Makes the unknown case.
    public init(unknownWireValue raw: String) { self = .unknown(raw) }
}

/// An order line item's provisioning `status` (lower case like the sample).
///
/// Tolerant: any casing/underscores parse; unrecognized text is kept in `.unknown`.
public enum ProvisioningStatus: WireEnum {
    /// Wire `fulfilled`.
    case fulfilled
    /// Wire `unfulfilled`.
    case unfulfilled
    /// Wire `prefulfillmentpending`.
    case prefulfillmentPending
    /// A value this version does not know, as it arrived.
    case unknown(String)

    /// Every documented member.
    public static let knownCases: [ProvisioningStatus] = [.fulfilled, .unfulfilled, .prefulfillmentPending]
    /// The documented wire spelling.
    public var wireValue: String {
        switch self {
        case .fulfilled: return "fulfilled"
        case .unfulfilled: return "unfulfilled"
        case .prefulfillmentPending: return "prefulfillmentpending"
        case .unknown(let raw): return raw
        }
    }
    /// Makes the unknown case.
    public init(unknownWireValue raw: String) { self = .unknown(raw) }
}
