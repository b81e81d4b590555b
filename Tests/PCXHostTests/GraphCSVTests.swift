import Foundation
@testable import PCXHost
import Testing

@Suite("Graph exports: CSV fields")
struct GraphCSVTests {
    static func field(_ text: String) -> String {
        var out: [UInt8] = []
        Array(text.utf8).withUnsafeBytes { CSVExportSink.appendField($0, to: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    @Test("a field is written as it came, quoted (quotes doubled) only when it holds a comma, a quote, CR or LF")
    func quoting() {
        #expect(Self.field("Contoso Ltd") == "Contoso Ltd")
        #expect(Self.field("0.10") == "0.10")
        #expect(Self.field("Contoso, Ltd") == "\"Contoso, Ltd\"")
        #expect(Self.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(Self.field("two\nlines") == "\"two\nlines\"")
        #expect(Self.field("cr\r") == "\"cr\r\"")
        #expect(Self.field("Zürich – Straße") == "Zürich – Straße")
        #expect(Self.field("") == "")
    }
}
