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
/// outcome after. Backed by SQLite (GRDB) in WAL mode; safe across processes.
public final class Journal: Sendable {
    private let db: DatabaseQueue

    /// Opens (creating if needed) the journal at `url`.
    /// - Throws: `HostError` when the file cannot be opened or migrated.
    public init(url: URL) throws {
        do {
            try PCXPaths.ensureDirectory(url.deletingLastPathComponent())
            var config = Configuration()
            config.busyMode = .timeout(10)
            db = try DatabaseQueue(path: url.path, configuration: config)
            try Self.migrator.migrate(db)
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
        try Self.migrator.migrate(db)
    }

    private static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.create(table: "journal") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
                t.column("operation", .text).notNull()
                t.column("customer", .text).notNull()
                t.column("script", .text).notNull()
                t.column("body_hash", .text).notNull()
                t.column("request_id", .text).notNull()
                t.column("idempotency_key", .text).notNull().indexed()
                t.column("cart_id", .text)
                t.column("state", .text).notNull()
                t.column("plan", .text)
                t.column("outcome", .text)
                t.column("error", .text)
                t.column("target", .text).notNull()
            }
        }
        return m
    }

    /// Inserts an entry and returns it with its id. Durable when this returns.
    @discardableResult
    public func append(_ entry: JournalEntry) throws -> JournalEntry {
        try db.write { db in
            var e = entry
            try e.insert(db)
            return e
        }
    }

    /// Records the outcome of entry `id`.
    public func update(id: Int64, state: JournalEntry.State, outcome: String? = nil, error: String? = nil) throws {
        try db.write { db in
            try db.execute(
                sql: "UPDATE journal SET state = ?, outcome = COALESCE(?, outcome), error = ?, updated_at = ? WHERE id = ?",
                arguments: [state.rawValue, outcome, error, Date(), id])
        }
    }

    /// The most recent real attempt (not a dry run's record) for an idempotency key, target and
    /// operation, if any.
    public func latest(idempotencyKey: String, operation: String, target: String) throws -> JournalEntry? {
        try db.read { db in
            try JournalEntry
                .filter(Column("idempotency_key") == idempotencyKey && Column("operation") == operation
                    && Column("target") == target && Column("state") != JournalEntry.State.recorded.rawValue)
                .order(Column("id").desc)
                .fetchOne(db)
        }
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
