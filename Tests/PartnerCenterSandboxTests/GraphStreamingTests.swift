import Foundation
import PartnerCenterModels
@testable import PartnerCenterSandbox
import Testing

@Suite("Microsoft Graph reconciliation v2: large blobs stream")
struct GraphStreamingTests {
    @Test("a 5,000-line blob streams in bounded memory and decodes to its line count and total")
    func largeBlob() async throws {
        try await withSandbox({ $0.scale = try! SandboxScale.parse("reconlines=5k"); $0.graph.linesPerBlob = 1_000_000 }) { h in
            let (pc, token) = (try await h.token(), try await h.graphToken())
            let invoice = try await h.send(.GET, "/v1/invoices/\(SandboxBilling.graphScaleInvoiceId)", token: pc).decode(Invoice.self)
            let manifest = try await h.exportManifest("reconciliation/billed", #"{"invoiceId": "\#(invoice.id)"}"#, token: token)
            #expect(manifest.blobs.count == 1)
            let result = try await h.blob(manifest, manifest.blobs[0])
            let inflater = try GzipInflater()
            var count = 0
            var total = Decimal(0)
            var pending = Data()
            try inflater.feed(result.body) { chunk in
                pending.append(contentsOf: chunk)
                while let newline = pending.firstIndex(of: 10) {
                    let line = pending[pending.startIndex..<newline]
                    if let value = try? JSONDecoder().decode(JSONValue.self, from: Data(line)), case .number(let n)? = value["totalForCustomer"] { total += n }
                    count += 1
                    pending.removeSubrange(pending.startIndex...newline)
                }
            }
            try inflater.finish()
            #expect(count == 5_000)
            #expect(total == invoice.totalCharges)
        }
    }
}
