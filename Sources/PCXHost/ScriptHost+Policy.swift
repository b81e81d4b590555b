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
        let profileFile = environment["PCX_PROFILE_FILE"].flatMap { $0.isEmpty ? nil : $0 } ?? paths.profiles.path
        out.append(URL(fileURLWithPath: profileFile))
        if let store = environment["PCX_REFRESH_TOKEN_STORE"], !store.isEmpty {
            out.append(URL(fileURLWithPath: (store as NSString).expandingTildeInPath))
        }
        if let file = try? ProfileFile(contentsOf: profileFile) {
            for profile in file.profiles.values {
                if case .string(let store)? = profile.values["refresh_token_store"], !store.isEmpty {
                    out.append(URL(fileURLWithPath: (store as NSString).expandingTildeInPath))
                }
            }
        }
        return out
    }

    /// Directories inside a denied path that scripts may still read when allowed: the user's
    /// playbooks in the configuration directory.
    static func denyExceptions(paths: PCXPaths) -> [URL] { [paths.playbooks] }

    /// Words that make an environment variable's name look like a credential.
    static let secretWords = ["SECRET", "TOKEN", "PASSWORD", "PASSWD", "PASSPHRASE", "CREDENTIAL",
                              "PRIVATE", "APIKEY", "COOKIE", "CERTIFICATE"]
    /// Name components (split at anything but letters and digits) that do the same.
    static let secretComponents: Set<String> = ["KEY", "AUTH", "AUTHORIZATION", "PASS", "PWD_HASH", "SIGNATURE"]

    /// Whether a variable's name looks like a credential: it contains one of ``secretWords``,
    /// has a component in ``secretComponents`` or ending in `KEY`, or is `PCX_CLIENT_*`.
    static func looksSecret(_ name: String) -> Bool {
        let upper = name.uppercased()
        if upper.hasPrefix("PCX_CLIENT_") { return true }
        if secretWords.contains(where: { upper.contains($0) }) { return true }
        let parts = upper.split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
        return parts.contains { secretComponents.contains($0) || ($0.hasSuffix("KEY") && $0 != "MONKEY") }
    }

    /// `os.getenv` as scripts see it, decided entirely in Swift: a variable whose name looks like
    /// a credential reads as unset, and so does any variable holding the same value as one.
    static func getenv(_ name: String, environment: [String: String]) -> String? {
        guard !name.isEmpty, !looksSecret(name), let value = environment[name] else { return nil }
        if !value.isEmpty {
            for (other, secret) in environment where secret == value && looksSecret(other) { return nil }
        }
        return value
    }
}
