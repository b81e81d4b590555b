import Foundation
import PartnerCenterModels

// The lines of Graph reconciliation v2 blobs (addendum §3.8, §3.9), keyed by the columns
// `GraphBilling` declares: camelCase as declared, or PascalCase behind a switch; `basic` keeps
// only the columns flagged basic. Money and quantities are exact JSON numbers, dates ISO-8601 `Z`.

/// How lines are written: key case, attribute set, data set (its declared columns).
struct GraphLineStyle: Sendable {
    let columns: [(key: [UInt8], column: GraphBilling.Column)]
    /// What tells styles apart (for template caches).
    let cacheKey: String

    init(keyCase: GraphSandboxOptions.KeyCase, basic: Bool, dataSet: GraphBilling.DataSet) {
        cacheKey = "\(dataSet)|\(keyCase)|\(basic)"
        columns = dataSet.columns.filter { !basic || $0.basic }.map { column in
            let key = keyCase == .pascal ? column.name.prefix(1).uppercased() + column.name.dropFirst() : column.name
            return (Array("\"\(key)\":".utf8), column)
        }
    }

    /// One JSON object (no newline) from a row of values by column name; a missing value is ""
    /// for text and null for numbers and dates.
    func encode(_ row: [String: JSONValue], to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "{"))
        for (position, entry) in columns.enumerated() {
            if position > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: entry.key)
            if let value = row[entry.column.name] {
                Self.append(value, to: &bytes)
            } else {
                bytes.append(contentsOf: entry.column.type == .decimal || entry.column.type == .date ? Array("null".utf8) : [34, 34])
            }
        }
        bytes.append(UInt8(ascii: "}"))
    }

    static func append(_ value: JSONValue, to bytes: inout [UInt8]) {
        switch value {
        case .string(let text): appendString(text, to: &bytes)
        case .number(let number): bytes.append(contentsOf: "\(number)".utf8)
        case .bool(let flag): bytes.append(contentsOf: (flag ? "true" : "false").utf8)
        case .null: bytes.append(contentsOf: "null".utf8)
        case .array(let items):
            bytes.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                append(item, to: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let object):
            bytes.append(UInt8(ascii: "{"))
            for (index, key) in object.keys.sorted().enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                appendString(key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                append(object[key]!, to: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    static func appendString(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(34)
        for byte in text.utf8 {
            switch byte {
            case 34: bytes.append(contentsOf: [92, 34])
            case 92: bytes.append(contentsOf: [92, 92])
            case 10: bytes.append(contentsOf: [92, 110])
            case 13: bytes.append(contentsOf: [92, 114])
            case 9: bytes.append(contentsOf: [92, 116])
            case 0..<32: bytes.append(contentsOf: Array(String(format: "\\u%04x", byte).utf8))
            default: bytes.append(byte)
            }
        }
        bytes.append(34)
    }
}

/// The lines of one export, by index (stored ones materialized, generated ones made as served).
protocol GraphLineSource: Sendable {
    var count: Int { get }
    /// What identifies the data when it is generated (its eTag input); nil: hash the lines.
    var identity: String? { get }
    /// The writer of these lines in a style (one per response).
    func writer(style: GraphLineStyle) -> any GraphLineWriter
}

/// Lines made from stored data (seeded and bought), held as rows of values.
struct StoredGraphLines: GraphLineSource {
    let rows: [[String: JSONValue]]
    var count: Int { rows.count }
    var identity: String? { nil }
    func writer(style: GraphLineStyle) -> any GraphLineWriter { RowLineWriter(rows: rows, style: style) }
}

/// Turns v1 lines and usage facts into rows of values by column name.
enum GraphRows {
    /// A v1 one-time line (the same charge v1 `invoices.line_items` serves) as a v2 reconciliation
    /// row: its properties by name (the v1 names are the v2 columns), dates and numbers normalized,
    /// `chargeType` lower camel (`new`, `cycleCharge`), the purchase-channel prefix on
    /// `reservationOrderId`, and blank `invoiceNumber`/`billingFrequency` on unbilled lines.
    static func recon(_ line: OneTimeInvoiceLineItem, unbilled: Bool, prefix: String) -> [String: JSONValue] {
        var row: [String: JSONValue] = [:]
        for child in Mirror(reflecting: line).children {
            guard let label = child.label else { continue }
            if let text = child.value as? String { row[label] = .string(text) }
            else if let number = child.value as? Decimal { row[label] = .number(number) }
            else if let date = child.value as? Date { row[label] = .string(SandboxEngine.graphDate(date, fraction: false)) }
            else if let list = child.value as? [String] { row[label] = .array(list.map { .string($0) }) }
        }
        if case .string(let charge)? = row["chargeType"], let first = charge.first {
            row["chargeType"] = .string(first.lowercased() + charge.dropFirst())
        }
        if case .string(let id)? = row["reservationOrderId"], !id.isEmpty { row["reservationOrderId"] = .string(prefix + id) }
        if row["subscriptionStartDate"] == nil { row["subscriptionStartDate"] = row["chargeStartDate"] }
        if row["subscriptionEndDate"] == nil { row["subscriptionEndDate"] = row["chargeEndDate"] }
        if case .string(let text)? = row["priceAdjustmentDescription"], text.isEmpty { row["priceAdjustmentDescription"] = .string("[]") }
        if unbilled {
            row["invoiceNumber"] = .string("")
            row["billingFrequency"] = .string("")
        }
        return row
    }
}
