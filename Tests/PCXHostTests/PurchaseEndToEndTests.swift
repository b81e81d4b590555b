import Foundation
import PartnerCenterSandbox
import Testing
@testable import PCXHost

/// `purchase-reserved-vm` and the purchase guard rails, end to end: the built pcx binary against
/// an in-process sandbox over loopback, asserting on exit codes, output and the sandbox's
/// request log (what really reached "Partner Center").
@Suite("Purchase safety end to end", .serialized)
struct PurchaseEndToEndTests {
    @Test("--billing monthly on an MS-AZR-0145P subscription is an input error before any cart; an unknown billing plan too")
    func monthlyRefusedForLegacy() async throws {
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            let (customer, subscription) = try world.azure(registration: "Registered")
            let mark = e2e.logMark
            let monthly = try await e2e.run(["playbook", "run", "purchase-reserved-vm", "--allow-purchase", "--customer", customer,
                                             "--subscription", subscription, "--sku", "Standard_D2_v3", "--region", "eastus", "--billing", "monthly"])
            #expect(monthly.status == 2, "\(monthly)")
            #expect(monthly.stderr.contains("monthly billing is for reservations under an Azure plan"), "\(monthly)")
            #expect(e2e.requests(route: "carts.create", since: mark).isEmpty)
            let weekly = try await e2e.run(["playbook", "run", "purchase-reserved-vm", "--customer", customer,
                                            "--subscription", subscription, "--sku", "Standard_D2_v3", "--region", "eastus", "--billing", "weekly"])
            #expect(weekly.status == 2, "\(weekly)")
            #expect(weekly.stderr.contains("one-time"), "\(weekly)")
        }
    }

    @Test("purchase-reserved-vm registers an unregistered subscription, buys once, and a re-run buys nothing new")
    func purchaseRegistersBuysAndIsIdempotent() async throws {
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            let (customer, subscription) = try world.azure(registration: "NotRegistered")
            let ordersBefore = try await e2e.oneTimeOrders(customer)

            let start = e2e.logMark
            let first = try await e2e.purchase(customer, subscription, quantity: 2, flags: ["--allow-purchase"])
            #expect(first.status == 0, "\(first)")
            // no call a careful person would skip: the customer is read once (the market check
            // reuses it) and the product whose title names the series is the only SKU list read
            #expect(e2e.requests(route: "customers.get", since: start).count == 1)
            #expect(e2e.requests(route: "skus.list", since: start).count == 1)
            #expect(first.stdout.contains("bought: order"), "\(first)")
            #expect(first.stdout.contains("reservation"), "\(first)")
            #expect(first.stdout.contains("2 x Standard_D2_v3"), "\(first)")
            #expect(first.stderr.contains("Purchase plan"), "\(first)")
            let registrations = e2e.requests(route: "subscriptions.register")
            #expect(registrations.count == 1)
            #expect(registrations.first?.status == 202 || registrations.first?.status == 201 || registrations.first?.status == 200)
            #expect(e2e.ordersCreated == 1)
            let ordersAfter = try await e2e.oneTimeOrders(customer)
            #expect(ordersAfter.count == ordersBefore.count + 1)

            // The same command again: the journal finds the completed purchase; no checkout is sent.
            let mark = e2e.logMark
            let again = try await e2e.purchase(customer, subscription, quantity: 2, flags: ["--allow-purchase"])
            #expect(again.status == 0, "\(again)")
            // a replay is said plainly: when, which order, which journal entry, and that nothing was bought now
            #expect(again.stderr.contains("already bought on"), "\(again)")
            #expect(again.stdout.contains("already bought on"), "\(again)")
            #expect(again.stdout.contains("nothing was bought now"), "\(again)")
            #expect(!again.stdout.contains("bought: order"), "\(again)")
            #expect(e2e.requests(route: "carts.checkout", since: mark).isEmpty)
            #expect(e2e.requests(route: "subscriptions.register", since: mark).isEmpty)
            #expect(e2e.ordersCreated == 1)
            #expect(try await e2e.oneTimeOrders(customer).count == ordersBefore.count + 1)
        }
    }

    @Test("--dry-run sends no change at all; --dry-run --quote creates only the price quote and shows unit price and total")
    func dryRunSendsNothing() async throws {
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            for registration in ["NotRegistered", "Registered"] {
                let (customer, subscription) = try world.azure(registration: registration)
                let plain = e2e.logMark
                let unquoted = try await e2e.purchase(customer, subscription, quantity: 2, flags: ["--dry-run"])
                #expect(unquoted.status == 0, "\(registration): \(unquoted)")
                #expect(unquoted.stdout.contains("price not quoted"), "\(unquoted)")
                #expect(unquoted.stdout.contains("nothing was bought"), "\(unquoted)")
                #expect(e2e.writes(since: plain).isEmpty, "a dry run sends no change: \(e2e.writes(since: plain))")

                let mark = e2e.logMark
                let text = try await e2e.purchase(customer, subscription, quantity: 2, flags: ["--dry-run", "--quote"])
                #expect(text.status == 0, "\(registration): \(text)")
                #expect(text.stdout.contains("dry run: would buy 2 x Standard_D2_v3"), "\(text)")
                #expect(text.stdout.contains("unit price"), "\(text)")
                #expect(text.stdout.contains("total"), "\(text)")
                #expect(text.stdout.contains("nothing was bought"), "\(text)")
                if registration == "NotRegistered" {
                    #expect(text.stdout.contains("registration was recorded, not sent"), "\(text)")
                }

                let json = try await e2e.purchase(customer, subscription, quantity: 2, flags: ["--dry-run", "--quote", "--json"])
                #expect(json.status == 0, "\(json)")
                let obj = try json.json()
                #expect(obj["dry_run"] as? Bool == true)
                let plan = try #require(obj["plan"] as? [String: Any], "\(json)")
                #expect(plan["customer"] as? String == customer)
                #expect(plan["subscription"] as? String == subscription)
                #expect(plan["quantity"] as? Int == 2)
                #expect(plan["term"] as? String == "P1Y")
                #expect(plan["scope"] as? String == "Shared")
                #expect((plan["catalog_item_id"] as? String)?.split(separator: ":").count == 3)
                let unit = try #require((plan["unit_price"] as? String).flatMap { Decimal(string: $0) }, "\(plan)")
                let total = try #require((plan["total"] as? String).flatMap { Decimal(string: $0) }, "\(plan)")
                #expect(total == unit * 2)
                #expect(plan["currency"] as? String == "USD")
                #expect(obj["order"] == nil)

                #expect(e2e.requests(route: "subscriptions.register", since: mark).isEmpty, "\(registration)")
                #expect(e2e.requests(route: "carts.checkout", since: mark).isEmpty, "\(registration)")
                #expect(e2e.writes(since: mark).allSatisfy { $0.route == "carts.create" }, "only quotes: \(e2e.writes(since: mark))")
            }
            #expect(e2e.ordersCreated == 0)
        }
    }

    @Test("without --allow-purchase and no terminal, checkout is refused with exit 3 and nothing is sent")
    func gateRefusesWithoutAllowPurchase() async throws {
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            for registration in ["NotRegistered", "Registered"] {
                let (customer, subscription) = try world.azure(registration: registration)
                let mark = e2e.logMark
                let r = try await e2e.purchase(customer, subscription, flags: [])
                #expect(r.status == 3, "\(registration): \(r)")
                #expect(r.stderr.contains("policy_denied"), "\(r)")
                #expect(r.stderr.contains("--allow-purchase"), "\(r)")
                #expect(r.stderr.contains("nothing was bought"), "\(r)")
                #expect(e2e.requests(route: "carts.checkout", since: mark).isEmpty)
                // the gate comes before the registration too
                #expect(e2e.requests(route: "subscriptions.register", since: mark).isEmpty, "\(registration)")
            }
            #expect(e2e.ordersCreated == 0)
        }
    }

    @Test("--max-spend and --max-quantity refuse plans above them (exit 3, nothing sent) and allow those within")
    func spendAndQuantityCaps() async throws {
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            let (customer, subscription) = try world.azure(registration: "Registered")
            let (newCustomer, newSubscription) = try world.azure(registration: "NotRegistered")
            let plan = try await e2e.purchase(customer, subscription, quantity: 2, flags: ["--dry-run", "--quote", "--json"]).json()["plan"] as? [String: Any]
            let totalText = try #require(plan?["total"] as? String)
            let total = try #require(Decimal(string: totalText))
            let below = "\(total - Decimal(string: "0.01")!)"

            func refused(_ flags: [String], _ message: String, customer: String, subscription: String) async throws {
                let mark = e2e.logMark
                let r = try await e2e.purchase(customer, subscription, quantity: 2, flags: ["--allow-purchase"] + flags)
                #expect(r.status == 3, "\(flags): \(r)")
                #expect(r.stderr.contains("policy_denied"), "\(r)")
                #expect(r.stderr.contains(message), "\(flags): \(r)")
                #expect(r.stderr.contains("nothing was bought"), "\(r)")
                #expect(e2e.requests(route: "carts.checkout", since: mark).isEmpty, "\(flags)")
                #expect(e2e.requests(route: "subscriptions.register", since: mark).isEmpty, "\(flags)")
            }
            try await refused(["--max-spend", below, "USD"], "above --max-spend", customer: customer, subscription: subscription)
            try await refused(["--max-spend", "1000000", "EUR"], "priced in USD but --max-spend is in EUR", customer: customer, subscription: subscription)
            try await refused(["--max-quantity", "1"], "above --max-quantity 1", customer: customer, subscription: subscription)
            // an unregistered subscription is not registered when the cap refuses
            try await refused(["--max-spend", below, "USD"], "above --max-spend", customer: newCustomer, subscription: newSubscription)
            try await refused(["--max-quantity", "1"], "above --max-quantity", customer: newCustomer, subscription: newSubscription)
            #expect(e2e.ordersCreated == 0)

            // exactly at the caps: bought
            let ok = try await e2e.purchase(customer, subscription, quantity: 2,
                                            flags: ["--allow-purchase", "--max-spend", totalText, "USD", "--max-quantity", "2"])
            #expect(ok.status == 0, "\(ok)")
            #expect(ok.stdout.contains("bought: order"), "\(ok)")
            #expect(e2e.ordersCreated == 1)
        }
    }

    @Test("each excluded market (BR CN IN RU KR TW HK) is refused before any mutating request")
    func excludedMarketsRefusedBeforeAnyWrite() async throws {
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            for market in World.excludedMarkets {
                let (customer, subscription) = try world.customer(in: market)
                let mark = e2e.logMark
                let r = try await e2e.purchase(customer, subscription, flags: ["--allow-purchase"])
                #expect(r.status == 3, "\(market): \(r)")
                #expect(r.stderr.contains("policy_denied"), "\(market): \(r)")
                #expect(r.stderr.contains("its country \(market) is an excluded market"), "\(market): \(r)")
                #expect(e2e.writes(since: mark).isEmpty, "\(market): \(e2e.writes(since: mark).map { "\($0.method) \($0.path)" })")
                // a dry run is refused the same way
                let dry = try await e2e.purchase(customer, subscription, flags: ["--dry-run"])
                #expect(dry.status == 3, "\(market) dry run: \(dry)")
                #expect(e2e.writes(since: mark).isEmpty, "\(market)")
            }
            #expect(e2e.ordersCreated == 0)
        }
    }

    @Test("pcx journal list/show (and --json) show the purchase with its plan and order")
    func journalShowsThePurchase() async throws {
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            let (customer, subscription) = try world.azure(registration: "Registered")
            let bought = try await e2e.purchase(customer, subscription, flags: ["--allow-purchase", "--json"])
            #expect(bought.status == 0, "\(bought)")
            let result = try bought.json()
            let journalId = try #require(result["journal_id"] as? Int, "\(bought)")
            let orderId = try #require((result["order"] as? [String: Any])?["id"] as? String, "\(bought)")
            #expect(result["reservation"] is [String: Any])

            let list = try await e2e.run(["journal", "list"])
            #expect(list.status == 0, "\(list)")
            #expect(list.stdout.contains("carts.checkout"))
            #expect(list.stdout.contains("succeeded"))
            #expect(list.stdout.contains("order \(orderId)"), "\(list)")
            #expect(list.stdout.contains("purchase-reserved-vm"), "\(list)")

            let listJSON = try await e2e.run(["journal", "list", "--json"])
            #expect(listJSON.status == 0, "\(listJSON)")
            let entries = try #require(try JSONSerialization.jsonObject(with: Data(listJSON.stdout.utf8)) as? [[String: Any]])
            let checkout = try #require(entries.first { ($0["id"] as? Int) == journalId }, "\(listJSON)")
            #expect(checkout["operation"] as? String == "carts.checkout")
            #expect(checkout["state"] as? String == "succeeded")
            #expect(checkout["customer"] as? String == customer)

            let show = try await e2e.run(["journal", "show", String(journalId)])
            #expect(show.status == 0, "\(show)")
            #expect(show.stdout.contains("operation    carts.checkout"), "\(show)")
            #expect(show.stdout.contains(orderId), "\(show)")
            #expect(show.stdout.contains("plan"), "\(show)")
            #expect(show.stdout.contains("request id"), "\(show)")

            let showJSON = try await e2e.run(["journal", "show", String(journalId), "--json"])
            #expect(showJSON.status == 0, "\(showJSON)")
            let entry = try showJSON.json()
            #expect(entry["operation"] as? String == "carts.checkout")
            let plan = try #require(entry["plan"] as? [String: Any], "\(showJSON)")
            #expect(plan["subscription"] as? String == subscription)
            #expect(plan["total"] != nil)
            let outcome = try #require(entry["outcome"] as? [String: Any], "\(showJSON)")
            let orders = try #require(outcome["orders"] as? [[String: Any]])
            #expect(orders.first?["id"] as? String == orderId)

            let missing = try await e2e.run(["journal", "show", "999999"])
            #expect(missing.status != 0)
            #expect(missing.stderr.contains("no journal entry 999999"))
        }
    }
}

/// Crash safety: whatever happens to pcx or the connection during checkout, re-running the same
/// command ends with exactly one order.
@Suite("Crash safety end to end", .serialized)
struct CrashSafetyEndToEndTests {
    @Test("SIGKILL right after the checkout request is sent, then a re-run: exactly one order")
    func killDuringCheckoutThenRerun() async throws {
        try await withEndToEnd(faults: "carts.checkout=delay=6s") { e2e in
            let world = try await e2e.world()
            let (customer, subscription) = try world.azure(registration: "Registered")
            let ordersBefore = try await e2e.oneTimeOrders(customer).count
            let journalURL = URL(fileURLWithPath: e2e.environment["PCX_DATA_DIR"]!).appendingPathComponent("journal.sqlite")
            let process = try e2e.spawn(["playbook", "run", "purchase-reserved-vm", "--allow-purchase",
                                         "--customer", customer, "--subscription", subscription,
                                         "--sku", "Standard_D2_v3", "--region", "eastus"])
            // The journal entry is written just before the request is sent; then give the request
            // time to reach the sandbox, which holds it for 6 s.
            var pending: JournalEntry?
            let deadline = Date().addingTimeInterval(120)
            while pending == nil, Date() < deadline, process.isRunning {
                if FileManager.default.fileExists(atPath: journalURL.path),
                   let entries = try? Journal(url: journalURL).list(limit: 20) {
                    pending = entries.first { $0.operation == "carts.checkout" && $0.state == .pending }
                }
                if pending == nil { try await Task.sleep(for: .milliseconds(20)) }
            }
            let entry = try #require(pending, "pcx never journaled a pending checkout")
            try await Task.sleep(for: .milliseconds(1500))
            #expect(process.isRunning, "pcx should still be waiting for the delayed checkout")
            process.kill9()
            let killed = await process.wait(timeout: 30)
            #expect(killed.signaled)
            #expect(!killed.stdout.contains("bought:"))

            // The sandbox did receive that checkout (it answers into the closed connection).
            let seen = Date().addingTimeInterval(30)
            while e2e.requests(route: "carts.checkout").isEmpty, Date() < seen { try await Task.sleep(for: .milliseconds(50)) }
            let first = try #require(e2e.requests(route: "carts.checkout").first, "the checkout never reached the sandbox")
            #expect(first.requestId == entry.requestId)

            // Looking at the plan with a dry run in between must not hide the unfinished attempt.
            let dry = try await e2e.purchase(customer, subscription, flags: ["--dry-run"])
            #expect(dry.status == 0, "\(dry)")
            #expect(dry.stderr.contains("has an unfinished attempt"), "\(dry)")

            let rerun = try await e2e.purchase(customer, subscription, flags: ["--allow-purchase"])
            #expect(rerun.status == 0, "\(rerun)")
            #expect(rerun.stdout.contains("bought: order"), "\(rerun)")
            #expect(rerun.stderr.contains("resuming unfinished purchase"), "\(rerun)")
            // every checkout carried the journaled request id, and only one order exists
            #expect(e2e.requests(route: "carts.checkout").allSatisfy { $0.requestId == entry.requestId })
            #expect(e2e.ordersCreated == 1)
            #expect(try await e2e.oneTimeOrders(customer).count == ordersBefore + 1)
        }
    }

    @Test("the sandbox drops the connection after committing the checkout: pcx retries with the pinned MS-RequestId and finds the one order")
    func dropAfterCommitIsRetriedSafely() async throws {
        try await withEndToEnd(faults: "carts.checkout=drop-after") { e2e in
            let world = try await e2e.world()
            let (customer, subscription) = try world.azure(registration: "Registered")
            let r = try await e2e.purchase(customer, subscription, quantity: 2, flags: ["--allow-purchase"])
            #expect(r.status == 0, "\(r)")
            #expect(r.stdout.contains("bought: order"), "\(r)")
            let checkouts = e2e.requests(route: "carts.checkout")
            #expect(checkouts.count == 2, "\(checkouts)")
            #expect(checkouts.first?.status == 0, "the first answer was dropped")
            #expect(checkouts.last?.replayed == true, "the retry got the stored result")
            #expect(Set(checkouts.map(\.requestId)).count == 1)
            #expect(e2e.ordersCreated == 1)
        }
    }

    @Test("every answer to the committed checkout is dropped: a clear error telling to re-run, and a re-run finds the one order")
    func dropAfterCommitThenRerun() async throws {
        // The client makes 5 attempts with the pinned MS-RequestId: the first commits and loses its
        // answer, the 4 retries lose theirs too (dropped before the sandbox replays the stored result).
        try await withEndToEnd(faults: "carts.checkout=drop-after,4*drop-before") { e2e in
            let world = try await e2e.world()
            let (customer, subscription) = try world.azure(registration: "NotRegistered")
            let ordersBefore = try await e2e.oneTimeOrders(customer).count
            let first = try await e2e.purchase(customer, subscription, quantity: 3, flags: ["--allow-purchase"])
            #expect(first.status == 1, "\(first)")
            #expect(!first.stdout.contains("bought:"), "\(first)")
            #expect(first.stderr.contains("the outcome is unknown"), "\(first)")
            #expect(first.stderr.contains("re-run the same command"), "\(first)")
            #expect(first.stderr.contains("cannot buy twice"), "\(first)")
            #expect(e2e.ordersCreated == 1, "the sandbox committed the order before dropping the connection")

            let journal = try await e2e.run(["journal", "list", "--json"])
            let entries = try #require(try JSONSerialization.jsonObject(with: Data(journal.stdout.utf8)) as? [[String: Any]])
            #expect(entries.contains { $0["operation"] as? String == "carts.checkout" && $0["state"] as? String == "unknown" }, "\(journal)")

            let rerun = try await e2e.purchase(customer, subscription, quantity: 3, flags: ["--allow-purchase"])
            #expect(rerun.status == 0, "\(rerun)")
            #expect(rerun.stdout.contains("bought: order"), "\(rerun)")
            #expect(rerun.stdout.contains("3 x Standard_D2_v3"), "\(rerun)")
            #expect(rerun.stderr.contains("resuming unfinished purchase"), "\(rerun)")
            #expect(e2e.ordersCreated == 1)
            let checkouts = e2e.requests(route: "carts.checkout")
            #expect(checkouts.count == 6, "5 dropped attempts, then the re-run")
            #expect(checkouts.first?.mutated == true)
            #expect(Set(checkouts.map(\.requestId)).count == 1, "the re-run re-sent the same MS-RequestId")
            #expect(checkouts.last?.replayed == true)
            #expect(try await e2e.oneTimeOrders(customer).count == ordersBefore + 1)
            #expect(e2e.requests(route: "subscriptions.register").count == 1, "registered once, not again on the re-run")
        }
    }

    @Test("an unreadable answer to a committed checkout leaves it resumable: the re-run reports the one order")
    func unreadableCheckoutAnswerThenRerun() async throws {
        // The sandbox commits the order and answers 200 with a truncated body, once.
        try await withEndToEnd(faults: "carts.checkout=malformed") { e2e in
            let world = try await e2e.world()
            let (customer, subscription) = try world.azure(registration: "NotRegistered")
            let first = try await e2e.purchase(customer, subscription, quantity: 2, flags: ["--allow-purchase"])
            #expect(first.status == 1, "\(first)")
            #expect(first.stderr.contains("pcx: server_error: Partner Center's answer could not be read"), "\(first)")
            #expect(first.stderr.contains("re-run the same command"), "\(first)")
            #expect(e2e.ordersCreated == 1)

            let rerun = try await e2e.purchase(customer, subscription, quantity: 2, flags: ["--allow-purchase"])
            #expect(rerun.status == 0, "\(rerun)")
            #expect(rerun.stdout.contains("bought: order"), "\(rerun)")
            #expect(rerun.stderr.contains("resuming unfinished purchase"), "\(rerun)")
            #expect(e2e.ordersCreated == 1, "exactly one order")
            let checkouts = e2e.requests(route: "carts.checkout")
            #expect(Set(checkouts.map(\.requestId)).count == 1, "the re-run re-sent the same MS-RequestId")
        }
    }
}

/// The purchase gate at a terminal (a pseudo-terminal from util-linux `script`): the user confirms
/// the plan once, before anything is changed; "no" changes nothing.
@Suite("Purchase gate at a terminal", .serialized)
struct TerminalGateEndToEndTests {
    /// Runs pcx under `script` (so stdin and stderr are a terminal), answers the prompt with
    /// `answer`, and returns the exit status and the terminal's output.
    func runAtTerminal(_ e2e: EndToEnd, _ arguments: [String], answer: String) async throws -> (status: Int32, output: String) {
        let scriptTool = "/usr/bin/script"
        let quoted = ([pcxBinary.path] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let outURL = e2e.directory.appendingPathComponent("tty-\(UUID().uuidString.prefix(8)).out")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: scriptTool)
        process.arguments = ["-q", "-e", "-c", quoted, "/dev/null"]
        process.environment = e2e.environment
        process.currentDirectoryURL = e2e.directory
        let stdin = Pipe()
        process.standardInput = stdin
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: outURL)
        try process.run()
        var output = ""
        var answered = false
        let deadline = Date().addingTimeInterval(180)
        while process.isRunning, Date() < deadline {
            output = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
            if !answered, output.contains("Type 'yes' to buy:") {
                stdin.fileHandleForWriting.write(Data((answer + "\n").utf8))
                answered = true
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning {
            Issue.record("pcx at a terminal did not finish; killed")
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        try? stdin.fileHandleForWriting.close()
        output = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        return (process.terminationStatus, output)
    }

    @Test("at a terminal the plan is confirmed once, before the registration, and then bought", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func confirmOnceAtTerminal() async throws {
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            let (customer, subscription) = try world.azure(registration: "NotRegistered")
            let args = ["playbook", "run", "purchase-reserved-vm", "--customer", customer, "--subscription", subscription,
                        "--sku", "Standard_D2_v3", "--region", "eastus"]

            let no = try await runAtTerminal(e2e, args, answer: "no")
            #expect(no.status == 3, "\(no.output)")
            #expect(no.output.contains("purchase not confirmed"), "\(no.output)")
            #expect(e2e.requests(route: "subscriptions.register").isEmpty, "a refused purchase registers nothing")
            #expect(e2e.requests(route: "carts.checkout").isEmpty)

            let yes = try await runAtTerminal(e2e, args, answer: "yes")
            #expect(yes.status == 0, "\(yes.output)")
            #expect(yes.output.components(separatedBy: "Type 'yes' to buy:").count == 2, "asked exactly once: \(yes.output)")
            #expect(yes.output.contains("bought: order"), "\(yes.output)")
            #expect(e2e.requests(route: "subscriptions.register").count == 1)
            #expect(e2e.ordersCreated == 1)
        }
    }
}
