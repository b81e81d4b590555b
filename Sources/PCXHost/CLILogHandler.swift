import Foundation
import Logging

/// Log lines on stderr in pcx's own style: `pcx: warning: message (key=value, ...)`, or with
/// `--log-format json` one JSON object per line, the same fields as the script's `log` module
/// writes: `{"time", "level", "source", "message", "metadata"}`.
public struct CLILogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    /// The line format.
    public var format: LogFormat

    /// A handler at `level`.
    public init(label: String, level: Logger.Level = .warning, format: LogFormat = .text) {
        self.logLevel = level
        self.format = format
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let name = event.level == .warning ? "warning" : event.level.rawValue
        switch format {
        case .text:
            let details = all.isEmpty ? "" : " (" + all.keys.sorted().map { "\($0)=\(all[$0]!)" }.joined(separator: ", ") + ")"
            writeAll(2, "pcx: \(name): \(event.message)\(details)\n")
        case .json:
            writeAll(2, Self.jsonLine(level: name, source: "pcx", message: "\(event.message)",
                                      metadata: all.mapValues { "\($0)" }))
        }
    }

    /// One JSON log line (newline-terminated), keys sorted: what both pcx and the script's `log`
    /// module write with `--log-format json`.
    static func jsonLine(level: String, source: String, message: String, metadata: [String: String]) -> String {
        struct Line: Encodable {
            let time: String, level: String, source: String, message: String
            let metadata: [String: String]?
        }
        let line = Line(time: Date().formatted(.iso8601), level: level, source: source, message: message,
                        metadata: metadata.isEmpty ? nil : metadata)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(line)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
