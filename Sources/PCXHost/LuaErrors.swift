import Foundation
import LuaRuntime
import PartnerCenter

/// The metatable name of structured errors in Lua (`pc.Error`).
let pcErrorMetatable = "pc.Error"

/// Builds the Lua `pc.Error` table for a Partner Center error. Never contains secrets: the
/// client's errors are redacted at the source.
func luaErrorTable(_ e: PartnerCenterError) -> LuaValue {
    var fields: [String: LuaValue] = [
        "code": LuaValue(e.category.rawValue),
        "message": LuaValue(e.message),
    ]
    if let s = e.status { fields["status"] = .integer(Int64(s)) }
    if let c = e.pcCode { fields["pc_code"] = Int64(c).map(LuaValue.integer) ?? LuaValue(c) }
    if let r = e.requestId { fields["request_id"] = LuaValue(r) }
    if let c = e.correlationId { fields["correlation_id"] = LuaValue(c) }
    if let m = e.method { fields["method"] = LuaValue(m) }
    if let p = e.path { fields["path"] = LuaValue(p) }
    if let h = e.hint { fields["hint"] = LuaValue(h) }
    if let r = e.retryAfterSeconds { fields["retry_after"] = .number(r) }
    return .table(LuaTable(fields: fields, metatableName: pcErrorMetatable))
}

/// Builds the Lua `pc.Error` table for one of pcx's own errors.
func luaErrorTable(_ e: HostError) -> LuaValue {
    var fields: [String: LuaValue] = ["code": LuaValue(e.code.rawValue), "message": LuaValue(e.message)]
    if let h = e.hint { fields["hint"] = LuaValue(h) }
    return .table(LuaTable(fields: fields, metatableName: pcErrorMetatable))
}

extension PartnerCenterError: LuaRaisable {
    /// The `pc.Error` table raised in Lua.
    public var luaErrorValue: LuaValue { luaErrorTable(self) }
}

extension HostError: LuaRaisable {
    /// The `pc.Error` table raised in Lua.
    public var luaErrorValue: LuaValue { luaErrorTable(self) }
}

/// Converts any error thrown by host code into something Lua can raise with a stable shape.
func raisable(_ error: any Error) -> any Error {
    switch error {
    case is PartnerCenterError, is HostError, is LuaRaise: return error
    case is CancellationError:
        return PartnerCenterError(category: .cancelled, message: "the request was cancelled")
    default:
        return HostError(code: .scriptError, message: "\(error)")
    }
}

/// A script failure rendered for the terminal, and the exit code it maps to.
struct RenderedFailure {
    var text: String
    var exitCode: Int32
}

/// Renders a Lua error as pcx prints it: one line a person can act on, then the details and
/// the traceback (design.md §5).
func render(_ error: LuaError, showTraceback: Bool = true) -> RenderedFailure {
    var exit: Int32 = ExitCode.failure.rawValue
    var lines: [String] = []
    switch error.kind {
    case .syntax:
        exit = ExitCode.usage.rawValue
        lines.append("pcx: syntax error: \(error.location.map { "\($0): " } ?? "")\(stripLocation(error.message, location: error.location))")
    case .interrupted:
        exit = ExitCode.interrupted.rawValue
        lines.append("pcx: interrupted\(error.location.map { " at \($0)" } ?? "")")
    case .timeout:
        lines.append("pcx: timeout: the script ran past its --timeout\(error.location.map { " (at \($0))" } ?? "")")
        lines.append("  hint: raise --timeout, or make the script do less per run")
    case .memoryLimit:
        lines.append("pcx: memory_limit: the script used more than its --memory-limit\(error.location.map { " (at \($0))" } ?? "")")
        lines.append("  hint: raise --memory-limit, or stream with each()/each_line_item() instead of list()")
    case .exit:
        exit = error.exitCode ?? 0
    case .io:
        exit = ExitCode.usage.rawValue
        lines.append("pcx: \(error.message)")
    case .closed:
        lines.append("pcx: \(error.message)")
    case .runtime:
        if let table = error.value?.tableValue, table.metatableName == pcErrorMetatable || table["code"].stringValue != nil {
            let code = table["code"].stringValue ?? "script_error"
            if code == "policy_denied" { exit = ExitCode.refused.rawValue }
            if code == "interrupted" || code == "cancelled" { exit = ExitCode.interrupted.rawValue }
            lines.append("pcx: \(code): \(table["message"].stringValue ?? "error")")
            var details: [String] = []
            if let m = table["method"].stringValue, let p = table["path"].stringValue { details.append("\(m) \(p)") }
            if let r = table["request_id"].stringValue { details.append("request \(r)") }
            if let s = table["status"].intValue { details.append("HTTP \(s)") }
            if let c = table["pc_code"].stringValue ?? table["pc_code"].intValue.map({ String($0) }) { details.append("Partner Center code \(c)") }
            let whereText = table["where"].stringValue ?? error.location
            var second = details.isEmpty ? "" : "(\(details.joined(separator: ", ")))"
            if let w = whereText { second += (second.isEmpty ? "" : " ") + "at \(w)" }
            if !second.isEmpty { lines.append("  " + second) }
            if let h = table["hint"].stringValue { lines.append("  hint: \(h)") }
        } else if let table = error.value?.tableValue, table["usage"].boolValue == true {
            exit = ExitCode.usage.rawValue
            lines.append("pcx: \(table["message"].stringValue ?? "usage error")")
            if let help = table["help"].stringValue { lines.append(""); lines.append(help) }
            return RenderedFailure(text: lines.joined(separator: "\n"), exitCode: exit)
        } else {
            lines.append("pcx: error: \(error.location.map { "\($0): " } ?? "")\(stripLocation(error.message, location: error.location))")
        }
    }
    if showTraceback, error.kind != .syntax, error.kind != .exit, let tb = error.traceback, !tb.isEmpty {
        lines.append(tb)
    }
    return RenderedFailure(text: lines.joined(separator: "\n"), exitCode: exit)
}

/// Drops a leading `file:line: ` (or the given location) from a message (the location is printed
/// separately).
func stripLocation(_ message: String, location: String? = nil) -> String {
    if let location, message.hasPrefix(location + ": ") { return String(message.dropFirst(location.count + 2)) }
    guard let range = message.range(of: #"^[^\s:]+:\d+: "#, options: .regularExpression) else { return message }
    return String(message[range.upperBound...])
}
