/* CLuaShim: macros as functions, the counting allocator, the escalating hook, the call
   trampoline and the message handler. See include/CLuaShim.h for the contract of each function. */
#define _GNU_SOURCE
#include "CLuaShim.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

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
    /* The hook is off while nothing asks for an abort (a hook of any kind makes Lua 5.4 route
       every instruction through luaG_traceexec). An abort request hooks the running thread:
       the timeout timer and pcxl_interrupt send PCXL_SIGNAL to the VM thread, whose handler
       hooks `current` (lua_sethook is async-signal-safe, as in lua.c); the allocator and host
       functions hook it directly. `current` follows every resume (coroutine.resume/wrap/close
       and the scheduler's go through resume_tracked), so a loop inside a coroutine is reached. */
    lua_State *volatile current;    /* the thread running Lua now */
    volatile sig_atomic_t armed;    /* a hook was requested and not yet found stale */
    pid_t tid;                      /* the VM thread (the thread that created the state) */
    int timer_state;                /* 0 none yet, 1 created, -1 unavailable (polling fallback) */
    timer_t timer;                  /* fires PCXL_SIGNAL at the VM thread at the deadline */
    /* File access: every standard function that opens, removes or renames a path by name asks
       this callback first (NULL = allow). The originals are called directly as C functions,
       never as Lua frames, so no script can reach them through debug.getinfo. */
    pcxl_path_check_fn path_check;
    lua_CFunction io_open, io_lines, io_input, io_output, os_remove, os_rename;
    /* Chunk-name prefixes of the host's own code (its stdlib, its glue chunks): an abort names
       the first frame outside them (the user's line), see abort_frame. Owned copies. */
    char **internal;
    int n_internal;
};

/* polling fallback when the signal or the timer cannot be set up */
#define PCXL_HOOK_COUNT 1000
#define PCXL_SIGNAL (SIGRTMIN + 7)

static _Thread_local pcxl_ctx *tls_ctx __attribute__((tls_model("initial-exec")));
static pthread_once_t signal_once = PTHREAD_ONCE_INIT;
static int signal_ok = 0;
static void pcxl_hook(lua_State *L, lua_Debug *ar);
static void install_tracked_coroutines(lua_State *L);
static int resume_tracked(lua_State *co, lua_State *from, int nargs, int *nres);

/* arm: hooks L so the hook runs at its next instruction. VM thread (also from the handler). */
static void arm(pcxl_ctx *c, lua_State *L) {
    c->armed = 1;
    if (L) lua_sethook(L, pcxl_hook, LUA_MASKCOUNT | LUA_MASKLINE, 1);
}

/* on_signal: PCXL_SIGNAL handler; on a VM thread hooks the running Lua thread. */
static void on_signal(int sig) {
    (void)sig;
    int saved = errno;
    pcxl_ctx *c = tls_ctx;
    if (c && c->current) arm(c, c->current);
    errno = saved;
}

static void install_signal(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    signal_ok = sigaction(PCXL_SIGNAL, &sa, NULL) == 0;
}

/* poke: asks the VM thread to hook its running Lua thread. Any thread. */
static void poke(pcxl_ctx *c) {
    if (c->tid > 0) syscall(SYS_tgkill, getpid(), c->tid, PCXL_SIGNAL);
}

/* idle_hook: the hook between aborts: none, or the polling count hook as a fallback. */
static void idle_hook(pcxl_ctx *c, lua_State *L) {
    if (c->timer_state < 0 || !signal_ok) lua_sethook(L, pcxl_hook, LUA_MASKCOUNT, PCXL_HOOK_COUNT);
    else lua_sethook(L, NULL, 0, 0);
}

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
        arm(c, c->current);
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
            arm(c, c->current);
            return NULL;
        }
        if (!c->over) arm(c, c->current);
        c->over = 1;
    }
    void *np = realloc(ptr, nsize);
    if (np == NULL) return NULL;
    c->used = c->used - old + nsize;
    if (c->fail_pending) {
        /* the retry after an emergency GC succeeded; if live data still fills 95% of the limit
           the script would thrash in back-to-back full collections: treat the limit as hit */
        c->fail_pending = 0;
        if (c->limit && c->used > c->limit - c->limit / 20 && !c->abort) {
            c->abort = PCXL_ABORT_MEMORY;
            arm(c, c->current);
        }
    }
    return np;
}

void pcxl_name_thread(const char *name) {
#ifdef __linux__
    pthread_setname_np(pthread_self(), name);
#else
    pthread_setname_np(name);
#endif
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

/* check_abort: sets and returns the abort reason. VM thread. */
static int check_abort(pcxl_ctx *c) {
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

/* pcxl_check_abort: check_abort, and once aborting hooks the running thread so that a pcall
   around the host function that saw it cannot swallow the abort. VM thread. */
int pcxl_check_abort(pcxl_ctx *c) {
    int r = check_abort(c);
    if (r) arm(c, c->current);
    return r;
}

/* pcxl_abort_reason: current abort reason. VM thread. */
int pcxl_abort_reason(pcxl_ctx *c) { return c->abort; }
/* pcxl_set_abort: forces an abort reason. VM thread. */
void pcxl_set_abort(pcxl_ctx *c, int reason) { if (!c->abort) c->abort = reason; arm(c, c->current); }
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
/* pcxl_set_deadline: deadline in monotonic ns, 0 = none; (re)arms the timer that signals the VM
   thread at the deadline. VM thread. */
void pcxl_set_deadline(pcxl_ctx *c, uint64_t deadline_ns) {
    c->deadline = deadline_ns;
    if (c->timer_state == 0 && deadline_ns) {
        struct sigevent sev;
        memset(&sev, 0, sizeof sev);
        sev.sigev_notify = SIGEV_THREAD_ID;
        sev.sigev_signo = PCXL_SIGNAL;
        sev.sigev_notify_thread_id = c->tid;
        c->timer_state = (signal_ok && c->tid > 0 && timer_create(CLOCK_MONOTONIC, &sev, &c->timer) == 0) ? 1 : -1;
        if (c->timer_state < 0 && c->current) idle_hook(c, c->current);
    }
    if (c->timer_state == 1) {
        struct itimerspec its;
        memset(&its, 0, sizeof its);
        its.it_value.tv_sec = (time_t)(deadline_ns / 1000000000ull);
        its.it_value.tv_nsec = (long)(deadline_ns % 1000000000ull);
        timer_settime(c->timer, TIMER_ABSTIME, &its, NULL);
    }
}
/* pcxl_interrupt: requests an interrupt. Any thread. */
void pcxl_interrupt(pcxl_ctx *c) {
    atomic_store(&c->interrupt, 1);
    poke(c);
}

static const char *abort_message(pcxl_ctx *c) {
    switch (c->abort) {
    case PCXL_ABORT_TIMEOUT: return "timeout: the script ran past its time limit";
    case PCXL_ABORT_INTERRUPT: return "interrupted";
    case PCXL_ABORT_MEMORY: return "memory limit exceeded";
    case PCXL_ABORT_EXIT: return "os.exit called";
    default: return "aborted";
    }
}

/* is_internal: whether chunk `source` (as lua_Debug.source: "@name", "=name" or the text)
   starts with one of the host's internal prefixes, with or without its leading '@' or '='. */
static int is_internal(pcxl_ctx *c, const char *source) {
    if (!source || c->n_internal == 0) return 0;
    const char *bare = (source[0] == '@' || source[0] == '=') ? source + 1 : source;
    for (int i = 0; i < c->n_internal; i++) {
        size_t n = strlen(c->internal[i]);
        if (strncmp(source, c->internal[i], n) == 0 || strncmp(bare, c->internal[i], n) == 0) return 1;
    }
    return 0;
}

/* Frames an abort's location is searched through (lua_getstack is linear in the level). */
#define PCXL_WHERE_LEVELS 200

/* abort_frame: the frame an abort names, from `level` outwards: the first Lua frame with a line
   whose chunk is not internal (the user's code), else the first Lua frame with a line. Fills
   `out` (getinfo "Sl") and returns 1, or 0 when no frame has a line. Allocates nothing. VM
   thread (also from the hook). */
static int abort_frame(lua_State *L, int level, lua_Debug *out) {
    pcxl_ctx *c = pcxl_getctx(L);
    int found = 0;
    for (; level < PCXL_WHERE_LEVELS; level++) {
        lua_Debug ar;
        if (!lua_getstack(L, level, &ar)) break;
        if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0) continue;
        if (!is_internal(c, ar.source)) { *out = ar; return 1; }
        if (!found) { *out = ar; found = 1; }
    }
    return found;
}

/* pcxl_add_internal_chunk: records a chunk-name prefix of the host's own code; an abort
   (timeout, interrupt, memory limit) is reported at the first frame outside such chunks.
   VM thread. */
void pcxl_add_internal_chunk(pcxl_ctx *c, const char *prefix) {
    if (!prefix || !*prefix) return;
    char *copy = strdup(prefix);
    if (!copy) return;
    char **grown = (char **)realloc(c->internal, sizeof(char *) * (size_t)(c->n_internal + 1));
    if (!grown) { free(copy); return; }
    c->internal = grown;
    c->internal[c->n_internal++] = copy;
}

/* pcxl_hook: runs when an abort was requested (or, in the fallback, every PCXL_HOOK_COUNT
   instructions). Once an abort reason is set it re-arms itself to fire on every instruction and
   line and raises each time, so pcall cannot swallow the abort (Redis). A stale request (a timer
   from an earlier run, a retried allocation that succeeded) turns the hook off again. */
static void pcxl_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    pcxl_ctx *c = pcxl_getctx(L);
    for (int pass = 0; pass < 2; pass++) {
        if (check_abort(c)) {
            lua_Debug here;
            arm(c, L);
            if (abort_frame(L, 0, &here))
                lua_pushfstring(L, "%s:%d: %s", here.short_src, here.currentline, abort_message(c));
            else
                lua_pushstring(L, abort_message(c));
            lua_error(L);
        }
        if (pass == 0) {
            /* nothing to abort; the handler may fire while the hook is being removed, so
               check once more afterwards (a signal is only sent once its condition holds) */
            c->armed = 0;
            idle_hook(c, L);
        }
    }
}

/* pcxl_reset_abort: clears the abort state and removes the hook from the main thread.
   VM thread, top level. */
void pcxl_reset_abort(lua_State *L) {
    pcxl_ctx *c = pcxl_getctx(L);
    c->abort = PCXL_ABORT_NONE;
    c->over = 0;
    c->fail_pending = 0;
    c->exit_code = 0;
    atomic_store(&c->interrupt, 0);
    c->armed = 0;
    c->current = L;
    idle_hook(c, L);
    /* an interrupt that arrived while the hook was being removed */
    if (atomic_load(&c->interrupt)) arm(c, L);
}

/* pcxl_newstate: a state with the counting allocator; the calling thread becomes its VM thread
   (the one abort signals are sent to). */
lua_State *pcxl_newstate(size_t limit, pcxl_dispatch_fn dispatch, void *owner) {
    pthread_once(&signal_once, install_signal);
    pcxl_ctx *c = (pcxl_ctx *)calloc(1, sizeof(pcxl_ctx));
    if (!c) return NULL;
    c->limit = limit;
    c->dispatch = dispatch;
    c->owner = owner;
    c->tid = (pid_t)syscall(SYS_gettid);
    /* threads may start with signals blocked (Dispatch and Foundation threads do): take ours */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, PCXL_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    atomic_init(&c->interrupt, 0);
    lua_State *L = lua_newstate(pcxl_alloc, c);
    if (!L) { free(c); return NULL; }
    c->current = L;
    tls_ctx = c;
    idle_hook(c, L);
    return L;
}

/* Time the finalizers still pending at close get (lua_close runs them). */
#define PCXL_CLOSE_BUDGET_NS 2000000000ull

/* pcxl_close: closes the state and frees the context. The finalizers lua_close runs are bounded
   by PCXL_CLOSE_BUDGET_NS (polling hook: no abort signal may touch the state while it is being
   freed, so PCXL_SIGNAL is blocked meanwhile). VM thread. */
void pcxl_close(lua_State *L) {
    pcxl_ctx *c = pcxl_getctx(L);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, PCXL_SIGNAL);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    if (c->timer_state == 1) timer_delete(c->timer);
    c->timer_state = -1;
    c->lenient = 1;
    c->abort = PCXL_ABORT_NONE;
    c->over = 0;
    c->fail_pending = 0;
    atomic_store(&c->interrupt, 0);
    c->armed = 0;
    c->deadline = pcxl_now_ns() + PCXL_CLOSE_BUDGET_NS;
    c->current = L;
    idle_hook(c, L);
    lua_close(L);
    if (tls_ctx == c) tls_ctx = NULL;
    for (int i = 0; i < c->n_internal; i++) free(c->internal[i]);
    free(c->internal);
    free(c);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* ---- calling --------------------------------------------------------------------------------- */

/* put_where: attaches ar's "chunk:line" to the error value on top, of type t: a string gets the
   prefix "chunk:line: ", a table the field `where`. [e] -> [e]. */
static void put_where(lua_State *L, int t, const lua_Debug *ar) {
    if (t == LUA_TSTRING) {
        lua_pushfstring(L, "%s:%d: ", ar->short_src, ar->currentline);
        lua_insert(L, -2);
        lua_concat(L, 2);
    } else {
        lua_pushliteral(L, "where");
        lua_pushfstring(L, "%s:%d", ar->short_src, ar->currentline);
        lua_rawset(L, -3);
    }
}

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
    /* the nearest Lua frame with a line (skips pcall and other C functions in between); for an
       abort (a host call that saw the deadline or Ctrl-C), the nearest outside the host's own
       chunks, as the hook reports it */
    if (pcxl_getctx(L)->abort != PCXL_ABORT_NONE) {
        lua_Debug ar;
        if (abort_frame(L, 1, &ar)) put_where(L, t, &ar);
        return;
    }
    for (int level = 1; level < 16; level++) {
        lua_Debug ar;
        if (!lua_getstack(L, level, &ar)) break;
        if (!lua_getinfo(L, "Sl", &ar)) break;
        if (ar.currentline > 0) {
            put_where(L, t, &ar);
            return;
        }
    }
}

/* pcxl_arm_abort_hook: makes the hook fire on the next instruction of L (after setting an abort
   reason from a host function). VM thread. */
void pcxl_arm_abort_hook(lua_State *L) {
    arm(pcxl_getctx(L), L);
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

/* ---- text-only loading ----------------------------------------------------------------------- */

#define PCXL_BINARY_REFUSED "binary chunks are not allowed (pcx loads Lua source only)"
/* stack slot the reader keeps its current piece in (as lbaselib's RESERVEDSLOT) */
#define PCXL_READER_SLOT 5

/* refused: asks the file policy about `path`; when refused pushes the message and returns 1.
   [] -> [msg]|[]. VM thread. */
static int refused(lua_State *L, const char *path, int write) {
    pcxl_ctx *c = pcxl_getctx(L);
    if (!c->path_check) return 0;
    char *why = c->path_check(c->owner, path, write);
    if (!why) return 0;
    lua_pushstring(L, why);
    free(why);
    return 1;
}

/* load_result: lbaselib's load_aux; a refused binary chunk gets pcx's message. [f|err] -> results. */
static int load_result(lua_State *L, int status, int envidx) {
    if (status == LUA_OK) {
        if (envidx != 0) {
            lua_pushvalue(L, envidx);
            if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
        }
        return 1;
    }
    if (status == LUA_ERRSYNTAX && lua_type(L, -1) == LUA_TSTRING &&
        strstr(lua_tostring(L, -1), "attempt to load a binary chunk")) {
        lua_pop(L, 1);
        lua_pushliteral(L, PCXL_BINARY_REFUSED);
    }
    luaL_pushfail(L);
    lua_insert(L, -2);
    return 2;
}

/* text_only: 1 when `mode` (NULL = default) permits text chunks; else pushes fail + message. */
static int text_only(lua_State *L, const char *mode) {
    if (mode == NULL || strchr(mode, 't')) return 1;
    luaL_pushfail(L);
    lua_pushliteral(L, PCXL_BINARY_REFUSED);
    return 0;
}

/* reader: lbaselib's generic_reader (calls the function at index 1 for the next piece). */
static const char *reader(lua_State *L, void *ud, size_t *size) {
    (void)ud;
    luaL_checkstack(L, 2, "too many nested functions");
    lua_pushvalue(L, 1);
    lua_call(L, 0, 1);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        *size = 0;
        return NULL;
    }
    if (!lua_isstring(L, -1)) luaL_error(L, "reader function must return a string");
    lua_replace(L, PCXL_READER_SLOT);
    return lua_tolstring(L, PCXL_READER_SLOT, size);
}

/* safe_load: `load(chunk [, chunkname [, mode [, env]]])` as luaB_load, always in text mode. */
static int safe_load(lua_State *L) {
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    const char *mode = luaL_optstring(L, 3, NULL);
    int env = !lua_isnone(L, 4) ? 4 : 0;
    if (!text_only(L, mode)) return 2;
    int status;
    if (s != NULL) {
        const char *name = luaL_optstring(L, 2, s);
        status = luaL_loadbufferx(L, s, len, name, "t");
    } else {
        const char *name = luaL_optstring(L, 2, "=(load)");
        luaL_checktype(L, 1, LUA_TFUNCTION);
        lua_settop(L, PCXL_READER_SLOT);
        status = lua_load(L, reader, NULL, name, "t");
    }
    return load_result(L, status, env);
}

/* safe_loadfile: `loadfile([filename [, mode [, env]]])`, text only, file policy first. */
static int safe_loadfile(lua_State *L) {
    const char *name = luaL_optstring(L, 1, NULL);
    const char *mode = luaL_optstring(L, 2, NULL);
    int env = !lua_isnone(L, 3) ? 3 : 0;
    if (!text_only(L, mode)) return 2;
    if (name && refused(L, name, 0)) {
        luaL_pushfail(L);
        lua_insert(L, -2);
        return 2;
    }
    return load_result(L, luaL_loadfilex(L, name, "t"), env);
}

static int dofile_k(lua_State *L, int status, lua_KContext k) {
    (void)status; (void)k;
    return lua_gettop(L) - 1;
}

/* safe_dofile: `dofile([filename])`, text only, file policy first. */
static int safe_dofile(lua_State *L) {
    const char *name = luaL_optstring(L, 1, NULL);
    lua_settop(L, 1);
    if (name && refused(L, name, 0)) return lua_error(L);
    int status = luaL_loadfilex(L, name, "t");
    if (status != LUA_OK) {
        load_result(L, status, 0);
        return lua_error(L);
    }
    lua_callk(L, 0, LUA_MULTRET, 0, dofile_k);
    return dofile_k(L, 0, 0);
}

/* ---- file policy on the io and os functions -------------------------------------------------- */

/* refuse_fail: [msg] -> [fail msg EACCES], the io/os convention for a failed open. */
static int refuse_fail(lua_State *L) {
    luaL_pushfail(L);
    lua_insert(L, -2);
    lua_pushinteger(L, EACCES);
    return 3;
}

static int guarded_io_open(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    const char *mode = luaL_optstring(L, 2, "r");
    if (refused(L, path, strpbrk(mode, "wa+") != NULL)) return refuse_fail(L);
    return pcxl_getctx(L)->io_open(L);
}

static int guarded_io_lines(lua_State *L) {
    if (!lua_isnoneornil(L, 1) && refused(L, luaL_checkstring(L, 1), 0)) return lua_error(L);
    return pcxl_getctx(L)->io_lines(L);
}

static int guarded_io_input(lua_State *L) {
    /* g_iofile opens any string or number (lua_tostring) */
    if (lua_type(L, 1) == LUA_TSTRING || lua_type(L, 1) == LUA_TNUMBER) {
        const char *path = lua_tostring(L, 1);
        if (refused(L, path, 0)) return lua_error(L);
    }
    return pcxl_getctx(L)->io_input(L);
}

static int guarded_io_output(lua_State *L) {
    if (lua_type(L, 1) == LUA_TSTRING || lua_type(L, 1) == LUA_TNUMBER) {
        const char *path = lua_tostring(L, 1);
        if (refused(L, path, 1)) return lua_error(L);
    }
    return pcxl_getctx(L)->io_output(L);
}

static int guarded_os_remove(lua_State *L) {
    if (refused(L, luaL_checkstring(L, 1), 1)) return refuse_fail(L);
    return pcxl_getctx(L)->os_remove(L);
}

static int guarded_os_rename(lua_State *L) {
    const char *from = luaL_checkstring(L, 1), *to = luaL_checkstring(L, 2);
    if (refused(L, from, 1) || refused(L, to, 1)) return refuse_fail(L);
    return pcxl_getctx(L)->os_rename(L);
}

/* pcxl_set_path_check: installs the file policy. VM thread. */
void pcxl_set_path_check(pcxl_ctx *c, pcxl_path_check_fn check) { c->path_check = check; }

/* guard: replaces table[field] (a C function) by `guarded`, keeping the original in *slot. */
static void guard(lua_State *L, const char *table, const char *field, lua_CFunction guarded, lua_CFunction *slot) {
    if (lua_getglobal(L, table) == LUA_TTABLE) {
        lua_getfield(L, -1, field);
        *slot = lua_tocfunction(L, -1);
        lua_pop(L, 1);
        if (*slot) {
            lua_pushcfunction(L, guarded);
            lua_setfield(L, -2, field);
        }
    }
    lua_pop(L, 1);
}

/* ---- xpcall: no message handler runs while an abort is pending ------------------------------- */

/* Lua calls the message handler of an error raised by a hook with the thread's hooks disabled
   (luaD_hook clears allowhook and the error longjmps past its restore), so a loop in the handler
   could never be stopped. The handler is wrapped: while an abort is pending it returns the error
   unchanged without calling the script's handler. Upvalue 1 = the script's handler. */
static int guarded_msgh(lua_State *L) {
    if (pcxl_check_abort(pcxl_getctx(L))) {
        lua_settop(L, 1);
        return 1;
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int xpcall_k(lua_State *L, int status, lua_KContext extra) {
    if (status != LUA_OK && status != LUA_YIELD) {
        lua_pushboolean(L, 0);
        lua_pushvalue(L, -2);
        return 2;
    }
    return lua_gettop(L) - (int)extra;
}

/* safe_xpcall: luaB_xpcall with the handler wrapped by guarded_msgh. */
static int safe_xpcall(lua_State *L) {
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, guarded_msgh, 1);
    lua_replace(L, 2);
    lua_pushboolean(L, 1);
    lua_pushvalue(L, 1);
    lua_rotate(L, 3, 2);
    int status = lua_pcallk(L, n - 2, LUA_MULTRET, 2, 2, xpcall_k);
    return xpcall_k(L, status, 2);
}

/* ---- finalizers with the abort hook ---------------------------------------------------------- */

/* Lua runs __gc finalizers with hooks disabled (GCTM clears allowhook), so a loop in one could
   never be stopped. setmetatable therefore never lets Lua mark a table for finalization: when
   the metatable has __gc it is set while __gc is momentarily absent (the field is put back, so
   getmetatable(t).__gc still reads it), and a shadow userdata whose user value is the table is
   kept in a weak-keyed registry table under the table. The shadow's own (C) finalizer runs when
   the table is collected: it reads the table's current __gc and calls it with the table in a fresh
   coroutine, whose hooks are enabled and which the abort signal reaches (tracked resume). An error
   in a finalizer becomes a warning, as in Lua; a yield abandons the finalizer with a warning. */
#define PCXL_FINALIZERS "pcxl.finalizers"
#define PCXL_SHADOW "pcxl.FinalizerShadow"

static void warn_finalizer(lua_State *L, const char *msg) {
    lua_warning(L, "error in __gc metamethod (", 1);
    lua_warning(L, msg, 1);
    lua_warning(L, ")", 0);
}

/* shadow_gc: the shadow's finalizer: runs the table's __gc in a coroutine. [u] -> []. */
static int shadow_gc(lua_State *L) {
    int *fired = (int *)luaL_testudata(L, 1, PCXL_SHADOW);
    if (!fired || *fired) return 0;
    *fired = 1;
    lua_getiuservalue(L, 1, 1);                 /* [u t] */
    if (!lua_getmetatable(L, -1)) return 0;     /* [u t mt] */
    lua_pushliteral(L, "__gc");
    lua_rawget(L, -2);                          /* [u t mt gc] */
    if (lua_isnil(L, -1)) return 0;
    lua_State *co = lua_newthread(L);           /* [u t mt gc co] */
    lua_pushvalue(L, -2);
    lua_pushvalue(L, -5);
    lua_xmove(L, co, 2);                        /* co: [gc t] */
    int nres = 0;
    int st = resume_tracked(co, L, 1, &nres);
    if (st == LUA_YIELD) {
        warn_finalizer(L, "a finalizer cannot yield");
    } else if (st != LUA_OK && !pcxl_getctx(L)->abort) {
        const char *msg = lua_tostring(co, -1);
        warn_finalizer(L, msg ? msg : "error object is not a string");
    }
    return 0;
}

/* register_shadow: gives the table at `obj` a live finalizer shadow (once). [] -> []. */
static void register_shadow(lua_State *L, int obj) {
    if (lua_getfield(L, LUA_REGISTRYINDEX, PCXL_FINALIZERS) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_createtable(L, 0, 1);
        lua_pushliteral(L, "k");
        lua_setfield(L, -2, "__mode");
        lua_setmetatable(L, -2);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, PCXL_FINALIZERS);
    }                                            /* [reg] */
    lua_pushvalue(L, obj);
    lua_rawget(L, -2);
    int *live = (int *)luaL_testudata(L, -1, PCXL_SHADOW);
    lua_pop(L, 1);
    if (live && !*live) {
        lua_pop(L, 1);
        return;
    }
    int *fired = (int *)lua_newuserdatauv(L, sizeof(int), 1);
    *fired = 0;
    lua_pushvalue(L, obj);
    lua_setiuservalue(L, -2, 1);
    if (luaL_newmetatable(L, PCXL_SHADOW)) {
        lua_pushcfunction(L, shadow_gc);
        lua_setfield(L, -2, "__gc");
        /* a script that reaches a shadow (debug.getlocal on a finalizer's caller) cannot see or
           change this metatable */
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
    }
    lua_setmetatable(L, -2);                     /* [reg u] */
    lua_pushvalue(L, obj);
    lua_insert(L, -2);
    lua_rawset(L, -3);                           /* reg[obj] = u */
    lua_pop(L, 1);
}

/* pcxl_setmetatable: lua_setmetatable for script-visible tables: when the metatable has __gc
   the table gets a finalizer shadow instead of native finalization (see above). Every C or Swift
   site that sets a metatable a script can modify goes through it. [mt|nil] -> []. VM thread,
   inside Lua (may raise a memory error unless lenient). */
void pcxl_setmetatable(lua_State *L, int obj) {
    obj = lua_absindex(L, obj);
    int mt = lua_gettop(L);
    if (lua_type(L, obj) != LUA_TTABLE || lua_type(L, mt) != LUA_TTABLE) {
        lua_setmetatable(L, obj);
        return;
    }
    lua_pushliteral(L, "__gc");
    if (lua_rawget(L, mt) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_setmetatable(L, obj);
        return;
    }                                            /* [mt gc] */
    lua_pushliteral(L, "__gc");
    lua_pushnil(L);
    lua_rawset(L, mt);
    lua_pushvalue(L, mt);
    lua_setmetatable(L, obj);
    lua_pushliteral(L, "__gc");
    lua_pushvalue(L, mt + 1);
    lua_rawset(L, mt);                           /* __gc is back */
    lua_pop(L, 2);
    register_shadow(L, obj);
}

/* safe_setmetatable: luaB_setmetatable through pcxl_setmetatable. */
static int safe_setmetatable(lua_State *L) {
    int t = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL) return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    pcxl_setmetatable(L, 1);
    return 1;
}

static void remove_field(lua_State *L, const char *table, const char *field) {
    if (lua_getglobal(L, table) == LUA_TTABLE) {
        lua_pushnil(L);
        lua_setfield(L, -2, field);
    }
    lua_pop(L, 1);
}

/* pcxl_open_sandboxed_libs: standard libraries minus process control, C loading and the debug
   functions that could remove the hook or reach captured originals or a C function's internal
   values (debug.getlocal on a C frame reaches the string buffers of table.concat and gsub, whose
   metatables are unprotected). [] -> []. VM thread. */
void pcxl_open_sandboxed_libs(lua_State *L) {
    luaL_openlibs(L);
    install_tracked_coroutines(L);
    remove_field(L, "io", "popen");
    remove_field(L, "os", "execute");
    remove_field(L, "os", "tmpname");
    remove_field(L, "os", "exit");
    remove_field(L, "package", "loadlib");
    static const char *debug_removed[] = {
        "sethook", "gethook", "getregistry", "getupvalue", "setupvalue", "upvaluejoin",
        "getlocal", "setlocal", "setuservalue", "getuservalue", "setmetatable", "getmetatable",
        "setcstacklimit", NULL };
    for (int i = 0; debug_removed[i]; i++) remove_field(L, "debug", debug_removed[i]);
    /* text-only loading, the file policy, the guarded xpcall and setmetatable (see above) */
    lua_register(L, "load", safe_load);
    lua_register(L, "loadfile", safe_loadfile);
    lua_register(L, "dofile", safe_dofile);
    lua_register(L, "xpcall", safe_xpcall);
    lua_register(L, "setmetatable", safe_setmetatable);
    pcxl_ctx *c = pcxl_getctx(L);
    guard(L, "io", "open", guarded_io_open, &c->io_open);
    guard(L, "io", "lines", guarded_io_lines, &c->io_lines);
    guard(L, "io", "input", guarded_io_input, &c->io_input);
    guard(L, "io", "output", guarded_io_output, &c->io_output);
    guard(L, "os", "remove", guarded_os_remove, &c->os_remove);
    guard(L, "os", "rename", guarded_os_rename, &c->os_rename);
    /* the FILE* metatable: getmetatable(io.stdout) gives a copy, so no script can plant a __gc
       (run natively, hooks off) or replace a method there */
    if (luaL_getmetatable(L, LUA_FILEHANDLE) == LUA_TTABLE) {
        lua_newtable(L);
        lua_pushnil(L);
        while (lua_next(L, -3)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, -4);
        }
        lua_setfield(L, -2, "__metatable");
    }
    lua_pop(L, 1);
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

/* ---- tracked coroutines ---------------------------------------------------------------------- */

/* resume_tracked: lua_resume with `current` following the running thread; an abort requested
   meanwhile is carried over to the resumer. VM thread. */
static int resume_tracked(lua_State *co, lua_State *from, int nargs, int *nres) {
    pcxl_ctx *c = pcxl_getctx(co);
    lua_State *prev = c->current;
    c->current = co;
    if (c->armed) arm(c, co);
    int st = lua_resume(co, from, nargs, nres);
    c->current = prev;
    if (c->armed) arm(c, prev);
    return st;
}

/* resetthread_tracked: lua_resetthread (runs pending __close handlers on co). VM thread. */
static int resetthread_tracked(lua_State *co) {
    pcxl_ctx *c = pcxl_getctx(co);
    lua_State *prev = c->current;
    c->current = co;
    if (c->armed) arm(c, co);
    int st = lua_resetthread(co);
    c->current = prev;
    if (c->armed) arm(c, prev);
    return st;
}

/* pcxl_resume: lua_resume, tracked. VM thread. */
int pcxl_resume(lua_State *co, lua_State *from, int nargs, int *nres) {
    return resume_tracked(co, from, nargs, nres);
}

/* pcxl_resetthread: lua_resetthread, tracked. VM thread. */
int pcxl_resetthread(lua_State *co) { return resetthread_tracked(co); }

/* The coroutine library's resume, wrap and close as in Lua 5.4.4's lcorolib.c, through the
   tracked resume. */
static lua_State *getco(lua_State *L) {
    lua_State *co = lua_tothread(L, 1);
    luaL_argexpected(L, co, 1, "coroutine");
    return co;
}

static int auxresume(lua_State *L, lua_State *co, int narg) {
    int status, nres;
    if (!lua_checkstack(co, narg)) {
        lua_pushliteral(L, "too many arguments to resume");
        return -1;
    }
    lua_xmove(L, co, narg);
    status = resume_tracked(co, L, narg, &nres);
    if (status == LUA_OK || status == LUA_YIELD) {
        if (!lua_checkstack(L, nres + 1)) {
            lua_pop(co, nres);
            lua_pushliteral(L, "too many results to resume");
            return -1;
        }
        lua_xmove(co, L, nres);
        return nres;
    }
    lua_xmove(co, L, 1);
    return -1;
}

static int co_resume(lua_State *L) {
    lua_State *co = getco(L);
    int r = auxresume(L, co, lua_gettop(L) - 1);
    if (r < 0) {
        lua_pushboolean(L, 0);
        lua_insert(L, -2);
        return 2;
    }
    lua_pushboolean(L, 1);
    lua_insert(L, -(r + 1));
    return r + 1;
}

static int auxwrap(lua_State *L) {
    lua_State *co = lua_tothread(L, lua_upvalueindex(1));
    int r = auxresume(L, co, lua_gettop(L));
    if (r < 0) {
        int stat = lua_status(co);
        if (stat != LUA_OK && stat != LUA_YIELD) {
            stat = resetthread_tracked(co);
            lua_xmove(co, L, 1);
        }
        if (stat != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING) {
            luaL_where(L, 1);
            lua_insert(L, -2);
            lua_concat(L, 2);
        }
        return lua_error(L);
    }
    return r;
}

static int co_wrap(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_State *NL = lua_newthread(L);
    lua_pushvalue(L, 1);
    lua_xmove(L, NL, 1);
    lua_pushcclosure(L, auxwrap, 1);
    return 1;
}

/* co_close: lcorolib's luaB_close (closable: suspended, not started or dead). */
static int co_close(lua_State *L) {
    lua_State *co = getco(L);
    const char *state = NULL;
    if (co == L) state = "running";
    else if (lua_status(co) == LUA_OK) {
        lua_Debug ar;
        if (lua_getstack(co, 0, &ar)) state = "normal";
    }
    if (state) return luaL_error(L, "cannot close a %s coroutine", state);
    int status = resetthread_tracked(co);
    if (status == LUA_OK) {
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_pushboolean(L, 0);
    lua_xmove(co, L, 1);
    return 2;
}

/* install_tracked_coroutines: replaces coroutine.resume/wrap/close. [] -> []. */
static void install_tracked_coroutines(lua_State *L) {
    if (lua_getglobal(L, "coroutine") == LUA_TTABLE) {
        lua_pushcfunction(L, co_resume);
        lua_setfield(L, -2, "resume");
        lua_pushcfunction(L, co_wrap);
        lua_setfield(L, -2, "wrap");
        lua_pushcfunction(L, co_close);
        lua_setfield(L, -2, "close");
    }
    lua_pop(L, 1);
}

/* ---- Ctrl-C ------------------------------------------------------------------------------------ */

static volatile sig_atomic_t sigint_fd = -1;

static void on_sigint(int sig) {
    (void)sig;
    int saved = errno;
    int fd = sigint_fd;
    if (fd >= 0) {
        char b = 1;
        ssize_t r = write(fd, &b, 1);
        (void)r;
    }
    errno = saved;
}

/* pcxl_sigint_pipe: SIGINT writes one byte to a self-pipe from a plain handler (whichever thread
   the kernel picks runs it, so no thread's signal mask can lose a Ctrl-C). The calling thread (and
   so every thread it starts later) unblocks SIGINT and SIGTERM: a parent may start pcx with them
   blocked (Foundation's Process does), and then no thread would ever take a Ctrl-C, nor die of a
   SIGTERM. A SIGINT that was ignored at start (a shell's background job) stays ignored: -1 with
   errno ECANCELED. Returns the pipe's read end, or -1 with errno. */
int pcxl_sigint_pipe(void) {
    sigset_t wanted;
    sigemptyset(&wanted);
    sigaddset(&wanted, SIGTERM);
    /* Started with Ctrl-C ignored (a shell's background job): it stays ignored, as for any tool. */
    struct sigaction current;
    if (sigaction(SIGINT, NULL, &current) == 0 && current.sa_handler == SIG_IGN) {
        pthread_sigmask(SIG_UNBLOCK, &wanted, NULL);
        errno = ECANCELED;
        return -1;
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return -1;
    sigint_fd = fds[1];
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0) {
        int e = errno;
        sigint_fd = -1;
        close(fds[0]);
        close(fds[1]);
        errno = e;
        return -1;
    }
    sigaddset(&wanted, SIGINT);
    pthread_sigmask(SIG_UNBLOCK, &wanted, NULL);
    return fds[0];
}
