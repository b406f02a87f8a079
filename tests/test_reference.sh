#!/bin/bash
# tests/test_reference.sh BUILD_DIR SRC_DIR [TEST_EXE] — drnn's LM against PyTorch (DESIGN §3):
# writes the PyTorch reference cases into BUILD_DIR/tests/reference_cases, then replays them
# with test_reference. Missing torch/h5py is a failure, not a skip: CI installs them, and a
# silently skipped reference test would prove nothing.
set -uo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
EXE=${3:-$BUILD/tests/test_reference}
PY=${DRNN_PYTHON:-/usr/bin/python3}
OUT=$BUILD/tests/reference_cases # kept after a failure so the files can be inspected

if ! "$PY" -c "import torch, h5py, numpy" 2>/dev/null; then
    echo "FAIL: $PY cannot import torch, h5py and numpy, needed for the PyTorch reference test."
    echo "      Install them: apt-get install python3-torch python3-h5py python3-numpy"
    exit 1
fi
[ -x "$EXE" ] || { echo "FAIL: $EXE not built (make test_reference)"; exit 1; }

rm -rf "$OUT"
"$PY" "$SRC/tests/reference/lm_reference.py" "$OUT" ||
    { echo "FAIL: tests/reference/lm_reference.py failed"; exit 1; }
"$EXE" "$OUT"
