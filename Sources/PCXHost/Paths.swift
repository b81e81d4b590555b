import Foundation
import PartnerCenter

/// Where pcx keeps its files, following the XDG base-directory conventions.
///
/// - Config (profiles, playbooks): `$PCX_CONFIG_DIR`, else `$XDG_CONFIG_HOME/pcx`, else `~/.config/pcx`.
/// - Data (journal, embedded sandbox state, REPL history): `$PCX_DATA_DIR`, else
///   `$XDG_DATA_HOME/pcx`, else `~/.local/share/pcx`.
public struct PCXPaths: Sendable, Equatable {
    /// The configuration directory.
    public var configDirectory: URL
    /// The data directory.
    public var dataDirectory: URL

    /// Paths resolved from an environment (defaults to the process environment).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let home = environment["HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser
        if let dir = environment["PCX_CONFIG_DIR"], !dir.isEmpty {
            configDirectory = URL(fileURLWithPath: dir)
        } else if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty {
            configDirectory = URL(fileURLWithPath: xdg).appendingPathComponent("pcx")
        } else {
            configDirectory = home.appendingPathComponent(".config/pcx")
        }
        if let dir = environment["PCX_DATA_DIR"], !dir.isEmpty {
            dataDirectory = URL(fileURLWithPath: dir)
        } else if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty {
            dataDirectory = URL(fileURLWithPath: xdg).appendingPathComponent("pcx")
        } else {
            dataDirectory = home.appendingPathComponent(".local/share/pcx")
        }
    }

    /// Explicit directories (tests).
    public init(configDirectory: URL, dataDirectory: URL) {
        self.configDirectory = configDirectory
        self.dataDirectory = dataDirectory
    }

    /// The purchase journal database.
    public var journal: URL { dataDirectory.appendingPathComponent("journal.sqlite") }
    /// The embedded sandbox's database.
    public var sandboxDatabase: URL { dataDirectory.appendingPathComponent("sandbox.sqlite") }
    /// The REPL's history file.
    public var replHistory: URL { dataDirectory.appendingPathComponent("repl_history") }
    /// The profiles file.
    public var profiles: URL { configDirectory.appendingPathComponent("profiles.toml") }
    /// The profiles file in use: `PCX_PROFILE_FILE` when set, else ``profiles``.
    public func profileFile(environment: [String: String]) -> String {
        environment["PCX_PROFILE_FILE"].flatMap { $0.isEmpty ? nil : $0 } ?? profiles.path
    }
    /// The user's own playbooks.
    public var playbooks: URL { configDirectory.appendingPathComponent("playbooks") }

    /// Creates a directory (and parents) with mode 0700 if it does not exist.
    /// - Throws: ``PartnerCenterError`` (`invalid_argument`) naming the directory and the fix.
    public static func ensureDirectory(_ url: URL) throws {
        var isDirectory: ObjCBool = false
        let path = url.path
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw unusable(path, "it is a file, not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(
                at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
            throw unusable(path, "it cannot be created (\(reason))")
        }
    }

    private static func unusable(_ path: String, _ why: String) -> PartnerCenterError {
        PartnerCenterError(category: .invalidArgument, message: "pcx's directory \(path) is unusable: \(why)",
                           hint: "set PCX_DATA_DIR (or PCX_CONFIG_DIR) to a directory you can write, or unset it to use the default")
    }
}
