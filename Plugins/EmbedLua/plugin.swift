import Foundation
import PackagePlugin

/// Embeds Lua into a target as Swift string literals, so an installed `pcx` works from any
/// directory: the target's own `lua/` folder (pcx's Lua that is not a stdlib module), and for
/// `PCXHost` also the stdlib (`stdlib/`, `stdlib/meta/`) and the shipped playbooks (`scripts/`).
@main
struct EmbedLua: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let fm = FileManager.default
        var inputs: [URL] = []
        var dirs = target.name == "PCXHost" ? ["stdlib", "stdlib/meta", "scripts"] : []
        if let module = target as? SourceModuleTarget {
            let own = module.directoryURL.appending(path: "lua").path
            dirs.append(String(own.dropFirst(root.path.hasSuffix("/") ? root.path.count : root.path.count + 1)))
        }
        for dir in dirs {
            let url = root.appending(path: dir)
            let names = (try? fm.contentsOfDirectory(atPath: url.path)) ?? []
            for name in names.sorted() where name.hasSuffix(".lua") {
                inputs.append(url.appending(path: name))
            }
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedLua.swift")
        let rootPath = root.path.hasSuffix("/") ? root.path : root.path + "/"
        let relative = inputs.map { String($0.path.dropFirst(rootPath.count)) }
        var commands: [Command] = [
            .buildCommand(
                displayName: "Embedding \(inputs.count) Lua files into \(target.name)",
                executable: try context.tool(named: "embed-lua").url,
                arguments: [output.path, root.path] + relative,
                inputFiles: inputs,
                outputFiles: [output]
            ),
        ]
        if target.name == "PCXHost" {
            // `pcx --version`: the commit and build date, regenerated when the checked-out commit moves.
            let info = context.pluginWorkDirectoryURL.appending(path: "BuildInfo.swift")
            commands.append(.buildCommand(
                displayName: "Recording the build's commit and date",
                executable: try context.tool(named: "embed-lua").url,
                arguments: ["--build-info", info.path, root.path],
                inputFiles: gitStateFiles(root),
                outputFiles: [info]
            ))
        }
        return commands
    }

    /// The files whose change means another commit is checked out: HEAD, the branch it names,
    /// packed-refs (also in a worktree, where `.git` is a file naming the real git directory).
    func gitStateFiles(_ root: URL) -> [URL] {
        let fm = FileManager.default
        var gitDir = root.appending(path: ".git")
        if let text = try? String(contentsOf: gitDir, encoding: .utf8), text.hasPrefix("gitdir:") {
            let path = text.dropFirst("gitdir:".count).trimmingCharacters(in: .whitespacesAndNewlines)
            gitDir = path.hasPrefix("/") ? URL(fileURLWithPath: path) : root.appending(path: path)
        }
        var common = gitDir
        if let text = try? String(contentsOf: gitDir.appending(path: "commondir"), encoding: .utf8) {
            let path = text.trimmingCharacters(in: .whitespacesAndNewlines)
            common = path.hasPrefix("/") ? URL(fileURLWithPath: path) : gitDir.appending(path: path)
        }
        var files = [gitDir.appending(path: "HEAD"), common.appending(path: "packed-refs")]
        if let head = try? String(contentsOf: gitDir.appending(path: "HEAD"), encoding: .utf8), head.hasPrefix("ref:") {
            files.append(common.appending(path: head.dropFirst("ref:".count).trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        return files.filter { fm.fileExists(atPath: $0.path) }
    }
}
