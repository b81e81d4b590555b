import Foundation
import PartnerCenter

/// What `pcx login` shows on stderr while the user signs in: the identity platform's message
/// (the page and the code), that it waits, and what changes (a slower interval, a poll to
/// repeat). On a terminal (or with `PCX_PROGRESS=1`) a line redrawn at each poll shows the time
/// waited; with `--json` the message is one JSON line. The device code is never shown.
final class LoginPrompt: Sendable {
    private let json: Bool
    private let challenge: DeviceCodeChallenge
    private let header: String
    private let waitLine: WaitLine
    private let started = Date()

    init(options: HostOptions, challenge: DeviceCodeChallenge, target: String, config: ClientConfiguration) {
        json = options.json
        self.challenge = challenge
        header = "pcx: signing in to \(target) (tenant \(config.tenantId ?? "?"), app \(config.clientId ?? "?")) with a device code"
        let forced = options.environment["PCX_PROGRESS"].flatMap { $0.isEmpty ? nil : $0 }
        waitLine = WaitLine(enabled: !options.json && (forced.map { $0 != "0" } ?? (isatty(2) != 0)))
    }

    /// The message and the waiting line.
    func start() {
        if json {
            printError(jsonLine("sign_in", [
                "message": .string(challenge.message), "user_code": .string(challenge.userCode),
                "verification_uri": .string(challenge.verificationURI), "expires_in": .int(challenge.expiresIn),
                "interval": .int(challenge.interval)]))
            return
        }
        printError(visible(header))
        printError(visible(challenge.message))
        printError("pcx: waiting for the sign-in (the code expires in \(Self.minutes(challenge.expiresIn)); Ctrl-C stops)")
        waitLine.show("waiting for the sign-in at \(visible(challenge.verificationURI))...")
    }

    /// One event of the wait.
    func show(_ progress: DeviceCodeProgress) {
        switch progress {
        case .pending:
            let waited = Int(Date().timeIntervalSince(started))
            let left = Int(challenge.expiresAt.timeIntervalSinceNow)
            waitLine.show("waiting for the sign-in: \(waited) s so far, the code expires in \(Self.minutes(left))...")
        case .slowDown(let interval):
            say("the sign-in service asked pcx to poll less often: every \(interval) s from now on",
                json: ["event": .string("slow_down"), "interval": .int(interval)])
        case .retrying(let reason):
            say("asking the sign-in service again after a failed poll (\(reason))",
                json: ["event": .string("retrying"), "reason": .string(reason)])
        }
    }

    /// Clears the waiting line.
    func finish() { waitLine.clear() }

    private func say(_ text: String, json fields: [String: Field]) {
        if json {
            printError(jsonLine("sign_in_progress", fields))
            return
        }
        waitLine.clear()
        printError("pcx: " + visible(text))
    }

    enum Field { case string(String), int(Int) }

    private func jsonLine(_ name: String, _ fields: [String: Field]) -> String {
        let body = fields.keys.sorted().map { key -> String in
            switch fields[key]! {
            case .string(let text): return jsonString(key) + ":" + jsonString(text)
            case .int(let number): return jsonString(key) + ":\(number)"
            }
        }
        return "{\(jsonString(name)):{" + body.joined(separator: ",") + "}}"
    }

    /// `15 min`, `45 s`.
    static func minutes(_ seconds: Int) -> String {
        seconds >= 120 ? "\(Int((Double(seconds) / 60).rounded())) min" : "\(max(0, seconds)) s"
    }
}

/// What `pcx login` prints on stdout once signed in (never a token).
struct LoginReport: Encodable {
    let signed_in: Bool
    let target: String
    let embedded: Bool
    let profile: String?
    let tenant: String?
    let app_id: String?
    let user: String?
    let token: TokenView
    let store: StoreView
    let keyring_not_used: String?
    let next: String

    struct StoreView: Encodable {
        let kind: String
        let path: String
        let item: String?
        let named_by_configuration: Bool
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(kind, forKey: .kind)
            try c.encode(path, forKey: .path)
            try c.encode(item, forKey: .item)
            try c.encode(named_by_configuration, forKey: .named_by_configuration)
        }
        enum CodingKeys: String, CodingKey { case kind, path, item, named_by_configuration }
    }

    init(plan: LoginPlan, config: ClientConfiguration, signIn: DeviceCodeSignIn, place: LoginPlan.Place) {
        signed_in = true
        target = TargetKind(endpoint: config.endpoint, embedded: plan.embedded).rawValue
        embedded = plan.embedded
        profile = plan.profile
        tenant = config.tenantId
        app_id = config.clientId
        user = signIn.token.user
        token = TokenView(signIn.token, now: Date())
        switch place {
        case .file(let path, let why):
            store = StoreView(kind: "file", path: path, item: nil, named_by_configuration: plan.named)
            keyring_not_used = why
        case .keyring(let item, let reference):
            store = StoreView(kind: "secret-service", path: reference, item: item, named_by_configuration: false)
            keyring_not_used = nil
        }
        next = plan.embedded ? "pcx whoami --sandbox" : plan.profile.map { "pcx whoami --profile \($0)" } ?? "pcx whoami"
        self.targetName = plan.targetName
    }

    private let targetName: String

    enum CodingKeys: String, CodingKey {
        case signed_in, target, embedded, profile, tenant, app_id, user, token, store, keyring_not_used, next
    }

    func encode(to encoder: any Encoder) throws {
        // nil fields as null, so every key is always there
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(signed_in, forKey: .signed_in)
        try c.encode(target, forKey: .target)
        try c.encode(embedded, forKey: .embedded)
        try c.encode(profile, forKey: .profile)
        try c.encode(tenant, forKey: .tenant)
        try c.encode(app_id, forKey: .app_id)
        try c.encode(user, forKey: .user)
        try c.encode(token, forKey: .token)
        try c.encode(store, forKey: .store)
        try c.encode(keyring_not_used, forKey: .keyring_not_used)
        try c.encode(next, forKey: .next)
    }

    /// The report on stdout: aligned lines, or with `json` one JSON object.
    func print(json: Bool) {
        if json {
            Swift.print((try? encodeJSON(self)) ?? "{}")
            return
        }
        let stored: String
        switch store.kind {
        case "secret-service":
            stored = "the Secret Service keyring, item \(store.item ?? "?") (\(store.path) names it and holds no secret)"
        default:
            stored = "\(store.path) (a file, mode 0600"
                + (store.named_by_configuration ? ", the store \(targetName) names)" : ")")
                + (keyring_not_used.map { "; the Secret Service keyring was not used: \($0)" } ?? "")
        }
        let lines: [(String, String)] = [
            ("signed in", "\(user ?? "a user") (App+User) for \(targetName)"),
            ("tenant", tenant ?? "(not set)"),
            ("app id", app_id ?? "(not set)"),
            ("token", token.sentence),
            ("stored", "refresh token in " + stored),
            ("next", next),
        ]
        let width = lines.map(\.0.count).max() ?? 0
        Swift.print(lines.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + visible($0.1) }.joined(separator: "\n"))
    }
}
