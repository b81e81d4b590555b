// Debian's zlib1g-dev: gzip for the Graph reconciliation blobs (the client inflates them as the
// bytes arrive; the sandbox deflates the lines it generates).
#include <zlib.h>

// deflateInit2/inflateInit2 are macros; Swift cannot call them.
static inline int pcx_inflate_init_gzip(z_streamp strm) {
    return inflateInit2(strm, 15 + 32);  // gzip or zlib, detected by header
}
static inline int pcx_deflate_init_gzip(z_streamp strm, int level) {
    return deflateInit2(strm, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
