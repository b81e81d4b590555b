import Foundation
import PartnerCenterSandbox
import Testing

/// The package root (found from this file's path).
let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The built `pcx` binary (`swift build --build-tests` / `make test` build it first).
let pcxBinary: URL = packageRoot.appendingPathComponent(".build/debug/pcx")

/// What one pcx run did.
struct PCXResult: Sendable, CustomStringConvertible {
    /// The exit status (128 + signal when killed by a signal).
    var status: Int32
    var stdout: String
    var stderr: String
    /// Whether the process was killed by a signal.
    var signaled: Bool

    var description: String { "exit \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }

    /// stdout decoded as a JSON object.
    func json() throws -> [String: Any] {
        guard let obj = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any] else {
            throw TestFailure("stdout is not a JSON object:\n\(self)")
        }
        return obj
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A pcx subprocess: stdin is /dev/null, stdout and stderr go to files.
final class PCXProcess: @unchecked Sendable {
    let process = Process()
    private let outURL: URL
    private let errURL: URL

    init(arguments: [String], environment: [String: String], directory: URL, stdin: String? = nil) throws {
        let id = UUID().uuidString.prefix(8)
        outURL = directory.appendingPathComponent("pcx-\(id).out")
        errURL = directory.appendingPathComponent("pcx-\(id).err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.executableURL = pcxBinary
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = directory
        if let stdin {
            let inURL = directory.appendingPathComponent("pcx-\(id).in")
            try Data(stdin.utf8).write(to: inURL)
            process.standardInput = try FileHandle(forReadingFrom: inURL)
        } else {
            process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        }
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
    }

    func start() throws {
        guard FileManager.default.isExecutableFile(atPath: pcxBinary.path) else {
            throw TestFailure("\(pcxBinary.path) is missing: run `swift build` (make test builds it) first")
        }
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    /// Sends SIGKILL.
    func kill9() { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    /// Waits for the exit (killing the process after `timeout` seconds, which fails the test).
    func wait(timeout: Double) async -> PCXResult {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                Issue.record("pcx \(process.arguments ?? []) did not finish within \(timeout) s; killed")
                kill9()
                break
            }
            try? await Task.sleep(for: .milliseconds(25))
        }
        process.waitUntilExit()
        let out = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
        let signaled = process.terminationReason == .uncaughtSignal
        return PCXResult(status: signaled ? 128 + process.terminationStatus : process.terminationStatus,
                         stdout: out, stderr: err, signaled: signaled)
    }
}

/// A seeded customer as the discovery script reports it.
struct SeededCustomer: Decodable, Sendable {
    struct Sub: Decodable, Sendable {
        var id: String
        var offer: String
        var status: String
        var registration: String?
    }
    var id: String
    var country: String
    var name: String
    var domain: String
    var subscriptions: [Sub]
}

/// A seeded invoice (total as exact decimal text).
struct SeededInvoice: Decodable, Sendable {
    var id: String
    var type: String
    var currency: String
    var total: String
}

/// What the sandbox holds, discovered through pcx itself (ids are not hard-coded).
struct World: Decodable, Sendable {
    var customers: [SeededCustomer]
    var invoices: [SeededInvoice]

    static let excludedMarkets = ["BR", "CN", "IN", "RU", "KR", "TW", "HK"]

    /// An allowed-market customer and one of its active MS-AZR-0145P subscriptions whose
    /// registration status is `registration` (e.g. "NotRegistered", "Registered").
    func azure(registration: String, skipping: Int = 0) throws -> (customer: String, subscription: String) {
        var found: [(String, String)] = []
        for c in customers where !Self.excludedMarkets.contains(c.country.uppercased()) {
            for s in c.subscriptions where s.offer == "MS-AZR-0145P" && s.status.lowercased() == "active"
                && s.registration?.lowercased() == registration.lowercased() {
                found.append((c.id, s.id))
            }
        }
        guard found.count > skipping else { throw TestFailure("the seed has no \(registration) Azure subscription #\(skipping + 1)") }
        return found[skipping]
    }

    /// A customer in `country` and one of its subscriptions.
    func customer(in country: String) throws -> (customer: String, subscription: String) {
        guard let c = customers.first(where: { $0.country.uppercased() == country }),
              let s = c.subscriptions.first(where: { $0.offer == "MS-AZR-0145P" }) ?? c.subscriptions.first else {
            throw TestFailure("the seed has no customer in \(country)")
        }
        return (c.id, s.id)
    }

    func invoice(type: String, currency: String? = nil) throws -> SeededInvoice {
        guard let inv = invoices.first(where: { $0.type.lowercased() == type.lowercased() && (currency == nil || $0.currency == currency) }) else {
            throw TestFailure("the seed has no \(type) invoice")
        }
        return inv
    }
}

/// One end-to-end environment: an in-process sandbox on loopback (port 0, in memory, short
/// delays), a fresh data and config directory, and the environment pcx needs to reach it.
final class EndToEnd: @unchecked Sendable {
    let sandbox: PartnerCenterSandbox
    let directory: URL
    let out: URL
    let environment: [String: String]

    private init(sandbox: PartnerCenterSandbox, directory: URL) throws {
        self.sandbox = sandbox
        self.directory = directory
        out = directory.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PCX_") && !$0.key.hasPrefix("XDG_") }
        for (k, v) in sandbox.credentials.environment(endpoint: sandbox.endpoint) { env[k] = v }
        env["PCX_DATA_DIR"] = directory.appendingPathComponent("data").path
        env["PCX_CONFIG_DIR"] = directory.appendingPathComponent("config").path
        env["HOME"] = directory.path
        environment = env
    }

    /// Starts a sandbox (with `faults` active from the start, if given).
    static func start(faults: String? = nil, orderLag: Double = 0.2, orderCompletion: Double = 0.2, registrationDelay: Double = 0.3,
                      onRequest: (@Sendable (SandboxObservedRequest) -> Void)? = nil) async throws -> EndToEnd {
        var config = SandboxConfiguration()
        config.onRequest = onRequest
        config.port = 0
        config.storage = .inMemory
        config.orderLag = orderLag
        config.orderCompletionDelay = orderCompletion
        config.registrationDelay = registrationDelay
        config.rateLimits = .unlimited
        if let faults { config.faults = try FaultPlan.parse(faults) }
        let sandbox = try await PartnerCenterSandbox.start(config)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pcx-e2e-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return try EndToEnd(sandbox: sandbox, directory: URL(fileURLWithPath: dir.resolvingSymlinksInPath().path))
    }

    func shutdown() async {
        await sandbox.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Starts pcx with `arguments` (and `stdin` as its standard input, else /dev/null).
    func spawn(_ arguments: [String], stdin: String? = nil) throws -> PCXProcess {
        let p = try PCXProcess(arguments: arguments, environment: environment, directory: directory, stdin: stdin)
        try p.start()
        return p
    }

    /// Runs pcx to the end.
    func run(_ arguments: [String], stdin: String? = nil, timeout: Double = 240) async throws -> PCXResult {
        let p = try spawn(arguments, stdin: stdin)
        return await p.wait(timeout: timeout)
    }

    /// Runs a Lua script (written to a file) through `pcx run`.
    func lua(_ source: String, arguments: [String] = [], flags: [String] = []) async throws -> PCXResult {
        let file = directory.appendingPathComponent("script-\(UUID().uuidString.prefix(8)).lua")
        try source.write(to: file, atomically: true, encoding: .utf8)
        return try await run(["run"] + flags + [file.path] + arguments)
    }

    /// The last sequence number in the sandbox's request log (to look at a run's requests only).
    var logMark: Int { sandbox.requestLog.entries.last?.sequence ?? 0 }

    /// Requests since `mark` for `route`.
    func requests(route: String, since mark: Int = 0) -> [SandboxRequestLogEntry] {
        sandbox.requestLog.entries(route: route, since: mark)
    }

    /// Mutating requests (POST/PUT/PATCH/DELETE, not the token endpoint or admin) since `mark`.
    func writes(since mark: Int) -> [SandboxRequestLogEntry] {
        sandbox.requestLog.entries(since: mark).filter {
            ["POST", "PUT", "PATCH", "DELETE"].contains($0.method.uppercased()) && $0.route != "token" && $0.route != "admin"
        }
    }

    /// Orders the sandbox created (checkouts that committed, replays excluded).
    var ordersCreated: Int { requests(route: "carts.checkout").filter { $0.mutated && !$0.replayed }.count }

    /// Discovers customers, subscriptions (with registration status) and invoices.
    func world() async throws -> World {
        let r = try await lua(#"""
        local json, ri, money = require "json", require "reservations", require "money"
        local rows = pc.map(pc.customers.list(), function(c)
          local cust = pc.customers.get(c.id)
          local subs = {}
          for _, s in ipairs(pc.subscriptions.list(c.id)) do
            local reg
            if s.billingType == "usage" then reg = pc.subscriptions.registration_status(c.id, s.id).status end
            subs[#subs + 1] = { id = s.id, offer = s.offerId or "", status = s.status or "", registration = reg }
          end
          local profile = cust.companyProfile or {}
          return { id = c.id, country = ri.customer_country(cust) or "", name = profile.companyName or "",
            domain = profile.domain or "", subscriptions = subs }
        end, { concurrency = 8 })
        local invoices = {}
        for inv in pc.invoices.each() do
          invoices[#invoices + 1] = { id = inv.id, type = inv.invoiceType or "", currency = inv.currencyCode,
            total = money.new(inv.totalCharges or 0, inv.currencyCode):amount() }
        end
        print(json.encode({ customers = rows, invoices = invoices }))
        """#)
        guard r.status == 0 else { throw TestFailure("discovery failed: \(r)") }
        return try JSONDecoder().decode(World.self, from: Data(r.stdout.utf8))
    }

    /// The one-time (reserved-instance) orders of a customer, as Partner Center lists them.
    func oneTimeOrders(_ customer: String) async throws -> [String] {
        let r = try await lua(#"""
        for _, o in ipairs(pc.orders.list(arg[1], { billing_type = "onetime" })) do print(o.id) end
        """#, arguments: [customer])
        guard r.status == 0 else { throw TestFailure("listing orders failed: \(r)") }
        return r.stdout.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    /// `pcx playbook run purchase-reserved-vm` for a customer and subscription.
    func purchase(_ customer: String, _ subscription: String, quantity: Int = 1, flags: [String]) async throws -> PCXResult {
        try await run(["playbook", "run", "purchase-reserved-vm"] + flags + [
            "--customer", customer, "--subscription", subscription, "--sku", "Standard_D2_v3", "--region", "eastus",
            "--term", "1Year", "--quantity", String(quantity), "--wait", "120",
        ])
    }
}

/// Runs `body` with a fresh end-to-end environment, always shutting it down.
func withEndToEnd(faults: String? = nil, orderLag: Double = 0.2, orderCompletion: Double = 0.2, registrationDelay: Double = 0.3,
                  onRequest: (@Sendable (SandboxObservedRequest) -> Void)? = nil,
                  _ body: (EndToEnd) async throws -> Void) async throws {
    let e2e = try await EndToEnd.start(faults: faults, orderLag: orderLag, orderCompletion: orderCompletion,
                                       registrationDelay: registrationDelay, onRequest: onRequest)
    do {
        try await body(e2e)
    } catch {
        await e2e.shutdown()
        throw error
    }
    await e2e.shutdown()
}

/// Parses RFC 4180 CSV text into rows of fields.
func parseCSV(_ text: String) -> [[String]] {
    var rows: [[String]] = []
    var row: [String] = []
    var field = ""
    var quoted = false
    var chars = Array(text)[...]
    while let c = chars.popFirst() {
        if quoted {
            if c == "\"" {
                if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false }
            } else { field.append(c) }
        } else if c == "\"" {
            quoted = true
        } else if c == "," {
            row.append(field); field = ""
        } else if c == "\n" || c == "\r\n" {
            row.append(field); field = ""
            rows.append(row); row = []
        } else if c == "\r" {
            continue
        } else {
            field.append(c)
        }
    }
    if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
    return rows
}

/// An exact decimal as a table shows it for `currency`: grouped thousands, its minor units
/// (with `exact`, every digit it has besides: `money:format { exact = true }`).
func shownAmount(_ amount: String, _ currency: String, exact: Bool = false) -> String {
    var minor = ["JPY": 0, "KRW": 0, "KWD": 3, "BHD": 3][currency] ?? 2
    if exact, let point = amount.firstIndex(of: ".") { minor = max(minor, amount.distance(from: point, to: amount.endIndex) - 1) }
    var value = Decimal(string: amount) ?? 0
    var rounded = Decimal()
    NSDecimalRound(&rounded, &value, minor, .plain)
    let formatter = NumberFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.numberStyle = .decimal
    formatter.usesGroupingSeparator = true
    formatter.groupingSeparator = ","
    formatter.groupingSize = 3
    formatter.minimumFractionDigits = minor
    formatter.maximumFractionDigits = minor
    return formatter.string(from: rounded as NSDecimalNumber) ?? amount
}
