import Crypto
import Foundation
import GRDB
import PartnerCenter

/// One mutating call recorded in the purchase journal.
public struct JournalEntry: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    /// The state of a journaled operation.
    public enum State: String, Codable, Sendable, DatabaseValueConvertible, CaseIterable {
        /// Written before the request was sent; no answer yet (a run killed while sending leaves
        /// it so). Resumed by the next run, like `unknown`.
        case pending
        /// An attempt may have reached Partner Center and its outcome is unknown (a dropped
        /// connection, a timeout, 5xx, and every answer after one of those). Resumed by the next
        /// run with the same request id; closed only by an order found, or by the user
        /// (`pcx journal resolve ID --not-bought`).
        case unknown
        /// Partner Center answered with success.
        case succeeded
        /// Partner Center answered with a definitive error about the only attempt, or the call
        /// never left pcx.
        case failed
        /// Recorded by a dry run instead of being sent.
        case recorded
        /// Refused by pcx's policy (market, gate, spend cap) before anything was sent.
        case refused
        /// The user, or evidence pcx found (the cart is still active and was changed), says the
        /// purchase was not made; the customer's orders were checked first.
        case notBought = "not_bought"

        /// Still open: resumed, never bought again.
        public var isOpen: Bool { self == .pending || self == .unknown }
    }

    public static let databaseTableName = "journal"

    /// Row id, assigned on insert.
    public var id: Int64?
    /// When the entry was written (UTC).
    public var createdAt: Date
    /// When the outcome was last updated (UTC).
    public var updatedAt: Date
    /// The operation, e.g. `checkout`, `register_subscription`.
    public var operation: String
    /// The customer tenant id.
    public var customer: String
    /// The script or playbook that made the call (`scripts/purchase-reserved-vm.lua`).
    public var script: String
    /// SHA-256 of the request's identifying content (hex).
    public var bodyHash: String
    /// The MS-RequestId pinned for this call and all its retries and re-runs.
    public var requestId: String
    /// The purchase's idempotency key (given or derived from its parameters).
    public var idempotencyKey: String
    /// The cart id for checkouts.
    public var cartId: String?
    /// The state.
    public var state: State
    /// The plan (JSON) as shown to the user.
    public var plan: String?
    /// The outcome (JSON response body, e.g. the CartCheckoutResult) once known.
    public var outcome: String?
    /// The error once known (message, no secrets).
    public var error: String?
    /// The canonical target the call went to (`tenant@endpoint`, see `CanonicalTarget`).
    public var target: String
    /// What a purchase buys, canonically (its cart's lines); a resume compares the cart Partner
    /// Center holds against it.
    public var intent: String? = nil
    /// The entry spends money (one open entry per purchase).
    public var money: Bool = false
    /// For a purchase that placed an order: the order as pcx last saw it (JSON; e.g. `completed`
    /// after `pc.orders.wait_completed`), while ``outcome`` keeps the checkout's answer.
    public var settledOrder: String? = nil
    /// When ``settledOrder`` was seen.
    public var settledAt: Date? = nil

    enum CodingKeys: String, CodingKey {
        case id, createdAt = "created_at", updatedAt = "updated_at", operation, customer, script
        case bodyHash = "body_hash", requestId = "request_id", idempotencyKey = "idempotency_key"
        case cartId = "cart_id", state, plan, outcome, error, target, intent, money
        case settledOrder = "settled_order", settledAt = "settled_at"
    }

    /// The endpoint part of ``target``: `sandbox` (the embedded sandbox) or the canonical endpoint.
    public var endpoint: String {
        guard let at = target.firstIndex(of: "@") else { return target }
        return String(target[target.index(after: at)...])
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// The crash-safe purchase journal: every mutating call is written before it is sent and its
/// outcome after. Backed by SQLite (GRDB) in WAL mode; safe across processes and threads:
///
/// - opening is idempotent: the schema is created with `IF NOT EXISTS` inside one
///   `BEGIN IMMEDIATE` transaction, so concurrent first opens of a new file all succeed;
/// - a purchase is *claimed* in one `BEGIN IMMEDIATE` transaction (``claim(_:legacyTarget:replayableSince:)``),
///   and a partial unique index allows at most one open (pending or unknown) purchase per
///   idempotency key, operation and target, so two runs of the same purchase cannot both send it;
/// - outcomes are compare-and-set (``update(id:state:outcome:error:from:)``): a late failure
///   never overwrites a recorded success;
/// - the file is created mode 0600 (its directory 0700): it holds customers' purchase plans.
public final class Journal: Sendable {
    private let db: DatabaseQueue

    /// Opens (creating if needed) the journal at `url`.
    /// - Throws: `HostError` when the file cannot be opened or migrated.
    public init(url: URL) throws {
        do {
            try PCXPaths.ensureDirectory(url.deletingLastPathComponent())
            try Self.createPrivately(url)
            var config = Configuration()
            config.busyMode = .timeout(10)
            config.prepareDatabase { db in try Self.enableWAL(db) }
            db = try DatabaseQueue(path: url.path, configuration: config)
            try db.writeWithoutTransaction { try Self.migrate($0) }
        } catch {
            throw usage("cannot open the purchase journal at \(url.path): \(journalProblem(error))",
                        hint: "check the permissions of \(url.deletingLastPathComponent().path) or set PCX_DATA_DIR")
        }
    }

    /// An in-memory journal (tests and dry runs without a data directory).
    public init() throws {
        db = try DatabaseQueue()
        try db.writeWithoutTransaction { try Self.migrate($0) }
    }

    /// Switches the file to WAL (persistent once set; readers never block the writer across
    /// processes). Switching needs the file to itself, and SQLite answers "busy" without waiting
    /// when another process is opening or switching it at that moment: retried for up to 10 s.
    private static func enableWAL(_ db: Database) throws {
        let deadline = Date().addingTimeInterval(10)
        var pause: UInt32 = 1_000
        while true {
            do {
                if try String.fetchOne(db, sql: "PRAGMA journal_mode")?.lowercased() == "wal" { return }
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                return
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
                guard Date() < deadline else { throw error }
                usleep(pause)
                pause = min(pause * 2, 50_000)
            }
        }
    }

    /// Creates the file readable by its owner only, and narrows an existing file's mode to 0600.
    private static func createPrivately(_ url: URL) throws {
        let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw usage("cannot create \(url.path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0, info.st_mode & 0o077 != 0 { _ = fchmod(fd, 0o600) }
    }

    /// The schema, created idempotently in one immediate transaction (safe when several processes
    /// open a new journal at once), then brought to the current version (`PRAGMA user_version`).
    static func migrate(_ db: Database) throws {
        try db.inTransaction(.immediate) {
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS journal (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  created_at DATETIME NOT NULL,
                  updated_at DATETIME NOT NULL,
                  operation TEXT NOT NULL,
                  customer TEXT NOT NULL,
                  script TEXT NOT NULL,
                  body_hash TEXT NOT NULL,
                  request_id TEXT NOT NULL,
                  idempotency_key TEXT NOT NULL,
                  cart_id TEXT,
                  state TEXT NOT NULL,
                  plan TEXT,
                  outcome TEXT,
                  error TEXT,
                  target TEXT NOT NULL)
                """)
            try db.execute(sql: "CREATE INDEX IF NOT EXISTS journal_on_idempotency_key ON journal(idempotency_key)")
            if try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0 < 2 { try upgradeToVersion2(db) }
            if try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0 < 3 { try upgradeToVersion3(db) }
            return .commit
        }
    }

    /// Version 2: operations named as the catalogue names them, canonical targets, the purchase's
    /// intent and money flag, and one open (pending or unknown) entry per purchase.
    private static func upgradeToVersion2(_ db: Database) throws {
        let columns = try db.columns(in: "journal").map(\.name)
        if !columns.contains("intent") { try db.execute(sql: "ALTER TABLE journal ADD COLUMN intent TEXT") }
        if !columns.contains("money") { try db.execute(sql: "ALTER TABLE journal ADD COLUMN money INTEGER NOT NULL DEFAULT 0") }
        // names written by versions before the operation catalogue
        for (old, new) in [("checkout", "carts.checkout"), ("register_subscription", "subscriptions.register"),
                           ("create_cart", "carts.create"), ("update_cart", "carts.update")] {
            try db.execute(sql: "UPDATE journal SET operation = ? WHERE operation = ?", arguments: [new, old])
        }
        try db.execute(sql: "UPDATE journal SET money = 1 WHERE operation = ?", arguments: ["carts.checkout"])
        for row in try Row.fetchAll(db, sql: "SELECT DISTINCT target FROM journal") {
            let old: String = row["target"]
            guard !old.contains("@") else { continue }
            try db.execute(sql: "UPDATE journal SET target = ? WHERE target = ?", arguments: [CanonicalTarget.canonicalEndpoint(old), old])
        }
        try db.execute(sql: "DROP INDEX IF EXISTS journal_one_pending_checkout")
        do {
            try db.execute(sql: """
                CREATE UNIQUE INDEX IF NOT EXISTS journal_one_open_purchase
                ON journal(idempotency_key, operation, target) WHERE money = 1 AND state IN ('pending', 'unknown')
                """)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            // A journal from an earlier version already holds two unfinished attempts of one
            // purchase: keep them (they are resumed one at a time); claims stay atomic through
            // the immediate transaction in `claim`.
        }
        try db.execute(sql: "PRAGMA user_version = 2")
    }

    /// Version 3: the order a purchase placed, as last seen (``JournalEntry/settledOrder``).
    private static func upgradeToVersion3(_ db: Database) throws {
        let columns = try db.columns(in: "journal").map(\.name)
        if !columns.contains("settled_order") { try db.execute(sql: "ALTER TABLE journal ADD COLUMN settled_order TEXT") }
        if !columns.contains("settled_at") { try db.execute(sql: "ALTER TABLE journal ADD COLUMN settled_at DATETIME") }
        try db.execute(sql: "PRAGMA user_version = 3")
    }

    /// Inserts an entry and returns it with its id. Durable when this returns.
    @discardableResult
    public func append(_ entry: JournalEntry) throws -> JournalEntry {
        try db.writeWithoutTransaction { db in
            var appended: JournalEntry?
            try db.inTransaction(.immediate) {
                var e = entry
                try e.insert(db)
                appended = e
                return .commit
            }
            return appended!
        }
    }

    /// What ``claim(_:replayableSince:)`` found.
    public enum Claim: Sendable, Equatable {
        /// No open or replayable attempt: the new entry was inserted as pending.
        case claimed(JournalEntry)
        /// The newest real attempt for the same key: open (pending, unknown) or a success that may
        /// be replayed; nothing inserted.
        case existing(JournalEntry)
    }

    /// Atomically finds the newest real attempt (not a dry run's record) with the entry's
    /// idempotency key, operation and target (or its legacy form `legacyTarget`); when it is open
    /// (pending, unknown), or succeeded at or after `replayableSince` (nil: any time), returns
    /// it, otherwise inserts `entry` (state pending). One `BEGIN IMMEDIATE` transaction: of two
    /// runs claiming the same purchase at once, exactly one inserts, the other sees its entry.
    public func claim(_ entry: JournalEntry, legacyTarget: String? = nil, replayableSince: Date? = nil) throws -> Claim {
        try db.writeWithoutTransaction { db in
            var result: Claim?
            try db.inTransaction(.immediate) {
                if let prev = try Self.latest(db, idempotencyKey: entry.idempotencyKey, operation: entry.operation,
                                              targets: [entry.target] + (legacyTarget.map { [$0] } ?? [])),
                   prev.state.isOpen || (prev.state == .succeeded && replayableSince.map { prev.updatedAt >= $0 } ?? true) {
                    result = .existing(prev)
                } else {
                    var e = entry
                    e.state = .pending
                    try e.insert(db)
                    result = .claimed(e)
                }
                return .commit
            }
            return result!
        }
    }

    /// Records the outcome of entry `id` if its state is still one of `from` (compare-and-set).
    /// Returns false, changing nothing, when another run already moved it on (e.g. a success
    /// recorded by a concurrent resume is never overwritten by a late failure).
    @discardableResult
    public func update(id: Int64, state: JournalEntry.State, outcome: String? = nil, error: String? = nil,
                       from: Set<JournalEntry.State> = [.pending]) throws -> Bool {
        let allowed = from.map(\.rawValue).sorted()
        let marks = Array(repeating: "?", count: allowed.count).joined(separator: ", ")
        let values: [(any DatabaseValueConvertible)?] = [state.rawValue, outcome, error, Date(), id] + allowed.map { $0 }
        return try db.writeWithoutTransaction { db in
            var changed = false
            try db.inTransaction(.immediate) {
                try db.execute(
                    sql: "UPDATE journal SET state = ?, outcome = COALESCE(?, outcome), error = ?, updated_at = ? WHERE id = ? AND state IN (\(marks))",
                    arguments: StatementArguments(values))
                changed = db.changesCount > 0
                return .commit
            }
            return changed
        }
    }

    static func latest(_ db: Database, idempotencyKey: String, operation: String, targets: [String]) throws -> JournalEntry? {
        try JournalEntry
            .filter(Column("idempotency_key") == idempotencyKey && Column("operation") == operation
                && targets.contains(Column("target")) && Column("state") != JournalEntry.State.recorded.rawValue)
            .order(Column("id").desc)
            .fetchOne(db)
    }

    /// The most recent real attempt (not a dry run's record) for an idempotency key, operation
    /// and target (or its legacy form), if any.
    public func latest(idempotencyKey: String, operation: String, target: String, legacyTarget: String? = nil) throws -> JournalEntry? {
        try db.read { db in
            try Self.latest(db, idempotencyKey: idempotencyKey, operation: operation, targets: [target] + (legacyTarget.map { [$0] } ?? []))
        }
    }

    /// Which entries ``list(limit:filter:)`` returns.
    public struct Filter: Sendable, Equatable {
        /// A customer's tenant id (any case).
        public var customer: String?
        /// Any of these states (none: every state).
        public var states: [JournalEntry.State] = []
        /// A canonical endpoint (``JournalEntry/endpoint``): `sandbox` or a URL.
        public var endpoint: String?
        /// Written at or after this moment.
        public var since: Date?

        public init(customer: String? = nil, states: [JournalEntry.State] = [], endpoint: String? = nil, since: Date? = nil) {
            self.customer = customer
            self.states = states
            self.endpoint = endpoint
            self.since = since
        }
    }

    /// The most recent entries, newest first, that pass `filter`.
    public func list(limit: Int = 50, filter: Filter = Filter()) throws -> [JournalEntry] {
        try db.read { db in
            var request = JournalEntry.order(Column("id").desc)
            if let customer = filter.customer { request = request.filter(sql: "lower(customer) = ?", arguments: [customer.lowercased()]) }
            if !filter.states.isEmpty { request = request.filter(filter.states.map(\.rawValue).contains(Column("state"))) }
            if let since = filter.since { request = request.filter(Column("created_at") >= since) }
            if let endpoint = filter.endpoint {
                let escaped = endpoint.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                    .replacingOccurrences(of: "_", with: "\\_")
                request = request.filter(sql: "(target = ? OR target LIKE ? ESCAPE '\\')", arguments: [endpoint, "%@" + escaped])
            }
            return try request.limit(limit).fetchAll(db)
        }
    }

    /// Records `order` (its JSON as Partner Center answered now) on the succeeded purchases of
    /// `customer` whose answer placed it (a checkout's orders, or an order made directly), so
    /// `pcx journal show` gives the order's final state. Returns how many entries were updated.
    @discardableResult
    public func recordOrder(customer: String, orderId: String, json: String) throws -> Int {
        guard !orderId.isEmpty else { return 0 }
        return try db.writeWithoutTransaction { db in
            var updated = 0
            try db.inTransaction(.immediate) {
                let candidates = try JournalEntry
                    .filter(sql: "lower(customer) = ? AND state = 'succeeded' AND instr(outcome, ?) > 0",
                            arguments: [customer.lowercased(), orderId])
                    .fetchAll(db)
                for var entry in candidates where Self.placed(entry, orderId) {
                    entry.settledOrder = json
                    entry.settledAt = Date()
                    try entry.update(db, columns: ["settled_order", "settled_at"])
                    updated += 1
                }
                return .commit
            }
            return updated
        }
    }

    /// Whether entry's answer placed order `orderId` (a checkout's `orders`, or an order itself).
    private static func placed(_ entry: JournalEntry, _ orderId: String) -> Bool {
        guard let data = entry.outcome?.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
        if let orders = object["orders"] as? [[String: Any]] { return orders.contains { $0["id"] as? String == orderId } }
        return object["id"] as? String == orderId
    }

    /// One entry by id.
    public func entry(id: Int64) throws -> JournalEntry? {
        try db.read { db in try JournalEntry.fetchOne(db, key: id) }
    }

    /// Hex SHA-256 of `data`.
    public static func sha256(_ data: some DataProtocol) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
