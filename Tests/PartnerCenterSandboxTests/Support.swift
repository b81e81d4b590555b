import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PartnerCenterModels
@testable import PartnerCenterSandbox
import Testing

/// A response read in full.
struct HTTPResult: Sendable {
    let status: Int
    let headers: HTTPHeaders
    let body: Data

    var json: JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: body) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(type, from: body) }
    var fault: ApiFault? { try? JSONDecoder().decode(ApiFault.self, from: body) }
    func header(_ name: String) -> String? { headers.first(name: name) }
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A running sandbox on 127.0.0.1:0 plus an HTTP client; always shut down by `withSandbox`.
final class Harness: Sendable {
    let sandbox: PartnerCenterSandbox
    let client: HTTPClient

    init(sandbox: PartnerCenterSandbox) {
        self.sandbox = sandbox
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    var base: String { sandbox.endpoint.absoluteString }
    var first: SandboxCredentials { sandbox.partners[0] }
    var second: SandboxCredentials { sandbox.partners[1] }

    /// Raw request. `path` may carry a query; `body` is sent verbatim.
    func send(_ method: HTTPMethod, _ path: String, body: String? = nil, bodyData: Data? = nil, token: String? = nil,
              headers: [(String, String)] = []) async throws -> HTTPResult {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.headers.add(name: "Accept", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let data = bodyData ?? body.map({ Data($0.utf8) }) {
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) { request.headers.add(name: "Content-Type", value: "application/json") }
            request.body = .bytes(ByteBuffer(bytes: data))
        }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .seconds(60))
        } catch let error as ChannelError where error == .ioOnClosedChannel {
            // a pooled keep-alive connection the sandbox closed just as it was picked: nothing was
            // written on it, so once more on a new connection (seen once in a loaded test run)
            response = try await client.execute(request, timeout: .seconds(60))
        }
        let buffer = try await response.body.collect(upTo: 64 * 1024 * 1024)
        return HTTPResult(status: Int(response.status.code), headers: response.headers, body: Data(buffer.readableBytesView))
    }

    /// An access token from the token endpoint: App+User (refresh grant) or app-only (client credentials).
    func token(appUser: Bool = true, partner: Int = 0) async throws -> String {
        let credentials = sandbox.partners[partner]
        let form = appUser
            ? "grant_type=refresh_token&client_id=\(credentials.clientId)&refresh_token=\(credentials.refreshToken)&resource=https%3A%2F%2Fapi.partnercenter.microsoft.com"
            : "grant_type=client_credentials&client_id=\(credentials.clientId)&client_secret=\(credentials.clientSecret.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&resource=https%3A%2F%2Fgraph.windows.net"
        let result = try await send(.POST, "/\(credentials.tenantId)/oauth2/token", body: form, headers: [("Content-Type", "application/x-www-form-urlencoded")])
        try #require(result.status == 200, "token endpoint answered \(result.status): \(result.text)")
        return try result.decode(OAuthTokenResponse.self).accessToken
    }

    /// Customers of a partner with their country, via the API.
    func customers(_ token: String) async throws -> [Customer] {
        let result = try await send(.GET, "/v1/customers?size=500", token: token)
        return try result.decode(ResourceCollection<Customer>.self).items
    }

    /// A customer of the first partner in `country` whose first Azure subscription is registered (or not).
    func customer(country: String, registered: Bool, token: String) async throws -> (Customer, Subscription) {
        for customer in try await customers(token) {
            let full = try await send(.GET, "/v1/customers/\(customer.id)", token: token).decode(Customer.self)
            guard full.country == country else { continue }
            let subs = try await send(.GET, "/v1/customers/\(customer.id)/subscriptions", token: token).decode(ResourceCollection<Subscription>.self).items
            for sub in subs where sub.offerId == "MS-AZR-0145P" && sub.status == .active {
                let status = try await send(.GET, "/v1/customers/\(customer.id)/subscriptions/\(sub.id)/registrationstatus", token: token)
                    .decode(SubscriptionRegistrationStatus.self)
                if (status.status == .registered) == registered { return (full, sub) }
            }
        }
        throw HarnessError(message: "no seeded customer in \(country) with registered=\(registered)")
    }

    /// The catalog item id of the first SKU of `productId` in `region` for `years`.
    func catalogItem(productId: String = "DZH318Z0BQ3Q", region: String = "eastus", years: Int = 1, country: String = "US", azurePlan: Bool = false, token: String) async throws -> (Sku, String) {
        let skus = try await send(.GET, "/v1/products/\(productId)/skus?country=\(country)", token: token).decode(ResourceCollection<Sku>.self).items
        let sku = try #require(skus.first { $0.dynamicAttribute("armRegionName") == region && $0.dynamicAttribute("duration") == (years == 1 ? "1Year" : "3Years") })
        let scope = azurePlan ? "&reservationScope=AzurePlan" : ""
        let availabilities = try await send(.GET, "/v1/products/\(productId)/skus/\(sku.id)/availabilities?country=\(country)\(scope)", token: token)
            .decode(ResourceCollection<Availability>.self).items
        return (sku, try #require(availabilities.first?.catalogItemId))
    }

    static func cartBody(catalogItemId: String, subscriptionId: String, quantity: Int = 1, term: String = "P1Y", scope: String = "shared") -> String {
        """
        {"lineItems": [{"id": 0, "catalogItemId": "\(catalogItemId)", "quantity": \(quantity), "billingCycle": "one_time", "termDuration": "\(term)",
          "provisioningContext": {"subscriptionId": "\(subscriptionId)", "scope": "\(scope)", "duration": "\(term == "P1Y" ? "1Year" : "3Year")"}}]}
        """
    }

    func shutdown() async {
        try? await client.shutdown()
        await sandbox.shutdown()
    }
}

struct HarnessError: Error, CustomStringConvertible { let message: String; var description: String { message } }

/// Runs `body` against a fresh in-memory sandbox, then shuts it down.
func withSandbox(_ configure: (inout SandboxConfiguration) -> Void = { _ in }, _ body: (Harness) async throws -> Void) async throws {
    var configuration = SandboxConfiguration()
    configuration.rateLimits = .unlimited
    configure(&configuration)
    let harness = Harness(sandbox: try await PartnerCenterSandbox.start(configuration))
    do {
        try await body(harness)
    } catch {
        await harness.shutdown()
        throw error
    }
    await harness.shutdown()
}

/// Loads a golden fixture shared with the models' tests.
func golden(_ name: String) throws -> JSONValue {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("PartnerCenterModelsTests/Fixtures/\(name).json")
    return try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: url))
}

/// Fields documented as "number or string" (§1.4.6).
let eitherNumberOrString: Set<String> = ["mpnId", "resellerMpnId"]

/// Compares a real response with a golden fixture: every golden field exists with the same JSON
/// kind, recursively (first array element against every actual element). Golden `"..."`
/// placeholders are skipped; golden `0001-01-01` "no value" dates may be absent.
func shapeMismatches(_ actual: JSONValue, _ golden: JSONValue, path: String = "$") -> [String] {
    func kind(_ value: JSONValue) -> String {
        switch value {
        case .string: return "string"
        case .number: return "number"
        case .bool: return "bool"
        case .array: return "array"
        case .object: return "object"
        case .null: return "null"
        }
    }
    switch (golden, actual) {
    case (.object(let expected), .object(let got)):
        var problems: [String] = []
        for (key, value) in expected where key != "..." {
            guard let child = got[key] else {
                if case .string(let text) = value, text.hasPrefix("0001-01-01") { continue }
                problems.append("\(path).\(key) missing")
                continue
            }
            if eitherNumberOrString.contains(key), kind(child) == "string" || kind(child) == "number" { continue }
            problems += shapeMismatches(child, value, path: "\(path).\(key)")
        }
        return problems
    case (.array(let expected), .array(let got)):
        guard let template = expected.first, case .object = template else { return [] }
        return got.enumerated().flatMap { shapeMismatches($1, $0 < expected.count ? expected[$0] : template, path: "\(path)[\($0)]") }
    default:
        return kind(golden) == kind(actual) ? [] : ["\(path): expected \(kind(golden)), got \(kind(actual))"]
    }
}
