import Foundation
import PartnerCenterSandbox
import Testing

/// Target selection, Ctrl-C and secrets, against an in-process sandbox reached over loopback.
@Suite("pcx targets, interruption and secrets")
struct CLITargetTests {
    static func sandbox(faults: String = "") async throws -> PartnerCenterSandbox {
        var config = SandboxConfiguration()
        config.registrationDelay = 0.2
        config.orderCompletionDelay = 0.2
        config.orderLag = 0
        if !faults.isEmpty { config.faults = try FaultPlan.parse(faults) }
        return try await PartnerCenterSandbox.start(config)
    }

    static func env(_ s: PartnerCenterSandbox) -> [String: String] {
        Dictionary(uniqueKeysWithValues: s.credentials.environment(endpoint: s.endpoint))
    }

    /// Starts pcx, waits `delay`, sends SIGINT, and waits up to `patience` for it to end (then SIGTERM).
    static func interrupt(_ args: [String], cwd: URL, env: [String: String], after delay: TimeInterval, patience: TimeInterval = 20) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLIHarness.binary)
        p.arguments = args
        p.currentDirectoryURL = cwd
        p.environment = CLIHarness.isolatedEnvironment(cwd, env)
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        Thread.sleep(forTimeInterval: delay)
        kill(p.processIdentifier, SIGINT)
        let started = Date()
        while p.isRunning && Date().timeIntervalSince(started) < patience { usleep(20_000) }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    @Test func ctrlCInterruptsARunningScriptWithExit130() throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("while true do pcall(function() end) end\n", to: "spin.lua", in: dir)
        let (status, stderr) = try Self.interrupt(["run", "spin.lua"], cwd: dir, env: [:], after: 1.0)
        #expect(status == 130)
        #expect(stderr.contains("pcx: interrupted"))
    }

    @Test("started with Ctrl-C ignored (a shell's background job), pcx keeps ignoring it; SIGTERM still ends it")
    func anIgnoredCtrlCStaysIgnored() throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("while true do pcall(function() end) end\n", to: "spin.lua", in: dir)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "trap '' INT; exec \"$0\" run spin.lua", CLIHarness.binary]
        p.currentDirectoryURL = dir
        p.environment = CLIHarness.isolatedEnvironment(dir, [:])
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        Thread.sleep(forTimeInterval: 1.0)
        kill(p.processIdentifier, SIGINT)
        Thread.sleep(forTimeInterval: 1.0)
        #expect(p.isRunning, "an ignored Ctrl-C stopped pcx")
        kill(p.processIdentifier, SIGTERM)
        let started = Date()
        while p.isRunning && Date().timeIntervalSince(started) < 10 { usleep(20_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGTERM, "\(p.terminationReason) \(p.terminationStatus)")
    }

    /// The sandbox holds the answer for ten minutes. Exit 130 within the helper's patience (two
    /// minutes, generous for a loaded CI machine) means the request was cancelled, not waited out:
    /// a pcx still waiting would be ended by SIGTERM instead.
    @Test func ctrlCCancelsARequestInFlight() async throws {
        let sandbox = try await Self.sandbox(faults: "customers.list=delay=10m")
        defer { Task { await sandbox.shutdown() } }
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("print(#pc.customers.list())\n", to: "slow.lua", in: dir)
        let started = Date()
        let env = Self.env(sandbox)
        let (status, stderr) = try await withCheckedThrowingContinuation { cont in
            Thread { cont.resume(with: Result { try Self.interrupt(["run", "slow.lua"], cwd: dir, env: env, after: 1.5, patience: 120) }) }.start()
        }
        #expect(status == 130, "\(stderr)")
        #expect(Date().timeIntervalSince(started) < 300, "far sooner than the sandbox's ten-minute answer")
    }

    @Test func pcxEndpointPointsAtAnyPartnerCenterAndTheEmbeddedSandboxIsNotUsed() async throws {
        let sandbox = try await Self.sandbox()
        defer { Task { await sandbox.shutdown() } }
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("print(#pc.customers.list() > 0)\n", to: "c.lua", in: dir)
        let before = sandbox.requestLog.count
        let r = try await CLIHarness.runAsync(["run", "c.lua"], cwd: dir, env: Self.env(sandbox))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "true\n")
        #expect(!r.stderr.contains("embedded sandbox"))
        #expect(sandbox.requestLog.count > before)
    }

    @Test func withNothingConfiguredTheEmbeddedSandboxIsAnnouncedOnStderr() throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("print(pc.invoices.balance().currencyCode ~= nil)\n", to: "b.lua", in: dir)
        let r = try CLIHarness.run(["run", "b.lua"], cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "true\n")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains("using the embedded sandbox") == true)
    }

    @Test("under --log-format json, pcx's own notices are JSON lines too: the embedded sandbox, an os.exit value that is not a status")
    func noticesFollowTheLogFormat() throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("print(pc.invoices.balance().currencyCode ~= nil)\nos.exit(256)\n", to: "b.lua", in: dir)
        let r = try CLIHarness.run(["run", "--log-format", "json", "b.lua"], cwd: dir)
        #expect(r.status == 1, "os.exit(256) exits 1, never 0: \(r)")
        #expect(r.stdout == "true\n")
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 2, "\(r.stderr)")
        var messages: [String] = []
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["source"] as? String == "pcx", "\(line)")
            messages.append("\(object?["level"] ?? "?") \(object?["message"] ?? "?")")
        }
        #expect(messages.first?.hasPrefix("info no Partner Center profile configured: using the embedded sandbox") == true, "\(messages)")
        #expect(messages.last?.hasPrefix("warning os.exit(256)") == true, "\(messages)")
        let text = try CLIHarness.run(["run", "b.lua"], cwd: dir)
        #expect(text.stderr.split(separator: "\n").allSatisfy { $0.hasPrefix("pcx: ") }, "text stays as it was: \(text.stderr)")
    }

    @Test func aNamedProfileSelectsItsPartnerCenter() async throws {
        let sandbox = try await Self.sandbox()
        defer { Task { await sandbox.shutdown() } }
        let dir = CLIHarness.tempDir()
        let c = sandbox.credentials
        let base = sandbox.endpoint.absoluteString
        try CLIHarness.write("""
            [profile.lab]
            endpoint = "\(base)"
            authority = "\(base)"
            tenant_id = "\(c.tenantId)"
            client_id = "\(c.clientId)"
            client_secret = "\(c.clientSecret)"
            refresh_token = "\(c.refreshToken)"
            """, to: ".config/profiles.toml", in: dir)
        try CLIHarness.write("print(#pc.customers.list() > 0)\n", to: "c.lua", in: dir)
        let r = try await CLIHarness.runAsync(["run", "--profile", "lab", "c.lua"], cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "true\n")
        #expect(!r.stderr.contains("embedded sandbox"))
    }

    @Test func anUnknownProfileIsAClearErrorNamingTheFile() throws {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("[profile.lab]\nendpoint = \"http://127.0.0.1:1\"\n", to: ".config/profiles.toml", in: dir)
        try CLIHarness.write("pc.customers.list()\n", to: "c.lua", in: dir)
        let r = try CLIHarness.run(["run", "--profile", "prod", "c.lua"], cwd: dir)
        #expect(r.status == 2, "a bad profile is an input error, found before the script runs")
        #expect(r.stderr.contains("profile 'prod' is not in"))
        #expect(r.stderr.contains("profiles there: lab"))
    }

    @Test func secretsNeverAppearInOutputEvenOnErrors() async throws {
        let sandbox = try await Self.sandbox()
        defer { Task { await sandbox.shutdown() } }
        let dir = CLIHarness.tempDir()
        var env = Self.env(sandbox)
        env["PCX_CLIENT_SECRET"] = "wrong-\(sandbox.credentials.clientSecret)"
        env["PCX_REFRESH_TOKEN"] = nil
        try CLIHarness.write("pc.customers.list()\n", to: "c.lua", in: dir)
        let r = try await CLIHarness.runAsync(["run", "--log-level", "debug", "c.lua"], cwd: dir, env: env)
        #expect(r.status == 1)
        #expect(r.stderr.contains("pcx: unauthenticated"))
        #expect(!r.stderr.contains(sandbox.credentials.clientSecret))
        #expect(!r.stdout.contains(sandbox.credentials.clientSecret))
    }
}
