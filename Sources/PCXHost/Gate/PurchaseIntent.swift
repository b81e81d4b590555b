import Foundation
import PartnerCenter
import PartnerCenterModels

/// What a purchase buys, read from a typed cart (the one Partner Center holds, or for a dry run
/// without a cart, the script's): its lines, units, total and currency, and a canonical text that
/// identifies the purchase (its idempotency key is derived from it, and a resume compares it).
struct PurchaseIntent: Sendable, Equatable {
    /// One cart line as it matters to the policy and the identity.
    struct Line: Sendable, Equatable {
        /// `product:sku` (availability ids rotate, so a re-run must still match), lower case.
        var item: String
        var quantity: Int
        var termDuration: String
        var billingCycle: String
        /// The provisioning context, keys and values lower-cased, sorted: `scope=shared,subscriptionid=…`.
        var context: String
        /// What the line commits to (`extendedPrice`, else unit price × quantity; a monthly line's
        /// price is per month, so times the term's months), when priced.
        var total: Decimal?
        /// The unit price, when priced.
        var unitPrice: Decimal?
        var currency: String?
        /// A Partner Center line error (`lineItems[i].error`), if any.
        var errorCode: Int?
        var errorDescription: String?
        var lineId: Int?
        /// The catalog item id as Partner Center spells it (`DZH318Z0BQ3W:0001:DZH318VD5QTM`), for
        /// the confirmation's catalog lookups.
        var catalogItemId: String = ""
        /// The provisioning context as sent (`subscriptionId`, `scope`, `entitlementId`...).
        var provisioning: [String: String] = [:]
        /// A savings plan's hourly commitment as text (`0.05 USD`), if any.
        var commitment: String?

        var canonical: String { [item, String(quantity), termDuration, billingCycle, context].joined(separator: "|") }
    }

    var lines: [Line]
    /// The cart's id, when it has one.
    var cartId: String?
    /// `Ordered` once checked out.
    var cartStatus: CartStatus?

    init(cart: Cart) {
        cartId = cart.id
        cartStatus = cart.status
        lines = (cart.lineItems ?? []).map(Self.line)
    }

    private static func line(_ item: CartLineItem) -> Line {
        let quantity = item.quantity ?? 0
        let unit = item.pricing?.price ?? item.pricing?.discountedPrice ?? item.pricing?.listPrice
        let priced = item.pricing?.extendedPrice ?? unit.map { $0 * Decimal(quantity) }
        // a monthly line is priced per month: the caps weigh the whole commitment; an unknown term
        // leaves it unpriced (so --max-spend refuses rather than guesses)
        let months = commitmentMonths(billingCycle: item.billingCycle?.wireValue, termDuration: item.termDuration)
        let total = months.flatMap { m in priced.map { $0 * Decimal(m) } }
        var context = (item.provisioningContext ?? [:]).map { "\($0.key.lowercased())=\($0.value.lowercased())" }.sorted()
        // a savings plan's commitment is part of what is bought (another amount is another purchase)
        if let commitment = item.purchaseCommitment, let amount = commitment.amount {
            context.append("commitment=\(amount)/\((commitment.grain ?? "").lowercased())/\((commitment.currency ?? "").lowercased())")
        }
        let commitment = item.purchaseCommitment.flatMap { c in
            c.amount.map { amount in
                let per = (c.grain ?? "hourly").lowercased() == "hourly" ? "an hour" : "per \(c.grain ?? "")"
                return "\(amount) \((c.currency ?? "").uppercased()) \(per)"
            }
        }
        return Line(
            item: (item.catalogItemId ?? "").split(separator: ":").prefix(2).joined(separator: ":").lowercased(),
            quantity: quantity, termDuration: item.termDuration ?? "", billingCycle: item.billingCycle?.wireValue ?? "",
            context: context.joined(separator: ","), total: total, unitPrice: unit, currency: item.currencyCode?.uppercased(),
            errorCode: item.error?.errorCode, errorDescription: item.error?.errorDescription, lineId: item.id,
            catalogItemId: item.catalogItemId ?? "", provisioning: item.provisioningContext ?? [:], commitment: commitment)
    }

    /// Whether a line is billed monthly.
    var monthly: Bool { lines.contains { $0.billingCycle == "monthly" } }

    /// Units bought, over all lines.
    var quantity: Int { lines.reduce(0) { $0 + $1.quantity } }
    /// The total, when every line is priced.
    var total: Decimal? {
        guard !lines.isEmpty else { return nil }
        var sum = Decimal(0)
        for line in lines {
            guard let t = line.total else { return nil }
            sum += t
        }
        return sum
    }
    /// The currency of the first priced line.
    var currency: String? { lines.lazy.compactMap(\.currency).first }
    /// The purchase's identity: its lines, canonical and sorted.
    var canonical: String { lines.map(\.canonical).sorted().joined(separator: "\n") }
    /// `2 units, 1419.12 USD` (or `an unknown amount`).
    var summary: String {
        let amount = total.map { "\(moneyText($0)) \(currency ?? "")".trimmingCharacters(in: .whitespaces) } ?? "an unknown amount"
        return "\(quantity) unit\(quantity == 1 ? "" : "s"), \(amount)\(monthly ? " over the term, billed monthly" : "")"
    }

    /// The idempotency key of this purchase when none is given: the target, the customer, what is bought.
    func derivedKey(target: CanonicalTarget, customer: String) -> String {
        Journal.sha256(Data("\(target.key)\n\(customer.lowercased())\n\(canonical)".utf8))
    }
}

/// Decimal amount text with at least two fraction digits ("652.80"), never rounded.
func moneyText(_ amount: Decimal) -> String {
    var text = "\(amount)"
    guard let dot = text.firstIndex(of: ".") else { return text + ".00" }
    let digits = text.distance(from: dot, to: text.endIndex) - 1
    if digits < 2 { text += String(repeating: "0", count: 2 - digits) }
    return text
}

/// How many times a line's price is charged: 1 for a one-time line; for a monthly one the months of
/// its term (`P1Y` 12, `P3Y` 36, `P6M` 6); nil when a monthly line's term cannot be read.
func commitmentMonths(billingCycle: String?, termDuration: String?) -> Int? {
    guard billingCycle?.lowercased() == "monthly" else { return 1 }
    let term = (termDuration ?? "").uppercased()
    guard term.hasPrefix("P"), let unit = term.last, let n = Int(term.dropFirst().dropLast()), n > 0 else { return nil }
    switch unit {
    case "Y": return n * 12
    case "M": return n
    default: return nil
    }
}
