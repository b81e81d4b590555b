import Foundation

/// How the sandbox serves Microsoft Graph reconciliation v2 (addendum §3, §5.3). Every switch
/// where the contract is UNCONFIRMED has a default here and can be changed per run
/// (``SandboxConfiguration/graph``).
public struct GraphSandboxOptions: Sendable, Equatable {
    /// Where a succeeded operation puts its manifest (addendum §3.5 CONFLICT).
    public enum ManifestMode: String, Sendable, Equatable {
        /// `resourceLocation` is the manifest object (what Microsoft's sample reads).
        case inline
        /// `resourceLocation@odata.navigationLink` points at `GET /reports/partners/billing/manifests/{id}`.
        case navigationLink
    }

    /// Key spelling inside the blobs (addendum §3.9: UNCONFIRMED).
    public enum KeyCase: String, Sendable, Equatable {
        /// `GraphBilling` column names as declared (`partnerId`).
        case camel
        /// The first letter upper-cased (`PartnerId`).
        case pascal
    }

    /// What v1 `invoices.line_items` answers for a new-commerce invoice after the cut-over (addendum §3.11).
    public enum V1CutoverMode: String, Sendable, Equatable {
        /// Lines as before the cut-over.
        case serve
        /// An empty collection.
        case empty
        /// 400 ApiFault with ``GraphSandboxOptions/v1CutoverErrorCode``.
        case error
    }

    /// Sandbox-clock seconds an operation stays `notStarted`.
    public var notStartedSeconds: Double = 0.3
    /// Sandbox-clock seconds it then stays `running` before it succeeds or fails.
    public var runningSeconds: Double = 0.7
    /// `Retry-After` (whole seconds) on a running operation.
    public var retryAfterSeconds: Int = 1
    /// Sandbox-clock seconds an operation (and its manifest) exists; afterwards 404 (or 410).
    public var operationLifetime: Double = 24 * 3600
    /// The status of an operation or manifest past its lifetime: 404 (default) or 410.
    public var expiredStatus: Int = 404
    /// Inline manifest (default) or navigation link.
    public var manifestMode: ManifestMode = .inline
    /// Sandbox-clock seconds a manifest's SAS stays valid (`se`).
    public var sasLifetime: Double = 3600
    /// Lines per blob; a data set is split into as many blobs as it needs.
    public var linesPerBlob: Int = 50_000
    /// Key spelling in the blobs.
    public var keyCase: KeyCase = .camel
    /// The purchase-channel prefix on reconciliation `reservationOrderId`, immediately followed by
    /// the GUID: `RIOderId` (the doc's spelling, default), `PCTest`, or empty for a bare GUID.
    public var reservationOrderPrefix: String = "RIOderId"
    /// Whether Graph tokens carry `PartnerBilling.Read.All`; false makes every Graph call 403.
    public var grantPermission: Bool = true
    /// Per-app token bucket on Graph routes (Graph's published global limit: 130,000 per 10 s); nil = unlimited.
    public var rateLimit: RateLimit? = RateLimit(requests: 130_000, per: 10)
    /// v1 behaviour for new-commerce invoices after the cut-over (default `serve`: UNCONFIRMED choice).
    public var v1CutoverMode: V1CutoverMode = .serve
    /// When the sandbox clock passes this instant, ``v1CutoverMode`` applies (default 2025-04-21T00:00:00Z).
    public var v1Cutover: Date = Date(timeIntervalSince1970: 1_745_193_600)
    /// Only invoices whose billing period starts on or after this date are cut over (default 2024-02-01).
    public var v2PeriodStart: Date = Date(timeIntervalSince1970: 1_706_745_600)
    /// The ApiFault code of `v1CutoverMode=error`.
    public var v1CutoverErrorCode: Int = 400_019

    /// The defaults.
    public init() {}

    /// The spec keys ``parse(_:base:)`` reads and the values each takes.
    public static let specKeys: [(key: String, values: String)] = [
        ("manifest", "inline|link"), ("keys", "camel|pascal"), ("prefix", "RIOderId|PCTest|none"), ("permission", "on|off"),
        ("blob-lines", "N"), ("not-started", "DURATION"), ("running", "DURATION"), ("retry-after", "N"), ("ttl", "DURATION"),
        ("expired", "404|410"), ("sas", "DURATION"), ("rate", "N/PERIOD|off"), ("v1", "serve|empty|error"),
    ]

    /// `manifest=inline|link, keys=camel|pascal, ...`: every key with its values.
    public static var specSummary: String { specKeys.map { "\($0.key)=\($0.values)" }.joined(separator: ", ") }

    /// Parses a comma-separated `key=value` spec over the defaults (or `base`): `manifest=inline|link`,
    /// `keys=camel|pascal`, `prefix=RIOderId|PCTest|none`, `permission=on|off`, `blob-lines=N`,
    /// `not-started=DURATION`, `running=DURATION`, `retry-after=N`, `ttl=DURATION`, `expired=404|410`,
    /// `sas=DURATION`, `rate=N/PERIOD|off`, `v1=serve|empty|error` (``specKeys``). Keys are
    /// case-insensitive; a later key wins.
    /// - Throws: ``SandboxConfigurationError`` (`bad_graph_option`) naming the bad key (or value) and listing the valid keys.
    public static func parse(_ spec: String, base: GraphSandboxOptions = GraphSandboxOptions()) throws -> GraphSandboxOptions {
        var options = base
        for part in spec.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            let pieces = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let key = pieces[0].lowercased()
            guard let known = specKeys.first(where: { $0.key == key }) else {
                throw SandboxConfigurationError(code: "bad_graph_option", option: "--graph",
                                                message: "unknown key '\(pieces[0])' in '\(part)'; valid keys: \(specSummary)")
            }
            let bad = SandboxConfigurationError(code: "bad_graph_option", option: "--graph",
                message: "'\(part)': \(key) takes \(known.values); valid keys: \(specSummary)")
            guard pieces.count == 2, !pieces[1].isEmpty else { throw bad }
            do {
                try options.apply(key: key, value: pieces[1], bad: bad)
            } catch is SandboxConfigurationError {
                throw bad
            }
        }
        return options
    }

    private mutating func apply(key: String, value: String, bad: SandboxConfigurationError) throws {
        let lower = value.lowercased()
        func need<T>(_ parsed: T?) throws -> T {
            guard let parsed else { throw bad }
            return parsed
        }
        switch key {
        case "manifest": manifestMode = try need(lower == "inline" ? .inline : lower.hasPrefix("link") || lower == "navigationlink" ? .navigationLink : nil)
        case "keys": keyCase = try need(KeyCase(rawValue: lower))
        case "prefix": reservationOrderPrefix = lower == "none" || lower == "bare" ? "" : value
        case "permission": grantPermission = try need(["on", "true", "yes", "1"].contains(lower) ? true : ["off", "false", "no", "0"].contains(lower) ? false : nil)
        case "blob-lines": linesPerBlob = try need(Int(value).flatMap { $0 > 0 ? $0 : nil })
        case "not-started": notStartedSeconds = try SandboxDuration.parse(value, option: "--graph")
        case "running": runningSeconds = try SandboxDuration.parse(value, option: "--graph")
        case "retry-after": retryAfterSeconds = try need(Int(value).flatMap { $0 >= 0 ? $0 : nil })
        case "ttl": operationLifetime = try SandboxDuration.parse(value, option: "--graph")
        case "expired": expiredStatus = try need(Int(value).flatMap { [404, 410].contains($0) ? $0 : nil })
        case "sas": sasLifetime = try SandboxDuration.parse(value, option: "--graph")
        case "rate": rateLimit = lower == "off" ? nil : try RateLimits.parse("partner=" + value, base: .unlimited).partner
        case "v1": v1CutoverMode = try need(V1CutoverMode(rawValue: lower))
        default: throw bad
        }
    }
}
