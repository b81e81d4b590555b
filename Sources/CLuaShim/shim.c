/* CLuaShim: macros as functions, the counting allocator, the escalating hook, the call
   trampoline and the message handler. See include/CLuaShim.h for the contract of each function. */
#define _GNU_SOURCE
#include "CLuaShim.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct pcxl_ctx {
    size_t used;            /* bytes currently allocated */
    size_t limit;           /* 0 = unlimited */
    int lenient;            /* > 0: do not fail over the limit (Swift is pushing) */
    int over;               /* a lenient allocation went over the limit */
    int fail_pending;       /* the last allocation failed; Lua may retry after an emergency GC */
    size_t fail_size;       /* size of the failed allocation (a retry asks for the same size) */
    atomic_int interrupt;   /* set from any thread */
    int abort;              /* PCXL_ABORT_* once fired (sticky until pcxl_reset_abort) */
    int exit_code;          /* os.exit's code when abort == PCXL_ABORT_EXIT */
    uint64_t deadline;      /* CLOCK_MONOTONIC ns, 0 = none */
    pcxl_dispatch_fn dispatch;
    void *owner;
};

#define PCXL_HOOK_COUNT 1000

/* ---- macros ------------------------------------------------------------------------------ */

/* pcxl_version: the linked library's version number. [-0, +0]. VM thread. */
lua_Number pcxl_version(lua_State *L) { return lua_version(L); }
/* pcxl_registryindex: LUA_REGISTRYINDEX. Any thread. */
int pcxl_registryindex(void) { return LUA_REGISTRYINDEX; }
/* pcxl_upvalueindex: lua_upvalueindex. Any thread. */
int pcxl_upvalueindex(int i) { return lua_upvalueindex(i); }
/* pcxl_pop: lua_pop. [n] -> []. VM thread. */
void pcxl_pop(lua_State *L, int n) { lua_pop(L, n); }
/* pcxl_newtable: lua_newtable. [] -> [t]. VM thread. */
void pcxl_newtable(lua_State *L) { lua_newtable(L); }
/* pcxl_tostring_raw: the bytes of a string value or NULL (never converts numbers). [-0,+0]. */
const char *pcxl_tostring_raw(lua_State *L, int idx, size_t *len) {
    if (lua_type(L, idx) != LUA_TSTRING) return NULL;
    return lua_tolstring(L, idx, len);
}
/* pcxl_isinteger: lua_isinteger. [-0,+0]. VM thread. */
int pcxl_isinteger(lua_State *L, int idx) { return lua_isinteger(L, idx); }
/* pcxl_pushglobaltable: [] -> [_G]. VM thread. */
void pcxl_pushglobaltable(lua_State *L) { lua_pushglobaltable(L); }
/* pcxl_insert: lua_insert. VM thread. */
void pcxl_insert(lua_State *L, int idx) { lua_insert(L, idx); }
/* pcxl_remove: lua_remove. VM thread. */
void pcxl_remove(lua_State *L, int idx) { lua_remove(L, idx); }
/* pcxl_replace: lua_replace. VM thread. */
void pcxl_replace(lua_State *L, int idx) { lua_replace(L, idx); }
/* pcxl_gc_collect: full collection. VM thread. */
void pcxl_gc_collect(lua_State *L) { lua_gc(L, LUA_GCCOLLECT); }
/* pcxl_isyieldable: lua_isyieldable. VM thread. */
int pcxl_isyieldable(lua_State *L) { return lua_isyieldable(L); }
/* pcxl_tothread: lua_tothread. VM thread. */
lua_State *pcxl_tothread(lua_State *L, int idx) { return lua_tothread(L, idx); }

/* ---- allocator and limits ------------------------------------------------------------------ */

/* pcxl_alloc: counting allocator. Fails growth over the limit unless lenient. Lua retries a
   failed allocation once after an emergency GC with the same size; a failure not followed by
   that retry succeeding is final and aborts the run (memory_limit). VM thread. */
static void *pcxl_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    pcxl_ctx *c = (pcxl_ctx *)ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        c->used -= old;
        return NULL;
    }
    if (c->fail_pending && nsize != c->fail_size) {
        /* the previous failure was not retried: it was final */
        c->fail_pending = 0;
        if (!c->abort) c->abort = PCXL_ABORT_MEMORY;
    }
    if (nsize > old && c->limit && c->used - old + nsize > c->limit) {
        if (!c->lenient) {
            if (c->fail_pending && nsize == c->fail_size) {
                /* the retry after the emergency GC failed too: final */
                c->fail_pending = 0;
                if (!c->abort) c->abort = PCXL_ABORT_MEMORY;
            } else {
                c->fail_pending = 1;
                c->fail_size = nsize;
            }
            return NULL;
        }
        c->over = 1;
    }
    void *np = realloc(ptr, nsize);
    if (np == NULL) return NULL;
    c->used = c->used - old + nsize;
    if (c->fail_pending) {
        /* the retry after an emergency GC succeeded; if live data still fills 95% of the limit
           the script would thrash in back-to-back full collections: treat the limit as hit */
        c->fail_pending = 0;
        if (c->limit && c->used > c->limit - c->limit / 20 && !c->abort) c->abort = PCXL_ABORT_MEMORY;
    }
    return np;
}

/* pcxl_now_ns: CLOCK_MONOTONIC in ns. Any thread. */
uint64_t pcxl_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* pcxl_getctx: the context of a state (any thread of it). */
pcxl_ctx *pcxl_getctx(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return (pcxl_ctx *)ud;
}

/* pcxl_check_abort: sets and returns the abort reason. VM thread. */
int pcxl_check_abort(pcxl_ctx *c) {
    if (c->abort) return c->abort;
    if (c->fail_pending) {
        c->fail_pending = 0;
        c->abort = PCXL_ABORT_MEMORY;
    } else if (atomic_load_explicit(&c->interrupt, memory_order_relaxed)) {
        c->abort = PCXL_ABORT_INTERRUPT;
    } else if (c->over && !c->lenient) {
        if (c->limit && c->used > c->limit) c->abort = PCXL_ABORT_MEMORY;
        else c->over = 0;
    }
    if (!c->abort && c->deadline && pcxl_now_ns() >= c->deadline) c->abort = PCXL_ABORT_TIMEOUT;
    return c->abort;
}

/* pcxl_abort_reason: current abort reason. VM thread. */
int pcxl_abort_reason(pcxl_ctx *c) { return c->abort; }
/* pcxl_set_abort: forces an abort reason. VM thread. */
void pcxl_set_abort(pcxl_ctx *c, int reason) { if (!c->abort) c->abort = reason; }
/* pcxl_exit_code: os.exit's code. VM thread. */
int pcxl_exit_code(pcxl_ctx *c) { return c->exit_code; }
/* pcxl_set_exit_code: records os.exit's code. VM thread. */
void pcxl_set_exit_code(pcxl_ctx *c, int code) { c->exit_code = code; }
/* pcxl_mem_used: bytes allocated. Any thread (racy, for stats). */
size_t pcxl_mem_used(pcxl_ctx *c) { return c->used; }
/* pcxl_set_mem_limit: byte limit, 0 = none. VM thread. */
void pcxl_set_mem_limit(pcxl_ctx *c, size_t limit) { c->limit = limit; }
/* pcxl_set_lenient: sets leniency, returns the previous value. VM thread. */
int pcxl_set_lenient(pcxl_ctx *c, int lenient) { int old = c->lenient; c->lenient = lenient; return old; }
/* pcxl_set_deadline: deadline in monotonic ns, 0 = none. VM thread. */
void pcxl_set_deadline(pcxl_ctx *c, uint64_t deadline_ns) { c->deadline = deadline_ns; }
/* pcxl_interrupt: requests an interrupt. Any thread. */
void pcxl_interrupt(pcxl_ctx *c) { atomic_store(&c->interrupt, 1); }

static const char *abort_message(pcxl_ctx *c) {
    switch (c->abort) {
    case PCXL_ABORT_TIMEOUT: return "timeout: the script ran past its time limit";
    case PCXL_ABORT_INTERRUPT: return "interrupted";
    case PCXL_ABORT_MEMORY: return "memory limit exceeded";
    case PCXL_ABORT_EXIT: return "os.exit called";
    default: return "aborted";
    }
}

/* pcxl_hook: count hook. Once an abort reason is set it re-arms itself to fire on every
   instruction and line and raises each time, so pcall cannot swallow the abort (Redis). */
static void pcxl_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    pcxl_ctx *c = pcxl_getctx(L);
    if (pcxl_check_abort(c)) {
        lua_Debug here;
        lua_sethook(L, pcxl_hook, LUA_MASKCOUNT | LUA_MASKLINE, 1);
        if (lua_getstack(L, 0, &here) && lua_getinfo(L, "Sl", &here) && here.currentline > 0)
            lua_pushfstring(L, "%s:%d: %s", here.short_src, here.currentline, abort_message(c));
        else
            lua_pushstring(L, abort_message(c));
        lua_error(L);
    }
}

/* pcxl_reset_abort: clears the abort state and re-arms the normal hook. VM thread, top level. */
void pcxl_reset_abort(lua_State *L) {
    pcxl_ctx *c = pcxl_getctx(L);
    c->abort = PCXL_ABORT_NONE;
    c->over = 0;
    c->fail_pending = 0;
    c->exit_code = 0;
    atomic_store(&c->interrupt, 0);
    lua_sethook(L, pcxl_hook, LUA_MASKCOUNT, PCXL_HOOK_COUNT);
}

/* pcxl_newstate: a state with the counting allocator and the hook. Any thread. */
lua_State *pcxl_newstate(size_t limit, pcxl_dispatch_fn dispatch, void *owner) {
    pcxl_ctx *c = (pcxl_ctx *)calloc(1, sizeof(pcxl_ctx));
    if (!c) return NULL;
    c->limit = limit;
    c->dispatch = dispatch;
    c->owner = owner;
    atomic_init(&c->interrupt, 0);
    lua_State *L = lua_newstate(pcxl_alloc, c);
    if (!L) { free(c); return NULL; }
    lua_sethook(L, pcxl_hook, LUA_MASKCOUNT, PCXL_HOOK_COUNT);
    return L;
}

/* pcxl_close: closes the state and frees the context. VM thread. */
void pcxl_close(lua_State *L) {
    pcxl_ctx *c = pcxl_getctx(L);
    c->lenient = 1;
    lua_close(L);
    free(c);
}

/* ---- calling --------------------------------------------------------------------------------- */

/* add_where: when the error value on top is a string, prefixes the calling Lua code's
   "chunk:line: " (like luaL_error); when it is a table without a `where` field, sets `where` to
   "chunk:line". [e] -> [e]. VM thread, inside Lua (may raise ERRMEM). */
static void add_where(lua_State *L) {
    int t = lua_type(L, -1);
    if (t != LUA_TSTRING && t != LUA_TTABLE) return;
    if (t == LUA_TTABLE) {
        lua_pushliteral(L, "where");
        if (lua_rawget(L, -2) != LUA_TNIL) { lua_pop(L, 1); return; }
        lua_pop(L, 1);
    }
    /* the nearest Lua frame with a line (skips pcall and other C functions in between) */
    for (int level = 1; level < 16; level++) {
        lua_Debug ar;
        if (!lua_getstack(L, level, &ar)) break;
        if (!lua_getinfo(L, "Sl", &ar)) break;
        if (ar.currentline > 0) {
            if (t == LUA_TSTRING) {
                lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
                lua_insert(L, -2);
                lua_concat(L, 2);
            } else {
                lua_pushliteral(L, "where");
                lua_pushfstring(L, "%s:%d", ar.short_src, ar.currentline);
                lua_rawset(L, -3);
            }
            return;
        }
    }
}

/* pcxl_arm_abort_hook: makes the hook fire on the next instruction of L (after setting an abort
   reason from a host function). VM thread. */
void pcxl_arm_abort_hook(lua_State *L) {
    lua_sethook(L, pcxl_hook, LUA_MASKCOUNT | LUA_MASKLINE, 1);
}

/* pcxl_trampoline: the C function behind every Swift host function. Calls the dispatcher and
   raises or yields in C as it asks. Upvalue 1 = the function id. VM thread. */
static int pcxl_trampoline(lua_State *L) {
    pcxl_ctx *c = pcxl_getctx(L);
    lua_Integer id = lua_tointeger(L, lua_upvalueindex(1));
    int nargs = lua_gettop(L);
    int r = c->dispatch(c->owner, L, id);
    if (r >= 0) return r;
    if (r == PCXL_YIELD) {
        lua_settop(L, nargs);
        return lua_yieldk(L, 0, (lua_KContext)nargs, pcxl_async_k);
    }
    if (r != PCXL_RERAISE) add_where(L);
    return lua_error(L);
}

/* pcxl_async_k: continuation after PCXL_YIELD: [args flag values...] -> values or raise. */
int pcxl_async_k(lua_State *L, int status, lua_KContext ctx) {
    (void)status;
    int base = (int)ctx;
    if (!lua_toboolean(L, base + 1)) {
        lua_settop(L, base + 2);
        add_where(L);
        return lua_error(L);
    }
    return lua_gettop(L) - (base + 1);
}

/* pcxl_push_trampoline: [] -> [f]. VM thread. */
void pcxl_push_trampoline(lua_State *L, lua_Integer id) {
    lua_pushinteger(L, id);
    lua_pushcclosure(L, pcxl_trampoline, 1);
}

/* pcxl_msgh: stores a traceback in registry "pcxl.traceback"; returns the error unchanged. */
int pcxl_msgh(lua_State *L) {
    pcxl_ctx *c = pcxl_getctx(L);
    c->lenient++;
    luaL_traceback(L, L, NULL, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, "pcxl.traceback");
    c->lenient--;
    lua_settop(L, 1);
    return 1;
}

/* pcxl_pcall: [f args] -> [results|err] with pcxl_msgh. VM thread. */
int pcxl_pcall(lua_State *L, int nargs, int nresults) {
    int base = lua_gettop(L) - nargs;   /* index of f */
    lua_pushcfunction(L, pcxl_msgh);
    lua_insert(L, base);
    int st = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    return st;
}

static int tolstring_k(lua_State *L) {
    luaL_tolstring(L, 1, NULL);
    return 1;
}

/* pcxl_tolstring_protected: [] -> [s]; 1 when conversion succeeded. VM thread. */
int pcxl_tolstring_protected(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    lua_pushcfunction(L, tolstring_k);
    lua_pushvalue(L, idx);
    if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_type(L, -1) == LUA_TSTRING) return 1;
    lua_pop(L, 1);
    lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, idx));
    return 0;
}

/* pcxl_where: [] -> ["chunk:line"] or [] . VM thread. */
int pcxl_where(lua_State *L, int level) {
    lua_Debug ar;
    if (!lua_getstack(L, level, &ar)) return 0;
    if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0) return 0;
    lua_pushfstring(L, "%s:%d", ar.short_src, ar.currentline);
    return 1;
}

/* pcxl_load: text-only load. [] -> [f|err]. VM thread. */
int pcxl_load(lua_State *L, const char *buf, size_t len, const char *name) {
    return luaL_loadbufferx(L, buf, len, name, "t");
}

static void remove_field(lua_State *L, const char *table, const char *field) {
    if (lua_getglobal(L, table) == LUA_TTABLE) {
        lua_pushnil(L);
        lua_setfield(L, -2, field);
    }
    lua_pop(L, 1);
}

/* pcxl_open_sandboxed_libs: standard libraries minus process control, C loading and the debug
   functions that could remove the hook or reach captured originals. [] -> []. VM thread. */
void pcxl_open_sandboxed_libs(lua_State *L) {
    luaL_openlibs(L);
    remove_field(L, "io", "popen");
    remove_field(L, "os", "execute");
    remove_field(L, "os", "tmpname");
    remove_field(L, "os", "exit");
    remove_field(L, "package", "loadlib");
    static const char *debug_removed[] = {
        "sethook", "gethook", "getregistry", "getupvalue", "setupvalue", "upvaluejoin",
        "setlocal", "setuservalue", "getuservalue", "setmetatable", "setcstacklimit", NULL };
    for (int i = 0; debug_removed[i]; i++) remove_field(L, "debug", debug_removed[i]);
    /* no C modules: cpath empty, keep only the preload searcher (Swift installs the others) */
    if (lua_getglobal(L, "package") == LUA_TTABLE) {
        lua_pushliteral(L, "");
        lua_setfield(L, -2, "cpath");
        lua_pushliteral(L, "");
        lua_setfield(L, -2, "path");
        if (lua_getfield(L, -1, "searchers") == LUA_TTABLE) {
            for (lua_Integer i = luaL_len(L, -1); i >= 2; i--) {
                lua_pushnil(L);
                lua_rawseti(L, -2, i);
            }
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* pcxl_resume: lua_resume. VM thread. */
int pcxl_resume(lua_State *co, lua_State *from, int nargs, int *nres) {
    return lua_resume(co, from, nargs, nres);
}

/* pcxl_resetthread: lua_resetthread. VM thread. */
int pcxl_resetthread(lua_State *co) { return lua_resetthread(co); }
