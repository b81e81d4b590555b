import Foundation
import PartnerCenter
import PartnerCenterModels

/// The purchase policy: a pure function from what is about to change to allow, record or refuse.
/// No I/O: the caller looks the customer's country and the held cart up first.
///
/// Every declared operation that changes state passes it, whatever Lua path reached it:
/// - the market rule (operations marked `marketRule`);
/// - for purchases: line errors, `--max-quantity`, `--max-spend`;
/// - `--dry-run`: record instead of send (carts too, unless `--quote` lets the dry run create
///   them as Partner Center's price quotes);
/// - consent: purchases need `--allow-purchase` or a "yes" typed for that purchase; other
///   changes need `--allow-purchase` or an interactive terminal.
enum PurchasePolicy {
    /// How the user consented to changes in this run.
    enum Consent: Sendable, Equatable {
        /// `--allow-purchase`.
        case allowPurchase
        /// Nothing given, but a person is at a terminal (stdin and stderr are terminals).
        case terminal
        /// Neither: a script in a pipe, a cron job.
        case none
    }

    /// The caps of `--max-quantity` and `--max-spend AMOUNT CURRENCY`.
    struct Caps: Sendable, Equatable {
        var maxQuantity: Int?
        var maxSpend: Decimal?
        var maxSpendCurrency: String?
    }

    /// Everything the decision depends on.
    struct Input: Sendable {
        var operation: APIOperation
        var customer: String?
        /// The customer's country, when the market rule applies (nil: unknown).
        var country: String?
        var market: MarketPolicy
        /// What a purchase buys (purchases only).
        var intent: PurchaseIntent?
        var caps: Caps
        var dryRun: Bool
        /// `--quote`: a dry run may create and update carts (price quotes; they spend nothing).
        var quote: Bool
        var consent: Consent
        /// Lines whose subscription is not registered yet (10011) are let through: the dry run
        /// records the registration instead of sending it, and a pre-flight check comes before it.
        var allowUnregistered: Bool = false
    }

    /// The decision.
    enum Decision: Sendable, Equatable {
        /// Send it; `confirm`: ask for a "yes" for this one purchase first.
        case send(confirm: Bool)
        /// A dry run: record it in the journal, send nothing. `notes` say what the dry run could not check.
        case record(notes: [String])
        /// Refuse: nothing is sent or journaled as pending.
        case refuse(PartnerCenterError)
    }

    /// Decides. The order is the pipeline's: market, purchase checks and caps, dry run, consent.
    static func decide(_ input: Input) -> Decision {
        guard input.operation.changesState else { return .send(confirm: false) }   // reads never pass the gate
        if let refusal = marketRefusal(input) { return .refuse(refusal) }
        var notes: [String] = []
        if input.operation.movesMoney || input.intent != nil {
            guard let intent = input.intent, !intent.lines.isEmpty else {
                return .refuse(refusal(.invalidArgument, "\(input.operation.name): the cart has no line items",
                                       hint: "nothing was bought; add line items (pc.carts.update) or build a new cart"))
            }
            if let error = lineError(intent, allowUnregistered: input.allowUnregistered || input.dryRun) { return .refuse(error) }
            switch caps(intent, input.caps) {
            case .refuse(let error): return .refuse(error)
            case .unverified(let note): if input.dryRun { notes.append(note) } else { return .refuse(refusal(.policyDenied, note, hint: "nothing was bought; price the cart first (reservations.quote) or drop --max-spend")) }
            case .within: break
            }
        }
        if input.dryRun {
            return input.operation.quote && input.quote ? .send(confirm: false) : .record(notes: notes)
        }
        switch (input.consent, input.operation.movesMoney) {
        case (.allowPurchase, _): return .send(confirm: false)
        case (.terminal, let money): return .send(confirm: money)
        case (.none, true):
            return .refuse(refusal(.policyDenied, "\(input.operation.name) buys something and needs --allow-purchase (or a confirmation at a terminal)",
                                   hint: "nothing was bought; review the plan with --dry-run, then re-run with --allow-purchase"))
        case (.none, false):
            return .refuse(refusal(.policyDenied, "\(input.operation.name) changes Partner Center and needs --allow-purchase (or an interactive terminal)",
                                   hint: "nothing was bought; review with --dry-run, then re-run with --allow-purchase"))
        }
    }

    /// The market rule alone (first in ``decide(_:)``; a purchase checks it before reading its cart).
    static func marketRefusal(_ input: Input) -> PartnerCenterError? {
        guard input.operation.marketRule, let customer = input.customer else { return nil }
        return input.market.refusal(operation: input.operation.name, customer: customer, country: input.country)
    }

    /// A line Partner Center flagged refuses the purchase (10011 "not registered" when allowed).
    static func lineError(_ intent: PurchaseIntent, allowUnregistered: Bool) -> PartnerCenterError? {
        for line in intent.lines {
            guard let code = line.errorCode else { continue }
            if allowUnregistered && code == CartErrorCode.subscriptionNotRegistered { continue }
            var error = PartnerCenterError(
                category: .invalidArgument,
                message: "checkout refused: cart \(intent.cartId ?? "?") line \(line.lineId.map(String.init) ?? "?") carries Partner Center error \(code): \(line.errorDescription ?? "")",
                pcCode: String(code))
            error.hint = "fix the line (pc.carts.update) or build a new cart; nothing was bought" + (error.hint.map { " (\($0))" } ?? "")
            error.notSent = true
            return error
        }
        return nil
    }

    /// Where a purchase stands against the caps.
    enum CapCheck: Equatable {
        case within
        /// Above a cap.
        case refuse(PartnerCenterError)
        /// `--max-spend` cannot be checked: the cart carries no price.
        case unverified(String)
    }

    /// `--max-quantity` and `--max-spend` against a purchase.
    static func caps(_ intent: PurchaseIntent, _ caps: Caps) -> CapCheck {
        if let max = caps.maxQuantity, intent.quantity > max {
            return .refuse(refusal(.policyDenied, "the purchase is for \(intent.quantity) units, above --max-quantity \(max)",
                                   hint: "nothing was bought; lower the quantity or raise --max-quantity"))
        }
        guard let cap = caps.maxSpend, let capCurrency = caps.maxSpendCurrency else { return .within }
        guard let total = intent.total, let currency = intent.currency else {
            return .unverified("the cart carries no price, so --max-spend \(moneyText(cap)) \(capCurrency) cannot be verified")
        }
        guard currency == capCurrency else {
            return .refuse(refusal(.policyDenied, "the purchase is priced in \(currency) but --max-spend is in \(capCurrency)",
                                   hint: "nothing was bought; give --max-spend in \(currency)"))
        }
        guard total <= cap else {
            let what = intent.monthly ? " over its term (billed monthly: every month of the term counts)" : ""
            return .refuse(refusal(.policyDenied, "the purchase totals \(moneyText(total)) \(currency)\(what), above --max-spend \(moneyText(cap)) \(capCurrency)",
                                   hint: "nothing was bought; lower the quantity or raise --max-spend"))
        }
        return .within
    }

    private static func refusal(_ category: PartnerCenterError.Category, _ message: String, hint: String) -> PartnerCenterError {
        var error = PartnerCenterError(category: category, message: message, hint: hint)
        error.notSent = true
        return error
    }
}
