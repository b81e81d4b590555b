import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PartnerCenterModels
@testable import PartnerCenterSandbox
import Testing

@Suite("Microsoft Graph reconciliation v2: auth, exports, operations, manifests, blobs")
struct GraphReconciliationTests {
    static let billed = #"{"invoiceId": "G000024130"}"#

    @Test("Graph tokens are accepted on Graph routes, Partner Center tokens refused there and vice versa")
    func tokens() async throws {
        try await withSandbox { h in
            for appUser in [false, true] {
                let graph = try await h.graphToken(appUser: appUser)
                let missing = try await h.send(.GET, "/v1.0/reports/partners/billing/operations/00000000-0000-4000-a000-000000000000", token: graph)
                #expect(missing.status == 404)
                #expect(try missing.decode(GraphBilling.ErrorEnvelope.self).error.innerError?.requestId != nil)
                let onPC = try await h.send(.GET, "/v1/customers", token: graph)
                #expect(onPC.status == 401 && onPC.fault != nil, "\(onPC.text)")
            }
            let pc = try await h.token()
            let refused = try await h.send(.GET, "/v1.0/reports/partners/billing/operations/x", token: pc)
            #expect(refused.status == 401)
            #expect(try refused.decode(GraphBilling.ErrorEnvelope.self).error.code == "InvalidAuthenticationToken")
            #expect(try await h.send(.POST, "/v1.0/reports/partners/billing/reconciliation/billed/export", body: Self.billed).status == 401)
            // v1 form: resource=https://graph.microsoft.com
            let c = h.first
            let form = "grant_type=client_credentials&client_id=\(c.clientId)&client_secret=\(c.clientSecret.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&resource=https%3A%2F%2Fgraph.microsoft.com"
            let v1 = try await h.send(.POST, "/\(c.tenantId)/oauth2/token", body: form, headers: [("Content-Type", "application/x-www-form-urlencoded")])
            let token = try v1.decode(OAuthTokenResponse.self).accessToken
            #expect(try await h.send(.POST, "/beta/reports/partners/billing/reconciliation/billed/export", body: Self.billed, token: token).status == 202)
            let unknown = try await h.send(.GET, "/v1.0/reports/partners/nothing", token: token)
            #expect(unknown.status == 404 && (try? unknown.decode(GraphBilling.ErrorEnvelope.self)) != nil, "\(unknown.text)")
        }
    }

    @Test("without PartnerBilling.Read.All every Graph call is 403 Authorization_RequestDenied naming the permission")
    func permissionWithheld() async throws {
        try await withSandbox({ $0.graph.grantPermission = false }) { h in
            for appUser in [false, true] {
                let result = try await h.send(.POST, "/v1.0/reports/partners/billing/reconciliation/billed/export", body: Self.billed,
                                              token: try await h.graphToken(appUser: appUser))
                #expect(result.status == 403)
                let error = try result.decode(GraphBilling.ErrorEnvelope.self).error
                #expect(error.code == "Authorization_RequestDenied" && error.message.contains("PartnerBilling.Read.All"), "\(error.message)")
            }
        }
    }

    @Test("the four exports answer 202 + an absolute Location under the request's version; bad bodies 400 naming the member")
    func exportsAndValidation() async throws {
        try await withSandbox { h in
            let token = try await h.graphToken()
            var seen: Set<String> = []
            for version in ["v1.0", "beta"] {
                for (path, body) in [("reconciliation/billed", Self.billed), ("usage/billed", #"{"InvoiceID": "G000024130", "AttributeSet": "BASIC"}"#),
                                     ("reconciliation/unbilled", #"{"billingPeriod": "Current", "currencyCode": "usd"}"#),
                                     ("usage/unbilled", #"{"billingPeriod": "last", "currencyCode": "USD", "attributeSet": "full"}"#)] {
                    let location = try await h.startExport(path, body, token: token, version: version)
                    #expect(location.hasPrefix(h.base + "/\(version)/reports/partners/billing/operations/"), "\(location)")
                    seen.insert(location)
                }
            }
            #expect(seen.count == 8)
            let bad: [(String, String, String)] = [
                ("reconciliation/billed", "{}", "invoiceId"), ("usage/billed", #"{"invoiceId": "G1", "attributeSet": "some"}"#, "attributeSet"),
                ("reconciliation/unbilled", #"{"currencyCode": "USD"}"#, "billingPeriod"),
                ("usage/unbilled", #"{"billingPeriod": "previous", "currencyCode": "USD"}"#, "billingPeriod"),
                ("usage/unbilled", #"{"billingPeriod": "current"}"#, "currencyCode"), ("reconciliation/billed", "not json", "JSON"),
            ]
            for (path, body, member) in bad {
                let result = try await h.send(.POST, "/v1.0/reports/partners/billing/\(path)/export", body: body, token: token)
                #expect(result.status == 400, "\(path) \(body): \(result.status)")
                let error = try result.decode(GraphBilling.ErrorEnvelope.self).error
                #expect(error.code == "BadRequest" && error.message.contains(member), "\(error.message)")
            }
        }
    }

    @Test("an operation is notStarted, then running with Retry-After, then succeeded with the manifest inline; 404 after its lifetime")
    func stateMachine() async throws {
        // long phases so a loaded machine cannot skip one in real time; the test moves the clock
        try await withSandbox({ $0.graph.notStartedSeconds = 30; $0.graph.runningSeconds = 30 }) { h in
            let token = try await h.graphToken()
            let location = try await h.startExport("reconciliation/billed", Self.billed, token: token)
            let first = try await h.send(.GET, try h.local(location), token: token)
            #expect(first.status == 200 && first.header("Retry-After") == "1")
            #expect(first.json?["@odata.type"]?.text == GraphBilling.runningType && first.json?["status"]?.text == "notStarted")
            #expect(first.json?["@odata.context"]?.text?.hasSuffix("/v1.0/$metadata#reports/partners/billing/operations/$entity") == true)
            #expect(first.json?["createdDateTime"]?.text != nil && first.json?["lastActionDateTime"]?.text != nil)
            h.sandbox.clock.advance(by: 31)
            #expect(try await h.send(.GET, try h.local(location), token: token).json?["status"]?.text == "running")
            h.sandbox.clock.advance(by: 30)
            let done = try await h.send(.GET, try h.local(location), token: token)
            #expect(done.json?["@odata.type"]?.text == GraphBilling.successType && done.json?["status"]?.text == "succeeded")
            #expect(done.header("Retry-After") == nil)
            let manifest = try #require(try done.decode(GraphBilling.Operation.self).manifest)
            #expect(manifest.schemaVersion == "2" && manifest.dataFormat == "compressedJSON" && manifest.partitionType == "default")
            #expect(manifest.partnerTenantId == h.first.tenantId && manifest.blobCount == manifest.blobs.count && manifest.blobCount == 1)
            #expect(manifest.rootDirectory.hasPrefix(h.base + "/") && !manifest.sasToken.hasPrefix("?"))
            for part in ["sv=", "se=", "sr=d", "sp=rl", "sig="] { #expect(manifest.sasToken.contains(part), "\(manifest.sasToken)") }
            #expect(manifest.eTag?.isEmpty == false)
            h.sandbox.clock.advance(by: 25 * 3600)
            let gone = try await h.send(.GET, try h.local(location), token: try await h.graphToken())
            #expect(gone.status == 404 && (try? gone.decode(GraphBilling.ErrorEnvelope.self)) != nil)
        }
    }

    @Test("navigation-link mode: resourceLocation@odata.navigationLink leads to the manifest")
    func linkedManifest() async throws {
        try await withSandbox({ $0.graph.manifestMode = .navigationLink }) { h in
            let token = try await h.graphToken()
            let operation = try await h.finish(try await h.startExport("reconciliation/billed", Self.billed, token: token, version: "beta"), token: token)
            #expect(operation.manifest == nil)
            let link = try #require(operation.manifestLink)
            #expect(link.hasPrefix(h.base + "/beta/reports/partners/billing/manifests/"))
            let manifest = try await h.send(.GET, try h.local(link), token: token)
            #expect(manifest.status == 200 && manifest.json?["@odata.context"] != nil)
            let decoded = try manifest.decode(GraphBilling.Manifest.self)
            #expect(link.hasSuffix(decoded.id) && decoded.blobCount == 1)
            #expect(try await h.lines(decoded).count > 0)
        }
    }

    @Test("blobs need a valid, unexpired SAS (403 Azure Storage XML otherwise) and no Authorization header")
    func blobSAS() async throws {
        try await withSandbox { h in
            let token = try await h.graphToken()
            let manifest = try await h.exportManifest("reconciliation/billed", Self.billed, token: token)
            let blob = manifest.blobs[0]
            #expect(try await h.blob(manifest, blob).status == 200)
            var forged = manifest
            forged.sasToken = manifest.sasToken.replacingOccurrences(of: "sp=rl", with: "sp=rwl")
            let refused = try await h.blob(forged, blob)
            #expect(refused.status == 403 && refused.header("x-ms-error-code") == "AuthenticationFailed")
            #expect(GraphBilling.StorageError(xml: refused.text)?.code == "AuthenticationFailed")
            h.sandbox.clock.advance(by: 3601)
            let expired = try await h.blob(manifest, blob)
            #expect(expired.status == 403 && GraphBilling.StorageError(xml: expired.text)?.message.contains("time frame") == true, "\(expired.text)")
        }
    }

    @Test("failed operations: a legacy invoice, an unknown invoice, an unbilled period without data")
    func failures() async throws {
        try await withSandbox { h in
            let token = try await h.graphToken()
            let pc = try await h.token()
            let invoices = try await h.send(.GET, "/v1/invoices", token: pc).decode(ResourceCollection<Invoice>.self).items
            let legacy = try #require(invoices.first { $0.id.hasPrefix("D") })
            for invoice in [legacy.id, "G999999999"] {
                let operation = try await h.finish(try await h.startExport("reconciliation/billed", #"{"invoiceId": "\#(invoice)"}"#, token: token), token: token)
                #expect(operation.state == .failed && operation.odataType == GraphBilling.failedType)
                #expect(operation.error?.code == "5000" && operation.error?.message?.contains(invoice) == true, "\(operation.error?.message ?? "")")
            }
            let none = try await h.finish(try await h.startExport("reconciliation/unbilled", #"{"billingPeriod": "current", "currencyCode": "JPY"}"#, token: token), token: token)
            #expect(none.state == .failed && none.error?.code == "5000" && none.error?.message == "No data available")
        }
    }
}
