/* Where guest console output goes: stdout (unless quiet) and a file, in
 * large writes rather than a syscall per byte.  It also watches the lines
 * for the kernel's crash messages (panic, oops, BUG). */
#ifndef VMM_CONSOLE_H
#define VMM_CONSOLE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct console;
/* file may be NULL.  Returns NULL with a reason in err. */
struct console *console_open(const char *file, bool to_stdout, char *err, size_t errlen);
void console_write(struct console *c, const uint8_t *buf, size_t n);   /* thread-safe */
void console_flush(struct console *c);
/* The first crash line seen ("Kernel panic - not syncing: ..."), or NULL. */
const char *console_crash(struct console *c);
void console_close(struct console *c);                 /* flushes */
/* True if `line` is a kernel crash message (pure; used by console_write). */
bool console_is_crash_line(const char *line);
#endif
