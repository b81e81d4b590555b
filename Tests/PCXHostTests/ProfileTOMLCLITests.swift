import Foundation
import PartnerCenterSandbox
import Testing

/// Running pcx against its own HOME, config and data directories, for the profile and whoami tests.
enum ProfileCLI {
    /// A fresh directory whose HOME and XDG paths are its own (no profile of the machine leaks in).
    static func directory() -> URL { CLIHarness.tempDir() }

    static func env(_ dir: URL, _ extra: [String: String] = [:]) -> [String: String] {
        var env = ["HOME": dir.path, "XDG_CONFIG_HOME": dir.appendingPathComponent(".xdg").path,
                   "XDG_DATA_HOME": dir.appendingPathComponent(".xdg-data").path]
        for (k, v) in extra { env[k] = v }
        return env
    }

    static func profilesPath(_ dir: URL) -> String { dir.appendingPathComponent(".config/profiles.toml").path }

    static func writeProfiles(_ text: String, in dir: URL) throws {
        try CLIHarness.write(text, to: ".config/profiles.toml", in: dir)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: profilesPath(dir))
    }

    static func run(_ args: [String], in dir: URL, env extra: [String: String] = [:], stdin: String = "") async throws -> CLIHarness.Result {
        try await CLIHarness.runAsync(args, stdin: stdin, cwd: dir, env: env(dir, extra))
    }

    static func sandbox() async throws -> PartnerCenterSandbox {
        try await PartnerCenterSandbox.start(SandboxConfiguration())
    }

    /// Dates and the loopback port made stable, so whole outputs compare.
    static func normalized(_ text: String) -> String {
        text.replacingOccurrences(of: #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"#, with: "TIME", options: .regularExpression)
            .replacingOccurrences(of: #"http://127\.0\.0\.1:\d+"#, with: "http://127.0.0.1:PORT", options: .regularExpression)
    }

    static let twoProfiles = """
        # pcx profiles
        [profile.default]
        endpoint = "https://api.partnercenter.microsoft.com"
        tenant_id = "contoso.onmicrosoft.com"
        client_id = "11111111-2222-3333-4444-555555555555"
        client_secret = "Gq7~very.secret_value"   # rotated monthly

        [profile.lab]
        endpoint = "http://127.0.0.1:9"
        authority = "http://127.0.0.1:9"
        tenant_id = "8b3f2c1d-0000-4000-8000-000000000001"
        client_id = "22222222-3333-4444-5555-666666666666"
        refresh_token = \"\"\"Rt-lab-secret-token\"\"\"
        excluded_markets = [
          "BR",
          "CN",
        ]
        concurrency = 8

        """
}

/// profiles.toml read as TOML, through the real binary: whole outputs.
@Suite("profiles.toml as TOML through pcx run")
struct ProfileTOMLCLITests {
    // MARK: - profiles.toml is TOML

    @Test("bad TOML stops pcx run before the script with file:line: message, exit 2, and shows no secret")
    func badTOMLStopsRun() async throws {
        let dir = ProfileCLI.directory()
        try CLIHarness.write("print('ran')\n", to: "a.lua", in: dir)
        try ProfileCLI.writeProfiles("[profile.default]\nendpoint = \"http://127.0.0.1:9\"\nlocale = \"en\\qUS\"\n", in: dir)
        let r = try await ProfileCLI.run(["run", "a.lua"], in: dir)
        #expect(r.status == 2)
        #expect(r.stdout == "")
        #expect(r.stderr == """
            pcx: invalid_argument: \(ProfileCLI.profilesPath(dir)):3: unknown escape '\\q' in the value of 'locale'
              hint: write a backslash as \\\\, or use a 'literal string' (backslashes are plain there)

            """)

        try ProfileCLI.writeProfiles("[profile.default]\nclient_secret = \"Gq7~secret\\qvalue\"\n", in: dir)
        let secret = try await ProfileCLI.run(["run", "a.lua"], in: dir)
        #expect(secret.status == 2)
        #expect(secret.stderr == """
            pcx: invalid_argument: \(ProfileCLI.profilesPath(dir)):2: unknown escape in the value of 'client_secret' (not shown; escapes are \\" \\\\ \\b \\f \\n \\r \\t \\uXXXX \\UXXXXXXXX)
              hint: write a backslash as \\\\, or use a 'literal string' (backslashes are plain there)

            """)
        #expect(!secret.stderr.contains("Gq7"))

        let json = try await ProfileCLI.run(["run", "--json", "a.lua"], in: dir)
        #expect(json.status == 2)
        #expect(json.stdout == "")
        let path = ProfileCLI.profilesPath(dir).replacingOccurrences(of: "/", with: "\\/") // JSON escapes '/' in errors
        #expect(json.stderr == #"{"error":{"code":"invalid_argument","message":"\#(path):2: unknown escape in the value of 'client_secret' (not shown; escapes are \\\" \\\\ \\b \\f \\n \\r \\t \\uXXXX \\UXXXXXXXX)","hint":"write a backslash as \\\\, or use a 'literal string' (backslashes are plain there)","exit_code":2}}"# + "\n")
    }

    @Test("a default profile written with TOML the old subset refused selects its Partner Center")
    func wholeTOMLProfileRuns() async throws {
        let sandbox = try await ProfileCLI.sandbox()
        defer { Task { await sandbox.shutdown() } }
        let c = sandbox.credentials
        let base = sandbox.endpoint.absoluteString
        let dir = ProfileCLI.directory()
        try ProfileCLI.writeProfiles("""
            # dotted keys, an inline table, a multi-line literal string, comments after values
            profile.default.endpoint = "\(base)"   # the loopback sandbox
            profile.default.authority = '\(base)'
            profile.default.ids = { }
            [profile.default.x]
            """, in: dir)
        // a sub-table is an unknown key, named at its line
        try CLIHarness.write("print(#pc.customers.list() > 0)\n", to: "c.lua", in: dir)
        let bad = try await ProfileCLI.run(["run", "c.lua"], in: dir)
        #expect(bad.status == 2)
        #expect(bad.stderr.hasPrefix("pcx: invalid_argument: \(ProfileCLI.profilesPath(dir)):4: unknown key 'ids' in profile 'default'\n  hint: known keys: endpoint"),
                "\(bad.stderr)")

        try ProfileCLI.writeProfiles("""
            profile.default = { endpoint = "\(base)", authority = "\(base)", tenant_id = "\(c.tenantId)", client_id = "\(c.clientId)" }

            [profile.other]
            client_secret = '''
            \(c.clientSecret)'''
            """, in: dir)
        let r = try await ProfileCLI.run(["run", "c.lua"], in: dir, env: ["PCX_CLIENT_SECRET": c.clientSecret])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "true\n")
        #expect(r.stderr == "")
    }
}
