/* 4 KiB random reads with O_DIRECT, one at a time, for bench/blk's guest:
 *   blkrand DEVICE COUNT
 * prints "ios=COUNT secs=S" (CLOCK_MONOTONIC).  Built with gcc -static by
 * bench/blk and packed into the guest's initrd. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: blkrand DEVICE COUNT\n");
        return 2;
    }
    long n = atol(argv[2]);
    int fd = open(argv[1], O_RDONLY | O_DIRECT);
    uint64_t size = 0;
    void *buf;
    if (fd >= 0 && ioctl(fd, BLKGETSIZE64, &size) < 0)
        size = (uint64_t)lseek(fd, 0, SEEK_END);        /* a file */
    if (fd < 0 || size < 4096 || n <= 0 ||
        posix_memalign(&buf, 4096, 4096)) {
        perror(argv[1]);
        return 1;
    }
    uint64_t blocks = size / 4096, x = 88172645463325252ULL;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if (pread(fd, buf, 4096, (off_t)(x % blocks * 4096)) != 4096) {
            perror("pread");
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("ios=%ld secs=%.3f\n", n, (double)(t1.tv_sec - t0.tv_sec) +
           (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}
