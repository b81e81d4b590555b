import Foundation
import LuaRuntime

/// The embedded Lua sources: stdlib modules by name, playbooks by name, stubs by module.
enum EmbeddedSources {
    /// Module name → source, from `stdlib/*.lua` (or from `PCX_STDLIB_DIR` when set, file by file).
    static func modules(environment: [String: String]) -> [String: String] {
        // sized once (start-up: regrowing a [String: String] runs generic code that checks
        // `String: Hashable` by scanning the binary's conformance records)
        var out = [String: String](minimumCapacity: EmbeddedLua.files.count)
        for (path, source) in EmbeddedLua.files where path.hasPrefix("stdlib/") && !path.hasPrefix("stdlib/meta/") {
            let name = String(path.dropFirst("stdlib/".count).dropLast(".lua".count).map { $0 == "/" ? "." : $0 })
            out[name] = source
        }
        if let dir = environment["PCX_STDLIB_DIR"], !dir.isEmpty,
           let names = try? FileManager.default.contentsOfDirectory(atPath: dir) {
            for file in names where file.hasSuffix(".lua") {
                if let text = try? String(contentsOfFile: dir + "/" + file, encoding: .utf8) {
                    out[String(file.dropLast(4))] = text
                }
            }
        }
        return out
    }

    /// Shipped playbooks: name → source.
    static var playbooks: [String: String] {
        var out: [String: String] = [:]
        for (path, source) in EmbeddedLua.files where path.hasPrefix("scripts/") && path.hasSuffix(".lua") {
            out[String(path.dropFirst("scripts/".count).dropLast(".lua".count))] = source
        }
        return out
    }

    /// pcx's own Lua (`Sources/PCXHost/lua/NAME.lua`): the prelude, the REPL, the playbook runner.
    static func hostLua(_ name: String) -> String {
        guard let source = EmbeddedLua.files["Sources/PCXHost/lua/\(name).lua"] else {
            preconditionFailure("Sources/PCXHost/lua/\(name).lua is not embedded")
        }
        return source
    }

    /// LuaLS stubs: module name → stub text.
    static var stubs: [String: String] {
        var out: [String: String] = [:]
        for (path, source) in EmbeddedLua.files where path.hasPrefix("stdlib/meta/") {
            out[String(path.dropFirst("stdlib/meta/".count).dropLast(".lua".count))] = source
        }
        return out
    }
}

/// One Lua VM set up for pcx: limits, the stdlib, `pc`, `playbook`, and the host's modules.
final class ScriptHost: Sendable {
    let vm: LuaVM
    let session: Session
    let core: PCCore

    /// Lua run once in every new state, after the modules are registered.
    static var prelude: String { EmbeddedSources.hostLua("prelude") }

    /// - Parameter readCurrentDirectory: let scripts read under the current directory (the REPL).
    init(session: Session, readCurrentDirectory: Bool = false) throws {
        let options = session.options
        var vmOptions = LuaVMOptions()
        vmOptions.memoryLimit = options.limits.memoryBytes
        vmOptions.timeout = options.limits.timeout
        vmOptions.allowWrite = options.limits.allowWrite.map { URL(fileURLWithPath: $0) }
        vmOptions.allowRead = options.limits.allowRead.map { URL(fileURLWithPath: $0) }
        if readCurrentDirectory {
            vmOptions.allowRead.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        }
        vmOptions.denyPaths = ScriptPolicy.denyPaths(paths: options.paths, environment: options.environment)
        vmOptions.denyExceptions = ScriptPolicy.denyExceptions(paths: options.paths)
        vmOptions.readRefusalHint = "pass --allow-read DIR to let the script read there"
        if options.limits.exitWhenStuck {
            let gracePeriod = vmOptions.abortGracePeriod
            let (json, logFormat) = (options.json, options.logFormat)
            vmOptions.abortWatchdog = { kind in
                let grace = String(format: "%g", gracePeriod) // formatted only when needed (start-up time)
                if kind == .interrupted && !json && logFormat == .text { writeAll(2, "\n") } // after the terminal's ^C
                _exit(ErrorReport.stuck(interrupted: kind == .interrupted, grace: grace).print(json: json, logFormat: logFormat))
            }
        }
        vmOptions.modules = EmbeddedSources.modules(environment: options.environment)
        // timeouts, interrupts and memory aborts name the user's line, not pcx's stdlib or glue
        vmOptions.internalChunkPrefixes = ["stdlib/", "=[pcx"]
        vmOptions.chunkNameBase = POSIXFiles.currentDirectory()
        vmOptions.writeRefusalHint = "pass --allow-write DIR to let the script write there"
        self.vm = try LuaVM(options: vmOptions)
        self.session = session
        let core = PCCore(session: session)
        self.core = core
        let sys = Self.sysModule(session)
        // queued, not awaited: the first job (the script) finds it done, with no round trip of its own
        vm.prepare { ctx in
            ctx.registerModule("pc.core", functions: core.functions(), values: core.values())
            ctx.registerModule("pcx.sys", functions: sys)
            _ = try ctx.run(Self.prelude, name: "=[pcx prelude]")
        }
    }

    /// `pcx.sys`: what the stdlib asks of the host (getenv through the secrets policy, isatty, a
    /// monotonic clock, the log format and level, whether progress lines are drawn).
    static func sysModule(_ session: Session) -> [String: LuaFunction] {
        let options = session.options, environment = options.environment
        return [
            "getenv": .sync { _, args in
                guard let name = args.first?.stringValue else { return .value(.nil) }
                return .value(ScriptPolicy.getenv(name, environment: environment).map { LuaValue($0) } ?? .nil)
            },
            "prepare_output": OutputPaths.function(options),
            "isatty": .sync { _, args in .value(.boolean(isatty(Int32(args.first?.intValue ?? 1)) != 0)) },
            "monotonic": .sync { _, _ in
                var ts = timespec()
                clock_gettime(CLOCK_MONOTONIC, &ts)
                return .value(.number(Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9))
            },
            // the `log` module writes pcx's one log format, at the level -q/-v/--log-level chose
            "log_settings": .sync { _, _ in
                .value(.table(LuaTable(fields: ["format": LuaValue(options.logFormat.rawValue),
                                                "level": options.scriptLogLevel.map { LuaValue($0) } ?? .nil])))
            },
            // the `progress` module draws when pcx's waits do: --progress, PCX_PROGRESS, a terminal
            "progress_enabled": .sync { _, _ in .value(.boolean(session.progressEnabled)) },
            // whether a bar's line is open (drawn, not ended): pcx ends it before an error
            "progress_line": .sync { _, args in
                session.progressLineOpen.withLock { $0 = args.first?.boolValue ?? false }
                return .values([])
            },
        ].merging(outputFunctions()) { own, _ in own }
    }

    /// Stops the VM and closes the session's cursors (the session itself is shared).
    func close() {
        core.cursors.closeAll()
        core.exportStreams.closeAll()
        vm.close()
    }

    /// Runs a file; if it returns a playbook declaration, runs the playbook with the arguments.
    func runFile(_ path: String, arguments: [String]) async throws {
        try await vm.perform { ctx in try Self.runFile(path, arguments: arguments, in: ctx) }
    }

    /// ``runFile(_:arguments:)`` with the calling thread waiting for the VM.
    func runFileBlocking(_ path: String, arguments: [String]) throws {
        try vm.performBlocking { ctx in try Self.runFile(path, arguments: arguments, in: ctx) }
    }

    /// The VM job of ``runFile(_:arguments:)``.
    private static func runFile(_ path: String, arguments: [String], in ctx: LuaContext) throws {
        let results = try ctx.runFile(path, args: arguments)
        if case .table(let t)? = results.first, t.metatableName == "pcx.Playbook" {
            let command = PCXCommands.commandLine(["pcx", "run", path])
            // its help and usage errors name the command that ran it: pcx run FILE
            _ = try ctx.run("require('playbook').command = ...", name: "=[pcx playbook]", args: [command])
            _ = try ctx.run(Self.runLastPlaybook, name: "=[pcx playbook]", args: arguments)
        }
    }

    /// Runs a playbook's source with its parameters.
    func runPlaybook(source: String, chunkName: String, arguments: [String]) async throws {
        try await vm.perform { ctx in
            let results = try ctx.run(source, name: chunkName, args: [], setArg: true)
            guard case .table(let t)? = results.first, t.metatableName == "pcx.Playbook" else {
                throw LuaError(kind: .runtime, message: "the file does not return a playbook { ... } declaration",
                               location: chunkName)
            }
            _ = try ctx.run(Self.runLastPlaybook, name: "=[pcx playbook]", args: arguments)
        }
    }

    /// Runs the playbook declared last with `...` as its arguments.
    static var runLastPlaybook: String { EmbeddedSources.hostLua("run_playbook") }
}

/// Turns Ctrl-C into an interrupt of the running VM; a second Ctrl-C exits at once.
final class InterruptHandler: Sendable {
    private struct State {
        var installed = false
        var vm: LuaVM?
        var cancel: (@Sendable () -> Void)?
        var count = 0
    }
    private let state = Mutex(State())

    static let shared = InterruptHandler()

    /// Takes over SIGINT for the process (idempotent). Until a VM runs, Ctrl-C exits with 130.
    func install() {
        state.withLock { s in
            guard !s.installed else { return }
            s.installed = InterruptSignal.install { InterruptHandler.shared.fire() }
        }
    }

    /// Routes SIGINT to `vm` while `body` runs.
    func run<T>(_ vm: LuaVM, _ body: () async throws -> T) async rethrows -> T {
        attach(vm)
        defer { state.withLock { $0.vm = nil } }
        return try await body()
    }

    /// ``run(_:_:)`` for a body that waits on its thread.
    func runBlocking<T>(_ vm: LuaVM, _ body: () throws -> T) rethrows -> T {
        attach(vm)
        defer { state.withLock { $0.vm = nil } }
        return try body()
    }

    private func attach(_ vm: LuaVM) {
        install()
        state.withLock { s in
            s.vm = vm
            s.count = 0
        }
    }

    /// Routes SIGINT to `cancel` while `body` runs (a wait that is not a script: `pcx login`);
    /// a second Ctrl-C exits at once.
    func run<T>(cancelling cancel: @escaping @Sendable () -> Void, _ body: () async throws -> T) async rethrows -> T {
        install()
        state.withLock { s in
            s.cancel = cancel
            s.count = 0
        }
        defer { state.withLock { $0.cancel = nil } }
        return try await body()
    }

    private func fire() {
        let (vm, cancel, n) = state.withLock { s -> (LuaVM?, (@Sendable () -> Void)?, Int) in
            s.count += 1
            return (s.vm, s.cancel, s.count)
        }
        if n >= 2 || (vm == nil && cancel == nil) {
            printError("\npcx: interrupted")
            exit(ExitCode.interrupted.rawValue)
        }
        vm?.interrupt()
        cancel?()
    }
}
