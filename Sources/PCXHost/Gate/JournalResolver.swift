import Foundation
import PartnerCenter
import PartnerCenterModels

/// Closes an unfinished purchase by the user's word, after looking for its order.
struct JournalResolver {
    let session: Session

    /// Orders appear in the customer's order list up to this long after checkout (documented: 15
    /// minutes; `PCX_ORDER_LIST_LAG` sets it, e.g. for a sandbox with a short `--order-lag`).
    var listLag: TimeInterval {
        get throws {
            guard let text = session.options.environment["PCX_ORDER_LIST_LAG"], !text.isEmpty else { return 15 * 60 }
            do { return try PCXCommands.parseDuration(text) } catch {
                throw usage("PCX_ORDER_LIST_LAG '\(text)' is not a duration", hint: "use e.g. 15m, 30s or 0")
            }
        }
    }

    /// Marks open entry `id` `not_bought` unless an order of it is found (then it is recorded as
    /// succeeded). Returns what was done, in words.
    /// - Throws: `policy_denied` when the entry is not open, was made against another Partner
    ///   Center, is too recent to tell, or an order of it exists; `not_found` for an unknown id.
    func markNotBought(_ id: Int64) async throws -> String {
        let journal = try session.journal()
        guard let entry = try journal.entry(id: id) else {
            throw PartnerCenterError(category: .notFound, message: "no journal entry \(id)", hint: "`pcx journal list` shows the entries")
        }
        guard entry.state.isOpen else {
            throw refusal("journal entry \(id) is \(entry.state.rawValue), not unfinished: there is nothing to resolve",
                          hint: "only pending or unknown entries are resolved")
        }
        let target = try await session.target()
        guard entry.target == target.canonical.key || entry.target == target.legacyKey else {
            throw refusal("journal entry \(id) was made against \(entry.target), but this run talks to \(target.canonical.key)",
                          hint: "run with the profile (or --sandbox) of that Partner Center, so pcx can check the customer's orders there")
        }
        if entry.money { try await refuseIfBought(entry, target: target) }
        let note = "marked not bought by the user on \(iso(Date()))" + (entry.money ? "; no matching order in customer \(entry.customer)'s orders" : "")
        guard try journal.update(id: id, state: .notBought, error: note, from: [.pending, .unknown]) else {
            throw refusal("journal entry \(id) changed meanwhile (another run finished it)", hint: "`pcx journal show \(id)` shows it")
        }
        return "journal entry \(id): \(note). A re-run of the same purchase buys it as a new purchase (through the gate)."
    }

    /// Refuses to mark a purchase that was made: its order is listed (recorded as succeeded), or
    /// its cart is ordered, or it is too recent for its order to be listed yet.
    private func refuseIfBought(_ entry: JournalEntry, target: Session.Target) async throws {
        let id = entry.id ?? 0
        let age = Date().timeIntervalSince(entry.createdAt), lag = try listLag
        if age >= lag, let order = try await OrderFinder(client: target.client).order(for: entry) {
            let body = try PartnerCenterJSON.encode(CartCheckoutResult(orders: [order], orderErrors: []))
            _ = try session.journal().update(id: id, state: .succeeded, outcome: String(decoding: body, as: UTF8.self), from: [.pending, .unknown])
            throw refusal("journal entry \(id) was bought: customer \(entry.customer) has order \(order.id) for it (created \(order.creationDate.map(iso) ?? "?")); recorded as succeeded, nothing marked",
                          hint: "the purchase stands; re-running it returns that order")
        }
        try await refuseIfCartOrdered(entry, target: target)
        if age < lag {
            throw refusal("journal entry \(id) is \(Int(age / 60)) minutes old; its order may not be listed yet (orders appear up to \(Int(lag / 60)) minutes after checkout)",
                          hint: "run it again after \(iso(entry.createdAt.addingTimeInterval(lag)))")
        }
    }

    /// Partner Center marks a checked-out cart `Ordered` at once, while the order list lags: an
    /// ordered cart means the purchase was made, whatever the list says. A cart Partner Center
    /// no longer has (expired, 404) says nothing; the order list decided already.
    private func refuseIfCartOrdered(_ entry: JournalEntry, target: Session.Target) async throws {
        guard let cartId = entry.cartId else { return }
        let cart: Cart
        do {
            cart = try await target.client.decoded(
                Cart.self, OperationCatalog["carts.get"], ["customer_id": .string(entry.customer), "cart_id": .string(cartId)])
        } catch let error as PartnerCenterError where error.category == .notFound {
            return
        }
        guard cart.status == .ordered else { return }
        let id = entry.id ?? 0
        throw refusal("journal entry \(id) was bought: Partner Center shows its cart \(cartId) ordered; nothing marked",
                      hint: "re-run the same purchase: pcx re-sends its checkout with the original request id and returns the order")
    }

    private func refusal(_ message: String, hint: String) -> PartnerCenterError {
        var error = PartnerCenterError(category: .policyDenied, message: message, hint: hint)
        error.notSent = true
        return error
    }
}
