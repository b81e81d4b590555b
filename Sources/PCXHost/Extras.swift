import Foundation
import LuaRuntime
import PartnerCenter
import PartnerCenterModels

/// The `pc.core` helpers that are not wire operations: waits, the purchase check, the market
/// rule for a country, the excluded markets. Each calls declared operations through the client
/// or the gate; none builds a request.
struct Extras: Sendable {
    let session: Session

    private func string(_ args: [LuaValue], _ index: Int, _ name: String, _ caller: String) throws -> String {
        guard args.count > index, let s = args[index].stringValue, !s.isEmpty else {
            throw usage("\(caller): \(name) must be a non-empty string, got \(args.count > index ? luaTypeName(args[index]) : "nil")")
        }
        return s
    }

    private func seconds(_ args: [LuaValue], _ index: Int, default value: Double) -> Duration {
        let s = args.count > index ? (args[index].doubleValue ?? value) : value
        return .milliseconds(Int64(max(0, s) * 1000))
    }

    /// `wait_registered(customer, subscription, timeout)`: polls until Registered; in a dry run
    /// (the registration was recorded, not sent) reports the current status instead.
    func waitRegistered(_ args: [LuaValue]) async throws -> LuaHostResult {
        let caller = "pc.subscriptions.wait_registered"
        let customer = try string(args, 0, "customer_id", caller), subscription = try string(args, 1, "subscription_id", caller)
        let target = try await session.target()
        let arguments: OperationArguments = ["customer_id": .string(customer), "subscription_id": .string(subscription)]
        if session.options.purchase.dryRun {
            return .jsonData(try await target.client.send(OperationCatalog["subscriptions.registration_status"], arguments).body)
        }
        let timeout = seconds(args, 2, default: 600)
        let response = try await WaitProgress.around("waiting for subscription \(subscription) to be registered",
                                                     timeout: timeout, enabled: session.progressEnabled) {
            try await target.client.waitUntilRegistered(customerId: customer, subscriptionId: subscription, timeout: timeout,
                                                        initialDelay: .seconds(1), maxDelay: .seconds(15))
        }
        return .jsonData(response.body)
    }

    /// `wait_completed(customer, order, timeout)`: polls an order until completed (or failed, cancelled).
    func waitCompleted(_ args: [LuaValue]) async throws -> LuaHostResult {
        let caller = "pc.orders.wait_completed"
        let customer = try string(args, 0, "customer_id", caller), order = try string(args, 1, "order_id", caller)
        let target = try await session.target()
        let timeout = seconds(args, 2, default: 600)
        let response = try await WaitProgress.around("waiting for order \(order) to complete", timeout: timeout,
                                                     enabled: session.progressEnabled) {
            try await target.client.waitUntilOrderSettled(customerId: customer, orderId: order, timeout: timeout)
        }
        // the journal keeps the order's final state beside the checkout's answer (pcx journal show)
        _ = try? session.journal().recordOrder(customer: customer, orderId: order, json: response.text)
        return .jsonData(response.body)
    }

    /// `purchase_check(customer, cart_id?, cart_json?, plan?)`: the gate for a purchase before
    /// anything is changed for it (e.g. its subscription registered): market rule, line errors,
    /// caps, then the confirmation, consumed by the checkout of the same purchase in this run.
    /// The cart is the one Partner Center holds when it has an id (else the script's plan).
    func purchaseCheck(_ args: [LuaValue], gate: ChangeGate) async throws -> LuaHostResult {
        let caller = "pc.purchase_check"
        let customer = try string(args, 0, "customer", caller)
        let target = try await session.target()
        let operation = OperationCatalog["carts.checkout"]
        let intent: PurchaseIntent
        if args.count > 1, let cartId = args[1].stringValue, !cartId.isEmpty {
            intent = try await gate.heldIntent(target, customer: customer, cartId: cartId)
        } else if args.count > 2, case .string(let bytes) = args[2],
                  let cart = try? PartnerCenterJSON.decode(Cart.self, from: Data(bytes)) {
            intent = PurchaseIntent(cart: cart)
        } else {
            throw usage("\(caller): cart is required (a cart table, with an id when Partner Center holds it)")
        }
        let country = try await gate.marketCountry(operation, customer: customer, target: target)
        var input = gate.policyInput(operation, customer: customer, country: country, intent: intent, target: target)
        input.allowUnregistered = true   // the subscription is registered after this check
        switch PurchasePolicy.decide(input) {
        case .refuse(let error): throw error
        case .record: break              // a dry run checks the caps but never asks
        case .send(let confirm):
            if confirm {
                let session = session
                try await session.confirmer.confirmAhead(intent, customer: customer) {
                    await PurchaseConfirmation(session: session).describe(intent, customer: customer)
                }
            }
        }
        return .value(.boolean(true))
    }

    /// `record_purchase(customer, cart_json, plan?)`: a dry run's purchase of a cart Partner
    /// Center does not hold (no quote was made): the policy on the script's lines, then a record.
    func recordPurchase(_ args: [LuaValue], gate: ChangeGate) async throws -> LuaHostResult {
        let caller = "pc.purchase"
        let customer = try string(args, 0, "customer", caller)
        guard session.options.purchase.dryRun else { throw usage("\(caller): only a dry run records a purchase without a cart") }
        guard args.count > 1, case .string(let bytes) = args[1], let cart = try? PartnerCenterJSON.decode(Cart.self, from: Data(bytes)) else {
            throw usage("\(caller): cart must be a cart table with lineItems")
        }
        let plan = args.count > 2 ? args[2].stringValue : nil
        return try await gate.recordPlanned(OperationCatalog["carts.checkout"], customer: customer, intent: PurchaseIntent(cart: cart), plan: plan)
    }

    /// `check_market(customer, country)`: raises policy_denied when the market rule excludes `country`.
    func checkMarket(_ args: [LuaValue]) async throws -> LuaHostResult {
        let customer = try string(args, 0, "customer_id", "pc.policy.check_market")
        let country = try string(args, 1, "country", "pc.policy.check_market")
        let target = try await session.target()
        if let refusal = target.client.configuration.marketPolicy.refusal(operation: "a reservation purchase", customer: customer, country: country) {
            throw refusal
        }
        return .value(.boolean(true))
    }

    /// `excluded_markets()`: the markets where pcx refuses reserved-instance purchases.
    func excludedMarkets() async throws -> LuaHostResult {
        let target = try await session.target()
        let list = target.client.configuration.marketPolicy.excludedMarkets.sorted().map { LuaValue($0) }
        return .value(.table(LuaTable(array: list)))
    }
}

/// A document operation (the statement PDF) written where the script asked, if the run allows it.
struct Document: Sendable {
    let session: Session

    /// Streams the document to `path` (a temporary file renamed into place by the client).
    /// Returns the number of bytes written.
    func save(_ request: PartnerCenterRequest, to path: String?, caller: String) async throws -> LuaHostResult {
        guard let path, !path.isEmpty else { throw usage("\(caller): path must be a file path string") }
        let url = URL(fileURLWithPath: path).standardizedFileURL
        try WritePolicy(allowed: session.options.limits.allowWrite,
                        denied: ScriptPolicy.denyPaths(paths: session.options.paths, environment: session.options.environment))
            .check(url)
        var isDirectory: ObjCBool = false
        let parent = url.deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw usage("cannot write \(url.path): the directory \(parent) does not exist",
                        hint: "create the directory before the run, or write the file into an existing one")
        }
        let target = try await session.target()
        let result = try await target.client.download(request, to: url.path)
        return .value(.integer(Int64(result.bytes)))
    }
}

/// Where scripts may write, as the user allowed with `--allow-write`.
struct WritePolicy {
    let allowed: [String]
    /// pcx's own files and directories, never written by a script (see ``ScriptPolicy``).
    var denied: [URL] = []

    /// Throws unless `url` is inside an allowed directory (after resolving symlinks of its parent)
    /// and not a denied path.
    func check(_ url: URL) throws {
        let parent = url.deletingLastPathComponent().resolvingSymlinksInPath().path
        let target = parent + "/" + url.lastPathComponent
        for d in denied {
            let base = d.standardizedFileURL.resolvingSymlinksInPath().path
            if target == base || target.hasPrefix(base + "/") || parent == base || parent.hasPrefix(base + "/") {
                throw usage("writing \(url.path) is not allowed: pcx's own files (\(d.path)) are never written by scripts",
                            hint: "write the file somewhere else under an --allow-write directory")
            }
        }
        for dir in allowed {
            let base = URL(fileURLWithPath: dir).standardizedFileURL.resolvingSymlinksInPath().path
            if parent == base || parent.hasPrefix(base.hasSuffix("/") ? base : base + "/") { return }
        }
        throw usage(
            "writing \(url.path) is not allowed",
            hint: allowed.isEmpty ? "pass --allow-write \(url.deletingLastPathComponent().path) to let the script write there"
                : "allowed directories: \(allowed.joined(separator: ", ")); add --allow-write \(url.deletingLastPathComponent().path)")
    }
}
