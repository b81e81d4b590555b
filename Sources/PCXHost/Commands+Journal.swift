import Foundation
import PartnerCenter
import PartnerCenterModels

extension PCXCommands {
    /// `pcx journal list`: the newest entries that pass the filters, as a table, JSON, CSV or TSV
    /// (`-o`). A `limit` below 1 or a filter pcx cannot read is an input error (exit 2).
    public static func journalList(limit: Int, output: OutputFormat, query: JournalQuery = JournalQuery(),
                                   paths: PCXPaths = PCXPaths()) -> Int32 {
        let json = output == .json
        guard limit >= 1 else {
            return ErrorReport.input("--limit must be at least 1, got \(limit)", hint: "leave --limit out to see the newest 50 entries")
                .print(json: json)
        }
        let filter: Journal.Filter
        do { filter = try query.filter() } catch { return error.report.print(json: json) }
        if let problem = dataDirectoryProblem(paths) { return problem.print(json: json) }
        do {
            let exists = FileManager.default.fileExists(atPath: paths.journal.path)
            if !exists && output == .table {
                print("the journal is empty: nothing was bought or registered yet (\(paths.journal.path))")
                return ExitCode.ok.rawValue
            }
            let entries = exists ? try Journal(url: paths.journal).list(limit: limit, filter: filter) : []
            if json {
                print(entries.isEmpty ? "[]" : try encodeJSON(entries.map(JournalView.init)))
                return ExitCode.ok.rawValue
            }
            if entries.isEmpty && !query.isEmpty && output == .table {
                print("no journal entry matches the filters")
                return ExitCode.ok.rawValue
            }
            // "endpoint": the Target column is where the call went (sandbox or the endpoint); JSON's
            // `target` is the whole canonical target, tenant included
            let keys = ["id", "created_at", "operation", "state", "endpoint", "customer", "cart_id", "result", "script"]
            let headers = ["ID", "When (UTC)", "Operation", "State", "Target", "Customer", "Cart", "Result", "Script"]
            let rows = entries.map { e in
                [String(e.id ?? 0), iso(e.createdAt), e.operation, e.state.rawValue, e.endpoint, e.customer,
                 e.cartId ?? "", summary(of: e), e.script]
            }
            let columns = zip(headers, keys).map { OutputRows.Column($0, key: $1, rightAligned: $1 == "id") }
            print(OutputRows(columns: columns, rows: rows).render(output), terminator: output == .table ? "\n" : "")
            return ExitCode.ok.rawValue
        } catch {
            return journalFailure(error, json: json)
        }
    }

    /// An input error (exit 2) when the journal has no entry `id`; nil when it has one, or when
    /// the journal cannot be read (the caller reports that).
    private static func missingEntry(_ id: Int64, paths: PCXPaths) -> ErrorReport? {
        let missing = ErrorReport.input("no journal entry \(id)", hint: "`pcx journal list` shows the entries")
        guard FileManager.default.fileExists(atPath: paths.journal.path) else { return missing }
        guard let journal = try? Journal(url: paths.journal) else { return nil }
        do {
            return try journal.entry(id: id) == nil ? missing : nil
        } catch {
            return nil
        }
    }

    /// An input error (exit 2) when pcx's data directory exists but is not a directory (so the
    /// journal cannot be in it: "empty" would mislead); nil otherwise. Creates nothing.
    static func dataDirectoryProblem(_ paths: PCXPaths) -> ErrorReport? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: paths.dataDirectory.path, isDirectory: &isDirectory),
              !isDirectory.boolValue else { return nil }
        do {
            try PCXPaths.ensureDirectory(paths.dataDirectory)
            return nil
        } catch {
            let e = (error as? PartnerCenterError) ?? PartnerCenterError(category: .invalidArgument, message: "\(error)")
            return .input(e.message, hint: e.hint)
        }
    }

    /// The journal could not be read: exit 1, as text or one JSON line.
    private static func journalFailure(_ error: any Error, json: Bool) -> Int32 {
        ErrorReport((raisable(error) as? PartnerCenterError) ?? PartnerCenterError(category: .scriptError, message: "\(error)"))
            .print(json: json)
    }

    /// `pcx journal show ID`: one entry with its plan, outcome and the order's final state, as
    /// field/value lines (`-o table`), JSON, or `field,value` rows (`-o csv|tsv`). An id with no
    /// entry is an input error (exit 2).
    public static func journalShow(id: Int64, output: OutputFormat, paths: PCXPaths = PCXPaths()) -> Int32 {
        let json = output == .json
        if let problem = dataDirectoryProblem(paths) { return problem.print(json: json) }
        do {
            guard FileManager.default.fileExists(atPath: paths.journal.path), let e = try Journal(url: paths.journal).entry(id: id) else {
                return ErrorReport.input("no journal entry \(id)", hint: "`pcx journal list` shows the entries").print(json: json)
            }
            if json {
                print(try encodeJSON(JournalView(e)))
                return ExitCode.ok.rawValue
            }
            let fields = entryFields(e)
            if output == .table {
                let lines = fields.map { $0.0.padding(toLength: 13, withPad: " ", startingAt: 0) + $0.1 } + historyLines(e)
                print(lines.map { visible($0) }.joined(separator: "\n"))
            } else {
                print(OutputRows(record: fields).render(output), terminator: "")
            }
            return ExitCode.ok.rawValue
        } catch {
            return journalFailure(error, json: json)
        }
    }

    /// An entry's fields in `journal show`'s order (labels as its table shows them).
    static func entryFields(_ e: JournalEntry) -> [(String, String)] {
        var fields = [("entry", String(e.id ?? 0)), ("operation", e.operation), ("state", e.state.rawValue)]
        if let order = orderLine(e) { fields.append(("order", order)) }
        fields += [
            ("created", iso(e.createdAt)), ("updated", iso(e.updatedAt)), ("customer", e.customer), ("target", e.target),
            ("script", e.script), ("request id", e.requestId), ("idempotency", e.idempotencyKey), ("body sha256", e.bodyHash),
        ]
        if let cart = e.cartId { fields.append(("cart", cart)) }
        if let plan = e.plan { fields.append(("plan", plan)) }
        if let outcome = e.outcome { fields.append(("outcome", outcome)) }
        if let settled = e.settledOrder { fields.append(("final order", settled)) }
        if let error = e.error { fields.append(("error", error)) }
        return fields
    }

    /// A short description of an entry's result (order ids for checkouts, with the order's final
    /// status once pcx saw it settle).
    static func summary(of e: JournalEntry) -> String {
        if let error = e.error { return String(error.prefix(60)) }
        let status = settledStatus(e).map { " " + $0 } ?? ""
        return placedOrders(e).map { "order \($0.id)\(status)" }.joined(separator: ", ")
    }

    /// The orders an entry's answer placed: a checkout's `orders`, or an order made directly.
    static func placedOrders(_ e: JournalEntry) -> [(id: String, status: String)] {
        guard let data = e.outcome?.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
        let orders = (object["orders"] as? [[String: Any]]) ?? (e.operation == "orders.create" ? [object] : [])
        return orders.compactMap { o in (o["id"] as? String).map { ($0, (o["status"] as? String) ?? "") } }
    }

    /// The status of the order as pcx last saw it (`completed`), when it saw it after the answer.
    static func settledStatus(_ e: JournalEntry) -> String? {
        guard let data = e.settledOrder?.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return object["status"] as? String
    }

    /// `ID completed (seen …)`, or the status the purchase's answer gave when pcx saw no later one.
    static func orderLine(_ e: JournalEntry) -> String? {
        let orders = placedOrders(e)
        guard !orders.isEmpty else { return nil }
        let ids = orders.map(\.id).joined(separator: ", ")
        if let status = settledStatus(e), let at = e.settledAt { return "\(ids) \(status) (seen \(iso(at)))" }
        let answered = orders.map(\.status).first { !$0.isEmpty } ?? "placed"
        return "\(ids) \(answered) (as the purchase was answered; pcx has not seen the order since)"
    }

    /// The entry's history, when the order was seen after the purchase's answer.
    static func historyLines(_ e: JournalEntry) -> [String] {
        guard let status = settledStatus(e), let at = e.settledAt else { return [] }
        let orders = placedOrders(e)
        let ids = orders.map(\.id).joined(separator: ", ")
        let answered = orders.map(\.status).first { !$0.isEmpty } ?? "placed"
        return [
            "history      \(iso(e.createdAt))  journaled before sending",
            "             \(iso(e.updatedAt))  \(e.state.rawValue): order \(ids) \(answered)",
            "             \(iso(at))  order \(ids) \(status)",
        ]
    }

    /// `pcx journal resolve ID --not-bought`: closes an unfinished purchase the user says was not
    /// made, after checking the customer's orders at the same Partner Center: an order found is
    /// recorded instead (and nothing is marked).
    public static func journalResolve(id: Int64, notBought: Bool, options: HostOptions) async -> Int32 {
        guard notBought else {
            return ErrorReport.input("say what happened: pcx journal resolve \(id) --not-bought",
                                     hint: "an order that was placed is found by re-running the purchase").print(json: options.json)
        }
        if let missing = missingEntry(id, paths: options.paths) { return missing.print(json: options.json) }
        if let code = Session.preflight(options) { return code }
        let session = Session(options: options, script: "journal resolve")
        defer { Task { await session.shutdown() } }
        do {
            let message = try await JournalResolver(session: session).markNotBought(id)
            print(visible(message))
            return ExitCode.ok.rawValue
        } catch {
            var report = ErrorReport((raisable(error) as? PartnerCenterError) ?? PartnerCenterError(category: .scriptError, message: "\(error)"))
            // a bad setting found before anything was sent (PCX_ORDER_LIST_LAG) is an input error
            if report.error.category == .invalidArgument && report.error.notSent { report.exitStatus = ExitCode.usage.rawValue }
            return report.print(json: options.json)
        }
    }
}

/// The JSON shape of a journal entry for `--json`.
struct JournalView: Encodable {
    let id: Int64
    let created_at: String
    let updated_at: String
    let operation: String
    let state: String
    let customer: String
    let target: String
    let script: String
    let request_id: String
    let idempotency_key: String
    let body_sha256: String
    let cart_id: String?
    let plan: JSONText?
    let outcome: JSONText?
    let error: String?
    /// The order as pcx last saw it, and when (a purchase's final state; `outcome` is its answer).
    let settled_order: JSONText?
    let settled_at: String?

    init(_ e: JournalEntry) {
        id = e.id ?? 0
        created_at = iso(e.createdAt)
        updated_at = iso(e.updatedAt)
        operation = e.operation
        state = e.state.rawValue
        customer = e.customer
        target = e.target
        script = e.script
        request_id = e.requestId
        idempotency_key = e.idempotencyKey
        body_sha256 = e.bodyHash
        cart_id = e.cartId
        plan = e.plan.map(JSONText.init)
        outcome = e.outcome.map(JSONText.init)
        error = e.error
        settled_order = e.settledOrder.map(JSONText.init)
        settled_at = e.settledAt.map(iso)
    }
}

/// Embeds already-encoded JSON text in an Encodable value (decoded, so it nests as JSON).
struct JSONText: Encodable {
    let text: String
    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        if let data = text.data(using: .utf8), let v = try? JSONDecoder().decode(AnyJSON.self, from: data) {
            try c.encode(v)
        } else {
            try c.encode(text)
        }
    }
}

/// Any JSON value, for re-encoding.
enum AnyJSON: Codable {
    case null, bool(Bool), number(Decimal), string(String), array([AnyJSON]), object([String: AnyJSON])
    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null } else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Decimal.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([AnyJSON].self) { self = .array(a) }
        else { self = .object(try c.decode([String: AnyJSON].self)) }
    }
    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

func iso(_ d: Date) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    return f.string(from: d)
}

func encodeJSON<T: Encodable>(_ v: T) throws -> String {
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try enc.encode(v), as: UTF8.self)
}

/// An aligned text table.
func textTable(header: [String], rows: [[String]]) -> String {
    let rows = rows.map { $0.map { visible($0) } }
    var widths = header.map(\.count)
    for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { i, c in c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
            .joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
    }
    return ([line(header), line(widths.map { String(repeating: "-", count: $0) })] + rows.map(line)).joined(separator: "\n")
}

/// Writes a line to standard error.
func printError(_ s: String, newline: Bool = true) {
    writeAll(2, s.hasSuffix("\n") || !newline ? s : s + "\n")
}

/// Writes all of `text` to file descriptor `fd`, retrying when a signal interrupts the write
/// (pcx's timers signal threads; Foundation's FileHandle.write traps on EINTR).
public func writeAll(_ fd: Int32, _ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n > 0 { bytes = bytes.dropFirst(n) } else if n < 0 && errno == EINTR { continue } else { return }
    }
}
