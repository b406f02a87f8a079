# tests/lib.sh — shared helpers for the shell integration tests (sourced).
# Usage in a test: source lib.sh; BUILD=<build dir> is the first argument of every test.
set -uo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
WORK=$(mktemp -d /tmp/drnn-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
FAILS=0

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "ok: $*"; }

# Small char corpus from the first N bytes (default 300000) of the bundled text.
make_corpus() {
    local out=$1 bytes=${2:-300000}
    # zcat dies of SIGPIPE once head has enough: not an error here.
    (set +o pipefail; zcat "$SRC/data/kjv.txt.gz" | head -c "$bytes") >"$WORK/text.txt"
    "$BUILD/drnn-prep" --tokenizer char --valid-fraction 0.1 -o "$out" "$WORK/text.txt" \
        2>"$WORK/prep.err" ||
        { cat "$WORK/prep.err"; echo "FATAL: drnn-prep failed"; exit 1; }
}

# Training losses (one per logged step) of a run's metrics.jsonl, one per line.
train_losses() { grep -v '"split"' "$1/metrics.jsonl" | sed -E 's/.*"loss": ([^,]+),.*/\1/'; }

# max relative difference of two equal-length columns of numbers; "inf" if lengths differ.
max_rel_diff() {
    paste <(echo "$1") <(echo "$2") | awk -F'\t' '
        NF != 2 || $1 == "" || $2 == "" { bad = 1 }
        { d = $1 - $2; if (d < 0) d = -d; a = $1 < 0 ? -$1 : $1; r = a > 0 ? d / a : d;
          if (r > m) m = r; n++ }
        END { if (bad || n == 0) print "inf"; else printf "%.3g\n", m }'
}

# expect_exit CODE "description" cmd...: runs cmd, checks its exit status; stderr in $WORK/err.
expect_exit() {
    local want=$1 what=$2
    shift 2
    "$@" >"$WORK/out" 2>"$WORK/err"
    local got=$?
    if [[ $got -ne $want ]]; then
        fail "$what: exit $got, expected $want; stderr: $(head -c 400 "$WORK/err")"
        return 1
    fi
    return 0
}

# losses_equal RUN_A RUN_B LIMIT WHAT: the per-step training losses of two runs agree within
# LIMIT relative (pass/fail named WHAT).
losses_equal() {
    local d
    d=$(max_rel_diff "$(train_losses "$1")" "$(train_losses "$2")")
    if awk -v d="$d" -v l="$3" 'BEGIN { exit !(d != "inf" && d <= l) }'; then
        pass "$4: max relative loss difference $d"
    else
        fail "$4: losses differ by $d (limit $3)"
    fi
}

# one_line WHAT NEEDLE: $WORK/err (from expect_exit) is exactly one line, from drnn, naming
# NEEDLE.
one_line() {
    local lines
    lines=$(wc -l <"$WORK/err")
    [[ $lines -eq 1 ]] || fail "$1: expected one line on stderr, got $lines: $(cat "$WORK/err")"
    grep -qF -- "$2" "$WORK/err" || fail "$1: message does not name '$2': $(cat "$WORK/err")"
    grep -q "^drnn-" "$WORK/err" || fail "$1: message not from drnn: $(cat "$WORK/err")"
}

# sha256 of every shard's /params of a checkpoint folder (parameters equal bit for bit).
params_sum() {
    for s in "$1"/shard-*.h5; do
        h5dump -d /params -b LE -o "$WORK/p.bin" "$s" >/dev/null && cat "$WORK/p.bin"
    done | sha256sum | cut -c1-64
}

# params_stats STEP_DIR: count, sum |x|, L2 and max |x| of its parameters (for the fixtures, which
# compare within a tolerance; params_sum is for bit-identity between two runs on one machine).
params_stats() {
    /usr/bin/python3 "$SRC/tests/fixture_params.py" "$1"
}

# fixture_losses NAME: NAME's per-step and validation losses from $WORK/NAME/metrics.jsonl, one
# "NAME train|valid STEP LOSS" line each (for the fixtures).
fixture_losses() {
    grep -v '"split"' "$WORK/$1/metrics.jsonl" | sed -E "s/.*\"step\": ([0-9]+),.*\"loss\": ([^,]+),.*/$1 train \1 \2/"
    grep '"split"' "$WORK/$1/metrics.jsonl" | sed -E "s/.*\"step\": ([0-9]+),.*\"loss\": ([^,]+),.*/$1 valid \1 \2/"
}

# fixture_run NAME NRANKS ARGS...: drnn-train on NRANKS ranks into $WORK/NAME (log NAME.log), then
# its fixture_losses lines; 1 (after a fail) when the run fails.
fixture_run() {
    local name=$1 n=$2
    shift 2
    mpirun -q -n "$n" "$BUILD/drnn-train" "$@" --run-dir "$WORK/$name" >"$WORK/$name.log" 2>&1 ||
        { fail "$name: drnn-train failed: $(tail -3 "$WORK/$name.log")"; return 1; }
    fixture_losses "$name"
}

# fixture_check FIXTURE MIN_LINES: $WORK/now.txt equals FIXTURE, every figure within 1e-5 relative
# (bit-identical with the OpenBLAS kernel that wrote it; another CPU or OPENBLAS_CORETYPE sums in
# another order and moves the last digits); DRNN_FIXTURE_WRITE=1 writes it instead. Then finishes.
fixture_check() {
    local fixture=$1 n
    if [[ "${DRNN_FIXTURE_WRITE:-}" == 1 ]]; then
        cp "$WORK/now.txt" "$fixture"
        echo "wrote $fixture ($(wc -l <"$fixture") lines)"
        finish
    fi
    n=$(wc -l <"$fixture")
    ((n > $2)) || fail "fixture $fixture has only $n lines"
    if /usr/bin/python3 "$SRC/tests/fixture_compare.py" "$fixture" "$WORK/now.txt" 1e-5 >"$WORK/diff"; then
        pass "$n figures (per-step losses, validation losses, parameter summaries): $(cat "$WORK/diff")"
    else
        fail "$(cat "$WORK/diff")"
    fi
    finish
}

finish() {
    if ((FAILS)); then echo "$(basename "$0"): $FAILS failure(s)"; exit 1; fi
    echo "$(basename "$0"): all passed"
    exit 0
}
