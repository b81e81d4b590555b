import Foundation
import GRDB
import PartnerCenterModels
import PartnerCenterSandbox
import Testing

// pc.reconciliation.* through the pcx binary against an in-process sandbox on loopback: Lua
// streaming, native loads into SQLite and CSV, and the reconcile-invoice playbook's v1/v2 choice.

/// An end-to-end environment whose sandbox has Graph switches or a scale invoice.
final class GraphEndToEnd: @unchecked Sendable {
    let sandbox: PartnerCenterSandbox
    let directory: URL
    let out: URL
    let environment: [String: String]

    init(_ configure: (inout SandboxConfiguration) throws -> Void) async throws {
        var config = SandboxConfiguration()
        config.port = 0
        config.storage = .inMemory
        config.orderLag = 0.2
        config.rateLimits = .unlimited
        try configure(&config)
        sandbox = try await PartnerCenterSandbox.start(config)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pcx-graph-e2e-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        directory = URL(fileURLWithPath: dir.resolvingSymlinksInPath().path)
        out = directory.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PCX_") && !$0.key.hasPrefix("XDG_") }
        for (k, v) in sandbox.credentials.environment(endpoint: sandbox.endpoint) { env[k] = v }
        env["PCX_DATA_DIR"] = directory.appendingPathComponent("data").path
        env["PCX_CONFIG_DIR"] = directory.appendingPathComponent("config").path
        env["HOME"] = directory.path
        environment = env
    }

    func shutdown() async {
        await sandbox.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }

    func run(_ arguments: [String], timeout: Double = 120) async throws -> PCXResult {
        let p = try PCXProcess(arguments: arguments, environment: environment, directory: directory)
        try p.start()
        return await p.wait(timeout: timeout)
    }

    func lua(_ source: String, arguments: [String] = [], flags: [String] = []) async throws -> PCXResult {
        let file = directory.appendingPathComponent("script-\(UUID().uuidString.prefix(8)).lua")
        try source.write(to: file, atomically: true, encoding: .utf8)
        return try await run(["run"] + flags + [file.path] + arguments)
    }

    var mark: Int { sandbox.requestLog.entries.last?.sequence ?? 0 }
    func count(_ route: String, since mark: Int = 0) -> Int { sandbox.requestLog.entries(route: route, since: mark).count }

    /// Invoices as pcx lists them: id → (type, currency, exact total).
    func invoices() async throws -> [(id: String, type: String, currency: String, total: String)] {
        let r = try await lua(#"""
        local money = require "money"
        for inv in pc.invoices.each() do
          print(inv.id, inv.invoiceType or "", inv.currencyCode, money.new(inv.totalCharges or 0, inv.currencyCode):amount())
        end
        """#)
        guard r.status == 0 else { throw TestFailure("listing invoices failed: \(r)") }
        return r.stdout.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }.filter { $0.count == 4 }
            .map { ($0[0], $0[1], $0[2], $0[3]) }
    }

    func invoice(_ pick: (String, String) -> Bool) async throws -> (id: String, type: String, currency: String, total: String) {
        try #require(try await invoices().first { pick($0.id, $0.type) })
    }
}

func withGraphEndToEnd(_ configure: (inout SandboxConfiguration) throws -> Void = { _ in },
                       _ body: (GraphEndToEnd) async throws -> Void) async throws {
    let e2e = try await GraphEndToEnd(configure)
    do { try await body(e2e) } catch {
        await e2e.shutdown()
        throw error
    }
    await e2e.shutdown()
}

/// The Graph scale invoice (`--scale reconlines=N`).
let graphScaleInvoice = "G100000002"

/// Streams an export through Lua: count, exact total, the union of keys, and `:info()`.
let streamScript = #"""
local json, money = require "json", require "money"
local s = pc.reconciliation.billed(arg[1], { attributes = arg[2] })
local n, total, keys = 0, nil, {}
for line in s do
  n = n + 1
  local m = money.new(line.totalForCustomer, line.currency)
  total = total and total + m or m
  for k in pairs(line) do keys[k] = true end
end
local names = {}
for k in pairs(keys) do names[#names + 1] = k end
table.sort(names)
print(json.encode({ count = n, total = total and total:amount() or "0", keys = names, info = s:info() }))
"""#

@Suite("Graph reconciliation v2: pcx end to end")
struct GraphExportsTests {
    @Test("pc.reconciliation.billed in Lua: lines, exact total, info without the SAS; basic gives only basic columns")
    func streamInLua() async throws {
        try await withGraphEndToEnd { e2e in
            let invoice = try await e2e.invoice { id, type in type == "OneTime" && id.hasPrefix("G") }
            let r = try await e2e.lua(streamScript, arguments: [invoice.id, "full"])
            #expect(r.status == 0, "\(r)")
            let obj = try r.json()
            #expect((obj["count"] as? Int ?? 0) > 0)
            #expect(obj["total"] as? String == invoice.total, "\(r)")
            let info = try #require(obj["info"] as? [String: Any])
            #expect(info["export"] as? String == "reconciliation.billed")
            #expect(info["lines"] as? Int == obj["count"] as? Int)
            #expect((info["etag"] as? String)?.isEmpty == false && info["manifest_id"] is String)
            let infoText = String(data: try JSONSerialization.data(withJSONObject: info), encoding: .utf8) ?? ""
            for secret in ["sig", "sasToken", "sv=", "se=", "graphblobs"] { #expect(!infoText.contains(secret), "\(infoText)") }
            #expect(!r.stdout.contains("sig=") && !r.stderr.contains("sig="))
            let full = Set(obj["keys"] as? [String] ?? [])
            #expect(full.contains("customerDomainName"))

            let basic = try await e2e.lua(streamScript, arguments: [invoice.id, "basic"])
            #expect(basic.status == 0, "\(basic)")
            let keys = Set(try basic.json()["keys"] as? [String] ?? [])
            let declared = Set(GraphBilling.reconciliationColumns.filter(\.basic).map(\.name))
            #expect(!keys.isEmpty && keys.isSubset(of: declared), "\(keys.subtracting(declared))")
            #expect(try basic.json()["total"] as? String == invoice.total)
        }
    }

    @Test("bad options: exit 1 (a script error), a message naming the option and the script line, nothing sent to Graph")
    func badOptions() async throws {
        try await withGraphEndToEnd { e2e in
            let cases: [(String, String)] = [
                (#"pc.reconciliation.billed("G000000001", { attributes = "all" })"#, "attributes"),
                (#"pc.reconciliation.billed("G000000001", { atributes = "basic" })"#, "atributes"),
                (#"pc.reconciliation.billed("G000000001", { resume = "yes" })"#, "resume"),
                (#"pc.reconciliation.billed("G000000001", { timeout = -1 })"#, "timeout"),
                (#"pc.reconciliation.billed("G00 0001")"#, "invoice"),
                (#"pc.reconciliation.unbilled({ period = "current" })"#, "currency"),
                (#"pc.reconciliation.unbilled({ period = "next", currency = "USD" })"#, "period"),
                (#"pc.usage.unbilled({ period = "last", currency = "usd" })"#, "currency"),
            ]
            let mark = e2e.mark
            for (call, word) in cases {
                let r = try await e2e.lua("local x = 1\n" + call + "\n")
                #expect(r.status == 1, "\(call): \(r)")  // the documented code for a bad pc.* argument in a script (BadInputCatalogueTests)
                #expect(r.stderr.contains(word), "\(call): \(r.stderr)")
                #expect(r.stderr.contains(".lua:2"), "\(call) names the script line: \(r.stderr)")
            }
            #expect(e2e.sandbox.requestLog.entries(since: mark).allSatisfy { !$0.route.hasPrefix("graph_billing") })
        }
    }
}

/// Loads an export natively and prints the summary as JSON.
let loadScript = #"""
local r = pc.reconciliation.billed(arg[1], { to = arg[2] })
print(require("json").encode(r))
"""#

/// Rows and the exact sum of totalForCustomer in an SQLite load.
func sqliteContents(_ path: String) throws -> (rows: Int, total: Decimal, blobs: Int) {
    let db = try DatabaseQueue(path: path)
    return try db.read { db in
        let amounts = try String.fetchAll(db, sql: "SELECT totalForCustomer FROM reconciliation_lines")
        let total = amounts.reduce(Decimal(0)) { $0 + (Decimal(string: $1) ?? -1_000_000) }
        return (amounts.count, total, try Int.fetchOne(db, sql: "SELECT count(*) FROM pcx_export_blobs") ?? -1)
    }
}

@Suite("Graph reconciliation v2: native loads")
struct GraphLoadTests {
    @Test("to = x.sqlite: typed columns and indexes, rows = lines, exact totals; a second run is unchanged and reads no blob")
    func sqliteLoad() async throws {
        try await withGraphEndToEnd({ $0.scale = try SandboxScale.parse("reconlines=50"); $0.graph.linesPerBlob = 20 }) { e2e in
            let invoice = try await e2e.invoice { id, _ in id == graphScaleInvoice }
            let db = e2e.out.appendingPathComponent("recon.sqlite").path
            let r = try await e2e.lua(loadScript, arguments: [invoice.id, db], flags: ["--allow-write", e2e.out.path])
            #expect(r.status == 0, "\(r)")
            let summary = try r.json()
            #expect(summary["format"] as? String == "sqlite" && summary["unchanged"] as? Bool == false)
            #expect(summary["lines"] as? Int == 50 && summary["stored_lines"] as? Int == 50 && summary["blobs"] as? Int == 3)
            let totals = try #require(summary["totals"] as? [String: [String: String]])
            let summed = totals.values.flatMap(\.values).reduce(Decimal(0)) { $0 + Decimal(string: $1)! }
            #expect(summed == Decimal(string: invoice.total)!)
            let contents = try sqliteContents(db)
            #expect(contents.rows == 50 && contents.blobs == 3)
            #expect(contents.total == Decimal(string: invoice.total)!)
            let etag = summary["etag"] as? String
            try await DatabaseQueue(path: db).read { db in
                let names = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"))
                #expect(names.isSuperset(of: ["reconciliation_lines", "pcx_exports", "pcx_export_blobs"]))
                var types: [String: String] = [:]
                for row in try Row.fetchAll(db, sql: "PRAGMA table_info(reconciliation_lines)") { types[row["name"]] = row["type"] }
                #expect(types["totalForCustomer"] == "DECIMAL_TEXT" && types["orderDate"] == "DATETIME_TEXT")
                #expect(types["customerId"] == "TEXT" && types["productQualifiers"] == "JSON_TEXT" && types["export_key"] == "TEXT")
                let indexes = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reconciliation_lines'"))
                for column in GraphBilling.reconciliationColumns where column.indexed {
                    #expect(indexes.contains("reconciliation_lines_\(column.name)"), "\(indexes)")
                }
                let export = try #require(try Row.fetchOne(db, sql: "SELECT etag, complete, lines, invoice_id FROM pcx_exports"))
                #expect(export["complete"] == 1 && export["lines"] == 50 && export["invoice_id"] == invoice.id)
                #expect(export["etag"] == etag)
            }
            let mark = e2e.mark
            let again = try await e2e.lua(loadScript, arguments: [invoice.id, db], flags: ["--allow-write", e2e.out.path])
            #expect(again.status == 0, "\(again)")
            #expect(try again.json()["unchanged"] as? Bool == true)
            #expect(try again.json()["stored_lines"] as? Int == 50)
            #expect(e2e.count("graph_billing.blob", since: mark) == 0)
            #expect(try sqliteContents(db).rows == 50)
        }
    }

    @Test("an interrupted SQLite load resumes at the first blob not loaded; also when the earlier export is gone (new manifest, same data)")
    func sqliteResume() async throws {
        try await withGraphEndToEnd({ $0.scale = try SandboxScale.parse("reconlines=50"); $0.graph.linesPerBlob = 20 }) { e2e in
            let invoice = try await e2e.invoice { id, _ in id == graphScaleInvoice }
            for lost in [false, true] {
                let db = e2e.out.appendingPathComponent("resume-\(lost).sqlite").path
                try e2e.sandbox.setFaults("graph_billing.blob=ok,404")
                let failed = try await e2e.lua(loadScript, arguments: [invoice.id, db], flags: ["--allow-write", e2e.out.path])
                #expect(failed.status != 0, "\(failed)")
                #expect(try sqliteContents(db).rows == 20, "the first blob stays loaded")
                try e2e.sandbox.setFaults(lost ? "graph_billing.operation=lost" : "none")
                let mark = e2e.mark
                let r = try await e2e.lua(loadScript, arguments: [invoice.id, db], flags: ["--allow-write", e2e.out.path])
                #expect(r.status == 0, "\(r)")
                let contents = try sqliteContents(db)
                #expect(contents.rows == 50, "lost \(lost): no line twice, none missing")
                #expect(contents.total == Decimal(string: invoice.total)!)
                #expect(try r.json()["stored_lines"] as? Int == 50)
                if !lost {
                    #expect(try r.json()["resumed"] as? Bool == true)
                    #expect(e2e.count("graph_billing.blob", since: mark) == 2)
                    #expect(e2e.count("graph_billing.export_billed_reconciliation", since: mark) == 0)
                }
            }
        }
    }

    @Test("to = x.csv: atomic, declared header, rows = lines; no --allow-write: refused, nothing written; .txt refused")
    func csvAndRefusals() async throws {
        try await withGraphEndToEnd({ $0.scale = try SandboxScale.parse("reconlines=30"); $0.graph.linesPerBlob = 20 }) { e2e in
            let invoice = try await e2e.invoice { id, _ in id == graphScaleInvoice }
            let csv = e2e.out.appendingPathComponent("recon.csv")
            let r = try await e2e.lua(loadScript, arguments: [invoice.id, csv.path], flags: ["--allow-write", e2e.out.path])
            #expect(r.status == 0, "\(r)")
            let rows = parseCSV(try String(contentsOf: csv, encoding: .utf8))
            let header = try #require(rows.first)
            #expect(header == GraphBilling.reconciliationColumns.map(\.name))
            #expect(rows.count == 31)
            let column = try #require(header.firstIndex(of: "totalForCustomer"))
            let sum = rows.dropFirst().reduce(Decimal(0)) { $0 + (Decimal(string: $1[column]) ?? -1_000_000) }
            #expect(sum == Decimal(string: invoice.total)!)
            #expect(try FileManager.default.contentsOfDirectory(atPath: e2e.out.path) == ["recon.csv"], "no partial file left")

            let refusedDB = e2e.out.appendingPathComponent("nope.sqlite").path
            let refused = try await e2e.lua(loadScript, arguments: [invoice.id, refusedDB])
            #expect(refused.status != 0, "\(refused)")
            #expect(refused.stderr.contains("allow-write"), "\(refused.stderr)")
            #expect(!FileManager.default.fileExists(atPath: refusedDB))
            let txt = try await e2e.lua(loadScript, arguments: [invoice.id, e2e.out.appendingPathComponent("x.txt").path],
                                        flags: ["--allow-write", e2e.out.path])
            #expect(txt.status != 0 && txt.stderr.contains(".csv or a .sqlite"), "\(txt)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: e2e.out.path) == ["recon.csv"])
        }
    }

    @Test("5,000 reconciliation lines streamed through Lua: count and exact total equal the invoice's")
    func scaleThroughLua() async throws {
        try await withGraphEndToEnd({ $0.scale = try SandboxScale.parse("reconlines=5000") }) { e2e in
            let invoice = try await e2e.invoice { id, _ in id == graphScaleInvoice }
            let r = try await e2e.lua(streamScript, arguments: [invoice.id, "full"])
            #expect(r.status == 0, "\(r)")
            let obj = try r.json()
            #expect(obj["count"] as? Int == 5000)
            #expect(Decimal(string: obj["total"] as? String ?? "x") == Decimal(string: invoice.total)!, "\(obj["total"] ?? "nil") vs \(invoice.total)")
        }
    }
}

@Suite("Graph reconciliation v2: the reconcile-invoice playbook")
struct GraphPlaybookTests {
    @Test("auto picks v2 for a new-commerce invoice and matches; --source v1 still works; a recurring invoice picks v1; --to twice is unchanged; --provider with v2 exits 2")
    func reconcileInvoicePicksSource() async throws {
        try await withGraphEndToEnd { e2e in
            let oneTime = try await e2e.invoice { id, type in type == "OneTime" && id.hasPrefix("G") }
            let mark = e2e.mark
            let v2 = try await e2e.run(["playbook", "run", "reconcile-invoice", "--json", "--invoice", oneTime.id])
            #expect(v2.status == 0, "\(v2)")
            #expect(try v2.json()["source"] as? String == "v2")
            #expect(try v2.json()["matches"] as? Bool == true)
            #expect(try v2.json()["lines_total"] as? String == oneTime.total)
            #expect(e2e.count("graph_billing.export_billed_reconciliation", since: mark) == 1)

            let v1 = try await e2e.run(["playbook", "run", "reconcile-invoice", "--json", "--invoice", oneTime.id, "--source", "v1"])
            #expect(v1.status == 0, "\(v1)")
            #expect(try v1.json()["source"] as? String == "v1")
            #expect(try v1.json()["matches"] as? Bool == true)
            #expect(try v1.json()["line_items"] as? Int == v2.json()["line_items"] as? Int)

            let recurring = try await e2e.invoice { _, type in type == "Recurring" }
            let legacy = try await e2e.run(["playbook", "run", "reconcile-invoice", "--json", "--invoice", recurring.id])
            #expect(try legacy.json()["source"] as? String == "v1", "\(legacy)")

            let db = e2e.out.appendingPathComponent("recon.sqlite").path
            let args = ["playbook", "run", "reconcile-invoice", "--json", "--allow-write", e2e.out.path, "--invoice", oneTime.id, "--to", db]
            let first = try await e2e.run(args)
            #expect(first.status == 0, "\(first)")
            #expect(try first.json()["matches"] as? Bool == true)
            let second = try await e2e.run(args)
            #expect(second.status == 0, "\(second)")
            #expect(try second.json()["unchanged"] as? Bool == true, "\(second)")
            #expect(try second.json()["matches"] as? Bool == true)
            #expect(try second.json()["line_items"] as? Int == first.json()["line_items"] as? Int)
            // every customer is named: from the lines as they load, from the stored rows when
            // unchanged, and from a CSV load
            let csvArgs = ["playbook", "run", "reconcile-invoice", "--json", "--allow-write", e2e.out.path, "--invoice", oneTime.id,
                           "--to", e2e.out.appendingPathComponent("recon.csv").path]
            let csv = try await e2e.run(csvArgs)
            #expect(csv.status == 0, "\(csv)")
            for run in [first, second, csv] {
                let customers = try #require(try run.json()["customers"] as? [[String: Any]], "\(run)")
                #expect(!customers.isEmpty)
                #expect(customers.allSatisfy { !(($0["name"] as? String) ?? "").isEmpty }, "\(run)")
            }

            let provider = try await e2e.run(["playbook", "run", "reconcile-invoice", "--invoice", oneTime.id, "--provider", "onetime"])
            #expect(provider.status == 2, "\(provider)")
            #expect(provider.stderr.contains("provider"), "\(provider.stderr)")
        }
    }
}
