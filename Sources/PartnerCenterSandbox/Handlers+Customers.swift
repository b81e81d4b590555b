import Foundation
import GRDB
import PartnerCenterModels

extension SandboxEngine {
    func customerDoc(_ id: String) async throws -> Customer {
        let text: String? = try await store.db.read { db in try String.fetchOne(db, sql: "SELECT doc FROM customer WHERE id = ?", arguments: [id]) }
        guard let text else { throw SandboxError.notFound(60003, "Tenant not found: no customer with id '\(id)'.") }
        return try Doc.decode(Customer.self, text)
    }

    func customerCountry(_ id: String) async throws -> String {
        let country: String? = try await store.db.read { db in try String.fetchOne(db, sql: "SELECT country FROM customer WHERE id = ?", arguments: [id]) }
        guard let country else { throw SandboxError.notFound(60003, "Tenant not found: no customer with id '\(id)'.") }
        return country
    }

    /// `GET /customers?size=N` with seek paging (`MS-ContinuationToken`).
    func listCustomers(_ request: RequestInfo) async throws -> SandboxResponse {
        var size = 40
        if let text = request.q("size") {
            guard let value = Int(text), (1...500).contains(value) else { throw SandboxError.badInput("size must be an integer from 1 to 500, got '\(text)'.") }
            size = value
        }
        var offset = 0
        if request.q("seekOperation")?.lowercased() == "next" || request.headers["ms-continuationtoken"] != nil {
            guard let token = request.headers["ms-continuationtoken"], let value = decodeContinuation(token, scope: "customers:\(request.partner.tenantId)") else {
                throw SandboxError.badInput("the MS-ContinuationToken header is missing or not a token this sandbox issued for the customer list.")
            }
            offset = value
        }
        let partnerId = request.partner.tenantId
        let (limit, skip) = (size + 1, offset)
        let rows: [String] = try await store.db.read { db in
            try String.fetchAll(db, sql: "SELECT doc FROM customer WHERE partner_id = ? ORDER BY seq LIMIT ? OFFSET ?", arguments: [partnerId, limit, skip])
        }
        let items = try rows.prefix(size).map { text -> Customer in
            var customer = try Doc.decode(Customer.self, text)
            customer.billingProfile = nil
            customer.allowDelegatedAccess = nil
            customer.customDomains = nil
            customer.companyProfile?.address = nil
            customer.companyProfile?.email = nil
            return customer
        }
        let list = OperationCatalog["customers.list"]
        var links = Links(["self": Link(uri: list.link([:], query: [("size", String(size))]))])
        var token: String?
        if rows.count > size {
            token = encodeContinuation(offset + size, scope: "customers:\(partnerId)")
            links.next = Link(uri: list.link([:], query: [("size", String(size)), ("seekOperation", "Next")]),
                              headers: [LinkHeader(key: "MS-ContinuationToken", value: token!)])
        }
        return .json(ResourceCollection(items: Array(items), links: links, continuationToken: token))
    }

    func getCustomer(_ request: RequestInfo) async throws -> SandboxResponse {
        .json(try await customerDoc(request.param("customer_id")))
    }

    func getProfile(_ request: RequestInfo, company: Bool) async throws -> SandboxResponse {
        let customer = try await customerDoc(request.param("customer_id"))
        if company { return .json(customer.companyProfile ?? CustomerCompanyProfile()) }
        return .json(customer.billingProfile ?? CustomerBillingProfile())
    }

    struct SubscriptionRow: Sendable {
        let model: Subscription
        let kind: String
        let status: String
        let registration: String
    }

    func subscriptionRow(_ customerId: String, _ subscriptionId: String) async throws -> SubscriptionRow {
        let row: SubscriptionRow? = try await store.db.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT doc, kind, status, registration FROM subscription WHERE id = ? AND customer_id = ?", arguments: [subscriptionId, customerId]) else { return nil }
            return SubscriptionRow(model: try Doc.decode(Subscription.self, row["doc"]), kind: row["kind"], status: row["status"], registration: row["registration"])
        }
        guard let row else { throw SandboxError.notFound(20003, "Subscription with ID \(subscriptionId) not found for customer \(customerId).") }
        return row
    }

    func listSubscriptions(_ request: RequestInfo) async throws -> SandboxResponse {
        let cid = request.param("customer_id")
        let docs: [String] = try await store.db.read { db in
            try String.fetchAll(db, sql: "SELECT doc FROM subscription WHERE customer_id = ? ORDER BY seq", arguments: [cid])
        }
        let items = try docs.map { try Doc.decode(Subscription.self, $0) }
        return .json(ResourceCollection(items: items, links: Links(["self": Link(uri: OperationCatalog["subscriptions.list"].link(["customer_id": cid]))])))
    }

    func getSubscription(_ request: RequestInfo) async throws -> SandboxResponse {
        .json(try await subscriptionRow(request.param("customer_id"), request.param("subscription_id")).model)
    }

    func registrationWire(_ state: String) -> String {
        configuration.registrationStatusLowercase ? state.lowercased() : state
    }

    /// `POST …/registrations`: 202 + Location; NotRegistered → Registering → Registered after the delay.
    func registerSubscription(_ request: RequestInfo) async throws -> SandboxResponse {
        let cid = request.param("customer_id"), sid = request.param("subscription_id")
        let row = try await subscriptionRow(cid, sid)
        guard row.kind == "legacy" || row.kind == "plan" else {
            throw SandboxError(status: 400, code: 800011, "Subscription \(sid) is not a valid Azure subscription (offer \(row.model.offerId ?? "?")); only MS-AZR-0145P and Azure plan subscriptions can be registered.")
        }
        guard row.status == "active" else {
            throw SandboxError(status: 400, code: 800012, "Subscription \(sid) is not active (status \(row.status)).")
        }
        let location = OperationCatalog["subscriptions.registration_status"].link(["customer_id": cid, "subscription_id": row.model.id])
        var response = SandboxResponse(status: 202, headers: [("Location", location)])
        if row.registration == "NotRegistered" {
            let ready = request.now.timeIntervalSince1970 + configuration.registrationDelay
            let state = configuration.registrationDelay <= 0 ? "Registered" : "Registering"
            try await store.db.write { db in
                try db.execute(sql: "UPDATE subscription SET registration = ?, registered_at = ? WHERE id = ?", arguments: [state, ready, sid])
            }
        } else {
            response.unchanged = true
        }
        return response
    }

    func registrationStatus(_ request: RequestInfo) async throws -> SandboxResponse {
        let row = try await subscriptionRow(request.param("customer_id"), request.param("subscription_id"))
        var status = SubscriptionRegistrationStatus(subscriptionId: row.model.id, status: RegistrationState(wire: row.registration))
        status.status = .unknown(registrationWire(row.registration))
        return .json(status)
    }

    // MARK: continuation tokens (opaque, tamper-evident)

    func encodeContinuation(_ offset: Int, scope: String) -> String {
        let body = "\(offset)|\(scope)"
        let mac = TokenSigner.base64URL(Data(signer.sign(claims: ["c": .string(body)]).split(separator: ".").last.map { Data($0.utf8) } ?? Data()).prefix(12))
        return TokenSigner.base64URL(Data("\(offset)".utf8)) + "." + mac
    }

    func decodeContinuation(_ token: String, scope: String) -> Int? {
        let parts = token.split(separator: ".")
        guard parts.count == 2, let data = TokenSigner.fromBase64URL(parts[0]), let offset = Int(String(decoding: data, as: UTF8.self)), offset >= 0 else { return nil }
        return encodeContinuation(offset, scope: scope) == token ? offset : nil
    }
}
