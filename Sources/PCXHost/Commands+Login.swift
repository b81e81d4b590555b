import Foundation
import PartnerCenter

extension PCXCommands {
    // MARK: - pcx login --device-code

    /// `pcx login --device-code`: signs a user in with the OAuth 2.0 device authorization grant
    /// of the Microsoft identity platform (the target chosen as `pcx run` chooses it), shows the
    /// identity platform's message (the page and the code) on stderr, waits (Ctrl-C stops it, 130),
    /// and keeps the refresh token where later runs read it: the store the configuration names
    /// (a file, mode 0600, replaced atomically), else the Secret Service keyring when one answers
    /// (the default store file then names the keyring item), else the default store file.
    /// Nothing is written unless the sign-in succeeds; the token is never printed.
    /// - Returns: 0 signed in, 1 refused or failed (declined, expired, unreachable), 2 a bad
    ///   configuration (no tenant or app id, a store that cannot be written), 130 interrupted.
    public static func login(options: HostOptions, deviceCode: Bool) async -> Int32 {
        guard deviceCode else {
            return ErrorReport.input("pcx login needs --device-code: the device-code sign-in is the one pcx performs",
                                     hint: "pcx login --device-code [--profile NAME | --sandbox]").print(json: options.json, logFormat: options.logFormat)
        }
        if let code = Session.preflight(options) { return code }
        let plan: LoginPlan
        do {
            plan = try LoginPlan(options)
        } catch {
            return ProfileSetup(options).report(error, json: options.json)
        }
        let outcome = await plan.run()
        switch outcome {
        case .success(let report):
            report.print(json: options.json)
            return ExitCode.ok.rawValue
        case .failure(var error):
            if error.category == .cancelled {
                error = PartnerCenterError(category: .interrupted, message: "the sign-in was stopped (Ctrl-C): nothing was stored")
            }
            return ErrorReport(error).print(json: options.json, debug: options.debug, logFormat: options.logFormat)
        }
    }
}

/// One `pcx login`: the target, where the refresh token goes, and the sign-in itself.
struct LoginPlan {
    let options: HostOptions
    /// The target's configuration (for the embedded sandbox, completed when it starts).
    let config: ClientConfiguration
    let profile: String?
    let embedded: Bool
    /// The store file: the one the configuration names, else the default one.
    let store: RefreshTokenStore
    /// Whether the configuration names that store (then the token goes into the file, never the keyring).
    let named: Bool

    /// Decides the target and the store, checking what would make the sign-in useless: no tenant
    /// or app id, a fixed access token, a store that cannot be written.
    /// - Throws: ``PartnerCenterError`` (`invalid_argument`): an input error, exit 2.
    init(_ options: HostOptions) throws {
        self.options = options
        switch try Session.choose(options, quiet: true) {
        case .remote(let config, let profile):
            self.config = config
            self.profile = profile
            embedded = false
        case .embedded(let config, _):
            self.config = config
            profile = nil
            embedded = true
        }
        let defaultPath = LoginStores.path(LoginStores.key(profile: profile, embedded: embedded, config: config), paths: options.paths)
        let path = embedded ? defaultPath : (config.refreshTokenStore ?? defaultPath)
        store = RefreshTokenStore(path: path)
        named = path != defaultPath
        try check()
    }

    /// Who is signed in, in words: `profile 'lab'`, `the embedded sandbox`, `PCX_ENDPOINT's Partner Center`.
    var targetName: String {
        if embedded { return "the embedded sandbox" }
        return profile.map { "profile '\($0)'" } ?? "PCX_ENDPOINT's Partner Center"
    }

    private func check() throws {
        func bad(_ message: String, _ hint: String) -> PartnerCenterError {
            PartnerCenterError(category: .invalidArgument, message: message, hint: hint)
        }
        let fix = profile.map { "pcx profile add \($0) --tenant TENANT --client-id APP_ID --force, or edit it in profiles.toml" }
            ?? "set PCX_TENANT_ID and PCX_CLIENT_ID, or use --profile NAME"
        if !embedded && (config.tenantId ?? "").isEmpty {
            throw bad("\(targetName) has no tenant: a device-code sign-in needs the partner tenant (tenant_id)", fix)
        }
        if !embedded && (config.clientId ?? "").isEmpty {
            throw bad("\(targetName) has no app id: a device-code sign-in needs the Entra app's client id (client_id)", fix)
        }
        if !embedded && config.accessToken != nil {
            throw bad("\(targetName) has a fixed access token (access_token or PCX_ACCESS_TOKEN): pcx would keep using it instead of the signed-in user's tokens",
                      "remove access_token from the profile (or unset PCX_ACCESS_TOKEN), then run pcx login --device-code again")
        }
        if let why = store.unwritableReason {
            throw bad("cannot keep the refresh token in \(store.path): \(why)",
                      named ? "point refresh_token_store (or PCX_REFRESH_TOKEN_STORE) at a file you can write" : "set PCX_DATA_DIR to a directory you can write")
        }
    }

    /// Signs in and stores the refresh token; the report to print, or the failure.
    func run() async -> Result<LoginReport, PartnerCenterError> {
        var config = self.config
        var sandbox: EmbeddedSandbox?
        var client: PartnerCenterClient?
        let result: Result<LoginReport, PartnerCenterError>
        do {
            if embedded {
                let started = try await EmbeddedSandbox.start(paths: options.paths, logLevel: options.logLevel)
                sandbox = started
                started.configure(&config)
            }
            let signer = try PartnerCenterClient(configuration: config)
            client = signer
            let work = Task { try await self.signIn(signer) }
            // Ctrl-C cancels the wait; once signed in, the token is stored whatever a first Ctrl-C says
            let (signedIn, place) = try await InterruptHandler.shared.run(cancelling: { work.cancel() }) {
                let signedIn = try await work.value
                return (signedIn, try keep(signedIn.refreshToken))
            }
            result = .success(LoginReport(plan: self, config: config, signIn: signedIn, place: place))
        } catch {
            result = .failure((raisable(error) as? PartnerCenterError) ?? PartnerCenterError(category: .scriptError, message: "\(error)"))
        }
        try? await client?.shutdown()
        await sandbox?.shutdown()
        return result
    }

    /// Asks for a device code, shows the message, waits for the user.
    private func signIn(_ client: PartnerCenterClient) async throws -> DeviceCodeSignIn {
        let challenge = try await client.requestDeviceCode()
        let prompt = LoginPrompt(options: options, challenge: challenge, target: targetName, config: client.configuration)
        prompt.start()
        defer { prompt.finish() }
        return try await client.awaitDeviceCodeSignIn(challenge) { prompt.show($0) }
    }

    /// Where the refresh token went.
    enum Place {
        /// The store file; `keyringNotUsed`: why the keyring was not (nil when the configuration names the file).
        case file(path: String, keyringNotUsed: String?)
        /// The Secret Service item `item`, named by the store file `reference`.
        case keyring(item: String, reference: String)
    }

    /// Keeps `token`: in the file the configuration names; else in the Secret Service keyring
    /// when one answers and takes it (the default store file then names the item); else in the
    /// default store file.
    /// - Throws: ``PartnerCenterError`` when the file cannot be written (the token is then lost).
    private func keep(_ token: Secret) throws -> Place {
        let keyring = SecretServiceKeyring(environment: options.environment)
        var why: String?
        if !named {
            if let reason = keyring.unavailableReason() {
                why = reason
            } else {
                var item = UUID().uuidString.lowercased()
                if case .keyring(let existing) = store.content { item = existing }
                do {
                    try keyring.store(item: item, label: store.keyringLabel, secret: token.reveal())
                    try store.writeKeyringReference(item: item)
                    return .keyring(item: item, reference: store.path)
                } catch let failure as SecretServiceKeyring.Failure {
                    why = "the keyring did not take it: \(failure)"
                } catch {
                    throw notStored(error)
                }
            }
        }
        if case .keyring(let old) = store.content { try? keyring.clear(item: old) }
        do {
            try store.writeToken(token.reveal())
        } catch {
            throw notStored(error)
        }
        return .file(path: store.path, keyringNotUsed: why)
    }

    private func notStored(_ error: any Error) -> PartnerCenterError {
        PartnerCenterError(category: .invalidArgument,
                           message: "signed in, but the refresh token could not be written to \(store.path): \(error.localizedDescription); nothing was stored",
                           hint: named ? "point refresh_token_store (or PCX_REFRESH_TOKEN_STORE) at a file you can write, then sign in again"
                                       : "set PCX_DATA_DIR to a directory you can write, then sign in again")
    }
}
