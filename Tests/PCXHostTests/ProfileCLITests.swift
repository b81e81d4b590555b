import Foundation
import PartnerCenterSandbox
import Testing

/// `pcx profile list|show|add` through the real binary: whole outputs, wrong inputs included.
@Suite("pcx profile")
struct ProfileCLITests {
    // MARK: - pcx profile list

    @Test("profile list without a profiles.toml says so and how to add one")
    func listWithoutFile() async throws {
        let dir = ProfileCLI.directory()
        let r = try await ProfileCLI.run(["profile", "list"], in: dir)
        #expect(r.status == 0)
        #expect(r.stderr == "")
        #expect(r.stdout == """
            no profiles in \(ProfileCLI.profilesPath(dir)) (the file does not exist): pcx uses the embedded sandbox
            add one: pcx profile add NAME --tenant TENANT --client-id APP_ID [--endpoint URL] [--client-secret-stdin]

            """)
        let json = try await ProfileCLI.run(["profile", "list", "--json"], in: dir)
        #expect(json.status == 0)
        #expect(json.stdout == """
            {
              "default" : null,
              "default_reason" : "none: pcx uses the embedded sandbox unless given --profile NAME (or PCX_PROFILE, or a profile named default)",
              "environment_overrides" : [

              ],
              "exists" : false,
              "file" : "\(ProfileCLI.profilesPath(dir))",
              "profiles" : [

              ]
            }

            """)
        // pointed at a Partner Center by the environment, pcx does not say it uses the sandbox
        let endpoint = try await ProfileCLI.run(["profile", "list"], in: dir, env: ["PCX_ENDPOINT": "https://api.partnercenter.microsoft.com"])
        #expect(endpoint.stdout.hasPrefix("""
            no profiles in \(ProfileCLI.profilesPath(dir)) (the file does not exist): pcx uses PCX_ENDPOINT (https://api.partnercenter.microsoft.com) and the other PCX_* variables
            """), "\(endpoint)")
        let named = try await ProfileCLI.run(["profile", "list"], in: dir, env: ["PCX_PROFILE": "prod"])
        #expect(named.stdout.contains("PCX_PROFILE names 'prod', so pcx stops with an error unless given --sandbox"), "\(named)")
    }

    @Test("profile list shows every profile, the default marked, and never a secret")
    func listProfiles() async throws {
        let dir = ProfileCLI.directory()
        try ProfileCLI.writeProfiles(ProfileCLI.twoProfiles, in: dir)
        let r = try await ProfileCLI.run(["profile", "list"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr == "")
        #expect(r.stdout == """
            NAME     DEFAULT  TARGET      ENDPOINT                                 TENANT                                SIGN-IN
            -------  -------  ----------  ---------------------------------------  ------------------------------------  --------
            default  yes      production  https://api.partnercenter.microsoft.com  contoso.onmicrosoft.com               App-only
            lab               sandbox     http://127.0.0.1:9                       8b3f2c1d-0000-4000-8000-000000000001  App+User

            file: \(ProfileCLI.profilesPath(dir))
            default: 'default' (the profile named default)

            """)
        for secret in ["Gq7~very.secret_value", "Rt-lab-secret-token"] { #expect(!r.stdout.contains(secret)) }

        // PCX_PROFILE moves the mark; PCX_ENDPOINT takes it away; overrides are said
        let named = try await ProfileCLI.run(["profile", "list"], in: dir, env: ["PCX_PROFILE": "lab", "PCX_CLIENT_SECRET": "env-secret"])
        #expect(named.stdout == """
            NAME     DEFAULT  TARGET      ENDPOINT                                 TENANT                                SIGN-IN
            -------  -------  ----------  ---------------------------------------  ------------------------------------  --------
            default           production  https://api.partnercenter.microsoft.com  contoso.onmicrosoft.com               App-only
            lab      yes      sandbox     http://127.0.0.1:9                       8b3f2c1d-0000-4000-8000-000000000001  App+User

            file: \(ProfileCLI.profilesPath(dir))
            default: 'lab' (PCX_PROFILE)
            environment: PCX_CLIENT_SECRET set, overriding every profile (shown with them)

            """)
        #expect(!named.stdout.contains("env-secret"))
        let endpoint = try await ProfileCLI.run(["profile", "list"], in: dir, env: ["PCX_ENDPOINT": "http://127.0.0.1:7"])
        #expect(endpoint.stdout.contains("default: none: PCX_ENDPOINT is set, so pcx uses the PCX_* variables unless given --profile NAME\n"))
        #expect(!endpoint.stdout.contains("yes"))

        let json = try await ProfileCLI.run(["profile", "list", "--json"], in: dir)
        #expect(json.status == 0)
        #expect(json.stdout == """
            {
              "default" : "default",
              "default_reason" : "'default' (the profile named default)",
              "environment_overrides" : [

              ],
              "exists" : true,
              "file" : "\(ProfileCLI.profilesPath(dir))",
              "profiles" : [
                {
                  "client_id" : "11111111-2222-3333-4444-555555555555",
                  "credential" : "client secret in the profile (line 6)",
                  "default" : true,
                  "endpoint" : "https://api.partnercenter.microsoft.com",
                  "line" : 2,
                  "name" : "default",
                  "sign_in" : "app-only",
                  "target" : "production",
                  "tenant_id" : "contoso.onmicrosoft.com"
                },
                {
                  "client_id" : "22222222-3333-4444-5555-666666666666",
                  "credential" : "refresh token in the profile (line 13)",
                  "default" : false,
                  "endpoint" : "http://127.0.0.1:9",
                  "line" : 8,
                  "name" : "lab",
                  "sign_in" : "app+user",
                  "target" : "sandbox",
                  "tenant_id" : "8b3f2c1d-0000-4000-8000-000000000001"
                }
              ]
            }

            """)
    }

    @Test("profile list refuses a bad or unreadable profiles.toml with file:line, exit 2")
    func listBadFiles() async throws {
        let dir = ProfileCLI.directory()
        try ProfileCLI.writeProfiles("[profile.a]\nendpoint = \"http://x\"\n[profile.a]\n", in: dir)
        let twice = try await ProfileCLI.run(["profile", "list"], in: dir)
        #expect(twice.status == 2)
        #expect(twice.stdout == "")
        #expect(twice.stderr == """
            pcx: invalid_argument: \(ProfileCLI.profilesPath(dir)):3: profile 'a' is defined twice
              hint: merge the two tables into one, or rename one of them

            """)
        try ProfileCLI.writeProfiles("[profile.a]\nendpoint = \"http://127.0.0.1:9\"\nmax_attempts = \"four\"\n", in: dir)
        let typed = try await ProfileCLI.run(["profile", "list"], in: dir)
        #expect(typed.status == 2)
        #expect(typed.stderr == "pcx: invalid_argument: \(ProfileCLI.profilesPath(dir)):3: 'max_attempts' in profile 'a' must be an integer, not a string\n")

        try FileManager.default.removeItem(atPath: ProfileCLI.profilesPath(dir))
        try FileManager.default.createDirectory(atPath: ProfileCLI.profilesPath(dir), withIntermediateDirectories: true)
        let directory = try await ProfileCLI.run(["profile", "list"], in: dir)
        #expect(directory.status == 2)
        #expect(directory.stderr == """
            pcx: invalid_argument: cannot read profile file \(ProfileCLI.profilesPath(dir)): it is a directory
              hint: profiles.toml is a file; point PCX_PROFILE_FILE (or PCX_CONFIG_DIR) elsewhere, or remove the directory

            """)
    }

    // MARK: - pcx profile show

    @Test("profile show lists each setting and where it comes from, secrets only as set")
    func showProfile() async throws {
        let dir = ProfileCLI.directory()
        try ProfileCLI.writeProfiles(ProfileCLI.twoProfiles, in: dir)
        let r = try await ProfileCLI.run(["profile", "show", "lab"], in: dir, env: ["PCX_TENANT_ID": "fabrikam.onmicrosoft.com"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr == "")
        #expect(r.stdout == """
            profile 'lab' in \(ProfileCLI.profilesPath(dir)), line 8
            target: sandbox: a loopback endpoint (pcx sandbox serve or another local server); not production
            sign-in: App+User (delegated): refresh token in the profile (line 13)

            SETTING              VALUE                                 FROM
            -------------------  ------------------------------------  ----------------
            endpoint             http://127.0.0.1:9                    profile, line 9
            authority            http://127.0.0.1:9                    profile, line 10
            graph_endpoint       https://graph.microsoft.com/v1.0      default
            tenant_id            fabrikam.onmicrosoft.com              PCX_TENANT_ID
            client_id            22222222-3333-4444-5555-666666666666  profile, line 12
            client_secret        (not set)
            refresh_token        set (not shown)                       profile, line 13
            refresh_token_store  (not set)
            access_token         (not set)
            token_version        v1                                    default
            excluded_markets     ["BR", "CN"]                          profile, line 14
            concurrency          8                                     profile, line 18

            """)
        #expect(!r.stdout.contains("Rt-lab-secret-token"))

        let prod = try await ProfileCLI.run(["profile", "show", "default", "--json"], in: dir)
        #expect(prod.status == 0)
        #expect(!prod.stdout.contains("Gq7~very.secret_value"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(prod.stdout.utf8)) as? [String: Any])
        #expect(object["target"] as? String == "production")
        #expect(object["default"] as? Bool == true)
        #expect((object["sign_in"] as? [String: String]) == ["kind": "app-only", "credential": "client secret in the profile (line 6)"])
        let settings = try #require(object["settings"] as? [[String: Any]])
        let secret = try #require(settings.first { $0["key"] as? String == "client_secret" })
        #expect(secret["value"] is NSNull || secret["value"] == nil)
        #expect(secret["set"] as? Bool == true)
        #expect(secret["secret"] as? Bool == true)
        #expect(secret["line"] as? Int == 6)
    }

    @Test("profile show of an unknown profile or without a file is an input error naming the file")
    func showUnknown() async throws {
        let dir = ProfileCLI.directory()
        let missing = try await ProfileCLI.run(["profile", "show", "prod"], in: dir)
        #expect(missing.status == 2)
        #expect(missing.stdout == "")
        #expect(missing.stderr == """
            pcx: invalid_argument: profile 'prod' requested but \(ProfileCLI.profilesPath(dir)) does not exist
              hint: create \(ProfileCLI.profilesPath(dir)) with a [profile.prod] table

            """)
        try ProfileCLI.writeProfiles(ProfileCLI.twoProfiles, in: dir)
        let unknown = try await ProfileCLI.run(["profile", "show", "prod"], in: dir)
        #expect(unknown.status == 2)
        #expect(unknown.stderr == """
            pcx: invalid_argument: profile 'prod' is not in \(ProfileCLI.profilesPath(dir)) (profiles there: default, lab)
              hint: add a [profile.prod] table or pick an existing profile

            """)
    }

    // MARK: - pcx profile add

    @Test("profile add writes a 0600 profiles.toml that reads back, and the secret only from stdin")
    func addProfiles() async throws {
        let dir = ProfileCLI.directory()
        let first = try await ProfileCLI.run(["profile", "add", "prod", "--tenant", "contoso.onmicrosoft.com",
                                        "--client-id", "11111111-2222-3333-4444-555555555555"], in: dir)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr == "")
        #expect(first.stdout == """
            added profile 'prod' in \(ProfileCLI.profilesPath(dir)) (mode 0600)
            target: PRODUCTION Partner Center: purchases are real
            sign-in: App-only (client credentials): no client secret: set PCX_CLIENT_SECRET when you run pcx, add it with pcx profile add NAME ... --client-secret-stdin --force, or sign in as a user: pcx login --device-code
            check it: pcx whoami --profile prod

            """)
        let path = ProfileCLI.profilesPath(dir)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == """
            [profile.prod]
            endpoint = "https://api.partnercenter.microsoft.com"
            tenant_id = "contoso.onmicrosoft.com"
            client_id = "11111111-2222-3333-4444-555555555555"

            """)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)

        // a second profile, the secret piped in; comments and the first profile stay as written
        try String(contentsOfFile: path, encoding: .utf8).appending("# keep this comment\n").write(toFile: path, atomically: true, encoding: .utf8)
        let second = try await ProfileCLI.run(["profile", "add", "default", "--tenant", "8b3f2c1d-0000-4000-8000-000000000001",
                                         "--client-id", "22222222-3333-4444-5555-666666666666", "--endpoint", "http://127.0.0.1:9",
                                         "--authority", "http://127.0.0.1:9", "--token-version", "V2",
                                         "--refresh-token-store", "rt/lab", "--client-secret-stdin"],
                                        in: dir, stdin: "Gq7~piped.secret_value\n")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout == """
            added profile 'default' in \(path) (mode 0600)
            target: sandbox: a loopback endpoint (pcx sandbox serve or another local server); not production
            sign-in: App-only (client credentials): client secret in the profile (line 12); the refresh-token store \(dir.path)/rt/lab is empty or missing
            default: pcx now uses this profile when no --profile or --sandbox is given
            check it: pcx whoami --profile default

            """)
        #expect(!second.stdout.contains("Gq7~piped") && !second.stderr.contains("Gq7~piped"))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == """
            [profile.prod]
            endpoint = "https://api.partnercenter.microsoft.com"
            tenant_id = "contoso.onmicrosoft.com"
            client_id = "11111111-2222-3333-4444-555555555555"
            # keep this comment

            [profile.default]
            endpoint = "http://127.0.0.1:9"
            authority = "http://127.0.0.1:9"
            tenant_id = "8b3f2c1d-0000-4000-8000-000000000001"
            client_id = "22222222-3333-4444-5555-666666666666"
            client_secret = "Gq7~piped.secret_value"
            refresh_token_store = "\(dir.path)/rt/lab"
            token_version = "v2"

            """)
        let list = try await ProfileCLI.run(["profile", "list"], in: dir)
        #expect(list.status == 0)
        #expect(list.stdout.contains("default  yes      sandbox"), "\(list.stdout)")

        // --force replaces the table in place of the old one's lines
        let replaced = try await ProfileCLI.run(["profile", "add", "prod", "--tenant", "fabrikam.onmicrosoft.com",
                                           "--client-id", "33333333-2222-3333-4444-555555555555", "--force", "--json"], in: dir)
        #expect(replaced.status == 0, "\(replaced.stderr)")
        #expect(replaced.stdout == """
            {
              "default" : false,
              "file" : "\(path)",
              "line" : 10,
              "name" : "prod",
              "replaced" : true,
              "sign_in" : {
                "credential" : "no client secret: set PCX_CLIENT_SECRET when you run pcx, add it with pcx profile add NAME ... --client-secret-stdin --force, or sign in as a user: pcx login --device-code",
                "kind" : "app-only"
              },
              "target" : "production"
            }

            """)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == """
            [profile.default]
            endpoint = "http://127.0.0.1:9"
            authority = "http://127.0.0.1:9"
            tenant_id = "8b3f2c1d-0000-4000-8000-000000000001"
            client_id = "22222222-3333-4444-5555-666666666666"
            client_secret = "Gq7~piped.secret_value"
            refresh_token_store = "\(dir.path)/rt/lab"
            token_version = "v2"

            [profile.prod]
            endpoint = "https://api.partnercenter.microsoft.com"
            tenant_id = "fabrikam.onmicrosoft.com"
            client_id = "33333333-2222-3333-4444-555555555555"

            """)
    }

    /// (arguments after `profile add`, stdin, the whole stderr after `pcx: `)
    static let badAdds: [([String], String, String)] = [
        (["bad name", "--tenant", "contoso.onmicrosoft.com", "--client-id", "11111111-2222-3333-4444-555555555555"], "",
         "profile name 'bad name' is not valid: use 1 to 64 letters, digits, '_' or '-'\n  hint: e.g. pcx profile add prod --tenant contoso.onmicrosoft.com --client-id 00000000-0000-0000-0000-000000000000\n"),
        (["p", "--tenant", "not a tenant", "--client-id", "11111111-2222-3333-4444-555555555555"], "",
         "--tenant 'not a tenant' is not a tenant: give the partner tenant's id (a GUID) or its domain\n  hint: e.g. --tenant contoso.onmicrosoft.com or --tenant 8b3f2c1d-0000-4000-8000-000000000000\n"),
        (["p", "--tenant", "contoso.onmicrosoft.com", "--client-id", "my-app"], "",
         "--client-id 'my-app' is not an application id: give the Entra app's client id (a GUID)\n  hint: find it in the Entra admin center under App registrations, e.g. --client-id 00000000-0000-0000-0000-000000000000\n"),
        (["p", "--tenant", "contoso.onmicrosoft.com", "--client-id", "11111111-2222-3333-4444-555555555555", "--endpoint", "ftp://x"], "",
         "--endpoint 'ftp://x' is not an absolute http(s) URL\n  hint: e.g. --endpoint https://api.partnercenter.microsoft.com (the default), or http://127.0.0.1:8080 for pcx sandbox serve\n"),
        (["p", "--tenant", "contoso.onmicrosoft.com", "--client-id", "11111111-2222-3333-4444-555555555555", "--token-version", "v3"], "",
         "--token-version 'v3' is not valid: it takes v1 or v2\n  hint: leave it out for v1, the endpoint Partner Center documents\n"),
        (["p", "--tenant", "contoso.onmicrosoft.com", "--client-id", "11111111-2222-3333-4444-555555555555", "--client-secret-stdin"], "",
         "--client-secret-stdin: standard input is empty; give the client secret there\n  hint: printf '%s' \"$SECRET\" | pcx profile add NAME --tenant … --client-id … --client-secret-stdin\n"),
        (["p", "--tenant", "contoso.onmicrosoft.com", "--client-id", "11111111-2222-3333-4444-555555555555", "--client-secret-stdin"], "one\ntwo\n",
         "--client-secret-stdin: standard input holds more than one line; give the secret alone\n  hint: printf '%s' \"$SECRET\" | pcx profile add NAME --tenant … --client-id … --client-secret-stdin\n"),
        (["p", "--tenant", "contoso.onmicrosoft.com", "--client-id", "11111111-2222-3333-4444-555555555555", "--client-secret", "Gq7~cli.secret_value"], "",
         "--client-secret is not taken on the command line (your shell history and the process list would keep it); pipe it with --client-secret-stdin, or set PCX_CLIENT_SECRET when you run pcx\n"),
        (["p", "--client-id", "11111111-2222-3333-4444-555555555555"], "",
         "missing expected argument '--tenant <tenant>'\n  hint: `pcx profile add --help` lists the options\n"),
    ]

    @Test("profile add refuses bad values with the option and the fix, exit 2, writing nothing", arguments: badAdds)
    func addRefusesBadValues(arguments: [String], stdin: String, stderr: String) async throws {
        let dir = ProfileCLI.directory()
        let r = try await ProfileCLI.run(["profile", "add"] + arguments, in: dir, stdin: stdin)
        #expect(r.status == 2)
        #expect(r.stdout == "")
        #expect(r.stderr == "pcx: " + stderr)
        #expect(!r.stderr.contains("Gq7~cli"))
        #expect(!FileManager.default.fileExists(atPath: ProfileCLI.profilesPath(dir)))
    }

    @Test("profile add refuses a duplicate name without --force, and a bad profiles.toml, leaving the file as it was")
    func addRefusesDuplicatesAndBadFiles() async throws {
        let dir = ProfileCLI.directory()
        try ProfileCLI.writeProfiles(ProfileCLI.twoProfiles, in: dir)
        let args = ["profile", "add", "lab", "--tenant", "contoso.onmicrosoft.com", "--client-id", "11111111-2222-3333-4444-555555555555"]
        let duplicate = try await ProfileCLI.run(args, in: dir)
        #expect(duplicate.status == 2)
        #expect(duplicate.stdout == "")
        #expect(duplicate.stderr == """
            pcx: profile 'lab' is already in \(ProfileCLI.profilesPath(dir)) (line 8)
              hint: pick another name, or add --force to replace it (pcx profile show lab shows it)

            """)
        #expect(try String(contentsOfFile: ProfileCLI.profilesPath(dir), encoding: .utf8) == ProfileCLI.twoProfiles)

        let broken = "[profile.a]\nendpoint = \"http://x\n"
        try ProfileCLI.writeProfiles(broken, in: dir)
        let bad = try await ProfileCLI.run(args, in: dir)
        #expect(bad.status == 2)
        #expect(bad.stderr == """
            pcx: invalid_argument: \(ProfileCLI.profilesPath(dir)):2: unterminated string in the value of 'endpoint' (missing closing ")
              hint: close the string on the same line, or write a multi-line string between \"\"\" and \"\"\"

            """)
        #expect(try String(contentsOfFile: ProfileCLI.profilesPath(dir), encoding: .utf8) == broken)

        // a profile written as an inline table cannot be replaced line by line: said, file unchanged
        let inline = "profile.lab = { endpoint = \"http://127.0.0.1:9\" }\n"
        try ProfileCLI.writeProfiles(inline, in: dir)
        let forced = try await ProfileCLI.run(args + ["--force"], in: dir)
        #expect(forced.status == 2)
        #expect(forced.stderr == """
            pcx: invalid_argument: \(ProfileCLI.profilesPath(dir)):1: profile 'lab' is written with dotted keys or an inline table, not as a [profile.lab] table
              hint: edit \(ProfileCLI.profilesPath(dir)) by hand to replace it, or add the new profile under another name

            """)
        #expect(try String(contentsOfFile: ProfileCLI.profilesPath(dir), encoding: .utf8) == inline)
    }
}
