import Foundation
import LuaRuntime

extension ScriptHost {
    /// `pcx.sys`'s output functions: display width and pcx's one renderer, ``OutputRows``.
    static func outputFunctions() -> [String: LuaFunction] {
        [
            "display_width": .sync { _, args in .value(.integer(Int64(displayWidth(args.first?.stringValue ?? "")))) },
            "render_rows": .sync { _, args in renderRows(args) },
        ]
    }

    /// `render_rows(format, columns, rows)`: columns are `{header =, key =, right =}`, rows arrays
    /// of cell strings (the `output` module prepares both). Returns the text, or raises.
    private static func renderRows(_ args: [LuaValue]) -> LuaHostResult {
        guard args.count == 3, let name = args[0].stringValue, let format = OutputFormat(rawValue: name),
              let columnTable = args[1].tableValue, let rowTable = args[2].tableValue else {
            return .error(LuaValue("pcx.sys.render_rows: expected (format, columns, rows)"))
        }
        let columns = columnTable.array.map { c in
            OutputRows.Column(c.tableValue?["header"].stringValue ?? "", key: c.tableValue?["key"].stringValue,
                              rightAligned: c.tableValue?["right"].boolValue ?? false)
        }
        let rows = rowTable.array.map { row in row.tableValue?.array.map { $0.stringValue ?? "" } ?? [] }
        return .value(LuaValue(OutputRows(columns: columns, rows: rows).render(format)))
    }
}
