import Testing
@testable import LuaRuntime
@Test func linkedLuaIsFivePointFour() { #expect(luaVersionString == "5.4") }
