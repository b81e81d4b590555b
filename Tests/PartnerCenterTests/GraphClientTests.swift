import Foundation
@testable import PartnerCenter
import PartnerCenterModels
import PartnerCenterSandbox
import Testing

// Microsoft Graph reconciliation v2 through the client, against the in-process sandbox over
// loopback. The client's waits move the sandbox clock (operations advance, no real time passes).

/// A sandbox and a client (App+User, or app-only) whose sleeper advances the sandbox clock.
func withGraph(
    appOnly: Bool = false, _ configure: (inout SandboxConfiguration) throws -> Void = { _ in },
    _ body: (Harness, PartnerCenterClient) async throws -> Void
) async throws {
    let harness = try await Harness.start(configure)
    let clock = harness.sandbox.clock
    let client: PartnerCenterClient
    do {
        let graph = harness.sandbox.graphEndpoint.absoluteString
        client = try harness.client(appOnly: appOnly) { config in
            config.graphEndpoint = graph
            config.sleeper = { duration in
                clock.advance(by: duration)
                try Task.checkCancellation()
                await Task.yield()
            }
        }
    } catch {
        await harness.stop()
        throw error
    }
    do {
        try await body(harness, client)
    } catch {
        try? await client.shutdown()
        await harness.stop()
        throw error
    }
    try? await client.shutdown()
    await harness.stop()
}

/// A fresh checkpoint directory.
func checkpointDirectory() throws -> GraphCheckpointDirectory {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("pcx-graph-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return GraphCheckpointDirectory(path: path)
}

/// The lines of a batch, decoded exactly.
func decodeLines(_ batch: GraphBatch) throws -> [[String: JSONValue]] {
    try JSONDecoder().decode([[String: JSONValue]].self, from: batch.json)
}

/// Every line of a stream (or up to the end of the blob at index `untilBlob`, then one more batch).
func drain(_ stream: GraphLineStream) async throws -> [[String: JSONValue]] {
    var lines: [[String: JSONValue]] = []
    while let batch = try await stream.next() {
        let decoded = try decodeLines(batch)
        #expect(decoded.count == batch.count)
        lines += decoded
    }
    return lines
}

/// Every line of a stream as text (`line,line,...`) and their count, without decoding.
func drainText(_ stream: GraphLineStream) async throws -> (text: String, count: Int) {
    var parts: [String] = []
    var count = 0
    while let batch = try await stream.next() {
        guard batch.count > 0 else { continue }
        parts.append(String(decoding: batch.json.dropFirst().dropLast(), as: UTF8.self))
        count += batch.count
    }
    return (parts.joined(separator: ","), count)
}

/// The exact sum of a decimal column.
func sum(_ lines: [[String: JSONValue]], _ column: String) -> Decimal {
    lines.reduce(Decimal(0)) { total, line in
        if case .number(let n)? = line[column] { return total + n }
        if case .string(let s)? = line[column], let n = Decimal(string: s) { return total + n }
        return total
    }
}

/// A seeded one-time (new-commerce) invoice with its v1 one-time line count and total.
struct V1Invoice {
    var invoice: Invoice
    var lines: Int
    var total: Decimal
}

/// The Graph scale invoice (`--scale reconlines=N`).
let scaleInvoice = "G100000002"

/// Sandbox settings for an invoice of `lines` lines in blobs of `perBlob`.
func scaled(_ lines: Int, perBlob: Int) -> (inout SandboxConfiguration) throws -> Void {
    { config in
        config.scale = try SandboxScale.parse("reconlines=\(lines)")
        config.graph.linesPerBlob = perBlob
    }
}

func oneTimeInvoice(_ client: PartnerCenterClient, id wanted: String? = nil) async throws -> V1Invoice {
    var chosen: Invoice?
    for try await invoice in client.invoices() where invoice.invoiceType == .oneTime && invoice.id.hasPrefix("G") {
        if wanted == nil || invoice.id == wanted { chosen = invoice; break }
    }
    let invoice = try #require(chosen, "no one-time invoice \(wanted ?? "")")
    var count = 0
    var total = Decimal(0)
    for try await item in client.invoiceLineItems(invoiceId: invoice.id, pageSize: 2000) {
        guard case .oneTime(let line) = item else { continue }
        count += 1
        total += line.totalForCustomer ?? 0
    }
    return V1Invoice(invoice: invoice, lines: count, total: total)
}

func billed(_ invoiceId: String, attributes: String = "full") -> GraphExportRequest {
    GraphExportRequest(export: GraphBilling.export(.reconciliation, .billed), invoiceId: invoiceId, attributeSet: attributes)
}

extension Harness {
    /// Requests on a route since sequence `mark`.
    func count(_ route: String, since mark: Int = 0) -> Int { log.filter { $0.route == route && $0.sequence > mark }.count }
    var mark: Int { log.last?.sequence ?? 0 }
    var exportPosts: Int { count("graph_billing.export_billed_reconciliation") }
}

@Suite("Graph reconciliation v2: client")
struct GraphClientTests {
    @Test("a Graph-audience token (App+User and app-only) reads a billed export whose lines and total equal the invoice's v1 one-time lines")
    func billedExportMatchesV1() async throws {
        for appOnly in [false, true] {
            try await withGraph(appOnly: appOnly) { harness, client in
                // Partner Center invoice routes need App+User; the Graph export works with either.
                let partnerCenter = appOnly ? try harness.client { $0.graphEndpoint = harness.sandbox.graphEndpoint.absoluteString } : client
                let v1 = try await oneTimeInvoice(partnerCenter)
                #expect(v1.lines > 0)
                let handle = try await client.prepareExport(billed(v1.invoice.id), store: nil)
                #expect(handle.resumed == false)
                #expect(handle.manifest.eTag?.isEmpty == false)
                let lines = try await drain(client.lines(of: handle, store: nil))
                #expect(lines.count == v1.lines, "appOnly \(appOnly)")
                #expect(sum(lines, "totalForCustomer") == v1.total)
                #expect(sum(lines, "totalForCustomer") == v1.invoice.totalCharges)
                #expect(lines.allSatisfy { $0["invoiceNumber"] == .string(v1.invoice.id) })
                // Graph routes refuse a Partner Center token and vice versa: both audiences were used.
                #expect(harness.log.filter { $0.route.hasPrefix("graph_billing") }.allSatisfy { $0.status < 400 })
                #expect(harness.count("graph_billing.blob") == handle.manifest.blobs.count)
                _ = try await partnerCenter.invoice(id: v1.invoice.id)
                if appOnly { try await partnerCenter.shutdown() }
            }
        }
    }

    @Test("without PartnerBilling.Read.All: forbidden, the message names the permission, the hint says how to grant it, one request")
    func permissionMissing() async throws {
        try await withGraph({ $0.graph.grantPermission = false }) { harness, client in
            let v1 = try await oneTimeInvoice(client)
            let error = try await #require(throws: PartnerCenterError.self) {
                _ = try await client.prepareExport(billed(v1.invoice.id), store: nil)
            }
            #expect(error.category == .forbidden)
            #expect(error.status == 403)
            #expect(error.message.contains("PartnerBilling.Read.All"), "\(error)")
            #expect(error.hint?.contains("grant") == true && error.hint?.contains("PartnerBilling.Read.All") == true, "\(error)")
            #expect(harness.exportPosts == 1, "a 403 is not retried")
            #expect(harness.count("graph_billing.operation") == 0)
        }
    }

    @Test("bad invoice id, period, currency or attributes: invalid_argument, not sent, no Graph request")
    func validation() async throws {
        try await withGraph { harness, client in
            let unbilled = GraphBilling.export(.reconciliation, .unbilled)
            let bad: [(GraphExportRequest, String)] = [
                (billed(""), "invoice"), (billed("G00 1"), "invoice"), (billed("G001;drop"), "invoice"),
                (GraphExportRequest(export: unbilled, billingPeriod: "next", currencyCode: "USD"), "period"),
                (GraphExportRequest(export: unbilled, billingPeriod: "current", currencyCode: "usd"), "currency"),
                (GraphExportRequest(export: unbilled, billingPeriod: "current", currencyCode: "US"), "currency"),
                (GraphExportRequest(export: unbilled, billingPeriod: "current"), "currency"),
                (billed("G000000001", attributes: "all"), "attributes"),
            ]
            let mark = harness.mark
            for (request, word) in bad {
                let error = try await #require(throws: PartnerCenterError.self) {
                    _ = try await client.prepareExport(request, store: nil)
                }
                #expect(error.category == .invalidArgument, "\(request)")
                #expect(error.notSent, "\(request)")
                #expect(error.message.contains(word), "\(error)")
            }
            #expect(harness.log.filter { $0.sequence > mark }.isEmpty, "nothing was sent: \(harness.log.filter { $0.sequence > mark })")
        }
    }

    @Test("a failed operation (legacy D… invoice, fail-operation fault) carries code 5000 and the message")
    func failedOperation() async throws {
        try await withGraph { harness, client in
            var legacy: String?
            for try await invoice in client.invoices() where invoice.id.hasPrefix("D") { legacy = invoice.id; break }
            let legacyId = try #require(legacy)
            let error = try await #require(throws: PartnerCenterError.self) {
                _ = try await client.prepareExport(billed(legacyId), store: nil)
            }
            #expect(error.pcCode == "5000")
            #expect(error.category == .serverError)
            #expect(error.message.contains("No reconciliation data available currently for Invoice \(legacyId)"), "\(error)")

            let v1 = try await oneTimeInvoice(client)
            try harness.faults("graph_billing.export_billed_reconciliation=fail-operation")
            let failed = try await #require(throws: PartnerCenterError.self) {
                _ = try await client.prepareExport(billed(v1.invoice.id), store: nil)
            }
            #expect(failed.pcCode == "5000")
            #expect(failed.message.contains("No data available"), "\(failed)")
        }
    }

    @Test("linked manifest and PascalCase keys: lines arrive with the declared camelCase keys, totals unchanged")
    func linkedManifestPascalKeys() async throws {
        try await withGraph({ $0.graph.manifestMode = .navigationLink; $0.graph.keyCase = .pascal }) { harness, client in
            let v1 = try await oneTimeInvoice(client)
            let handle = try await client.prepareExport(billed(v1.invoice.id), store: nil)
            #expect(harness.count("graph_billing.manifest") == 1)
            let lines = try await drain(client.lines(of: handle, store: nil))
            #expect(lines.count == v1.lines)
            #expect(sum(lines, "totalForCustomer") == v1.total)
            let declared = Set(GraphBilling.reconciliationColumns.map(\.name))
            for line in lines { #expect(Set(line.keys).isSubset(of: declared), "\(line.keys.sorted())") }
            #expect(lines.first?["customerId"] != nil)

            // usage lines too: RateOfPartnerEarnedCredit and friends come back camelCase
            let usage = GraphExportRequest(export: GraphBilling.export(.usage, .billed), invoiceId: v1.invoice.id)
            let usageLines = try await drain(client.lines(of: try await client.prepareExport(usage, store: nil), store: nil))
            let usageDeclared = Set(GraphBilling.usageColumns.map(\.name))
            for line in usageLines.prefix(500) { #expect(Set(line.keys).isSubset(of: usageDeclared), "\(line.keys.sorted())") }
        }
    }

    @Test("attributes basic: only basic columns")
    func basicAttributes() async throws {
        try await withGraph { _, client in
            let v1 = try await oneTimeInvoice(client)
            let lines = try await drain(client.lines(of: try await client.prepareExport(billed(v1.invoice.id, attributes: "basic"), store: nil), store: nil))
            let basic = Set(GraphBilling.reconciliationColumns.filter(\.basic).map(\.name))
            #expect(lines.count == v1.lines)
            for line in lines { #expect(Set(line.keys).isSubset(of: basic), "\(Set(line.keys).subtracting(basic))") }
            #expect(sum(lines, "totalForCustomer") == v1.total)
        }
    }
}

@Suite("Graph reconciliation v2: resume, faults, checkpoints")
struct GraphStreamTests {
    @Test("resume: part read and closed, reopened with resume skips the consumed blobs, no new export; checkpoint 0600, removed at the end")
    func resumeWithCheckpoint() async throws {
        try await withGraph(scaled(9, perBlob: 2)) { harness, client in
            let v1 = try await oneTimeInvoice(client, id: scaleInvoice)
            try #require(v1.lines == 9)
            let store = try checkpointDirectory()
            let request = billed(v1.invoice.id)
            let handle = try await client.prepareExport(request, store: store)
            let blobs = handle.manifest.blobs
            #expect(blobs.count == (v1.lines + 1) / 2)
            let first = client.lines(of: handle, store: store)
            var firstBlob: [[String: JSONValue]] = []
            // the whole first blob, then one batch of the second (asking for it records the first as consumed)
            while let batch = try await first.next() {
                if batch.blobIndex > 0 { break }
                firstBlob += try decodeLines(batch)
            }
            first.close()
            #expect(store.load(request.key)?.consumedBlobs == [blobs[0].name])
            let files = try FileManager.default.contentsOfDirectory(atPath: store.path)
            #expect(files.count == 1)
            for file in files {
                let attributes = try FileManager.default.attributesOfItem(atPath: store.path + "/" + file)
                #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            }

            let mark = harness.mark
            let again = try await client.prepareExport(request, store: store)
            #expect(again.resumed)
            #expect(again.manifest.id == handle.manifest.id)
            #expect(harness.exportPosts == 1, "the earlier export's operation is picked up")
            let rest = try await drain(client.lines(of: again, store: store, resume: true))
            #expect(firstBlob.count + rest.count == v1.lines)
            #expect(sum(firstBlob + rest, "totalForCustomer") == v1.total)
            // (the first stream's producer may still finish a prefetch after the mark: look at names)
            let read = Set(harness.log.filter { $0.route == "graph_billing.blob" && $0.sequence > mark }.map { ($0.path as NSString).lastPathComponent })
            #expect(!read.contains(blobs[0].name), "the consumed blob is not read again")
            #expect(read.isSuperset(of: blobs.dropFirst().map(\.name)))
            #expect(store.load(request.key) == nil, "a finished export leaves no checkpoint")
        }
    }

    @Test("expired-sas on a blob: the operation is read again (no new export), every line arrives once")
    func expiredSASRenewed() async throws {
        try await withGraph(scaled(10, perBlob: 3)) { harness, client in
            let v1 = try await oneTimeInvoice(client, id: scaleInvoice)
            let clean = try await drain(client.lines(of: try await client.prepareExport(billed(v1.invoice.id), store: nil), store: nil))
            let handle = try await client.prepareExport(billed(v1.invoice.id), store: nil)
            let posts = harness.exportPosts
            let operations = harness.count("graph_billing.operation")
            try harness.faults("graph_billing.blob=ok,expired-sas")
            let lines = try await drain(client.lines(of: handle, store: nil))
            #expect(lines == clean)
            #expect(lines.count == v1.lines)
            #expect(harness.exportPosts == posts)
            #expect(harness.count("graph_billing.operation") > operations, "the SAS was renewed by reading the operation")
        }
    }

    @Test("a SAS past its expiry (sandbox clock two hours on): a fresh one is obtained and every line arrives once")
    func sasExpiredForReal() async throws {
        try await withGraph(scaled(10, perBlob: 3)) { harness, client in
            let v1 = try await oneTimeInvoice(client, id: scaleInvoice)
            let clean = try await drain(client.lines(of: try await client.prepareExport(billed(v1.invoice.id), store: nil), store: nil))
            let handle = try await client.prepareExport(billed(v1.invoice.id), store: nil)
            harness.advance(seconds: 2 * 3600)
            let lines = try await drain(client.lines(of: handle, store: nil))
            #expect(lines == clean)
        }
    }

    @Test("truncated gzip: the blob is read again, the lines already delivered are skipped; none lost, none twice")
    func truncatedBlobRetried() async throws {
        try await withGraph(scaled(6000, perBlob: 50_000)) { harness, client in
            let request = billed(scaleInvoice)
            let clean = try await drainText(client.lines(of: try await client.prepareExport(request, store: nil), store: nil))
            #expect(clean.count == 6000)
            let handle = try await client.prepareExport(request, store: nil)
            let mark = harness.mark
            try harness.faults("graph_billing.blob=truncated")
            let stream = client.lines(of: handle, store: nil)
            let lines = try await drainText(stream)
            #expect(harness.count("graph_billing.blob", since: mark) == 2)
            #expect(lines.count == clean.count)
            #expect(lines.text == clean.text, "the lines differ from a clean read")
            #expect(stream.progress.lines == 6000)
        }
    }

    @Test("operation lost after the manifest, then a blob 403: a new export is started and every line arrives once")
    func operationLostMidway() async throws {
        try await withGraph(scaled(10, perBlob: 3)) { harness, client in
            let v1 = try await oneTimeInvoice(client, id: scaleInvoice)
            let clean = try await drain(client.lines(of: try await client.prepareExport(billed(v1.invoice.id), store: nil), store: nil))
            let handle = try await client.prepareExport(billed(v1.invoice.id), store: nil)
            let posts = harness.exportPosts
            try harness.faults("graph_billing.operation=lost;graph_billing.blob=ok,expired-sas")
            let lines = try await drain(client.lines(of: handle, store: nil))
            #expect(harness.exportPosts == posts + 1)
            #expect(lines == clean)
        }
    }
}

@Suite("Graph reconciliation v2: data changes, secrets")
struct GraphChangeTests {
    @Test("the earlier export is gone (lost) when a run resumes: a new export, consumed blobs reset, every line read")
    func newExportResetsConsumed() async throws {
        try await withGraph(scaled(7, perBlob: 2)) { harness, client in
            let v1 = try await oneTimeInvoice(client, id: scaleInvoice)
            let store = try checkpointDirectory()
            let request = billed(v1.invoice.id)
            let handle = try await client.prepareExport(request, store: store)
            let first = client.lines(of: handle, store: store)
            while let batch = try await first.next(), batch.blobIndex == 0 {}
            first.close()
            #expect(store.load(request.key)?.consumedBlobs.count == 1)
            try harness.faults("graph_billing.operation=lost")
            let again = try await client.prepareExport(request, store: store)
            #expect(harness.exportPosts == 2)
            #expect(again.resumed == false)
            #expect(again.checkpoint.consumedBlobs.isEmpty)
            let lines = try await drain(client.lines(of: again, store: store, resume: true))
            #expect(lines.count == v1.lines)
        }
    }

    @Test("consumed blobs count only while the eTag and the blob names are unchanged")
    func stillConsumedFollowsETag() {
        func manifest(_ eTag: String, _ names: [String]) -> GraphBilling.Manifest {
            GraphBilling.Manifest(id: "m", createdDateTime: nil, eTag: eTag, partnerTenantId: nil, rootDirectory: "http://x/r", sasToken: "sig=s",
                                  blobs: names.map { GraphBilling.Blob(name: $0) })
        }
        let old = GraphExportCheckpoint(key: "k", operationURL: "http://x/op", startedAt: Date(), manifest: manifest("e1", ["a", "b"]),
                                        consumedBlobs: ["a"])
        #expect(PartnerCenterClient.stillConsumed(old, manifest("e1", ["a", "b"])) == ["a"])
        #expect(PartnerCenterClient.stillConsumed(old, manifest("e2", ["a", "b"])).isEmpty)
        #expect(PartnerCenterClient.stillConsumed(old, manifest("e1", ["c", "d"])).isEmpty)
        #expect(PartnerCenterClient.stillConsumed(nil, manifest("e1", ["a", "b"])).isEmpty)
    }

    @Test("the SAS never appears in an error: blob 404, storage refusing every SAS, storage 500s")
    func sasNeverInErrors() async throws {
        try await withGraph(scaled(10, perBlob: 3)) { harness, client in
            let v1 = try await oneTimeInvoice(client, id: scaleInvoice)
            for (fault, category) in [("graph_billing.blob=404", PartnerCenterError.Category.notFound),
                                      ("graph_billing.blob=9*expired-sas", .forbidden), ("graph_billing.blob=9*500", .serverError)] {
                let handle = try await client.prepareExport(billed(v1.invoice.id), store: nil)
                let sas = handle.manifest.sasToken
                let signature = try #require(sas.split(separator: "&").first { $0.hasPrefix("sig=") }).dropFirst(4)
                try harness.faults(fault)
                let error = try await #require(throws: PartnerCenterError.self) {
                    _ = try await drain(client.lines(of: handle, store: nil))
                }
                #expect(error.category == category, "\(fault): \(error)")
                for text in [error.description, error.message, error.path ?? "", error.hint ?? "", "\(error)"] {
                    #expect(!text.contains(String(signature)) && !text.contains(sas) && !text.contains("sig="), "\(fault): \(text)")
                }
            }
        }
    }
}

@Suite("Graph reconciliation v2: line assembly and key canonicalisation")
struct GraphLineAssemblyTests {
    func assemble(_ chunks: [String], _ dataSet: GraphBilling.DataSet = .reconciliation, skip: Int = 0) throws -> (lines: [[String: JSONValue]], text: String) {
        let assembler = LineAssembler(dataSet: dataSet, skip: skip)
        var out: [(Data, Int)] = []
        for chunk in chunks { out += Array(chunk.utf8).withUnsafeBytes { assembler.take($0) } }
        out += try assembler.finish()
        let lines = try out.flatMap { try JSONDecoder().decode([[String: JSONValue]].self, from: $0.0) }
        #expect(lines.count == out.reduce(0) { $0 + $1.1 })
        return (lines, out.map { String(decoding: $0.0, as: UTF8.self) }.joined())
    }

    @Test("BOM, CRLF, blank and whitespace-only lines, no final newline")
    func bomCRLFBlank() throws {
        let (lines, _) = try assemble(["\u{FEFF}{\"customerId\":\"a\",\"totalForCustomer\":1}\r\n\r\n  \t\r\n{\"customerId\":\"b\"}\r\n\n{\"customerId\":\"c\"}"])
        #expect(lines.map { $0["customerId"] } == [.string("a"), .string("b"), .string("c")])
    }

    @Test("a line split across chunks (inside a key, a value and at the newline)")
    func splitAcrossChunks() throws {
        let (lines, _) = try assemble(["{\"Custo", "merId\":\"a\",\"Total\":12.", "5}", "\n{\"CustomerId\":\"b\",\"Total\":0.1}\n", "\n"])
        #expect(lines == [["customerId": .string("a"), "totalForCustomer": .number(Decimal(string: "12.5")!)],
                          ["customerId": .string("b"), "totalForCustomer": .number(Decimal(string: "0.1")!)]])
    }

    @Test("a blob that is one JSON array of lines; decimals stay exact")
    func jsonArrayBlob() throws {
        let (lines, text) = try assemble(["  [{\"CustomerId\":\"a\",\"TotalForCustomer\":1234.56},", "{\"CustomerId\":\"b\",\"TotalForCustomer\":0.1}]"])
        #expect(lines.count == 2)
        #expect(lines.map { $0["customerId"] } == [.string("a"), .string("b")])
        #expect(text.contains("1234.56") && text.contains("0.1"), "\(text)")
        #expect(!text.contains("1234.5599") && !text.contains("0.10000"), "\(text)")
    }

    @Test("skip N: the lines an earlier attempt delivered are not delivered again")
    func skipDelivered() throws {
        let body = (1...5).map { "{\"customerId\":\"c\($0)\"}\n" }.joined()
        let (lines, _) = try assemble([body], skip: 3)
        #expect(lines.map { $0["customerId"] } == [.string("c4"), .string("c5")])
        let (none, text) = try assemble([body], skip: 5)
        #expect(none.isEmpty && text.isEmpty)
    }

    @Test("PascalCase and aliases become the declared names; percentages become rates wherever the key sits")
    func keyCanonPercent() throws {
        let line = "{\"PartnerEarnedCreditPercentage\":15,\"CustomerId\":\"a\",\"CreditPercentage\":100,\"BillingPreTaxTotal\":\"2.50\",\"ResourceURI\":\"/x\",\"Unit\":\"1 Hour\"}\n"
        let (lines, _) = try assemble([line], .usage)
        let row = try #require(lines.first)
        #expect(row["rateOfPartnerEarnedCredit"] == .number(Decimal(string: "0.15")!))
        #expect(row["rateOfCredit"] == .number(1))
        #expect(row["customerId"] == .string("a"))
        #expect(row["billingPreTaxTotal"] == .string("2.50"))
        #expect(row["resourceUri"] == .string("/x"))
        #expect(row["unitOfMeasure"] == .string("1 Hour"))
        #expect(row.count == 6)
        let (last, _) = try assemble(["{\"CustomerId\":\"a\",\"PartnerEarnedCreditPercentage\": 0}\n"], .usage)
        #expect(last.first?["rateOfPartnerEarnedCredit"] == .number(0))
        // a key inside a nested value or a string is not rewritten
        let (nested, _) = try assemble(["{\"AdditionalInfo\":\"{\\\"Unit\\\":1}\",\"Tags\":{\"Unit\":\"x\"}}\n"], .usage)
        #expect(nested.first?["additionalInfo"] == .string("{\"Unit\":1}"))
        #expect(nested.first?["tags"] == .object(["Unit": .string("x")]))
    }
}
