import Foundation
import Testing
@testable import LuaRuntime

@Suite("isolation and limits")
struct SandboxTests {
    @Test func dangerousFunctionsAreAbsent() async throws {
        let vm = try makeVM()
        let r = try await vm.runChunk("""
            return io.popen, os.execute, package.loadlib, os.tmpname, debug.sethook, debug.getregistry,
                   debug.getupvalue, debug.setupvalue, package.searchers[4], #package.searchers
            """, name: "t.lua")
        #expect(Array(r.prefix(9)) == Array(repeating: LuaValue.nil, count: 9))
        #expect(r[9] == .integer(3))
    }

    @Test func aTimeoutKillsAScriptThatLoopsInsidePcall() async throws {
        let vm = try makeVM { $0.timeout = 0.3 }
        let e = await expectLuaError(vm, """
            local n = 0
            while true do
              pcall(function() while true do n = n + 1 end end)
              n = n + 1
            end
            """)
        #expect(e?.kind == .timeout)
        // the VM is still usable and the next run gets a fresh deadline
        let r = try await vm.runChunk("return 1 + 1", name: "t.lua")
        #expect(r == [.integer(2)])
    }

    @Test func aTimeoutCannotBeSwallowedByXpcallOrCoroutines() async throws {
        let vm = try makeVM { $0.timeout = 0.3 }
        let e = await expectLuaError(vm, """
            while true do
              xpcall(function() while true do end end, function(m) return m end)
              coroutine.resume(coroutine.create(function() while true do end end))
            end
            """)
        #expect(e?.kind == .timeout)
    }

    @Test func aTimeoutReachesLoopsInNestedCoroutinesWrapsAndCloseHandlers() async throws {
        let vm = try makeVM { $0.timeout = 0.3 }
        // a loop two coroutines deep, behind pcall on every level
        let e1 = await expectLuaError(vm, """
            local inner = coroutine.wrap(function() while true do end end)
            local outer = coroutine.create(function() pcall(inner) while true do end end)
            while true do pcall(coroutine.resume, outer) end
            """)
        #expect(e1?.kind == .timeout)
        // a loop in a __close handler that coroutine.close runs
        let e2 = await expectLuaError(vm, """
            local co = coroutine.create(function()
              local x <close> = setmetatable({}, { __close = function() while true do end end })
              coroutine.yield()
            end)
            coroutine.resume(co)
            local ok = pcall(coroutine.close, co)
            while true do end
            """)
        #expect(e2?.kind == .timeout)
        // the next run has no timer left over: a loop that ends is not aborted
        // (short enough to end well inside the 0.3 s limit on a loaded machine)
        let r = try await vm.runChunk("local n = 0 for i = 1, 3e5 do n = n + i end return n", name: "t.lua")
        #expect(r == [.integer(45_000_150_000)])
    }

    @Test func anInterruptReachesALoopInsideACoroutine() async throws {
        let vm = try makeVM()
        let e = try await interruptOnceStarted(vm, """
            local co = coroutine.wrap(function() started() while true do pcall(function() end) end end)
            pcall(co)
            """)
        #expect(e?.kind == .interrupted)
    }

    @Test func theCoroutineLibraryKeepsItsBehaviour() async throws {
        let vm = try makeVM()
        let r = try await vm.runChunk("""
            local out = {}
            local co = coroutine.create(function(a, b)
              local c = coroutine.yield(a + b)
              error({code = c})
            end)
            out[#out+1] = select(2, coroutine.resume(co, 1, 2))                -- 3
            local ok, e = coroutine.resume(co, 7)
            out[#out+1] = tostring(ok) .. ":" .. e.code                       -- false:7
            out[#out+1] = coroutine.status(co)                                -- dead
            out[#out+1] = select(2, coroutine.resume(co))                     -- cannot resume dead coroutine
            local w = coroutine.wrap(function() error("boom") end)
            out[#out+1] = select(2, pcall(w))                                 -- t.lua:11: boom
            local g = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
            out[#out+1] = g() + g() + g()                                     -- 6
            local closed = false
            local c2 = coroutine.create(function()
              local x <close> = setmetatable({}, { __close = function() closed = true end })
              coroutine.yield()
            end)
            coroutine.resume(c2)
            out[#out+1] = tostring(coroutine.close(c2)) .. ":" .. tostring(closed) -- true:true
            local c3 = coroutine.create(function()
              local x <close> = setmetatable({}, { __close = function() error("in close") end })
              coroutine.yield()
            end)
            coroutine.resume(c3)
            local ok3, e3 = coroutine.close(c3)
            out[#out+1] = tostring(ok3) .. ":" .. e3                          -- false:t.lua:23: in close
            out[#out+1] = select(2, pcall(coroutine.close, coroutine.running())) -- cannot close a running coroutine
            out[#out+1] = select(2, pcall(coroutine.resume, 42))              -- bad argument
            return table.concat(out, "|")
            """, name: "t.lua")
        let parts = (r.first?.stringValue ?? "").split(separator: "|").map(String.init)
        #expect(parts.count == 10)
        guard parts.count == 10 else { return }
        #expect(parts[0] == "3")
        #expect(parts[1] == "false:7")
        #expect(parts[2] == "dead")
        #expect(parts[3] == "cannot resume dead coroutine")
        #expect(parts[4] == "t.lua:11: boom")
        #expect(parts[5] == "6")
        #expect(parts[6] == "true:true")
        #expect(parts[7] == "false:t.lua:23: in close")
        #expect(parts[8].contains("cannot close a running coroutine"))
        #expect(parts[9].contains("bad argument #1 to 'coroutine.resume' (coroutine expected, got number)"))
    }

    @Test func aMemoryBombInsideACoroutineEndsWithMemoryLimit() async throws {
        let vm = try makeVM { $0.memoryLimit = 64 << 20 }
        let e = await expectLuaError(vm, """
            local co = coroutine.wrap(function()
              pcall(function() local s = "x" while true do s = s .. s end end)
              while true do end
            end)
            pcall(co)
            return "swallowed"
            """)
        #expect(e?.kind == .memoryLimit)
    }

    @Test func aMemoryBombEndsWithMemoryLimitAndTheVMStaysUsable() async throws {
        let vm = try makeVM { $0.memoryLimit = 64 << 20 }
        let e = await expectLuaError(vm, """
            local t = {}
            for i = 1, 1e9 do t[i] = ("x"):rep(64) .. i end
            """)
        #expect(e?.kind == .memoryLimit)
        let e2 = await expectLuaError(vm, """
            local ok = pcall(function() local s = "x" while true do s = s .. s end end)
            return "pcall swallowed it", ok
            """)
        #expect(e2?.kind == .memoryLimit)
        let r = try await vm.runChunk("local t = {} for i = 1, 1000 do t[i] = i end return #t", name: "t.lua")
        #expect(r == [.integer(1000)])
        #expect(vm.memoryUsed < 32 << 20)
    }

    @Test func osExitEndsTheRunWithItsCodeAndPcallCannotCatchIt() async throws {
        let vm = try makeVM()
        let e = await expectLuaError(vm, "pcall(os.exit, 3) return 'still running'")
        #expect(e?.kind == .exit)
        #expect(e?.exitCode == 3)
    }

    @Test func interruptFromAnotherThreadStopsARunningLoop() async throws {
        let vm = try makeVM()
        let e = try await interruptOnceStarted(vm, "started() while true do pcall(function() end) end")
        #expect(e?.kind == .interrupted)
        let r = try await vm.runChunk("return 'alive'", name: "t.lua")
        #expect(r == ["alive"])
    }

    @Test func writesAreOnlyAllowedUnderAllowedDirectories() async throws {
        let base = try makeTempDir()
        defer { cleanup(base) }
        let allowed = base.appending(path: "out")
        let outside = base.appending(path: "secret")
        try FileManager.default.createDirectory(at: allowed, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try "keep".write(to: outside.appending(path: "keep.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(at: allowed.appending(path: "escape"), withDestinationURL: outside)
        try FileManager.default.createSymbolicLink(at: allowed.appending(path: "link.txt"),
                                                   withDestinationURL: outside.appending(path: "keep.txt"))
        let vm = try makeVM { $0.allowWrite = [allowed] }
        let r = try await vm.runChunk("""
            local allowed, outside = ...
            local res = {}
            local f = assert(io.open(allowed .. "/ok.txt", "w")); f:write("hi"); f:close()
            res.ok = io.open(allowed .. "/ok.txt", "r"):read("a")
            res.outside = select(2, io.open(outside .. "/new.txt", "w"))
            res.dotdot = select(2, io.open(allowed .. "/../secret/new.txt", "w"))
            res.symlink_dir = select(2, io.open(allowed .. "/escape/new.txt", "w"))
            res.symlink_file = select(2, io.open(allowed .. "/link.txt", "a"))
            res.remove = select(2, os.remove(outside .. "/keep.txt"))
            res.rename = select(2, os.rename(allowed .. "/ok.txt", outside .. "/moved.txt"))
            res.read_outside = select(2, io.open(outside .. "/keep.txt", "r"))
            res.output = select(2, pcall(io.output, outside .. "/o.txt"))
            res.removed_inside = os.remove(allowed .. "/ok.txt")
            return res
            """, name: "w.lua", args: [allowed.path, outside.path])
        let t = try #require(r.first?.tableValue)
        #expect(t["ok"] == "hi")
        for key in ["outside", "dotdot", "symlink_dir", "symlink_file", "remove", "rename", "output"] {
            #expect(t[key].stringValue?.contains("not permitted") == true, "\(key): \(t[key])")
        }
        // reading is confined too: the outside directory was not granted
        #expect(t["read_outside"].stringValue?.contains("reading outside the allowed directories") == true)
        #expect(t["removed_inside"] == true)
        #expect(!FileManager.default.fileExists(atPath: outside.appending(path: "new.txt").path))
        #expect(try String(contentsOf: outside.appending(path: "keep.txt"), encoding: .utf8) == "keep")
    }

    @Test func withoutAllowedDirectoriesNoWriteIsPossible() async throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        let vm = try makeVM()
        let r = try await vm.runChunk("local f, e = io.open(... .. '/x', 'w') return f, e", name: "t.lua", args: [dir.path])
        #expect(r[0] == .nil)
        #expect(r[1].stringValue?.contains("writing files is not allowed") == true)
    }
}

/// Runs `source` (which calls `started()` once it is going), interrupts the VM from another
/// thread and returns the run's error (nil, with an issue recorded, when the run ended by itself).
func interruptOnceStarted(_ vm: LuaVM, _ source: String) async throws -> LuaError? {
    let started = AsyncStream<Void>.makeStream()
    try await vm.perform { ctx in
        ctx.setGlobal("started", function: .sync { _, _ in
            started.continuation.yield()
            return .none
        })
    }
    let run = Task { try await vm.runChunk(source, name: "loop.lua") }
    for await _ in started.stream { break }
    DispatchQueue.global().async { vm.interrupt() }
    do {
        _ = try await run.value
        Issue.record("the loop ended by itself")
        return nil
    } catch let e as LuaError {
        return e
    }
}
