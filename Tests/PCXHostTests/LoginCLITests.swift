import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PartnerCenterSandbox
import Testing

/// A pcx process whose stderr is read while it runs (to answer its prompt, or Ctrl-C it).
final class LivePCX: @unchecked Sendable {
    let process = Process()
    private let out = LockedData(), err = LockedData()
    private let done = DispatchGroup()

    init(_ args: [String], in dir: URL, env: [String: String]) throws {
        process.executableURL = URL(fileURLWithPath: CLIHarness.binary)
        process.arguments = args
        process.currentDirectoryURL = dir
        process.environment = CLIHarness.isolatedEnvironment(dir, ProfileCLI.env(dir, env))
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        for (pipe, sink) in [(outPipe, out), (errPipe, err)] {
            done.enter()
            Thread { [done] in
                var collected = Data()
                while true {
                    let chunk = pipe.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    collected.append(chunk)
                    sink.set(collected)
                }
                done.leave()
            }.start()
        }
    }

    var stderr: String { String(decoding: err.get(), as: UTF8.self) }

    /// Waits (up to `timeout` s) until stderr matches `pattern`; the first match.
    func waitForStderr(_ pattern: String, timeout: Double = 30) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let range = stderr.range(of: pattern, options: .regularExpression) { return String(stderr[range]) }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("stderr never matched \(pattern):\n\(stderr)")
    }

    func finish(timeout: Double = 60) async -> CLIHarness.Result {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(25)) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        done.wait()
        return CLIHarness.Result(status: process.terminationStatus, stdout: String(decoding: out.get(), as: UTF8.self), stderr: stderr)
    }
}

/// `pcx login --device-code` through the real binary, against a sandbox on loopback (and the embedded one).
@Suite("pcx login --device-code")
struct LoginCLITests {
    static func sandbox(_ spec: String) async throws -> PartnerCenterSandbox {
        var config = SandboxConfiguration()
        config.deviceCode = try DeviceCodeOptions.parse(spec)
        return try await PartnerCenterSandbox.start(config)
    }

    static func base(_ sandbox: PartnerCenterSandbox) -> String {
        var text = sandbox.endpoint.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    /// A profile `lab` at the sandbox (no secret: App+User only through what pcx login stores).
    static func labProfile(_ sandbox: PartnerCenterSandbox, store: String? = nil, in dir: URL, extra: String = "") throws {
        let c = sandbox.credentials
        try ProfileCLI.writeProfiles("""
            [profile.lab]
            endpoint = "\(base(sandbox))"
            authority = "\(base(sandbox))"
            tenant_id = "\(c.tenantId)"
            client_id = "\(c.clientId)"
            \(store.map { "refresh_token_store = \"\($0)\"" } ?? "")
            \(extra)
            """, in: dir)
    }

    /// Ports, times and the user code made stable.
    static func normalized(_ text: String) -> String {
        ProfileCLI.normalized(text)
            .replacingOccurrences(of: #"the code [0-9A-Z]{9}\b"#, with: "the code CODE", options: .regularExpression)
            .replacingOccurrences(of: #""user_code":"[0-9A-Z]{9}""#, with: #""user_code":"CODE""#, options: .regularExpression)
            .replacingOccurrences(of: #"\\/\\/127\.0\.0\.1:\d+"#, with: #"\\/\\/127.0.0.1:PORT"#, options: .regularExpression)
            .replacingOccurrences(of: #""expires_in_seconds" : \d+"#, with: #""expires_in_seconds" : N"#, options: .regularExpression)
    }

    static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// No secret of `sandbox` (nor a device code, an access token, `stored`) in `texts`.
    static func expectNoSecrets(_ texts: [String], _ sandbox: PartnerCenterSandbox, stored: String? = nil) {
        for text in texts {
            for secret in [sandbox.credentials.clientSecret, sandbox.credentials.refreshToken, "pcxdc.", "pcxrt.", "eyJ"] + (stored.map { [$0] } ?? []) {
                #expect(!text.contains(secret), "a secret (\(secret.prefix(6))…) leaked:\n\(text)")
            }
        }
    }

    @Test("signs in with the profile's store: message and wait on stderr, report on stdout, token 0600; whoami and run then use it")
    func signInWithNamedStore() async throws {
        let sandbox = try await Self.sandbox("interval=1,approve-after=2")
        defer { Task { await sandbox.shutdown() } }
        let c = sandbox.credentials
        let dir = ProfileCLI.directory()
        let store = dir.appendingPathComponent("store/refresh-token").path
        try Self.labProfile(sandbox, store: store, in: dir)
        let r = try await ProfileCLI.run(["login", "--device-code", "--profile", "lab"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.normalized(r.stderr) == """
            pcx: signing in to profile 'lab' (tenant \(c.tenantId), app \(c.clientId)) with a device code
            To sign in, use a web browser to open the page http://127.0.0.1:PORT/devicelogin and enter the code CODE to authenticate.
            pcx: waiting for the sign-in (the code expires in 15 min; Ctrl-C stops)

            """)
        #expect(Self.normalized(r.stdout) == """
            signed in  admin@\(c.domain) (App+User) for profile 'lab'
            tenant     \(c.tenantId)
            app id     \(c.clientId)
            token      https://api.partnercenter.microsoft.com, expires TIME (in 60 min), permissions: user_impersonation
            stored     refresh token in \(store) (a file, mode 0600, the store profile 'lab' names)
            next       pcx whoami --profile lab

            """)
        #expect(try Self.mode(store) == 0o600)
        let token = try String(contentsOfFile: store, encoding: .utf8)
        #expect(token.hasPrefix("pcxrt."))
        Self.expectNoSecrets([r.stdout, r.stderr], sandbox, stored: token)

        let who = try await ProfileCLI.run(["whoami", "--profile", "lab"], in: dir)
        #expect(who.status == 0, "\(who.stderr)")
        #expect(Self.normalized(who.stdout).contains("""
            sign-in   App+User (delegated): refresh token from the store \(store) (pcx keeps the rotated token there)
            user      admin@\(c.domain)
            token     https://api.partnercenter.microsoft.com, expires TIME (in 60 min), permissions: user_impersonation
            """), "\(who.stdout)")
        try CLIHarness.write("print(#pc.customers.list() > 0)\n", to: "c.lua", in: dir)
        let run = try await ProfileCLI.run(["run", "--profile", "lab", "c.lua"], in: dir)
        #expect(run.status == 0 && run.stdout == "true\n", "\(run.stderr)")
        let rotated = try String(contentsOfFile: store, encoding: .utf8)
        #expect(rotated.hasPrefix("pcxrt.") && rotated != token, "runs keep the rotated token in the same store")
        #expect(try Self.mode(store) == 0o600)
        Self.expectNoSecrets([who.stdout, who.stderr, run.stdout, run.stderr], sandbox, stored: rotated)
    }

    @Test("no store named and no session bus: pcx says why the keyring was not used and keeps the token in the default store; --json")
    func defaultStoreAndJSON() async throws {
        let sandbox = try await Self.sandbox("interval=1,approve-after=1")
        defer { Task { await sandbox.shutdown() } }
        let c = sandbox.credentials
        let dir = ProfileCLI.directory()
        try Self.labProfile(sandbox, in: dir)
        let noBus = ["DBUS_SESSION_BUS_ADDRESS": "", "XDG_RUNTIME_DIR": dir.path]
        let r = try await ProfileCLI.run(["login", "--device-code", "--profile", "lab", "--json"], in: dir, env: noBus)
        #expect(r.status == 0, "\(r.stderr)")
        let store = dir.appendingPathComponent(".data/refresh-tokens/profile-lab").path
        #expect(Self.normalized(r.stderr) == #"{"sign_in":{"expires_in":900,"interval":1,"message":"To sign in, use a web browser to open the page http:\/\/127.0.0.1:PORT\/devicelogin and enter the code CODE to authenticate.","user_code":"CODE","verification_uri":"http:\/\/127.0.0.1:PORT\/devicelogin"}}"# + "\n")
        #expect(Self.normalized(r.stdout) == """
            {
              "app_id" : "\(c.clientId)",
              "embedded" : false,
              "keyring_not_used" : "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)",
              "next" : "pcx whoami --profile lab",
              "profile" : "lab",
              "signed_in" : true,
              "store" : {
                "item" : null,
                "kind" : "file",
                "named_by_configuration" : false,
                "path" : "\(store)"
              },
              "target" : "sandbox",
              "tenant" : "\(c.tenantId)",
              "token" : {
                "app_id" : "\(c.clientId)",
                "audiences" : [
                  "https://api.partnercenter.microsoft.com"
                ],
                "expires_at" : "TIME",
                "expires_in_seconds" : N,
                "identity_type" : "user",
                "jwt" : true,
                "requested" : "https://api.partnercenter.microsoft.com",
                "roles" : [

                ],
                "scopes" : [
                  "user_impersonation"
                ],
                "tenant_id" : "\(c.tenantId)"
              },
              "user" : "admin@\(c.domain)"
            }

            """)
        #expect(try Self.mode(store) == 0o600)
        #expect(try Self.mode((store as NSString).deletingLastPathComponent) == 0o700)
        let token = try String(contentsOfFile: store, encoding: .utf8)
        Self.expectNoSecrets([r.stdout, r.stderr], sandbox, stored: token)
        let show = try await ProfileCLI.run(["profile", "list"], in: dir)
        #expect(show.stdout.contains("App+User"), "\(show.stdout)")
        let who = try await ProfileCLI.run(["whoami", "--profile", "lab"], in: dir)
        #expect(who.stdout.contains("sign-in   App+User (delegated): refresh token from the store \(store) (pcx keeps the rotated token there)"), "\(who.stdout)")
    }

    @Test("a declined sign-in exits 1 with the refusal and the fix, and writes nothing")
    func declined() async throws {
        let sandbox = try await Self.sandbox("interval=1,decline-after=1")
        defer { Task { await sandbox.shutdown() } }
        let dir = ProfileCLI.directory()
        let store = dir.appendingPathComponent("store/refresh-token").path
        try Self.labProfile(sandbox, store: store, in: dir)
        let r = try await ProfileCLI.run(["login", "--device-code", "--profile", "lab"], in: dir)
        #expect(r.status == 1)
        #expect(r.stdout == "")
        #expect(Self.normalized(r.stderr).hasSuffix("""
            pcx: waiting for the sign-in (the code expires in 15 min; Ctrl-C stops)
            pcx: unauthenticated: the sign-in was declined (authorization_declined): nothing was stored
              (POST /\(sandbox.credentials.tenantId)/oauth2/v2.0/token, HTTP 400)
              hint: run pcx login --device-code again and approve the sign-in at http://127.0.0.1:PORT/devicelogin

            """), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: store))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent(".data/refresh-tokens").path))
        let json = try await ProfileCLI.run(["login", "--device-code", "--profile", "lab", "--json"], in: dir)
        #expect(json.status == 1)
        #expect(json.stderr.split(separator: "\n").last.map(String.init) == #"{"error":{"code":"unauthenticated","message":"the sign-in was declined (authorization_declined): nothing was stored","status":400,"method":"POST","path":"\/\#(sandbox.credentials.tenantId)\/oauth2\/v2.0\/token","hint":"run pcx login --device-code again and approve the sign-in at http:\/\/\#(Self.base(sandbox).dropFirst(7))\/devicelogin","exit_code":1}}"#, "\(json.stderr)")
        Self.expectNoSecrets([r.stderr, json.stderr], sandbox)
    }

    @Test("a code that expires before anyone approves it exits 1 and writes nothing")
    func expired() async throws {
        let sandbox = try await Self.sandbox("interval=1,expires-in=2s")
        defer { Task { await sandbox.shutdown() } }
        let dir = ProfileCLI.directory()
        let store = dir.appendingPathComponent("store/refresh-token").path
        try Self.labProfile(sandbox, store: store, in: dir)
        let r = try await ProfileCLI.run(["login", "--device-code", "--profile", "lab"], in: dir)
        #expect(r.status == 1)
        #expect(Self.normalized(r.stderr).hasSuffix("""
            pcx: waiting for the sign-in (the code expires in 2 s; Ctrl-C stops)
            pcx: unauthenticated: the code CODE expired before the sign-in finished (expired_token): nothing was stored
              hint: run pcx login --device-code again and sign in within 1 min

            """), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: store))
    }

    @Test("slow_down is honoured: the next poll waits 5 s longer, and pcx says so")
    func slowDown() async throws {
        let sandbox = try await Self.sandbox("interval=1,slow-down=1,approve-after=2")
        defer { Task { await sandbox.shutdown() } }
        let dir = ProfileCLI.directory()
        try Self.labProfile(sandbox, store: dir.appendingPathComponent("rt").path, in: dir)
        let started = Date()
        let r = try await ProfileCLI.run(["login", "--device-code", "--profile", "lab"], in: dir)
        let elapsed = Date().timeIntervalSince(started)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.normalized(r.stderr).hasSuffix("""
            pcx: waiting for the sign-in (the code expires in 15 min; Ctrl-C stops)
            pcx: the sign-in service asked pcx to poll less often: every 6 s from now on

            """), "\(r.stderr)")
        #expect(elapsed >= 7, "1 s, then 6 s: \(elapsed)")
        let polls = sandbox.requestLog.entries(route: "token")
        #expect(polls.count == 2, "one slow_down, then the approval; no poll inside the interval")
        #expect(polls.map(\.status) == [400, 200])
    }

    @Test("Ctrl-C during the wait stops cleanly: exit 130, interrupted, nothing written")
    func ctrlC() async throws {
        let sandbox = try await Self.sandbox("interval=1")
        defer { Task { await sandbox.shutdown() } }
        let dir = ProfileCLI.directory()
        let store = dir.appendingPathComponent("store/refresh-token").path
        try Self.labProfile(sandbox, store: store, in: dir)
        let live = try LivePCX(["login", "--device-code", "--profile", "lab"], in: dir, env: [:])
        _ = try await live.waitForStderr("Ctrl-C stops")
        try await Task.sleep(for: .milliseconds(1500)) // a poll or two: it waits, asleep between polls
        kill(live.process.processIdentifier, SIGINT)
        let r = await live.finish(timeout: 20)
        #expect(r.status == 130)
        #expect(r.stdout == "")
        #expect(r.stderr.hasSuffix("pcx: interrupted: the sign-in was stopped (Ctrl-C): nothing was stored\n"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: store))
        #expect(sandbox.requestLog.entries(route: "token").count <= 3, "no busy polling")
    }

    @Test("bad configuration exits 2 before any sign-in, naming the problem, where and the fix")
    func badConfiguration() async throws {
        let sandbox = try await Self.sandbox("interval=1,approve-after=1")
        defer { Task { await sandbox.shutdown() } }
        let dir = ProfileCLI.directory()
        let profiles = ProfileCLI.profilesPath(dir)
        try ProfileCLI.writeProfiles("""
            [profile.noapp]
            endpoint = "\(Self.base(sandbox))"
            tenant_id = "\(sandbox.credentials.tenantId)"

            [profile.notenant]
            endpoint = "\(Self.base(sandbox))"
            client_id = "\(sandbox.credentials.clientId)"

            [profile.fixed]
            endpoint = "\(Self.base(sandbox))"
            tenant_id = "\(sandbox.credentials.tenantId)"
            client_id = "\(sandbox.credentials.clientId)"
            access_token = "Fixed-Token-Value-123"

            [profile.dirstore]
            endpoint = "\(Self.base(sandbox))"
            tenant_id = "\(sandbox.credentials.tenantId)"
            client_id = "\(sandbox.credentials.clientId)"
            refresh_token_store = "\(dir.path)"
            """, in: dir)
        let cases: [([String], String)] = [
            (["login"], """
                pcx: pcx login needs --device-code: the device-code sign-in is the one pcx performs
                  hint: pcx login --device-code [--profile NAME | --sandbox]
                """),
            (["login", "--device-code", "--profile", "noapp"], """
                pcx: invalid_argument: profile 'noapp' has no app id: a device-code sign-in needs the Entra app's client id (client_id)
                  hint: pcx profile add noapp --tenant TENANT --client-id APP_ID --force, or edit it in profiles.toml
                """),
            (["login", "--device-code", "--profile", "notenant"], """
                pcx: invalid_argument: profile 'notenant' has no tenant: a device-code sign-in needs the partner tenant (tenant_id)
                  hint: pcx profile add notenant --tenant TENANT --client-id APP_ID --force, or edit it in profiles.toml
                """),
            (["login", "--device-code", "--profile", "fixed"], """
                pcx: invalid_argument: profile 'fixed' has a fixed access token (access_token or PCX_ACCESS_TOKEN): pcx would keep using it instead of the signed-in user's tokens
                  hint: remove access_token from the profile (or unset PCX_ACCESS_TOKEN), then run pcx login --device-code again
                """),
            (["login", "--device-code", "--profile", "dirstore"], """
                pcx: invalid_argument: cannot keep the refresh token in \(dir.path): it is a directory
                  hint: point refresh_token_store (or PCX_REFRESH_TOKEN_STORE) at a file you can write
                """),
            (["login", "--device-code", "--profile", "nope"], """
                pcx: invalid_argument: profile 'nope' is not in \(profiles) (profiles there: dirstore, fixed, noapp, notenant)
                """),
        ]
        for (args, expected) in cases {
            let r = try await ProfileCLI.run(args, in: dir)
            #expect(r.status == 2, "\(args): \(r.stderr)")
            #expect(r.stdout == "")
            #expect(r.stderr.hasPrefix(expected), "\(args):\n\(r.stderr)")
            #expect(!r.stderr.contains("Fixed-Token-Value-123"))
        }
        #expect(sandbox.requestLog.entries(route: "devicecode").isEmpty, "nothing was asked of the identity platform")
    }

    @Test("an identity platform that cannot be reached exits 1 naming the authority")
    func unreachable() async throws {
        let dir = ProfileCLI.directory()
        try ProfileCLI.writeProfiles("""
            [profile.down]
            endpoint = "http://127.0.0.1:9"
            authority = "http://127.0.0.1:9"
            tenant_id = "contoso.onmicrosoft.com"
            client_id = "11111111-2222-3333-4444-555555555555"
            """, in: dir)
        let r = try await ProfileCLI.run(["login", "--device-code", "--profile", "down"], in: dir)
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("pcx: network: the sign-in service is unreachable: "), "\(r.stderr)")
        #expect(r.stderr.contains("(POST /contoso.onmicrosoft.com/oauth2/v2.0/devicecode)\n  hint: check the authority (http://127.0.0.1:9) and connectivity\n"), "\(r.stderr)")
    }

    @Test("a stored token the identity platform refuses: whoami exits 1 naming the store and the fix, never the token")
    func staleStoredToken() async throws {
        let sandbox = try await Self.sandbox("interval=1")
        defer { Task { await sandbox.shutdown() } }
        let dir = ProfileCLI.directory()
        let store = dir.appendingPathComponent(".data/refresh-tokens/profile-lab").path
        try Self.labProfile(sandbox, in: dir)
        try CLIHarness.write("pcxrt.stale-token-value-0123456789", to: ".data/refresh-tokens/profile-lab", in: dir)
        let r = try await ProfileCLI.run(["whoami", "--profile", "lab"], in: dir)
        #expect(r.status == 1)
        #expect(r.stderr == """
            pcx: unauthenticated: the token endpoint refused the refresh_token grant (HTTP 400): invalid_grant: AADSTS70008: The provided refresh token has expired or is invalid. Use the seeded refresh token (GET /_sandbox/credentials).
              (POST /\(sandbox.credentials.tenantId)/oauth2/token, HTTP 400)
              hint: the refresh token kept in \(store) may be expired or revoked (or from another sandbox database): sign in again with pcx login --device-code, or remove \(store) to use the configured credentials

            """, "\(r.stderr)")
        #expect(!r.stderr.contains("stale-token-value") && !r.stdout.contains("stale-token-value"))
    }

    @Test("--sandbox: the embedded sandbox's sign-in is approved at its page; whoami --sandbox then uses the stored token")
    func embeddedSandbox() async throws {
        let dir = ProfileCLI.directory()
        let live = try LivePCX(["login", "--device-code", "--sandbox"], in: dir, env: ["DBUS_SESSION_BUS_ADDRESS": "", "XDG_RUNTIME_DIR": dir.path])
        let url = try await live.waitForStderr(#"http://127\.0\.0\.1:\d+"#)
        let code = String(try await live.waitForStderr(#"the code [0-9A-Z]{9}"#).suffix(9))
        var request = URLRequest(url: URL(string: url + "/devicelogin")!)
        request.httpMethod = "POST"
        request.httpBody = Data("user_code=\(code)&action=approve".utf8)
        let (body, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: body, as: UTF8.self).contains("Signed in as admin@"))
        let r = await live.finish(timeout: 30)
        #expect(r.status == 0, "\(r.stderr)")
        let store = dir.appendingPathComponent(".data/refresh-tokens/sandbox").path
        #expect(Self.normalized(r.stdout).hasSuffix("""
            stored     refresh token in \(store) (a file, mode 0600); the Secret Service keyring was not used: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)
            next       pcx whoami --sandbox

            """), "\(r.stdout)")
        #expect(r.stderr.hasPrefix("pcx: signing in to the embedded sandbox (tenant "), "\(r.stderr)")
        #expect(try Self.mode(store) == 0o600)
        let who = try await ProfileCLI.run(["whoami", "--sandbox"], in: dir)
        #expect(who.status == 0, "\(who.stderr)")
        #expect(who.stdout.contains("sign-in   App+User (delegated): refresh token from the store \(store) (pcx keeps the rotated token there)"), "\(who.stdout)")
        let token = try String(contentsOfFile: store, encoding: .utf8)
        for text in [r.stdout, r.stderr, who.stdout, who.stderr] {
            #expect(!text.contains(token) && !text.contains("pcxdc.") && !text.contains("eyJ"))
        }
    }
}

/// A private D-Bus session bus with GNOME Keyring's Secret Service on it, when this machine has
/// the tools (Debian: dbus-daemon, gnome-keyring, libsecret-tools). Without them the keyring tests
/// are skipped; the fallback to the file (no session bus) is tested above either way. The bus has
/// no service directories (nothing is activated behind the test's back), and the script ends both
/// daemons by their process ids whatever happens.
enum SecretServiceSession {
    static func tool(_ name: String) -> String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var available: Bool { ["dbus-daemon", "dbus-send", "gnome-keyring-daemon", "secret-tool"].allSatisfy { tool($0) != nil } }

    /// Runs `script` (bash, pcx as `$PCX`) on a fresh session bus with GNOME Keyring; `unlock`
    /// gives it a login keyring unlocked by a password (else it has no collection to store in).
    static func run(_ script: String, in dir: URL, unlock: Bool) async throws -> CLIHarness.Result {
        let runtime = dir.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: runtime, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let keyring = unlock
            ? "printf 'test-keyring-password' | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &"
            : "gnome-keyring-daemon --foreground --components=secrets </dev/null >/dev/null 2>&1 &"
        try CLIHarness.write("""
            set -u
            PCX='\(CLIHarness.binary)'
            RUN='\(runtime.path)'
            cat > "$RUN/bus.conf" <<XML
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig><type>session</type><listen>unix:dir=$RUN</listen><auth>EXTERNAL</auth>
            <policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>
            XML
            dbus-daemon --config-file="$RUN/bus.conf" --fork --print-address=3 --print-pid=4 3>"$RUN/address" 4>"$RUN/pid" </dev/null >/dev/null 2>&1
            export DBUS_SESSION_BUS_ADDRESS="$(head -1 "$RUN/address")"
            BUS="$(head -1 "$RUN/pid")"
            \(keyring)
            KEYRING=$!
            trap 'kill -9 $KEYRING $BUS 2>/dev/null' EXIT
            for i in $(seq 200); do
              dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner \\
                string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true' && break
              sleep 0.05
            done

            """ + script + "\n", to: "session.sh", in: dir)
        var environment = ProfileCLI.env(dir)
        environment["XDG_RUNTIME_DIR"] = runtime.path
        return try await CLIHarness.runAsync(["session.sh"], cwd: dir, env: environment, timeout: 120, binary: "/bin/bash")
    }
}

@Suite("pcx login --device-code with the Secret Service keyring", .enabled(if: SecretServiceSession.available,
       "needs dbus-run-session, gnome-keyring-daemon and secret-tool (Debian: dbus-daemon, gnome-keyring, libsecret-tools)"))
struct LoginKeyringTests {
    @Test("with a keyring running, the token goes into it (the store file names the item); whoami and run read it, rotation keeps one item")
    func keyringStore() async throws {
        let sandbox = try await LoginCLITests.sandbox("interval=1,approve-after=1")
        defer { Task { await sandbox.shutdown() } }
        let dir = ProfileCLI.directory()
        try LoginCLITests.labProfile(sandbox, in: dir)
        try CLIHarness.write("print(#pc.customers.list() > 0)\n", to: "c.lua", in: dir)
        let store = dir.appendingPathComponent(".data/refresh-tokens/profile-lab").path
        let r = try await SecretServiceSession.run("""
            "$PCX" login --device-code --profile lab > login.out 2> login.err; echo "login $?"
            ITEM=$(sed 's/^secret-service://' '\(store)')
            secret-tool lookup service pcx id "$ITEM" > first.token
            "$PCX" whoami --profile lab | grep '^sign-in'
            "$PCX" run --profile lab c.lua; echo "run $?"
            secret-tool lookup service pcx id "$ITEM" > second.token
            echo "items $(secret-tool search --all service pcx 2>/dev/null | grep -c '^secret = ')"
            """, in: dir, unlock: true)
        let item = try String(contentsOfFile: store, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(item.hasPrefix("secret-service:") && item.count == "secret-service:".count + 36, "\(item)")
        let id = String(item.dropFirst("secret-service:".count))
        #expect(try LoginCLITests.mode(store) == 0o600)
        #expect(r.stdout == """
            login 0
            sign-in   App+User (delegated): refresh token in the Secret Service keyring (item \(id), named by \(store); pcx keeps the rotated token there)
            true
            run 0
            items 1

            """, "\(r.stdout)\n\(r.stderr)")
        let login = try String(contentsOf: dir.appendingPathComponent("login.out"), encoding: .utf8)
        #expect(LoginCLITests.normalized(login).hasSuffix("""
            stored     refresh token in the Secret Service keyring, item \(id) (\(store) names it and holds no secret)
            next       pcx whoami --profile lab

            """), "\(login)")
        let first = try String(contentsOf: dir.appendingPathComponent("first.token"), encoding: .utf8)
        let second = try String(contentsOf: dir.appendingPathComponent("second.token"), encoding: .utf8)
        #expect(first.hasPrefix("pcxrt.") && second.hasPrefix("pcxrt.") && first != second, "the run rotated the token in the keyring")
        #expect(!item.contains("pcxrt."), "the store file holds no secret")
        LoginCLITests.expectNoSecrets([r.stdout, login], sandbox, stored: first)
    }

    @Test("a keyring that answers but cannot take the token (no unlocked collection): pcx says so and keeps it in the file")
    func keyringRefuses() async throws {
        let sandbox = try await LoginCLITests.sandbox("interval=1,approve-after=1")
        defer { Task { await sandbox.shutdown() } }
        let dir = ProfileCLI.directory()
        try LoginCLITests.labProfile(sandbox, in: dir)
        let store = dir.appendingPathComponent(".data/refresh-tokens/profile-lab").path
        let r = try await SecretServiceSession.run("""
            "$PCX" login --device-code --profile lab > login.out 2> login.err; echo "login $?"
            """, in: dir, unlock: false)
        #expect(r.stdout == "login 0\n", "\(r.stdout)\n\(r.stderr)")
        let login = try String(contentsOf: dir.appendingPathComponent("login.out"), encoding: .utf8)
        #expect(login.contains("stored     refresh token in \(store) (a file, mode 0600); the Secret Service keyring was not used: the keyring did not take it: "), "\(login)")
        #expect(try String(contentsOfFile: store, encoding: .utf8).hasPrefix("pcxrt."))
        #expect(try LoginCLITests.mode(store) == 0o600)
    }
}
