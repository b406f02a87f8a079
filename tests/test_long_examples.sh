#!/usr/bin/env bash
# One very long example does not take the machine: a labelled corpus with one 200 000-character
# example (and a tagged one with one 50 000-word sentence) trains with default sizes — the
# example is read as its first --truncate tokens (default 1024), drnn says how many it cut, and
# the peak RSS stays that of a small run (before --truncate: SIGABRT asking for 100 GB);
# --truncate 0 keeps every token. Usage: test_long_examples.sh BUILD_DIR
source "$(dirname "$0")/lib.sh"
{
    for i in $(seq 1 200); do printf 'l%d\tshort example number %d\n' $((i % 2)) "$i"; done
    printf 'l0\t'; head -c 200000 /dev/zero | tr '\0' 'a'; echo
} >"$WORK/long.tsv"
"$BUILD/drnn-prep" --format labels --tokenizer char --valid-fraction 0.1 -o "$WORK/long.h5" \
    "$WORK/long.tsv" >/dev/null 2>&1 || { echo "FATAL: drnn-prep failed"; exit 1; }
/usr/bin/time -f '%M' -o "$WORK/rss" "$BUILD/drnn-train" --model classifier --data "$WORK/long.h5" \
    --run-dir "$WORK/cls" --steps 30 --batch 8 --log-every 10 --threads 1 >"$WORK/log" 2>&1 ||
    fail "classifier with one 200 000-character example: exit $? ($(tail -2 "$WORK/log"))"
grep -q "1 example longer than --truncate 1024 tokens" "$WORK/log" &&
    pass "classifier: the long example is cut and drnn says so" ||
    fail "no word of the cut example: $(grep truncate "$WORK/log")"
rss=$(cat "$WORK/rss")
((rss < 400000)) && pass "classifier: peak RSS $rss kB" || fail "classifier: peak RSS $rss kB"
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
/usr/bin/time -f '%M' -o "$WORK/rss" "$BUILD/drnn-train" --model tagger --data "$WORK/tags.h5" \
    --run-dir "$WORK/tag" --steps 10 --batch 8 --threads 1 >"$WORK/log" 2>&1 ||
    fail "tagger with one 50 000-word sentence: exit $? ($(tail -2 "$WORK/log"))"
grep -q "1 example longer than --truncate 1024" "$WORK/log" && pass "tagger: the long sentence is cut" ||
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
finish
