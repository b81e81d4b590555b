import Foundation
import Synchronization

/// Removes secrets (client secret, access tokens, refresh tokens) from any text before it can
/// reach a log line, an error or a description.
///
/// The client registers every secret it holds or receives; ``redact(_:)`` replaces each
/// occurrence with `[REDACTED]`, and also masks anything shaped like a bearer token or a JWT,
/// so a secret the client never saw (e.g. echoed by a server) is hidden too.
public final class SecretRedactor: Sendable {
    private let secrets = Mutex<Set<String>>([])

    /// Creates a redactor that knows no secrets yet.
    public init() {}

    /// Registers `secret` so that it is masked from now on. Empty or very short values are ignored
    /// (masking them would destroy ordinary text).
    public func register(_ secret: String?) {
        guard let secret, secret.count >= 6 else { return }
        secrets.withLock { _ = $0.insert(secret) }
    }

    /// Returns `text` with every registered secret, bearer token and JWT-shaped value masked.
    public func redact(_ text: String) -> String {
        var result = text
        let known = secrets.withLock { Array($0) }.sorted { $0.count > $1.count }
        for secret in known where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: "[REDACTED]")
        }
        return SecretRedactor.maskPatterns(result)
    }

    /// Masks `Bearer <token>`, JWT-shaped values (`eyJ….….…`) and `…token=`/`…secret=` form values.
    static func maskPatterns(_ text: String) -> String {
        var result = text
        let patterns: [(String, String)] = [
            (#"(?i)(bearer\s+)[A-Za-z0-9\-\._~\+/]+=*"#, "$1[REDACTED]"),
            (#"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*"#, "[REDACTED]"),
            (#"(?i)((?:client_secret|refresh_token|access_token|id_token|assertion|password)["']?\s*[=:]\s*["']?)[^&"'\s,}]+"#, "$1[REDACTED]"),
        ]
        for (pattern, template) in patterns {
            guard let regex = try? NSRegularExpression(pattern: pattern) else { continue }
            let range = NSRange(result.startIndex..., in: result)
            result = regex.stringByReplacingMatches(in: result, range: range, withTemplate: template)
        }
        return result
    }
}
