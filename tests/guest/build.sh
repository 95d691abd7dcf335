#!/bin/sh
# Builds the tiny test guest bzImage into $1 (e.g. build/guest).
set -eu
out=$1
src=$(dirname "$0")
mkdir -p "$out"
CFLAGS="-O2 -ffreestanding -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only \
 -fno-stack-protector -fno-asynchronous-unwind-tables -nostdlib -Wall -Wextra -Werror"
for f in entry ap setup16; do
    ${CC:-cc} $CFLAGS -c -o "$out/$f.o" "$src/$f.S"
done
for f in guest hostile vq p9race p9flip p9load mp blk; do
    ${CC:-cc} $CFLAGS -c -o "$out/$f.o" "$src/$f.c"
done
ld -nostdlib -static --no-warn-rwx-segments -T "$src/guest.ld" -o "$out/tinyguest.elf" "$out/entry.o" "$out/ap.o" "$out/guest.o" "$out/hostile.o" "$out/vq.o" "$out/p9race.o" "$out/p9flip.o" "$out/p9load.o" "$out/mp.o" "$out/blk.o"
objcopy -O binary -j .text -j .rodata -j .data "$out/tinyguest.elf" "$out/tinyguest.bin"
init_size=$(nm "$out/tinyguest.elf" | awk '$3 == "_end" { print "0x" $1 }')
init_size=$(( (init_size - 0x100000 + 0xfff) & ~0xfff ))
${CC:-cc} -O2 -Wall -Wextra -Werror -o "$out/mkbzimage" "$src/mkbzimage.c"
# The 16-bit real-mode entry in the setup sector (QEMU enters there; minivmm
# does not), linked where it sits in the setup: 0x26c.
ld -nostdlib -static -Ttext=0x26c -e rm_entry -o "$out/setup16.elf" "$out/setup16.o"
objcopy -O binary -j .text "$out/setup16.elf" "$out/setup16.bin"
# The payload is the ELF, gzip'd, as in a real bzImage: `--boot-path direct`
# (the default) unpacks it on the host and enters it directly.
gzip -n -9 -c "$out/tinyguest.elf" >"$out/tinyguest.elf.gz"
"$out/mkbzimage" "$out/tinyguest.bin" "$init_size" "$out/tinyguest.bzImage" "$out/tinyguest.elf.gz" "$out/setup16.bin"
