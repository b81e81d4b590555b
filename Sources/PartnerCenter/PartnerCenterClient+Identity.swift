import Foundation

/// What an access token says about who the client is, without the token: its audience, expiry,
/// tenant, application and identity. Built by ``PartnerCenterClient/accessTokenInfo(for:)``.
///
/// The token itself never leaves the client; only these claims do (none of them is a credential).
public struct AccessTokenInfo: Sendable, Equatable {
    /// The resource the token was asked for (Partner Center's, or Microsoft Graph's).
    public var requestedResource: String
    /// The token's `aud` claim (one or more); the requested resource when the token is not a JWT.
    public var audiences: [String]
    /// When it expires: the JWT's `exp`, else what the token endpoint said (`expires_in`); nil
    /// when neither says (a fixed access token that is not a JWT).
    public var expiresAt: Date?
    /// The `tid` claim: the tenant that issued the token.
    public var tenantId: String?
    /// The `appid` (v1) or `azp` (v2) claim: the application.
    public var appId: String?
    /// The `idtyp` claim (`app` or `user`), when present.
    public var identityType: String?
    /// The signed-in user (`upn`, `unique_name` or `preferred_username`) of an App+User token.
    public var user: String?
    /// Delegated permissions (`scp`, space-separated in the token).
    public var scopes: [String]
    /// Application permissions (`roles`).
    public var roles: [String]
    /// Whether the token is a fixed one from the configuration (`PCX_ACCESS_TOKEN`), not obtained.
    public var fixed: Bool
    /// Whether the token could be read as a JWT (otherwise only the audience asked for and the
    /// endpoint's expiry are known).
    public var readable: Bool

    /// Reads the claims of `token` (a JWT's payload, not verified: the client only reports them).
    init(token: String, requestedResource: String, endpointExpiry: Date?, fixed: Bool) {
        self.requestedResource = requestedResource
        self.fixed = fixed
        let claims = AccessTokenInfo.claims(of: token)
        readable = claims != nil
        let c = claims ?? [:]
        func text(_ name: String) -> String? { (c[name] as? String).flatMap { $0.isEmpty ? nil : $0 } }
        if let one = text("aud") {
            audiences = [one]
        } else if let many = c["aud"] as? [Any] {
            audiences = many.compactMap { $0 as? String }
        } else {
            audiences = [requestedResource]
        }
        if let exp = (c["exp"] as? NSNumber)?.doubleValue {
            expiresAt = Date(timeIntervalSince1970: exp)
        } else {
            expiresAt = endpointExpiry
        }
        tenantId = text("tid")
        appId = text("appid") ?? text("azp")
        identityType = text("idtyp")
        user = text("upn") ?? text("unique_name") ?? text("preferred_username")
        scopes = text("scp")?.split(separator: " ").map(String.init) ?? []
        roles = (c["roles"] as? [Any])?.compactMap { $0 as? String } ?? []
    }

    /// The payload of a JWT (`header.payload.signature`, base64url), or nil.
    static func claims(of token: String) -> [String: Any]? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var base = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base.count % 4 != 0 { base += "=" }
        guard let data = Data(base64Encoded: base) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }
}

extension PartnerCenterClient {
    /// Obtains (or reuses) the access token for `resource` through the client's token provider and
    /// reports what it says: audience, expiry, tenant, application, identity. Nothing is sent to
    /// Partner Center itself, only to the token endpoint (and not even there for a fixed token).
    ///
    /// - Parameter resource: the audience; nil for Partner Center's (``ClientConfiguration/resource``).
    /// - Throws: ``PartnerCenterError`` as a call would: `unauthenticated` without credentials or
    ///   when the token endpoint refuses them, `network`/`timeout` when it cannot be reached.
    public func accessTokenInfo(for resource: String? = nil) async throws -> AccessTokenInfo {
        let resource = resource ?? configuration.resource
        let token = try await tokens.token(for: resource)
        let expiry = await tokens.expiry(for: resource)
        return AccessTokenInfo(token: token, requestedResource: resource, endpointExpiry: expiry,
                               fixed: configuration.accessToken != nil)
    }
}
