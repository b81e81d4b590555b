import Foundation
import LuaRuntime
import PartnerCenter

/// The metatable name of structured errors in Lua (`pc.Error`).
let pcErrorMetatable = "pc.Error"

/// Builds the Lua `pc.Error` table for an error. Never contains secrets: the client's errors
/// are redacted at the source.
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
    if e.outcomeUnknown { fields["outcome_unknown"] = true }
    return .table(LuaTable(fields: fields, metatableName: pcErrorMetatable))
}

extension PartnerCenterError: LuaRaisable {
    /// The `pc.Error` table raised in Lua.
    public var luaErrorValue: LuaValue { luaErrorTable(self) }
}

/// Converts any error thrown by host code into something Lua can raise with a stable shape.
func raisable(_ error: any Error) -> any Error {
    switch error {
    case is PartnerCenterError, is LuaRaise: return error
    case let e as JournalWriteError: return e.reported
    case is CancellationError:
        return PartnerCenterError(category: .cancelled, message: "the request was cancelled")
    default:
        return PartnerCenterError(category: .scriptError, message: "\(error)")
    }
}

/// A script failure rendered for the terminal, and the exit code it maps to.
struct RenderedFailure {
    var text: String
    var exitCode: Int32
    /// The error behind the text, when there is one (its fields go into a JSON log line).
    var report: ErrorReport?

    /// Prints the failure on stderr: the text, or under `--log-format json` without `--json` one
    /// JSON log line (``errorLogLine(_:report:exitCode:)``), so every line pcx writes is JSON.
    func print(logFormat: LogFormat, json: Bool) {
        guard !text.isEmpty else { return }
        if logFormat == .json && !json {
            writeAll(2, errorLogLine(text, report: report, exitCode: exitCode))
        } else {
            printError(text)
        }
    }
}

/// An error as a JSON log line at level `error`: the text pcx would print (without `pcx: `) as
/// its message, with its hint and notes, and the error's code, exit status, request id, HTTP
/// status, Partner Center code and script location as metadata.
func errorLogLine(_ text: String, report: ErrorReport?, exitCode: Int32) -> String {
    var metadata = ["exit_code": String(exitCode)]
    if let report {
        metadata["code"] = report.error.category.rawValue
        if let v = report.error.requestId { metadata["request_id"] = v }
        if let v = report.error.status { metadata["status"] = String(v) }
        if let v = report.error.pcCode { metadata["pc_code"] = v }
        if let v = report.location { metadata["where"] = v }
    }
    let message = text.hasPrefix("pcx: ") ? String(text.dropFirst(5)) : text
    return CLILogHandler.jsonLine(level: "error", source: "pcx", message: message, metadata: metadata)
}

/// One error as pcx reports it: the error, where in the user's script it happened, the Lua
/// traceback. The only place errors are turned into text (``text(debug:)``) or JSON (``json``).
struct ErrorReport {
    var error: PartnerCenterError
    /// The user's `file:line`.
    var location: String?
    var traceback: String?
    /// A plain Lua error (not a `pc.Error`): shown as Lua shows it, `pcx: error: file:line: message`.
    var plain = false
    /// An input error (see ``input(_:hint:location:)``): shown as `pcx: message` and the hint.
    var usage = false
    /// The exit status pcx ends with (the error's own unless the caller knows better, e.g. a bad
    /// profile found before the script runs is an input error, 2).
    var exitStatus: Int32

    init(_ error: PartnerCenterError, location: String? = nil, traceback: String? = nil, plain: Bool = false) {
        self.error = error
        self.location = location
        self.traceback = traceback
        self.plain = plain
        self.exitStatus = error.exitStatus
    }

    /// A report from a Lua error value: a `pc.Error` table (or any table with `code` and
    /// `message`), else a plain `script_error` with the value's text.
    init(luaValue value: LuaValue, location: String? = nil) {
        guard let t = value.tableValue, let code = t["code"].stringValue else {
            self.init(PartnerCenterError(category: .scriptError, message: value.stringValue ?? "\(value)"), location: location)
            return
        }
        var e = PartnerCenterError(category: PartnerCenterError.Category(rawValue: code) ?? .scriptError,
                                   message: t["message"].stringValue ?? code)
        e.status = t["status"].intValue.map { Int($0) }
        e.pcCode = t["pc_code"].stringValue ?? t["pc_code"].intValue.map { String($0) }
        e.requestId = t["request_id"].stringValue
        e.correlationId = t["correlation_id"].stringValue
        e.method = t["method"].stringValue
        e.path = t["path"].stringValue
        e.hint = t["hint"].stringValue
        e.outcomeUnknown = t["outcome_unknown"].boolValue ?? false
        self.init(e, location: t["where"].stringValue ?? location)
        // `input = true`: the script's input was wrong (an unknown customer name...): exit 2
        if t["input"].boolValue == true { exitStatus = ExitCode.usage.rawValue }
    }

    /// `pcx: CODE: message`, the context line (request, status, code, where), the hint, and with
    /// `debug` the traceback. Control characters in script-controlled text are escaped.
    func text(debug: Bool) -> String {
        if usage {
            var text = "pcx: \(location.map { "\(visible($0)): " } ?? "")\(visible(error.message))"
            if let h = error.hint { text += "\n  hint: \(visible(h))" }
            if debug, let tb = traceback, !tb.isEmpty { text += "\n" + visible(tb, keepNewlines: true) }
            return text
        }
        if plain {
            // a message of several lines (error("a\nb")) keeps them, indented under the first
            let message = visible(error.message, keepNewlines: true).replacingOccurrences(of: "\n", with: "\n  ")
            var text = "pcx: error: \(location.map { "\(visible($0)): " } ?? "")\(message)"
            if let h = error.hint { text += "\n  hint: \(visible(h))" }
            if debug, let tb = traceback, !tb.isEmpty { text += "\n" + visible(tb, keepNewlines: true) }
            return text
        }
        var lines = ["pcx: \(error.category.rawValue): \(visible(error.message))"]
        var details: [String] = []
        if let m = error.method, let p = error.path { details.append("\(m) \(visible(p))") }
        if let r = error.requestId { details.append("request \(visible(r))") }
        if let s = error.status { details.append("HTTP \(s)") }
        if let c = error.pcCode { details.append("Partner Center code \(visible(c))") }
        var second = details.isEmpty ? "" : "(\(details.joined(separator: ", ")))"
        if let w = location { second += (second.isEmpty ? "" : " ") + "at \(visible(w))" }
        if !second.isEmpty { lines.append("  " + second) }
        if let h = error.hint { lines.append("  hint: \(visible(h))") }
        if debug, let tb = traceback, !tb.isEmpty { lines.append(visible(tb, keepNewlines: true)) }
        return lines.joined(separator: "\n")
    }

    /// `{"error": {...}}` on one line.
    var json: String {
        var fields: [String] = ["\"code\":\(jsonString(error.category.rawValue))", "\"message\":\(jsonString(error.message))"]
        if let s = error.status { fields.append("\"status\":\(s)") }
        if let c = error.pcCode { fields.append("\"pc_code\":\(jsonString(c))") }
        if let r = error.requestId { fields.append("\"request_id\":\(jsonString(r))") }
        if let m = error.method { fields.append("\"method\":\(jsonString(m))") }
        if let p = error.path { fields.append("\"path\":\(jsonString(p))") }
        if let w = location { fields.append("\"where\":\(jsonString(w))") }
        if let h = error.hint { fields.append("\"hint\":\(jsonString(h))") }
        fields.append("\"exit_code\":\(exitStatus)")
        return "{\"error\":{" + fields.joined(separator: ",") + "}}"
    }
}

extension ErrorReport {
    /// An input error (a missing file, a bad option value, an unknown name): code
    /// `invalid_argument`, exit 2; as text `pcx: message` then `  hint: ...`.
    static func input(_ message: String, hint: String? = nil, location: String? = nil) -> ErrorReport {
        var report = ErrorReport(PartnerCenterError(category: .invalidArgument, message: message, hint: hint), location: location)
        report.usage = true
        report.exitStatus = ExitCode.usage.rawValue
        return report
    }

    /// A script that did not stop within `grace` seconds of a Ctrl-C (`interrupted`, exit 130)
    /// or its `--timeout` (exit 1): stuck in a C function, so pcx exits without it.
    static func stuck(interrupted: Bool, grace: String) -> ErrorReport {
        let stuck = "(stuck inside a C function such as string.find or string.rep); exiting"
        var error = interrupted
            ? PartnerCenterError(category: .interrupted, message: "the script did not stop within \(grace) s \(stuck)")
            : PartnerCenterError(category: .timeout, message: "the script ran past its --timeout and did not stop within \(grace) s more \(stuck)")
        error.hint = nil // not a request's timeout: the category's usual hint would mislead
        var report = ErrorReport(error)
        report.exitStatus = interrupted ? ExitCode.interrupted.rawValue : ExitCode.failure.rawValue
        return report
    }

    /// Prints the report on stderr (one JSON line with `json`, a JSON log line under
    /// `--log-format json`) and returns its exit status.
    @discardableResult
    func print(json: Bool, debug: Bool = false, logFormat: LogFormat = .text) -> Int32 {
        RenderedFailure(text: json ? self.json : text(debug: debug), exitCode: exitStatus, report: self)
            .print(logFormat: logFormat, json: json)
        return exitStatus
    }
}

extension PCXCommands {
    /// Reports a command-line mistake found before any verb ran (the argument parser's, or
    /// pcx's own): `pcx: message` on stderr, or with `json` one `{"error": {...}}` line with code
    /// `invalid_argument`. Returns the exit status, 2.
    /// - Parameters:
    ///   - message: What is wrong and how to fix it.
    ///   - json: Whether `--json` was among the arguments.
    ///   - logFormat: `.json` when `--log-format json` was among them (one JSON log line).
    public static func reportUsageError(_ message: String, json: Bool, logFormat: LogFormat = .text) -> Int32 {
        var lines = message.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var hint: String?
        if json || logFormat == .json, let i = lines.firstIndex(where: { $0.hasPrefix("  hint: ") }) {
            hint = String(lines[i].dropFirst("  hint: ".count))
            lines.remove(at: i)
        }
        let text = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        if !json && logFormat == .text {
            printError("pcx: " + text)
            return ExitCode.usage.rawValue
        }
        return ErrorReport.input(text, hint: hint).print(json: json, logFormat: logFormat)
    }
}

/// Renders a Lua error as pcx prints it (``ErrorReport``), with the traceback only for `debug`;
/// with `json`, every error (a syntax error and a usage error too) is one `{"error": {...}}` line.
func render(_ error: LuaError, debug: Bool = false, json: Bool = false) -> RenderedFailure {
    let report: ErrorReport
    switch error.kind {
    case .syntax:
        let message = stripLocation(error.message, location: error.location)
        let input = ErrorReport.input("syntax error: " + message, location: error.location)
        if json { return RenderedFailure(text: input.json, exitCode: input.exitStatus, report: input) }
        let where_ = error.location.map { "\($0): " } ?? ""
        return RenderedFailure(text: "pcx: syntax error: \(where_)\(visible(message))", exitCode: ExitCode.usage.rawValue, report: input)
    case .exit:
        return RenderedFailure(text: error.warning.map { "pcx: warning: \(visible($0))" } ?? "",
                               exitCode: error.exitCode ?? ExitCode.failure.rawValue)
    case .io:
        let input = ErrorReport.input(error.message)
        return RenderedFailure(text: json ? input.json : input.text(debug: false), exitCode: input.exitStatus, report: input)
    case .interrupted:
        report = ErrorReport(PartnerCenterError(category: .interrupted, message: "the script was stopped (Ctrl-C)"),
                             location: userLocation(error.location))
    case .timeout:
        let limit = error.message.firstMatch(of: #/time limit of (\S+ s)/#).map { " of \($0.1)" } ?? ""
        report = ErrorReport(PartnerCenterError(category: .timeout, message: "the script ran past its --timeout\(limit)",
                                                hint: "raise --timeout, or make the script do less per run"), location: userLocation(error.location))
    case .memoryLimit:
        report = ErrorReport(PartnerCenterError(category: .memoryLimit, message: "the script used more than its --memory-limit",
                                                hint: "raise --memory-limit, or stream with each()/each_line_item() instead of list()"),
                             location: userLocation(error.location))
    case .closed:
        report = ErrorReport(PartnerCenterError(category: .scriptError, message: error.message), plain: true)
    case .runtime:
        if let usage = renderUsage(error, json: json) { return usage }
        if let value = error.value, value.tableValue?["code"].stringValue != nil {
            var structured = ErrorReport(luaValue: value, location: error.location)
            structured.location = userLocation(structured.location)
            report = structured
        } else {
            var message = stripLocation(error.message, location: error.location)
            var hint = missingRequireHint(message)
            var location = error.location
            if let missing = moduleNotFound(message) { (message, hint) = missing }
            if let broken = moduleSyntaxError(message) {
                // a module with a syntax error is an input error, as the script's own would be
                var full = ErrorReport.input(broken, hint: "fix the module's line; pcx check FILE lists every syntax error",
                                             location: firstScriptFrame(error.traceback))
                full.traceback = error.traceback
                return RenderedFailure(text: json ? full.json : full.text(debug: debug), exitCode: full.exitStatus, report: full)
            }
            if let value = error.value {
                // error(nil), error({code = 5}), error(42): Lua adds no place to a value that is not a string
                if let described = nonStringError(value, text: message) { (message, hint) = described }
                location = location ?? firstScriptFrame(error.traceback)
            }
            report = ErrorReport(PartnerCenterError(category: .scriptError, message: message, hint: hint),
                                 location: location, plain: true)
        }
    }
    var full = report
    full.traceback = error.traceback
    return RenderedFailure(text: json ? full.json : full.text(debug: debug), exitCode: full.exitStatus, report: full)
}

/// `location` when it is the user's `file:line`; nil when it points into pcx's own Lua (the
/// stdlib, or the host's glue): a playbook that ends in a tail call into the stdlib
/// (`return ri.purchase_command(p)`) leaves no frame of its own, and a line of pcx's stdlib is
/// not one a person can act on. Plain Lua errors keep theirs (a bug report needs it).
func userLocation(_ location: String?) -> String? {
    guard let location else { return nil }
    if location.hasPrefix("stdlib/") || location.hasPrefix("[pcx") || location.hasPrefix("=[pcx")
        || location.range(of: #"/stdlib/[A-Za-z0-9_.]+\.lua:\d+$"#, options: .regularExpression) != nil {
        return nil
    }
    return location
}

/// A usage error raised in Lua (a table with `usage = true`, `message`, and optionally `where`
/// and `help`: a playbook's bad parameter or declaration): exit 2, the help after the message;
/// nil for any other error.
private func renderUsage(_ error: LuaError, json: Bool) -> RenderedFailure? {
    guard let table = error.value?.tableValue, table["usage"].boolValue == true else { return nil }
    let report = ErrorReport.input(table["message"].stringValue ?? "usage error", location: table["where"].stringValue)
    if json { return RenderedFailure(text: report.json, exitCode: report.exitStatus, report: report) }
    var text = report.text(debug: false)
    if let help = table["help"].stringValue { text += "\n\n" + help }
    return RenderedFailure(text: text, exitCode: report.exitStatus, report: report)
}

extension EmbeddedSources {
    /// The names `require` finds among pcx's own modules: every embedded `stdlib/*.lua` (not the
    /// `meta/` stubs) and `json`, LuaRuntime's C module (in `package.preload`).
    static let moduleNames: Set<String> = {
        var names = Set(modules(environment: [:]).keys)
        names.insert("json")
        return names
    }()
}

/// For Lua's "attempt to index (or call) a nil value (global 'NAME')" where NAME is one of pcx's
/// modules (a script used `json.encode` without requiring it), the `require` line that fixes it;
/// nil for any other message.
func missingRequireHint(_ message: String) -> String? {
    guard let match = message.firstMatch(of: #/attempt to (?:index|call) a nil value \(global '([A-Za-z_][A-Za-z0-9_]*)'\)/#) else {
        return nil
    }
    let name = String(match.1)
    guard EmbeddedSources.moduleNames.contains(name) else { return nil }
    return "\(name) is a pcx module: add local \(name) = require \"\(name)\""
}

/// Lua's "module 'NAME' not found:" with one line per place `require` looked, as one line and a
/// hint: the files it tried, where to put the module, and the stdlib module the name is closest
/// to. Nil for any other message.
func moduleNotFound(_ message: String) -> (message: String, hint: String)? {
    guard let match = message.firstMatch(of: #/^module '([^'\n]*)' not found:/#) else { return nil }
    let name = String(match.1)
    let lines = message.split(separator: "\n").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    let files = lines.compactMap { $0.firstMatch(of: #/^no file '(.*)'$/#).map { String($0.1) } }
    // anything else a searcher said (a file the policy refused to open, with its fix), as it is
    let other = lines.filter { !$0.hasPrefix("no file '") && !$0.hasPrefix("no field package.preload") && !$0.hasPrefix("no embedded module") }
    var hint = "require looked in pcx's stdlib" + (files.isEmpty ? "" : " and in " + files.joined(separator: ", "))
    if !other.isEmpty { hint += "; " + other.joined(separator: "; ") }
    hint += "; put \(name.replacingOccurrences(of: ".", with: "/")).lua beside the script or in its lib/ folder"
    if let close = closestName(to: name, in: EmbeddedSources.moduleNames.sorted()) {
        hint += ", or use pcx's module: require \"\(close)\""
    }
    return ("module '\(name)' not found", hint)
}

/// Lua's "error loading module 'NAME' from file 'PATH':\n\tPATH:LINE: message" as one line,
/// `syntax error in module 'NAME': PATH:LINE: message`; nil for any other message.
func moduleSyntaxError(_ message: String) -> String? {
    guard let m = message.firstMatch(of: #/^error loading module '([^'\n]*)' (?:from file '[^\n]*'|\(embedded\)):\n\t([^\n]*:\d+: [^\n]*)$/#) else { return nil }
    return "syntax error in module '\(m.1)': \(m.2)"
}

/// A message for an error value that is not a string nor a `pc.Error`-like table: `error()`
/// raises nil, `error({code = 5})` a table whose text is its address. Nil for a value whose text
/// says something (a number, a table with `__tostring`).
func nonStringError(_ value: LuaValue, text: String) -> (message: String, hint: String?)? {
    let raise = "raise a string, error(\"what went wrong\"), or a table with a message field"
    if case .nil = value { return ("error raised nil, with no message", raise) }
    guard let table = value.tableValue, text.hasPrefix("table: ") else { return nil }
    if let message = table["message"].stringValue { return (message, nil) }
    let fields = table.hash.keys.compactMap(\.stringValue).sorted()
    let what = fields.isEmpty ? "an error table with no message" : "an error table with no message (fields: \(fields.joined(separator: ", ")))"
    return (what, raise)
}

/// The first `file:line` of the script's own code in a Lua traceback (not `[C]`, pcx's stdlib or
/// glue), or nil.
func firstScriptFrame(_ traceback: String?) -> String? {
    for line in (traceback ?? "").split(separator: "\n").dropFirst() {
        guard let match = line.trimmingCharacters(in: .whitespaces).firstMatch(of: #/^([^\s:][^:]*:\d+):/#) else { continue }
        if let place = userLocation(String(match.1)) { return place }
    }
    return nil
}

/// Text with control characters (ESC, CR, NUL...) shown as `\u{1b}` so that no value a script
/// controls can rewrite what a person reads. Tabs are kept; newlines too with `keepNewlines`.
func visible(_ text: String, keepNewlines: Bool = false) -> String {
    guard text.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F || (0x80...0x9F).contains($0.value) }) else {
        return text
    }
    var out = ""
    for scalar in text.unicodeScalars {
        let v = scalar.value
        if (keepNewlines && scalar == "\n") || scalar == "\t" || (v >= 0x20 && v != 0x7F && !(0x80...0x9F).contains(v)) {
            out.unicodeScalars.append(scalar)
        } else {
            out += "\\u{\(String(v, radix: 16))}"
        }
    }
    return out
}

/// Drops a leading `file:line: ` (or the given location) from a message (the location is printed
/// separately).
func stripLocation(_ message: String, location: String? = nil) -> String {
    if let location, message.hasPrefix(location + ": ") { return String(message.dropFirst(location.count + 2)) }
    guard let range = message.range(of: #"^[^\s:]+:\d+: "#, options: .regularExpression) else { return message }
    return String(message[range.upperBound...])
}
