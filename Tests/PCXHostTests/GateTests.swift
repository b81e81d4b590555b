import Foundation
import GRDB
import LuaRuntime
import PartnerCenter
import PartnerCenterModels
import PartnerCenterSandbox
import Testing
@testable import PCXHost

/// The purchase policy is a pure function: a table of cases.
@Suite("Purchase policy (pure)")
struct PurchasePolicyTests {
    static func intent(quantity: Int = 1, price: Decimal? = 709.56, currency: String = "USD", error: Int? = nil,
                       monthly: Bool = false, term: String? = nil) -> PurchaseIntent {
        var line = CartLineItem(id: 0, catalogItemId: "P:S:A", quantity: quantity, billingCycle: monthly ? .monthly : .oneTime)
        line.termDuration = term
        line.currencyCode = currency
        if let price { line.pricing = Pricing(price: price) }
        if let error { line.error = CartError(errorCode: error, errorDescription: "e") }
        return PurchaseIntent(cart: Cart(lineItems: [line]))
    }

    static func input(_ op: String, country: String? = "US", intent: PurchaseIntent? = nil, caps: PurchasePolicy.Caps = .init(),
                      dryRun: Bool = false, quote: Bool = false, consent: PurchasePolicy.Consent = .allowPurchase) -> PurchasePolicy.Input {
        PurchasePolicy.Input(operation: OperationCatalog[op], customer: "c", country: country, market: MarketPolicy(), intent: intent,
                             caps: caps, dryRun: dryRun, quote: quote, consent: consent)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let input: PurchasePolicy.Input
        /// "send", "send+confirm", "record", or "refuse:<code>:<text>".
        let expect: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "a purchase with --allow-purchase is sent", input: input("carts.checkout", intent: intent()), expect: "send"),
        Case(name: "a purchase at a terminal asks first", input: input("carts.checkout", intent: intent(), consent: .terminal), expect: "send+confirm"),
        Case(name: "a purchase without consent is refused", input: input("carts.checkout", intent: intent(), consent: .none),
             expect: "refuse:policy_denied:needs --allow-purchase"),
        Case(name: "a cart change at a terminal is sent without a prompt", input: input("carts.create", consent: .terminal), expect: "send"),
        Case(name: "a registration without consent is refused", input: input("subscriptions.register", consent: .none),
             expect: "refuse:policy_denied:changes Partner Center and needs --allow-purchase"),
        Case(name: "an excluded market is refused first, even in a dry run", input: input("carts.create", country: "BR", dryRun: true),
             expect: "refuse:policy_denied:its country BR is an excluded market"),
        Case(name: "an unknown country is refused (fail closed)", input: input("subscriptions.register", country: nil),
             expect: "refuse:policy_denied:its country is unknown"),
        Case(name: "a read is never refused by the market rule", input: input("carts.get", country: "CN", consent: .none), expect: "send"),
        Case(name: "a dry run records a registration", input: input("subscriptions.register", dryRun: true), expect: "record"),
        Case(name: "a dry run records a cart", input: input("carts.create", dryRun: true), expect: "record"),
        Case(name: "a dry run with --quote sends a cart (a price quote)", input: input("carts.create", dryRun: true, quote: true, consent: .none), expect: "send"),
        Case(name: "--quote never sends a checkout", input: input("carts.checkout", intent: intent(), dryRun: true, quote: true), expect: "record"),
        Case(name: "above --max-quantity is refused", input: input("carts.checkout", intent: intent(quantity: 3), caps: .init(maxQuantity: 2)),
             expect: "refuse:policy_denied:3 units, above --max-quantity 2"),
        Case(name: "above --max-spend is refused", input: input("carts.checkout", intent: intent(quantity: 2), caps: .init(maxSpend: 1000, maxSpendCurrency: "USD")),
             expect: "refuse:policy_denied:totals 1419.12 USD, above --max-spend 1000.00 USD"),
        Case(name: "exactly at --max-spend is allowed", input: input("carts.checkout", intent: intent(quantity: 2), caps: .init(maxSpend: Decimal(string: "1419.12"), maxSpendCurrency: "USD")),
             expect: "send"),
        Case(name: "--max-spend in another currency is refused", input: input("carts.checkout", intent: intent(), caps: .init(maxSpend: 1000, maxSpendCurrency: "EUR")),
             expect: "refuse:policy_denied:priced in USD but --max-spend is in EUR"),
        Case(name: "an unpriced purchase under --max-spend is refused", input: input("carts.checkout", intent: intent(price: nil), caps: .init(maxSpend: 1000, maxSpendCurrency: "USD")),
             expect: "refuse:policy_denied:cannot be verified"),
        Case(name: "an unpriced dry run under --max-spend is recorded with a note", input: input("carts.checkout", intent: intent(price: nil), caps: .init(maxSpend: 1000, maxSpendCurrency: "USD"), dryRun: true),
             expect: "record"),
        Case(name: "a monthly line's price is per month: --max-spend weighs the whole 3-year term (36 months)",
             input: input("carts.checkout", intent: intent(quantity: 2, price: Decimal(string: "20.00"), monthly: true, term: "P3Y"),
                          caps: .init(maxSpend: 1000, maxSpendCurrency: "USD")),
             expect: "refuse:policy_denied:totals 1440.00 USD over its term (billed monthly"),
        Case(name: "a monthly 1-year commitment within --max-spend is sent",
             input: input("carts.checkout", intent: intent(quantity: 2, price: Decimal(string: "20.00"), monthly: true, term: "P1Y"),
                          caps: .init(maxSpend: Decimal(string: "480.00"), maxSpendCurrency: "USD")),
             expect: "send"),
        Case(name: "a monthly line without a readable term cannot be verified against --max-spend",
             input: input("carts.checkout", intent: intent(price: 20, monthly: true), caps: .init(maxSpend: 100_000, maxSpendCurrency: "USD")),
             expect: "refuse:policy_denied:cannot be verified"),
        Case(name: "a line error refuses the purchase", input: input("carts.checkout", intent: intent(error: 10003)),
             expect: "refuse:invalid_argument:carries Partner Center error 10003"),
        Case(name: "an unregistered line passes in a dry run", input: input("carts.checkout", intent: intent(error: 10011), dryRun: true), expect: "record"),
        Case(name: "an unregistered line refuses a real checkout", input: input("carts.checkout", intent: intent(error: 10011)),
             expect: "refuse:invalid_argument:carries Partner Center error 10011"),
        Case(name: "a purchase of no lines is refused", input: input("carts.checkout", intent: PurchaseIntent(cart: Cart(lineItems: []))),
             expect: "refuse:invalid_argument:no line items"),
    ]

    @Test("policy decisions", arguments: cases)
    func decide(_ c: Case) {
        let decision = PurchasePolicy.decide(c.input)
        switch decision {
        case .send(let confirm): #expect((confirm ? "send+confirm" : "send") == c.expect)
        case .record: #expect(c.expect == "record")
        case .refuse(let error):
            let parts = c.expect.split(separator: ":", maxSplits: 2).map(String.init)
            #expect(parts.first == "refuse", "refused: \(error)")
            guard parts.count == 3 else { return }
            #expect(error.category.rawValue == parts[1], "\(error)")
            #expect(error.message.contains(parts[2]), "\(error.message)")
            #expect(error.notSent)
        }
    }
}

@Suite("Confirmer: a whole 'yes' for one purchase")
struct ConfirmerTests {
    @Test("only the word yes buys (any case, spaces around it); y, yeah, ok, an empty line or end of input do not",
          arguments: [("yes", true), ("YES", true), (" Yes ", true), ("y", false), ("Y", false), ("yeah", false),
                      ("ok", false), ("", false), (nil, false)] as [(String?, Bool)])
    func answers(_ answer: String?, _ buys: Bool) {
        let confirmer = Confirmer(ask: { _ in answer })
        let intent = PurchasePolicyTests.intent()
        if buys {
            #expect(throws: Never.self) { try confirmer.confirm(intent, customer: "c") }
        } else {
            #expect(throws: PartnerCenterError.self) { try confirmer.confirm(intent, customer: "c") }
        }
    }
}

/// The catalogue is the one list: every declared operation has its `pc.*` function(s) and a
/// stub, and every stubbed or bound function is declared (or one of pcx's documented extras).
@Suite("Operation catalogue: pc.* and stubs follow it")
struct CatalogueBindingTests {
    /// Functions pcx adds to the catalogue by hand (waits, purchase helpers, errors, policy, concurrency).
    static let extras: Set<String> = [
        "pc.subscriptions.wait_registered", "pc.orders.wait_completed", "pc.purchase", "pc.purchase_check",
        "pc.errors.new", "pc.errors.is", "pc.errors.hint", "pc.errors.format", "pc.policy.check_market",
        "pc.policy.excluded_markets", "pc.parallel", "pc.map", "pc.customers.find", "pc.reservations.get",
        "pc.reservations.types", "pc.reconciliation.columns",
    ]

    /// Every function reachable as `pc.NAME` or `pc.GROUP.NAME` in a fresh run.
    static func boundFunctions() async throws -> Set<String> {
        let session = Session(options: HostOptions(target: .sandbox), script: "t.lua")
        let host = try ScriptHost(session: session)
        defer { host.close() }
        let text = try await host.vm.perform { ctx in
            try ctx.run("""
                local out = {}
                for g, t in pairs(pc) do
                  if type(t) == "function" then out[#out + 1] = "pc." .. g
                  elseif type(t) == "table" and t ~= pc.Error and getmetatable(t) == nil then
                    for k, v in pairs(t) do if type(v) == "function" then out[#out + 1] = "pc." .. g .. "." .. k end end
                  end
                end
                return table.concat(out, "\\n")
                """, name: "=[test]").first?.stringValue ?? ""
        }
        return Set(text.split(separator: "\n").map(String.init))
    }

    /// `function pc.x.y(` lines of the LuaLS stub.
    static func stubbedFunctions() throws -> Set<String> {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("stdlib/meta/pc.lua"), encoding: .utf8)
        var out = Set<String>()
        for line in text.split(separator: "\n") where line.hasPrefix("function pc.") {
            out.insert(String(line.dropFirst("function ".count).prefix { $0 != "(" }))
        }
        return out
    }

    /// What the catalogue says must be bound.
    static var declaredFunctions: Set<String> {
        var out = Set<String>()
        for op in OperationCatalog.all where op.host == .partnerCenter {
            out.insert("pc." + op.name)
            if let iterator = op.iterator { out.insert("pc." + op.group + "." + iterator) }
        }
        // Graph's operations are bound as the exports' streams (GraphBilling.exports), not one by one
        for export in GraphBilling.exports { out.insert("pc." + export.name) }
        return out
    }

    @Test("every declared operation has its pc.* function, and every pc.* function is declared or a documented extra")
    func bindingFollowsTheCatalogue() async throws {
        let bound = try await Self.boundFunctions()
        let declared = Self.declaredFunctions
        #expect(declared.subtracting(bound).isEmpty, "declared but not bound: \(declared.subtracting(bound).sorted())")
        let undeclared = bound.subtracting(declared).subtracting(Self.extras)
        #expect(undeclared.isEmpty, "bound but neither declared nor a documented extra: \(undeclared.sorted())")
    }

    @Test("every declared operation and every extra has a LuaLS stub, and every stub names a bound function")
    func stubsFollowTheCatalogue() async throws {
        let stubs = try Self.stubbedFunctions()
        let wanted = Self.declaredFunctions.union(Self.extras)
        #expect(wanted.subtracting(stubs).isEmpty, "no stub for: \(wanted.subtracting(stubs).sorted())")
        #expect(stubs.subtracting(wanted).isEmpty, "stubs for undeclared functions: \(stubs.subtracting(wanted).sorted())")
        let bound = try await Self.boundFunctions()
        #expect(stubs.subtracting(bound).isEmpty, "stubbed but not bound: \(stubs.subtracting(bound).sorted())")
    }

    @Test("no operation's path is written outside the catalogue in Sources/ and stdlib/")
    func pathsLiveInTheCatalogue() throws {
        var files: [URL] = []
        for dir in ["Sources", "stdlib"] {
            let base = packageRoot.appendingPathComponent(dir)
            let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil)
            while let url = walker?.nextObject() as? URL {
                guard ["swift", "lua"].contains(url.pathExtension), !url.path.contains("/stdlib/meta/"),
                      url.lastPathComponent != "OperationCatalog.swift" else { continue }
                files.append(url)
            }
        }
        // each template as a pattern a hand-built string would match: "/customers/\(id)/carts"
        let patterns: [(String, NSRegularExpression)] = try OperationCatalog.all.flatMap { op in
            try ([op.path] + op.alternatePaths).map { template -> (String, NSRegularExpression) in
                let body = template.split(separator: "/").filter { $0.lowercased() != "v1" }.map { segment -> String in
                    segment.hasPrefix("{") ? "[^/]+" : NSRegularExpression.escapedPattern(for: String(segment))
                }.joined(separator: "/")
                return (op.name, try NSRegularExpression(pattern: "^(/v1)?/" + body + "$", options: [.caseInsensitive]))
            }
        }
        let literal = try NSRegularExpression(pattern: #""(/[^"\n]*)""#)
        var found: [String] = []
        for url in files {
            let text = try String(contentsOf: url, encoding: .utf8)
            for match in literal.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                guard let range = Range(match.range(at: 1), in: text) else { continue }
                let path = String(text[range].prefix { $0 != "?" })
                for (name, pattern) in patterns where pattern.firstMatch(in: path, range: NSRange(path.startIndex..., in: path)) != nil {
                    found.append("\(url.lastPathComponent): \(path) (\(name))")
                }
            }
        }
        #expect(found.isEmpty, "operation paths written outside the catalogue: \(found.sorted())")
    }
}
