import CLuaShim
import Foundation

extension LuaVMCore {
    /// pcall on `L` (the main state or a running coroutine inside a host call). See
    /// `protectedCall(nargs:timeout:)` for the top-level behaviour. [f args] -> [].
    func protectedCall(on L: OpaquePointer, nargs: Int32, timeout: Double? = nil) throws -> [LuaValue] {
        if L == self.L { return try protectedCall(nargs: nargs, timeout: timeout) }
        let base = lua_gettop(L) - nargs - 1
        callDepth += 1
        let status = pcxl_pcall(L, nargs, LUA_MULTRET)
        callDepth -= 1
        defer { lua_settop(L, base) }
        if status == LUA_OK {
            let n = lua_gettop(L) - base
            var out: [LuaValue] = []
            if n > 0 { for i in 1...n { out.append((try? value(L, base + i)) ?? .nil) } }
            return out
        }
        throw makeError(L, status: status, errorIndex: lua_gettop(L))
    }

    /// Loads `bytes` (text only) and runs it with `args` as `...`. When `arg0` is set, the global
    /// `arg` gets `[0] = arg0` and `args` at 1...n.
    func runChunk(_ bytes: [UInt8], chunkName: String, args: [String], arg0: String?, timeout: Double?,
                  on state: OpaquePointer? = nil) throws -> [LuaValue] {
        let L = state ?? self.L!
        if bytes.first == 0x1B {
            throw LuaError(kind: .syntax, message: "bytecode is not allowed; pcx runs Lua source only",
                           location: String(chunkName.dropFirst()))
        }
        guard lua_checkstack(L, Int32(args.count) + 8) != 0 else {
            throw LuaError(kind: .runtime, message: "too many arguments")
        }
        let st = loadBytes(L, bytes, name: chunkName)
        if st != LUA_OK { throw loadError(L, status: st) }
        lenient {
            if let arg0 {
                pcxl_pushglobaltable(L)
                lua_pushstring(L, "arg")
                lua_createtable(L, Int32(args.count), 1)
                lua_pushstring(L, arg0)
                lua_rawseti(L, -2, 0)
                for (i, a) in args.enumerated() {
                    lua_pushstring(L, a)
                    lua_rawseti(L, -2, lua_Integer(i + 1))
                }
                lua_rawset(L, -3)
                pcxl_pop(L, 1)
            }
            for a in args { lua_pushstring(L, a) }
        }
        return try protectedCall(on: L, nargs: Int32(args.count), timeout: timeout)
    }

    /// The error of a failed load on top of the stack (popped).
    func loadError(_ L: OpaquePointer, status: Int32) -> LuaError {
        // bounded: a syntax error quotes the token it stopped at, which can be a whole
        // (unfinished) long string
        var len = 0
        let raw = pcxl_tostring_raw(L, -1, &len).map { LuaError.boundedText(UnsafeRawPointer($0), count: len) }
            ?? "cannot load chunk"
        pcxl_pop(L, 1)
        if status == LUA_ERRMEM {
            return LuaError(kind: .memoryLimit, message: "not enough memory to compile the chunk")
        }
        var (location, message) = LuaError.splitLocation(raw)
        if raw.contains("attempt to load a binary chunk") {
            message = "bytecode is not allowed; pcx runs Lua source only"
        }
        return LuaError(kind: .syntax, message: message, location: location)
    }

    /// Reads and runs a file like lua.c (shebang skipped, bytecode refused, `arg` set).
    func runFile(_ path: String, args: [String], timeout: Double?) throws -> [LuaValue] {
        guard var bytes = POSIXFiles.read(path) else {
            throw LuaError(kind: .io, message: "cannot read \(path)")
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) } // a UTF-8 byte-order mark, as lua skips it
        if bytes.first == UInt8(ascii: "#") {
            // keep the newline so line numbers stay right
            let end = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            bytes.removeSubrange(0..<end)
        }
        let name = chunkName(forPath: path)
        if bytes.first == 0x1B {
            throw LuaError(kind: .syntax, message: "\(name.dropFirst()): bytecode is not allowed; pcx runs Lua source only",
                           location: String(name.dropFirst()))
        }
        // the folder of the file itself, symlinks and `..` resolved (as Python and Node find a
        // script's modules); lexical when it cannot be resolved
        let absolute = Self.absolute(path)
        let dir = Self.parent(Self.realpath(absolute) ?? Self.lexical(absolute))
        scriptDirectories = [dir, dir == "/" ? "/lib" : dir + "/lib"]
        updatePackagePath()
        return try runChunk(bytes, chunkName: name, args: args, arg0: path, timeout: timeout)
    }

    /// Compiles only. nil when fine.
    func check(_ bytes: [UInt8], chunkName: String) -> LuaError? {
        if bytes.first == 0x1B {
            return LuaError(kind: .syntax, message: "bytecode is not allowed; pcx runs Lua source only",
                            location: String(chunkName.dropFirst()))
        }
        let st = loadBytes(L, bytes, name: chunkName)
        if st != LUA_OK { return loadError(L, status: st) }
        pcxl_pop(L, 1)
        return nil
    }

    /// Builds a module table from entries and values and installs a loader in package.preload.
    func registerModule(_ L: OpaquePointer, _ name: String, functions: [String: HostEntry], values: [String: LuaValue],
                        asGlobal: Bool = false) {
        lenient {
            lua_createtable(L, 0, Int32(functions.count + values.count))
            let t = lua_gettop(L)
            for key in functions.keys.sorted() {
                setNested(L, t, key) { self.pushEntry(L, functions[key]!) }
            }
            for key in values.keys.sorted() {
                setNested(L, t, key) { self.push(L, values[key]!) }
            }
            let ref = luaL_ref(L, pcxl_registryindex())   // pops the table
            rawGetGlobal(L, "package")
            lua_pushstring(L, "preload")
            lua_rawget(L, -2)
            lua_pushstring(L, name)
            pushEntry(L, .raw { _, L in
                lua_rawgeti(L, pcxl_registryindex(), lua_Integer(ref))
                return 1
            })
            lua_rawset(L, -3)
            pcxl_pop(L, 2)
            // a module required earlier is replaced too
            rawGetGlobal(L, "package")
            lua_pushstring(L, "loaded")
            lua_rawget(L, -2)
            lua_pushstring(L, name)
            lua_pushnil(L)
            lua_rawset(L, -3)
            pcxl_pop(L, 2)
            if asGlobal {
                pcxl_pushglobaltable(L)
                lua_pushstring(L, name)
                lua_rawgeti(L, pcxl_registryindex(), lua_Integer(ref))
                lua_rawset(L, -3)
                pcxl_pop(L, 1)
            }
        }
    }

    /// Sets `t[a][b]...[z] = <pushed value>` for key "a.b...z", creating tables. Inside lenient.
    func setNested(_ L: OpaquePointer, _ t: Int32, _ key: String, _ pushValue: () -> Void) {
        let parts = key.split(separator: ".").map(String.init)
        guard !parts.isEmpty else { return }
        lua_pushvalue(L, t)
        for part in parts.dropLast() {
            lua_pushstring(L, part)
            lua_rawget(L, -2)
            if lua_type(L, -1) != LUA_TTABLE {
                pcxl_pop(L, 1)
                lua_createtable(L, 0, 4)
                lua_pushstring(L, part)
                lua_pushvalue(L, -2)
                lua_rawset(L, -4)
            }
            pcxl_remove(L, -2)
        }
        lua_pushstring(L, parts.last!)
        pushValue()
        lua_rawset(L, -3)
        pcxl_pop(L, 1)
    }
}
