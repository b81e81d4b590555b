// pcx: argument parsing only. Everything else lives in PCXHost.
import ArgumentParser
import Foundation
import PCXHost

/// Options shared by every verb that runs Lua against a Partner Center.
struct TargetOptions: ParsableArguments {
    @Flag(help: "Use the embedded Partner Center sandbox, even if a profile or PCX_ENDPOINT is configured.")
    var sandbox = false

    @Option(help: ArgumentHelp("Use the Partner Center profile NAME from profiles.toml.", valueName: "name"),
            completion: .custom { _, _, _ in PCXCommands.profileNames() })
    var profile: String?

    @Option(help: ArgumentHelp("Log level for pcx's diagnostics and the script's log module: debug, info, warn, error (default: warn for pcx, info for log).",
                               valueName: "level"))
    var logLevel: String?

    @Flag(name: .shortAndLong, help: "Quiet: errors only (--log-level error).")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Verbose: -v is --log-level info, -vv debug (pcx test -v also prints every passing test).")
    var verbose: Int

    @Option(help: ArgumentHelp("Log lines as text or json (one object per line), for pcx and the script's log module alike.",
                               valueName: "format"))
    var logFormat: String = LogFormat.text.rawValue

    @Flag(help: "Draw progress lines (waits, exports) on stderr even when it is not a terminal.")
    var progress = false

    @Flag(help: "Show the Lua traceback with errors.")
    var debug = false

    /// The level -q, -v or --log-level chose, or nil for the defaults.
    func chosenLevel() throws -> String? {
        if quiet && verbose > 0 { throw ValidationError("-q and -v exclude each other; pick one") }
        if let logLevel, quiet || verbose > 0 {
            throw ValidationError("--log-level \(logLevel) and \(quiet ? "-q" : "-v") both set the level; pick one")
        }
        if quiet { return "error" }
        if verbose > 0 { return verbose == 1 ? "info" : "debug" }
        if let logLevel, !["debug", "info", "warn", "warning", "error"].contains(logLevel.lowercased()) {
            throw ValidationError("--log-level must be debug, info, warn or error (got '\(logLevel)')")
        }
        return logLevel.map { $0.lowercased() == "warning" ? "warn" : $0.lowercased() }
    }

    func format() throws -> LogFormat {
        guard let format = LogFormat(rawValue: logFormat.lowercased()) else {
            throw ValidationError("--log-format must be text or json (got '\(logFormat)')")
        }
        return format
    }

    /// Host options with this group's choices: target, log level and format, progress, debug.
    func options() throws -> HostOptions {
        let level = try chosenLevel()
        var options = cliDefaults
        options.target = try target()
        options.logLevel = level ?? cliDefaults.logLevel
        options.scriptLogLevel = level
        options.logFormat = try format()
        options.progress = progress ? true : nil
        options.debug = debug
        return options
    }

    func target() throws -> TargetSelection {
        if sandbox && profile != nil {
            throw ValidationError("--sandbox and --profile exclude each other; pick one")
        }
        if sandbox { return .sandbox }
        if let profile { return .profile(profile) }
        return .automatic
    }
}

/// Lua resource limits.
struct LimitOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Stop the script after this many seconds (even inside pcall).", valueName: "seconds"))
    var timeout: Double?

    @Option(help: ArgumentHelp("Lua heap limit in MiB.", valueName: "MiB"))
    var memoryLimit: Int = cliDefaults.limits.memoryBytes >> 20

    @Option(help: ArgumentHelp("Allow the script to write files under DIR (repeatable).", valueName: "dir"))
    var allowWrite: [String] = []

    @Option(help: ArgumentHelp("Allow the script to read files under DIR, besides its own folder (repeatable).", valueName: "dir"))
    var allowRead: [String] = []

    func limits() throws -> RunLimits {
        if let timeout, !(timeout > 0) {
            throw ValidationError("--timeout must be a positive number of seconds, got \(plainNumber(timeout))")
        }
        guard memoryLimit >= 8 else { throw ValidationError("--memory-limit must be at least 8 (MiB)") }
        for dir in allowRead {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) else {
                throw ValidationError("--allow-read \(dir): no such directory; give an existing directory the script may read under")
            }
            guard isDir.boolValue else {
                throw ValidationError("--allow-read \(dir): not a directory; give the directory that holds the file")
            }
        }
        var limits = cliDefaults.limits
        limits.timeout = timeout
        limits.memoryBytes = memoryLimit << 20
        limits.allowWrite = allowWrite
        limits.allowRead = allowRead
        return limits
    }
}

/// Purchase safety flags.
struct PurchaseFlags: ParsableArguments {
    @Flag(help: "Plan only: reads go through, registration and checkout are recorded instead of sent.")
    var dryRun = false

    @Flag(help: "Check out without asking for confirmation at the terminal.")
    var allowPurchase = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Refuse any purchase above AMOUNT CURRENCY, e.g. --max-spend 5000 USD.",
                                                        valueName: "amount currency"))
    var maxSpend: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Refuse any purchase of more than N units.", valueName: "n"))
    var maxQuantity: Int?

    @Option(help: ArgumentHelp("Idempotency key for the purchase (default: derived from its content); a purchase made under it is replayed at any time, never bought again.", valueName: "key"))
    var idempotencyKey: String?

    @Flag(help: "Let a dry run create carts (Partner Center's price quotes; they spend nothing) so it shows prices and checks --max-spend.")
    var quote = false

    @Option(parsing: .unconditional, help: ArgumentHelp("How long a completed purchase is replayed instead of bought again when the same purchase runs again (default 24h; e.g. 7d, 30m, 0).", valueName: "duration"))
    var replayWindow: String?

    @Flag(help: "Machine-readable JSON output.")
    var json = false

    @Option(name: [.customShort("o"), .customLong("output")], help: outputHelp)
    var output: String?

    func purchase() throws -> PurchaseOptions {
        let (amount, currency) = try spendCap()
        if let maxQuantity, maxQuantity < 1 {
            throw ValidationError("--max-quantity must be a positive whole number, got \(maxQuantity)")
        }
        if let idempotencyKey, idempotencyKey.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw ValidationError("--idempotency-key is empty; give a key, or leave the option out to let pcx derive one from the purchase")
        }
        if quote && !dryRun { throw ValidationError("--quote is for dry runs: add --dry-run (a real run always prices the cart it buys)") }
        return PurchaseOptions(dryRun: dryRun, allowPurchase: allowPurchase, maxSpend: amount,
                               maxSpendCurrency: currency, maxQuantity: maxQuantity, idempotencyKey: idempotencyKey,
                               quote: quote, replayWindow: try window())
    }

    /// `--max-spend` as an amount (decimal text, zero or more) and a currency, or nils.
    private func spendCap() throws -> (String?, String?) {
        guard let maxSpend else { return (nil, nil) }
        // "5000 USD" (pcx joins the two words), "5000USD" or "USD 5000"
        let text = maxSpend.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("-") || text.range(of: #"^[A-Za-z]{3}\s*-"#, options: .regularExpression) != nil {
            throw ValidationError("--max-spend must not be negative, got '\(maxSpend)'; give the most a purchase may cost, e.g. --max-spend 5000 USD")
        }
        let pattern = #"^(?:([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]{3})|([A-Za-z]{3})\s*([0-9]+(?:\.[0-9]+)?))$"#
        guard let match = text.range(of: pattern, options: .regularExpression), match == text.startIndex..<text.endIndex else {
            throw ValidationError("--max-spend takes an amount and a currency, e.g. --max-spend 5000 USD (got '\(maxSpend)')")
        }
        return (text.filter { $0.isNumber || $0 == "." }, text.filter(\.isLetter).uppercased())
    }

    /// `--replay-window` (or `PCX_REPLAY_WINDOW`) in seconds, else the default.
    private func window() throws -> TimeInterval {
        try Self.window(replayWindow)
    }

    /// The replay window `option` (`--replay-window`, nil when not given) or `PCX_REPLAY_WINDOW` says.
    static func window(_ replayWindow: String?) throws -> TimeInterval {
        let environment = cliDefaults.environment["PCX_REPLAY_WINDOW"].flatMap { $0.isEmpty ? nil : $0 }
        guard let text = replayWindow ?? environment else { return PurchaseOptions.defaultReplayWindow }
        let source = replayWindow != nil ? "--replay-window" : "PCX_REPLAY_WINDOW"
        if text.trimmingCharacters(in: .whitespaces).hasPrefix("-") {
            throw ValidationError("\(source) must not be negative, got '\(text)'; use e.g. 24h, 7d, 30m, or 0 to never replay")
        }
        do {
            return try PCXCommands.parseDuration(text)
        } catch {
            throw ValidationError("\(source) '\(text)' is not a duration; use e.g. 24h, 7d, 30m or 0")
        }
    }
}

/// A number as a person writes it: `-1`, `2.5`.
func plainNumber(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
}

func hostOptions(_ t: TargetOptions, _ l: LimitOptions, _ p: PurchaseFlags) throws -> HostOptions {
    var options = try t.options()
    options.limits = try l.limits()
    options.purchase = try p.purchase()
    options.output = try outputFormat(p.output, json: p.json)
    options.json = options.output == .json
    return options
}

/// What pcx's options mean when none is given: the library's defaults, except that a stuck
/// script ends the process. The options' declared defaults read it, and so does ``fastRun(_:)``.
let cliDefaults: HostOptions = {
    let environment = HostOptions.currentEnvironment() // read once: each read builds the dictionary
    return HostOptions(limits: RunLimits(exitWhenStuck: true), paths: PCXPaths(environment: environment),
                       environment: environment)
}()

/// `pcx run SCRIPT [ARGS...]` with no pcx option before SCRIPT: runs it without building the
/// parser's command tree (its reflection was most of a start-up's CPU). The options are
/// ``cliDefaults`` plus the environment's `PCX_REPLAY_WINDOW`, as the parser would give them.
/// Returns nil (parse as usual) for anything else: an option before SCRIPT, `--help`, no SCRIPT.
func fastRun(_ arguments: [String]) async throws -> Never? {
    guard arguments.count >= 2, arguments[0] == "run", !arguments[1].hasPrefix("-") || arguments[1] == "-" else { return nil }
    let script = arguments[1], rest = Array(arguments.dropFirst(2))
    if let split = try await PCXCommands.playbookFileArguments(rest, script: script, hostOptions: hostOptionArity) {
        try await runPlaybookFile(script, split, before: [], json: arguments.contains("--json"))
    }
    let passed = try PCXCommands.scriptArguments(rest, script: script, hostOptions: hostOptionArity)
    PCXCommands.installInterruptHandler()
    try finish(await PCXCommands.run(script: script, arguments: passed, options: try plainRunOptions()))
}

/// `pcx run SCRIPT [WORDS...]` with no word that looks like an option (so neither pcx nor a
/// playbook file's parameters claim any): ``fastRun(_:)`` without the concurrency pool, the main
/// thread waiting for the Lua VM. Its threads are started only if the script makes a call, and
/// starting them was a tenth of a start-up. Returns nil for anything else.
func plainRun(_ arguments: [String]) throws -> Never? {
    guard arguments.count >= 2, arguments[0] == "run", !arguments[1].hasPrefix("-"),
          !arguments.dropFirst(2).prefix(while: { $0 != "--" }).contains(where: { $0.hasPrefix("-") })
    else { return nil }
    let script = arguments[1]
    let passed = try PCXCommands.scriptArguments(Array(arguments.dropFirst(2)), script: script, hostOptions: hostOptionArity)
    let options = try plainRunOptions()
    PCXCommands.installInterruptHandler()
    try finish(PCXCommands.runBlocking(script: script, arguments: passed, options: options))
}

/// The options of a `pcx run` with none given: ``cliDefaults`` and `PCX_REPLAY_WINDOW`, as the
/// parser would give them.
func plainRunOptions() throws -> HostOptions {
    var options = cliDefaults
    options.purchase.replayWindow = try PurchaseFlags.window(nil)
    return options
}

/// `pcx [run OPTIONS] run PLAYBOOK-FILE WORDS...`: pcx's options before the file and among the
/// words (``PlaybookFileArguments``), the rest to the playbook; `--help` shows its parameters.
func runPlaybookFile(_ script: String, _ split: PlaybookFileArguments, before: [String], json: Bool) async throws -> Never {
    if split.help { try finish(await PCXCommands.playbookFileHelp(script, json: json)) }
    let flags = try HostFlags.parse(PCXCommands.joinMaxSpend(before + split.host))
    let options = try hostOptions(flags.target, flags.limits, flags.purchase)
    PCXCommands.installInterruptHandler()
    try finish(await PCXCommands.run(script: script, arguments: split.rest, options: options))
}

/// pcx's own options (`--dry-run` → 0 values, `--profile` and `-o` → 1, `--max-spend` → 2), read from
/// the parser's declaration of ``HostFlags`` (one list: the property wrappers above).
let hostOptionArity: [String: Int] = {
    struct Dump: Decodable {
        struct Command: Decodable { var arguments: [Argument]? }
        struct Argument: Decodable {
            struct Name: Decodable { var kind: String; var name: String }
            var kind: String
            var names: [Name]?
        }
        var command: Command
    }
    guard let dump = try? JSONDecoder().decode(Dump.self, from: Data(HostFlags._dumpHelp().utf8)) else { return [:] }
    var arity: [String: Int] = [:]
    for argument in dump.command.arguments ?? [] {
        for name in argument.names ?? [] where name.kind == "long" || (name.kind == "short" && argument.kind == "option") {
            arity[(name.kind == "long" ? "--" : "-") + name.name] = argument.kind == "flag" ? 0 : (name.name == "max-spend" ? 2 : 1)
        }
    }
    return arity
}()

func finish(_ code: Int32) throws -> Never {
    exit(code)
}

@main
enum Entry {
    /// Parses the command line and runs the verb. Usage errors exit 2 (not ArgumentParser's 64),
    /// as the README documents; with `--json` among pcx's arguments they are one JSON error line.
    static func main() async {
        PCXCommands.tuneMemory()
        let arguments = PCXCommands.joinMaxSpend(Array(CommandLine.arguments.dropFirst()))
        let json = asksForJSON(arguments)
        // `pcx playbook run NAME --help` is the playbook's help (the parser would show its own)
        if let name = PCXCommands.playbookHelpRequest(arguments, hostOptions: hostOptionArity) {
            exit(await PCXCommands.playbookShow(name: name, output: .table))
        }
        // Start-up: `pcx --version` touches nothing; `pcx run SCRIPT ...` skips the parser
        // (``fastRun(_:)``), and `pcx run --OPTION ... SCRIPT` parses only the `run` verb (building
        // the whole command tree by reflection is most of a start-up's CPU). Anything `run` alone
        // does not accept goes through the whole parser, for its messages.
        if arguments == ["--version"] {
            writeAll(1, versionLine + "\n")
            exit(0)
        }
        if arguments.count >= 2, arguments[0] == "help", !arguments[1].hasPrefix("-"), verbTree[arguments[1]] == nil {
            // the parser would print the top-level help and exit 0
            exit(PCXCommands.reportUsageError(PCXCommands.unknownVerb(arguments[1], verbs: verbTree), json: json,
                                              logFormat: asksForJSONLogs(arguments) ? .json : .text))
        }
        do {
            try plainRun(arguments)
            try await fastRun(arguments)
            var command: any ParsableCommand
            if arguments.first == "run", let run = try? Run.parse(Array(arguments.dropFirst())) {
                command = run
            } else {
                command = try await PCX.asyncParseAsRoot(arguments) // async: completions that load playbooks
            }
            // `sandbox serve` stops gracefully on SIGINT through its service group; every other verb
            // turns Ctrl-C into an interrupt of the running script (or exit 130).
            if !(command is Sandbox.Serve) { PCXCommands.installInterruptHandler() }
            if var async = command as? AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch let error as UsageError {
            exit(PCXCommands.reportUsageError(error.message, json: json, logFormat: asksForJSONLogs(arguments) ? .json : .text))
        } catch {
            if PCX.exitCode(for: error) == .validationFailure {
                exit(PCXCommands.reportParserError(PCX.message(for: error), arguments: arguments, verbs: verbTree, json: json,
                                                   logFormat: asksForJSONLogs(arguments) ? .json : .text))
            }
            PCX.exit(withError: error)
        }
    }
}

/// pcx's verbs and their sub-verbs, read from the parser's declaration (for error hints such as
/// `pcx journal list --help` and an unknown verb's did-you-mean).
let verbTree: [String: [String]] = {
    var tree = ["help": [String]()]
    for verb in PCX.configuration.subcommands {
        tree[verb._commandName] = verb.configuration.subcommands.map { $0._commandName }
    }
    return tree
}()

/// The exit codes, as every help text that lists them says it.
let exitCodesHelp = """
    Exit codes: 0 ok, 1 script or API failure, 2 usage or syntax error, 3 refused by policy (nothing was sent),
    4 bought above the cap (the order was placed but is above --max-quantity or --max-spend), 130 interrupted.
    """

/// What `pcx --version` prints.
let versionLine = "pcx \(pcxVersion) (commit \(pcxBuildCommit), built \(pcxBuildDate), Lua \(pcxLuaRelease))"

struct PCX: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pcx",
        abstract: "Script Azure Reserved VM Instance purchases against Microsoft Partner Center in Lua.",
        discussion: """
            Runs against the embedded Partner Center sandbox unless a profile or PCX_ENDPOINT is configured.
            \(exitCodesHelp)
            """,
        version: versionLine,
        subcommands: [Run.self, Eval.self, Check.self, Test.self, Repl.self, Playbook.self, Journal.self, Sandbox.self, ProfileVerb.self,
                      Whoami.self, Login.self]
    )
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a Lua script (or a playbook file).",
        discussion: """
            The script sees its arguments in `arg` and `...`. Host options go before SCRIPT; after `--` every word goes to the script.
            A playbook file (one that returns playbook { ... }) takes its parameters after it, as `pcx playbook run NAME` does:
            pcx's options may follow it too (its declared parameters win), and `pcx run FILE --help` lists them.
            \(exitCodesHelp)
            """)

    @OptionGroup var target: TargetOptions
    @OptionGroup var limits: LimitOptions
    @OptionGroup var purchase: PurchaseFlags

    @Argument(help: "The Lua file to run.", completion: .file(extensions: ["lua"]))
    var script: String

    @Argument(parsing: .captureForPassthrough, help: "Arguments passed to the script.")
    var arguments: [String] = []

    func run() async throws {
        if let split = try await PCXCommands.playbookFileArguments(self.arguments, script: script, hostOptions: hostOptionArity) {
            try await runPlaybookFile(script, split, before: wordsBeforeScript(), json: purchase.json)
        }
        let arguments = try PCXCommands.scriptArguments(self.arguments, script: script, hostOptions: hostOptionArity,
                                                        before: wordsBeforeScript())
        let options = try hostOptions(target, limits, purchase)
        try finish(await PCXCommands.run(script: script, arguments: arguments, options: options))
    }
}

extension Run {
    /// The words between `run` and SCRIPT on the command line (pcx's options as given), found
    /// from the end: SCRIPT and its arguments are the line's last words.
    func wordsBeforeScript() -> [String] {
        let line = PCXCommands.joinMaxSpend(Array(CommandLine.arguments.dropFirst()))
        let scriptIndex = line.count - arguments.count - 1
        guard let runIndex = line.firstIndex(of: "run"), runIndex < scriptIndex, line[scriptIndex] == script else { return [] }
        return Array(line[(runIndex + 1)..<scriptIndex])
    }
}

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compile Lua files without running them; report every syntax error as file:line: message.")

    @Flag(help: "Machine-readable JSON output: an array of {file, line, message}.")
    var json = false

    @Argument(help: "Lua files to check.")
    var files: [String]

    func run() async throws {
        guard !files.isEmpty else { throw ValidationError("give at least one Lua file to check") }
        try finish(await PCXCommands.check(files: files, json: json))
    }
}

struct Test: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run Lua spec files (describe/it/expect) and print 'N passed, N failed'.",
        discussion: """
            Exit 0 when every test passed, 1 when one failed, 2 when a file could not be loaded (missing, a directory, a syntax error).
            With --json, errors are JSON lines on stderr; the summary stays text (specs print their failures on stdout).
            """)

    @OptionGroup var target: TargetOptions
    @OptionGroup var limits: LimitOptions
    @OptionGroup var purchase: PurchaseFlags


    @Argument(help: "Spec files to run.")
    var files: [String]

    func run() async throws {
        let options = try hostOptions(target, limits, purchase)
        // -v (pcx's verbose) prints every passing test too
        try finish(await PCXCommands.test(files: files, verbose: target.verbose > 0, options: options))
    }
}

struct Repl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Interactive Lua with the pc module: `=expr` prints, :help NAME shows documentation.")

    @OptionGroup var target: TargetOptions
    @OptionGroup var limits: LimitOptions
    @OptionGroup var purchase: PurchaseFlags

    func run() async throws {
        let options = try hostOptions(target, limits, purchase)
        try finish(await PCXCommands.repl(options: options))
    }
}

struct Playbook: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, describe and run playbooks (shipped, ./playbooks/, and the config directory).",
        subcommands: [List.self, Show.self, RunPlaybook.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the available playbooks.")
        @OptionGroup var output: OutputFlags
        func run() async throws {
            try finish(await PCXCommands.playbookList(output: try output.format()))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a playbook's parameters and help.")
        @OptionGroup var output: OutputFlags
        @Argument(help: "The playbook's name.", completion: playbookCompletion) var name: String
        func run() async throws {
            try finish(await PCXCommands.playbookShow(name: name, output: try output.format()))
        }
    }

    struct RunPlaybook: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Run a playbook: pcx playbook run NAME --param value ... [--dry-run] [--allow-purchase]",
            discussion: """
                pcx's own options may stand before or after NAME: --sandbox, --profile NAME, --log-level L,
                --timeout S, --memory-limit MiB, --allow-write DIR, --allow-read DIR, --dry-run, --quote,
                --allow-purchase, --max-spend AMOUNT CURRENCY, --max-quantity N, --idempotency-key KEY,
                --replay-window D, --json, -o FORMAT, --debug. After NAME, the playbook's declared parameters win over
                pcx's options of the same name; `pcx playbook show NAME` lists them.
                """)
        @Argument(parsing: .captureForPassthrough, help: "NAME, then the playbook's parameters (--name value).",
                  completion: playbookCompletion)
        var arguments: [String] = []

        func run() async throws {
            let (hostArgs, name, rest) = try await PCXCommands.splitPlaybookArguments(arguments, hostOptions: hostOptionArity)
            let flags = try HostFlags.parse(PCXCommands.joinMaxSpend(hostArgs))
            let options = try hostOptions(flags.target, flags.limits, flags.purchase)
            try finish(await PCXCommands.playbookRun(name: name, arguments: rest, options: options))
        }
    }
}

/// Shell completion after `pcx playbook run|show`: playbook names, then the named playbook's
/// parameters and pcx's options (computed by pcx when the shell asks).
let playbookCompletion = CompletionKind.custom { words, index, _ in
    var line = Array(words.prefix(index))
    line.append(index < words.count ? words[index] : "")
    guard let at = line.firstIndex(of: "playbook"), at + 2 <= line.count else { return [] }
    return await PCXCommands.completePlaybookWords(Array(line[(at + 2)...]), hostOptions: hostOptionArity)
}

/// All of pcx's own flags, for parsing those found among a playbook's parameters.
struct HostFlags: ParsableArguments {
    @OptionGroup var target: TargetOptions
    @OptionGroup var limits: LimitOptions
    @OptionGroup var purchase: PurchaseFlags
}

struct Journal: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what pcx bought or tried to buy: every mutating call, before and after it was sent.",
        subcommands: [List.self, Show.self, Resolve.self])

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close an unfinished purchase that was not made, after pcx checks the customer's orders.",
            discussion: """
                An entry stays unknown when an attempt may have reached Partner Center. `--not-bought` marks it
                not_bought so that the same purchase can be made again; pcx first lists the customer's orders at the
                same Partner Center (use the same --profile or --sandbox), and if an order of it exists records that
                order instead (exit 3). Orders are listed up to 15 minutes after checkout, so a newer entry is refused.
                """)
        @OptionGroup var target: TargetOptions
        @Flag(help: "The purchase was not made: mark the entry not_bought (after checking the orders).") var notBought = false
        @Flag(help: "Machine-readable JSON errors.") var json = false
        @Argument(help: "The entry's id.") var id: Int64
        func run() async throws {
            var options = try target.options()
            options.json = json
            try finish(await PCXCommands.journalResolve(id: id, notBought: notBought, options: options))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List journal entries, newest first.")
        @OptionGroup var output: OutputFlags
        @Option(parsing: .unconditional, help: "How many entries (at least 1).") var limit = 50
        @Option(help: ArgumentHelp("Only this customer's entries (its tenant id).", valueName: "tenant-id")) var customer: String?
        @Option(help: ArgumentHelp("Only entries in these states: pending, unknown, succeeded, failed, recorded, refused, not_bought (comma-separated).", valueName: "states")) var state: String?
        @Option(help: ArgumentHelp("Only entries sent to this Partner Center: sandbox, or an endpoint URL.", valueName: "target")) var target: String?
        @Option(help: ArgumentHelp("Only entries written since a date (2026-01-31), a date-time, or a duration back from now (24h, 7d).", valueName: "when")) var since: String?
        func run() async throws {
            let query = JournalQuery(customer: customer, state: state, target: target, since: since)
            try finish(PCXCommands.journalList(limit: limit, output: try output.format(), query: query))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one journal entry with its plan and outcome.")
        @OptionGroup var output: OutputFlags
        @Argument(help: "The entry's id.") var id: Int64
        func run() async throws {
            try finish(PCXCommands.journalShow(id: id, output: try output.format()))
        }
    }
}

struct Sandbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The offline Partner Center sandbox.",
        subcommands: [Serve.self])

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the Partner Center sandbox over HTTP until SIGINT/SIGTERM.",
            discussion: "Prints PCX_ENDPOINT, PCX_AUTHORITY, PCX_TENANT_ID, PCX_CLIENT_ID, PCX_CLIENT_SECRET and PCX_REFRESH_TOKEN, then a blank line, as soon as it listens.")
        @Option(help: "Address to listen on.") var host = "127.0.0.1"
        @Option(parsing: .unconditional, help: "Port (0 picks a free one).") var port = 0
        @Option(help: ArgumentHelp("SQLite database file, or :memory:.", valueName: "path")) var db = ":memory:"
        @Option(help: "Seed for the deterministic data.") var seed: UInt64 = 1
        @Option(help: ArgumentHelp("Grow the seeded data, e.g. lineitems=1000000.", valueName: "spec")) var scale: [String] = []
        @Option(help: ArgumentHelp("Inject faults: ROUTE=ACTION[,ACTION...] or ROUTE=rate:P:ACTION, e.g. 'carts.checkout=drop-after' or '*=rate:0.05:503' (repeatable).", valueName: "spec")) var faults: [String] = []
        @Option(parsing: .unconditional, help: ArgumentHelp("Delay before new orders appear in lists, e.g. 15m, 2s.", valueName: "duration")) var orderLag: String?
        @Option(parsing: .unconditional, help: ArgumentHelp("Delay before a registration completes, e.g. 30s.", valueName: "duration")) var registrationDelay: String?
        @Option(parsing: .unconditional, help: ArgumentHelp("Delay before a pending order completes (and creates its entitlement), e.g. 2s.", valueName: "duration")) var orderCompletion: String?
        @Option(help: ArgumentHelp("Throttling: by default Partner Center's documented limits (500/min per customer on the Customer, Subscription and Order resources). 'off', or add limits: 'partner=100/s,customer=500/m,listed=50/m', 'documented=off'.", valueName: "spec")) var rateLimit: [String] = []
        @Option(parsing: .unconditional, help: ArgumentHelp("Access-token lifetime, e.g. 1h, 30s.", valueName: "duration")) var tokenLifetime: String?
        @Option(help: ArgumentHelp("Markets without reservation products: 2018 (BR CN IN RU KR TW HK), current, none, or a list like BR,CN.", valueName: "spec")) var restrictedMarkets: String?
        @Option(help: ArgumentHelp("Largest request body accepted (larger ones get 413), e.g. 4MiB, 512KiB, 65536.", valueName: "size")) var maxBody: String?
        @Option(parsing: .unconditional, help: ArgumentHelp("Time a client has to send a request's headers before the connection is closed, e.g. 10s.", valueName: "duration")) var headerTimeout: String?
        @Option(help: ArgumentHelp("Microsoft Graph reconciliation v2 switches, KEY=VALUE[,KEY=VALUE...] (repeatable), e.g. 'manifest=link,keys=pascal'. Keys: \(PCXCommands.sandboxGraphKeys).", valueName: "spec")) var graph: [String] = []

        func run() async throws {
            try finish(await PCXCommands.sandboxServe(
                host: host, port: port, database: db, seed: seed, scale: scale, faults: faults,
                orderLag: orderLag, orderCompletion: orderCompletion, registrationDelay: registrationDelay, rateLimits: rateLimit,
                tokenLifetime: tokenLifetime, restrictedMarkets: restrictedMarkets, maxBody: maxBody, headerTimeout: headerTimeout, graph: graph))
        }
    }
}
