import Foundation
import Logging
import PartnerCenter
import PartnerCenterSandbox

/// The Partner Center sandbox running in-process, serving HTTP on 127.0.0.1, with its state in
/// the user's data directory (`sandbox.sqlite`). The client talks to it over loopback exactly as
/// it talks to the real service; only the endpoint and credentials differ.
final class EmbeddedSandbox: Sendable {
    let server: PartnerCenterSandbox
    let databasePath: String

    private init(server: PartnerCenterSandbox, databasePath: String) {
        self.server = server
        self.databasePath = databasePath
    }

    /// Starts the sandbox on a free loopback port (seeding the database on first use).
    static func start(paths: PCXPaths, logLevel: String, logFormat: LogFormat = .text) async throws -> EmbeddedSandbox {
        try PCXPaths.ensureDirectory(paths.dataDirectory)
        var config = SandboxConfiguration()
        config.host = "127.0.0.1"
        config.port = 0
        config.storage = .file(paths.sandboxDatabase.path)
        var logger = Logger(label: "pcx.sandbox") { CLILogHandler(label: $0, format: logFormat) } // pcx's one log format
        logger.logLevel = logLevel.lowercased() == "debug" ? .debug : .error
        let server = try await PartnerCenterSandbox.start(config, logger: logger)
        return EmbeddedSandbox(server: server, databasePath: paths.sandboxDatabase.path)
    }

    /// Points a client configuration at this sandbox with the first partner's App+User
    /// credentials (so App+User-only operations work too): the seeded refresh token, or the one
    /// `pcx login --device-code --sandbox` stored (`paths`' default store `sandbox`), which wins.
    func configure(_ config: inout ClientConfiguration, paths: PCXPaths? = nil) {
        let c = server.credentials
        config.endpoint = server.endpoint.absoluteString
        config.authority = server.endpoint.absoluteString
        var base = server.endpoint.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        config.graphEndpoint = base + "/v1.0"
        config.tenantId = c.tenantId
        config.clientId = c.clientId
        config.clientSecret = Secret(c.clientSecret)
        config.refreshToken = Secret(c.refreshToken)
        config.refreshTokenStore = nil
        if let paths { LoginStores.applyDefault(&config, key: "sandbox", paths: paths) }
    }

    /// Stops the server.
    func shutdown() async { await server.shutdown() }
}
