import Foundation
import PartnerCenterModels
import Testing

/// The LuaLS stubs type every column `GraphBilling` declares, and nothing it does not: the
/// declaration is the one list; the stubs follow it.
@Suite("Graph line stubs")
struct GraphStubsTests {
    /// The `---@field` names of a `---@class` block in `stdlib/meta/pc.lua`.
    private func fields(of className: String) throws -> [String] {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("stdlib/meta/pc.lua"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(lines.firstIndex(of: "---@class \(className)"), "no ---@class \(className)")
        var names: [String] = []
        for line in lines[(start + 1)...] {
            guard line.hasPrefix("---@field ") else { break }
            let name = line.dropFirst("---@field ".count).split(separator: " ").first.map { String($0).replacingOccurrences(of: "?", with: "") }
            if let name { names.append(name) }
        }
        return names
    }

    @Test("pc.ReconciliationLine and pc.UsageLine list exactly the declared columns, in order")
    func everyColumnTyped() throws {
        #expect(try fields(of: "pc.ReconciliationLine") == GraphBilling.reconciliationColumns.map(\.name))
        #expect(try fields(of: "pc.UsageLine") == GraphBilling.usageColumns.map(\.name))
    }

    @Test("every export the catalogue declares is bound and documented")
    func everyExportDocumented() throws {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("stdlib/meta/pc.lua"), encoding: .utf8)
        for export in GraphBilling.exports {
            let signature = export.scope == .billed ? "function pc.\(export.name)(invoice_id, opts) end" : "function pc.\(export.name)(opts) end"
            #expect(text.contains(signature), "\(signature) is missing from stdlib/meta/pc.lua")
            #expect(OperationCatalog.named(export.operation)?.host == .graph)
        }
    }
}
