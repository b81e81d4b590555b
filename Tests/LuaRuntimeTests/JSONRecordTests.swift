import Foundation
import Testing
@testable import LuaRuntime

/// `json.decode(s, {lazy = true})`: objects inside arrays become records, decoded field by field.
@Suite("json records")
struct JSONRecordTests {
    /// Pages whose items exercise every kind of value, escapes in keys and values, nesting, odd
    /// spacing and empty objects.
    static let pages = [
        #"[{"id":"a1","n":1,"x":2.5,"neg":-3e2,"t":true,"f":false,"z":null,"s":"q\"uo\\te\n\u00e9\ud83d\ude00","o":{"k":[1,{"d":2}]},"a":[],"e":{}}]"#,
        #"{"items":[ { "id" : "b" , "caf\u00e9" : 7 ,"big":92233720368547758070 } , {} ,{"last":"x"}],"links":{"next":{"uri":"/p?seek=2"}},"totalCount":3}"#,
        #"[[{"deep":[{"deeper":"y"}]}],{"long":"\#(String(repeating: "abcdefghij", count: 50))"}]"#,
    ]

    @Test func everyFieldReadsAsTheEagerDecoderDecodesIt() async throws {
        let vm = try makeVM()
        for page in Self.pages {
            let r = try await vm.runChunk("""
                local json = require "json"
                local text = ...
                local eager, lazy = json.decode(text), json.decode(text, { lazy = true })
                local function items(v) return v.items or v end
                local function objects(e, l, out)   -- pairs of (eager table, record) at any depth
                  for i = 1, #e do
                    if json.is_record(l[i]) then out[#out + 1] = { e[i], l[i] }
                    elseif type(e[i]) == "table" then objects(e[i], l[i], out) end
                  end
                  return out
                end
                local checked = 0
                for _, pair in ipairs(objects(items(eager), items(lazy), {})) do
                  local e, rec = pair[1], pair[2]
                  for k, v in pairs(e) do   -- read through the record, before anything materializes it
                    local got = rec[k]
                    assert(json.encode(got, { sort_keys = true }) == json.encode(v, { sort_keys = true }),
                      ("field %s: %s ~= %s"):format(k, json.encode(got), json.encode(v)))
                    assert(math.type(got) == math.type(v), "number subtype of " .. k)
                    checked = checked + 1
                  end
                  assert(rec.no_such_field == nil and rec[1] == nil and rec[true] == nil)
                end
                return checked, json.encode(eager, { sort_keys = true }) == json.encode(lazy, { sort_keys = true })
                """, name: "rec.lua", args: [page])
            #expect((r[0].intValue ?? 0) > 0)
            #expect(r[1] == true)
        }
    }

    @Test func aRecordEncodesAsItsTableBeforeAndAfterAWrite() async throws {
        let vm = try makeVM()
        let r = try await vm.runChunk("""
            local json = require "json"
            local rec = json.decode('[{"b" : 1.50, "a":"x","b":1.5}]', { lazy = true })[1]
            local before = json.encode(rec, { sort_keys = true })
            local read = rec.b
            local after_read = json.encode(rec, { sort_keys = true })
            local bad = json.decode('[{"a":tru}]', { lazy = true })[1]
            local ok_bad = pcall(json.encode, { bad })
            rec.c = "new"
            rec.a = nil
            local keys = {}
            for k in pairs(rec) do keys[#keys + 1] = k end
            table.sort(keys)
            return before, after_read, json.encode(rec, { sort_keys = true }), table.concat(keys, ","),
                   read, #rec, type(rec), json.is_object(rec), type(json.materialize(rec)), ok_bad
            """, name: "rec.lua")
        #expect(r[0] == #"{"a":"x","b":1.5}"#)   // as json.decode's table encodes: one b, compact
        #expect(r[1] == #"{"a":"x","b":1.5}"#)
        #expect(r[9] == false)   // a malformed value fails the encode instead of being copied out
        #expect(r[2] == #"{"b":1.5,"c":"new"}"#)
        #expect(r[3] == "b,c")
        #expect(r[4] == .number(1.5))
        #expect(r[5] == 0)
        #expect(r[6] == "userdata")
        #expect(r[7] == true)
        #expect(r[8] == "table")
    }

    @Test func aRecordOutlivesItsPage() async throws {
        let vm = try makeVM()
        let r = try await vm.runChunk("""
            local json = require "json"
            local kept
            do
              local parts = {}
              for i = 1, 2000 do parts[i] = ('{"i":%d,"pad":"%s"}'):format(i, ("p"):rep(200)) end
              kept = json.decode("[" .. table.concat(parts, ",") .. "]", { lazy = true })[1234]
            end
            collectgarbage("collect")
            collectgarbage("collect")
            return kept.i, #kept.pad, math.floor(collectgarbage("count"))
            """, name: "rec.lua")
        #expect(r[0] == 1234)
        #expect(r[1] == 200)
        #expect((r[2].intValue ?? .max) < 2_000)   // KB: the other 1,999 items (~450 KB) are gone
    }

    @Test func malformedRecordsFailWithAClearMessage() async throws {
        let vm = try makeVM()
        let r = try await vm.runChunk("""
            local json = require "json"
            local ok1, e1 = pcall(json.decode, '[{"a":1', { lazy = true })
            local okk, ek = pcall(json.decode, '[{"a" 1}]', { lazy = true })   -- keys are read when decoding
            local bad = json.decode('[{"a":tru,"b":1}]', { lazy = true })[1]     -- values when read
            local ok2, e2 = pcall(function() return bad.a end)
            local ok3, e3 = pcall(function() return json.is_record(json.decode('[{}]', 3)[1]) end)
            local ok4, e4 = pcall(function() return json.decode('[{"s":"\\\\q"}]', { lazy = true })[1].s end)
            return ok1, e1, ok2, e2, ok3, e3, ok4, e4, okk, ek, bad.b
            """, name: "rec.lua")
        #expect(r[0] == false)
        #expect(r[1].stringValue?.contains("json.decode: expected ',' or '}' but the input ended at byte 8") == true, "\(r[1])")
        #expect(r[8] == false)
        #expect(r[9].stringValue?.contains("json.decode: expected ':' after key at byte 7") == true, "\(r[9])")
        #expect(r[2] == false)
        #expect(r[3].stringValue?.contains("invalid literal") == true, "\(r[3])")
        // read long after its page was decoded, the value's error names the field and the record
        #expect(r[3].stringValue?.contains("in the value of field 'a' of a json.record (byte 6 of the record)") == true, "\(r[3])")
        #expect(r[3].stringValue?.contains("rec.lua:") == true, "\(r[3])")
        #expect(r[10] == 1)
        #expect(r[4] == true)    // options other than a table are ignored (gsub's count, say)
        #expect(r[5] == false)
        #expect(r[6] == false)
        #expect(r[7].stringValue?.contains("invalid escape") == true)
    }

    @Test func scriptsCannotReachTheRecordsMetatable() async throws {
        let vm = try makeVM()
        let r = try await vm.runChunk("""
            local json = require "json"
            local rec = json.decode('[{"a":1}]', { lazy = true })[1]
            return getmetatable(rec), pcall(setmetatable, rec, {}), tostring(rec):match("^json%.record: ") ~= nil
            """, name: "rec.lua")
        #expect(r[0] == false)
        #expect(r[1] == false)   // setmetatable refuses it (pcall's first value only)
        #expect(r[2] == true)
    }

    @Test func aRecordReachesTheHostAsItsTable() async throws {
        let vm = try makeVM()
        let r = try await vm.runChunk("""
            local json = require "json"
            local page = json.decode('[{"a":1,"b":{"c":"d"}},{"a":tru}]', { lazy = true })
            return page[1], page[2]
            """, name: "rec.lua")
        guard case .table(let t)? = r.first else { Issue.record("not a table: \(r)"); return }
        #expect(t.hash[.string(Array("a".utf8))] == 1)
        guard case .table(let b)? = t.hash[.string(Array("b".utf8))] else { Issue.record("b is not a table"); return }
        #expect(b.hash[.string(Array("c".utf8))] == "d")
        // a malformed record stays an opaque value rather than failing the conversion
        if case .table = r[1] { Issue.record("a malformed record became a table") }
    }

    @Test func aRepeatedKeyReadsAsItsLastValueWithOrWithoutTheFieldIndex() async throws {
        let vm = try makeVM()
        let r = try await vm.runChunk("""
            local json = require "json"
            local rec = json.decode('[{"a":1,"b\\\\u0041":2,"a":3}]', { lazy = true })[1]
            -- more fields than the index holds (256): every read scans the bytes
            local wide = {}
            for i = 1, 300 do wide[i] = ('"k%d":%d'):format(i, i) end
            local w = json.decode('[{' .. table.concat(wide, ",") .. ',"k7":"last"}]', { lazy = true })[1]
            return rec.a, rec.a, json.decode('{"a":1,"a":3}').a, rec.bA, w.k1, w.k300, w.k7, w.k7, w.nope, json.materialize(rec).a
            """, name: "rec.lua")
        #expect(r[0] == 3)   // first read: builds the index
        #expect(r[1] == 3)   // through the index
        #expect(r[2] == 3)   // as json.decode keeps it
        #expect(r[3] == 2)   // an escaped key through the index
        #expect(r[4] == 1)
        #expect(r[5] == 300)
        #expect(r[6] == "last")
        #expect(r[7] == "last")
        #expect(r[8] == .nil)
        #expect(r[9] == 3)
    }
}
