/* Flat JSON objects (the lines of a Graph reconciliation export: one level of keys, scalar
 * values, now and then a nested array or object kept as raw text), tokenised without building
 * anything: offsets of each key and value. The caller maps keys to columns and binds values. */
#include "CJSONScan.h"
#include <string.h>

static size_t skip_ws(const uint8_t *p, size_t n, size_t i) {
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) i++;
    return i;
}

/* i at an opening quote; returns the index of the closing quote (or n); *esc set if a '\\' was seen */
static size_t string_end(const uint8_t *p, size_t n, size_t i, uint8_t *esc) {
    i++;
    while (i < n) {
        const uint8_t *q = memchr(p + i, '"', n - i);
        if (!q) return n;
        size_t j = (size_t)(q - p);
        /* count the backslashes right before the quote */
        size_t k = j;
        while (k > i && p[k - 1] == '\\') k--;
        if (memchr(p + i, '\\', j - i)) *esc = 1;
        if (((j - k) & 1) == 0) return j;
        i = j + 1;
    }
    return n;
}

int pcx_json_flat_next(const uint8_t *p, size_t n, size_t *pos, pcx_flat_field *out, int max) {
    size_t i = skip_ws(p, n, *pos);
    if (i < n && (p[i] == '[' || p[i] == ',')) i = skip_ws(p, n, i + 1);
    if (i >= n || p[i] == ']') { *pos = n; return -1; }
    if (p[i] != '{') return -2;
    i = skip_ws(p, n, i + 1);
    int count = 0;
    if (i < n && p[i] == '}') { *pos = i + 1; return 0; }
    for (;;) {
        if (i >= n || p[i] != '"') return -2;
        uint8_t kesc = 0;
        size_t kend = string_end(p, n, i, &kesc);
        if (kend >= n) return -2;
        pcx_flat_field f;
        f.key_off = (uint32_t)(i + 1);
        f.key_len = (uint32_t)(kend - i - 1);
        i = skip_ws(p, n, kend + 1);
        if (i >= n || p[i] != ':') return -2;
        i = skip_ws(p, n, i + 1);
        if (i >= n) return -2;
        f.escaped = 0;
        uint8_t c = p[i];
        if (c == '"') {
            size_t vend = string_end(p, n, i, &f.escaped);
            if (vend >= n) return -2;
            f.kind = 's'; f.val_off = (uint32_t)(i + 1); f.val_len = (uint32_t)(vend - i - 1);
            i = vend + 1;
        } else if (c == '{' || c == '[') {
            long end = pcx_json_skip_container(p, n, i);
            if (end < 0) return -2;
            f.kind = 'o'; f.val_off = (uint32_t)i; f.val_len = (uint32_t)((size_t)end - i);
            i = (size_t)end;
        } else {
            size_t j = i;
            while (j < n && p[j] != ',' && p[j] != '}' && p[j] != ' ' && p[j] != '\t' && p[j] != '\r' && p[j] != '\n') j++;
            f.kind = c == 't' ? 't' : c == 'f' ? 'f' : c == 'n' ? 'z' : 'n';
            f.val_off = (uint32_t)i; f.val_len = (uint32_t)(j - i);
            i = j;
        }
        if (count < max) out[count] = f;
        count++;
        i = skip_ws(p, n, i);
        if (i < n && p[i] == ',') { i = skip_ws(p, n, i + 1); continue; }
        if (i < n && p[i] == '}') { *pos = i + 1; return count < max ? count : max; }
        return -2;
    }
}

static int hexval(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static size_t put_utf8(uint8_t *d, uint32_t cp) {
    if (cp < 0x80) { d[0] = (uint8_t)cp; return 1; }
    if (cp < 0x800) { d[0] = (uint8_t)(0xC0 | (cp >> 6)); d[1] = (uint8_t)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        d[0] = (uint8_t)(0xE0 | (cp >> 12)); d[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)); d[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (uint8_t)(0xF0 | (cp >> 18)); d[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)); d[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

static long hex4(const uint8_t *s, size_t len, size_t i) {
    if (i + 4 > len) return -1;
    long v = 0;
    for (size_t k = 0; k < 4; k++) { int h = hexval(s[i + k]); if (h < 0) return -1; v = v * 16 + h; }
    return v;
}

long pcx_json_unescape(const uint8_t *s, size_t len, uint8_t *d) {
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = s[i];
        if (c != '\\') { d[o++] = c; continue; }
        if (++i >= len) return -1;
        switch (s[i]) {
        case '"': d[o++] = '"'; break;
        case '\\': d[o++] = '\\'; break;
        case '/': d[o++] = '/'; break;
        case 'b': d[o++] = '\b'; break;
        case 'f': d[o++] = '\f'; break;
        case 'n': d[o++] = '\n'; break;
        case 'r': d[o++] = '\r'; break;
        case 't': d[o++] = '\t'; break;
        case 'u': {
            long cp = hex4(s, len, i + 1);
            if (cp < 0) return -1;
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 < len + 0 && s[i + 1] == '\\' && s[i + 2] == 'u') {
                long lo = hex4(s, len, i + 3);
                if (lo >= 0xDC00 && lo <= 0xDFFF) { cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00); i += 6; }
            }
            o += put_utf8(d + o, (uint32_t)cp);
            break;
        }
        default: return -1;
        }
    }
    return (long)o;
}
