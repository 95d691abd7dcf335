#!/bin/sh
# The layout rules of docs/architecture.md, checked on the source tree:
#  - no #include along an arrow that must never exist:
#      boot/   never includes vmm/, virtio/, cli/ (the boot plan does not depend on the VMM)
#      vmm/    never includes job/, initrd/, stats/, cli/ (the VMM proper)
#      virtio/ never includes job/, initrd/, stats/, cli/
#      job/    never includes initrd/, boot/, virtio/, vmm/, cli/ (the top of the flow)
#      initrd/ never includes boot/, virtio/, vmm/, cli/
#      stats/  never includes anything but stats/
#    cli/, the command layer on top, may include every folder.
#  - no C or assembly source file (*.c, *.h, *.S) over 750 lines;
#  - in virtio/, openat2 (SYS_openat2, linux/openat2.h) only in 9p_path.c,
#    the 9P server's confinement.
# The check itself is proven on a small made-up tree that breaks each rule.
# usage: tests/direct/layout.sh [MINIVMM TINYGUEST] (both unused)
set -u
. "$(dirname "$0")/lib"
top=$(cd "$(dirname "$0")/../.." && pwd)

MAX_LINES=750

# Known violations, one a line: "FILE FOLDER" (FILE may include FOLDER/) or
# "FILE lines" (FILE may be longer than MAX_LINES).  Every entry is a debt:
# issue 15 (the layout issue) removes them and empties this list; do not add
# to it.
ALLOW='
'
# (Empty: the command layer moved to cli/, the machine's layout is
# boot/layout.h, the long files were split.)

forbidden() {   # forbidden FROM-FOLDER: the folders it must not include
    case $1 in
        boot) echo vmm virtio cli ;;
        vmm) echo job initrd stats cli ;;
        virtio) echo job initrd stats cli ;;
        job) echo initrd boot virtio vmm cli ;;
        initrd) echo boot virtio vmm cli ;;
        stats) echo job initrd boot virtio vmm cli ;;
    esac
}

allowed() {     # allowed FILE WHAT
    printf '%s\n' "$ALLOW" | grep -qxF "$1 $2"
}

# check DIR: prints one line per violation below DIR; the count is in $found.
check() {
    found=0
    for f in $(cd "$1" && find job initrd boot virtio vmm stats cli tests bench -type f \
                   \( -name '*.c' -o -name '*.h' -o -name '*.S' \) 2>/dev/null | sort); do
        n=$(wc -l <"$1/$f")
        if [ "$n" -gt "$MAX_LINES" ] && ! allowed "$f" lines; then
            echo "$f: $n lines (more than $MAX_LINES)"
            found=$((found + 1))
        fi
        case $f in virtio/9p_path.c) ;; virtio/*)
            if grep -q 'SYS_openat2\|linux/openat2\.h' "$1/$f"; then
                echo "$f: openat2 outside virtio/9p_path.c"
                found=$((found + 1))
            fi ;;
        esac
        from=${f%%/*}
        for to in $(forbidden "$from"); do
            sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$1/$f" |
                grep "^$to/" | while read -r inc; do echo "$f: includes $inc"; done >"$T/hits"
            if [ -s "$T/hits" ] && ! allowed "$f" "$to"; then
                cat "$T/hits"
                found=$((found + $(wc -l <"$T/hits")))
            fi
        done
    done
}

# The check catches each kind of fault in a made-up tree.
mk() { mkdir -p "$T/tree/$(dirname "$1")"; printf '%s\n' "$2" >"$T/tree/$1"; }
mk boot/a.c '#include "vmm/ports.h"'
mk virtio/b.c '#  include "initrd/cpio.h"'
mk vmm/c.c '#include "job/job.h"'
mk job/d.h '#include "vmm/vm.h"'
mk initrd/e.c '#include "virtio/9p.h"'
mk vmm/fine.c '#include "boot/layout.h"
#include "vmm/vm.h"
#include <stdio.h>'
mk virtio/fine.c '#include "vmm/mem.h"'
mk virtio/9p_path.c '#include <linux/openat2.h>
    return (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));'
mk virtio/9p_ops_x.c '    int fd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));'
seq 1 751 >"$T/tree/vmm/long.c"
seq 1 750 >"$T/tree/vmm/justfits.c"
check "$T/tree" >"$T/out"
for want in "boot/a.c: includes vmm/ports.h" "virtio/b.c: includes initrd/cpio.h" \
            "vmm/c.c: includes job/job.h" "job/d.h: includes vmm/vm.h" \
            "initrd/e.c: includes virtio/9p.h" "vmm/long.c: 751 lines (more than 750)" \
            "virtio/9p_ops_x.c: openat2 outside virtio/9p_path.c"; do
    has "the check finds '$want'" "$T/out" "$want"
done
[ "$found" -eq 7 ] && ok "the check finds nothing else in the made-up tree" ||
    bad "the check finds nothing else in the made-up tree" "$(cat "$T/out")"

# The source tree keeps the rules.
check "$top" >"$T/out"
[ "$found" -eq 0 ] && ok "no forbidden #include, no source file over $MAX_LINES lines, openat2 only in 9p_path.c" ||
    bad "the layout rules (docs/architecture.md)" "$(cat "$T/out")"
finish layout
