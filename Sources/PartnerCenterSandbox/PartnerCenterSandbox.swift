import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import PartnerCenterModels
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The name the sandbox reports in its `MS-ServerId` header.
public let sandboxServerID = "pcx-sandbox"
/// The Partner Center REST API's version prefix; every operation lives under it.
public let partnerCenterAPIVersionPrefix = "/v1"

/// Credentials of one seeded partner tenant: an app (client id + secret) and the refresh token of
/// a seeded admin agent (App+User). `description` never shows the secret or the token.
public struct SandboxCredentials: Sendable, CustomStringConvertible {
    /// Partner tenant id (GUID) — the `{tenant}` of the token endpoint.
    public let tenantId: String
    /// Partner primary domain (also accepted as `{tenant}`).
    public let domain: String
    /// Partner display name.
    public let name: String
    /// App (client) id.
    public let clientId: String
    /// App client secret.
    public let clientSecret: String
    /// App+User refresh token of the seeded admin agent.
    public let refreshToken: String
    /// Object id of the seeded admin agent.
    public let userId: String

    init(_ partner: PartnerRecord) {
        tenantId = partner.tenantId
        domain = partner.domain
        name = partner.name
        clientId = partner.clientId
        clientSecret = partner.clientSecret
        refreshToken = partner.refreshToken
        userId = partner.userId
    }

    /// The `PCX_*` variables pcx reads to reach this partner at `endpoint` (authority = endpoint;
    /// Microsoft Graph at `endpoint/v1.0`).
    public func environment(endpoint: URL) -> [(String, String)] {
        let base = endpoint.absoluteString.hasSuffix("/") ? String(endpoint.absoluteString.dropLast()) : endpoint.absoluteString
        return [("PCX_ENDPOINT", base), ("PCX_AUTHORITY", base), ("PCX_TENANT_ID", tenantId), ("PCX_CLIENT_ID", clientId),
                ("PCX_CLIENT_SECRET", clientSecret), ("PCX_REFRESH_TOKEN", refreshToken), ("PCX_GRAPH_ENDPOINT", base + "/v1.0")]
    }

    /// Tenant and client ids only; secrets redacted.
    public var description: String { "SandboxCredentials(tenant: \(tenantId), client: \(clientId), secret: <redacted>, refreshToken: <redacted>)" }
}

/// Request context carrying the connection, so faults can drop it.
struct SandboxRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel
    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Thrown after deliberately closing a connection (an injected drop).
struct ConnectionDropped: Error {}

extension SandboxResponder {
    /// Whether a peer is on this machine: 127.0.0.0/8, ::1, an IPv4-mapped loopback, or a Unix socket.
    static func isLoopback(_ address: SocketAddress?) -> Bool {
        guard let address else { return false }
        switch address {
        case .unixDomainSocket: return true
        case .v4: return address.ipAddress?.hasPrefix("127.") == true
        case .v6:
            let ip = address.ipAddress?.lowercased() ?? ""
            return ip == "::1" || ip.hasPrefix("::ffff:127.")
        }
    }
}

/// Bridges Hummingbird requests to the engine.
struct SandboxResponder: HTTPResponder {
    typealias Context = SandboxRequestContext
    let engine: SandboxEngine

    func respond(to request: Request, context: SandboxRequestContext) async throws -> Response {
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName.lowercased()
            headers[name] = headers[name].map { $0 + "," + field.value } ?? field.value
        }
        // HTTP/1 `Host` travels as the `:authority` pseudo-header; Graph answers build absolute URLs from it
        if let authority = request.head.authority { headers["host"] = authority }
        let limit = engine.configuration.maxBodyBytes
        func tooLarge(_ size: String) -> SandboxError {
            SandboxError(status: 413, code: 800002,
                         "Request entity too large: the body is \(size) bytes; the largest accepted is \(limit) bytes.")
        }
        var rejection: SandboxError?
        var body = Data()
        if let declared = headers["content-length"].flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }), declared > limit {
            rejection = tooLarge(String(declared))      // refused before reading it
        } else {
            do {
                body = Data(try await request.body.collect(upTo: limit).readableBytesView)
            } catch is NIOTooManyBytesError {
                rejection = tooLarge("more than \(limit)")
            }
        }
        let outcome = await engine.handle(method: request.method.rawValue, path: request.uri.path, query: request.uri.query ?? "",
                                          headers: headers, body: body, rejection: rejection,
                                          peerIsLoopback: Self.isLoopback(context.channel.remoteAddress))
        switch outcome {
        case .drop:
            try? await context.channel.close()
            throw ConnectionDropped()
        case .respond(let response):
            var fields = HTTPFields()
            for (name, value) in response.headers {
                if let field = HTTPField.Name(name) { fields.append(HTTPField(name: field, value: value)) }
            }
            if let stream = response.stream {
                return Response(status: .init(code: response.status), headers: fields, body: ResponseBody { writer in
                    let next = try stream.start()
                    while let chunk = try next() { try await writer.write(ByteBuffer(bytes: chunk)) }
                    try await writer.finish(nil)
                })
            }
            return Response(status: .init(code: response.status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: response.body)))
        }
    }
}

/// The offline Partner Center: an HTTP server (Hummingbird) over SQLite state (GRDB).
///
/// ```swift
/// var configuration = SandboxConfiguration()          // 127.0.0.1, free port, in-memory, seed 1
/// configuration.faults = try FaultPlan.parse("carts.checkout=drop-after")
/// let sandbox = try await PartnerCenterSandbox.start(configuration)
/// // sandbox.endpoint, sandbox.credentials (first partner), sandbox.partners[1] (second partner)
/// sandbox.clock.advance(by: 15 * 60)                   // jump past order lag / registration delay
/// sandbox.requestLog.entries(route: "carts.checkout")         // what the client really sent
/// try sandbox.setFaults("carts.create=503,ok")            // or POST /_sandbox/faults
/// await sandbox.shutdown()
/// ```
public final class PartnerCenterSandbox: Sendable {
    /// Base URL, e.g. `http://127.0.0.1:53124` (API under `/v1`, tokens under `/{tenant}/oauth2/...`).
    public let endpoint: URL
    /// Microsoft Graph's base URL on this sandbox, e.g. `http://127.0.0.1:53124/v1.0` (`/beta` is served too).
    public var graphEndpoint: URL { endpoint.appendingPathComponent("v1.0") }
    /// The first partner's credentials (what `pcx sandbox serve` prints).
    public let credentials: SandboxCredentials
    /// Every seeded partner: `[0]` = first, `[1]` = second (for isolation tests).
    public let partners: [SandboxCredentials]
    /// Every request seen (also `GET /_sandbox/requests`).
    public var requestLog: SandboxRequestLog { engine.log }
    /// The controllable clock (also `POST /_sandbox/clock`).
    public var clock: SandboxClock { engine.clock }
    /// The configuration the sandbox runs with.
    public var configuration: SandboxConfiguration { engine.configuration }
    /// The device-code options in force (set at start by ``SandboxConfiguration/deviceCode``,
    /// changed while running here or through `POST /_sandbox/device`).
    public var deviceCodeOptions: DeviceCodeOptions {
        get { engine.deviceCodes.options }
        set { engine.deviceCodes.options = newValue }
    }
    /// The user codes of the device sign-ins waiting for a decision (also `GET /_sandbox/device`).
    public var pendingDeviceUserCodes: [String] {
        let now = engine.clock.now
        return engine.deviceCodes.all.filter { $0.state == .pending && now < $0.expires }.map(\.userCode)
    }

    /// Approves or declines the pending device sign-in `userCode` (also `POST /_sandbox/device/approve|decline`).
    /// - Returns: false when no sign-in waits for that code.
    @discardableResult
    public func decideDeviceCode(_ userCode: String, approve: Bool) -> Bool {
        if case .success = engine.deviceCodes.decide(userCode: userCode, approve: approve, now: engine.clock.now) { return true }
        return false
    }

    let engine: SandboxEngine
    private let group: ServiceGroup
    private let runTask: Task<Void, any Error>

    private init(endpoint: URL, engine: SandboxEngine, group: ServiceGroup, runTask: Task<Void, any Error>) {
        self.endpoint = endpoint
        self.engine = engine
        self.group = group
        self.runTask = runTask
        self.partners = engine.partners.map(SandboxCredentials.init)
        self.credentials = partners[0]
    }

    /// Starts the sandbox in-process and returns once it listens.
    ///
    /// An existing database file is reused as is (not reseeded), so restarts are fast.
    /// - Parameters:
    ///   - configuration: host, port (0 = free), storage, seed, scale, faults, delays, limits.
    ///   - logger: where the sandbox logs (default: stderr, level `warning`).
    /// - Throws: ``SandboxConfigurationError`` or the underlying database/bind error.
    public static func start(_ configuration: SandboxConfiguration = SandboxConfiguration(), logger: Logger? = nil) async throws -> PartnerCenterSandbox {
        try await launch(configuration, logger: logger ?? defaultLogger(level: .warning), signals: [])
    }

    /// `pcx sandbox serve`: starts, prints the `PCX_…` block then a blank line (flushed) through
    /// `output`, logs to stderr, and runs until SIGINT/SIGTERM, then shuts down gracefully.
    /// - Parameters:
    ///   - configuration: the parsed options (see ``SandboxConfiguration/fromOptions(host:port:db:seed:scale:faults:orderLag:orderCompletion:rateLimit:registrationDelay:tokenLifetime:restrictedMarkets:maxBody:headerTimeout:graph:)``).
    ///   - output: receives the block (default: stdout, flushed).
    public static func serve(_ configuration: SandboxConfiguration, output: @Sendable (String) -> Void = PartnerCenterSandbox.writeToStandardOutput) async throws {
        let logger = defaultLogger(level: .info)
        let sandbox = try await launch(configuration, logger: logger, signals: [.sigterm, .sigint])
        let lines = sandbox.credentials.environment(endpoint: sandbox.endpoint).map { "\($0.0)=\($0.1)" }
        output(lines.joined(separator: "\n") + "\n\n")
        logger.info("Partner Center sandbox listening", metadata: ["endpoint": "\(sandbox.endpoint.absoluteString)", "partners": "\(sandbox.partners.count)"])
        try await sandbox.runTask.value
        logger.info("Partner Center sandbox stopped")
    }

    /// Writes to stdout and flushes.
    public static let writeToStandardOutput: @Sendable (String) -> Void = { text in
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Stops accepting connections, lets requests in flight finish, and waits for the server to stop.
    public func shutdown() async {
        await group.triggerGracefulShutdown()
        _ = try? await runTask.value
    }

    /// Replaces the fault rules (spec syntax of ``FaultPlan``).
    /// - Throws: ``SandboxConfigurationError`` for a bad spec.
    public func setFaults(_ spec: String) throws { engine.faults.install(try FaultPlan.parse(spec), append: false) }
    /// Replaces the fault rules.
    public func setFaults(_ plan: FaultPlan) { engine.faults.install(plan, append: false) }
    /// Adds rules after the existing ones.
    public func addFaults(_ plan: FaultPlan) { engine.faults.install(plan, append: true) }
    /// The rules in force (scripted sequences show what is left).
    public var faults: FaultPlan { engine.faults.plan }
    /// Replaces the throttling limits (buckets restart full).
    public func setRateLimits(_ limits: RateLimits) { engine.limiter.current = limits }

    static func defaultLogger(level: Logger.Level) -> Logger {
        var logger = Logger(label: "pcx.sandbox") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = level
        return logger
    }

    private static func launch(_ configuration: SandboxConfiguration, logger: Logger, signals: [UnixSignal]) async throws -> PartnerCenterSandbox {
        let engine = try await SandboxEngine(configuration: configuration, logger: logger)
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            responder: SandboxResponder(engine: engine),
            server: .http1(configuration: HTTP1Channel.Configuration(
                additionalChannelHandlers: [HeaderReadTimeoutHandler(timeout: TimeAmount.nanoseconds(Int64(configuration.headerReadTimeout * 1e9)))],
                idleTimeout: TimeAmount.nanoseconds(Int64(configuration.idleTimeout * 1e9)))),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: sandboxServerID),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? configuration.port)
                continuation.finish()
            },
            logger: logger
        )
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: signals, logger: logger))
        let runTask = Task {
            defer { continuation.finish() }
            try await group.run()
        }
        var port: Int?
        for await value in stream { port = value }
        guard let port else {
            try await runTask.value
            throw SandboxConfigurationError(code: "not_listening", option: "--port", message: "the sandbox stopped before listening on \(configuration.host):\(configuration.port)")
        }
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        guard let url = URL(string: "http://\(host):\(port)") else {
            throw SandboxConfigurationError(code: "bad_host", option: "--host", message: "'\(configuration.host)' does not form a URL")
        }
        return PartnerCenterSandbox(endpoint: url, engine: engine, group: group, runTask: runTask)
    }
}
