import Foundation
import Testing
@testable import LuaRuntime

/// What one run of `source` returns.
private func values(_ vm: LuaVM, _ source: String) async throws -> [LuaValue] {
    try await vm.runChunk(source, name: "probe.lua")
}

@Suite("os.exit statuses")
struct ExitStatusTests {
    @Test func osExitWithAnExitStatusEndsWithThatStatusAndNoWarning() async throws {
        let vm = try makeVM()
        // (expression, the status it stands for): none/true = 0, false = 1, 0...255 themselves
        let cases: [(String, Int32)] = [("", 0), ("true", 0), ("false", 1), ("nil", 0), ("0", 0), ("3", 3),
                                        ("255", 255), ("3.0", 3), ("1, true", 1)]
        for (expression, status) in cases {
            let e = await expectLuaError(vm, "os.exit(\(expression))")
            #expect(e?.kind == .exit, "os.exit(\(expression))")
            #expect(e?.exitCode == status, "os.exit(\(expression))")
            #expect(e?.warning == nil, "os.exit(\(expression))")
            #expect(e?.message == "os.exit(\(status))", "os.exit(\(expression))")
        }
    }

    @Test func osExitWithAnythingElseEndsWithStatusOneAndAWarningNamingTheValue() async throws {
        let vm = try makeVM()
        // every one of these used to end the process with status 0 (or another wrong one): the
        // shell reads a status modulo 256, so 256, 512, 2^32 and -256 looked like success
        let numbers = ["256", "512", "2^32", "-256", "-1", "3.7", "1e300", "0/0", "math.huge", "-math.huge",
                       "math.maxinteger", "math.mininteger", "2^53"]
        for expression in numbers {
            // how Lua itself writes the value (what the warning must show)
            let shown = try await values(vm, "return tostring(\(expression))").first?.stringValue
            let e = await expectLuaError(vm, "local ok = pcall(os.exit, \(expression)) return 'still running'")
            #expect(e?.kind == .exit, "os.exit(\(expression))")
            #expect(e?.exitCode == 1, "os.exit(\(expression))")
            let warning = try #require(e?.warning, "os.exit(\(expression)) gave no warning")
            #expect(warning.contains("os.exit(\(shown ?? "?"))"), "\(warning)")
            #expect(warning.contains("exiting with status 1"), "\(warning)")
            #expect(e?.message == warning)
        }
        let others: [(String, String)] = [("'3'", "string \"3\""), ("'0'", "string \"0\""), ("{}", "table"),
                                          ("print", "function"), ("coroutine.create(print)", "thread")]
        for (expression, named) in others {
            let e = await expectLuaError(vm, "os.exit(\(expression))")
            #expect(e?.kind == .exit)
            #expect(e?.exitCode == 1, "os.exit(\(expression))")
            let warning = try #require(e?.warning, "os.exit(\(expression)) gave no warning")
            #expect(warning.contains(named), "\(warning)")
            #expect(warning.contains("exiting with status 1"), "\(warning)")
        }
        // the warning belongs to that run only
        let next = await expectLuaError(vm, "os.exit(2)")
        #expect(next?.exitCode == 2)
        #expect(next?.warning == nil)
    }

    @Test func aBadStatusFromInsideAParallelJobIsStillOne() async throws {
        let vm = try makeVM()
        let e = await expectLuaError(vm, """
            local async = require "async"
            async.map({ 1, 2 }, function(i) if i == 2 then os.exit(256) end return i end)
            """)
        #expect(e?.kind == .exit)
        #expect(e?.exitCode == 1)
        #expect(e?.warning?.contains("os.exit(256)") == true)
    }
}
