import Crypto
import Foundation
import GRDB

/// One mutating call recorded in the purchase journal.
public struct JournalEntry: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    /// The state of a journaled operation.
    public enum State: String, Codable, Sendable, DatabaseValueConvertible {
        /// Written before the request was sent; the outcome is not known (yet).
        case pending
        /// Partner Center answered with success.
        case succeeded
        /// Partner Center answered with a definitive error.
        case failed
        /// Recorded by a dry run instead of being sent.
        case recorded
        /// Refused by pcx's policy (market, gate, spend cap) before anything was sent.
        case refused
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
    /// The target the call went to (`sandbox` or the endpoint host).
    public var target: String

    enum CodingKeys: String, CodingKey {
        case id, createdAt = "created_at", updatedAt = "updated_at", operation, customer, script
        case bodyHash = "body_hash", requestId = "request_id", idempotencyKey = "idempotency_key"
        case cartId = "cart_id", state, plan, outcome, error, target
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// The crash-safe purchase journal: every mutating call is written before it is sent and its
/// outcome after. Backed by SQLite (GRDB) in WAL mode; safe across processes and threads:
///
/// - opening is idempotent: the schema is created with `IF NOT EXISTS` inside one
///   `BEGIN IMMEDIATE` transaction, so concurrent first opens of a new file all succeed;
/// - a checkout is *claimed* in one `BEGIN IMMEDIATE` transaction (``claim(_:)``), and a partial
///   unique index allows at most one `pending` checkout per idempotency key and target, so two
///   runs of the same purchase cannot both send a new checkout;
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
            throw HostError(
                code: .invalidArgument,
                message: "cannot open the purchase journal at \(url.path): \(error)",
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
            throw HostError(code: .invalidArgument, message: "cannot create \(url.path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0, info.st_mode & 0o077 != 0 { _ = fchmod(fd, 0o600) }
    }

    /// The schema, created idempotently in one immediate transaction (safe when several processes
    /// open a new journal at once). Journals written by earlier versions (GRDB's migrator, same
    /// table) are used as they are.
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
            do {
                try db.execute(sql: """
                    CREATE UNIQUE INDEX IF NOT EXISTS journal_one_pending_checkout
                    ON journal(idempotency_key, operation, target)
                    WHERE state = 'pending' AND operation = 'checkout'
                    """)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                // A journal from an earlier version already holds two unfinished attempts of one
                // purchase: keep them (they are resumed one at a time); claims stay atomic through
                // the immediate transaction in `claim`.
            }
            return .commit
        }
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

    /// What ``claim(_:)`` found.
    public enum Claim: Sendable, Equatable {
        /// No earlier attempt was unfinished or completed: the new entry was inserted as pending.
        case claimed(JournalEntry)
        /// The newest real attempt for the same purchase (pending or succeeded); nothing inserted.
        case existing(JournalEntry)
    }

    /// Atomically finds the newest real attempt (not a dry run's record) with the entry's
    /// idempotency key, operation and target; when it is `pending` or `succeeded` returns it,
    /// otherwise inserts `entry` (state pending). One `BEGIN IMMEDIATE` transaction: of two runs
    /// claiming the same purchase at once, exactly one inserts, the other sees its entry.
    public func claim(_ entry: JournalEntry) throws -> Claim {
        try db.writeWithoutTransaction { db in
            var result: Claim?
            try db.inTransaction(.immediate) {
                if let prev = try Self.latest(db, idempotencyKey: entry.idempotencyKey, operation: entry.operation, target: entry.target),
                   prev.state == .pending || prev.state == .succeeded {
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

    static func latest(_ db: Database, idempotencyKey: String, operation: String, target: String) throws -> JournalEntry? {
        try JournalEntry
            .filter(Column("idempotency_key") == idempotencyKey && Column("operation") == operation
                && Column("target") == target && Column("state") != JournalEntry.State.recorded.rawValue)
            .order(Column("id").desc)
            .fetchOne(db)
    }

    /// The most recent real attempt (not a dry run's record) for an idempotency key, target and
    /// operation, if any.
    public func latest(idempotencyKey: String, operation: String, target: String) throws -> JournalEntry? {
        try db.read { db in try Self.latest(db, idempotencyKey: idempotencyKey, operation: operation, target: target) }
    }

    /// The most recent entries, newest first.
    public func list(limit: Int = 50) throws -> [JournalEntry] {
        try db.read { db in try JournalEntry.order(Column("id").desc).limit(limit).fetchAll(db) }
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
