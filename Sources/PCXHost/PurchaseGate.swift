import Foundation
import LuaRuntime
import PartnerCenter
import PartnerCenterModels

/// pcx's guard rails around every call that changes something at Partner Center.
///
/// - Every mutating call (cart create/update, registration, checkout) is written to the journal
///   **before** it is sent, with its pinned MS-RequestId, and its outcome after.
/// - `--dry-run`: registration and checkout are recorded instead of sent (carts are Partner
///   Center's own price quotes and are still created).
/// - Checkout needs `--allow-purchase` or a "yes" at a terminal prompt; `--max-spend` and
///   `--max-quantity` refuse plans above them. Refusals are `policy_denied` (exit 3), nothing sent.
/// - A purchase's idempotency key (given, or derived from what is bought) finds an earlier
///   attempt: a completed one is returned as it was; an unfinished one (crash, timeout) is
///   re-sent with the same MS-RequestId for the same cart, so Partner Center answers with the
///   original order instead of buying again.
struct PurchaseGate: Sendable {
    let session: Session
    /// Purchases the user already confirmed at the terminal in this run (customer + what is
    /// bought → the confirmed total), so a checkout after a pre-flight check does not ask twice.
    private let confirmed = Mutex<[String: Decimal?]>([:])

    init(session: Session) { self.session = session }

    private var options: PurchaseOptions { session.options.purchase }

    // MARK: registration and carts

    func register(_ p: Params) async throws -> LuaHostResult {
        let customer = try p.string("customer_id"), subscription = try p.string("subscription_id")
        let request = PartnerCenterRequest.registerSubscription(customerId: customer, subscriptionId: subscription)
        let key = "register:\(customer):\(subscription)".lowercased()
        return try await journaled(operation: "register_subscription", customer: customer, request: request,
                                   identity: Data(key.utf8), idempotencyKey: key, cartId: nil, plan: nil,
                                   sendInDryRun: false)
    }

    func journaledCart(_ p: Params) async throws -> LuaHostResult {
        let customer = try p.string("customer_id")
        let request = try Operations.request(p)
        let body = try p.body()
        let changedCart = p.optString("cart_id")
        if let changedCart { try session.beginCartChange(customer: customer, cartId: changedCart) }
        defer { if let changedCart { session.endCartChange(customer: customer, cartId: changedCart) } }
        return try await journaled(operation: p.op == "carts.create" ? "create_cart" : "update_cart", customer: customer,
                                   request: request, identity: body, idempotencyKey: nil,
                                   cartId: p.optString("cart_id"), plan: nil, sendInDryRun: true)
    }

    /// Journals, sends (unless a dry run records it) and records the outcome of one mutating call.
    private func journaled(operation: String, customer: String, request: PartnerCenterRequest, identity: Data,
                           idempotencyKey: String?, cartId: String?, plan: String?, sendInDryRun: Bool) async throws -> LuaHostResult {
        let target = try await session.target()
        let journal = try session.journal()
        let requestId = UUID().uuidString.lowercased()
        let now = Date()
        let hash = Journal.sha256(identity)
        let dry = options.dryRun && !sendInDryRun
        // the market rule before anything is journaled: a refusal is never a pending entry
        try await target.client.enforceMarketPolicy(customerId: customer, cartId: cartId)
        let entry = try journal.append(JournalEntry(
            id: nil, createdAt: now, updatedAt: now, operation: operation, customer: customer, script: session.script,
            bodyHash: hash, requestId: requestId, idempotencyKey: idempotencyKey ?? hash, cartId: cartId,
            state: dry ? .recorded : .pending, plan: plan, outcome: nil, error: nil, target: target.name))
        if dry {
            return .value(.table(LuaTable(fields: [
                "dry_run": true, "recorded": true, "journal_id": .integer(entry.id ?? 0), "operation": LuaValue(operation),
            ])))
        }
        do {
            let response = try await target.client.send(request.pinned(requestId: requestId))
            if !response.body.isEmpty { try checkJSONBody(response.body, response: response) }
            try journal.update(id: entry.id!, state: .succeeded, outcome: response.body.isEmpty ? nil : response.text)
            if response.body.isEmpty {
                var fields: [String: LuaValue] = ["status": .integer(Int64(response.status)), "journal_id": .integer(entry.id ?? 0)]
                if let location = response.header("Location") { fields["location"] = LuaValue(location) }
                return .value(.table(LuaTable(fields: fields)))
            }
            return .jsonData(response.body)
        } catch {
            _ = try? journal.update(id: entry.id!, state: Self.outcome(of: error).state, error: "\(error)")
            throw error
        }
    }

    /// What a failed call means for its journal entry.
    enum FailureOutcome: Equatable {
        /// Never sent (bad request, market policy, no token, cancelled before sending): nothing
        /// can have happened at Partner Center. `refused` for policy, `failed` otherwise.
        case notSent(JournalEntry.State)
        /// Partner Center answered that it did not do it (400, 401, 403, 404, 405, 406, 412, 417).
        case definitive
        /// It may have been done: a timeout, a dropped connection, 5xx, 408, 429, any 409
        /// (800064: another request is processing the cart; 800060: order in progress) and
        /// 400/800065 (the cart was already submitted). Stays pending: a re-run resumes it.
        case unknown

        var state: JournalEntry.State {
            switch self {
            case .notSent(let state): return state
            case .definitive: return .failed
            case .unknown: return .pending
            }
        }
    }

    static func outcome(of error: any Error) -> FailureOutcome {
        if let e = error as? HostError {
            return .notSent(e.code == .policyDenied ? .refused : .failed)
        }
        guard let e = error as? PartnerCenterError else { return .unknown }
        if e.notSent { return .notSent(e.category == .policyDenied ? .refused : .failed) }
        guard let status = e.status else { return .unknown }
        if status == 409 || e.pcCode == "800065" || e.pcCode == "800060" || e.pcCode == "800064" { return .unknown }
        return [400, 401, 403, 404, 405, 406, 410, 412, 417].contains(status) ? .definitive : .unknown
    }

    // MARK: checkout

    /// What is being bought, from the cart's lines.
    struct CartFacts {
        var lines: [[String: Any]]
        var quantity: Int
        var total: Decimal?
        var currency: String?
        var canonical: String
    }

    static func facts(ofCart data: Data) throws -> CartFacts {
        guard let cart = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw HostError(code: .invalidArgument, message: "checkout: the cart is not a JSON object")
        }
        let lines = (cart["lineItems"] as? [[String: Any]]) ?? (cart["LineItems"] as? [[String: Any]]) ?? []
        // Prices through the models' exact decoding (the JSON number text becomes a Decimal;
        // no binary floating point on the way to the spend cap).
        let typed = (try? PartnerCenterJSON.decode(Cart.self, from: data))?.lineItems ?? []
        var quantity = 0
        var total: Decimal? = Decimal(0)
        var currency: String?
        var canonical: [String] = []
        for (index, line) in lines.enumerated() {
            let q = (line["quantity"] as? NSNumber)?.intValue ?? 0
            quantity += q
            if let c = line["currencyCode"] as? String { currency = currency ?? c.uppercased() }
            let pricing = index < typed.count ? typed[index].pricing : nil
            if let ext = pricing?.extendedPrice {
                total? += ext
            } else if let unit = pricing?.price ?? pricing?.discountedPrice ?? pricing?.listPrice {
                total? += unit * Decimal(q)
            } else {
                total = nil
            }
            let ctx = (line["provisioningContext"] as? [String: Any]) ?? [:]
            let ctxText = ctx.keys.sorted().map { "\($0.lowercased())=\(String(describing: ctx[$0]!).lowercased())" }.joined(separator: ",")
            canonical.append([
                // product:sku only: availability ids rotate, and a re-run after a crash must
                // still find the same purchase (the term is part of the key below)
                String(describing: line["catalogItemId"] ?? "").split(separator: ":").prefix(2).joined(separator: ":").lowercased(),
                String(q),
                String(describing: line["termDuration"] ?? ""), String(describing: line["billingCycle"] ?? ""), ctxText,
            ].joined(separator: "|"))
        }
        return CartFacts(lines: lines, quantity: quantity, total: lines.isEmpty ? nil : total, currency: currency,
                         canonical: canonical.sorted().joined(separator: "\n"))
    }

    /// The cart as Partner Center holds it: the caps and the idempotency key are computed from
    /// this, never from the table a script passes (which it may have edited).
    func heldCart(_ target: Session.Target, customer: String, cartId: String) async throws -> (data: Data, facts: CartFacts) {
        let data = try await target.client.send(.getCart(customerId: customer, cartId: cartId)).body
        return (data, try Self.facts(ofCart: data))
    }

    func checkout(_ p: Params) async throws -> LuaHostResult {
        let customer = try p.string("customer_id"), cartId = try p.string("cart_id")
        let target = try await session.target()
        // Policy first: a refusal (market here, caps below) is never journaled and sends nothing.
        try await target.client.enforceMarketPolicy(customerId: customer, cartId: cartId)
        // from the read of the held cart to the checkout's answer, this run cannot change the cart
        try await session.beginCheckout(customer: customer, cartId: cartId)
        defer { session.endCheckout(customer: customer, cartId: cartId) }
        let (cartData, facts) = try await heldCart(target, customer: customer, cartId: cartId)
        guard !facts.lines.isEmpty else {
            throw HostError(code: .invalidArgument, message: "checkout: cart \(cartId) has no line items")
        }
        // A dry run records the registration instead of sending it, so Partner Center still sees
        // the subscription as not registered (10011); the line is priced all the same.
        try Self.refuseLineErrors(facts, cartId: cartId, allowingUnregistered: options.dryRun)
        let plan = p.optString("plan")
        let key = options.idempotencyKey ?? p.optString("idempotency_key")
            ?? Self.derivedKey(target: target.name, customer: customer, facts: facts)

        try enforceCaps(facts)

        let journal = try session.journal()
        let previous = try journal.latest(idempotencyKey: key, operation: "checkout", target: target.name)
        if let prev = previous, let replay = Self.replay(prev, key: key) { return replay }

        if options.dryRun {
            if let prev = previous, prev.state == .pending {
                printError("pcx: dry run: purchase \(key.prefix(12))… has an unfinished attempt (journal entry \(prev.id ?? 0)); a real run resumes it with its original request id")
            }
            // Recorded under a key of its own: a dry run must not hide an unfinished (pending)
            // attempt from the real re-run that resumes it, or that re-run would buy again.
            let now = Date()
            let entry = try journal.append(JournalEntry(
                id: nil, createdAt: now, updatedAt: now, operation: "checkout", customer: customer, script: session.script,
                bodyHash: Journal.sha256(cartData), requestId: UUID().uuidString.lowercased(), idempotencyKey: "dry-run:" + key,
                cartId: cartId, state: .recorded, plan: plan, outcome: nil, error: nil, target: target.name))
            var fields: [String: LuaValue] = [
                "dry_run": true, "recorded": true, "journal_id": .integer(entry.id ?? 0), "orders": .table(LuaTable()),
                "quantity": .integer(Int64(facts.quantity)),
            ]
            if let t = facts.total { fields["total"] = LuaValue(moneyText(t)) }
            if let c = facts.currency { fields["currency"] = LuaValue(c) }
            return .value(.table(LuaTable(fields: fields)))
        }

        // The gate applies to a resumed purchase too: its first attempt may never have reached
        // Partner Center, so re-sending it is a purchase like any other.
        try confirm(facts, customer: customer, plan: plan)

        // Claim the purchase atomically, journal first (durable), then send with the pinned
        // MS-RequestId. Of two runs of the same purchase at once, one inserts the pending entry
        // and the other resumes it (same cart, same request id: Partner Center answers with the
        // one order).
        let now = Date()
        let claim = try journal.claim(JournalEntry(
            id: nil, createdAt: now, updatedAt: now, operation: "checkout", customer: customer, script: session.script,
            bodyHash: Journal.sha256(cartData), requestId: UUID().uuidString.lowercased(), idempotencyKey: key,
            cartId: cartId, state: .pending, plan: plan, outcome: nil, error: nil, target: target.name))
        let entry: JournalEntry
        let resumed: Bool
        switch claim {
        case .claimed(let e):
            entry = e
            resumed = false
        case .existing(let prev):
            if let replay = Self.replay(prev, key: key) { return replay }
            try await checkResumable(prev, current: facts, currentCart: cartId, target: target, customer: customer, key: key)
            printError("pcx: resuming unfinished purchase \(key.prefix(12))… (journal entry \(prev.id ?? 0), cart \(prev.cartId ?? cartId)) with its original request id")
            entry = prev
            resumed = true
        }
        let id = entry.id!
        let placed: Data
        do {
            let response = try await target.client.send(
                .checkoutCart(customerId: customer, cartId: entry.cartId ?? cartId, requestId: entry.requestId))
            try checkJSONBody(response.body, response: response)
            // Partner Center's answer wins over whatever a concurrent run recorded meanwhile (it
            // may have closed the entry as failed on an error of its own)
            if try !journal.update(id: id, state: .succeeded, outcome: response.text,
                                   from: [.pending, .succeeded, .failed, .refused]) {
                printError("pcx: journal entry \(id) was not found to record its order; the order is: \(response.text)")
            }
            placed = response.body
        } catch {
            let outcome = Self.outcome(of: error)
            // A resumed entry's first attempt may have reached Partner Center: only an answer
            // from Partner Center (definitive) may close it; "not sent" says nothing about it.
            let state: JournalEntry.State = resumed && outcome != .definitive ? .pending : outcome.state
            let changed = (try? journal.update(id: id, state: state, error: "\(error)")) ?? false
            if !changed, let now = try? journal.entry(id: id), let replay = Self.replay(now, key: key) {
                // a concurrent run completed this purchase meanwhile
                return replay
            }
            if state == .pending, outcome == .unknown, var e = error as? PartnerCenterError {
                e.hint = "the outcome is unknown; re-run the same command: pcx re-sends the same checkout (journal entry \(id)) and cannot buy twice"
                throw e
            }
            throw error
        }
        // outside the catch above: the order is recorded as succeeded whatever this finds
        try checkOrderAgainstCaps(placed, journalId: id)
        return .json(withField(Array(placed), "journal_id", id, replayed: resumed))
    }

    /// After the fact: the order Partner Center placed must be within `--max-quantity` (another
    /// process could change the cart between pcx's read and the checkout). The order is recorded
    /// either way; a breach is reported loudly so it can be cancelled.
    func checkOrderAgainstCaps(_ body: Data, journalId: Int64) throws {
        guard let maxQuantity = options.maxQuantity,
              let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else { return }
        let orders = (object["orders"] as? [[String: Any]]) ?? [object]
        var quantity = 0
        var ids: [String] = []
        for order in orders {
            if let id = order["id"] as? String { ids.append(id) }
            for line in (order["lineItems"] as? [[String: Any]]) ?? [] {
                quantity += (line["quantity"] as? NSNumber)?.intValue ?? 0
            }
        }
        guard quantity > maxQuantity else { return }
        throw HostError(
            code: .policyDenied,
            message: "Partner Center placed order(s) \(ids.joined(separator: ", ")) for \(quantity) units, above --max-quantity \(maxQuantity): the cart was changed after pcx checked it",
            hint: "the order is recorded (journal entry \(journalId)); cancel it in Partner Center if it is not wanted, and find who changed the cart")
    }

    /// A purchase's idempotency key when none is given: what is bought, where, for whom.
    static func derivedKey(target: String, customer: String, facts: CartFacts) -> String {
        Journal.sha256(Data("\(target)\n\(customer.lowercased())\n\(facts.canonical)".utf8))
    }

    /// A completed purchase's answer, returned instead of buying again (nil unless `entry`
    /// succeeded with a readable answer).
    static func replay(_ entry: JournalEntry, key: String) -> LuaHostResult? {
        guard entry.state == .succeeded, let outcome = entry.outcome,
              (try? checkJSONBody(Data(outcome.utf8), response: nil)) != nil else { return nil }
        printError("pcx: purchase \(key.prefix(12))… already completed (journal entry \(entry.id ?? 0)); returning its orders instead of buying again")
        return .json(withField(Array(outcome.utf8), "journal_id", entry.id ?? 0, replayed: true))
    }

    /// Before resuming an unfinished attempt on another cart: that cart (as Partner Center
    /// holds it) must be the same purchase and pass the caps. Checked only where it can differ:
    /// a given idempotency key (carts may differ) or caps (its price may differ).
    func checkResumable(_ prev: JournalEntry, current: CartFacts, currentCart: String, target: Session.Target,
                        customer: String, key: String) async throws {
        guard let prevCart = prev.cartId, prevCart != currentCart else { return }
        let given = options.idempotencyKey != nil || key != Self.derivedKey(target: target.name, customer: customer, facts: current)
        guard given || options.maxSpend != nil || options.maxQuantity != nil else { return }
        let held: CartFacts
        do {
            held = try await heldCart(target, customer: customer, cartId: prevCart).facts
        } catch {
            throw HostError(
                code: .policyDenied,
                message: "cannot resume unfinished purchase \(key.prefix(12))… (journal entry \(prev.id ?? 0)): its cart \(prevCart) could not be read to check it: \(error)",
                hint: "nothing was sent; retry later, or inspect it with `pcx journal show \(prev.id ?? 0)`")
        }
        if held.canonical != current.canonical {
            throw HostError(
                code: .policyDenied,
                message: "idempotency key \(key) belongs to a different purchase (journal entry \(prev.id ?? 0), cart \(prevCart), still unfinished)",
                hint: "nothing was sent; use another idempotency key for a different purchase, or re-run the original one")
        }
        try enforceCaps(held)
    }

    /// Refuses a cart whose lines carry a Partner Center error (nothing is sent). With
    /// `allowingUnregistered`, error 10011 (subscription not registered yet) is let through.
    static func refuseLineErrors(_ facts: CartFacts, cartId: String, allowingUnregistered: Bool) throws {
        for line in facts.lines {
            guard let error = line["error"] as? [String: Any] else { continue }
            if allowingUnregistered, (error["errorCode"] as? NSNumber)?.intValue == 10011 { continue }
            throw HostError(code: .invalidArgument,
                            message: "checkout refused: cart \(cartId) line \(line["id"] ?? "?") carries Partner Center error \(error["errorCode"] ?? "?"): \(error["errorDescription"] ?? "")",
                            hint: "fix the line (pc.carts.update) or build a new cart; nothing was sent")
        }
    }

    /// The purchase gate for a cart without checking it out: line errors, `--max-quantity`,
    /// `--max-spend`, then `--allow-purchase` or a confirmation at the terminal (remembered for
    /// the checkout of the same purchase in this run). Used before anything is changed for a
    /// purchase (e.g. before registering its subscription), so a refusal leaves Partner Center
    /// untouched. The cart is the one Partner Center holds when it has an id (else the script's
    /// plan); the market rule applies. A dry run checks the caps but never asks. Returns true, or
    /// raises policy_denied.
    func preflight(_ p: Params) async throws -> LuaHostResult {
        let customer = try p.string("customer_id")
        let target = try await session.target()
        let cartId = p.optString("cart_id")
        try await target.client.enforceMarketPolicy(customerId: customer, cartId: cartId)
        let facts: CartFacts
        if let cartId {
            // the cart as Partner Center holds it, not the script's table
            facts = try await heldCart(target, customer: customer, cartId: cartId).facts
        } else {
            // no cart at Partner Center yet: the script's plan; checkout checks the held cart again
            guard case .string(let bytes) = p.table["cart"] else {
                throw HostError(code: .invalidArgument, message: "pc.purchase_check: cart is required")
            }
            facts = try Self.facts(ofCart: Data(bytes))
        }
        guard !facts.lines.isEmpty else {
            throw HostError(code: .invalidArgument, message: "pc.purchase_check: the cart has no line items")
        }
        // the subscription is registered after this check, so 10011 is expected here
        try Self.refuseLineErrors(facts, cartId: cartId ?? "?", allowingUnregistered: true)
        try enforceCaps(facts)
        if !options.dryRun { try confirm(facts, customer: customer, plan: p.optString("plan")) }
        return .value(.boolean(true))
    }

    /// Refuses plans above `--max-quantity` / `--max-spend`.
    func enforceCaps(_ facts: CartFacts) throws {
        if let max = options.maxQuantity, facts.quantity > max {
            throw HostError(code: .policyDenied,
                            message: "the purchase is for \(facts.quantity) units, above --max-quantity \(max)",
                            hint: "nothing was sent; lower the quantity or raise --max-quantity")
        }
        if let capText = options.maxSpend, let capCurrency = options.maxSpendCurrency {
            guard let cap = Decimal(string: capText) else {
                throw HostError(code: .invalidArgument, message: "--max-spend \(capText) is not a decimal amount")
            }
            guard let total = facts.total, let currency = facts.currency else {
                throw HostError(code: .policyDenied,
                                message: "the cart carries no price, so --max-spend \(capText) \(capCurrency) cannot be verified",
                                hint: "nothing was sent; price the cart first (reservations.quote) or drop --max-spend")
            }
            guard currency == capCurrency else {
                throw HostError(code: .policyDenied,
                                message: "the purchase is priced in \(currency) but --max-spend is in \(capCurrency)",
                                hint: "nothing was sent; give --max-spend in \(currency)")
            }
            if total > cap {
                throw HostError(code: .policyDenied,
                                message: "the purchase totals \(moneyText(total)) \(currency), above --max-spend \(capText) \(capCurrency)",
                                hint: "nothing was sent; lower the quantity or raise --max-spend")
            }
        }
    }

    /// `--allow-purchase`, or a "yes" typed at the terminal.
    func confirm(_ facts: CartFacts, customer: String, plan: String?) throws {
        if options.allowPurchase { return }
        let token = customer.lowercased() + "\n" + facts.canonical
        let already = confirmed.withLock { c -> Bool in
            guard let total = c[token] else { return false }
            // confirmed before; still good unless the price went up since
            if let was = total, let now = facts.total { return now <= was }
            return total == nil && facts.total == nil
        }
        if already { return }
        guard isatty(0) != 0, isatty(2) != 0 else {
            throw HostError(code: .policyDenied,
                            message: "checkout needs --allow-purchase (or a confirmation at a terminal)",
                            hint: "nothing was sent; review the plan with --dry-run, then re-run with --allow-purchase")
        }
        let total = facts.total.map { "\(moneyText($0)) \(facts.currency ?? "")" } ?? "an unknown amount"
        printError("pcx: about to buy \(facts.quantity) unit(s) for customer \(customer), total \(total). Type 'yes' to buy: ", newline: false)
        let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased()
        guard answer == "yes" || answer == "y" else {
            throw HostError(code: .policyDenied, message: "purchase not confirmed", hint: "nothing was sent")
        }
        confirmed.withLock { $0[token] = .some(facts.total) }
    }
}

/// Inserts `"name": value` (and `"replayed"`) at the start of a JSON object's bytes.
func withField(_ bytes: [UInt8], _ name: String, _ value: Int64, replayed: Bool) -> [UInt8] {
    guard let start = bytes.firstIndex(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }),
          bytes[start] == UInt8(ascii: "{") else { return bytes }
    let rest = bytes[(start + 1)...]
    let isEmpty = rest.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) == UInt8(ascii: "}")
    let prefix = "{\"\(name)\":\(value),\"replayed\":\(replayed)" + (isEmpty ? "" : ",")
    return Array(prefix.utf8) + rest
}

/// Decimal amount text with at least two fraction digits ("652.80"), never rounded.
func moneyText(_ amount: Decimal) -> String {
    var text = "\(amount)"
    guard let dot = text.firstIndex(of: ".") else { return text + ".00" }
    let digits = text.distance(from: dot, to: text.endIndex) - 1
    if digits < 2 { text += String(repeating: "0", count: 2 - digits) }
    return text
}
