import Foundation
import Logging
import NIOCore
import NIOPosix
import PartnerCenter
import PartnerCenterModels
import PostgresNIO

/// Where `--to postgres://user[:password]@host[:port]/database[?sslmode=disable|require]` points
/// (without a password in the URL, `PGPASSWORD`).
/// The password is a secret: only ``display`` (no password) appears in messages.
struct PostgresTarget: Sendable {
    var host: String
    var port: Int
    var user: String
    var password: String?
    var database: String
    var requireTLS: Bool

    /// `postgres://user@host:port/database`, without the password.
    var display: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    static func parse(_ text: String) throws -> PostgresTarget {
        func bad(_ why: String) -> PartnerCenterError {
            usage("the PostgreSQL target is not usable: \(why)",
                  hint: "write it as postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (add ?sslmode=require for TLS)")
        }
        guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme?.lowercased() ?? "") else {
            throw bad("it is not a postgres:// URL")
        }
        guard let host = url.host, !host.isEmpty else { throw bad("it names no host") }
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw bad("it names no database (…/DATABASE)") }
        let mode = url.queryItems?.first { $0.name == "sslmode" }?.value?.lowercased() ?? "disable"
        guard ["disable", "require", "prefer", "allow", "verify-full", "verify-ca"].contains(mode) else {
            throw bad("sslmode=\(mode) is not a PostgreSQL sslmode")
        }
        // a password in the URL, else PGPASSWORD (kept out of the command line and the shell history)
        let password = url.password ?? ProcessInfo.processInfo.environment["PGPASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
        return PostgresTarget(host: host, port: url.port ?? 5432, user: url.user ?? "postgres", password: password,
                              database: database, requireTLS: mode == "require" || mode.hasPrefix("verify"))
    }

    func configuration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS = requireTLS ? .require(try .init(configuration: .makeClientConfiguration())) : .disable
        return PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
    }
}

/// The same tables as the SQLite sink, in PostgreSQL: decimals `NUMERIC`, dates `TIMESTAMPTZ`,
/// JSON columns `TEXT` (their values are not always valid JSON), loaded with `COPY … FROM STDIN`.
/// A blob's rows are copied inside one transaction that also records the blob in
/// `pcx_export_blobs`, so an interrupted load resumes at the first blob not loaded; the same
/// `eTag` again reads nothing; another `eTag` replaces that export's rows.
final class PostgresExportSink: ExportSink {
    let format = "postgres"
    let target: PostgresTarget
    let dataSet: GraphBilling.DataSet
    private(set) var storedLines: Int?
    private var connection: PostgresConnection?
    private var key = ""
    private var inBlob = false
    private let logger = Logger(label: "pcx.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    init(url: String, dataSet: GraphBilling.DataSet) throws {
        target = try PostgresTarget.parse(url)
        self.dataSet = dataSet
    }

    static func sqlType(_ type: GraphBilling.ColumnType) -> String {
        switch type {
        case .string, .json: return "TEXT"
        case .decimal: return "NUMERIC"
        case .date: return "TIMESTAMPTZ"
        }
    }

    private func connect() async throws -> PostgresConnection {
        if let connection { return connection }
        do {
            let c = try await PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(),
                                                         configuration: try target.configuration(), id: 1, logger: logger)
            connection = c
            return c
        } catch {
            throw usage("cannot connect to \(target.display): \(Self.reason(error))",
                        hint: "check the server is running and the user, password and database are right")
        }
    }

    static func reason(_ error: any Error) -> String {
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] { return message }
            if let underlying = psql.underlying { return String(describing: underlying) }
            return "\(psql.code)"
        }
        return String(describing: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
    }

    private func run(_ sql: String, _ binds: [String?] = []) async throws -> PostgresRowSequence {
        let c = try await connect()
        var bindings = PostgresBindings()
        for value in binds { if let value { bindings.append(value) } else { bindings.appendNull() } }
        do {
            return try await c.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        } catch {
            throw usage("PostgreSQL (\(target.display)) refused the load: \(Self.reason(error))")
        }
    }

    private func createSchema() async throws {
        let table = ExportTable.name(dataSet)
        let columns = dataSet.columns.map { "\(ExportTable.quoted($0.name)) \(Self.sqlType($0.type))" }.joined(separator: ", ")
        _ = try await run("""
            CREATE TABLE IF NOT EXISTS pcx_exports (export_key TEXT PRIMARY KEY, data_set TEXT NOT NULL, export TEXT NOT NULL,
              invoice_id TEXT, billing_period TEXT, currency TEXT, attribute_set TEXT NOT NULL, etag TEXT, manifest_id TEXT,
              blobs INTEGER, lines BIGINT, complete BOOLEAN NOT NULL DEFAULT FALSE, loaded_at TIMESTAMPTZ)
            """)
        _ = try await run("CREATE TABLE IF NOT EXISTS pcx_export_blobs (export_key TEXT NOT NULL, blob TEXT NOT NULL, lines BIGINT NOT NULL, PRIMARY KEY (export_key, blob))")
        _ = try await run("CREATE TABLE IF NOT EXISTS \(table) (export_key TEXT NOT NULL, blob TEXT NOT NULL, \(columns))")
        _ = try await run("CREATE INDEX IF NOT EXISTS \(table)_export ON \(table) (export_key, blob)")
        for column in dataSet.columns where column.indexed {
            _ = try await run("CREATE INDEX IF NOT EXISTS \(table)_\(column.name.lowercased()) ON \(table) (\(ExportTable.quoted(column.name)))")
        }
    }

    func prepare(_ handle: GraphExportHandle) async throws -> LoadPlan {
        key = handle.request.key
        try await createSchema()
        let table = ExportTable.name(dataSet)
        var stored: (etag: String?, complete: Bool)?
        for try await (etag, complete) in try await run("SELECT etag, complete FROM pcx_exports WHERE export_key = $1", [key])
            .decode((String?, Bool).self) { stored = (etag, complete) }
        let manifest = handle.manifest
        let sameData = stored.map { $0.etag == manifest.eTag } ?? false
        if sameData, stored?.complete == true { return .unchanged }
        if !sameData {
            _ = try await run("DELETE FROM \(table) WHERE export_key = $1", [key])
            _ = try await run("DELETE FROM pcx_export_blobs WHERE export_key = $1", [key])
        }
        _ = try await run("DELETE FROM \(table) WHERE export_key = $1 AND blob NOT IN (SELECT blob FROM pcx_export_blobs WHERE export_key = $1)", [key])
        var done = Set<String>()
        for try await blob in try await run("SELECT blob FROM pcx_export_blobs WHERE export_key = $1", [key]).decode(String.self) { done.insert(blob) }
        let r = handle.request
        _ = try await run("""
            INSERT INTO pcx_exports (export_key, data_set, export, invoice_id, billing_period, currency, attribute_set, etag, manifest_id, blobs, complete)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::integer, FALSE)
            ON CONFLICT (export_key) DO UPDATE SET etag = excluded.etag, manifest_id = excluded.manifest_id, blobs = excluded.blobs, complete = FALSE
            """, [key, dataSet.rawValue, r.export.name, r.invoiceId, r.billingPeriod, r.currencyCode, r.attributeSet, manifest.eTag,
                  manifest.id, String(manifest.blobs.count)])
        return .load(skip: done)
    }

    func write(_ batch: GraphBatch, reader: FlatBatchReader, totals: inout ExportTotals) async throws {
        if !inBlob {
            _ = try await run("BEGIN")
            inBlob = true
        }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(batch.json.count + batch.count * 64)
        let prefix = Self.copyText(key) + "\t" + Self.copyText(batch.blob)
        let types = reader.columns.map(\.type)
        try reader.forEachRow(batch.json) { raw, row in
            buffer.writeString(prefix)
            for (i, value) in row.enumerated() {
                buffer.writeInteger(UInt8(ascii: "\t"))
                guard let value, let text = FlatBatchReader.text(raw, value), !(text.isEmpty && types[i] != .string && types[i] != .json) else {
                    buffer.writeStaticString("\\N")
                    continue
                }
                buffer.writeString(Self.copyText(text))
            }
            buffer.writeInteger(UInt8(ascii: "\n"))
        }
        let table = ExportTable.name(dataSet)
        let columns = ["export_key", "blob"] + reader.columns.map(\.name)  // copyFrom quotes them
        let c = try await connect()
        let data = buffer
        do {
            try await c.copyFrom(table: table, columns: columns, logger: logger) { writer in try await writer.write(data) }
        } catch {
            throw usage("PostgreSQL (\(target.display)) refused lines of blob \(batch.blob): \(Self.reason(error))")
        }
    }

    /// COPY text format: backslash, tab, newline and carriage return escaped.
    static func copyText(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 92 || $0 == 9 || $0 == 10 || $0 == 13 }) else { return text }
        return text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\t", with: "\\t")
            .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r")
    }

    func blobDone(_ blob: String, lines: Int) async throws {
        if !inBlob { _ = try await run("BEGIN") }
        _ = try await run("INSERT INTO pcx_export_blobs (export_key, blob, lines) VALUES ($1, $2, $3::bigint) ON CONFLICT (export_key, blob) DO UPDATE SET lines = excluded.lines",
                          [key, blob, String(lines)])
        _ = try await run("COMMIT")
        inBlob = false
    }

    func finish(_ handle: GraphExportHandle, lines: Int) async throws -> ExportTotals? {
        let table = ExportTable.name(dataSet)
        let (amount, currency) = dataSet == .reconciliation ? ("totalForCustomer", "currency") : ("billingPreTaxTotal", "billingCurrency")
        var totals = ExportTotals(dataSet)
        var count = 0
        let rows = try await run("SELECT \"customerId\", \(ExportTable.quoted(currency)), \(ExportTable.quoted(amount))::text, \"customerName\" FROM \(table) WHERE export_key = $1", [key])
        for try await (customer, cur, value, name) in rows.decode((String?, String?, String?, String?).self) {
            totals.add(customer: customer ?? "", currency: cur ?? "", amount: value ?? "", name: name)
            count += 1
        }
        _ = try await run("UPDATE pcx_exports SET complete = TRUE, lines = $1::bigint, loaded_at = now() WHERE export_key = $2", [String(count), key])
        storedLines = count
        try? await connection?.close()
        connection = nil
        return totals
    }

    func abandon() async {
        if inBlob { _ = try? await run("ROLLBACK") }
        inBlob = false
        try? await connection?.close()
        connection = nil
    }
}
