import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PartnerCenterModels
@testable import PartnerCenterSandbox
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The first IPv4 address of an interface that is up and not loopback (getifaddrs), or nil.
func nonLoopbackIPv4Address() -> String? {
    var list: UnsafeMutablePointer<ifaddrs>?
    guard getifaddrs(&list) == 0, let first = list else { return nil }
    defer { freeifaddrs(list) }
    for entry in sequence(first: first, next: { $0.pointee.ifa_next }) {
        guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) else { continue }
        let flags = UInt32(entry.pointee.ifa_flags)
        guard flags & UInt32(IFF_UP) != 0, flags & UInt32(IFF_LOOPBACK) == 0 else { continue }
        var ipv4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        guard inet_ntop(AF_INET, &ipv4, &text, socklen_t(INET_ADDRSTRLEN)) != nil else { continue }
        let ip = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if !ip.hasPrefix("127.") { return ip }
    }
    return nil
}

@Suite("Admin endpoints answer only clients on this machine")
struct AdminLoopbackTests {
    @Test("isLoopback: 127.0.0.0/8, ::1, IPv4-mapped loopback and Unix sockets are local; other addresses and no address are not")
    func loopbackAddresses() throws {
        for ip in ["127.0.0.1", "127.5.6.7", "::1", "::ffff:127.0.0.1"] {
            #expect(SandboxResponder.isLoopback(try SocketAddress(ipAddress: ip, port: 443)), "\(ip) is loopback")
        }
        let socketPath = FileManager.default.temporaryDirectory.appendingPathComponent("pcx-\(UUID().uuidString.prefix(8)).sock").path
        #expect(SandboxResponder.isLoopback(try SocketAddress(unixDomainSocketPath: socketPath)), "a Unix socket is local")
        for ip in ["10.1.2.3", "::ffff:10.1.2.3", "192.0.2.2", "fd00::2", "2001:db8::1", "::"] {
            #expect(!SandboxResponder.isLoopback(try SocketAddress(ipAddress: ip, port: 443)), "\(ip) is not loopback")
        }
        #expect(!SandboxResponder.isLoopback(nil), "an unknown peer is not trusted")
    }

    @Test("over the network, GET /_sandbox/credentials and POST /_sandbox/faults get 403 and change nothing; over 127.0.0.1 they work",
          .enabled(if: nonLoopbackIPv4Address() != nil, "this machine has no non-loopback IPv4 address to connect from"))
    func networkClientsAreRefused() async throws {
        let ip = try #require(nonLoopbackIPv4Address())
        var configuration = SandboxConfiguration()
        configuration.host = "0.0.0.0"
        configuration.rateLimits = .unlimited
        let sandbox = try await PartnerCenterSandbox.start(configuration)
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.timeout = .init(connect: .seconds(10), read: .seconds(30))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
        func send(_ method: HTTPMethod, _ url: String, body: String? = nil) async throws -> HTTPResult {
            var request = HTTPClientRequest(url: url)
            request.method = method
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: body))
            }
            let response = try await client.execute(request, timeout: .seconds(30))
            let buffer = try await response.body.collect(upTo: 1 << 20)
            return HTTPResult(status: Int(response.status.code), headers: response.headers, body: Data(buffer.readableBytesView))
        }
        do {
            let port = try #require(sandbox.endpoint.port)
            let network = "http://\(ip):\(port)", loopback = "http://127.0.0.1:\(port)"
            let faultsBefore = try await send(.GET, loopback + "/_sandbox/faults")
            #expect(faultsBefore.status == 200)

            let credentials = try await send(.GET, network + "/_sandbox/credentials")
            #expect(credentials.status == 403, "credentials over \(ip): \(credentials.status) \(credentials.text)")
            #expect(credentials.text.contains("loopback"), "the body says why: \(credentials.text)")
            #expect(!credentials.text.contains(sandbox.credentials.clientSecret), "no secret leaks in the refusal")
            #expect(!credentials.text.contains(sandbox.credentials.refreshToken))
            let error = try #require(credentials.json.flatMap { json -> String? in
                if case .object(let fields) = json, case .string(let text)? = fields["error"] { return text } else { return nil }
            }, "the refusal is JSON with an error text: \(credentials.text)")
            #expect(error.contains("only clients on this machine"))

            let faults = try await send(.POST, network + "/_sandbox/faults", body: #"{"spec": "carts.checkout=503"}"#)
            #expect(faults.status == 403, "faults over \(ip): \(faults.status) \(faults.text)")
            #expect(faults.text.contains("loopback"))
            let faultsAfter = try await send(.GET, loopback + "/_sandbox/faults")
            #expect(faultsAfter.status == 200)
            #expect(faultsAfter.body == faultsBefore.body, "the faults are unchanged: \(faultsAfter.text)")
            #expect(sandbox.faults.description == FaultPlan().description, "no rule was installed: \(sandbox.faults.description)")
            let refused = sandbox.requestLog.entries.filter { $0.route == "admin" && $0.status == 403 }
            #expect(refused.count == 2, "both refusals are in the request log")

            // the API itself still answers network clients (here: 401 without a token, not 403)
            let api = try await send(.GET, network + "/v1/customers")
            #expect(api.status == 401, "API over \(ip): \(api.status) \(api.text)")

            // the same requests from this machine work
            let local = try await send(.GET, loopback + "/_sandbox/credentials")
            #expect(local.status == 200)
            let partners = try JSONDecoder().decode([[String: String]].self, from: local.body)
            #expect(partners.first?["tenantId"] == sandbox.credentials.tenantId)
            let installed = try await send(.POST, loopback + "/_sandbox/faults", body: #"{"spec": "carts.checkout=503"}"#)
            #expect(installed.status == 200, "\(installed.text)")
            #expect(sandbox.faults.description.contains("carts.checkout"), "installed over loopback: \(sandbox.faults.description)")
        } catch {
            try? await client.shutdown()
            await sandbox.shutdown()
            throw error
        }
        try? await client.shutdown()
        await sandbox.shutdown()
    }
}
