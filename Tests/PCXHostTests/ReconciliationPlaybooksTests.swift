import Foundation
import Testing

/// `trace-reservation` and `reservation-utilization` against the sandbox's seeded world: the ids
/// they print must thread through Partner Center's own answers, and the hours must add up.
@Suite("Reconciliation v2 playbooks", .serialized)
struct ReconciliationPlaybooksTests {
    /// A seeded reservation that covered usage on the newest one-time invoice (found through
    /// reservation-utilization), with its order as Partner Center answers it.
    private func reservation(_ e2e: EndToEnd) async throws -> [String: Any] {
        let world = try await e2e.world()
        let invoice = try #require(world.invoices.filter { $0.type == "OneTime" }.max { $0.id < $1.id })
        let u = try await e2e.run(["playbook", "run", "reservation-utilization", "--json", "--invoice", invoice.id])
        #expect(u.status == 0, "\(u)")
        let list = try #require(try u.json()["reservations"] as? [[String: Any]])
        let used = try #require(list.filter { ($0["used_hours"] as? Double ?? 0) > 0 }.first, "\(list)")
        let r = try await e2e.lua(#"""
        local json = require "json"
        local r = pc.reservations.get(arg[1])
        local o = pc.orders.get(r.customer, r.order)
        print(json.encode { customer = r.customer, order = o.id, alternate = o.alternateId, reservation_order = r.reservation_order,
          reservation = r.reservation.reservationId, quantity = r.reservation.quantity, billing = o.billingCycle })
        """#, arguments: [try #require(used["reservation_order"] as? String)])
        #expect(r.status == 0, "\(r)")
        return try r.json()
    }

    @Test("trace-reservation threads order → entitlement → reconciliation (purchase channel) → daily usage")
    func trace() async throws {
        try await withEndToEnd { e2e in
            let seeded = try await reservation(e2e)
            let order = try #require(seeded["reservation_order"] as? String)
            let r = try await e2e.run(["playbook", "run", "trace-reservation", "--json", "--reservation", order, "--max-invoices", "3",
                                       "--customer", try #require(seeded["customer"] as? String)])
            #expect(r.status == 0, "\(r)")
            let o = try r.json()
            #expect((o["reservation_order"] as? String) == order.lowercased())
            let orderInfo = try #require(o["order"] as? [String: Any])
            #expect(orderInfo["id"] as? String == seeded["order"] as? String)
            #expect(orderInfo["alternate_id"] as? String == seeded["alternate"] as? String)
            let recon = try #require(o["reconciliation"] as? [[String: Any]])
            let purchase = try #require(recon.first, "\(recon)")
            #expect(purchase["channel"] as? String == "partner_center")
            #expect((purchase["reservation_order_id"] as? String)?.hasPrefix("RIOderId") == true)
            #expect((purchase["reservation_order_id"] as? String)?.lowercased().hasSuffix(order.lowercased()) == true)
            #expect(purchase["order"] as? String == seeded["order"] as? String)
            #expect(purchase["alternate_id"] as? String == seeded["alternate"] as? String)
            let usage = try #require(o["usage"] as? [[String: Any]])
            #expect(!usage.isEmpty, "a seeded reservation covers usage")
            let quantity = try #require(seeded["quantity"] as? Int)
            for day in usage {
                let hours = try #require(day["hours"] as? Double)
                #expect(hours > 0 && hours <= Double(quantity * 24) + 0.0001, "\(day)")
            }
            let text = try await e2e.run(["playbook", "run", "trace-reservation", "--reservation", order, "--invoice",
                                          try #require((o["invoices_read"] as? [String])?.first)])
            #expect(text.status == 0, "\(text)")
            #expect(text.stdout.contains("Reservation order \(order.lowercased())"), "\(text)")
        }
    }

    @Test("trace-reservation refuses what is not a reservation id before any call, and says when none matches")
    func traceBadInput() async throws {
        try await withEndToEnd { e2e in
            let notGuid = try await e2e.run(["playbook", "run", "trace-reservation", "--reservation", "not-a-guid"])
            #expect(notGuid.status == 2, "\(notGuid)")
            #expect(notGuid.stderr.contains("takes a GUID"), "\(notGuid)")
            #expect(!notGuid.stderr.contains("stack traceback"), "\(notGuid)")
            let unknown = try await e2e.run(["playbook", "run", "trace-reservation", "--reservation", "00000000-0000-0000-0000-000000000001"])
            #expect(unknown.status != 0, "\(unknown)")
            #expect(unknown.stderr.contains("no reservation order or reservation"), "\(unknown)")
        }
    }

    @Test("reservation-utilization ranks the least-used first, with hours used ≤ bought and exact unused charges")
    func utilization() async throws {
        try await withEndToEnd { e2e in
            let world = try await e2e.world()
            let invoice = try #require(world.invoices.filter { $0.type == "OneTime" }.max { $0.id < $1.id })
            let r = try await e2e.run(["playbook", "run", "reservation-utilization", "--json", "--invoice", invoice.id])
            #expect(r.status == 0, "\(r)")
            let o = try r.json()
            let list = try #require(o["reservations"] as? [[String: Any]])
            #expect(!list.isEmpty, "\(o)")
            var previous = -1.0
            for res in list {
                let use = try #require(res["utilization"] as? Double, "\(res)")
                #expect(use >= previous, "sorted least used first: \(list.map { $0["utilization"] ?? "?" })")
                previous = use
                let used = try #require(res["used_hours"] as? Double), bought = try #require(res["bought_hours"] as? Double)
                #expect(used <= bought + 0.0001)
                let days = try #require(res["days"] as? [[String: Any]])
                let sum = days.reduce(0.0) { $0 + ($1["bought"] as? Double ?? 0) }
                #expect(abs(sum - bought) < 0.0001)
                if let charge = res["unused_charge"] as? String {
                    let perDay = days.compactMap { Decimal(string: $0["unused_charge"] as? String ?? "") }.reduce(0, +)
                    let total = try #require(Decimal(string: charge))
                    // each day is rounded to the cent, the total once: they differ by less than a cent a day
                    #expect(abs(NSDecimalNumber(decimal: perDay - total).doubleValue) <= Double(days.count) * 0.01)
                }
            }
            let ranking = try #require(o["ranking"] as? [[String: Any]])
            #expect(ranking.count == min(10, list.count))
        }
    }

    @Test("reservation-utilization needs exactly one of --invoice and --period (exit 2, no call)")
    func utilizationBadInput() async throws {
        try await withEndToEnd { e2e in
            let neither = try await e2e.run(["playbook", "run", "reservation-utilization"])
            #expect(neither.status == 2, "\(neither)")
            #expect(neither.stderr.contains("--invoice ID or --period"), "\(neither)")
            let both = try await e2e.run(["playbook", "run", "reservation-utilization", "--invoice", "G1", "--period", "current"])
            #expect(both.status == 2, "\(both)")
            let currency = try await e2e.run(["playbook", "run", "reservation-utilization", "--period", "current", "--currency", "dollars"])
            #expect(currency.status == 2, "\(currency)")
            #expect(currency.stderr.contains("3-letter ISO code"), "\(currency)")
            #expect(e2e.requests(route: "graph_billing.export_billed_usage").isEmpty)
        }
    }
}
