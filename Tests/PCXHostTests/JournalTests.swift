import Foundation
import GRDB
import PartnerCenter
import Testing
@testable import PCXHost

/// The journal under concurrency: idempotent first open, atomic claims, compare-and-set
/// outcomes, WAL, private file mode; and what a failed call means for its entry.
@Suite("Journal under concurrency")
struct JournalTests {
    static func freshDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pcx-journal-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func entry(key: String = "k", state: JournalEntry.State = .pending, operation: String = "carts.checkout") -> JournalEntry {
        let now = Date()
        return JournalEntry(id: nil, createdAt: now, updatedAt: now, operation: operation, customer: "c", script: "s",
                            bodyHash: "h", requestId: UUID().uuidString.lowercased(), idempotencyKey: key, cartId: "cart-\(UUID().uuidString.prefix(4))",
                            state: state, plan: nil, outcome: nil, error: nil, target: "sandbox", money: operation == "carts.checkout")
    }

    /// Runs `body` on `count` threads released together; returns each result.
    static func together<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) throws -> T) -> [Result<T, any Error>] {
        let results = Mutex<[Int: Result<T, any Error>]>([:])
        let ready = DispatchGroup(), go = DispatchSemaphore(value: 0), done = DispatchGroup()
        for i in 0..<count {
            ready.enter(); done.enter()
            Thread.detachNewThread {
                ready.leave()
                go.wait()
                let r = Result { try body(i) }
                results.withLock { $0[i] = r }
                done.leave()
            }
        }
        ready.wait()
        for _ in 0..<count { go.signal() }
        done.wait()
        return results.withLock { d in (0..<count).map { d[$0]! } }
    }

    @Test("first opens of a new journal from many connections at once all succeed (50 of 50 rounds)")
    func concurrentFirstOpenIsIdempotent() throws {
        for round in 0..<50 {
            let dir = try Self.freshDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let url = dir.appendingPathComponent("data/journal.sqlite")
            let results = Self.together(6) { _ in try Journal(url: url).list().count }
            for case .failure(let error) in results {
                Issue.record("round \(round): \(error)")
            }
            #expect(try Journal(url: url).list().isEmpty)
        }
    }

    @Test("of many runs claiming the same purchase at once, exactly one inserts the pending entry")
    func claimIsAtomic() throws {
        let dir = try Self.freshDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("journal.sqlite")
        _ = try Journal(url: url)
        for round in 0..<20 {
            let key = "purchase-\(round)"
            let results = Self.together(8) { _ in try Journal(url: url).claim(Self.entry(key: key)) }
            var claimed: [Int64] = [], existing: [Int64] = []
            for result in results {
                switch result {
                case .success(.claimed(let e)): claimed.append(e.id!)
                case .success(.existing(let e)): existing.append(e.id!)
                case .failure(let error): Issue.record("round \(round): \(error)")
                }
            }
            #expect(claimed.count == 1, "round \(round): \(claimed)")
            #expect(Set(existing) == Set(claimed), "everyone else resumes the one claimed entry")
        }
        // a failed attempt frees the key: the next claim inserts again
        let journal = try Journal(url: url)
        guard case .claimed(let first) = try journal.claim(Self.entry(key: "again")) else { Issue.record("not claimed"); return }
        #expect(try journal.update(id: first.id!, state: .failed, error: "404"))
        guard case .claimed(let second) = try journal.claim(Self.entry(key: "again")) else { Issue.record("not claimed after failure"); return }
        #expect(second.id != first.id)
        // a succeeded one is returned, nothing inserted
        #expect(try journal.update(id: second.id!, state: .succeeded, outcome: "{}"))
        let stored = try #require(try journal.entry(id: second.id!))
        #expect(try journal.claim(Self.entry(key: "again")) == .existing(stored))
    }

    @Test("at most one pending checkout per purchase, enforced by the database itself")
    func uniquePendingCheckout() throws {
        let journal = try Journal()
        try journal.append(Self.entry(key: "x"))
        #expect(throws: (any Error).self) { try journal.append(Self.entry(key: "x")) }
        // other operations and other states are not limited
        try journal.append(Self.entry(key: "x", state: .failed))
        try journal.append(Self.entry(key: "x", operation: "create_cart"))
        try journal.append(Self.entry(key: "x", operation: "create_cart"))
    }

    @Test("outcomes are compare-and-set: a late failure never overwrites a success")
    func updateIsCompareAndSet() throws {
        let journal = try Journal()
        let e = try journal.append(Self.entry())
        #expect(try journal.update(id: e.id!, state: .succeeded, outcome: #"{"orders":[]}"#))
        #expect(try journal.update(id: e.id!, state: .failed, error: "409") == false)
        #expect(try journal.update(id: e.id!, state: .pending, error: "timeout") == false)
        let now = try #require(try journal.entry(id: e.id!))
        #expect(now.state == .succeeded)
        #expect(now.error == nil)
        // a success may refresh a success (an unreadable answer replaced by a readable one)
        #expect(try journal.update(id: e.id!, state: .succeeded, outcome: "{}", from: [.pending, .succeeded]))
    }

    @Test("the journal file is private (0600, directory 0700), a wider existing file is narrowed, and it is in WAL mode")
    func privateAndWAL() throws {
        let dir = try Self.freshDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("data/journal.sqlite")
        let journal = try Journal(url: url)
        try journal.append(Self.entry())
        func mode(_ path: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
        }
        #expect(try mode(url.path) == 0o600)
        #expect(try mode(url.deletingLastPathComponent().path) == 0o700)
        if FileManager.default.fileExists(atPath: url.path + "-wal") { #expect(try mode(url.path + "-wal") == 0o600) }
        let mode2 = try DatabaseQueue(path: url.path).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(mode2 == "wal")

        chmod(url.path, 0o644)
        _ = try Journal(url: url)
        #expect(try mode(url.path) == 0o600)
    }

    @Test("a journal written by an earlier version (GRDB migrator, duplicate pending entries) opens and keeps its entries")
    func legacyJournalOpens() throws {
        let dir = try Self.freshDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("journal.sqlite")
        let legacy = try DatabaseQueue(path: url.path)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "journal") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
                t.column("operation", .text).notNull()
                t.column("customer", .text).notNull()
                t.column("script", .text).notNull()
                t.column("body_hash", .text).notNull()
                t.column("request_id", .text).notNull()
                t.column("idempotency_key", .text).notNull().indexed()
                t.column("cart_id", .text)
                t.column("state", .text).notNull()
                t.column("plan", .text)
                t.column("outcome", .text)
                t.column("error", .text)
                t.column("target", .text).notNull()
            }
        }
        try migrator.migrate(legacy)
        try legacy.write { db in
            for _ in 0..<2 {
                try db.execute(sql: """
                    INSERT INTO journal (created_at, updated_at, operation, customer, script, body_hash, request_id, idempotency_key,
                                         cart_id, state, target)
                    VALUES (?, ?, 'checkout', 'c', 's', 'h', ?, 'dup', 'cart', 'pending', 'http://LOCALHOST:8080/')
                    """, arguments: [Date(), Date(), UUID().uuidString])
            }
        }
        try legacy.close()
        let journal = try Journal(url: url)
        #expect(try journal.list().count == 2)
        // the old operation name and endpoint spelling are those of this version
        #expect(try journal.list().allSatisfy { $0.operation == "carts.checkout" && $0.money && $0.target == "http://loopback:8080" })
        guard case .existing(let e) = try journal.claim(Self.entry(key: "dup"), legacyTarget: "http://loopback:8080") else {
            Issue.record("expected the pending entry"); return
        }
        #expect(e.state == .pending)
    }

    @Test("what a failed call means for its entry: unknown outcomes stay open, refusals are never open, a resumed entry never fails")
    func failureOutcomes() {
        func pc(_ status: Int?, _ code: String? = nil, category: PartnerCenterError.Category = .invalidArgument, notSent: Bool = false,
                unknown: Bool = false) -> PartnerCenterError {
            var e = PartnerCenterError(category: category, message: "m", status: status, pcCode: code)
            e.notSent = notSent
            e.outcomeUnknown = unknown
            return e
        }
        func state(_ e: any Error, resumed: Bool = false) -> JournalEntry.State { ChangeGate.state(after: e, resumed: resumed) }
        #expect(state(pc(409, "800064", category: .conflict)) == .unknown)
        #expect(state(pc(409, "800060", category: .conflict)) == .unknown)
        #expect(state(pc(400, "800065")) == .unknown)
        #expect(state(pc(nil, category: .timeout)) == .unknown)
        #expect(state(pc(nil, category: .network)) == .unknown)
        #expect(state(pc(503, category: .serverError)) == .unknown)
        #expect(state(pc(429, category: .throttled)) == .unknown)
        #expect(state(pc(408, category: .timeout)) == .unknown)
        #expect(state(pc(201, category: .serverError)) == .unknown, "an unreadable success")
        #expect(state(pc(404, "400019", category: .notFound)) == .failed)
        #expect(state(pc(400, "800009")) == .failed)
        #expect(state(pc(403, category: .forbidden)) == .failed)
        // a definitive-looking answer after an attempt whose outcome is unknown says nothing about it
        for status in [400, 401, 403, 404, 412] {
            #expect(state(pc(status, unknown: true)) == .unknown, "\(status) after a dropped connection")
        }
        // an entry resumed from an earlier run: its first attempt may have reached Partner Center
        #expect(state(pc(404, "800008", category: .notFound), resumed: true) == .unknown)
        #expect(state(pc(nil, category: .unauthenticated, notSent: true), resumed: true) == .unknown)
        #expect(state(pc(nil, category: .policyDenied, notSent: true)) == .refused)
        #expect(state(pc(nil, category: .unauthenticated, notSent: true)) == .failed)
        #expect(state(CancellationError()) == .unknown)
    }
}
