import Foundation
import LuaRuntime

/// Where a playbook is about to write (a parameter declared `output = "file"` or
/// `output = "directory"`), checked before it makes any call: the path must be under an
/// `--allow-write` directory and not one of pcx's own files, and the directory is created when
/// missing. So a playbook refuses a path it could not write in its first second, not after all
/// its Partner Center calls.
struct OutputPaths {
    /// The `--allow-write` directories.
    let allowed: [String]
    /// pcx's own files and directories (``ScriptPolicy/denyPaths(paths:environment:)``).
    let denied: [URL]

    /// Why `path` cannot be written, as a problem and a hint; nil when it can (the directory,
    /// for `kind` "directory", or the file's directory, for "file", then exists).
    /// - Parameters:
    ///   - path: The path as the user gave it (relative to the current directory).
    ///   - kind: `directory` (the playbook writes files into it) or `file`.
    func prepare(_ path: String, kind: String) -> (problem: String, hint: String)? {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL
        let directory = kind == "directory" ? absolute : absolute.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: absolute.path, isDirectory: &isDirectory), isDirectory.boolValue != (kind == "directory") {
            return kind == "directory"
                ? ("it is a file, not a directory", "give a directory (pcx creates it when it does not exist)")
                : ("it is a directory, not a file", "give the path of a file to write")
        }
        guard let canonical = Self.canonical(directory) else {
            return ("its directory cannot be resolved", "give a path under an --allow-write directory")
        }
        if let problem = refusal(canonical, asked: directory.path) { return problem }
        do {
            try FileManager.default.createDirectory(atPath: canonical, withIntermediateDirectories: true)
        } catch {
            return ("cannot create the directory \(directory.path): \((error as NSError).localizedDescription)",
                    "check the permissions of the directory above it")
        }
        return nil
    }

    /// The problem with writing into canonical directory `canonical`: one of pcx's own files,
    /// or outside every `--allow-write` directory; nil when it is allowed.
    private func refusal(_ canonical: String, asked: String) -> (problem: String, hint: String)? {
        for d in denied {
            let base = Self.canonical(d.standardizedFileURL) ?? d.standardizedFileURL.path
            if canonical == base || canonical.hasPrefix(base + "/") {
                return ("pcx's own files (\(d.path)) are never written by scripts", "write somewhere else under an --allow-write directory")
            }
        }
        for dir in allowed {
            let base = Self.canonical(URL(fileURLWithPath: dir).standardizedFileURL) ?? dir
            if base == "/" || canonical == base || canonical.hasPrefix(base + "/") { return nil }
        }
        let add = "--allow-write \(PCXCommands.commandLine([asked]))"
        return allowed.isEmpty
            ? ("writing there is not allowed (no --allow-write directory was given)", "add \(add) (or a directory above it)")
            : ("writing there is not allowed (allowed: \(allowed.joined(separator: ", ")))", "add \(add) (or a directory above it)")
    }

    /// The path with its existing part's symlinks resolved (`realpath` of the deepest existing
    /// ancestor, then the components still to be created), so a link cannot lead a created
    /// directory outside the allowed ones; nil when no ancestor resolves.
    static func canonical(_ url: URL) -> String? {
        var missing: [String] = []
        var current = url.standardizedFileURL
        while !FileManager.default.fileExists(atPath: current.path) {
            let last = current.lastPathComponent
            guard !last.isEmpty, last != "/", last != ".." else { return nil }
            missing.insert(last, at: 0)
            current = current.deletingLastPathComponent()
        }
        guard let resolved = realpath(current.path, nil) else { return nil }
        defer { free(resolved) }
        let base = String(cString: resolved)
        return missing.isEmpty ? base : (base == "/" ? "" : base) + "/" + missing.joined(separator: "/")
    }

    /// `pcx.sys.prepare_output(path, kind)`: nothing when `path` may be written (its directory now
    /// exists), else the problem and a hint, for the playbook module to raise as an input error
    /// naming the parameter.
    static func function(_ options: HostOptions) -> LuaFunction {
        let outputs = OutputPaths(allowed: options.limits.allowWrite,
                                  denied: ScriptPolicy.denyPaths(paths: options.paths, environment: options.environment))
        return .sync { _, args in
            guard let path = args.first?.stringValue, !path.isEmpty else { return .values([.nil, LuaValue("an empty path"), LuaValue("give a path")]) }
            let kind = args.count > 1 ? (args[1].stringValue ?? "file") : "file"
            guard let (problem, hint) = outputs.prepare(path, kind: kind) else { return .values([.boolean(true)]) }
            return .values([.nil, LuaValue(problem), LuaValue(hint)])
        }
    }
}
