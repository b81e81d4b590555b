import Foundation
import PartnerCenterModels
@testable import PartnerCenterSandbox
import Testing

@Suite("Configuration and CLI spec parsing")
struct ConfigurationTests {
    @Test("durations parse units, combinations and bare seconds; bad ones name the option")
    func durations() throws {
        #expect(try SandboxDuration.parse("30s", option: "--order-lag") == 30)
        #expect(try SandboxDuration.parse("15m", option: "x") == 900)
        #expect(try SandboxDuration.parse("1h30m", option: "x") == 5400)
        #expect(try SandboxDuration.parse("250ms", option: "x") == 0.25)
        #expect(try SandboxDuration.parse("7d", option: "x") == 604_800)
        #expect(try SandboxDuration.parse("42", option: "x") == 42)
        for bad in ["", "soon", "15", "m15", "15q", "-3s", "1h30"] where bad != "15" {
            #expect(throws: SandboxConfigurationError.self) { try SandboxDuration.parse(bad, option: "--order-lag") }
        }
        do {
            _ = try SandboxDuration.parse("soon", option: "--order-lag")
        } catch let error as SandboxConfigurationError {
            #expect(error.code == "bad_duration")
            #expect(error.description.hasPrefix("--order-lag: 'soon'"))
        }
        #expect(SandboxDuration.format(5400) == "1h30m")
    }

    @Test("fault specs parse sequences, repeats, rates and wildcards; bad specs say what is wrong")
    func faults() throws {
        let plan = try FaultPlan.parse("carts.checkout=drop-after,busy;Carts.Create=503,ok,2*500;*=rate:0.05:503;orders.get=delay=2s,malformed,expired-token,drop-before")
        #expect(plan.rules.count == 4)
        #expect(plan.rules[0] == FaultRule(route: "carts.checkout", mode: .sequence([.dropAfter, .busy])))
        #expect(plan.rules[1] == FaultRule(route: "carts.create", mode: .sequence([.status(503), .pass, .status(500), .status(500)])))
        #expect(plan.rules[2] == FaultRule(route: "*", mode: .rate(0.05, .status(503))))
        #expect(plan.rules[3].mode == .sequence([.delay(2), .malformed, .expiredToken, .dropBefore]))
        #expect(try FaultPlan.parse(plan.description) == plan)
        #expect(try FaultPlan.parse("none").rules.isEmpty)
        for bad in ["checkout", "nowhere=500", "carts.checkout=700", "carts.checkout=rate:2:500", "carts.checkout=explode"] {
            #expect(throws: SandboxConfigurationError.self, "\(bad)") { try FaultPlan.parse(bad) }
        }
        do {
            _ = try FaultPlan.parse("nowhere=500")
        } catch let error as SandboxConfigurationError {
            #expect(error.code == "bad_fault_spec")
            #expect(error.message.contains("unknown route 'nowhere'"))
            #expect(error.message.contains("checkout"))
        }
    }

    @Test("rate-limit specs parse scopes and periods")
    func rateLimits() throws {
        let limits = try RateLimits.parse("partner=100/1m,customer=10/30s")
        #expect(limits.partner == RateLimit(requests: 100, per: 60))
        #expect(limits.customer == RateLimit(requests: 10, per: 30))
        #expect(try RateLimits.parse("customer=5/min").partner == RateLimits.default.partner)
        #expect(try RateLimits.parse("off") == .unlimited)
        #expect(try RateLimits.parse("partner=off").partner == nil)
        #expect(RateLimits.default.documented && RateLimits.default.partner == nil && RateLimits.default.customer == nil,
                "by default only the documented limits")
        #expect(try RateLimits.parse("documented=off").documented == false)
        #expect(try RateLimits.parse("listed=50/1m").listed == RateLimit(requests: 50, per: 60))
        #expect(try RateLimits.parse("listed=50/1m").documented)
        #expect(RateLimits.documentedLimit(perMinute: 500) == RateLimit(requests: 500, per: 60, burst: 83))
        for bad in ["partner", "tenant=5/1m", "partner=0/1m", "partner=5/fortnight", "documented=maybe"] {
            #expect(throws: SandboxConfigurationError.self, "\(bad)") { try RateLimits.parse(bad) }
        }
    }

    @Test("scale specs parse counts with k/m suffixes")
    func scale() throws {
        #expect(try SandboxScale.parse("lineitems=1000000") == SandboxScale(customers: 0, lineItems: 1_000_000, invoices: 0))
        #expect(try SandboxScale.parse("customers=2k,lineitems=1m,invoices=12") == SandboxScale(customers: 2000, lineItems: 1_000_000, invoices: 12))
        #expect(try SandboxScale.parse("bench").lineItems == 1_000_000)
        for bad in ["lineitems", "widgets=5", "lineitems=-1", "lineitems=lots"] {
            #expect(throws: SandboxConfigurationError.self, "\(bad)") { try SandboxScale.parse(bad) }
        }
    }

    @Test("CLI option strings build a configuration")
    func options() throws {
        let config = try SandboxConfiguration.fromOptions(host: "127.0.0.1", port: 0, db: ":memory:", seed: "42", scale: "lineitems=10",
                                                          faults: "carts.checkout=drop-after", orderLag: "30s", rateLimit: "customer=5/1m",
                                                          restrictedMarkets: "current")
        #expect(config.seed == 42)
        #expect(config.storage == .inMemory)
        #expect(config.orderLag == 30)
        #expect(config.scale.lineItems == 10)
        #expect(config.rateLimits.customer == RateLimit(requests: 5, per: 60))
        #expect(config.restrictedMarkets.contains("BR") && !config.restrictedMarkets.contains("IN"))
        #expect(try SandboxConfiguration.fromOptions(db: "/tmp/x.sqlite").storage == .file("/tmp/x.sqlite"))
        #expect(throws: SandboxConfigurationError.self) { try SandboxConfiguration.fromOptions(port: 70000) }
        #expect(throws: SandboxConfigurationError.self) { try SandboxConfiguration.fromOptions(seed: "abc") }
    }

    @Test("--graph specs set GraphSandboxOptions; a bad key or value names it and lists the valid keys")
    func graphSpec() throws {
        let graph = try SandboxConfiguration.fromOptions(graph: "manifest=link, Keys=PASCAL,prefix=none,permission=off,blob-lines=2000,ttl=2h,expired=410,sas=5m,rate=off,v1=error").graph
        #expect(graph.manifestMode == .navigationLink && graph.keyCase == .pascal && graph.reservationOrderPrefix == "")
        #expect(!graph.grantPermission && graph.linesPerBlob == 2000 && graph.operationLifetime == 7200 && graph.expiredStatus == 410)
        #expect(graph.sasLifetime == 300 && graph.rateLimit == nil && graph.v1CutoverMode == .error)
        #expect(try SandboxConfiguration.fromOptions().graph == GraphSandboxOptions())
        #expect(try SandboxConfiguration.fromOptions(graph: "rate=10/1s,not-started=0,running=0").graph.rateLimit == RateLimit(requests: 10, per: 1))
        let cases: [(spec: String, says: [String])] = [
            ("colour=blue", ["unknown key 'colour' in 'colour=blue'", "valid keys: manifest=inline|link, keys=camel|pascal"]),
            ("manifest=link,keys=upper", ["'keys=upper': keys takes camel|pascal", "v1=serve|empty|error"]),
            ("ttl=soon", ["'ttl=soon': ttl takes DURATION"]),
            ("permission=maybe", ["permission takes on|off"]),
            ("blob-lines=0", ["blob-lines takes N"]),
            ("expired=500", ["expired takes 404|410"]),
            ("manifest", ["'manifest': manifest takes inline|link"]),
        ]
        for (spec, says) in cases {
            do {
                _ = try SandboxConfiguration.fromOptions(graph: spec)
                Issue.record("--graph \(spec) was accepted")
            } catch let error as SandboxConfigurationError {
                #expect(error.code == "bad_graph_option" && error.option == "--graph")
                for text in says { #expect(error.message.contains(text), "\(spec): \(error.message)") }
                for key in GraphSandboxOptions.specKeys { #expect(error.message.contains("\(key.key)=\(key.values)")) }
            }
        }
    }
}

@Suite("Seeding and persistence")
struct PersistenceTests {
    @Test("the same seed gives the same partners, customers and catalog ids")
    func deterministic() async throws {
        var first: [String] = [], second: [String] = []
        try await withSandbox({ $0.seed = 99 }) { h in first = [h.first.tenantId, h.first.clientId] + (try await h.customers(try await h.token())).map(\.id) }
        try await withSandbox({ $0.seed = 99 }) { h in second = [h.first.tenantId, h.first.clientId] + (try await h.customers(try await h.token())).map(\.id) }
        #expect(first == second)
        #expect(first.count > 20)
        var other: [String] = []
        try await withSandbox({ $0.seed = 100 }) { h in other = [h.first.tenantId] }
        #expect(other[0] != first[0])
    }

    @Test("customers seek-page with MS-ContinuationToken and --scale customers grows the list")
    func customerPaging() async throws {
        try await withSandbox({ $0.scale = try! SandboxScale.parse("customers=74") }) { h in
            let token = try await h.token()
            var path = "/v1/customers?size=40"
            var headers: [(String, String)] = []
            var ids: [String] = []
            while true {
                let page = try await h.send(.GET, path, token: token, headers: headers).decode(SeekBasedResourceCollection<Customer>.self)
                ids += page.items.map(\.id)
                #expect(page.items.allSatisfy { $0.billingProfile == nil && $0.attributes?.objectType == "Customer" })
                guard let next = page.nextLink, let continuation = next.header("MS-ContinuationToken") else { break }
                path = "/v1" + next.uri!
                headers = [("MS-ContinuationToken", continuation)]
            }
            #expect(ids.count == 100)
            #expect(Set(ids).count == 100)
        }
    }

    @Test("state in a database file survives a restart and is not reseeded")
    func restart() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pcx-sandbox-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        var cartPath = ""
        var tenant = ""
        try await withSandbox({ $0.storage = .file(path) }) { h in
            let token = try await h.token()
            let customer = try #require(try await h.customers(token).first)
            let cart = try await h.send(.POST, "/v1/customers/\(customer.id)/carts", body: #"{"lineItems":[{"catalogItemId":"x","quantity":1,"billingCycle":"one_time"}]}"#, token: token).decode(Cart.self)
            cartPath = "/v1/customers/\(customer.id)/carts/\(cart.id!)"
            tenant = h.first.tenantId
        }
        try await withSandbox({ $0.storage = .file(path); $0.seed = 12345 }) { h in
            #expect(h.first.tenantId == tenant)
            let result = try await h.send(.GET, cartPath, token: try await h.token())
            #expect(result.status == 200)
        }
    }
}
