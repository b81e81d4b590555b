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
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) Lua files into \(target.name)",
                executable: try context.tool(named: "embed-lua").url,
                arguments: [output.path, root.path] + relative,
                inputFiles: inputs,
                outputFiles: [output]
            ),
        ]
    }
}
