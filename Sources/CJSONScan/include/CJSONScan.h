/* CJSONScan: skipping a JSON container without decoding it, for the Partner Center client's page
 * scanner (PageEnvelope.scan), which only needs the top-level `links` of a page whose `items`
 * array holds megabytes of line items. Knows no Lua and no Partner Center. */
#ifndef PCX_CJSONSCAN_H
#define PCX_CJSONSCAN_H
#include <stddef.h>
#include <stdint.h>

/* pcx_json_skip_container: p[start] is '{' or '['. Returns the index just past the matching
 * closer (strings, escapes and nesting respected), or -1 when the input ends first. Does not
 * validate what it skips beyond bracket balance. */
long pcx_json_skip_container(const uint8_t *p, size_t n, size_t start);

/* One key/value of a flat JSON object: offsets into the input. kind: 's' string (the value
 * without its quotes; `escaped` when it holds a backslash), 'n' number, 't' true, 'f' false,
 * 'z' null, 'o' a nested object or array (its raw text). */
typedef struct {
    uint32_t key_off, key_len, val_off, val_len;
    uint8_t kind, escaped;
} pcx_flat_field;

/* pcx_json_flat_next: the next object of a JSON array of objects ("[{...},{...}]"), from *pos.
 * Fills up to `max` fields and returns their number (>= 0), advancing *pos past the object;
 * returns -1 at the end of the array and -2 for malformed input. Keys are not unescaped. */
int pcx_json_flat_next(const uint8_t *p, size_t n, size_t *pos, pcx_flat_field *out, int max);

/* pcx_json_unescape: the text of a JSON string body (no quotes) with its escapes resolved, into
 * d (capacity >= len). Returns the length written, or -1 for a bad escape. */
long pcx_json_unescape(const uint8_t *s, size_t len, uint8_t *d);

#endif

/* Sets glibc's mmap threshold to `bytes` (and so turns off its dynamic adjustment): allocations
   of that size or more are mapped from the system and given back when freed. Returns 1 when set,
   0 when the C library has no such setting. (Process memory tuning, kept with pcx's other small
   C helpers.) */
int pcx_set_mmap_threshold(int bytes);
