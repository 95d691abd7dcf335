/* The VM process's result and the VM processes not waited for (see vmresult.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "vmm/fdio.h"
#include "cli/vmresult.h"

void send_result(int fd, int status, const struct machine_result *r, bool detached)
{
    struct wire_result w = { status, (int32_t)r->end, r->guest_status, detached, 0, "" };
    memcpy(w.crash, r->crash, sizeof(w.crash));
    w.tlen = r->timing_json ? (uint32_t)strlen(r->timing_json) : 0;
    if (fd_write_all(fd, &w, sizeof(w)) == 0 && w.tlen)
        fd_write_all(fd, r->timing_json, w.tlen);
}

int recv_result(int fd, struct machine_result *r, struct wire_result *wr)
{
    struct wire_result w;
    if (fd_read_full(fd, (uint8_t *)&w, sizeof(w)) != sizeof(w) || w.tlen > (1u << 20))
        return -1;
    *wr = w;
    r->end = (enum vm_end)w.end;
    r->guest_status = w.guest_status;
    memcpy(r->crash, w.crash, sizeof(r->crash));
    r->crash[sizeof(r->crash) - 1] = 0;
    if (w.tlen && (r->timing_json = malloc(w.tlen + 1))) {
        if (fd_read_full(fd, (uint8_t *)r->timing_json, w.tlen) != w.tlen) {
            free(r->timing_json);
            r->timing_json = NULL;
        } else {
            r->timing_json[w.tlen] = 0;
        }
    }
    return 0;
}

/* VM processes that sent their result and are still tearing their VM
 * down: reaped without blocking at the next machine_run (`run`'s next job),
 * so that many jobs leave no zombies; with too many at once, the oldest is
 * waited for.  A process that exits leaves its children to init. */
#define MAX_LINGERING 16
static pid_t lingering[MAX_LINGERING];
static int nlingering;

void reap_lingering(void)
{
    int j = 0;
    for (int i = 0; i < nlingering; i++)
        if (waitpid(lingering[i], NULL, WNOHANG) == 0)
            lingering[j++] = lingering[i];       /* still running */
    nlingering = j;
}

void reap_later(pid_t pid)
{
    reap_lingering();
    if (nlingering == MAX_LINGERING) {
        while (waitpid(lingering[0], NULL, 0) < 0 && errno == EINTR)
            ;
        memmove(lingering, lingering + 1, (MAX_LINGERING - 1) * sizeof(lingering[0]));
        nlingering--;
    }
    lingering[nlingering++] = pid;
}
