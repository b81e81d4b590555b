import Foundation
import LuaRuntime
import PartnerCenter
import PartnerCenterModels

/// The send and its outcome, for a purchase already past the policy, the confirmation and the claim.
extension ChangeGate {
    /// Sends the checkout of `entry`'s cart with its pinned request id and records the outcome.
    func checkout(_ operation: APIOperation, _ entry: JournalEntry, intent: PurchaseIntent, resumed: Bool,
                  target: Session.Target) async throws -> LuaHostResult {
        let id = entry.id ?? 0
        let arguments: OperationArguments = ["customer_id": .string(entry.customer), "cart_id": .string(entry.cartId ?? intent.cartId ?? "")]
        let response: RawResponse
        do {
            response = try await target.client.send(operation, arguments, requestId: entry.requestId)
        } catch {
            return try await failed(operation, entry, error, resumed: resumed, target: target)
        }
        let result = try? response.decode(CartCheckoutResult.self)
        let orders = (result?.orders ?? []).map(\.id)
        session.notePlaced(PlacedOrder(journalId: id, customer: entry.customer, orders: orders))
        try recordSuccess(id: id, response: response,
                          what: orders.isEmpty ? "the checkout was made" : "the purchase was made (order \(orders.joined(separator: ", ")))")
        if let result { try checkAgainstCaps(result, intent: intent, journalId: id) }
        return .json(insertingFields(Array(response.body), ["journal_id": "\(id)", "replayed": "false", "resumed": resumed ? "true" : "false"]))
    }

    /// A failed checkout: the entry stays open unless Partner Center answered definitively about
    /// its only attempt; an open entry answered definitively looks for the order it may have placed.
    private func failed(_ operation: APIOperation, _ entry: JournalEntry, _ error: any Error, resumed: Bool,
                        target: Session.Target) async throws -> LuaHostResult {
        let id = entry.id ?? 0
        let state = Self.state(after: error, resumed: resumed)
        if state == .unknown, let e = error as? PartnerCenterError, let status = e.status, (400..<500).contains(status), status != 429,
           let order = try? await OrderFinder(client: target.client).order(for: entry) {
            let body = try PartnerCenterJSON.encode(CartCheckoutResult(orders: [order], orderErrors: []))
            session.notePlaced(PlacedOrder(journalId: id, customer: entry.customer, orders: [order.id]))
            _ = try? session.journal().update(id: id, state: .succeeded, outcome: String(decoding: body, as: UTF8.self),
                                              from: [.pending, .unknown])
            printError("pcx: the purchase in journal entry \(id) had placed order \(order.id) (found in the customer's orders); nothing was bought now")
            return .json(insertingFields(Array(body), ["journal_id": "\(id)", "replayed": "false", "resumed": "true"]))
        }
        let journal = try? session.journal()
        let changed = (try? journal?.update(id: id, state: state, error: "\(error)", from: [.pending, .unknown])) ?? false
        if !changed, let now = try? journal?.entry(id: id), now.state == .succeeded {
            return try replay(now)      // a concurrent run completed this purchase meanwhile
        }
        throw Self.withOutcomeHint(error, state: state, entryId: id, purchase: true)
    }

    /// A completed purchase returned instead of buying again, said plainly.
    func replay(_ entry: JournalEntry) throws -> LuaHostResult {
        let id = entry.id ?? 0
        guard let outcome = entry.outcome, (try? PartnerCenterJSON.decode(CartCheckoutResult.self, from: Data(outcome.utf8))) != nil else {
            var error = PartnerCenterError(category: .serverError,
                                           message: "journal entry \(id) records this purchase as completed, but its answer cannot be read",
                                           hint: "nothing was sent; `pcx journal show \(id)` shows it")
            error.notSent = true
            throw error
        }
        let orders = (try? PartnerCenterJSON.decode(CartCheckoutResult.self, from: Data(outcome.utf8)))?.orders?.map(\.id) ?? []
        let what = orders.isEmpty ? "" : ", order \(orders.joined(separator: ", "))"
        printError("pcx: \(options.dryRun ? "dry run: " : "")already bought on \(iso(entry.createdAt))\(what), journal #\(id); nothing was bought now")
        var fields = ["journal_id": "\(id)", "replayed": "true", "original_date": jsonString(iso(entry.createdAt))]
        if options.dryRun { fields["dry_run"] = "true" }
        return .json(insertingFields(Array(outcome.utf8), fields))
    }

    /// A dry run that found an unfinished attempt: nothing is sent; says what a real run does.
    func dryRunResume(_ entry: JournalEntry, intent: PurchaseIntent, note: String) throws -> LuaHostResult {
        printError("pcx: dry run: purchase \(entry.idempotencyKey.prefix(12))… has an unfinished attempt (journal entry \(entry.id ?? 0)); \(note)")
        var extra = Self.intentFields(intent)
        extra["resumes"] = .integer(entry.id ?? 0)
        return try record(entry, notes: ["unfinished attempt in journal entry \(entry.id ?? 0): \(note)"], extra: extra)
    }

    /// After the fact: the order Partner Center placed must be within `--max-quantity` and
    /// `--max-spend` (another process may change the cart between pcx's read and the checkout).
    /// The order is recorded either way; a breach is reported loudly (exit 4) so it can be cancelled.
    func checkAgainstCaps(_ result: CartCheckoutResult, intent: PurchaseIntent, journalId: Int64) throws {
        let orders = result.orders ?? []
        let quantity = orders.reduce(0) { $0 + ($1.lineItems ?? []).reduce(0) { $0 + ($1.quantity ?? 0) } }
        var over: [String] = []
        if let max = options.caps.maxQuantity, quantity > max { over.append("\(quantity) units, above --max-quantity \(max)") }
        if let cap = options.caps.maxSpend, let total = Self.spend(orders, intent: intent), total > cap {
            over.append("\(moneyText(total)) \(intent.currency ?? ""), above --max-spend \(moneyText(cap)) \(options.caps.maxSpendCurrency ?? "")")
        }
        guard !over.isEmpty else { return }
        throw PartnerCenterError(
            category: .boughtAboveCap,
            message: "bought above the cap: Partner Center placed order \(orders.map(\.id).joined(separator: ", ")) for \(over.joined(separator: " and ")); the cart was changed after pcx checked it",
            hint: "the order stands and is recorded (journal entry \(journalId)); cancel it in Partner Center if it is not wanted, and find who changed the cart")
    }

    /// What the orders cost: their `totalPrice`, else their lines' pricing, else the held cart's
    /// unit prices times the ordered quantities (nil when nothing is priced).
    static func spend(_ orders: [Order], intent: PurchaseIntent) -> Decimal? {
        var total = Decimal(0)
        for order in orders {
            // a monthly order's prices are per month: weigh the whole commitment, line by line
            let monthly = order.billingCycle == .monthly
            if let t = order.totalPrice, !monthly { total += t; continue }
            for line in order.lineItems ?? [] {
                let q = Decimal(line.quantity ?? 0)
                let item = (line.offerId ?? "").split(separator: ":").prefix(2).joined(separator: ":").lowercased()
                guard let months = commitmentMonths(billingCycle: order.billingCycle?.wireValue, termDuration: line.termDuration) else { return nil }
                if let ext = line.pricing?.extendedPrice {
                    total += ext * Decimal(months)
                } else if let unit = line.pricing?.price ?? intent.lines.first(where: { $0.item == item })?.unitPrice {
                    total += unit * q * Decimal(months)
                } else {
                    return nil
                }
            }
        }
        return total
    }

    /// `quantity`, `total`, `currency` of a purchase, for a dry run's answer.
    static func intentFields(_ intent: PurchaseIntent) -> [String: LuaValue] {
        var fields: [String: LuaValue] = ["orders": .table(LuaTable()), "quantity": .integer(Int64(intent.quantity))]
        if let t = intent.total { fields["total"] = LuaValue(moneyText(t)) }
        if let c = intent.currency { fields["currency"] = LuaValue(c) }
        return fields
    }
}

/// Inserts `"name": value` pairs (values already JSON text) at the start of a JSON object's bytes.
func insertingFields(_ bytes: [UInt8], _ fields: [String: String]) -> [UInt8] {
    let ws: Set<UInt8> = [0x20, 0x0A, 0x0D, 0x09]
    guard let start = bytes.firstIndex(where: { !ws.contains($0) }), bytes[start] == UInt8(ascii: "{") else { return bytes }
    let rest = bytes[(start + 1)...]
    let isEmpty = rest.first(where: { !ws.contains($0) }) == UInt8(ascii: "}")
    let pairs = fields.keys.sorted().map { "\"\($0)\":\(fields[$0]!)" }.joined(separator: ",")
    return Array(("{" + pairs + (isEmpty ? "" : ",")).utf8) + rest
}

/// Looks for the order an unfinished purchase may have placed, in the customer's orders.
struct OrderFinder {
    let client: PartnerCenterClient

    /// An order created at or after the entry (with 10 minutes of clock skew) whose lines are
    /// the purchase's (product:sku, quantity, term), or nil. Orders appear in lists up to 15
    /// minutes after checkout, so "nil" soon after a checkout is no proof.
    func order(for entry: JournalEntry) async throws -> Order? {
        guard let intent = entry.intent else { return nil }
        let wanted = Self.lines(intent)
        let orders = try await client.all(Order.self, OperationCatalog["orders.list"], ["customer_id": .string(entry.customer)])
        let since = entry.createdAt.addingTimeInterval(-600)
        return orders.first { order in
            (order.creationDate ?? .distantFuture) >= since && Self.lines(order) == wanted
        }
    }

    /// `item|quantity|term` of each line, sorted.
    static func lines(_ canonical: String) -> [String] {
        canonical.split(separator: "\n").map { line in
            line.split(separator: "|", omittingEmptySubsequences: false).prefix(3).joined(separator: "|").lowercased()
        }.sorted()
    }

    static func lines(_ order: Order) -> [String] {
        (order.lineItems ?? []).map { line in
            let item = (line.offerId ?? "").split(separator: ":").prefix(2).joined(separator: ":")
            return [item, String(line.quantity ?? 0), line.termDuration ?? ""].joined(separator: "|").lowercased()
        }.sorted()
    }
}
