import Foundation
import LuaRuntime
import PartnerCenter

/// What scripts may see of the machine: the files pcx keeps for itself, and the environment.
enum ScriptPolicy {
    /// pcx's own files, never readable or writable by scripts: the configuration directory
    /// (profiles), the data directory (journal, sandbox database, REPL history), the profile file
    /// and every refresh-token store (`PCX_REFRESH_TOKEN_STORE`, any profile's
    /// `refresh_token_store`).
    static func denyPaths(paths: PCXPaths, environment: [String: String]) -> [URL] {
        var out = [paths.configDirectory, paths.dataDirectory]
        let profileFile = paths.profileFile(environment: environment)
        out.append(URL(fileURLWithPath: profileFile))
        if let store = environment["PCX_REFRESH_TOKEN_STORE"], !store.isEmpty {
            out.append(URL(fileURLWithPath: (store as NSString).expandingTildeInPath))
        }
        // no file is the common case: not reading it spares building an error (start-up time)
        if access(profileFile, F_OK) == 0, let file = try? ProfileFile(contentsOf: profileFile) {
            for profile in file.profiles.values {
                if case .string(let store)? = profile.values["refresh_token_store"], !store.isEmpty {
                    out.append(URL(fileURLWithPath: (store as NSString).expandingTildeInPath))
                }
            }
        }
        return out
    }

    /// Directories inside a denied path that scripts may still use: none. The user's playbooks
    /// in the configuration directory are pcx's own too: a script that could write there would
    /// replace a playbook every later run uses.
    static func denyExceptions(paths: PCXPaths) -> [URL] { [] }

    /// Words that make an environment variable's name look like a credential.
    static let secretWords = ["SECRET", "TOKEN", "PASSWORD", "PASSWD", "PASSPHRASE", "CREDENTIAL",
                              "PRIVATE", "APIKEY", "COOKIE", "CERTIFICATE"]
    /// Name components (split at anything but letters and digits) that do the same.
    static let secretComponents: Set<String> = ["KEY", "AUTH", "AUTHORIZATION", "PASS", "PWD_HASH", "SIGNATURE"]

    /// Name endings of variables that commonly carry credentials inside a longer value: URLs and
    /// DSNs with a user:password part, proxies, connection strings, personal access tokens.
    static let secretSuffixes = ["_URL", "_URI", "_DSN", "PROXY", "CONNECTION_STRING", "CONNECTIONSTRING", "_PAT", "_SAS"]

    /// Whether a variable's name looks like a credential: it contains one of ``secretWords``,
    /// has a component in ``secretComponents`` or ending in `KEY`, ends in one of
    /// ``secretSuffixes``, or is `PCX_CLIENT_*`.
    static func looksSecret(_ name: String) -> Bool {
        let upper = name.uppercased()
        if upper.hasPrefix("PCX_CLIENT_") { return true }
        if secretSuffixes.contains(where: { upper.hasSuffix($0) }) || upper == "DSN" { return true }
        if secretWords.contains(where: { upper.contains($0) }) { return true }
        let parts = upper.split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
        return parts.contains { secretComponents.contains($0) || ($0.hasSuffix("KEY") && $0 != "MONKEY") }
    }

    /// `os.getenv` as scripts see it, decided entirely in Swift: a variable whose name looks like
    /// a credential reads as unset, and so does any variable holding the same value as one.
    static func getenv(_ name: String, environment: [String: String]) -> String? {
        guard !name.isEmpty, !looksSecret(name), let value = environment[name] else { return nil }
        if valueLooksSecret(value) { return nil }
        if !value.isEmpty {
            for (other, secret) in environment where looksSecret(other) && !secret.isEmpty {
                // the same value, or one that embeds it (a URL or a command line around a secret)
                if secret == value || (secret.count >= 8 && value.contains(secret)) { return nil }
            }
        }
        return value
    }

    /// Whether a value carries a credential whatever its variable is called: a URL with a
    /// user:password part, or a `key=value` list naming a key, password, signature or token
    /// (connection strings, SAS URLs).
    static func valueLooksSecret(_ value: String) -> Bool {
        if let scheme = value.range(of: "://"), let at = value[scheme.upperBound...].firstIndex(of: "@") {
            let userinfo = value[scheme.upperBound..<at]
            if userinfo.contains(":"), !userinfo.contains("/") { return true }
        }
        let lower = value.lowercased()
        let markers = ["accountkey=", "sharedaccesskey=", "password=", "pwd=", "sig=", "secret=", "token=",
                       "apikey=", "api_key=", "access_token=", "client_secret="]
        return markers.contains { marker in
            var search = lower[...]
            while let r = search.range(of: marker) {
                // at the start or after a separator: `;Password=`, `?sig=`, `&token=`
                if r.lowerBound == lower.startIndex || ";?& ".contains(lower[lower.index(before: r.lowerBound)]) { return true }
                search = lower[r.upperBound...]
            }
            return false
        }
    }
}
