import Foundation
import Testing
@testable import LuaRuntime

/// A VM with the worktree's stdlib/*.lua embedded the way the host embeds them.
func makeStdlibVM() throws -> LuaVM {
    var modules: [String: String] = [:]
    for name in ["inspect", "log"] {
        modules[name] = try String(contentsOf: packageRoot.appending(path: "stdlib/\(name).lua"), encoding: .utf8)
    }
    return try makeVM { $0.modules = modules }
}

@Suite("stdlib: inspect and log")
struct StdlibTests {
    @Test func inspectSortsKeysQuotesStringsAndShowsNull() async throws {
        let vm = try makeStdlibVM()
        let r = try await vm.runChunk("""
            local inspect, json = require "inspect", require "json"
            return inspect({ b = 2, a = "x\\ny", 10, 20, [1.5] = json.null, ["not id"] = true, n = 1.0 })
            """, name: "t.lua")
        #expect(r == [#"{ 10, 20, [1.5] = null, a = "x\ny", b = 2, n = 1.0, ["not id"] = true }"#])
    }

    @Test func inspectMarksCyclesAndHonoursDepthAndWidthLimits() async throws {
        let vm = try makeStdlibVM()
        let r = try await vm.runChunk("""
            local inspect = require "inspect"
            local t = { name = "loop" } t.self = t
            local deep = { a = { b = { c = { d = 1 } } } }
            local many = {} for i = 1, 10 do many[i] = i end
            return inspect(t), inspect(deep, { depth = 2 }), inspect(many, { max_items = 3 }),
                   inspect(setmetatable({ code = "x" }, { __name = "pc.Error" })),
                   select(2, pcall(inspect, 1, { bogus = true }))
            """, name: "t.lua")
        #expect(r[0] == #"{ name = "loop", self = <cycle> }"#)
        #expect(r[1] == "{ a = { b = {...} } }")
        #expect(r[2] == "{ 1, 2, 3, ... (7 more) }")
        #expect(r[3] == #"pc.Error { code = "x" }"#)
        #expect(r[4].stringValue?.contains("unknown option 'bogus'") == true)
    }

    @Test func inspectBreaksLongTablesOverLines() async throws {
        let vm = try makeStdlibVM()
        let r = try await vm.runChunk("""
            return require("inspect")({ first = string.rep("a", 40), second = string.rep("b", 40) })
            """, name: "t.lua")
        #expect(r == [.string(Array("{\n  first = \"\(String(repeating: "a", count: 40))\",\n  second = \"\(String(repeating: "b", count: 40))\"\n}".utf8))])
    }

    @Test func logPrefixesTheCallersFileAndLineAndFiltersByLevel() async throws {
        let vm = try makeStdlibVM()
        let r = try await vm.runChunk("""
            local log = require "log"
            local lines = {}
            log.set_writer(function(l) lines[#lines + 1] = l end)
            log.debug("hidden")
            log.info("page %d of %s", 2, { 1, 2 })
            log.set_level("debug")
            log.debug("now shown")
            log.set_level("error")
            log.warn("dropped")
            log.error({ code = "x" })
            local ok, err = pcall(log.set_level, "loud")
            return lines, err
            """, name: "scripts/report.lua")
        let lines = (r[0].tableValue?.array ?? []).compactMap(\.stringValue)
        #expect(lines.count == 3)
        #expect(lines[0].hasSuffix(" INFO  scripts/report.lua:5: page 2 of { 1, 2 }\n"))
        #expect(lines[1].hasSuffix(" DEBUG scripts/report.lua:7: now shown\n"))
        #expect(lines[2].hasSuffix(" ERROR scripts/report.lua:10: { code = \"x\" }\n"))
        #expect(r[1].stringValue?.contains("unknown level 'loud'") == true)
    }

    @Test func logTakesItsLevelFromPCX_LOG_LEVEL() async throws {
        let vm = try makeStdlibVM()
        let r = try await vm.runChunk("""
            local real = os.getenv
            os.getenv = function(k) if k == "PCX_LOG_LEVEL" then return "WARN" end return real(k) end
            local log = require "log"
            os.getenv = real
            return log.level(), log.enabled("info"), log.enabled("error")
            """, name: "t.lua")
        #expect(r == ["warn", false, true])
    }
}
