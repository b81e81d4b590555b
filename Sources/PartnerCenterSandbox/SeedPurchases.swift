import Foundation
import GRDB
import PartnerCenterModels

// The seeded world's reservations (issue 18, addendum §5.4): bought in the past through the same
// checkout and completion as a live purchase, so every invoice line, order, entitlement and
// reservation refers to objects that exist. Several types, one-time and monthly, auto-renew on
// and off (the benefit subscription of an Azure-plan reservation), expiries from last year to
// three years ahead with some within 30, 60 and 90 days; and the purchases behind the fixed
// one-time invoices (G000024130, G000024131, G000030001).

extension Seeder {
    /// Set by a fresh seed; the engine then makes the seeded purchases once.
    static let purchasesMetaKey = "seed_purchases"
}

extension SandboxEngine {
    /// Days from today to each spread reservation's expiry, used in turn.
    static let seededExpiryDays = [-330, -45, 9, 24, 41, 55, 68, 84, 140, 260, 430, 640, 880, 1060]
    /// The reservation types of the spread reservations, in turn.
    static let seededTypes = ["vm", "sql", "vm", "cosmosdb", "appservice", "vm", "storage", "redis"]

    /// A customer that can buy: its first active, registered Azure subscription.
    struct SeedBuyer {
        let customerId: String
        let country: String
        let seq: Int
        let partnerSeq: Int
        let subscriptionId: String
        let plan: Bool
    }

    /// Makes the seeded purchases of a fresh seed, then completes them (entitlements, reservation
    /// details, benefit subscriptions and invoice charges, as for a live purchase).
    func seedPurchases(now: Date) async throws {
        let made = try await store.db.write { db -> Int in
            guard try SandboxStore.meta(db, Seeder.purchasesMetaKey) == "pending" else { return 0 }
            var rng = try SandboxStore.nextRandom(db, seed: self.configuration.seed)
            // the partner's first customer (Contoso Widgets) is left with no purchases: a clean slate
            let buyers = try self.seedBuyers(db).filter { self.offersReservations($0.country) && !($0.partnerSeq == 0 && $0.seq == 0) }
            var count = try self.seedInvoicePurchases(db, buyers: buyers, rng: &rng)
            count += try self.seedSpreadPurchases(db, buyers: buyers.filter { $0.partnerSeq == 0 }, now: now, rng: &rng)
            try SandboxStore.setMeta(db, Seeder.purchasesMetaKey, "done")
            return count
        }
        if made > 0 { try await progress(now: now) }
    }

    func seedBuyers(_ db: Database) throws -> [SeedBuyer] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT c.id, c.country, c.seq, p.seq AS partner_seq, s.id AS sid, s.kind FROM customer c
            JOIN partner p ON p.tenant_id = c.partner_id JOIN subscription s ON s.customer_id = c.id
            WHERE s.kind IN ('legacy', 'plan') AND s.status = 'active' AND s.registration = 'Registered'
            ORDER BY p.seq, c.seq, s.seq
            """)
        var seen: Set<String> = []
        return rows.compactMap { row in
            let id: String = row["id"]
            guard seen.insert(id).inserted else { return nil }
            return SeedBuyer(customerId: id, country: row["country"], seq: row["seq"], partnerSeq: row["partner_seq"],
                             subscriptionId: row["sid"], plan: (row["kind"] as String) == "plan")
        }
    }

    /// Four purchases behind each fixed one-time invoice, by customers billed in its currency, on
    /// a day of the month its period covers.
    private func seedInvoicePurchases(_ db: Database, buyers: [SeedBuyer], rng: inout SplitMix64) throws -> Int {
        let invoices = try Row.fetchAll(db, sql: "SELECT i.id, i.currency, i.invoice_date, p.seq FROM invoice i JOIN partner p ON p.tenant_id = i.partner_id WHERE i.period_key IS NOT NULL AND i.id LIKE 'G0%' ORDER BY i.id")
        var count = 0
        for invoice in invoices {
            let currency: String = invoice["currency"], partnerSeq: Int = invoice["seq"]
            let payers = buyers.filter { $0.partnerSeq == partnerSeq && SandboxCatalog.currency(for: $0.country).code == currency }
            guard !payers.isEmpty else { continue }
            let day = Seeder.purchaseDay(forInvoiceDate: Date(timeIntervalSince1970: invoice["invoice_date"]))
            for index in 0..<4 {
                let buyer = payers[index % payers.count]
                let sku = catalog.skus[(index * 37 + count * 11) % catalog.skus.count]
                let when = day.addingTimeInterval(3600 + Double(index) * 600)
                if try seedPurchase(db, buyer: buyer, sku: sku, quantity: 1 + index % 2, monthly: false, autoRenew: false,
                                    single: false, at: when, rng: &rng) { count += 1 }
            }
        }
        return count
    }

    /// Reservations with expiries spread from last year to three years ahead, of several types.
    private func seedSpreadPurchases(_ db: Database, buyers: [SeedBuyer], now: Date, rng: inout SplitMix64) throws -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let today = calendar.startOfDay(for: now)
        var k = 0, count = 0
        for buyer in buyers {
            for _ in 0..<(1 + buyer.seq % 2) {
                defer { k += 1 }
                let days = Self.seededExpiryDays[k % Self.seededExpiryDays.count]
                let years = days > 300 || k % 3 == 0 ? 3 : 1
                guard let expiry = calendar.date(byAdding: .day, value: days, to: today)?.addingTimeInterval(3600 * 10),
                      let bought = calendar.date(byAdding: .year, value: -years, to: expiry), bought < now.addingTimeInterval(-86400),
                      let sku = seedSku(type: Self.seededTypes[k % Self.seededTypes.count], k: k, years: years) else { continue }
                if try seedPurchase(db, buyer: buyer, sku: sku, quantity: 1 + k % 3, monthly: buyer.plan && k % 2 == 1,
                                    autoRenew: buyer.plan && k % 3 != 2, single: k % 4 == 0, at: bought, rng: &rng) { count += 1 }
            }
        }
        return count
    }

    /// A SKU of a type: its series in turn, a size and a region by `k`, the term.
    private func seedSku(type: String, k: Int, years: Int) -> SandboxCatalog.SKU? {
        let series = SandboxCatalog.series.filter { $0.type.name == type }
        guard !series.isEmpty else { return nil }
        let chosen = series[k % series.count]
        let size = chosen.sizes[k % chosen.sizes.count]
        let region = SandboxCatalog.regions[(k * 7) % SandboxCatalog.regions.count]
        return catalog.skus(of: chosen.productId).first { $0.size.arm == size.arm && $0.region.arm == region.arm && $0.years == years }
    }

    /// One past purchase: a cart line checked like a live one, its order pending since `at` (the
    /// completion then makes everything else). Returns false when the line is refused.
    private func seedPurchase(_ db: Database, buyer: SeedBuyer, sku: SandboxCatalog.SKU, quantity: Int, monthly: Bool, autoRenew: Bool,
                              single: Bool, at: Date, rng: inout SplitMix64) throws -> Bool {
        let item = "\(sku.productId):\(sku.skuId):\(SandboxCatalog.availabilityId(productId: sku.productId, skuId: sku.skuId, azurePlan: buyer.plan))"
        var line = CartLineItem(id: 0, catalogItemId: item, quantity: quantity, billingCycle: monthly ? .monthly : .oneTime)
        line.termDuration = sku.termDuration
        line.friendlyName = sku.title
        var context = ["scope": single ? "single" : "shared", "duration": sku.durationAttribute]
        if buyer.plan && single {
            context["entitlementId"] = try String.fetchOne(db, sql: "SELECT id FROM azure_entitlement WHERE subscription_id = ? AND status = 'active' ORDER BY seq",
                                                          arguments: [buyer.subscriptionId])
        } else {
            context["subscriptionId"] = buyer.subscriptionId
        }
        line.provisioningContext = context
        if autoRenew { line.renewsTo = RenewsTo(termDuration: sku.termDuration) }
        let checked = try validateLine(line, index: 0, customerId: buyer.customerId, country: buyer.country, db: db)
        guard checked.error == nil else { return false }
        let (order, pricing, total) = newOrder([checked], customerId: buyer.customerId, country: buyer.country, now: at, rng: &rng)
        let time = at.timeIntervalSince1970
        try db.execute(sql: "INSERT INTO orders VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", arguments: [
            order.id, buyer.customerId, nil, time, time, time, "pending", order.billingCycle?.wireValue ?? "one_time",
            try Doc.encode(order), try Doc.encode(pricing), Money.text(total), buyer.country])
        return true
    }
}

extension Seeder {
    /// The day a fixed one-time invoice's seeded purchases are made: three days before its date
    /// (start of that day, UTC); the invoice's period is that day's month.
    static func purchaseDay(forInvoiceDate date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.startOfDay(for: date.addingTimeInterval(-86400 * 3))
    }
}
