import Foundation

/// The entry points of pcx's verbs. The `pcx` executable only parses arguments and calls these;
/// each returns the process exit code (see `ExitCode`).
public enum PCXCommands {
    /// pcx's own options that may appear among a playbook's parameters, with how many values
    /// each takes.
    static let hostOptionArity: [String: Int] = [
        "--sandbox": 0, "--dry-run": 0, "--allow-purchase": 0, "--json": 0,
        "--profile": 1, "--log-level": 1, "--timeout": 1, "--memory-limit": 1, "--allow-write": 1, "--allow-read": 1,
        "--max-quantity": 1, "--idempotency-key": 1, "--max-spend": 2,
    ]

    /// Takes over Ctrl-C for the whole process; call first thing in `main`.
    public static func installInterruptHandler() { InterruptHandler.shared.install() }

    /// Joins `--max-spend AMOUNT CURRENCY` into one value (`--max-spend "AMOUNT CURRENCY"`) so the
    /// option can take its two words without swallowing the script path that follows.
    public static func joinMaxSpend(_ arguments: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "--max-spend", i + 2 < arguments.count,
               Double(arguments[i + 1]) != nil,
               arguments[i + 2].count == 3, arguments[i + 2].allSatisfy(\.isLetter) {
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

    /// Splits `arguments` into pcx's own options and the rest (a playbook's name and parameters).
    /// `--opt=value` forms are recognised; `--` ends pcx's options.
    public static func splitHostArguments(_ arguments: [String]) -> (host: [String], rest: [String]) {
        var host: [String] = [], rest: [String] = []
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "--" { rest += arguments[i...]; break }
            let name = a.split(separator: "=", maxSplits: 1).first.map(String.init) ?? a
            if var arity = hostOptionArity[name] {
                host.append(a)
                // --max-spend takes "AMOUNT CURRENCY" as one word once joined, or as two words
                if name == "--max-spend", i + 1 < arguments.count, arguments[i + 1].contains(" ") { arity = 1 }
                if !a.contains("=") {
                    for _ in 0..<arity where i + 1 < arguments.count {
                        i += 1
                        host.append(arguments[i])
                    }
                }
            } else {
                rest.append(a)
            }
            i += 1
        }
        return (host, rest)
    }
}
