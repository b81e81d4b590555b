import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PartnerCenterModels
@testable import PartnerCenterSandbox
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("pcx sandbox serve", .serialized)
struct ServeTests {
    @Test("serve prints exactly the PCX_ block and a blank line, answers requests, and stops cleanly on SIGTERM")
    func serveLifecycle() async throws {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        var configuration = SandboxConfiguration()
        configuration.port = 0
        let task = Task {
            try await PartnerCenterSandbox.serve(configuration) { continuation.yield($0) }
            continuation.finish()
        }
        var iterator = stream.makeAsyncIterator()
        let block = try #require(await iterator.next())
        #expect(block.hasSuffix("\n\n"))
        let lines = block.split(separator: "\n").map(String.init)
        #expect(lines.map { String($0.prefix { $0 != "=" }) } == ["PCX_ENDPOINT", "PCX_AUTHORITY", "PCX_TENANT_ID", "PCX_CLIENT_ID", "PCX_CLIENT_SECRET", "PCX_REFRESH_TOKEN", "PCX_GRAPH_ENDPOINT"])
        let values = Dictionary(uniqueKeysWithValues: lines.map { line -> (String, String) in
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : "")
        })
        let endpoint = try #require(values["PCX_ENDPOINT"])
        #expect(endpoint.hasPrefix("http://127.0.0.1:"))
        #expect(values["PCX_AUTHORITY"] == endpoint)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var request = HTTPClientRequest(url: "\(endpoint)/\(values["PCX_TENANT_ID"]!)/oauth2/token")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: "grant_type=refresh_token&client_id=\(values["PCX_CLIENT_ID"]!)&refresh_token=\(values["PCX_REFRESH_TOKEN"]!)"))
        let response = try await client.execute(request, timeout: .seconds(30))
        #expect(response.status.code == 200)
        _ = try await response.body.collect(upTo: 1 << 20)
        try await client.shutdown()
        kill(getpid(), SIGTERM)
        try await task.value
    }

    @Test("serve --graph manifest=link,keys=pascal: the operation links its manifest and the blob's keys are PascalCase")
    func serveGraphSpec() async throws {
        let configuration = try SandboxConfiguration.fromOptions(port: 0, graph: "manifest=link,keys=pascal,not-started=0,running=0")
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let task = Task {
            try await PartnerCenterSandbox.serve(configuration) { continuation.yield($0) }
            continuation.finish()
        }
        var iterator = stream.makeAsyncIterator()
        let block = try #require(await iterator.next())
        let values = Dictionary(uniqueKeysWithValues: block.split(separator: "\n").map { line -> (String, String) in
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : "")
        })
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await Self.checkLinkedPascal(client, values)
        } catch {
            Issue.record(error)
        }
        try await client.shutdown()
        kill(getpid(), SIGTERM)
        try await task.value
    }

    /// Graph token → export → operation (navigation link) → manifest → blob, over HTTP.
    static func checkLinkedPascal(_ client: HTTPClient, _ values: [String: String]) async throws {
        func call(_ method: HTTPMethod, _ url: String, body: String? = nil, headers: [(String, String)] = []) async throws -> (Int, HTTPHeaders, Data) {
            var request = HTTPClientRequest(url: url)
            request.method = method
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body { request.body = .bytes(ByteBuffer(string: body)) }
            let response = try await client.execute(request, timeout: .seconds(30))
            return (Int(response.status.code), response.headers, Data(buffer: try await response.body.collect(upTo: 1 << 24)))
        }
        let endpoint = try #require(values["PCX_ENDPOINT"]), graph = try #require(values["PCX_GRAPH_ENDPOINT"])
        let secret = try #require(values["PCX_CLIENT_SECRET"]?.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
        let form = "grant_type=client_credentials&client_id=\(values["PCX_CLIENT_ID"]!)&client_secret=\(secret)&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"
        let (_, _, tokenBody) = try await call(.POST, "\(endpoint)/\(values["PCX_TENANT_ID"]!)/oauth2/v2.0/token", body: form,
                                               headers: [("Content-Type", "application/x-www-form-urlencoded")])
        let auth = [("Authorization", "Bearer " + (try JSONDecoder().decode(OAuthTokenResponse.self, from: tokenBody).accessToken))]
        let (status, headers, _) = try await call(.POST, "\(graph)/reports/partners/billing/reconciliation/billed/export", body: #"{"invoiceId": "G000024130"}"#,
                                                  headers: auth + [("Content-Type", "application/json")])
        #expect(status == 202)
        let (_, _, operationBody) = try await call(.GET, try #require(headers.first(name: "Location")), headers: auth)
        let operation = try JSONDecoder().decode(JSONValue.self, from: operationBody)
        #expect(operation["status"]?.text == "succeeded" && operation["resourceLocation"] == nil)
        let link = try #require(operation["resourceLocation@odata.navigationLink"]?.text)
        let (_, _, manifestBody) = try await call(.GET, link, headers: auth)
        let manifest = try JSONDecoder().decode(GraphBilling.Manifest.self, from: manifestBody)
        let (blobStatus, _, blob) = try await call(.GET, manifest.url(of: try #require(manifest.blobs.first)))
        #expect(blobStatus == 200)
        let first = try #require(String(decoding: try GzipInflater.inflate(blob), as: UTF8.self).split(separator: "\n").first)
        let line = try JSONDecoder().decode(JSONValue.self, from: Data(first.utf8))
        #expect(line["PartnerId"]?.text == values["PCX_TENANT_ID"] && line["partnerId"] == nil && line["InvoiceNumber"]?.text == "G000024130")
    }
}
