import Foundation
import LuaRuntime
import PartnerCenter

extension PCXCommands {
    /// `pcx run SCRIPT ARGS...`; `pcx run - ARGS...` reads the script from standard input.
    public static func run(script: String, arguments: [String], options: HostOptions) async -> Int32 {
        if script == "-" { return await runStandardInput(arguments: arguments, options: options) }
        let session: Session
        switch scriptSession(script, options) {
        case .success(let s): session = s
        case .failure(let code): return code.status
        }
        return await withHost(session) { host in
            try await host.runFile(script, arguments: arguments)
        }
    }

    /// ``run(script:arguments:options:)`` for a script file, with the caller's thread waiting for
    /// the VM instead of a task (`pcx run SCRIPT` from `main`: the concurrency pool's threads are
    /// started only if the script makes a call, which is most of a start-up's thread work).
    public static func runBlocking(script: String, arguments: [String], options: HostOptions) -> Int32 {
        let session: Session
        switch scriptSession(script, options) {
        case .success(let s): session = s
        case .failure(let code): return code.status
        }
        let host: ScriptHost
        switch startHost(session) {
        case .success(let h): host = h
        case .failure(let code): return code.status
        }
        defer { session.shutdownBlocking() }
        defer { host.close() }
        do {
            try InterruptHandler.shared.runBlocking(host.vm) { try host.runFileBlocking(script, arguments: arguments) }
            return ExitCode.ok.rawValue
        } catch {
            return report(error, session)
        }
    }

    /// An exit status as an error, for `Result` (a run that ended before its script did).
    struct Status: Error { let status: Int32 }

    /// The session for running `script`, or the exit status when the file cannot be read or the
    /// configuration is bad (both printed).
    static func scriptSession(_ script: String, _ options: HostOptions) -> Result<Session, Status> {
        if let problem = unreadableFile(script, example: "pcx run scripts/buy.lua") {
            return .failure(Status(status: problem.print(json: options.json, logFormat: options.logFormat)))
        }
        if let code = Session.preflight(options) { return .failure(Status(status: code)) }
        return .success(Session(options: options, script: script))
    }

    /// Why `path` cannot be run (a directory, missing, unreadable) as an input error whose hint
    /// shows `example`, or nil when it is a readable file.
    static func unreadableFile(_ path: String, example: String) -> ErrorReport? {
        var info = stat() // (stat and access: no FileManager on the start-up path)
        let exists = stat(path, &info) == 0
        if exists && (info.st_mode & S_IFMT) == S_IFDIR {
            return .input("cannot read \(path): it is a directory, not a Lua file", hint: "give the path of a Lua file in it, e.g. \(example)")
        }
        guard exists && access(path, R_OK) == 0 else {
            return .input("cannot read \(path): no such file or not readable", hint: "give the path of a Lua file, e.g. \(example)")
        }
        return nil
    }

    /// Creates a host, runs `body` with Ctrl-C wired to it, renders failures, shuts the session down.
    static func withHost(_ session: Session, _ body: (ScriptHost) async throws -> Void) async -> Int32 {
        let code = await withHostKeepingSession(session, body)
        await session.shutdown()
        return code
    }

    /// `pcx check FILE...`: compiles each file; prints every syntax error as `file:line: message`
    /// (or, with `json`, an array of `{file, line, message}`), exit 2 if any.
    public static func check(files: [String], json: Bool = false) async -> Int32 {
        struct Problem: Encodable { let file: String; let line: Int?; let message: String }
        var problems: [Problem] = []
        do {
            let vm = try LuaVM(options: LuaVMOptions())
            defer { vm.close() }
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else {
                    problems.append(Problem(file: file, line: nil, message: "cannot read the file"))
                    continue
                }
                if data.first == 0x1B {
                    problems.append(Problem(file: file, line: nil, message: "bytecode is not allowed; pcx checks and runs Lua source only"))
                    continue
                }
                var text = String(decoding: data.starts(with: [0xEF, 0xBB, 0xBF]) ? data.dropFirst(3) : data[...], as: UTF8.self)
                if text.hasPrefix("#") { // a #! line, as lua.c skips it (keep the line count)
                    text = "--" + text.dropFirst()
                }
                let source = text
                if let error = try await vm.perform({ ctx in ctx.check(source, name: file) }) {
                    let location = error.location ?? file
                    let line = location.split(separator: ":").last.flatMap { Int($0) }
                    problems.append(Problem(file: file, line: line, message: stripLocation(error.message)))
                }
            }
        } catch {
            printError("pcx: \(error)")
            return ExitCode.failure.rawValue
        }
        if json {
            print((try? encodeJSON(problems)) ?? "[]")
        } else {
            for p in problems { printError("\(p.file)\(p.line.map { ":\($0)" } ?? ""): \(p.message)") }
        }
        return problems.isEmpty ? ExitCode.ok.rawValue : ExitCode.usage.rawValue
    }

    /// `pcx test SPEC...`: runs each spec file in a fresh Lua state (one shared Partner Center
    /// target) and prints each file's `N passed, N failed`, then the total. Exit 2 when a file
    /// could not be loaded (missing, a directory, a syntax error: each also counts as a failure),
    /// else 1 when a test failed. With `--json` errors are JSON lines; the summary stays text.
    public static func test(files: [String], verbose: Bool, options: HostOptions) async -> Int32 {
        if let code = Session.preflight(options) { return code }
        let session = Session(options: options, script: files.first ?? "spec")
        var passed = 0, failed = 0, unloadable = 0
        for file in files {
            if let problem = unreadableFile(file, example: "pcx test Tests/lua/money_spec.lua") {
                problem.print(json: options.json, logFormat: options.logFormat)
                unloadable += 1
                continue
            }
            let result = await testFile(file, verbose: verbose, session: session)
            passed += result.passed
            failed += result.failed
            if result.syntaxError { unloadable += 1 }
        }
        await session.shutdown()
        print("\(passed) passed, \(failed + unloadable) failed")
        if unloadable > 0 { return ExitCode.usage.rawValue }
        return failed == 0 ? ExitCode.ok.rawValue : ExitCode.failure.rawValue
    }

    /// Runs one spec file and prints its `N passed, N failed` line. A syntax error in the file
    /// is reported (and counted by the caller) instead of its tests.
    private static func testFile(_ file: String, verbose: Bool, session: Session) async
        -> (passed: Int, failed: Int, syntaxError: Bool) {
        var result = (passed: 0, failed: 0, syntaxError: false)
        let json = session.options.json
        let code = await withHostKeepingSession(session) { host in
            let counts = try await host.vm.perform { ctx -> (Int64, Int64, Bool) in
                _ = try ctx.run("require('spec').install(_ENV, { verbose = \(verbose), tracebacks = \(session.options.debug) })",
                               name: "=[pcx test]")
                var fileError: LuaError?
                do { _ = try ctx.runFile(file, args: []) } catch let e as LuaError { fileError = e }
                let r = try ctx.run("return require('spec').results()", name: "=[pcx test]")
                let p = max(r.first?.intValue ?? 0, 0), f = r.count > 1 ? (r[1].intValue ?? 0) : 0
                guard let fileError else { return (p, f, false) }
                if fileError.kind == .syntax {
                    printError(render(fileError, json: json).text)
                    return (p, f, true)
                }
                printError("FAIL \(file) (outside any test)\n" + render(fileError, json: json).text)
                return (p, f + 1, false)
            }
            if !counts.2 { print("\(file): \(counts.0) passed, \(counts.1) failed") }
            result = (Int(counts.0), Int(counts.1), counts.2)
        }
        if code != ExitCode.ok.rawValue && code != ExitCode.failure.rawValue { result.failed += 1 }
        return result
    }

    /// Like ``withHost(_:_:)`` but leaves the session running (for several files in one run).
    static func withHostKeepingSession(_ session: Session, _ body: (ScriptHost) async throws -> Void) async -> Int32 {
        let host: ScriptHost
        switch startHost(session) {
        case .success(let h): host = h
        case .failure(let code): return code.status
        }
        defer { host.close() }
        do {
            try await InterruptHandler.shared.run(host.vm) { try await body(host) }
            return ExitCode.ok.rawValue
        } catch {
            return report(error, session)
        }
    }

    /// A host for `session`, or the exit status after saying why Lua cannot start.
    static func startHost(_ session: Session) -> Result<ScriptHost, Status> {
        do { return .success(try ScriptHost(session: session)) } catch {
            printError("pcx: cannot start Lua: \(error)")
            return .failure(Status(status: ExitCode.failure.rawValue))
        }
    }

    /// Prints how a run failed (a script error, a Partner Center error) and returns its exit status.
    static func report(_ error: any Error, _ session: Session) -> Int32 {
        session.endProgressLine()
        switch error {
        case let error as LuaError where error.kind == .exit && session.options.logFormat == .json:
            // os.exit with a value that is not an exit status: said as a log line, like pcx's others
            if let warning = error.warning { CLILogHandler.notice(visible(warning), level: .warning, format: .json) }
            return error.exitCode ?? ExitCode.failure.rawValue
        case let error as LuaError:
            var rendered = render(error, debug: session.options.debug, json: session.options.json)
            if error.kind != .exit { rendered.text = session.withPlacedNote(rendered.text) }
            rendered.print(logFormat: session.options.logFormat, json: session.options.json)
            return rendered.exitCode
        default:
            let report = ErrorReport((raisable(error) as? PartnerCenterError) ?? PartnerCenterError(category: .scriptError, message: "\(error)"))
            RenderedFailure(text: session.withPlacedNote(session.options.json ? report.json : report.text(debug: session.options.debug)),
                            exitCode: report.error.exitStatus, report: report)
                .print(logFormat: session.options.logFormat, json: session.options.json)
            return report.error.exitStatus
        }
    }
}

// MARK: - Playbooks

/// Where a playbook comes from.
struct PlaybookSource {
    var name: String
    var source: String
    /// Chunk name (`scripts/purchase-reserved-vm.lua`, `playbooks/x.lua`, or a config path).
    var chunkName: String
    /// `shipped`, `./playbooks`, or the config directory.
    var origin: String
    /// It replaces a shipped playbook of the same name (the run says so).
    var shadowsShipped = false
}

extension PCXCommands {
    /// Every playbook: the shipped ones, the user's in `$PCX_CONFIG_DIR/playbooks/` (which may
    /// replace a shipped one: `playbook list` marks it and the run announces it), and
    /// `./playbooks/` (new names only: a file there named like a shipped or user playbook is
    /// ignored, see ``ignoredPlaybooks(paths:)``; run it by its path instead).
    static func playbooks(paths: PCXPaths = PCXPaths()) -> [String: PlaybookSource] {
        var out: [String: PlaybookSource] = [:]
        for (name, source) in EmbeddedSources.playbooks {
            out[name] = PlaybookSource(name: name, source: source, chunkName: "scripts/\(name).lua", origin: "shipped")
        }
        for (name, file) in playbookFiles(in: paths.playbooks.path) {
            let shadows = out[name]?.origin == "shipped"
            out[name] = PlaybookSource(name: name, source: file.source, chunkName: file.path, origin: paths.playbooks.path,
                                       shadowsShipped: shadows)
        }
        for (name, file) in playbookFiles(in: "playbooks") where out[name] == nil {
            out[name] = PlaybookSource(name: name, source: file.source, chunkName: file.path, origin: "./playbooks")
        }
        return out
    }

    /// Files in `./playbooks/` that are not used because a shipped or user playbook has their name.
    static func ignoredPlaybooks(paths: PCXPaths = PCXPaths()) -> [String] {
        let used = Set(EmbeddedSources.playbooks.keys).union(playbookFiles(in: paths.playbooks.path).map(\.0))
        return playbookFiles(in: "playbooks").map(\.0).filter { used.contains($0) }.sorted()
    }

    private static func playbookFiles(in dir: String) -> [(String, (path: String, source: String))] {
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        return files.filter { $0.hasSuffix(".lua") }.sorted().compactMap { file in
            guard let text = try? String(contentsOfFile: dir + "/" + file, encoding: .utf8) else { return nil }
            return (String(file.dropLast(4)), (dir + "/" + file, text))
        }
    }

    static func findPlaybook(_ name: String) -> PlaybookSource? {
        let all = playbooks()
        if let p = all[name] { return p }
        if name.hasSuffix(".lua") { return all[String(name.dropLast(4))] }
        return nil
    }

    static func unknownPlaybook(_ name: String, json: Bool = false) -> Int32 {
        let names = playbooks().keys.sorted()
        let suggestion = closestName(to: name, in: names).map { " (did you mean \($0)?)" } ?? ""
        return ErrorReport.input("no playbook named '\(name)'\(suggestion)",
                                 hint: "available: \(names.joined(separator: ", ")); `pcx playbook list` describes them")
            .print(json: json)
    }

    /// Loads a declaration (without running it) and evaluates `expression` on it (`pb` is the declaration).
    static func describePlaybook(_ p: PlaybookSource, expression: String) async throws -> String {
        let session = Session(options: HostOptions(), script: p.chunkName)
        let host = try ScriptHost(session: session)
        defer { host.close() }
        return try await host.vm.perform { ctx in
            let results = try ctx.run(p.source, name: p.chunkName, args: [], setArg: true)
            guard case .table(let t)? = results.first, t.metatableName == "pcx.Playbook" else {
                throw LuaError(kind: .runtime, message: "the file does not return a playbook { ... } declaration",
                               location: p.chunkName)
            }
            let r = try ctx.run("local pbm, json = require 'playbook', require 'json'; local pb = pbm.last; return \(expression)",
                                name: "=[pcx playbook]")
            return r.first?.stringValue ?? ""
        }
    }

    /// `pcx playbook list` (`-o table|json|csv|tsv`).
    public static func playbookList(output: OutputFormat) async -> Int32 {
        var rows: [[String]] = []
        var items: [String] = []
        for p in playbooks().values.sorted(by: { $0.name < $1.name }) {
            let summary: String
            do { summary = try await describePlaybook(p, expression: "pb.summary") } catch {
                summary = "(cannot load: \(error))"
            }
            rows.append([p.name, p.origin, summary, String(p.shadowsShipped)])
            items.append(#"{"name":\#(jsonString(p.name)),"origin":\#(jsonString(p.origin)),"replaces_shipped":\#(p.shadowsShipped),"summary":\#(jsonString(summary))}"#)
        }
        switch output {
        case .json:
            print("[" + items.joined(separator: ",") + "]")
        case .csv, .tsv:
            let columns = [OutputRows.Column("Playbook", key: "name"), OutputRows.Column("From", key: "origin"),
                           OutputRows.Column("Summary", key: "summary"), OutputRows.Column("Replaces", key: "replaces_shipped")]
            print(OutputRows(columns: columns, rows: rows).render(output), terminator: "")
        case .table:
            print(textTable(header: ["Playbook", "From", "Summary"],
                            rows: rows.map { [$0[0], $0[1] + ($0[3] == "true" ? " (replaces the shipped one)" : ""), $0[2]] }))
            for name in ignoredPlaybooks() {
                print("\nignored: ./playbooks/\(name).lua has the name of a shipped or user playbook; run it by path: pcx run playbooks/\(name).lua")
            }
            print("\n`pcx playbook show NAME` lists a playbook's parameters; `pcx playbook run NAME --help` too.")
        }
        return ExitCode.ok.rawValue
    }

    /// `pcx playbook show NAME`: its help (`-o table`), its declaration (`-o json`), or its
    /// parameters as rows (`-o csv|tsv`).
    public static func playbookShow(name: String, output: OutputFormat) async -> Int32 {
        let json = output == .json
        guard let p = findPlaybook(name) else { return unknownPlaybook(name, json: json) }
        let expression: String
        switch output {
        case .table: expression = "pbm.help(pb)"
        case .json: expression = "json.encode(pbm.describe(pb), {indent = true})"
        case .csv, .tsv:
            expression = "require('output').render(pbm.describe(pb).params, "
                + "{ 'name', 'type', 'required', 'default', 'choices', 'min', 'max', 'help' }, '\(output.rawValue)')"
        }
        do {
            let text = try await describePlaybook(p, expression: expression)
            print(text, terminator: output == .csv || output == .tsv ? "" : "\n")
            return ExitCode.ok.rawValue
        } catch {
            return reportDescribeFailure(error, json: json)
        }
    }

    /// `pcx playbook run NAME --param value ...`.
    public static func playbookRun(name: String, arguments: [String], options: HostOptions) async -> Int32 {
        guard let p = findPlaybook(name) else { return unknownPlaybook(name, json: options.json) }
        if arguments.contains("--help") || arguments.contains("-h") {
            return await playbookShow(name: name, output: .table)
        }
        if p.shadowsShipped {
            printError("pcx: playbook \(p.name) comes from \(p.chunkName), not the shipped one (`pcx playbook list` shows where each comes from)")
        }
        if let code = Session.preflight(options) { return code }
        let session = Session(options: options, script: p.chunkName)
        return await withHost(session) { host in
            try await host.runPlaybook(source: p.source, chunkName: p.chunkName, arguments: arguments)
        }
    }
}

/// A JSON string literal.
func jsonString(_ s: String) -> String {
    let data = (try? JSONEncoder().encode(s)) ?? Data("\"\"".utf8)
    return String(decoding: data, as: UTF8.self)
}
