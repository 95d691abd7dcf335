# kvm: rig self-check, independent of minivmm: /dev/kvm in L1 is real,
# nested SVM is on, and a tiny real-mode guest runs (tests/rig/kvmcheck.c).
[ -c /dev/kvm ] || bad "/dev/kvm is not a character device"
nested=$(cat /sys/module/kvm_amd/parameters/nested 2>/dev/null)
[ "$nested" = 1 ] || [ "$nested" = Y ] || bad "kvm_amd nested='$nested'"
out=$(/rig/kvmcheck 2>&1) || bad "$out"
addnote "nested=$nested, $out"
