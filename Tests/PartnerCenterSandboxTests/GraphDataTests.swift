import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PartnerCenterModels
@testable import PartnerCenterSandbox
import Testing

@Suite("Microsoft Graph reconciliation v2: data agrees with v1 and the seeded world; faults; scale; v1 cut-over")
struct GraphDataTests {
    /// The v1 one-time billing lines of an invoice (raw JSON).
    static func v1Lines(_ h: Harness, _ invoice: String, token: String) async throws -> [JSONValue] {
        try await h.send(.GET, "/v1/invoices/\(invoice)/lineitems?provider=onetime&invoicelineitemtype=billinglineitems", token: token).json?.items ?? []
    }

    @Test("billed reconciliation: the invoice's v1 one-time lines, in several blobs, totals equal; camelCase full vs basic")
    func billedAgreesWithV1() async throws {
        try await withSandbox({ $0.graph.linesPerBlob = 2 }) { h in
            let (pc, token) = (try await h.token(), try await h.graphToken())
            let invoice = try await h.send(.GET, "/v1/invoices/G000024130", token: pc).decode(Invoice.self)
            let v1 = try await Self.v1Lines(h, "G000024130", token: pc)
            let manifest = try await h.exportManifest("reconciliation/billed", #"{"invoiceId": "G000024130"}"#, token: token)
            #expect(manifest.blobs.count == (v1.count + 1) / 2 && manifest.blobs.count > 1)
            let lines = try await h.lines(manifest)
            #expect(lines.count == v1.count && !v1.isEmpty)
            #expect(lines.reduce(Decimal(0)) { $0 + ($1["totalForCustomer"]?.decimal ?? 0) } == invoice.totalCharges)
            #expect(Set(lines[0].keys) == Set(GraphBilling.reconciliationColumns.map(\.name)))
            for (v2, old) in zip(lines, v1) {
                #expect(v2["orderId"]?.text == old["orderId"]?.text && v2["invoiceNumber"]?.text == "G000024130")
                #expect(v2["totalForCustomer"]?.decimal == old["totalForCustomer"]?.decimal)
                #expect(v2["chargeType"]?.text == "new" && v2["billingFrequency"]?.text == "")
                if let id = old["reservationOrderId"]?.text, !id.isEmpty { #expect(v2["reservationOrderId"]?.text == "RIOderId" + id) }
                #expect(v2["orderDate"]?.text?.hasSuffix("Z") == true)
            }
            let basic = try await h.lines(try await h.exportManifest("reconciliation/billed", #"{"invoiceId": "G000024130", "attributeSet": "basic"}"#, token: token))
            #expect(Set(basic[0].keys) == Set(GraphBilling.reconciliationColumns.filter(\.basic).map(\.name)))
        }
    }

    @Test("PascalCase keys and a bare reservation order id behind switches")
    func pascalCase() async throws {
        try await withSandbox({ $0.graph.keyCase = .pascal; $0.graph.reservationOrderPrefix = "" }) { h in
            let lines = try await h.lines(try await h.exportManifest("reconciliation/billed", #"{"invoiceId": "G000024130"}"#, token: try await h.graphToken()))
            #expect(lines[0]["PartnerId"] != nil && lines[0]["partnerId"] == nil && lines[0]["TotalForCustomer"]?.decimal != nil)
            #expect(lines.allSatisfy { ($0["ReservationOrderId"]?.text ?? "").count == 36 })
        }
    }

    @Test("a reservation threads order → entitlement artifact resourceId → recon reservationOrderId → usage additionalInfo")
    func reservationThreads() async throws {
        try await withSandbox { h in
            let (pc, token) = (try await h.token(), try await h.graphToken())
            var resourceIds: [String: String] = [:]   // resourceId -> order id
            for customer in try await h.customers(pc) {
                let list = try await h.send(.GET, "/v1/customers/\(customer.id)/entitlements?entitlementType=reservedInstance", token: pc).json?.items ?? []
                for e in list {
                    guard case .array(let artifacts)? = e["entitledArtifacts"] else { continue }
                    for a in artifacts { if let id = a["resourceId"]?.text { resourceIds[id.lowercased()] = e["referenceOrder"]?["id"]?.text } }
                }
            }
            var joined = 0
            for invoice in ["G000024130", "G000024131"] {
                let recon = try await h.lines(try await h.exportManifest("reconciliation/billed", #"{"invoiceId": "\#(invoice)"}"#, token: token))
                let usage = try await h.lines(try await h.exportManifest("usage/billed", #"{"invoiceId": "\#(invoice)"}"#, token: token))
                var covered: Set<String> = []
                for row in usage {
                    guard let info = row["additionalInfo"]?.text, !info.isEmpty else { continue }
                    let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(info.utf8))
                    let order = try #require(decoded["ReservationOrderId"]?.text?.lowercased())
                    #expect(resourceIds[order] != nil, "usage names reservation order \(order) no entitlement has")
                    #expect(row["billingPreTaxTotal"]?.decimal == 0 && (row["quantity"]?.decimal ?? 0) <= 24 * 3)
                    #expect(decoded["UsageType"]?.text == "ComputeHR" && decoded["ReservationId"]?.text?.count == 36)
                    covered.insert(order)
                }
                for line in recon {
                    guard let raw = line["reservationOrderId"]?.text, raw.hasPrefix("RIOderId") else { continue }
                    let guid = bareGuid(raw)
                    #expect(resourceIds[guid] == line["orderId"]?.text, "recon \(raw) → entitlement of order \(line["orderId"]?.text ?? "")")
                    if covered.contains(guid) { joined += 1 }
                }
                #expect(usage.contains { ($0["billingPreTaxTotal"]?.decimal ?? 0) > 0 }, "pay-as-you-go usage carries cost")
            }
            #expect(joined > 0, "at least one reservation of a billed invoice shows in that invoice's usage")
        }
    }

    @Test("unbilled reconciliation: blank invoiceNumber; the eTag stays until a purchase lands, then changes")
    func eTagFollowsData() async throws {
        try await withSandbox { h in
            let (pc, token) = (try await h.token(), try await h.graphToken())
            let body = #"{"billingPeriod": "current", "currencyCode": "USD"}"#
            let (customer, subscription) = try await h.customer(country: "US", registered: true, token: pc)
            let (_, item) = try await h.catalogItem(token: pc)
            let cart = try await h.send(.POST, "/v1/customers/\(customer.id)/carts", body: Harness.cartBody(catalogItemId: item, subscriptionId: subscription.id), token: pc).decode(Cart.self)
            #expect(try await h.send(.POST, "/v1/customers/\(customer.id)/carts/\(cart.id!)/checkout", token: pc).status == 201)
            h.sandbox.clock.advance(by: 900)
            let first = try await h.exportManifest("reconciliation/unbilled", body, token: token)
            let again = try await h.exportManifest("reconciliation/unbilled", body, token: token)
            #expect(first.eTag == again.eTag && first.id != again.id)
            let lines = try await h.lines(first)
            #expect(!lines.isEmpty && lines.allSatisfy { $0["invoiceNumber"]?.text == "" && $0["billingFrequency"]?.text == "" })
            let cart2 = try await h.send(.POST, "/v1/customers/\(customer.id)/carts", body: Harness.cartBody(catalogItemId: item, subscriptionId: subscription.id), token: pc).decode(Cart.self)
            #expect(try await h.send(.POST, "/v1/customers/\(customer.id)/carts/\(cart2.id!)/checkout", token: pc).status == 201)
            h.sandbox.clock.advance(by: 900)
            let after = try await h.exportManifest("reconciliation/unbilled", body, token: token)
            #expect(after.eTag != first.eTag)
            #expect(try await h.lines(after).count == lines.count + 1)
        }
    }

    @Test("faults: fail-operation, lost, expired-sas once (then the blob), truncated gzip")
    func faults() async throws {
        try await withSandbox { h in
            let token = try await h.graphToken()
            let body = #"{"invoiceId": "G000024130"}"#
            try h.sandbox.setFaults("graph_billing.export_billed_reconciliation=fail-operation")
            let failed = try await h.finish(try await h.startExport("reconciliation/billed", body, token: token), token: token)
            #expect(failed.state == .failed && failed.error?.code == "5000" && failed.error?.message == "No data available")
            let location = try await h.startExport("reconciliation/billed", body, token: token)
            try h.sandbox.setFaults("graph_billing.operation=lost")
            #expect(try await h.send(.GET, try h.local(location), token: token).status == 404)
            #expect(try await h.send(.GET, try h.local(location), token: token).status == 404)
            let manifest = try await h.exportManifest("reconciliation/billed", body, token: token)
            try h.sandbox.setFaults("graph_billing.blob=expired-sas")
            let refused = try await h.blob(manifest, manifest.blobs[0])
            #expect(refused.status == 403 && refused.header("x-ms-error-code") == "AuthenticationFailed")
            #expect(try await h.blob(manifest, manifest.blobs[0]).status == 200)
            try h.sandbox.setFaults("graph_billing.blob=truncated")
            let cut = try await h.blob(manifest, manifest.blobs[0])
            #expect(cut.status == 200)
            #expect(throws: (any Error).self) { try GzipInflater.inflate(cut.body) }
        }
    }

    @Test("--scale reconlines=N,usagelines=M: the newest invoice's export has N lines summing to its total and M usage lines")
    func scale() async throws {
        try await withSandbox({ $0.scale = try! SandboxScale.parse("reconlines=5000,usagelines=3000"); $0.graph.linesPerBlob = 2000 }) { h in
            let (pc, token) = (try await h.token(), try await h.graphToken())
            let invoices = try await h.send(.GET, "/v1/invoices", token: pc).decode(ResourceCollection<Invoice>.self).items
            let newest = try #require(invoices.first)
            #expect(newest.id == SandboxBilling.graphScaleInvoiceId)
            let manifest = try await h.exportManifest("reconciliation/billed", #"{"invoiceId": "\#(newest.id)"}"#, token: token)
            #expect(manifest.blobs.count == 3)
            let lines = try await h.lines(manifest)
            #expect(lines.count == 5000)
            #expect(lines.reduce(Decimal(0)) { $0 + ($1["totalForCustomer"]?.decimal ?? 0) } == newest.totalCharges)
            let usage = try await h.lines(try await h.exportManifest("usage/billed", #"{"invoiceId": "\#(newest.id)"}"#, token: token))
            #expect(usage.count == 3000)
        }
    }

    @Test("v1CutoverMode empty and error for new-commerce invoices after the cut-over; serve by default")
    func v1Cutover() async throws {
        for mode in [GraphSandboxOptions.V1CutoverMode.serve, .empty, .error] {
            try await withSandbox({ $0.graph.v1CutoverMode = mode }) { h in
                let pc = try await h.token()
                let result = try await h.send(.GET, "/v1/invoices/G000024130/lineitems?provider=onetime&invoicelineitemtype=billinglineitems", token: pc)
                switch mode {
                case .serve: #expect(result.status == 200 && !(result.json?.items.isEmpty ?? true))
                case .empty: #expect(result.status == 200 && result.json?.items.isEmpty == true)
                case .error: #expect(result.status == 400 && result.fault?.code == "400019", "\(result.text)")
                }
            }
        }
    }

    @Test("Graph routes throttle per app: 429 TooManyRequests with Retry-After")
    func throttling() async throws {
        try await withSandbox({ $0.graph.rateLimit = RateLimit(requests: 2, per: 60) }) { h in
            let token = try await h.graphToken()
            let path = "/v1.0/reports/partners/billing/operations/none"
            #expect(try await h.send(.GET, path, token: token).status == 404)
            #expect(try await h.send(.GET, path, token: token).status == 404)
            let limited = try await h.send(.GET, path, token: token)
            #expect(limited.status == 429 && limited.header("Retry-After") != nil)
            #expect(try limited.decode(GraphBilling.ErrorEnvelope.self).error.code == "TooManyRequests")
        }
    }
}
