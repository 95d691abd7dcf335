/* The --kernel file, read a part at a time, never held whole on the heap.
 *
 * The file is opened once (a regular file only, its size checked before a
 * byte is read).  Its bytes are addressed through `map`: size bytes of
 * anonymous address space, inaccessible (PROT_NONE) except the parts read
 * with kimage_need, so the parsers (boot/bzimage.h, boot/vmlinux.h) check
 * every field against the file's real length as before, while only the
 * header pages take memory; touching a part that was not read is a crash,
 * never a silent zero.  The file itself is never mapped: a file truncated
 * under a mapping would kill the VMM with SIGBUS.  The protected-mode part
 * of a bzImage and the segments of an ELF vmlinux go straight from the file
 * into guest memory (kimage_pread), the cache key is hashed streaming.
 * kimage_check tells whether the file changed since it was opened. */
#ifndef CLI_KIMAGE_H
#define CLI_KIMAGE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define KIMAGE_MAX_SIZE (256 << 20)

struct kimage {
    const char *path;
    int fd;
    struct stat st;            /* the file as opened */
    struct stat cur;           /* what fd is: st, or the snapshot's */
    size_t len;                /* the file's size */
    uint8_t *map;              /* len bytes (rounded up to pages) of address space */
    size_t maplen;
    bool sealed;               /* fd is the sealed snapshot: its bytes cannot change */
};

/* Opens path.  Returns 0, or the exit status with a one-line reason in err:
 * 125 when the file is too large to be a kernel, 255 when it cannot be read. */
int kimage_open(struct kimage *k, const char *path, char *err, size_t errlen);
/* Makes map[off, off + n) (clipped to the file) readable with the file's
 * bytes.  Returns 0, or -1 with a reason when the file is now shorter. */
int kimage_need(struct kimage *k, uint64_t off, uint64_t n, char *err, size_t errlen);
/* Gives back the memory of the whole pages inside map[off, off + n). */
void kimage_drop(struct kimage *k, uint64_t off, uint64_t n);
/* Reads the file's bytes [off, off + n) to dst.  0, or -1 with a reason. */
int kimage_pread(struct kimage *k, uint64_t off, uint64_t n, void *dst, char *err,
                 size_t errlen);
/* The unpacked-kernel cache's key for the file (cli/kcache.h): the XXH3-128
 * of its bytes, read in chunks.  0, or -1 with a reason. */
#define KIMAGE_KEY_LEN 16
int kimage_key(struct kimage *k, uint8_t out[KIMAGE_KEY_LEN], char *err, size_t errlen);
/* vmlinux_version over the whole file, read in chunks (the first banner). */
void kimage_elf_version(struct kimage *k, char *out, size_t outlen);
/* For `run`: copies the file into an anonymous memory file (memfd) that
 * every later read uses, so that all jobs boot the same bytes even if the
 * file is rewritten meanwhile (it is not the process's memory, and not
 * mapped).  Returns 0 (also when no memfd can be made: the file is then
 * read for each job, and checked), or -1 with a reason when the file
 * changed while being copied. */
int kimage_snapshot(struct kimage *k, char *err, size_t errlen);
/* 0 when the file is still the one opened (or snapshot): same inode,
 * size, modification and change times, and nothing after its end; else -1
 * with a reason. */
int kimage_check(struct kimage *k, char *err, size_t errlen);
void kimage_close(struct kimage *k);
#endif
