import Foundation
import LuaRuntime

extension ScriptHost {
    /// The `pcx.sys` module: what the stdlib asks the host for (`getenv` decides in Swift so
    /// secrets never reach Lua; the output layout is pcx's one renderer, ``OutputRows``).
    static func systemFunctions(environment: [String: String]) -> [String: LuaFunction] {
        [
            "getenv": .sync { _, args in
                guard let name = args.first?.stringValue else { return .value(.nil) }
                return .value(ScriptPolicy.getenv(name, environment: environment).map { LuaValue($0) } ?? .nil)
            },
            "isatty": .sync { _, args in .value(.boolean(isatty(Int32(args.first?.intValue ?? 1)) != 0)) },
            "monotonic": .sync { _, _ in
                var ts = timespec()
                clock_gettime(CLOCK_MONOTONIC, &ts)
                return .value(.number(Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9))
            },
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
