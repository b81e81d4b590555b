import Crypto
import Foundation
import GRDB
import PartnerCenterModels

// Graph reconciliation v2 exports, operations and manifests (addendum §3.4–§3.6). An export POST
// stores an operation (SQLite, so `pcx sandbox serve` restarts keep it); its state follows the
// sandbox clock: notStarted, running, then succeeded (with a manifest made at that moment and
// kept) or failed. Blobs are served by `GraphBlobs.swift`.

/// An export request after validation: enums lower-cased, currency upper-cased.
struct GraphExportRequest: Codable, Sendable, Hashable {
    var invoiceId: String?
    var billingPeriod: String?
    var currencyCode: String?
    var attributeSet: String
}

/// One stored operation.
struct GraphOperationRow: Sendable {
    let id: String
    let partnerId: String
    let export: GraphBilling.Export
    let request: GraphExportRequest
    let createdAt: Date
    let failure: GraphBilling.OperationError?
    let lost: Bool
    let manifestId: String?
    let manifest: String?
    let finishedAt: Date?
    /// The number of lines the manifest was made from.
    let lineCount: Int?

    init(_ row: Row) throws {
        id = row["id"]
        partnerId = row["partner_id"]
        export = GraphBilling.export(named: row["export"]) ?? GraphBilling.exports[0]
        request = try Doc.decode(GraphExportRequest.self, row["request"])
        createdAt = Date(timeIntervalSince1970: row["created_at"])
        let code: String? = row["failure_code"]
        failure = code.map { GraphBilling.OperationError(code: $0, message: row["failure_message"]) }
        lost = (row["lost"] as Int) != 0
        manifestId = row["manifest_id"]
        manifest = row["manifest"]
        finishedAt = (row["finished_at"] as Double?).map { Date(timeIntervalSince1970: $0) }
        lineCount = row["line_count"]
    }
}

extension SandboxEngine {
    /// `scheme://host:port` the client used (the `Host` header), for absolute URLs.
    static func origin(_ request: RequestInfo) -> String {
        "http://" + (request.headers["host"].flatMap { $0.split(separator: ",").first.map(String.init) } ?? "127.0.0.1")
    }

    /// The body of an export POST, validated (addendum §3.4): 400 `BadRequest` naming the member.
    func exportRequest(_ body: Data, _ export: GraphBilling.Export) throws(GraphError) -> GraphExportRequest {
        guard !body.isEmpty, let value = try? JSONDecoder().decode(JSONValue.self, from: body), case .object(let object) = value else {
            throw .badRequest("The request body must be a JSON object with the export's members (\(export.scope == .billed ? "invoiceId" : "billingPeriod, currencyCode"), attributeSet).")
        }
        var members: [String: String] = [:]
        for (key, child) in object {
            switch child {
            case .string(let text): members[key.lowercased()] = text
            case .null: continue
            default: throw .badRequest("The member '\(key)' must be a string.")
            }
        }
        let attribute = (members["attributeset"] ?? "full").lowercased()
        guard ["full", "basic"].contains(attribute) else {
            throw .badRequest("Invalid value '\(members["attributeset"] ?? "")' for attributeSet: use full or basic.")
        }
        var request = GraphExportRequest(attributeSet: attribute)
        if export.scope == .billed {
            guard let invoice = members["invoiceid"]?.trimmingCharacters(in: .whitespaces), !invoice.isEmpty else {
                throw .badRequest("The member 'invoiceId' is required.")
            }
            request.invoiceId = invoice
        } else {
            guard let period = members["billingperiod"], !period.isEmpty else { throw .badRequest("The member 'billingPeriod' is required: current or last.") }
            guard ["current", "last"].contains(period.lowercased()) else {
                throw .badRequest("Invalid value '\(period)' for billingPeriod: use current or last.")
            }
            guard let currency = members["currencycode"], currency.count == 3, currency.allSatisfy(\.isLetter) else {
                throw .badRequest("The member 'currencyCode' is required: a three-letter currency code such as USD.")
            }
            request.billingPeriod = period.lowercased()
            request.currencyCode = currency.uppercased()
        }
        return request
    }

    /// An export POST: a new operation, 202 + `Location` (same version segment as the request).
    func graphExport(_ request: RequestInfo, _ export: GraphBilling.Export) async throws -> SandboxResponse {
        let body = try exportRequest(request.body, export)
        let found = try await exportFailure(body, partner: request.partner)
        let failure = request.fault == .failOperation ? GraphBilling.OperationError(code: "5000", message: "No data available") : found
        let partner = request.partner.tenantId
        let seed = configuration.seed
        let id = try await store.db.write { db -> String in
            var rng = try SandboxStore.nextRandom(db, seed: seed)
            let id = IDs.guid(&rng)
            try db.execute(sql: "INSERT INTO graph_operation(id, partner_id, export, request, created_at, failure_code, failure_message) VALUES(?,?,?,?,?,?,?)",
                           arguments: [id, partner, export.name, try Doc.encode(body), request.now.timeIntervalSince1970, failure?.code, failure?.message])
            return id
        }
        let version = request.headers["x-graph-version"] ?? "v1.0"
        let location = "\(Self.origin(request))/\(version)/reports/partners/billing/operations/\(id)"
        return SandboxResponse(status: 202, headers: [("Location", location)])
    }

    /// Why a billed export will fail (addendum §3.1, §3.5): an unknown invoice, or one that is not
    /// new commerce (legacy `D…` / recurring). Nil when it can succeed.
    private func exportFailure(_ body: GraphExportRequest, partner: PartnerRecord) async throws -> GraphBilling.OperationError? {
        guard let invoiceId = body.invoiceId else { return nil }
        let type = try await store.db.read { db in
            try String.fetchOne(db, sql: "SELECT invoice_type FROM invoice WHERE id = ? AND partner_id = ?",
                                arguments: [Self.bareInvoiceId(invoiceId), partner.tenantId])
        }
        guard let type, type == "OneTime", !invoiceId.uppercased().hasPrefix("D") else {
            return GraphBilling.OperationError(code: "5000", message: "No reconciliation data available currently for Invoice \(invoiceId). Please try again later.")
        }
        return nil
    }

    /// The stored operation of this partner, or a Graph 404 (unknown, lost, or past its lifetime: 404 or 410).
    func operationRow(id: String, manifestId: String? = nil, partner: PartnerRecord, now: Date) async throws -> GraphOperationRow {
        let row = try await store.db.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM graph_operation WHERE \(manifestId == nil ? "id" : "manifest_id") = ? AND partner_id = ?",
                             arguments: [manifestId ?? id, partner.tenantId]).map(GraphOperationRow.init)
        }
        let what = manifestId == nil ? "operation" : "manifest"
        guard let row, !row.lost else { throw GraphError.notFound("The \(what) '\(manifestId ?? id)' was not found.") }
        if now.timeIntervalSince(row.createdAt) > configuration.graph.operationLifetime {
            let status = configuration.graph.expiredStatus
            throw GraphError(status: status, code: status == 410 ? "Gone" : "ResourceNotFound",
                             message: "The \(what) '\(manifestId ?? id)' has expired; start a new export.")
        }
        return row
    }

    /// `GET /reports/partners/billing/operations/{id}`: 200 with the state's body while it exists.
    func graphOperation(_ request: RequestInfo) async throws -> SandboxResponse {
        let id = request.param("operation_id")
        if request.fault == .lost {
            try await store.db.write { db in try db.execute(sql: "UPDATE graph_operation SET lost = 1 WHERE id = ?", arguments: [id]) }
        }
        var row = try await operationRow(id: id, partner: request.partner, now: request.now)
        let options = configuration.graph
        let elapsed = request.now.timeIntervalSince(row.createdAt)
        let version = request.headers["x-graph-version"] ?? "v1.0"
        var object: [String: JSONValue] = [
            "@odata.context": .string("\(Self.origin(request))/\(version)/$metadata#reports/partners/billing/operations/$entity"),
            "id": .string(row.id), "createdDateTime": .string(Self.graphDate(row.createdAt, fraction: false)),
        ]
        // once finished it stays so (even if a restarted sandbox's clock is behind the old one's)
        if row.finishedAt == nil && elapsed < options.notStartedSeconds + options.runningSeconds {
            object["@odata.type"] = .string(GraphBilling.runningType)
            object["status"] = .string(elapsed < options.notStartedSeconds ? "notStarted" : "running")
            object["lastActionDateTime"] = .string(Self.graphDate(request.now, fraction: true))
            var response = SandboxResponse.json(object)
            response.headers.append(("Retry-After", String(options.retryAfterSeconds)))
            return response
        }
        if row.failure == nil && row.manifest == nil { row = try await finishOperation(row, request: request) }
        object["lastActionDateTime"] = .string(Self.graphDate(row.finishedAt ?? request.now, fraction: true))
        if let failure = row.failure {
            object["@odata.type"] = .string(GraphBilling.failedType)
            object["status"] = .string("failed")
            object["error"] = .object(["code": .string(failure.code ?? "5000"), "message": .string(failure.message ?? "")])
        } else if let manifest = row.manifest, let manifestId = row.manifestId {
            object["@odata.type"] = .string(GraphBilling.successType)
            object["status"] = .string("succeeded")
            if options.manifestMode == .inline {
                object["resourceLocation"] = try JSONDecoder().decode(JSONValue.self, from: Data(manifest.utf8))
            } else {
                object["resourceLocation@odata.navigationLink"] = .string("\(Self.origin(request))/\(version)/reports/partners/billing/manifests/\(manifestId)")
            }
        }
        return .json(object)
    }

    /// `GET /reports/partners/billing/manifests/{id}` (navigation-link mode, but always served).
    func graphManifest(_ request: RequestInfo) async throws -> SandboxResponse {
        let manifestId = request.param("manifest_id")
        let row = try await operationRow(id: "", manifestId: manifestId, partner: request.partner, now: request.now)
        guard let manifest = row.manifest, case .object(var object) = try JSONDecoder().decode(JSONValue.self, from: Data(manifest.utf8)) else {
            throw GraphError.notFound("The manifest '\(manifestId)' was not found.")
        }
        let version = request.headers["x-graph-version"] ?? "v1.0"
        object["@odata.context"] = .string("\(Self.origin(request))/\(version)/$metadata#reports/partners/billing/manifests/$entity")
        return .json(object)
    }

    /// The end of a running operation: its data set is made now; no lines fails it ("No data
    /// available", code 5000), else a manifest is made and kept.
    private func finishOperation(_ row: GraphOperationRow, request: RequestInfo) async throws -> GraphOperationRow {
        let source = try await lineSource(for: row, partner: request.partner)
        let now = request.now
        let manifestId = IDs.guidFrom(row.id + "|manifest")
        let failure = source.count == 0 ? GraphBilling.OperationError(code: "5000", message: "No data available") : nil
        let manifestText = source.count == 0 ? nil
            : try Doc.encode(makeManifest(id: manifestId, row: row, source: source, origin: Self.origin(request), now: now, partner: request.partner))
        let id = row.id
        try await store.db.write { db in
            try db.execute(sql: "UPDATE graph_operation SET failure_code = ?, failure_message = ?, manifest_id = ?, manifest = ?, line_count = ?, finished_at = ? WHERE id = ? AND manifest IS NULL AND failure_code IS NULL",
                           arguments: [failure?.code, failure?.message, failure == nil ? manifestId : nil, manifestText, source.count, now.timeIntervalSince1970, id])
        }
        return try await operationRow(id: row.id, partner: request.partner, now: now)
    }

    /// The manifest (addendum §3.6): blobs of ``GraphSandboxOptions/linesPerBlob`` lines under a
    /// root directory on the sandbox itself, with a signed directory SAS.
    private func makeManifest(id: String, row: GraphOperationRow, source: any GraphLineSource, origin: String, now: Date,
                              partner: PartnerRecord) -> GraphBilling.Manifest {
        let perBlob = max(1, configuration.graph.linesPerBlob)
        let count = (source.count + perBlob - 1) / perBlob
        let blobs = (0..<max(1, count)).map { GraphBilling.Blob(name: String(format: "part-%05d-", $0) + id + ".c000.json.gz", partitionValue: "default") }
        let root = "\(origin)/\(Self.blobRoot)/\(id)/PartnerTenantId=\(partner.tenantId)/Export=\(row.export.name)/Fragment=\(row.request.attributeSet)/PartitionType=default"
        let expiry = now.addingTimeInterval(configuration.graph.sasLifetime)
        return GraphBilling.Manifest(id: id, createdDateTime: Self.graphDate(now, fraction: true), eTag: eTag(of: source, row: row),
                                     partnerTenantId: partner.tenantId, rootDirectory: root,
                                     sasToken: sasToken(manifestId: id, start: now, expiry: expiry), blobs: blobs)
    }

    /// A version of the data (addendum §3.6): the same lines give the same eTag; new data a new one.
    func eTag(of source: any GraphLineSource, row: GraphOperationRow) -> String {
        var hash = SHA256()
        hash.update(data: Data("\(row.export.name)|\(row.request.invoiceId ?? "")|\(row.request.currencyCode ?? "")|\(row.request.attributeSet)|".utf8))
        if let identity = source.identity {
            hash.update(data: Data(identity.utf8))
        } else {
            var bytes: [UInt8] = []
            let writer = source.writer(style: GraphLineStyle(keyCase: .camel, basic: false, dataSet: row.export.dataSet))
            for index in 0..<source.count {
                bytes.removeAll(keepingCapacity: true)
                writer.append(index, to: &bytes)
                hash.update(data: bytes)
            }
        }
        return TokenSigner.base64URL(Data(hash.finalize().prefix(12)))
    }
}

extension IDs {
    /// A GUID derived from text (stable for the same text).
    static func guidFrom(_ text: String) -> String {
        let digest = Array(SHA256.hash(data: Data(text.utf8)))
        var rng = SplitMix64(seed: digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        return guid(&rng)
    }
}
