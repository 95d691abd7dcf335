/* Where guest console output goes: stdout (unless quiet) and a file, in
 * large writes rather than a syscall per byte.  It also watches the lines
 * for the kernel's crash messages (panic, oops, BUG). */
#ifndef VMM_CONSOLE_H
#define VMM_CONSOLE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct console;
/* A file the console file must not be: an input of the boot (kernel, initrd). */
struct console_input {
    dev_t dev;
    ino_t ino;
    const char *name;
};
/* file may be NULL.  An existing file is opened without truncation, refused
 * if it is one of inputs[0..ninputs), and only then emptied (regular files).
 * Returns NULL with a one-line reason in err. */
struct console *console_open(const char *file, bool to_stdout, const struct console_input *inputs,
                             int ninputs, char *err, size_t errlen);
/* Keep at most `bytes` of output (0: no limit, the default).  Bytes past the
 * limit reach neither stdout nor the file, but are still watched for crash
 * lines; the first one dropped gives one line on stderr. */
void console_set_limit(struct console *c, uint64_t bytes);
void console_write(struct console *c, const uint8_t *buf, size_t n);   /* thread-safe */
void console_flush(struct console *c);
/* The first crash line seen ("Kernel panic - not syncing: ..."), or NULL. */
const char *console_crash(struct console *c);
void console_close(struct console *c);                 /* flushes */
/* True if `line` is a kernel crash message (pure; used by console_write). */
bool console_is_crash_line(const char *line);
#endif
