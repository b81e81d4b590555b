import Foundation
import Testing

/// A throwaway PostgreSQL server from Debian's `postgresql` package: `initdb` into a temporary
/// directory, `pg_ctl start` on a free loopback port (trust auth, no fsync), stopped and removed
/// afterwards. As root (CI) the server runs as the `postgres` user, as PostgreSQL requires.
struct PostgresServer {
    let directory: String
    let port: Int
    let bin: String

    /// The newest installed server's bin directory, if the package is installed.
    static let binDirectory: String? = {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        guard let newest = versions.sorted(by: { (Int($0) ?? 0) < (Int($1) ?? 0) }).last else { return nil }
        let bin = root + "/" + newest + "/bin"
        return FileManager.default.isExecutableFile(atPath: bin + "/initdb") ? bin : nil
    }()

    static var available: Bool { binDirectory != nil }

    var url: String { "postgres://pcx@127.0.0.1:\(port)/postgres" }

    /// Runs a command through `system()` (which waits with `waitpid`): Foundation's `Process`
    /// waits for descriptors the server that `pg_ctl` leaves behind would inherit and keep open.
    @discardableResult
    static func shell(_ arguments: [String], asPostgres: Bool) throws -> (Int32, String) {
        let words = (getuid() == 0 && asPostgres ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []) + arguments
        let quoted = words.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let outPath = NSTemporaryDirectory() + "pcx-pg-out-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: outPath) }
        let status = system("\(quoted) > '\(outPath)' 2>&1 < /dev/null")
        let output = FileManager.default.contents(atPath: outPath) ?? Data()
        let code: Int32 = status == -1 ? -1 : (status >> 8) & 0xff
        return (code, String(decoding: output, as: UTF8.self))
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func start() throws -> PostgresServer {
        let bin = try #require(binDirectory, "PostgreSQL is not installed")
        let directory = "/tmp/pcx-pg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if getuid() == 0 { try shell(["/bin/chown", "postgres:postgres", directory], asPostgres: false) }
        let data = directory + "/data"
        let (initStatus, initOut) = try shell(["\(bin)/initdb", "-D", data, "-U", "pcx", "--auth=trust", "-E", "UTF8", "--no-sync"], asPostgres: true)
        guard initStatus == 0 else { throw TestFailure("initdb failed: \(initOut)") }
        let port = freePort()
        let options = "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
        let (status, out) = try shell(["\(bin)/pg_ctl", "-D", data, "-o", options, "-l", directory + "/log", "-w", "-t", "60", "start"], asPostgres: true)
        guard status == 0 else { throw TestFailure("pg_ctl start failed: \(out)") }
        return PostgresServer(directory: directory, port: port, bin: bin)
    }

    /// One value from `psql -At -c`.
    func query(_ sql: String) throws -> String {
        let (status, out) = try Self.shell(["\(bin)/psql", "-h", "127.0.0.1", "-p", String(port), "-U", "pcx", "-d", "postgres", "-At", "-c", sql],
                                           asPostgres: false)
        guard status == 0 else { throw TestFailure("psql failed: \(out)") }
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func stop() {
        _ = try? Self.shell(["\(bin)/pg_ctl", "-D", directory + "/data", "-m", "immediate", "stop"], asPostgres: true)
        try? FileManager.default.removeItem(atPath: directory)
    }
}

@Suite("Reconciliation v2 into PostgreSQL", .serialized,
       .enabled(if: PostgresServer.available, "skipped: Debian's postgresql package is not installed (make test installs it)"))
struct PostgresLoadTests {
    @Test("reconcile-invoice --to postgres:// loads typed tables, matches the invoice, and a re-run with the same eTag reads nothing")
    func loadAndSkip() async throws {
        let server = try PostgresServer.start()
        defer { server.stop() }
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            let invoice = try #require(world.invoices.filter { $0.type == "OneTime" }.max { $0.id < $1.id })
            let first = try await e2e.run(["playbook", "run", "reconcile-invoice", "--json", "--invoice", invoice.id, "--to", server.url])
            #expect(first.status == 0, "\(first)")
            let report = try first.json()
            #expect(report["source"] as? String == "v2")
            #expect(report["matches"] as? Bool == true)
            let lines = try #require(report["line_items"] as? Int)
            let customers = try #require(report["customers"] as? [[String: Any]])
            #expect(!customers.isEmpty && customers.allSatisfy { !(($0["name"] as? String) ?? "").isEmpty }, "named from the stored rows: \(first)")
            #expect(try server.query("SELECT count(*) FROM reconciliation_lines") == String(lines))
            #expect(try server.query("SELECT complete FROM pcx_exports") == "t")
            #expect(try server.query("SELECT data_type FROM information_schema.columns WHERE table_name = 'reconciliation_lines' AND column_name = 'totalForCustomer'") == "numeric")
            #expect(try server.query("SELECT data_type FROM information_schema.columns WHERE table_name = 'reconciliation_lines' AND column_name = 'orderDate'") == "timestamp with time zone")
            let sum = try server.query("SELECT sum(\"totalForCustomer\") FROM reconciliation_lines")
            #expect(Decimal(string: sum) == Decimal(string: invoice.total), "\(sum) vs \(invoice.total)")
            let indexes = try server.query("SELECT count(*) FROM pg_indexes WHERE tablename = 'reconciliation_lines'")
            #expect((Int(indexes) ?? 0) >= 5, "export, customer, reservation order, product, date: \(indexes)")

            let mark = e2e.requests(route: "graph_billing.blob").count
            let again = try await e2e.run(["playbook", "run", "reconcile-invoice", "--json", "--invoice", invoice.id, "--to", server.url])
            #expect(again.status == 0, "\(again)")
            #expect(try again.json()["unchanged"] as? Bool == true)
            #expect(e2e.requests(route: "graph_billing.blob").count == mark, "an unchanged export reads no blob")
            #expect(try server.query("SELECT count(*) FROM reconciliation_lines") == String(lines))
        }
    }

    @Test("a bad PostgreSQL target is an input error naming the fix, and the password never shows")
    func badTargets() async throws {
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            let invoice = try #require(world.invoices.first { $0.type == "OneTime" })
            let noDatabase = try await e2e.run(["playbook", "run", "reconcile-invoice", "--invoice", invoice.id, "--to", "postgres://u:hunter2@127.0.0.1:1"])
            #expect(noDatabase.status == 2, "\(noDatabase)")
            #expect(noDatabase.stderr.contains("names no database"), "\(noDatabase)")
            let closed = try await e2e.run(["playbook", "run", "reconcile-invoice", "--invoice", invoice.id, "--to",
                                            "postgres://u:hunter2@127.0.0.1:\(PostgresServer.freePort())/db"])
            #expect(closed.status == 2, "\(closed)")
            #expect(closed.stderr.contains("cannot connect to postgres://u@127.0.0.1"), "\(closed)")
            #expect(!closed.stderr.contains("hunter2") && !closed.stdout.contains("hunter2"), "\(closed)")
        }
    }
}
