import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PartnerCenterModels
@testable import PartnerCenterSandbox
import Testing

/// Hostile clients: bodies over the limit and clients that never finish their headers.
@Suite("Sandbox limits")
struct LimitsTests {
    @Test("a body over the limit gets 413 with an ApiFault (declared length or streamed), and the sandbox keeps serving")
    func oversizedBodyIs413ApiFault() async throws {
        try await withSandbox({ $0.maxBodyBytes = 64 * 1024 }) { h in
            let token = try await h.token()
            let (customer, _) = try await h.customer(country: "US", registered: true, token: token)
            let big = Data(repeating: UInt8(ascii: " "), count: 64 * 1024 + 1)
            let r = try await h.send(.POST, "/v1/customers/\(customer.id)/carts", bodyData: big, token: token,
                                     headers: [("MS-RequestId", "big-1")])
            #expect(r.status == 413, "\(r.status) \(r.text)")
            let fault = try #require(r.fault, "an ApiFault body: \(r.text)")
            #expect(fault.description?.contains("too large") == true, "\(String(describing: fault.description))")
            #expect(fault.description?.contains("65536") == true, "names the limit: \(String(describing: fault.description))")
            #expect(r.header("MS-RequestId") == "big-1")
            #expect(r.header("Content-Type")?.hasPrefix("application/json") == true)
            let logged = h.sandbox.requestLog.entries(route: "carts.create")
            #expect(logged.last?.status == 413)
            #expect(logged.last?.mutated == false, "nothing was created")

            // streamed without a Content-Length (chunked): refused the same way
            var request = HTTPClientRequest(url: h.base + "/v1/customers/\(customer.id)/carts")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.headers.add(name: "Content-Type", value: "application/json")
            let chunks = AsyncStream<ByteBuffer> { c in
                for _ in 0..<40 { c.yield(ByteBuffer(bytes: Data(repeating: UInt8(ascii: " "), count: 4096))) }
                c.finish()
            }
            request.body = .stream(chunks, length: .unknown)
            let streamed = try await h.client.execute(request, timeout: .seconds(30))
            #expect(streamed.status.code == 413)
            let body = try await streamed.body.collect(upTo: 1 << 20)
            #expect(String(buffer: body).contains("too large"), "\(String(buffer: body))")

            // at the limit: served as usual (here a bad-input answer about the blank JSON, not 413)
            let atLimit = try await h.send(.POST, "/v1/customers/\(customer.id)/carts", bodyData: Data(repeating: UInt8(ascii: " "), count: 64 * 1024), token: token)
            #expect(atLimit.status == 400, "\(atLimit.status) \(atLimit.text)")
            #expect(try await h.send(.GET, "/v1/customers/\(customer.id)", token: token).status == 200)
        }
    }

    @Test("a client that never finishes its headers is disconnected after the header read timeout; others are served meanwhile")
    func headerReadTimeoutClosesSlowClients() async throws {
        try await withSandbox({ $0.headerReadTimeout = 0.5 }) { h in
            let fd = try rawConnection(to: try #require(h.sandbox.endpoint.port))
            defer { close(fd) }
            // half a request: the blank line that ends the headers never comes; one byte now and then
            let partial = "GET /v1/customers HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            _ = partial.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            let started = Date()
            Task.detached {
                for _ in 0..<20 {
                    try? await Task.sleep(for: .milliseconds(200))
                    _ = "X".withCString { send(fd, $0, 1, Int32(MSG_NOSIGNAL)) }
                }
            }
            // a well-behaved client is served while the slow one waits
            let token = try await h.token()
            #expect(try await h.send(.GET, "/v1/customers?size=1", token: token).status == 200)
            var buffer = [UInt8](repeating: 0, count: 256)
            let n = recv(fd, &buffer, buffer.count, 0)
            let waited = Date().timeIntervalSince(started)
            #expect(n == 0 || (n < 0 && errno == ECONNRESET), "the sandbox closed the connection (recv \(n), errno \(errno))")
            #expect(waited < 5, "closed by the header timeout (0.5 s), not by the client's trickle ending: \(waited) s")
        }
    }

    @Test("after a 413 the sandbox closes the connection instead of reading the rest of the body")
    func oversizedBodyClosesTheConnection() async throws {
        try await withSandbox({ $0.maxBodyBytes = 1024 }) { h in
            let fd = try rawConnection(to: try #require(h.sandbox.endpoint.port))
            defer { close(fd) }
            let head = "POST /v1/customers/x/carts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n"
            _ = head.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            var received = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 4096)
            let started = Date()
            var closed = false
            while Date().timeIntervalSince(started) < 10 {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n > 0 { received += buffer[0..<n]; continue }
                closed = n == 0 || errno == ECONNRESET
                break
            }
            let text = String(decoding: received, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 413"), "\(text)")
            #expect(closed, "the connection closes after the 413 (received \(received.count) bytes)")
            #expect(Date().timeIntervalSince(started) < 5)
        }
    }

    @Test("--max-body and --header-timeout are parsed and validated")
    func limitOptions() throws {
        let config = try SandboxConfiguration.fromOptions(maxBody: "512KiB", headerTimeout: "3s")
        #expect(config.maxBodyBytes == 512 * 1024)
        #expect(config.headerReadTimeout == 3)
        #expect(try SandboxConfiguration.fromOptions(maxBody: "65536").maxBodyBytes == 65536)
        #expect(try SandboxConfiguration.fromOptions(maxBody: "4MiB").maxBodyBytes == 4 << 20)
        #expect(SandboxConfiguration().maxBodyBytes == 4 << 20)
        for bad in ["", "0", "-1", "4 parsecs", "MiB", "99999999999999999999"] {
            #expect(throws: SandboxConfigurationError.self, "\(bad)") { try SandboxConfiguration.fromOptions(maxBody: bad) }
        }
        #expect(throws: SandboxConfigurationError.self) { try SandboxConfiguration.fromOptions(headerTimeout: "0s") }
        #expect(throws: SandboxConfigurationError.self) { try SandboxConfiguration.fromOptions(headerTimeout: "soon") }
    }
}

/// A plain TCP connection to the sandbox on loopback (receives time out after 10 s), for clients
/// no HTTP library would be: half-sent headers, bodies never sent.
private func rawConnection(to port: Int) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    try #require(fd >= 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    if connected != 0 { close(fd) }
    try #require(connected == 0, "connect to 127.0.0.1:\(port)")
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    return fd
}
