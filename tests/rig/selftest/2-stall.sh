# Rig self-test: stop L1's heartbeat and go silent in the first L1, so that
# tests/rig/run must kill it and run this case again in a fresh L1
# (rig.skip=1), where it passes.
if grep -q 'rig\.skip=1' /proc/cmdline; then
    addnote "ran again in a restarted L1"
else
    kill "$(cat /tmp/rig-hb.pid)"
    sleep 300               # longer than RIG_STALL (default 120)
    bad "L1 went silent but was not restarted"
fi
