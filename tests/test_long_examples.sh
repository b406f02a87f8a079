#!/usr/bin/env bash
# One very long example does not take the machine: a labelled corpus with one 200 000-character
# example (and a tagged one with one 50 000-word sentence) trains with default sizes — the
# example is read as its first --truncate tokens (default 256), drnn says how many it cut, and
# the peak RSS stays that of a small run (before --truncate: SIGABRT asking for 100 GB);
# --truncate 0 keeps every token. A pairs corpus with one 100 000-token source trains seq2seq
# with default sizes: the pair is left out (--max-pair-len, default 1024), drnn says so (before:
# SIGABRT asking for 641 GB). Peak RSS (/usr/bin/time %M) against the same corpus without the
# long example: seq2seq within 1.5x; the classifier within 2.5x (its cut example still fills a
# batch of 1024-token rows). Usage: test_long_examples.sh BUILD_DIR
source "$(dirname "$0")/lib.sh"

# rss_close WHAT WITH WITHOUT TENTHS: peak RSS in kB with the long example within TENTHS/10 times
# that without it.
rss_close() {
    local msg
    msg="$1: peak RSS $2 kB with the long example, $3 kB without: $(awk -v a="$2" -v b="$3" \
        -v t="$4" 'BEGIN { printf "%.2fx (limit %gx)", a / b, t / 10 }')"
    ((10 * $2 <= $4 * $3)) && pass "$msg" || fail "$msg"
}

# train_rss RSS_FILE LOG what... : drnn-train under /usr/bin/time; a failure (or signal) fails.
train_rss() {
    local rss=$1 log=$2 what=$3
    shift 3
    /usr/bin/time -f '%M' -o "$rss" "$BUILD/drnn-train" "$@" >"$log" 2>&1 ||
        fail "$what: exit $? ($(tail -2 "$log"))"
}

for i in $(seq 1 200); do printf 'l%d\tshort example number %d\n' $((i % 2)) "$i"; done >"$WORK/short.tsv"
{
    cat "$WORK/short.tsv"
    printf 'l0\t'; head -c 200000 /dev/zero | tr '\0' 'a'; echo
} >"$WORK/long.tsv"
for c in short long; do
    "$BUILD/drnn-prep" --format labels --tokenizer char --valid-fraction 0.1 -o "$WORK/$c.h5" \
        "$WORK/$c.tsv" >/dev/null 2>&1 || { echo "FATAL: drnn-prep $c.tsv failed"; exit 1; }
done
cls=(--model classifier --steps 30 --batch 8 --log-every 10 --threads 1)
train_rss "$WORK/rss" "$WORK/log" "classifier with one 200 000-character example" \
    "${cls[@]}" --data "$WORK/long.h5" --run-dir "$WORK/cls"
grep -q "1 example longer than --truncate 256 tokens" "$WORK/log" &&
    pass "classifier: the long example is cut and drnn says so" ||
    fail "no word of the cut example: $(grep truncate "$WORK/log")"
train_rss "$WORK/rss0" "$WORK/log0" "classifier without the long example" \
    "${cls[@]}" --data "$WORK/short.h5" --run-dir "$WORK/cls0"
# The batch that holds the cut example is 8 x 256 tokens: about 10 MB more than a batch of
# short examples at default sizes (about 1.26x here; the default was 1024 and gave 1.95x).
rss_close classifier "$(cat "$WORK/rss")" "$(cat "$WORK/rss0")" 15

# A tagged corpus with one 50 000-word sentence.
{
    for i in $(seq 1 100); do printf 'the dog runs\tDET NOUN VERB\n'; done
    yes 'dog' | head -n 50000 | tr '\n' ' ' | sed 's/ $//'
    printf '\t'
    yes 'NOUN' | head -n 50000 | tr '\n' ' ' | sed 's/ $//'
    echo
} >"$WORK/long_tags.txt"
"$BUILD/drnn-prep" --format tags -o "$WORK/tags.h5" --valid-fraction 0.1 "$WORK/long_tags.txt" \
    >/dev/null 2>&1 || { echo "FATAL: drnn-prep --format tags failed"; exit 1; }
train_rss "$WORK/rss" "$WORK/log" "tagger with one 50 000-word sentence" --model tagger \
    --data "$WORK/tags.h5" --run-dir "$WORK/tag" --steps 10 --batch 8 --threads 1
grep -q "1 example longer than --truncate 256" "$WORK/log" && pass "tagger: the long sentence is cut" ||
    fail "tagger: no word of the cut sentence"
rss=$(cat "$WORK/rss")
((rss < 400000)) && pass "tagger: peak RSS $rss kB" || fail "tagger: peak RSS $rss kB"

# --truncate 0 reads every token (a smaller example, so the run stays small).
{
    for i in $(seq 1 40); do printf 'l%d\tshort %d\n' $((i % 2)) "$i"; done
    printf 'l1\t'; head -c 3000 /dev/zero | tr '\0' 'b'; echo
} >"$WORK/mid.tsv"
"$BUILD/drnn-prep" --format labels --tokenizer char -o "$WORK/mid.h5" "$WORK/mid.tsv" >/dev/null 2>&1
"$BUILD/drnn-train" --model classifier --data "$WORK/mid.h5" --run-dir "$WORK/mid" --steps 3 \
    --batch 4 --truncate 0 --hidden 16 --embed 8 --threads 1 >"$WORK/log" 2>&1 &&
    ! grep -q "longer than --truncate" "$WORK/log" && pass "--truncate 0 cuts nothing" ||
    fail "--truncate 0: $(tail -2 "$WORK/log")"
expect_exit 64 "--truncate on an LM" "$BUILD/drnn-train" --data "$WORK/mid.h5" --model lm \
    --run-dir "$WORK/lm" --truncate 10

# Seq2seq: a pairs corpus plus one pair with a 100 000-token source.
gen() { /usr/bin/python3 "$SRC/jobs/reverse_pairs.py" --min-len 3 --max-len 8 --symbols 12 "$@"; }
gen --n 200 --seed 1 -o "$WORK/pairs.tsv" && gen --n 20 --seed 2 -o "$WORK/pvalid.tsv" ||
    { echo "FATAL: jobs/reverse_pairs.py failed"; exit 1; }
{
    cat "$WORK/pairs.tsv"
    yes 'a' | head -n 100000 | tr '\n' ' ' | sed 's/ $//'
    printf '\ta\n'
} >"$WORK/long_pairs.tsv"
for c in pairs long_pairs; do
    "$BUILD/drnn-prep" --format pairs --valid "$WORK/pvalid.tsv" -o "$WORK/$c.h5" "$WORK/$c.tsv" \
        >/dev/null 2>&1 || { echo "FATAL: drnn-prep --format pairs $c.tsv failed"; exit 1; }
done
s2s=(--model seq2seq --steps 4 --log-every 2 --threads 1)
train_rss "$WORK/rss" "$WORK/log" "seq2seq with one 100 000-token source" \
    "${s2s[@]}" --data "$WORK/long_pairs.h5" --run-dir "$WORK/s2s"
grep -q "1 pair with a side longer than --max-pair-len 1024 tokens left out (1 train, 0 valid" \
    "$WORK/log" && pass "seq2seq: the long pair is left out and drnn says so" ||
    fail "seq2seq: no word of the long pair: $(grep -i 'max-pair-len\|exit' "$WORK/log")"
train_rss "$WORK/rss0" "$WORK/log0" "seq2seq without the long pair" \
    "${s2s[@]}" --data "$WORK/pairs.h5" --run-dir "$WORK/s2s0"
! grep -q "left out" "$WORK/log0" && pass "seq2seq: nothing left out without a long pair" ||
    fail "seq2seq: $(grep "left out" "$WORK/log0")"
rss_close seq2seq "$(cat "$WORK/rss")" "$(cat "$WORK/rss0")" 15
small=(--model seq2seq --embed 8 --hidden 16 --steps 2 --threads 1)
expect_exit 64 "--max-pair-len leaving fewer pairs than --batch" "$BUILD/drnn-train" "${small[@]}" \
    --data "$WORK/pairs.h5" --run-dir "$WORK/few" --max-pair-len 8 --batch 190 &&
    grep -q -- "--max-pair-len 8" "$WORK/err" && pass "too few pairs left: 64 naming --max-pair-len" ||
    fail "too few pairs left: $(head -c 300 "$WORK/err")"
expect_exit 64 "--max-pair-len leaving no pair" "$BUILD/drnn-train" "${small[@]}" \
    --data "$WORK/pairs.h5" --run-dir "$WORK/none" --max-pair-len 1 --batch-tokens 64 &&
    grep -q -- "--max-pair-len 1" "$WORK/err" && pass "no pair left: 64 naming --max-pair-len" ||
    fail "no pair left: $(head -c 300 "$WORK/err")"
expect_exit 64 "--max-pair-len on a classifier" "$BUILD/drnn-train" --data "$WORK/mid.h5" \
    --model classifier --run-dir "$WORK/mpl" --max-pair-len 10 &&
    pass "--max-pair-len on a classifier: 64"
finish
