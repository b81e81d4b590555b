import CLuaShim
import Foundation

/// A host function's outcome.
public enum LuaHostResult: Sendable {
    /// Return these values to Lua.
    case values([LuaValue])
    /// Decode these JSON bytes on the VM thread straight into Lua values and return the result
    /// (one value). Malformed JSON raises `json.decode: ... at byte N`.
    case json([UInt8])
    /// The same from `Data` (a response body, without copying it into an array first).
    case jsonData(Data)
    /// The same, with every object inside an array a record (`json.record`): its fields are
    /// decoded when a script reads them (`json.decode(s, {lazy = true})`). For pages of large
    /// items of which scripts read a few fields.
    case jsonRecords(Data)
    /// Raise this value as a Lua error (a string message or a structured table).
    case error(LuaValue)

    /// No values.
    public static let none = LuaHostResult.values([])
    /// One value.
    public static func value(_ v: LuaValue) -> LuaHostResult { .values([v]) }
}

/// A Swift function callable from Lua.
///
/// - `sync` runs on the VM thread with a ``LuaContext`` for that call and the arguments copied
///   as ``LuaValue``s. Throwing raises a Lua error (``LuaRaisable`` errors raise their value,
///   others their description), never a longjmp through Swift.
/// - `async` runs on the Swift concurrency pool. Called from plain Lua code the VM thread waits
///   for it in short slices (checking interrupt and deadline); called from a coroutine driven by
///   `async.parallel` / `async.map` the coroutine yields so other coroutines run meanwhile.
public enum LuaFunction: Sendable {
    /// A synchronous function run on the VM thread.
    case sync(@Sendable (LuaContext, [LuaValue]) throws -> LuaHostResult)
    /// An asynchronous function run on the Swift pool.
    case async(@Sendable ([LuaValue]) async throws -> LuaHostResult)
}

/// Options for a new ``LuaVM``.
public struct LuaVMOptions: Sendable {
    /// Allocator byte limit (0 = unlimited). Default 1 GiB.
    public var memoryLimit: Int = 1 << 30
    /// Wall-clock limit for each top-level run, in seconds (nil = none).
    public var timeout: Double? = nil
    /// Directories under which scripts may create, write, remove or rename files (and read).
    public var allowWrite: [URL] = []
    /// Directories under which scripts may read files, besides the running script's folder
    /// (and its `lib/`), the module directories and `allowWrite`. Reading anywhere else through
    /// `io.open`, `io.lines`, `io.input`, `loadfile`, `dofile` or `require` is refused.
    public var allowRead: [URL] = []
    /// Files and directories scripts may never read or write, even inside an allowed directory
    /// (the host's configuration, credentials, databases). `/proc`, `/sys` and `/dev` (except
    /// `/dev/null`, `/dev/zero`, `/dev/random`, `/dev/urandom`) are always denied as well.
    public var denyPaths: [URL] = []
    /// Directories inside a denied path that are not denied (e.g. a config directory's
    /// `playbooks/`); they still have to be inside an allowed directory to be read.
    public var denyExceptions: [URL] = []
    /// Appended to the message of a refused read (e.g. "pass --allow-read DIR"). `DIR` is
    /// replaced by the refused file's directory.
    public var readRefusalHint: String? = nil
    /// Called once, on a background thread, when a timeout or an interrupt has not stopped the
    /// running script within `abortGracePeriod` seconds (a script stuck inside one C function,
    /// such as a pathological `string.find` pattern, never reaches the abort hook). A command-line
    /// host prints a message and exits the process; nil (the default) only waits.
    public var abortWatchdog: (@Sendable (LuaError.Kind) -> Void)? = nil
    /// Seconds an abort may take before `abortWatchdog` is called. Default 3.
    public var abortGracePeriod: Double = 3
    /// Embedded modules, module name (`"inspect"`, `"pc.util"`) to Lua source. Searched by
    /// `require` after `package.preload` and before any directory.
    public var modules: [String: String] = [:]
    /// Directories searched for modules after the embedded ones (`PCX_STDLIB_DIR`-like);
    /// `name.lua` and `name/init.lua`.
    public var moduleDirectories: [URL] = []
    /// The directory chunk names are made relative to (default: the current directory), a path.
    public var chunkNameBase: String? = nil
    /// Appended to the message of a refused write: how the host lets a script write somewhere
    /// (e.g. "pass --allow-write DIR"). `DIR` is replaced by the refused file's directory.
    public var writeRefusalHint: String? = nil
    /// Chunk-name prefixes of the host's own Lua code (e.g. `"stdlib/"` for modules loaded as
    /// `@stdlib/NAME.lua`, `"=[host"` for glue chunks). A prefix matches a chunk name with or
    /// without its leading `@` or `=`. When a timeout, an interrupt or the memory limit stops a
    /// script inside such code, the error's ``LuaError/location`` names the first frame outside
    /// it (the script's line that called in); when every frame is internal, the innermost one.
    /// Default empty: every frame is the script's.
    public var internalChunkPrefixes: [String] = []
    /// The longest string, in bytes, a script may pass to a host function (as an argument or
    /// inside a table argument). A longer one is refused with a Lua error naming the argument,
    /// the string's size and this limit, before any of it is copied out of Lua. 0 = no limit.
    /// Default 16 MiB.
    public var maxStringArgumentBytes: Int = 16 << 20
    /// Creates default options.
    public init() {}
}

enum HostEntry {
    case function(LuaFunction)
    case raw((LuaVMCore, OpaquePointer) -> Int32)
}

/// The C dispatcher the trampoline calls: finds the core and runs the registered function.
private let dispatchFromC: pcxl_dispatch_fn = { owner, L, id in
    let core = Unmanaged<LuaVMCore>.fromOpaque(owner!).takeUnretainedValue()
    return core.dispatch(L!, Int(id))
}

/// The C file policy callback: asks the core and hands C a malloc'd refusal message (or NULL).
private let pathCheckFromC: pcxl_path_check_fn = { owner, path, write in
    let core = Unmanaged<LuaVMCore>.fromOpaque(owner!).takeUnretainedValue()
    let p = path.map { String(cString: $0) } ?? ""
    guard let reason = write != 0 ? core.checkWrite(p) : core.checkRead(p) else { return nil }
    return strdup(reason)
}

let PCXL_RAISE_: Int32 = -1
let PCXL_YIELD_: Int32 = -2
let PCXL_RERAISE_: Int32 = -3

/// The engine behind ``LuaVM``. Every member except the thread-safe queues and `interrupt` is
/// confined to the VM thread.
final class LuaVMCore: @unchecked Sendable {
    let options: LuaVMOptions
    var L: OpaquePointer! = nil
    var ctx: OpaquePointer! = nil
    /// Guards the cross-thread uses of `ctx` (interrupt, memory statistics) against its release.
    private let ctxLock = Lock()
    private var ctxAlive = false
    /// The time limit of the current top-level run (for messages).
    var currentTimeout: Double? = nil
    var functions: [HostEntry] = []
    /// Nesting of protected calls: 0 means the next call is a top-level run.
    var callDepth = 0
    /// Directories of the running script (searched by require after the module directories).
    var scriptDirectories: [String] = []
    /// Set by `os.exit` when its argument was not an exit status: what the script passed and
    /// that 1 is used instead (becomes ``LuaError/warning``). Cleared at every top-level run.
    var exitNote: String? = nil
    lazy var box = LuaVMCoreBox(self)

    // job queue (any thread)
    private let jobs = NSCondition()
    private var queue: [() -> Void] = []
    private var stopping = false
    /// The VM thread (weak: a running Thread keeps itself alive, and a strong reference here
    /// would make a cycle core -> thread -> closure -> core).
    /// The VM thread (set before it runs anything).
    private(set) var thread: pthread_t? = nil
    /// Why the state could not be built or prepared (VM thread): every later job fails with it.
    var failure: LuaError? = nil

    // async completions (any thread)
    let completions = NSCondition()
    var done: [Int: Result<LuaHostResult, any Error>] = [:]
    var inflight: [Int: Task<Void, Never>] = [:]
    var nextTaskID = 1
    /// Coroutines driven by the scheduler (VM thread).
    var schedulerThreads: Set<OpaquePointer> = []
    /// Task a scheduler coroutine yielded on (VM thread).
    var waitingTask: [OpaquePointer: Int] = [:]

    // abort watchdog (any thread): which top-level run is active
    private let watchLock = Lock()
    private var runSerial = 0
    private var runActive = false

    // registry references released from any thread
    private let unrefLock = Lock()
    private var pendingUnrefs: [Int32] = []

    init(options: LuaVMOptions) {
        self.options = options
    }

    // MARK: thread and jobs

    /// Starts the VM thread and builds the state on it. Blocks until setup finished.
    func start() throws {
        // Not waited for: the state is built on the VM thread while the caller goes on, and the
        // jobs queued meanwhile run after it (or fail with its error, ``failure``). The lock
        // orders this thread's write of `thread` before the VM thread's first read.
        jobs.lock()
        defer { jobs.unlock() }
        // 16 MiB of stack for deep Lua and C recursion
        thread = DetachedThread.start(name: "lua-vm", stackSize: 16 << 20) { [self] in
            jobs.lock()
            jobs.unlock()
            do { try self.setUp() } catch let e as LuaError { failure = e } catch {
                failure = LuaError(kind: .runtime, message: "\(error)")
            }
            self.runLoop()
        }
        if thread == nil {
            throw LuaError(kind: .runtime, message: "cannot start the Lua VM thread (errno \(errno))")
        }
    }

    private func runLoop() {
        while true {
            jobs.lock()
            while queue.isEmpty && !stopping { jobs.wait() }
            if queue.isEmpty && stopping {
                jobs.unlock()
                break
            }
            let job = queue.removeFirst()
            jobs.unlock()
            drainUnrefs()
            job()
        }
        box.clear()
        cancelAllTasks()
        drainUnrefs()
        ctxLock.withLock { ctxAlive = false }
        if let L { pcxl_close(L) }
        L = nil
    }

    /// Queues a job for the VM thread. Returns false when the VM is closed.
    @discardableResult
    func enqueue(_ job: @escaping () -> Void) -> Bool {
        jobs.lock()
        defer { jobs.unlock() }
        if stopping { return false }
        queue.append(job)
        jobs.signal()
        return true
    }

    /// `true` when called on the VM thread.
    var isVMThread: Bool { thread.map { pthread_equal($0, pthread_self()) != 0 } ?? false }

    func stop() {
        interrupt()
        jobs.lock()
        stopping = true
        jobs.signal()
        jobs.unlock()
    }

    func interrupt() {
        ctxLock.withLock { if ctxAlive { pcxl_interrupt(ctx) } }
        cancelAllTasks()
        if options.abortWatchdog != nil, let serial = watchLock.withLock({ runActive ? runSerial : nil }) {
            scheduleWatchdog(serial: serial, after: options.abortGracePeriod, kind: .interrupted)
        }
    }

    /// Marks the start of a top-level run; with a watchdog and a time limit, checks
    /// `abortGracePeriod` after the deadline that the run has ended. VM thread.
    private func beginRun(timeout: Double?) {
        let serial = watchLock.withLock { () -> Int in
            runSerial += 1
            runActive = true
            return runSerial
        }
        if options.abortWatchdog != nil, let timeout, timeout > 0 {
            scheduleWatchdog(serial: serial, after: timeout + options.abortGracePeriod, kind: .timeout)
        }
    }

    /// Marks the end of the top-level run. VM thread.
    private func endRun() { watchLock.withLock { runActive = false } }

    /// Calls the watchdog after `after` seconds if run `serial` is still going. Any thread.
    private func scheduleWatchdog(serial: Int, after: Double, kind: LuaError.Kind) {
        DispatchQueue.global().asyncAfter(deadline: .now() + after) { [weak self] in
            guard let self else { return }
            let stuck = self.watchLock.withLock { self.runActive && self.runSerial == serial }
            if stuck { self.options.abortWatchdog?(kind) }
        }
    }

    func cancelAllTasks() {
        completions.lock()
        let tasks = inflight.values
        completions.broadcast()
        completions.unlock()
        for t in tasks { t.cancel() }
    }

    /// Bytes allocated by the state, 0 once closed. Any thread (racy read).
    var memoryUsed: Int { ctxLock.withLock { ctxAlive ? pcxl_mem_used(ctx) : 0 } }

    func releaseRef(_ ref: Int32) {
        unrefLock.withLock { pendingUnrefs.append(ref) }
    }

    /// Whether references wait to be released (checked on every host call, so a long run that
    /// passes functions to Swift does not grow the registry). VM thread.
    var hasPendingUnrefs: Bool { unrefLock.withLock { !pendingUnrefs.isEmpty } }

    func drainUnrefs() {
        let refs = unrefLock.withLock { () -> [Int32] in
            let r = pendingUnrefs
            pendingUnrefs.removeAll()
            return r
        }
        guard let L else { return }
        for r in refs { luaL_unref(L, pcxl_registryindex(), r) }
    }

    // MARK: setup

    private func setUp() throws {
        guard let L = pcxl_newstate(options.memoryLimit > 0 ? options.memoryLimit : 0, dispatchFromC,
                                    Unmanaged.passUnretained(self).toOpaque())
        else { throw LuaError(kind: .memoryLimit, message: "cannot create a Lua state") }
        self.L = L
        self.ctx = pcxl_getctx(L)
        ctxLock.withLock { ctxAlive = true }
        _ = box
        pcxl_set_path_check(ctx, pathCheckFromC)
        for prefix in options.internalChunkPrefixes { pcxl_add_internal_chunk(ctx, prefix) }
        lenient {
            pcxl_open_sandboxed_libs(L)
            // json (C) in package.preload
            rawGetGlobal(L, "package")
            lua_pushstring(L, "preload")
            lua_rawget(L, -2)
            lua_pushcclosure(L, pcxl_open_json, 0)
            lua_setfield(L, -2, "json")
            pcxl_pop(L, 2)
        }
        try runBootstrap(L)
        registerAsyncModule()
        updatePackagePath()
    }

    /// Runs the bootstrap chunk (sandbox wrappers, `require` searchers) with the host helpers it
    /// needs, and keeps the internal helpers it returns in the registry (`pcxl.helpers`).
    private func runBootstrap(_ L: OpaquePointer) throws {
        let helpers: [String: HostEntry] = [
            "embedded": .function(.sync { [unowned self] _, args in
                guard let name = args.first?.stringValue, let src = self.options.modules[name] else {
                    return .values([.nil])
                }
                return .values([LuaValue(src)])
            }),
            "exit": .raw { core, L in
                let (code, note) = core.exitStatus(L, 1)
                core.exitNote = note
                pcxl_set_exit_code(core.ctx, code)
                pcxl_set_abort(core.ctx, Int32(PCXL_ABORT_EXIT))
                pcxl_arm_abort_hook(L)
                lua_pushstring(L, "os.exit(\(code)) called")
                return PCXL_RERAISE_
            },
        ]
        let helperTable = lenient { () -> Int32 in
            lua_createtable(L, 0, Int32(helpers.count))
            for (name, entry) in helpers {
                pushEntry(L, entry)
                lua_setfield(L, -2, name)
            }
            return lua_gettop(L)
        }
        _ = helperTable
        // stack: [helpers]
        let st = loadText(L, Self.bootstrap, name: "=[pcx bootstrap]")
        guard st == LUA_OK else {
            let msg = String(cString: lua_tolstring(L, -1, nil))
            throw LuaError(kind: .syntax, message: msg)
        }
        pcxl_insert(L, -2)   // [f helpers]
        // bootstrap returns the internal helpers table; keep it in the registry (as it is: no
        // round trip through a Swift value)
        let status = pcxl_pcall(L, 1, 1)
        guard status == LUA_OK else { throw makeError(L, status: status, errorIndex: lua_gettop(L)) }
        lenient {
            if lua_type(L, -1) == LUA_TTABLE {
                lua_setfield(L, pcxl_registryindex(), "pcxl.helpers")
            } else {
                pcxl_pop(L, 1)
            }
        }
    }

    /// Runs `body` with the allocator lenient (no memory error can longjmp through Swift).
    @inline(__always) @discardableResult
    func lenient<T>(_ body: () throws -> T) rethrows -> T {
        let old = pcxl_set_lenient(ctx, 1)
        defer { _ = pcxl_set_lenient(ctx, old) }
        return try body()
    }

    func loadText(_ L: OpaquePointer, _ source: String, name: String) -> Int32 {
        var s = source
        return s.withUTF8 { buf in
            lenient { pcxl_load(L, UnsafeRawPointer(buf.baseAddress!).assumingMemoryBound(to: CChar.self), buf.count, name) }
        }
    }

    func loadBytes(_ L: OpaquePointer, _ bytes: [UInt8], name: String) -> Int32 {
        bytes.withUnsafeBufferPointer { buf in
            lenient {
                pcxl_load(L, UnsafeRawPointer(buf.baseAddress ?? UnsafePointer<UInt8>(bitPattern: 1)!)
                    .assumingMemoryBound(to: CChar.self), buf.count, name)
            }
        }
    }

    /// Pushes the global `name` with a raw get. [] -> [v].
    func rawGetGlobal(_ L: OpaquePointer, _ name: String) {
        pcxl_pushglobaltable(L)
        lua_pushstring(L, name)
        lua_rawget(L, -2)
        pcxl_remove(L, -2)
    }

    func pushEntry(_ L: OpaquePointer, _ entry: HostEntry) {
        let id = functions.count
        functions.append(entry)
        pcxl_push_trampoline(L, lua_Integer(id))
    }

    /// Sets package.path from the module directories and the script's folder (and its lib/).
    func updatePackagePath() {
        // one string built by appending (`joined(separator:)` is generic code whose first use
        // checks a conformance by scanning the binary's records: 0.15 ms of a start-up)
        var path = ""
        for d in options.moduleDirectories.map(\.path) + scriptDirectories {
            let base = d.hasSuffix("/") ? String(d.dropLast()) : d
            if !path.isEmpty { path += ";" }
            path += base + "/?.lua;" + base + "/?/init.lua"
        }
        lenient {
            rawGetGlobal(L, "package")
            lua_pushstring(L, "path")
            lua_pushstring(L, path)
            lua_rawset(L, -3)
            pcxl_pop(L, 1)
        }
    }

    // MARK: calls

    /// Calls the function below `nargs` arguments on top of the main stack with the message
    /// handler. At the top level it resets the abort state and arms the deadline first, and
    /// afterwards clears the deadline, cancels stray tasks and collects garbage after a memory
    /// abort. [f args] -> [].
    func protectedCall(nargs: Int32, timeout: Double? = nil) throws -> [LuaValue] {
        let L = self.L!
        let base = lua_gettop(L) - nargs - 1
        let topLevel = callDepth == 0
        if topLevel {
            pcxl_reset_abort(L)
            exitNote = nil
            let limit = timeout ?? options.timeout
            currentTimeout = limit
            beginRun(timeout: limit)
            if let limit, limit > 0 {
                pcxl_set_deadline(ctx, pcxl_now_ns() + UInt64(limit * 1e9))
            } else {
                pcxl_set_deadline(ctx, 0)
            }
        }
        callDepth += 1
        let status = pcxl_pcall(L, nargs, LUA_MULTRET)
        callDepth -= 1
        defer {
            lua_settop(L, base)
            if topLevel { finishTopLevel() }
        }
        if status == LUA_OK && topLevel && pcxl_check_abort(ctx) != 0 {
            // the abort fired after the last hook check: the run still failed
            lenient { lua_pushstring(L, abortMessage(pcxl_abort_reason(ctx))) }
            throw makeError(L, status: LUA_ERRRUN, errorIndex: lua_gettop(L))
        }
        if status == LUA_OK {
            let n = lua_gettop(L) - base
            var out: [LuaValue] = []
            out.reserveCapacity(Int(n))
            if n > 0 {
                for i in 1...n { out.append((try? value(L, base + i)) ?? .nil) }
            }
            return out
        }
        throw makeError(L, status: status, errorIndex: lua_gettop(L))
    }

    func finishTopLevel() {
        endRun()
        let reason = pcxl_abort_reason(ctx)
        pcxl_set_deadline(ctx, 0)
        cancelAllTasks()
        completions.lock()
        done.removeAll()
        completions.unlock()
        schedulerThreads.removeAll()
        waitingTask.removeAll()
        if reason == Int32(PCXL_ABORT_MEMORY) {
            lenient { pcxl_gc_collect(L) }
        }
        lenient {
            lua_pushnil(L)
            lua_setfield(L, pcxl_registryindex(), "pcxl.inner_traceback")
        }
        pcxl_reset_abort(L)
        exitNote = nil
        drainUnrefs()
    }

    /// The exit status `os.exit(v)` stands for (argument at `idx`), and when `v` is not one, the
    /// note saying so: none or `true` is 0, `false` 1, a whole number from 0 to 255 itself, and
    /// anything else 1 (never a status the shell would read modulo 256, 256 as 0). Reads the
    /// argument without converting it in place. VM thread.
    func exitStatus(_ L: OpaquePointer, _ idx: Int32) -> (Int32, String?) {
        let shown: String
        switch lua_type(L, idx) {
        case LUA_TNONE, LUA_TNIL:
            return (0, nil)
        case LUA_TBOOLEAN:
            return (lua_toboolean(L, idx) != 0 ? 0 : 1, nil)
        case LUA_TNUMBER:
            var isInteger: Int32 = 0
            let n = lua_tointegerx(L, idx, &isInteger)
            if isInteger != 0, (0...255).contains(n) { return (Int32(n), nil) }
            // as Lua's tostring writes it (4294967296.0, 1e+300, -nan), converting a copy
            var len = 0
            shown = lenient {
                lua_pushvalue(L, idx)
                defer { pcxl_pop(L, 1) }
                guard let p = lua_tolstring(L, -1, &len) else { return "?" }
                return String(decoding: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self)
            }
        case LUA_TSTRING:
            var len = 0
            let p = pcxl_tostring_raw(L, idx, &len)!
            let text = String(decoding: UnsafeRawBufferPointer(start: p, count: min(len, 40)), as: UTF8.self)
            shown = "the string " + String(reflecting: len > 40 ? text + "…" : text)
        default:
            shown = "a " + String(cString: lua_typename(L, lua_type(L, idx))) + " value"
        }
        return (1, "os.exit(\(shown)): not an exit status (a whole number from 0 to 255, true or false); exiting with status 1 instead")
    }

    /// Builds a LuaError from the error value at `errorIndex`.
    func makeError(_ L: OpaquePointer, status: Int32, errorIndex: Int32) -> LuaError {
        let traceback = takeTracebacks(L)
        var (message, errValue, location) = errorText(L, errorIndex)
        var kind: LuaError.Kind = status == LUA_ERRSYNTAX ? .syntax : (status == LUA_ERRMEM ? .memoryLimit : .runtime)
        var exitCode: Int32? = nil
        var warning: String? = nil
        let memory = "the script used more than its memory limit of \(options.memoryLimit / (1 << 20)) MiB"
        switch pcxl_abort_reason(ctx) {
        case Int32(PCXL_ABORT_TIMEOUT):
            kind = .timeout
            message = "the script ran past its time limit of \(currentTimeout.map { String(format: "%g", $0) } ?? "?") s"
            errValue = nil
        case Int32(PCXL_ABORT_INTERRUPT):
            kind = .interrupted
            message = "interrupted"
            errValue = nil
        case Int32(PCXL_ABORT_MEMORY):
            kind = .memoryLimit
            message = memory
            errValue = nil
        case Int32(PCXL_ABORT_EXIT):
            kind = .exit
            exitCode = pcxl_exit_code(ctx)
            warning = exitNote
            message = exitNote ?? "os.exit(\(exitCode!))"
            errValue = nil
        default:
            if kind == .memoryLimit { message = memory }
        }
        return LuaError(kind: kind, message: message, value: errValue, location: location,
                        traceback: traceback, exitCode: exitCode, warning: warning)
    }

    /// The traceback the message handler kept (with an async job's own in front), cleared from the
    /// registry. Every text copied out of Lua here is bounded (LuaError.maxTextBytes): a script can
    /// raise a string as large as its memory limit, which the host would copy and print otherwise.
    private func takeTracebacks(_ L: OpaquePointer) -> String? {
        var traceback: String? = nil
        var len = 0
        lenient {
            lua_getfield(L, pcxl_registryindex(), "pcxl.traceback")
            if let s = pcxl_tostring_raw(L, -1, &len) { traceback = LuaError.boundedText(UnsafeRawPointer(s), count: len) }
            pcxl_pop(L, 1)
            lua_pushnil(L)
            lua_setfield(L, pcxl_registryindex(), "pcxl.traceback")
            lua_getfield(L, pcxl_registryindex(), "pcxl.inner_traceback")
            if let s = pcxl_tostring_raw(L, -1, &len) {
                let inner = LuaError.boundedText(UnsafeRawPointer(s), count: len)
                    .replacingOccurrences(of: "stack traceback:", with: "async job traceback:")
                traceback = inner + "\n" + (traceback ?? "")
            }
            pcxl_pop(L, 1)
            lua_pushnil(L)
            lua_setfield(L, pcxl_registryindex(), "pcxl.inner_traceback")
        }
        return traceback
    }

    /// The error value's message (bounded), the value itself when it is not a string, and the
    /// location (`file:line` of a string error, or a table's `where`).
    private func errorText(_ L: OpaquePointer, _ errorIndex: Int32) -> (String, LuaValue?, String?) {
        var len = 0
        if lua_type(L, errorIndex) == LUA_TSTRING {
            let p = pcxl_tostring_raw(L, errorIndex, &len)!
            let (location, message) = LuaError.splitLocation(LuaError.boundedText(UnsafeRawPointer(p), count: len))
            return (message, nil, location)
        }
        let errValue = try? value(L, errorIndex, bound: .cut(LuaError.maxTextBytes))
        var location: String?
        if lua_type(L, errorIndex) == LUA_TTABLE, let w = errValue?["where"].stringValue {
            location = LuaError.bounded(w, limit: 1024)
        }
        var message = ""
        lenient {
            _ = pcxl_tolstring_protected(L, errorIndex)
            if let s = lua_tolstring(L, -1, &len) { message = LuaError.boundedText(UnsafeRawPointer(s), count: len) }
            pcxl_pop(L, 1)
        }
        return (message, errValue, location)
    }

    // MARK: dispatch

    /// Called by the C trampoline for function `id`. Returns a result count or a PCXL_ code.
    func dispatch(_ L: OpaquePointer, _ id: Int) -> Int32 {
        if hasPendingUnrefs { drainUnrefs() }
        guard id >= 0, id < functions.count else {
            lua_pushstring(L, "pcx: unknown host function \(id)")
            return PCXL_RAISE_
        }
        switch functions[id] {
        case .raw(let f):
            return f(self, L)
        case .function(.sync(let f)):
            let args: [LuaValue]
            do { args = try arguments(L) } catch {
                lenient { lua_pushstring(L, "\(error)") }
                return PCXL_RAISE_
            }
            let context = LuaContext(core: self, state: L)
            let result: LuaHostResult
            do { result = try f(context, args) } catch {
                return pushError(L, error) ? PCXL_RERAISE_ : PCXL_RAISE_
            }
            return pushResult(L, result)
        case .function(.async(let f)):
            return startAsync(L, f)
        }
    }

    /// Copies a host function's arguments into Swift. A string longer than
    /// `maxStringArgumentBytes` (an argument, or inside a table argument) is refused from its
    /// length alone, before it (or, for a top-level one, any argument) is copied.
    func arguments(_ L: OpaquePointer) throws -> [LuaValue] {
        let n = lua_gettop(L)
        guard n > 0 else { return [] }
        let limit = options.maxStringArgumentBytes
        let bound: StringBound? = limit > 0 ? .refuse(limit) : nil
        if limit > 0 {
            for i in 1...n where lua_type(L, i) == LUA_TSTRING {
                let len = Int(lua_rawlen(L, i))
                if len > limit { throw tooLongArgument(L, i, LuaStringTooLong(bytes: len, limit: limit, topLevel: true)) }
            }
        }
        var args: [LuaValue] = []
        args.reserveCapacity(Int(n))
        for i in 1...n {
            do { args.append(try value(L, i, bound: bound)) } catch let e as LuaStringTooLong {
                throw tooLongArgument(L, i, e)
            }
        }
        return args
    }

    /// The error for argument `i` holding a string over the limit, in `luaL_argerror`'s words:
    /// `bad argument #2 to 'send' (a string of 100 MiB (104857600 bytes); host functions take
    /// strings of at most 16 MiB (16777216 bytes))`. VM thread, inside the host call.
    func tooLongArgument(_ L: OpaquePointer, _ i: Int32, _ e: LuaStringTooLong) -> LuaConversionError {
        var ar = lua_Debug()
        var name = "?"
        if lua_getstack(L, 0, &ar) != 0, lua_getinfo(L, "n", &ar) != 0, let n = ar.name {
            name = String(cString: n)
        }
        let what = e.topLevel ? "a string" : "a table holding a string"
        return LuaConversionError(description:
            "bad argument #\(i) to '\(name)' (\(what) of \(Self.sizeText(e.bytes)); host functions take strings of at most \(Self.sizeText(e.limit)))")
    }

    /// `100 MiB (104857600 bytes)`, `1.5 KiB (1536 bytes)`, `900 bytes`.
    static func sizeText(_ bytes: Int) -> String {
        let units: [(Int, String)] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
        for (size, unit) in units where bytes >= size {
            let value = Double(bytes) / Double(size)
            return String(format: "%g", (value * 10).rounded() / 10) + " \(unit) (\(bytes) bytes)"
        }
        return "\(bytes) bytes"
    }

    /// Pushes the Lua value of a Swift error. [] -> [e].
    /// Returns true when the pushed message already names its location (a ``LuaError`` from a
    /// nested run), so the trampoline must not prefix the caller's.
    @discardableResult
    func pushError(_ L: OpaquePointer, _ error: any Error) -> Bool {
        lenient {
            if let r = error as? any LuaRaisable {
                push(L, r.luaErrorValue)
            } else if let e = error as? LuaError {
                if let v = e.value {
                    push(L, v)
                } else if let loc = e.location {
                    lua_pushstring(L, "\(loc): \(e.message)")
                    return true
                } else {
                    lua_pushstring(L, e.message)
                }
            } else if error is CancellationError {
                lua_pushstring(L, "cancelled")
            } else {
                lua_pushstring(L, "\(error)")
            }
            return false
        }
    }

    /// Pushes a host result: values (count returned), JSON decoded (1) or an error (RAISE).
    func pushResult(_ L: OpaquePointer, _ result: LuaHostResult) -> Int32 {
        switch result {
        case .values(let vs):
            guard lua_checkstack(L, Int32(vs.count) + 4) != 0 else {
                lua_pushstring(L, "pcx: too many results")
                return PCXL_RAISE_
            }
            lenient { for v in vs { push(L, v) } }
            return Int32(vs.count)
        case .json(let bytes):
            return pushJSON(L, bytes) == LUA_OK ? 1 : PCXL_RAISE_
        case .jsonData(let data):
            return pushJSON(L, data) == LUA_OK ? 1 : PCXL_RAISE_
        case .jsonRecords(let data):
            return pushJSON(L, data, records: true) == LUA_OK ? 1 : PCXL_RAISE_
        case .error(let v):
            lenient { push(L, v) }
            return PCXL_RAISE_
        }
    }

    /// Decodes JSON bytes onto the stack under pcall. [] -> [v|err]. Returns the pcall status.
    func pushJSON(_ L: OpaquePointer, _ bytes: some ContiguousBytes, records: Bool = false) -> Int32 {
        bytes.withUnsafeBytes { buf in
            let p = buf.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
            return pcxl_json_decode_protected(L, p.assumingMemoryBound(to: CChar.self), buf.count, records ? 1 : 0)
        }
    }

    // MARK: file policy

    /// nil when reading `path` is allowed, else the reason (naming the path, why, and the fix).
    /// Canonicalises the path (symlinks, `..`); it must be inside the script's folder (or its
    /// `lib/`), a module directory, `allowRead` or `allowWrite`, and not denied.
    func checkRead(_ path: String) -> String? {
        if path.isEmpty { return "empty path" }
        let absolute = Self.absolute(path)
        let resolved = Self.resolveForWrite(absolute)
        if let denied = denial(path, absolute: absolute, resolved: resolved) { return denied }
        // a file that cannot be resolved does not exist: judged by its lexical path, so that
        // opening it inside an allowed directory fails the ordinary way ("No such file")
        let target = resolved ?? URL(fileURLWithPath: absolute).standardized.path
        let roots = scriptDirectories + (options.moduleDirectories + options.allowRead + options.allowWrite).map(\.path)
        if roots.contains(where: { Self.isInside(target, path: $0) }) { return nil }
        let dir = (path as NSString).deletingLastPathComponent
        let hint = options.readRefusalHint.map { "; " + $0.replacingOccurrences(of: "DIR", with: dir.isEmpty ? "." : dir) } ?? ""
        let allowed = roots
        let list = allowed.isEmpty ? "none were granted" : allowed.joined(separator: ", ")
        return "\(path): reading outside the allowed directories (\(list)) is not permitted\(hint)"
    }

    /// nil when writing `path` is allowed, else the reason. Canonicalises the path (symlinks,
    /// `..`) and requires it to be inside one of the allowed directories and not denied.
    func checkWrite(_ path: String) -> String? {
        if path.isEmpty { return "empty path" }
        let dir = (path as NSString).deletingLastPathComponent
        let hint = options.writeRefusalHint.map { "; " + $0.replacingOccurrences(of: "DIR", with: dir.isEmpty ? "." : dir) } ?? ""
        let absolute = Self.absolute(path)
        let resolved = Self.resolveForWrite(absolute)
        if let denied = denial(path, absolute: absolute, resolved: resolved) { return denied }
        if options.allowWrite.isEmpty {
            return "\(path): writing files is not allowed (no writable directory was granted)\(hint)"
        }
        guard let resolved else {
            return "\(path): cannot resolve the path (its directory must exist)"
        }
        if options.allowWrite.contains(where: { Self.isInside(resolved, $0) }) { return nil }
        let allowed = options.allowWrite.map { $0.path }.joined(separator: ", ")
        return "\(path): writing outside the allowed directories (\(allowed)) is not permitted\(hint)"
    }

    /// The devices scripts may open.
    static let allowedDevices: Set<String> = ["/dev/null", "/dev/zero", "/dev/random", "/dev/urandom"]

    /// The reason `path` is denied whatever the allowed directories say, or nil: `/proc`, `/sys`,
    /// `/dev` (but a few harmless devices), and `denyPaths` (minus `denyExceptions`). Both the
    /// lexical and the canonical path are checked.
    func denial(_ path: String, absolute: String, resolved: String?) -> String? {
        let lexical = URL(fileURLWithPath: absolute).standardized.path
        let candidates = [lexical] + (resolved.map { [$0] } ?? [])
        for c in candidates where !Self.allowedDevices.contains(c) {
            for system in ["/proc", "/sys", "/dev"] where c == system || c.hasPrefix(system + "/") {
                return "\(path): \(system) is never readable or writable by scripts (process memory, environment and devices live there)"
            }
        }
        for denied in options.denyPaths {
            for c in candidates where Self.isInside(c, denied) {
                if options.denyExceptions.contains(where: { Self.isInside(c, $0) }) { continue }
                return "\(path): pcx's own files (configuration, credentials, journal, history: \(denied.path)) are never readable or writable by scripts, whatever --allow-read or --allow-write say"
            }
        }
        return nil
    }

    /// An absolute path with `.`, `..` and repeated slashes resolved as text (no symlinks), as
    /// `URL.standardized.path` gives it: `/a/./b/../c/` → `/a/c`.
    static func lexical(_ absolute: String) -> String {
        var parts: [Substring] = []
        for part in absolute.split(separator: "/") where part != "." {
            if part == ".." {
                if !parts.isEmpty { parts.removeLast() }
            } else {
                parts.append(part)
            }
        }
        var out = ""
        for part in parts {
            out += "/"
            out += String(part) // (appending a Substring is generic code: a conformance scan)
        }
        return out.isEmpty ? "/" : out
    }

    /// The directory of a lexical absolute path (`/a/b` → `/a`, `/a` → `/`).
    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    /// `path` made absolute against the current directory.
    static func absolute(_ path: String) -> String { POSIXFiles.absolute(path) }

    /// Whether canonical `path` is `root` or inside it (`root` canonicalised; a root that does
    /// not exist is compared lexically).
    static func isInside(_ path: String, _ root: URL) -> Bool {
        isInside(path, path: root.path)
    }

    /// ``isInside(_:_:)`` for a root given as an absolute path.
    static func isInside(_ path: String, path root: String) -> Bool {
        let r = realpath(root) ?? lexical(root)
        if r == "/" { return true }
        return path == r || path.hasPrefix(r + "/")
    }

    static func realpath(_ p: String) -> String? {
        guard let r = Foundation.realpath(p, nil) else { return nil }
        defer { free(r) }
        return String(cString: r)
    }

    /// The canonical path a write to `absolute` would touch: the file itself when it exists
    /// (following symlinks), otherwise the canonical parent plus the last component.
    static func resolveForWrite(_ absolute: String) -> String? {
        var st = stat()
        if lstat(absolute, &st) == 0 {
            return realpath(absolute)   // a dangling symlink gives nil: refused
        }
        let url = URL(fileURLWithPath: absolute)
        let last = url.lastPathComponent
        if last == ".." || last == "." || last.isEmpty { return nil }
        guard let parent = realpath(url.deletingLastPathComponent().path) else { return nil }
        return (parent == "/" ? "" : parent) + "/" + last
    }

    // MARK: chunk names

    /// A short chunk name (`@scripts/x.lua`): relative to the chunk-name base when inside it.
    func chunkName(forPath path: String) -> String {
        let base = options.chunkNameBase ?? POSIXFiles.currentDirectory()
        let absolute = path.hasPrefix("/") ? path : base + "/" + path
        let std = Self.lexical(absolute)
        let b = base.hasSuffix("/") ? base : base + "/"
        if std.hasPrefix(b) { return "@" + String(std.dropFirst(b.count)) }
        return "@" + std
    }
}

