import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Obtains and caches the bearer token for Partner Center.
///
/// Modes, chosen from the configuration:
/// - a fixed ``ClientConfiguration/accessToken`` (used as-is, never renewed);
/// - App+User: the `refresh_token` grant when a refresh token is configured (or stored in
///   ``ClientConfiguration/refreshTokenStore``); a rotated refresh token is kept and persisted
///   to the store with file mode 0600;
/// - App-only: the `client_credentials` grant.
/// On the v1 endpoint the request names `resource=`; on v2 it names a scope. Tokens are cached
/// and renewed ``ClientConfiguration/tokenRenewalMargin`` before they expire; concurrent callers
/// share one renewal. ``invalidate(_:)`` drops a token Partner Center rejected (401).
actor TokenProvider {
    struct Cached {
        var token: String
        var expiresAt: Date
        var renewAt: Date
    }

    private let configuration: ClientConfiguration
    private let http: HTTPClient
    private let redactor: SecretRedactor
    private let metrics: ClientMetrics
    /// Tokens by audience (Partner Center's resource, Microsoft Graph): one refresh token serves both.
    private var cached: [String: Cached] = [:]
    private var inflight: [String: Task<Cached, any Error>] = [:]
    private var refreshToken: String?
    private let store: RefreshTokenStore?
    /// The Secret Service item holding the refresh token, when the store names one (read on first use).
    private let keyringItem: String?
    private var keyringRead = false
    private let keyring = SecretServiceKeyring()

    init(configuration: ClientConfiguration, http: HTTPClient, redactor: SecretRedactor, metrics: ClientMetrics) {
        self.configuration = configuration
        self.http = http
        self.redactor = redactor
        self.metrics = metrics
        var refresh = configuration.refreshToken?.reveal()
        let store = configuration.refreshTokenStore.map(RefreshTokenStore.init)
        var item: String?
        switch store?.content {
        case .token(let stored)?: refresh = stored.reveal()
        case .keyring(let named)?: item = named
        case .empty?, nil: break
        }
        self.store = store
        self.keyringItem = item
        self.refreshToken = refresh
        redactor.register(refresh)
        redactor.register(configuration.clientSecret?.reveal())
        redactor.register(configuration.accessToken?.reveal())
    }

    /// The refresh token currently in use (after rotation), for tests.
    var currentRefreshToken: String? { refreshToken }

    /// A valid bearer token for Partner Center (cached, or freshly obtained).
    func token() async throws -> String { try await token(for: configuration.resource) }

    /// A valid bearer token for `resource` (`https://graph.microsoft.com` for reconciliation v2).
    /// Tokens are cached per resource; the refresh token (and its rotation) is shared.
    func token(for resource: String) async throws -> String {
        if let fixed = configuration.accessToken { return fixed.reveal() }
        let key = resource.hasSuffix("/") ? String(resource.dropLast()) : resource
        if let hit = cached[key], Date() < hit.renewAt { return hit.token }
        if let running = inflight[key] { return try await running.value.token }
        let task = Task { try await self.fetch(resource: key) }
        inflight[key] = task
        defer { inflight[key] = nil }
        let fresh = try await task.value
        cached[key] = fresh
        return fresh.token
    }

    /// When the cached token for `resource` expires, as the token endpoint said (`expires_in`);
    /// nil for a fixed access token or when none is cached.
    func expiry(for resource: String) -> Date? {
        cached[resource.hasSuffix("/") ? String(resource.dropLast()) : resource]?.expiresAt
    }

    /// Forgets `token` if it is a cached one (the service answered 401 to it).
    func invalidate(_ token: String) {
        for (key, value) in cached where value.token == token { cached[key] = nil }
    }

    /// Whether the provider can renew tokens (false for a fixed access token).
    var canRenew: Bool { configuration.accessToken == nil }

    private var tokenURL: String {
        let authority = configuration.authority.hasSuffix("/") ? String(configuration.authority.dropLast()) : configuration.authority
        let tenant = PartnerCenterRequest.encodeSegment(configuration.tenantId ?? "")
        switch configuration.tokenEndpointVersion {
        case .v1: return "\(authority)/\(tenant)/oauth2/token"
        case .v2: return "\(authority)/\(tenant)/oauth2/v2.0/token"
        }
    }

    private func fetch(resource: String) async throws -> Cached {
        guard let tenant = configuration.tenantId, !tenant.isEmpty, let clientId = configuration.clientId, !clientId.isEmpty else {
            throw PartnerCenterError(
                category: .unauthenticated, message: "no credentials configured (tenant ID and client ID are required)",
                hint: "set PCX_TENANT_ID, PCX_CLIENT_ID and PCX_CLIENT_SECRET (and PCX_REFRESH_TOKEN for App+User), or use a profile")
        }
        try await readKeyring()
        var (form, grant) = try grantForm(resource: resource, clientId: clientId)
        do {
            return try await postWithRetries(body: Self.encode(form), grant: grant)
        } catch let error as PartnerCenterError where grant == "refresh_token" && error.message.contains("AADSTS700025")
                    && form.contains(where: { $0.0 == "client_secret" }) {
            // UNCONFIRMED tolerance: a refresh token from a public-client sign-in (pcx login
            // --device-code) is refused with a client secret ("Client is public..."); ask without it.
            form.removeAll { $0.0 == "client_secret" }
            return try await postWithRetries(body: Self.encode(form), grant: grant)
        }
    }

    /// The token request's form for `resource`: the refresh-token grant when a refresh token is
    /// known, else client credentials; v1 names `resource=`, v2 a scope.
    private func grantForm(resource: String, clientId: String) throws -> ([(String, String)], String) {
        var form: [(String, String)] = [("client_id", clientId)]
        if let secret = configuration.clientSecret?.reveal() { form.append(("client_secret", secret)) }
        if let refresh = refreshToken {
            form.append(("grant_type", "refresh_token"))
            form.append(("refresh_token", refresh))
            switch configuration.tokenEndpointVersion {
            case .v1:
                form.append(("resource", resource))
                form.append(("scope", "openid"))
            case .v2:
                form.append(("scope", "\(resource)/user_impersonation offline_access"))
            }
            return (form, "refresh_token")
        }
        guard configuration.clientSecret != nil else {
            throw PartnerCenterError(
                category: .unauthenticated, message: "no client secret configured for the client_credentials grant",
                hint: "set PCX_CLIENT_SECRET, or sign in as a user for App+User: pcx login --device-code (or PCX_REFRESH_TOKEN)")
        }
        form.append(("grant_type", "client_credentials"))
        switch configuration.tokenEndpointVersion {
        case .v1: form.append(("resource", resource))
        case .v2: form.append(("scope", "\(resource)/.default"))
        }
        return (form, "client_credentials")
    }

    static func encode(_ form: [(String, String)]) -> String {
        form.map { name, value in
            name + "=" + (value.addingPercentEncoding(withAllowedCharacters: TokenProvider.formAllowed) ?? value)
        }.joined(separator: "&")
    }

    /// Sends the token request, retrying transport failures and 5xx (a rejected credential is final).
    private func postWithRetries(body: String, grant: String) async throws -> Cached {
        var lastError: PartnerCenterError?
        for attempt in 0..<max(3, configuration.retry.maxAttempts) {
            if attempt > 0 {
                try await configuration.sleeper(configuration.retry.backoff(forRetry: attempt - 1, unit: Double.random(in: 0.5...1)))
            }
            do {
                return try await post(body: body, grant: grant)
            } catch let error as PartnerCenterError {
                lastError = error
                guard error.category == .network || error.category == .timeout || error.category == .serverError else { throw error }
            }
        }
        throw lastError!
    }

    /// What to do when the refresh token is refused, naming where it came from.
    private var refreshHint: String {
        guard let store, refreshToken != configuration.refreshToken?.reveal() else {
            return "the refresh token may be expired or revoked: sign in again with pcx login --device-code (or set PCX_REFRESH_TOKEN)"
        }
        let place = keyringItem.map { "the Secret Service keyring (item \($0), named by \(store.path))" } ?? store.path
        return "the refresh token kept in \(place) may be expired or revoked (or from another sandbox database): "
            + "sign in again with pcx login --device-code, or remove \(store.path) to use the configured credentials"
    }

    /// Reads the refresh token from the Secret Service item the store names (once).
    private func readKeyring() async throws {
        guard let item = keyringItem, !keyringRead, let store else { return }
        let keyring = self.keyring
        let result = await Task.detached { Result { try keyring.lookup(item: item) } }.value
        switch result {
        case .success(let token?):
            keyringRead = true
            refreshToken = token
            redactor.register(token)
        case .success(nil):
            throw PartnerCenterError(
                category: .unauthenticated, message: "the Secret Service keyring has no item \(item), which \(store.path) names as the refresh token's place",
                hint: "sign in again: pcx login --device-code (it stores a new refresh token)")
        case .failure(let error):
            throw PartnerCenterError(
                category: .unauthenticated, message: "cannot read the refresh token from the Secret Service keyring (item \(item), named by \(store.path)): \(error)",
                hint: "unlock the keyring (or start its session), or sign in again: pcx login --device-code")
        }
    }

    private static let formAllowed: CharacterSet = {
        var set = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        set.insert(charactersIn: "-._~")
        return set
    }()

    private struct TokenResponse: Decodable {
        var accessToken: String?
        var refreshToken: String?
        var expiresIn: FlexibleNumber?
        var expiresOn: FlexibleNumber?
        var error: String?
        var errorDescription: String?

        enum CodingKeys: String, CodingKey {
            case accessToken = "access_token", refreshToken = "refresh_token", expiresIn = "expires_in"
            case expiresOn = "expires_on", error, errorDescription = "error_description"
        }
    }

    private func post(body: String, grant: String) async throws -> Cached {
        metrics.bump(\.tokenRequests)
        let url = tokenURL
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded; charset=utf-8")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let data: Data
        let status: Int
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(Int64(configuration.timeouts.request.seconds * 1e9)))
            status = Int(response.status.code)
            data = Data(try await response.body.collect(upTo: 1 << 20).readableBytesView)
        } catch {
            if Task.isCancelled || error is CancellationError {
                throw PartnerCenterError(category: .cancelled, message: "token request cancelled", method: "POST", path: pathOf(url))
            }
            let (category, text) = classifyTransportError(error)
            throw PartnerCenterError(
                category: category, message: redactor.redact("token endpoint unreachable: \(text)"), method: "POST", path: pathOf(url),
                hint: "check the token authority \(configuration.authority) (PCX_AUTHORITY, or the profile's authority key) and connectivity")
        }
        let parsed = try? JSONDecoder().decode(TokenResponse.self, from: data)
        guard (200..<300).contains(status), let access = parsed?.accessToken, !access.isEmpty else {
            let detail = [parsed?.error, parsed?.errorDescription?.split(separator: "\n").first.map(String.init)]
                .compactMap { $0 }.joined(separator: ": ")
            let category: PartnerCenterError.Category = status >= 500 ? .serverError : .unauthenticated
            throw PartnerCenterError(
                category: category,
                message: redactor.redact("the token endpoint refused the \(grant) grant (HTTP \(status))" + (detail.isEmpty ? "" : ": \(detail)")),
                status: status, method: "POST", path: pathOf(url),
                hint: grant == "refresh_token" ? refreshHint : "check PCX_TENANT_ID, PCX_CLIENT_ID and PCX_CLIENT_SECRET")
        }
        redactor.register(access)
        let now = Date()
        var lifetime = parsed?.expiresIn?.value
        if lifetime == nil, let on = parsed?.expiresOn?.value { lifetime = on - now.timeIntervalSince1970 }
        let seconds = max(1, lifetime ?? 3600)
        let margin = min(configuration.tokenRenewalMargin.seconds, seconds / 2)
        if let rotated = parsed?.refreshToken, !rotated.isEmpty, rotated != refreshToken, grant == "refresh_token" {
            redactor.register(rotated)
            refreshToken = rotated
            try persist(rotated)
        }
        configuration.logger.debug("obtained access token", metadata: ["grant": "\(grant)", "expires_in": "\(Int(seconds))"])
        return Cached(token: access, expiresAt: now.addingTimeInterval(seconds), renewAt: now.addingTimeInterval(seconds - margin))
    }

    /// Keeps the rotated refresh token where it came from: the Secret Service item the store
    /// names, else the store file (atomically, readable only by the owner, 0600).
    private func persist(_ token: String) throws {
        guard let store else { return }
        do {
            if let item = keyringItem {
                try keyring.store(item: item, label: store.keyringLabel, secret: token)
            } else {
                try store.writeToken(token)
            }
        } catch {
            let place = keyringItem.map { "the Secret Service keyring (item \($0))" } ?? store.path
            throw PartnerCenterError(
                category: .invalidArgument,
                message: "cannot persist the rotated refresh token to \(place): \(error is SecretServiceKeyring.Failure ? "\(error)" : error.localizedDescription)",
                hint: "make the store writable (or unlock the keyring), then sign in again: pcx login --device-code (the old token is no longer valid)")
        }
    }

    /// Writes `contents` to `path` via a temporary file created with mode 0600 and a rename.
    static func writeSecretFile(path: String, contents: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let temporary = path + ".tmp-\(UUID().uuidString)"
        guard FileManager.default.createFile(
            atPath: temporary, contents: Data(contents.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        // createFile applies the mode after creation; enforce it again in case of a permissive umask path.
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: temporary)
        if rename(temporary, path) != 0 {
            let code = errno
            try? FileManager.default.removeItem(atPath: temporary)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
    }
}

/// A number that may arrive as a JSON number or a numeric string (`"3600"`).
struct FlexibleNumber: Decodable {
    var value: Double?

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) {
            value = number
        } else if let text = try? container.decode(String.self) {
            value = Double(text.trimmingCharacters(in: .whitespaces))
        } else {
            value = nil
        }
    }
}

/// The path part of a URL string (for error context; never the query).
func pathOf(_ url: String) -> String {
    URL(string: url)?.path ?? url
}

/// Classifies a transport-level error into `timeout` or `network`, with a short description.
func classifyTransportError(_ error: any Error) -> (PartnerCenterError.Category, String) {
    if let error = error as? HTTPClientError {
        switch error {
        case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .tlsHandshakeTimeout,
             .getConnectionFromPoolTimeout, .socksHandshakeTimeout, .httpProxyHandshakeTimeout:
            return (.timeout, error.description)
        case .cancelled, .requestStreamCancelled:
            return (.cancelled, error.description)
        default:
            return (.network, error.description)
        }
    }
    if error is AttemptTimeout { return (.timeout, "the attempt exceeded its deadline") }
    if error is CancellationError { return (.cancelled, "cancelled") }
    let text = String(describing: error)
    if text.lowercased().contains("timeout") || text.lowercased().contains("timed out") { return (.timeout, text) }
    return (.network, socketErrorText(text) ?? text)
}

/// A socket error as the system names it (`connection refused (errno 111)`), from the description
/// of NIO's error, which wraps it in its own words ("connection reset (error set): Connection
/// refused) (errno: 111)"); nil when the description carries no error number.
func socketErrorText(_ description: String) -> String? {
    guard let range = description.range(of: #"errno: [0-9]+"#, options: .regularExpression),
          let code = Int32(description[range].dropFirst("errno: ".count)), code > 0 else { return nil }
    return String(cString: strerror(code)).lowercased() + " (errno \(code))"
}

/// Thrown by ``withDeadline(_:operation:)`` when the deadline passes first.
struct AttemptTimeout: Error {}

/// Runs `operation`, cancelling it and throwing ``AttemptTimeout`` if `deadline` passes first.
func withDeadline<T: Sendable>(
    _ deadline: ContinuousClock.Instant, operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(until: deadline, clock: .continuous)
            throw AttemptTimeout()
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw CancellationError() }
        return first
    }
}
