/* libFuzzer harness for pcx's JSON -> Lua decoder (Sources/CLuaShim/json.c).
 *
 * Each input is decoded through pcxl_json_decode_protected, the entry point the host uses for
 * every Partner Center response body. When the decode succeeds the value is also run through
 * json.encode (sort_keys) twice, checking the round-trip property
 *     encode(decode(encode(v))) == encode(v)
 * so the encoder is exercised on every shape the decoder can produce. Then the same input is
 * decoded with records (objects inside arrays decoded field by field, as line-item pages are):
 * it must decode wherever the eager decoder does, every field read through a record must encode
 * as the eager decoder's value does, and the records' materialized whole must encode the same.
 * Any crash, sanitizer report or broken property is a finding. Built and run by tools/fuzz.
 */
#include "CLuaShim.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lua_State *L;
static int records_check;   /* registry ref of the Lua checker of records against the eager value */

/* check(text, eager): decodes `text` with records and compares it with `eager` (json.decode's).
   Returns nothing, or raises "records: ..." naming the difference. */
static const char *RECORDS_CHECK =
    "local json = json\n"
    "local function enc(v) local ok, s = pcall(json.encode, v, { sort_keys = true }) return ok and s or 'ERR' end\n"
    "local function walk(e, l, path)\n"
    "  if json.is_record(l) then\n"
    "    for k, v in pairs(e) do\n"
    "      if type(k) == 'string' and enc(l[k]) ~= enc(v) then\n"
    "        error('records: field ' .. path .. '.' .. k .. ' reads ' .. enc(l[k]) .. ', decode gives ' .. enc(v), 0)\n"
    "      end\n"
    "    end\n"
    "  elseif type(e) == 'table' and type(l) == 'table' then\n"
    "    for k, v in pairs(e) do walk(v, rawget(l, k), path .. '/' .. tostring(k)) end\n"
    "  end\n"
    "end\n"
    "return function(text, eager)\n"
    "  local ok, lazy = pcall(json.decode, text, { lazy = true })\n"
    "  if not ok then error('records: decode failed where json.decode did not: ' .. tostring(lazy), 0) end\n"
    "  walk(eager, lazy, '$')\n"
    "  if enc(lazy) ~= enc(eager) then error('records: materialized whole differs', 0) end\n"
    "end\n";

/* the trampoline is never used here: no host functions are registered */
static int no_dispatch(void *owner, lua_State *S, lua_Integer id) {
    (void)owner; (void)id;
    lua_pushliteral(S, "no host functions in the fuzz harness");
    return PCXL_RAISE;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc; (void)argv;
    L = pcxl_newstate((size_t)512 << 20, no_dispatch, NULL);   /* 512 MiB, like a small --memory-limit */
    if (!L) abort();
    luaL_openlibs(L);
    pcxl_open_json(L);
    lua_setglobal(L, "json");
    if (luaL_loadstring(L, RECORDS_CHECK) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) abort();
    records_check = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

/* encode(value at top, sort_keys) under pcall; pushes the string or nothing. Returns 1 if pushed. */
static int encode_top(void) {
    lua_getglobal(L, "json");
    lua_getfield(L, -1, "encode");
    lua_remove(L, -2);
    lua_pushvalue(L, -2);
    lua_createtable(L, 0, 1);
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "sort_keys");
    if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
        /* a clean Lua error (e.g. invalid UTF-8 kept from the input) is fine */
        if (lua_type(L, -1) != LUA_TSTRING) { fprintf(stderr, "encode raised a non-string\n"); abort(); }
        lua_pop(L, 1);
        return 0;
    }
    if (lua_type(L, -1) != LUA_TSTRING) { fprintf(stderr, "encode returned a non-string\n"); abort(); }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int top = lua_gettop(L);
    int st = pcxl_json_decode_protected(L, (const char *)data, size, 0);
    if (st != LUA_OK) {
        size_t n = 0;
        const char *msg = lua_tolstring(L, -1, &n);
        if (st != LUA_ERRMEM && (!msg || strncmp(msg, "json.decode: ", 13) != 0)) {
            fprintf(stderr, "decode failed without a json.decode message: %s\n", msg ? msg : "(not a string)");
            abort();
        }
        lua_settop(L, top);
        return 0;
    }
    if (encode_top()) {
        size_t n1 = 0;
        const char *e1 = lua_tolstring(L, -1, &n1);
        int st2 = pcxl_json_decode_protected(L, e1, n1, 0);
        if (st2 != LUA_OK) {
            fprintf(stderr, "re-decoding the encoder's own output failed: %s\n", lua_tostring(L, -1));
            abort();
        }
        if (encode_top()) {
            size_t n2 = 0;
            const char *e2 = lua_tolstring(L, -1, &n2);
            if (n1 != n2 || memcmp(e1, e2, n1) != 0) {
                fprintf(stderr, "round trip differs:\n  %.*s\n  %.*s\n", (int)(n1 > 400 ? 400 : n1), e1,
                        (int)(n2 > 400 ? 400 : n2), e2);
                abort();
            }
        } else {
            fprintf(stderr, "encoding a value decoded from the encoder's output failed\n");
            abort();
        }
    }
    lua_settop(L, top + 1);   /* the eager value */
    lua_rawgeti(L, LUA_REGISTRYINDEX, records_check);
    lua_pushlstring(L, (const char *)data, size);
    lua_pushvalue(L, top + 1);
    if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        if (!(msg && strstr(msg, "not enough memory"))) {
            fprintf(stderr, "%s\n", msg ? msg : "(records check raised a non-string)");
            abort();
        }
    }
    lua_settop(L, top);
    if (rand() % 64 == 0) lua_gc(L, LUA_GCCOLLECT);
    return 0;
}
