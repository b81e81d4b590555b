import Crypto
import Foundation
import GRDB
import PartnerCenterModels

/// Who is calling: the partner and whether the token is App+User (delegated) or app-only.
struct Caller: Sendable {
    let partner: PartnerRecord
    let appUser: Bool
    /// The token's `aud`: Partner Center or ``GraphBilling/audience``.
    var audience: String = SandboxEngine.partnerCenterAudience
    /// `roles` (app-only) or the words of `scp` (App+User).
    var permissions: Set<String> = []
    /// The token's `appid` (the per-app throttling key on Graph).
    var appId: String = ""
    var isGraph: Bool { audience == GraphBilling.audience }
}

/// HS256 JWTs the sandbox issues and verifies.
struct TokenSigner: Sendable {
    let keyBytes: Data
    var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    init(secret: String) { keyBytes = Data(SHA256.hash(data: Data(("pcx-sandbox-jwt:" + secret).utf8))) }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func fromBase64URL(_ text: Substring) -> Data? {
        var base = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base.count % 4 != 0 { base += "=" }
        return Data(base64Encoded: base)
    }

    func sign(claims: [String: JSONValue]) -> String {
        let header = Self.base64URL(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let payload = Self.base64URL((try? PartnerCenterJSON.encode(claims)) ?? Data())
        let input = header + "." + payload
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: key)
        return input + "." + Self.base64URL(Data(mac))
    }

    enum Failure: Error { case malformed, badSignature, expired, notYetValid }

    /// Verifies signature and time claims; returns the claims.
    func verify(_ token: String, now: Date) throws(Failure) -> [String: JSONValue] {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let signature = Self.fromBase64URL(parts[2]), let payload = Self.fromBase64URL(parts[1]) else { throw .malformed }
        let input = Data((parts[0] + "." + parts[1]).utf8)
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: input, using: key) else { throw .badSignature }
        guard let claims = try? PartnerCenterJSON.decode([String: JSONValue].self, from: payload) else { throw .malformed }
        let seconds = now.timeIntervalSince1970
        if case .number(let exp)? = claims["exp"], Double(truncating: exp as NSNumber) <= seconds { throw .expired }
        if case .number(let nbf)? = claims["nbf"], Double(truncating: nbf as NSNumber) > seconds + 300 { throw .notYetValid }
        return claims
    }
}

extension SandboxEngine {
    static func hashToken(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static let partnerCenterAudience = "https://api.partnercenter.microsoft.com"

    /// Whether a token request asks for Microsoft Graph: v2 `scope` naming a
    /// `https://graph.microsoft.com/` scope, or v1 `resource=https://graph.microsoft.com`.
    static func wantsGraph(_ form: [String: String]) -> Bool {
        let graph = GraphBilling.audience.lowercased()
        if let scope = form["scope"]?.lowercased(), scope.split(separator: " ").contains(where: { $0.hasPrefix(graph + "/") }) { return true }
        if let resource = form["resource"]?.lowercased(), resource == graph || resource == graph + "/" { return true }
        return false
    }

    func issueAccessToken(partner: PartnerRecord, appUser: Bool, now: Date, graph: Bool = false) -> (String, Int) {
        let lifetime = Int(configuration.tokenLifetime)
        let issued = Int(now.timeIntervalSince1970)
        var claims: [String: JSONValue] = [
            "aud": .string(graph ? GraphBilling.audience : Self.partnerCenterAudience),
            "iss": .string("https://sts.windows.net/\(partner.tenantId)/"),
            "iat": .number(Decimal(issued)), "nbf": .number(Decimal(issued)), "exp": .number(Decimal(issued + lifetime)),
            "tid": .string(partner.tenantId), "appid": .string(partner.clientId), "ver": .string("1.0"),
            "idtyp": .string(appUser ? "user" : "app"),
            "jti": .string(UUID().uuidString.lowercased()),
        ]
        if appUser {
            claims["oid"] = .string(partner.userId)
            claims["scp"] = .string("user_impersonation")
            claims["upn"] = .string("admin@\(partner.domain)")
        } else {
            claims["oid"] = .string(partner.clientId)
            claims["roles"] = .array([])
        }
        if graph {
            // PartnerBilling.Read.All unless the run withholds it (GraphSandboxOptions.grantPermission)
            let granted = configuration.graph.grantPermission
            if appUser {
                claims["scp"] = .string(granted ? "\(GraphBilling.permission) User.Read" : "User.Read")
            } else {
                claims["roles"] = .array(granted ? [.string(GraphBilling.permission)] : [])
            }
        }
        return (signer.sign(claims: claims), lifetime)
    }

    /// `POST /{tenant}/oauth2/token` (v1) and `/{tenant}/oauth2/v2.0/token` (v2).
    func handleToken(tenant: String, v2: Bool, body: Data) async throws -> SandboxResponse {
        let form = parseForm(String(decoding: body, as: UTF8.self))
        let partner: PartnerRecord
        switch tokenClient(tenant: tenant, form: form) {
        case .failure(let refusal): return refusal.response
        case .success(let p): partner = p
        }
        let now = clock.now
        var newRefresh: String?
        switch form["grant_type"]?.lowercased() {
        case "client_credentials":
            guard form["client_secret"] != nil else {
                return OAuthRefusal(401, "invalid_client", "AADSTS7000218: The request body must contain 'client_secret' for client_credentials.").response
            }
        case "refresh_token":
            switch try await rotateRefreshToken(form["refresh_token"], partner: partner, now: now) {
            case .failure(let refusal): return refusal.response
            case .success(let rotated): newRefresh = rotated
            }
        case DeviceAuthorization.grantType, "device_code":
            return try await deviceCodeTokens(form, partner: partner, v2: v2, now: now)
        case nil:
            return OAuthRefusal(400, "invalid_request", "AADSTS900144: The request body must contain the parameter 'grant_type'.").response
        case let other?:
            return OAuthRefusal(400, "unsupported_grant_type", "AADSTS70003: grant_type '\(other)' is not supported by the sandbox; use client_credentials, refresh_token or \(DeviceAuthorization.grantType).").response
        }
        return tokenResponse(partner: partner, v2: v2, form: form, refresh: newRefresh, now: now)
    }

    /// The tokens of an approved device code: App+User, for the scope the device code was asked
    /// with; a refresh token only when that scope has `offline_access`, an id token with `openid`.
    private func deviceCodeTokens(_ form: [String: String], partner: PartnerRecord, v2: Bool, now: Date) async throws -> SandboxResponse {
        let grant: DeviceGrant
        switch redeemDeviceCode(form, partner: partner, now: now) {
        case .failure(let refusal): return refusal.response
        case .success(let g): grant = g
        }
        let scopes = grant.scope.lowercased().split(separator: " ").map(String.init)
        let refresh = scopes.contains("offline_access") ? try await issueRefreshToken(partner: partner, now: now) : nil
        var scoped = form
        scoped["scope"] = grant.scope
        return tokenResponse(partner: partner, v2: v2, form: scoped, refresh: refresh, appUser: true, idToken: scopes.contains("openid"), now: now)
    }

    /// An OAuth error answer (`error`, `error_description`).
    struct OAuthRefusal: Error {
        let status: Int
        let error: String
        let text: String
        init(_ status: Int, _ error: String, _ text: String) {
            self.status = status
            self.error = error
            self.text = text
        }
        var response: SandboxResponse { SandboxResponse.json(OAuthError(error: error, errorDescription: text), status: status) }
    }

    /// The partner whose tenant (id, domain, or `common` with its client id) and client credentials the form names.
    func tokenClient(tenant: String, form: [String: String]) -> Result<PartnerRecord, OAuthRefusal> {
        guard let partner = partners.first(where: {
            $0.tenantId.caseInsensitiveCompare(tenant) == .orderedSame || $0.domain.caseInsensitiveCompare(tenant) == .orderedSame
        }) ?? (["common", "organizations"].contains(tenant.lowercased()) ? partners.first(where: { $0.clientId.caseInsensitiveCompare(form["client_id"] ?? "") == .orderedSame }) : nil) else {
            return .failure(OAuthRefusal(400, "invalid_request", "AADSTS90002: Tenant '\(tenant)' not found. Use a seeded partner tenant id or domain (GET /_sandbox/credentials)."))
        }
        guard let clientId = form["client_id"], !clientId.isEmpty else {
            return .failure(OAuthRefusal(400, "invalid_request", "AADSTS900144: The request body must contain the parameter 'client_id'."))
        }
        guard clientId.caseInsensitiveCompare(partner.clientId) == .orderedSame else {
            return .failure(OAuthRefusal(400, "unauthorized_client", "AADSTS700016: Application '\(clientId)' was not found in tenant '\(tenant)'."))
        }
        if let secret = form["client_secret"], secret != partner.clientSecret {
            return .failure(OAuthRefusal(401, "invalid_client", "AADSTS7000215: Invalid client secret provided."))
        }
        return .success(partner)
    }

    /// Checks a refresh token (the seeded one, or one issued and not expired) and issues its replacement.
    private func rotateRefreshToken(_ token: String?, partner: PartnerRecord, now: Date) async throws -> Result<String, OAuthRefusal> {
        guard let token, !token.isEmpty else {
            return .failure(OAuthRefusal(400, "invalid_request", "AADSTS900144: The request body must contain the parameter 'refresh_token'."))
        }
        let hash = Self.hashToken(token)
        let valid: Bool = try await store.db.read { db in
            if token == partner.refreshToken { return true }
            guard let row = try Row.fetchOne(db, sql: "SELECT partner_id, client_id, expires_at FROM refresh_token WHERE token_hash = ?", arguments: [hash]) else { return false }
            let owner: String = row["partner_id"]
            let expires: Double? = row["expires_at"]
            return owner.caseInsensitiveCompare(partner.tenantId) == .orderedSame && (expires ?? .infinity) > now.timeIntervalSince1970
        }
        guard valid else {
            return .failure(OAuthRefusal(400, "invalid_grant", "AADSTS70008: The provided refresh token has expired or is invalid. Use the seeded refresh token (GET /_sandbox/credentials)."))
        }
        return .success(try await issueRefreshToken(partner: partner, now: now))
    }

    /// A new refresh token of the partner's admin agent, valid for ``SandboxConfiguration/refreshTokenLifetime``.
    private func issueRefreshToken(partner: PartnerRecord, now: Date) async throws -> String {
        var fresh = SplitMix64(seed: UInt64.random(in: 0...UInt64.max))
        let token = "pcxrt." + IDs.secret(&fresh, length: 64)
        let expires = now.timeIntervalSince1970 + configuration.refreshTokenLifetime
        try await store.db.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO refresh_token VALUES(?,?,?,?,?)",
                           arguments: [Self.hashToken(token), partner.tenantId, partner.clientId, partner.userId, expires])
        }
        return token
    }

    /// The token answer: v1 (string numbers, `resource`) or v2 (`scope`); App+User with a refresh token and an id token.
    private func tokenResponse(partner: PartnerRecord, v2: Bool, form: [String: String], refresh: String?, appUser: Bool? = nil,
                               idToken: Bool? = nil, now: Date) -> SandboxResponse {
        let appUser = appUser ?? (refresh != nil)
        let graph = Self.wantsGraph(form)
        let (access, lifetime) = issueAccessToken(partner: partner, appUser: appUser, now: now, graph: graph)
        let issued = Int(now.timeIntervalSince1970)
        var object: [String: JSONValue] = ["token_type": .string("Bearer"), "access_token": .string(access)]
        if v2 {
            object["expires_in"] = .number(Decimal(lifetime))
            object["ext_expires_in"] = .number(Decimal(lifetime))
            if graph {
                object["scope"] = .string(appUser ? "\(GraphBilling.audience)/\(GraphBilling.permission)" : "\(GraphBilling.audience)/.default")
            } else {
                object["scope"] = .string(appUser ? "https://api.partnercenter.microsoft.com/user_impersonation" : "https://api.partnercenter.microsoft.com/.default")
            }
        } else {
            object["expires_in"] = .string(String(lifetime))
            object["ext_expires_in"] = .string(String(lifetime))
            object["expires_on"] = .string(String(issued + lifetime))
            object["not_before"] = .string(String(issued))
            object["resource"] = .string(form["resource"] ?? "https://api.partnercenter.microsoft.com")
            if appUser { object["scope"] = .string("user_impersonation") }
        }
        if let refresh { object["refresh_token"] = .string(refresh) }
        if idToken ?? (refresh != nil) {
            object["id_token"] = .string(signer.sign(claims: [
                "aud": .string(partner.clientId), "tid": .string(partner.tenantId), "oid": .string(partner.userId),
                "upn": .string("admin@\(partner.domain)"), "name": .string("\(partner.name) admin agent"),
                "iat": .number(Decimal(issued)), "exp": .number(Decimal(issued + lifetime)),
            ]))
        }
        return SandboxResponse.json(object, status: 200)
    }

    /// Authenticates `Authorization: Bearer …` against the sandbox clock.
    func authenticate(_ header: String?) throws(SandboxError) -> Caller {
        guard let header, !header.isEmpty else {
            throw SandboxError(status: 401, code: 800001, "Partner token missing from request context: send Authorization: Bearer <token> from the sandbox token endpoint.")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw SandboxError(status: 401, code: 400, "Access denied: the Authorization header must be 'Bearer <token>'.")
        }
        let claims: [String: JSONValue]
        do {
            claims = try signer.verify(String(parts[1]).trimmingCharacters(in: .whitespaces), now: clock.now)
        } catch .expired {
            throw SandboxError(status: 401, code: 400, "Access denied: the access token has expired; get a new one from the token endpoint.")
        } catch {
            throw SandboxError(status: 401, code: 400, "Access denied: the access token is not a valid sandbox token.")
        }
        guard case .string(let tid)? = claims["tid"], let partner = partners.first(where: { $0.tenantId.caseInsensitiveCompare(tid) == .orderedSame }) else {
            throw SandboxError(status: 401, code: 400, "Access denied: the token's tenant is not a sandbox partner.")
        }
        let appUser: Bool
        if case .string(let type)? = claims["idtyp"] { appUser = type == "user" } else { appUser = claims["scp"] != nil }
        return Caller(partner: partner, appUser: appUser, audience: Self.text(claims["aud"]) ?? Self.partnerCenterAudience,
                      permissions: Self.permissions(claims), appId: Self.text(claims["appid"]) ?? "")
    }

    private static func text(_ value: JSONValue?) -> String? {
        if case .string(let text)? = value { return text }
        return nil
    }

    /// `roles` plus the words of `scp`.
    private static func permissions(_ claims: [String: JSONValue]) -> Set<String> {
        var out: Set<String> = []
        if case .array(let roles)? = claims["roles"] { for case .string(let role) in roles { out.insert(role) } }
        if let scp = text(claims["scp"]) { for word in scp.split(separator: " ") { out.insert(String(word)) } }
        return out
    }
}

func parseForm(_ text: String) -> [String: String] {
    var result: [String: String] = [:]
    for pair in text.split(separator: "&") {
        let pieces = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) }
        guard let key = pieces.first, !key.isEmpty else { continue }
        result[key.lowercased()] = pieces.count > 1 ? pieces[1] : ""
    }
    return result
}
