#!/bin/bash
# tests/test_reference.sh BUILD_DIR SRC_DIR [TEST_EXE [GENERATOR]] — drnn against PyTorch
# (DESIGN §3): runs tests/reference/GENERATOR (default lm_reference.py, replayed by
# test_reference) to write its cases into BUILD_DIR/tests/<GENERATOR without .py>_cases, then
# replays them with TEST_EXE. Missing torch/h5py is a failure, not a skip: CI installs them, and a
# silently skipped reference test would prove nothing.
set -uo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
EXE=${3:-$BUILD/tests/test_reference}
GEN=${4:-lm_reference.py}
PY=${DRNN_PYTHON:-/usr/bin/python3}
OUT=$BUILD/tests/${GEN%.py}_cases # kept after a failure so the files can be inspected

if ! "$PY" -c "import torch, h5py, numpy" 2>/dev/null; then
    echo "FAIL: $PY cannot import torch, h5py and numpy, needed for the PyTorch reference test."
    echo "      Install them: apt-get install python3-torch python3-h5py python3-numpy"
    exit 1
fi
[ -x "$EXE" ] || { echo "FAIL: $EXE not built (make $(basename "$EXE"))"; exit 1; }
[ -f "$SRC/tests/reference/$GEN" ] || { echo "FAIL: no generator tests/reference/$GEN"; exit 1; }

rm -rf "$OUT"
"$PY" "$SRC/tests/reference/$GEN" "$OUT" || { echo "FAIL: tests/reference/$GEN failed"; exit 1; }
"$EXE" "$OUT"
