/* The unpacked-kernel cache: a bzImage's payload, unpacked once on the host
 * (boot/payload.h) and kept in CACHE/vmlinux/KEY.elf, KEY being the XXH3-128
 * of the whole bzImage in hex (kcache_key), so
 * that later boots of the same image neither run the kernel's decompressor
 * nor unpack again.
 *
 * Each entry ends with a 32-byte trailer: "minivmm-vmlinux1", the length of
 * the vmlinux (le64) and its XXH3-64 (le64), checked on every use: a corrupt
 * or truncated entry is removed and rebuilt, never booted.  Entries are
 * written to a temporary file and renamed into place, so two minivmm
 * processes racing on one image both succeed and readers never see half an
 * entry.  After each write the least recently used entries are removed
 * until the directory holds at most max_bytes. */
#ifndef CLI_KCACHE_H
#define CLI_KCACHE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "boot/bzimage.h"

#define KCACHE_DEFAULT_MAX (1ULL << 30)   /* MINIVMM_KERNEL_CACHE_MAX overrides */
#define KCACHE_KEY_LEN 16

/* The key of the bzImage img[len]: its XXH3-128, canonical (big-endian). */
void kcache_key(const uint8_t *img, size_t len, uint8_t key[KCACHE_KEY_LEN]);

struct kcache_entry {
    const uint8_t *elf;         /* the vmlinux bytes */
    size_t len;
    bool hit;                   /* taken from the cache (else unpacked now) */
    void *map;                  /* the mapped entry, or NULL */
    size_t maplen;
    uint8_t *heap;              /* the unpacked buffer, or NULL */
};

/* The vmlinux inside the bzImage img[len] (parsed into *bz), from cache_dir
 * or unpacked now.  A cache that cannot be written is not an error: one
 * warning line, and the unpacked bytes are used from memory.  Returns 0, or
 * -1 with a one-line reason in err when the payload cannot be unpacked. */
int kcache_get(const char *cache_dir, const uint8_t *img, size_t len, const struct bz_info *bz,
               uint64_t max_bytes, struct kcache_entry *e, char *err, size_t errlen);
/* The same in two steps, keyed by kcache_key of the bzImage (computed by
 * the caller, e.g. reading the file in chunks: kimage_key): kcache_lookup takes a valid
 * entry (true) or, false, removes a corrupt one (one stderr line);
 * kcache_fill unpacks bz->payload (which must be readable then) and keeps
 * the result, as kcache_get does on a miss. */
bool kcache_lookup(const char *cache_dir, const uint8_t key[KCACHE_KEY_LEN], struct kcache_entry *e);
int kcache_fill(const char *cache_dir, const uint8_t key[KCACHE_KEY_LEN], const struct bz_info *bz,
                uint64_t max_bytes, struct kcache_entry *e, char *err, size_t errlen);
void kcache_release(struct kcache_entry *e);
#endif
