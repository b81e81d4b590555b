import Foundation
import PartnerCenter
import PartnerCenterSandbox

/// Starts the real sandbox in-process on 127.0.0.1:0 and builds clients for it.
struct Harness: Sendable {
    let sandbox: PartnerCenterSandbox
    let sleeps = SleepRecorder()

    /// Starts a sandbox (in-memory, no order lag, no throttling unless the test sets it).
    static func start(_ configure: (inout SandboxConfiguration) throws -> Void = { _ in }) async throws -> Harness {
        var configuration = SandboxConfiguration()
        configuration.orderLag = 0
        configuration.rateLimits = .unlimited
        try configure(&configuration)
        return Harness(sandbox: try await PartnerCenterSandbox.start(configuration))
    }

    var endpoint: String { sandbox.endpoint.absoluteString }

    /// A client with the first partner's App+User credentials (refresh token) and fast, recorded waits.
    func client(appOnly: Bool = false, _ configure: (inout ClientConfiguration) -> Void = { _ in }) throws -> PartnerCenterClient {
        let credentials = sandbox.credentials
        var configuration = ClientConfiguration(
            endpoint: endpoint, authority: endpoint, tenantId: credentials.tenantId, clientId: credentials.clientId,
            clientSecret: Secret(credentials.clientSecret),
            refreshToken: appOnly ? nil : Secret(credentials.refreshToken),
            rateLimits: .unlimited(concurrency: 16), sleeper: sleeps.sleeper)
        configuration.retry = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(1), maxDelay: .milliseconds(10), retryBudget: 100)
        configure(&configuration)
        return try PartnerCenterClient(configuration: configuration)
    }

    /// Moves the sandbox clock forward (registration delay, token expiry, order lag).
    func advance(seconds: Double) {
        sandbox.clock.advance(by: seconds)
    }

    /// Installs a fault plan (spec syntax of `--faults`), replacing the current one.
    func faults(_ spec: String) throws {
        try sandbox.setFaults(spec)
    }

    /// The request log.
    var log: [SandboxRequestLogEntry] { sandbox.requestLog.entries }

    /// Stops the sandbox.
    func stop() async {
        await sandbox.shutdown()
    }
}

/// Runs `body` with a fresh sandbox and client, always shutting both down.
func withSandbox(
    _ configureSandbox: (inout SandboxConfiguration) throws -> Void = { _ in },
    client configureClient: (inout ClientConfiguration) -> Void = { _ in },
    _ body: (Harness, PartnerCenterClient) async throws -> Void
) async throws {
    let harness = try await Harness.start(configureSandbox)
    let client: PartnerCenterClient
    do {
        client = try harness.client(configureClient)
    } catch {
        await harness.stop()
        throw error
    }
    do {
        try await body(harness, client)
    } catch {
        try? await client.shutdown()
        await harness.stop()
        throw error
    }
    try? await client.shutdown()
    await harness.stop()
}
