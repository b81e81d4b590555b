import CLibEdit
import Foundation
import LuaRuntime


/// Completion state shared with libedit's C callback (the REPL runs one at a time).
nonisolated(unsafe) private var completionProvider: ((String) -> [String])?
nonisolated(unsafe) private var completionMatches: [String] = []
nonisolated(unsafe) private var completionIndex = 0

private let completionCallback: @convention(c) (UnsafePointer<CChar>?, Int32) -> UnsafeMutablePointer<CChar>? = { text, state in
    if state == 0 {
        completionMatches = completionProvider?(text.map { String(cString: $0) } ?? "") ?? []
        completionIndex = 0
    }
    guard completionIndex < completionMatches.count else { return nil }
    defer { completionIndex += 1 }
    return strdup(completionMatches[completionIndex])
}

extension PCXCommands {
    /// `pcx repl`: interactive Lua with `pc` loaded.
    public static func repl(options: HostOptions) async -> Int32 {
        if let code = Session.preflight(options) { return code }
        let session = Session(options: options, script: "repl")
        let host: ScriptHost
        do { host = try ScriptHost(session: session, readCurrentDirectory: true) } catch {
            printError("pcx: cannot start Lua: \(error)")
            return ExitCode.failure.rawValue
        }
        defer { host.close() }
        let interactive = isatty(0) != 0
        do {
            try await host.vm.perform { ctx in
                _ = try ctx.run("local m = (load(..., \"=[pcx repl]\", \"t\"))(); pcx_repl_eval, pcx_repl_complete = m.eval, m.complete", name: "=[pcx repl]", args: [EmbeddedSources.hostLua("repl")])
            }
        } catch {
            printError("pcx: cannot start the REPL: \(error)")
            return ExitCode.failure.rawValue
        }
        if interactive {
            print("pcx \(pcxVersion) (Lua \(pcxLuaVersion)) — `pc` is loaded; =expr prints, :help NAME shows documentation, Ctrl-D quits")
            setUpLineEditing(host: host, history: options.paths.replHistory)
        }
        var buffer = ""
        while true {
            let prompt = buffer.isEmpty ? "> " : ">> "
            guard let line = await readInputLine(prompt: prompt, interactive: interactive) else { break }
            if buffer.isEmpty, line.trimmingCharacters(in: .whitespaces).hasPrefix(":") {
                replCommand(line.trimmingCharacters(in: .whitespaces))
                continue
            }
            buffer = buffer.isEmpty ? line : buffer + "\n" + line
            if buffer.trimmingCharacters(in: .whitespaces).isEmpty { buffer = ""; continue }
            let source = buffer
            if await !evaluate(source, host: host) { continue }   // incomplete: read another line
            if interactive, !source.isEmpty { add_history(source) }
            buffer = ""
        }
        if interactive {
            print("")
            _ = write_history(options.paths.replHistory.path)
        }
        await session.shutdown()
        return ExitCode.ok.rawValue
    }

    /// Evaluates one REPL entry and prints its result or error; false when it is incomplete.
    static func evaluate(_ source: String, host: ScriptHost) async -> Bool {
        do {
            let result = try await InterruptHandler.shared.run(host.vm) {
                try await host.vm.perform { ctx -> (String, String) in
                    let r = try ctx.callGlobal("pcx_repl_eval", [LuaValue(source)])
                    return (r.first?.stringValue ?? "error", r.count > 1 ? (r[1].stringValue ?? "") : "")
                }
            }
            switch result.0 {
            case "incomplete": return false
            case "ok": if !result.1.isEmpty { print(result.1) }
            default: print(result.1)
            }
        } catch let e as LuaError {
            print(render(e).text.replacingOccurrences(of: "pcx: ", with: ""))
        } catch {
            print("\(error)")
        }
        return true
    }

    static func setUpLineEditing(host: ScriptHost, history: URL) {
        try? PCXPaths.ensureDirectory(history.deletingLastPathComponent())
        using_history()
        stifle_history(2000)
        _ = read_history(history.path)
        let vm = host.vm
        completionProvider = { text in
            // Called on the readline thread while the VM is idle: ask the VM thread and wait.
            let done = DispatchSemaphore(value: 0)
            let box = Mutex<[String]>([])
            Task {
                let r = try? await vm.perform { ctx -> [String] in
                    let r = try ctx.callGlobal("pcx_repl_complete", [LuaValue(text)])
                    return r.first?.tableValue?.array.compactMap(\.stringValue) ?? []
                }
                box.withLock { $0 = r ?? [] }
                done.signal()
            }
            done.wait()
            return box.withLock { $0 }
        }
        pcx_rl_setup(completionCallback, strdup(" \t\n\"\\'`@$><=;|&{(,+-*/%^~#[]"))
    }

    static func readInputLine(prompt: String, interactive: Bool) async -> String? {
        if !interactive { return readLine(strippingNewline: true) }
        return await withCheckedContinuation { (cont: CheckedContinuation<String?, Never>) in
            let thread = Thread {
                guard let raw = readline(prompt) else { cont.resume(returning: nil); return }
                let line = String(cString: raw)
                free(raw)
                cont.resume(returning: line)
            }
            thread.start()
        }
    }

    /// `:help [NAME]`, `:quit`.
    static func replCommand(_ line: String) {
        let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        switch parts[0] {
        case ":q", ":quit", ":exit":
            exit(ExitCode.ok.rawValue)
        case ":help", ":h":
            if parts.count < 2 {
                print("""
                    :help NAME   documentation of a function or module, e.g. :help money.new, :help pc.carts.create
                    :quit        leave (or Ctrl-D)
                    =expr        print the value of an expression
                    Modules: pc, money, date, csv, json, inspect, log, args, progress, azure, reservations, output, playbook
                    """)
            } else {
                print(helpText(for: parts[1].trimmingCharacters(in: .whitespaces)))
            }
        default:
            print("unknown command \(parts[0]); try :help")
        }
    }

    /// The stub documentation of NAME (`money.new`, `pc.carts.create`, `money`).
    static func helpText(for name: String) -> String {
        let stubs = EmbeddedSources.stubs
        let module = String(name.split(separator: ".").first ?? Substring(name))
        guard let stub = stubs[module] else {
            return "no documentation for \(name) (modules: \(stubs.keys.sorted().joined(separator: ", ")))"
        }
        if !name.contains(".") { return moduleSummary(stub) }
        let lines = stub.components(separatedBy: "\n")
        for (i, l) in lines.enumerated() {
            let t = l.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("function \(name)(") || t.hasPrefix("function \(name.replacingOccurrences(of: ":", with: "."))(")
                || t.hasPrefix("\(name) = function") {
                var j = i - 1
                var doc: [String] = []
                while j >= 0, lines[j].trimmingCharacters(in: .whitespaces).hasPrefix("---") {
                    doc.insert(String(lines[j].trimmingCharacters(in: .whitespaces).dropFirst(3)), at: 0)
                    j -= 1
                }
                return ([t] + doc.map { "  " + $0 }).joined(separator: "\n")
            }
        }
        return "no documentation for \(name); `:help \(module)` lists what \(module) has"
    }

    static func moduleSummary(_ stub: String) -> String {
        stub.components(separatedBy: "\n").filter { $0.hasPrefix("function ") }
            .map { $0.replacingOccurrences(of: " end", with: "") }.joined(separator: "\n")
    }
}
