import Foundation
import LuaRuntime

extension PCXCommands {
    /// `pcx eval EXPR`: evaluates a Lua expression (or statements) with `pc` and the stdlib loaded,
    /// as the REPL's `=EXPR` does, and prints its values: as the REPL shows them, or with `-o json`
    /// as JSON (`-o csv|tsv`: a list of records as rows). The chunk is named `eval`: a syntax error
    /// is `eval:LINE` and exits 2, a runtime error exits 1.
    public static func eval(_ expression: String, options: HostOptions) async -> Int32 {
        if let code = Session.preflight(options) { return code }
        let session = Session(options: options, script: "eval")
        return await withHost(session) { host in
            try await host.eval(expression, format: options.output)
        }
    }

    /// `pcx run - [ARGS...]`: the script is read from standard input (a pipe, a heredoc, a file
    /// redirected), named `stdin` in messages (`stdin:3: ...`), `arg[0]` is `-`. At a terminal a
    /// line on stderr says pcx is waiting for the script and how to end it.
    static func runStandardInput(arguments: [String], options: HostOptions) async -> Int32 {
        if isatty(0) != 0 {
            printError("pcx: reading the script from standard input: type it and end with Ctrl-D (or give a file: pcx run SCRIPT)")
        }
        var source = String(decoding: readStandardInput(), as: UTF8.self)
        if source.hasPrefix("#") { source = "--" + source.dropFirst() } // a #! line, as lua.c skips it (keep the line count)
        if let code = Session.preflight(options) { return code }
        let session = Session(options: options, script: "stdin")
        let text = source
        return await withHost(session) { host in
            try await host.runStandardInput(text, arguments: arguments)
        }
    }

    /// Everything on standard input (retrying a read a signal interrupted).
    static func readStandardInput() -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if n > 0 {
                data.append(contentsOf: buffer[0..<n])
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return data
            }
        }
    }
}

extension ScriptHost {
    /// Runs a script read from standard input (chunk `stdin`, `arg[0] = "-"`, its folder the
    /// current directory: `require` finds modules there and in `lib/`); if it returns a playbook
    /// declaration, runs the playbook with the arguments.
    func runStandardInput(_ source: String, arguments: [String]) async throws {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        try await vm.perform { ctx in
            ctx.useScriptDirectory(cwd)
            let results = try ctx.run(source, name: "=stdin", args: arguments, arg0: "-")
            if case .table(let t)? = results.first, t.metatableName == "pcx.Playbook" {
                _ = try ctx.run(Self.runLastPlaybook, name: "=[pcx playbook]", args: arguments)
            }
        }
    }

    /// Evaluates `expression` as `pcx eval` does: as an expression if it is one (kept out of a
    /// tail call, so errors name `eval:1`, not the stdlib), else as statements; a syntax error of
    /// the statements is thrown as it is (exit 2). The values are printed by the REPL's Lua side.
    func eval(_ expression: String, format: OutputFormat) async throws {
        try await vm.perform { ctx in
            let wrapped = "return (function(...) return ... end)(" + expression + "\n)"
            let source = ctx.check(wrapped, name: "=eval") == nil ? wrapped : expression
            if let error = ctx.check(source, name: "=eval") { throw error }
            _ = try ctx.run("local m = (load(..., \"=[pcx repl]\", \"t\"))(); return m.print_eval(select(2, ...))",
                            name: "=[pcx eval]", args: [EmbeddedSources.hostLua("repl"), source, format.rawValue])
        }
    }
}
