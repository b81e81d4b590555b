import CLuaShim
import Foundation

/// A Lua 5.4 virtual machine confined to its own thread.
///
/// **Thread confinement.** The `lua_State` is created, used and closed on one dedicated thread
/// (not the Swift cooperative pool). Every API here is safe to call from any thread or task:
/// work is queued to the VM thread and runs there one job at a time, in order. Inside a job
/// (`perform`) and inside `.sync` host functions you get a ``LuaContext`` valid on that thread
/// only. `interrupt()` is the one call that acts immediately from any thread.
///
/// **Isolation.** Each VM is a fresh state with a counting allocator (`memoryLimit`), a
/// per-run wall-clock limit (`timeout`) enforced by an instruction hook that escalates so
/// `pcall` cannot swallow it, text-only loading, no `io.popen` / `os.execute` /
/// `package.loadlib` / C modules / hook-changing debug functions, `os.exit` turned into a
/// host-controlled ``LuaError/Kind/exit``, and file writes only under `allowWrite`.
///
/// ```swift
/// var options = LuaVMOptions()
/// options.timeout = 30
/// options.modules = ["inspect": inspectSource]
/// let vm = try LuaVM(options: options)
/// try await vm.perform { ctx in
///     ctx.registerModule("hello", functions: [
///         "greet": .sync { _, args in .value(LuaValue("hi " + (args.first?.stringValue ?? ""))) },
///     ])
/// }
/// let results = try await vm.runFile("scripts/x.lua", args: ["a"])
/// ```
public final class LuaVM: Sendable {
    let core: LuaVMCore

    /// Creates a VM: starts its thread, which builds a sandboxed state there while the caller goes
    /// on. A state that cannot be built (a memory limit too small for it) fails every job with
    /// ``LuaError/Kind/memoryLimit``.
    /// - Throws: ``LuaError`` if the thread cannot be started.
    public init(options: LuaVMOptions = LuaVMOptions()) throws {
        core = LuaVMCore(options: options)
        try core.start()
    }

    deinit { core.stop() }

    /// The options this VM was created with.
    public var options: LuaVMOptions { core.options }

    /// Runs `body` on the VM thread with a context for the state and returns its result.
    /// Cancelling the calling task interrupts the VM.
    /// - Throws: whatever `body` throws; ``LuaError`` `closed` when the VM is closed.
    public func perform<T: Sendable>(_ body: @escaping @Sendable (LuaContext) throws -> T) async throws -> T {
        let core = self.core
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (cont: CheckedContinuation<T, any Error>) in
                let queued = core.enqueue {
                    if let failure = core.failure { return cont.resume(throwing: failure) }
                    let context = LuaContext(core: core, state: core.L)
                    do { cont.resume(returning: try body(context)) } catch { cont.resume(throwing: error) }
                }
                if !queued { cont.resume(throwing: LuaError(kind: .closed, message: "the Lua VM is closed")) }
            }
        } onCancel: {
            core.interrupt()
        }
    }

    /// Like ``perform(_:)`` but blocks the calling thread (for non-async callers such as a REPL
    /// loop). Runs inline when called on the VM thread itself.
    public func performBlocking<T>(_ body: (LuaContext) throws -> T) throws -> T {
        if core.isVMThread { return try body(LuaContext(core: core, state: core.L)) }
        return try withoutActuallyEscaping(body) { body in
            // The VM thread's job holds the box, never the body itself: the body is let go before
            // the caller is woken, as `withoutActuallyEscaping` requires.
            let job = BlockingJob(body)
            let queued = core.enqueue { [core] in job.run(core) }
            if !queued {
                job.body = nil
                throw LuaError(kind: .closed, message: "the Lua VM is closed")
            }
            job.done.wait()
            return try job.result!.get()
        }
    }

    /// Queues `body` to run first on the VM thread without waiting for it: set-up (modules, a
    /// prelude) that the next ``perform(_:)`` then finds done, with no round trip of its own. If
    /// it throws, every later job fails with that error.
    public func prepare(_ body: @escaping @Sendable (LuaContext) throws -> Void) {
        let core = self.core
        _ = core.enqueue {
            guard core.failure == nil else { return }
            do { try body(LuaContext(core: core, state: core.L)) } catch let error as LuaError {
                core.failure = error
            } catch {
                core.failure = LuaError(kind: .runtime, message: "\(error)")
            }
        }
    }

    /// Interrupts whatever the VM is running (Ctrl-C): the running script fails with
    /// ``LuaError/Kind/interrupted`` (pcall cannot catch it) and in-flight async host calls are
    /// cancelled. Safe from any thread, including a signal-handling task. No effect when idle.
    public func interrupt() { core.interrupt() }

    /// Stops the VM thread after the queued jobs; later calls fail with `closed`.
    public func close() { core.stop() }

    /// Bytes currently allocated by the state (racy read, for statistics).
    public var memoryUsed: Int { core.memoryUsed }

    // MARK: conveniences (each one job on the VM thread)

    /// Runs a source file like `lua path args...` (see ``LuaContext/runFile(_:args:timeout:)``).
    public func runFile(_ path: String, args: [String] = [], timeout: Double? = nil) async throws -> [LuaValue] {
        try await perform { try $0.runFile(path, args: args, timeout: timeout) }
    }

    /// Runs a chunk of source (see ``LuaContext/run(_:name:args:setArg:timeout:)``).
    public func runChunk(_ source: String, name: String, args: [String] = [], timeout: Double? = nil) async throws -> [LuaValue] {
        try await perform { try $0.run(source, name: name, args: args, timeout: timeout) }
    }

    /// Compiles without running; nil when the source compiles.
    public func check(_ source: String, name: String) async throws -> LuaError? {
        try await perform { $0.check(source, name: name) }
    }

    /// Registers a native module for `require(name)` (see ``LuaContext/registerModule(_:functions:values:asGlobal:)``).
    public func registerModule(_ name: String, functions: [String: LuaFunction], values: [String: LuaValue] = [:],
                               asGlobal: Bool = false) async throws {
        try await perform { $0.registerModule(name, functions: functions, values: values, asGlobal: asGlobal) }
    }

    /// Sets a global to a value.
    public func setGlobal(_ name: String, _ value: LuaValue) async throws {
        try await perform { $0.setGlobal(name, value) }
    }

    /// Sets a global to a Swift function.
    public func setGlobal(_ name: String, function: LuaFunction) async throws {
        try await perform { $0.setGlobal(name, function: function) }
    }
}

/// One ``LuaVM/performBlocking(_:)`` call: its body (until it runs), its result, and the
/// semaphore its caller waits on.
private final class BlockingJob<T>: @unchecked Sendable {
    var body: ((LuaContext) throws -> T)?
    var result: Result<T, any Error>?
    let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping (LuaContext) throws -> T) { self.body = body }

    /// Runs the body on the VM thread, lets it go, then wakes the caller.
    func run(_ core: LuaVMCore) {
        execute(core)
        done.signal()
    }

    private func execute(_ core: LuaVMCore) {
        guard let body else { return }
        self.body = nil
        result = Result {
            if let failure = core.failure { throw failure }
            return try body(LuaContext(core: core, state: core.L))
        }
    }
}
