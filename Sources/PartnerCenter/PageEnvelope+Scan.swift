import CJSONScan
import Foundation

extension PageEnvelope {
    /// Finds the top-level members `links` and `continuationToken` of a page without decoding
    /// its `items`: one pass over the bytes that skips strings and nested values. A 2 MB page of
    /// line items costs a fraction of a full `JSONDecoder` pass, which matters because the page
    /// is decoded again (into Lua tables) by its consumer. Returns nil when the body is not a
    /// well-formed top-level object (the caller falls back to a full decode).
    static func scan(_ body: Data) -> PageEnvelope? {
        let found = body.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> (Range<Int>?, Range<Int>?)? in
            guard let p = raw.bindMemory(to: UInt8.self).baseAddress else { return nil }
            return ByteScan.topLevelMembers(p, raw.count)
        }
        guard let (links, token) = found else { return nil }
        var envelope = PageEnvelope(links: nil, continuationToken: nil)
        let decoder = JSONDecoder()
        if let r = links {
            guard let value = try? decoder.decode(Links?.self, from: body.subdata(in: r)) else { return nil }
            envelope.links = value
        }
        if let r = token {
            guard let value = try? decoder.decode(String?.self, from: body.subdata(in: r)) else { return nil }
            envelope.continuationToken = value
        }
        return envelope
    }
}

/// The byte scanner behind `PageEnvelope.scan`: plain functions over a pointer and a count, each
/// returning the index just past what it skipped (nil when the input ends first or is malformed).
enum ByteScan {
    static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")

    /// The byte ranges of the top-level `links` and `continuationToken` values.
    static func topLevelMembers(_ p: UnsafePointer<UInt8>, _ n: Int) -> (Range<Int>?, Range<Int>?)? {
        var i = skipSpace(p, n, 0)
        guard i < n, p[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        var links: Range<Int>?, token: Range<Int>?
        while true {
            i = skipSpace(p, n, i)
            guard i < n else { return nil }
            if p[i] == UInt8(ascii: "}") { break }
            guard p[i] == quote, let keyEnd = endOfString(p, n, i) else { return nil }
            let key = UnsafeRawBufferPointer(start: p + i + 1, count: keyEnd - 1 - (i + 1))
            i = skipSpace(p, n, keyEnd)
            guard i < n, p[i] == UInt8(ascii: ":") else { return nil }
            let valueStart = skipSpace(p, n, i + 1)
            guard let valueEnd = endOfValue(p, n, valueStart) else { return nil }
            if key.elementsEqual("links".utf8) { links = valueStart..<valueEnd }
            else if key.elementsEqual("continuationToken".utf8) { token = valueStart..<valueEnd }
            i = skipSpace(p, n, valueEnd)
            guard i < n else { return nil }
            if p[i] == UInt8(ascii: ",") { i += 1; continue }
            if p[i] == UInt8(ascii: "}") { break }
            return nil
        }
        return (links, token)
    }

    @inline(__always)
    static func skipSpace(_ p: UnsafePointer<UInt8>, _ n: Int, _ start: Int) -> Int {
        var i = start
        while i < n, p[i] == 0x20 || p[i] == 0x0A || p[i] == 0x0D || p[i] == 0x09 { i += 1 }
        return i
    }

    /// Past the string whose opening quote is at `start`. Eight bytes at a time until a word may
    /// hold a '"' or '\\' (pages are mostly string bytes).
    @inline(__always)
    static func endOfString(_ p: UnsafePointer<UInt8>, _ n: Int, _ start: Int) -> Int? {
        var i = start + 1
        while true {
            while n - i >= 8 {
                let v = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                let q = v ^ 0x2222_2222_2222_2222, b = v ^ 0x5C5C_5C5C_5C5C_5C5C
                let m = (((q &- 0x0101_0101_0101_0101) & ~q) | ((b &- 0x0101_0101_0101_0101) & ~b))
                    & 0x8080_8080_8080_8080
                if m != 0 { i += m.trailingZeroBitCount >> 3; break }
                i += 8
            }
            guard i < n else { return nil }
            let c = p[i]
            if c == backslash { i += 2; continue }
            i += 1
            if c == quote { return i }
        }
    }

    /// Past the value starting at `start` (a string, an object or array with everything inside
    /// it, or a scalar up to the next delimiter).
    static func endOfValue(_ p: UnsafePointer<UInt8>, _ n: Int, _ start: Int) -> Int? {
        var i = start
        guard i < n else { return nil }
        switch p[i] {
        case quote:
            return endOfString(p, n, i)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            // 64 bytes at a time in C (a page's `items` is megabytes of strings)
            let end = pcx_json_skip_container(p, n, i)
            return end < 0 ? nil : end
        default:
            while i < n, p[i] != UInt8(ascii: ","), p[i] != UInt8(ascii: "}"), p[i] != UInt8(ascii: "]"),
                  p[i] != 0x20, p[i] != 0x0A, p[i] != 0x0D, p[i] != 0x09 { i += 1 }
            return i
        }
    }
}
