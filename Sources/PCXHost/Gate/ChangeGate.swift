import Foundation
import LuaRuntime
import PartnerCenter
import PartnerCenterModels

/// The one way a change reaches Partner Center. Every declared operation whose effect is not
/// `read` is sent from here, whatever Lua path called it (`pc.*`, `pc.core.call`,
/// `pc.core.pages`, `pc.parallel`, `pc.map`, a playbook, the REPL), through the same pipeline:
///
/// 1. policy (``PurchasePolicy``, pure): market, line errors and caps, dry run, consent;
/// 2. confirmation (``Confirmer``): one "yes" per purchase, unless `--allow-purchase`;
/// 3. journal (``Journal``): claimed before the send, keyed by the canonical target;
/// 4. send, with the journal's pinned `MS-RequestId`;
/// 5. outcome: only a definitive answer about this attempt closes an entry.
///
/// Purchases (``APIOperation/Effect/purchase``) take the longer road in `ChangeGate+Purchase.swift`.
struct ChangeGate: Sendable {
    let session: Session

    var options: PurchaseOptions { session.options.purchase }

    /// Sends a change that spends nothing (a cart, a registration) through the pipeline. A
    /// change to a cart this run is checking out is refused.
    func change(_ operation: APIOperation, _ request: PartnerCenterRequest, customer: String?,
                arguments: OperationArguments) async throws -> LuaHostResult {
        let target = try await session.target()
        var cartId: String?
        if case .string(let id)? = arguments["cart_id"] { cartId = id }
        if let customer, let cartId { try session.beginCartChange(customer: customer, cartId: cartId) }
        defer { if let customer, let cartId { session.endCartChange(customer: customer, cartId: cartId) } }
        let country = try await marketCountry(operation, customer: customer, target: target)
        let decision = PurchasePolicy.decide(policyInput(operation, customer: customer, country: country, intent: nil, target: target))
        let entry = newEntry(operation, customer: customer, target: target, identity: request.body ?? Data(request.description.utf8),
                             cartId: cartId, key: nil)
        switch decision {
        case .refuse(let error):
            throw error
        case .record(let notes):
            return try record(entry, notes: notes)
        case .send:
            return try await send(request, entry: entry, target: target)
        }
    }

    /// The customer's country when the market rule applies to `operation` (looked up once, cached).
    func marketCountry(_ operation: APIOperation, customer: String?, target: Session.Target) async throws -> String? {
        guard operation.marketRule, let customer else { return nil }
        return try await target.client.customerCountry(customerId: customer)
    }

    /// The policy's input for this run's options.
    func policyInput(_ operation: APIOperation, customer: String?, country: String?, intent: PurchaseIntent?,
                     target: Session.Target) -> PurchasePolicy.Input {
        PurchasePolicy.Input(
            operation: operation, customer: customer, country: country, market: target.client.configuration.marketPolicy, intent: intent,
            caps: options.caps, dryRun: options.dryRun, quote: options.quote, consent: session.consent)
    }

    /// A journal entry for a change about to be sent (or recorded).
    func newEntry(_ operation: APIOperation, customer: String?, target: Session.Target, identity: Data,
                  cartId: String?, key: String?, intent: PurchaseIntent? = nil, plan: String? = nil) -> JournalEntry {
        let now = Date()
        let hash = Journal.sha256(identity)
        return JournalEntry(
            id: nil, createdAt: now, updatedAt: now, operation: operation.name, customer: customer ?? "", script: session.script,
            bodyHash: hash, requestId: UUID().uuidString.lowercased(), idempotencyKey: key ?? hash, cartId: cartId,
            state: .pending, plan: plan, outcome: nil, error: nil, target: target.canonical.key,
            intent: intent?.canonical, money: operation.movesMoney)
    }

    /// A dry run's record: journaled, never sent.
    func record(_ entry: JournalEntry, notes: [String] = [], extra: [String: LuaValue] = [:]) throws -> LuaHostResult {
        var recorded = entry
        recorded.id = nil
        recorded.createdAt = Date()
        recorded.updatedAt = recorded.createdAt
        recorded.requestId = UUID().uuidString.lowercased()
        recorded.state = .recorded
        recorded.idempotencyKey = "dry-run:" + entry.idempotencyKey
        let stored = try journalWrite("record the dry run") { try $0.append(recorded) }
        var fields: [String: LuaValue] = [
            "dry_run": true, "recorded": true, "journal_id": .integer(stored.id ?? 0), "operation": LuaValue(entry.operation),
        ]
        if !notes.isEmpty { fields["notes"] = .table(LuaTable(array: notes.map { LuaValue($0) })) }
        for (k, v) in extra { fields[k] = v }
        return .value(.table(LuaTable(fields: fields)))
    }

    /// Journals the entry (pending), sends the request with its pinned id, records the outcome.
    func send(_ request: PartnerCenterRequest, entry: JournalEntry, target: Session.Target) async throws -> LuaHostResult {
        let stored = try journalWrite("journal the change before sending it") { try $0.append(entry) }
        let id = stored.id ?? 0
        do {
            let response = try await target.client.send(request.pinned(requestId: stored.requestId))
            if entry.operation == "orders.create", let order = try? response.decode(Order.self) {
                session.notePlaced(PlacedOrder(journalId: id, customer: entry.customer, orders: [order.id]))
            }
            try recordSuccess(id: id, response: response, what: "\(entry.operation) succeeded")
            guard response.body.isEmpty else { return .jsonData(response.body) }
            var fields: [String: LuaValue] = ["status": .integer(Int64(response.status)), "journal_id": .integer(id)]
            if let location = response.header("Location") { fields["location"] = LuaValue(location) }
            return .value(.table(LuaTable(fields: fields)))
        } catch let error as JournalWriteError {
            throw error.reported
        } catch {
            let state = Self.state(after: error, resumed: false, purchase: false)
            _ = try? session.journal().update(id: id, state: state, error: "\(error)")
            throw Self.withOutcomeHint(error, state: state, entryId: id)
        }
    }

    /// Records Partner Center's success for entry `id` (over whatever a concurrent run wrote).
    /// - Throws: ``JournalWriteError`` when the journal cannot be written (the change was made).
    func recordSuccess(id: Int64, response: RawResponse, what: String) throws {
        do {
            try session.journal().update(id: id, state: .succeeded, outcome: response.body.isEmpty ? nil : response.text,
                                         from: Set(JournalEntry.State.allCases))
        } catch {
            throw JournalWriteError(made: what, entryId: id, requestId: response.requestId, underlying: error)
        }
    }

    /// What a failed send means for its entry. Only a definitive answer about the only attempt
    /// closes it as `failed`; if any attempt (this run's or, for a resumed entry, an earlier
    /// run's) may have reached Partner Center, the outcome stays `unknown`.
    static func state(after error: any Error, resumed: Bool, purchase: Bool = true) -> JournalEntry.State {
        guard let e = error as? PartnerCenterError else { return .unknown }
        if resumed { return .unknown }
        if e.notSent { return e.category == .policyDenied ? .refused : .failed }
        // "already submitted", "being processed", "order in progress" say a purchase may exist;
        // to a cart change or a registration they are a refusal of that change
        if !purchase, !e.outcomeUnknown, let status = e.status, status == 400 || status == 409 { return .failed }
        return e.mayHaveBeenApplied ? .unknown : .failed
    }

    /// The error with the hint for an unknown outcome (re-run resumes it) when the entry stays open.
    static func withOutcomeHint(_ error: any Error, state: JournalEntry.State, entryId: Int64, purchase: Bool = false) -> any Error {
        guard state == .unknown, var e = error as? PartnerCenterError else { return error }
        e.hint = purchase
            ? "the outcome is unknown; re-run the same command: pcx re-sends the same checkout (journal entry \(entryId)) and cannot buy twice"
            : "the outcome is unknown; re-run the same command: pcx re-sends the same request (journal entry \(entryId)) and cannot apply it twice"
        e.outcomeUnknown = true
        return e
    }

    /// Runs a journal write; a failure before anything was sent says so.
    func journalWrite<T>(_ what: String, _ body: (Journal) throws -> T) throws -> T {
        do {
            return try body(try session.journal())
        } catch let error as PartnerCenterError {
            throw error
        } catch {
            var e = PartnerCenterError(category: .scriptError, message: "could not \(what): the purchase journal cannot be written (\(journalProblem(error)))",
                                       hint: "nothing was sent; free disk space or release the journal (another pcx?), then re-run")
            e.notSent = true
            throw e
        }
    }
}

/// The journal could not record the outcome of a change that was made (disk full, journal
/// locked): the change happened; the journal still holds the attempt, so a re-run resumes it and
/// finds the result instead of doing it again.
struct JournalWriteError: Error {
    let made: String
    let entryId: Int64
    let requestId: String
    let underlying: any Error

    var reported: PartnerCenterError {
        PartnerCenterError(
            category: .scriptError,
            message: "\(made) at Partner Center, but pcx could not record it in the purchase journal (\(journalProblem(underlying)))",
            requestId: requestId,
            hint: "do not buy again by hand: journal entry \(entryId) still holds the attempt; free disk space or release the journal, then re-run the same command — pcx re-sends it with request id \(requestId) and Partner Center answers with the same result")
    }
}

/// A short description of a journal write failure (SQLite's result in words).
func journalProblem(_ error: any Error) -> String {
    let text = "\(error)"
    if text.contains("SQLite error 13") || text.lowercased().contains("disk is full") || text.lowercased().contains("database or disk is full") {
        return "the disk is full"
    }
    if text.contains("SQLite error 5") || text.lowercased().contains("database is locked") {
        return "the journal is locked by another process for more than 10 s"
    }
    return text
}
