/* Files minivmm puts into every job initrd, built into the binary. */
#ifndef INITRD_ASSETS_H
#define INITRD_ASSETS_H
extern const char initrd_init_sh[];   /* initrd/init.sh: the guest's /init */
#endif
