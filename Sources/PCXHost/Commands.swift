import Foundation

/// The entry points of pcx's verbs. The `pcx` executable only parses arguments and calls these;
/// each returns the process exit code (see `ExitCode`).
public enum PCXCommands {
    /// pcx's own options that may appear among a playbook's parameters, with how many values
    /// each takes.
    static let hostOptionArity: [String: Int] = [
        "--sandbox": 0, "--dry-run": 0, "--allow-purchase": 0, "--json": 0,
        "--profile": 1, "--log-level": 1, "--timeout": 1, "--memory-limit": 1, "--allow-write": 1,
        "--max-quantity": 1, "--idempotency-key": 1, "--max-spend": 2,
    ]

    /// Splits `arguments` into pcx's own options and the rest (a playbook's name and parameters).
    /// `--opt=value` forms are recognised; `--` ends pcx's options.
    public static func splitHostArguments(_ arguments: [String]) -> (host: [String], rest: [String]) {
        var host: [String] = [], rest: [String] = []
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "--" { rest += arguments[i...]; break }
            let name = a.split(separator: "=", maxSplits: 1).first.map(String.init) ?? a
            if let arity = hostOptionArity[name] {
                host.append(a)
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
