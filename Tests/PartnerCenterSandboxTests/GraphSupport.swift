import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PartnerCenterModels
@testable import PartnerCenterSandbox
import Testing

/// Microsoft Graph reconciliation v2 helpers over loopback.
extension Harness {
    /// A Graph access token: app-only (client credentials, v2 `scope`) or App+User (refresh grant).
    func graphToken(appUser: Bool = false, partner: Int = 0) async throws -> String {
        let c = sandbox.partners[partner]
        let secret = c.clientSecret.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let scope = appUser ? "https%3A%2F%2Fgraph.microsoft.com%2FPartnerBilling.Read.All%20offline_access" : "https%3A%2F%2Fgraph.microsoft.com%2F.default"
        let form = appUser
            ? "grant_type=refresh_token&client_id=\(c.clientId)&refresh_token=\(c.refreshToken)&scope=\(scope)"
            : "grant_type=client_credentials&client_id=\(c.clientId)&client_secret=\(secret)&scope=\(scope)"
        let result = try await send(.POST, "/\(c.tenantId)/oauth2/v2.0/token", body: form, headers: [("Content-Type", "application/x-www-form-urlencoded")])
        try #require(result.status == 200, "token endpoint answered \(result.status): \(result.text)")
        return try result.decode(OAuthTokenResponse.self).accessToken
    }

    /// A path on this sandbox from an absolute URL it gave out.
    func local(_ url: String) throws -> String {
        try #require(url.hasPrefix(base), "\(url) is not on \(base)")
        return String(url.dropFirst(base.count))
    }

    /// POSTs an export; returns the `Location` (absolute URL).
    func startExport(_ path: String, _ body: String, token: String, version: String = "v1.0") async throws -> String {
        let result = try await send(.POST, "/\(version)/reports/partners/billing/\(path)/export", body: body, token: token)
        try #require(result.status == 202, "export answered \(result.status): \(result.text)")
        #expect(result.body.isEmpty)
        return try #require(result.header("Location"))
    }

    /// Polls an operation until it ends, moving the sandbox clock on by `Retry-After` each time.
    func finish(_ location: String, token: String) async throws -> GraphBilling.Operation {
        for _ in 0..<20 {
            let result = try await send(.GET, try local(location), token: token)
            try #require(result.status == 200, "operation answered \(result.status): \(result.text)")
            let operation = try result.decode(GraphBilling.Operation.self)
            if operation.state != .running { return operation }
            let wait = Double(result.header("Retry-After") ?? "1") ?? 1
            sandbox.clock.advance(by: max(wait, 0.5))
        }
        throw HarnessError(message: "operation \(location) never ended")
    }

    /// Export → operation → manifest (inline).
    func exportManifest(_ path: String, _ body: String, token: String) async throws -> GraphBilling.Manifest {
        let operation = try await finish(try await startExport(path, body, token: token), token: token)
        try #require(operation.state == .succeeded, "operation \(operation.status): \(operation.error?.message ?? "")")
        return try #require(operation.manifest)
    }

    /// GET one blob (no Authorization header).
    func blob(_ manifest: GraphBilling.Manifest, _ blob: GraphBilling.Blob) async throws -> HTTPResult {
        try await send(.GET, try local(manifest.url(of: blob)))
    }

    /// Every line of every blob of a manifest, decoded.
    func lines(_ manifest: GraphBilling.Manifest) async throws -> [[String: JSONValue]] {
        var out: [[String: JSONValue]] = []
        for blob in manifest.blobs {
            let result = try await self.blob(manifest, blob)
            try #require(result.status == 200, "blob answered \(result.status): \(result.text)")
            #expect(result.header("Content-Type") == "application/octet-stream")
            let text = String(decoding: try GzipInflater.inflate(result.body), as: UTF8.self)
            for line in text.split(separator: "\n") {
                guard case .object(let object) = try JSONDecoder().decode(JSONValue.self, from: Data(line.utf8)) else { throw HarnessError(message: "not an object: \(line)") }
                out.append(object)
            }
        }
        return out
    }
}

extension JSONValue {
    var text: String? { if case .string(let s) = self { return s } else { return nil } }
    var decimal: Decimal? { if case .number(let n) = self { return n } else { return nil } }
    subscript(_ key: String) -> JSONValue? { if case .object(let o) = self { return o[key] } else { return nil } }
    var items: [JSONValue] { if case .array(let a) = self["items"] { return a } else { return [] } }
}

/// The GUID in a `reservationOrderId` after its purchase-channel prefix.
func bareGuid(_ text: String) -> String { String(text.suffix(36)).lowercased() }
