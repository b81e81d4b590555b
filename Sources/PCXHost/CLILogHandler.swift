import Foundation
import Logging

/// Log lines on stderr in pcx's own style: `pcx: warning: message (key=value, ...)`.
public struct CLILogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]

    /// A handler at `level`.
    public init(label: String, level: Logger.Level = .warning) {
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let details = all.isEmpty ? "" : " (" + all.keys.sorted().map { "\($0)=\(all[$0]!)" }.joined(separator: ", ") + ")"
        let name = event.level == .warning ? "warning" : event.level.rawValue
        writeAll(2, "pcx: \(name): \(event.message)\(details)\n")
    }
}
