import Foundation
import Testing
@testable import PartnerCenter

@Suite("page envelope scan")
struct PageEnvelopeScanTests {
    @Test func findsTopLevelLinksAndTokenPastItemsThatLookLikeThem() throws {
        let body = Data(#"""
            {"totalCount":2,"items":[{"links":{"next":{"uri":"/wrong"}},"note":"a \"links\": {} in a string"},
             {"nested":[[{"continuationToken":"no"}]],"x":"\\"}],
             "continuationToken":"tok,1/2=",
             "links":{"self":{"uri":"/a"},"next":{"uri":"/invoices/G1/lineitems?seekOperation=Next","method":"GET",
               "headers":[{"key":"MS-ContinuationToken","value":"tok,1/2="}]}},
             "attributes":{"objectType":"Collection"}}
            """#.utf8)
        let e = try #require(PageEnvelope.scan(body))
        #expect(e.next?.uri == "/invoices/G1/lineitems?seekOperation=Next")
        #expect(e.next?.headers?.first?.value == "tok,1/2=")
        #expect(e.continuationToken == "tok,1/2=")
    }

    @Test func longStringsWithEscapesAtEveryOffsetAreSkippedExactly() throws {
        // the scanner skips strings eight bytes at a time: put '"' and '\\' escapes at every
        // offset within a word, and decoys that would be found if a string end were misplaced
        var items: [String] = []
        for len in 0..<40 {
            for at in 0...min(len, 17) {
                var chars = Array(repeating: "x", count: len)
                if at < len { chars[at] = #"\""# }
                if at + 1 < len { chars[at + 1] = #"\\"# }
                items.append(#"{"s":""# + chars.joined() + #"","links":{"next":{"uri":"/decoy"}}}"#)
            }
        }
        let body = Data((#"{"items":["# + items.joined(separator: ",") + #"],"links":{"next":{"uri":"/real"}}}"#).utf8)
        #expect(try JSONSerialization.jsonObject(with: body) is [String: Any])
        let e = try #require(PageEnvelope.scan(body))
        #expect(e.next?.uri == "/real")
        // an unterminated long string is malformed, not read past the end
        #expect(PageEnvelope.scan(Data(#"{"items":["abcdefghijklmnopqrstuvwxyz0123456789"#.utf8)) == nil)
        #expect(PageEnvelope.scan(Data(#"{"items":["abcdefghijklmnopqrstuvwxyz012345678\"#.utf8)) == nil)
    }

    @Test func containersAreSkippedExactlyWhateverFallsOnTheBlockBoundaries() throws {
        // the skip works on 64-byte blocks: random nesting, strings with brackets, quotes and
        // backslashes inside them, at every alignment; the end must be exactly the closer
        var rng = SystemRandomNumberGenerator()
        func string() -> String {
            let parts = ["x", "{", "]", "[", "}", #"\""#, #"\\"#, "é", ",", ":", " ", "abcdefghijklmnop"]
            return "\"" + (0..<Int.random(in: 0...12, using: &rng)).map { _ in parts.randomElement(using: &rng)! }.joined() + "\""
        }
        func value(_ depth: Int) -> String {
            switch depth > 3 ? Int.random(in: 0...1, using: &rng) : Int.random(in: 0...3, using: &rng) {
            case 0: return string()
            case 1: return String(Int.random(in: -999...999, using: &rng))
            case 2: return "[" + (0..<Int.random(in: 0...5, using: &rng)).map { _ in value(depth + 1) }.joined(separator: ",") + "]"
            default:
                return "{" + (0..<Int.random(in: 0...5, using: &rng)).map { _ in string() + ":" + value(depth + 1) }
                    .joined(separator: ",") + "}"
            }
        }
        for round in 0..<400 {
            let padding = String(repeating: " ", count: round % 64)
            let container = Int.random(in: 0...1, using: &rng) == 0
                ? "[" + (0..<20).map { _ in value(1) }.joined(separator: ",") + "]"
                : "{" + (0..<20).map { _ in string() + ":" + value(1) }.joined(separator: ",") + "}"
            let bytes = Array((padding + container + #"]}"x"{"#).utf8)
            let start = padding.utf8.count
            let end = bytes.withUnsafeBufferPointer { ByteScan.endOfValue($0.baseAddress!, $0.count, start) }
            #expect(end == start + container.utf8.count, "round \(round): \(container)")
            // cut anywhere inside: never an end past the input
            let cut = Array(bytes[..<(start + container.utf8.count - 1)])
            let short = cut.withUnsafeBufferPointer { ByteScan.endOfValue($0.baseAddress!, $0.count, start) }
            #expect(short == nil)
        }
    }

    @Test func aPageWithoutNextHasNoNext() throws {
        let e = try #require(PageEnvelope.scan(Data(#"{"items":[1,2,3],"links":{"self":{"uri":"/x"}},"totalCount":3}"#.utf8)))
        #expect(e.next == nil)
        #expect(e.continuationToken == nil)
    }

    @Test func malformedBodiesAreNotScanned() {
        #expect(PageEnvelope.scan(Data(#"{"items":[1,2"#.utf8)) == nil)
        #expect(PageEnvelope.scan(Data(#"[1,2]"#.utf8)) == nil)
        #expect(PageEnvelope.scan(Data(#"{"links": {"next": 5}}"#.utf8)) == nil)
        #expect(PageEnvelope.parse(Data("<html>".utf8)) == nil)
    }

    @Test func scanAgreesWithAFullDecode() throws {
        let body = Data(#"{"links":{"next":{"uri":"/customers?size=2","headers":[]}},"continuationToken":"abc","items":[{"id":"1"}]}"#.utf8)
        let scanned = try #require(PageEnvelope.scan(body))
        let decoded = try JSONDecoder().decode(PageEnvelope.self, from: body)
        #expect(scanned.next?.uri == decoded.next?.uri)
        #expect(scanned.continuationToken == decoded.continuationToken)
    }
}
