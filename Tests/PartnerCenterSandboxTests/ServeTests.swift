import AsyncHTTPClient
import Foundation
import NIOCore
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
}
