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

#endif
