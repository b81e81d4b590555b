import Foundation

/// A postal address (company profile `address`, billing profile `defaultAddress`).
public struct Address: Codable, Hashable, Sendable {
    /// ISO 3166-1 alpha-2 country code.
    public var country: String?
    /// Region.
    public var region: String?
    /// City.
    public var city: String?
    /// State (≤ 2 characters).
    public var state: String?
    /// First address line.
    public var addressLine1: String?
    /// Second address line.
    public var addressLine2: String?
    /// Third address line.
    public var addressLine3: String?
    /// Postal code.
    public var postalCode: String?
    /// District.
    public var district: String?
    /// Contact first name.
    public var firstName: String?
    /// Contact last name.
    public var lastName: String?
    /// Phone number.
    public var phoneNumber: String?
    /// Makes an empty address.
    public init(country: String? = nil) { self.country = country }
}

/// `CustomerCompanyProfile`.
public struct CustomerCompanyProfile: Codable, Hashable, Sendable {
    /// The customer's tenant id.
    public var tenantId: String?
    /// Primary domain.
    public var domain: String?
    /// Company name.
    public var companyName: String?
    /// Company address (omitted without a DAP relationship).
    public var address: Address?
    /// Contact email (omitted without a DAP relationship).
    public var email: String?
    /// Registration number (certain countries only).
    public var organizationRegistrationNumber: String?
    /// `self`.
    public var links: Links?
    /// `{"objectType": "CustomerCompanyProfile"}`.
    public var attributes: ResourceAttributes?
    /// Makes an empty profile.
    public init() {}
}

/// `CustomerBillingProfile`.
public struct CustomerBillingProfile: Codable, Hashable, Sendable {
    /// Profile id.
    public var id: String?
    /// First name.
    public var firstName: String?
    /// Last name.
    public var lastName: String?
    /// Email.
    public var email: String?
    /// Culture, e.g. `en-US`.
    public var culture: String?
    /// Language, e.g. `en`.
    public var language: String?
    /// Company name.
    public var companyName: String?
    /// Billing address; its `country` is the other documented place of the customer's country.
    public var defaultAddress: Address?
    /// `self`.
    public var links: Links?
    /// `{"etag": …, "objectType": "CustomerBillingProfile"}`.
    public var attributes: ResourceAttributes?
    /// Makes an empty profile.
    public init() {}
}

/// A customer of the partner (`Customer`).
public struct Customer: Codable, Hashable, Sendable {
    /// The customer's tenant id.
    public var id: String
    /// Commerce id.
    public var commerceId: String?
    /// Company profile.
    public var companyProfile: CustomerCompanyProfile?
    /// Billing profile (get-by-id only).
    public var billingProfile: CustomerBillingProfile?
    /// e.g. `reseller`.
    public var relationshipToPartner: String?
    /// Present on get-by-id only.
    public var allowDelegatedAccess: Bool?
    /// Custom domains (omitted without DAP).
    public var customDomains: [String]?
    /// Indirect reseller's partner id.
    public var associatedPartnerId: String?
    /// `self`.
    public var links: Links?
    /// `{"objectType": "Customer"}`.
    public var attributes: ResourceAttributes?
    /// Makes a customer with only an id.
    public init(id: String) { self.id = id }

    /// The customer's country: company address first, then billing address (§3.1).
    public var country: String? { companyProfile?.address?.country ?? billingProfile?.defaultAddress?.country }
}

/// A customer's subscription (`Subscription`).
public struct Subscription: Codable, Hashable, Sendable {
    /// Subscription id.
    public var id: String
    /// Azure subscription id.
    public var entitlementId: String?
    /// Legacy offer id (`MS-AZR-0145P`) or `product:sku:availability`.
    public var offerId: String?
    /// Offer name.
    public var offerName: String?
    /// Friendly name.
    public var friendlyName: String?
    /// Quantity.
    public var quantity: Int?
    /// `Licenses`, `Usage-based`, `Benefit`.
    public var unitType: String?
    /// Parent subscription id (add-ons).
    public var parentSubscriptionId: String?
    /// Creation date.
    public var creationDate: Date?
    /// Effective start date.
    public var effectiveStartDate: Date?
    /// Commitment end date (far-future sentinel for non-expiring).
    public var commitmentEndDate: Date?
    /// `active`, `suspended`, ….
    public var status: SubscriptionStatus?
    /// Auto-renew flag.
    public var autoRenewEnabled: Bool?
    /// `usage`, `license`, `benefit`, `none`.
    public var billingType: String?
    /// Billing cycle.
    public var billingCycle: BillingCycleType?
    /// Trial flag.
    public var isTrial: Bool?
    /// Microsoft product flag.
    public var isMicrosoftProduct: Bool?
    /// Publisher.
    public var publisherName: String?
    /// `subscription`, `productKey`, `redemptionCode`.
    public var contractType: String?
    /// The order that created it.
    public var orderId: String?
    /// Term, e.g. `P1Y`.
    public var termDuration: String?
    /// Reseller of record.
    public var partnerId: String?
    /// Product type.
    public var productType: ItemType?
    /// The reservation or savings plan order behind a benefit subscription.
    public var productOrderId: String?
    /// A benefit subscription's purchases (an Azure savings plan's scope and commitment).
    public var lineItems: [SubscriptionLineItem]?
    /// `offer`, `self`, ….
    public var links: Links?
    /// `{"etag": …, "objectType": "Subscription"}`.
    public var attributes: ResourceAttributes?
    /// Makes a subscription with only an id.
    public init(id: String) { self.id = id }
}

/// `SubscriptionRegistrationStatus`: whether an Azure subscription may buy reservations.
public struct SubscriptionRegistrationStatus: Codable, Hashable, Sendable {
    /// Subscription id.
    public var subscriptionId: String?
    /// `NotRegistered`, `Registering`, `Registered` (any casing parses).
    public var status: RegistrationState?
    /// `{"objectType": "SubscriptionRegistrationStatus"}`.
    public var attributes: ResourceAttributes?
    /// Makes a status.
    public init(subscriptionId: String?, status: RegistrationState?) {
        self.subscriptionId = subscriptionId
        self.status = status
        self.attributes = ResourceAttributes(objectType: "SubscriptionRegistrationStatus")
    }
}
