import Foundation
import Testing
@testable import PCXHost

/// Starts pcx in `dir` with the CLI harness's isolated environment plus `env`.
private func spawnPCX(_ args: [String], in dir: URL, env: [String: String] = [:]) throws -> Process {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: CLIHarness.binary)
    p.arguments = args
    p.currentDirectoryURL = dir
    p.environment = CLIHarness.isolatedEnvironment(dir, env)
    p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
    p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
    p.standardError = try FileHandle(forWritingTo: {
        let url = dir.appendingPathComponent("stderr.txt")
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        return url
    }())
    try p.run()
    return p
}

/// Waits for `file` to appear (the script's "I am in the loop now" marker).
private func waitForFile(_ file: URL, limit: Double = 60) async -> Bool {
    let deadline = Date().addingTimeInterval(limit)
    while Date() < deadline {
        if FileManager.default.fileExists(atPath: file.path) { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return false
}

/// Waits for the process to exit; kills it (and records an issue) after `limit` seconds.
private func waitExit(_ p: Process, limit: Double) async -> Int32? {
    let deadline = Date().addingTimeInterval(limit)
    while p.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
    if p.isRunning {
        Issue.record("pcx did not exit within \(limit) s; killed")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        return nil
    }
    p.waitUntilExit()
    return p.terminationReason == .uncaughtSignal ? 128 + p.terminationStatus : p.terminationStatus
}

@Suite("hostile scripts through the CLI")
struct HardeningCLITests {
    @Test func bytecodeReachedThroughAReaderIsACleanErrorNotACrash() async throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("""
            local raw, n = {}, 0
            load(function()
              n = n + 1
              if n > 1 then return nil end
              for level = 1, 8 do
                local i = debug.getinfo(level, "fS")
                if i and i.what == "C" then raw[#raw + 1] = i.func end
              end
              return "return 1"
            end)
            local dump = string.dump(function() return 42 end)
            local corrupt = dump:sub(1, 16) .. string.rep("\\255", 40) .. dump:sub(57)
            for _, fn in ipairs(raw) do
              for _, chunk in ipairs({ dump, corrupt }) do
                local f, err = fn(chunk, "x", "b")
                if type(f) == "function" then print("loaded", pcall(f)) else print(err) end
              end
            end
            print(load(corrupt))
            print("survived")
            """, to: "bc.lua", in: dir)
        let r = try await CLIHarness.runAsync(["run", "bc.lua"], cwd: dir, timeout: 60)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasSuffix("survived\n"))
        #expect(!r.stdout.contains("loaded"))
        #expect(r.stdout.contains("binary chunks are not allowed (pcx loads Lua source only)"))
    }

    @Test func aTimeoutEndsLoopsInMessageHandlersAndFinalizers() async throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("xpcall(function() error('x') end, function() while true do end end)\n", to: "h.lua", in: dir)
        try CLIHarness.write("setmetatable({}, { __gc = function() while true do end end })\ncollectgarbage()\n", to: "g.lua", in: dir)
        // left for lua_close: the close is bounded, the script itself succeeds
        try CLIHarness.write("keep = setmetatable({}, { __gc = function() while true do end end })\nprint('done')\n", to: "c.lua", in: dir)
        for script in ["h.lua", "g.lua"] {
            let r = try await CLIHarness.runAsync(["run", "--timeout", "1", script], cwd: dir, timeout: 60)
            #expect(r.status == 1, "\(script): \(r.stderr)")
            #expect(r.stderr.hasPrefix("pcx: timeout: the script ran past its --timeout"), "\(script): \(r.stderr)")
        }
        let c = try await CLIHarness.runAsync(["run", "c.lua"], cwd: dir, timeout: 60)
        #expect(c.status == 0, "\(c.stderr)")
        #expect(c.stdout == "done\n")
    }

    @Test func ctrlCEndsALoopInAFinalizer() async throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("""
            setmetatable({}, { __gc = function()
              local f = assert(io.open("out/started", "w")); f:close()
              while true do end
            end })
            collectgarbage()
            """, to: "gc.lua", in: dir)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("out"), withIntermediateDirectories: true)
        let p = try spawnPCX(["run", "--allow-write", "out", "gc.lua"], in: dir)
        #expect(await waitForFile(dir.appendingPathComponent("out/started")))
        kill(p.processIdentifier, SIGINT)
        let status = await waitExit(p, limit: 30)
        #expect(status == 130)
        let err = (try? String(contentsOf: dir.appendingPathComponent("stderr.txt"), encoding: .utf8)) ?? ""
        #expect(err.contains("pcx: interrupted"), "\(err)")
    }

    @Test func theWatchdogExitsWhenAScriptIsStuckInsideACFunction() async throws {
        let dir = CLIHarness.tempDir()
        // exponential backtracking inside string.find: no Lua instruction runs, so no hook either
        let stuck = "string.find(string.rep('a', 40), string.rep('a?', 40) .. string.rep('a', 40) .. 'b')\n"
        try CLIHarness.write(stuck, to: "stuck.lua", in: dir)
        let start = Date()
        let r = try await CLIHarness.runAsync(["run", "--timeout", "1", "stuck.lua"], cwd: dir, timeout: 60)
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("pcx: timeout: the script ran past its --timeout and did not stop within 3 s more"), "\(r.stderr)")
        #expect(Date().timeIntervalSince(start) < 30)
        // Ctrl-C: the same, with the interrupt's exit code
        try CLIHarness.write("local f = assert(io.open('out/started', 'w')); f:close()\n" + stuck, to: "stuck2.lua", in: dir)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("out"), withIntermediateDirectories: true)
        let p = try spawnPCX(["run", "--allow-write", "out", "stuck2.lua"], in: dir)
        #expect(await waitForFile(dir.appendingPathComponent("out/started")))
        try? await Task.sleep(for: .milliseconds(200))
        kill(p.processIdentifier, SIGINT)
        let status = await waitExit(p, limit: 30)
        #expect(status == 130)
        let err = (try? String(contentsOf: dir.appendingPathComponent("stderr.txt"), encoding: .utf8)) ?? ""
        #expect(err.contains("pcx: interrupted: the script did not stop within 3 s"), "\(err)")
    }
}

@Suite("secrets stay out of scripts")
struct SecretsCLITests {
    @Test func patchingStringUpperDoesNotDefeatTheGetenvFilter() async throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("""
            string.upper = function() return "" end
            getmetatable("").__index.upper = string.upper
            string.find = function() return nil end
            for _, name in ipairs({ "PCX_CLIENT_SECRET", "MY_API_TOKEN", "DB_PASSWORD", "AWS_ACCESS_KEY_ID", "COPY_OF_SECRET", "HARMLESS" }) do
              print(name, tostring(os.getenv(name)))
            end
            """, to: "env.lua", in: dir)
        let r = try await CLIHarness.runAsync(["run", "env.lua"], cwd: dir, env: [
            "PCX_CLIENT_SECRET": "s3cr3t-value", "MY_API_TOKEN": "tok-123456", "DB_PASSWORD": "pw-123456",
            "AWS_ACCESS_KEY_ID": "AKIA123456", "COPY_OF_SECRET": "s3cr3t-value", "HARMLESS": "hello",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == """
            PCX_CLIENT_SECRET\tnil
            MY_API_TOKEN\tnil
            DB_PASSWORD\tnil
            AWS_ACCESS_KEY_ID\tnil
            COPY_OF_SECRET\tnil
            HARMLESS\thello

            """)
    }

    @Test func getenvHidesCredentialsInsideURLsConnectionStringsAndLongerValues() {
        let env = [
            "HTTPS_PROXY": "http://alice:hunter2@proxy:3128", "PLAIN_ENDPOINT": "http://alice:hunter2@host/x",
            "AZURE_STORAGE_CONNECTION_STRING": "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=abc==",
            "DATABASE_URL": "postgres://u:pw@db/x", "SENTRY_DSN": "https://k@sentry.io/1", "GITHUB_PAT": "ghp_x",
            "ARM_BLOB": "https://a.blob.core.windows.net/c?sv=1&sig=abcdef", "PCX_CLIENT_SECRET": "s3cr3t-value-long",
            "WRAPPED": "--secret s3cr3t-value-long --x", "HARMLESS": "hello", "CUSTOMER": "contoso",
            "DOCS": "https://learn.microsoft.com/a@b", "MAIL": "ops@example.com", "NOTE": "designated=1",
        ]
        for name in ["HTTPS_PROXY", "PLAIN_ENDPOINT", "AZURE_STORAGE_CONNECTION_STRING", "DATABASE_URL", "SENTRY_DSN",
                     "GITHUB_PAT", "ARM_BLOB", "PCX_CLIENT_SECRET", "WRAPPED"] {
            #expect(ScriptPolicy.getenv(name, environment: env) == nil, "\(name) must read as unset")
        }
        for name in ["HARMLESS", "CUSTOMER", "DOCS", "MAIL", "NOTE"] {
            #expect(ScriptPolicy.getenv(name, environment: env) == env[name], "\(name) is harmless")
        }
    }

    @Test func pcxOwnFilesAndProcAreUnreadableAndTheScriptFolderAndAllowReadAreReadable() async throws {
        let dir = CLIHarness.tempDir()
        let config = dir.appendingPathComponent(".config"), data = dir.appendingPathComponent(".data")
        try CLIHarness.write("[profile.default]\nclient_secret = \"s3cr3t\"\n", to: ".config/profiles.toml", in: dir)
        try CLIHarness.write("return 'from config'\n", to: ".config/evil.lua", in: dir)
        try CLIHarness.write("SQLite format 3", to: ".data/journal.sqlite", in: dir)
        try CLIHarness.write("refresh-token", to: "elsewhere/store.txt", in: dir)
        try CLIHarness.write("outside", to: "shared/data.txt", in: dir)
        try CLIHarness.write("mine", to: "s/data.txt", in: dir)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("s/env").path, withDestinationPath: "/proc/self/environ")
        try CLIHarness.write("""
            local function try(label, ok, a, b)
              if not ok then print(label, "error", (tostring(a):gsub("%s+", " "))) elseif a == nil then print(label, "refused", b) else print(label, "read") end
            end
            local function open(p) local f, e = io.open(p, "rb"); if f then return f:read("a") end; return nil, e end
            try("environ", pcall(open, "/proc/self/environ"))
            try("mem", pcall(open, "/proc/self/mem"))
            try("lines", pcall(io.lines, "/proc/self/environ"))
            try("symlink", pcall(open, "s/env"))
            try("profiles", pcall(open, ".config/profiles.toml"))
            try("journal", pcall(open, ".data/journal.sqlite"))
            try("store", pcall(open, "elsewhere/store.txt"))
            try("loadfile", pcall(loadfile, ".config/evil.lua"))
            try("dofile", pcall(dofile, ".config/evil.lua"))
            package.path = "./.config/?.lua"
            try("require", pcall(require, "evil"))
            try("mine", pcall(open, "s/data.txt"))
            try("shared", pcall(open, "shared/data.txt"))
            """, to: "s/read.lua", in: dir)
        let env = ["PCX_REFRESH_TOKEN_STORE": dir.appendingPathComponent("elsewhere/store.txt").path]
        let r = try await CLIHarness.runAsync(["run", "--allow-read", "shared", "--allow-read", "elsewhere", "s/read.lua"],
                                              cwd: dir, env: env)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        func line(_ label: String) -> String { lines.first { $0.hasPrefix(label + "\t") } ?? "(missing \(label))" }
        for label in ["environ", "mem", "lines", "symlink"] {
            #expect(line(label).contains("/proc is never readable or writable by scripts"), "\(line(label))")
        }
        for label in ["profiles", "journal", "store", "loadfile", "dofile", "require"] {
            #expect(line(label).contains("pcx's own files"), "\(line(label))")
        }
        #expect(line("mine") == "mine\tread")
        #expect(line("shared") == "shared\tread")
        _ = (config, data)
        // without --allow-read the shared file is refused with the fix in the message
        let r2 = try await CLIHarness.runAsync(["run", "s/read.lua"], cwd: dir, env: env)
        let shared = r2.stdout.split(separator: "\n").first { $0.hasPrefix("shared\t") }.map(String.init) ?? ""
        #expect(shared.contains("reading outside the allowed directories"), "\(shared)")
        #expect(shared.contains("pass --allow-read shared to let the script read there"), "\(shared)")
    }

    @Test func aBadAllowReadIsAUsageError() async throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("print(1)\n", to: "x.lua", in: dir)
        try CLIHarness.write("not a dir", to: "file.txt", in: dir)
        let r = try await CLIHarness.runAsync(["run", "--allow-read", "nope", "x.lua"], cwd: dir)
        #expect(r.status == 2)
        #expect(r.stderr.contains("--allow-read nope: no such directory"), "\(r.stderr)")
        let r2 = try await CLIHarness.runAsync(["run", "--allow-read", "file.txt", "x.lua"], cwd: dir)
        #expect(r2.status == 2)
        #expect(r2.stderr.contains("--allow-read file.txt: not a directory"), "\(r2.stderr)")
    }
}
