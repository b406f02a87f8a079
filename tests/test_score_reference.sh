#!/bin/bash
# tests/test_score_reference.sh BUILD_DIR SRC_DIR SCORE_CHECK — trainer/s2s_score against
# tests/reference/score_reference.py (13a tokens, sacreBLEU's default BLEU, edit rate, exact
# match, all to 1e-6). Needs only /usr/bin/python3's standard library.
set -uo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
EXE=$3
PY=${DRNN_PYTHON:-/usr/bin/python3}
OUT=$BUILD/tests/score_reference_cases # kept after a failure so the files can be inspected

[ -x "$EXE" ] || { echo "FAIL: $EXE not built (make score_check)"; exit 1; }
rm -rf "$OUT"
"$PY" "$SRC/tests/reference/score_reference.py" "$OUT" ||
    { echo "FAIL: tests/reference/score_reference.py failed"; exit 1; }
"$EXE" "$OUT"
