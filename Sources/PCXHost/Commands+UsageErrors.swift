import Foundation
import PartnerCenter

extension PCXCommands {
    /// Reports a command-line mistake the argument parser (or pcx's validation of an option)
    /// found, as pcx reports every input error: `pcx: <problem>` and a hint line, exit 2, never
    /// the parser's usage block or its internal type names (`host_flags`). With `json`, one
    /// `{"error": {...}}` line.
    /// - Parameters:
    ///   - message: The parser's message (`Unknown option '--dryrun'. Did you mean '--dry-run'?`)
    ///     or pcx's own (`--timeout must be a positive number of seconds, got -1`).
    ///   - arguments: The command line after `pcx` (names the verb for the hint).
    ///   - verbs: pcx's verbs and their sub-verbs, as the parser declares them (for the hint,
    ///     `pcx journal list --help`, and the did-you-mean of an unknown verb).
    ///   - json: Whether `--json` was among the arguments.
    /// - Returns: The exit status, 2.
    public static func reportParserError(_ message: String, arguments: [String], verbs: [String: [String]], json: Bool,
                                         logFormat: LogFormat = .text) -> Int32 {
        var (problem, hint) = parserProblem(message, arguments: arguments, verbs: verbs)
        if hint == nil { hint = "`\(commandLine(["pcx"] + verbPath(arguments, verbs: verbs) + ["--help"]))` lists the options" }
        return ErrorReport.input(problem, hint: hint).print(json: json, logFormat: logFormat)
    }

    /// The problem and its hint in pcx's words: the parser's capitalised sentences lower-cased,
    /// its did-you-mean as `(did you mean --dry-run?)`, an unknown verb named as such, and a
    /// message of pcx's own split at its first `; ` into the problem and the fix.
    static func parserProblem(_ message: String, arguments: [String], verbs: [String: [String]]) -> (String, String?) {
        let text = message.split(separator: "\n").first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? message
        if let m = text.firstMatch(of: #/^Unknown option '([^']+)'\. Did you mean '([^']+)'\?$/#) {
            return ("unknown option \(m.1) (did you mean \(m.2)?)", nil)
        }
        if let m = text.firstMatch(of: #/^Unknown option '([^']+)'$/#) {
            let option = String(m.1)
            if arguments.first == option, arguments.count > 1, verbs[arguments[1]] != nil {
                // `pcx -q run a.lua`: pcx's options follow the verb
                let path = verbPath(Array(arguments.dropFirst()), verbs: verbs)
                let moved = commandLine(["pcx"] + path + [option] + arguments.dropFirst(1 + path.count))
                return ("unknown option \(option) before the verb", "pcx's options follow the verb, if it takes \(option): \(moved)")
            }
            if verbPath(arguments, verbs: verbs).isEmpty, let meant = closestName(to: option, in: ["--help", "--version"]) {
                return ("unknown option \(option) (did you mean \(meant)?)", nil)
            }
            return ("unknown option \(option)", nil)
        }
        if let m = text.firstMatch(of: #/^(?:\d+ )?[Uu]nexpected arguments?:? '([^']+)'/#), arguments.first == String(m.1) {
            let lines = unknownVerb(String(m.1), verbs: verbs).components(separatedBy: "\n  hint: ")
            return (lines[0], lines.last)
        }
        if let m = text.firstMatch(of: #/^(?:\d+ )?[Uu]nexpected arguments?:? '([^']+)'/#), arguments.count > 1,
           arguments[1] == String(m.1), let subs = verbs[arguments[0]], !subs.isEmpty {
            // `pcx playbook lst`
            let suggestion = closestName(to: String(m.1), in: subs.sorted()).map { " (did you mean \($0)?)" } ?? ""
            return ("unknown verb '\(arguments[0]) \(m.1)'\(suggestion)", "`pcx \(arguments[0]) --help` lists its verbs: \(subs.sorted().joined(separator: ", "))")
        }
        if let m = text.firstMatch(of: #/^(Unexpected argument|Missing expected argument|Missing value for|The value) (.*)$/#) {
            return (m.1.prefix(1).lowercased() + m.1.dropFirst() + " " + m.2, nil)
        }
        if let split = text.range(of: "; ") {
            return (String(text[..<split.lowerBound]), String(text[split.upperBound...]))
        }
        return (text, nil)
    }

    /// `unknown verb 'NAME'`, with the verb it is closest to, and a hint line.
    public static func unknownVerb(_ name: String, verbs: [String: [String]]) -> String {
        let suggestion = closestName(to: name, in: verbs.keys.sorted()).map { " (did you mean \($0)?)" } ?? ""
        return "unknown verb '\(name)'\(suggestion)\n  hint: `pcx --help` lists the verbs"
    }

    /// The verb and sub-verb a command line names (`["journal", "list"]`), or none.
    static func verbPath(_ arguments: [String], verbs: [String: [String]]) -> [String] {
        guard let verb = arguments.first, let subs = verbs[verb] else { return [] }
        if arguments.count > 1, subs.contains(arguments[1]) { return [verb, arguments[1]] }
        return [verb]
    }

    /// An option among `names` close to `word` (`--dryrun` → `--dry-run`), or nil.
    static func similarOption(_ word: String, among names: some Sequence<String>) -> String? {
        let flag = String(word.split(separator: "=", maxSplits: 1).first ?? "")
        return closestName(to: flag, in: names.filter { $0 != flag }.sorted())
    }
}
