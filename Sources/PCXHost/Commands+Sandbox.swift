import Foundation
import PartnerCenterSandbox

extension PCXCommands {
    /// `pcx sandbox serve`: the sandbox over HTTP until SIGINT/SIGTERM.
    public static func sandboxServe(host: String, port: Int, database: String, seed: UInt64, scale: [String],
                                    faults: [String], orderLag: String?, orderCompletion: String? = nil, registrationDelay: String?,
                                    rateLimits: [String], tokenLifetime: String? = nil,
                                    restrictedMarkets: String? = nil, maxBody: String? = nil,
                                    headerTimeout: String? = nil) async -> Int32 {
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
                restrictedMarkets: restrictedMarkets, maxBody: maxBody, headerTimeout: headerTimeout)
        } catch {
            printError("pcx: sandbox serve: \(error)")
            return ExitCode.usage.rawValue
        }
        do {
            try await PartnerCenterSandbox.serve(config)
            return ExitCode.ok.rawValue
        } catch {
            printError("pcx: sandbox serve: \(error)\n  hint: pick another --port (0 picks a free one) or check --db")
            return ExitCode.failure.rawValue
        }
    }
}
