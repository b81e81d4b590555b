import CJSONScan
import Foundation
import PartnerCenterModels

/// One line of an export batch, tokenised: the value of each declared column (by index), as a
/// byte range of the batch and its JSON kind. Nothing is decoded until a sink asks.
struct FlatValue {
    /// `s` string, `n` number, `t`/`f` boolean, `z` null, `o` raw nested JSON.
    var kind: UInt8
    var escaped: Bool
    var range: Range<Int>
}

/// Reads batches (`[{...},...]`) into rows of declared columns. Lines of one blob keep their keys
/// in one order, so the column of each field position is remembered and a key is looked up only
/// when it differs from the one seen at that position before.
final class FlatBatchReader {
    let columns: [GraphBilling.Column]
    private var keys: KeyColumns
    private var fields = [pcx_flat_field](repeating: pcx_flat_field(), count: 256)
    /// The values of the current row, by column index (nil: absent).
    private var row: [FlatValue?]

    init(_ dataSet: GraphBilling.DataSet) {
        columns = dataSet.columns
        keys = KeyColumns(columns)
        row = Array(repeating: nil, count: columns.count)
    }

    /// Calls `body` once per line of `batch` with the row filled in; `bytes` is the batch.
    /// The reader's state is moved into locals for the loop (no exclusivity check per field).
    func forEachRow(_ batch: Data, _ body: (UnsafeRawBufferPointer, [FlatValue?]) throws -> Void) throws {
        var keys = self.keys, fields = self.fields, row = self.row
        defer { (self.keys, self.fields, self.row) = (keys, fields, row) }
        try batch.withUnsafeBytes { raw in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
            var pos = 0
            while true {
                let count = fields.withUnsafeMutableBufferPointer { pcx_json_flat_next(base, raw.count, &pos, $0.baseAddress, Int32($0.count)) }
                if count == -1 { return }
                guard count >= 0 else { throw usage("an export line is not a flat JSON object (near byte \(pos) of a batch)") }
                for i in 0..<row.count { row[i] = nil }
                for i in 0..<Int(count) {
                    let f = fields[i]
                    let key = UnsafeRawBufferPointer(rebasing: raw[Int(f.key_off)..<Int(f.key_off + f.key_len)])
                    guard let column = keys.column(at: i, key) else { continue }
                    let start = Int(f.val_off)
                    row[column] = FlatValue(kind: f.kind, escaped: f.escaped != 0, range: start..<(start + Int(f.val_len)))
                }
                try body(raw, row)
            }
        }
    }

    /// The column of each key. Lines of one blob keep their keys in one order, so the column of
    /// each field position is remembered and a key is looked up only when it differs from the one
    /// seen at that position before.
    struct KeyColumns {
        private let lookup: [[UInt8]: Int]
        private var cachedKeys: [[UInt8]] = []
        private var cachedColumns: [Int] = []

        init(_ columns: [GraphBilling.Column]) {
            var lookup: [[UInt8]: Int] = [:]
            for (i, c) in columns.enumerated() { lookup[Array(c.name.utf8)] = i }
            self.lookup = lookup
        }

        mutating func column(at position: Int, _ key: UnsafeRawBufferPointer) -> Int? {
            if position < cachedKeys.count, cachedKeys[position].withUnsafeBytes({ $0.count == key.count && (key.isEmpty || memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0) }) {
                let c = cachedColumns[position]
                return c >= 0 ? c : nil
            }
            let bytes = Array(key)
            let c = lookup[bytes] ?? -1
            while cachedKeys.count <= position {
                cachedKeys.append([])
                cachedColumns.append(-1)
            }
            cachedKeys[position] = bytes
            cachedColumns[position] = c
            return c >= 0 ? c : nil
        }
    }

    private var scratch = [UInt8](repeating: 0, count: 256)

    /// Calls `body` with a value's UTF-8 bytes, without making a String: a string unescaped (into
    /// a buffer reused between calls), a number as written, `true`/`false`, nested JSON raw; nil for
    /// null. `stable` says the bytes outlive the call (they are the batch's, or a literal's).
    func withBytes<R>(_ raw: UnsafeRawBufferPointer, _ v: FlatValue,
                      _ body: (_ bytes: UnsafeRawBufferPointer?, _ stable: Bool) throws -> R) rethrows -> R {
        switch v.kind {
        case UInt8(ascii: "z"): return try body(nil, true)
        case UInt8(ascii: "t"): return try body(Self.literal("true"), true)
        case UInt8(ascii: "f"): return try body(Self.literal("false"), true)
        default:
            let slice = UnsafeRawBufferPointer(rebasing: raw[v.range])
            guard v.escaped, let source = slice.baseAddress else { return try body(slice, true) }
            if scratch.count < slice.count { scratch = [UInt8](repeating: 0, count: slice.count * 2) }
            return try scratch.withUnsafeMutableBytes { out in
                let n = pcx_json_unescape(source.assumingMemoryBound(to: UInt8.self), slice.count, out.baseAddress!.assumingMemoryBound(to: UInt8.self))
                return n < 0 ? try body(slice, true) : try body(UnsafeRawBufferPointer(rebasing: out[0..<n]), false)
            }
        }
    }

    private static func literal(_ s: StaticString) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount)
    }

    /// A value's text: a string unescaped, a number as written, booleans `true`/`false`, nested JSON raw; nil for null.
    static func text(_ raw: UnsafeRawBufferPointer, _ v: FlatValue) -> String? {
        switch v.kind {
        case UInt8(ascii: "z"): return nil
        case UInt8(ascii: "t"): return "true"
        case UInt8(ascii: "f"): return "false"
        default:
            let slice = UnsafeRawBufferPointer(rebasing: raw[v.range])
            guard v.escaped else { return String(decoding: slice, as: UTF8.self) }
            return unescaped(slice)
        }
    }

    static func unescaped(_ slice: UnsafeRawBufferPointer) -> String {
        var out = [UInt8](repeating: 0, count: slice.count + 4)
        let n = out.withUnsafeMutableBufferPointer { d in
            pcx_json_unescape(slice.baseAddress!.assumingMemoryBound(to: UInt8.self), slice.count, d.baseAddress)
        }
        return n < 0 ? String(decoding: slice, as: UTF8.self) : String(decoding: out[0..<n], as: UTF8.self)
    }

    /// A decimal column's value, exactly (numbers and numeric strings).
    static func decimal(_ raw: UnsafeRawBufferPointer, _ v: FlatValue?) -> Decimal? {
        guard let v, v.kind == UInt8(ascii: "n") || v.kind == UInt8(ascii: "s") else { return nil }
        if let plain = WireDecimal.parsePlain(UnsafeRawBufferPointer(rebasing: raw[v.range])) { return plain }
        return WireDecimal.parse(String(decoding: UnsafeRawBufferPointer(rebasing: raw[v.range]), as: UTF8.self))
    }
}

/// Exact running totals per customer and currency (reconciliation: `totalForCustomer` by
/// `currency`; usage: `billingPreTaxTotal` by `billingCurrency`), for the reconcile check.
struct ExportTotals {
    private var sums: [String: [String: ExactSum]] = [:]
    private let customer: Int?, amount: Int?, currency: Int?, name: Int?
    /// Each customer's name (`customerName`, the first one seen), by the same key as the totals.
    private(set) var names: [String: String] = [:]
    /// The customer whose name was last looked for: lines come grouped, so most rows skip it.
    private var lastNamed: String?
    /// The last row's customer and currency bytes and their keys: lines come grouped, so most rows
    /// reuse them without making a String.
    private var lastCustomer: (bytes: [UInt8], key: String) = ([], "")
    private var lastCurrency: (bytes: [UInt8], key: String) = ([], "")

    init(_ dataSet: GraphBilling.DataSet) {
        let names = dataSet.columns.map(\.name)
        customer = names.firstIndex(of: "customerId")
        amount = names.firstIndex(of: dataSet == .reconciliation ? "totalForCustomer" : "billingPreTaxTotal")
        currency = names.firstIndex(of: dataSet == .reconciliation ? "currency" : "billingCurrency")
        name = names.firstIndex(of: "customerName")
    }

    /// The totals: customer (lower-case, no `org:`) → currency (upper-case) → exact sum.
    var byCustomer: [String: [String: Decimal]] { sums.mapValues { $0.mapValues(\.value) } }

    mutating func add(_ raw: UnsafeRawBufferPointer, _ row: [FlatValue?]) {
        guard let amount, let v = row[amount], v.kind == UInt8(ascii: "n") || v.kind == UInt8(ascii: "s") else { return }
        let text = UnsafeRawBufferPointer(rebasing: raw[v.range])
        let who = Self.key(raw, customer.flatMap { row[$0] }, &lastCustomer) { text in
            let lower = text.lowercased()
            return lower.hasPrefix("org:") ? String(lower.dropFirst(4)) : lower
        }
        let cur = Self.key(raw, currency.flatMap { row[$0] }, &lastCurrency) { $0.uppercased() }
        if who != lastNamed {
            lastNamed = who
            if names[who] == nil, let value = name.flatMap({ row[$0] }), let text = FlatBatchReader.text(raw, value), !text.isEmpty {
                names[who] = text
            }
        }
        if let parts = WireDecimal.plainParts(text) {
            sums[who, default: [:]][cur, default: ExactSum()].add(mantissa: parts.mantissa, scale: parts.scale, negative: parts.negative)
        } else if let value = FlatBatchReader.decimal(raw, v) {
            sums[who, default: [:]][cur, default: ExactSum()].add(value)
        }
    }

    /// Adds a stored row's amount (decimal text), customer, currency and customer name.
    mutating func add(customer: String, currency: String, amount: String, name: String? = nil) {
        guard let value = WireDecimal.parse(amount) else { return }
        var who = customer.lowercased()
        if who.hasPrefix("org:") { who.removeFirst(4) }
        if let name, !name.isEmpty, names[who] == nil { names[who] = name }
        sums[who, default: [:]][currency.uppercased(), default: ExactSum()].add(value)
    }

    /// A value's key, made by `normalize` only when its bytes differ from the last row's.
    private static func key(_ raw: UnsafeRawBufferPointer, _ value: FlatValue?, _ last: inout (bytes: [UInt8], key: String),
                            _ normalize: (String) -> String) -> String {
        guard let value, value.kind == UInt8(ascii: "s") || value.kind == UInt8(ascii: "n") else { return "" }
        let bytes = UnsafeRawBufferPointer(rebasing: raw[value.range])
        if !value.escaped, last.bytes.count == bytes.count,
           last.bytes.withUnsafeBytes({ bytes.isEmpty || memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }) { return last.key }
        let key = normalize(FlatBatchReader.text(raw, value) ?? "")
        last = (value.escaped ? [] : Array(bytes), key)
        return key
    }
}
