import Foundation
import GRDB
import GRDBSQLite
import PartnerCenter
import PartnerCenterModels

/// What a sink wants of an export.
enum LoadPlan: Equatable {
    /// The stored data has this export's eTag and is complete: nothing to read.
    case unchanged
    /// Read every blob except these (consumed by an earlier, interrupted load of the same data).
    case load(skip: Set<String>)
}

/// Where `pc.reconciliation.*{to = ...}` puts an export's lines.
protocol ExportSink: AnyObject {
    func prepare(_ handle: GraphExportHandle) async throws -> LoadPlan
    func write(_ batch: GraphBatch, reader: FlatBatchReader, totals: inout ExportTotals) async throws
    func blobDone(_ blob: String, lines: Int) async throws
    /// The load completed: make the result visible; returns totals when the sink keeps its own.
    func finish(_ handle: GraphExportHandle, lines: Int) async throws -> ExportTotals?
    /// The load failed: leave no half-written file (a database keeps its consumed blobs).
    func abandon() async
    /// Lines the target holds for this export after ``finish(_:lines:)`` (all runs).
    var storedLines: Int? { get }
    /// `csv`, `sqlite` or `postgres`.
    var format: String { get }
}

/// The table an export's lines go to, and its typed columns.
enum ExportTable {
    static func name(_ set: GraphBilling.DataSet) -> String { set == .reconciliation ? "reconciliation_lines" : "usage_lines" }

    static func sqliteType(_ type: GraphBilling.ColumnType) -> String {
        switch type {
        case .string: return "TEXT"
        // Exact decimal text: TEXT affinity keeps 0.1 as written (NUMERIC would store a binary float).
        case .decimal: return "DECIMAL_TEXT"
        case .date: return "DATETIME_TEXT"
        case .json: return "JSON_TEXT"
        }
    }

    static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}

/// An SQLite file: one table per data set (typed columns, indexes on customer, reservation order,
/// product and date), `pcx_exports` (one row per export: eTag, manifest, lines, complete) and
/// `pcx_export_blobs` (blobs loaded). A blob's rows and its `pcx_export_blobs` row are committed
/// together, so an interrupted load resumes at the first blob not loaded; a re-run with the same
/// eTag reads nothing; another eTag replaces the export's rows.
final class SQLiteExportSink: ExportSink {
    let format = "sqlite"
    let path: String
    let dataSet: GraphBilling.DataSet
    private let queue: DatabaseQueue
    private var key = ""
    private(set) var storedLines: Int?
    /// This run loads every blob of the export (nothing was kept from an earlier, interrupted run).
    private var wholeRun = false

    init(path: String, dataSet: GraphBilling.DataSet) throws {
        self.path = path
        self.dataSet = dataSet
        var config = Configuration()
        // SQLite's rollback journal (not WAL): a load appends pages past the file's end, which the
        // journal need not copy, so each page is written once (WAL writes it twice: log, then
        // checkpoint). Readers wait while a blob commits. A file an earlier pcx left in WAL stays so.
        config.journalMode = .default
        // A blob's rows and its pcx_export_blobs row form one transaction, open across calls.
        config.allowsUnsafeTransactions = true
        config.prepareDatabase { db in
            // Commits stay synchronous (FULL: one per blob, so a crash or power loss keeps every
            // committed blob and nothing half-written); the pages of a blob's transaction stay cached.
            try db.execute(sql: "PRAGMA cache_size = -65536")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            try queue.write { db in try Self.createSchema(db, dataSet) }
        } catch let error as DatabaseError {
            throw usage("cannot use \(path) as an SQLite database: \(error.message ?? "\(error)")",
                        hint: "give --to a new .sqlite file, or one pcx wrote before")
        }
    }

    static func createSchema(_ db: Database, _ set: GraphBilling.DataSet) throws {
        let table = ExportTable.name(set)
        let columns = set.columns.map { "\(ExportTable.quoted($0.name)) \(ExportTable.sqliteType($0.type))" }.joined(separator: ", ")
        try db.execute(sql: """
            CREATE TABLE IF NOT EXISTS pcx_exports (export_key TEXT PRIMARY KEY, data_set TEXT NOT NULL, export TEXT NOT NULL,
              invoice_id TEXT, billing_period TEXT, currency TEXT, attribute_set TEXT NOT NULL, etag TEXT, manifest_id TEXT,
              blobs INTEGER, lines INTEGER, complete INTEGER NOT NULL DEFAULT 0, loaded_at DATETIME_TEXT);
            CREATE TABLE IF NOT EXISTS pcx_export_blobs (export_key TEXT NOT NULL, blob TEXT NOT NULL, lines INTEGER NOT NULL,
              PRIMARY KEY (export_key, blob));
            CREATE TABLE IF NOT EXISTS \(table) (export_key TEXT NOT NULL, blob TEXT NOT NULL, \(columns));
            CREATE INDEX IF NOT EXISTS \(table)_export ON \(table) (export_key, blob);
            """)
        try createColumnIndexes(db, set)
    }

    /// The indexes on customer, reservation order, product and date. A load into an empty table
    /// drops them and builds them once at the end (sorting once is far cheaper than keeping them
    /// up to date row by row); a load that stops early leaves them to the next open.
    static func createColumnIndexes(_ db: Database, _ set: GraphBilling.DataSet) throws {
        let table = ExportTable.name(set)
        for column in set.columns where column.indexed {
            try db.execute(sql: "CREATE INDEX IF NOT EXISTS \(table)_\(column.name) ON \(table) (\(ExportTable.quoted(column.name)))")
        }
    }

    static func dropColumnIndexes(_ db: Database, _ set: GraphBilling.DataSet) throws {
        let table = ExportTable.name(set)
        for column in set.columns where column.indexed {
            try db.execute(sql: "DROP INDEX IF EXISTS \(table)_\(column.name)")
        }
    }

    func prepare(_ handle: GraphExportHandle) throws -> LoadPlan {
        key = handle.request.key
        let manifest = handle.manifest
        let request = handle.request
        let table = ExportTable.name(dataSet)
        return try queue.write { db -> LoadPlan in
            let row = try Row.fetchOne(db, sql: "SELECT etag, manifest_id, complete FROM pcx_exports WHERE export_key = ?", arguments: [key])
            let sameData = row.map { ($0["etag"] as String?) == manifest.eTag } ?? false
            if sameData, row?["complete"] == 1 { return .unchanged }
            // Loaded blobs count only under the manifest that named them: another export of the
            // same data names its blobs otherwise, and would load their lines a second time.
            let sameManifest = row.map { ($0["manifest_id"] as String?) == manifest.id } ?? false
            if !sameData || !sameManifest {
                try db.execute(sql: "DELETE FROM \(table) WHERE export_key = ?", arguments: [key])
                try db.execute(sql: "DELETE FROM pcx_export_blobs WHERE export_key = ?", arguments: [key])
            }
            let done = Set(try String.fetchAll(db, sql: "SELECT blob FROM pcx_export_blobs WHERE export_key = ?", arguments: [key]))
            // Rows of a blob that was being loaded when an earlier run stopped go; the blob is read again.
            try db.execute(sql: "DELETE FROM \(table) WHERE export_key = ? AND blob NOT IN (SELECT blob FROM pcx_export_blobs WHERE export_key = ?)",
                           arguments: [key, key])
            try db.execute(sql: """
                INSERT INTO pcx_exports (export_key, data_set, export, invoice_id, billing_period, currency, attribute_set, etag, manifest_id, blobs, complete)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
                ON CONFLICT(export_key) DO UPDATE SET etag = excluded.etag, manifest_id = excluded.manifest_id, blobs = excluded.blobs, complete = 0
                """, arguments: [key, dataSet.rawValue, request.export.name, request.invoiceId, request.billingPeriod, request.currencyCode,
                                 request.attributeSet, manifest.eTag, manifest.id, manifest.blobs.count])
            if try Int.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM \(table))") == 0 { try Self.dropColumnIndexes(db, dataSet) }
            self.wholeRun = done.isEmpty
            return .load(skip: done)
        }
    }

    func write(_ batch: GraphBatch, reader: FlatBatchReader, totals: inout ExportTotals) throws {
        let table = ExportTable.name(dataSet)
        let names = (["export_key", "blob"] + reader.columns.map(\.name)).map(ExportTable.quoted).joined(separator: ", ")
        let marks = Array(repeating: "?", count: reader.columns.count + 2).joined(separator: ", ")
        let key = self.key
        try queue.writeWithoutTransaction { db in
            if !db.isInsideTransaction { try db.beginTransaction(.immediate) }
            let statement = try db.cachedStatement(sql: "INSERT INTO \(table) (\(names)) VALUES (\(marks))")
            let s = statement.sqliteStatement
            try key.withCString { key in
                try batch.blob.withCString { blob in
                    try reader.forEachRow(batch.json) { raw, row in
                        totals.add(raw, row)
                        sqlite3_reset(s)
                        sqlite3_bind_text(s, 1, key, -1, nil)
                        sqlite3_bind_text(s, 2, blob, -1, nil)
                        for (i, value) in row.enumerated() { Self.bind(s, Int32(i + 3), value, raw, reader) }
                        guard sqlite3_step(s) == SQLITE_DONE else {
                            throw usage("writing \(path) failed: \(String(cString: sqlite3_errmsg(sqlite3_db_handle(s))))", hint: "check the disk has room")
                        }
                    }
                }
            }
            // Nothing may keep pointing into this batch once it is gone.
            sqlite3_reset(s)
            sqlite3_clear_bindings(s)
        }
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Binds a value's bytes as text: the batch's own bytes (SQLITE_STATIC: they outlive the
    /// step) unless unescaping copied them; NULL for null or absent.
    static func bind(_ s: OpaquePointer, _ index: Int32, _ value: FlatValue?, _ raw: UnsafeRawBufferPointer, _ reader: FlatBatchReader) {
        guard let value else {
            sqlite3_bind_null(s, index)
            return
        }
        reader.withBytes(raw, value) { bytes, stable in
            guard let bytes else {
                sqlite3_bind_null(s, index)
                return
            }
            // An empty value is "", not NULL (a nil pointer would bind NULL).
            guard let base = bytes.baseAddress, bytes.count > 0 else {
                sqlite3_bind_text(s, index, UnsafeRawPointer(("" as StaticString).utf8Start).assumingMemoryBound(to: CChar.self), 0, nil)
                return
            }
            sqlite3_bind_text(s, index, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count), stable ? nil : transient)
        }
    }

    /// Commits the blob's rows together with its `pcx_export_blobs` row.
    func blobDone(_ blob: String, lines: Int) throws {
        let key = self.key
        try queue.writeWithoutTransaction { db in
            if !db.isInsideTransaction { try db.beginTransaction(.immediate) }
            try db.execute(sql: "INSERT OR REPLACE INTO pcx_export_blobs (export_key, blob, lines) VALUES (?, ?, ?)", arguments: [key, blob, lines])
            try db.commit()
        }
    }

    func finish(_ handle: GraphExportHandle, lines: Int) throws -> ExportTotals? {
        let key = self.key
        try queue.writeWithoutTransaction { db in if db.isInsideTransaction { try db.commit() } }
        let table = ExportTable.name(dataSet)
        let (totals, stored) = try queue.write { db -> (ExportTotals?, Int) in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table) WHERE export_key = ?", arguments: [key]) ?? 0
            try Self.createColumnIndexes(db, self.dataSet)
            try db.execute(sql: "UPDATE pcx_exports SET complete = 1, lines = ?, loaded_at = ? WHERE export_key = ?",
                           arguments: [total, WireDate.format(Date()), key])
            // Every row came from this run: the run's totals (summed as the rows were written) are the file's.
            return (self.wholeRun ? nil : try self.totals(db, key: key), total)
        }
        storedLines = stored
        return totals
    }

    /// The stored export's totals, summed exactly (decimal text, never floats).
    private func totals(_ db: Database, key: String) throws -> ExportTotals {
        var totals = ExportTotals(dataSet)
        let (amount, currency) = dataSet == .reconciliation ? ("totalForCustomer", "currency") : ("billingPreTaxTotal", "billingCurrency")
        let rows = try Row.fetchCursor(db, sql: "SELECT customerId, \(ExportTable.quoted(currency)), \(ExportTable.quoted(amount)), customerName FROM \(ExportTable.name(dataSet)) WHERE export_key = ?",
                                       arguments: [key])
        while let row = try rows.next() {
            totals.add(customer: row[0] as String? ?? "", currency: row[1] as String? ?? "", amount: row[2] as String? ?? "", name: row[3] as String?)
        }
        return totals
    }

    /// Rolls back the rows of the blob being loaded; blobs already committed stay, for a resume.
    func abandon() {
        try? queue.writeWithoutTransaction { db in if db.isInsideTransaction { try db.rollback() } }
    }
}

/// A CSV file: a header of the declared columns, one row per line, values as they came (decimal
/// text kept exact). Written to a temporary file renamed into place when complete; a failed load
/// leaves nothing behind.
final class CSVExportSink: ExportSink {
    let format = "csv"
    let path: String
    private let temporary: String
    private var handle: FileHandle?
    private(set) var storedLines: Int?
    private var buffer: [UInt8] = []

    init(path: String, dataSet: GraphBilling.DataSet) throws {
        self.path = path
        temporary = path + ".pcx-partial-\(ProcessInfo.processInfo.processIdentifier)"
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
            throw usage("cannot create \(path)", hint: "check the directory exists and is writable")
        }
        handle = FileHandle(forWritingAtPath: temporary)
        buffer.reserveCapacity((1 << 20) + (64 << 10))
        buffer.append(contentsOf: (dataSet.columns.map(\.name).joined(separator: ",") + "\r\n").utf8)
    }

    func prepare(_ handle: GraphExportHandle) throws -> LoadPlan { .load(skip: []) }

    /// Writes the batch's rows straight from its bytes (no String per value); the buffer is moved
    /// into a local for the loop (no exclusivity check per byte appended).
    func write(_ batch: GraphBatch, reader: FlatBatchReader, totals: inout ExportTotals) throws {
        var out = buffer
        buffer = []
        defer { buffer = out }
        try reader.forEachRow(batch.json) { raw, row in
            totals.add(raw, row)
            for (i, value) in row.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                guard let value else { continue }
                reader.withBytes(raw, value) { bytes, _ in
                    if let bytes { Self.appendField(bytes, to: &out) }
                }
            }
            out.append(13)
            out.append(10)
        }
        if out.count >= 1 << 20 {
            try handle?.write(contentsOf: out)
            out.removeAll(keepingCapacity: true)
        }
    }

    /// One field, quoted (and its quotes doubled) when it holds a comma, a quote, CR or LF.
    static func appendField(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        guard bytes.contains(where: { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }) else {
            out.append(contentsOf: bytes)
            return
        }
        out.append(34)
        for byte in bytes {
            if byte == 34 { out.append(34) }
            out.append(byte)
        }
        out.append(34)
    }

    private func flush() throws {
        try handle?.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    func blobDone(_ blob: String, lines: Int) throws {}

    func finish(_ handle: GraphExportHandle, lines: Int) throws -> ExportTotals? {
        try flush()
        try self.handle?.synchronize()
        try self.handle?.close()
        self.handle = nil
        if rename(temporary, path) != 0 { throw usage("cannot move the finished CSV into place at \(path)") }
        storedLines = lines
        return nil
    }

    func abandon() {
        try? handle?.close()
        handle = nil
        try? FileManager.default.removeItem(atPath: temporary)
    }
}

