import Foundation
import Testing
@testable import PCXHost

/// One log format (`--log-format text|json`) for pcx and the script's `log` module, `-q`/`-v`
/// for the level, and progress lines for waits (`--progress`).
@Suite("log format, level and progress")
struct MessagesCLITests {
    static let logScript = """
        local log = require "log"
        log.debug("debug %d", 0)
        log.info("info %d", 1)
        log.warn("warn %d", 2)
        log.error("error %d", 3)
        """

    /// The messages of the script's log lines, in order (text: `HH:MM:SS LEVEL file:line: message`).
    func messages(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").compactMap { line in
            line.range(of: #": (debug|info|warn|error) \d$"#, options: .regularExpression).map { String(line[$0].dropFirst(2)) }
        }
    }

    @Test func quietAndVerboseSetTheScriptsLogLevel() async throws {
        try await withEndToEnd { e in
            let plain = try await e.lua(Self.logScript)
            #expect(plain.status == 0)
            #expect(messages(plain.stderr) == ["info 1", "warn 2", "error 3"], "\(plain)")
            let quiet = try await e.lua(Self.logScript, flags: ["-q"])
            #expect(messages(quiet.stderr) == ["error 3"], "\(quiet)")
            let verbose = try await e.lua(Self.logScript, flags: ["-v"])
            #expect(messages(verbose.stderr) == ["info 1", "warn 2", "error 3"], "\(verbose)")
            let debug = try await e.lua(Self.logScript, flags: ["-vv"])
            #expect(messages(debug.stderr) == ["debug 0", "info 1", "warn 2", "error 3"], "\(debug)")
            let level = try await e.lua(Self.logScript, flags: ["--log-level", "warn"])
            #expect(messages(level.stderr) == ["warn 2", "error 3"], "\(level)")
        }
    }

    @Test func jsonLogLinesCarryTimeLevelSourceAndMessage() async throws {
        try await withEndToEnd { e in
            let r = try await e.lua(Self.logScript, flags: ["--log-format", "json"])
            #expect(r.status == 0, "\(r)")
            let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("{") }
            #expect(lines.count == 3, "\(r)")
            let objects = try lines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
            #expect(objects.map { $0["level"] as? String } == ["info", "warning", "error"])
            #expect(objects.map { $0["message"] as? String } == ["info 1", "warn 2", "error 3"])
            for (i, o) in objects.enumerated() {
                let source = try #require(o["source"] as? String)
                #expect(source.hasSuffix(".lua:\(i + 3)"), "source \(source)")
                let time = try #require(o["time"] as? String)
                #expect(time.wholeMatch(of: #/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/#) != nil, "time \(time)")
            }
        }
    }

    @Test("a log message that is not valid UTF-8 is written with U+FFFD for each bad byte, and the script goes on")
    func jsonLogLinesTakeInvalidUTF8() async throws {
        try await withEndToEnd { e in
            let r = try await e.lua("local log = require 'log'\nlog.info('bad \\xff byte')\nprint('after')", flags: ["--log-format", "json"])
            #expect(r.status == 0, "\(r)")
            #expect(r.stdout == "after\n")
            let line = try #require(r.stderr.split(separator: "\n").first { $0.hasPrefix("{") }, "\(r)")
            let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["message"] as? String == "bad \u{FFFD} byte", "\(line)")
        }
    }

    @Test("an error while a progress bar's line is open starts on a new line")
    func anErrorEndsAnOpenProgressLine() async throws {
        try await withEndToEnd { e in
            let script = "local bar = require('progress').new { total = 10, label = 'items', width = 4 }\nbar:add(1)\nerror('boom')"
            let r = try await e.lua(script, flags: ["--progress"])
            #expect(r.status == 1, "\(r)")
            #expect(r.stderr.hasPrefix("\ritems [....]  10% 1/10\npcx: error: "), "\(r.stderr.debugDescription)")
        }
    }

    @Test func pcxsOwnDiagnosticsUseTheSameJSONFields() throws {
        let line = CLILogHandler.jsonLine(level: "warning", source: "pcx", message: "retrying \"x\"", metadata: ["attempt": "2"])
        #expect(line.hasSuffix("\n"))
        let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["level"] as? String == "warning")
        #expect(object["source"] as? String == "pcx")
        #expect(object["message"] as? String == "retrying \"x\"")
        #expect(object["metadata"] as? [String: String] == ["attempt": "2"])
        #expect(object["time"] is String)
    }

    @Test func pcxsOwnTextLinesHaveTheLogModulesShape() async throws {
        // 2026-12-07 09:04:05 UTC
        let line = CLILogHandler.textLine(level: .warning, source: "pcx", message: "profile file holds secrets",
                                          metadata: ["mode": "644", "a": "b"], now: 1_796_634_245)
        #expect(line == "09:04:05 WARN  pcx: profile file holds secrets (a=b, mode=644)\n")
        #expect(CLILogHandler.textLine(level: .error, source: "pcx", message: "x", metadata: [:], now: 0) == "00:00:00 ERROR pcx: x\n")
        // the script's log module writes the same shape (time, level padded to 5, source, message)
        try await withEndToEnd { e in
            let r = try await e.lua(Self.logScript)
            let warn = try #require(r.stderr.split(separator: "\n").first { $0.hasSuffix("warn 2") })
            #expect(warn.wholeMatch(of: #/\d{2}:\d{2}:\d{2} WARN  \S+\.lua:4: warn 2/#) != nil, "\(warn)")
        }
    }

    @Test func badLogOptionsAreUsageErrors() async throws {
        try await withEndToEnd { e in
            let format = try await e.lua("print('not run')", flags: ["--log-format", "yaml"])
            #expect(format.status == 2, "\(format)")
            #expect(format.stderr.hasPrefix("pcx: --log-format must be text or json (got 'yaml')\n"), "\(format)")
            #expect(!format.stdout.contains("not run"))
            let both = try await e.lua("print('not run')", flags: ["-q", "-v"])
            #expect(both.status == 2, "\(both)")
            #expect(both.stderr == "pcx: -q and -v exclude each other\n  hint: pick one\n")
            let twice = try await e.lua("print('not run')", flags: ["-v", "--log-level", "debug"])
            #expect(twice.status == 2, "\(twice)")
            #expect(twice.stderr == "pcx: --log-level debug and -v both set the level\n  hint: pick one\n")
        }
    }

    static let registerAndWait = """
        local c, s = arg[1], arg[2]
        pc.subscriptions.register(c, s)
        local st = pc.subscriptions.wait_registered(c, s, { timeout = 120 })
        print(st.status)
        """

    @Test func aLongWaitDrawsAProgressLineWithProgressAndNoneWithout() async throws {
        try await withEndToEnd(registrationDelay: 3.5) { e in
            let world = try await e.world()
            let (c1, s1) = try world.azure(registration: "NotRegistered")
            let shown = try await e.lua(Self.registerAndWait, arguments: [c1, s1], flags: ["--progress", "--allow-purchase"])
            #expect(shown.status == 0, "\(shown)")
            #expect(shown.stdout == "Registered\n")
            // drawn after 2 s, then every second (a loaded machine may draw the first one late)
            let line = "\r\u{1B}\\[Kwaiting for subscription \(s1) to be registered: ([2-9]) s, gives up in 1 min 5[0-8] s \\(Ctrl-C stops waiting\\)"
            #expect(shown.stderr.range(of: line, options: .regularExpression) != nil, "\(shown)")
            #expect(shown.stderr.hasSuffix("\r\u{1B}[K"), "the line is erased at the end: \(shown)")
            let (c2, s2) = try world.azure(registration: "NotRegistered", skipping: 1)
            let quiet = try await e.lua(Self.registerAndWait, arguments: [c2, s2], flags: ["--allow-purchase"])
            #expect(quiet.status == 0, "\(quiet)")
            #expect(!quiet.stderr.contains("waiting for"), "stderr is not a terminal: no progress line: \(quiet)")
        }
    }

    @Test func waitDurationsReadAsAPersonWritesThem() {
        #expect(WaitProgress.duration(14.9) == "14 s")
        #expect(WaitProgress.duration(120) == "2 min")
        #expect(WaitProgress.duration(125) == "2 min 5 s")
        #expect(WaitProgress.duration(3780) == "1 h 3 min")
        #expect(WaitProgress.text("waiting for order 7 to complete", waited: 14, timeout: 600)
                == "waiting for order 7 to complete: 14 s, gives up in 9 min 46 s (Ctrl-C stops waiting)")
    }
}

/// How a script's failure reads: a missing module, a message of several lines, an error under
/// `--log-format json`, `-q` and the embedded sandbox's notice.
@Suite("error text")
struct ErrorTextCLITests {
    @Test("a module require cannot find: one line, then where it looked, where to put it, and the stdlib module it is closest to")
    func aMissingModuleSaysWhereItLookedAndTheFix() throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("local j = require \"jsno\"\n", to: "m.lua", in: dir)
        let r = try CLIHarness.run(["run", "m.lua"], cwd: dir)
        #expect(r.status == 1)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.first == "pcx: error: m.lua:1: module 'jsno' not found", "\(r.stderr)")
        #expect(!r.stderr.contains("\\u{a}") && !r.stderr.contains("\t"), "no escaped or tabbed lines: \(r.stderr)")
        let hint = try #require(lines.last)
        #expect(hint.hasPrefix("  hint: require looked in pcx's stdlib and in "), "\(hint)")
        #expect(hint.contains(dir.appendingPathComponent("lib/jsno.lua").path), "\(hint)")
        #expect(hint.contains("put jsno.lua beside the script or in its lib/ folder, or use pcx's module: require \"json\""), "\(hint)")
        try CLIHarness.write("require \"mylib.util\"\n", to: "n.lua", in: dir)
        let nested = try CLIHarness.run(["run", "--json", "n.lua"], cwd: dir)
        #expect(nested.stderr.contains(#""message":"module 'mylib.util' not found""#), "\(nested.stderr)")
        #expect(nested.stderr.contains(#"put mylib\/util.lua beside the script"#), "\(nested.stderr)")
    }

    @Test("a module with a syntax error is an input error naming the module, its line and the require's line")
    func aModuleWithASyntaxError() throws {
        let dir = CLIHarness.tempDir()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("lib"), withIntermediateDirectories: true)
        try CLIHarness.write("x = = 1\n", to: "lib/bad.lua", in: dir)
        try CLIHarness.write("print('before')\nrequire \"bad\"\n", to: "m.lua", in: dir)
        let r = try CLIHarness.run(["run", "m.lua"], cwd: dir)
        #expect(r.status == 2)
        #expect(r.stderr == """
            pcx: m.lua:2: syntax error in module 'bad': \(dir.appendingPathComponent("lib/bad.lua").path):1: unexpected symbol near '='
              hint: fix the module's line; pcx check FILE lists every syntax error

            """, "\(r.stderr)")
        let debug = try CLIHarness.run(["run", "--debug", "m.lua"], cwd: dir)
        #expect(debug.status == 2 && debug.stderr.contains("\nstack traceback:\n"), "--debug keeps the traceback: \(debug.stderr)")
    }

    @Test("package.searchpath answers as Lua 5.4's does: no empty first line")
    func searchpathKeepsLuasForm() throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("print((select(2, package.searchpath('x', './?.lua;./?/init.lua'))))\n", to: "s.lua", in: dir)
        let r = try CLIHarness.run(["run", "s.lua"], cwd: dir)
        #expect(r.stdout == "no file './x.lua'\n\tno file './x/init.lua'\n", "\(r)")
    }

    @Test func anErrorOfSeveralLinesKeepsThemIndented() throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("error(\"first\\nsecond\\27[2J\")\n", to: "e.lua", in: dir)
        let r = try CLIHarness.run(["run", "e.lua"], cwd: dir)
        #expect(r.stderr.hasSuffix("pcx: error: e.lua:1: first\n  second\\u{1b}[2J\n"), "control characters stay escaped: \(r.stderr)")
    }

    @Test("an error value that is not a string says what it is and where it was raised, not a table's address")
    func nonStringErrorsSayWhatAndWhere() throws {
        let dir = CLIHarness.tempDir()
        let cases: [(String, String)] = [
            ("local function f()\n  error({code = 5})\nend\nf()\n",
             "pcx: error: s.lua:2: an error table with no message (fields: code)\n  hint: raise a string, error(\"what went wrong\"), or a table with a message field\n"),
            ("error()\n", "pcx: error: s.lua:1: error raised nil, with no message\n  hint: raise a string, error(\"what went wrong\"), or a table with a message field\n"),
            ("error({message = 'boom'})\n", "pcx: error: s.lua:1: boom\n"),
            ("error(42)\n", "pcx: error: s.lua:1: 42\n"),
            ("error(setmetatable({}, {__tostring = function() return 'custom' end}))\n", "pcx: error: s.lua:1: custom\n"),
        ]
        for (source, expected) in cases {
            try CLIHarness.write(source, to: "s.lua", in: dir)
            let r = try CLIHarness.run(["run", "s.lua"], cwd: dir)
            #expect(r.status == 1)
            #expect(r.stderr == expected, "\(source)")
        }
    }

    @Test("under --log-format json a failure is a JSON log line too, with its code, exit status and place")
    func underJSONLogsAFailureIsAJSONLine() throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("error('boom')\n", to: "e.lua", in: dir)
        try CLIHarness.write("print(pc.customers.get('no-such-customer'))\n", to: "n.lua", in: dir)
        for (script, code, status) in [("e.lua", "script_error", "1"), ("n.lua", "not_found", "1")] {
            let r = try CLIHarness.run(["run", "--log-format", "json", script], cwd: dir)
            let lines = r.stderr.split(separator: "\n").map(String.init)
            #expect(lines.count == (script == "n.lua" ? 2 : 1), "the sandbox notice (once a call is made) and the error: \(r.stderr)")
            #expect(lines.allSatisfy { $0.hasPrefix("{") && $0.hasSuffix("}") }, "\(r.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data((lines.last ?? "").utf8)) as? [String: Any])
            #expect(object["level"] as? String == "error" && object["source"] as? String == "pcx", "\(object)")
            let metadata = object["metadata"] as? [String: String]
            #expect(metadata?["code"] == code && metadata?["exit_code"] == status && metadata?["where"] == "\(script):1", "\(object)")
            #expect(Int32(status) == r.status)
        }
        // input errors, from the argument parser, pcx's own option checks and a missing script
        for args in [["run", "--log-format", "json", "--bogus", "e.lua"], ["run", "--log-format=json", "--max-spend", "abc", "e.lua"],
                     ["run", "--log-format", "json", "missing.lua"], ["run", "--log-format", "json", "e.lua", "--dryrun"]] {
            let r = try CLIHarness.run(args, cwd: dir)
            #expect(r.status == 2, "\(args): \(r)")
            let object = try JSONSerialization.jsonObject(with: Data(r.stderr.utf8)) as? [String: Any]
            #expect(object?["level"] as? String == "error", "\(args): \(r.stderr)")
            #expect((object?["metadata"] as? [String: String])?["code"] == "invalid_argument", "\(args): \(r.stderr)")
            #expect(!r.stderr.contains("\\u{a}"), "\(r.stderr)")
            #expect((object?["message"] as? String)?.contains("\n  hint: ") == true, "the fix stays with the problem: \(r.stderr)")
        }
        // a syntax error carries its code and place; a script stuck past its --timeout is a JSON line too
        try CLIHarness.write("x = = 1\n", to: "syn.lua", in: dir)
        let stuck = "string.find(string.rep('a', 40), string.rep('a?', 40) .. string.rep('a', 40) .. 'b')\n"
        try CLIHarness.write(stuck, to: "stuck.lua", in: dir)
        for (args, code, status) in [(["syn.lua"], "invalid_argument", Int32(2)), (["--timeout", "1", "stuck.lua"], "timeout", Int32(1))] {
            let r = try CLIHarness.run(["run", "--log-format", "json"] + args, cwd: dir)
            #expect(r.status == status, "\(args): \(r)")
            let object = try JSONSerialization.jsonObject(with: Data(r.stderr.utf8)) as? [String: Any]
            let metadata = object?["metadata"] as? [String: String]
            #expect(metadata?["code"] == code && metadata?["exit_code"] == String(status), "\(args): \(r.stderr)")
            if code == "invalid_argument" { #expect(metadata?["where"] == "syn.lua:1", "\(r.stderr)") }
        }
        let plain = try CLIHarness.run(["run", "--json", "--log-format", "json", "e.lua"], cwd: dir)
        #expect(plain.stderr.split(separator: "\n").last?.hasPrefix(#"{"error":{"code":"script_error""#) == true, "--json keeps its own form: \(plain.stderr)")
    }

    @Test("-q keeps the embedded sandbox's notice (a run that buys nothing real must say so); errors still show")
    func quietKeepsTheSandboxNotice() throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("print(pc.invoices.balance().currencyCode ~= nil)\n", to: "b.lua", in: dir)
        let r = try CLIHarness.run(["run", "-q", "b.lua"], cwd: dir)
        #expect(r.status == 0 && r.stdout == "true\n", "\(r)")
        #expect(r.stderr.hasPrefix("pcx: no Partner Center profile configured: using the embedded sandbox") && r.stderr.hasSuffix("nothing real is bought\n"), "\(r)")
        try CLIHarness.write("print(pc.customers.get('no-such-customer'))\n", to: "n.lua", in: dir)
        let failed = try CLIHarness.run(["run", "-q", "n.lua"], cwd: dir)
        #expect(failed.status == 1 && failed.stderr.contains("\npcx: not_found: "), "\(failed)")
    }
}
