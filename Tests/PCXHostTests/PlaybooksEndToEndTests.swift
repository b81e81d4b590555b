import Foundation
import PartnerCenterSandbox
import Testing

/// The shipped playbooks other than purchase-reserved-vm, end to end against the sandbox.
@Suite("Playbooks end to end", .serialized)
struct PlaybooksEndToEndTests {
    @Test("pcx playbook list shows the six shipped playbooks; show prints their parameters")
    func playbookListAndShow() async throws {
        try await withEndToEnd { e2e in
            let list = try await e2e.run(["playbook", "list"])
            #expect(list.status == 0, "\(list)")
            for name in ["purchase-reserved-vm", "register-subscription", "reservations-report", "reconcile-invoice",
                         "balance", "download-statements"] {
                #expect(list.stdout.contains(name), "\(name): \(list)")
            }
            let show = try await e2e.run(["playbook", "show", "purchase-reserved-vm"])
            #expect(show.status == 0, "\(show)")
            for param in ["--customer", "--subscription", "--sku", "--region", "--term", "--scope", "--quantity"] {
                #expect(show.stdout.contains(param), "\(param): \(show)")
            }
            // `pcx run FILE` runs a playbook file too, with its parameters
            let file = packageRoot.appendingPathComponent("scripts/reconcile-invoice.lua").path
            let viaRun = try await e2e.run(["run", "--json", file, "--invoice", "G999999999"])
            #expect(viaRun.status != 0, "\(viaRun)")
            #expect(viaRun.stderr.contains("not_found"), "\(viaRun)")
            let missing = try await e2e.run(["run", file])
            #expect(missing.status == 2, "\(missing)")
            #expect(missing.stderr.contains("missing required option --invoice"), "\(missing)")

            let unknown = try await e2e.run(["playbook", "run", "no-such-playbook"])
            #expect(unknown.status == 2, "\(unknown)")
            #expect(unknown.stderr.contains("no playbook named 'no-such-playbook'"))
        }
    }

    @Test("register-subscription registers and waits; a dry run only records; a registered one is left alone")
    func registerSubscription() async throws {
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            let (customer, subscription) = try world.azure(registration: "NotRegistered")
            let args = ["playbook", "run", "register-subscription", "--customer", customer, "--subscription", subscription]

            let dry = try await e2e.run(args + ["--dry-run"])
            #expect(dry.status == 0, "\(dry)")
            #expect(dry.stdout.contains("registration recorded, not sent"), "\(dry)")
            #expect(e2e.requests(route: "subscriptions.register").isEmpty)

            // a registration changes Partner Center: without --allow-purchase (and no terminal) it is refused
            let refused = try await e2e.run(args)
            #expect(refused.status == 3, "\(refused)")
            #expect(refused.stderr.contains("needs --allow-purchase"), "\(refused)")
            #expect(e2e.requests(route: "subscriptions.register").isEmpty)

            let real = try await e2e.run(args + ["--json", "--allow-purchase"])
            #expect(real.status == 0, "\(real)")
            let obj = try real.json()
            #expect(obj["status"] as? String == "Registered", "\(real)")
            #expect((obj["before"] as? String)?.lowercased() == "notregistered")
            #expect(e2e.requests(route: "subscriptions.register").count == 1)

            let mark = e2e.logMark
            let again = try await e2e.run(args)
            #expect(again.status == 0, "\(again)")
            #expect(again.stdout.contains("Registered (was Registered)"), "\(again)")
            #expect(e2e.requests(route: "subscriptions.register", since: mark).isEmpty)

            // --customer also takes the company name (any case) or the domain: the same customer
            let seeded = try #require(world.customers.first { $0.id == customer })
            for given in [seeded.name.uppercased(), seeded.domain] {
                let named = try await e2e.run(["playbook", "run", "register-subscription", "--customer", given,
                                               "--subscription", subscription, "--json"])
                #expect(named.status == 0, "\(given): \(named)")
                #expect(try named.json()["customer"] as? String == customer, "\(given): \(named.stdout)")
            }
        }
    }

    @Test("reservations-report lists bought reservations with expiry as a table, --json and CSV (with --allow-write only)")
    func reservationsReport() async throws {
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            let (customer, subscription) = try world.azure(registration: "Registered")
            let bought = try await e2e.purchase(customer, subscription, quantity: 2, flags: ["--allow-purchase", "--json"])
            #expect(bought.status == 0, "\(bought)")
            let orderId = try #require((try bought.json()["order"] as? [String: Any])?["id"] as? String)

            // the customer bought nothing before (the seeded world's clean slate); --all also lists the seeded reservations
            let all = try await e2e.run(["playbook", "run", "reservations-report", "--all", "--json"])
            #expect(((try all.json()["count"] as? Int) ?? 0) > 10, "\(all)")
            let table = try await e2e.run(["playbook", "run", "reservations-report", "--customer", customer])
            #expect(table.status == 0, "\(table)")
            #expect(table.stdout.contains("Expires"), "\(table)")
            #expect(table.stdout.contains(orderId), "\(table)")
            #expect(table.stdout.contains("1 reservation\n"), "\(table)")
            #expect(table.stdout.contains("Standard_D2_v3"), "the ARM SKU name, not a SKU id: \(table)")

            let json = try await e2e.run(["playbook", "run", "reservations-report", "--customer", customer, "--json"])
            #expect(json.status == 0, "\(json)")
            let obj = try json.json()
            #expect(obj["count"] as? Int == 1)
            let row = try #require((obj["reservations"] as? [[String: Any]])?.first)
            #expect(row["customer"] as? String == customer)
            #expect(row["order"] as? String == orderId)
            #expect(row["quantity"] as? Int == 2)
            let expiry = try #require(row["expiry"] as? String)
            #expect(expiry.count == 10 && expiry.hasPrefix("20"), "\(expiry)")
            #expect((row["days_left"] as? Int).map { $0 > 300 && $0 <= 366 } == true, "\(row)")
            #expect(row["type"] as? String == "vm", "pcx's type name, as --type spells it: \(row)")
            #expect(row["sku"] as? String == "Standard_D2_v3", "\(row)")
            #expect(row["region"] as? String == "eastus", "\(row)")
            #expect(row["scope"] as? String == "Shared", "\(row)")
            #expect(row["billing"] as? String == "one-time", "\(row)")
            #expect(row["term"] as? String == "P1Y", "\(row)")
            #expect((row["purchased"] as? String)?.count == 10, "\(row)")
            #expect((row["reservation"] as? String)?.isEmpty == false, "\(row)")

            // --customer by name and --expiring-within in days: the same row; a window before it: none
            let mine = try await e2e.run(["playbook", "run", "reservations-report", "--customer", customer, "--expiring-within", "400d", "--json"])
            #expect(try mine.json()["count"] as? Int == 1, "\(mine)")
            let soon = try await e2e.run(["playbook", "run", "reservations-report", "--customer", customer, "--expiring-within", "30", "--json"])
            #expect(try soon.json()["count"] as? Int == 0, "\(soon)")

            // CSV without --allow-write: refused with a clear error, nothing written
            let csv = e2e.out.appendingPathComponent("report.csv")
            let refused = try await e2e.run(["playbook", "run", "reservations-report", "--customer", customer, "--csv", csv.path])
            #expect(refused.status == 2, "refused before any read, as an input error: \(refused)")
            #expect(refused.stderr.contains("not allowed") && refused.stderr.contains("--allow-write"), "\(refused)")
            #expect(!FileManager.default.fileExists(atPath: csv.path))
            #expect(try FileManager.default.contentsOfDirectory(atPath: e2e.out.path).isEmpty)

            let written = try await e2e.run(["playbook", "run", "reservations-report", "--customer", customer, "--allow-write", e2e.out.path, "--csv", csv.path])
            #expect(written.status == 0, "\(written)")
            let rows = parseCSV(try String(contentsOf: csv, encoding: .utf8))
            #expect(rows.first == ["customer", "company", "type", "sku", "region", "quantity", "scope", "billing", "term", "purchased",
                                   "expiry", "days_left", "auto_renew", "order", "reservation_order", "reservation", "product", "sku_id"])
            #expect(rows.count == 2)
            #expect(rows.dropFirst().first?[13] == orderId)
            #expect(try FileManager.default.contentsOfDirectory(atPath: e2e.out.path) == ["report.csv"])
        }
    }

    @Test("reconcile-invoice with --progress draws its paging: the count, the rate, and the share of the invoice's total read so far with an ETA")
    func reconcileInvoiceProgress() async throws {
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            let invoice = try world.invoice(type: "Recurring")
            let r = try await e2e.run(["playbook", "run", "reconcile-invoice", "--progress", "--invoice", invoice.id,
                                       "--page-size", "1"])
            #expect(r.status == 0, "\(r)")
            // Partner Center gives no count of an invoice's line items: the share is estimated
            // from the amounts summed so far against the invoice's total (the first draw is at
            // the first line item, which is neither none nor all of a multi-line invoice)
            let estimated = #"\rline items \d+( \(\d+/s\))? ~\d+%"#
            #expect(r.stderr.range(of: estimated, options: .regularExpression) != nil, "\(r)")
            // the final line: the count and the rate, no estimate, then a newline
            #expect(r.stderr.range(of: #"\rline items \d+ \(\d+/s\) *\n$"#, options: .regularExpression) != nil, "\(r)")
            #expect(r.stdout.range(of: #"\n\d+ line items; lines total"#, options: .regularExpression) != nil, "\(r)")
            let quiet = try await e2e.run(["playbook", "run", "reconcile-invoice", "--invoice", invoice.id])
            #expect(quiet.status == 0, "\(quiet)")
            #expect(!quiet.stderr.contains("line items"), "stderr is not a terminal: no progress line: \(quiet)")
        }
    }

    @Test("reconcile-invoice writes the CSV atomically and its totals equal the invoice's to the last digit")
    func reconcileInvoice() async throws {
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            for currency in ["USD", "EUR"] {
                let invoice = try world.invoice(type: "OneTime", currency: currency)
                let csv = e2e.out.appendingPathComponent("\(invoice.id).csv")
                let r = try await e2e.run(["playbook", "run", "reconcile-invoice", "--allow-write", e2e.out.path,
                                           "--invoice", invoice.id, "--out", csv.path, "--page-size", "3"])
                #expect(r.status == 0, "\(r)")
                #expect(r.stdout.contains("MATCH"), "\(r)")
                // text shows the amount grouped, with every digit and its currency: nothing rounded away
                #expect(r.stdout.contains("invoice total \(shownAmount(invoice.total, currency, exact: true)) \(currency)"), "\(r)")

                let rows = parseCSV(try String(contentsOf: csv, encoding: .utf8))
                let header = try #require(rows.first)
                let totalColumn = try #require(header.firstIndex(of: "totalForCustomer"))
                let currencyColumn = try #require(header.firstIndex(of: "currency"))
                let lines = rows.dropFirst()
                #expect(lines.count >= 1)
                var sum = Decimal(0)
                for line in lines {
                    #expect(line.count == header.count, "\(line)")
                    sum += try #require(Decimal(string: line[totalColumn]), "\(line)")
                    #expect(line[currencyColumn] == currency)
                }
                #expect(sum == Decimal(string: invoice.total)!, "CSV sums to \(sum), invoice says \(invoice.total)")

                let json = try await e2e.run(["playbook", "run", "reconcile-invoice", "--json", "--invoice", invoice.id])
                #expect(json.status == 0, "\(json)")
                let obj = try json.json()
                #expect(obj["matches"] as? Bool == true)
                #expect(obj["lines_total"] as? String == invoice.total)
                #expect(obj["invoice_total"] as? String == invoice.total)
                #expect(obj["line_items"] as? Int == lines.count)
                let perCustomer = try #require(obj["customers"] as? [[String: Any]])
                let customerSum = perCustomer.reduce(Decimal(0)) { $0 + (Decimal(string: $1["total"] as? String ?? "x") ?? -1_000_000) }
                #expect(customerSum == Decimal(string: invoice.total)!)
            }
            // written by rename: no temporary or partial files are left next to the CSVs
            let files = try FileManager.default.contentsOfDirectory(atPath: e2e.out.path).sorted()
            #expect(files.allSatisfy { $0.hasSuffix(".csv") && !$0.hasPrefix(".") }, "\(files)")
            #expect(files.count == 2)
        }
    }

    @Test("reconcile-invoice exits non-zero on a mismatch, and refuses to write outside --allow-write")
    func reconcileInvoiceMismatchAndWriteRefusal() async throws {
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            let recurring = try world.invoice(type: "Recurring")
            // one provider of a recurring invoice: its lines are read and totalled, but cannot be
            // checked against the invoice's total, which covers every provider; said, not failed
            let partial = try await e2e.run(["playbook", "run", "reconcile-invoice", "--invoice", recurring.id, "--provider", "azure"])
            #expect(partial.status == 0, "\(partial)")
            #expect(partial.stdout.contains("NOT CHECKED: only azure of azure, office read"), "\(partial)")
            // a provider the invoice does not list: refused before any line is read
            let absent = try await e2e.run(["playbook", "run", "reconcile-invoice", "--invoice", recurring.id, "--provider", "onetime"])
            #expect(absent.status == 2, "\(absent)")
            #expect(absent.stderr.contains("has no onetime line items: it lists azure and office"), "\(absent)")

            // by default the providers come from the invoice: a recurring one reconciles as it is,
            // and its CSV carries whole rows (Azure and Office lines name things their own way)
            let recurringCSV = e2e.out.appendingPathComponent("recurring.csv")
            let whole = try await e2e.run(["playbook", "run", "reconcile-invoice", "--invoice", recurring.id, "--json",
                                           "--allow-write", e2e.out.path, "--out", recurringCSV.path])
            #expect(whole.status == 0, "\(whole)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(whole.stdout.utf8)) as? [String: Any])
            #expect(report["matches"] as? Bool == true, "\(whole.stdout)")
            #expect((report["providers"] as? [String])?.contains("onetime") == false, "\(whole.stdout)")
            let names = (report["customers"] as? [[String: Any]] ?? []).map { $0["name"] as? String ?? "" }
            #expect(!names.isEmpty && names.allSatisfy { !$0.isEmpty }, "every Azure line names its customer: \(names)")
            let rows = parseCSV(try String(contentsOf: recurringCSV, encoding: .utf8))
            let header = try #require(rows.first)
            let total = try #require(header.firstIndex(of: "totalForCustomer")), name = try #require(header.firstIndex(of: "customerName"))
            #expect(rows.count == (report["line_items"] as? Int ?? -1) + 1)
            #expect(rows.dropFirst().allSatisfy { $0.count == header.count && !$0[total].isEmpty && !$0[name].isEmpty }, "\(rows.prefix(3))")
            try FileManager.default.removeItem(at: recurringCSV)

            let oneTime = try world.invoice(type: "OneTime")
            let csv = e2e.out.appendingPathComponent("refused.csv")
            let refused = try await e2e.run(["playbook", "run", "reconcile-invoice", "--invoice", oneTime.id, "--out", csv.path])
            #expect(refused.status != 0, "\(refused)")
            #expect(refused.stderr.contains("not allowed"), "\(refused)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: e2e.out.path).isEmpty)
        }
    }

    @Test("balance prints the account balance and per-currency invoice summaries (text and --json)")
    func balance() async throws {
        try await withEndToEnd { e2e in
            let text = try await e2e.run(["playbook", "run", "balance"])
            #expect(text.status == 0, "\(text)")
            #expect(text.stdout.contains("balance:"), "\(text)")
            #expect(text.stdout.contains("USD"), "\(text)")
            #expect(text.stdout.contains("EUR"), "\(text)")

            let json = try await e2e.run(["playbook", "run", "balance", "--json"])
            #expect(json.status == 0, "\(json)")
            let obj = try json.json()
            #expect(obj["currency"] as? String == "USD")
            #expect((obj["balance"] as? String).flatMap { Decimal(string: $0) } != nil, "\(obj)")
            let summaries = try #require(obj["summaries"] as? [[String: Any]])
            #expect(Set(summaries.compactMap { $0["currency"] as? String }).isSuperset(of: ["USD", "EUR"]))
            for s in summaries {
                let balance = try #require((s["balance"] as? String).flatMap { Decimal(string: $0) })
                let recurring = try #require((s["recurring"] as? String).flatMap { Decimal(string: $0) })
                let oneTime = try #require((s["one_time"] as? String).flatMap { Decimal(string: $0) })
                #expect(balance == recurring + oneTime, "\(s)")
            }
        }
    }

    @Test("download-statements writes real PDFs (renamed into place) and refuses directories outside --allow-write")
    func downloadStatements() async throws {
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            let ids = world.invoices.prefix(3).map(\.id)
            let refused = try await e2e.run(["playbook", "run", "download-statements", "--dir", e2e.out.path,
                                             "--invoices", ids.joined(separator: ",")])
            #expect(refused.status != 0, "\(refused)")
            #expect(refused.stderr.contains("is not allowed"), "\(refused)")
            #expect(refused.stderr.contains("--allow-write"), "\(refused)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: e2e.out.path).isEmpty)

            let r = try await e2e.run(["playbook", "run", "download-statements", "--allow-write", e2e.out.path,
                                       "--dir", e2e.out.path, "--invoices", ids.joined(separator: ",")])
            #expect(r.status == 0, "\(r)")
            #expect(r.stdout.contains("\(ids.count) statements downloaded"), "\(r)")
            let files = try FileManager.default.contentsOfDirectory(atPath: e2e.out.path).sorted()
            #expect(files == ids.map { "Invoice_\($0).pdf" }.sorted(), "\(files)")
            for id in ids {
                let data = try Data(contentsOf: e2e.out.appendingPathComponent("Invoice_\(id).pdf"))
                #expect(data.count > 100)
                #expect(data.prefix(5) == Data("%PDF-".utf8), "Invoice_\(id).pdf does not start with %PDF-")
                #expect(String(decoding: data.suffix(8), as: UTF8.self).contains("%%EOF"), "Invoice_\(id).pdf is not complete")
            }

            let all = try await e2e.run(["playbook", "run", "download-statements", "--allow-write", e2e.out.path,
                                         "--dir", e2e.out.path, "--json"])
            #expect(all.status == 0, "\(all)")
            #expect(try all.json()["count"] as? Int == world.invoices.count)

            let unknown = try await e2e.run(["playbook", "run", "download-statements", "--allow-write", e2e.out.path,
                                             "--dir", e2e.out.path, "--invoices", "G999999999"])
            #expect(unknown.status != 0, "\(unknown)")
            #expect(unknown.stderr.contains("not_found"), "\(unknown)")

            let badDate = try await e2e.run(["playbook", "run", "download-statements", "--allow-write", e2e.out.path,
                                             "--dir", e2e.out.path, "--since", "last-tuesday"])
            #expect(badDate.status != 0, "\(badDate)")
            #expect(badDate.stderr.contains("--since: 'last-tuesday' is not a date"), "\(badDate)")

            // a date range far in the future selects nothing and writes nothing
            let none = try await e2e.run(["playbook", "run", "download-statements", "--allow-write", e2e.out.path,
                                          "--dir", e2e.out.path, "--since", "2999-01-01", "--json"])
            #expect(none.status == 0, "\(none)")
            #expect(try none.json()["count"] as? Int == 0)
        }
    }
}
