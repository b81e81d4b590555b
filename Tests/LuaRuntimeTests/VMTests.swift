import Foundation
import Testing
@testable import LuaRuntime

@Suite("values and calls")
struct ValueTests {
    @Test func aChunksResultsComeBackAsSwiftValues() async throws {
        let vm = try makeVM()
        let r = try await vm.runChunk("""
            return 1, 2.5, "h\\0i", true, nil, {10, 20, x = "y", [1.5] = "f", [100] = 1}
            """, name: "t.lua")
        #expect(r.count == 6)
        #expect(r[0] == .integer(1))
        #expect(r[1] == .number(2.5))
        #expect(r[2] == .string([104, 0, 105]))
        #expect(r[3] == .boolean(true))
        #expect(r[4] == .nil)
        let t = try #require(r[5].tableValue)
        #expect(t.array == [.integer(10), .integer(20)])
        #expect(t["x"] == "y")
        #expect(t[LuaValue.number(1.5)] == "f")
        #expect(t[100] == .integer(1))
    }

    @Test func integerAndFloatKeysStayDistinctAcrossTheBridge() async throws {
        let vm = try makeVM()
        var t = LuaTable()
        t[1] = "one"
        t[LuaValue.number(2.5)] = "float"
        t["k"] = .table(LuaTable(array: [1, 2], metatableName: "json.object"))
        try await vm.setGlobal("T", .table(t))
        let r = try await vm.runChunk("""
            return math.type(next({[2.5]=1})), T[1], T[2.5], #T.k, getmetatable(T.k) ~= nil, T
            """, name: "t.lua")
        #expect(r[1] == "one")
        #expect(r[2] == "float")
        #expect(r[3] == .integer(2))
        #expect(r[4] == .boolean(true))
        #expect(r[5].tableValue?["k"].tableValue?.metatableName == "json.object")
    }

    @Test func aTableThatContainsItselfIsRefusedNotLooped() async throws {
        let vm = try makeVM()
        try await vm.perform { ctx in
            ctx.setGlobal("probe", function: .sync { _, args in .value(.integer(Int64(args.count))) })
        }
        let e = await expectLuaError(vm, "local t = {} t.self = t return probe(t)")
        #expect(e?.message.contains("contains itself") == true)
    }

    @Test func aLuaErrorInsideASwiftCallbackInsidePcallIsCaughtWithTheRightMessage() async throws {
        let vm = try makeVM()
        try await vm.perform { ctx in
            ctx.registerModule("host", functions: [
                "fail": .sync { _, args in throw LuaRaise(message: "boom: \(args.first?.stringValue ?? "")") },
                "fail_result": .sync { _, _ in .error("bad request") },
            ])
        }
        let r = try await vm.runChunk("""
            local host = require "host"
            local ok, err = pcall(host.fail, "x")
            local ok2, err2 = pcall(host.fail_result)
            return ok, err, ok2, err2
            """, name: "scripts/cb.lua")
        #expect(r[0] == false)
        #expect(r[1] == "scripts/cb.lua:2: boom: x")
        #expect(r[2] == false)
        #expect(r[3] == "scripts/cb.lua:3: bad request")
    }

    @Test func anErrorsMessageNamesTheScriptFileAndLine() async throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        let file = dir.appending(path: "broken.lua")
        try "local x = 1\n\nerror('it broke')\n".write(to: file, atomically: true, encoding: .utf8)
        var options = LuaVMOptions()
        options.chunkNameBase = dir.path
        let vm = try LuaVM(options: options)
        do {
            _ = try await vm.runFile(file.path)
            Issue.record("expected an error")
        } catch let e as LuaError {
            #expect(e.kind == .runtime)
            #expect(e.location == "broken.lua:3")
            #expect(e.message == "it broke")
            #expect(e.traceback?.contains("stack traceback") == true)
        }
    }

    @Test func aStructuredErrorFromAHostFunctionReachesSwiftWithItsFields() async throws {
        let vm = try makeVM()
        try await vm.perform { ctx in
            ctx.setGlobal("find", function: .sync { _, _ in
                throw LuaRaise(.table(LuaTable(fields: [
                    "code": "not_found", "message": "customer 42 does not exist",
                    "hint": "check the tenant id", "status": 404,
                ], metatableName: "pc.Error")))
            })
        }
        let e = await expectLuaError(vm, "local x = 1\nfind('42')\n", name: "scripts/buy.lua")
        #expect(e?.kind == .runtime)
        #expect(e?.value?["code"] == "not_found")
        #expect(e?.value?["hint"] == "check the tenant id")
        #expect(e?.value?["status"] == .integer(404))
        #expect(e?.value?.tableValue?.metatableName == "pc.Error")
        #expect(e?.message == "not_found: customer 42 does not exist")
        #expect(e?.location == "scripts/buy.lua:2")

        let r = try await vm.runChunk("""
            local ok, e = pcall(find)
            return getmetatable(e).__name, tostring(e), e.where, e.code
            """, name: "scripts/catch.lua")
        #expect(r == ["pc.Error", "not_found: customer 42 does not exist", "scripts/catch.lua:1", "not_found"])
    }

    @Test func hostDefinedMetatableMethodsApply() async throws {
        let vm = try makeVM()
        try await vm.perform { ctx in
            ctx.defineMetatable("pc.Error", functions: [
                "__tostring": .sync { _, args in .value(LuaValue("E<" + (args[0]["code"].stringValue ?? "") + ">")) },
            ])
        }
        try await vm.setGlobal("err", .table(LuaTable(fields: ["code": "conflict"], metatableName: "pc.Error")))
        let r = try await vm.runChunk("return tostring(err)", name: "t.lua")
        #expect(r == ["E<conflict>"])
    }

    @Test func anErrorFromANestedRunKeepsItsOwnLocation() async throws {
        let vm = try makeVM()
        try await vm.perform { ctx in
            ctx.setGlobal("nested", function: .sync { ctx, _ in
                _ = try ctx.run("local x = 1\nerror('inner broke')", name: "inner.lua")
                return .none
            })
        }
        let r = try await vm.runChunk("return pcall(nested)", name: "outer.lua")
        #expect(r == [false, "inner.lua:2: inner broke"])
    }

    @Test func referencesPassedToSwiftAreReleasedDuringALongRun() async throws {
        let vm = try makeVM()
        try await vm.perform { ctx in
            ctx.setGlobal("take", function: .sync { _, args in .value(.boolean(args.first?.isFalsy == false)) })
        }
        let r = try await vm.runChunk("""
            for i = 1, 20000 do take(function() return i end) end
            collectgarbage("collect")
            local before = collectgarbage("count")
            for i = 1, 20000 do take(function() return i end) end
            collectgarbage("collect")
            return collectgarbage("count") - before
            """, name: "t.lua")
        // 20000 leaked closures and registry slots would be well over 1 MB
        #expect((r.first?.doubleValue ?? 1e9) < 256)
    }

    @Test func functionsCrossAsReferencesAndCanBeCalledBack() async throws {
        let vm = try makeVM()
        let r = try await vm.perform { ctx -> [LuaValue] in
            let f = try ctx.run("return function(a, b) return a * b, 'done' end", name: "f.lua")[0]
            return try ctx.call(f, [6, 7])
        }
        #expect(r == [.integer(42), "done"])
    }
}

@Suite("loading")
struct LoadingTests {
    @Test func checkReportsFileAndLineOfASyntaxError() async throws {
        let vm = try makeVM()
        let e = try await vm.check("local x = 1\nif x then\n", name: "scripts/bad.lua")
        #expect(e?.kind == .syntax)
        #expect(e?.location == "scripts/bad.lua:3")
        #expect(e?.message.contains("'end' expected") == true)
        let ok = try await vm.check("return 1", name: "scripts/good.lua")
        #expect(ok == nil)
    }

    @Test func bytecodeIsRefusedEverywhere() async throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        let vm = try makeVM { $0.allowRead = [dir] }
        let r = try await vm.runChunk("""
            local code = string.dump(function() return 1 end)
            local f1, e1 = load(code)
            local f2, e2 = load(code, "x", "b")
            local f3, e3 = load(code, "x", "bt")
            return f1 == nil and f2 == nil and f3 == nil, e1, e2, code
            """, name: "t.lua")
        #expect(r[0] == true)
        #expect(r[1].stringValue?.contains("binary chunk") == true)
        #expect(r[2].stringValue?.contains("binary chunks are not allowed") == true)
        guard case .string(let bytes) = r[3] else { Issue.record("no bytecode"); return }
        let file = dir.appending(path: "compiled.luac")
        try Data(bytes).write(to: file)
        do {
            _ = try await vm.runFile(file.path)
            Issue.record("bytecode ran")
        } catch let e as LuaError {
            #expect(e.kind == .syntax)
            #expect(e.message.contains("bytecode is not allowed"))
        }
        let r2 = try await vm.runChunk("""
            local ok1, e1 = pcall(dofile, ...)
            local f, e2 = loadfile(...)
            return ok1, e1, f, e2
            """, name: "t.lua", args: [file.path])
        #expect(r2[0] == false)
        #expect(r2[2] == .nil)
        #expect(r2[3].stringValue?.contains("binary chunk") == true)
        let e3 = try await vm.check(String(decoding: bytes, as: UTF8.self), name: "x")
        #expect(e3?.kind == .syntax)
    }

    @Test func argAndVarargsAreSetLikeLuaC() async throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        let file = dir.appending(path: "args.lua")
        try "#!/usr/bin/env pcx\nlocal a, b = ...\nreturn a, b, arg[0], arg[1], arg[2], #arg, debug.getinfo(1, 'l').currentline\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let vm = try makeVM()
        let r = try await vm.runFile(file.path, args: ["one", "two"])
        #expect(r == ["one", "two", LuaValue(file.path), "one", "two", .integer(2), .integer(3)])
    }

    @Test func requireSearchesEmbeddedThenDirectoriesThenTheScriptFolderAndLib() async throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        let stdlibDir = dir.appending(path: "stdlib")
        let scriptDir = dir.appending(path: "scripts")
        try FileManager.default.createDirectory(at: stdlibDir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: scriptDir.appending(path: "lib"), withIntermediateDirectories: true)
        try "return 'from stdlib dir'".write(to: stdlibDir.appending(path: "dirmod.lua"), atomically: true, encoding: .utf8)
        try "return 'dir loses to embedded'".write(to: stdlibDir.appending(path: "emb.lua"), atomically: true, encoding: .utf8)
        try "return 'from script folder'".write(to: scriptDir.appending(path: "sibling.lua"), atomically: true, encoding: .utf8)
        try "return 'from lib'".write(to: scriptDir.appending(path: "lib/libmod.lua"), atomically: true, encoding: .utf8)
        try """
            local m = {}
            for _, n in ipairs{ "emb", "dirmod", "sibling", "libmod", "emb.sub" } do m[#m + 1] = require(n) end
            local ok, err = pcall(require, "nope")
            m[#m + 1] = err
            m[#m + 1] = package.cpath
            m[#m + 1] = package.path
            return m
            """.write(to: scriptDir.appending(path: "main.lua"), atomically: true, encoding: .utf8)
        let vm = try makeVM {
            $0.modules = ["emb": "return 'embedded'", "emb.sub": "return 'embedded sub ' .. ..."]
            $0.moduleDirectories = [stdlibDir]
        }
        let r = try await vm.runFile(scriptDir.appending(path: "main.lua").path)
        let t = try #require(r.first?.tableValue)
        #expect(Array(t.array.prefix(5)) == ["embedded", "from stdlib dir", "from script folder", "from lib", "embedded sub emb.sub"])
        let err = t[6].stringValue ?? ""
        #expect(err.contains("module 'nope' not found"))
        #expect(err.contains("no embedded module 'nope'"))
        #expect(!err.contains(".so"))
        #expect(t[7] == "")
        // LUA_PATH from the environment plays no part: only the configured directories
        let sd = scriptDir.path
        #expect(t[8].stringValue == "\(stdlibDir.path)/?.lua;\(stdlibDir.path)/?/init.lua;\(sd)/?.lua;\(sd)/?/init.lua;\(sd)/lib/?.lua;\(sd)/lib/?/init.lua")
    }

    @Test func nativeModulesRegisteredFromSwiftAreRequiredThroughPreload() async throws {
        let vm = try makeVM()
        try await vm.registerModule("pc", functions: [
            "carts.create": .sync { _, args in .value(.table(LuaTable(fields: ["customer": args[0]]))) },
            "version": .sync { _, _ in .value("1.0") },
        ], values: ["answer": 42], asGlobal: true)
        let r = try await vm.runChunk("""
            local pc = require "pc"
            return type(package.preload.pc), pc.carts.create("c1").customer, pc.version(), pc.answer, _G.pc == pc
            """, name: "t.lua")
        #expect(r == ["function", "c1", "1.0", .integer(42), true])
    }
}
