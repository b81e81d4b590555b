import Foundation
import Synchronization

/// One injected misbehaviour.
public enum FaultAction: Sendable, Equatable, CustomStringConvertible {
    /// Behave normally (a placeholder inside scripted sequences).
    case pass
    /// Answer with this HTTP status and an ApiFault body (429 gets the throttling body and `Retry-After`).
    case status(Int)
    /// Wait this many (real) seconds, then behave normally.
    case delay(Double)
    /// Close the connection before doing anything (nothing is committed).
    case dropBefore
    /// Do the work and commit it, then close the connection without answering.
    case dropAfter
    /// Do the work, then answer 200 with a truncated, unparseable JSON body.
    case malformed
    /// Refuse the bearer token as expired (401).
    case expiredToken
    /// Answer 409 / 800064, what Partner Center says to a checkout while another request is
    /// processing the same cart (nothing is committed).
    case busy
    /// Graph exports: the operation the POST starts ends `failed` (code 5000, "No data available").
    case failOperation
    /// Graph operation GET: the operation is lost (this and every later GET answer 404).
    case lost
    /// Blob GET: 403 `AuthenticationFailed` as for an expired SAS (nothing else changes, so a
    /// client that renews the SAS and retries gets the blob).
    case expiredSAS
    /// Blob GET: the gzip stream ends early (about half the lines, no gzip trailer).
    case truncated

    /// The spec spelling.
    public var description: String {
        switch self {
        case .pass: return "ok"
        case .status(let code): return String(code)
        case .delay(let seconds): return "delay=\(SandboxDuration.format(seconds))"
        case .dropBefore: return "drop-before"
        case .dropAfter: return "drop-after"
        case .malformed: return "malformed"
        case .expiredToken: return "expired-token"
        case .busy: return "busy"
        case .failOperation: return "fail-operation"
        case .lost: return "lost"
        case .expiredSAS: return "expired-sas"
        case .truncated: return "truncated"
        }
    }

    static func parse(_ text: String, rule: String) throws -> FaultAction {
        let lower = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch lower {
        case "ok", "pass": return .pass
        case "drop-before", "drop", "dropbefore", "drop_before": return .dropBefore
        case "drop-after", "dropafter", "drop_after": return .dropAfter
        case "malformed", "malformed-json", "garbage": return .malformed
        case "expired-token", "expired", "expiredtoken", "expired_token": return .expiredToken
        case "busy": return .busy
        case "fail-operation", "failoperation", "fail_operation", "failed": return .failOperation
        case "lost", "lose": return .lost
        case "expired-sas", "expiredsas", "expired_sas", "sas-expired": return .expiredSAS
        case "truncated", "truncate", "truncated-gzip": return .truncated
        default: break
        }
        if lower.hasPrefix("delay=") || lower.hasPrefix("delay:") {
            return .delay(try SandboxDuration.parse(String(lower.dropFirst(6)), option: "--faults"))
        }
        if let code = Int(lower), (400...599).contains(code) { return .status(code) }
        throw SandboxConfigurationError(code: "bad_fault_spec", option: "--faults",
            message: "'\(text)' in rule '\(rule)' is not a fault; use a status 400-599, delay=DURATION, drop-before, drop-after, malformed, expired-token, busy, fail-operation, lost, expired-sas, truncated or ok")
    }
}

/// A fault rule for one route: a scripted sequence (consumed one request at a time, then normal)
/// or a rate (each request independently, deterministic from the seed).
public struct FaultRule: Sendable, Equatable, CustomStringConvertible {
    /// How the rule picks requests.
    public enum Mode: Sendable, Equatable {
        /// Each request takes the next action; afterwards requests pass.
        case sequence([FaultAction])
        /// Each request gets `action` with this probability (0…1).
        case rate(Double, FaultAction)
    }
    /// Route name (see ``SandboxRoutes/names``) or `*` for every API route.
    public var route: String
    /// How actions are chosen.
    public var mode: Mode

    /// Makes a rule.
    public init(route: String, mode: Mode) {
        self.route = route
        self.mode = mode
    }

    /// The spec spelling.
    public var description: String {
        switch mode {
        case .sequence(let actions): return "\(route)=\(actions.map(\.description).joined(separator: ","))"
        case .rate(let probability, let action): return "\(route)=rate:\(probability):\(action)"
        }
    }
}

/// The fault rules in force.
///
/// Spec syntax (`--faults SPEC`, `POST /_sandbox/faults`): rules separated by `;`, each
/// `ROUTE=PLAN`. ROUTE is an operation name such as `carts.checkout`, `carts.create`, `orders.get` (see
/// ``SandboxRoutes/names``; case-insensitive) or `*`. PLAN is either a sequence of actions
/// separated by `,` — each may be repeated as `N*ACTION` — consumed one per matching request
/// and then exhausted, or `rate:P:ACTION` applying ACTION with probability P to every request.
/// Actions: an HTTP status `400`–`599`, `delay=DURATION`, `drop-before`, `drop-after`,
/// `malformed`, `expired-token`, `busy` (409 / 800064), `ok`; for Graph reconciliation v2:
/// `fail-operation` (on an export: its operation ends failed), `lost` (on `graph_billing.operation`:
/// 404 from then on), `expired-sas` and `truncated` (on `graph_billing.blob`: 403
/// AuthenticationFailed, or a gzip stream that ends early).
///
/// Example: `carts.checkout=drop-after;carts.create=503,ok,2*500;*=rate:0.05:503`.
public struct FaultPlan: Sendable, Equatable, CustomStringConvertible {
    /// Rules in order; the first rule naming the route wins, `*` rules apply when none does.
    public var rules: [FaultRule]

    /// Makes a plan.
    public init(rules: [FaultRule] = []) { self.rules = rules }

    /// The spec spelling of the whole plan.
    public var description: String { rules.map(\.description).joined(separator: ";") }

    /// Parses a spec (see the type's documentation). An empty spec or `none` is no faults.
    /// - Throws: ``SandboxConfigurationError`` (`bad_fault_spec`) naming the bad rule.
    public static func parse(_ spec: String) throws -> FaultPlan {
        let trimmed = spec.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty || trimmed.lowercased() == "none" { return FaultPlan() }
        var rules: [FaultRule] = []
        for ruleText in trimmed.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) where !ruleText.isEmpty {
            func bad(_ why: String) -> SandboxConfigurationError {
                SandboxConfigurationError(code: "bad_fault_spec", option: "--faults",
                    message: "rule '\(ruleText)': \(why); expected ROUTE=ACTION[,ACTION...] or ROUTE=rate:P:ACTION, e.g. carts.checkout=drop-after;carts.create=503,ok")
            }
            let pieces = ruleText.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pieces.count == 2, !pieces[0].isEmpty, !pieces[1].isEmpty else { throw bad("missing ROUTE=PLAN") }
            let route = pieces[0]
            guard route == "*" || SandboxRoutes.canonicalName(route) != nil else {
                throw bad("unknown route '\(route)' (known: \(SandboxRoutes.names.joined(separator: ", ")), or *)")
            }
            let canonical = route == "*" ? "*" : SandboxRoutes.canonicalName(route)!
            let plan = pieces[1]
            if plan.lowercased().hasPrefix("rate:") {
                let parts = plan.split(separator: ":", maxSplits: 2).map(String.init)
                guard parts.count == 3, let probability = Double(parts[1]), (0...1).contains(probability) else {
                    throw bad("rate needs a probability between 0 and 1, e.g. rate:0.1:503")
                }
                rules.append(FaultRule(route: canonical, mode: .rate(probability, try FaultAction.parse(parts[2], rule: ruleText))))
            } else {
                var actions: [FaultAction] = []
                for item in plan.split(separator: ",") {
                    let text = item.trimmingCharacters(in: .whitespaces)
                    if let star = text.firstIndex(of: "*"), let count = Int(text[..<star]), count > 0, count <= 10_000 {
                        let action = try FaultAction.parse(String(text[text.index(after: star)...]), rule: ruleText)
                        actions.append(contentsOf: Array(repeating: action, count: count))
                    } else {
                        actions.append(try FaultAction.parse(text, rule: ruleText))
                    }
                }
                rules.append(FaultRule(route: canonical, mode: .sequence(actions)))
            }
        }
        return FaultPlan(rules: rules)
    }
}

/// The live fault state: rules plus how far each scripted sequence has been consumed.
final class FaultInjector: Sendable {
    private struct State {
        var rules: [FaultRule]
        var positions: [Int]
        var random: SplitMix64
    }
    private let state: Mutex<State>

    init(plan: FaultPlan, seed: UInt64) {
        state = Mutex(State(rules: plan.rules, positions: Array(repeating: 0, count: plan.rules.count), random: SplitMix64(seed: seed ^ 0xFA17)))
    }

    /// Replaces (or appends to) the rules; scripted positions restart.
    func install(_ plan: FaultPlan, append: Bool) {
        state.withLock {
            $0.rules = append ? $0.rules + plan.rules : plan.rules
            $0.positions = Array(repeating: 0, count: $0.rules.count)
        }
    }

    /// The rules in force (sequences show only their unconsumed actions).
    var plan: FaultPlan {
        state.withLock { state in
            FaultPlan(rules: state.rules.enumerated().compactMap { index, rule in
                guard case .sequence(let actions) = rule.mode else { return rule }
                let rest = Array(actions.dropFirst(state.positions[index]))
                return rest.isEmpty ? nil : FaultRule(route: rule.route, mode: .sequence(rest))
            })
        }
    }

    /// The action for one request to `route` (consumes a scripted step).
    func next(route: String) -> FaultAction {
        state.withLock { state in
            let specific = state.rules.indices.first { state.rules[$0].route == route && Self.live(state, $0) }
            guard let index = specific ?? state.rules.indices.first(where: { state.rules[$0].route == "*" && Self.live(state, $0) }) else {
                return .pass
            }
            switch state.rules[index].mode {
            case .sequence(let actions):
                let action = actions[state.positions[index]]
                state.positions[index] += 1
                return action
            case .rate(let probability, let action):
                return state.random.nextUnit() < probability ? action : .pass
            }
        }
    }

    private static func live(_ state: State, _ index: Int) -> Bool {
        if case .sequence(let actions) = state.rules[index].mode { return state.positions[index] < actions.count }
        return true
    }
}

/// A tiny deterministic PRNG (SplitMix64) for seeded data and fault rates.
struct SplitMix64: Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
