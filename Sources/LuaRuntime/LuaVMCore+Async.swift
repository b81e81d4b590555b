import CLuaShim
import Foundation

extension LuaVMCore {
    func abortMessage(_ reason: Int32) -> String {
        switch reason {
        case Int32(PCXL_ABORT_TIMEOUT): return "timeout: the script ran past its time limit"
        case Int32(PCXL_ABORT_INTERRUPT): return "interrupted"
        case Int32(PCXL_ABORT_MEMORY): return "memory limit exceeded"
        case Int32(PCXL_ABORT_EXIT): return "os.exit called"
        default: return "aborted"
        }
    }

    /// Records a finished task and wakes the VM thread. Any thread.
    func complete(_ id: Int, _ result: Result<LuaHostResult, any Error>) {
        completions.lock()
        done[id] = result
        inflight[id] = nil
        completions.broadcast()
        completions.unlock()
    }

    /// Waits in 10 ms slices for one of `ids` to finish, checking interrupt, deadline and
    /// memory between slices. nil when the run is being aborted. VM thread.
    func waitFor(_ ids: Set<Int>) -> (Int, Result<LuaHostResult, any Error>)? {
        completions.lock()
        defer { completions.unlock() }
        while true {
            for id in ids {
                if let r = done.removeValue(forKey: id) { return (id, r) }
            }
            completions.unlock()
            let reason = pcxl_check_abort(ctx)
            completions.lock()
            if reason != 0 { return nil }
            _ = completions.wait(until: Date(timeIntervalSinceNow: 0.01))
        }
    }

    func cancel(_ ids: some Sequence<Int>) {
        completions.lock()
        let tasks = ids.compactMap { inflight[$0] }
        completions.unlock()
        for t in tasks { t.cancel() }
    }

    /// Starts an async host function; yields when running in a scheduler coroutine that can
    /// yield, blocks otherwise. VM thread (called by dispatch).
    func startAsync(_ L: OpaquePointer, _ f: @escaping @Sendable ([LuaValue]) async throws -> LuaHostResult) -> Int32 {
        let args: [LuaValue]
        do { args = try arguments(L) } catch {
            lenient { lua_pushstring(L, "\(error)") }
            return PCXL_RAISE_
        }
        let reason = pcxl_check_abort(ctx)
        if reason != 0 {
            lenient { lua_pushstring(L, abortMessage(reason)) }
            return PCXL_RAISE_
        }
        let id = nextTaskID
        nextTaskID += 1
        completions.lock()
        let task = Task.detached { [self] in
            let r: Result<LuaHostResult, any Error>
            do { r = .success(try await f(args)) } catch { r = .failure(error) }
            self.complete(id, r)
        }
        inflight[id] = task
        completions.unlock()
        if schedulerThreads.contains(L) && pcxl_isyieldable(L) != 0 {
            waitingTask[L] = id
            return PCXL_YIELD_
        }
        guard let (_, result) = waitFor([id]) else {
            cancel([id])
            lenient { lua_pushstring(L, abortMessage(pcxl_abort_reason(ctx))) }
            return PCXL_RAISE_
        }
        switch result {
        case .success(let r): return pushResult(L, r)
        case .failure(let e):
            pushError(L, e)
            return PCXL_RAISE_
        }
    }

    /// Pushes a completion onto a suspended coroutine as resume arguments for pcxl_async_k:
    /// `true, values...` or `false, error`. Returns the argument count. JSON is decoded on `L`
    /// (the running thread) and moved over.
    func pushCompletion(onto co: OpaquePointer, from L: OpaquePointer, _ result: Result<LuaHostResult, any Error>) -> Int32 {
        switch result {
        case .success(.values(let vs)):
            guard lua_checkstack(co, Int32(vs.count) + 4) != 0 else {
                lenient {
                    lua_pushboolean(co, 0)
                    lua_pushstring(co, "pcx: too many results")
                }
                return 2
            }
            lenient {
                lua_pushboolean(co, 1)
                for v in vs { push(co, v) }
            }
            return Int32(vs.count) + 1
        case .success(.json(let bytes)):
            return completeJSON(L, co) { pushJSON(L, bytes) }
        case .success(.jsonData(let data)):
            return completeJSON(L, co) { pushJSON(L, data) }
        case .success(.jsonRecords(let data)):
            return completeJSON(L, co) { pushJSON(L, data, records: true) }
        case .success(.error(let v)):
            lenient {
                lua_pushboolean(co, 0)
                push(co, v)
            }
            return 2
        case .failure(let e):
            lua_pushboolean(co, 0)
            pushError(co, e)
            return 2
        }
    }

    /// Decodes a JSON completion on L (under pcall) and moves [ok, value|err] onto co.
    private func completeJSON(_ L: OpaquePointer, _ co: OpaquePointer, _ decode: () -> Int32) -> Int32 {
        _ = lua_checkstack(L, 4)
        _ = lua_checkstack(co, 4)
        let st = lenient { decode() }
        lua_pushboolean(co, st == LUA_OK ? 1 : 0)
        lua_xmove(L, co, 1)
        return 2
    }

    /// Runs `n` jobs as coroutines, at most `concurrency` at a time, overlapping their async host
    /// calls. `pushJob(co, i)` pushes job i's function and arguments onto `co` and returns the
    /// argument count. On success the results table (`[i] = first result of job i`) is left on
    /// top and 1 is returned. On the first error to happen (in time; when several jobs fail in
    /// the same step, the lowest index) no new job starts, the in-flight host calls of the other
    /// jobs are cancelled and awaited, their coroutines are closed without being resumed
    /// (to-be-closed variables run), and the error value is re-raised unchanged. VM thread.
    func schedule(_ L: OpaquePointer, count n: Int, concurrency: Int, pushJob: (OpaquePointer, Int) -> Int32) -> Int32 {
        guard lua_checkstack(L, 16) != 0 else {
            lua_pushstring(L, "async: Lua stack overflow")
            return PCXL_RAISE_
        }
        var jobs = JobScheduler(core: self, L: L, count: n)
        while true {
            jobs.start(upTo: concurrency, pushJob: pushJob)
            if jobs.running.isEmpty { break }
            if jobs.failed {
                jobs.drainAfterError()
                break
            }
            guard let (tid, result) = waitFor(Set(jobs.running.keys)) else {
                cancel(jobs.running.keys)
                jobs.closeRunning()
                lua_settop(L, jobs.results - 1)
                lenient { lua_pushstring(L, abortMessage(pcxl_abort_reason(ctx))) }
                return PCXL_RAISE_
            }
            guard let job = jobs.running.removeValue(forKey: tid) else { continue }
            let nargs = pushCompletion(onto: job.co, from: L, result)
            jobs.resume(job.co, job.index, nargs)
        }
        return jobs.end()
    }

    /// The `async` module: `parallel(f1, f2, ...)` and `map(list, fn, {concurrency = n})`.
    func registerAsyncModule() {
        let parallel: HostEntry = .raw { core, L in
            let n = Int(lua_gettop(L))
            for i in 0..<n where lua_type(L, Int32(i + 1)) != LUA_TFUNCTION {
                core.lenient { lua_pushstring(L, "async.parallel: argument #\(i + 1) is not a function") }
                return PCXL_RAISE_
            }
            let st = core.schedule(L, count: n, concurrency: max(n, 1)) { co, i in
                lua_pushvalue(L, Int32(i))
                lua_xmove(L, co, 1)
                return 0
            }
            if st < 0 { return st }
            let results = lua_gettop(L)
            _ = lua_checkstack(L, Int32(n) + 2)
            for i in 1...max(n, 1) where n > 0 { lua_rawgeti(L, results, lua_Integer(i)) }
            return Int32(n)
        }
        let map: HostEntry = .raw { core, L in
            guard lua_type(L, 1) == LUA_TTABLE else {
                core.lenient { lua_pushstring(L, "async.map: argument #1 must be a list (table)") }
                return PCXL_RAISE_
            }
            guard lua_type(L, 2) == LUA_TFUNCTION else {
                core.lenient { lua_pushstring(L, "async.map: argument #2 must be a function") }
                return PCXL_RAISE_
            }
            var concurrency = 4
            if lua_type(L, 3) == LUA_TTABLE {
                lua_pushstring(L, "concurrency")
                lua_rawget(L, 3)
                if lua_type(L, -1) != LUA_TNIL {
                    guard pcxl_isinteger(L, -1) != 0, lua_tointegerx(L, -1, nil) >= 1 else {
                        core.lenient { lua_pushstring(L, "async.map: concurrency must be an integer >= 1") }
                        return PCXL_RAISE_
                    }
                    concurrency = Int(clamping: lua_tointegerx(L, -1, nil))
                }
                pcxl_pop(L, 1)
            } else if lua_type(L, 3) > LUA_TNIL {
                core.lenient { lua_pushstring(L, "async.map: argument #3 must be an options table like {concurrency = 4}") }
                return PCXL_RAISE_
            }
            let n = Int(lua_rawlen(L, 1))
            return core.schedule(L, count: n, concurrency: concurrency) { co, i in
                lua_pushvalue(L, 2)
                lua_rawgeti(L, 1, lua_Integer(i))
                lua_pushinteger(L, lua_Integer(i))
                lua_xmove(L, co, 3)
                return 2
            }
        }
        registerModule(L, "async", functions: ["parallel": parallel, "map": map], values: [:])
    }
}

/// The state of one `async.parallel`/`async.map` run (see ``LuaVMCore/schedule(_:count:concurrency:pushJob:)``):
/// the results and threads tables on the stack, the jobs in flight, the first error. VM thread.
private struct JobScheduler {
    let core: LuaVMCore
    let L: OpaquePointer
    let count: Int
    /// Stack index of the results table (`[i] = first result of job i`).
    let results: Int32
    /// Stack index of the table keeping each job's coroutine alive.
    let threads: Int32
    /// Stack index of the slot holding the first error.
    let errSlot: Int32
    var errIndex = Int.max
    var next = 1
    var running: [Int: (co: OpaquePointer, index: Int)] = [:]

    init(core: LuaVMCore, L: OpaquePointer, count: Int) {
        self.core = core
        self.L = L
        self.count = count
        results = core.lenient {
            lua_createtable(L, Int32(clamping: count), 0)
            return lua_gettop(L)
        }
        core.lenient { lua_createtable(L, Int32(clamping: count), 0) }
        threads = lua_gettop(L)
        lua_pushnil(L)
        errSlot = lua_gettop(L)
    }

    var failed: Bool { errIndex != Int.max }

    /// Starts jobs until `concurrency` run or none is left (none after an error).
    mutating func start(upTo concurrency: Int, pushJob: (OpaquePointer, Int) -> Int32) {
        while !failed && running.count < concurrency && next <= count {
            let i = next
            next += 1
            let L = self.L, threads = self.threads
            let co: OpaquePointer = core.lenient {
                let co = lua_newthread(L)!
                lua_rawseti(L, threads, lua_Integer(i))
                return co
            }
            core.schedulerThreads.insert(co)
            let nargs = pushJob(co, i)
            resume(co, i, nargs)
        }
    }

    mutating func finish(_ co: OpaquePointer, _ i: Int) {
        core.schedulerThreads.remove(co)
        core.waitingTask[co] = nil
        lua_pushnil(L)
        lua_rawseti(L, threads, lua_Integer(i))
    }

    mutating func recordError(_ co: OpaquePointer, _ i: Int) {
        if errIndex == Int.max {
            // keep the failing job's own traceback; makeError prepends it to the outer one
            let L = self.L
            core.lenient {
                luaL_traceback(L, co, nil, 0)
                lua_setfield(L, pcxl_registryindex(), "pcxl.inner_traceback")
            }
        }
        lua_xmove(co, L, 1)
        if i < errIndex {
            errIndex = i
            pcxl_replace(L, errSlot)
        } else {
            pcxl_pop(L, 1)
        }
    }

    /// Resumes job `i`: it yields on a host call (now in flight), returns (its first result is
    /// kept), or fails (the error is recorded).
    mutating func resume(_ co: OpaquePointer, _ i: Int, _ nargs: Int32) {
        var nres: Int32 = 0
        let st = pcxl_resume(co, L, nargs, &nres)
        if st == LUA_YIELD {
            pcxl_pop(co, nres)
            if let tid = core.waitingTask.removeValue(forKey: co) {
                running[tid] = (co, i)
                return
            }
            core.lenient { lua_pushstring(co, "async: coroutine.yield() cannot cross async.parallel/async.map (wrap it in coroutine.wrap inside the job)") }
            recordError(co, i)
            _ = pcxl_resetthread(co)
        } else if st == LUA_OK {
            if nres > 0 {
                lua_settop(co, lua_gettop(co) - nres + 1)
                lua_xmove(co, L, 1)
                lua_rawseti(L, results, lua_Integer(i))
            }
        } else {
            recordError(co, i)
        }
        finish(co, i)
    }

    /// After the first error: cancels the other jobs' host calls, awaits them, closes their coroutines.
    mutating func drainAfterError() {
        core.cancel(running.keys)
        while !running.isEmpty {
            guard let (tid, _) = core.waitFor(Set(running.keys)) else { break }
            if let job = running.removeValue(forKey: tid) {
                _ = pcxl_resetthread(job.co)
                finish(job.co, job.index)
            }
        }
        closeRunning()
    }

    mutating func closeRunning() {
        for (_, job) in running {
            _ = pcxl_resetthread(job.co)
            finish(job.co, job.index)
        }
        running.removeAll()
    }

    /// Leaves the results table (or the first error, to re-raise) on top.
    func end() -> Int32 {
        if failed {
            pcxl_replace(L, results)
            lua_settop(L, results)
            return PCXL_RERAISE_
        }
        lua_settop(L, results)
        return 1
    }
}
