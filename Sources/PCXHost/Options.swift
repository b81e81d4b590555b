import Foundation
import PartnerCenter

/// Which Partner Center a run talks to.
public enum TargetSelection: Sendable, Equatable {
    /// Decide: `PCX_ENDPOINT` in the environment, else the default profile if one is configured,
    /// else the embedded sandbox.
    case automatic
    /// The embedded (in-process) sandbox, whatever else is configured.
    case sandbox
    /// A named profile from `profiles.toml`.
    case profile(String)
}

/// Limits for one Lua run.
public struct RunLimits: Sendable, Equatable {
    /// Wall-clock limit in seconds; nil for none.
    public var timeout: Double?
    /// Memory limit of the Lua heap in bytes.
    public var memoryBytes: Int
    /// Directories the script may write under (and read).
    public var allowWrite: [String]
    /// Directories the script may read under, besides its own folder (and `lib/`).
    public var allowRead: [String]
    /// Exit the process when a timeout or Ctrl-C has not stopped the script within a few
    /// seconds (it is stuck inside one C function). The command line sets it; in-process
    /// library users keep the default (only wait).
    public var exitWhenStuck: Bool

    /// Defaults: no timeout, 1 GiB of Lua heap, no writable or extra readable directory, no
    /// process exit when stuck.
    public init(timeout: Double? = nil, memoryBytes: Int = 1 << 30, allowWrite: [String] = [],
                allowRead: [String] = [], exitWhenStuck: Bool = false) {
        self.timeout = timeout
        self.memoryBytes = memoryBytes
        self.allowWrite = allowWrite
        self.allowRead = allowRead
        self.exitWhenStuck = exitWhenStuck
    }
}

/// Purchase safety settings for a run.
public struct PurchaseOptions: Sendable, Equatable {
    /// Record registrations and checkouts instead of sending them.
    public var dryRun: Bool
    /// Allow checkout without asking at the terminal.
    public var allowPurchase: Bool
    /// Refuse any plan whose total is above this amount (decimal text) in `maxSpendCurrency`.
    public var maxSpend: String?
    /// The currency of `maxSpend` (ISO 4217).
    public var maxSpendCurrency: String?
    /// Refuse any purchase of more than this many units in one run.
    public var maxQuantity: Int?
    /// A given idempotency key for the run's purchase (derived from its content otherwise). A
    /// pinned key replays its completed purchase at any time.
    public var idempotencyKey: String?
    /// `--quote`: a dry run may create and update carts (Partner Center's price quotes; they
    /// spend nothing), so it shows prices and checks `--max-spend`.
    public var quote: Bool
    /// How long a completed purchase is replayed instead of bought again when the same purchase
    /// (same derived key) is run again, in seconds (`--replay-window`, default 24 h).
    public var replayWindow: TimeInterval

    /// The default replay window: 24 hours.
    public static let defaultReplayWindow: TimeInterval = 86400

    /// Creates purchase options; the defaults refuse checkout unless confirmed at a terminal.
    public init(dryRun: Bool = false, allowPurchase: Bool = false, maxSpend: String? = nil,
                maxSpendCurrency: String? = nil, maxQuantity: Int? = nil, idempotencyKey: String? = nil,
                quote: Bool = false, replayWindow: TimeInterval = PurchaseOptions.defaultReplayWindow) {
        self.dryRun = dryRun
        self.allowPurchase = allowPurchase
        self.maxSpend = maxSpend
        self.maxSpendCurrency = maxSpendCurrency
        self.maxQuantity = maxQuantity
        self.idempotencyKey = idempotencyKey
        self.quote = quote
        self.replayWindow = replayWindow
    }

    /// The caps as the purchase policy reads them.
    var caps: PurchasePolicy.Caps {
        PurchasePolicy.Caps(maxQuantity: maxQuantity, maxSpend: maxSpend.flatMap { Decimal(string: $0) },
                            maxSpendCurrency: maxSpendCurrency)
    }
}

/// Everything a `pcx run` / `pcx playbook run` / `pcx repl` needs besides the script.
public struct HostOptions: Sendable {
    /// The Partner Center to talk to.
    public var target: TargetSelection
    /// Lua limits.
    public var limits: RunLimits
    /// Purchase safety.
    public var purchase: PurchaseOptions
    /// Machine-readable output where the command prints data (and errors as JSON).
    public var json: Bool
    /// `-o`: how the command, or the script through the `output` module, prints its data.
    /// `.json` goes with ``json``.
    public var output: OutputFormat = .table
    /// `--debug`: Lua tracebacks with errors.
    public var debug: Bool = false
    /// Log level for pcx's own diagnostics (`debug`, `info`, `warn`, `error`).
    public var logLevel: String
    /// The level the script's `log` module starts at, when the user chose one (`-q`, `-v`,
    /// `--log-level`); nil leaves it to `PCX_LOG_LEVEL` (default info).
    public var scriptLogLevel: String?
    /// How diagnostics and the script's `log` lines are written: one format for both.
    public var logFormat: LogFormat = .text
    /// Progress lines on stderr for waits and paging: nil when stderr is a terminal (or as
    /// `PCX_PROGRESS` says), true with `--progress`.
    public var progress: Bool?
    /// File locations.
    public var paths: PCXPaths
    /// The process environment (target selection reads `PCX_*`).
    public var environment: [String: String]

    /// The process environment, read from `environ` (``processEnvironment()``: no `ProcessInfo`).
    public static func currentEnvironment() -> [String: String] { processEnvironment() }

    /// Creates host options.
    public init(target: TargetSelection = .automatic, limits: RunLimits = RunLimits(),
                purchase: PurchaseOptions = PurchaseOptions(), json: Bool = false, logLevel: String = "warn",
                paths: PCXPaths = PCXPaths(), environment: [String: String] = processEnvironment()) {
        self.target = target
        self.limits = limits
        self.purchase = purchase
        self.json = json
        self.output = json ? .json : .table
        self.logLevel = logLevel
        self.paths = paths
        self.environment = environment
    }
}

/// How log lines are written: `text` (`HH:MM:SS LEVEL source: message`, source `pcx` or the script's `file:line`)
/// or `json` (one object per line: time, level, source, message, and metadata).
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json
}

/// Process exit codes, as documented in the README.
public enum ExitCode: Int32, Sendable {
    /// Success.
    case ok = 0
    /// A script error or a Partner Center failure.
    case failure = 1
    /// A usage or syntax error.
    case usage = 2
    /// Refused by policy: market, purchase gate, spend cap. Nothing was sent.
    case refused = 3
    /// Bought, but above a cap: the cart changed after pcx checked it; the order stands.
    case boughtAboveCap = 4
    /// Interrupted (Ctrl-C).
    case interrupted = 130
}
