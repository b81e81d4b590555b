import Foundation
import PartnerCenter

/// Asks a person to confirm one purchase at the terminal.
///
/// A confirmation is for one purchase, one journal entry: never for "the same content" again.
/// `pc.purchase_check` may confirm ahead of the checkout it precedes (so a refused purchase
/// changes nothing, not even a registration); that confirmation is consumed by the next checkout
/// of the same purchase in the run, once. The prompt names what is bought
/// (``PurchaseConfirmation``); only the word `yes` buys.
final class Confirmer: Sendable {
    /// Reads one answer (a line) after `prompt` was shown; nil at end of input.
    typealias Ask = @Sendable (_ prompt: String) -> String?

    private let ask: Ask
    /// Purchases confirmed ahead by `pc.purchase_check`, not yet consumed: key → confirmed total.
    private let ahead = Mutex<[String: Decimal?]>([:])

    init(ask: @escaping Ask = Confirmer.askAtTerminal) {
        self.ask = ask
    }

    /// Whether a person can be asked: stdin and stderr are terminals.
    static var atTerminal: Bool { isatty(0) != 0 && isatty(2) != 0 }

    /// Shows the prompt on stderr and reads a line from stdin.
    static let askAtTerminal: Ask = { prompt in
        printError(prompt, newline: false)
        let answer = readLine()
        if answer == nil { printError("") } // end of input (Ctrl-D): what follows starts on its own line
        return answer
    }

    /// The question that ends every prompt.
    static let question = "Type 'yes' to buy: "

    /// Asks for a "yes" for this purchase, unless `pc.purchase_check` confirmed it ahead in this
    /// run (consumed now). `describe` gives what the prompt names (read only when asking).
    /// - Throws: ``PartnerCenterError`` `policy_denied` (nothing was sent) unless the answer is yes.
    func confirm(_ intent: PurchaseIntent, customer: String, describe: @Sendable () async -> String) async throws {
        if consumeAhead(intent, customer: customer) { return }
        try askYes(intent, customer: customer, details: await describe())
    }

    /// ``confirm(_:customer:describe:)`` with the purchase's one-line summary as the prompt.
    func confirm(_ intent: PurchaseIntent, customer: String) throws {
        if consumeAhead(intent, customer: customer) { return }
        try askYes(intent, customer: customer, details: "pcx: about to buy \(intent.summary) for customer \(customer).\n")
    }

    /// Confirms ahead of the checkout (`pc.purchase_check`); the next checkout of the same
    /// purchase in this run does not ask again, once.
    func confirmAhead(_ intent: PurchaseIntent, customer: String, describe: @Sendable () async -> String) async throws {
        try askYes(intent, customer: customer, details: await describe())
        ahead.withLock { $0[Self.key(intent, customer)] = .some(intent.total) }
    }

    private func consumeAhead(_ intent: PurchaseIntent, customer: String) -> Bool {
        ahead.withLock { confirmed in
            let key = Self.key(intent, customer)
            guard let total = confirmed[key] else { return false }
            // still good unless the price went up since
            let stillGood = switch (total, intent.total) {
            case (let was?, let now?): now <= was
            case (nil, nil): true
            default: false
            }
            if stillGood { confirmed.removeValue(forKey: key) }
            return stillGood
        }
    }

    private func askYes(_ intent: PurchaseIntent, customer: String, details: String) throws {
        let raw = ask(details + Self.question)
        let answer = raw?.trimmingCharacters(in: .whitespaces).lowercased()
        guard answer == "yes" else { // the word, not "y": money is spent on a whole "yes"
            let heard = raw.map { "the answer was '\(visible($0.trimmingCharacters(in: .whitespaces)))', not 'yes'" } ?? "no answer (end of input)"
            var error = PartnerCenterError(category: .policyDenied,
                                           message: "purchase not confirmed: \(heard) (\(intent.summary) for customer \(customer))",
                                           hint: "nothing was bought; type the whole word yes to buy, or pass --allow-purchase")
            error.notSent = true
            throw error
        }
    }

    private static func key(_ intent: PurchaseIntent, _ customer: String) -> String { customer.lowercased() + "\n" + intent.canonical }
}
