import Foundation

extension PageEnvelope {
    /// Finds the top-level members `links` and `continuationToken` of a page without decoding
    /// its `items`: one pass over the bytes that skips strings and nested values. A 2 MB page of
    /// line items costs a fraction of a full `JSONDecoder` pass, which matters because the page
    /// is decoded again (into Lua tables) by its consumer. Returns nil when the body is not a
    /// well-formed top-level object (the caller falls back to a full decode).
    static func scan(_ body: Data) -> PageEnvelope? {
        body.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> PageEnvelope? in
            guard let p = raw.bindMemory(to: UInt8.self).baseAddress else { return nil }
            let n = raw.count
            var i = 0
            func ws() { while i < n, p[i] == 0x20 || p[i] == 0x0A || p[i] == 0x0D || p[i] == 0x09 { i += 1 } }
            /// Skips a string starting at the opening quote; false when unterminated. Eight bytes
            /// at a time until a word may hold a '"' or '\\' (pages are mostly string bytes).
            func skipString() -> Bool {
                i += 1
                while true {
                    while n - i >= 8 {
                        let v = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                        let q = v ^ 0x2222_2222_2222_2222, b = v ^ 0x5C5C_5C5C_5C5C_5C5C
                        let m = (((q &- 0x0101_0101_0101_0101) & ~q) | ((b &- 0x0101_0101_0101_0101) & ~b))
                            & 0x8080_8080_8080_8080
                        if m != 0 { i += m.trailingZeroBitCount >> 3; break }
                        i += 8
                    }
                    guard i < n else { return false }
                    let c = p[i]
                    if c == UInt8(ascii: "\\") { i += 2; continue }
                    i += 1
                    if c == UInt8(ascii: "\"") { return true }
                }
            }
            /// Skips any value; false when malformed.
            func skipValue() -> Bool {
                guard i < n else { return false }
                switch p[i] {
                case UInt8(ascii: "\""):
                    return skipString()
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    var depth = 0
                    while i < n {
                        let c = p[i]
                        if c == UInt8(ascii: "\"") { if !skipString() { return false }; continue }
                        if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { depth += 1 }
                        else if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                            depth -= 1
                            if depth == 0 { i += 1; return true }
                        }
                        i += 1
                    }
                    return false
                default:
                    while i < n, p[i] != UInt8(ascii: ","), p[i] != UInt8(ascii: "}"), p[i] != UInt8(ascii: "]"),
                          p[i] != 0x20, p[i] != 0x0A, p[i] != 0x0D, p[i] != 0x09 { i += 1 }
                    return true
                }
            }
            ws()
            guard i < n, p[i] == UInt8(ascii: "{") else { return nil }
            i += 1
            var links: Range<Int>?, token: Range<Int>?
            while true {
                ws()
                guard i < n else { return nil }
                if p[i] == UInt8(ascii: "}") { break }
                guard p[i] == UInt8(ascii: "\"") else { return nil }
                let keyStart = i + 1
                guard skipString() else { return nil }
                let key = UnsafeRawBufferPointer(start: p + keyStart, count: i - 1 - keyStart)
                ws()
                guard i < n, p[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                ws()
                let valueStart = i
                guard skipValue() else { return nil }
                if key.elementsEqual("links".utf8) { links = valueStart..<i }
                else if key.elementsEqual("continuationToken".utf8) { token = valueStart..<i }
                ws()
                guard i < n else { return nil }
                if p[i] == UInt8(ascii: ",") { i += 1; continue }
                if p[i] == UInt8(ascii: "}") { break }
                return nil
            }
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
}
