/* Small host file-system helpers the commands share (cli/fsutil.c). */
#ifndef CLI_FSUTIL_H
#define CLI_FSUTIL_H

#include <stdbool.h>

/* A regular file this process can read. */
bool cli_readable_file(const char *p);
/* mkdir -p with mode 0755: 0, or -1 with errno. */
int cli_mkdir_p(const char *path);
#endif
