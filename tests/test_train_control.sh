#!/usr/bin/env bash
# Defaults as PyTorch has them, and a run folder checked before anything is made (one rank):
#   - --min-delta (default 1e-4, ReduceLROnPlateau's threshold, mode 'rel'): with a tiny --lr the
#     validation loss creeps down by less than 1e-4 relative per evaluation, so --early-stop 2
#     ends the run two evaluations after the first; with --min-delta 0 every evaluation improves
#     and the run goes to its end; --min-delta without --lr-plateau/--early-stop/--keep-best: 64;
#   - --weight-decay: AdamW's default is 0.01 (bit-identical to giving it), SGD's 0; config.txt
#     shows the value in effect, and --config RUN/config.txt repeats the run bit for bit;
#   - a --run-dir of 4060 characters (its checkpoint shards' paths would pass PATH_MAX, 4096; it
#     used to train and die at the first checkpoint): 64 naming --run-dir at once, nothing made.
source "$(dirname "$0")/lib.sh"
make_corpus "$WORK/c.h5" 60000
base=(--data "$WORK/c.h5" --hidden 32 --embed 8 --batch 8 --seq-len 16 --log-every 5 --threads 1)
valid_losses() { grep '"split"' "$1/metrics.jsonl" | sed -E 's/.*"loss": ([^,]+),.*/\1/'; }

# ---- --min-delta ----
creep=("${base[@]}" --steps 60 --eval-every 5 --early-stop 2 --lr 1e-4)
"$BUILD/drnn-train" "${creep[@]}" --run-dir "$WORK/d" >"$WORK/d.log" 2>&1 &&
    "$BUILD/drnn-train" "${creep[@]}" --min-delta 0 --run-dir "$WORK/z" >"$WORK/z.log" 2>&1 ||
    fail "--min-delta runs failed: $(tail -2 "$WORK/d.log" "$WORK/z.log")"
/usr/bin/python3 - "$(valid_losses "$WORK/z")" <<'PY' || fail "the validation loss does not creep"
import sys
v = [float(x) for x in sys.argv[1].split()]
rel = [(a - b) / a for a, b in zip(v, v[1:])]
print(f"{len(v)} evaluations, relative improvements {min(rel):.2e} .. {max(rel):.2e}")
sys.exit(0 if len(v) == 12 and all(0 < r < 1e-4 for r in rel) else 1)
PY
grep -q '^drnn-train: early stop at step 15: loss has not improved for 2 evaluations' "$WORK/d.log" &&
    pass "default --min-delta 1e-4: improvements below it do not count, early stop at step 15" ||
    fail "default --min-delta: $(grep -E 'early stop|valid step' "$WORK/d.log" | tail -3)"
! grep -q 'early stop' "$WORK/z.log" && [[ $(valid_losses "$WORK/z" | wc -l) == 12 ]] &&
    grep -q '^min-delta = 0$' "$WORK/z/config.txt" &&
    pass "--min-delta 0: every evaluation improves, the run reaches step 60" ||
    fail "--min-delta 0: $(grep 'early stop' "$WORK/z.log")"
expect_exit 64 "--min-delta without what it acts on" "$BUILD/drnn-train" "${base[@]}" --steps 2 \
    --min-delta 0.01 --run-dir "$WORK/x1" && grep -q -- '--min-delta' "$WORK/err" && [[ ! -e $WORK/x1 ]] &&
    pass "--min-delta alone: 64 naming it, nothing created"

# ---- --weight-decay ----
adamw=("${base[@]}" --steps 10 --optimizer adamw --lr 0.01)
"$BUILD/drnn-train" "${adamw[@]}" --run-dir "$WORK/w" >/dev/null 2>&1 &&
    "$BUILD/drnn-train" "${adamw[@]}" --weight-decay 0.01 --run-dir "$WORK/w1" >/dev/null 2>&1 &&
    "$BUILD/drnn-train" "${adamw[@]}" --weight-decay 0 --run-dir "$WORK/w0" >/dev/null 2>&1 &&
    "$BUILD/drnn-train" --config "$WORK/w/config.txt" --run-dir "$WORK/wc" >/dev/null 2>&1 &&
    "$BUILD/drnn-train" "${base[@]}" --steps 2 --run-dir "$WORK/s" >/dev/null 2>&1 ||
    fail "--weight-decay runs failed"
grep -q '^weight-decay = 0.01$' "$WORK/w/config.txt" && grep -q '^weight-decay = 0$' "$WORK/s/config.txt" &&
    grep -q '^weight-decay = 0$' "$WORK/w0/config.txt" &&
    pass "config.txt: weight-decay 0.01 for adamw, 0 for sgd and when given 0" ||
    fail "config.txt weight-decay: $(grep weight "$WORK/w/config.txt" "$WORK/s/config.txt")"
[[ "$(train_losses "$WORK/w")" == "$(train_losses "$WORK/w1")" &&
    "$(train_losses "$WORK/w")" != "$(train_losses "$WORK/w0")" &&
    "$(train_losses "$WORK/w")" == "$(train_losses "$WORK/wc")" ]] &&
    pass "adamw: default = --weight-decay 0.01 bit for bit, != 0; --config RUN/config.txt repeats it" ||
    fail "adamw default weight decay: losses do not match"

# ---- --run-dir too long for its checkpoint files ----
long=$WORK
while ((${#long} < 4060)); do long+=/$(printf 'd%.0s' {1..200}); done
long=${long:0:4060}
expect_exit 64 "--run-dir of 4060 characters" "$BUILD/drnn-train" "${base[@]}" --steps 2 \
    --run-dir "$long" && grep -q -- '--run-dir' "$WORK/err" &&
    [[ -z $(find "$WORK" -maxdepth 1 -name 'dddd*') ]] &&
    pass "--run-dir of 4060 characters: 64 at once naming --run-dir ($(head -c 120 "$WORK/err")...), nothing created" ||
    fail "--run-dir of 4060 characters: $(head -c 300 "$WORK/err")"
finish
