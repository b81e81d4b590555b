import AsyncHTTPClient
import Foundation
import PartnerCenterModels
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// The Partner Center client: every reservation operation, typed and raw, with auth, retries,
/// idempotency, rate limiting and the market policy built in.
///
/// A `Sendable` final class; share one instance across tasks. Call ``shutdown()`` when done
/// (an instance dropped without it shuts its HTTP client down in the background).
///
/// ```swift
/// let client = try PartnerCenterClient(configuration: try .load(profile: "sandbox"))
/// defer { Task { try? await client.shutdown() } }
/// // any declared operation: bytes for the Lua bridge
/// let page = try await client.send(OperationCatalog["products.list"], ["country": "US", "target_view": "AzureReservationsVM"])
/// // typed
/// let cart = try await client.decoded(Cart.self, OperationCatalog["carts.get"], ["customer_id": c, "cart_id": id])
/// // paging: every page, the next one prefetched
/// for try await page in client.pages(of: try PartnerCenterRequest(OperationCatalog["invoices.list"], [:])) { consume(page.body) }
/// ```
///
/// Guarantees:
/// - **Idempotency.** One `MS-RequestId` per logical call (pinned by the caller, or generated),
///   identical on every retry of that call, fresh for the next call.
/// - **Retries** per ``RetryPolicy``; a 401 renews the token once and retries.
/// - **Only declared changes.** A request that may change state is sent only when it is a
///   declared operation (`OperationCatalog`); one that changes state at Partner Center only with
///   a pinned `MS-RequestId` (the purchase journal's).
/// - **Market policy.** Every declared operation marked `marketRule` (cart changes, checkout,
///   registration) first resolves the customer's country and is refused with `policy_denied`
///   when the market is excluded; nothing is sent that could change state.
/// - **Cancellation.** Cancelling the calling task cancels the HTTP request in flight.
/// - **No secrets** in logs, errors or descriptions.
public final class PartnerCenterClient: Sendable {
    /// The configuration the client was built with.
    public let configuration: ClientConfiguration
    /// The client-side rate limiter (exposed for benchmarks and diagnostics).
    public let rateLimiter: RateLimiter
    /// The redactor every error and log message passes through.
    public let redactor: SecretRedactor

    let http: HTTPClient
    let ownsHTTPClient: Bool
    let tokens: TokenProvider
    let budget: RetryBudget
    let counters = ClientMetrics()
    let countries = Mutex<[String: String]>([:])
    let isShutDown = Atomic<Bool>(false)
    let endpointBase: String

    /// Creates a client with its own HTTP client.
    /// - Throws: ``PartnerCenterError`` (`invalid_argument`) for an invalid endpoint or authority.
    public convenience init(configuration: ClientConfiguration) throws {
        try configuration.validate()
        var httpConfiguration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(
                connect: .nanoseconds(Int64(configuration.timeouts.connect.seconds * 1e9)),
                read: .nanoseconds(Int64(configuration.timeouts.request.seconds * 1e9))),
            decompression: .disabled)
        httpConfiguration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, configuration.rateLimits.concurrency))
        // pcx retries a failed connection itself (backoff, budget, deadline, logged); left on, the
        // pool would also retry it unseen until the connect timeout: a refused token endpoint took
        // 3 × 10 s before pcx said anything.
        httpConfiguration.connectionPool.retryConnectionEstablishment = false
        let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: httpConfiguration)
        try self.init(configuration: configuration, httpClient: http, ownsHTTPClient: true)
    }

    /// Creates a client on an existing `HTTPClient`, which the caller keeps ownership of.
    /// - Throws: ``PartnerCenterError`` (`invalid_argument`) for an invalid endpoint or authority.
    public convenience init(configuration: ClientConfiguration, httpClient: HTTPClient) throws {
        try configuration.validate()
        try self.init(configuration: configuration, httpClient: httpClient, ownsHTTPClient: false)
    }

    private init(configuration: ClientConfiguration, httpClient: HTTPClient, ownsHTTPClient: Bool) throws {
        self.configuration = configuration
        self.http = httpClient
        self.ownsHTTPClient = ownsHTTPClient
        self.redactor = SecretRedactor()
        self.rateLimiter = RateLimiter(policy: configuration.rateLimits, sleeper: configuration.sleeper)
        self.budget = RetryBudget(configuration.retry.retryBudget)
        var base = configuration.endpoint
        while base.hasSuffix("/") { base.removeLast() }
        if base.lowercased().hasSuffix("/v1") { base.removeLast(3) }
        self.endpointBase = base
        self.tokens = TokenProvider(configuration: configuration, http: httpClient, redactor: redactor, metrics: counters)
    }

    deinit {
        if ownsHTTPClient, !isShutDown.load(ordering: .acquiring) {
            let future: EventLoopFuture<Void> = http.shutdown()
            future.whenComplete { _ in }
        }
    }

    /// Shuts the HTTP client down (if the client owns it). Call once, after the last request.
    public func shutdown() async throws {
        guard !isShutDown.exchange(true, ordering: .acquiringAndReleasing) else { return }
        if ownsHTTPClient { try await http.shutdown() }
    }

    /// What the client has done so far: calls, attempts, retries, 429s, token requests, failures.
    public var metrics: ClientMetricsSnapshot { counters.snapshot }

    /// Retries left in this client's budget (nil = unlimited).
    public var retryBudgetRemaining: Int? { budget.left }

    /// The refresh token in use after any rotation (never logged; for the host to hand to a vault).
    public func currentRefreshToken() async -> Secret? {
        await tokens.currentRefreshToken.map { Secret($0) }
    }

    // MARK: - Sending

    /// Sends one logical call and returns the 2xx response's bytes.
    ///
    /// Applies, in order: request validation, the market policy (cart-mutating requests), the
    /// rate limiter, auth, and the retry policy. The same `MS-RequestId` is used on every retry.
    ///
    /// - Parameter request: a builder's result (``PartnerCenterRequest/getCart(customerId:cartId:)``…) or a raw request.
    /// - Returns: the response, for any 2xx status.
    /// - Throws: ``PartnerCenterError`` for every failure, including non-2xx responses,
    ///   `policy_denied` refusals and cancellation.
    /// A declared operation that answers JSON (an object, a collection or an array) is checked
    /// to be a readable JSON document (``RawResponse/checkJSONShape()``).
    public func send(_ request: PartnerCenterRequest) async throws -> RawResponse {
        let response = try await perform(request, sink: nil).response
        if let declaration = request.declaration, declaration.response.model != nil { try response.checkJSONShape() }
        rememberCountry(from: response)
        return response
    }

    /// A customer read answers the market policy's question too: remember the country so a
    /// later cart for that customer doesn't fetch the customer again.
    func rememberCountry(from response: RawResponse) {
        guard response.request.method == "GET", response.request.operation == "customers.get",
              let id = response.request.path.split(separator: "/").last.map(String.init),
              let country = PartnerCenterClient.country(fromCustomerJSON: response.body) else { return }
        countries.withLock { $0[id.lowercased()] = country }
    }

    /// Sends one declared operation (see ``PartnerCenterRequest/init(_:_:caller:)``).
    /// - Throws: ``PartnerCenterError``: `invalid_argument` (never sent) for bad arguments, and
    ///   everything ``send(_:)`` throws.
    public func send(_ operation: APIOperation, _ arguments: OperationArguments = [:], requestId: String? = nil) async throws -> RawResponse {
        var request = try PartnerCenterRequest(operation, arguments)
        request.requestId = requestId
        return try await send(request)
    }

    /// Sends one declared operation and decodes its answer as `T`.
    /// - Throws: ``PartnerCenterError`` (`server_error` when the answer does not decode as `T`).
    public func decoded<T: Decodable>(_ type: T.Type, _ operation: APIOperation, _ arguments: OperationArguments = [:]) async throws -> T {
        try await send(operation, arguments).decode(T.self)
    }

    /// The result of ``download(_:to:)``.
    public struct DownloadResult: Sendable {
        /// The file written.
        public var path: String
        /// Bytes written.
        public var bytes: Int
        /// The response's `Content-Type`.
        public var contentType: String?
        /// The response (with an empty body).
        public var response: RawResponse
    }

    /// Streams a response body (the invoice statement PDF) to `path`, never holding it in memory.
    ///
    /// The body goes to a temporary file next to `path`, renamed into place only when complete;
    /// on failure nothing is left behind.
    /// - Throws: ``PartnerCenterError``; `invalid_argument` when the file cannot be written.
    public func download(_ request: PartnerCenterRequest, to path: String) async throws -> DownloadResult {
        let outcome = try await perform(request, sink: path)
        return DownloadResult(
            path: path, bytes: outcome.bytesWritten, contentType: outcome.response.header("Content-Type"),
            response: outcome.response)
    }

    /// The pages of a collection, following `links.next` (offset or seek paging) and prefetching
    /// the next page while the caller works on the current one.
    public func pages(of request: PartnerCenterRequest) -> PageSequence {
        PageSequence(client: self, first: request)
    }

    /// The items (`items[]`) of every page of a collection, decoded as `T`, fetched page by page
    /// with the next page prefetched.
    public func items<T: Decodable & Sendable>(of request: PartnerCenterRequest, as type: T.Type = T.self) -> ItemSequence<T> {
        ItemSequence(pages: pages(of: request))
    }

    /// Every item of a declared collection, all pages followed.
    /// - Throws: ``PartnerCenterError``.
    public func all<T: Decodable & Sendable>(_ type: T.Type, _ operation: APIOperation, _ arguments: OperationArguments = [:]) async throws -> [T] {
        var result: [T] = []
        for try await item in items(of: try PartnerCenterRequest(operation, arguments), as: T.self) { result.append(item) }
        return result
    }

    // MARK: - Market policy

    /// The customer's country (ISO alpha-2, upper case) — `companyProfile.address.country`,
    /// else `billingProfile.defaultAddress.country` — looked up once and cached.
    /// - Throws: ``PartnerCenterError`` from the customer lookup.
    public func customerCountry(customerId: String) async throws -> String? {
        let key = customerId.lowercased()
        if let cached = countries.withLock({ $0[key] }) { return cached }
        let response = try await send(OperationCatalog["customers.get"], ["customer_id": .string(customerId)])
        guard let country = PartnerCenterClient.country(fromCustomerJSON: response.body) else { return nil }
        countries.withLock { $0[key] = country }
        return country
    }

    static func country(fromCustomerJSON body: Data) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else { return nil }
        func lookup(_ keys: [String]) -> String? {
            var current: Any? = object
            for key in keys {
                guard let dictionary = current as? [String: Any] else { return nil }
                current = dictionary.first { $0.key.caseInsensitiveCompare(key) == .orderedSame }?.value
            }
            guard let text = current as? String else { return nil }
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty ? nil : trimmed.uppercased()
        }
        return lookup(["companyProfile", "address", "country"]) ?? lookup(["billingProfile", "defaultAddress", "country"])
    }

    /// Refuses `operation` for a customer in an excluded market (``MarketPolicy/refusal(operation:customer:country:)``),
    /// looking the customer's country up once (cached).
    /// - Throws: ``PartnerCenterError`` `policy_denied` (with `notSent`), or the lookup's error.
    public func enforceMarketPolicy(customerId: String, operation: String) async throws {
        let country = try await customerCountry(customerId: customerId)
        if let refusal = configuration.marketPolicy.refusal(operation: operation, customer: customerId, country: country) {
            counters.bump(\.policyRefusals)
            configuration.onEvent?(.refused(operation: operation, customerId: customerId, country: country))
            throw refusal
        }
    }
}

// MARK: - Request preparation

/// A validated request plus what the client derived from it.
struct PreparedRequest {
    var request: PartnerCenterRequest
    var segments: [String]
    var customerId: String?
    /// The market rule applies (a declared operation marked `marketRule`, for a customer).
    var marketRule: Bool
    /// Safe to send again without a pinned request id.
    var idempotent: Bool
    /// The rate limiter's bucket for this request (route group and partition).
    var limit: RateLimiter.Route
}

extension PartnerCenterClient {
    static let allowedMethods: Set<String> = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
    static let reservedHeaders: Set<String> = [
        "authorization", "ms-requestid", "ms-correlationid", "host", "content-length", "ms-continuationtoken",
        "transfer-encoding", "connection",
    ]

    static let pathAllowed: CharacterSet = {
        var set = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        set.insert(charactersIn: "-._~:@!$'()*,;=/%")
        return set
    }()

    /// Validates and normalises a request (method, `/v1` path, encoding) and finds its customer.
    func prepare(_ original: PartnerCenterRequest) throws -> PreparedRequest {
        var request = original
        request.method = request.method.uppercased()
        func invalid(_ message: String) -> PartnerCenterError {
            PartnerCenterError(
                category: .invalidArgument, message: message, method: request.method, path: original.path,
                hint: "paths are relative to the endpoint, like /v1/customers/{id}/carts")
        }
        guard PartnerCenterClient.allowedMethods.contains(request.method) else {
            throw invalid("unsupported HTTP method '\(original.method)'")
        }
        var path = request.path.trimmingCharacters(in: .whitespaces)
        guard path.hasPrefix("/"), !path.hasPrefix("//"), !path.contains("://") else {
            throw invalid("the path must be relative to the endpoint and start with '/'")
        }
        guard !path.contains("?"), !path.contains("#") else {
            throw invalid("put query parameters in the request's query items, not in the path")
        }
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        path = PartnerCenterRequest.versioned(path)
        path = path.addingPercentEncoding(withAllowedCharacters: PartnerCenterClient.pathAllowed) ?? path
        let rawSegments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        var segments: [String] = []
        for raw in rawSegments {
            guard !raw.isEmpty else { throw invalid("the path has an empty segment (an empty ID?)") }
            guard let decoded = String(raw).removingPercentEncoding else { throw invalid("the path has a malformed %-escape") }
            guard decoded != "..", decoded != ".", !decoded.contains("/") else {
                throw invalid("the path segment '\(decoded)' is not allowed")
            }
            segments.append(decoded)
        }
        request.path = path
        var customerId: String?
        if segments.count >= 3, segments[1].lowercased() == "customers" { customerId = segments[2] }
        if let body = request.body, !body.isEmpty, request.method == "GET" || request.method == "HEAD" {
            throw invalid("a \(request.method) request cannot carry a body")
        }
        let declaration = request.declaration
        if request.isMutating {
            // Only declared operations may change anything, and changes only with a pinned id.
            guard let declaration, declaration.method == request.method else {
                throw invalid("\(request.method) \(original.path) is not a declared Partner Center operation; pcx sends changes only for operations in its catalogue")
            }
            if declaration.changesState, original.requestId == nil {
                throw invalid("\(declaration.name) changes state at Partner Center; it is sent only with a pinned MS-RequestId (the purchase journal's)")
            }
        }
        return PreparedRequest(
            request: request, segments: segments, customerId: customerId,
            marketRule: declaration?.marketRule == true && request.isMutating && customerId != nil,
            idempotent: declaration?.idempotent ?? !request.isMutating,
            limit: RateLimiter.Route(operation: declaration?.name ?? request.operation, throttle: declaration?.throttle, customer: customerId))
    }
}
