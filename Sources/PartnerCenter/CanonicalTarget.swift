import Foundation

/// Which Partner Center, as the partner it acts for: the canonical endpoint and the partner
/// tenant. The purchase journal is keyed on it, so the same purchase re-run against the same
/// Partner Center is recognised however its endpoint was spelled (a trailing `/` or `/v1`, an
/// upper-case scheme or host, a default port, `localhost` for `127.0.0.1`).
public struct CanonicalTarget: Sendable, Hashable, CustomStringConvertible {
    /// The canonical endpoint (`https://api.partnercenter.microsoft.com`, `http://loopback:8080`,
    /// or `sandbox` for the embedded sandbox).
    public let endpoint: String
    /// The partner tenant, lower-cased (empty when not configured).
    public let tenant: String

    /// Creates the target for an endpoint and a partner tenant.
    public init(endpoint: String, tenant: String?) {
        self.endpoint = Self.canonicalEndpoint(endpoint)
        self.tenant = (tenant ?? "").trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// The journal's key: `tenant@endpoint`.
    public var key: String { tenant + "@" + endpoint }

    /// `contoso.onmicrosoft.com@https://api.partnercenter.microsoft.com`.
    public var description: String { key }

    /// The canonical spelling of an endpoint: scheme and host lower-cased, loopback names
    /// (`localhost`, `127.x.x.x`, `::1`) as `loopback`, default ports dropped, no trailing `/` or
    /// `/v1`, no query. Text that is not a URL (`sandbox`) is returned trimmed and lower-cased.
    public static func canonicalEndpoint(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
              let rawHost = components.host, !rawHost.isEmpty else {
            return trimmed.lowercased()
        }
        var host = rawHost.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if host == "localhost" || host == "::1" || host.hasPrefix("127.") || host == "0:0:0:0:0:0:0:1" { host = "loopback" }
        var port = ""
        if let p = components.port, !(scheme == "https" && p == 443), !(scheme == "http" && p == 80) { port = ":\(p)" }
        var path = components.path
        while path.hasSuffix("/") { path.removeLast() }
        if path.lowercased().hasSuffix("/v1") { path.removeLast(3) }
        while path.hasSuffix("/") { path.removeLast() }
        return scheme + "://" + host + port + path.lowercased()
    }
}

extension ClientConfiguration {
    /// The canonical target of this configuration (endpoint and partner tenant).
    public var canonicalTarget: CanonicalTarget { CanonicalTarget(endpoint: endpoint, tenant: tenantId) }
}
