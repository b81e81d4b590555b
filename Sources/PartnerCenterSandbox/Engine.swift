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
    let limiter: RateLimiter
    let partners: [PartnerRecord]
    let signer: TokenSigner
    let logger: Logger
    let scaleGenerator: ScaleLineGenerator?

    init(configuration: SandboxConfiguration, logger: Logger) async throws {
        self.configuration = configuration
        self.logger = logger
        self.clock = SandboxClock(start: configuration.clockStart)
        self.faults = FaultInjector(plan: configuration.faults, seed: configuration.seed)
        self.limiter = RateLimiter(limits: configuration.rateLimits)
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
            } else if scale.lineItems > 0, try SandboxStore.meta(db, "scale_lineitems").flatMap(Int.init) ?? 0 != scale.lineItems {
                let partner = try Row.fetchAll(db, sql: "SELECT * FROM partner ORDER BY seq").map(SandboxStore.partner)[0]
                let customers = try Row.fetchAll(db, sql: "SELECT id, name, domain, country FROM customer WHERE partner_id = ? ORDER BY seq", arguments: [partner.tenantId])
                    .map { (id: $0["id"] as String, name: $0["name"] as String, domain: $0["domain"] as String, country: $0["country"] as String) }
                try Seeder(seed: seed, scale: scale, catalog: catalog, now: now).applyScale(db, partner: partner, customers: customers)
                return true
            }
            return false
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
            let customers = try Row.fetchAll(db, sql: "SELECT id, name, domain, country FROM customer WHERE partner_id = ? AND country IN ('US','CA') ORDER BY seq", arguments: [partners.first?.tenantId ?? ""])
                .map { (id: $0["id"] as String, name: $0["name"] as String, domain: $0["domain"] as String, country: $0["country"] as String) }
            return (partners, key, (UInt64(seedText) ?? 1, scaleDate, customers))
        }
        self.partners = partners
        self.signer = TokenSigner(secret: key)
        if let date = scaleInfo.1, let first = partners.first {
            scaleGenerator = ScaleLineGenerator(seed: scaleInfo.0, partner: first, customers: scaleInfo.2, catalog: catalog, invoiceDate: Date(timeIntervalSince1970: date))
        } else {
            scaleGenerator = nil
        }
    }

    // MARK: dispatch

    /// Handles one HTTP request.
    func handle(method: String, path rawPath: String, query rawQuery: String, headers: [String: String], body: Data,
                rejection: SandboxError? = nil) async -> SandboxOutcome {
        let now = clock.now
        let requestId = headers["ms-requestid"].flatMap { $0.split(separator: ",").first.map { String($0).trimmingCharacters(in: .whitespaces) } } ?? UUID().uuidString.lowercased()
        let correlationId = headers["ms-correlationid"].flatMap { $0.split(separator: ",").first.map { String($0).trimmingCharacters(in: .whitespaces) } } ?? UUID().uuidString.lowercased()
        let path = rawPath.removingPercentEncoding ?? rawPath
        var segments = path.split(separator: "/").map(String.init)
        var routeName = "unknown"
        var partnerId: String?
        var mutated = false
        var replayed = false
        var faultText: String?
        var outcome: SandboxOutcome

        func finish(_ outcome: SandboxOutcome) -> SandboxOutcome {
            var final = outcome
            if case .respond(var response) = outcome {
                response.headers.append(("MS-RequestId", requestId))
                response.headers.append(("MS-CorrelationId", correlationId))
                response.headers.append(("MS-CV", "pcxsb.\(log.count + 1)"))
                response.headers.append(("MS-ServerId", sandboxServerID))
                if let locale = headers["x-locale"] { response.headers.append(("X-Locale", locale)) }
                final = .respond(response)
            }
            let status: Int
            if case .respond(let response) = final { status = response.status } else { status = 0 }
            logger.debug("request", metadata: ["method": "\(method)", "path": "\(rawPath)", "status": "\(status)", "route": "\(routeName)"])
            log.append { sequence in
                SandboxRequestLogEntry(sequence: sequence, time: now, method: method, path: rawPath, query: rawQuery, route: routeName, status: status,
                                       requestId: requestId, correlationId: correlationId, partner: partnerId, mutated: mutated, replayed: replayed, fault: faultText)
            }
            return final
        }

        // Refused by the HTTP layer (e.g. a body over the limit): logged and answered like any fault.
        if let rejection {
            var probe = segments
            if probe.first?.lowercased() == "v1" { probe.removeFirst() }
            routeName = SandboxRoutes.match(method: method, segments: probe)?.0.name ?? "unknown"
            var response = SandboxResponse.fault(rejection)
            response.headers.append(("Connection", "close"))
            return finish(.respond(response))
        }

        // Admin and token endpoints.
        if segments.first?.lowercased() == "_sandbox" {
            routeName = "admin"
            return finish(.respond(await handleAdmin(method: method, segments: Array(segments.dropFirst()), query: rawQuery, body: body)))
        }
        if method == "POST", segments.count >= 3, segments[1].lowercased() == "oauth2",
           segments.last?.lowercased() == "token", segments.count == 3 || (segments.count == 4 && segments[2].lowercased() == "v2.0") {
            routeName = "token"
            do {
                return finish(.respond(try await handleToken(tenant: segments[0], v2: segments.count == 4, body: body)))
            } catch {
                return finish(.respond(SandboxResponse.json(OAuthError(error: "server_error", errorDescription: "The sandbox could not issue a token: \(error)"), status: 500)))
            }
        }
        if segments.first?.lowercased() == "v1" { segments.removeFirst() }
        guard let (route, params) = SandboxRoutes.match(method: method, segments: segments) else {
            let allowed = SandboxRoutes.allowedMethods(segments: segments)
            if !allowed.isEmpty {
                var response = SandboxResponse.fault(SandboxError(status: 405, code: 1000, "Method \(method) is not allowed on \(rawPath); allowed: \(allowed.joined(separator: ", "))."))
                response.headers.append(("Allow", allowed.joined(separator: ", ")))
                return finish(.respond(response))
            }
            return finish(.respond(.fault(SandboxError(status: 404, code: 1000, "Resource not found: \(method) \(rawPath) is not a Partner Center operation the sandbox serves."))))
        }
        routeName = route.name

        // Faults decided before anything else.
        let fault = faults.next(route: route.name)
        if fault != .pass { faultText = fault.description }
        switch fault {
        case .dropBefore:
            return finish(.drop)
        case .status(let code):
            if code == 429 { return finish(.respond(.throttled(retryAfter: 1))) }
            let description = code >= 500 ? "Injected fault: the sandbox simulated a service error (\(code))." : "Injected fault: the sandbox simulated HTTP \(code)."
            var response = SandboxResponse.fault(SandboxError(status: code, code: code >= 500 ? 800003 : 800002, description))
            if code == 503 { response.headers.append(("Retry-After", "1")) }
            return finish(.respond(response))
        case .delay(let seconds):
            try? await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
        case .expiredToken:
            return finish(.respond(.fault(SandboxError(status: 401, code: 400, "Access denied: the access token has expired; get a new one from the token endpoint."))))
        case .busy:
            return finish(.respond(.fault(SandboxError(status: 409, code: 800064, "Cart is being processed by another request."))))
        default:
            break
        }

        // Authentication.
        let caller: Caller
        do {
            caller = try authenticate(headers["authorization"])
        } catch {
            return finish(.respond(.fault(error)))
        }
        partnerId = caller.partner.tenantId
        if route.appUserOnly && !caller.appUser {
            return finish(.respond(.fault(SandboxError(status: 403, code: 900329, "This resource does not support application-only authentication: use an App+User token (refresh_token grant)."))))
        }

        // Replay of a POST with a known MS-RequestId returns the stored answer.
        let replayKey = route.method == "POST" && headers["ms-requestid"] != nil
        if replayKey, let stored = try? await storedReplay(partner: caller.partner.tenantId, requestId: requestId, method: method, path: segments.joined(separator: "/")) {
            replayed = true
            return finish(.respond(stored))
        }

        // Throttling.
        let customer = params["cid"]
        if let wait = limiter.take(partner: caller.partner.tenantId, customer: customer, now: now.timeIntervalSince1970) {
            return finish(.respond(.throttled(retryAfter: wait)))
        }

        let request = RequestInfo(method: method, path: rawPath, query: parseQuery(rawQuery), rawQuery: rawQuery, headers: headers, body: body,
                                  params: params, caller: caller, now: now, requestId: requestId)
        var response: SandboxResponse
        do {
            try await progress(now: now)
            if let cid = customer { try await checkCustomerAccess(cid, partner: caller.partner) }
            response = try await dispatch(route: route, request: request)
            mutated = route.writes && (200..<300).contains(response.status) && !response.unchanged
        } catch let error as SandboxError {
            response = .fault(error)
        } catch {
            logger.error("sandbox handler failed", metadata: ["route": "\(route.name)", "error": "\(error)"])
            response = .fault(SandboxError(status: 500, code: 800003, "Unexpected service error in the sandbox (\(route.name)); the request was not applied."))
        }
        if replayKey, response.status < 500 {
            try? await storeReplay(partner: caller.partner.tenantId, requestId: requestId, method: method, path: segments.joined(separator: "/"), response: response)
        }
        switch fault {
        case .dropAfter:
            outcome = .drop
        case .malformed where response.status < 300:
            response.body = Data(response.body.prefix(max(1, response.body.count / 2)))
            if response.body.first != UInt8(ascii: "{") && response.body.first != UInt8(ascii: "[") { response.body = Data("{\"items\": [".utf8) }
            outcome = .respond(response)
        default:
            outcome = .respond(response)
        }
        return finish(outcome)
    }

    func dispatch(route: SandboxRoutes.Route, request: RequestInfo) async throws -> SandboxResponse {
        switch route.name {
        case "listCustomers": return try await listCustomers(request)
        case "getCustomer": return try await getCustomer(request)
        case "getCompanyProfile": return try await getProfile(request, company: true)
        case "getBillingProfile": return try await getProfile(request, company: false)
        case "listSubscriptions": return try await listSubscriptions(request)
        case "getSubscription": return try await getSubscription(request)
        case "registerSubscription": return try await registerSubscription(request)
        case "getRegistrationStatus": return try await registrationStatus(request)
        case "listProducts", "listCustomerProducts": return try await listProducts(request)
        case "getProduct", "getCustomerProduct": return try await getProduct(request)
        case "listSkus", "listCustomerSkus": return try await listSkus(request)
        case "getSku", "getCustomerSku": return try await getSku(request)
        case "listAvailabilities", "listCustomerAvailabilities": return try await listAvailabilities(request)
        case "getAvailability", "getCustomerAvailability": return try await getAvailability(request)
        case "checkInventory": return try await checkInventory(request)
        case "createCart": return try await createCart(request)
        case "getCart": return try await getCart(request)
        case "updateCart": return try await updateCart(request)
        case "checkout": return try await checkout(request)
        case "listOrders": return try await listOrders(request)
        case "getOrder": return try await getOrder(request)
        case "getProvisioningStatus": return try await provisioningStatus(request)
        case "listEntitlements": return try await listEntitlements(request)
        case "getReservationDetails": return try await reservationDetails(request)
        case "getInvoiceSummary": return try await invoiceSummary(request)
        case "listInvoiceSummaries": return try await invoiceSummaries(request)
        case "listInvoices": return try await listInvoices(request)
        case "getInvoice": return try await getInvoice(request)
        case "getInvoiceStatement": return try await invoiceStatement(request)
        case "listInvoiceLineItems": return try await invoiceLineItems(request)
        case "listUnbilledLineItems": return try await unbilledLineItems(request)
        case "getEstimateLinks": return try await estimateLinks(request)
        default: throw SandboxError(status: 404, code: 1000, "Resource not found.")
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
