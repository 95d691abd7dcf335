/* 9P2000.L file server: the protocol and file system side of virtio-9p.
 *
 * The transport hands over one request at a time as guest buffers; this
 * module decodes the T-message (every byte is hostile), performs it on the
 * exported host directory and encodes the R-message (or Rlerror) into the
 * guest's writable buffers.  Every path is resolved beneath directory file
 * descriptors held per fid, so the guest can never reach outside the export.
 * See docs/9p.md. */
#ifndef VIRTIO_9P_H
#define VIRTIO_9P_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct p9_server;

/* root: host directory to export. readonly: refuse every change with EROFS.
   On error returns NULL and writes a one-line reason into err. */
struct p9_server *p9_server_new(const char *root, bool readonly, char *err, size_t errlen);
void p9_server_free(struct p9_server *s);
/* Bounds the bytes the guest can add to the export (docs/9p.md, "Limits"):
 * growth of files by Twrite and Tsetattr, P9_ENTRY_BYTES (4 KiB) for every
 * new name; nothing is given back.  0: no bound (the default).  Call before
 * the first request. */
void p9_server_set_max(struct p9_server *s, uint64_t max_bytes);

/* Handles one request. `in` holds the T-message as the guest wrote it (possibly split across
   several buffers; treat every byte as hostile), `out` the guest's writable buffers for the
   R-message. Returns the number of bytes of the reply written into `out` (always a well-formed
   R-message or Rlerror; 0 only if `out` cannot even hold an Rlerror). Thread-safe: the transport
   may call it from several worker threads at once for different requests. */
size_t p9_handle(struct p9_server *s, const struct iovec *in, int nin, const struct iovec *out, int nout);

/* Is this request (the guest's readable buffers) a Tflush?  The transport
 * orders Rflush after the replies to every earlier request. */
bool p9_is_flush(const struct iovec *in, int nin);

/* The msize the server will accept at most (>= 512 KiB, e.g. 1 MiB). */
#define P9_MAX_MSIZE (1024 * 1024)
#endif
