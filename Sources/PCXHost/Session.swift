import Foundation
import Logging
import PartnerCenter

/// The Partner Center a run talks to, resolved lazily on the first `pc.*` call so that scripts
/// that never call Partner Center start instantly.
final class Session: Sendable {
    /// What a resolved target is.
    struct Target: Sendable {
        /// The client.
        let client: PartnerCenterClient
        /// `sandbox` for the embedded sandbox, else the endpoint.
        let name: String
        /// The embedded sandbox, when that is the target.
        let sandbox: EmbeddedSandbox?

        /// Which Partner Center, canonically: the journal's key (the embedded sandbox is `sandbox`,
        /// whatever port it listens on this time).
        var canonical: CanonicalTarget {
            CanonicalTarget(endpoint: sandbox == nil ? client.configuration.endpoint : "sandbox", tenant: client.configuration.tenantId)
        }

        /// How journals written before canonical targets named it (the endpoint alone).
        var legacyKey: String { canonical.endpoint }
    }

    let options: HostOptions
    /// The script or playbook (for the journal).
    let script: String
    /// Asks for a "yes" per purchase.
    let confirmer: Confirmer
    /// The orders this run placed, for what a failed or stopped run says (``PlacedOrder``).
    let placed = Mutex<[PlacedOrder]>([])
    private let state = Mutex<State>(State())

    private struct State {
        var target: Task<Target, any Error>?
        var journal: Journal?
        var catalogCache: CatalogCache??
        var checkingOut: Set<String> = []
        var cartChanges: [String: Int] = [:]
    }

    /// Whether a script's `progress` bar has drawn a line it has not ended yet (its `\r` redraws
    /// leave the cursor there): an error printed then starts on a new line.
    let progressLineOpen = Mutex(false)

    /// Ends an open progress line (see ``progressLineOpen``) before something else is printed.
    func endProgressLine() {
        if progressLineOpen.withLock({ open in defer { open = false }; return open }) { writeAll(2, "\n") }
    }

    /// Whether waits draw a progress line on stderr: `--progress`, else `PCX_PROGRESS` (1 or 0),
    /// else stderr is a terminal.
    var progressEnabled: Bool {
        if let forced = options.progress { return forced }
        if let forced = options.environment["PCX_PROGRESS"], !forced.isEmpty { return forced != "0" }
        return isatty(2) != 0
    }

    /// How the user consented to changes in this run.
    var consent: PurchasePolicy.Consent {
        if options.purchase.allowPurchase { return .allowPurchase }
        return Confirmer.atTerminal ? .terminal : .none
    }

    /// The catalog cache, opened on first use (nil when disabled or unavailable).
    var catalogCache: CatalogCache? {
        state.withLock { s in
            if let cache = s.catalogCache { return cache }
            let cache = CatalogCache.open(paths: options.paths, environment: options.environment)
            s.catalogCache = .some(cache)
            return cache
        }
    }

    /// Marks a cart as being checked out by this run, from the read of the cart Partner Center
    /// holds (the caps are checked on it) until the checkout's answer: meanwhile no coroutine of
    /// the run (`pc.parallel`) may change that cart, nor check it out a second time. Changes
    /// already on their way are waited for first, so the read sees them.
    /// - Throws: `HostError` (policy_denied) when the cart is already being checked out.
    func beginCheckout(customer: String, cartId: String) async throws {
        let key = Self.cartKey(customer: customer, cartId: cartId)
        while true {
            let started = try state.withLock { s -> Bool in
                if s.checkingOut.contains(key) {
                    throw refusal("cart \(cartId) is already being checked out by this run",
                                  hint: "nothing was sent; check a cart out once (pc.purchase returns its orders)")
                }
                if s.cartChanges[key, default: 0] > 0 { return false }
                s.checkingOut.insert(key)
                return true
            }
            if started { return }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func endCheckout(customer: String, cartId: String) {
        _ = state.withLock { $0.checkingOut.remove(Self.cartKey(customer: customer, cartId: cartId)) }
    }

    /// Registers a change to a cart on its way to Partner Center; refused while this run checks
    /// that cart out (the checkout's caps were checked on the cart as it was).
    func beginCartChange(customer: String, cartId: String) throws {
        let key = Self.cartKey(customer: customer, cartId: cartId)
        try state.withLock { s in
            if s.checkingOut.contains(key) {
                throw refusal("cart \(cartId) cannot be changed while this run checks it out",
                              hint: "nothing was sent; change the cart before pc.purchase/pc.carts.checkout, or use a new cart")
            }
            s.cartChanges[key, default: 0] += 1
        }
    }

    func endCartChange(customer: String, cartId: String) {
        let key = Self.cartKey(customer: customer, cartId: cartId)
        state.withLock { s in
            s.cartChanges[key, default: 1] -= 1
            if s.cartChanges[key] ?? 0 <= 0 { s.cartChanges.removeValue(forKey: key) }
        }
    }

    private static func cartKey(customer: String, cartId: String) -> String { customer.lowercased() + "/" + cartId.lowercased() }

    private func refusal(_ message: String, hint: String) -> PartnerCenterError {
        var error = PartnerCenterError(category: .policyDenied, message: message, hint: hint)
        error.notSent = true
        return error
    }

    init(options: HostOptions, script: String, confirmer: Confirmer = Confirmer()) {
        self.options = options
        self.script = script
        self.confirmer = confirmer
    }

    /// The resolved target (created on first use).
    func target() async throws -> Target {
        let task = state.withLock { s -> Task<Target, any Error> in
            if let t = s.target { return t }
            let options = self.options
            let t = Task { try await Self.resolve(options) }
            s.target = t
            return t
        }
        return try await task.value
    }

    /// The purchase journal in the data directory.
    func journal() throws -> Journal {
        try state.withLock { s in
            if let j = s.journal { return j }
            let j = try Journal(url: options.paths.journal)
            s.journal = j
            return j
        }
    }

    /// ``shutdown()`` from a thread that may wait (nothing to do unless the run made a call).
    func shutdownBlocking() {
        guard state.withLock({ $0.target }) != nil else { return }
        let done = DispatchSemaphore(value: 0)
        Task {
            await self.shutdown()
            done.signal()
        }
        done.wait()
    }

    /// Shuts the client and any embedded sandbox down.
    func shutdown() async {
        guard let task = state.withLock({ $0.target }) else { return }
        if let target = try? await task.value {
            try? await target.client.shutdown()
            await target.sandbox?.shutdown()
        }
    }

    static func logger(_ level: String, format: LogFormat = .text) -> Logger {
        var log = Logger(label: "pcx") { CLILogHandler(label: $0, format: format) }
        log.logLevel = switch level.lowercased() {
        case "debug", "trace": .debug
        case "info": .info
        case "error": .error
        default: .warning
        }
        return log
    }

    /// Where the calls go: a loaded and validated client configuration (with the profile it came
    /// from, nil for the `PCX_*` variables alone), or nil for the embedded sandbox (`announce`: say
    /// so on stderr, as no profile was configured).
    enum Choice { case remote(ClientConfiguration, profile: String?), embedded(ClientConfiguration, announce: Bool) }

    /// Decides the target without starting anything: `--sandbox`, `--profile`, `PCX_ENDPOINT`, a
    /// default profile, else the embedded sandbox. Throws for a bad profile or endpoint.
    static func choose(_ options: HostOptions, quiet: Bool = false) throws -> Choice {
        let env = options.environment
        var base = ClientConfiguration()
        base.logger = quiet ? Logger(label: "pcx", factory: { _ in SwiftLogNoOpLogHandler() }) : logger(options.logLevel, format: options.logFormat)
        base.applicationName = "pcx/\(pcxVersion)"
        let profileFile = options.paths.profileFile(environment: env)
        let config: ClientConfiguration
        var profile: String?
        switch options.target {
        case .sandbox:
            return .embedded(try ClientConfiguration.policyFromEnvironment(env, base: base), announce: false)
        case .profile(let name):
            config = try ClientConfiguration.load(profile: name, profileFile: profileFile, environment: env, base: base)
            profile = name
        case .automatic:
            if let endpoint = env["PCX_ENDPOINT"], !endpoint.isEmpty {
                config = try ClientConfiguration.load(environment: env, base: base)
                break
            }
            let named = env["PCX_PROFILE"].flatMap { $0.isEmpty ? nil : $0 }
            var useFile = named != nil
            if !useFile, FileManager.default.fileExists(atPath: profileFile) {
                useFile = try ProfileFile(contentsOf: profileFile).profiles["default"] != nil
            }
            guard useFile else { return .embedded(try ClientConfiguration.policyFromEnvironment(env, base: base), announce: true) }
            config = try ClientConfiguration.load(profile: named, profileFile: profileFile, environment: env, base: base)
            profile = named ?? "default"
        }
        try config.validate()
        var withStore = config
        LoginStores.applyDefault(&withStore, key: LoginStores.key(profile: profile, embedded: false, config: config), paths: options.paths)
        return .remote(withStore, profile: profile)
    }

    /// Checks the target's configuration before a script runs, so a bad profile is an input
    /// error (exit 2) rather than a failure at the script's first call.
    /// - Returns: nil when fine, else the exit status after printing the problem.
    static func preflight(_ options: HostOptions) -> Int32? {
        do {
            _ = try choose(options, quiet: true) // its warnings are said once, when the target starts
            try checkHostEnvironment(options.environment)
            try PCXPaths.ensureDirectory(path: options.paths.dataPath)
            return nil
        } catch {
            var report = ErrorReport((raisable(error) as? PartnerCenterError) ?? PartnerCenterError(category: .invalidArgument, message: "\(error)"))
            report.exitStatus = ExitCode.usage.rawValue
            RenderedFailure(text: options.json ? report.json : report.text(debug: options.debug), exitCode: report.exitStatus, report: report)
                .print(logFormat: options.logFormat, json: options.json)
            return report.exitStatus
        }
    }

    /// The host's own `PCX_*` settings (whatever the target): a value pcx would otherwise ignore
    /// silently is an input error naming the variable and what it takes.
    /// - Throws: ``PartnerCenterError`` (`invalid_argument`).
    static func checkHostEnvironment(_ environment: [String: String]) throws {
        func bad(_ name: String, _ value: String, _ takes: String) -> PartnerCenterError {
            PartnerCenterError(category: .invalidArgument, message: "\(name)='\(visible(value))' is not valid: it takes \(takes)",
                               hint: "fix or unset \(name)")
        }
        if let v = environment["PCX_CATALOG_TTL"], !v.isEmpty, !(TimeInterval(v).map { $0 >= 0 && $0.isFinite } ?? false) {
            throw bad("PCX_CATALOG_TTL", v, "a number of seconds, 0 or more (0 turns the catalog cache off)")
        }
        for name in ["PCX_ORDER_LIST_LAG", "PCX_REPLAY_WINDOW"] {
            if let v = environment[name], !v.isEmpty, (try? PCXCommands.parseDuration(v)) == nil || v.trimmingCharacters(in: .whitespaces).hasPrefix("-") {
                throw bad(name, v, "a duration such as 15m, 30s, 24h or 0")
            }
        }
        if let v = environment["PCX_LOG_LEVEL"], !v.isEmpty, !["debug", "info", "warn", "error"].contains(v.lowercased()) {
            throw bad("PCX_LOG_LEVEL", v, "debug, info, warn or error")
        }
        if let v = environment["PCX_PROGRESS"], !v.isEmpty, v != "0" && v != "1" {
            throw bad("PCX_PROGRESS", v, "1 (draw progress lines on stderr even when it is not a terminal) or 0 (never)")
        }
        if let v = environment["PCX_STDLIB_DIR"], !v.isEmpty {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: v, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw bad("PCX_STDLIB_DIR", v, "a directory of .lua modules that replace the embedded ones")
            }
        }
    }

    /// Starts the target ``choose(_:)`` decided on.
    static func resolve(_ options: HostOptions) async throws -> Target {
        switch try choose(options) {
        case .remote(let config, _):
            return Target(client: try PartnerCenterClient(configuration: config), name: config.endpoint, sandbox: nil)
        case .embedded(let base, let announce):
            return try await embedded(options, base: base, announce: announce)
        }
    }

    static func embedded(_ options: HostOptions, base: ClientConfiguration, announce: Bool) async throws -> Target {
        let sandbox = try await EmbeddedSandbox.start(paths: options.paths, logLevel: options.logLevel,
                                                      logFormat: options.logFormat)
        // shown at every level, -q too: a run that buys nothing real must never look like one that did
        if announce {
            CLILogHandler.notice("no Partner Center profile configured: using the embedded sandbox (\(sandbox.databasePath)); nothing real is bought",
                                 format: options.logFormat)
        }
        var config = base
        sandbox.configure(&config, paths: options.paths)
        return Target(client: try PartnerCenterClient(configuration: config), name: "sandbox", sandbox: sandbox)
    }
}

/// A minimal lock-protected value (Foundation's NSLock around a struct).
final class Mutex<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
