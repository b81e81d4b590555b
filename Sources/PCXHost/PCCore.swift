import Foundation
import LuaRuntime
import PartnerCenter
import PartnerCenterModels

/// The `pc.core` native module for one run: the catalogue's operations for `stdlib/pc.lua` to
/// bind, one entry point to call any of them (reads go to the client, changes to the gate), page
/// cursors, and the few host helpers that are not wire operations (waits, the purchase check,
/// the market rule, the hint table).
struct PCCore: Sendable {
    let session: Session
    let cursors = Cursors()
    let exportStreams = GraphStreams()
    let gate: ChangeGate

    init(session: Session) {
        self.session = session
        self.gate = ChangeGate(session: session)
    }

    /// The module's functions.
    func functions() -> [String: LuaFunction] {
        [
            "operations": .sync { _, _ in .value(Self.descriptors) },
            "reservation_types": .sync { _, _ in .value(Self.reservationTypes) },
            "call": .async { args in try await guarded { try await call(args) } },
            "pages": .async { args in try await guarded { try await pages(args) } },
            "next_page": .async { args in try await guarded { try await nextPage(args) } },
            "close_pages": .sync { _, args in
                if let id = args.first?.intValue { cursors.close(id) }
                return .none
            },
            "graph_exports": .sync { _, _ in .value(GraphExports.descriptors) },
            "graph_columns": .sync { _, _ in .value(GraphExports.columns) },
            "graph_open": .async { args in try await guarded { try await graphExports.open(args) } },
            "graph_next": .async { args in try await guarded { try await graphExports.next(args) } },
            "graph_info": .sync { _, args in try guardedSync { try graphExports.info(args) } },
            "graph_close": .sync { _, args in
                if let id = args.first?.intValue { exportStreams.close(id) }
                return .none
            },
            "link_arguments": .sync { _, args in try guardedSync { try linkArguments(args) } },
            "wait_registered": .async { args in try await guarded { try await Extras(session: session).waitRegistered(args) } },
            "wait_completed": .async { args in try await guarded { try await Extras(session: session).waitCompleted(args) } },
            "purchase_check": .async { args in try await guarded { try await Extras(session: session).purchaseCheck(args, gate: gate) } },
            "record_purchase": .async { args in try await guarded { try await Extras(session: session).recordPurchase(args, gate: gate) } },
            "check_market": .async { args in try await guarded { try await Extras(session: session).checkMarket(args) } },
            "excluded_markets": .async { _ in try await guarded { try await Extras(session: session).excludedMarkets() } },
            "hint": .sync { _, args in
                let code = args.first.flatMap { $0.stringValue ?? $0.intValue.map { String($0) } }
                return .value(code.flatMap { PartnerCenterError.codeHints[$0] }.map { LuaValue($0) } ?? .nil)
            },
            "render_error": .sync { _, args in .value(LuaValue(ErrorReport(luaValue: args.first ?? .nil).text(debug: false))) },
            "error_prototype": .sync { _, _ in .value(.table(LuaTable(fields: [:], metatableName: pcErrorMetatable))) },
        ]
    }

    /// The module's values (`options`).
    func values() -> [String: LuaValue] {
        let o = session.options
        return [
            "options": .table(LuaTable(fields: [
                "json": .boolean(o.json), "dry_run": .boolean(o.purchase.dryRun),
                "allow_purchase": .boolean(o.purchase.allowPurchase), "quote": .boolean(o.purchase.quote),
                "output": LuaValue(o.output.rawValue),
            ])),
            "azure_offers": .table(LuaTable(fields: [
                "legacy_offer_id": LuaValue(AzureOffers.legacyOfferId), "azure_plan_product_id": LuaValue(AzureOffers.azurePlanProductId),
                "azure_plan_catalog_item_id": LuaValue(AzureOffers.azurePlanCatalogItemId),
            ])),
        ]
    }

    var graphExports: GraphExports { GraphExports(session: session, streams: exportStreams) }

    private func guarded(_ body: () async throws -> LuaHostResult) async throws -> LuaHostResult {
        do { return try await body() } catch { throw raisable(error) }
    }

    private func guardedSync(_ body: () throws -> LuaHostResult) throws -> LuaHostResult {
        do { return try body() } catch { throw raisable(error) }
    }

    /// `call(name, params[, caller])`: one declared operation.
    func call(_ args: [LuaValue]) async throws -> LuaHostResult {
        let call = try OperationCall(args)
        return try await Dispatcher(session: session, gate: gate).perform(call)
    }

    /// `pages(name, params[, caller])`: a cursor over a collection's pages. A change is sent
    /// through the gate like any call (it is not a collection) and its answer is the one page.
    func pages(_ args: [LuaValue]) async throws -> LuaHostResult {
        let call = try OperationCall(args)
        let cursor = try await Dispatcher(session: session, gate: gate).cursor(call)
        return .value(.integer(try cursors.open(cursor)))
    }

    /// `next_page(handle)`: the next page (decoded), or nil after the last (the cursor closes).
    func nextPage(_ args: [LuaValue]) async throws -> LuaHostResult {
        guard let id = args.first?.intValue, let cursor = cursors.cursor(id) else {
            throw usage("pc.core.next_page: unknown or closed page cursor")
        }
        guard let page = try await cursor.next() else {
            cursors.close(id)
            return .value(.nil)
        }
        switch page {
        case .result(let result):
            return result
        case .body(let body, _):
            return cursor.records ? .jsonRecords(body) : .jsonData(body)
        }
    }

    /// `link_arguments(name, uri)`: the arguments of operation `name` found in a link Partner
    /// Center returned (an artifact's `link.uri`), so the call goes through the catalogue.
    func linkArguments(_ args: [LuaValue]) throws -> LuaHostResult {
        guard let name = args.first?.stringValue, let operation = OperationCatalog.named(name),
              let uri = args.count > 1 ? args[1].stringValue : nil else {
            throw usage("pc.core.link_arguments: expected an operation name and a link uri")
        }
        let request = try PartnerCenterRequest.link(uri: uri, method: operation.method)
        let segments = request.path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }.dropFirst()
        guard let match = OperationCatalog.match(method: operation.method, segments: Array(segments)), match.operation == operation else {
            throw usage("pc.\(name): the link \(uri) is not a \(name) link (\(operation.path))")
        }
        var fields: [String: LuaValue] = [:]
        for (k, v) in match.parameters { fields[k] = LuaValue(v) }
        return .value(.table(LuaTable(fields: fields)))
    }

    /// The reservation types of `ReservationType.all`, for `pc.reservations.types()`.
    static let reservationTypes: LuaValue = .table(LuaTable(array: ReservationType.all.map { type in
        .table(LuaTable(fields: [
            "type": LuaValue(type.name), "targetView": LuaValue(type.targetView), "subType": LuaValue(type.subType),
            "reservationType": LuaValue(type.artifactType), "displayName": LuaValue(type.displayName), "exampleSku": LuaValue(type.exampleSku),
        ]))
    }))

    /// Every declared Partner Center operation as `stdlib/pc.lua` binds it. The Graph exports are
    /// bound as streams (`pc.reconciliation`, `pc.usage`), not as single calls.
    static let descriptors: LuaValue = .table(LuaTable(array: OperationCatalog.all.filter { $0.host == .partnerCenter }.map(descriptor)))

    static func descriptor(_ op: APIOperation) -> LuaValue {
        var options: [String: LuaValue] = [:]
        for p in op.parameters where !p.positional { options[p.lua] = LuaValue(p.kind.rawValue) }
        if op.movesMoney {
            options["idempotency_key"] = "string"
            options["plan"] = "json"
        }
        var fields: [String: LuaValue] = [
            "name": LuaValue(op.name), "group": LuaValue(op.group), "verb": LuaValue(op.verb),
            "positional": .table(LuaTable(array: op.positionalParameters.map { LuaValue($0.lua) })),
            "options": .table(LuaTable(fields: options)),
            "collection": .boolean(op.response.isCollection), "changes": .boolean(op.changesState),
            "summary": LuaValue(op.summary),
        ]
        if let body = op.body { fields["body"] = LuaValue(body.lua) }
        if case .document = op.response { fields["document"] = true }
        if let iterator = op.iterator { fields["iterator"] = LuaValue(iterator) }
        return .table(LuaTable(fields: fields))
    }
}

/// One `pc.core.call`/`pages` request from Lua: the operation, its wire arguments, and what the
/// host takes besides (the gate's options for a purchase, the file a document goes to).
struct OperationCall: Sendable {
    let operation: APIOperation
    /// How the script named it (`pc.carts.get`), for errors.
    let caller: String
    var arguments: OperationArguments = [:]
    var idempotencyKey: String?
    var plan: String?
    /// Where a document (the statement PDF) is written.
    var path: String?

    init(_ args: [LuaValue]) throws {
        guard let name = args.first?.stringValue else { throw usage("pc.core: expected an operation name") }
        guard let operation = OperationCatalog.named(name) else {
            let suggestion = closestName(to: name, in: OperationCatalog.all.map(\.name)).map { " — did you mean '\($0)'?" } ?? ""
            throw usage("pc.core: unknown Partner Center operation '\(name)'\(suggestion)")
        }
        self.operation = operation
        caller = (args.count > 2 ? args[2].stringValue : nil) ?? "pc." + name
        guard args.count < 2 || args[1] == .nil || args[1].tableValue != nil else {
            throw usage("\(caller): expected a table of parameters, got \(luaTypeName(args[1]))")
        }
        try take(args.count > 1 ? (args[1].tableValue ?? LuaTable()) : LuaTable())
    }

    private mutating func take(_ table: LuaTable) throws {
        for (key, value) in table.hash {
            guard let name = key.stringValue else { throw usage("\(caller): parameter names are strings, got \(luaTypeName(key))") }
            if value == .nil { continue }
            if try takeHostOption(name, value) { continue }
            arguments[name] = try argument(name, value)
        }
    }

    /// The gate's options (purchases) and a document's file path; true when `name` was one.
    private mutating func takeHostOption(_ name: String, _ value: LuaValue) throws -> Bool {
        switch name {
        case "idempotency_key" where operation.movesMoney: idempotencyKey = try text(name, value)
        case "plan" where operation.movesMoney: plan = try text(name, value)
        case "path" where { if case .document = operation.response { return true } else { return false } }(): path = try text(name, value)
        default: return false
        }
        return true
    }

    private func text(_ name: String, _ value: LuaValue) throws -> String {
        guard let s = value.stringValue else { throw usage("\(caller): \(name) must be a string, got \(luaTypeName(value))") }
        return s
    }

    /// A Lua value as the declared parameter wants it (an unknown name passes through, for the
    /// request's did-you-mean error).
    private func argument(_ name: String, _ value: LuaValue) throws -> ArgumentValue {
        if name == operation.body?.lua {
            guard case .string(let bytes) = value else { throw usage("\(caller): \(name) must be a table, got \(luaTypeName(value))") }
            return .json(Data(bytes))
        }
        guard let parameter = operation.parameter(name) else { return .string("") }
        switch (parameter.kind, value) {
        case (.id, .string(let b)), (.string, .string(let b)), (.country, .string(let b)): return .string(String(decoding: b, as: UTF8.self))
        case (.integer, .integer(let i)): return .integer(i)
        case (.boolean, .boolean(let b)): return .boolean(b)
        case (.id, _) where parameter.positional:
            throw usage("\(caller): \(name) must be a non-empty id string without spaces or '/', got \(luaTypeName(value))")
        default:
            let want = ["id": "a string", "string": "a string", "integer": "an integer", "boolean": "a boolean",
                        "country": "an ISO alpha-2 code"][parameter.kind.rawValue] ?? "a value"
            throw usage("\(caller): option '\(name)' must be \(want), got \(luaTypeName(value))")
        }
    }
}

/// The Lua type name of a value, as `type()` says it.
func luaTypeName(_ value: LuaValue) -> String {
    switch value {
    case .nil: return "nil"
    case .boolean: return "boolean"
    case .integer, .number: return "number"
    case .string: return "string"
    case .table: return "table"
    case .null: return "userdata"
    case .reference(let r): return r.kind
    }
}

/// An `invalid_argument` error raised before anything was sent.
func usage(_ message: String, hint: String? = nil) -> PartnerCenterError {
    var error = PartnerCenterError(category: .invalidArgument, message: message, hint: hint)
    error.notSent = true
    return error
}
