/* Skips a JSON object or array 64 bytes at a time: bitmasks of quotes and brackets, the bytes
 * inside strings from a prefix XOR of the quote mask, then only the brackets outside strings are
 * visited. A block holding a backslash is walked byte by byte (escapes are rare in pages). */
#include "CJSONScan.h"
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* bit k set where p[k] == c, for the 64 bytes at p */
#if defined(__SSE2__)
static inline uint64_t eq_mask(const __m128i v[4], uint8_t c) {
    __m128i k = _mm_set1_epi8((char)c);
    uint64_t m0 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v[0], k));
    uint64_t m1 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v[1], k));
    uint64_t m2 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v[2], k));
    uint64_t m3 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v[3], k));
    return m0 | (m1 << 16) | (m2 << 32) | (m3 << 48);
}
#endif

static inline uint64_t prefix_xor(uint64_t x) {
    x ^= x << 1; x ^= x << 2; x ^= x << 4;
    x ^= x << 8; x ^= x << 16; x ^= x << 32;
    return x;
}

long pcx_json_skip_container(const uint8_t *p, size_t n, size_t start) {
    size_t i = start;
    long depth = 0;
    int in_string = 0, escaped = 0;
    while (i < n) {
#if defined(__SSE2__)
        if (!escaped && n - i >= 64) {
            __m128i v[4];
            for (int k = 0; k < 4; k++) v[k] = _mm_loadu_si128((const __m128i *)(p + i + 16 * k));
            uint64_t bs = eq_mask(v, '\\');
            if (bs == 0) {
                uint64_t q = eq_mask(v, '"');
                /* 1 for the bytes from an opening quote up to (not including) its closing quote */
                uint64_t inside = prefix_xor(q) ^ (in_string ? ~0ull : 0);
                uint64_t open = (eq_mask(v, '{') | eq_mask(v, '[')) & ~inside;
                uint64_t close = (eq_mask(v, '}') | eq_mask(v, ']')) & ~inside;
                uint64_t brackets = open | close;
                while (brackets) {
                    int b = __builtin_ctzll(brackets);
                    uint64_t bit = 1ull << b;
                    if (open & bit) depth++;
                    else if (--depth == 0) return (long)(i + (size_t)b + 1);
                    brackets &= brackets - 1;
                }
                in_string = (int)(inside >> 63);
                i += 64;
                continue;
            }
        }
#endif
        /* byte by byte: one block (or the tail), then back to blocks once no escape is pending */
        size_t stop = n - i > 64 ? i + 64 : n;
        while (i < stop || escaped) {
            if (i >= n) return -1;
            uint8_t c = p[i++];
            if (escaped) { escaped = 0; continue; }
            if (in_string) {
                if (c == '\\') escaped = 1;
                else if (c == '"') in_string = 0;
                continue;
            }
            if (c == '"') in_string = 1;
            else if (c == '{' || c == '[') depth++;
            else if (c == '}' || c == ']') { if (--depth == 0) return (long)i; }
        }
    }
    return -1;
}
