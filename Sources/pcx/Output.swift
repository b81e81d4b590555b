// pcx's output options (-o, --json) and pcx eval: argument parsing only (the logic is in PCXHost).
import ArgumentParser
import PCXHost

/// The help of `-o`, the same on every verb.
let outputHelp = ArgumentHelp("Output format: table (default), json, csv or tsv. --json is -o json.", valueName: "format")

/// `-o FORMAT` and `--json` for the verbs that print data and run no script.
struct OutputFlags: ParsableArguments {
    @Flag(help: "Machine-readable JSON output (the same as -o json).")
    var json = false

    @Option(name: [.customShort("o"), .customLong("output")], help: outputHelp)
    var output: String?

    /// The format asked for.
    /// - Throws: `UsageError` (exit 2) naming a bad `-o` value and the choices, or `--json` with another `-o`.
    func format() throws -> OutputFormat {
        try outputFormat(output, json: json)
    }
}

/// The format `-o` (and `--json`) ask for; a bad value is a usage error (exit 2) naming the choices.
func outputFormat(_ output: String?, json: Bool) throws -> OutputFormat {
    try OutputFormat.parse(output, json: json)
}

/// Whether `--log-format json` is among pcx's arguments (before any `--`): a usage error found
/// before the options are read is then one JSON log line, as every other line pcx writes.
func asksForJSONLogs(_ arguments: [String]) -> Bool {
    let words = Array(arguments.prefix { $0 != "--" })
    if words.contains("--log-format=json") { return true }
    return zip(words, words.dropFirst()).contains { $0 == "--log-format" && $1 == "json" }
}

/// Whether the command line asks for JSON (`--json`, `-o json`, `--output json`), so a usage error
/// is reported as one JSON line.
func asksForJSON(_ arguments: [String]) -> Bool {
    let words = Array(arguments.prefix { $0 != "--" })
    if words.contains("--json") || words.contains("--output=json") { return true }
    return zip(words, words.dropFirst()).contains { ($0 == "-o" || $0 == "--output") && $1 == "json" }
}

struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a Lua expression (or statements) with pc and the stdlib loaded, and print its value.",
        discussion: """
            Prints the values as the REPL's =EXPR does (tables pretty-printed); -o json prints JSON, -o csv|tsv a list \
            of records as rows. Errors name eval:LINE: a syntax error exits 2, a runtime error 1. Takes the options of \
            `pcx run` (--sandbox, --profile, --dry-run, ...), e.g. pcx eval --sandbox 'pc.invoices.balance()'.
            \(exitCodesHelp)
            """)

    @OptionGroup var target: TargetOptions
    @OptionGroup var limits: LimitOptions
    @OptionGroup var purchase: PurchaseFlags

    @Argument(help: "The Lua expression or statements, e.g. '#pc.customers.list()'.")
    var expression: String

    func run() async throws {
        let options = try hostOptions(target, limits, purchase)
        try finish(await PCXCommands.eval(expression, options: options))
    }
}

/// Default host options carrying the output format of `flags` (for the verbs that run no script).
func outputOptions(_ flags: OutputFlags) throws -> HostOptions {
    var options = HostOptions()
    options.output = try flags.format()
    options.json = options.output == .json
    return options
}
