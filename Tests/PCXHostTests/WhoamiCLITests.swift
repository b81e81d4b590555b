import Foundation
import PartnerCenterSandbox
import Testing

/// `pcx whoami` through the real binary, against the embedded sandbox and one on loopback.
@Suite("pcx whoami")
struct WhoamiCLITests {
    // MARK: - pcx whoami

    @Test("whoami with nothing configured reports the embedded sandbox, its partner and token audiences and expiry, offline")
    func whoamiEmbedded() async throws {
        let seeded = try await ProfileCLI.sandbox()
        let c = seeded.credentials
        await seeded.shutdown()
        let dir = ProfileCLI.directory()
        for args in [["whoami"], ["whoami", "--sandbox"]] {
            let r = try await ProfileCLI.run(args, in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr == "")
            #expect(ProfileCLI.normalized(r.stdout) == """
                target    sandbox: the embedded sandbox, in-process; nothing real is bought (state in \(dir.path)/.data/sandbox.sqlite)
                profile   none: no profile is configured
                endpoint  http://127.0.0.1:PORT
                tenant    \(c.tenantId)
                app id    \(c.clientId)
                sign-in   App+User (delegated): the embedded sandbox's seeded partner
                user      admin@\(c.domain)
                token     https://api.partnercenter.microsoft.com, expires TIME (in 60 min), permissions: user_impersonation
                token     https://graph.microsoft.com, expires TIME (in 60 min), permissions: PartnerBilling.Read.All User.Read

                """)
            for secret in [c.clientSecret, c.refreshToken, "eyJ"] { #expect(!r.stdout.contains(secret)) }
        }
    }

    @Test("whoami resolves as pcx run does: PCX_ENDPOINT, --profile, PCX_PROFILE, the default profile")
    func whoamiResolution() async throws {
        let sandbox = try await ProfileCLI.sandbox()
        defer { Task { await sandbox.shutdown() } }
        let c = sandbox.credentials
        let base = sandbox.endpoint.absoluteString.hasSuffix("/") ? String(sandbox.endpoint.absoluteString.dropLast()) : sandbox.endpoint.absoluteString
        let dir = ProfileCLI.directory()
        // the environment alone (App+User from PCX_REFRESH_TOKEN)
        let env = Dictionary(uniqueKeysWithValues: c.environment(endpoint: sandbox.endpoint))
        let fromEnv = try await ProfileCLI.run(["whoami"], in: dir, env: env)
        #expect(fromEnv.status == 0, "\(fromEnv.stderr)")
        #expect(fromEnv.stderr == "")
        #expect(ProfileCLI.normalized(fromEnv.stdout) == """
            target    sandbox: a loopback endpoint (pcx sandbox serve or another local server); not production
            profile   none: the PCX_* environment variables (PCX_ENDPOINT is set)
            endpoint  http://127.0.0.1:PORT
            tenant    \(c.tenantId)
            app id    \(c.clientId)
            sign-in   App+User (delegated): refresh token from PCX_REFRESH_TOKEN
            user      admin@\(c.domain)
            token     https://api.partnercenter.microsoft.com, expires TIME (in 60 min), permissions: user_impersonation
            token     https://graph.microsoft.com, expires TIME (in 60 min), permissions: PartnerBilling.Read.All User.Read

            """)

        // profiles: an App-only one named default, and an App+User one
        try ProfileCLI.writeProfiles("""
            [profile.default]
            endpoint = "\(base)"
            authority = "\(base)"
            tenant_id = "\(c.domain)"
            client_id = "\(c.clientId)"
            client_secret = "\(c.clientSecret)"

            [profile.agent]
            endpoint = "\(base)"
            authority = "\(base)"
            tenant_id = "\(c.tenantId)"
            client_id = "\(c.clientId)"
            refresh_token = "\(c.refreshToken)"
            """, in: dir)
        let appOnly = """
            target     sandbox: a loopback endpoint (pcx sandbox serve or another local server); not production
            profile    default (\(ProfileCLI.profilesPath(dir)))
            endpoint   http://127.0.0.1:PORT
            tenant     \(c.domain)
            app id     \(c.clientId)
            sign-in    App-only (client credentials): client secret in the profile (line 6)
            tenant id  \(c.tenantId)
            token      https://api.partnercenter.microsoft.com, expires TIME (in 60 min)
            token      https://graph.microsoft.com, expires TIME (in 60 min), permissions: PartnerBilling.Read.All

            """
        let automatic = try await ProfileCLI.run(["whoami"], in: dir)
        #expect(automatic.status == 0, "\(automatic.stderr)")
        #expect(ProfileCLI.normalized(automatic.stdout) == appOnly)
        let byName = try await ProfileCLI.run(["whoami", "--profile", "default"], in: dir, env: ["PCX_PROFILE": "agent"])
        #expect(ProfileCLI.normalized(byName.stdout) == appOnly)

        let agent = """
            target    sandbox: a loopback endpoint (pcx sandbox serve or another local server); not production
            profile   agent (\(ProfileCLI.profilesPath(dir)))
            endpoint  http://127.0.0.1:PORT
            tenant    \(c.tenantId)
            app id    \(c.clientId)
            sign-in   App+User (delegated): refresh token in the profile (line 13)
            user      admin@\(c.domain)
            token     https://api.partnercenter.microsoft.com, expires TIME (in 60 min), permissions: user_impersonation
            token     https://graph.microsoft.com, expires TIME (in 60 min), permissions: PartnerBilling.Read.All User.Read

            """
        let viaEnv = try await ProfileCLI.run(["whoami"], in: dir, env: ["PCX_PROFILE": "agent"])
        #expect(viaEnv.status == 0, "\(viaEnv.stderr)")
        #expect(ProfileCLI.normalized(viaEnv.stdout) == agent)

        let json = try await ProfileCLI.run(["whoami", "--profile", "agent", "--json"], in: dir)
        #expect(json.status == 0, "\(json.stderr)")
        #expect(ProfileCLI.normalized(json.stdout).replacingOccurrences(of: #""expires_in_seconds" : \d+"#, with: "\"expires_in_seconds\" : N",
                                                                  options: .regularExpression) == """
            {
              "app_id" : "\(c.clientId)",
              "authority" : "http://127.0.0.1:PORT",
              "embedded" : false,
              "endpoint" : "http://127.0.0.1:PORT",
              "production" : false,
              "profile" : "agent",
              "profile_file" : "\(ProfileCLI.profilesPath(dir))",
              "sign_in" : {
                "credential" : "refresh token in the profile (line 13)",
                "kind" : "app+user"
              },
              "target" : "sandbox",
              "tenant" : "\(c.tenantId)",
              "tokens" : [
                {
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
                {
                  "app_id" : "\(c.clientId)",
                  "audiences" : [
                    "https://graph.microsoft.com"
                  ],
                  "expires_at" : "TIME",
                  "expires_in_seconds" : N,
                  "identity_type" : "user",
                  "jwt" : true,
                  "requested" : "https://graph.microsoft.com",
                  "roles" : [

                  ],
                  "scopes" : [
                    "PartnerBilling.Read.All",
                    "User.Read"
                  ],
                  "tenant_id" : "\(c.tenantId)"
                }
              ],
              "user" : "admin@\(c.domain)"
            }

            """)
        for output in [automatic.stdout, byName.stdout, viaEnv.stdout, json.stdout] {
            for secret in [c.clientSecret, c.refreshToken, "eyJ"] { #expect(!output.contains(secret)) }
        }
    }

    @Test("whoami with a fixed access token reads its claims without any call, and shows neither token")
    func whoamiFixedToken() async throws {
        func base64URL(_ text: String) -> String {
            Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let claims = #"{"aud":["https://api.partnercenter.microsoft.com","urn:other"],"azp":"33333333-2222-3333-4444-555555555555","tid":"8b3f2c1d-0000-4000-8000-000000000001","exp":1893456000,"idtyp":"user","preferred_username":"agent@contoso.onmicrosoft.com","scp":"user_impersonation"}"#
        let jwt = base64URL(#"{"alg":"none"}"#) + "." + base64URL(claims) + ".c2lnbmF0dXJl"
        let dir = ProfileCLI.directory()
        let env = ["PCX_ENDPOINT": "http://127.0.0.1:9", "PCX_AUTHORITY": "http://127.0.0.1:9", "PCX_TENANT_ID": "contoso.onmicrosoft.com",
                   "PCX_CLIENT_ID": "11111111-2222-3333-4444-555555555555", "PCX_ACCESS_TOKEN": jwt]
        // nothing listens on port 9: the claims come from the token alone
        let r = try await ProfileCLI.run(["whoami"], in: dir, env: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr == "")
        #expect(r.stdout.replacingOccurrences(of: #"\(in \d+ h \d+ min\)"#, with: "(in H h M min)", options: .regularExpression) == """
            target     sandbox: a loopback endpoint (pcx sandbox serve or another local server); not production
            profile    none: the PCX_* environment variables (PCX_ENDPOINT is set)
            endpoint   http://127.0.0.1:9
            tenant     contoso.onmicrosoft.com
            app id     11111111-2222-3333-4444-555555555555
            sign-in    Fixed access token: from PCX_ACCESS_TOKEN, used as it is (never renewed)
            user       agent@contoso.onmicrosoft.com
            tenant id  8b3f2c1d-0000-4000-8000-000000000001
            token app  33333333-2222-3333-4444-555555555555
            token      https://api.partnercenter.microsoft.com urn:other, expires 2030-01-01T00:00:00Z (in H h M min), permissions: user_impersonation
            token      https://api.partnercenter.microsoft.com urn:other, expires 2030-01-01T00:00:00Z (in H h M min), permissions: user_impersonation

            """)
        #expect(!r.stdout.contains(jwt.prefix(20)))

        let opaque = try await ProfileCLI.run(["whoami"], in: dir, env: env.merging(["PCX_ACCESS_TOKEN": "opaque-bearer-value"]) { $1 })
        #expect(opaque.status == 0, "\(opaque.stderr)")
        #expect(opaque.stdout.hasSuffix("""
            token     https://api.partnercenter.microsoft.com (as asked: the token is not a JWT, its claims are unknown), expiry unknown
            token     https://graph.microsoft.com (as asked: the token is not a JWT, its claims are unknown), expiry unknown

            """), "\(opaque.stdout)")
        #expect(!opaque.stdout.contains("opaque-bearer-value"))
    }

    @Test("whoami with a bad profile exits 2 before any call; a refused secret exits 1 without showing it")
    func whoamiErrors() async throws {
        let sandbox = try await ProfileCLI.sandbox()
        defer { Task { await sandbox.shutdown() } }
        let c = sandbox.credentials
        let base = sandbox.endpoint.absoluteString
        let dir = ProfileCLI.directory()
        let unknown = try await ProfileCLI.run(["whoami", "--profile", "nope"], in: dir)
        #expect(unknown.status == 2)
        #expect(unknown.stdout == "")
        #expect(unknown.stderr == """
            pcx: invalid_argument: profile 'nope' requested but \(ProfileCLI.profilesPath(dir)) does not exist
              hint: create \(ProfileCLI.profilesPath(dir)) with a [profile.nope] table

            """)
        let both = try await ProfileCLI.run(["whoami", "--profile", "nope", "--sandbox"], in: dir)
        #expect(both.status == 2)
        #expect(both.stderr == "pcx: --sandbox and --profile exclude each other\n  hint: pick one\n", "\(both.stderr)")

        try ProfileCLI.writeProfiles("[profile.default]\nendpoint = \"\(base)\"\nconcurrency = sixteen\n", in: dir)
        let bad = try await ProfileCLI.run(["whoami"], in: dir)
        #expect(bad.status == 2)
        #expect(bad.stderr == """
            pcx: invalid_argument: \(ProfileCLI.profilesPath(dir)):3: cannot read the value of 'concurrency', 'sixteen': strings must be quoted ("…")
              hint: quote strings: key = "value"; numbers, true and false, [arrays] and { inline tables } are written bare

            """)

        let before = sandbox.requestLog.count
        try ProfileCLI.writeProfiles("""
            [profile.default]
            endpoint = "\(base)"
            authority = "\(base)"
            tenant_id = "\(c.tenantId)"
            client_id = "\(c.clientId)"
            client_secret = "Gq7~wrong.secret_value"
            """, in: dir)
        let refused = try await ProfileCLI.run(["whoami"], in: dir)
        #expect(refused.status == 1)
        // what pcx would use comes first, so the user sees which setup failed; never the secret
        let shown = refused.stdout.split(separator: "\n").map { String($0.prefix { $0 != " " }) }
        #expect(shown == ["target", "profile", "endpoint", "tenant", "app", "sign-in"], "\(refused.stdout)")
        #expect(refused.stdout.contains("profile   default (\(ProfileCLI.profilesPath(dir)))"), "\(refused.stdout)")
        #expect(refused.stdout.contains("sign-in   App-only (client credentials)"), "\(refused.stdout)")
        #expect(!refused.stdout.contains("Gq7~wrong"))
        let json = try await ProfileCLI.run(["whoami", "--json"], in: dir)
        #expect(json.status == 1 && json.stdout.isEmpty && json.stderr.hasPrefix(#"{"error":{"code":"unauthenticated""#), "\(json)")
        #expect(ProfileCLI.normalized(refused.stderr) == """
            pcx: unauthenticated: the token endpoint refused the client_credentials grant (HTTP 401): invalid_client: AADSTS7000215: Invalid client secret provided.
              (POST /\(c.tenantId)/oauth2/token, HTTP 401)
              hint: check PCX_TENANT_ID, PCX_CLIENT_ID and PCX_CLIENT_SECRET

            """)
        #expect(!refused.stderr.contains("Gq7~wrong"))
        // only the token endpoint was asked, nothing of Partner Center's
        #expect(sandbox.requestLog.entries(since: before).allSatisfy { $0.route == "token" }, "\(sandbox.requestLog.entries(since: before).map(\.route))")
    }
}
