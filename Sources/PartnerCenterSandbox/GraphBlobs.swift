import Crypto
import Foundation
import GRDB
import PartnerCenterModels

// The Azure Storage side of Graph reconciliation v2 (addendum §3.6, §3.7): a manifest's blobs at
// `{rootDirectory}/{name}?{sasToken}` on the sandbox itself, no Authorization header; the SAS is
// signed (HMAC with the sandbox's key) and checked against the sandbox clock; the body is gzip of
// JSON lines, generated and compressed as it is sent, so a blob of any size never sits whole in
// memory.

/// A response body produced chunk by chunk while it is sent.
struct BodyStream: Sendable {
    /// Makes the producer of one response: each call of the returned function gives the next
    /// chunk, nil at the end.
    let start: @Sendable () throws -> () throws -> Data?
}

/// Deflates a range of lines, a batch at a time.
final class BlobProducer {
    private let writer: any GraphLineWriter
    private var index: Int
    private let end: Int
    private let truncated: Bool
    private let deflater: GzipDeflater
    private var done = false
    private var bytes: [UInt8] = []

    init(source: any GraphLineSource, style: GraphLineStyle, range: Range<Int>, truncated: Bool) throws {
        self.writer = source.writer(style: style)
        self.index = range.lowerBound
        self.truncated = truncated
        // a truncated blob stops half-way and never writes the gzip trailer
        self.end = truncated ? range.lowerBound + range.count / 2 : range.upperBound
        self.deflater = try GzipDeflater()
        bytes.reserveCapacity(2 << 20)
    }

    func next() throws -> Data? {
        while !done {
            var out = Data()
            bytes.removeAll(keepingCapacity: true)
            let batchEnd = min(end, index + 1000)
            while index < batchEnd {
                writer.append(index, to: &bytes)
                bytes.append(10)
                index += 1
            }
            try bytes.withUnsafeBytes { input in try deflater.feed(input) { out.append(contentsOf: $0) } }
            if index >= end {
                done = true
                if !truncated { try deflater.finish { out.append(contentsOf: $0) } }
            }
            if !out.isEmpty { return out }
        }
        return nil
    }
}

extension SandboxEngine {
    /// The first path segment of blob URLs.
    static let blobRoot = "graphblobs"
    static let sasVersion = "2021-08-06"

    /// The signature of a manifest's directory SAS.
    func sasSignature(manifestId: String, permissions: String, expiry: String, resource: String, version: String) -> String {
        let text = [manifestId.lowercased(), permissions, expiry, resource, version].joined(separator: "\n")
        return Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: signer.key)).base64EncodedString()
    }

    /// A directory SAS (no leading `?`): `sv`, `st`, `se` (percent-encoded), `sr=d`, `sp=rl`, `sdd`, `sig`.
    func sasToken(manifestId: String, start: Date, expiry: Date) -> String {
        let se = Self.graphDate(expiry, fraction: false)
        let sig = sasSignature(manifestId: manifestId, permissions: "rl", expiry: se, resource: "d", version: Self.sasVersion)
        func encode(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text }
        return "sv=\(Self.sasVersion)&st=\(encode(Self.graphDate(start, fraction: false)))&se=\(encode(se))&sr=d&sp=rl&sdd=6&sig=\(encode(sig))"
    }

    /// An Azure Storage error: XML body, `x-ms-error-code`.
    static func storageError(_ status: Int, _ code: String, _ message: String) -> SandboxOutcome {
        let body = GraphBilling.StorageError(code: code, message: message).xml
        return .respond(SandboxResponse(status: status, headers: [("Content-Type", "application/xml"), ("x-ms-error-code", code)], body: Data(body.utf8)))
    }

    /// Checks a blob request's SAS: signature, read permission, expiry by the sandbox clock.
    func checkSAS(_ query: [String: String], manifestId: String, now: Date) -> SandboxOutcome? {
        let permissions = query["sp"] ?? "", expiry = query["se"] ?? ""
        let expected = sasSignature(manifestId: manifestId, permissions: permissions, expiry: expiry, resource: query["sr"] ?? "", version: query["sv"] ?? "")
        guard let sig = query["sig"], sig == expected else {
            return Self.storageError(403, "AuthenticationFailed", "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.")
        }
        guard permissions.contains("r") else {
            return Self.storageError(403, "AuthorizationPermissionMismatch", "This request is not authorized to perform this operation using this permission.")
        }
        guard let until = WireDate.parse(expiry), until > now else {
            return Self.storageError(403, "AuthenticationFailed", "Server failed to authenticate the request. Signature not valid in the specified time frame: Expiry [\(expiry)] - Current [\(Self.graphDate(now, fraction: false))]")
        }
        return nil
    }

    /// `GET {rootDirectory}/{name}?{sas}`.
    func handleBlob(segments: [String], query rawQuery: String, head: Bool, trace: inout Trace) async -> SandboxOutcome {
        trace.route = SandboxRoutes.blobRoute
        let fault = faults.next(route: SandboxRoutes.blobRoute)
        if fault != .pass { trace.fault = fault.description }
        guard segments.count >= 3, let name = segments.last else { return Self.storageError(404, "ResourceNotFound", "The specified resource does not exist.") }
        let manifestId = segments[1]
        if let refusal = checkSAS(parseQuery(rawQuery), manifestId: manifestId, now: trace.now) { return refusal }
        if fault == .expiredSAS {
            return Self.storageError(403, "AuthenticationFailed", "Server failed to authenticate the request. Signature not valid in the specified time frame (injected fault).")
        }
        if case .status(let code) = fault { return Self.storageError(code, code >= 500 ? "InternalError" : "InvalidInput", "Injected fault: HTTP \(code).") }
        if fault == .dropBefore { return .drop }
        do {
            guard let blob = try await blobSource(manifestId: manifestId, name: name) else {
                return Self.storageError(404, "BlobNotFound", "The specified blob does not exist.")
            }
            trace.partnerId = blob.partner
            var response = SandboxResponse(status: 200, headers: [("Content-Type", "application/octet-stream"), ("x-ms-blob-type", "BlockBlob"),
                                                                  ("x-ms-version", Self.sasVersion)])
            if !head {
                let (source, style, range) = (blob.source, blob.style, blob.range)
                let truncated = fault == .truncated || fault == .malformed
                response.stream = BodyStream { let producer = try BlobProducer(source: source, style: style, range: range, truncated: truncated); return producer.next }
            }
            return .respond(response)
        } catch {
            logger.error("sandbox blob failed", metadata: ["error": "\(error)"])
            return Self.storageError(500, "InternalError", "The sandbox could not produce the blob.")
        }
    }

    /// The lines of a manifest's blob: its operation's data set, the blob's slice.
    private func blobSource(manifestId: String, name: String) async throws
        -> (source: any GraphLineSource, style: GraphLineStyle, range: Range<Int>, partner: String)? {
        let row = try await store.db.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM graph_operation WHERE manifest_id = ? AND manifest IS NOT NULL", arguments: [manifestId]).map(GraphOperationRow.init)
        }
        guard let row, let partner = partners.first(where: { $0.tenantId.caseInsensitiveCompare(row.partnerId) == .orderedSame }),
              let manifest = row.manifest.flatMap({ try? Doc.decode(GraphBilling.Manifest.self, $0) }),
              let index = manifest.blobs.firstIndex(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame }) else { return nil }
        guard let source = snapshot(try await lineSource(for: row, partner: partner), row: row, eTag: manifest.eTag) else { return nil }
        let perBlob = max(1, configuration.graph.linesPerBlob)
        let lower = min(source.count, index * perBlob)
        let upper = index == manifest.blobs.count - 1 ? source.count : min(source.count, lower + perBlob)
        let style = GraphLineStyle(keyCase: configuration.graph.keyCase, basic: row.request.attributeSet == "basic", dataSet: row.export.dataSet)
        return (source, style, lower..<max(lower, upper), partner.tenantId)
    }

    /// The lines as of the manifest (its eTag), or nil when they can no longer be made (the blob
    /// is gone, as an Azure blob replaced by a newer export would be). Stored reconciliation lines
    /// are only ever appended (new charges go to the end of an invoice), so the manifest's lines
    /// are the first `line_count` of today's; usage is made from current facts, so it is served
    /// only while its eTag still matches. Generated lines never change.
    private func snapshot(_ source: any GraphLineSource, row: GraphOperationRow, eTag expected: String?) -> (any GraphLineSource)? {
        var source = source
        if let stored = source as? StoredGraphLines, let count = row.lineCount, stored.count > count {
            source = StoredGraphLines(rows: Array(stored.rows.prefix(count)))
        }
        return eTag(of: source, row: row) == expected ? source : nil
    }
}
