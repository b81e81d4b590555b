import Foundation
import Testing
@testable import LuaRuntime

/// Counts arrivals; `meet(n)` returns true once n callers are inside at the same time
/// (false after a generous bound, so a broken scheduler fails instead of hanging).
actor Rendezvous {
    var inside = 0
    var maxInside = 0
    func enter() { inside += 1; maxInside = max(maxInside, inside) }
    func leave() { inside -= 1 }
    func meet(_ n: Int) async -> Bool {
        enter()
        defer { leave() }
        for _ in 0..<2000 {
            if maxInside >= n { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }
}

final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

/// Polls `cond` for up to ~10 s (correctness bound, not timing).
func eventually(_ cond: () -> Bool) async -> Bool {
    for _ in 0..<2000 {
        if cond() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return cond()
}

func makeAsyncVM(_ extra: [String: LuaFunction] = [:], timeout: Double = 60) async throws -> LuaVM {
    let vm = try makeVM {
        $0.timeout = timeout
        $0.modules = ["calls_host_at_load": "return { value = require('host').double(50) }"]
    }
    var fns: [String: LuaFunction] = [
        "double": .async { args in
            try await Task.sleep(for: .milliseconds(2))
            return .value(.integer((args.first?.intValue ?? 0) * 2))
        },
        "fail": .async { args in
            try await Task.sleep(for: .milliseconds(1))
            throw LuaRaise(.table(LuaTable(fields: ["code": "conflict", "message": args.first ?? "failed"],
                                           metatableName: "pc.Error")))
        },
        "page": .async { _ in .json(Array(#"{"items":[1,2,3],"next":null,"meta":{}}"#.utf8)) },
    ]
    for (k, v) in extra { fns[k] = v }
    try await vm.registerModule("host", functions: fns)
    return vm
}

@Suite("async host functions")
struct AsyncTests {
    @Test func anAsyncHostFunctionCalledFromPlainCodeBlocksAndReturnsItsValues() async throws {
        let vm = try await makeAsyncVM()
        let r = try await vm.runChunk("""
            local host = require "host"
            local p = host.page()
            return host.double(21), #p.items, p.next == require("json").null, require("json").encode(p.meta)
            """, name: "t.lua")
        #expect(r == [.integer(42), .integer(3), true, "{}"])
    }

    @Test func parallelOverlapsTheHostCallsOfItsFunctions() async throws {
        let meeting = Rendezvous()
        let vm = try await makeAsyncVM(["meet": .async { args in
            .value(.boolean(await meeting.meet(Int(args.first?.intValue ?? 0))))
        }])
        let r = try await vm.runChunk("""
            local host, async = require "host", require "async"
            return async.parallel(
              function() return host.meet(3) end,
              function() return host.meet(3) end,
              function() return host.meet(3), "second value dropped" end)
            """, name: "t.lua")
        #expect(r == [true, true, true])
    }

    @Test func mapReturnsResultsInOrderAndRespectsConcurrency() async throws {
        let meeting = Rendezvous()
        let vm = try await makeAsyncVM(["visit": .async { args in
            await meeting.enter()
            try? await Task.sleep(for: .milliseconds(Int.random(in: 1...8)))
            await meeting.leave()
            return .value(.integer((args.first?.intValue ?? 0) * 10))
        }])
        let r = try await vm.runChunk("""
            local host, async = require "host", require "async"
            local items = {} for i = 1, 12 do items[i] = i end
            local out = async.map(items, function(x, i) return host.visit(x) + i end, { concurrency = 3 })
            return out
            """, name: "t.lua")
        let expected: [LuaValue] = (1...12).map { .integer(Int64($0 * 11)) }
        #expect(r.first?.tableValue?.array == expected)
        #expect(await meeting.maxInside <= 3)
        #expect(await meeting.maxInside >= 1)
    }

    @Test func theFirstErrorToHappenPropagatesAfterTheOthersAreCancelled() async throws {
        let cancelled = Flag()
        let vm = try await makeAsyncVM(["slow": .async { _ in
            do { try await Task.sleep(for: .seconds(30)) } catch { cancelled.set(); throw error }
            return .value("finished")
        }])
        let r = try await vm.runChunk("""
            local host, async = require "host", require "async"
            local ok, err = pcall(async.parallel,
              function() return host.slow() end,
              function() return host.fail("second failed") end,
              function() return host.double(1) end)
            return ok, tostring(err), type(err) == "table" and err.code or err
            """, name: "scripts/p.lua")
        #expect(r[0] == false)
        #expect(r[1] == "conflict: second failed")
        let e = await expectLuaError(vm, """
            local host, async = require "host", require "async"
            local function inner() error("job broke") end
            async.parallel(function() return host.double(1) end, function() inner() end)
            """, name: "scripts/job.lua")
        #expect(e?.message == "job broke")
        #expect(e?.location == "scripts/job.lua:2")
        #expect(e?.traceback?.contains("async job traceback:") == true)
        #expect(e?.traceback?.contains("in local 'inner'") == true || e?.traceback?.contains("inner") == true)
        #expect(r[2] == "conflict")
        #expect(cancelled.isSet)
    }

    @Test func whereAYieldIsImpossibleTheCallFallsBackToBlocking() async throws {
        let vm = try await makeAsyncVM()
        let r = try await vm.runChunk("""
            local host, async = require "host", require "async"
            local a, b, c, d = async.parallel(
              function()
                local t = { 3, 1, 2 }
                table.sort(t, function(x, y) return host.double(x) < host.double(y) end)
                return table.concat(t, ",")
              end,
              function()
                return (string.gsub("1 2 3", "%d", function(d) return host.double(tonumber(d)) end))
              end,
              function()
                local obj = setmetatable({}, { __tostring = function() return "v" .. host.double(5) end })
                return tostring(obj)
              end,
              function() return require("calls_host_at_load").value end)
            return a, b, c, d
            """, name: "t.lua")
        #expect(r == ["1,2,3", "2 4 6", "v10", .integer(100)])
    }

    @Test func userCoroutinesKeepWorkingWithHostCallsInside() async throws {
        let vm = try await makeAsyncVM()
        let r = try await vm.runChunk("""
            local host, async = require "host", require "async"
            local function gen()
              return coroutine.wrap(function()
                for i = 1, 3 do coroutine.yield(host.double(i)) end
              end)
            end
            local plain = {}
            for v in gen() do plain[#plain + 1] = v end
            local inside = async.map({ 1, 2 }, function(x)
              local acc = 0
              for v in gen() do acc = acc + v end
              return acc + host.double(x)
            end)
            return table.concat(plain, ","), inside[1], inside[2]
            """, name: "t.lua")
        #expect(r == ["2,4,6", .integer(14), .integer(16)])
    }

    @Test func aBareYieldInsideAParallelJobIsAClearError() async throws {
        let vm = try await makeAsyncVM()
        let e = await expectLuaError(vm, """
            require("async").parallel(function() coroutine.yield(1) end)
            """)
        #expect(e?.message.contains("coroutine.yield() cannot cross async.parallel") == true)
    }

    @Test func aStructuredAsyncErrorReachesPcallWithItsFieldsAndLocation() async throws {
        let vm = try await makeAsyncVM()
        let r = try await vm.runChunk("""
            local host, async = require "host", require "async"
            local ok, e = pcall(host.fail, "direct")
            local ok2, e2 = pcall(async.parallel, function()
              return host.fail("in job")
            end)
            return e.code, e.where, e2.message, e2.where, getmetatable(e2).__name
            """, name: "scripts/e.lua")
        #expect(r == ["conflict", "scripts/e.lua:2", "in job", "scripts/e.lua:4", "pc.Error"])
    }

    @Test func interruptCancelsAnInFlightHostCall() async throws {
        let cancelled = Flag()
        let started = Flag()
        let vm = try await makeAsyncVM(["forever": .async { _ in
            started.set()
            do { try await Task.sleep(for: .seconds(3600)) } catch { cancelled.set(); throw error }
            return .none
        }])
        let run = Task { try await vm.runChunk("local h = require 'host' pcall(h.forever) return 'swallowed'", name: "t.lua") }
        #expect(await eventually { started.isSet })
        vm.interrupt()
        do {
            _ = try await run.value
            Issue.record("the script finished")
        } catch let e as LuaError {
            #expect(e.kind == .interrupted)
        }
        #expect(await eventually { cancelled.isSet })
        let again = try await vm.runChunk("return require('host').double(4)", name: "t.lua")
        #expect(again == [.integer(8)])
    }

    @Test func aTimeoutStopsAScriptWaitingOnHostCallsEvenInsideParallel() async throws {
        let vm = try await makeAsyncVM(["forever": .async { _ in
            try await Task.sleep(for: .seconds(3600))
            return .none
        }], timeout: 0.3)
        let e = await expectLuaError(vm, """
            local h, async = require "host", require "async"
            pcall(async.parallel, function() return h.forever() end, function() return h.forever() end)
            while true do end
            """)
        #expect(e?.kind == .timeout)
    }

    @Test func aTimeoutReachesALoopInsideAParallelJob() async throws {
        let vm = try await makeAsyncVM(timeout: 0.3)
        let e = await expectLuaError(vm, """
            local h, async = require "host", require "async"
            pcall(async.parallel, function() return h.double(1) end,
                                  function() h.double(2) pcall(function() while true do end end) while true do end end)
            return "swallowed"
            """)
        #expect(e?.kind == .timeout)
    }
}
