# Rig self-test (docs/testing.md): a case before the stall keeps its verdict.
addnote "ran in the first L1"
