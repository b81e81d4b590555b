import Foundation
import PartnerCenter

/// Shell completion of what only pcx knows at run time: playbook names, a playbook's parameters,
/// profile names. The shells' scripts come from the argument parser (`--generate-completion-script`)
/// and call back into pcx for these.
extension PCXCommands {
    /// Completions for `pcx playbook run|show WORDS…`: playbook names until one is given, then
    /// that playbook's parameters (`--customer`, `--no-azure-plan`, …) and pcx's own options.
    /// - Parameters:
    ///   - words: the words after the verb (`run` or `show`), the one being completed last.
    ///   - hostOptions: pcx's options (``takeOption``'s table), offered after the name.
    public static func completePlaybookWords(_ words: [String], hostOptions: [String: Int]) async -> [String] {
        let done = words.dropLast()
        var i = done.startIndex
        var name: String?
        while i < done.endIndex {       // pcx's options may come before NAME
            let word = done[i]
            if let arity = hostOptions[word] {
                i += 1 + arity
                continue
            }
            if !word.hasPrefix("-") { name = word; break }
            i += 1
        }
        guard let name else { return playbooks().keys.sorted() }
        let parameters = (try? await playbookParameters(name)) ?? [:]
        return Set(parameters.keys).union(hostOptions.keys).sorted()
    }

    /// The profile names in profiles.toml (none when it is missing or unreadable: completion is
    /// no place for errors).
    public static func profileNames(environment: [String: String] = processEnvironment()) -> [String] {
        let file = PCXPaths().profileFile(environment: environment)
        guard let profiles = try? ProfileFile(contentsOf: file).profiles else { return [] }
        return profiles.keys.sorted()
    }
}
