import Foundation
import Logging

/// Log lines on stderr in pcx's one log format, the one the script's `log` module writes:
/// `HH:MM:SS LEVEL source: message (key=value, ...)` (UTC time, source `pcx` here and the script's
/// `file:line` there), or with `--log-format json` one JSON object per line with the same fields:
/// `{"time", "level", "source", "message", "metadata"}`.
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
            writeAll(2, Self.textLine(level: event.level, source: "pcx", message: "\(event.message)",
                                      metadata: all.mapValues { "\($0)" }))
        case .json:
            writeAll(2, Self.jsonLine(level: name, source: "pcx", message: "\(event.message)",
                                      metadata: all.mapValues { "\($0)" }))
        }
    }

    /// Says something pcx prints itself rather than logs (a notice on the way, a warning about the
    /// run): `pcx: message` as text, and under `--log-format json` a log line like any other, so
    /// that stderr stays one JSON object per line.
    public static func notice(_ message: String, level: Logger.Level = .info, format: LogFormat) {
        switch format {
        case .text: printError("pcx: " + message)
        case .json: writeAll(2, jsonLine(level: level == .warning ? "warning" : level.rawValue, source: "pcx", message: message, metadata: [:]))
        }
    }

    /// One text log line (newline-terminated), as the `log` module writes it:
    /// `12:04:05 WARN  pcx: message (key=value, ...)`.
    static func textLine(level: Logger.Level, source: String, message: String, metadata: [String: String],
                         now: time_t = time(nil)) -> String {
        var clock = now, parts = tm()
        gmtime_r(&clock, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let name: String
        switch level {
        case .trace, .debug: name = "DEBUG"
        case .info, .notice: name = "INFO "
        case .warning: name = "WARN "
        case .error, .critical: name = "ERROR"
        }
        let details = metadata.isEmpty ? "" : " (" + metadata.keys.sorted().map { "\($0)=\(metadata[$0]!)" }.joined(separator: ", ") + ")"
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) \(name) \(source): \(message)\(details)\n"
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
