#include "cli/status.h"

int exit_status(enum vm_end end, int guest_status, bool crashed)
{
    switch (end) {
    case VM_END_STATUS:
        /* The status write ends the VM, so a crash line seen before it means
         * the guest went on after an oops: that still counts as a crash. */
        if (crashed)
            return EXIT_CRASH;
        return guest_status >= EXIT_GUEST_HIGH ? EXIT_GUEST_HIGH : guest_status;
    case VM_END_PANIC:
    case VM_END_SHUTDOWN:
        return EXIT_CRASH;
    case VM_END_POWEROFF:
    case VM_END_RESET:
        return crashed ? EXIT_CRASH : EXIT_NO_STATUS;
    case VM_END_TIMEOUT:
        return crashed ? EXIT_CRASH : EXIT_TIMEOUT;
    case VM_END_ERROR:
    case VM_RUNNING:
        break;
    }
    return EXIT_HOST_ERROR;
}

const char *vm_end_name(enum vm_end end)
{
    switch (end) {
    case VM_RUNNING: return "running";
    case VM_END_STATUS: return "status";
    case VM_END_POWEROFF: return "poweroff";
    case VM_END_RESET: return "reset";
    case VM_END_SHUTDOWN: return "triple-fault";
    case VM_END_PANIC: return "panic";
    case VM_END_TIMEOUT: return "timeout";
    case VM_END_ERROR: return "error";
    }
    return "?";
}

const char *exit_status_meaning(int status)
{
    switch (status) {
    case 0: return "pass";
    case EXIT_TIMEOUT: return "timeout";
    case EXIT_CANNOT_TEST: return "cannot test";
    case EXIT_CRASH: return "crash";
    case EXIT_NO_STATUS: return "no status";
    case EXIT_HOST_ERROR: return "host error";
    }
    if (status > 128 && status < 128 + 65)
        return "interrupted";       /* 128 + the signal's number */
    return "fail";
}
