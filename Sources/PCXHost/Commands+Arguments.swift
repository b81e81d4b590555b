import Foundation
import LuaRuntime
import PartnerCenterSandbox
import PartnerCenter

/// A command-line mistake found by pcx (exit 2): the executable reports it as a usage error.
public struct UsageError: Error, CustomStringConvertible {
    /// What is wrong and how to fix it.
    public let message: String
    /// Creates a usage error.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension PCXCommands {
    /// Joins `--max-spend AMOUNT CURRENCY` into one value (`--max-spend "AMOUNT CURRENCY"`) so the
    /// option can take its two words without swallowing the script path that follows.
    public static func joinMaxSpend(_ arguments: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "--max-spend", i + 2 < arguments.count, spendWords(arguments[i + 1], arguments[i + 2]) {
                out += [a, arguments[i + 1] + " " + arguments[i + 2]]
                i += 3
                continue
            }
            if a == "--" { out += arguments[i...]; break }
            out.append(a)
            i += 1
        }
        return out
    }

    /// Whether `first second` after `--max-spend` are its amount and currency: `5000 USD`,
    /// `USD 5000`, and a mistyped amount before a currency (`abc USD`, so the error names both
    /// words instead of leaving `USD` behind as a stray argument).
    private static func spendWords(_ first: String, _ second: String) -> Bool {
        func currency(_ w: String) -> Bool { w.count == 3 && w.allSatisfy(\.isLetter) }
        if currency(first), Double(second) != nil { return true }
        guard currency(second) else { return false }
        if Double(first) != nil { return true }
        guard !first.hasPrefix("-"), !first.contains(" ") else { return false }
        // `5000USD` is a whole value already: the next word is not its currency
        return first.range(of: #"^[0-9.]+\s*[A-Za-z]{3}$"#, options: .regularExpression) == nil
    }

    /// A duration: `24h`, `7d`, `30m`, `1h30m`, `90s`, bare seconds, `0`.
    /// - Throws: when the text is not a duration.
    public static func parseDuration(_ text: String) throws -> TimeInterval {
        try SandboxDuration.parse(text, option: "duration")
    }

    /// The arguments `pcx run SCRIPT ...` hands to the script. A pcx option among them
    /// (`pcx run flow.lua A --dry-run`) is refused: it would silently not apply. `--` hands
    /// everything after it to the script as it is.
    /// - Parameters:
    ///   - arguments: The words after SCRIPT.
    ///   - script: The script's path.
    ///   - hostOptions: pcx's options and how many values each takes (``takeOption``).
    ///   - before: The words between `run` and SCRIPT (pcx's options given in place), for the hint.
    /// - Throws: ``UsageError`` naming the options and both fixes, each a complete command line
    ///   that carries the options' values.
    public static func scriptArguments(_ arguments: [String], script: String, hostOptions options: @autoclosure () -> [String: Int],
                                       before: [String] = []) throws -> [String] {
        let end = arguments.firstIndex(of: "--") ?? arguments.endIndex
        let head = Array(arguments[..<end]), tail = Array(arguments[min(end + 1, arguments.endIndex)...])
        // Reading pcx's options from the parser costs start-up time: only when there is something to check.
        let hostOptions = head.contains(where: { $0.hasPrefix("-") }) ? options() : [:]
        var misplaced: [String] = [], names: [String] = [], kept: [String] = []
        var i = 0
        while i < head.count {
            let name = optionName(head[i])
            if hostOptions[name] != nil {
                if !names.contains(name) { names.append(name) }
                i = takeOption(head, at: i, arity: hostOptions, into: &misplaced)
            } else if let meant = typoOfHostOption(name, hostOptions: hostOptions) {
                // `pcx run a.lua --dryrun`: the user thinks it is a dry run; the script would get the word
                var corrected = head
                corrected[i] = head[i].hasPrefix(name + "=") ? meant + head[i].dropFirst(name.count) : meant
                var taken: [String] = []
                let next = takeOption(corrected, at: i, arity: hostOptions, into: &taken)
                let others = Array(corrected[..<i]) + Array(corrected[next...])
                let after = tail.isEmpty ? [] : ["--"] + tail
                let moved = commandLine(["pcx", "run"] + before + taken + [script] + others + after)
                let handed = commandLine(["pcx", "run"] + before + [script, "--"] + head + tail)
                throw UsageError("""
                    unknown option \(name) (did you mean \(meant)?)
                      hint: pcx's options go before the script (\(moved)); to hand \(name) to the script, put it after `--` (\(handed))
                    """)
            } else {
                kept.append(head[i])
                i += 1
            }
        }
        guard let first = names.first else { return head + tail }
        let after = tail.isEmpty ? [] : ["--"] + tail
        let moved = commandLine(["pcx", "run"] + before + misplaced + [script] + kept + after)
        let handed = commandLine(["pcx", "run"] + before + [script, "--"] + head + tail)
        let subject = names.count == 1 ? "\(first) comes" : names.dropLast().joined(separator: ", ") + " and \(names.last!) come"
        throw UsageError("""
            \(subject) after the script \(script), so \(names.count == 1 ? "it" : "they") would go to the script, not to pcx
              hint: put pcx's options before the script (\(moved)), or hand \(names.count == 1 ? "it" : "them") to the script after `--` (\(handed))
            """)
    }

    /// The pcx option a word after a plain script is almost surely a typo of (`--dryrun`,
    /// `--alow-purchase`, `--profle`: one letter added, dropped, changed or two swapped), or nil.
    /// A script's own options stay its own: a pcx option with a suffix or prefix (`--output-dir`,
    /// `--no-json`, `--jsonl`) or anything two edits away (`--note`, `--outfile`) is not a typo.
    static func typoOfHostOption(_ word: String, hostOptions: [String: Int]) -> String? {
        guard word.hasPrefix("--"), word.count > 3, hostOptions[word] == nil else { return nil }
        let body = word.dropFirst(2)
        let candidates = hostOptions.keys.filter { option in
            guard option.hasPrefix("--") else { return false }
            let name = option.dropFirst(2)
            return !body.contains(name) && !name.contains(body) && editDistance(String(body), String(name)) == 1
        }
        return candidates.count == 1 ? candidates.first : nil
    }

    /// The option name in `--name` or `--name=value`.
    private static func optionName(_ word: String) -> String {
        String(word.split(separator: "=", maxSplits: 1).first ?? "")
    }

    /// Words as a shell command line: `--max-spend`'s joined "AMOUNT CURRENCY" as its two words,
    /// any other word with a space or shell character in single quotes.
    static func commandLine(_ words: [String]) -> String {
        var out: [String] = []
        for (i, word) in words.enumerated() {
            if i > 0, words[i - 1] == "--max-spend", word.split(separator: " ").count == 2 {
                out += word.split(separator: " ").map(String.init)
                continue
            }
            let plain = !word.isEmpty && word.unicodeScalars.allSatisfy {
                CharacterSet.alphanumerics.contains($0) || "-_./:=,+@%".unicodeScalars.contains($0)
            }
            out.append(plain ? word : "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'")
        }
        return out.joined(separator: " ")
    }

    /// Splits `pcx playbook run` arguments into pcx's options, the playbook's name and its
    /// parameters. Before the name every pcx option is pcx's; after it, the playbook's declared
    /// parameters win (`register-subscription --timeout 3` is the playbook's `--timeout`), and the
    /// pcx options the playbook does not declare are still pcx's.
    /// - Throws: ``UsageError`` when no name is given, or the playbook cannot be loaded.
    public static func splitPlaybookArguments(_ arguments: [String], hostOptions: [String: Int]) async throws
        -> (host: [String], name: String, rest: [String]) {
        var host: [String] = []
        var i = 0
        while i < arguments.count, arguments[i].hasPrefix("-"), arguments[i] != "--" {
            i = takeOption(arguments, at: i, arity: hostOptions, into: &host)
        }
        guard i < arguments.count, arguments[i] != "--" else {
            throw UsageError("give the playbook's name\n  hint: pcx playbook run NAME [--param value ...]; `pcx playbook list` shows them")
        }
        let name = arguments[i]
        let declared = (try? await playbookParameters(name)) ?? [:]
        let split = try splitParameters(Array(arguments[(i + 1)...]), declared: declared, hostOptions: hostOptions,
                                        checkSpelling: findPlaybook(name) != nil,
                                        hint: "`pcx playbook show \(name)` lists the playbook's parameters, `pcx playbook run --help` pcx's own options")
        return (host + split.host, name, split.rest)
    }

    /// Splits the words after a playbook's name (or file) into pcx's options and the playbook's
    /// parameters: its declared parameters win, the pcx options it does not declare are pcx's,
    /// everything after `--` is the playbook's.
    /// - Throws: ``UsageError`` for a misspelt pcx option (with `checkSpelling`; `hint` says
    ///   where the names are listed).
    static func splitParameters(_ words: [String], declared: [String: Int], hostOptions: [String: Int],
                                checkSpelling: Bool, hint: String) throws -> (host: [String], rest: [String]) {
        var host: [String] = [], rest: [String] = []
        var i = 0
        while i < words.count {
            let a = words[i]
            if a == "--" { rest += words[i...]; break }
            let flag = String(a.split(separator: "=", maxSplits: 1).first ?? "")
            if declared[flag] == nil, hostOptions[flag] != nil || Self.levelFlags.contains(flag), flag != "--help" { // after the name, --help is the playbook's
                i = takeOption(words, at: i, arity: hostOptions, into: &host)
            } else if checkSpelling, let misspelt = misspeltHostOption(flag, declared: declared, hostOptions: hostOptions) {
                throw UsageError("unknown option \(flag) (did you mean \(misspelt)?)\n  hint: \(hint)")
            } else {
                rest.append(a)
                i += 1
            }
        }
        return (host, rest)
    }

    /// pcx's level flags, which a playbook's parameters can never be (they are `--name`): pcx's
    /// after a playbook's name too. After a plain script they stay the script's, as `-h` does.
    static let levelFlags: Set<String> = ["-q", "-v", "-vv"]

    /// The pcx option `flag` (a word after a playbook's name that is neither one of its declared
    /// parameters nor pcx's) is probably a misspelling of (`--dryrun` → `--dry-run`), or nil: a
    /// word closer to one of the playbook's own parameters is left to the playbook's parser,
    /// which suggests among those.
    static func misspeltHostOption(_ flag: String, declared: [String: Int], hostOptions: [String: Int]) -> String? {
        guard flag.hasPrefix("--"), flag != "--", declared[flag] == nil, hostOptions[flag] == nil,
              let suggestion = similarOption(flag, among: (Array(declared.keys) + Array(hostOptions.keys)).filter { $0.hasPrefix("--") }),
              hostOptions[suggestion] != nil else { return nil }
        return suggestion
    }

    /// The playbook whose help `pcx playbook run [OPTIONS] NAME ... --help` asks for (the same
    /// as `pcx playbook show NAME`), or nil: with no NAME before `--help` the argument parser
    /// shows the help of `playbook run` itself.
    /// - Parameters:
    ///   - arguments: The whole command line after `pcx`.
    ///   - hostOptions: pcx's options and how many values each takes.
    public static func playbookHelpRequest(_ arguments: [String], hostOptions options: @autoclosure () -> [String: Int]) -> String? {
        guard arguments.count > 3, arguments[0] == "playbook", arguments[1] == "run" else { return nil }
        let hostOptions = options()
        let words = Array(arguments.dropFirst(2).prefix { $0 != "--" })
        var host: [String] = []
        var i = 0
        while i < words.count, words[i].hasPrefix("-") {
            i = takeOption(words, at: i, arity: hostOptions, into: &host)
        }
        guard i < words.count, words[(i + 1)...].contains("--help") else { return nil }
        return words[i]
    }

    /// Copies option `arguments[i]` and its values into `out`; returns the next index.
    static func takeOption(_ arguments: [String], at i: Int, arity: [String: Int], into out: inout [String]) -> Int {
        let a = arguments[i]
        out.append(a)
        let name = String(a.split(separator: "=", maxSplits: 1).first ?? "")
        guard !a.contains("="), var n = arity[name] else { return i + 1 }
        // --max-spend takes "AMOUNT CURRENCY" as one word once joined, or as two words
        if name == "--max-spend", i + 1 < arguments.count, arguments[i + 1].contains(" ") { n = 1 }
        var j = i + 1
        while n > 0, j < arguments.count {
            out.append(arguments[j])
            j += 1
            n -= 1
        }
        return j
    }

    /// A playbook's declared parameters as flags (`--azure-plan` → 0 values, `--customer` → 1).
    static func playbookParameters(_ name: String) async throws -> [String: Int] {
        guard let p = findPlaybook(name) else { return [:] }
        return try parameterArity(await describePlaybook(p, expression: "json.encode(pbm.describe(pb))"))
    }

    /// Flags and how many values each takes, from a playbook's description (`pbm.describe` as JSON).
    static func parameterArity(_ text: String) throws -> [String: Int] {
        struct Described: Decodable {
            struct Param: Decodable { var name: String; var type: String }
            var params: [Param]
        }
        let described = try JSONDecoder().decode(Described.self, from: Data(text.utf8))
        var out: [String: Int] = [:]
        for param in described.params {
            let flag = "--" + param.name.replacingOccurrences(of: "_", with: "-")
            out[flag] = param.type == "boolean" ? 0 : 1
            if param.type == "boolean" { out["--no-" + flag.dropFirst(2)] = 0 }
        }
        return out
    }
}
