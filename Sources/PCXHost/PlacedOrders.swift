import Foundation

/// An order this run placed (a checkout, or an MS-AZR-0145P order, that Partner Center
/// accepted). When the run then fails or is stopped (Ctrl-C while waiting for the order, a
/// timeout), the error says so: the order stands, and how to follow it.
struct PlacedOrder: Sendable, Equatable {
    /// The purchase's journal entry.
    let journalId: Int64
    let customer: String
    /// The order ids.
    let orders: [String]
}

extension Session {
    /// Remembers an order placed by this run (once per journal entry).
    func notePlaced(_ order: PlacedOrder) {
        guard !order.orders.isEmpty else { return }
        placed.withLock { all in
            if !all.contains(where: { $0.journalId == order.journalId }) { all.append(order) }
        }
    }

    /// `rendered` (a failure as pcx prints it: text, or one JSON line) with what this run placed:
    /// a `note:` line before the traceback, or a `placed` array in the JSON error; unchanged when
    /// nothing was placed.
    func withPlacedNote(_ rendered: String) -> String {
        let placed = placed.withLock { $0 }
        guard !placed.isEmpty, !rendered.isEmpty else { return rendered }
        if rendered.hasPrefix(#"{"error":{"#), rendered.hasSuffix("}}") {
            let items = placed.map { p in
                #"{"journal_id":\#(p.journalId),"customer":\#(jsonString(p.customer)),"orders":[\#(p.orders.map(jsonString).joined(separator: ","))]}"#
            }
            return String(rendered.dropLast(2)) + #","placed":["# + items.joined(separator: ",") + "]}}"
        }
        var lines = rendered.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let at = lines.firstIndex(of: "stack traceback:") ?? lines.count
        lines.insert("  note: " + Self.placedText(placed), at: at)
        return lines.joined(separator: "\n")
    }

    /// `this run placed order X for customer C (journal entry 7) before it ended; it stands: …`.
    static func placedText(_ placed: [PlacedOrder]) -> String {
        let orders = placed.flatMap(\.orders)
        let what = placed.map { p in
            "\(p.orders.joined(separator: ", ")) for customer \(p.customer) (journal entry \(p.journalId))"
        }.joined(separator: "; ")
        let entries = placed.map { "`pcx journal show \($0.journalId)`" }.joined(separator: ", ")
        let one = orders.count == 1
        return "this run placed order\(one ? "" : "s") \(visible(what)) before it ended; \(one ? "it stands" : "they stand"): "
            + "follow \(one ? "it" : "them") with \(entries), or re-run the same command (it finds the purchase made and waits for \(one ? "the order" : "the orders"); nothing is bought again)"
    }
}
