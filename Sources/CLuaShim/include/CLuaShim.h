#ifndef PCX_CLUASHIM_H
#define PCX_CLUASHIM_H
/*
 * CLuaShim: the C half of pcx's Lua bridge. Every exported name starts with pcxl_.
 *
 * Threading: unless a comment says "any thread", a function must be called on the thread that
 * owns the lua_State (the LuaVM thread). Stack effects are written [before] -> [after].
 *
 * Error discipline: a Lua error is a longjmp and must never cross a Swift frame. Swift host
 * functions are reached through pcxl_trampoline, which calls the Swift dispatcher and then,
 * in C, raises (lua_error) or yields (lua_yieldk) according to the returned status. Swift only
 * enters Lua through lua_pcallk / lua_resume with pcxl_msgh as message handler.
 */
#include "../../CLua/CLua.h"
#include <stddef.h>
#include <stdint.h>

/* ---- Lua macros re-exported as functions ------------------------------------------------ */

/* pcxl_version: the linked library's version number (e.g. 504). [-0,+0]. Any thread. */
lua_Number pcxl_version(lua_State *L);
/* pcxl_registryindex: LUA_REGISTRYINDEX. Any thread. */
int pcxl_registryindex(void);
/* pcxl_upvalueindex: lua_upvalueindex(i). Any thread. */
int pcxl_upvalueindex(int i);
/* pcxl_pop: lua_pop. [n] -> []. */
void pcxl_pop(lua_State *L, int n);
/* pcxl_newtable: lua_newtable. [] -> [t]. */
void pcxl_newtable(lua_State *L);
/* pcxl_tolstring: lua_tolstring without number conversion side effects (returns NULL unless
   the value is a string). [-0,+0]. */
const char *pcxl_tostring_raw(lua_State *L, int idx, size_t *len);
/* pcxl_isinteger: lua_isinteger. [-0,+0]. */
int pcxl_isinteger(lua_State *L, int idx);
/* pcxl_pushglobaltable: lua_pushglobaltable. [] -> [_G]. */
void pcxl_pushglobaltable(lua_State *L);
/* pcxl_insert: lua_insert. */
void pcxl_insert(lua_State *L, int idx);
/* pcxl_remove: lua_remove. */
void pcxl_remove(lua_State *L, int idx);
/* pcxl_replace: lua_replace. */
void pcxl_replace(lua_State *L, int idx);
/* pcxl_gc_collect: lua_gc(L, LUA_GCCOLLECT). VM thread. */
void pcxl_gc_collect(lua_State *L);
/* pcxl_isyieldable: lua_isyieldable. */
int pcxl_isyieldable(lua_State *L);
/* pcxl_tothread: lua_tothread. */
lua_State *pcxl_tothread(lua_State *L, int idx);

/* ---- The per-state context: allocator, limits, abort state ------------------------------ */

/* Why a run is being aborted. Once set, the hook raises on every instruction (pcall cannot
   swallow it) until the host clears it at the top level. No hook is installed while nothing asks
   for an abort: the deadline timer and pcxl_interrupt signal the VM thread (a real-time signal),
   whose handler hooks the running Lua thread; the allocator and host functions hook it directly.
   Where the signal or the timer is unavailable, a count hook polls instead. */
enum {
    PCXL_ABORT_NONE = 0,
    PCXL_ABORT_TIMEOUT = 1,
    PCXL_ABORT_INTERRUPT = 2,
    PCXL_ABORT_MEMORY = 3,
    PCXL_ABORT_EXIT = 4,
};

/* Status codes a Swift dispatcher returns to pcxl_trampoline (non-negative = result count). */
enum {
    PCXL_RAISE = -1,   /* raise the value on top of the stack as a Lua error */
    PCXL_YIELD = -2,   /* yield; on resume the continuation returns or raises (see pcxl_async_k) */
    PCXL_RERAISE = -3, /* raise the value on top unchanged (no location added) */
};

/* Opaque per-state context. Owned by the LuaVM; freed by pcxl_close. */
typedef struct pcxl_ctx pcxl_ctx;

/* The Swift dispatcher: called by the trampoline with the owner pointer registered in
   pcxl_newstate and the function id (upvalue 1). Returns a result count or PCXL_RAISE/YIELD. */
typedef int (*pcxl_dispatch_fn)(void *owner, lua_State *L, lua_Integer id);

/* pcxl_newstate: creates a lua_State with the counting allocator (limit 0 = unlimited) and the
   dispatcher/owner recorded. Returns NULL on failure. Any thread; the returned state belongs to
   the caller's thread from then on (abort signals are sent to that thread). */
lua_State *pcxl_newstate(size_t limit, pcxl_dispatch_fn dispatch, void *owner);
/* pcxl_close: closes the state and frees its context. VM thread. */
void pcxl_close(lua_State *L);
/* pcxl_getctx: the context of a state (or of any thread of it). */
pcxl_ctx *pcxl_getctx(lua_State *L);

/* The host's file policy: returns NULL when `path` may be read (write = 0) or written, created,
   removed or renamed (write = 1), else a malloc'd message naming the path, the reason and the fix
   (freed by the caller). Called on the VM thread; must not touch the Lua state. */
typedef char *(*pcxl_path_check_fn)(void *owner, const char *path, int write);
/* pcxl_set_path_check: installs the file policy callback (NULL = allow everything). VM thread. */
void pcxl_set_path_check(pcxl_ctx *c, pcxl_path_check_fn check);
/* pcxl_mem_used: bytes currently allocated by the state. Any thread (racy read, for stats). */
size_t pcxl_mem_used(pcxl_ctx *c);
/* pcxl_set_mem_limit: sets the byte limit (0 = unlimited). VM thread. */
void pcxl_set_mem_limit(pcxl_ctx *c, size_t limit);
/* pcxl_set_lenient: while lenient > 0 the allocator does not fail over the limit (it records the
   overshoot and the hook aborts later). Swift sets it while it pushes values so that a memory
   error can never longjmp through a Swift frame. Returns the previous value. VM thread. */
int pcxl_set_lenient(pcxl_ctx *c, int lenient);
/* pcxl_set_deadline: monotonic deadline in ns (0 = none). VM thread. */
void pcxl_set_deadline(pcxl_ctx *c, uint64_t deadline_ns);
/* pcxl_now_ns: CLOCK_MONOTONIC in ns. Any thread. */
uint64_t pcxl_now_ns(void);

/* pcxl_name_thread: names the calling thread (at most 15 bytes are kept), as `top -H` and
   debuggers show it. */
void pcxl_name_thread(const char *name);
/* pcxl_interrupt: requests an interrupt. Any thread (atomic). */
void pcxl_interrupt(pcxl_ctx *c);
/* pcxl_check_abort: checks interrupt flag, deadline and memory overshoot; sets and returns the
   abort reason (PCXL_ABORT_*). VM thread. */
int pcxl_check_abort(pcxl_ctx *c);
/* pcxl_abort_reason: the current abort reason without re-checking. VM thread. */
int pcxl_abort_reason(pcxl_ctx *c);
/* pcxl_set_abort: forces an abort reason (e.g. EXIT with pcxl_set_exit_code). VM thread. */
void pcxl_set_abort(pcxl_ctx *c, int reason);
/* pcxl_exit_code / pcxl_set_exit_code: the code given to os.exit. VM thread. */
int pcxl_exit_code(pcxl_ctx *c);
void pcxl_set_exit_code(pcxl_ctx *c, int code);
/* pcxl_arm_abort_hook: the hook fires on L's next instruction (after an abort was set). VM thread. */
void pcxl_arm_abort_hook(lua_State *L);
/* pcxl_add_internal_chunk: records a chunk-name prefix of the host's own code (matched with or
   without the chunk name's leading '@' or '='). An abort (timeout, interrupt, memory limit) is
   reported at the first frame outside such chunks, falling back to the innermost frame with a
   line when every frame is internal. The string is copied. VM thread. */
void pcxl_add_internal_chunk(pcxl_ctx *c, const char *prefix);
/* pcxl_reset_abort: clears abort reason, interrupt flag and memory overshoot and removes the
   hook from the main thread. Call at the top level only. VM thread. */
void pcxl_reset_abort(lua_State *L);

/* ---- Calling ---------------------------------------------------------------------------- */

/* pcxl_msgh: message handler for lua_pcall: stores luaL_traceback in the registry field
   "pcxl.traceback" and returns the error value unchanged. [err] -> [err]. */
int pcxl_msgh(lua_State *L);
/* pcxl_pcall: lua_pcall with pcxl_msgh as handler. [f args] -> [results|err]. */
int pcxl_pcall(lua_State *L, int nargs, int nresults);
/* pcxl_push_trampoline: pushes a C closure that calls the dispatcher with `id`. [] -> [f]. */
void pcxl_push_trampoline(lua_State *L, lua_Integer id);
/* pcxl_async_k: continuation used after PCXL_YIELD. On resume the stack holds the original
   arguments, then a boolean (true = values follow, false = error value follows). */
int pcxl_async_k(lua_State *L, int status, lua_KContext ctx);
/* pcxl_tolstring_protected: luaL_tolstring (runs __tostring) under pcall; pushes the string or
   a fallback. [] -> [s]. Returns 1 when __tostring succeeded. */
int pcxl_tolstring_protected(lua_State *L, int idx);
/* pcxl_where: pushes "chunk:line" of call level `level` or nothing. [] -> [s]|[]. Returns 1 if
   pushed. */
int pcxl_where(lua_State *L, int level);
/* pcxl_load: luaL_loadbufferx in text mode ("t"). [] -> [f|err]. */
int pcxl_load(lua_State *L, const char *buf, size_t len, const char *name);
/* pcxl_open_sandboxed_libs: opens the standard libraries then removes io.popen, os.execute,
   os.tmpname, package.loadlib, the C searchers and the dangerous debug functions (including
   debug.getmetatable), and routes coroutine.resume/wrap/close through pcxl_resume. It also
   replaces, in C:
   - load, loadfile, dofile: text only (no bytecode loader remains anywhere in the state);
     loadfile/dofile ask the file policy first;
   - io.open, io.lines, io.input, io.output, os.remove, os.rename: ask the file policy first;
   - xpcall: the message handler is not called while an abort (timeout, Ctrl-C, memory) is
     pending (Lua runs a handler for an error raised by a hook with hooks disabled);
   - setmetatable: a table's __gc finalizer runs in a fresh coroutine with the abort hook active
     (Lua runs finalizers with hooks disabled) instead of natively;
   and hides the FILE* metatable behind __metatable so no script can plant a finalizer there.
   [] -> []. */
void pcxl_open_sandboxed_libs(lua_State *L);
/* pcxl_setmetatable: lua_setmetatable for tables a script can see: a metatable with __gc gives
   the table a finalizer shadow (the finalizer runs in a coroutine the abort hook reaches) instead
   of native finalization, which runs with hooks disabled. [mt|nil] -> []. VM thread. */
void pcxl_setmetatable(lua_State *L, int obj);
/* pcxl_resume: lua_resume that keeps track of the running thread (so an abort reaches it);
   every resume must go through it (coroutine.resume/wrap/close are replaced accordingly). */
int pcxl_resume(lua_State *co, lua_State *from, int nargs, int *nres);
/* pcxl_resetthread: lua_resetthread (5.4.4) — closes pending to-be-closed variables; tracked
   like pcxl_resume. */
int pcxl_resetthread(lua_State *co);

/* pcxl_sigint_pipe: installs a SIGINT handler that writes one byte per signal to a self-pipe and
   unblocks SIGINT and SIGTERM in the calling thread (and the threads it starts later); returns the
   pipe's read end (for a thread to read), or -1 with errno. Any thread, once. */
int pcxl_sigint_pipe(void);

/* ---- JSON (json.c) ---------------------------------------------------------------------- */

/* pcxl_open_json: the `json` module (decode, encode, null, object, array, is_object, materialize,
   is_record). [] -> [t]. */
int pcxl_open_json(lua_State *L);
/* pcxl_json_decode_protected: decodes `len` bytes at `p` under lua_pcall. On success pushes the
   value and returns LUA_OK; otherwise pushes the error message and returns the pcall status.
   With `records`, objects inside arrays become records (json.record: decoded on first use).
   [] -> [v|err]. The bytes are only read during the call. */
int pcxl_json_decode_protected(lua_State *L, const char *p, size_t len, int records);
/* pcxl_json_push_record_table: a record (json.record) at idx as its plain table: pushes it and
   returns 1; 0 for any other value, -1 for a record that is not well-formed JSON (nothing pushed
   in either case). Never raises. VM thread. */
int pcxl_json_push_record_table(lua_State *L, int idx);
/* pcxl_push_null: pushes json.null (light userdata NULL). [] -> [null]. */
void pcxl_push_null(lua_State *L);

#endif
