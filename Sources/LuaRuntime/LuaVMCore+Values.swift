import CLuaShim

/// Why a Lua value could not be copied into Swift.
struct LuaConversionError: Error, CustomStringConvertible {
    var description: String
}

/// A string longer than the copy allows (see ``LuaVMCore/StringBound/refuse(_:)``).
struct LuaStringTooLong: Error {
    /// The string's length in bytes.
    var bytes: Int
    /// The limit it is over.
    var limit: Int
    /// False for a string inside a table.
    var topLevel: Bool
}

extension LuaVMCore {
    /// The deepest table nesting copied between Lua and Swift.
    static let maxConversionDepth = 200

    /// What a copy into Swift does with a string longer than a limit; the length is read
    /// (`lua_tolstring`'s length) before any byte is copied.
    enum StringBound {
        /// Throw ``LuaStringTooLong`` (host function arguments).
        case refuse(Int)
        /// Keep the first bytes and a note of how many were cut (error values).
        case cut(Int)
    }

    /// Copies the value at `idx` into Swift using raw access only (no metamethods). Tables are
    /// copied deeply; a table that contains itself is refused. Functions and other objects
    /// become registry references. Strings longer than `bound` (at any depth) are refused or cut
    /// before they are copied. [-0,+0]. VM thread.
    func value(_ L: OpaquePointer, _ idx: Int32, bound: StringBound? = nil) throws -> LuaValue {
        var path: Set<UnsafeRawPointer> = []
        return try value(L, lua_absindex(L, idx), depth: 0, path: &path, bound: bound)
    }

    private func value(_ L: OpaquePointer, _ idx: Int32, depth: Int, path: inout Set<UnsafeRawPointer>,
                       bound: StringBound?) throws -> LuaValue {
        switch lua_type(L, idx) {
        case LUA_TNIL, LUA_TNONE:
            return .nil
        case LUA_TBOOLEAN:
            return .boolean(lua_toboolean(L, idx) != 0)
        case LUA_TNUMBER:
            if pcxl_isinteger(L, idx) != 0 { return .integer(lua_tointegerx(L, idx, nil)) }
            return .number(lua_tonumberx(L, idx, nil))
        case LUA_TSTRING:
            var len = 0
            let p = pcxl_tostring_raw(L, idx, &len)!
            switch bound {
            case .refuse(let limit) where len > limit:
                throw LuaStringTooLong(bytes: len, limit: limit, topLevel: depth == 0)
            case .cut(let limit) where len > limit:
                return .string(Array(LuaError.boundedText(UnsafeRawPointer(p), count: len, limit: limit).utf8))
            default:
                return .string(Array(UnsafeRawBufferPointer(start: p, count: len)))
            }
        case LUA_TLIGHTUSERDATA where lua_touserdata(L, idx) == nil:
            return .null
        case LUA_TTABLE:
            return .table(try table(L, idx, depth: depth, path: &path, bound: bound))
        case LUA_TUSERDATA where pcxl_json_push_record_table(L, idx) == 1:
            // a line item (json.record) reaches the host as the table it stands for
            defer { pcxl_pop(L, 1) }
            return .table(try table(L, lua_gettop(L), depth: depth, path: &path, bound: bound))
        default:
            let kind = String(cString: lua_typename(L, lua_type(L, idx)))
            return lenient {
                lua_pushvalue(L, idx)
                let ref = luaL_ref(L, pcxl_registryindex())
                return .reference(LuaReference(kind: kind, ref: ref, owner: box))
            }
        }
    }

    private func table(_ L: OpaquePointer, _ idx: Int32, depth: Int, path: inout Set<UnsafeRawPointer>,
                       bound: StringBound?) throws -> LuaTable {
        guard depth < Self.maxConversionDepth else {
            throw LuaConversionError(description: "table nested deeper than \(Self.maxConversionDepth) levels")
        }
        guard let ptr = lua_topointer(L, idx), !path.contains(ptr) else {
            throw LuaConversionError(description: "cannot copy a table that contains itself")
        }
        guard lua_checkstack(L, 6) != 0 else { throw LuaConversionError(description: "Lua stack overflow") }
        path.insert(ptr)
        defer { path.remove(ptr) }
        var t = LuaTable()
        t.array = try arrayPart(L, idx, depth: depth, path: &path, bound: bound)
        let arrayCount = Int64(t.array.count)
        lua_pushnil(L)
        while lua_next(L, idx) != 0 {
            if pcxl_isinteger(L, -2) != 0 {
                let k = lua_tointegerx(L, -2, nil)
                if k >= 1 && k <= arrayCount {
                    pcxl_pop(L, 1)
                    continue
                }
            }
            let top = lua_gettop(L)
            let key: LuaValue
            let val: LuaValue
            do {
                key = try value(L, top - 1, depth: depth + 1, path: &path, bound: bound)
                val = try value(L, top, depth: depth + 1, path: &path, bound: bound)
            } catch {
                pcxl_pop(L, 2)
                throw error
            }
            t.hash[key] = val
            pcxl_pop(L, 1)
        }
        if lua_getmetatable(L, idx) != 0 {
            lua_pushstring(L, "__name")
            lua_rawget(L, -2)
            if let s = pcxl_tostring_raw(L, -1, nil) { t.metatableName = String(cString: s) }
            pcxl_pop(L, 2)
        }
        return t
    }

    /// The table's sequence `1...n` (up to the first nil).
    private func arrayPart(_ L: OpaquePointer, _ idx: Int32, depth: Int, path: inout Set<UnsafeRawPointer>,
                           bound: StringBound?) throws -> [LuaValue] {
        let n = lua_rawlen(L, idx)
        guard n > 0 else { return [] }
        var array: [LuaValue] = []
        array.reserveCapacity(Int(n))
        for i in 1...Int64(n) {
            lua_rawgeti(L, idx, i)
            if lua_type(L, -1) == LUA_TNIL {
                pcxl_pop(L, 1)
                break
            }
            let v: LuaValue
            do { v = try value(L, lua_gettop(L), depth: depth + 1, path: &path, bound: bound) } catch {
                pcxl_pop(L, 1)
                throw error
            }
            pcxl_pop(L, 1)
            array.append(v)
        }
        return array
    }

    /// Pushes a Swift value. Call inside `lenient` (allocation cannot fail). Float keys that
    /// are NaN and nil keys/values are skipped. [] -> [v]. VM thread.
    func push(_ L: OpaquePointer, _ v: LuaValue) {
        switch v {
        case .nil: lua_pushnil(L)
        case .boolean(let b): lua_pushboolean(L, b ? 1 : 0)
        case .integer(let i): lua_pushinteger(L, i)
        case .number(let d): lua_pushnumber(L, d)
        case .string(let bytes):
            bytes.withUnsafeBufferPointer { buf in
                _ = lua_pushlstring(L, UnsafeRawPointer(buf.baseAddress ?? UnsafePointer<UInt8>(bitPattern: 1)!)
                    .assumingMemoryBound(to: CChar.self), buf.count)
            }
        case .null: pcxl_push_null(L)
        case .reference(let r):
            if r.owner.core === self {
                lua_rawgeti(L, pcxl_registryindex(), lua_Integer(r.ref))
            } else {
                lua_pushnil(L)
            }
        case .table(let t):
            _ = lua_checkstack(L, 4)
            lua_createtable(L, Int32(clamping: t.array.count), Int32(clamping: t.hash.count))
            for (i, e) in t.array.enumerated() {
                push(L, e)
                lua_rawseti(L, -2, lua_Integer(i + 1))
            }
            for (k, e) in t.hash {
                if case .nil = k { continue }
                if case .number(let d) = k, d.isNaN { continue }
                if case .nil = e { continue }
                push(L, k)
                push(L, e)
                lua_rawset(L, -3)
            }
            if let name = t.metatableName {
                pushMetatable(L, name)
                pcxl_setmetatable(L, -2)
            }
        }
    }

    /// Pushes the metatable registered under `name`, creating a default one (with `__name` and
    /// the structured-error `__tostring`) when none exists. [] -> [mt]. Inside `lenient`.
    func pushMetatable(_ L: OpaquePointer, _ name: String) {
        if luaL_newmetatable(L, name) != 0 && !name.hasPrefix("json.") {
            lua_getfield(L, pcxl_registryindex(), "pcxl.helpers")
            if lua_type(L, -1) == LUA_TTABLE {
                lua_pushstring(L, "error_tostring")
                lua_rawget(L, -2)
                lua_setfield(L, -3, "__tostring")
            }
            pcxl_pop(L, 1)
        }
    }
}
