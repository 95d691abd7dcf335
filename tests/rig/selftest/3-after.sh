# Rig self-test: the cases after the stall run in the restarted L1.
addnote "ran after the restart"
