import Foundation
import PartnerCenter

/// The filters of `pcx journal list`, as typed (each nil when not given).
public struct JournalQuery: Sendable {
    /// `--customer`: a tenant id.
    public var customer: String?
    /// `--state`: states, comma-separated (`succeeded,unknown`).
    public var state: String?
    /// `--target`: `sandbox`, or an endpoint URL.
    public var target: String?
    /// `--since`: a date, a date-time, or a duration back from now.
    public var since: String?

    public init(customer: String? = nil, state: String? = nil, target: String? = nil, since: String? = nil) {
        self.customer = customer
        self.state = state
        self.target = target
        self.since = since
    }

    /// Whether any filter was given.
    var isEmpty: Bool { customer == nil && state == nil && target == nil && since == nil }

    /// The journal's filter.
    /// - Throws: ``ErrorReport`` (an input error naming the option and what it takes).
    func filter(now: Date = Date()) throws(JournalQueryError) -> Journal.Filter {
        var filter = Journal.Filter()
        if let customer {
            let id = customer.trimmingCharacters(in: .whitespaces)
            guard id.range(of: #"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"#, options: .regularExpression) != nil else {
                throw JournalQueryError(.input("--customer takes a customer's tenant id (the journal keeps ids), got '\(visible(customer))'",
                                               hint: "`pcx journal list` shows the customers' ids"))
            }
            filter.customer = id
        }
        if let state { filter.states = try Self.states(state) }
        if let target { filter.endpoint = try Self.endpoint(target) }
        if let since { filter.since = try Self.since(since, now: now) }
        return filter
    }

    static func states(_ text: String) throws(JournalQueryError) -> [JournalEntry.State] {
        let names = JournalEntry.State.allCases.map(\.rawValue)
        var out: [JournalEntry.State] = []
        for word in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: "-", with: "_") }) {
            guard let state = JournalEntry.State(rawValue: word) else {
                let suggestion = closestName(to: word, in: names).map { " (did you mean \($0)?)" } ?? ""
                throw JournalQueryError(.input("--state: no state '\(visible(word))'\(suggestion)", hint: "states: \(names.joined(separator: ", ")) (several: --state unknown,pending)"))
            }
            out.append(state)
        }
        guard !out.isEmpty else { throw JournalQueryError(.input("--state is empty", hint: "states: \(names.joined(separator: ", "))")) }
        return out
    }

    static func endpoint(_ text: String) throws(JournalQueryError) -> String {
        let word = text.trimmingCharacters(in: .whitespaces)
        if word.lowercased() == "sandbox" { return "sandbox" }
        let canonical = CanonicalTarget.canonicalEndpoint(word)
        guard canonical.hasPrefix("https://") || canonical.hasPrefix("http://") else {
            throw JournalQueryError(.input("--target takes sandbox or an endpoint URL, got '\(visible(text))'",
                                           hint: "e.g. --target sandbox, or --target https://api.partnercenter.microsoft.com (the Target column shows them)"))
        }
        return canonical
    }

    static func since(_ text: String, now: Date) throws(JournalQueryError) -> Date {
        let word = text.trimmingCharacters(in: .whitespaces)
        let iso = ISO8601DateFormatter()
        if let date = iso.date(from: word) { return date }
        iso.formatOptions = [.withFullDate]
        if word.count == 10, let day = iso.date(from: word) { return day }
        if !word.hasPrefix("-"), let back = try? PCXCommands.parseDuration(word) { return now.addingTimeInterval(-back) }
        throw JournalQueryError(.input("--since takes a date, a date-time or a duration back from now, got '\(visible(text))'",
                                       hint: "e.g. --since 2026-01-31, --since 2026-01-31T09:00:00Z, --since 24h or --since 7d"))
    }
}

/// A bad `pcx journal list` filter (an input error, exit 2).
struct JournalQueryError: Error {
    let report: ErrorReport
    init(_ report: ErrorReport) { self.report = report }
}
