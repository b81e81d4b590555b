import Foundation
import PartnerCenterModels

/// A batch of export lines: a JSON array of line objects (keys in the declared camelCase
/// spelling), from one blob.
public struct GraphBatch: Sendable {
    /// `[{...},{...}]`.
    public var json: Data
    /// Lines in the batch.
    public var count: Int
    /// The blob the lines come from, and its index in the manifest.
    public var blob: String
    public var blobIndex: Int
    /// The last batch of its blob.
    public var endOfBlob: Bool
}

/// Turns a blob's decompressed bytes into batches of lines: splits at `\n`, skips blank lines
/// and a BOM, rewrites keys to the declared spelling when the blob uses another (PascalCase,
/// documented aliases; percentages become rates), and skips the lines an earlier attempt at the
/// same blob already delivered.
final class LineAssembler {
    private let dataSet: GraphBilling.DataSet
    private let maxLines: Int
    private let maxBytes: Int
    private var partial: [UInt8] = []
    private var batch = Data()
    private var count = 0
    private var rewrite: Bool?
    private var first = true
    private var arrayBlob: [UInt8]?
    /// Complete lines seen in this blob (delivered or skipped).
    private(set) var linesSeen = 0
    private let skip: Int

    init(dataSet: GraphBilling.DataSet, skip: Int, maxLines: Int = 2048, maxBytes: Int = 1 << 20) {
        self.dataSet = dataSet
        self.skip = skip
        self.maxLines = maxLines
        self.maxBytes = maxBytes
        batch.reserveCapacity(maxBytes + 64 * 1024)
    }

    /// Takes decompressed bytes; returns full batches to emit.
    func take(_ chunk: UnsafeRawBufferPointer) -> [(Data, Int)] {
        var out: [(Data, Int)] = []
        var bytes = chunk
        if first {
            first = false
            bytes = Self.dropBOM(bytes)
            if Self.firstNonSpace(bytes) == UInt8(ascii: "[") { arrayBlob = [] }
        }
        if arrayBlob != nil { arrayBlob!.append(contentsOf: bytes); return out }
        var start = 0
        let n = bytes.count
        while start < n {
            guard let nl = Self.index(of: 10, in: bytes, from: start) else {
                partial.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<n]))
                break
            }
            if partial.isEmpty {
                line(UnsafeRawBufferPointer(rebasing: bytes[start..<nl]), &out)
            } else {
                partial.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<nl]))
                let whole = partial
                partial.removeAll(keepingCapacity: true)
                whole.withUnsafeBytes { line($0, &out) }
            }
            start = nl + 1
        }
        return out
    }

    /// The end of the blob: the last line (without `\n`) and the last, partial batch.
    func finish() throws -> [(Data, Int)] {
        var out: [(Data, Int)] = []
        if let array = arrayBlob {
            guard let items = try? JSONSerialization.jsonObject(with: Data(array)) as? [Any] else {
                throw PartnerCenterError(category: .serverError, message: "a blob starts with '[' but is not a JSON array of lines")
            }
            for item in items {
                let data = try JSONSerialization.data(withJSONObject: item)
                data.withUnsafeBytes { line($0, &out) }
            }
        } else if !partial.isEmpty {
            let whole = partial
            partial.removeAll()
            whole.withUnsafeBytes { line($0, &out) }
        }
        if count > 0 { out.append(flush()) }
        return out
    }

    private func line(_ raw: UnsafeRawBufferPointer, _ out: inout [(Data, Int)]) {
        var text = raw
        while let last = text.last, last == 13 || last == 32 || last == 9 { text = UnsafeRawBufferPointer(rebasing: text.dropLast()) }
        guard Self.firstNonSpace(text) != nil else { return }
        linesSeen += 1
        if linesSeen <= skip { return }
        if rewrite == nil { rewrite = KeyCanon.for(dataSet).needsRewrite(text) }
        batch.append(count == 0 ? UInt8(ascii: "[") : UInt8(ascii: ","))
        if rewrite == true {
            KeyCanon.for(dataSet).rewrite(text, into: &batch)
        } else {
            batch.append(text.bindMemory(to: UInt8.self))
        }
        count += 1
        if count >= maxLines || batch.count >= maxBytes { out.append(flush()) }
    }

    private func flush() -> (Data, Int) {
        batch.append(UInt8(ascii: "]"))
        let result = (batch, count)
        batch = Data()
        batch.reserveCapacity(maxBytes + 64 * 1024)
        count = 0
        return result
    }

    static func dropBOM(_ b: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        if b.count >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { return UnsafeRawBufferPointer(rebasing: b[3...]) }
        return b
    }

    static func firstNonSpace(_ b: UnsafeRawBufferPointer) -> UInt8? {
        for byte in b where !(byte == 32 || byte == 9 || byte == 10 || byte == 13) { return byte }
        return nil
    }

    static func index(of byte: UInt8, in b: UnsafeRawBufferPointer, from: Int) -> Int? {
        guard from < b.count, let base = b.baseAddress else { return nil }
        guard let hit = memchr(base + from, Int32(byte), b.count - from) else { return nil }
        return UnsafeRawPointer(hit) - base
    }
}

/// The declared spelling of every key of a data set, and a rewriter for lines that use another.
final class KeyCanon: Sendable {
    /// lower-cased key or alias → (declared name, value is a percentage to turn into a rate).
    let names: [[UInt8]: ([UInt8], Bool)]

    init(_ dataSet: GraphBilling.DataSet) {
        var names: [[UInt8]: ([UInt8], Bool)] = [:]
        for column in dataSet.columns {
            names[Array(column.name.lowercased().utf8)] = (Array(column.name.utf8), false)
            for alias in column.aliases {
                let lower = alias.lowercased()
                names[Array(lower.utf8)] = (Array(column.name.utf8), GraphBilling.percentAliases.contains(lower))
            }
        }
        self.names = names
    }

    static let reconciliation = KeyCanon(.reconciliation)
    static let usage = KeyCanon(.usage)
    static func `for`(_ dataSet: GraphBilling.DataSet) -> KeyCanon { dataSet == .reconciliation ? reconciliation : usage }

    /// Whether any top-level key of `line` is spelled otherwise than declared.
    func needsRewrite(_ line: UnsafeRawBufferPointer) -> Bool {
        var differs = false
        Self.scanKeys(line) { range in
            let key = Array(line[range])
            if let (name, _) = names[key.map(Self.lower)], name != key { differs = true }
        }
        return differs
    }

    /// Appends `line` to `out` with its top-level keys in the declared spelling; the value after
    /// a percentage alias (wherever it sits, however many) becomes a rate.
    func rewrite(_ line: UnsafeRawBufferPointer, into out: inout Data) {
        var cursor = 0
        var percentPending = false
        func copy(upTo end: Int) {
            let segment = UnsafeRawBufferPointer(rebasing: line[cursor..<end])
            if percentPending { out.append(contentsOf: Self.percentToRate(segment)) } else { out.append(contentsOf: segment) }
            percentPending = false
        }
        Self.scanKeys(line) { range in
            copy(upTo: range.lowerBound)
            let key = Array(line[range])
            if let (name, percent) = names[key.map(Self.lower)] {
                out.append(contentsOf: name)
                percentPending = percent
            } else {
                out.append(contentsOf: key)
            }
            cursor = range.upperBound
        }
        copy(upTo: line.count)
    }

    /// `"x": 15, ...` → `"x": 0.15, ...` (the text after a key, its value first).
    static func percentToRate(_ rest: UnsafeRawBufferPointer) -> [UInt8] {
        let bytes = Array(rest)
        var i = 0
        while i < bytes.count, bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: ":") || bytes[i] == 32 { i += 1 }
        var j = i
        while j < bytes.count, (bytes[j] >= 48 && bytes[j] <= 57) || bytes[j] == UInt8(ascii: ".") || bytes[j] == UInt8(ascii: "-") { j += 1 }
        guard j > i, let value = Decimal(string: String(decoding: bytes[i..<j], as: UTF8.self)) else { return bytes }
        let rate = NSDecimalNumber(decimal: value / 100).stringValue
        return Array(bytes[..<i]) + Array(rate.utf8) + Array(bytes[j...])
    }

    static func lower(_ b: UInt8) -> UInt8 { (b >= 65 && b <= 90) ? b + 32 : b }

    /// Calls `body` with the byte range (without quotes) of each key of the top-level object.
    static func scanKeys(_ line: UnsafeRawBufferPointer, _ body: (Range<Int>) -> Void) {
        var depth = 0
        var i = 0
        let n = line.count
        var expectKey = false
        while i < n {
            let c = line[i]
            if c == UInt8(ascii: "\"") {
                let start = i + 1
                var j = start
                while j < n, line[j] != UInt8(ascii: "\"") { j += line[j] == UInt8(ascii: "\\") ? 2 : 1 }
                if depth == 1 && expectKey { body(start..<min(j, n)) }
                expectKey = false
                i = j + 1
                continue
            }
            switch c {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                expectKey = depth == 1 && c == UInt8(ascii: "{")
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: ","): if depth == 1 { expectKey = true }
            default: break
            }
            i += 1
        }
    }
}
