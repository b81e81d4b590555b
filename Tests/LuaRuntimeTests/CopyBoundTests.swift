import Foundation
import Testing
@testable import LuaRuntime

@Suite("what the host copies out of a script is bounded")
struct CopyBoundTests {
    /// `… [N more bytes cut; M in all]` at the end of `text`: (kept bytes, N, M).
    static func cutNote(_ text: String) -> (kept: Int, cut: Int, total: Int)? {
        guard let range = text.range(of: #"… \[(\d+) more bytes cut; (\d+) in all\]$"#, options: .regularExpression) else {
            return nil
        }
        let numbers = text[range].split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        guard numbers.count == 2 else { return nil }
        return (text[..<range.lowerBound].utf8.count, numbers[0], numbers[1])
    }

    @Test func aHugeErrorStringReachesSwiftCutWithANoteOfWhatWasCut() async throws {
        let vm = try makeVM()
        let size = 3 << 20
        let e = try #require(await expectLuaError(vm, "error(string.rep('x', \(size)))", name: "big.lua"))
        #expect(e.kind == .runtime)
        #expect(e.location == "big.lua:1")
        #expect(e.message.utf8.count <= LuaError.maxTextBytes + 64)
        #expect(e.message.hasPrefix(String(repeating: "x", count: 1000)))
        let note = try #require(Self.cutNote(e.message), "no note in \(e.message.suffix(80))")
        // the whole raised message is "big.lua:1: " and the x's; kept + cut is all of it
        let whole = "big.lua:1: ".utf8.count + size
        #expect(note.total == whole)
        #expect("big.lua:1: ".utf8.count + note.kept + note.cut == whole)
    }

    @Test func aHugeTracebackIsCut() async throws {
        let vm = try makeVM()
        // a global function with a 300 KB name: the traceback names it on its line
        let e = try #require(await expectLuaError(vm, """
            local name = string.rep("f", 300000)
            _G[name] = function() error("boom") end
            _G[name]()
            """))
        #expect(e.message == "boom")
        let traceback = try #require(e.traceback)
        #expect(traceback.hasPrefix("stack traceback:"))
        #expect(traceback.utf8.count <= LuaError.maxTextBytes + 64)
        #expect(Self.cutNote(traceback) != nil)
    }

    @Test func aRaisedTableWithHugeTextIsCutInItsMessageAndItsFields() async throws {
        let vm = try makeVM()
        let size = 1 << 20
        let e = try #require(await expectLuaError(vm, """
            local big = string.rep("y", \(size))
            error(setmetatable({ code = "x", message = big }, { __tostring = function(t) return "E: " .. t.message end }))
            """))
        #expect(e.message.hasPrefix("E: yyyy"))
        #expect(e.message.utf8.count <= LuaError.maxTextBytes + 64)
        let field = try #require(e.value?["message"].stringValue)
        #expect(field.utf8.count <= LuaError.maxTextBytes + 64)
        let note = try #require(Self.cutNote(field))
        #expect(note.total == size)
        #expect(note.kept + note.cut == size)
        #expect(e.value?["code"].stringValue == "x")
    }

    @Test func aSyntaxErrorQuotingAHugeUnfinishedStringIsCut() async throws {
        let vm = try makeVM()
        let source = "local s = \"" + String(repeating: "z", count: 1 << 20) + "\nreturn s\n"
        let e = try #require(try await vm.check(source, name: "syntax.lua"))
        #expect(e.kind == .syntax)
        #expect(e.message.contains("unfinished string"))
        #expect(e.message.utf8.count <= LuaError.maxTextBytes + 64)
        #expect(Self.cutNote(e.message) != nil)
    }

    @Test func aStringArgumentOverTheLimitIsRefusedBeforeTheHostFunctionRuns() async throws {
        let ran = Counter()
        let vm = try makeVM { $0.maxStringArgumentBytes = 1000 }
        try await vm.registerModule("host", functions: [
            "take": .sync { _, args in
                ran.increment()
                return .value(.integer(Int64(args.count)))
            },
            "take_async": .async { args in
                ran.increment()
                return .value(.integer(Int64(args.count)))
            },
        ])
        let r = try await vm.runChunk("""
            local h = require "host"
            local at_limit = string.rep("x", 1000)
            local over = at_limit .. "x"
            local function try(f) local ok, e = pcall(f) return ok, e end
            local ok1, n1 = try(function() return h.take("a", at_limit) end)
            local ok2, e2 = try(function() return h.take("a", over) end)
            local ok3, e3 = try(function() return h.take_async(over) end)
            local ok4, e4 = try(function() return h.take(1, { body = { over } }) end)
            local ok5, n5 = try(function() return h.take_async({ body = { at_limit } }) end)
            return ok1, n1, ok2, e2, ok3, e3, ok4, e4, ok5, n5
            """, name: "args.lua")
        #expect(r[0] == .boolean(true))
        #expect(r[1] == .integer(2))
        #expect(r[2] == .boolean(false))
        let e2 = try #require(r[3].stringValue)
        #expect(e2.hasPrefix("args.lua:6: bad argument #2 to 'take' (a string of 1001 bytes;"), "\(e2)")
        #expect(e2.contains("at most 1000 bytes"), "\(e2)")
        #expect(r[4] == .boolean(false))
        let e3 = try #require(r[5].stringValue)
        #expect(e3.hasPrefix("args.lua:7: bad argument #1 to 'take_async' (a string of 1001 bytes;"), "\(e3)")
        #expect(r[6] == .boolean(false))
        let e4 = try #require(r[7].stringValue)
        #expect(e4.contains("bad argument #2 to 'take' (a table holding a string of 1001 bytes;"), "\(e4)")
        #expect(r[8] == .boolean(true))
        #expect(r[9] == .integer(1))
        // only the two calls within the limit ran
        #expect(ran.value == 2)
    }

    @Test func theDefaultLimitIsSixteenMiBAndNamesTheSizeInMiB() async throws {
        let vm = try makeVM()
        let limit = LuaVMOptions().maxStringArgumentBytes
        try await vm.registerModule("host", functions: ["len": .sync { _, args in
            .value(.integer(Int64(args.first?.stringValue?.utf8.count ?? -1)))
        }])
        let r = try await vm.runChunk("""
            local h = require "host"
            local ok1, n = pcall(function() return h.len(string.rep("x", \(limit))) end)
            local ok2, e = pcall(function() return h.len(string.rep("x", \(limit + (4 << 20)))) end)
            return ok1, n, ok2, e
            """, name: "d.lua")
        #expect(r[0] == .boolean(true))
        #expect(r[1] == .integer(Int64(limit)))
        #expect(r[2] == .boolean(false))
        let e = try #require(r[3].stringValue)
        #expect(e.contains("a string of \((limit + (4 << 20)) >> 20) MiB (\(limit + (4 << 20)) bytes)"), "\(e)")
        #expect(e.contains("at most \(limit >> 20) MiB (\(limit) bytes)"), "\(e)")
    }
}

/// A thread-safe counter.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
