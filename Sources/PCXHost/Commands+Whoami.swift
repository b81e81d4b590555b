import Foundation
import PartnerCenter

extension PCXCommands {
    // MARK: - pcx whoami

    /// `pcx whoami`: which Partner Center and identity pcx would use, chosen exactly as `pcx run`
    /// chooses (`--sandbox`, `--profile`, `PCX_ENDPOINT`, `PCX_PROFILE`, the default profile, else
    /// the embedded sandbox), and what its access tokens say: audience, expiry, tenant, app. It
    /// obtains the tokens (from the token endpoint; offline for the embedded sandbox) and never
    /// prints them. A bad configuration is an input error (exit 2), a refused sign-in exit 1.
    public static func whoami(options: HostOptions) async -> Int32 {
        if let code = Session.preflight(options) { return code }
        let choice: Session.Choice
        do {
            choice = try Session.choose(options)
        } catch {
            return ProfileSetup(options).report(error, json: options.json)
        }
        let setup = ProfileSetup(options)
        var config: ClientConfiguration
        var profile: String?
        var sandbox: EmbeddedSandbox?
        let partnerCenter: AccessTokenInfo
        let graph: Result<AccessTokenInfo, PartnerCenterError>
        func failed(_ error: any Error) -> Int32 {
            ErrorReport((raisable(error) as? PartnerCenterError) ?? PartnerCenterError(category: .scriptError, message: "\(error)"))
                .print(json: options.json, logFormat: options.logFormat)
        }
        do {
            (config, profile, sandbox) = try await target(choice, options)
        } catch {
            return failed(error)
        }
        let file = try? setup.readFile()
        let signIn = sandbox != nil && config.refreshTokenStore == nil
            ? SignIn(kind: config.refreshToken != nil ? .appUser : .appOnly, credential: "the embedded sandbox's seeded partner")
            : SignIn(config, environment: options.environment, profile: profile.flatMap { file?.profiles[$0] })
        do {
            (partnerCenter, graph) = try await tokenInfos(config)
        } catch {
            await sandbox?.shutdown()
            // what pcx would use is known: say it, then why signing in failed
            if !options.json {
                printRecord(configurationLines(config: config, signIn: signIn, sandbox: sandbox, profile: profile, setupPath: setup.path),
                            format: options.output)
            }
            return failed(error)
        }
        await sandbox?.shutdown()
        let target = TargetKind(endpoint: config.endpoint, embedded: sandbox != nil)
        let now = Date()
        let view = WhoamiView(
            target: target.rawValue, production: target == .production, embedded: sandbox != nil,
            profile: profile, profile_file: profile == nil ? nil : setup.path,
            endpoint: config.endpoint, authority: config.authority, tenant: config.tenantId, app_id: config.clientId,
            sign_in: SignInView(signIn), user: partnerCenter.user,
            tokens: [TokenView(partnerCenter, now: now)] + [graphView(graph, resource: config.graphResource, now: now)])
        if options.json {
            print((try? encodeJSON(view)) ?? "{}")
            return ExitCode.ok.rawValue
        }
        printWhoami(view, config: config, signIn: signIn, sandbox: sandbox, profile: profile, setupPath: setup.path,
                    partnerCenter: partnerCenter, format: options.output)
        return ExitCode.ok.rawValue
    }

    /// `pcx whoami`'s text: one `label  value` line per fact (`-o csv|tsv`: `field,value` rows).
    private static func printWhoami(_ view: WhoamiView, config: ClientConfiguration, signIn: SignIn, sandbox: EmbeddedSandbox?,
                                    profile: String?, setupPath: String, partnerCenter: AccessTokenInfo, format: OutputFormat) {
        var lines = configurationLines(config: config, signIn: signIn, sandbox: sandbox, profile: profile, setupPath: setupPath)
        if let user = partnerCenter.user { lines.append(("user", user)) }
        if let tid = partnerCenter.tenantId, tid.lowercased() != config.tenantId?.lowercased() {
            lines.append(("tenant id", tid))
        }
        if let app = partnerCenter.appId, app.lowercased() != config.clientId?.lowercased() {
            lines.append(("token app", app))
        }
        for token in view.tokens { lines.append(("token", token.sentence)) }
        printRecord(lines, format: format)
    }

    /// The client configuration, profile name and (for the embedded sandbox, started) sandbox of
    /// a target choice.
    private static func target(_ choice: Session.Choice, _ options: HostOptions) async throws
        -> (ClientConfiguration, String?, EmbeddedSandbox?) {
        switch choice {
        case .remote(let remote, let name):
            return (remote, name, nil)
        case .embedded(let base, _):
            let started = try await EmbeddedSandbox.start(paths: options.paths, logLevel: options.logLevel, logFormat: options.logFormat)
            var config = base
            started.configure(&config, paths: options.paths)
            return (config, nil, started)
        }
    }

    /// What pcx would use, known before any token: target, profile, endpoint, tenant, app, sign-in.
    private static func configurationLines(config: ClientConfiguration, signIn: SignIn, sandbox: EmbeddedSandbox?,
                                           profile: String?, setupPath: String) -> [(String, String)] {
        let target = TargetKind(endpoint: config.endpoint, embedded: sandbox != nil)
        return [
            ("target", target.sentence(endpoint: config.endpoint, embedded: sandbox != nil)
                + (sandbox.map { " (state in \($0.databasePath))" } ?? "")),
            ("profile", profile.map { "\($0) (\(setupPath))" }
                ?? (sandbox != nil ? "none: no profile is configured" : "none: the PCX_* environment variables (PCX_ENDPOINT is set)")),
            ("endpoint", config.endpoint),
            ("tenant", config.tenantId ?? "(not set)"),
            ("app id", config.clientId ?? "(not set)"),
            ("sign-in", "\(signIn.kind.label): \(signIn.credential)"),
        ]
    }

    /// The Partner Center token's claims, and the Microsoft Graph token's (or why there is none:
    /// only reconciliation v2 needs it, so its failure is reported, not fatal).
    private static func tokenInfos(_ config: ClientConfiguration) async throws -> (AccessTokenInfo, Result<AccessTokenInfo, PartnerCenterError>) {
        let client = try PartnerCenterClient(configuration: config)
        do {
            let partnerCenter = try await client.accessTokenInfo()
            let graph: Result<AccessTokenInfo, PartnerCenterError>
            do {
                graph = .success(try await client.accessTokenInfo(for: config.graphResource))
            } catch {
                graph = .failure((raisable(error) as? PartnerCenterError) ?? PartnerCenterError(category: .scriptError, message: "\(error)"))
            }
            try? await client.shutdown()
            return (partnerCenter, graph)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private static func graphView(_ result: Result<AccessTokenInfo, PartnerCenterError>, resource: String, now: Date) -> TokenView {
        switch result {
        case .success(let info): return TokenView(info, now: now)
        case .failure(let error): return TokenView(failed: resource, error: error)
        }
    }
}

// MARK: - JSON views

struct WhoamiView: Encodable {
    let target: String
    let production: Bool
    let embedded: Bool
    let profile: String?
    let profile_file: String?
    let endpoint: String
    let authority: String
    let tenant: String?
    let app_id: String?
    let sign_in: SignInView
    let user: String?
    let tokens: [TokenView]

    func encode(to encoder: any Encoder) throws {
        // nil fields as null, so every key is always there
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(target, forKey: .target)
        try c.encode(production, forKey: .production)
        try c.encode(embedded, forKey: .embedded)
        try c.encode(profile, forKey: .profile)
        try c.encode(profile_file, forKey: .profile_file)
        try c.encode(endpoint, forKey: .endpoint)
        try c.encode(authority, forKey: .authority)
        try c.encode(tenant, forKey: .tenant)
        try c.encode(app_id, forKey: .app_id)
        try c.encode(sign_in, forKey: .sign_in)
        try c.encode(user, forKey: .user)
        try c.encode(tokens, forKey: .tokens)
    }

    enum CodingKeys: String, CodingKey {
        case target, production, embedded, profile, profile_file, endpoint, authority, tenant, app_id, sign_in, user, tokens
    }
}

/// One access token as `pcx whoami` reports it (never the token).
struct TokenView: Encodable {
    let requested: String
    let audiences: [String]
    let expires_at: String?
    let expires_in_seconds: Int?
    let tenant_id: String?
    let app_id: String?
    let identity_type: String?
    let scopes: [String]
    let roles: [String]
    /// Whether the token is a JWT whose claims were read (else only what was asked is known).
    let jwt: Bool
    let error: String?

    init(_ info: AccessTokenInfo, now: Date) {
        requested = info.requestedResource
        audiences = info.audiences
        expires_at = info.expiresAt.map(iso)
        expires_in_seconds = info.expiresAt.map { Int($0.timeIntervalSince(now).rounded()) }
        tenant_id = info.tenantId
        app_id = info.appId
        identity_type = info.identityType
        scopes = info.scopes
        roles = info.roles
        jwt = info.readable
        error = nil
    }

    init(failed resource: String, error: PartnerCenterError) {
        requested = resource
        audiences = []
        expires_at = nil
        expires_in_seconds = nil
        tenant_id = nil
        app_id = nil
        identity_type = nil
        scopes = []
        roles = []
        jwt = false
        self.error = "\(error.category.rawValue): \(error.message)"
    }

    /// `https://api.partnercenter.microsoft.com, expires 2026-05-01T12:00:00Z (in 60 min)`.
    var sentence: String {
        if let error { return "\(requested): not available: \(error)" }
        var text = jwt ? audiences.joined(separator: " ") : "\(requested) (as asked: the token is not a JWT, its claims are unknown)"
        if let expires_at, let seconds = expires_in_seconds {
            text += ", expires \(expires_at) (\(TokenView.relative(seconds)))"
        } else {
            text += ", expiry unknown"
        }
        let permissions = scopes + roles
        if !permissions.isEmpty { text += ", permissions: \(permissions.joined(separator: " "))" }
        return text
    }

    /// `in 60 min`, `in 2 h 5 min`, `expired 3 min ago`.
    static func relative(_ seconds: Int) -> String {
        let minutes = Int((Double(abs(seconds)) / 60).rounded())
        let amount = minutes >= 120 ? "\(minutes / 60) h \(minutes % 60) min" : "\(minutes) min"
        return seconds >= 0 ? "in \(amount)" : "expired \(amount) ago"
    }
}
