import Foundation
import GRDB
import PartnerCenterSandbox
import Testing

/// Money round 3: pcx buys exactly what was meant, exactly once.
@Suite("Money round 3: exactly what was meant, exactly once", .serialized)
struct MoneyRound3Tests {
    /// The journal's entries as JSON objects (`pcx journal list --json`).
    static func journal(_ e2e: EndToEnd) async throws -> [[String: Any]] {
        let r = try await e2e.run(["journal", "list", "--json", "--limit", "500"])
        return (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]]) ?? []
    }

    static func checkouts(_ e2e: EndToEnd) async throws -> [[String: Any]] {
        try await journal(e2e).filter { $0["operation"] as? String == "carts.checkout" }
    }

    /// Units in the orders the sandbox created for `customer`.
    static func orderedUnits(_ e2e: EndToEnd, _ customer: String) async throws -> [Int] {
        e2e.sandbox.clock.advance(by: 5) // past the order lag: every order is listed
        let r = try await e2e.lua(#"""
            for _, o in ipairs(pc.orders.list(arg[1], { billing_type = "onetime" })) do
              local n = 0
              for _, l in ipairs(o.lineItems or {}) do n = n + (l.quantity or 0) end
              print(n)
            end
            """#, arguments: [customer])
        return r.stdout.split(separator: "\n").compactMap { Int($0) }
    }

    /// A script that plans one D2 v3 purchase of `quantity` and buys it (its cart id on stderr).
    static let buy = #"""
        local ri = require "reservations"
        local plan = ri.plan { customer = arg[1], subscription = arg[2], sku = "Standard_D2_v3", region = "eastus",
          quantity = tonumber(arg[3] or "1") }
        io.stderr:write("cart ", plan.cart.id, "\n")
        local r = pc.purchase { customer = plan.customer, cart = plan.cart, plan = plan:summary() }
        print("order", r.orders and r.orders[1] and r.orders[1].id, r.replayed and "replayed" or "new")
        """#

    static func cartId(_ r: PCXResult) -> String? {
        r.stderr.split(separator: "\n").first { $0.hasPrefix("cart ") }.map { String($0.dropFirst(5)) }
    }

    @Test("a committed checkout whose pinned retry gets 400, 401 twice, 403, 404 or 412 is never failed; the re-run buys nothing more")
    func definitiveAfterUncertainIsUnknown() async throws {
        for fault in ["drop-after,400", "drop-after,expired-token,expired-token", "drop-after,403", "drop-after,404", "drop-after,412"] {
            try await withEndToEnd(faults: "carts.checkout=\(fault)") { e2e in
                let world = try await e2e.world()
                let (customer, subscription) = try world.azure(registration: "Registered")
                let first = try await e2e.lua(Self.buy, arguments: [customer, subscription], flags: ["--allow-purchase"])
                #expect(!first.stderr.contains("PCX_TENANT_ID") && !first.stderr.contains("check PCX"), "\(fault): \(first)")
                #expect(try await Self.checkouts(e2e).allSatisfy { $0["state"] as? String != "failed" }, "\(fault)")
                let rerun = try await e2e.lua(Self.buy, arguments: [customer, subscription], flags: ["--allow-purchase"])
                #expect(rerun.status == 0, "\(fault): \(rerun)")
                #expect(e2e.ordersCreated == 1, "\(fault): exactly one order")
                let units = try await Self.orderedUnits(e2e, customer)
                #expect(units.count == 1, "\(fault): \(units)")
            }
        }
    }

    @Test("pcx journal resolve ID --not-bought: checks the customer's orders first; an uncommitted attempt is closed and bought anew, a committed one is found")
    func resolveNotBought() async throws {
        // every attempt dropped before Partner Center handled it: nothing was bought
        try await withEndToEnd(faults: "carts.checkout=6*drop-before") { e2e in
            let world = try await e2e.world()
            let (customer, subscription) = try world.azure(registration: "Registered")
            let first = try await e2e.lua(Self.buy, arguments: [customer, subscription], flags: ["--allow-purchase"])
            #expect(first.status == 1, "\(first)")
            #expect(first.stderr.contains("outcome is unknown"), "\(first)")
            let entry = try #require(try await Self.checkouts(e2e).first)
            #expect(entry["state"] as? String == "unknown")
            let id = String(try #require(entry["id"] as? Int))
            // too young: orders are listed up to 15 minutes later
            let young = try await e2e.run(["journal", "resolve", id, "--not-bought"])
            #expect(young.status == 3, "\(young)")
            #expect(young.stderr.contains("may not be listed yet"), "\(young)")
            var env = e2e.environment
            env["PCX_ORDER_LIST_LAG"] = "0"
            let resolve = try await CLIRun.run(e2e, ["journal", "resolve", id, "--not-bought"], env: env)
            #expect(resolve.status == 0, "\(resolve)")
            #expect(resolve.stdout.contains("not bought"), "\(resolve)")
            #expect(try await Self.checkouts(e2e).first?["state"] as? String == "not_bought")
            let again = try await e2e.lua(Self.buy, arguments: [customer, subscription], flags: ["--allow-purchase"])
            #expect(again.status == 0, "\(again)")
            #expect(e2e.ordersCreated == 1)
        }
        // the first attempt committed: resolve finds its order and marks nothing
        try await withEndToEnd(faults: "carts.checkout=drop-after,5*drop-before") { e2e in
            let resolve = try await Self.failThenResolveNotBought(e2e).resolve
            #expect(resolve.status == 3, "\(resolve)")
            #expect(resolve.stderr.contains("was bought"), "\(resolve)")
            #expect(try await Self.checkouts(e2e).first?["state"] as? String == "succeeded")
            #expect(e2e.ordersCreated == 1)
        }
    }

    /// A purchase whose checkout fails under the faults, then `pcx journal resolve ID --not-bought`
    /// on its journal entry with PCX_ORDER_LIST_LAG=0.
    static func failThenResolveNotBought(_ e2e: EndToEnd) async throws -> (resolve: PCXResult, customer: String, subscription: String) {
        let world = try await e2e.world()
        let (customer, subscription) = try world.azure(registration: "Registered")
        let first = try await e2e.lua(buy, arguments: [customer, subscription], flags: ["--allow-purchase"])
        #expect(first.status == 1, "\(first)")
        let id = String(try #require(try await checkouts(e2e).first?["id"] as? Int))
        var env = e2e.environment
        env["PCX_ORDER_LIST_LAG"] = "0"
        return (try await CLIRun.run(e2e, ["journal", "resolve", id, "--not-bought"], env: env), customer, subscription)
    }

    @Test("pcx journal resolve --not-bought reads the cart: an ordered cart is a purchase, even when the order list lags and the lag setting says otherwise")
    func resolveSeesAnOrderedCart() async throws {
        try await withEndToEnd(faults: "carts.checkout=drop-after,10*503", orderLag: 3600) { e2e in
            // the user overrides the wait; the order is not listed for an hour
            let (resolve, customer, subscription) = try await Self.failThenResolveNotBought(e2e)
            #expect(resolve.status == 3, "\(resolve)")
            #expect(resolve.stderr.contains("shows its cart") && resolve.stderr.contains("ordered"), "\(resolve)")
            #expect(try await Self.checkouts(e2e).first?["state"] as? String == "unknown")
            try e2e.sandbox.setFaults("none")
            let rerun = try await e2e.lua(Self.buy, arguments: [customer, subscription], flags: ["--allow-purchase"])
            #expect(rerun.status == 0, "\(rerun)")
            #expect(e2e.ordersCreated == 1, "the re-run returns the one order; nothing is bought twice")
        }
    }

    @Test("the journal is keyed on the canonical target: the same purchase through other spellings of the endpoint buys nothing more")
    func canonicalTarget() async throws {
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            let (customer, subscription) = try world.azure(registration: "Registered")
            let first = try await e2e.lua(Self.buy, arguments: [customer, subscription], flags: ["--allow-purchase"])
            #expect(first.status == 0, "\(first)")
            let port = try #require(e2e.sandbox.endpoint.port)
            for endpoint in ["http://127.0.0.1:\(port)/", "http://localhost:\(port)", "HTTP://127.0.0.1:\(port)", "http://127.0.0.1:\(port)/v1"] {
                var env = e2e.environment
                env["PCX_ENDPOINT"] = endpoint
                let file = e2e.directory.appendingPathComponent("buy.lua")
                try Self.buy.write(to: file, atomically: true, encoding: .utf8)
                let r = try await CLIRun.run(e2e, ["run", "--allow-purchase", file.path, customer, subscription], env: env)
                #expect(r.status == 0, "\(endpoint): \(r)")
                #expect(r.stdout.contains("replayed"), "\(endpoint): \(r)")
            }
            #expect(e2e.ordersCreated == 1, "one order whatever the endpoint's spelling")
        }
    }

    @Test("a checkout of cart B that resumes an unfinished purchase on cart A locks A: a parallel update of A is refused")
    func resumeLocksTheResumedCart() async throws {
        try await withEndToEnd(faults: "carts.checkout=6*drop-before") { e2e in
            let world = try await e2e.world()
            let (customer, subscription) = try world.azure(registration: "Registered")
            let first = try await e2e.lua(Self.buy, arguments: [customer, subscription], flags: ["--allow-purchase"])
            #expect(first.status == 1, "\(first)")
            let cartA = try #require(Self.cartId(first))
            try e2e.sandbox.setFaults("carts.checkout=delay=3s;invoices.balance=delay=1s")
            let r = try await e2e.lua(#"""
                local ri = require "reservations"
                local customer, subscription, cartA = arg[1], arg[2], arg[3]
                local bought, update = pc.parallel(function()
                  local plan = ri.plan { customer = customer, subscription = subscription, sku = "Standard_D2_v3", region = "eastus" }
                  local r = pc.purchase { customer = customer, cart = plan.cart }
                  return "bought " .. r.orders[1].id
                end, function()
                  pc.invoices.balance()          -- 1 s: the checkout of A is on its way by then
                  local cart = pc.carts.get(customer, cartA)
                  cart.lineItems[1].quantity = 10
                  local ok, e = pcall(pc.carts.update, customer, cartA, cart)
                  return ok and "updated" or e.message
                end)
                print(bought); print(update)
                """#, arguments: [customer, subscription, cartA], flags: ["--allow-purchase", "--max-spend", "1000", "USD"])
            #expect(r.status == 0, "\(r)")
            #expect(r.stdout.contains("bought "), "\(r)")
            #expect(r.stdout.contains("cannot be changed while this run checks it out"), "\(r)")
            let units = try await Self.orderedUnits(e2e, customer)
            #expect(units == [1], "one order of one unit: \(units)")
        }
    }

    @Test("a resume re-checks the cart Partner Center holds: cart A changed since is not re-sent; B is a new purchase with its own gate")
    func resumeRechecksTheHeldCart() async throws {
        try await withEndToEnd(faults: "carts.checkout=6*drop-before") { e2e in
            let world = try await e2e.world()
            let (customer, subscription) = try world.azure(registration: "Registered")
            let first = try await e2e.lua(Self.buy, arguments: [customer, subscription], flags: ["--allow-purchase"])
            #expect(first.status == 1, "\(first)")
            let cartA = try #require(Self.cartId(first))
            try e2e.sandbox.setFaults("none")
            // another process grows cart A to 10 units
            let grow = try await e2e.lua(#"""
                local cart = pc.carts.get(arg[1], arg[2]); cart.lineItems[1].quantity = 10
                pc.carts.update(arg[1], arg[2], cart)
                """#, arguments: [customer, cartA], flags: ["--allow-purchase"])
            #expect(grow.status == 0, "\(grow)")
            // without consent the new purchase is refused: nothing bought
            let refused = try await e2e.lua(Self.buy, arguments: [customer, subscription], flags: [])
            #expect(refused.status == 3, "\(refused)")
            #expect(e2e.ordersCreated == 0)
            let rerun = try await e2e.lua(Self.buy, arguments: [customer, subscription], flags: ["--allow-purchase"])
            #expect(rerun.status == 0, "\(rerun)")
            #expect(rerun.stderr.contains("did not buy anything"), "\(rerun)")
            let units = try await Self.orderedUnits(e2e, customer)
            #expect(units == [1], "one unit bought, never A's 10: \(units) (\(rerun))")
            let states = try await Self.checkouts(e2e).compactMap { $0["state"] as? String }
            #expect(states.contains("not_bought") && states.contains("succeeded"), "\(states)")
        }
    }

    @Test("a cart changed by another process between pcx's read and the checkout: bought above --max-spend is reported loudly, exit 4")
    func boughtAboveTheSpendCap() async throws {
        let arrived = ArrivalLog()
        try await withEndToEnd(faults: "carts.checkout=delay=3s", onRequest: { arrived.observe($0) }) { e2e in
            let world = try await e2e.world()
            let (customer, subscription) = try world.azure(registration: "Registered")
            let file = e2e.directory.appendingPathComponent("buy.lua")
            try Self.buy.write(to: file, atomically: true, encoding: .utf8)
            let buyer = try e2e.spawn(["run", "--allow-purchase", "--max-spend", "1000", "USD", file.path, customer, subscription])
            let deadline = Date().addingTimeInterval(60)
            // the checkout has reached the sandbox, which holds it 3 s before handling it
            while !arrived.since(0).contains(where: { $0.route == "carts.checkout" }), Date() < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            let cartId = try await Self.lastCart(e2e, customer)
            let grow = try await e2e.lua(#"""
                local cart = pc.carts.get(arg[1], arg[2]); cart.lineItems[1].quantity = 2
                pc.carts.update(arg[1], arg[2], cart)
                """#, arguments: [customer, cartId], flags: ["--allow-purchase"])
            #expect(grow.status == 0, "\(grow)")
            let r = await buyer.wait(timeout: 120)
            #expect(r.status == 4, "\(r)")
            #expect(r.stderr.contains("bought_above_cap"), "\(r)")
            #expect(r.stderr.contains("bought above the cap"), "\(r)")
            #expect(r.stderr.contains("above --max-spend 1000.00 USD"), "\(r)")
            let units = try await Self.orderedUnits(e2e, customer)
            #expect(units == [2], "\(units)")
        }
    }

    /// The id of the newest cart journaled for `customer`.
    static func lastCart(_ e2e: EndToEnd, _ customer: String) async throws -> String {
        let entries = try await journal(e2e).filter { $0["operation"] as? String == "carts.create" && $0["customer"] as? String == customer }
        let outcome = try #require(entries.first?["outcome"] as? [String: Any])
        return try #require(outcome["id"] as? String)
    }

    @Test("one 'yes' at the prompt is for one purchase: a script that buys three times is asked three times")
    func oneConfirmationPerPurchase() async throws {
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            let (customer, subscription) = try world.azure(registration: "Registered")
            let file = e2e.directory.appendingPathComponent("three.lua")
            try #"""
                local ri = require "reservations"
                for i = 1, 3 do
                  local plan = ri.plan { customer = arg[1], subscription = arg[2], sku = "Standard_D2_v3", region = "eastus" }
                  local r = pc.purchase { customer = plan.customer, cart = plan.cart, idempotency_key = "three-" .. i }
                  print("bought", i, r.orders[1].id)
                end
                """#.write(to: file, atomically: true, encoding: .utf8)
            // a terminal that answers "yes" once, then nothing
            let command = ([pcxBinary.path, "run", file.path, customer, subscription]).map { "'\($0)'" }.joined(separator: " ")
            let r = try await CLIRun.run(e2e, ["-qec", command, "/dev/null"], env: e2e.environment, executable: "/usr/bin/script", stdin: "yes\n")
            #expect(r.stdout.components(separatedBy: "Type 'yes' to buy").count - 1 == 2, "asked for the first and the second purchase: \(r)")
            #expect(r.stdout.contains("bought\t1"), "\(r)")
            #expect(!r.stdout.contains("bought\t2"), "\(r)")
            #expect(r.stdout.contains("purchase not confirmed"), "\(r)")
            #expect(e2e.ordersCreated == 1)
        }
    }

    @Test("an idempotency key that belongs to another purchase is refused (exit 3), whatever the state of its entry")
    func keyOfAnotherPurchaseIsRefused() async throws {
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            let (customer, subscription) = try world.azure(registration: "Registered")
            let one = try await e2e.purchase(customer, subscription, quantity: 1, flags: ["--allow-purchase", "--idempotency-key", "k-1"])
            #expect(one.status == 0, "\(one)")
            let five = try await e2e.purchase(customer, subscription, quantity: 5, flags: ["--allow-purchase", "--idempotency-key", "k-1"])
            #expect(five.status == 3, "\(five)")
            #expect(five.stderr.contains("idempotency key k-1 belongs to a different purchase"), "\(five)")
            #expect(!five.stdout.contains("bought"), "\(five)")
            // the same key for the same purchase is its replay, at any time
            let again = try await e2e.purchase(customer, subscription, quantity: 1,
                                               flags: ["--allow-purchase", "--idempotency-key", "k-1", "--replay-window", "0", "--json"])
            #expect(again.status == 0, "\(again)")
            let obj = try again.json()
            #expect(obj["replayed"] as? Bool == true, "\(again)")
            #expect(obj["original_date"] as? String != nil, "\(again)")
            #expect(e2e.ordersCreated == 1)
        }
    }

    @Test("a replay is said plainly; after the replay window the same purchase is a new one through the gate; a dry run never reports a purchase")
    func replaysAndDryRuns() async throws {
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            let (customer, subscription) = try world.azure(registration: "Registered")
            let first = try await e2e.purchase(customer, subscription, flags: ["--allow-purchase"])
            #expect(first.status == 0, "\(first)")
            // a dry run of the bought purchase: a replay, said as such, dry_run stays true
            let dry = try await e2e.purchase(customer, subscription, flags: ["--dry-run", "--json"])
            #expect(dry.status == 0, "\(dry)")
            let obj = try dry.json()
            #expect(obj["dry_run"] as? Bool == true, "\(dry)")
            #expect(obj["replayed"] as? Bool == true, "\(dry)")
            #expect(obj["original_date"] as? String != nil, "\(dry)")
            let dryText = try await e2e.purchase(customer, subscription, flags: ["--dry-run"])
            #expect(dryText.stdout.contains("already bought on"), "\(dryText)")
            #expect(dryText.stdout.contains("nothing was bought now (dry run)"), "\(dryText)")
            #expect(!dryText.stdout.contains("bought: order"), "\(dryText)")
            // within the window: a replay
            let replay = try await e2e.purchase(customer, subscription, flags: ["--allow-purchase"])
            #expect(replay.stdout.contains("already bought on"), "\(replay)")
            #expect(e2e.ordersCreated == 1)
            // after it: a new purchase, through the gate (refused without consent)
            try await Task.sleep(for: .milliseconds(1200))
            let refused = try await e2e.purchase(customer, subscription, flags: ["--replay-window", "1s"])
            #expect(refused.status == 3, "\(refused)")
            let bought = try await e2e.purchase(customer, subscription, flags: ["--allow-purchase", "--replay-window", "1s"])
            #expect(bought.status == 0, "\(bought)")
            #expect(bought.stdout.contains("bought: order"), "\(bought)")
            #expect(e2e.ordersCreated == 2)
        }
    }

    @Test("a pcx option after the script's name is refused (exit 2) with both fixes; after -- it goes to the script")
    func optionsAfterTheScript() async throws {
        try await withEndToEnd { e2e in
            let file = e2e.directory.appendingPathComponent("flow.lua")
            try "print(table.concat({...}, ' '))\n".write(to: file, atomically: true, encoding: .utf8)
            let r = try await e2e.run(["run", "--allow-purchase", file.path, "A", "B", "--dry-run"])
            #expect(r.status == 2, "\(r)")
            #expect(r.stderr.contains("--dry-run comes after the script"), "\(r)")
            #expect(r.stderr.contains("put pcx's options before the script"), "\(r)")
            #expect(r.stderr.contains("after `--`"), "\(r)")
            for option in ["--allow-purchase", "--max-spend=5", "--sandbox", "--quote"] {
                let bad = try await e2e.run(["run", file.path, option])
                #expect(bad.status == 2, "\(option): \(bad)")
            }
            let passed = try await e2e.run(["run", file.path, "A", "--", "--dry-run", "x"])
            #expect(passed.status == 0, "\(passed)")
            #expect(passed.stdout == "A --dry-run x\n", "\(passed)")
            let plain = try await e2e.run(["run", file.path, "--customer", "c"])
            #expect(plain.stdout == "--customer c\n", "script options that are not pcx's pass: \(plain)")
        }
    }

    @Test("playbooks: ./playbooks cannot replace a shipped one, a user playbook that does is announced and listed, scripts cannot write pcx's dirs")
    func playbookShadowing() async throws {
        try await withEndToEnd { e2e in
            let local = e2e.directory.appendingPathComponent("playbooks")
            try FileManager.default.createDirectory(at: local, withIntermediateDirectories: true)
            let fake = #"return playbook { name = "balance", summary = "FAKE", run = function() print("FAKE BALANCE") end }"# + "\n"
            try fake.write(to: local.appendingPathComponent("balance.lua"), atomically: true, encoding: .utf8)
            let shipped = try await e2e.run(["playbook", "run", "balance"])
            #expect(shipped.status == 0, "\(shipped)")
            #expect(!shipped.stdout.contains("FAKE BALANCE"), "./playbooks replaced a shipped playbook: \(shipped)")
            let list = try await e2e.run(["playbook", "list"])
            #expect(list.stdout.contains("ignored: ./playbooks/balance.lua"), "\(list)")
            // by path it runs
            let byPath = try await e2e.run(["run", local.appendingPathComponent("balance.lua").path])
            #expect(byPath.stdout.contains("FAKE BALANCE"), "\(byPath)")
            // the user's config dir may replace one: announced, and listed
            let config = URL(fileURLWithPath: e2e.environment["PCX_CONFIG_DIR"]!).appendingPathComponent("playbooks")
            try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
            try fake.write(to: config.appendingPathComponent("balance.lua"), atomically: true, encoding: .utf8)
            let user = try await e2e.run(["playbook", "run", "balance"])
            #expect(user.stdout.contains("FAKE BALANCE"), "\(user)")
            #expect(user.stderr.contains("comes from"), "the run announces it: \(user)")
            let list2 = try await e2e.run(["playbook", "list"])
            #expect(list2.stdout.contains("replaces the shipped one"), "\(list2)")
            // a script allowed to write the home directory still cannot write pcx's config or data
            let write = try await e2e.lua(#"""
                local f, err = io.open(arg[1] .. "/purchase-reserved-vm.lua", "w")
                print(f and "written" or ("refused: " .. tostring(err)))
                """#, arguments: [config.path], flags: ["--allow-write", e2e.directory.path])
            #expect(write.stdout.contains("refused"), "\(write)")
            #expect(!FileManager.default.fileExists(atPath: config.appendingPathComponent("purchase-reserved-vm.lua").path))
        }
    }

    @Test("after a playbook's name its declared parameters win over pcx's options; a playbook declaring pcx's safety options is refused")
    func playbookParametersWin() async throws {
        try await withEndToEnd { e2e in
            let config = URL(fileURLWithPath: e2e.environment["PCX_CONFIG_DIR"]!).appendingPathComponent("playbooks")
            try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
            try #"""
                return playbook { name = "echo-timeout", summary = "echo", params = { timeout = { type = "integer", default = 600 } },
                  run = function(p) print("timeout=" .. p.timeout) end }
                """#.write(to: config.appendingPathComponent("echo-timeout.lua"), atomically: true, encoding: .utf8)
            let r = try await e2e.run(["playbook", "run", "echo-timeout", "--timeout", "3"])
            #expect(r.status == 0, "\(r)")
            #expect(r.stdout.contains("timeout=3"), "the playbook's --timeout: \(r)")
            // before the name, it is pcx's
            let before = try await e2e.run(["playbook", "run", "--timeout", "3", "echo-timeout"])
            #expect(before.stdout.contains("timeout=600"), "\(before)")
            for reserved in ["dry_run", "allow_purchase", "profile", "sandbox"] {
                try #"""
                    return playbook { name = "bad", summary = "bad", params = { \#(reserved) = { type = "boolean" } }, run = function() end }
                    """#.write(to: config.appendingPathComponent("bad.lua"), atomically: true, encoding: .utf8)
                let bad = try await e2e.run(["playbook", "run", "bad"])
                #expect(bad.status != 0, "\(reserved): \(bad)")
                #expect(bad.stderr.contains("is pcx's own option"), "\(reserved): \(bad)")
            }
        }
    }

    @Test("page iterators per run are bounded; abandoned ones are closed when collected")
    func cursorsAreBounded() async throws {
        try await withEndToEnd { e2e in
            let r = try await e2e.lua(#"""
                for i = 1, 80 do
                  local it = pc.customers.each { size = 1 }
                  it()
                  it = nil
                  collectgarbage()
                end
                print("abandoned ok")
                local held = {}
                local ok, e = pcall(function()
                  for i = 1, 70 do held[i] = pc.customers.each { size = 1 }; held[i]() end
                end)
                print(ok and "no limit" or e.message)
                """#)
            #expect(r.status == 0, "\(r)")
            #expect(r.stdout.contains("abandoned ok"), "\(r)")
            #expect(r.stdout.contains("more than 64 page iterators are open at once"), "\(r)")
        }
    }

    @Test("pcx journal list and show escape control characters from script-controlled values")
    func journalEscapesControlCharacters() async throws {
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            let (customer, subscription) = try world.azure(registration: "Registered")
            // the script's own file name carries escape sequences and a carriage return
            let file = e2e.directory.appendingPathComponent("evil\u{1b}[2J\u{1b}[1;1Hbought nothing\r.lua")
            try #"""
                local ri = require "reservations"
                local plan = ri.plan { customer = arg[1], subscription = arg[2], sku = "Standard_D2_v3", region = "eastus", quote = false }
                pc.purchase { customer = plan.customer, cart = { lineItems = { ri.cart_line(plan) } }, plan = { note = "x" } }
                """#.write(to: file, atomically: true, encoding: .utf8)
            let r = try await e2e.run(["run", "--dry-run", file.path, customer, subscription])
            #expect(r.status == 0, "\(r)")
            let list = try await e2e.run(["journal", "list"])
            let id = try #require(try await Self.checkouts(e2e).first?["id"] as? Int)
            let show = try await e2e.run(["journal", "show", String(id)])
            for out in [list.stdout, show.stdout] {
                #expect(!out.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x0D }, "raw control characters: \(out.debugDescription)")
            }
            #expect(show.stdout.contains("\\u{1b}"), "\(show.stdout)")
        }
    }

    @Test("a journal locked past its 10 s wait while the order is placed: pcx says the order was placed, names it and how to resume; the re-run buys nothing more")
    func journalLockedDuringCheckout() async throws {
        let locker = JournalLocker()
        try await withEndToEnd(onRequest: { if $0.route == "carts.checkout" { locker.lockFor(seconds: 12) } }) { e2e in
            locker.url = URL(fileURLWithPath: e2e.environment["PCX_DATA_DIR"]!).appendingPathComponent("journal.sqlite")
            let world = try await e2e.world()
            let (customer, subscription) = try world.azure(registration: "Registered")
            let first = try await e2e.lua(Self.buy, arguments: [customer, subscription], flags: ["--allow-purchase"])
            #expect(first.status == 1, "\(first)")
            #expect(first.stderr.contains("the purchase was made (order"), "\(first)")
            #expect(first.stderr.contains("could not record it in the purchase journal"), "\(first)")
            #expect(first.stderr.contains("locked"), "\(first)")
            #expect(first.stderr.contains("re-run the same command"), "\(first)")
            #expect(!first.stderr.contains("SQLite error"), "\(first)")
            locker.disarm()
            try await Task.sleep(for: .seconds(3))
            let rerun = try await e2e.lua(Self.buy, arguments: [customer, subscription], flags: ["--allow-purchase"])
            #expect(rerun.status == 0, "\(rerun)")
            #expect(e2e.ordersCreated == 1)
        }
    }
}

/// Holds the journal's write lock for a while, from another connection (as another process would).
final class JournalLocker: @unchecked Sendable {
    private let lock = NSLock()
    private var armed = true
    private var _url: URL?
    var url: URL? {
        get { lock.withLock { _url } }
        set { lock.withLock { _url = newValue } }
    }

    func disarm() { lock.withLock { armed = false } }

    /// Takes the write lock on a background thread for `seconds` (once).
    func lockFor(seconds: Double) {
        let go = lock.withLock { () -> Bool in
            defer { armed = false }
            return armed
        }
        guard go, let url else { return }
        let ready = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            do {
                let db = try DatabaseQueue(path: url.path)
                try db.writeWithoutTransaction { db in
                    try db.execute(sql: "BEGIN IMMEDIATE")
                    ready.signal()
                    Thread.sleep(forTimeInterval: seconds)
                    try db.execute(sql: "COMMIT")
                }
            } catch {
                ready.signal()
            }
        }
        ready.wait()
    }
}

/// Runs a process (pcx, or another program) with a given environment and standard input.
enum CLIRun {
    static func run(_ e2e: EndToEnd, _ arguments: [String], env: [String: String], executable: String? = nil,
                    stdin: String? = nil, timeout: Double = 120) async throws -> PCXResult {
        let p = try PCXProcess(arguments: arguments, environment: env, directory: e2e.directory, stdin: stdin)
        if let executable { p.process.executableURL = URL(fileURLWithPath: executable) }
        try p.process.run()
        return await p.wait(timeout: timeout)
    }
}
