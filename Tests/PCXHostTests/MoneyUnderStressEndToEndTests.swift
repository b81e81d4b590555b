import Foundation
import PartnerCenterSandbox
import Testing

/// Money under concurrency and stale input, end to end: concurrent runs of one purchase, a
/// committed checkout answered "being processed", a script that edits its cart table, and
/// policy refusals. The built pcx against an in-process sandbox over loopback.
@Suite("Money under concurrency and stale input", .serialized)
struct MoneyUnderStressEndToEndTests {
    /// Buys `quantity` of the test SKU with its own cart, but only once the barrier FIFO opens,
    /// so that every process checks out at the same moment.
    static let racingPurchase = #"""
    local ri, json = require "reservations", require "json"
    local customer, subscription, quantity, fifo = arg[1], arg[2], math.tointeger(tonumber(arg[3])), arg[4]
    local plan = ri.plan { customer = customer, subscription = subscription, sku = "Standard_D2_v3",
      region = "eastus", term = "1Year", quantity = quantity }
    local barrier = assert(io.open(fifo, "r"))
    barrier:close()
    local r = pc.purchase { customer = plan.customer, cart = plan.cart }
    print(json.encode { order = r.orders[1].id, journal_id = r.journal_id })
    """#

    @Test("runs of the same purchase checking out at the same moment in one data directory buy exactly once")
    func concurrentRunsBuyOnce() async throws {
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            let (customer, subscription) = try world.azure(registration: "Registered")
            let script = e2e.directory.appendingPathComponent("race.lua")
            try Self.racingPurchase.write(to: script, atomically: true, encoding: .utf8)
            let runners = 6
            for (round, quantity) in [2, 3, 4].enumerated() {
                let fifo = e2e.directory.appendingPathComponent("barrier-\(round)")
                #expect(mkfifo(fifo.path, 0o600) == 0)
                let mark = e2e.logMark
                let processes = try (0..<runners).map { _ in
                    try e2e.spawn(["run", "--allow-purchase", script.path, customer, subscription, String(quantity), fifo.path])
                }
                // every run has priced its own cart: open the barrier for all of them at once
                let deadline = Date().addingTimeInterval(120)
                while e2e.requests(route: "carts.create", since: mark).count < runners, Date() < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await Task.sleep(for: .milliseconds(300))
                let writer = open(fifo.path, O_WRONLY)
                #expect(writer >= 0)
                var results: [PCXResult] = []
                for p in processes { results.append(await p.wait(timeout: 180)) }
                close(writer)

                var orders = Set<String>()
                for r in results {
                    #expect(r.status == 0, "round \(round): \(r)")
                    if let order = (try? r.json())?["order"] as? String { orders.insert(order) }
                }
                #expect(orders.count == 1, "round \(round): every run reports the one order: \(orders)")
                #expect(e2e.ordersCreated == round + 1, "round \(round): exactly one new order")
                let checkouts = e2e.requests(route: "carts.checkout", since: mark)
                #expect(Set(checkouts.map(\.requestId)).count == 1, "round \(round): one MS-RequestId for the purchase")
            }
        }
    }

    @Test("409/800064 after a committed checkout: the entry never fails; pcx finds the order the first attempt placed, a re-run replays it")
    func busyAfterCommitFindsTheOrder() async throws {
        // The first attempt commits and loses its answer; the 4 retries are told "being processed".
        try await withEndToEnd(faults: "carts.checkout=drop-after,4*busy") { e2e in
            let world = try await e2e.world()
            let (customer, subscription) = try world.azure(registration: "Registered")
            let first = try await e2e.purchase(customer, subscription, quantity: 2, flags: ["--allow-purchase"])
            #expect(first.status == 0, "\(first)")
            #expect(first.stderr.contains("had placed order"), "\(first)")
            #expect(first.stdout.contains("bought: order"), "\(first)")
            #expect(e2e.ordersCreated == 1)
            let journal = try await e2e.run(["journal", "list", "--json"])
            let entries = try #require(try JSONSerialization.jsonObject(with: Data(journal.stdout.utf8)) as? [[String: Any]])
            let checkout = entries.first { $0["operation"] as? String == "carts.checkout" }
            #expect(checkout?["state"] as? String == "succeeded", "\(journal)")

            let rerun = try await e2e.purchase(customer, subscription, quantity: 2, flags: ["--allow-purchase"])
            #expect(rerun.status == 0, "\(rerun)")
            #expect(rerun.stdout.contains("already bought on"), "\(rerun)")
            #expect(e2e.ordersCreated == 1, "exactly one order")
            #expect(Set(e2e.requests(route: "carts.checkout").map(\.requestId)).count == 1)
        }
    }

    @Test("--max-quantity and --max-spend use the cart Partner Center holds, not the script's edited table")
    func capsUseTheHeldCart() async throws {
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            let (customer, subscription) = try world.azure(registration: "Registered")
            for call in ["pc.purchase { customer = plan.customer, cart = plan.cart }",
                         "pc.purchase_check { customer = plan.customer, cart = plan.cart }"] {
                let mark = e2e.logMark
                let r = try await e2e.lua(#"""
                    local ri = require "reservations"
                    local plan = ri.plan { customer = arg[1], subscription = arg[2], sku = "Standard_D2_v3",
                      region = "eastus", term = "1Year", quantity = 3 }
                    -- the script shrinks its copy of the cart: 1 unit at a cent
                    local line = plan.cart.lineItems[1]
                    line.quantity = 1
                    if line.pricing then line.pricing.extendedPrice = 0.01; line.pricing.price = 0.01 end
                    \#(call)
                    print("not refused")
                    """#, arguments: [customer, subscription], flags: ["--allow-purchase", "--max-quantity", "2", "--max-spend", "1", "USD"])
                #expect(r.status == 3, "\(call): \(r)")
                #expect(r.stderr.contains("policy_denied"), "\(r)")
                #expect(r.stderr.contains("3 units, above --max-quantity 2"), "\(call): \(r)")
                #expect(!r.stdout.contains("not refused"))
                #expect(e2e.requests(route: "carts.checkout", since: mark).isEmpty)
            }
            #expect(e2e.ordersCreated == 0)
            let journal = try await e2e.run(["journal", "list", "--json"])
            #expect(!journal.stdout.contains("\"carts.checkout\""), "a refusal is not journaled: \(journal)")
        }
    }

    @Test("a coroutine of the same run cannot grow the cart while pc.purchase checks it out (caps hold)")
    func cartChangesDuringCheckoutAreRefused() async throws {
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            let (customer, subscription) = try world.azure(registration: "Registered")
            var bought = 0
            for round in 1...3 {
                let r = try await e2e.lua(#"""
                    local ri, json = require "reservations", require "json"
                    local plan = ri.plan { customer = arg[1], subscription = arg[2], sku = "Standard_D2_v3",
                      region = "eastus", term = "1Year", quantity = 1 }
                    local big = json.decode(json.encode(plan.cart))
                    big.lineItems[1].quantity = 500
                    local bought, changed = pc.parallel(
                      function()
                        local ok, r = pcall(pc.purchase, { customer = plan.customer, cart = plan.cart, idempotency_key = arg[3] })
                        if not ok then return "refused: " .. tostring(r) end
                        local q = 0
                        for _, o in ipairs(r.orders) do for _, l in ipairs(o.lineItems) do q = q + l.quantity end end
                        return "bought " .. q
                      end,
                      function()
                        local ok, err = pcall(pc.carts.update, plan.customer, plan.cart.id, big)
                        return ok and "updated" or tostring(err)
                      end)
                    print(bought)
                    print(changed)
                    """#, arguments: [customer, subscription, "toctou-\(round)"], flags: ["--allow-purchase", "--max-quantity", "2"])
                #expect(r.status == 0, "\(r)")
                let lines = r.stdout.split(separator: "\n").map(String.init)
                #expect(lines.count == 2, "\(r)")
                guard lines.count == 2 else { continue }
                // either the change was refused and 1 unit was bought, or it landed first and the
                // checkout refused the grown cart: never 500 units past --max-quantity 2
                if lines[0] == "bought 1" {
                    bought += 1
                    #expect(lines[1].contains("cannot be changed while this run checks it out") || lines[1] == "updated", "\(r)")
                } else {
                    #expect(lines[0].contains("above --max-quantity 2"), "\(r)")
                    #expect(lines[1] == "updated", "\(r)")
                }
            }
            #expect(e2e.ordersCreated == bought, "every order placed is one the script saw at 1 unit")
        }
    }

    @Test("market refusals are never journaled pending nor called an unknown outcome; pc.purchase_check applies the market rule")
    func marketRefusalsAreNotPending() async throws {
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            let (customer, subscription) = try world.customer(in: "BR")
            let mark = e2e.logMark
            let r = try await e2e.lua(#"""
                local customer, subscription = arg[1], arg[2]
                local function try(label, f)
                  local ok, e = pcall(f)
                  print(label, ok and "ok" or (e.code .. " " .. tostring(e.message)))
                end
                try("register", function() return pc.subscriptions.register(customer, subscription) end)
                try("check", function()
                  return pc.purchase_check { customer = customer,
                    cart = { lineItems = { { catalogItemId = "DZH318Z0BQ3P:0001:DZH318Z0BQ3Q", quantity = 1 } } } }
                end)
                try("checkout", function() return pc.carts.checkout(customer, "no-such-cart") end)
                """#, arguments: [customer, subscription], flags: ["--allow-purchase"])
            #expect(r.status == 0, "\(r)")
            for label in ["register", "check", "checkout"] {
                #expect(r.stdout.contains("\(label)\tpolicy_denied"), "\(label): \(r)")
            }
            #expect(!r.stderr.contains("outcome is unknown"), "\(r)")
            #expect(e2e.writes(since: mark).isEmpty)
            let journal = try await e2e.run(["journal", "list", "--json"])
            let entries = (try? JSONSerialization.jsonObject(with: Data(journal.stdout.utf8)) as? [[String: Any]]) ?? []
            #expect(!entries.contains { $0["state"] as? String == "pending" }, "\(journal)")
        }
    }
}
