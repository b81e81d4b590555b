import Foundation
import GRDB
import PartnerCenterModels
import PartnerCenterSandbox
import Testing

/// What the sandbox saw of the changes, and whether the journal already held each one when it arrived.
final class ArrivalLog: @unchecked Sendable {
    struct Arrival { let route: String; let requestId: String; let journaled: String? }
    private let lock = NSLock()
    private var journal: URL?
    private var arrivals: [Arrival] = []

    func watch(_ url: URL) { lock.withLock { journal = url } }

    /// Called by the sandbox as a request arrives: looks the request id up in the journal.
    func observe(_ request: SandboxObservedRequest) {
        guard OperationCatalog.named(request.route)?.changesState == true else { return }
        let url = lock.withLock { journal }
        var state: String?
        if let url, FileManager.default.fileExists(atPath: url.path) {
            var config = Configuration()
            config.readonly = true
            config.busyMode = .timeout(5)
            state = try? DatabaseQueue(path: url.path, configuration: config).read { db in
                try String.fetchOne(db, sql: "SELECT state FROM journal WHERE request_id = ?", arguments: [request.requestId])
            }
        }
        lock.withLock { arrivals.append(Arrival(route: request.route, requestId: request.requestId, journaled: state)) }
    }

    func since(_ mark: Int) -> [Arrival] { lock.withLock { Array(arrivals.dropFirst(mark)) } }
    var count: Int { lock.withLock { arrivals.count } }
}

/// Every change declared in the catalogue, through every Lua path, passes the one gate.
@Suite("One gate for every change, whatever the Lua path", .serialized)
struct GateWalkTests {
    /// The Lua paths a script can reach an operation by.
    enum Path: String, CaseIterable {
        case pc, coreCall = "pc.core.call", corePages = "pc.core.pages", parallel = "pc.parallel", map = "pc.map", playbook, repl
    }

    /// The Lua expression that performs `op` through `path` (`V` holds the values by Lua name).
    static func expression(_ op: APIOperation, _ path: Path) throws -> String {
        var positional = op.positionalParameters.map { "V.\($0.lua)" }
        var params = op.positionalParameters.map { "\($0.lua) = V.\($0.lua)" }
        if let body = op.body {
            positional.append("V.\(body.lua)")
            params.append("\(body.lua) = json.encode(V.\(body.lua))")
        }
        let direct = "pc.\(op.name)(\(positional.joined(separator: ", ")))"
        let table = "{ " + params.joined(separator: ", ") + " }"
        switch path {
        case .pc, .playbook, .repl: return direct
        case .coreCall: return "require('pc.core').call('\(op.name)', \(table))"
        case .corePages: return "(function() local c = require('pc.core'); return c.next_page(c.pages('\(op.name)', \(table))) end)()"
        case .parallel: return "pc.parallel(function() return \(direct) end)"
        case .map: return "pc.map({ 1 }, function() return \(direct) end)"
        }
    }

    /// `local V = {...}` with the values every change needs (a new change needs its values here).
    static func values(_ op: APIOperation, _ v: [String: String], line: String) throws -> String {
        var fields: [String] = []
        for p in op.positionalParameters {
            let value = try #require(v[p.lua], "the walk has no value for \(op.name)'s \(p.lua): add one")
            fields.append("\(p.lua) = \"\(value)\"")
        }
        if let body = op.body {
            switch body.model {
            case "Cart": fields.append("\(body.lua) = { lineItems = { \(line) } }")
            case "Order": fields.append("\(body.lua) = { lineItems = { { lineItemNumber = 0, offerId = \"MS-AZR-0145P\", quantity = 1 } } }")
            default: Issue.record("the walk knows how to build Cart and Order bodies only; add \(body.model) for \(op.name)")
            }
        }
        return "local json = require 'json'; local V = { " + fields.joined(separator: ", ") + " }"
    }

    /// Runs `expression` through `path` with `flags`; returns the result.
    static func run(_ e2e: EndToEnd, _ path: Path, prelude: String, expression: String, flags: [String]) async throws -> PCXResult {
        switch path {
        case .repl:
            return try await e2e.run(["repl"] + flags, stdin: prelude + "; _G.V = V; _G.json = json\n=" + expression + "\n")
        case .playbook:
            let file = e2e.directory.appendingPathComponent("gate-\(UUID().uuidString.prefix(6)).lua")
            try """
                \(prelude)
                return playbook { name = "gate-walk", summary = "one change", run = function() return \(expression) end }
                """.write(to: file, atomically: true, encoding: .utf8)
            return try await e2e.run(["run"] + flags + [file.path])
        default:
            return try await e2e.lua(prelude + "\nreturn " + expression + "\n", flags: flags)
        }
    }

    /// The journal's entries for `operation` in `states`.
    static func journaled(_ e2e: EndToEnd, _ operation: String, _ states: [String]) throws -> Int {
        let url = URL(fileURLWithPath: e2e.environment["PCX_DATA_DIR"]!).appendingPathComponent("journal.sqlite")
        guard FileManager.default.fileExists(atPath: url.path) else { return 0 }
        return try DatabaseQueue(path: url.path).read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM journal WHERE operation = ? AND state IN (\(states.map { "'\($0)'" }.joined(separator: ",")))",
                             arguments: [operation]) ?? 0
        }
    }

    @Test("every change in the catalogue, through pc.*, pc.core.call, pc.core.pages, pc.parallel, pc.map, a playbook and the REPL: a dry run sends nothing, no gate is refused, the gate journals before sending")
    func everyChangePassesTheGate() async throws {
        let arrivals = ArrivalLog()
        try await withEndToEnd(onRequest: { arrivals.observe($0) }) { e2e in
            arrivals.watch(URL(fileURLWithPath: e2e.environment["PCX_DATA_DIR"]!).appendingPathComponent("journal.sqlite"))
            let world = try await e2e.world()
            let (customer, subscription) = try world.azure(registration: "Registered")
            let (_, unregistered) = try world.azure(registration: "NotRegistered")
            // a purchasable line and a cart to change and check out
            let setup = try await e2e.lua(#"""
                local ri = require "reservations"
                local plan = ri.plan { customer = arg[1], subscription = arg[2], sku = "Standard_D2_v3", region = "eastus" }
                print(plan.catalog_item_id, plan.cart.id)
                """#, arguments: [customer, subscription], flags: ["--allow-purchase"])
            let fields = setup.stdout.split(whereSeparator: \.isWhitespace).map(String.init)
            try #require(setup.status == 0 && fields.count == 2, "\(setup)")
            let line = "{ id = 0, catalogItemId = \"\(fields[0])\", quantity = 1, billingCycle = \"one_time\", termDuration = \"P1Y\", "
                + "provisioningContext = { subscriptionId = \"\(subscription)\", scope = \"shared\", duration = \"1Year\" } }"
            let values = ["customer_id": customer, "cart_id": fields[1], "subscription_id": unregistered]
            let changes = OperationCatalog.all.filter(\.changesState)
            #expect(changes.count >= 4)
            for op in changes {
                let prelude = try Self.values(op, values, line: line)
                for path in Path.allCases {
                    let expression = try Self.expression(op, path)
                    let label = "\(op.name) via \(path.rawValue)"

                    // 1. a dry run: recorded, not sent
                    var mark = e2e.logMark
                    var recorded = try Self.journaled(e2e, op.name, ["recorded"])
                    let dry = try await Self.run(e2e, path, prelude: prelude, expression: expression, flags: ["--dry-run", "--replay-window", "0"])
                    #expect(e2e.requests(route: op.name, since: mark).isEmpty, "\(label) --dry-run sent it: \(dry)")
                    #expect(try Self.journaled(e2e, op.name, ["recorded"]) == recorded + 1, "\(label) --dry-run: not recorded: \(dry)")

                    // 2. no gate (no --allow-purchase, no terminal): refused, not sent, nothing open
                    mark = e2e.logMark
                    let open = try Self.journaled(e2e, op.name, ["pending", "unknown"])
                    // (each mode is a new purchase of the same content: no replay window)
                    let refused = try await Self.run(e2e, path, prelude: prelude, expression: expression, flags: ["--replay-window", "0"])
                    #expect(e2e.requests(route: op.name, since: mark).isEmpty, "\(label) without the gate was sent: \(refused)")
                    #expect(refused.stdout.contains("needs --allow-purchase") || refused.stderr.contains("needs --allow-purchase"),
                            "\(label) without the gate: \(refused)")
                    if path != .repl { #expect(refused.status == 3, "\(label) without the gate: \(refused)") }
                    #expect(try Self.journaled(e2e, op.name, ["pending", "unknown"]) == open)

                    // 3. the gate: journaled before it reached Partner Center
                    let seen = arrivals.count
                    recorded = try Self.journaled(e2e, op.name, ["recorded"])
                    let allowed = try await Self.run(e2e, path, prelude: prelude, expression: expression,
                                                     flags: ["--allow-purchase", "--replay-window", "0"])
                    let arrived = arrivals.since(seen).filter { $0.route == op.name }
                    #expect(!arrived.isEmpty, "\(label) with the gate never reached the sandbox: \(allowed)")
                    for a in arrived {
                        #expect(a.journaled == "pending", "\(label): request \(a.requestId) arrived with journal state \(a.journaled ?? "none")")
                    }
                }
            }
        }
    }
}
