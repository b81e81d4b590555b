import Foundation
import LuaRuntime
import PartnerCenter
import PartnerCenterModels
import Synchronization

/// `pc.reconciliation.*` and `pc.usage.*`: the Graph exports of ``GraphBilling/exports`` as
/// streams of lines. `graph_open` starts (or picks up) an export and waits for its manifest,
/// with a progress line on stderr while Graph prepares it; `graph_next` hands Lua the next batch
/// of lines (a JSON array decoded on the VM thread); `graph_info` says what was opened (never the
/// SAS). Checkpoints live in `<data dir>/graph-exports`.
struct GraphExports: Sendable {
    let session: Session
    let streams: GraphStreams

    /// The exports as `stdlib/pc.lua` binds them.
    static let descriptors: LuaValue = .table(LuaTable(array: GraphBilling.exports.map { export in
        .table(LuaTable(fields: [
            "name": LuaValue(export.name), "group": LuaValue(export.dataSet == .reconciliation ? "reconciliation" : "usage"),
            "verb": LuaValue(export.scope.rawValue), "billed": .boolean(export.scope == .billed),
        ]))
    }))

    /// The declared columns per data set: `{reconciliation = {{name=, type=, basic=}, ...}, usage = ...}`.
    static let columns: LuaValue = .table(LuaTable(fields: Dictionary(uniqueKeysWithValues: GraphBilling.DataSet.allCases.map { set in
        (set.rawValue, LuaValue.table(LuaTable(array: set.columns.map { c in
            .table(LuaTable(fields: ["name": LuaValue(c.name), "type": LuaValue(c.type.rawValue), "basic": .boolean(c.basic)]))
        })))
    })))

    /// The checkpoint directory.
    var store: GraphCheckpointDirectory {
        GraphCheckpointDirectory(path: session.options.paths.dataDirectory.appendingPathComponent("graph-exports").path)
    }

    /// `graph_open(name, params)`: params `invoice_id`, `period`, `currency`, `attributes`, `resume`, `timeout`.
    func open(_ args: [LuaValue]) async throws -> LuaHostResult {
        let request = try Self.request(args)
        let params = args.count > 1 ? args[1].tableValue : nil
        let resume = params?["resume"].boolValue ?? false
        let timeout = params?["timeout"].doubleValue ?? 1800
        guard timeout > 0 else { throw usage("pc.\(request.export.name): timeout must be a positive number of seconds") }
        if let to = params?["to"].stringValue {
            return try await load(request, to: to, timeout: timeout)
        }
        let target = try await session.target()
        let waitLine = WaitLine(enabled: session.progressEnabled)
        let handle = try await target.client.prepareExport(request, store: store, timeout: .milliseconds(Int64(timeout * 1000))) { wait in
            waitLine.show("waiting for the \(wait.summary) export: \(wait.status), \(Int(wait.waited)) s (next check in \(Int(wait.nextPoll.rounded(.up))) s)")
        }
        waitLine.clear()
        let stream = target.client.lines(of: handle, store: store, resume: resume)
        return .value(.integer(try streams.open(stream)))
    }

    /// Loads an export into a CSV or SQLite file natively (`to`), returning a summary table:
    /// `{target, format, export, etag, manifest_id, blobs, blobs_read, lines, unchanged, resumed, totals}`;
    /// `totals[customer][currency]` is exact decimal text.
    func load(_ request: GraphExportRequest, to path: String, timeout: Double) async throws -> LuaHostResult {
        let sink = try makeSink(path, request.export.dataSet, caller: "pc.\(request.export.name)")
        let target = try await session.target()
        let waitLine = WaitLine(enabled: session.progressEnabled)
        let handle: GraphExportHandle
        do {
            handle = try await target.client.prepareExport(request, store: store, timeout: .milliseconds(Int64(timeout * 1000))) { wait in
                waitLine.show("waiting for the \(wait.summary) export: \(wait.status), \(Int(wait.waited)) s")
            }
        } catch {
            await sink.abandon()
            throw error
        }
        let plan = try await sink.prepare(handle)
        var run = LoadRun(dataSet: request.export.dataSet)
        if case .load(let skip) = plan {
            let stream = target.client.lines(of: handle, store: store, skipping: skip)
            do {
                try await run.consume(stream, sink: sink, total: handle.manifest.blobs.count, line: waitLine, summary: request.summary)
            } catch {
                waitLine.clear()
                stream.close()
                await sink.abandon()
                throw error
            }
        }
        waitLine.clear()
        let totals = try await sink.finish(handle, lines: run.lines) ?? run.totals
        return .value(.table(LuaTable(fields: [
            "target": LuaValue((sink as? PostgresExportSink)?.target.display ?? path), "format": LuaValue(sink.format),
            "export": LuaValue(request.export.name), "etag": handle.manifest.eTag.map { LuaValue($0) } ?? .nil,
            "manifest_id": LuaValue(handle.manifest.id), "blobs": .integer(Int64(handle.manifest.blobs.count)),
            "blobs_read": .integer(Int64(run.blobs)), "lines": .integer(Int64(run.lines)),
            "stored_lines": .integer(Int64(sink.storedLines ?? run.lines)),
            "unchanged": .boolean(plan == .unchanged), "resumed": .boolean(plan != .unchanged && plan != .load(skip: [])),
            "totals": Self.luaTotals(totals),
            "names": .table(LuaTable(fields: totals.names.mapValues { LuaValue($0) })),
        ])))
    }

    static func luaTotals(_ totals: ExportTotals) -> LuaValue {
        var out: [String: LuaValue] = [:]
        for (customer, currencies) in totals.byCustomer {
            var each: [String: LuaValue] = [:]
            for (currency, amount) in currencies { each[currency] = LuaValue(NSDecimalNumber(decimal: amount).stringValue) }
            out[customer] = .table(LuaTable(fields: each))
        }
        return .table(LuaTable(fields: out))
    }

    /// The sink for `path`: `.csv`, or `.sqlite`/`.sqlite3`/`.db`; the run must allow writing there.
    func makeSink(_ path: String, _ dataSet: GraphBilling.DataSet, caller: String) throws -> any ExportSink {
        let lower = path.lowercased()
        if lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://") {
            return try PostgresExportSink(url: path, dataSet: dataSet)
        }
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let isCSV = lower.hasSuffix(".csv")
        guard isCSV || lower.hasSuffix(".sqlite") || lower.hasSuffix(".sqlite3") || lower.hasSuffix(".db") else {
            throw usage("\(caller): to = \"\(path)\" must name a .csv or a .sqlite file, or a postgres:// URL",
                        hint: "e.g. to = \"recon.csv\", to = \"recon.sqlite\" or to = \"postgres://pcx@localhost/billing\"")
        }
        try WritePolicy(allowed: session.options.limits.allowWrite,
                        denied: ScriptPolicy.denyPaths(paths: session.options.paths, environment: session.options.environment)).check(url)
        var isDirectory: ObjCBool = false
        let parent = url.deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw usage("cannot write \(url.path): the directory \(parent) does not exist", hint: "create it first, or write into an existing directory")
        }
        return isCSV ? try CSVExportSink(path: url.path, dataSet: dataSet) : try SQLiteExportSink(path: url.path, dataSet: dataSet)
    }

    /// `graph_next(id)`: the next batch (an array of line tables), or nil at the end.
    func next(_ args: [LuaValue]) async throws -> LuaHostResult {
        guard let id = args.first?.intValue, let stream = streams.stream(id) else {
            throw usage("pc.core.graph_next: unknown or closed export stream")
        }
        while true {
            guard let batch = try await stream.next() else {
                streams.close(id)
                return .value(.nil)
            }
            if batch.count > 0 { return .jsonData(batch.json) }
        }
    }

    /// `graph_info(id)`: `{manifest_id, etag, blobs, resumed, consumed_blobs, lines, export}`.
    func info(_ args: [LuaValue]) throws -> LuaHostResult {
        guard let id = args.first?.intValue, let stream = streams.stream(id, includingClosed: true) else {
            throw usage("pc.core.graph_info: unknown export stream")
        }
        let h = stream.handle
        let progress = stream.progress
        return .value(.table(LuaTable(fields: [
            "export": LuaValue(h.request.export.name), "manifest_id": LuaValue(h.manifest.id),
            "etag": h.manifest.eTag.map { LuaValue($0) } ?? .nil, "blobs": .integer(Int64(h.manifest.blobs.count)),
            "resumed": .boolean(h.resumed), "skipped_blobs": .integer(Int64(h.checkpoint.consumedBlobs.count)),
            "lines": .integer(Int64(progress.lines)), "created": h.manifest.createdDateTime.map { LuaValue($0) } ?? .nil,
        ])))
    }

    /// The export request from `graph_open`'s arguments, checked before anything is sent.
    static func request(_ args: [LuaValue]) throws -> GraphExportRequest {
        guard let name = args.first?.stringValue, let export = GraphBilling.export(named: name) else {
            throw usage("pc.core.graph_open: unknown export \(args.first?.stringValue ?? "nil")")
        }
        let params = args.count > 1 ? args[1].tableValue : nil
        func text(_ key: String) -> String? { params?[key].stringValue }
        var request = GraphExportRequest(export: export, attributeSet: text("attributes") ?? "full")
        switch export.scope {
        case .billed: request.invoiceId = text("invoice_id")
        case .unbilled:
            request.billingPeriod = text("period") ?? "current"
            request.currencyCode = text("currency")
        }
        try request.validate()
        return request
    }
}

/// One load's counters and its consumption of a stream into a sink.
struct LoadRun {
    var lines = 0
    var blobs = 0
    var totals: ExportTotals
    let reader: FlatBatchReader

    init(dataSet: GraphBilling.DataSet) {
        totals = ExportTotals(dataSet)
        reader = FlatBatchReader(dataSet)
    }

    mutating func consume(_ stream: GraphLineStream, sink: any ExportSink, total: Int, line: WaitLine, summary: String) async throws {
        var blobLines = 0
        var shown = ContinuousClock.now
        while let batch = try await stream.next() {
            try await sink.write(batch, reader: reader, totals: &totals)
            lines += batch.count
            blobLines += batch.count
            if batch.endOfBlob {
                try await sink.blobDone(batch.blob, lines: blobLines)
                blobs += 1
                blobLines = 0
            }
            if ContinuousClock.now - shown > .milliseconds(500) {
                shown = ContinuousClock.now
                line.show("loading the \(summary): \(lines) lines, blob \(min(batch.blobIndex + 1, total)) of \(total)")
            }
        }
    }
}

/// The open export streams of a run.
final class GraphStreams: Sendable {
    static let limit = 16
    private let state = Mutex<(next: Int64, open: [Int64: GraphLineStream], closed: [Int64: GraphLineStream])>((1, [:], [:]))

    func open(_ stream: GraphLineStream) throws -> Int64 {
        try state.withLock { s in
            guard s.open.count < Self.limit else {
                stream.close()
                throw usage("more than \(Self.limit) export streams are open at once", hint: "finish or close export iterators before opening new ones")
            }
            let id = s.next
            s.next += 1
            s.open[id] = stream
            return id
        }
    }

    func stream(_ id: Int64, includingClosed: Bool = false) -> GraphLineStream? {
        state.withLock { $0.open[id] ?? (includingClosed ? $0.closed[id] : nil) }
    }

    func close(_ id: Int64) {
        state.withLock { s in
            if let stream = s.open.removeValue(forKey: id) {
                stream.close()
                s.closed[id] = stream
            }
        }
    }

    func closeAll() {
        let all = state.withLock { s -> [GraphLineStream] in
            let streams = Array(s.open.values)
            s.open.removeAll()
            return streams
        }
        for stream in all { stream.close() }
    }
}

/// One status line on stderr, rewritten in place while something is awaited; only when enabled
/// (stderr is a terminal, or `--progress`).
final class WaitLine: Sendable {
    private struct State { var shown = false, closed = false }
    private let enabled: Bool
    private let state = Mutex(State())

    init(enabled: Bool) { self.enabled = enabled }

    /// Draws `text` over the previous line (nothing after ``clear()``: a late redraw is dropped).
    func show(_ text: String) {
        guard enabled else { return }
        state.withLock { s in
            guard !s.closed else { return }
            s.shown = true
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
        }
    }

    /// Erases the line, if one was drawn, and ends it.
    func clear() {
        guard enabled else { return }
        state.withLock { s in
            if s.shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            s.shown = false
            s.closed = true
        }
    }
}
