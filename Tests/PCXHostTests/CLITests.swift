import Foundation
import Testing

/// Runs the built `pcx` binary (`make test` builds it first) with an isolated data directory.
enum CLIHarness {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var binary: String {
        let candidates = [".build/debug/pcx", ".build/x86_64-unknown-linux-gnu/debug/pcx"]
        for c in candidates where FileManager.default.isExecutableFile(atPath: packageRoot.appendingPathComponent(c).path) {
            return packageRoot.appendingPathComponent(c).path
        }
        return packageRoot.appendingPathComponent(candidates[0]).path
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// A fresh temporary directory.
    static func tempDir() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pcx-cli-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The environment pcx runs with in tests: this process's minus every `PCX_` variable, data
    /// and configuration under `dir` (`.data`, `.config`), then `extra`.
    static func isolatedEnvironment(_ dir: URL, _ extra: [String: String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PCX_") }
        environment["PCX_DATA_DIR"] = dir.appendingPathComponent(".data").path
        environment["PCX_CONFIG_DIR"] = dir.appendingPathComponent(".config").path
        for (k, v) in extra { environment[k] = v }
        return environment
    }

    /// Runs pcx with `args` in `cwd`, feeding `stdin`, with PCX_DATA_DIR/PCX_CONFIG_DIR isolated.
    static func run(_ args: [String], stdin: String = "", cwd: URL? = nil, env: [String: String] = [:],
                    timeout: TimeInterval = 120, binary: String = CLIHarness.binary) throws -> Result {
        let dir = cwd ?? tempDir()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.currentDirectoryURL = dir
        p.environment = isolatedEnvironment(dir, env)
        let inPipe = Pipe(), outPipe = Pipe(), errPipe = Pipe()
        p.standardInput = inPipe
        p.standardOutput = outPipe
        p.standardError = errPipe
        try p.run()
        inPipe.fileHandleForWriting.write(Data(stdin.utf8))
        try inPipe.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        let outData = LockedData(), errData = LockedData()
        let group = DispatchGroup()
        for (pipe, sink) in [(outPipe, outData), (errPipe, errData)] {
            group.enter()
            DispatchQueue.global().async {
                sink.set(pipe.fileHandleForReading.readDataToEndOfFile())
                group.leave()
            }
        }
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        group.wait()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData.get(), as: UTF8.self),
                      stderr: String(decoding: errData.get(), as: UTF8.self))
    }

    /// ``run(_:stdin:cwd:env:timeout:)`` waiting on its own thread, so an in-process sandbox (which
    /// serves from the Swift concurrency pool) keeps running while pcx talks to it.
    static func runAsync(_ args: [String], stdin: String = "", cwd: URL? = nil, env: [String: String] = [:],
                         timeout: TimeInterval = 120, binary: String = CLIHarness.binary) async throws -> Result {
        try await withCheckedThrowingContinuation { cont in
            Thread {
                cont.resume(with: Swift.Result { try run(args, stdin: stdin, cwd: cwd, env: env, timeout: timeout, binary: binary) })
            }.start()
        }
    }

    /// Writes `text` to `name` in `dir` and returns the directory.
    @discardableResult
    static func write(_ text: String, to name: String, in dir: URL) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return dir
    }
}

final class LockedData: @unchecked Sendable {
    private var data = Data()
    private let lock = NSLock()
    func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}

@Suite("pcx run, check and exit codes")
struct CLITests {
    @Test func runPrintsOutputAndPassesArgumentsAsArgAndVarargs() throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("print(arg[0], arg[1], select('#', ...), ...)\n", to: "hello.lua", in: dir)
        let r = try CLIHarness.run(["run", "hello.lua", "a", "--b"], cwd: dir)
        #expect(r.status == 0)
        #expect(r.stdout == "hello.lua\ta\t2\ta\t--b\n")
        #expect(r.stderr.isEmpty)
    }

    @Test func aSyntaxErrorExitsTwoWithFileAndLine() throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("local x = 1\nlocal y = = 2\n", to: "bad.lua", in: dir)
        let r = try CLIHarness.run(["run", "bad.lua"], cwd: dir)
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr == "pcx: syntax error: bad.lua:2: unexpected symbol near '='\n")
    }

    @Test func aRuntimeErrorExitsOneWithOneLineAndTheTracebackOnlyWithDebug() throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("local t = {}\nlocal function f() return t.x.y end\nf()\n", to: "rt.lua", in: dir)
        let r = try CLIHarness.run(["run", "rt.lua"], cwd: dir)
        #expect(r.status == 1)
        #expect(r.stderr == "pcx: error: rt.lua:2: attempt to index a nil value (field 'x')\n")
        let d = try CLIHarness.run(["run", "--debug", "rt.lua"], cwd: dir)
        #expect(d.status == 1)
        let lines = d.stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "pcx: error: rt.lua:2: attempt to index a nil value (field 'x')")
        #expect(lines.dropFirst().first == "stack traceback:")
        #expect(d.stderr.contains("rt.lua:3: in main chunk"))
    }

    @Test("a stdlib module used as a global without require: Lua's message at file:line, then the require that fixes it; exit 1")
    func aModuleUsedWithoutRequireNamesTheMissingRequire() throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("local t = { a = 1 }\nprint(json.encode(t))\n", to: "j.lua", in: dir)
        try CLIHarness.write("-- totals\nlocal x = 1\nlocal total = money.new(\"1.50\", \"USD\")\nprint(x, total)\n", to: "m.lua", in: dir)
        let j = try CLIHarness.run(["run", "j.lua"], cwd: dir)
        #expect(j.status == 1)
        #expect(j.stdout.isEmpty)
        #expect(j.stderr == """
            pcx: error: j.lua:2: attempt to index a nil value (global 'json')
              hint: json is a pcx module: add local json = require "json"

            """)
        let m = try CLIHarness.run(["run", "m.lua"], cwd: dir)
        #expect(m.status == 1)
        #expect(m.stdout.isEmpty)
        #expect(m.stderr == """
            pcx: error: m.lua:3: attempt to index a nil value (global 'money')
              hint: money is a pcx module: add local money = require "money"

            """)
        // with --json the hint is a field of the one error object
        let mj = try CLIHarness.run(["run", "--json", "m.lua"], cwd: dir)
        #expect(mj.status == 1)
        let error = try #require((try JSONSerialization.jsonObject(with: Data(mj.stderr.utf8)) as? [String: Any])?["error"] as? [String: Any], "\(mj.stderr)")
        #expect(error["code"] as? String == "script_error")
        #expect(error["message"] as? String == "attempt to index a nil value (global 'money')")
        #expect(error["where"] as? String == "m.lua:3")
        #expect(error["hint"] as? String == "money is a pcx module: add local money = require \"money\"")
        #expect(error["exit_code"] as? Int == 1)
    }

    @Test("a nil global that is not a pcx module gets Lua's message alone, no require hint")
    func aNilGlobalThatIsNoModuleGetsNoHint() throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("print(jsn.encode({}))\n", to: "n.lua", in: dir)
        let r = try CLIHarness.run(["run", "n.lua"], cwd: dir)
        #expect(r.status == 1)
        #expect(r.stderr == "pcx: error: n.lua:1: attempt to index a nil value (global 'jsn')\n")
    }

    @Test func aPolicyRefusalPrintsNoTraceback() throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("pc.policy.check_market(\"c\", \"BR\")\n", to: "m.lua", in: dir)
        let r = try CLIHarness.run(["run", "--sandbox", "m.lua"], cwd: dir)
        #expect(r.status == 3)
        #expect(!r.stderr.contains("traceback"), "\(r.stderr)")
        #expect(r.stderr.hasPrefix("pcx: policy_denied: refused a reservation purchase for customer c"), "\(r.stderr)")
        #expect(r.stderr.contains("at m.lua:1"), "\(r.stderr)")
    }

    @Test func aMissingScriptIsAUsageErrorWithAHint() throws {
        let r = try CLIHarness.run(["run", "nope.lua"])
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("pcx: cannot read nope.lua: no such file or not readable\n  hint: "))
    }

    @Test func playbookRunHelpShowsThePlaybooksOwnHelp() throws {
        let r = try CLIHarness.run(["playbook", "run", "--sandbox", "purchase-reserved-vm", "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("usage: pcx playbook run purchase-reserved-vm"), "\(r.stdout)")
        #expect(r.stdout.contains("--customer"))
        let show = try CLIHarness.run(["playbook", "show", "purchase-reserved-vm"])
        #expect(r.stdout == show.stdout)
    }

    @Test func everyHelpThatListsExitCodesListsFour() throws {
        for args in [["--help"], ["run", "--help"]] {
            let r = try CLIHarness.run(args)
            #expect(r.status == 0)
            let text = r.stdout.replacingOccurrences(of: "\n", with: " ").split(separator: " ").joined(separator: " ")
            #expect(text.contains("4 bought above the cap"), "\(args): \(r.stdout)")
        }
    }

    @Test func usageErrorsExitTwo() throws {
        #expect(try CLIHarness.run(["run"]).status == 2)
        #expect(try CLIHarness.run(["frobnicate"]).status == 2)
        #expect(try CLIHarness.run(["run", "--timeout", "-1", "x.lua"]).status == 2)
        #expect(try CLIHarness.run(["run", "--max-spend", "ten", "x.lua"]).status == 2)
    }

    @Test func checkReportsEverySyntaxErrorAsFileLineMessage() throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("local y = = 2\n", to: "a.lua", in: dir)
        try CLIHarness.write("print('fine')\n", to: "b.lua", in: dir)
        try CLIHarness.write("x = \n", to: "c.lua", in: dir)
        let r = try CLIHarness.run(["check", "a.lua", "b.lua", "c.lua", "missing.lua"], cwd: dir)
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr == """
            a.lua:1: unexpected symbol near '='
            c.lua:2: unexpected symbol near <eof>
            missing.lua: cannot read the file

            """)
    }

    @Test func checkJSONListsEveryProblemWithFileAndLine() throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("print(1)\nlocal y = = 2\n", to: "a.lua", in: dir)
        let r = try CLIHarness.run(["check", "--json", "a.lua", "gone.lua"], cwd: dir)
        #expect(r.status == 2)
        let parsed = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]]
        #expect(parsed?.count == 2)
        #expect(parsed?.first?["file"] as? String == "a.lua")
        #expect(parsed?.first?["line"] as? Int == 2)
        #expect((parsed?.first?["message"] as? String)?.contains("unexpected symbol") == true)
        #expect(parsed?.last?["file"] as? String == "gone.lua")
    }

    @Test func checkOfCleanFilesExitsZeroAndRunsNothing() throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("#!/usr/bin/env pcx\nerror('must not run')\n", to: "ok.lua", in: dir)
        let r = try CLIHarness.run(["check", "ok.lua"], cwd: dir)
        #expect(r.status == 0)
        #expect(r.stdout.isEmpty && r.stderr.isEmpty)
    }

    @Test func aTimeoutKillsAnInfiniteLoopInsidePcall() throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("local n = 0\nwhile true do pcall(function() while true do n = n + 1 end end) end\n", to: "spin.lua", in: dir)
        let r = try CLIHarness.run(["run", "--timeout", "0.5", "spin.lua"], cwd: dir)
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("pcx: timeout: the script ran past its --timeout of 0.5 s\n"), "the limit is named: \(r.stderr)")
    }

    @Test func aMemoryBombEndsWithMemoryLimit() throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("local t = {}\nfor i = 1, 1e9 do t[i] = string.rep('x', 1024) .. i end\n", to: "bomb.lua", in: dir)
        let r = try CLIHarness.run(["run", "--memory-limit", "32", "bomb.lua"], cwd: dir)
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("pcx: memory_limit: the script used more than its --memory-limit"))
    }

    @Test func writesOutsideAllowWriteAreRefusedAndInsideAllowed() throws {
        let dir = CLIHarness.tempDir()
        let out = dir.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try CLIHarness.write("""
            local f, err = io.open("elsewhere.txt", "w")
            print(f == nil, err:find("pass --allow-write", 1, true) ~= nil)
            local g = assert(io.open("out/ok.txt", "w")); g:write("ok"); g:close()
            print(os.remove("elsewhere.txt") == nil)
            print(io.popen == nil, os.execute == nil)
            """, to: "w.lua", in: dir)
        let r = try CLIHarness.run(["run", "--allow-write", "out", "w.lua"], cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "true\ttrue\ntrue\ntrue\ttrue\n")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("ok.txt").path))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("elsewhere.txt").path))
    }

    @Test func secretsInTheEnvironmentAreInvisibleToLua() throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("print(os.getenv('PCX_CLIENT_SECRET'), os.getenv('PCX_REFRESH_TOKEN'), os.getenv('PCX_VISIBLE'))\n", to: "env.lua", in: dir)
        let r = try CLIHarness.run(["run", "env.lua"], cwd: dir,
                                   env: ["PCX_CLIENT_SECRET": "s3cr3t", "PCX_REFRESH_TOKEN": "rt", "PCX_VISIBLE": "yes"])
        #expect(r.stdout == "nil\tnil\tyes\n")
    }

    @Test func aPartnerCenterErrorNamesTheScriptLineTheRequestAndAHint() throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("-- look up a customer that does not exist\nlocal c = pc.customers.get('no-such-customer')\n", to: "nf.lua", in: dir)
        let r = try CLIHarness.run(["run", "--sandbox", "nf.lua"], cwd: dir)
        #expect(r.status == 1)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("pcx: not_found: ") == true)
        #expect(lines.count > 1 && lines[1].hasPrefix("  (GET /v1/customers/no-such-customer, request "))
        #expect(lines.count > 1 && lines[1].hasSuffix("at nf.lua:2"))
    }

    @Test func badArgumentsToPcFunctionsRaiseAtTheCallersLine() throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("local ok, e = pcall(pc.products.list, { country = 'US', targte_view = 'x' })\nprint(e.code, e.where)\nprint(e.message)\n", to: "bad_opts.lua", in: dir)
        let r = try CLIHarness.run(["run", "--sandbox", "bad_opts.lua"], cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("invalid_argument\tbad_opts.lua:1\n"))
        #expect(r.stdout.contains("unknown option 'targte_view'"))
        #expect(r.stdout.contains("did you mean 'target_view'?"))
    }

    @Test func bytecodeIsRefusedWithAClearError() throws {
        let dir = CLIHarness.tempDir()
        let url = dir.appendingPathComponent("b.luac")
        try Data([0x1B, 0x4C, 0x75, 0x61, 0x54, 0x00]).write(to: url)
        let r = try CLIHarness.run(["run", "b.luac"], cwd: dir)
        #expect(r.status == 2)
        #expect(r.stderr.contains("bytecode is not allowed"))
    }

    @Test func versionAndHelpWork() throws {
        let v = try CLIHarness.run(["--version"])
        #expect(v.status == 0)
        // the version, the commit built, the build date and the Lua release, on one line
        let line = #/pcx \d+\.\d+\.\d+ \(commit (?<commit>[0-9a-f]{12}|unknown), built \d{4}-\d{2}-\d{2}, Lua 5\.4\.\d+\)\n/#
        let match = try #require(v.stdout.wholeMatch(of: line), "pcx --version printed \(v.stdout)")
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        git.arguments = ["git", "rev-parse", "--short=12", "HEAD"]
        let pipe = Pipe()
        git.standardOutput = pipe
        git.standardError = FileHandle.nullDevice
        if (try? git.run()) != nil {
            let head = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            git.waitUntilExit()
            if git.terminationStatus == 0 { #expect(String(match.commit) == head.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        let h = try CLIHarness.run(["help", "run"])
        #expect(h.status == 0)
        #expect(h.stdout.contains("--allow-write"))
        let c = try CLIHarness.run(["--generate-completion-script", "bash"])
        #expect(c.status == 0)
        #expect(c.stdout.contains("_pcx"))
    }

    @Test("a script run through a symlink or a path with .. finds the modules next to the file itself")
    func scriptFolderIsTheFilesOwn() throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("return 'mod_a from proj'\n", to: "proj/mod_a.lua", in: dir)
        try CLIHarness.write("print((require('mod_a')))\nprint(io.open('proj-data.txt') and 'read' or 'none')\n", to: "proj/main.lua", in: dir)
        try CLIHarness.write("x\n", to: "proj/proj-data.txt", in: dir)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("w/other"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("w/mainlink.lua").path, withDestinationPath: "../proj/main.lua")
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("w/projlink").path, withDestinationPath: "../proj")
        let viaLink = try CLIHarness.run(["run", "mainlink.lua"], cwd: dir.appendingPathComponent("w"))
        #expect(viaLink.status == 0, "\(viaLink)")
        #expect(viaLink.stdout == "mod_a from proj\nnone\n", "\(viaLink)")   // (io.open is relative to the working directory)
        let throughDots = try CLIHarness.run(["run", "projlink/../proj/main.lua"], cwd: dir.appendingPathComponent("w"))
        #expect(throughDots.status == 0, "\(throughDots)")
        #expect(throughDots.stdout.hasPrefix("mod_a from proj\n"), "\(throughDots)")
    }

    @Test("a script saved with a UTF-8 byte-order mark runs and checks, as lua takes it")
    func byteOrderMark() throws {
        let dir = CLIHarness.tempDir()
        try Data([0xEF, 0xBB, 0xBF] + Array("print('bom')\nerror('line 2')\n".utf8)).write(to: dir.appendingPathComponent("bom.lua"))
        let r = try CLIHarness.run(["run", "bom.lua"], cwd: dir)
        #expect(r.status == 1, "\(r)")
        #expect(r.stdout == "bom\n")
        #expect(r.stderr.hasPrefix("pcx: error: bom.lua:2: line 2"), "line numbers unchanged: \(r.stderr)")
        let c = try CLIHarness.run(["check", "bom.lua"], cwd: dir)
        #expect(c.status == 0, "\(c)")
    }
}

@Suite("pcx repl transcripts")
struct ReplTranscriptTests {
    @Test func anExpressionWithEqualsPrintsItsValue() throws {
        let r = try CLIHarness.run(["repl"], stdin: "=1+1\n")
        #expect(r.status == 0)
        #expect(r.stdout == "2\n")
    }

    @Test func aMultiLineForLoopContinuesUntilComplete() throws {
        let r = try CLIHarness.run(["repl"], stdin: "for i = 1, 3 do\nprint(i)\nend\n")
        #expect(r.stdout == "1\n2\n3\n")
    }

    @Test func anErrorIsReportedAndTheSessionRecovers() throws {
        let r = try CLIHarness.run(["repl"], stdin: "error('boom')\nx = 20\n=x + 1\n")
        #expect(r.status == 0)
        #expect(r.stdout == "stdin:1: boom\n21\n")
    }

    @Test func aFailingSpecShowsFileAndLineAndTheTracebackOnlyWithDebug() throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("describe('x', function()\n  it('fails', function() expect(1).to_be(2) end)\n  it('passes', function() expect(1).to_be(1) end)\nend)\n",
                             to: "t_spec.lua", in: dir)
        let r = try CLIHarness.run(["test", "t_spec.lua"], cwd: dir)
        #expect(r.status == 1)
        #expect(r.stdout.contains("FAIL x fails\nt_spec.lua:2: expected 2, got 1\n"), "\(r.stdout)")
        #expect(r.stdout.contains("1 passed, 1 failed"))
        #expect(!r.stdout.contains("stack traceback") && !r.stderr.contains("stack traceback"), "\(r.stdout)")
        let d = try CLIHarness.run(["test", "--debug", "t_spec.lua"], cwd: dir)
        #expect(d.status == 1)
        #expect(d.stdout.contains("t_spec.lua:2: expected 2, got 1\nstack traceback:"), "\(d.stdout)")
    }

    @Test func sandboxServeOnAPortInUseSaysSoAndExitsTwo() throws {
        // hold a listening socket on a free loopback port
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, sa, &length) == 0
            }
        }
        #expect(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let r = try CLIHarness.run(["sandbox", "serve", "--port", "\(port)"], timeout: 60)
        #expect(r.status == 2)
        #expect(r.stderr.contains("pcx: sandbox serve: port \(port) on 127.0.0.1 is already in use"), "\(r.stderr)")
        #expect(r.stderr.contains("hint: pick another --port"), "\(r.stderr)")
    }

    @Test func aPcErrorInTheReplNamesTheTypedLineNotTheStdlib() throws {
        let r = try CLIHarness.run(["repl"], stdin: "\npc.customers.get()\n")
        #expect(r.status == 0)
        let all = r.stdout + r.stderr
        #expect(all.contains("customer_id must be a non-empty id string"), "\(all)")
        #expect(all.contains("at stdin:1"), "\(all)")
        #expect(!all.contains("stdlib/"), "\(all)")
    }

    @Test func expressionsAreTriedFirstAndValuesPrettyPrinted() throws {
        let r = try CLIHarness.run(["repl"], stdin: "1 + 2\n\"s\"\n{1, 2}\n")
        #expect(r.stdout.hasPrefix("3\n\"s\"\n"))
        #expect(r.stdout.contains("1"))
    }

    @Test func helpShowsAStubsDocumentation() throws {
        let r = try CLIHarness.run(["repl"], stdin: ":help money.new\n")
        #expect(r.stdout.hasPrefix("function money.new(amount, currency) end\n"))
    }
}
