import Foundation
import LuaRuntime
import PartnerCenter
import PartnerCenterModels

/// Purchases (checkout): the gate's longer road. The purchase is read from the cart Partner
/// Center holds, never from the table a script passes; its journal entry is found by its
/// idempotency key (given, or derived from what is bought) on the canonical target:
///
/// - a completed purchase is *replayed* (said plainly, never as a new purchase) when its key was
///   pinned (`--idempotency-key`) or it completed within the replay window (24 h by default);
/// - an open one (pending, unknown) is *resumed*: the cart it was sent for is locked and read
///   again; if Partner Center shows that cart ordered, the same request is sent again (Partner
///   Center answers with the original order); if the cart is still active but no longer what
///   was bought, the old attempt cannot have bought it (it is closed as `not_bought`) and this
///   purchase goes through the gate as a new one; otherwise it is re-sent after the policy and a
///   new confirmation;
/// - a key that belongs to a different purchase is refused, whatever its entry's state.
extension ChangeGate {
    /// What a script adds to a purchase besides the wire arguments.
    struct PurchaseRequest: Sendable {
        var customer: String
        var cartId: String
        /// `idempotency_key` of the call (`--idempotency-key` wins).
        var idempotencyKey: String?
        /// The plan (JSON) shown to the user and journaled.
        var plan: String?
    }

    /// How this purchase relates to the journal.
    enum Standing {
        case fresh
        case replay(JournalEntry)
        case resume(JournalEntry)
    }

    /// A checkout through the gate.
    func purchase(_ operation: APIOperation, _ request: PurchaseRequest) async throws -> LuaHostResult {
        let target = try await session.target()
        let country = try await marketCountry(operation, customer: request.customer, target: target)
        if let refusal = PurchasePolicy.marketRefusal(policyInput(operation, customer: request.customer, country: country, intent: nil, target: target)) {
            throw refusal
        }
        try await session.beginCheckout(customer: request.customer, cartId: request.cartId)
        defer { session.endCheckout(customer: request.customer, cartId: request.cartId) }
        let held = try await heldIntent(target, customer: request.customer, cartId: request.cartId)
        let key = options.idempotencyKey ?? request.idempotencyKey ?? held.derivedKey(target: target.canonical, customer: request.customer)
        let pinned = options.idempotencyKey != nil || request.idempotencyKey != nil
        switch try standing(operation, key: key, pinned: pinned, intent: held, target: target) {
        case .replay(let entry):
            return try replay(entry)
        case .resume(let entry):
            if let result = try await resume(operation, entry, request, held: held, country: country, target: target) { return result }
        case .fresh:
            break
        }
        return try await fresh(operation, request, intent: held, key: key, pinned: pinned, country: country, target: target)
    }

    /// The cart Partner Center holds, as a purchase intent.
    func heldIntent(_ target: Session.Target, customer: String, cartId: String) async throws -> PurchaseIntent {
        PurchaseIntent(cart: try await target.client.decoded(
            Cart.self, OperationCatalog["carts.get"], ["customer_id": .string(customer), "cart_id": .string(cartId)]))
    }

    /// Finds the purchase's journal entry and decides: fresh, replay or resume; refuses a key
    /// that belongs to a different purchase.
    func standing(_ operation: APIOperation, key: String, pinned: Bool, intent: PurchaseIntent, target: Session.Target) throws -> Standing {
        let journal = try session.journal()
        guard let prev = try journal.latest(idempotencyKey: key, operation: operation.name, target: target.canonical.key,
                                            legacyTarget: target.legacyKey) else { return .fresh }
        if let was = prev.intent, was != intent.canonical {
            var error = PartnerCenterError(
                category: .policyDenied,
                message: "idempotency key \(key) belongs to a different purchase (journal entry \(prev.id ?? 0), \(prev.state.rawValue), made \(iso(prev.createdAt)))",
                hint: "nothing was bought; use a new idempotency key for a different purchase, or re-run the original one")
            error.notSent = true
            throw error
        }
        if prev.state.isOpen { return .resume(prev) }
        if prev.state == .succeeded, pinned || prev.updatedAt >= Date().addingTimeInterval(-options.replayWindow) { return .replay(prev) }
        return .fresh
    }

    /// A dry run's purchase of lines no cart at Partner Center holds: the policy, then a record.
    func recordPlanned(_ operation: APIOperation, customer: String, intent: PurchaseIntent, plan: String?) async throws -> LuaHostResult {
        let target = try await session.target()
        let country = try await marketCountry(operation, customer: customer, target: target)
        let key = options.idempotencyKey ?? intent.derivedKey(target: target.canonical, customer: customer)
        switch try standing(operation, key: key, pinned: options.idempotencyKey != nil, intent: intent, target: target) {
        case .replay(let done): return try replay(done)
        case .resume(let open): return try dryRunResume(open, intent: intent, note: "a real run resumes it with its original request id")
        case .fresh: break
        }
        let entry = newEntry(operation, customer: customer, target: target, identity: Data(intent.canonical.utf8),
                             cartId: nil, key: key, intent: intent, plan: plan)
        switch PurchasePolicy.decide(policyInput(operation, customer: customer, country: country, intent: intent, target: target)) {
        case .refuse(let error): throw error
        case .record(let notes): return try record(entry, notes: notes, extra: Self.intentFields(intent))
        case .send: throw usage("pc.purchase: only a dry run records a purchase without a cart")
        }
    }

    /// A new purchase: policy, confirmation, claim, send.
    func fresh(_ operation: APIOperation, _ request: PurchaseRequest, intent: PurchaseIntent, key: String, pinned: Bool,
               country: String?, target: Session.Target) async throws -> LuaHostResult {
        let entry = newEntry(operation, customer: request.customer, target: target, identity: Data(intent.canonical.utf8),
                             cartId: request.cartId, key: key, intent: intent, plan: request.plan)
        switch PurchasePolicy.decide(policyInput(operation, customer: request.customer, country: country, intent: intent, target: target)) {
        case .refuse(let error):
            throw error
        case .record(let notes):
            return try record(entry, notes: notes, extra: Self.intentFields(intent))
        case .send(let confirm):
            if confirm { try await confirmAtTerminal(intent, customer: request.customer) }
        }
        let since: Date? = pinned ? nil : Date().addingTimeInterval(-options.replayWindow)
        let claim = try journalWrite("journal the purchase before sending it") {
            try $0.claim(entry, legacyTarget: target.legacyKey, replayableSince: since)
        }
        switch claim {
        case .claimed(let claimed):
            return try await checkout(operation, claimed, intent: intent, resumed: false, target: target)
        case .existing(let other) where other.state == .succeeded:
            return try replay(other)       // a concurrent run completed it meanwhile
        case .existing(let other):
            // a concurrent run claimed it meanwhile: resume that one attempt (same cart, same request id)
            printError("pcx: purchase \(key.prefix(12))… was claimed by another run at the same moment (journal entry \(other.id ?? 0)); resuming that attempt")
            return try await checkout(operation, other, intent: intent, resumed: true, target: target)
        }
    }

    /// Resumes an open attempt, or returns nil when the attempt turned out not to have bought
    /// anything and this purchase should go through the gate as a new one.
    func resume(_ operation: APIOperation, _ entry: JournalEntry, _ request: PurchaseRequest, held: PurchaseIntent,
                country: String?, target: Session.Target) async throws -> LuaHostResult? {
        let cart = entry.cartId ?? request.cartId
        let other = cart.lowercased() != request.cartId.lowercased()
        if other { try await session.beginCheckout(customer: request.customer, cartId: cart) }
        defer { if other { session.endCheckout(customer: request.customer, cartId: cart) } }
        let now: PurchaseIntent
        do {
            now = other ? try await heldIntent(target, customer: request.customer, cartId: cart) : held
        } catch let error as PartnerCenterError where error.category == .notFound {
            return try await unresumable(operation, entry, because: "its cart \(cart) is gone (\(error.message))", target: target)
        }
        if now.cartStatus == .ordered {
            // Partner Center shows the cart bought: the same request answers with that order
            if options.dryRun { return try dryRunResume(entry, intent: now, note: "Partner Center shows its cart \(cart) ordered") }
            printError("pcx: resuming unfinished purchase \(entry.idempotencyKey.prefix(12))… (journal entry \(entry.id ?? 0)): its cart \(cart) is ordered, so the original request id asks Partner Center for that order")
            return try await checkout(operation, entry, intent: now, resumed: true, target: target)
        }
        if let was = entry.intent, was != now.canonical {
            // still active and changed since: the attempt did not buy it (a bought cart is Ordered)
            if options.dryRun { return nil }
            _ = try journalWrite("close the unfinished attempt") {
                try $0.update(id: entry.id ?? 0, state: .notBought,
                              error: "not bought: cart \(cart) is still active and was changed after this attempt (found \(iso(Date())))",
                              from: [.pending, .unknown])
            }
            printError("pcx: the unfinished purchase in journal entry \(entry.id ?? 0) did not buy anything (its cart \(cart) is still active and was changed since); this is a new purchase")
            return nil
        }
        switch PurchasePolicy.decide(policyInput(operation, customer: request.customer, country: country, intent: now, target: target)) {
        case .refuse(let error): throw error
        case .record: return try dryRunResume(entry, intent: now, note: "a real run re-sends it with its original request id")
        case .send(let confirm): if confirm { try await confirmAtTerminal(now, customer: request.customer) }
        }
        printError("pcx: resuming unfinished purchase \(entry.idempotencyKey.prefix(12))… (journal entry \(entry.id ?? 0), cart \(cart)) with its original request id")
        return try await checkout(operation, entry, intent: now, resumed: true, target: target)
    }

    /// Asks for the terminal's "yes" for this purchase, naming what it buys (``PurchaseConfirmation``).
    func confirmAtTerminal(_ intent: PurchaseIntent, customer: String) async throws {
        let session = session
        try await session.confirmer.confirm(intent, customer: customer) {
            await PurchaseConfirmation(session: session).describe(intent, customer: customer)
        }
    }

    /// An open attempt whose cart cannot be read: an order it placed may exist.
    func unresumable(_ operation: APIOperation, _ entry: JournalEntry, because reason: String,
                     target: Session.Target) async throws -> LuaHostResult {
        if let order = try await OrderFinder(client: target.client).order(for: entry) {
            let body = try PartnerCenterJSON.encode(CartCheckoutResult(orders: [order], orderErrors: []))
            _ = try? session.journal().update(id: entry.id ?? 0, state: .succeeded, outcome: String(decoding: body, as: UTF8.self), from: [.pending, .unknown])
            printError("pcx: the unfinished purchase in journal entry \(entry.id ?? 0) placed order \(order.id); nothing was bought now")
            return .json(insertingFields(Array(body), ["journal_id": "\(entry.id ?? 0)", "replayed": "false", "resumed": "true"]))
        }
        var error = PartnerCenterError(
            category: .policyDenied,
            message: "the unfinished purchase in journal entry \(entry.id ?? 0) cannot be resumed: \(reason), and no order of it was found",
            hint: "nothing was sent; orders appear in lists up to 15 minutes after checkout: check again later, then `pcx journal resolve \(entry.id ?? 0) --not-bought` if it was not bought, and re-run")
        error.notSent = true
        throw error
    }
}
