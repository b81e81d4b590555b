import Foundation
import Testing
@testable import LuaRuntime

@Suite("abort locations skip the host's own chunks")
struct AbortLocationTests {
    static let spin = """
        local M = {}
        function M.forever()
          local n = 0
          while true do
            n = n + 1
          end
        end
        function M.forever_started()
          started()
          while true do
            pcall(function() end)
          end
        end
        function M.wait(h)
          local r = h.forever()
          return r
        end
        return M
        """

    @Test func aTimeoutInsideAnInternalModuleNamesTheScriptLineThatCalledIt() async throws {
        let script = """
            local spin = require "spin"
            local x = 1
            spin.forever()
            """
        // without the option, the location is the module's loop (the behaviour this fixes)
        let plain = try makeVM { $0.timeout = 0.3; $0.modules = ["spin": Self.spin] }
        let before = await expectLuaError(plain, script, name: "user.lua")
        #expect(before?.kind == .timeout)
        #expect(before?.location?.hasPrefix("stdlib/spin.lua:") == true, "\(before?.location ?? "nil")")

        let vm = try makeVM {
            $0.timeout = 0.3
            $0.modules = ["spin": Self.spin]
            $0.internalChunkPrefixes = ["stdlib/", "=[host"]
        }
        let e = await expectLuaError(vm, script, name: "user.lua")
        #expect(e?.kind == .timeout)
        #expect(e?.location == "user.lua:3")
    }

    @Test func aTimeoutInsideAGlueChunkNamedWithEqualsIsSkippedToo() async throws {
        let vm = try makeVM { $0.timeout = 0.3; $0.internalChunkPrefixes = ["=[host"] }
        _ = try await vm.runChunk("function host_spin() while true do end end", name: "=[host glue]")
        let e = await expectLuaError(vm, "local a = 1\n\nhost_spin()\n", name: "mine.lua")
        #expect(e?.kind == .timeout)
        #expect(e?.location == "mine.lua:3")
    }

    @Test func anInterruptInsideAnInternalModuleNamesTheScriptLine() async throws {
        let vm = try makeVM { $0.modules = ["spin": Self.spin]; $0.internalChunkPrefixes = ["stdlib/"] }
        let e = try await interruptOnceStarted(vm, """
            local spin = require "spin"
            spin.forever_started()
            """)
        #expect(e?.kind == .interrupted)
        #expect(e?.location == "loop.lua:2")
    }

    @Test func aTimeoutWhileAnInternalModuleWaitsOnAHostCallNamesTheScriptLine() async throws {
        let vm = try makeVM {
            $0.timeout = 0.3
            $0.modules = ["spin": Self.spin]
            $0.internalChunkPrefixes = ["stdlib/"]
        }
        try await vm.registerModule("host", functions: ["forever": .async { _ in
            try await Task.sleep(for: .seconds(3600))
            return .none
        }])
        let e = await expectLuaError(vm, """
            local spin, h = require "spin", require "host"

            spin.wait(h)
            """, name: "waits.lua")
        #expect(e?.kind == .timeout)
        #expect(e?.location == "waits.lua:3")
    }

    @Test func whenEveryFrameIsInternalTheInnermostIsNamed() async throws {
        let vm = try makeVM { $0.timeout = 0.3; $0.internalChunkPrefixes = ["stdlib/", "inner"] }
        let e = await expectLuaError(vm, "local n = 0\nwhile true do n = n + 1 end\n", name: "inner.lua")
        #expect(e?.kind == .timeout)
        #expect(e?.location == "inner.lua:2")
    }
}
