import Foundation
import PartnerCenter
import PartnerCenterModels
import PartnerCenterSandbox
import Testing

@Suite("Paging: pages fetched ahead of the caller, bounded", .serialized)
struct PrefetchTests {
    static func listRequests(_ harness: Harness) -> Int { harness.log.filter { $0.route == "customers.list" }.count }

    /// Waits (up to 60 s: a loaded machine is slow) until the sandbox has seen `count` list
    /// requests, then half a second more, and returns how many it has seen: more than `count`
    /// means the producer fetched beyond its bound.
    static func requests(reaching count: Int, _ harness: Harness) async throws -> Int {
        for _ in 0..<600 where listRequests(harness) < count {
            try await Task.sleep(for: .milliseconds(100))
        }
        try await Task.sleep(for: .milliseconds(500))
        return listRequests(harness)
    }

    /// The number of `customers.list` requests once it has not grown for half a second.
    static func settledListRequests(_ harness: Harness) async throws -> Int {
        var last = -1
        for _ in 0..<120 {
            let now = listRequests(harness)
            if now == last { return now }
            last = now
            try await Task.sleep(for: .milliseconds(500))
        }
        return last
    }

    @Test("a cursor fetches prefetchPages pages ahead (plus one waiting to be handed over) and no more until the caller moves on")
    func boundedAhead() async throws {
        try await withSandbox(client: { $0.prefetchPages = 2 }) { harness, client in
            let cursor = client.cursor(for: .listCustomers(size: 1))
            _ = try #require(try await cursor.next())
            // One page handed out, two waiting in the queue, one fetched and waiting for room.
            #expect(try await Self.requests(reaching: 4, harness) == 4)
            _ = try #require(try await cursor.next())
            #expect(try await Self.requests(reaching: 5, harness) == 5)
            var pages = 2
            while try await cursor.next() != nil { pages += 1 }
            #expect(pages == harness.log.filter { $0.route == "customers.list" }.count, "every page fetched was handed out once")
        }
    }

    @Test("prefetch_pages (1-16) and documented_limits (true/false) are read from the profile; a bad value names the file and line")
    func profileKey() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pcx-prefetch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("profiles.toml")
        try "[profile.p]\nendpoint = \"http://127.0.0.1:1\"\nprefetch_pages = 4\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(try ClientConfiguration.load(profile: "p", profileFile: file.path, environment: [:]).prefetchPages == 4)
        #expect(ClientConfiguration(endpoint: "http://127.0.0.1:1").prefetchPages == 2, "two pages ahead by default")
        try "[profile.p]\nendpoint = \"http://127.0.0.1:1\"\nprefetch_pages = 0\n".write(to: file, atomically: true, encoding: .utf8)
        #expect {
            try ClientConfiguration.load(profile: "p", profileFile: file.path, environment: [:])
        } throws: { error in
            "\(error)".contains("profiles.toml:3") && "\(error)".contains("prefetch_pages") && "\(error)".contains("1 to 16")
        }
        // documented_limits (the rate-limit table on or off) takes true or false, nothing else.
        try "[profile.p]\nendpoint = \"http://127.0.0.1:1\"\ndocumented_limits = false\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(try ClientConfiguration.load(profile: "p", profileFile: file.path, environment: [:]).rateLimits.documented == false)
        try "[profile.p]\nendpoint = \"http://127.0.0.1:1\"\ndocumented_limits = \"no\"\n".write(to: file, atomically: true, encoding: .utf8)
        #expect {
            try ClientConfiguration.load(profile: "p", profileFile: file.path, environment: [:])
        } throws: { error in
            "\(error)".contains("profiles.toml:3") && "\(error)".contains("documented_limits") && "\(error)".contains("true or false")
        }
    }

    @Test("dropping a cursor half-way stops the fetching")
    func dropStops() async throws {
        try await withSandbox(client: { $0.prefetchPages = 1 }) { harness, client in
            do {
                let cursor = client.cursor(for: .listCustomers(size: 1))
                _ = try await cursor.next()
            }
            let settled = try await Self.settledListRequests(harness)
            #expect(settled <= 3)
            try await Task.sleep(for: .milliseconds(300))
            #expect(harness.log.filter { $0.route == "customers.list" }.count == settled)
        }
    }
}
