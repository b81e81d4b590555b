/* libFuzzer harness for pcx's script loader: arbitrary bytes through pcxl_load (luaL_loadbufferx
 * in text mode "t", Sources/CLuaShim/shim.c), the function every `pcx run`, `pcx check`,
 * `require` and playbook load goes through (Sources/LuaRuntime/LuaVMCore.swift loadText/loadBytes),
 * on a state made like pcx makes it (pcxl_newstate with a memory limit, sandboxed libraries).
 *
 * Properties checked besides "no crash, no sanitizer report":
 *  - a chunk starting with the binary signature ESC 'L' 'u' 'a' is always refused (text only);
 *  - a failed load leaves exactly one string (the message) on the stack (syntax, memory, or the
 *    parser's "C stack overflow" on deep nesting, which Lua reports as a run-time error status);
 *  - a successful load leaves exactly one function.
 * The chunk is never run. Built and run by tools/fuzz.
 */
#include "CLuaShim.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lua_State *L;

static int no_dispatch(void *owner, lua_State *S, lua_Integer id) {
    (void)owner; (void)id;
    lua_pushliteral(S, "no host functions in the fuzz harness");
    return PCXL_RAISE;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc; (void)argv;
    L = pcxl_newstate((size_t)256 << 20, no_dispatch, NULL);
    if (!L) abort();
    pcxl_open_sandboxed_libs(L);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int top = lua_gettop(L);
    int st = pcxl_load(L, (const char *)data, size, "=fuzz.lua");
    if (lua_gettop(L) != top + 1) { fprintf(stderr, "pcxl_load left %d values\n", lua_gettop(L) - top); abort(); }
    if (st == LUA_OK) {
        if (size >= 4 && memcmp(data, "\x1bLua", 4) == 0) { fprintf(stderr, "a binary chunk was accepted\n"); abort(); }
        if (lua_type(L, -1) != LUA_TFUNCTION) { fprintf(stderr, "load succeeded without a function\n"); abort(); }
    } else if (st == LUA_ERRSYNTAX || st == LUA_ERRMEM || st == LUA_ERRRUN || st == LUA_ERRERR) {
        /* LUA_ERRRUN/LUA_ERRERR: "C stack overflow" from deeply nested source (the parser's
           recursion limit, LUAI_MAXCCALLS); pcx reports it as a syntax error, exit 2 */
        if (lua_type(L, -1) != LUA_TSTRING) { fprintf(stderr, "load error is not a string\n"); abort(); }
    } else {
        fprintf(stderr, "unexpected load status %d\n", st);
        abort();
    }
    lua_settop(L, top);
    if (rand() % 128 == 0) lua_gc(L, LUA_GCCOLLECT);
    return 0;
}
