import Foundation
import PartnerCenterModels
@testable import PartnerCenterSandbox
import Testing

@Suite("Microsoft Graph reconciliation v2: restarts, savings plans, basic usage, blobs as of their manifest")
struct GraphGapsTests {
    /// The path of an absolute URL the sandbox gave out (its port may have changed since).
    static func path(_ url: String) throws -> String {
        let afterScheme = try #require(url.range(of: "://")).upperBound
        return String(url[(url[afterScheme...].firstIndex(of: "/") ?? url.endIndex)...])
    }

    @Test("operations and their manifests and blobs survive a restart on the same database file")
    func operationsSurviveRestart() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pcx-graph-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file + suffix) } }
        var (finished, pending, manifestId, eTag, lineCount) = ("", "", "", "", 0)
        try await withSandbox({ $0.storage = .file(file) }) { h in
            let token = try await h.graphToken()
            let operation = try await h.finish(try await h.startExport("reconciliation/billed", #"{"invoiceId": "G000024130"}"#, token: token), token: token)
            let manifest = try #require(operation.manifest)
            (finished, manifestId, eTag) = ("/v1.0/reports/partners/billing/operations/\(operation.id)", manifest.id, manifest.eTag ?? "")
            pending = try Self.path(try await h.startExport("usage/billed", #"{"invoiceId": "G000024130"}"#, token: token))
            lineCount = try await h.lines(manifest).count
        }
        try await withSandbox({ $0.storage = .file(file) }) { h in
            let token = try await h.graphToken()
            let again = try await h.send(.GET, finished, token: token)
            #expect(again.status == 200, "\(again.text)")
            let operation = try again.decode(GraphBilling.Operation.self)
            #expect(operation.state == .succeeded && operation.manifest?.id == manifestId && operation.manifest?.eTag == eTag)
            let manifest = try #require(operation.manifest)
            let blob = try await h.send(.GET, try Self.path(manifest.url(of: manifest.blobs[0])))
            #expect(blob.status == 200)
            #expect(String(decoding: try GzipInflater.inflate(blob.body), as: UTF8.self).split(separator: "\n").count == lineCount)
            #expect(try await h.send(.GET, "/v1.0/reports/partners/billing/manifests/\(manifestId)", token: token).status == 200)
            let waiting = try await h.send(.GET, pending, token: token)
            #expect(waiting.status == 200, "\(waiting.text)")
            let usage = try await h.finish(h.base + pending, token: token)
            #expect(usage.state == .succeeded)
            #expect(try await h.send(.GET, "/v1.0/reports/partners/billing/operations/\(UUID().uuidString.lowercased())", token: token).status == 404)
        }
    }

    /// Buys a one-time savings plan for a USD plan customer; returns (customer, order id, savings plan order id).
    static func buySavingsPlan(_ h: Harness, _ pc: String) async throws -> (String, String, String) {
        let (customer, plan) = try await SavingsPlanTests.planCustomer(h, pc)
        let item = "\(AzureOffers.savingsPlanProductId):0001:\(SandboxCatalog.savingsPlanAvailabilityId(years: 1))"
        let cart = try await h.send(.POST, "/v1/customers/\(customer)/carts", body: SavingsPlanTests.line(item, plan: plan), token: pc).decode(Cart.self)
        let checkout = try await h.send(.POST, "/v1/customers/\(customer)/carts/\(cart.id!)/checkout", token: pc)
        try #require(checkout.status == 201, "\(checkout.text)")
        let order = try #require(try checkout.decode(CartCheckoutResult.self).orders?.first)
        h.sandbox.clock.advance(by: 31)
        let done = try await h.send(.GET, "/v1/customers/\(customer)/orders/\(order.id)", token: pc).decode(Order.self)
        let benefitId = try #require(done.lineItems?.first?.subscriptionId)
        let benefit = try await h.send(.GET, "/v1/customers/\(customer)/subscriptions/\(benefitId)", token: pc).decode(Subscription.self)
        return (customer, order.id, try #require(benefit.productOrderId))
    }

    @Test("a savings plan: its recon line carries the plan's order id (prefixed; v1 keeps it empty), its usage rows benefitOrderId/SavingsPlan; basic usage has the basic columns")
    func savingsPlan() async throws {
        try await withSandbox({ $0.orderLag = 0; $0.orderCompletionDelay = 30 }) { h in
            let (pc, token) = (try await h.token(), try await h.graphToken())
            let (customer, orderId, planOrder) = try await Self.buySavingsPlan(h, pc)
            let recon = try await h.lines(try await h.exportManifest("reconciliation/unbilled", #"{"billingPeriod": "current", "currencyCode": "USD"}"#, token: token))
            let line = try #require(recon.first { $0["orderId"]?.text == orderId && $0["productId"]?.text == AzureOffers.savingsPlanProductId })
            #expect(line["reservationOrderId"]?.text == "RIOderId" + planOrder)
            #expect(line["customerId"]?.text == customer && line["chargeType"]?.text == "new")
            let v1Invoices = try await h.send(.GET, "/v1/invoices", token: pc).decode(ResourceCollection<Invoice>.self).items
            var v1Line: JSONValue?
            for candidate in v1Invoices where candidate.id.hasPrefix("G2") {
                v1Line = try await GraphDataTests.v1Lines(h, candidate.id, token: pc).first { $0["orderId"]?.text == orderId } ?? v1Line
            }
            #expect(try #require(v1Line)["reservationOrderId"]?.text == "", "v1 keeps its empty reservationOrderId")

            let usage = try await h.lines(try await h.exportManifest("usage/unbilled", #"{"billingPeriod": "current", "currencyCode": "USD"}"#, token: token))
            let covered = usage.filter { $0["benefitType"]?.text == "SavingsPlan" }
            #expect(!covered.isEmpty)
            #expect(covered.allSatisfy { $0["benefitOrderId"]?.text?.lowercased() == planOrder.lowercased() && $0["customerId"]?.text == customer })
            #expect(covered.allSatisfy { $0["billingPreTaxTotal"]?.decimal == 0 && ($0["quantity"]?.decimal ?? 0) > 0 && $0["benefitId"]?.text?.count == 36 })
            #expect(covered.contains { bareGuid($0["benefitOrderId"]?.text ?? "") == bareGuid(line["reservationOrderId"]?.text ?? "") }, "recon reservationOrderId joins usage benefitOrderId")

            let basic = try await h.lines(try await h.exportManifest("usage/unbilled", #"{"billingPeriod": "current", "currencyCode": "USD", "attributeSet": "basic"}"#, token: token))
            let basicKeys = Set(GraphBilling.usageColumns.filter(\.basic).map(\.name))
            #expect(basic.count == usage.count && basicKeys.count < GraphBilling.usageColumns.count)
            #expect(basic.allSatisfy { Set($0.keys) == basicKeys })
            #expect(Set(usage[0].keys) == Set(GraphBilling.usageColumns.map(\.name)))
        }
    }

    @Test("a manifest's blobs serve the data as of the manifest: appended recon lines are left out; usage while its rows are the manifest's first ones, else gone (404 BlobNotFound)")
    func blobsAsOfManifest() async throws {
        try await withSandbox({ $0.orderLag = 0; $0.orderCompletionDelay = 30 }) { h in
            let (pc, token) = (try await h.token(), try await h.graphToken())
            let period = #"{"billingPeriod": "current", "currencyCode": "USD"}"#
            _ = try await Self.buySavingsPlan(h, pc)  // the current month has a charge
            let reconBefore = try await h.exportManifest("reconciliation/unbilled", period, token: token)
            let usageBefore = try await h.exportManifest("usage/unbilled", period, token: token)
            let (oldRecon, oldUsage) = (try await h.lines(reconBefore), try await h.lines(usageBefore))
            let oldBytes = try GzipInflater.inflate(try await h.blob(reconBefore, reconBefore.blobs[0]).body)
            _ = try await Self.buySavingsPlan(h, pc)

            let reconAfter = try await h.exportManifest("reconciliation/unbilled", period, token: token)
            #expect(reconAfter.eTag != reconBefore.eTag)
            #expect(try await h.lines(reconAfter).count == oldRecon.count + 1)
            let again = try await h.blob(reconBefore, reconBefore.blobs[0])
            #expect(again.status == 200)
            #expect(try GzipInflater.inflate(again.body) == oldBytes, "the old manifest's blob still has the old lines, byte for byte")

            // usage made today gained the new plan's row at its end: the old manifest's rows are still its first ones
            let usageAfter = try await h.exportManifest("usage/unbilled", period, token: token)
            let newUsage = try await h.lines(usageAfter)
            #expect(usageAfter.eTag != usageBefore.eTag && newUsage.count > oldUsage.count)
            #expect(try await h.lines(usageBefore) == oldUsage)
            // rows changed in place (the Azure subscription renamed): the old usage can no longer be made
            try await h.sandbox.engine.store.db.write { db in
                try db.execute(sql: "UPDATE azure_entitlement SET doc = json_set(doc, '$.friendlyName', 'Renamed subscription')")
            }
            let gone = try await h.blob(usageBefore, usageBefore.blobs[0])
            #expect(gone.status == 404 && gone.header("x-ms-error-code") == "BlobNotFound", "\(gone.status) \(gone.text)")
            #expect(try await h.blob(reconBefore, reconBefore.blobs[0]).status == 200, "reconciliation does not depend on the subscription's name")
            let usageNow = try await h.exportManifest("usage/unbilled", period, token: token)
            #expect(try await h.lines(usageNow).allSatisfy { $0["entitlementDescription"]?.text == "Renamed subscription" })
            #expect(try await h.blob(usageAfter, usageAfter.blobs[0]).status == 404, "that manifest's data changed too")
        }
    }
}
