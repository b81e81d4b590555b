import Foundation
import PartnerCenterSandbox

extension PCXCommands {
    /// The keys `pcx sandbox serve --graph` takes, with their values (for its help).
    public static var sandboxGraphKeys: String { GraphSandboxOptions.specSummary }

    /// `pcx sandbox serve`: the sandbox over HTTP until SIGINT/SIGTERM.
    public static func sandboxServe(host: String, port: Int, database: String, seed: UInt64, scale: [String],
                                    faults: [String], orderLag: String?, orderCompletion: String? = nil, registrationDelay: String?,
                                    rateLimits: [String], tokenLifetime: String? = nil,
                                    restrictedMarkets: String? = nil, maxBody: String? = nil,
                                    headerTimeout: String? = nil, graph: [String] = []) async -> Int32 {
        let durations = [("--order-lag", orderLag), ("--order-completion", orderCompletion), ("--registration-delay", registrationDelay),
                         ("--token-lifetime", tokenLifetime), ("--header-timeout", headerTimeout)]
        for case let (option, text?) in durations where text.trimmingCharacters(in: .whitespaces).hasPrefix("-") {
            return ErrorReport.input("sandbox serve: \(option) must not be negative, got '\(text)'",
                                     hint: "give a duration such as 15m, 2s or 0").print(json: false)
        }
        let config: SandboxConfiguration
        do {
            config = try SandboxConfiguration.fromOptions(
                host: host, port: port, db: database, seed: String(seed),
                scale: scale.isEmpty ? nil : scale.joined(separator: ","),
                faults: faults.isEmpty ? nil : faults.joined(separator: ";"),
                orderLag: orderLag, orderCompletion: orderCompletion,
                rateLimit: rateLimits.isEmpty ? nil : rateLimits.joined(separator: ","),
                registrationDelay: registrationDelay, tokenLifetime: tokenLifetime,
                restrictedMarkets: restrictedMarkets, maxBody: maxBody, headerTimeout: headerTimeout,
                graph: graph.isEmpty ? nil : graph.joined(separator: ","))
        } catch {
            printError("pcx: sandbox serve: \(error)")
            return ExitCode.usage.rawValue
        }
        do {
            try await PartnerCenterSandbox.serve(config)
            return ExitCode.ok.rawValue
        } catch {
            return serveFailure("\(error)", host: host, port: port, database: database)
        }
    }

    /// Why the sandbox could not start, said plainly: a port in use or an address this machine
    /// does not have is an input error (exit 2) with the option to change; anything else exit 1.
    static func serveFailure(_ description: String, host: String, port: Int, database: String) -> Int32 {
        if description.contains("(errno: 98)") || description.contains("Address already in use") {
            return ErrorReport.input("sandbox serve: port \(port) on \(host) is already in use",
                                     hint: "pick another --port, or --port 0 to let pcx pick a free one (it prints the endpoint)").print(json: false)
        }
        if description.contains("(errno: 99)") || description.contains("Cannot assign requested address") {
            return ErrorReport.input("sandbox serve: cannot listen on \(host): this machine has no such address",
                                     hint: "use --host 127.0.0.1 (the default), 0.0.0.0 for every interface, or one of this machine's addresses").print(json: false)
        }
        if description.contains("(errno: 13)") || description.contains("Permission denied") {
            return ErrorReport.input("sandbox serve: not allowed to listen on port \(port)",
                                     hint: "ports below 1024 need root; pick a higher --port, or --port 0").print(json: false)
        }
        printError("pcx: sandbox serve: \(visible(description))\n  hint: check --db \(database) (a writable SQLite file, or :memory:) and --host/--port")
        return ExitCode.failure.rawValue
    }
}
