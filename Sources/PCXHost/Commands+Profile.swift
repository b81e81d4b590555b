import Foundation
import Logging
import PartnerCenter

/// What `pcx profile add` writes: one `[profile.NAME]` table appended to `profiles.toml`.
public struct ProfileAddRequest: Sendable {
    /// The profile's name (letters, digits, `_` and `-`).
    public var name: String
    /// The partner's tenant: a GUID or a domain such as `contoso.onmicrosoft.com`.
    public var tenant: String
    /// The Entra application (client) id, a GUID.
    public var clientId: String
    /// Partner Center's base URL; nil for the production endpoint.
    public var endpoint: String?
    /// The token host; nil for `https://login.microsoftonline.com`.
    public var authority: String?
    /// `v1` or `v2` token endpoint; nil for the default (v1).
    public var tokenVersion: String?
    /// The file holding an App+User refresh token (pcx keeps the rotated one there).
    public var refreshTokenStore: String?
    /// Read the client secret from standard input (a pipe, or typed at the terminal unechoed)
    /// and write it into the profile (the file is mode 0600).
    public var clientSecretFromStdin: Bool
    /// Replace a profile of the same name.
    public var force: Bool

    /// Creates a request.
    public init(name: String, tenant: String, clientId: String, endpoint: String? = nil, authority: String? = nil,
                tokenVersion: String? = nil, refreshTokenStore: String? = nil, clientSecretFromStdin: Bool = false,
                force: Bool = false) {
        self.name = name
        self.tenant = tenant
        self.clientId = clientId
        self.endpoint = endpoint
        self.authority = authority
        self.tokenVersion = tokenVersion
        self.refreshTokenStore = refreshTokenStore
        self.clientSecretFromStdin = clientSecretFromStdin
        self.force = force
    }
}

extension PCXCommands {
    // MARK: - pcx profile list

    /// `pcx profile list`: every profile in `profiles.toml` with its endpoint, tenant and sign-in,
    /// the one pcx uses without `--profile` marked. A bad file is an input error (exit 2).
    public static func profileList(json: Bool, options: HostOptions) -> Int32 {
        let setup = ProfileSetup(options)
        let file: ProfileFile?
        do {
            file = try setup.readFile()
        } catch {
            return setup.report(error, json: json)
        }
        let defaultName = setup.automaticProfile(file)
        var rows: [ProfileSummary] = []
        for name in file?.names ?? [] {
            do {
                let config = try setup.configuration(profile: name)
                let signIn = SignIn(config, environment: options.environment, profile: file?.profiles[name])
                rows.append(ProfileSummary(
                    name: name, line: file?.profiles[name]?.line ?? 0, isDefault: name == defaultName,
                    target: TargetKind(endpoint: config.endpoint, embedded: false).rawValue,
                    endpoint: config.endpoint, tenant_id: config.tenantId, client_id: config.clientId,
                    sign_in: signIn.kind.rawValue, credential: signIn.credential))
            } catch {
                return setup.report(error, json: json)
            }
        }
        setup.warnIfReadableByOthers(file)
        let overrides = setup.environmentOverrides
        if options.output == .csv || options.output == .tsv {
            print(ProfileSummary.rows(rows).render(options.output), terminator: "")
            return ExitCode.ok.rawValue
        }
        if json {
            let view = ProfileListView(file: setup.path, exists: file != nil, default: defaultName, default_reason: setup.defaultReason(file),
                                       environment_overrides: overrides, profiles: rows)
            print((try? encodeJSON(view)) ?? "{}")
            return ExitCode.ok.rawValue
        }
        guard let file, !file.profiles.isEmpty else {
            print("no profiles in \(visible(setup.path))\(file == nil ? " (the file does not exist)" : ""): \(visible(setup.targetWithoutProfiles))")
            print("add one: pcx profile add NAME --tenant TENANT --client-id APP_ID [--endpoint URL] [--client-secret-stdin]")
            return ExitCode.ok.rawValue
        }
        print(textTable(header: ["NAME", "DEFAULT", "TARGET", "ENDPOINT", "TENANT", "SIGN-IN"], rows: rows.map {
            [$0.name, $0.isDefault ? "yes" : "", $0.target, $0.endpoint, $0.tenant_id ?? "(not set)", $0.signInLabel]
        }))
        print("")
        print("file: \(visible(setup.path))")
        print("default: \(visible(setup.defaultReason(file)))")
        if !overrides.isEmpty {
            print("environment: \(overrides.joined(separator: ", ")) set, overriding every profile (shown with them)")
        }
        return ExitCode.ok.rawValue
    }

    // MARK: - pcx profile show

    /// `pcx profile show NAME`: one profile's settings, where each comes from (the file, a `PCX_*`
    /// variable, the default) and how pcx signs in; secrets are never shown, only where they come
    /// from. An unknown profile or a bad file is an input error (exit 2).
    public static func profileShow(name: String, json: Bool, options: HostOptions) -> Int32 {
        let setup = ProfileSetup(options)
        let file: ProfileFile?
        let config: ClientConfiguration
        do {
            file = try setup.readFile()
            config = try setup.configuration(profile: name)
        } catch {
            return setup.report(error, json: json)
        }
        guard let file, let profile = file.profiles[name] else {
            return setup.report(PartnerCenterError(category: .invalidArgument, message: "profile '\(name)' is not in \(setup.path)"), json: json)
        }
        setup.warnIfReadableByOthers(file)
        let signIn = SignIn(config, environment: options.environment, profile: profile)
        let target = TargetKind(endpoint: config.endpoint, embedded: false)
        let settings = ProfileSetting.all(profile: profile, config: config, environment: options.environment)
        let isDefault = setup.automaticProfile(file) == name
        if options.output == .csv || options.output == .tsv {
            print(ProfileSetting.rows(settings).render(options.output), terminator: "")
            return ExitCode.ok.rawValue
        }
        if json {
            let view = ProfileShowView(name: name, file: setup.path, line: profile.line, default: isDefault, target: target.rawValue,
                                       sign_in: SignInView(signIn), settings: settings)
            print((try? encodeJSON(view)) ?? "{}")
            return ExitCode.ok.rawValue
        }
        print("profile '\(visible(name))' in \(visible(setup.path)), line \(profile.line)\(isDefault ? " (the default profile)" : "")")
        print("target: \(target.sentence(endpoint: config.endpoint, embedded: false))")
        print("sign-in: \(signIn.kind.label): \(visible(signIn.credential))")
        print("")
        print(textTable(header: ["SETTING", "VALUE", "FROM"], rows: settings.map { [$0.key, $0.shown, $0.from] }))
        return ExitCode.ok.rawValue
    }

    // MARK: - pcx profile add

    /// `pcx profile add NAME --tenant T --client-id C ...`: appends a `[profile.NAME]` table to
    /// `profiles.toml` (a temporary file, then a rename; mode 0600), after checking every value
    /// and that the result reads back. A client secret is never taken on the command line: with
    /// `--client-secret-stdin` it is read from standard input, else the profile has none and
    /// pcx uses `PCX_CLIENT_SECRET`. An existing name needs `--force`.
    public static func profileAdd(_ request: ProfileAddRequest, json: Bool, options: HostOptions) -> Int32 {
        let setup = ProfileSetup(options)
        if let problem = ProfileSetup.validate(request) { return problem.print(json: json) }
        var text = ""
        var replaced = false
        let exists = FileManager.default.fileExists(atPath: setup.path)
        if exists {
            do {
                let file = try setup.readFile()
                text = try setup.readText()
                if let existing = file?.profiles[request.name] {
                    guard request.force else {
                        return ErrorReport.input(
                            "profile '\(request.name)' is already in \(setup.path) (line \(existing.line))",
                            hint: "pick another name, or add --force to replace it (pcx profile show \(request.name) shows it)").print(json: json)
                    }
                    text = try ProfileFile.removing(profile: request.name, from: text, path: setup.path)
                    replaced = true
                }
            } catch {
                return setup.report(error, json: json)
            }
        }
        let (values, problem) = profileValues(request)
        if let problem { return problem.print(json: json) }
        while text.hasSuffix("\n\n") { text.removeLast() }
        if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
        let newText = text + (text.isEmpty ? "" : "\n") + ProfileFile.tomlTable(name: request.name, values: values)
        do {
            // what is written must read back as the profile asked for
            let check = try ProfileFile(parsing: newText, path: setup.path)
            guard let written = check.profiles[request.name] else {
                throw PartnerCenterError(category: .invalidArgument, message: "the new profile did not read back from \(setup.path)")
            }
            try ClientConfiguration().applying(written, path: setup.path).validate()
            try ProfileSetup.writeAtomically(newText, to: setup.path)
        } catch {
            return setup.report(error, json: json)
        }
        return printAdded(request, replaced: replaced, setup: setup, json: json)
    }

    /// The keys `pcx profile add` writes, in order (the client secret read from standard input).
    private static func profileValues(_ request: ProfileAddRequest) -> ([(key: String, value: ProfileFile.Value)], ErrorReport?) {
        var values: [(key: String, value: ProfileFile.Value)] = [
            ("endpoint", .string(request.endpoint ?? partnerCenterProductionEndpoint)),
        ]
        if let authority = request.authority { values.append(("authority", .string(authority))) }
        values.append(("tenant_id", .string(request.tenant)))
        values.append(("client_id", .string(request.clientId)))
        if request.clientSecretFromStdin {
            let input = SecretInput.read(prompt: "client secret for profile '\(request.name)' (not echoed): ")
            guard let secret = input.secret else { return ([], input.problem ?? .input("--client-secret-stdin: no secret read")) }
            values.append(("client_secret", .string(secret)))
        }
        if let store = request.refreshTokenStore { values.append(("refresh_token_store", .string(ProfileSetup.absolute(store)))) }
        if let version = request.tokenVersion { values.append(("token_version", .string(version.lowercased()))) }
        return (values, nil)
    }

    /// What `pcx profile add` prints once the profile is written.
    private static func printAdded(_ request: ProfileAddRequest, replaced: Bool, setup: ProfileSetup, json: Bool) -> Int32 {
        let config = (try? setup.configuration(profile: request.name)) ?? ClientConfiguration()
        let written = (try? setup.readFile())?.profiles[request.name]
        let signIn = SignIn(config, environment: setup.options.environment, profile: written)
        let target = TargetKind(endpoint: config.endpoint, embedded: false)
        let becameDefault = setup.automaticProfile(try? setup.readFile()) == request.name
        if json {
            let view = ProfileAddView(name: request.name, file: setup.path, line: written?.line ?? 0, replaced: replaced,
                                      default: becameDefault, target: target.rawValue, sign_in: SignInView(signIn))
            print((try? encodeJSON(view)) ?? "{}")
            return ExitCode.ok.rawValue
        }
        print("\(replaced ? "replaced" : "added") profile '\(request.name)' in \(visible(setup.path)) (mode 0600)")
        print("target: \(target.sentence(endpoint: config.endpoint, embedded: false))")
        print("sign-in: \(signIn.kind.label): \(visible(signIn.credential))")
        if becameDefault {
            print("default: pcx now uses this profile when no --profile or --sandbox is given")
        }
        print("check it: pcx whoami --profile \(request.name)")
        return ExitCode.ok.rawValue
    }
}

// MARK: - Shared pieces

/// Where the profile file is, and how the profile commands read it and report problems.
struct ProfileSetup {
    let options: HostOptions
    /// `PCX_PROFILE_FILE`, else `profiles.toml` in the configuration directory (as `pcx run`).
    let path: String

    init(_ options: HostOptions) {
        self.options = options
        path = options.environment["PCX_PROFILE_FILE"].flatMap { $0.isEmpty ? nil : $0 } ?? options.paths.profiles.path
    }

    /// The parsed file, or nil when it does not exist.
    func readFile() throws -> ProfileFile? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try ProfileFile(contentsOf: path)
    }

    /// The file's text (it exists and parsed).
    func readText() throws -> String {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw PartnerCenterError(category: .invalidArgument, message: "cannot read profile file \(path)")
        }
        return text
    }

    /// The profile's configuration as `pcx run --profile NAME` would load it (the environment on top).
    func configuration(profile: String) throws -> ClientConfiguration {
        var base = ClientConfiguration()
        base.logger = .init(label: "pcx", factory: { _ in SwiftLogNoOpLogHandler() })
        var config = try ClientConfiguration.load(profile: profile, profileFile: path, environment: options.environment, base: base)
        try config.validate()
        LoginStores.applyDefault(&config, key: LoginStores.key(profile: profile, embedded: false, config: config), paths: options.paths)
        return config
    }

    /// The profile `pcx run` uses with neither `--profile` nor `--sandbox`, as ``Session/choose(_:quiet:)``
    /// decides: none when `PCX_ENDPOINT` is set, else `PCX_PROFILE`, else `default` when the file has it.
    func automaticProfile(_ file: ProfileFile?) -> String? {
        let env = options.environment
        if let endpoint = env["PCX_ENDPOINT"], !endpoint.isEmpty { return nil }
        if let named = env["PCX_PROFILE"], !named.isEmpty { return file?.profiles[named] != nil ? named : nil }
        return file?.profiles["default"] != nil ? "default" : nil
    }

    /// Why that profile (or none) is the default, in words.
    func defaultReason(_ file: ProfileFile?) -> String {
        let env = options.environment
        if let endpoint = env["PCX_ENDPOINT"], !endpoint.isEmpty {
            return "none: PCX_ENDPOINT is set, so pcx uses the PCX_* variables unless given --profile NAME"
        }
        if let named = env["PCX_PROFILE"], !named.isEmpty {
            return file?.profiles[named] != nil
                ? "'\(named)' (PCX_PROFILE)"
                : "PCX_PROFILE names '\(named)', which is not in the file: pcx stops with an error unless given --profile NAME or --sandbox"
        }
        if file?.profiles["default"] != nil { return "'default' (the profile named default)" }
        return "none: pcx uses the embedded sandbox unless given --profile NAME (or PCX_PROFILE, or a profile named default)"
    }

    /// A URL without its `user:password@` part, for showing.
    func withoutUserInfo(_ url: String) -> String {
        guard var parts = URLComponents(string: url), parts.user != nil || parts.password != nil else { return url }
        parts.user = nil
        parts.password = nil
        return parts.string ?? url
    }

    /// What `pcx run` talks to when the file has no profile and no option chooses: the `PCX_*`
    /// variables when `PCX_ENDPOINT` is set, an error when `PCX_PROFILE` names a profile, else the
    /// embedded sandbox.
    var targetWithoutProfiles: String {
        let env = options.environment
        if let endpoint = env["PCX_ENDPOINT"], !endpoint.isEmpty {
            return "pcx uses PCX_ENDPOINT (\(withoutUserInfo(endpoint))) and the other PCX_* variables"
        }
        if let named = env["PCX_PROFILE"], !named.isEmpty {
            return "PCX_PROFILE names '\(named)', so pcx stops with an error unless given --sandbox"
        }
        return "pcx uses the embedded sandbox"
    }

    /// The `PCX_*` variables that override what profiles say (`PCX_ENDPOINT` aside: it chooses).
    var environmentOverrides: [String] {
        ["PCX_AUTHORITY", "PCX_TENANT_ID", "PCX_CLIENT_ID", "PCX_CLIENT_SECRET", "PCX_REFRESH_TOKEN", "PCX_REFRESH_TOKEN_STORE",
         "PCX_ACCESS_TOKEN", "PCX_TOKEN_VERSION", "PCX_GRAPH_ENDPOINT", "PCX_LOCALE", "PCX_EXCLUDED_MARKETS"]
            .filter { !(options.environment[$0]?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ?? true) }
    }

    /// Warns once when the file holds secrets and other users may read it.
    func warnIfReadableByOthers(_ file: ProfileFile?) {
        guard let file, file.profiles.values.contains(where: { $0.values.keys.contains(where: ProfileFile.isSecretKey) }),
              let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? NSNumber,
              mode.intValue & 0o077 != 0 else { return }
        CLILogHandler.notice("warning: profile file holds secrets but is readable by other users; run: chmod 600 \(visible(path)) (mode=\(String(mode.intValue, radix: 8)))",
                             level: .warning, format: options.logFormat)
    }

    /// Prints a configuration problem as `pcx run` does before a script (`invalid_argument`,
    /// exit 2) and returns the status.
    func report(_ error: any Error, json: Bool) -> Int32 {
        var report = ErrorReport((raisable(error) as? PartnerCenterError) ?? PartnerCenterError(category: .invalidArgument, message: "\(error)"))
        report.exitStatus = ExitCode.usage.rawValue
        return report.print(json: json)
    }

    /// A path made absolute (from the working directory) with `~` expanded.
    static func absolute(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return (expanded as NSString).standardizingPath }
        return (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(expanded)
    }

    /// Checks `pcx profile add`'s values: an input error naming the option and the fix, or nil.
    static func validate(_ r: ProfileAddRequest) -> ErrorReport? {
        let name = r.name.unicodeScalars
        if name.isEmpty || name.count > 64 || !name.allSatisfy({
            ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-"
        }) {
            return .input("profile name '\(r.name)' is not valid: use 1 to 64 letters, digits, '_' or '-'",
                          hint: "e.g. pcx profile add prod --tenant contoso.onmicrosoft.com --client-id 00000000-0000-0000-0000-000000000000")
        }
        let guid = #"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"#
        let domain = #"^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))+$"#
        if r.tenant.range(of: guid, options: .regularExpression) == nil && r.tenant.range(of: domain, options: .regularExpression) == nil {
            return .input("--tenant '\(r.tenant)' is not a tenant: give the partner tenant's id (a GUID) or its domain",
                          hint: "e.g. --tenant contoso.onmicrosoft.com or --tenant 8b3f2c1d-0000-4000-8000-000000000000")
        }
        if r.clientId.range(of: guid, options: .regularExpression) == nil {
            return .input("--client-id '\(r.clientId)' is not an application id: give the Entra app's client id (a GUID)",
                          hint: "find it in the Entra admin center under App registrations, e.g. --client-id 00000000-0000-0000-0000-000000000000")
        }
        for (option, value) in [("--endpoint", r.endpoint), ("--authority", r.authority)] {
            guard let value else { continue }
            guard let url = URL(string: value), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  url.host?.isEmpty == false else {
                return .input("\(option) '\(value)' is not an absolute http(s) URL",
                              hint: option == "--endpoint"
                                  ? "e.g. --endpoint https://api.partnercenter.microsoft.com (the default), or http://127.0.0.1:8080 for pcx sandbox serve"
                                  : "e.g. --authority https://login.microsoftonline.com (the default)")
            }
        }
        if let version = r.tokenVersion, !["v1", "v2"].contains(version.lowercased()) {
            return .input("--token-version '\(version)' is not valid: it takes v1 or v2", hint: "leave it out for v1, the endpoint Partner Center documents")
        }
        if let store = r.refreshTokenStore {
            var isDirectory: ObjCBool = false
            let path = absolute(store)
            if store.isEmpty || (FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue) {
                return .input("--refresh-token-store '\(store)' is not a file path\(store.isEmpty ? "" : ": it is a directory")",
                              hint: "give the file that holds the App+User refresh token (mode 0600), e.g. ~/.local/share/pcx/refresh-token")
            }
        }
        return nil
    }

    /// Writes `text` to `path` through a temporary file in the same directory and a rename, mode
    /// 0600 (the file may hold secrets); creates the directory (0700) when missing. A symbolic
    /// link is followed, so the file it points to is replaced.
    static func writeAtomically(_ text: String, to path: String) throws {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let directory = (target as NSString).deletingLastPathComponent
        try PCXPaths.ensureDirectory(URL(fileURLWithPath: directory))
        let temporary = (directory as NSString).appendingPathComponent(".\((target as NSString).lastPathComponent).tmp-\(UUID().uuidString.prefix(8))")
        func failure(_ what: String) -> PartnerCenterError {
            PartnerCenterError(category: .invalidArgument, message: "cannot write \(path): \(what) (\(String(cString: strerror(errno))))",
                               hint: "make \(directory) writable, or point PCX_PROFILE_FILE (or PCX_CONFIG_DIR) elsewhere")
        }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("cannot create a temporary file there") }
        var ok = fchmod(fd, 0o600) == 0
        var bytes = Array(text.utf8)[...]
        while ok && !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n > 0 { bytes = bytes.dropFirst(n) } else if n < 0 && errno == EINTR { continue } else { ok = false }
        }
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok else {
            unlink(temporary)
            throw failure("writing failed")
        }
        guard rename(temporary, target) == 0 else {
            let error = failure("cannot replace the file")
            unlink(temporary)
            throw error
        }
    }
}

/// Which kind of Partner Center an endpoint is.
enum TargetKind: String {
    /// The embedded sandbox, or a sandbox on a loopback address (`pcx sandbox serve`).
    case sandbox
    /// Partner Center's production endpoint: real purchases.
    case production
    /// Anything else: not Partner Center's production endpoint.
    case other

    /// The endpoint's kind (`embedded`: the in-process sandbox).
    init(endpoint: String, embedded: Bool) {
        if embedded { self = .sandbox; return }
        let host = URL(string: endpoint)?.host?.lowercased() ?? ""
        if host == URL(string: partnerCenterProductionEndpoint)?.host { self = .production; return }
        self = ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host) || host.hasPrefix("127.") ? .sandbox : .other
    }

    /// The kind in words (`embedded`: the in-process sandbox).
    func sentence(endpoint: String, embedded: Bool) -> String {
        switch self {
        case .production: return "PRODUCTION Partner Center: purchases are real"
        case .sandbox where embedded: return "sandbox: the embedded sandbox, in-process; nothing real is bought"
        case .sandbox: return "sandbox: a loopback endpoint (pcx sandbox serve or another local server); not production"
        case .other: return "not production: \(URL(string: endpoint)?.host ?? endpoint) is not Partner Center's production endpoint"
        }
    }
}

/// How pcx signs in with a configuration, and where its credential comes from (never the credential).
struct SignIn {
    enum Kind: String {
        case appUser = "app+user"
        case appOnly = "app-only"
        case accessToken = "access-token"

        var label: String {
            switch self {
            case .appUser: return "App+User (delegated)"
            case .appOnly: return "App-only (client credentials)"
            case .accessToken: return "Fixed access token"
            }
        }
    }

    var kind: Kind
    /// Where the credential comes from, or what is missing.
    var credential: String

    init(kind: Kind, credential: String) {
        self.kind = kind
        self.credential = credential
    }

    /// As the token provider will sign in with `config`: a fixed access token, else a refresh
    /// token (the store's when it holds one), else the client secret.
    init(_ config: ClientConfiguration, environment: [String: String], profile: ProfileFile.Profile?) {
        func source(_ key: String, _ variable: String) -> String {
            if !(environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ?? true) { return "from \(variable)" }
            if let line = profile?.lines[key] { return "in the profile (line \(line))" }
            return "configured"
        }
        if config.accessToken != nil {
            kind = .accessToken
            credential = "\(source("access_token", "PCX_ACCESS_TOKEN")), used as it is (never renewed)"
            return
        }
        let store = config.refreshTokenStore
        let content = store.map { RefreshTokenStore(path: $0).content } ?? .empty
        if let store, case .keyring(let item) = content {
            kind = .appUser
            credential = "refresh token in the Secret Service keyring (item \(item), named by \(store); pcx keeps the rotated token there)"
        } else if let store, content != .empty {
            kind = .appUser
            credential = "refresh token from the store \(store) (pcx keeps the rotated token there)"
        } else if config.refreshToken != nil {
            kind = .appUser
            credential = "refresh token \(source("refresh_token", "PCX_REFRESH_TOKEN"))"
                + (store.map { "; rotated tokens are kept in \($0)" } ?? "")
        } else if config.clientSecret != nil {
            kind = .appOnly
            credential = "client secret \(source("client_secret", "PCX_CLIENT_SECRET"))"
                + (store.map { "; the refresh-token store \($0) is empty or missing" } ?? "")
        } else {
            kind = .appOnly
            credential = "no client secret: set PCX_CLIENT_SECRET when you run pcx, add it with pcx profile add NAME ... --client-secret-stdin --force, or sign in as a user: pcx login --device-code"
                + (store.map { "; or put an App+User refresh token in \($0)" } ?? "")
        }
    }
}

/// One row of `pcx profile show`: a setting's value (secrets never) and where it comes from.
struct ProfileSetting: Encodable {
    let key: String
    /// The value, nil for a secret or an unset setting.
    let value: String?
    let secret: Bool
    let set: Bool
    /// `profile`, a `PCX_*` variable, `default`, or empty when not set.
    let source: String
    /// The file's line, when the profile sets it.
    let line: Int?

    /// What the VALUE column shows.
    var shown: String {
        if !set { return "(not set)" }
        return secret ? "set (not shown)" : value ?? ""
    }

    /// What the FROM column shows.
    var from: String {
        if source == "profile", let line { return "profile, line \(line)" }
        return source
    }

    /// The identity settings, always listed, then the profile's other keys in file order.
    static func all(profile: ProfileFile.Profile, config: ClientConfiguration, environment: [String: String]) -> [ProfileSetting] {
        func envSet(_ name: String) -> Bool { !(environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ?? true) }
        func row(_ key: String, _ variable: String, _ value: String?, secret: Bool = false, isSet: Bool? = nil) -> ProfileSetting {
            let present = isSet ?? (value != nil)
            let source = envSet(variable) ? variable : (profile.values[key] != nil ? "profile" : (present ? "default" : ""))
            return ProfileSetting(key: key, value: secret ? nil : value, secret: secret, set: present, source: source,
                                  line: source == "profile" ? profile.lines[key] : nil)
        }
        var rows = [
            row("endpoint", "PCX_ENDPOINT", config.endpoint),
            row("authority", "PCX_AUTHORITY", config.authority),
            row("graph_endpoint", "PCX_GRAPH_ENDPOINT", config.graphEndpoint),
            row("tenant_id", "PCX_TENANT_ID", config.tenantId),
            row("client_id", "PCX_CLIENT_ID", config.clientId),
            row("client_secret", "PCX_CLIENT_SECRET", nil, secret: true, isSet: config.clientSecret != nil),
            row("refresh_token", "PCX_REFRESH_TOKEN", nil, secret: true, isSet: config.refreshToken != nil),
            row("refresh_token_store", "PCX_REFRESH_TOKEN_STORE", config.refreshTokenStore),
            row("access_token", "PCX_ACCESS_TOKEN", nil, secret: true, isSet: config.accessToken != nil),
            row("token_version", "PCX_TOKEN_VERSION", config.tokenEndpointVersion.rawValue),
        ]
        let listed = Set(rows.map(\.key))
        let others = profile.values.keys.filter { !listed.contains($0) }.sorted { (profile.lines[$0] ?? 0, $0) < (profile.lines[$1] ?? 0, $1) }
        for key in others {
            let value = profile.values[key]!
            if key == "locale" && envSet("PCX_LOCALE") {
                rows.append(row(key, "PCX_LOCALE", config.locale))
            } else if key == "excluded_markets" && envSet("PCX_EXCLUDED_MARKETS") {
                rows.append(row(key, "PCX_EXCLUDED_MARKETS", ProfileFile.tomlValue(.array(config.marketPolicy.excludedMarkets.sorted().map { .string($0) }))))
            } else {
                let secret = ProfileFile.isSecretKey(key)
                rows.append(ProfileSetting(key: key, value: secret ? nil : ProfileFile.tomlValue(value), secret: secret, set: true,
                                           source: "profile", line: profile.lines[key]))
            }
        }
        return rows
    }
}

/// Reads a secret from standard input: a pipe (its first line), or the terminal without echo.
enum SecretInput {
    static func read(prompt: String) -> (secret: String?, problem: ErrorReport?) {
        let usage = "printf '%s' \"$SECRET\" | pcx profile add NAME --tenant … --client-id … --client-secret-stdin"
        let text: String
        if isatty(0) != 0 {
            printError(prompt, newline: false)
            text = Terminal.readLineUnechoed() ?? ""
            printError("")
        } else {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard lines.count <= 1 else {
            return (nil, .input("--client-secret-stdin: standard input holds more than one line; give the secret alone", hint: usage))
        }
        let secret = (lines.first ?? "").trimmingCharacters(in: .whitespaces)
        guard !secret.isEmpty else {
            return (nil, .input("--client-secret-stdin: standard input is empty; give the client secret there", hint: usage))
        }
        return (secret, nil)
    }
}

/// The terminal's echo turned off while a secret is typed, and back on whatever happens (an
/// exit on Ctrl-C included).
enum Terminal {
    nonisolated(unsafe) private static var saved = termios()
    nonisolated(unsafe) private static var changed = false

    static func readLineUnechoed() -> String? {
        guard tcgetattr(0, &saved) == 0 else { return readLine() }
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        atexit { Terminal.restore() }
        changed = tcsetattr(0, TCSANOW, &quiet) == 0
        defer { restore() }
        return readLine(strippingNewline: true)
    }

    static func restore() {
        guard changed else { return }
        changed = false
        tcsetattr(0, TCSANOW, &saved)
    }
}

// MARK: - JSON views

struct ProfileSummary: Encodable {
    let name: String
    let line: Int
    let isDefault: Bool
    let target: String
    let endpoint: String
    let tenant_id: String?
    let client_id: String?
    let sign_in: String
    let credential: String

    var signInLabel: String {
        switch SignIn.Kind(rawValue: sign_in) {
        case .appUser: return "App+User"
        case .accessToken: return "access token"
        case .appOnly: return credential.hasPrefix("no client secret") ? "App-only (no secret)" : "App-only"
        case nil: return sign_in
        }
    }

    enum CodingKeys: String, CodingKey {
        case name, line, isDefault = "default", target, endpoint, tenant_id, client_id, sign_in, credential
    }
}

struct ProfileListView: Encodable {
    let file: String
    let exists: Bool
    let `default`: String?
    let default_reason: String
    let environment_overrides: [String]
    let profiles: [ProfileSummary]

    func encode(to encoder: any Encoder) throws {
        // `default` is always there, null when no profile is the default
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(file, forKey: .file)
        try c.encode(exists, forKey: .exists)
        try c.encode(self.default, forKey: .default)
        try c.encode(default_reason, forKey: .default_reason)
        try c.encode(environment_overrides, forKey: .environment_overrides)
        try c.encode(profiles, forKey: .profiles)
    }

    enum CodingKeys: String, CodingKey { case file, exists, `default`, default_reason, environment_overrides, profiles }
}

struct SignInView: Encodable {
    let kind: String
    let credential: String
    init(_ s: SignIn) {
        kind = s.kind.rawValue
        credential = s.credential
    }
}

struct ProfileShowView: Encodable {
    let name: String
    let file: String
    let line: Int
    let `default`: Bool
    let target: String
    let sign_in: SignInView
    let settings: [ProfileSetting]
}

struct ProfileAddView: Encodable {
    let name: String
    let file: String
    let line: Int
    let replaced: Bool
    let `default`: Bool
    let target: String
    let sign_in: SignInView
}
