import Foundation
import Testing
@testable import LuaRuntime

@Suite("json")
struct JSONTests {
    /// Decodes in Lua, re-encodes with sorted keys, returns the text.
    func roundTrip(_ vm: LuaVM, _ text: String) async throws -> String {
        try await vm.runChunk("""
            local json = require "json"
            return json.encode(json.decode(...), { sort_keys = true })
            """, name: "rt.lua", args: [text]).first?.stringValue ?? ""
    }

    @Test func valuesRoundTripThroughDecodeAndEncode() async throws {
        let vm = try makeVM()
        let cases = [
            #"{"a":[1,2.5,-3,0,-0.25,1e+300],"b":true,"c":false,"d":null,"e":"x"}"#,
            #"[[],{},[{}],{"k":[]}]"#,
            #"["tab\tnew\nline\"quote\\back\/slash\u0001"]"#,
            #"["caf\u00e9 \u20ac \ud83d\ude00 日本"]"#,
            #"[9223372036854775807,-9223372036854775808,12345678901234567890]"#,
            #"[1.0,100.0,0.1,123456.789]"#,
        ]
        let expected = [
            #"{"a":[1,2.5,-3,0,-0.25,1e+300],"b":true,"c":false,"d":null,"e":"x"}"#,
            #"[[],{},[{}],{"k":[]}]"#,
            #"["tab\tnew\nline\"quote\\back/slash\u0001"]"#,
            "[\"café € 😀 日本\"]",
            #"[9223372036854775807,-9223372036854775808,1.2345678901234567e+19]"#,
            #"[1.0,100.0,0.1,123456.789]"#,
        ]
        for (input, want) in zip(cases, expected) {
            #expect(try await roundTrip(vm, input) == want)
        }
    }

    @Test func integersStayIntegersAndFractionsBecomeFloats() async throws {
        let vm = try makeVM()
        let r = try await vm.runChunk("""
            local json = require "json"
            local t = json.decode('[1, 1.5, 2e3, 9223372036854775807, 92233720368547758070, -0.0, 19.99]')
            local out = {}
            for i = 1, #t do out[i] = math.type(t[i]) end
            return table.concat(out, ","), t[7] == 19.99, t[4] == math.maxinteger
            """, name: "t.lua")
        #expect(r[0] == "integer,float,float,integer,float,float,float")
        #expect(r[1] == true)
        #expect(r[2] == true)
    }

    @Test func emptyObjectAndEmptyArrayKeepTheirShape() async throws {
        let vm = try makeVM()
        let r = try await vm.runChunk("""
            local json = require "json"
            local v = json.decode('{"o":{},"a":[]}')
            return json.is_object(v.o), json.is_object(v.a), json.encode(v.o), json.encode(v.a),
                   json.encode({}), json.encode(json.object()), json.encode(json.array({})),
                   json.encode({[1]="a",[3]="c"}, {sort_keys=true})
            """, name: "t.lua")
        #expect(r == [true, false, "{}", "[]", "[]", "{}", "[]", #"{"1":"a","3":"c"}"#])
    }

    @Test func nullIsASentinelThatSurvivesTheBridge() async throws {
        let vm = try makeVM()
        let r = try await vm.runChunk("""
            local json = require "json"
            local v = json.decode('{"x":null,"l":[null,1]}')
            return v.x == json.null, json.is_null(v.l[1]), #v.l, v
            """, name: "t.lua")
        #expect(Array(r.prefix(3)) == [true, true, .integer(2)])
        #expect(r[3]["x"] == .null)
        let back = try await vm.perform { ctx -> LuaValue in
            ctx.setGlobal("v", r[3])
            return try ctx.run("return require('json').encode(v.l)", name: "t.lua")[0]
        }
        #expect(back == "[null,1]")
    }

    @Test func malformedJSONFailsWithTheByteOffset() async throws {
        let vm = try makeVM()
        let cases: [(String, String)] = [
            (#"{"a":1 "b":2}"#, "expected ',' or '}' at byte 8 (line 1, column 8)"),
            ("[1,2", "expected ',' or ']' but the input ended at byte 5"),
            (#"{"a":tru}"#, "invalid literal at byte 6"),
            ("[1,]", "unexpected character ']' at byte 4"),
            ("\"abc", "unterminated string at byte 5"),
            ("[01]", "expected ',' or ']' at byte 3"),
            ("{\n  \"a\": [1, 2,, 3]\n}", "unexpected character ',' at byte 16 (line 2, column 14)"),
            (#""\x""#, "invalid escape in string at byte 2"),
            ("[1] x", "unexpected data after the JSON value at byte 5"),
            ("", "unexpected end of input at byte 1"),
            ("[95E999999]", "number out of range (too large for a double) at byte 2"),
        ]
        for (input, want) in cases {
            let r = try await vm.runChunk("return pcall(require('json').decode, ...)", name: "t.lua", args: [input])
            #expect(r[0] == false)
            let msg = r[1].stringValue ?? ""
            #expect(msg.contains("json.decode: " + want), "\(input): \(msg)")
        }
    }

    @Test func deepNestingIsLimitedWithAClearError() async throws {
        let vm = try makeVM()
        let ok = String(repeating: "[", count: 999) + String(repeating: "]", count: 999)
        let tooDeep = String(repeating: "[", count: 1001) + String(repeating: "]", count: 1001)
        let r = try await vm.runChunk("""
            local json = require "json"
            local ok = pcall(json.decode, select(1, ...))
            local ok2, err = pcall(json.decode, select(2, ...))
            local t = {} local cur = t
            for i = 1, 1100 do cur[1] = {} cur = cur[1] end
            local ok3, err3 = pcall(json.encode, t)
            local cyc = {} cyc.self = cyc
            local ok4, err4 = pcall(json.encode, cyc)
            return ok, ok2, err, ok3, err3, ok4, err4
            """, name: "t.lua", args: [ok, tooDeep])
        #expect(r[0] == true)
        #expect(r[1] == false)
        #expect(r[2].stringValue?.contains("nesting deeper than 1000 levels at byte 1001") == true)
        #expect(r[3] == false)
        #expect(r[4].stringValue?.contains("json.encode: nesting deeper than 1000") == true)
        #expect(r[5] == false)
        #expect(r[6].stringValue?.contains("cycle") == true)
    }

    @Test func encodeRefusesWhatJSONCannotHold() async throws {
        let vm = try makeVM()
        let r = try await vm.runChunk("""
            local json = require "json"
            local function err(...) return select(2, pcall(json.encode, ...)) end
            return err(0/0), err(math.huge), err(print), err({[true] = 1}), err("\\xff\\xfe"), err({}, 5)
            """, name: "t.lua")
        let msgs = r.map { $0.stringValue ?? "" }
        #expect(msgs[0].contains("NaN or infinity"))
        #expect(msgs[1].contains("NaN or infinity"))
        #expect(msgs[2].contains("cannot encode a function"))
        #expect(msgs[3].contains("keys must be strings or numbers"))
        #expect(msgs[4].contains("invalid UTF-8 in string at byte 1"))
        #expect(msgs[5].contains("options must be a table"))
    }

    @Test func invalidUTF8InsideDecodedStringsIsPassedThroughAndLoneSurrogatesBecomeReplacement() async throws {
        let vm = try makeVM()
        let r = try await vm.perform { ctx -> [LuaValue] in
            let bytes: [UInt8] = Array("[\"a".utf8) + [0xFF] + Array("b\",\"\\ud800x\"]".utf8)
            try ctx.setGlobalJSON("v", bytes)
            return try ctx.run("return v[1], v[2]", name: "t.lua")
        }
        #expect(r[0] == .string([0x61, 0xFF, 0x62]))
        #expect(r[1] == "\u{FFFD}x")
    }

    @Test func prettyEncodingIndentsAndSortsKeys() async throws {
        let vm = try makeVM()
        let r = try await vm.runChunk("""
            local json = require "json"
            return json.encode({b = 1, a = {1, 2}, c = {}}, {indent = true})
            """, name: "t.lua")
        #expect(r[0] == "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": 1,\n  \"c\": []\n}")
    }

    @Test func aHostResultOfJSONBytesIsDecodedStraightIntoLua() async throws {
        let vm = try makeVM()
        try await vm.perform { ctx in
            ctx.setGlobal("fetch", function: .sync { _, _ in
                .json(Array(#"{"items":[{"id":"a","price":19.99},{"id":"b","price":5}],"links":{}}"#.utf8))
            })
            ctx.setGlobal("broken", function: .sync { _, _ in .json(Array("{\"a\":".utf8)) })
        }
        let r = try await vm.runChunk("""
            local page = fetch()
            local ok, err = pcall(broken)
            return #page.items, page.items[1].price, math.type(page.items[2].price),
                   require("json").encode(page.links), ok, err
            """, name: "scripts/page.lua")
        #expect(Array(r.prefix(5)) == [.integer(2), .number(19.99), "integer", "{}", false])
        #expect(r[5].stringValue?.hasPrefix("scripts/page.lua:2: json.decode: unexpected end of input at byte 6") == true)
        let direct = try await vm.perform { ctx in try ctx.decodeJSON(Array(#"{"a":[1,{}]}"#.utf8)) }
        #expect(direct["a"][1] == .integer(1))
        #expect(direct["a"][2].tableValue?.metatableName == "json.object")
    }

    @Test func aHugeObjectDoesNotInflateTheSmallObjectsAfterIt() async throws {
        let vm = try makeVM { $0.memoryLimit = 64 << 20 }
        let r = try await vm.runChunk("""
            local json = require "json"
            local big = {} for i = 1, 5000 do big[i] = string.format('"k%d":%d', i, i) end
            local small = {} for i = 1, 20000 do small[i] = '{"a":1}' end
            local v = json.decode("[{" .. table.concat(big, ",") .. "}," .. table.concat(small, ",") .. "]")
            return #v, v[20001].a
            """, name: "t.lua")
        #expect(r == [.integer(20001), .integer(1)])
    }

    @Test func repeatedAndLookAlikeStringsDecodeToTheirOwnValues() async throws {
        // strings up to 40 bytes go through the decoder's reuse cache: same length, same first,
        // middle and last bytes, or repeated at random distances must all come back exactly
        let vm = try makeVM()
        let r = try await vm.runChunk("""
            local json = require "json"
            local src, want = {}, {}
            for i = 1, 20000 do
              local s
              if i % 3 == 0 then s = want[(i * 7919) % (i - 1) + 1]                      -- a repeat
              elseif i % 3 == 1 then s = string.format("aaaaaaaaaaaaaaaa%08dzzzzzzzzzzzzzzzz", i) -- 40 bytes, differs mid
              else s = string.format("%0" .. (i % 41) .. "d", i % 97) end                 -- 0..40 bytes
              want[i] = s
              src[i] = '"' .. s .. '"'
            end
            local got = json.decode("[" .. table.concat(src, ",") .. "]")
            for i = 1, #want do
              if got[i] ~= want[i] then return "mismatch at " .. i .. ": " .. tostring(got[i]) .. " vs " .. want[i] end
            end
            return #got
            """, name: "t.lua")
        #expect(r == [.integer(20000)])
    }

    @Test func largeArraysAndObjectsDecodeCompletely() async throws {
        let vm = try makeVM()
        let r = try await vm.runChunk("""
            local json = require "json"
            local parts = {}
            for i = 1, 5000 do parts[i] = string.format('{"id":%d,"name":"n%d","v":%d.5}', i, i, i) end
            local obj = {}
            for i = 1, 300 do obj[i] = string.format('"k%d":%d', i, i) end
            local arr = json.decode("[" .. table.concat(parts, ",") .. "]")
            local o = json.decode("{" .. table.concat(obj, ",") .. ',"k1":"dup"}')
            local n = 0 for _ in pairs(o) do n = n + 1 end
            return #arr, arr[5000].id, arr[4321].v, n, o.k1, o.k300
            """, name: "t.lua")
        #expect(r == [.integer(5000), .integer(5000), .number(4321.5), .integer(300), "dup", .integer(300)])
    }
}

@Suite("json memory")
struct JSONMemoryTests {
    @Test func aLoopThatOnlyDecodesPagesKeepsMemoryBounded() async throws {
        let vm = try LuaVM()
        defer { vm.close() }
        let peak = try await vm.perform { ctx -> Double in
            let r = try ctx.run("""
                local json = require "json"
                local items = {}
                for i = 1, 2000 do
                  items[i] = string.format('{"customerId":"c%d","totalForCustomer":%d.25,"skuName":"Reserved VM Instance %d"}', i % 50, i, i)
                end
                local page = '{"items":[' .. table.concat(items, ",") .. ']}'
                items = nil
                collectgarbage()
                local peak = 0
                for n = 1, 300 do
                  local decoded = json.decode(page)   -- dropped at once: the loop allocates nothing else
                  local kb = collectgarbage("count")
                  if kb > peak then peak = kb end
                end
                return peak
                """, name: "=mem")
            return r.first?.doubleValue ?? 0
        }
        // one decoded page is under 1 MB; without charging the collector for decodes it grows past 100 MB
        #expect(peak < 16 * 1024, "peak \(peak) KB")
    }
}
