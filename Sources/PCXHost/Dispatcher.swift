import Foundation
import LuaRuntime
import PartnerCenter
import PartnerCenterModels

/// Sends one declared operation for a script: a change always through the gate
/// (``ChangeGate``), a read through the client (catalog reads through the cache). There is no
/// other way from Lua to Partner Center.
struct Dispatcher: Sendable {
    let session: Session
    let gate: ChangeGate

    /// One call: its decoded answer (a change's answer, or the gate's record of it).
    func perform(_ call: OperationCall) async throws -> LuaHostResult {
        let request = try PartnerCenterRequest(call.operation, call.arguments, caller: call.caller)
        if call.operation.changesState { return try await change(call, request) }
        if case .document = call.operation.response { return try await Document(session: session).save(request, to: call.path, caller: call.caller) }
        let target = try await session.target()
        if let body = try await cachedRead(call.operation, request, target) { return .jsonData(body) }
        let response = try await target.client.send(request)
        return try checkedJSON(response)
    }

    /// A cursor over a collection's pages. A change is performed through the gate now (its
    /// answer is the one page); a single document is one page too.
    func cursor(_ call: OperationCall) async throws -> Cursor {
        let request = try PartnerCenterRequest(call.operation, call.arguments, caller: call.caller)
        if call.operation.changesState { return Cursor(result: try await change(call, request)) }
        let target = try await session.target()
        if let body = try await cachedRead(call.operation, request, target) { return Cursor(buffered: [body], records: call.operation.lazyItems) }
        return Cursor(sequence: target.client.pages(of: request), records: call.operation.lazyItems)
    }

    private func change(_ call: OperationCall, _ request: PartnerCenterRequest) async throws -> LuaHostResult {
        let customer = call.arguments["customer_id"].flatMap { if case .string(let s) = $0 { s } else { nil } }
        guard call.operation.movesMoney else {
            return try await gate.change(call.operation, request, customer: customer, arguments: call.arguments)
        }
        guard let customer, case .string(let cart)? = call.arguments["cart_id"] else {
            throw usage("\(call.caller): a purchase needs customer_id and cart_id")
        }
        return try await gate.purchase(call.operation, .init(customer: customer, cartId: cart, idempotencyKey: call.idempotencyKey, plan: call.plan))
    }

    /// A catalog read through the cache: the cached body, or a fetched single-page one (stored).
    func cachedRead(_ operation: APIOperation, _ request: PartnerCenterRequest, _ target: Session.Target) async throws -> Data? {
        guard operation.cacheable, let cache = session.catalogCache else { return nil }
        let key = CatalogCache.key(target: target.canonical.key, request: request)
        if let body = cache.get(key) { return body }
        let response = try await target.client.send(request)
        if response.status == 200, response.nextPageRequest == nil { cache.put(key, response.body) }
        return response.body
    }
}

/// Open page cursors of one run, keyed by handle (Lua holds the integer). At most
/// ``limit`` are open at once: each may hold a prefetched page in memory.
final class Cursors: Sendable {
    /// Open cursors allowed per run.
    static let limit = 64
    private let state = Mutex<(next: Int64, open: [Int64: Cursor])>((1, [:]))

    /// - Throws: `invalid_argument` when ``limit`` cursors are already open.
    func open(_ cursor: Cursor) throws -> Int64 {
        try state.withLock { s in
            guard s.open.count < Self.limit else {
                throw usage("more than \(Self.limit) page iterators are open at once (each holds a page in memory)",
                            hint: "finish or drop iterators (each/each_line_item) before opening new ones; abandoned ones close when collected")
            }
            let id = s.next
            s.next += 1
            s.open[id] = cursor
            return id
        }
    }

    func cursor(_ id: Int64) -> Cursor? { state.withLock { $0.open[id] } }
    func close(_ id: Int64) { _ = state.withLock { $0.open.removeValue(forKey: id) } }
    func closeAll() { state.withLock { $0.open.removeAll() } }
}

/// One page iterator: pages already in hand (a cached body, a change's answer), then a live page
/// sequence (the client prefetches one page ahead). Used by one Lua iterator at a time: `next()`
/// calls are sequential (the Lua side awaits each before asking again), which is why it needs no lock.
final class Cursor: @unchecked Sendable {
    /// A page: a body to decode, or an answer already made.
    enum Page {
        case body(Data, RawResponse?)
        case result(LuaHostResult)
    }
    private var buffered: [Page]
    private let iterator: PageSequence.Iterator?
    private var finished = false
    /// Items reach Lua as records (the operation's `lazyItems`).
    let records: Bool

    init(buffered: [Data] = [], sequence: PageSequence? = nil, records: Bool = false) {
        self.buffered = buffered.map { .body($0, nil) }
        self.iterator = sequence?.makeAsyncIterator()
        self.records = records
    }

    init(result: LuaHostResult) {
        self.buffered = [.result(result)]
        self.iterator = nil
        self.records = false
    }

    /// The next page, or nil after the last.
    func next() async throws -> Page? {
        if !buffered.isEmpty { return buffered.removeFirst() }
        if finished { return nil }
        guard let page = try await iterator?.next() else {
            finished = true
            return nil
        }
        return .body(page.body, page)
    }
}

/// Hands a Partner Center response body to Lua (the client has checked that it is JSON).
func checkedJSON(_ response: RawResponse) throws -> LuaHostResult {
    .jsonData(response.body)
}
