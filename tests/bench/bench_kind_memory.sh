#!/usr/bin/env bash
# bench_kind_memory.sh [BUILD_DIR] — peak resident memory of classifier and seq2seq training
# against the bytes drnn-train computes it needs, on a corpus with and without one example 50
# times longer than the median (about 1 minute, a few MB under /tmp).
#
# It makes, from the first 4000 verses of the bundled data/kjv.txt.gz (word tokens; median 26
# words a verse), under a folder in /tmp that it removes however it ends:
#   labels.h5 / labels_long.h5  3800 train verses labelled l0..l2 (200 valid); _long adds one
#                               train example of 50 x the median words (the verses run together);
#   pairs.h5 / pairs_long.h5    each verse -> its words in reverse order; _long adds one such pair
#                               of 50 x the median words a side;
# and trains, 1 rank x 1 thread, one epoch with a validation at its end:
#   classifier  bi-GRU E64 H128, --batch 16, --truncate 0 (the long example read whole)
#   seq2seq     GRU E64 H128, --max-pair-len 0 (the long pair kept), --batch 16, and the same with
#               --batch-tokens 1600 (the long pair then a batch alone)
# For each run it prints the peak RSS (/usr/bin/time), drnn-train's computed bytes (parameters,
# gradients, optimizer state and the model kind's buffers at their most: its "memory per rank"
# line), RSS / computed, and RSS / (computed + the process's own before the model).
# A benchmark prints figures; it asserts nothing and is not part of ctest. Run it under the
# machine's lock (flock /tmp/drnn-cpu.lock) so other work does not skew it.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
source "$HERE/lib.sh" # bench_build, mpi_env, machine_line
bench_build bench_kind_memory.sh "${1:-}" drnn-prep drnn-train || exit $?
[[ -x /usr/bin/time ]] || { echo "bench_kind_memory.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 69; }
mpi_env

WORK=$(mktemp -d /tmp/drnn-bench-kind-memory.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM HUP # through the EXIT trap: the files go whatever ends the run

echo "drnn kind memory benchmark: classifier and seq2seq training, peak RSS against computed bytes"
machine_line "$(nproc)"

# ---- corpora --------------------------------------------------------------------------------
zcat "$SRC/data/kjv.txt.gz" | awk 'NR <= 4000' >"$WORK/verses.txt" ||
    { echo "cannot read data/kjv.txt.gz" >&2; exit 66; }
median=$(awk '{ print NF }' "$WORK/verses.txt" | sort -n | awk '{ a[NR] = $1 } END { print a[int(NR / 2)] }')
long_n=$((50 * median))
# rev: the words of a line in reverse order
awk -v w="$WORK" 'function rev(s,  n, a, i, o) { n = split(s, a, " "); o = a[n];
        for (i = n - 1; i >= 1; i--) o = o " " a[i]; return o }
    { split_ = NR <= 3800 ? "train" : "valid"
      printf "l%d\t%s\n", NR % 3, $0 > (w "/labels_" split_ ".tsv")
      printf "%s\t%s\n", $0, rev($0) > (w "/pairs_" split_ ".tsv") }' "$WORK/verses.txt"
long=$(tr '\n' ' ' <"$WORK/verses.txt" | awk -v n="$long_n" '{ o = $1; for (i = 2; i <= n; i++) o = o " " $i; print o }')
longrev=$(awk '{ o = $NF; for (i = NF - 1; i >= 1; i--) o = o " " $i; print o }' <<<"$long")
cp "$WORK/labels_train.tsv" "$WORK/labels_train_long.tsv"
printf 'l0\t%s\n' "$long" >>"$WORK/labels_train_long.tsv"
cp "$WORK/pairs_train.tsv" "$WORK/pairs_train_long.tsv"
printf '%s\t%s\n' "$long" "$longrev" >>"$WORK/pairs_train_long.tsv"
for f in labels pairs; do
    for v in "" _long; do
        "$BUILD/drnn-prep" --format "$f" --tokenizer word --vocab-size 2000 \
            --valid "$WORK/${f}_valid.tsv" -o "$WORK/$f$v.h5" "$WORK/${f}_train$v.tsv" \
            >"$WORK/prep.log" 2>&1 || { tail -n 3 "$WORK/prep.log"; echo "drnn-prep $f$v failed" >&2; exit 1; }
    done
done
echo "corpora: 3800 train and 200 valid verses (median $median words); the long example and pair:" \
    "$long_n words ($((long_n / median))x the median)"

# ---- training runs --------------------------------------------------------------------------
# run NAME DATA args...: one epoch, 1 rank x 1 thread; prints a row of the table.
run() {
    local name=$1 data=$2
    shift 2
    if ! /usr/bin/time -f '%M %e' -o "$WORK/time" "$BUILD/drnn-train" --data "$WORK/$data.h5" \
        --run-dir "$WORK/run-$name-$data" --epochs 1 --log-every 1000 --threads 1 "$@" \
        >"$WORK/train.log" 2>&1; then
        tail -n 3 "$WORK/train.log"
        echo "drnn-train $name on $data failed" >&2
        return 1
    fi
    local line kb secs
    line=$(grep -m1 'memory per rank' "$WORK/train.log")
    read -r kb secs <"$WORK/time"
    # "... computed Y MB (...): RSS / computed R; process before the model Z MB: RSS / (computed + it) R2"
    sed -E 's/.*computed ([0-9.]+) MB \(.*\): RSS \/ computed ([0-9.]+); process before the model ([0-9.]+) MB: RSS \/ \(computed \+ it\) ([0-9.]+).*/\1 \2 \3 \4/' \
        <<<"$line" | awk -v n="$name" -v d="$data" -v kb="$kb" -v s="$secs" '{
        printf "| %-27s | %-11s | %8.1f | %8.1f | %6.2f | %7.1f | %6.2f | %4.1f |\n",
               n, d, kb * 1024 / 1e6, $1, $2, $3, $4, s }'
}
cls=(--model classifier --embed 64 --hidden 128 --bidirectional --batch 16 --truncate 0)
s2s=(--model seq2seq --embed 64 --hidden 128 --max-pair-len 0)
echo
echo "peak RSS: /usr/bin/time; computed: drnn-train's bytes; process: its resident set before the model"
echo "| run                         | corpus      | peak RSS | computed |  ratio | process | ratio with process |    s |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for v in "" _long; do
    run classifier "labels$v" "${cls[@]}" || exit 1
done
for v in "" _long; do
    run "seq2seq --batch 16" "pairs$v" "${s2s[@]}" --batch 16 || exit 1
    run "seq2seq --batch-tokens 1600" "pairs$v" "${s2s[@]}" --batch-tokens 1600 || exit 1
done
echo "load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
exit 0
