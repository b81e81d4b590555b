import Foundation
import PartnerCenterModels

/// Lenient request binding like the real service: property names case-insensitive (PascalCase
/// from the .NET SDK, camelCase from the docs), provisioning-context keys normalized to lower camel case.
enum RequestBinding {
    static let knownNames: [String: String] = {
        let names = ["lineItems", "id", "catalogItemId", "friendlyName", "quantity", "currencyCode", "billingCycle", "termDuration",
                     "promotionId", "participants", "key", "value", "provisioningContext", "orderGroup", "purchaseSystem", "addonItems",
                     "renewsTo", "error", "customTermEndDate", "attestationAccepted", "pricing", "creationTimestamp", "lastModifiedTimestamp",
                     "expirationTimestamp", "lastModifiedUser", "status", "partnerOnRecordAttestationAccepted", "links", "attributes",
                     "targetItems", "inventoryContext", "productId", "skuId", "customerId", "azureSubscriptionId", "armRegionName",
                     "subscriptionId", "entitlementId", "scope", "duration", "objectType", "etag", "uri", "method", "headers", "errorCode", "errorDescription",
                     "additionalInformation", "listPrice", "discountedPrice", "proratedPrice", "price", "extendedPrice", "isRestricted", "restrictions"]
        return Dictionary(uniqueKeysWithValues: names.map { ($0.lowercased(), $0) })
    }()

    static func canonical(_ key: String) -> String {
        if let known = knownNames[key.lowercased()] { return known }
        guard let first = key.first else { return key }
        return first.lowercased() + key.dropFirst()
    }

    static func normalize(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            var result: [String: JSONValue] = [:]
            for (key, child) in object { result[canonical(key)] = normalize(child) }
            return .object(result)
        case .array(let items):
            return .array(items.map(normalize))
        default:
            return value
        }
    }

    /// Parses a JSON body (strict JSON) and normalizes its property names.
    /// - Throws: 400 / 800002 with the parser's complaint for malformed JSON or an empty body.
    static func parse(_ body: Data) throws -> JSONValue {
        guard !body.isEmpty else { throw SandboxError.badInput("the request body is empty; send a JSON object.") }
        do {
            return normalize(try JSONDecoder().decode(JSONValue.self, from: body))
        } catch {
            throw SandboxError.badInput("the request body is not valid JSON (\(shortReason(error))).")
        }
    }

    static func shortReason(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            return (context.underlyingError.map { "\($0)" } ?? context.debugDescription).prefix(200).description
        }
        return "\(error)".prefix(200).description
    }

    /// Checks JSON kinds before decoding: `path` is for messages (e.g. `lineItems[0].quantity`).
    static func requireKind(_ value: JSONValue?, _ kinds: Set<String>, _ path: String) throws {
        guard let value, value != .null else { return }
        let kind: String
        switch value {
        case .string(let text): kind = WireDecimal.parse(text) != nil ? "numeric-string" : "string"
        case .number: kind = "number"
        case .bool: kind = "bool"
        case .array: kind = "array"
        case .object: kind = "object"
        case .null: kind = "null"
        }
        let accepted = kinds.contains(kind) || (kind == "numeric-string" && (kinds.contains("string") || kinds.contains("number")))
        guard accepted else {
            let expected = kinds.sorted().joined(separator: " or ")
            throw SandboxError.badInput("\(path) must be \(expected), got \(kind == "numeric-string" ? "string" : kind).")
        }
        if kinds == ["number"], case .number(let number) = value, number != Money.round(number, places: 0) {
            throw SandboxError.badInput("\(path) must be an integer, got \(number).")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: try JSONEncoder().encode(value))
        } catch {
            throw SandboxError.badInput("the body does not have the expected shape (\(shortReason(error))).")
        }
    }
}
