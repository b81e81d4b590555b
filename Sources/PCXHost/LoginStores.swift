import Foundation
import PartnerCenter

/// Where `pcx login` keeps a refresh token when the profile names no store: one file per target
/// in `$PCX_DATA_DIR/refresh-tokens/` (`profile-NAME`, `sandbox` for the embedded sandbox,
/// `env-TENANT-CLIENT` for the `PCX_*` variables). A run whose configuration names no store
/// uses that file when it exists, so what `pcx login` stored is what `pcx run` and `pcx whoami` use.
enum LoginStores {
    /// The default store's name for a profile, the embedded sandbox, or the `PCX_*` variables' tenant and app.
    static func key(profile: String?, embedded: Bool, config: ClientConfiguration) -> String {
        if embedded { return "sandbox" }
        if let profile { return "profile-" + safe(profile) }
        return "env-" + safe(config.tenantId ?? "none") + "-" + safe(config.clientId ?? "none")
    }

    /// The default store's path for `key`.
    static func path(_ key: String, paths: PCXPaths) -> String {
        paths.dataPath + "/refresh-tokens/" + key
    }

    /// Points `config` at the default store `key` when it names no store and the default one
    /// holds something (a token, or the keyring item's name).
    static func applyDefault(_ config: inout ClientConfiguration, key: String, paths: PCXPaths) {
        guard config.refreshTokenStore == nil, config.accessToken == nil else { return }
        let path = path(key, paths: paths)
        if RefreshTokenStore(path: path).content != .empty { config.refreshTokenStore = path }
    }

    /// A name made safe for a file: letters, digits, `.`, `_` and `-`; anything else `_`.
    private static func safe(_ text: String) -> String {
        var out = ""
        for character in text { // one `_` per character, however many scalars it has
            switch character.asciiValue ?? 0 {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                out.append(character)
            default:
                out += "_"
            }
        }
        return out
    }
}
