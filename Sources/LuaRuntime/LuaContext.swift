import CLuaShim
import Foundation

/// Access to a ``LuaVM``'s state from its own thread.
///
/// A context is handed to `LuaVM.perform` bodies and to `.sync` host functions. **Thread
/// confinement:** it is only valid on the VM thread and only for the duration of the call that
/// received it: do not store it or send it elsewhere. Every method keeps the Lua stack balanced
/// unless it says otherwise, never lets a Lua error longjmp through Swift (Lua is only entered
/// through `lua_pcall`), and uses raw table access so no metamethod runs behind your back.
public struct LuaContext {
    let core: LuaVMCore
    /// The raw `lua_State` (the running coroutine inside a host function). For advanced use with
    /// CLuaShim; the rules above apply.
    public let state: OpaquePointer

    init(core: LuaVMCore, state: OpaquePointer) {
        self.core = core
        self.state = state
    }

    /// Bytes currently allocated by the Lua state.
    public var memoryUsed: Int { core.memoryUsed }

    // MARK: running code

    /// Compiles and runs a chunk of Lua source (text only) and returns its results.
    ///
    /// - Parameters:
    ///   - source: Lua source text.
    ///   - name: the chunk name shown in messages, e.g. `"scripts/x.lua"` (an `@` is added) or
    ///     `"=stdin"`.
    ///   - args: strings passed as `...` (and, when `setArg` is true, as the global `arg`
    ///     table with `arg[0] = name`, like lua.c).
    ///   - arg0: `arg[0]` when it is not `name` (`"-"` for a script read from standard input);
    ///     setting it sets `arg` as `setArg` does.
    ///   - timeout: overrides the VM's per-run timeout when this is a top-level run.
    /// - Throws: ``LuaError`` (`syntax`, `runtime`, `timeout`, `memory_limit`, `interrupted`,
    ///   `exit`).
    public func run(_ source: String, name: String, args: [String] = [], setArg: Bool = false, arg0: String? = nil,
                    timeout: Double? = nil) throws -> [LuaValue] {
        try core.runChunk(Array(source.utf8), chunkName: Self.chunkName(name), args: args,
                          arg0: arg0 ?? (setArg ? name : nil), timeout: timeout)
    }

    /// Reads and runs a Lua source file like `lua path args...`: a first `#!` line is skipped,
    /// bytecode is refused, `arg` and `...` are set, and `require` also searches the script's
    /// folder and its `lib/`. The chunk name is the path relative to the chunk-name base.
    /// - Throws: ``LuaError`` (`io` when the file cannot be read).
    /// Makes `directory` the script's folder, as ``runFile(_:args:timeout:)`` does for a file's:
    /// `require` searches it and its `lib/`, and the script may read under it. For a script that
    /// has no file (`pcx run -` reads it from standard input: its folder is the current one).
    public func useScriptDirectory(_ directory: URL) {
        let dir = LuaVMCore.lexical(LuaVMCore.absolute(directory.path))
        core.scriptDirectories = [dir, dir == "/" ? "/lib" : dir + "/lib"]
        core.updatePackagePath()
    }

    public func runFile(_ path: String, args: [String] = [], timeout: Double? = nil) throws -> [LuaValue] {
        try core.runFile(path, args: args, timeout: timeout)
    }

    /// Compiles without running. Returns nil when the chunk compiles, else the syntax error
    /// (`location` is `file:line`, `message` the text).
    public func check(_ source: String, name: String) -> LuaError? {
        core.check(Array(source.utf8), chunkName: Self.chunkName(name))
    }

    /// Calls a Lua function value (from a ``LuaReference``) with arguments, protected.
    /// - Throws: ``LuaError`` when the function raises.
    public func call(_ function: LuaValue, _ args: [LuaValue] = []) throws -> [LuaValue] {
        let L = state
        guard lua_checkstack(L, Int32(args.count) + 4) != 0 else {
            throw LuaError(kind: .runtime, message: "Lua stack overflow")
        }
        core.lenient {
            core.push(L, function)
            for a in args { core.push(L, a) }
        }
        return try core.protectedCall(on: L, nargs: Int32(args.count))
    }

    /// Calls the global function `name` (raw lookup; dots walk nested tables: `"string.format"`).
    public func callGlobal(_ name: String, _ args: [LuaValue] = []) throws -> [LuaValue] {
        try call(global(name), args)
    }

    // MARK: globals and modules

    /// Reads a global (raw; dots walk nested tables, e.g. `"package.path"`).
    public func global(_ name: String) -> LuaValue {
        let L = state
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        pcxl_pushglobaltable(L)
        for part in name.split(separator: ".") {
            guard lua_type(L, -1) == LUA_TTABLE else { return .nil }
            core.lenient { lua_pushstring(L, String(part)) }
            lua_rawget(L, -2)
        }
        return (try? core.value(L, -1)) ?? .nil
    }

    /// Sets a global value (raw).
    public func setGlobal(_ name: String, _ value: LuaValue) {
        let L = state
        core.lenient {
            pcxl_pushglobaltable(L)
            lua_pushstring(L, name)
            core.push(L, value)
            lua_rawset(L, -3)
            pcxl_pop(L, 1)
        }
    }

    /// Sets a global to a Swift function.
    public func setGlobal(_ name: String, function: LuaFunction) {
        let L = state
        core.lenient {
            pcxl_pushglobaltable(L)
            lua_pushstring(L, name)
            core.pushEntry(L, .function(function))
            lua_rawset(L, -3)
            pcxl_pop(L, 1)
        }
    }

    /// Registers a native module: `require(name)` returns a table of these functions and values
    /// (installed in `package.preload`). Dotted keys build nested tables:
    /// `"carts.create"` becomes `m.carts.create`. With `asGlobal` the table is also the global
    /// `name` (e.g. `pc`), the same table `require` returns.
    public func registerModule(_ name: String, functions: [String: LuaFunction], values: [String: LuaValue] = [:],
                               asGlobal: Bool = false) {
        core.registerModule(state, name, functions: functions.mapValues { .function($0) }, values: values,
                            asGlobal: asGlobal)
    }

    /// Defines (or extends) the metatable registered under `name` (its `__name`), e.g.
    /// `"pc.Error"`, with metamethods or methods implemented in Swift (`__tostring`, `__index`
    /// is up to you). Tables pushed with `metatableName == name` get it. Without a definition a
    /// named metatable gets a default `__tostring` that prints `code: message`.
    public func defineMetatable(_ name: String, functions: [String: LuaFunction] = [:], values: [String: LuaValue] = [:]) {
        let L = state
        core.lenient {
            core.pushMetatable(L, name)
            for (k, f) in functions {
                lua_pushstring(L, k)
                core.pushEntry(L, .function(f))
                lua_rawset(L, -3)
            }
            for (k, v) in values {
                lua_pushstring(L, k)
                core.push(L, v)
                lua_rawset(L, -3)
            }
            pcxl_pop(L, 1)
        }
    }

    /// Compiles a Lua function from source (text only) and returns it as a value, without
    /// running anything else. Useful for metamethods written in Lua: `try ctx.function("return
    /// function(e) return e.code end")`. The chunk is run once to produce the function.
    public func function(_ source: String, name: String = "=[host]") throws -> LuaValue {
        guard let f = try core.runChunk(Array(source.utf8), chunkName: Self.chunkName(name), args: [],
                                        arg0: nil, timeout: nil, on: state).first,
              case .reference(let r) = f, r.kind == "function"
        else { throw LuaError(kind: .runtime, message: "the chunk did not return a function") }
        return f
    }

    // MARK: JSON

    /// Decodes JSON bytes straight into Lua values and pushes the result on the stack of this
    /// context's state. **Stack effect** `[] -> [v]` on success; nothing on failure.
    /// - Throws: ``LuaError`` (`runtime`) with `json.decode: ... at byte N` on malformed input.
    public func pushJSON(_ bytes: [UInt8]) throws {
        let st = core.lenient { core.pushJSON(state, bytes) }
        if st != LUA_OK {
            let message = pcxl_tostring_raw(state, -1, nil).map { String(cString: $0) } ?? "json.decode failed"
            pcxl_pop(state, 1)
            throw LuaError(kind: st == LUA_ERRMEM ? .memoryLimit : .runtime, message: message)
        }
    }

    /// Decodes JSON bytes in Lua and copies the result into Swift (for tests and small values;
    /// hand large responses to Lua with ``LuaHostResult/json(_:)`` or ``pushJSON(_:)``).
    public func decodeJSON(_ bytes: [UInt8]) throws -> LuaValue {
        try pushJSON(bytes)
        defer { pcxl_pop(state, 1) }
        return try core.value(state, -1)
    }

    /// Sets global `name` to the Lua value decoded from JSON bytes.
    public func setGlobalJSON(_ name: String, _ bytes: [UInt8]) throws {
        let L = state
        pcxl_pushglobaltable(L)
        do { try pushJSON(bytes) } catch {
            pcxl_pop(L, 1)
            throw error
        }
        core.lenient {
            lua_pushstring(L, name)
            pcxl_insert(L, -2)
            lua_rawset(L, -3)
            pcxl_pop(L, 1)
        }
    }

    // MARK: raw stack helpers

    /// Pushes a Swift value (`[] -> [v]`).
    public func push(_ value: LuaValue) {
        _ = lua_checkstack(state, 8)
        core.lenient { core.push(state, value) }
    }

    /// Copies the value at a stack index into Swift (`[-0,+0]`).
    public func value(at index: Int32) throws -> LuaValue {
        do { return try core.value(state, index) } catch {
            throw LuaError(kind: .runtime, message: "\(error)")
        }
    }

    /// Pops `n` values.
    public func pop(_ n: Int32 = 1) { pcxl_pop(state, n) }

    /// The number of values on the stack.
    public var top: Int32 { lua_gettop(state) }

    static func chunkName(_ name: String) -> String {
        if name.hasPrefix("@") || name.hasPrefix("=") { return name }
        return "@" + name
    }
}

@available(*, unavailable, message: "a LuaContext is confined to the VM thread")
extension LuaContext: Sendable {}
