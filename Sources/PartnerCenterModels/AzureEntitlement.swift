import Foundation

/// An Azure subscription's `status` under an Azure plan (addendum §1.3.1).
///
/// Tolerant: any casing parses; unrecognized text is kept in `.unknown` (and counts as not active:
/// the documented values are only `active` and `inactive`).
public enum AzureEntitlementStatus: WireEnum {
    /// Wire `active`.
    case active
    /// Wire `inactive` (after cancellation).
    case inactive
    /// A value this version does not know, as it arrived.
    case unknown(String)

    /// Every documented member.
    public static let knownCases: [AzureEntitlementStatus] = [.active, .inactive]
    /// The documented wire spelling.
    public var wireValue: String {
        switch self {
        case .active: return "active"
        case .inactive: return "inactive"
        case .unknown(let raw): return raw
        }
    }
    /// Makes the unknown case.
    public init(unknownWireValue raw: String) { self = .unknown(raw) }
}

/// An Azure subscription under an Azure plan (`AzureEntitlement`, addendum §1.3.1), listed by
/// `GET /v1/customers/{customer_id}/subscriptions/{subscription_id}/azureEntitlements`.
///
/// Its ``id`` is the Azure subscription id: the `entitlementId` of a single-scope Azure-plan
/// purchase's `provisioningContext`. Decoding is tolerant like every model: the id is read from
/// `id` or from `ID` (the documentation's table spells it so), scalars of the wrong kind become nil.
public struct AzureEntitlement: Codable, Hashable, Sendable {
    /// The entitlement id, which is the Azure subscription id (GUID).
    public var id: String
    /// Display name, e.g. `Microsoft Azure`.
    public var friendlyName: String?
    /// `active`, or `inactive` after cancellation.
    public var status: AzureEntitlementStatus?
    /// The Partner Center subscription (the Azure plan) the entitlement belongs to.
    public var subscriptionId: String?
    /// `self` (documented on the get-by-id answer only; the list's items carry none).
    public var links: Links?
    /// Absent in the documented samples; kept when present.
    public var attributes: ResourceAttributes?

    /// Makes an entitlement with only an id.
    public init(id: String) { self.id = id }

    /// True only for the documented `active` status (unknown text is not active).
    public var isActive: Bool { status == .active }

    enum CodingKeys: String, CodingKey { case id, friendlyName, status, subscriptionId, links, attributes }
    private enum AliasKeys: String, CodingKey { case upperID = "ID" }

    /// Decodes tolerantly: `id` or `ID`; wrong kinds become nil instead of failing.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let id = try container.decodeIfPresent(String.self, forKey: .id) {
            self.id = id
        } else if let id = try decoder.container(keyedBy: AliasKeys.self).decodeIfPresent(String.self, forKey: .upperID) {
            self.id = id
        } else {
            throw DecodingError.keyNotFound(CodingKeys.id, .init(codingPath: decoder.codingPath,
                                                                debugDescription: "an AzureEntitlement needs an id (or ID)"))
        }
        friendlyName = try container.decodeIfPresent(String.self, forKey: .friendlyName)
        status = try? container.decodeIfPresent(AzureEntitlementStatus.self, forKey: .status)
        subscriptionId = try container.decodeIfPresent(String.self, forKey: .subscriptionId)
        links = try? container.decodeIfPresent(Links.self, forKey: .links)
        attributes = try? container.decodeIfPresent(ResourceAttributes.self, forKey: .attributes)
    }
}
