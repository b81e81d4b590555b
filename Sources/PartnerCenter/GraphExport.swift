import Crypto
import Foundation
import NIOHTTP1
import PartnerCenterModels

/// What to export (addendum §3.4): one of the four exports and its parameters.
public struct GraphExportRequest: Sendable, Hashable {
    public var export: GraphBilling.Export
    /// Billed exports: the invoice.
    public var invoiceId: String?
    /// Unbilled exports: `current` or `last`.
    public var billingPeriod: String?
    /// Unbilled exports: the billing currency (`USD`).
    public var currencyCode: String?
    /// `full` (default) or `basic`.
    public var attributeSet: String

    public init(export: GraphBilling.Export, invoiceId: String? = nil, billingPeriod: String? = nil, currencyCode: String? = nil,
                attributeSet: String = "full") {
        self.export = export
        self.invoiceId = invoiceId
        self.billingPeriod = billingPeriod
        self.currencyCode = currencyCode
        self.attributeSet = attributeSet
    }

    /// Identifies the export across runs (the checkpoint's key).
    public var key: String {
        [export.name, invoiceId ?? "", billingPeriod ?? "", currencyCode ?? "", attributeSet].joined(separator: "|")
    }

    /// A short description for messages: `billed reconciliation of invoice G000123`.
    public var summary: String {
        let what = "\(export.scope.rawValue) \(export.dataSet == .reconciliation ? "invoice reconciliation" : "daily-rated usage")"
        if let invoiceId { return "\(what) of invoice \(invoiceId)" }
        return "\(what) (\(billingPeriod ?? "?") period, \(currencyCode ?? "?"))"
    }

    /// Checks the parameters before anything is sent.
    /// - Throws: ``PartnerCenterError`` `invalid_argument`, never sent.
    public func validate() throws {
        func bad(_ message: String, _ hint: String) -> PartnerCenterError {
            var error = PartnerCenterError(category: .invalidArgument, message: "pc.\(export.name): \(message)", hint: hint)
            error.notSent = true
            return error
        }
        switch export.scope {
        case .billed:
            guard let id = invoiceId, !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
                throw bad("an invoice id is required (letters and digits, e.g. G000123456), got '\(invoiceId ?? "nil")'",
                          "list invoices with pc.invoices.list() or `pcx playbook run balance`")
            }
        case .unbilled:
            guard let period = billingPeriod, ["current", "last"].contains(period) else {
                throw bad("period must be \"current\" or \"last\", got '\(billingPeriod ?? "nil")'", "e.g. { period = \"current\", currency = \"USD\" }")
            }
            guard let currency = currencyCode, currency.count == 3, currency.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
                throw bad("currency must be a 3-letter ISO code like USD, got '\(currencyCode ?? "nil")'", "e.g. { period = \"\(period)\", currency = \"USD\" }")
            }
        }
        guard ["full", "basic"].contains(attributeSet) else {
            throw bad("attributes must be \"full\" or \"basic\", got '\(attributeSet)'", "omit it for full")
        }
    }

    var body: GraphBilling.ExportRequest {
        GraphBilling.ExportRequest(invoiceId: invoiceId, billingPeriod: billingPeriod, currencyCode: currencyCode, attributeSet: attributeSet)
    }
}

/// Where an export stands across runs: its operation, its manifest (with the SAS) and the blobs
/// already consumed. Kept by a ``GraphCheckpointStore`` in the data directory (mode 0600: the SAS
/// reads billing data).
public struct GraphExportCheckpoint: Codable, Sendable, Hashable {
    public var key: String
    /// The operation's URL (`Location` of the export POST).
    public var operationURL: String
    public var startedAt: Date
    public var manifest: GraphBilling.Manifest?
    /// Names of the blobs fully consumed (in manifest order).
    public var consumedBlobs: [String]

    public init(key: String, operationURL: String, startedAt: Date, manifest: GraphBilling.Manifest? = nil, consumedBlobs: [String] = []) {
        self.key = key
        self.operationURL = operationURL
        self.startedAt = startedAt
        self.manifest = manifest
        self.consumedBlobs = consumedBlobs
    }
}

/// Keeps export checkpoints.
public protocol GraphCheckpointStore: Sendable {
    func load(_ key: String) -> GraphExportCheckpoint?
    func save(_ checkpoint: GraphExportCheckpoint) throws
    func remove(_ key: String)
}

/// Checkpoints as JSON files (mode 0600) in a directory, one per export key.
public struct GraphCheckpointDirectory: GraphCheckpointStore {
    public let path: String
    public init(path: String) { self.path = path }

    func file(_ key: String) -> String {
        let digest = SHA256.hash(data: Data(key.utf8)).map { String(format: "%02x", $0) }.joined()
        return (path as NSString).appendingPathComponent(String(digest.prefix(32)) + ".json")
    }

    public func load(_ key: String) -> GraphExportCheckpoint? {
        guard let data = FileManager.default.contents(atPath: file(key)),
              let checkpoint = try? PartnerCenterJSON.decode(GraphExportCheckpoint.self, from: data), checkpoint.key == key else { return nil }
        return checkpoint
    }

    public func save(_ checkpoint: GraphExportCheckpoint) throws {
        let data = try PartnerCenterJSON.encode(checkpoint)
        do {
            try TokenProvider.writeSecretFile(path: file(checkpoint.key), contents: String(decoding: data, as: UTF8.self))
        } catch {
            throw PartnerCenterError(category: .invalidArgument, message: "cannot write the export checkpoint in \(path): \(error.localizedDescription)",
                                     hint: "make the data directory writable (PCX_DATA_DIR)")
        }
    }

    public func remove(_ key: String) { try? FileManager.default.removeItem(atPath: file(key)) }
}

/// A wait on a running export, reported while polling (for a progress line).
public struct GraphExportWait: Sendable {
    public var summary: String
    public var status: String
    public var waited: Double
    public var nextPoll: Double
}

/// A ready export: its manifest and checkpoint.
public struct GraphExportHandle: Sendable {
    public var request: GraphExportRequest
    public var checkpoint: GraphExportCheckpoint
    public var manifest: GraphBilling.Manifest { checkpoint.manifest! }
    /// True when an earlier run's export was picked up (no new POST).
    public var resumed: Bool
}

extension PartnerCenterClient {
    /// Starts an export, or picks up the one an unfinished earlier run left in `store`, and waits
    /// (honouring `Retry-After`, sleeping, never spinning) until its manifest is ready.
    /// - Throws: ``PartnerCenterError``: `invalid_argument` for bad parameters, `server_error`
    ///   for a failed operation (its code and message), `timeout` past `timeout`.
    public func prepareExport(
        _ request: GraphExportRequest, store: (any GraphCheckpointStore)?, timeout: Duration = .seconds(1800),
        onWait: (@Sendable (GraphExportWait) -> Void)? = nil
    ) async throws -> GraphExportHandle {
        try request.validate()
        let previous = store?.load(request.key)
        if var checkpoint = previous,
           let manifest = try? await awaitManifest(request, checkpoint.operationURL, timeout: timeout, onWait: onWait) {
            // The same operation, read again: a fresh SAS, and the consumed blobs still count
            // unless the data changed (another eTag).
            checkpoint.consumedBlobs = Self.stillConsumed(previous, manifest)
            checkpoint.manifest = manifest
            try store?.save(checkpoint)
            return GraphExportHandle(request: request, checkpoint: checkpoint, resumed: true)
        }
        let location = try await startExport(request)
        var checkpoint = GraphExportCheckpoint(key: request.key, operationURL: location, startedAt: Date())
        try store?.save(checkpoint)
        let manifest = try await awaitManifest(request, location, timeout: timeout, onWait: onWait)
        checkpoint.consumedBlobs = Self.stillConsumed(previous, manifest)
        checkpoint.manifest = manifest
        try store?.save(checkpoint)
        return GraphExportHandle(request: request, checkpoint: checkpoint, resumed: previous != nil && !checkpoint.consumedBlobs.isEmpty)
    }

    /// The blobs of `previous` that still count against `manifest`: all of them when the eTag and
    /// the blob names are unchanged, none when the data changed.
    static func stillConsumed(_ previous: GraphExportCheckpoint?, _ manifest: GraphBilling.Manifest) -> [String] {
        guard let previous, let old = previous.manifest, old.eTag == manifest.eTag,
              old.blobs.map(\.name) == manifest.blobs.map(\.name) else { return [] }
        return previous.consumedBlobs
    }

    /// POSTs the export; returns the operation URL (`Location`, absolute).
    func startExport(_ request: GraphExportRequest) async throws -> String {
        let op = request.export.declaration
        let body = try PartnerCenterJSON.encode(request.body)
        let answer = try await graphCall(.POST, op.requestPath([:]), body: body, operation: op.name, accept: [200, 201, 202])
        guard let location = answer.header("Location"), !location.isEmpty else {
            throw PartnerCenterError(
                category: .serverError, message: "Microsoft Graph accepted the \(request.summary) export but sent no Location header",
                status: answer.status, requestId: answer.clientRequestId, method: "POST", path: pathOf(answer.url),
                hint: "run again; if it persists, the Graph endpoint is not the partner billing API")
        }
        if location.hasPrefix("/") { return graphOrigin + location }
        return location
    }

    /// The scheme and host of the Graph endpoint (for a relative `Location`).
    var graphOrigin: String {
        guard let url = URL(string: graphBase), let scheme = url.scheme, let host = url.host else { return graphBase }
        return "\(scheme)://\(host)" + (url.port.map { ":\($0)" } ?? "")
    }

    /// Polls the operation until it succeeds (then reads its manifest, inline or linked) or fails.
    func awaitManifest(
        _ request: GraphExportRequest, _ operationURL: String, timeout: Duration, onWait: (@Sendable (GraphExportWait) -> Void)?
    ) async throws -> GraphBilling.Manifest {
        let clock = ContinuousClock()
        let started = clock.now
        var pause = 10.0
        while true {
            let answer = try await graphCall(.GET, operationURL, operation: "graph_billing.operation")
            let operation: GraphBilling.Operation
            do { operation = try JSONDecoder().decode(GraphBilling.Operation.self, from: answer.body) } catch {
                throw PartnerCenterError(category: .serverError, message: "the export operation's status is not readable JSON",
                                         status: answer.status, requestId: answer.clientRequestId, method: "GET", path: pathOf(operationURL))
            }
            switch operation.state {
            case .succeeded: return try await manifest(of: operation, request: request, answer: answer)
            case .failed: throw exportFailed(operation, request: request, answer: answer)
            case .running: break
            }
            let waited = (clock.now - started).seconds
            let asked = answer.header("Retry-After").flatMap { RetryAfter.parse($0) }
            let next = max(0.05, asked ?? pause)
            if asked == nil { pause = min(60, pause * 1.5) }
            guard waited + next <= timeout.seconds else {
                throw PartnerCenterError(
                    category: .timeout, message: "the \(request.summary) export is still \(operation.status) after \(formatSeconds(waited))",
                    method: "GET", path: pathOf(operationURL),
                    hint: "exports take minutes on busy days; run again later: pcx picks up the same export without starting a new one")
            }
            onWait?(GraphExportWait(summary: request.summary, status: operation.status, waited: waited, nextPoll: next))
            try await graphPause(.milliseconds(Int64(next * 1000)), operation: "waiting for the \(request.summary) export")
        }
    }

    private func manifest(of operation: GraphBilling.Operation, request: GraphExportRequest, answer: GraphAnswer) async throws -> GraphBilling.Manifest {
        var manifest: GraphBilling.Manifest
        if let inline = operation.manifest {
            manifest = inline
        } else if let link = operation.manifestLink, !link.isEmpty {
            let target = link.hasPrefix("/") ? graphOrigin + link : link
            let linked = try await graphCall(.GET, target, operation: "graph_billing.manifest")
            do { manifest = try JSONDecoder().decode(GraphBilling.Manifest.self, from: linked.body) } catch {
                throw PartnerCenterError(category: .serverError, message: "the export's manifest is not readable JSON",
                                         requestId: linked.clientRequestId, method: "GET", path: pathOf(target))
            }
        } else {
            throw PartnerCenterError(category: .serverError, message: "the \(request.summary) export succeeded without a manifest (no resourceLocation)",
                                     requestId: answer.clientRequestId, method: "GET", path: pathOf(answer.url))
        }
        guard manifest.isCompressedJSON else {
            throw PartnerCenterError(category: .serverError, message: "the manifest's dataFormat '\(manifest.dataFormat ?? "")' is not compressedJSON; pcx reads gzip JSON lines only",
                                     requestId: answer.clientRequestId, method: "GET", path: pathOf(answer.url))
        }
        redactor.register(manifest.sasToken)
        if manifest.blobs.isEmpty, manifest.blobCount ?? 0 > 0 { manifest.blobCount = 0 }
        return manifest
    }

    private func exportFailed(_ operation: GraphBilling.Operation, request: GraphExportRequest, answer: GraphAnswer) -> PartnerCenterError {
        let code = operation.error?.code
        let text = operation.error?.message ?? "no reason given"
        return PartnerCenterError(
            category: .serverError, message: "Microsoft Graph could not export the \(request.summary): \(text)",
            status: answer.status, pcCode: code, requestId: answer.clientRequestId, method: "GET", path: pathOf(answer.url),
            hint: request.export.scope == .billed
                ? "v2 has new-commerce invoices only (legacy D… invoices reconcile through pc.invoices.line_items); a new invoice's data may take a day: try again later"
                : "there may be no unbilled data for that period and currency yet; try again later or check the currency")
    }
}
