# blk-job: `minivmm run` of examples/disk-fs.yaml (disk: 2HDD, fs: ext2):
# two disks attached, formatted with busybox's mke2fs, mounted on /fs/vda
# and /fs/vdb, a file tree written and read back on each; the run passes and
# its images are removed.
. /rig/run-lib.sh
runjob job disk-fs.yaml --timeout 300
expect_rc 0
d=$(result_dirs disk-fs | head -n 1)
[ -n "$d" ] || bad "no result directory"
grep -q "partitions: /dev/vda /dev/vdb" "$d/disk" 2>/dev/null || bad "disk: partitions not found"
for v in vda vdb; do
    grep -q "fs: /dev/$v (ext2) mounted on /fs/$v" "$d/fs" 2>/dev/null ||
        bad "fs: $v not mounted ($(ls "$d" | tr '\n' ' '): $(tail -n 3 "$d/fs" 2>&1 | tr '\n' ' '); dmesg: $(grep -iE 'ext[234]|jbd|mbcache|crc|module|vd[ab]' "$d/dmesg" 2>&1 | tail -n 8 | tr '\n' ' '))"
    grep -q "fstree: /fs/$v: 9 files" "$d/fstree" 2>/dev/null || bad "fstree: /fs/$v"
done
grep -q "fstree: 2 file systems" "$d/fstree" 2>/dev/null || bad "fstree did not see 2 file systems"
[ -z "$(find "$OUT/results" -name '*.img' -o -name '.disks-*')" ] || bad "disk images left after the run"
addnote "2 disks, ext2 on each, file trees written"
