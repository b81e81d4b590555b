import Foundation
import PartnerCenterSandbox
import Testing

extension World {
    /// Customers with neither an Azure plan nor an MS-AZR-0145P subscription.
    var customersWithoutAzure: [String] {
        customers.filter { c in
            !c.subscriptions.contains { $0.offer == "MS-AZR-0145P" || $0.offer.uppercased().hasPrefix("DZH318Z0BPS6:") }
        }.map(\.id)
    }
}

/// A Lua block of the README, found after `<!-- readme-example: NAME -->`.
func readmeExample(_ name: String) throws -> String {
    let text = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
    guard let marker = text.range(of: "<!-- readme-example: \(name) -->"),
          let open = text.range(of: "```lua\n", range: marker.upperBound..<text.endIndex),
          let close = text.range(of: "\n```", range: open.upperBound..<text.endIndex) else {
        throw TestFailure("README.md has no example \(name)")
    }
    return String(text[open.upperBound..<close.lowerBound])
}

/// Partner Center as partners meet it in 2026 (issue 18): a first Azure subscription, then every
/// reservation type, one-time or monthly, under the Azure plan and on MS-AZR-0145P.
@Suite("Azure plan customers end to end", .serialized)
struct AzureCustomersEndToEndTests {
    @Test("ensure-azure-subscription: a dry run buys nothing, no consent is refused, then the plan is bought once; --legacy orders MS-AZR-0145P once")
    func ensureAzureSubscription() async throws {
        try await withEndToEnd { e2e in
            let bare = try await e2e.world().customersWithoutAzure
            try #require(bare.count >= 2, "the seed has two customers without an Azure subscription")
            let args = ["playbook", "run", "ensure-azure-subscription", "--customer", bare[0]]

            let dry = try await e2e.run(args + ["--dry-run", "--json"])
            #expect(dry.status == 0, "\(dry)")
            #expect(try dry.json()["dry_run"] as? Bool == true && (try dry.json()["purchased"] as? Bool) == false, "\(dry)")
            #expect(e2e.writes(since: 0).isEmpty, "a dry run sends no change")

            let refused = try await e2e.run(args)
            #expect(refused.status == 3 && refused.stderr.contains("--allow-purchase"), "\(refused)")
            #expect(e2e.requests(route: "carts.checkout").isEmpty)

            let bought = try await e2e.run(args + ["--allow-purchase", "--json"])
            #expect(bought.status == 0, "\(bought)")
            let obj = try bought.json()
            #expect(obj["purchased"] as? Bool == true && obj["legacy"] as? Bool == false, "\(bought)")
            let planId = try #require(obj["planId"] as? String)
            let subs = try #require(obj["subscriptions"] as? [[String: Any]])
            #expect(subs.count == 1 && subs.first?["status"] as? String == "active" && subs.first?["friendlyName"] != nil, "\(bought)")
            #expect(e2e.ordersCreated == 1)

            let mark = e2e.logMark
            let second = try await e2e.run(args + ["--allow-purchase", "--json", "--legacy"])
            #expect(second.status == 0, "\(second)")
            #expect(try second.json()["purchased"] as? Bool == false && (try second.json()["planId"] as? String) == planId, "\(second)")
            #expect(e2e.writes(since: mark).isEmpty, "a second run buys nothing")

            // --legacy: MS-AZR-0145P from the offers list, by order; planId is that subscription, listed in subscriptions
            let legacyArgs = ["playbook", "run", "ensure-azure-subscription", "--customer", bare[1], "--legacy", "--allow-purchase", "--json"]
            let legacy = try await e2e.run(legacyArgs)
            #expect(legacy.status == 0, "\(legacy)")
            let l = try legacy.json()
            let legacyId = try #require(l["planId"] as? String)
            #expect(l["legacy"] as? Bool == true && l["purchased"] as? Bool == true, "\(legacy)")
            #expect((l["subscriptions"] as? [[String: Any]])?.first?["id"] as? String == legacyId, "\(legacy)")
            #expect(e2e.requests(route: "offers.list").count == 1 && e2e.requests(route: "orders.create").count == 1)
            let again = try await e2e.run(legacyArgs)
            #expect(try again.json()["purchased"] as? Bool == false, "\(again)")
            #expect(e2e.requests(route: "orders.create").count == 1, "a second run orders nothing")

            // a customer that already has MS-AZR-0145P is reported as such, in text
            let (legacyCustomer, subscription) = try await e2e.world().azure(registration: "Registered")
            let text = try await e2e.run(["playbook", "run", "ensure-azure-subscription", "--customer", legacyCustomer])
            #expect(text.status == 0 && text.stdout.contains("MS-AZR-0145P subscription \(subscription)")
                && text.stdout.contains("nothing bought"), "\(text)")
            // an unknown customer is an input error
            let unknown = try await e2e.run(["playbook", "run", "ensure-azure-subscription", "--customer", "no such company"])
            #expect(unknown.status == 2, "\(unknown)")
        }
    }

    @Test("purchase-reservation: --list-types, a SQL reservation under the Azure plan, bad type and missing flags are input errors")
    func purchaseReservation() async throws {
        try await withEndToEnd { e2e in
            let types = try await e2e.run(["playbook", "run", "purchase-reservation", "--list-types", "--json"])
            #expect(types.status == 0, "\(types)")
            let list = try #require(try JSONSerialization.jsonObject(with: Data(types.stdout.utf8)) as? [[String: String]])
            let views = list.map { [$0["type"] ?? "", $0["targetView"] ?? ""] }
            #expect(views.first == ["vm", "AzureReservationsVM"], "\(types)")
            #expect(views.contains(["sql", "AzureReservationsSQL"]) && views.contains(["cosmosdb", "AzureReservationsCosmosDb"]))
            #expect(list.allSatisfy { $0["displayName"] != nil && $0["exampleSku"] != nil })
            #expect(Set(list.compactMap { $0["type"] }).isSuperset(of: ["appservice", "storage"]))

            let bare = try await e2e.world().customersWithoutAzure
            let plan = try await e2e.run(["playbook", "run", "ensure-azure-subscription", "--customer", bare[0], "--allow-purchase", "--json"])
            let planId = try #require(try plan.json()["planId"] as? String, "\(plan)")
            let base = ["playbook", "run", "purchase-reservation", "--customer", bare[0], "--subscription", planId]
            let sql = try await e2e.run(base + ["--type", "sql", "--sku", "SQLDB_GP_Compute_Gen5", "--region", "westeurope",
                                                "--quantity", "4", "--allow-purchase", "--json"])
            #expect(sql.status == 0, "\(sql)")
            let summary = try #require(try sql.json()["plan"] as? [String: Any])
            #expect(summary["type"] as? String == "sql" && summary["quantity"] as? Int == 4, "\(sql)")
            #expect((try sql.json()["reservation"] as? [String: Any])?["reservationId"] != nil, "\(sql)")
            // the reservation report names its type from the artifact
            let report = try await e2e.run(["playbook", "run", "reservations-report", "--customer", bare[0], "--json"])
            #expect(report.status == 0 && report.stdout.contains("\"type\": \"sql\""), "\(report)")

            let badType = try await e2e.run(base + ["--type", "vmm", "--sku", "x", "--region", "eastus"])
            #expect(badType.status == 2 && badType.stderr.contains("--type must be one of"), "\(badType)")
            let missing = try await e2e.run(["playbook", "run", "purchase-reservation", "--customer", bare[0], "--type", "sql"])
            #expect(missing.status == 2 && missing.stderr.contains("missing --subscription, --sku, --region"), "\(missing)")
            let wrongSku = try await e2e.run(base + ["--type", "sql", "--sku", "Standard_D2s_v3", "--region", "eastus", "--dry-run"])
            #expect(wrongSku.status == 2 && wrongSku.stderr.contains("no SQL Database reservation SKU Standard_D2s_v3"), "\(wrongSku)")
            let region = try await e2e.run(base + ["--type", "sql", "--sku", "SQLDB_GP_Compute_Gen5", "--region", "westeurop", "--dry-run"])
            #expect(region.status == 2 && region.stderr.contains("did you mean region westeurope?"), "\(region)")
        }
    }

    @Test("purchase-savings-plan: a dry run, --max-spend over the term, a monthly purchase making a benefit subscription; MS-AZR-0145P and a wrong currency refused before any cart")
    func savingsPlan() async throws {
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            let customer = try #require(world.customers.first { $0.country == "DE" && $0.subscriptions.contains { $0.offer.hasPrefix("DZH318Z0BPS6:") } })
            let plan = try #require(customer.subscriptions.first { $0.offer.hasPrefix("DZH318Z0BPS6:") }).id
            let base = ["playbook", "run", "purchase-savings-plan", "--customer", customer.id, "--subscription", plan, "--commitment", "0.50"]

            let dry = try await e2e.run(base + ["--currency", "EUR", "--dry-run", "--json"])
            let dryRun = try dry.json()["dry_run"] as? Bool
            #expect(dry.status == 0 && dryRun == true, "\(dry)")
            #expect(e2e.writes(since: 0).isEmpty, "a dry run sends no change")

            let capped = try await e2e.run(base + ["--currency", "EUR", "--billing", "monthly", "--allow-purchase", "--max-spend", "1000", "EUR"])
            #expect(capped.status == 3 && capped.stderr.contains("above --max-spend"), "\(capped)")
            #expect(e2e.ordersCreated == 0)

            let bought = try await e2e.run(base + ["--currency", "EUR", "--billing", "monthly", "--allow-purchase", "--json"])
            #expect(bought.status == 0, "\(bought)")
            let summary = try #require(try bought.json()["plan"] as? [String: Any])
            // 0.50 an hour: 365.00 a month, 4380.00 over the year
            let monthlyTotal = (summary["monthly_total"] as? String).flatMap { Decimal(string: $0) }
            let total = (summary["total"] as? String).flatMap { Decimal(string: $0) }
            #expect(monthlyTotal == 365 && total == 4380, "\(bought)")
            let benefit = try #require(try bought.json()["subscription"] as? [String: Any], "\(bought)")
            #expect(benefit["productOrderId"] != nil && benefit["termDuration"] as? String == "P1Y", "\(bought)")
            #expect(e2e.ordersCreated == 1)

            let mark = e2e.logMark
            let currency = try await e2e.run(base + ["--currency", "USD", "--allow-purchase"])
            #expect(currency.status == 2 && currency.stderr.contains("give --currency EUR"), "\(currency)")
            for (flags, text) in [(["--currency", "EURO"], "three-letter"), (["--commitment", "1e2", "--currency", "EUR"], "plain decimal"),
                                  (["--commitment", "2000000", "--currency", "EUR"], "1,000,000")] {
                let bad = try await e2e.run(base + flags + ["--allow-purchase"])
                #expect(bad.status == 2 && bad.stderr.contains(text), "\(flags): \(bad)")
            }
            let (legacyCustomer, legacySubscription) = try world.azure(registration: "Registered")
            let legacy = try await e2e.run(["playbook", "run", "purchase-savings-plan", "--customer", legacyCustomer, "--subscription", legacySubscription,
                                            "--commitment", "1", "--currency", "USD", "--allow-purchase"])
            #expect(legacy.status == 2 && legacy.stderr.contains("under an Azure plan only"), "\(legacy)")
            #expect(e2e.requests(route: "carts.create", since: mark).isEmpty, "refused before any cart")
        }
    }

    @Test("the README's Azure-plan walkthrough runs as written: a plan and MS-AZR-0145P given, one-time VM, monthly VM and SQL bought; monthly refused on MS-AZR-0145P")
    func readmeWalkthrough() async throws {
        try await withEndToEnd { e2e in
            let countMonthly = #"""
            local n = 0
            for _, c in ipairs(pc.customers.list()) do n = n + #pc.orders.list(c.id, { billing_type = "monthly" }) end
            print(n)
            """#
            let before = Int(try await e2e.lua(countMonthly).stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            let script = try readmeExample("azure-2026")
            // a dry run says what it would buy first and sends no change
            let mark = e2e.logMark
            let dry = try await e2e.lua(script, flags: ["--dry-run"])
            #expect(dry.status == 0 && dry.stdout.contains("would buy Azure plan first") && dry.stdout.contains("would buy MS-AZR-0145P first"), "\(dry)")
            #expect(e2e.writes(since: mark).isEmpty)
            let r = try await e2e.lua(script, flags: ["--allow-purchase"])
            #expect(r.status == 0, "\(r)")
            let lines = r.stdout.split(separator: "\n").map(String.init)
            #expect(lines.filter { $0.contains(": Azure plan ") }.count == 1, "\(r)")
            #expect(lines.filter { $0.contains(": MS-AZR-0145P ") }.count == 1, "\(r)")
            #expect(lines.filter { $0.contains("bought vm Standard_D2s_v3 (one-time)") }.count == 2, "\(r)")
            #expect(lines.filter { $0.contains("bought vm Standard_D2s_v3 (monthly)") }.count == 1, "\(r)")
            #expect(lines.filter { $0.contains("bought sql SQLDB_GP_Compute_Gen5 (one-time)") }.count == 2, "\(r)")
            #expect(lines.contains { $0.contains("monthly refused: monthly billing is for reservations under an Azure plan") }, "\(r)")
            // 1 plan + 5 reservations bought by cart; the refused monthly one sent nothing
            #expect(e2e.ordersCreated == 6, "\(r)")
            #expect(e2e.requests(route: "orders.create").count == 1)
            let after = Int(try await e2e.lua(countMonthly).stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            // the plan's order, the monthly reservation and the MS-AZR-0145P order are monthly orders
            #expect(after - before == 3, "\(before) → \(after)")
        }
    }
}
