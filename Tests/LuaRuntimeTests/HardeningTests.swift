import Foundation
import Testing
@testable import LuaRuntime

/// Runs a chunk, failing (instead of hanging the suite) when it has not ended within `limit`
/// seconds; returns its error, or nil when it succeeded.
func runBounded(_ vm: LuaVM, _ source: String, limit: Double = 30,
                sourceLocation: SourceLocation = #_sourceLocation) async -> Result<[LuaValue], LuaError>? {
    let outcome = OutcomeBox()
    let run = Task {
        do { outcome.set(.success(try await vm.runChunk(source, name: "h.lua"))) } catch let e as LuaError {
            outcome.set(.failure(e))
        } catch {
            outcome.set(.failure(LuaError(kind: .runtime, message: "\(error)")))
        }
    }
    let deadline = Date().addingTimeInterval(limit)
    while outcome.get() == nil && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
    guard let result = outcome.get() else {
        Issue.record("the chunk did not end within \(limit) s (the abort never reached it)", sourceLocation: sourceLocation)
        run.cancel()
        return nil
    }
    return result
}

final class OutcomeBox: @unchecked Sendable {
    private var value: Result<[LuaValue], LuaError>?
    private let lock = NSLock()
    func set(_ v: Result<[LuaValue], LuaError>) { lock.lock(); value = v; lock.unlock() }
    func get() -> Result<[LuaValue], LuaError>? { lock.lock(); defer { lock.unlock() }; return value }
}

extension Result where Failure == LuaError {
    var luaError: LuaError? { if case .failure(let e) = self { return e } else { return nil } }
}

@Suite("hostile scripts: bytecode, handlers, finalizers")
struct HardeningTests {
    @Test func noFunctionReachableFromALoadReaderLoadsBytecode() async throws {
        let vm = try makeVM()
        let r = try await vm.runChunk("""
            local reached, n = {}, 0
            local f = load(function()
              n = n + 1
              if n > 1 then return nil end
              for level = 1, 8 do
                local info = debug.getinfo(level, "fS")
                if info and info.what == "C" then reached[#reached + 1] = info.func end
              end
              return "return 1"
            end)
            assert(f and f() == 1)
            local dump = string.dump(function() return 42 end)
            local corrupt = dump:sub(1, 16) .. string.rep("\\255", 40) .. dump:sub(57)
            local loaded, messages = 0, {}
            for _, fn in ipairs(reached) do
              for _, args in ipairs({ { dump }, { dump, "x", "b" }, { corrupt, "x", "bt" },
                                      { function() local d = dump; dump = nil; return d end, "r", "b" } }) do
                local ok, g, err = pcall(fn, table.unpack(args, 1, 3))
                if ok and type(g) == "function" then loaded = loaded + 1 end
                messages[#messages + 1] = tostring(err)
              end
              dump = string.dump(function() return 42 end)
            end
            return #reached, loaded, table.concat(messages, "|")
            """, name: "reader.lua")
        #expect(r[0].intValue ?? 0 >= 1, "the reader reached no C function")
        #expect(r[1] == .integer(0), "bytecode was loaded: \(r)")
        #expect(r[2].stringValue?.contains("binary chunks are not allowed (pcx loads Lua source only)") == true)
    }

    @Test func loadKeepsItsTextBehaviourWithReadersModesAndEnv() async throws {
        let vm = try makeVM()
        let r = try await vm.runChunk("""
            local parts = { "return ", "x ", "+ 1" }
            local i = 0
            local f = load(function() i = i + 1; return parts[i] end, "=pieces", "t", { x = 41 })
            local g, e = load("return 1", "x", "b")
            local h, e2 = load(function() return {} end)
            return f(), g, e, h, e2
            """, name: "t.lua")
        #expect(r[0] == .integer(42))
        #expect(r[1] == .nil)
        #expect(r[2] == "binary chunks are not allowed (pcx loads Lua source only)")
        #expect(r[3] == .nil)
        #expect(r[4].stringValue?.contains("reader function must return a string") == true)
    }

    @Test func aTimeoutStopsALoopInAnXpcallMessageHandler() async throws {
        let vm = try makeVM { $0.timeout = 0.5 }
        // the handler of an ordinary error loops
        let e1 = await runBounded(vm, "xpcall(function() error('x') end, function() while true do end end)")
        #expect(e1?.luaError?.kind == .timeout)
        // the handler of the timeout's own error would loop (Lua runs it with hooks off)
        let e2 = await runBounded(vm, "xpcall(function() while true do end end, function(m) while true do end end)")
        #expect(e2?.luaError?.kind == .timeout)
        // a pcall inside the handler does not swallow it either
        let e3 = await runBounded(vm, """
            xpcall(function() while true do end end, function(m) pcall(function() while true do end end) while true do end end)
            """)
        #expect(e3?.luaError?.kind == .timeout)
        // handlers still work
        let r = try await vm.runChunk("return xpcall(function(a) error({a}) end, function(e) return e[1] * 2 end, 21)", name: "t.lua")
        #expect(r == [.boolean(false), .integer(42)])
    }

    @Test func aTimeoutStopsALoopInAFinalizer() async throws {
        let vm = try makeVM { $0.timeout = 0.5 }
        let e1 = await runBounded(vm, "setmetatable({}, { __gc = function() while true do end end }) collectgarbage()")
        #expect(e1?.luaError?.kind == .timeout)
        // a finalizer planted after setmetatable
        let e2 = await runBounded(vm, """
            local mt = { __gc = true }
            setmetatable({}, mt)
            mt.__gc = function() while true do end end
            collectgarbage()
            """)
        #expect(e2?.luaError?.kind == .timeout)
        // a finalizer planted on a metatable the host sets from C (json objects)
        let e3 = await runBounded(vm, """
            local json = require "json"
            getmetatable(json.object()).__gc = function() while true do end end
            for i = 1, 10 do json.decode("{}") end
            collectgarbage()
            """)
        #expect(e3?.luaError?.kind == .timeout)
        // the FILE* metatable cannot be given one
        let r = await runBounded(vm, """
            getmetatable(io.stdout).__gc = function() while true do end end
            for i = 1, 10 do io.open("/dev/null") end
            collectgarbage()
            return io.type(io.stdout)
            """)
        #expect((try? r?.get()) == [LuaValue("file")])
    }

    @Test func anInterruptStopsALoopInAFinalizer() async throws {
        let vm = try makeVM()
        let e = try await interruptOnceStarted(vm, """
            setmetatable({}, { __gc = function() started() while true do end end })
            collectgarbage()
            """)
        #expect(e?.kind == .interrupted)
    }

    @Test func finalizersStillRunOnceWithTheirObject() async throws {
        let vm = try makeVM { $0.timeout = 10 }
        let r = try await vm.runChunk("""
            local log = {}
            local mt = { __gc = function(o) log[#log + 1] = o.name end }
            do setmetatable({ name = "a" }, mt) end
            local kept = setmetatable({ name = "kept" }, mt)
            collectgarbage(); collectgarbage()
            local first = table.concat(log, ",")
            -- an error in a finalizer is a warning, not a failure
            do setmetatable({}, { __gc = function() error("boom") end }) end
            collectgarbage()
            -- __gc added after setmetatable is ignored, as in Lua
            local late = {}
            do setmetatable({}, late) end
            late.__gc = function() log[#log + 1] = "late" end
            collectgarbage()
            return first, table.concat(log, ","), getmetatable(kept).__gc == mt.__gc, kept.name
            """, name: "gc.lua")
        #expect(r == [LuaValue("a"), LuaValue("a"), .boolean(true), LuaValue("kept")])
    }
}

@Suite("file read policy")
struct ReadPolicyTests {
    @Test func procSysAndDevAreNeverReadable() async throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        try FileManager.default.createSymbolicLink(at: dir.appending(path: "env"), withDestinationURL: URL(fileURLWithPath: "/proc/self/environ"))
        let vm = try makeVM { $0.allowRead = [dir, URL(fileURLWithPath: "/")] }
        let r = try await vm.runChunk("""
            local dir = ...
            local out = {}
            local function msg(...) local a, b = ... ; return tostring(b) end
            out[#out + 1] = msg(io.open("/proc/self/environ"))
            out[#out + 1] = msg(io.open("/proc/self/mem", "rb"))
            out[#out + 1] = msg(io.open("/sys/kernel/hostname"))
            out[#out + 1] = msg(io.open("/dev/stdin"))
            out[#out + 1] = msg(io.open(dir .. "/env"))
            out[#out + 1] = msg(io.open(dir .. "/../../../proc/self/environ"))
            out[#out + 1] = msg(pcall(io.lines, "/proc/self/environ"))
            out[#out + 1] = msg(pcall(io.input, "/proc/self/environ"))
            out[#out + 1] = msg(loadfile("/proc/self/environ"))
            out[#out + 1] = msg(pcall(dofile, "/proc/self/environ"))
            local null = io.open("/dev/null"):read("a")
            return table.concat(out, "\\n"), #out, null
            """, name: "t.lua", args: [dir.path])
        let lines = (r[0].stringValue ?? "").split(separator: "\n")
        #expect(r[1] == .integer(10))
        for line in lines { #expect(line.contains("is never readable or writable by scripts"), "\(line)") }
        #expect(r[2] == LuaValue(""))
    }

    @Test func cFramesInternalBuffersAreOutOfReachAndSearchpathAsksThePolicy() async throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        try "return 1".write(to: dir.appending(path: "here.lua"), atomically: true, encoding: .utf8)
        let vm = try makeVM { $0.allowRead = [dir] }
        // debug.getlocal on table.concat's frame reached its string buffer, whose __gc freed it
        // mid-use (SIGSEGV); the concat below must simply work
        let r = try await vm.runChunk("""
            local dir = ...
            local reached = 0
            local t = setmetatable({}, { __index = function(_, i)
              if i >= 3 and debug.getlocal then
                for k = 1, 30 do
                  local n, v = debug.getlocal(2, k)
                  if not n then break end
                  if type(v) == "userdata" then
                    local mt = getmetatable(v)
                    if type(mt) == "table" and mt.__gc then reached = reached + 1; mt.__gc(v) end
                  end
                end
              end
              return string.rep("x", 5000)
            end })
            local s
            for _ = 1, 20 do s = table.concat(t, "", 1, 40) end
            local found = package.searchpath("here", dir .. "/?.lua")
            local hidden, tried = package.searchpath("environ", "/proc/self/?")
            local pathless = select(2, pcall(package.searchpath, "x"))
            return #s, reached, debug.getlocal == nil, found, hidden == nil, tried, pathless
            """, name: "t.lua", args: [dir.path])
        #expect(r[0] == .integer(200_000))
        #expect(r[1] == .integer(0))
        #expect(r[2] == .boolean(true))
        #expect(r[3].stringValue?.hasSuffix("/here.lua") == true, "\(r[3])")
        #expect(r[4] == .boolean(true), "package.searchpath no longer tells whether /proc/self/environ exists")
        #expect(r[5].stringValue?.contains("is never readable or writable by scripts") == true, "\(r[5])")
        #expect(r[6].stringValue?.contains("bad argument #2 to 'searchpath'") == true, "\(r[6])")
    }

    @Test func readingIsLimitedToTheScriptFolderAndAllowedDirectories() async throws {
        let base = try makeTempDir()
        defer { cleanup(base) }
        let scriptDir = base.appending(path: "s"), extra = base.appending(path: "extra"), other = base.appending(path: "other")
        for d in [scriptDir, extra, other] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
        try "mine".write(to: scriptDir.appending(path: "data.txt"), atomically: true, encoding: .utf8)
        try "extra".write(to: extra.appending(path: "data.txt"), atomically: true, encoding: .utf8)
        try "other".write(to: other.appending(path: "data.txt"), atomically: true, encoding: .utf8)
        try "return 'lib'".write(to: other.appending(path: "m.lua"), atomically: true, encoding: .utf8)
        try """
            local base = ...
            local out = {}
            out.mine = io.open(base .. "/s/data.txt"):read("a")
            out.extra = io.open(base .. "/extra/data.txt"):read("a")
            out.missing = select(2, io.open(base .. "/s/nope.txt"))
            local f, e = io.open(base .. "/other/data.txt")
            out.other = e
            out.lines = select(2, pcall(io.lines, base .. "/other/data.txt"))
            out.loadfile = select(2, loadfile(base .. "/other/m.lua"))
            out.dofile = select(2, pcall(dofile, base .. "/other/m.lua"))
            package.path = base .. "/other/?.lua"
            out.require = select(2, pcall(require, "m"))
            return out
            """.write(to: scriptDir.appending(path: "main.lua"), atomically: true, encoding: .utf8)
        let vm = try makeVM {
            $0.allowRead = [extra]
            $0.readRefusalHint = "pass --allow-read DIR to let the script read there"
        }
        let r = try await vm.runFile(scriptDir.appending(path: "main.lua").path, args: [base.path])
        let t = try #require(r.first?.tableValue)
        #expect(t["mine"] == "mine")
        #expect(t["extra"] == "extra")
        #expect(t["missing"].stringValue?.contains("No such file") == true, "\(t["missing"])")
        for key in ["other", "lines", "loadfile", "dofile", "require"] {
            let m = t[key].stringValue ?? ""
            #expect(m.contains("reading outside the allowed directories"), "\(key): \(m)")
            #expect(m.contains("pass --allow-read \(other.path)") || key == "require", "\(key): \(m)")
        }
    }

    @Test func deniedPathsWinOverAllowedDirectoriesForReadsAndWrites() async throws {
        let base = try makeTempDir()
        defer { cleanup(base) }
        let config = base.appending(path: "config"), playbooks = config.appending(path: "playbooks")
        try FileManager.default.createDirectory(at: playbooks, withIntermediateDirectories: true)
        try "secret = 1".write(to: config.appending(path: "profiles.toml"), atomically: true, encoding: .utf8)
        try "return 'pb'".write(to: playbooks.appending(path: "p.lua"), atomically: true, encoding: .utf8)
        try "return 'cfg'".write(to: config.appending(path: "mod.lua"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(at: base.appending(path: "link.toml"), withDestinationURL: config.appending(path: "profiles.toml"))
        let vm = try makeVM {
            $0.allowRead = [base]
            $0.allowWrite = [base]
            $0.denyPaths = [config]
            $0.denyExceptions = [playbooks]
        }
        let r = try await vm.runChunk("""
            local base = ...
            local out = {}
            out.read = select(2, io.open(base .. "/config/profiles.toml"))
            out.link = select(2, io.open(base .. "/link.toml"))
            out.write = select(2, io.open(base .. "/config/new.txt", "w"))
            out.remove = select(2, os.remove(base .. "/config/profiles.toml"))
            out.loadfile = select(2, loadfile(base .. "/config/mod.lua"))
            package.path = base .. "/config/?.lua"
            out.require = select(2, pcall(require, "mod"))
            out.playbook = dofile(base .. "/config/playbooks/p.lua")
            return out
            """, name: "t.lua", args: [base.path])
        let t = try #require(r.first?.tableValue)
        for key in ["read", "link", "write", "remove", "loadfile", "require"] {
            #expect(t[key].stringValue?.contains("are never readable or writable by scripts") == true, "\(key): \(t[key])")
        }
        #expect(t["playbook"] == "pb")
        #expect(FileManager.default.fileExists(atPath: config.appending(path: "profiles.toml").path))
        #expect(!FileManager.default.fileExists(atPath: config.appending(path: "new.txt").path))
    }
}
