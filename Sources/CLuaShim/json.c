/* json.c: the `json` module's decoder and encoder, in C for speed.
 *
 * Decoding goes straight from bytes to Lua values in one pass: no intermediate tree. Containers
 * are collected on the Lua stack for their first elements, then created with an exact (small
 * containers) or estimated (large ones) size, so most tables are allocated once.
 *
 * Rules (documented for scripts in stdlib/meta/json.lua):
 *  - integers without fraction or exponent that fit in int64 decode as Lua integers; every other
 *    number (fraction, exponent, or an integer beyond int64) decodes as a float.
 *  - null decodes as json.null (a light userdata NULL); nil is never stored in a table.
 *  - an empty object decodes as an empty table with the `json.object` metatable, so it encodes
 *    back as {}. A plain empty table encodes as []. json.object()/json.array() set the marker.
 *  - encode: a table whose keys are exactly 1..n (n >= 1) is an array; otherwise it is an object
 *    whose keys must be strings or numbers (numbers become their decimal text).
 *  - strings: decode passes bytes through unchanged (invalid UTF-8 inside a JSON string is kept
 *    as is); \u escapes become UTF-8, surrogate pairs are combined, a lone surrogate becomes
 *    U+FFFD. Encode refuses invalid UTF-8 with an error naming the byte offset.
 *  - nesting deeper than PCXL_JSON_MAX_DEPTH is an error (decode and encode); so is a number too
 *    large for a double (e.g. 1e400), rather than decoding it as infinity.
 *  - malformed input: "json.decode: <what> at byte N (line L, column C)", N 1-based.
 */
#define _GNU_SOURCE
#include "CLuaShim.h"
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCXL_JSON_MAX_DEPTH 1000
#define ACHUNK 64
#define OCHUNK 32
#define KCACHE 1024          /* string cache slots (power of two) */
#define KCACHE_VALUE_MAX 40  /* values this short (Lua's short, interned strings) are cached too */
#define OBJECT_MT "json.object"
#define ARRAY_MT "json.array"
#define RECORD_MT "json.record"

/* ---- decoder --------------------------------------------------------------------------------- */

typedef struct {
    lua_State *L;
    const unsigned char *start, *p, *end;
    int depth;
    int scratch;        /* stack index of the scratch userdata (or a nil placeholder) */
    int objmt;          /* stack index of the json.object metatable */
    unsigned char *sbuf;
    size_t scap;
    int kcache;         /* stack index of the string cache table (0 until first use) */
    int kcache_slot;    /* reserved stack slot for it */
    const char *kptr[KCACHE];   /* bytes of the cached strings (anchored by the cache table) */
    size_t klen[KCACHE];
    int records;        /* objects inside arrays become records (decoded on first use) */
    int recmt;          /* stack index of the json.record metatable (when records) */
    int nocache;        /* a record's single value: no string cache */
    const char *field;  /* a record's single value: its key, for the error message (else NULL) */
    int objhint[PCXL_JSON_MAX_DEPTH + 2];  /* key count of the last object seen at each depth */
} jdec;

/* 1 for bytes that end the fast string scan: '"', '\\' and control characters */
static const unsigned char str_stop[256] = {
    1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
    0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,
};

static const double pow10tab[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };

static void jerr(jdec *d, const char *what) {
    const unsigned char *at = d->p < d->end ? d->p : d->end;
    size_t line = 1, col = 1;
    for (const unsigned char *q = d->start; q < at; q++) {
        if (*q == '\n') { line++; col = 1; } else col++;
    }
    if (d->field)   /* a record's value, read long after its page was decoded: say which */
        luaL_error(d->L, "json.decode: %s in the value of field '%s' of a json.record (byte %I of the record)", what,
                   d->field, (lua_Integer)(at - d->start + 1));
    luaL_error(d->L, "json.decode: %s at byte %I (line %I, column %I)", what,
               (lua_Integer)(at - d->start + 1), (lua_Integer)line, (lua_Integer)col);
}

static inline void skip_ws(jdec *d) {
    const unsigned char *p = d->p, *end = d->end;
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
    d->p = p;
}

static void scratch_reserve(jdec *d, size_t need) {
    if (need <= d->scap) return;
    size_t cap = d->scap ? d->scap * 2 : 256;
    while (cap < need) cap *= 2;
    unsigned char *nb = (unsigned char *)lua_newuserdatauv(d->L, cap, 0);
    if (d->scap) memcpy(nb, d->sbuf, d->scap);
    lua_replace(d->L, d->scratch);
    d->sbuf = nb;
    d->scap = cap;
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int read_hex4(jdec *d, const unsigned char *q) {
    if (d->end - q < 4) return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(q[i]);
        if (h < 0) return -1;
        v = (v << 4) | h;
    }
    return v;
}

static size_t put_utf8(unsigned char *o, unsigned cp) {
    if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
    if (cp < 0x800) { o[0] = 0xC0 | (cp >> 6); o[1] = 0x80 | (cp & 0x3F); return 2; }
    if (cp < 0x10000) {
        o[0] = 0xE0 | (cp >> 12); o[1] = 0x80 | ((cp >> 6) & 0x3F); o[2] = 0x80 | (cp & 0x3F);
        return 3;
    }
    o[0] = 0xF0 | (cp >> 18); o[1] = 0x80 | ((cp >> 12) & 0x3F);
    o[2] = 0x80 | ((cp >> 6) & 0x3F); o[3] = 0x80 | (cp & 0x3F);
    return 4;
}

/* cache_hash: a quick hash of a short string from up to three 8-byte words (start, middle,
   end), enough to spread keys, dates, ids and names over the cache slots. */
static inline unsigned cache_hash(const unsigned char *s, size_t n) {
    uint64_t h = (uint64_t)n * 0x9E3779B97F4A7C15ull, w = 0;
    if (n >= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        memcpy(&w, s + n - 8, 8);
        h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
        if (n > 16) {
            memcpy(&w, s + n / 2 - 4, 8);
            h = (h ^ w) * 0xff51afd7ed558ccdull;
        }
    } else {
        memcpy(&w, s, n);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
    }
    h ^= h >> 33;
    return (unsigned)(h ^ (h >> 17)) & (KCACHE - 1);
}

/* push_cached: pushes the string [s, s+n), reusing a recently decoded identical string.
   Keys repeat on every element of a page and so do many values (customer, dates, names);
   finding them in this small cache avoids Lua's string-table lookup (a hash over every byte
   plus a cache-missing chain walk in a table as big as the heap's strings). [] -> [s]. */
static void push_cached(jdec *d, const unsigned char *s, size_t n) {
    lua_State *L = d->L;
    unsigned slot = cache_hash(s, n);
    if (d->kcache && d->klen[slot] == n && memcmp(d->kptr[slot], s, n) == 0) {
        lua_rawgeti(L, d->kcache, (lua_Integer)slot + 1);
        return;
    }
    if (!d->kcache) {
        lua_createtable(L, KCACHE, 0);
        lua_replace(L, d->kcache_slot);
        d->kcache = d->kcache_slot;
    }
    const char *p = lua_pushlstring(L, (const char *)s, n);
    lua_pushvalue(L, -1);
    lua_rawseti(L, d->kcache, (lua_Integer)slot + 1);
    d->kptr[slot] = p;
    d->klen[slot] = n;
}

/* parse_string: d->p just after the opening quote. [] -> [s]. */
#define HASZERO(x) (((x) - 0x0101010101010101ull) & ~(x) & 0x8080808080808080ull)

static void parse_string_escaped(jdec *d, const unsigned char *s, const unsigned char *q);

static void parse_string(jdec *d, int is_key) {
    const unsigned char *s = d->p, *q = s, *end = d->end;
    /* 8 bytes at a time until a '"', '\\' or control byte may be in the word */
    while (end - q >= 8) {
        uint64_t v;
        memcpy(&v, q, 8);
        uint64_t stop = HASZERO(v ^ 0x2222222222222222ull) | HASZERO(v ^ 0x5C5C5C5C5C5C5C5Cull)
                      | ((v - 0x2020202020202020ull) & ~v & 0x8080808080808080ull);
        if (stop) break;
        q += 8;
    }
    while (q < end && !str_stop[*q]) q++;
    if (q < end && *q == '"') {
        size_t n = (size_t)(q - s);
        if (!d->nocache && (is_key || n <= KCACHE_VALUE_MAX)) push_cached(d, s, n);
        else lua_pushlstring(d->L, (const char *)s, n);
        d->p = q + 1;
        return;
    }
    parse_string_escaped(d, s, q);
}

/* unescape_u: the code point of the \u escape (four hex digits) at q (a surrogate pair is one code point; a
   lone surrogate is U+FFFD); *q moves past it. Raises on bad hex digits. */
static unsigned unescape_u(jdec *d, const unsigned char **q) {
    const unsigned char *end = d->end;
    int cp = read_hex4(d, *q + 2);
    if (cp < 0) { d->p = *q; jerr(d, "invalid \\u escape (expected 4 hex digits)"); }
    *q += 6;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        int lo = (end - *q >= 6 && (*q)[0] == '\\' && (*q)[1] == 'u') ? read_hex4(d, *q + 2) : -1;
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
            *q += 6;
            return 0x10000 + (((unsigned)cp - 0xD800) << 10) + ((unsigned)lo - 0xDC00);
        }
        return 0xFFFD;   /* lone high surrogate */
    }
    if (cp >= 0xDC00 && cp <= 0xDFFF) return 0xFFFD;   /* lone low surrogate */
    return (unsigned)cp;
}

/* parse_string_escaped: the rest of a string that has escapes (or an error), from q (the bytes
   s..q need no unescaping). [] -> [s]. */
static void parse_string_escaped(jdec *d, const unsigned char *s, const unsigned char *q) {
    const unsigned char *end = d->end;
    size_t n = (size_t)(q - s);
    scratch_reserve(d, n + 64);
    memcpy(d->sbuf, s, n);
    for (;;) {
        if (q >= end) { d->p = end; jerr(d, "unterminated string"); }
        unsigned char c = *q;
        if (c == '"') break;
        if (c < 0x20) { d->p = q; jerr(d, "control character in string (escape it)"); }
        scratch_reserve(d, n + 8);
        if (c != '\\') { d->sbuf[n++] = c; q++; continue; }
        if (q + 1 >= end) { d->p = end; jerr(d, "unterminated string"); }
        unsigned char e = q[1];
        switch (e) {
        case '"': d->sbuf[n++] = '"'; q += 2; break;
        case '\\': d->sbuf[n++] = '\\'; q += 2; break;
        case '/': d->sbuf[n++] = '/'; q += 2; break;
        case 'b': d->sbuf[n++] = '\b'; q += 2; break;
        case 'f': d->sbuf[n++] = '\f'; q += 2; break;
        case 'n': d->sbuf[n++] = '\n'; q += 2; break;
        case 'r': d->sbuf[n++] = '\r'; q += 2; break;
        case 't': d->sbuf[n++] = '\t'; q += 2; break;
        case 'u': n += put_utf8(d->sbuf + n, unescape_u(d, &q)); break;
        default:
            d->p = q;
            jerr(d, "invalid escape in string");
        }
    }
    lua_pushlstring(d->L, (const char *)d->sbuf, n);
    d->p = q + 1;
}

/* A number's digits as read: up to 19 significant digits, the decimal exponent, the sign. */
typedef struct { unsigned long long mant; int neg, isfloat, exp10, toolong; } jnum;

/* scan_fraction_exponent: the `.ddd` and `e±ddd` parts of a number at p; returns the end. */
static const unsigned char *scan_fraction_exponent(jdec *d, const unsigned char *p, jnum *x, int *sig) {
    const unsigned char *end = d->end;
    if (p < end && *p == '.') {
        x->isfloat = 1;
        p++;
        if (p >= end || *p < '0' || *p > '9') { d->p = p; jerr(d, "invalid number (digit expected after '.')"); }
        while (p < end && *p >= '0' && *p <= '9') {
            if (*sig < 19) {
                x->mant = x->mant * 10 + (unsigned)(*p - '0');
                if (x->mant) (*sig)++;
                x->exp10--;
            } else x->toolong = 1;
            p++;
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        x->isfloat = 1;
        p++;
        int eneg = 0, ev = 0;
        if (p < end && (*p == '+' || *p == '-')) { eneg = *p == '-'; p++; }
        if (p >= end || *p < '0' || *p > '9') { d->p = p; jerr(d, "invalid number (digit expected in exponent)"); }
        while (p < end && *p >= '0' && *p <= '9') {
            if (ev < 100000) ev = ev * 10 + (*p - '0');
            p++;
        }
        x->exp10 += eneg ? -ev : ev;
    }
    return p;
}

/* push_number_slow: strtod on a copy of s..p (locale-aware decimal point). [] -> [n]. */
static void push_number_slow(jdec *d, const unsigned char *s, const unsigned char *p) {
    char buf[512];
    size_t len = (size_t)(p - s);
    if (len >= sizeof buf) { d->p = s; jerr(d, "number too long"); }
    memcpy(buf, s, len);
    buf[len] = 0;
    char point = localeconv()->decimal_point[0];
    if (point != '.') { char *dot = strchr(buf, '.'); if (dot) *dot = point; }
    double v = strtod(buf, NULL);
    if (isinf(v)) { d->p = s; jerr(d, "number out of range (too large for a double)"); }
    lua_pushnumber(d->L, v);
}

/* parse_number: [] -> [n]. */
static void parse_number(jdec *d) {
    const unsigned char *s = d->p, *p = s, *end = d->end;
    jnum x = {0, 0, 0, 0, 0};
    int sig = 0;
    if (*p == '-') { x.neg = 1; p++; }
    if (p >= end || *p < '0' || *p > '9') { d->p = p; jerr(d, "invalid number"); }
    if (*p == '0') {
        p++;
    } else {
        while (p < end && *p >= '0' && *p <= '9') {
            if (sig < 19) { x.mant = x.mant * 10 + (unsigned)(*p - '0'); sig++; }
            else { x.toolong = 1; x.exp10++; }
            p++;
        }
    }
    p = scan_fraction_exponent(d, p, &x, &sig);
    d->p = p;
    if (!x.isfloat && !x.toolong) {
        if (!x.neg && x.mant <= (unsigned long long)LUA_MAXINTEGER) {
            lua_pushinteger(d->L, (lua_Integer)x.mant);
            return;
        }
        if (x.neg && x.mant <= (unsigned long long)LUA_MAXINTEGER + 1ull) {
            lua_pushinteger(d->L, x.mant == 0 ? 0 : (lua_Integer)(0ull - x.mant));
            return;
        }
    }
    if (!x.toolong && x.mant < (1ull << 53) && x.exp10 >= -22 && x.exp10 <= 22) {
        double v = (double)x.mant;
        v = x.exp10 < 0 ? v / pow10tab[-x.exp10] : v * pow10tab[x.exp10];
        lua_pushnumber(d->L, x.neg ? -v : v);
        return;
    }
    push_number_slow(d, s, p);
}

static void parse_value(jdec *d);
static void push_record(jdec *d);
static void push_record_mt(lua_State *L);

static void expect_literal(jdec *d, const char *lit, size_t n) {
    if ((size_t)(d->end - d->p) < n || memcmp(d->p, lit, n) != 0) jerr(d, "invalid literal");
    d->p += n;
}

/* parse_array: d->p just after '['. [] -> [t]. */
static void parse_array(jdec *d) {
    lua_State *L = d->L;
    if (++d->depth > PCXL_JSON_MAX_DEPTH) { d->p--; jerr(d, "nesting deeper than 1000 levels"); }
    if (!lua_checkstack(L, ACHUNK + 8)) jerr(d, "out of Lua stack space");
    int base = lua_gettop(L);
    int tbl = 0;
    lua_Integer n = 0;
    skip_ws(d);
    if (d->p < d->end && *d->p == ']') {
        d->p++;
        lua_createtable(L, 0, 0);
        d->depth--;
        return;
    }
    for (;;) {
        skip_ws(d);
        if (d->records && d->p < d->end && *d->p == '{') push_record(d);
        else parse_value(d);
        n++;
        if (tbl) {
            lua_rawseti(L, tbl, n);
        } else if (n == ACHUNK) {
            lua_createtable(L, ACHUNK * 4, 0);
            lua_insert(L, base + 1);
            tbl = base + 1;
            for (lua_Integer i = n; i >= 1; i--) lua_rawseti(L, tbl, i);
        }
        skip_ws(d);
        if (d->p >= d->end) jerr(d, "expected ',' or ']' but the input ended");
        unsigned char c = *d->p++;
        if (c == ',') continue;
        if (c == ']') break;
        d->p--;
        jerr(d, "expected ',' or ']'");
    }
    if (!tbl) {
        lua_createtable(L, (int)n, 0);
        lua_insert(L, base + 1);
        for (lua_Integer i = n; i >= 1; i--) lua_rawseti(L, base + 1, i);
    }
    d->depth--;
}

/* pairs_to_table: moves the npairs key/value pairs above base into a new table sized for
   `size` keys, placed at base + 1. [k1 v1 ... kn vn] -> [t]. Returns t's index. */
static int pairs_to_table(lua_State *L, int base, int npairs, int size) {
    lua_createtable(L, 0, size);
    lua_insert(L, base + 1);
    int tbl = base + 1;
    for (int i = 0; i < npairs; i++) {
        lua_pushvalue(L, tbl + 1 + 2 * i);
        lua_pushvalue(L, tbl + 2 + 2 * i);
        lua_rawset(L, tbl);
    }
    lua_settop(L, tbl);
    return tbl;
}

/* parse_object: d->p just after '{'. [] -> [t]. Later duplicate keys win. */
static void parse_object(jdec *d) {
    lua_State *L = d->L;
    if (++d->depth > PCXL_JSON_MAX_DEPTH) { d->p--; jerr(d, "nesting deeper than 1000 levels"); }
    if (!lua_checkstack(L, 2 * OCHUNK + 8)) jerr(d, "out of Lua stack space");
    int base = lua_gettop(L);
    int tbl = 0, npairs = 0;
    skip_ws(d);
    if (d->p < d->end && *d->p == '}') {
        d->p++;
        lua_createtable(L, 0, 0);
        lua_pushvalue(L, d->objmt);
        pcxl_setmetatable(L, -2);
        d->depth--;
        return;
    }
    int hint = d->objhint[d->depth];
    if (hint > 0 && hint <= 256) {   /* capped: a huge sibling must not inflate small objects */
        /* siblings in a page usually share a shape: size the table like the previous one */
        lua_createtable(L, 0, hint);
        tbl = base + 1;
    }
    for (;;) {
        if (d->p >= d->end || *d->p != '"') jerr(d, "expected a string key");
        d->p++;
        parse_string(d, 1);
        skip_ws(d);
        if (d->p >= d->end || *d->p != ':') jerr(d, "expected ':' after key");
        d->p++;
        parse_value(d);
        npairs++;
        if (tbl) {
            lua_rawset(L, tbl);
        } else if (npairs == OCHUNK) {
            tbl = pairs_to_table(L, base, npairs, OCHUNK * 2);
        }
        skip_ws(d);
        if (d->p >= d->end) jerr(d, "expected ',' or '}' but the input ended");
        unsigned char c = *d->p++;
        if (c == ',') { skip_ws(d); continue; }
        if (c == '}') break;
        d->p--;
        jerr(d, "expected ',' or '}'");
    }
    if (!tbl) {
        tbl = pairs_to_table(L, base, npairs, npairs);
    }
    d->objhint[d->depth] = npairs;
    d->depth--;
}

/* parse_value: [] -> [v]. */
static void parse_value(jdec *d) {
    skip_ws(d);
    if (d->p >= d->end) jerr(d, "unexpected end of input");
    switch (*d->p) {
    case '{': d->p++; parse_object(d); return;
    case '[': d->p++; parse_array(d); return;
    case '"': d->p++; parse_string(d, 0); return;
    case 't': expect_literal(d, "true", 4); lua_pushboolean(d->L, 1); return;
    case 'f': expect_literal(d, "false", 5); lua_pushboolean(d->L, 0); return;
    case 'n': expect_literal(d, "null", 4); lua_pushlightuserdata(d->L, NULL); return;
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        parse_number(d); return;
    default: {
        char what[64];
        unsigned char c = *d->p;
        if (c >= 0x20 && c < 0x7F) snprintf(what, sizeof what, "unexpected character '%c'", c);
        else snprintf(what, sizeof what, "unexpected byte 0x%02X", c);
        jerr(d, what);
    }
    }
}

/* decode_buffer: decodes [p, p+len); with `records`, objects inside arrays become records. Must
   run inside Lua (protected). [] -> [v]. */
static void decode_buffer(lua_State *L, const char *p, size_t len, int records) {
    jdec d;
    d.L = L;
    d.start = d.p = (const unsigned char *)p;
    d.end = d.start + len;
    d.depth = 0;
    d.sbuf = NULL;
    d.scap = 0;
    d.nocache = 0;
    d.field = NULL;
    luaL_checkstack(L, 8, "json.decode");
    luaL_newmetatable(L, OBJECT_MT);   /* the existing one, or created before the module loads */
    d.objmt = lua_gettop(L);
    lua_pushnil(L);
    d.scratch = lua_gettop(L);
    lua_pushnil(L);
    d.kcache_slot = lua_gettop(L);
    d.kcache = 0;
    d.records = records;
    if (records) push_record_mt(L); else lua_pushnil(L);
    d.recmt = lua_gettop(L);
    for (int i = 0; i < KCACHE; i++) d.klen[i] = (size_t)-1;
    memset(d.objhint, 0, sizeof d.objhint);
    parse_value(&d);
    skip_ws(&d);
    if (d.p < d.end) jerr(&d, "unexpected data after the JSON value");
    lua_replace(L, d.objmt);
    lua_settop(L, d.objmt);
}

static void record_owed(lua_State *L, int before_kb);

static int decode_string_k(lua_State *L) {
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    int before = (int)lua_tointeger(L, 2);
    int records = lua_toboolean(L, 3);
    decode_buffer(L, s, len, records);
    record_owed(L, before);
    return 1;
}

/* l_decode: json.decode(s). The collector is paused while the tree is built (it is all live
   data; incremental marking and sweeping of it would only be repeated work) and restarted
   afterwards, also on error. */
/* The collector is paused while a tree is built, and LUA_GCRESTART forgives the allocation debt
   run up meanwhile. Without charging it, a loop that only decodes pages (allocating nothing else)
   would never collect the pages it dropped. Each decode's growth is recorded here (registry, per
   state) and charged as a collector step at the start of the next decode, when the previous result
   is usually garbage already: streaming stays bounded, and a single large decode is not charged for
   marking its own, live, result. */
static char owed_key;

/* pay_owed: runs the collector step owed by earlier decodes. [-0, +0]. VM thread. */
static void pay_owed(lua_State *L) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &owed_key);
    lua_Integer owed = lua_tointeger(L, -1);
    lua_pop(L, 1);
    if (owed > 0) {
        lua_pushinteger(L, 0);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &owed_key);  /* the key exists: no allocation */
        lua_gc(L, LUA_GCSTEP, (int)(owed > 1 << 30 ? 1 << 30 : owed));
    }
}

/* record_owed: adds the decode's growth (KB since `before_kb`) to the debt. [-0, +0]; runs inside
   the protected decode, so a memory error here fails the decode cleanly. */
static void record_owed(lua_State *L, int before_kb) {
    lua_Integer grown = lua_gc(L, LUA_GCCOUNT) - before_kb;
    if (grown <= 0) return;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &owed_key);
    lua_Integer owed = lua_tointeger(L, -1) + grown;
    lua_pop(L, 1);
    lua_pushinteger(L, owed);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &owed_key);
}

static int l_decode(lua_State *L) {
    luaL_checkstring(L, 1);
    int records = 0;
    if (lua_type(L, 2) == LUA_TTABLE) {   /* anything else is ignored, as before options existed */
        lua_getfield(L, 2, "lazy");         /* (json.decode(s:gsub(...)) passes gsub's count) */
        records = lua_toboolean(L, -1);
    }
    lua_settop(L, 1);
    int running = lua_gc(L, LUA_GCISRUNNING);
    if (running) pay_owed(L);
    int before = lua_gc(L, LUA_GCCOUNT);
    if (running) lua_gc(L, LUA_GCSTOP);
    lua_pushcfunction(L, decode_string_k);
    lua_pushvalue(L, 1);
    lua_pushinteger(L, before);
    lua_pushboolean(L, records);
    int st = lua_pcall(L, 3, 1, 0);
    if (running) lua_gc(L, LUA_GCRESTART);
    if (st != LUA_OK) return lua_error(L);
    return 1;
}

static int decode_bytes_k(lua_State *L) {
    const char *p = (const char *)lua_touserdata(L, 1);
    size_t len = (size_t)lua_tointeger(L, 2);
    int before = (int)lua_tointeger(L, 3);
    int records = lua_toboolean(L, 4);
    lua_settop(L, 0);
    decode_buffer(L, p, len, records);
    record_owed(L, before);
    return 1;
}

/* pcxl_json_decode_protected: [] -> [v|err]. VM thread. */
int pcxl_json_decode_protected(lua_State *L, const char *p, size_t len, int records) {
    int running = lua_gc(L, LUA_GCISRUNNING);
    if (running) pay_owed(L);
    int before = lua_gc(L, LUA_GCCOUNT);
    if (running) lua_gc(L, LUA_GCSTOP);
    lua_pushcfunction(L, decode_bytes_k);
    lua_pushlightuserdata(L, (void *)p);
    lua_pushinteger(L, (lua_Integer)len);
    lua_pushinteger(L, before);
    lua_pushboolean(L, records);
    int st = lua_pcall(L, 4, 1, 0);
    if (running) lua_gc(L, LUA_GCRESTART);
    return st;
}

/* pcxl_push_null: [] -> [json.null]. VM thread. */
void pcxl_push_null(lua_State *L) { lua_pushlightuserdata(L, NULL); }


/* ---- records: objects decoded on first use ------------------------------------------------------
 *
 * json.decode(s, {lazy = true}) (and a page of line items, which the host decodes so) makes each
 * object inside an array a record: a userdata holding a copy of the object's bytes and an index of
 * where each key and value start (made by the one pass that finds the object's end: its keys are
 * read, its values skipped). A read finds its key in the index and decodes only that value. A script that reads three of forty fields
 * builds three Lua values instead of forty. A record is self-contained (it does not keep its page
 * alive). Writing a field, pairs(), # and json.materialize() decode the whole object once into a
 * plain table (user value 1), which the record then forwards to; so does json.encode. A key
 * repeated inside one object reads as its last value, as json.decode keeps it.
 */

/* A record: the object's bytes, then (4-aligned) an index of its fields, `nfields` entries, or
   none (nfields = -1) when it has more than INDEX_MAX fields or a key over 65,535 bytes. */
typedef struct { size_t len; int32_t nfields; unsigned char bytes[1]; } jrec;
#define INDEX_MAX 256
typedef struct { uint32_t ko, vo; uint16_t kl; uint8_t esc; } jfield;

static inline size_t rec_round4(size_t n) { return (n + 3) & ~(size_t)3; }
static inline const jfield *rec_fields(const jrec *r) {
    return (const jfield *)(const void *)(r->bytes + rec_round4(r->len));
}

/* skip_string_esc: p just after an opening quote; returns just past the closing quote, or NULL.
   *escaped is set when the string holds an escape. */
static const unsigned char *skip_string_esc(const unsigned char *p, const unsigned char *end, int *escaped) {
    for (;;) {
        while (end - p >= 8) {
            uint64_t v;
            memcpy(&v, p, 8);
            if (HASZERO(v ^ 0x2222222222222222ull) | HASZERO(v ^ 0x5C5C5C5C5C5C5C5Cull)) break;
            p += 8;
        }
        while (p < end && *p != '"' && *p != '\\') p++;
        if (p >= end) return NULL;
        if (*p == '"') return p + 1;
        *escaped = 1;
        p += 2;   /* an escape: the next byte is never the closing quote */
        if (p > end) return NULL;
    }
}

static inline const unsigned char *skip_string_at(const unsigned char *p, const unsigned char *end) {
    int escaped = 0;
    return skip_string_esc(p, end, &escaped);
}

/* skip_container_at: p at '{' or '['; returns just past its matching closer, or NULL when the
   brackets do not balance before `end`. */
static const unsigned char *skip_container_at(const unsigned char *p, const unsigned char *end) {
    int depth = 0;
    while (p < end) {
        unsigned char c = *p++;
        if (c == '"') { p = skip_string_at(p, end); if (!p) return NULL; }
        else if (c == '{' || c == '[') depth++;
        else if (c == '}' || c == ']') { if (--depth == 0) return p; if (depth < 0) return NULL; }
    }
    return NULL;
}

/* scan_value_end: the end of the value at p (a string, container or scalar; not validated beyond
   that), or NULL when the input ends first. */
static const unsigned char *scan_value_end(const unsigned char *p, const unsigned char *end) {
    unsigned char c = *p;
    if (c == '"') return skip_string_at(p + 1, end);
    if (c == '{' || c == '[') return skip_container_at(p, end);
    while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') p++;
    return p;
}

/* push_record: d->p at '{' of an array element. Reads the object's keys (values are skipped, not
   decoded) to find its end and index its fields, then copies its bytes and the index into a new
   record. Not inlined: its index buffer must not sit in every frame of the recursive decoder.
   [] -> [record]. */
__attribute__((noinline)) static void push_record(jdec *d) {
    jfield fields[INDEX_MAX];
    int32_t n = 0;
    const unsigned char *s = d->p, *end = d->end;
    d->p++;
    skip_ws(d);
    if (d->p < end && *d->p != '}') {
        for (;;) {
            if (d->p >= end || *d->p != '"') jerr(d, "expected a string key");
            int esc = 0;
            const unsigned char *k = d->p + 1, *q = skip_string_esc(k, end, &esc);
            if (!q) jerr(d, "unterminated string");
            size_t kn = (size_t)(q - 1 - k);
            d->p = q;
            skip_ws(d);
            if (d->p >= end || *d->p != ':') jerr(d, "expected ':' after key");
            d->p++;
            skip_ws(d);
            if (d->p >= end) jerr(d, "unexpected end of input");
            const unsigned char *v = d->p, *ve = scan_value_end(v, end);
            if (!ve) jerr(d, "unbalanced value (the input ended inside it)");
            if (n >= 0 && (n == INDEX_MAX || kn > UINT16_MAX || (size_t)(ve - s) > UINT32_MAX)) n = -1;
            if (n >= 0) {
                fields[n].ko = (uint32_t)(k - s);
                fields[n].vo = (uint32_t)(v - s);
                fields[n].kl = (uint16_t)kn;
                fields[n].esc = (uint8_t)esc;
                n++;
            }
            d->p = ve;
            skip_ws(d);
            if (d->p >= end) jerr(d, "expected ',' or '}' but the input ended");
            if (*d->p == ',') { d->p++; skip_ws(d); continue; }
            if (*d->p == '}') break;
            jerr(d, "expected ',' or '}'");
        }
    } else if (d->p >= end) {
        jerr(d, "expected a string key");
    }
    d->p++;   /* past '}' */
    size_t len = (size_t)(d->p - s);
    size_t index_bytes = n > 0 ? (size_t)n * sizeof(jfield) : 0;
    jrec *r = (jrec *)lua_newuserdatauv(d->L, offsetof(jrec, bytes) + rec_round4(len) + index_bytes, 1);
    r->len = len;
    r->nfields = n;
    memcpy(r->bytes, s, len);
    if (index_bytes) memcpy((void *)rec_fields(r), fields, index_bytes);
    lua_pushvalue(d->L, d->recmt);
    lua_setmetatable(d->L, -2);
}

/* rec_error: a record's bytes are not a well-formed object (found when an index-less record is
   read). */
static int rec_error(lua_State *L, const jrec *r, const unsigned char *at) {
    return luaL_error(L, "json: malformed record (a decoded object): bad JSON at byte %I of its %I",
                      (lua_Integer)(at - r->bytes + 1), (lua_Integer)r->len);
}

static inline const unsigned char *rec_ws(const unsigned char *p, const unsigned char *end) {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
    return p;
}

/* unescape_key: the JSON string body [s, s+n) with its escapes resolved into d (capacity >= n:
   an escape never grows). Returns the length, or -1 for a bad escape. */
static long unescape_key(const unsigned char *s, size_t n, unsigned char *d) {
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] != '\\') { d[o++] = s[i++]; continue; }
        if (i + 1 >= n) return -1;
        unsigned char e = s[i + 1];
        const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
        const char *hit = e ? strchr(from, e) : NULL;
        if (hit) { d[o++] = (unsigned char)to[hit - from]; i += 2; continue; }
        if (e != 'u' || i + 6 > n) return -1;
        int h[4];
        for (int k = 0; k < 4; k++) if ((h[k] = hexval(s[i + 2 + k])) < 0) return -1;
        unsigned cp = (unsigned)(h[0] << 12 | h[1] << 8 | h[2] << 4 | h[3]);
        i += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= n && s[i] == '\\' && s[i + 1] == 'u') {
            int l[4], ok = 1;
            for (int k = 0; k < 4; k++) if ((l[k] = hexval(s[i + 2 + k])) < 0) ok = 0;
            unsigned lo = ok ? (unsigned)(l[0] << 12 | l[1] << 8 | l[2] << 4 | l[3]) : 0;
            if (lo >= 0xDC00 && lo <= 0xDFFF) { cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00); i += 6; }
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
        o += put_utf8(d + o, cp);
    }
    return (long)o;
}

/* key_equals: whether the JSON key body [k, k+kn) (escapes unresolved) spells `want`. */
static int key_equals(const unsigned char *k, size_t kn, int escaped, const char *want, size_t wn) {
    if (!escaped) return kn == wn && memcmp(k, want, wn) == 0;
    if (kn > 1024) return 0;
    unsigned char buf[1024];
    long m = unescape_key(k, kn, buf);
    return m >= 0 && (size_t)m == wn && memcmp(buf, want, wn) == 0;
}

/* One field of a record as found by rec_step: the key's body (escapes unresolved) and where the
   value starts. */
typedef struct { const unsigned char *k, *v; size_t kn; int esc; } jfieldpos;

/* rec_first: where the record's first field starts, or NULL for {}. */
static const unsigned char *rec_first(const jrec *r) {
    const unsigned char *end = r->bytes + r->len - 1, *p = rec_ws(r->bytes + 1, end);
    return p < end ? p : NULL;
}

/* rec_step: reads the field starting at p into *f; returns where the next field starts, or NULL
   after the last. Raises when the bytes are not a well-formed object. */
static const unsigned char *rec_step(lua_State *L, const jrec *r, const unsigned char *p, jfieldpos *f) {
    const unsigned char *end = r->bytes + r->len - 1;   /* the closing brace */
    if (p >= end || *p != '"') rec_error(L, r, p);
    f->esc = 0;
    f->k = p + 1;
    const unsigned char *q = skip_string_esc(f->k, end, &f->esc);
    if (!q) rec_error(L, r, p);
    f->kn = (size_t)(q - 1 - f->k);
    p = rec_ws(q, end);
    if (p >= end || *p != ':') rec_error(L, r, p);
    p = rec_ws(p + 1, end);
    if (p >= end) rec_error(L, r, p);
    f->v = p;
    unsigned char c = *p;
    if (c == '"') p = skip_string_at(p + 1, end);
    else if (c == '{' || c == '[') p = skip_container_at(p, end);
    else while (p < end && *p != ',' && *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') p++;
    if (!p) rec_error(L, r, end);
    p = rec_ws(p, end);
    if (p >= end) return NULL;
    if (*p != ',') rec_error(L, r, p);
    return rec_ws(p + 1, end);
}

/* rec_find: the start of the value of key `want` in the record, or NULL when it has none. The
   whole object is scanned: a key given twice reads as its last value, as json.decode keeps it. */
static const unsigned char *rec_find(lua_State *L, const jrec *r, const char *want, size_t wn) {
    const unsigned char *found = NULL;
    jfieldpos f;
    for (const unsigned char *p = rec_first(r); p;) {
        p = rec_step(L, r, p, &f);
        if (key_equals(f.k, f.kn, f.esc, want, wn)) found = f.v;
    }
    return found;
}

/* index_find: the value of key `want` through the record's index (the last of repeated keys), or
   NULL. The record must have an index (nfields >= 0). */
static const unsigned char *index_find(const jrec *r, const char *want, size_t wn) {
    const jfield *f = rec_fields(r);
    for (int32_t i = r->nfields; i-- > 0;) {
        const jfield *e = &f[i];
        if (e->esc ? key_equals(r->bytes + e->ko, e->kl, 1, want, wn)
                   : (e->kl == wn && memcmp(r->bytes + e->ko, want, wn) == 0)) return r->bytes + e->vo;
    }
    return NULL;
}

/* rec_value_k: decodes one value of a record (protected by the caller's Lua call). Upvalue-free:
   [record, offset] -> [v]. */
static void rec_push_value(lua_State *L, const jrec *r, const unsigned char *v, const char *field) {
    jdec d;
    d.L = L;
    d.start = r->bytes;
    d.p = v;
    d.end = r->bytes + r->len;
    d.depth = 0;
    d.sbuf = NULL;
    d.scap = 0;
    d.records = 0;
    d.kcache = 0;
    d.nocache = 1;
    d.field = field;
    unsigned char c = *v;
    if (c == '{' || c == '[') {   /* a nested container: the full decoder on just its bytes */
        const unsigned char *e = skip_container_at(v, d.end);
        if (!e) rec_error(L, r, v);
        decode_buffer(L, (const char *)v, (size_t)(e - v), 0);
        return;
    }
    luaL_checkstack(L, 4, "json record");
    lua_pushnil(L);
    d.scratch = lua_gettop(L);
    parse_value(&d);
    lua_remove(L, d.scratch);
}

/* rec_table: pushes the record's plain table, decoding it the first time. [] -> [t]. */
static void rec_table(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    if (lua_getiuservalue(L, idx, 1) == LUA_TTABLE) return;
    lua_pop(L, 1);
    const jrec *r = (const jrec *)lua_touserdata(L, idx);
    int before = lua_gc(L, LUA_GCCOUNT);
    decode_buffer(L, (const char *)r->bytes, r->len, 0);
    record_owed(L, before);
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, idx, 1);
}

static int rec_index(lua_State *L) {
    if (lua_getiuservalue(L, 1, 1) == LUA_TTABLE) {
        lua_pushvalue(L, 2);
        lua_rawget(L, -2);
        return 1;
    }
    if (lua_type(L, 2) != LUA_TSTRING) { lua_pushnil(L); return 1; }
    const jrec *r = (const jrec *)lua_touserdata(L, 1);
    size_t wn;
    const char *want = lua_tolstring(L, 2, &wn);
    const unsigned char *v = r->nfields >= 0 ? index_find(r, want, wn) : rec_find(L, r, want, wn);
    if (!v) { lua_pushnil(L); return 1; }
    rec_push_value(L, r, v, want);
    return 1;
}

static int rec_newindex(lua_State *L) {
    rec_table(L, 1);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, 3);
    lua_rawset(L, -3);
    return 0;
}

static int rec_next(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    if (lua_next(L, 1)) return 2;
    lua_pushnil(L);
    return 1;
}

static int rec_pairs(lua_State *L) {
    lua_pushcfunction(L, rec_next);
    rec_table(L, 1);
    lua_pushnil(L);
    return 3;
}

static int rec_len(lua_State *L) {
    rec_table(L, 1);
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
    return 1;
}

static int rec_tostring(lua_State *L) {
    lua_pushfstring(L, "json.record: %p", lua_touserdata(L, 1));
    return 1;
}

/* is_record: whether the value at idx is a record. [] -> []. */
static int is_record(lua_State *L, int idx) {
    if (lua_type(L, idx) != LUA_TUSERDATA || !lua_getmetatable(L, idx)) return 0;
    luaL_getmetatable(L, RECORD_MT);
    int r = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return r;
}

/* json.materialize(v): a record's plain table (decoded once; the record forwards to it from then
   on); any other value as it is. */
static int l_materialize(lua_State *L) {
    luaL_checkany(L, 1);
    if (is_record(L, 1)) rec_table(L, 1); else lua_settop(L, 1);
    return 1;
}

/* pcxl_json_push_record_table: for the host's conversion of Lua values: when the value at idx is
   a record, pushes its plain table (decoding it under pcall) and returns 1; returns 0 (nothing
   pushed) for any other value, and -1 (nothing pushed) when the record is not well-formed JSON. */
int pcxl_json_push_record_table(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    if (!lua_checkstack(L, 4) || !is_record(L, idx)) return 0;
    lua_pushcfunction(L, l_materialize);
    lua_pushvalue(L, idx);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) { lua_pop(L, 1); return -1; }
    return 1;
}

static int l_is_record(lua_State *L) {
    lua_pushboolean(L, is_record(L, 1));
    return 1;
}

/* push_record_mt: the records' metatable, created on first use. [] -> [mt]. */
static void push_record_mt(lua_State *L) {
    if (luaL_newmetatable(L, RECORD_MT)) {
        static const luaL_Reg mm[] = {
            {"__index", rec_index}, {"__newindex", rec_newindex}, {"__pairs", rec_pairs},
            {"__len", rec_len}, {"__tostring", rec_tostring}, {NULL, NULL} };
        luaL_setfuncs(L, mm, 0);
        lua_pushboolean(L, 0);   /* hidden: scripts cannot replace the metamethods */
        lua_setfield(L, -2, "__metatable");
    }
}

/* ---- encoder --------------------------------------------------------------------------------- */

typedef struct {
    char *b;
    size_t n, cap;
    lua_Alloc alloc;
    void *ud;
} jbuf;

static int jbuf_gc(lua_State *L) {
    jbuf *j = (jbuf *)lua_touserdata(L, 1);
    if (j->b) { j->alloc(j->ud, j->b, j->cap, 0); j->b = NULL; j->cap = j->n = 0; }
    return 0;
}

typedef struct {
    lua_State *L;
    jbuf *buf;
    int sort_keys;
    const char *indent;   /* NULL = compact */
    size_t indent_len;
    int objmt, arrmt;     /* stack indexes of the marker metatables */
} jenc;

static void jb_reserve(jenc *e, size_t extra) {
    jbuf *j = e->buf;
    if (j->n + extra <= j->cap) return;
    size_t cap = j->cap ? j->cap : 256;
    while (cap < j->n + extra) cap *= 2;
    char *nb = (char *)j->alloc(j->ud, j->b, j->cap, cap);
    if (!nb) luaL_error(e->L, "json.encode: not enough memory");
    j->b = nb;
    j->cap = cap;
}

static inline void jb_add(jenc *e, const char *s, size_t n) {
    jb_reserve(e, n);
    memcpy(e->buf->b + e->buf->n, s, n);
    e->buf->n += n;
}

static inline void jb_char(jenc *e, char c) {
    jb_reserve(e, 1);
    e->buf->b[e->buf->n++] = c;
}

static void jb_newline(jenc *e, int depth) {
    if (!e->indent) return;
    jb_char(e, '\n');
    for (int i = 0; i < depth; i++) jb_add(e, e->indent, e->indent_len);
}

/* utf8_len: length of the valid UTF-8 sequence at s (0 if invalid). */
static size_t utf8_len(const unsigned char *s, size_t avail) {
    unsigned c = s[0];
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0;
    if (c < 0xE0) return (avail >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
    if (c < 0xF0) {
        if (avail < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0;           /* overlong */
        if (c == 0xED && s[1] >= 0xA0) return 0;          /* surrogate */
        return 3;
    }
    if (c < 0xF5) {
        if (avail < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80) return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0;           /* overlong */
        if (c == 0xF4 && s[1] >= 0x90) return 0;          /* > U+10FFFF */
        return 4;
    }
    return 0;
}

static void encode_string(jenc *e, const char *str, size_t len) {
    const unsigned char *s = (const unsigned char *)str;
    jb_reserve(e, len + 2);
    jb_char(e, '"');
    size_t i = 0, run = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) { i++; continue; }
        if (c >= 0x80) {
            size_t l = utf8_len(s + i, len - i);
            if (!l) luaL_error(e->L, "json.encode: invalid UTF-8 in string at byte %I", (lua_Integer)(i + 1));
            i += l;
            continue;
        }
        jb_add(e, (const char *)s + run, i - run);
        char esc[8];
        switch (c) {
        case '"': jb_add(e, "\\\"", 2); break;
        case '\\': jb_add(e, "\\\\", 2); break;
        case '\n': jb_add(e, "\\n", 2); break;
        case '\r': jb_add(e, "\\r", 2); break;
        case '\t': jb_add(e, "\\t", 2); break;
        case '\b': jb_add(e, "\\b", 2); break;
        case '\f': jb_add(e, "\\f", 2); break;
        default: snprintf(esc, sizeof esc, "\\u%04x", c); jb_add(e, esc, 6); break;
        }
        i++;
        run = i;
    }
    jb_add(e, (const char *)s + run, len - run);
    jb_char(e, '"');
}

static void encode_number(jenc *e, int idx) {
    char tmp[64];
    int n;
    if (lua_isinteger(e->L, idx)) {
        n = snprintf(tmp, sizeof tmp, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(e->L, idx));
        jb_add(e, tmp, (size_t)n);
        return;
    }
    double v = lua_tonumber(e->L, idx);
    if (isnan(v) || isinf(v)) luaL_error(e->L, "json.encode: cannot encode NaN or infinity");
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v) break;
    }
    char point = localeconv()->decimal_point[0];
    int integral = 1;
    for (int i = 0; i < n; i++) {
        if (tmp[i] == point) tmp[i] = '.';
        if (tmp[i] == '.' || tmp[i] == 'e') integral = 0;
    }
    jb_add(e, tmp, (size_t)n);
    if (integral) jb_add(e, ".0", 2);   /* keep floats floats across a round trip */
}

static void encode_value(jenc *e, int idx, int depth);

static void encode_key(jenc *e, int kidx) {
    lua_State *L = e->L;
    int t = lua_type(L, kidx);
    if (t == LUA_TSTRING) {
        size_t kl;
        const char *k = lua_tolstring(L, kidx, &kl);
        encode_string(e, k, kl);
    } else if (t == LUA_TNUMBER) {
        jb_char(e, '"');
        if (lua_isinteger(L, kidx)) {
            char tmp[32];
            int n = snprintf(tmp, sizeof tmp, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, kidx));
            jb_add(e, tmp, (size_t)n);
        } else {
            char tmp[64];
            int n = snprintf(tmp, sizeof tmp, "%.17g", lua_tonumber(L, kidx));
            jb_add(e, tmp, (size_t)n);
        }
        jb_char(e, '"');
    } else {
        luaL_error(L, "json.encode: object keys must be strings or numbers, got a %s key", luaL_typename(L, kidx));
    }
}

typedef struct { const char *s; size_t len; int idx; } skey;

static int skey_cmp(const void *a, const void *b) {
    const skey *x = (const skey *)a, *y = (const skey *)b;
    size_t m = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->s, y->s, m);
    if (r) return r;
    return x->len < y->len ? -1 : x->len > y->len;
}

/* table_shape: whether the table at idx encodes as an array (a json.array(), an empty table
   not marked json.object(), or a sequence 1..n with no other key); *count gets its number of
   keys. [] -> []. VM thread. */
static int table_shape(jenc *e, int idx, lua_Integer n, lua_Integer *count) {
    lua_State *L = e->L;
    int marker = 0; /* 1 object, 2 array */
    if (lua_getmetatable(L, idx)) {
        if (lua_rawequal(L, -1, e->objmt)) marker = 1;
        else if (lua_rawequal(L, -1, e->arrmt)) marker = 2;
        lua_pop(L, 1);
    }
    *count = 0;
    if (marker == 2) return 1;
    int only_seq = 1;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        (*count)++;
        if (only_seq) {
            if (!lua_isinteger(L, -2)) only_seq = 0;
            else { lua_Integer k = lua_tointeger(L, -2); if (k < 1 || k > n) only_seq = 0; }
        }
        lua_pop(L, 1);
    }
    if (*count == 0) return marker != 1;
    return only_seq && *count == n;
}

/* encode_array: the sequence 1..n of the table at idx as a JSON array. [] -> []. VM thread. */
static void encode_array(jenc *e, int idx, lua_Integer n, int depth) {
    lua_State *L = e->L;
    if (n == 0) { jb_add(e, "[]", 2); return; }
    jb_char(e, '[');
    for (lua_Integer i = 1; i <= n; i++) {
        if (i > 1) jb_char(e, ',');
        jb_newline(e, depth + 1);
        lua_rawgeti(L, idx, i);
        encode_value(e, lua_gettop(L), depth + 1);
        lua_pop(L, 1);
    }
    jb_newline(e, depth);
    jb_char(e, ']');
}

/* sorted_keys: pushes a table of the object's keys ([1..count]; number keys' text at
   [count+1..2*count]) and fills arr (pointers into it) sorted by text. [] -> [keys]. VM thread. */
static void sorted_keys(jenc *e, int idx, lua_Integer count, skey *arr) {
    lua_State *L = e->L;
    lua_createtable(L, (int)count, 0);
    int keys = lua_gettop(L);
    lua_Integer k = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        int t = lua_type(L, -1);
        if (t != LUA_TSTRING && t != LUA_TNUMBER)
            luaL_error(L, "json.encode: object keys must be strings or numbers, got a %s key", luaL_typename(L, -1));
        k++;
        lua_pushvalue(L, -1);
        lua_rawseti(L, keys, k);
    }
    for (lua_Integer i = 1; i <= count; i++) {
        lua_rawgeti(L, keys, i);
        int number = lua_type(L, -1) == LUA_TNUMBER;
        if (number) {
            /* sort numbers by their text: convert a copy, kept in the keys table */
            lua_pushvalue(L, -1);
            (void)lua_tolstring(L, -1, NULL);
            lua_rawseti(L, keys, count + i);
        }
        lua_pop(L, 1);
        lua_rawgeti(L, keys, number ? count + i : i);
        arr[i - 1].s = lua_tolstring(L, -1, &arr[i - 1].len);
        arr[i - 1].idx = (int)i;
        lua_pop(L, 1);   /* still referenced by the keys table */
    }
    qsort(arr, (size_t)count, sizeof(skey), skey_cmp);
}

/* encode_object: the table at idx as a JSON object (keys sorted when asked). [] -> []. VM thread. */
static void encode_object(jenc *e, int idx, lua_Integer count, int depth) {
    lua_State *L = e->L;
    if (count == 0) { jb_add(e, "{}", 2); return; }
    jb_char(e, '{');
    const char *colon = e->indent ? ": " : ":";
    size_t colon_len = e->indent ? 2 : 1;
    if (e->sort_keys) {
        skey *arr = (skey *)lua_newuserdatauv(L, sizeof(skey) * (size_t)count, 0);
        int top = lua_gettop(L);
        sorted_keys(e, idx, count, arr);
        int keys = lua_gettop(L);
        for (lua_Integer i = 0; i < count; i++) {
            if (i > 0) jb_char(e, ',');
            jb_newline(e, depth + 1);
            lua_rawgeti(L, keys, arr[i].idx);
            encode_key(e, lua_gettop(L));
            jb_add(e, colon, colon_len);
            lua_rawget(L, idx);
            encode_value(e, lua_gettop(L), depth + 1);
            lua_pop(L, 1);
        }
        lua_settop(L, top - 1);
    } else {
        lua_Integer i = 0;
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            if (i++ > 0) jb_char(e, ',');
            jb_newline(e, depth + 1);
            encode_key(e, lua_gettop(L) - 1);
            jb_add(e, colon, colon_len);
            encode_value(e, lua_gettop(L), depth + 1);
            lua_pop(L, 1);
        }
    }
    jb_newline(e, depth);
    jb_char(e, '}');
}

/* encode_table: the table at idx as a JSON array or object. [] -> []. VM thread. */
static void encode_table(jenc *e, int idx, int depth) {
    lua_State *L = e->L;
    if (depth >= PCXL_JSON_MAX_DEPTH)
        luaL_error(L, "json.encode: nesting deeper than 1000 levels (is there a cycle?)");
    if (!lua_checkstack(L, 8)) luaL_error(L, "json.encode: out of Lua stack space");
    lua_Integer n = (lua_Integer)lua_rawlen(L, idx), count;
    if (table_shape(e, idx, n, &count)) encode_array(e, idx, n, depth);
    else encode_object(e, idx, count, depth);
}

/* encode_record: a record as its table (decoded once): the same output as the object decoded
   eagerly, and a value that is not valid JSON fails here rather than being copied out. [] -> []. */
static void encode_record(jenc *e, int idx, int depth) {
    lua_State *L = e->L;
    if (!lua_checkstack(L, 4)) luaL_error(L, "json.encode: out of Lua stack space");
    rec_table(L, idx);
    encode_table(e, lua_gettop(L), depth);
    lua_pop(L, 1);
}

static void encode_value(jenc *e, int idx, int depth) {
    lua_State *L = e->L;
    switch (lua_type(L, idx)) {
    case LUA_TNIL: jb_add(e, "null", 4); return;
    case LUA_TBOOLEAN:
        if (lua_toboolean(L, idx)) jb_add(e, "true", 4); else jb_add(e, "false", 5);
        return;
    case LUA_TNUMBER: encode_number(e, idx); return;
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        encode_string(e, s, len);
        return;
    }
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) == NULL) { jb_add(e, "null", 4); return; }
        break;
    case LUA_TTABLE: encode_table(e, idx, depth); return;
    case LUA_TUSERDATA:
        if (is_record(L, idx)) { encode_record(e, idx, depth); return; }
        break;
    default: break;
    }
    luaL_error(L, "json.encode: cannot encode a %s value", luaL_typename(L, idx));
}

static int l_encode(lua_State *L) {
    luaL_checkany(L, 1);
    lua_settop(L, 2);
    jenc e;
    e.L = L;
    e.sort_keys = 0;
    e.indent = NULL;
    e.indent_len = 0;
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_getfield(L, 2, "sort_keys");
        e.sort_keys = lua_toboolean(L, -1);
        lua_pop(L, 1);
        lua_getfield(L, 2, "indent");
        if (lua_type(L, -1) == LUA_TSTRING) {
            e.indent = lua_tolstring(L, -1, &e.indent_len);   /* kept alive at slot 3 */
        } else if (lua_isinteger(L, -1)) {
            lua_Integer k = lua_tointeger(L, -1);
            if (k < 0 || k > 16) luaL_error(L, "json.encode: indent must be 0..16");
            lua_pop(L, 1);
            lua_pushlstring(L, "                ", (size_t)k);
            e.indent = lua_tolstring(L, -1, &e.indent_len);
        } else if (lua_toboolean(L, -1)) {
            lua_pop(L, 1);
            lua_pushliteral(L, "  ");
            e.indent = lua_tolstring(L, -1, &e.indent_len);
        }
        if (e.indent && e.sort_keys == 0 && lua_getfield(L, 2, "sort_keys") == LUA_TNIL) {
            e.sort_keys = 1;   /* pretty output sorts keys unless told otherwise */
        }
        if (lua_gettop(L) > 3) lua_pop(L, 1);
    } else if (!lua_isnil(L, 2)) {
        luaL_error(L, "json.encode: options must be a table like {indent = true, sort_keys = true}");
    }
    lua_settop(L, 3);
    luaL_newmetatable(L, OBJECT_MT);
    e.objmt = lua_gettop(L);
    luaL_newmetatable(L, ARRAY_MT);
    e.arrmt = lua_gettop(L);
    jbuf *j = (jbuf *)lua_newuserdatauv(L, sizeof(jbuf), 0);
    memset(j, 0, sizeof *j);
    j->alloc = lua_getallocf(L, &j->ud);
    luaL_setmetatable(L, "pcxl.jbuf");
    e.buf = j;
    encode_value(&e, 1, 0);
    lua_pushlstring(L, j->b ? j->b : "", j->n);
    j->alloc(j->ud, j->b, j->cap, 0);
    j->b = NULL; j->cap = j->n = 0;
    return 1;
}

static int set_marker(lua_State *L, const char *mt) {
    if (lua_isnoneornil(L, 1)) { lua_settop(L, 0); lua_newtable(L); }
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    luaL_getmetatable(L, mt);
    pcxl_setmetatable(L, 1);
    return 1;
}

static int l_object(lua_State *L) { return set_marker(L, OBJECT_MT); }
static int l_array(lua_State *L) { return set_marker(L, ARRAY_MT); }

static int l_is_null(lua_State *L) {
    lua_pushboolean(L, lua_type(L, 1) == LUA_TLIGHTUSERDATA && lua_touserdata(L, 1) == NULL);
    return 1;
}

static int l_is_object(lua_State *L) {
    int r = is_record(L, 1);
    if (r) { lua_pushboolean(L, 1); return 1; }
    if (lua_type(L, 1) == LUA_TTABLE && lua_getmetatable(L, 1)) {
        luaL_newmetatable(L, OBJECT_MT);
        r = lua_rawequal(L, -1, -2);
    }
    lua_pushboolean(L, r);
    return 1;
}

/* pcxl_open_json: [] -> [json]. VM thread, inside Lua (protected). */
int pcxl_open_json(lua_State *L) {
    luaL_newmetatable(L, OBJECT_MT);
    lua_pop(L, 1);
    push_record_mt(L);
    lua_pop(L, 1);
    luaL_newmetatable(L, ARRAY_MT);
    lua_pop(L, 1);
    if (luaL_newmetatable(L, "pcxl.jbuf")) {
        lua_pushcfunction(L, jbuf_gc);
        lua_setfield(L, -2, "__gc");
        lua_pushboolean(L, 0);   /* hidden: no script may plant a Lua __gc here */
        lua_setfield(L, -2, "__metatable");
    }
    lua_pop(L, 1);
    static const luaL_Reg fns[] = {
        {"decode", l_decode}, {"encode", l_encode}, {"object", l_object}, {"array", l_array},
        {"is_null", l_is_null}, {"is_object", l_is_object}, {"materialize", l_materialize},
        {"is_record", l_is_record}, {NULL, NULL} };
    luaL_newlib(L, fns);
    lua_pushlightuserdata(L, NULL);
    lua_setfield(L, -2, "null");
    return 1;
}
