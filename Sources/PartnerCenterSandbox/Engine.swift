import Foundation
import GRDB
import Logging
import PartnerCenterModels

/// An answer before it becomes an HTTP response.
struct SandboxResponse: Sendable {
    var status: Int
    var headers: [(String, String)] = []
    var body: Data = Data()
    /// Set by handlers whose success changed nothing (e.g. a repeated checkout).
    var unchanged = false
    /// A body produced while it is sent (Graph blobs); `body` is then unused.
    var stream: BodyStream? = nil

    static func json<T: Encodable>(_ value: T, status: Int = 200) -> SandboxResponse {
        let body = (try? PartnerCenterJSON.encode(value)) ?? Data("{}".utf8)
        return SandboxResponse(status: status, headers: [("Content-Type", "application/json; charset=utf-8")], body: body)
    }

    static func fault(_ error: SandboxError) -> SandboxResponse {
        var response = json(ApiFault(code: error.code, description: error.description, data: []), status: error.status)
        if error.status == 401 { response.headers.append(("WWW-Authenticate", "OAuth realm=urn:cpsvc:cpid:pcx-sandbox")) }
        return response
    }

    static func throttled(retryAfter: Int) -> SandboxResponse {
        var response = json(ThrottlingError(statusCode: 429, message: "Rate limit is exceeded. Try again in \(retryAfter) seconds."), status: 429)
        response.headers.append(("Retry-After", String(retryAfter)))
        return response
    }
}

/// A Partner Center error answer (status + ApiFault code + description).
struct SandboxError: Error, Sendable {
    let status: Int
    let code: Int
    let description: String
    init(status: Int, code: Int, _ description: String) {
        self.status = status
        self.code = code
        self.description = description
    }
    static func badInput(_ text: String) -> SandboxError { SandboxError(status: 400, code: 800002, "Invalid request input: \(text)") }
    static func notFound(_ code: Int, _ text: String) -> SandboxError { SandboxError(status: 404, code: code, text) }
}

/// One API request being handled.
struct RequestInfo: Sendable {
    let method: String
    let path: String
    let query: [String: String]       // names lower-cased
    let rawQuery: String
    let headers: [String: String]     // names lower-cased
    let body: Data
    let params: [String: String]
    let caller: Caller
    let now: Date
    let requestId: String
    /// The fault injected into this request (Graph handlers act on their own kinds).
    var fault: FaultAction = .pass

    func q(_ name: String) -> String? { query[name.lowercased()].flatMap { $0.isEmpty ? nil : $0 } }
    func param(_ name: String) -> String { params[name] ?? "" }
    var partner: PartnerRecord { caller.partner }
}

/// What the HTTP layer should do.
enum SandboxOutcome: Sendable {
    case respond(SandboxResponse)
    /// Close the connection without answering.
    case drop
}

/// The sandbox's request processing, independent of the HTTP server.
final class SandboxEngine: Sendable {
    let configuration: SandboxConfiguration
    let store: SandboxStore
    let catalog = SandboxCatalog()
    let clock: SandboxClock
    let faults: FaultInjector
    let log = SandboxRequestLog()
    let limiter: SandboxRateLimiter
    let partners: [PartnerRecord]
    let signer: TokenSigner
    let logger: Logger
    /// Generators of the scale invoices' lines, by invoice id.
    let scaleGenerators: [String: ScaleLineGenerator]
    /// Usage lines of the Graph scale invoice (`--scale usagelines=N`).
    let graphScaleUsageLines: Int
    /// Operations and blobs of Graph reconciliation v2.
    let graphLimiter: SandboxRateLimiter
    /// Device codes issued (the device authorization grant) and the options in force.
    let deviceCodes: DeviceCodeBook

    init(configuration: SandboxConfiguration, logger: Logger) async throws {
        self.configuration = configuration
        self.logger = logger
        self.clock = SandboxClock(start: configuration.clockStart)
        self.faults = FaultInjector(plan: configuration.faults, seed: configuration.seed)
        self.limiter = SandboxRateLimiter(limits: configuration.rateLimits)
        self.deviceCodes = DeviceCodeBook(options: configuration.deviceCode)
        let store = try SandboxStore(storage: configuration.storage, seed: configuration.seed)
        self.store = store
        let catalog = self.catalog
        let now = clock.now
        let seed = configuration.seed
        let scale = configuration.scale
        let started = Date()
        let seeded = try await store.db.write { db -> Bool in
            if try !Seeder.isSeeded(db) {
                try Seeder(seed: seed, scale: scale, catalog: catalog, now: now).run(db)
                return true
            } else if try Seeder.scaleChanged(db, scale) {
                let partner = try Row.fetchAll(db, sql: "SELECT * FROM partner ORDER BY seq").map(SandboxStore.partner)[0]
                let customers = try Row.fetchAll(db, sql: "SELECT id, name, domain, country FROM customer WHERE partner_id = ? ORDER BY seq", arguments: [partner.tenantId])
                    .map { (id: $0["id"] as String, name: $0["name"] as String, domain: $0["domain"] as String, country: $0["country"] as String) }
                try Seeder(seed: seed, scale: scale, catalog: catalog, now: now).applyScale(db, partner: partner, customers: customers)
                return true
            }
            return false
        }
        let upgraded = try await store.db.write { db in try Seeder.upgradeAzureEntitlements(db) }
        if upgraded > 0 {
            logger.info("sandbox database from an earlier version: Azure entitlements added to its Azure plans", metadata: ["plans": "\(upgraded)"])
        }
        if seeded {
            logger.info("sandbox data seeded", metadata: [
                "seed": "\(seed)", "lineItems": "\(scale.lineItems)", "customers+": "\(scale.customers)",
                "seconds": "\(String(format: "%.3f", Date().timeIntervalSince(started)))"])
        } else {
            logger.info("sandbox database reused (not reseeded)")
        }
        let (partners, key, scaleInfo) = try await store.db.read { db in
            let partners = try Row.fetchAll(db, sql: "SELECT * FROM partner ORDER BY seq").map(SandboxStore.partner)
            let key = try SandboxStore.meta(db, "signing_key") ?? "pcx"
            let seedText = try SandboxStore.meta(db, "seeded") ?? "1"
            let scaleDate = try SandboxStore.meta(db, "scale_invoice_date").flatMap(Double.init)
            let graphDate = try SandboxStore.meta(db, "graph_scale_date").flatMap(Double.init)
            let graphScale = (try SandboxStore.meta(db, "graph_scale") ?? "0,0").split(separator: ",").compactMap { Int($0) }
            let customers = try Row.fetchAll(db, sql: "SELECT id, name, domain, country FROM customer WHERE partner_id = ? AND country IN ('US','CA') ORDER BY seq", arguments: [partners.first?.tenantId ?? ""])
                .map { (id: $0["id"] as String, name: $0["name"] as String, domain: $0["domain"] as String, country: $0["country"] as String) }
            return (partners, key, (UInt64(seedText) ?? 1, scaleDate, customers, graphDate, graphScale.count == 2 ? graphScale[1] : 0))
        }
        self.partners = partners
        self.signer = TokenSigner(secret: key)
        scaleGenerators = Self.scaleGenerators(seed: scaleInfo.0, partner: partners.first, customers: scaleInfo.2, catalog: catalog,
                                               dates: [SandboxBilling.scaleInvoiceId: scaleInfo.1, SandboxBilling.graphScaleInvoiceId: scaleInfo.3])
        graphScaleUsageLines = scaleInfo.3 == nil ? 0 : scaleInfo.4
        graphLimiter = SandboxRateLimiter(limits: RateLimits(partner: configuration.graph.rateLimit, customer: nil))
        // a fresh seed's past purchases, bought and completed like live ones
        try await seedPurchases(now: now)
    }

    /// The generators of the scale invoices that exist (those with a date).
    private static func scaleGenerators(seed: UInt64, partner: PartnerRecord?, customers: [(id: String, name: String, domain: String, country: String)],
                                        catalog: SandboxCatalog, dates: [String: Double?]) -> [String: ScaleLineGenerator] {
        guard let partner else { return [:] }
        var generators: [String: ScaleLineGenerator] = [:]
        for (invoiceId, date) in dates {
            guard let date else { continue }
            generators[invoiceId] = ScaleLineGenerator(seed: seed, partner: partner, customers: customers, catalog: catalog,
                                                       invoiceDate: Date(timeIntervalSince1970: date), invoiceId: invoiceId)
        }
        return generators
    }

    // MARK: dispatch

    /// What the request log records about one request while it is handled.
    struct Trace {
        let method: String
        let rawPath: String
        let rawQuery: String
        let requestId: String
        let correlationId: String
        let locale: String?
        let now: Date
        var route = "unknown"
        var partnerId: String?
        var mutated = false
        var replayed = false
        var fault: String?
    }

    /// Handles one HTTP request. `peerIsLoopback`: the client connected from this machine (the
    /// admin endpoints answer only such clients).
    func handle(method: String, path rawPath: String, query rawQuery: String, headers: [String: String], body: Data,
                rejection: SandboxError? = nil, peerIsLoopback: Bool = true) async -> SandboxOutcome {
        func first(_ name: String) -> String? {
            headers[name].flatMap { $0.split(separator: ",").first.map { String($0).trimmingCharacters(in: .whitespaces) } }
        }
        var trace = Trace(method: method, rawPath: rawPath, rawQuery: rawQuery,
                          requestId: first("ms-requestid") ?? UUID().uuidString.lowercased(),
                          correlationId: first("ms-correlationid") ?? UUID().uuidString.lowercased(),
                          locale: headers["x-locale"], now: clock.now)
        var segments = (rawPath.removingPercentEncoding ?? rawPath).split(separator: "/").map(String.init)
        if let rejection {
            // refused by the HTTP layer (a body over the limit): logged and answered like any fault
            if segments.first?.lowercased() == "v1" { segments.removeFirst() }
            trace.route = SandboxRoutes.match(method: method, segments: segments)?.0.name ?? "unknown"
            var response = SandboxResponse.fault(rejection)
            response.headers.append(("Connection", "close"))
            return finish(.respond(response), &trace)
        }
        if let outcome = await handleNonAPI(method: method, segments: segments, query: rawQuery, host: headers["host"], body: body,
                                            peerIsLoopback: peerIsLoopback, trace: &trace) {
            return finish(outcome, &trace)
        }
        if let version = segments.first.flatMap(Self.graphVersion) {
            let outcome = await handleGraph(method: method, segments: Array(segments.dropFirst()), version: version, headers: headers,
                                            body: body, trace: &trace)
            return finish(outcome, &trace)
        }
        if segments.first?.lowercased() == Self.blobRoot, method == "GET" || method == "HEAD" {
            return finish(await handleBlob(segments: segments, query: rawQuery, head: method == "HEAD", trace: &trace), &trace)
        }
        if segments.first?.lowercased() == "v1" { segments.removeFirst() }
        let outcome = await handleAPI(method: method, segments: segments, headers: headers, body: body, trace: &trace)
        return finish(outcome, &trace)
    }

    /// Adds the response headers every answer carries and logs the request.
    private func finish(_ outcome: SandboxOutcome, _ trace: inout Trace) -> SandboxOutcome {
        var final = outcome
        if case .respond(var response) = outcome {
            response.headers.append(("MS-RequestId", trace.requestId))
            response.headers.append(("MS-CorrelationId", trace.correlationId))
            response.headers.append(("MS-CV", "pcxsb.\(log.count + 1)"))
            response.headers.append(("MS-ServerId", sandboxServerID))
            if let locale = trace.locale { response.headers.append(("X-Locale", locale)) }
            final = .respond(response)
        }
        var status = 0
        if case .respond(let response) = final { status = response.status }
        logger.debug("request", metadata: ["method": "\(trace.method)", "path": "\(trace.rawPath)", "status": "\(status)", "route": "\(trace.route)"])
        let t = trace
        log.append { sequence in
            SandboxRequestLogEntry(sequence: sequence, time: t.now, method: t.method, path: t.rawPath, query: t.rawQuery, route: t.route,
                                   status: status, requestId: t.requestId, correlationId: t.correlationId, partner: t.partnerId,
                                   mutated: t.mutated, replayed: t.replayed, fault: t.fault)
        }
        return final
    }

    /// The admin (`/_sandbox/...`), device sign-in page (`/devicelogin`) and token endpoints
    /// (`/{tenant}/oauth2/[v2.0/]token`, `/{tenant}/oauth2/v2.0/devicecode`); nil for anything else.
    private func handleNonAPI(method: String, segments: [String], query: String, host: String?, body: Data, peerIsLoopback: Bool,
                              trace: inout Trace) async -> SandboxOutcome? {
        let first = segments.first?.lowercased()
        if first == "_sandbox" || (first == "devicelogin" && segments.count == 1) {
            trace.route = first == "_sandbox" ? "admin" : "devicelogin"
            guard peerIsLoopback else {
                return .respond(.json(["error": "the sandbox's admin endpoints and sign-in page answer only clients on this machine (loopback); this request came over the network"], status: 403))
            }
            if first == "devicelogin" { return .respond(deviceLoginPage(method: method, body: body)) }
            return .respond(await handleAdmin(method: method, segments: Array(segments.dropFirst()), query: query, body: body))
        }
        guard method == "POST", let (tenant, v2, endpoint) = Self.oauthEndpoint(segments) else { return nil }
        trace.route = endpoint
        if endpoint == "devicecode" {
            return .respond(handleDeviceCode(tenant: tenant, body: body, base: "http://" + (host ?? "\(configuration.host):\(configuration.port)")))
        }
        do {
            return .respond(try await handleToken(tenant: tenant, v2: v2, body: body))
        } catch {
            return .respond(SandboxResponse.json(OAuthError(error: "server_error", errorDescription: "The sandbox could not issue a token: \(error)"), status: 500))
        }
    }

    /// `{tenant}/oauth2/token` (v1), `{tenant}/oauth2/v2.0/token` and `{tenant}/oauth2/v2.0/devicecode`:
    /// the tenant, whether it is v2, and `token` or `devicecode`.
    static func oauthEndpoint(_ segments: [String]) -> (tenant: String, v2: Bool, endpoint: String)? {
        guard segments.count >= 3, segments[1].lowercased() == "oauth2",
              segments.count == 3 || (segments.count == 4 && segments[2].lowercased() == "v2.0") else { return nil }
        switch segments[segments.count - 1].lowercased() {
        case "token": return (segments[0], segments.count == 4, "token")
        case "devicecode" where segments.count == 4: return (segments[0], true, "devicecode")
        default: return nil
        }
    }

    /// A Partner Center API request: route, faults, auth, replay, throttling, the handler. A fault
    /// that acts on the answer (`drop-after`, `malformed`) acts on whatever answer the request
    /// gets, a 401, a 429 or a replay included, so a fault the log records always happened.
    private func handleAPI(method: String, segments: [String], headers: [String: String], body: Data,
                           trace: inout Trace) async -> SandboxOutcome {
        guard let (operation, params) = SandboxRoutes.match(method: method, segments: segments) else {
            return .respond(unrouted(method: method, segments: segments, rawPath: trace.rawPath))
        }
        trace.route = operation.name
        configuration.onRequest?(SandboxObservedRequest(route: operation.name, method: method, requestId: trace.requestId))
        let fault = faults.next(route: operation.name)
        if fault != .pass { trace.fault = fault.description }
        if let answer = await injected(fault) { return answer }
        let response = await answer(operation, params: params, method: method, segments: segments, headers: headers,
                                    body: body, trace: &trace)
        switch fault {
        case .dropAfter:
            return .drop
        case .malformed where response.status < 300:
            var truncated = response
            truncated.body = Data(response.body.prefix(max(1, response.body.count / 2)))
            if truncated.body.first != UInt8(ascii: "{") && truncated.body.first != UInt8(ascii: "[") { truncated.body = Data("{\"items\": [".utf8) }
            return .respond(truncated)
        default:
            return .respond(response)
        }
    }

    /// The answer to a routed request: auth, a stored replay, throttling, else the handler.
    private func answer(_ operation: APIOperation, params: [String: String], method: String, segments: [String],
                        headers: [String: String], body: Data, trace: inout Trace) async -> SandboxResponse {
        let caller: Caller
        do {
            caller = try authenticate(headers["authorization"])
        } catch {
            return .fault(error)
        }
        trace.partnerId = caller.partner.tenantId
        if caller.isGraph {
            return .fault(SandboxError(status: 401, code: 400, "Access denied: the access token's audience is \(GraphBilling.audience) (Microsoft Graph); Partner Center needs a token for https://api.partnercenter.microsoft.com."))
        }
        if operation.appUserOnly && !caller.appUser {
            return .fault(SandboxError(status: 403, code: 900329, "This resource does not support application-only authentication: use an App+User token (refresh_token grant)."))
        }
        let replayPath = segments.joined(separator: "/")
        let replayable = operation.method == "POST" && headers["ms-requestid"] != nil
        if replayable, let stored = try? await storedReplay(partner: caller.partner.tenantId, requestId: trace.requestId, method: method, path: replayPath) {
            trace.replayed = true
            return stored
        }
        if let wait = limiter.take(partner: caller.partner.tenantId, customer: params["customer_id"], throttle: operation.throttle, now: trace.now.timeIntervalSince1970) {
            return .throttled(retryAfter: wait)
        }
        let request = RequestInfo(method: method, path: trace.rawPath, query: parseQuery(trace.rawQuery), rawQuery: trace.rawQuery,
                                  headers: headers, body: body, params: params, caller: caller, now: trace.now, requestId: trace.requestId)
        let response = await run(operation, request)
        trace.mutated = operation.changesState && (200..<300).contains(response.status) && !response.unchanged
        if replayable, response.status < 500 {
            try? await storeReplay(partner: caller.partner.tenantId, requestId: trace.requestId, method: method, path: replayPath, response: response)
        }
        return response
    }

    /// 405 for a path served with other methods, else 404.
    private func unrouted(method: String, segments: [String], rawPath: String) -> SandboxResponse {
        let allowed = SandboxRoutes.allowedMethods(segments: segments)
        guard !allowed.isEmpty else {
            return .fault(SandboxError(status: 404, code: 1000, "Resource not found: \(method) \(rawPath) is not a Partner Center operation the sandbox serves."))
        }
        var response = SandboxResponse.fault(SandboxError(status: 405, code: 1000, "Method \(method) is not allowed on \(rawPath); allowed: \(allowed.joined(separator: ", "))."))
        response.headers.append(("Allow", allowed.joined(separator: ", ")))
        return response
    }

    /// The answer an injected fault gives before the request is handled (nil: handle it).
    private func injected(_ fault: FaultAction) async -> SandboxOutcome? {
        switch fault {
        case .dropBefore:
            return .drop
        case .status(let code):
            if code == 429 { return .respond(.throttled(retryAfter: 1)) }
            let description = code >= 500 ? "Injected fault: the sandbox simulated a service error (\(code))." : "Injected fault: the sandbox simulated HTTP \(code)."
            var response = SandboxResponse.fault(SandboxError(status: code, code: code >= 500 ? 800003 : 800002, description))
            if code == 503 { response.headers.append(("Retry-After", "1")) }
            return .respond(response)
        case .delay(let seconds):
            try? await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
            return nil
        case .expiredToken:
            return .respond(.fault(SandboxError(status: 401, code: 400, "Access denied: the access token has expired; get a new one from the token endpoint.")))
        case .busy:
            return .respond(.fault(SandboxError(status: 409, code: 800064, "Cart is being processed by another request.")))
        default:
            return nil
        }
    }

    /// Runs the operation's handler (pending work first, then the customer's access check).
    private func run(_ operation: APIOperation, _ request: RequestInfo) async -> SandboxResponse {
        do {
            try await progress(now: request.now)
            if let customer = request.params["customer_id"] { try await checkCustomerAccess(customer, partner: request.caller.partner) }
            guard let handler = SandboxRoutes.handlers[operation.name] else {
                throw SandboxError(status: 404, code: 1000, "Resource not found.")
            }
            return try await handler(self, request)
        } catch let error as SandboxError {
            return .fault(error)
        } catch {
            logger.error("sandbox handler failed", metadata: ["route": "\(operation.name)", "error": "\(error)"])
            return .fault(SandboxError(status: 500, code: 800003, "Unexpected service error in the sandbox (\(operation.name)); the request was not applied."))
        }
    }

    // MARK: replay store

    func storedReplay(partner: String, requestId: String, method: String, path: String) async throws -> SandboxResponse? {
        try await store.db.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT status, headers, body FROM replay WHERE partner_id = ? AND request_id = ? AND method = ? AND path = ?",
                                             arguments: [partner, requestId, method, path.lowercased()]) else { return nil }
            let headerPairs = (try? Doc.decode([[String]].self, row["headers"])) ?? []
            return SandboxResponse(status: row["status"], headers: headerPairs.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }, body: row["body"])
        }
    }

    func storeReplay(partner: String, requestId: String, method: String, path: String, response: SandboxResponse) async throws {
        let headers = try Doc.encode(response.headers.map { [$0.0, $0.1] })
        let status = response.status
        let body = response.body
        try await store.db.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO replay VALUES(?,?,?,?,?,?,?)", arguments: [partner, requestId, method, path.lowercased(), status, headers, body])
        }
    }

    // MARK: access

    func checkCustomerAccess(_ customerId: String, partner: PartnerRecord) async throws {
        let owner: String? = try await store.db.read { db in
            try String.fetchOne(db, sql: "SELECT partner_id FROM customer WHERE id = ?", arguments: [customerId])
        }
        guard let owner else { throw SandboxError.notFound(60003, "Tenant not found: no customer with id '\(customerId)'.") }
        guard owner.caseInsensitiveCompare(partner.tenantId) == .orderedSame else {
            throw SandboxError(status: 403, code: 20002, "Partner \(partner.tenantId) has no commerce relationship with customer '\(customerId)'.")
        }
    }
}

func parseQuery(_ raw: String) -> [String: String] {
    var result: [String: String] = [:]
    for pair in raw.split(separator: "&") {
        let pieces = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) }
        guard let key = pieces.first, !key.isEmpty else { continue }
        result[key.lowercased()] = pieces.count > 1 ? pieces[1] : ""
    }
    return result
}
