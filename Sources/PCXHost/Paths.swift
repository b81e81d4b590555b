import Foundation
import PartnerCenter
import LuaRuntime

/// Where pcx keeps its files, following the XDG base-directory conventions.
///
/// - Config (profiles, playbooks): `$PCX_CONFIG_DIR`, else `$XDG_CONFIG_HOME/pcx`, else `~/.config/pcx`.
/// - Data (journal, embedded sandbox state, REPL history): `$PCX_DATA_DIR`, else
///   `$XDG_DATA_HOME/pcx`, else `~/.local/share/pcx`.
public struct PCXPaths: Sendable, Equatable {
    /// The configuration directory's path.
    public private(set) var configPath: String
    /// The data directory's path.
    public private(set) var dataPath: String
    /// The configuration directory.
    public var configDirectory: URL { URL(fileURLWithPath: configPath, isDirectory: true) }
    /// The data directory.
    public var dataDirectory: URL { URL(fileURLWithPath: dataPath, isDirectory: true) }

    /// Paths resolved from an environment (defaults to the process environment).
    public init(environment: [String: String] = processEnvironment()) {
        // Paths kept as text (start-up: a URL's first `appendingPathComponent` or `path` costs a
        // conformance scan of the whole binary, and a run needs only the text).
        func directory(_ own: String, _ xdg: String, _ fallback: String) -> String {
            if let dir = environment[own], !dir.isEmpty { return Self.absolute(dir) }
            if let base = environment[xdg], !base.isEmpty { return Self.join(Self.absolute(base), "pcx") }
            if let home = environment["HOME"], !home.isEmpty { return Self.join(Self.absolute(home), fallback) }
            return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(fallback).path
        }
        configPath = directory("PCX_CONFIG_DIR", "XDG_CONFIG_HOME", ".config/pcx")
        dataPath = directory("PCX_DATA_DIR", "XDG_DATA_HOME", ".local/share/pcx")
    }

    /// A path made absolute against the current directory, as `URL(fileURLWithPath:)` does;
    /// trailing slashes dropped.
    private static func absolute(_ path: String) -> String {
        var out = POSIXFiles.absolute(path)
        while out.count > 1 && out.hasSuffix("/") { out.removeLast() }
        return out
    }

    /// `base/name`, with one slash between them.
    private static func join(_ base: String, _ name: String) -> String {
        base.hasSuffix("/") ? base + name : base + "/" + name
    }

    /// Explicit directories (tests).
    public init(configDirectory: URL, dataDirectory: URL) {
        self.configPath = configDirectory.path
        self.dataPath = dataDirectory.path
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
        environment["PCX_PROFILE_FILE"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.join(configPath, "profiles.toml")
    }
    /// The user's own playbooks.
    public var playbooks: URL { configDirectory.appendingPathComponent("playbooks") }

    /// Creates a directory (and parents) with mode 0700 if it does not exist.
    /// - Throws: ``PartnerCenterError`` (`invalid_argument`) naming the directory and the fix.
    public static func ensureDirectory(_ url: URL) throws {
        try ensureDirectory(path: url.path)
    }

    /// ``ensureDirectory(_:)`` for a path.
    public static func ensureDirectory(path: String) throws {
        var info = stat()
        if stat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else { throw unusable(path, "it is a file, not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
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
