#!/usr/bin/env bash
# The floor plan (docs/DESIGN.md): folders include only the layers below them, no import
# circles, each model kind named in the one table of kinds only (tests/layers_check.py); the
# programs that run as one process — drnn-prep, drnn-eval, drnn-sample, drnn-export — load no
# MPI library (ldd), and only drnn-train does.
# Usage: test_layers.sh BUILD_DIR
set -uo pipefail
build=$1
src=$(cd "$(dirname "$0")/.." && pwd)
fail=0
/usr/bin/python3 "$src/tests/layers_check.py" "$src" || fail=1
for p in prep eval sample export; do
    libs=$(ldd "$build/drnn-$p") || { echo "FAIL ldd drnn-$p"; fail=1; continue; }
    if grep -qi "libmpi" <<<"$libs"; then
        echo "FAIL drnn-$p loads MPI:"; grep -i libmpi <<<"$libs"; fail=1
    else
        echo "ok   drnn-$p loads no MPI library"
    fi
done
if ldd "$build/drnn-train" | grep -qi libmpi; then
    echo "ok   drnn-train loads MPI"
else
    echo "FAIL drnn-train does not load MPI: is the check looking at the right library?"; fail=1
fi
# Every kind of the table is offered by drnn-train --help.
help=$("$build/drnn-train" --help 2>&1)
for k in lm classifier seq2seq tagger; do
    grep -q "model kinds (--model):.*\b$k\b" <<<"$help" || { echo "FAIL --help lacks kind $k"; fail=1; }
done
exit $fail
