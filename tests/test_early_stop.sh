#!/usr/bin/env bash
# Early stopping, the best checkpoint and the plateau schedule (one rank; an LM that overfits a
# tiny corpus, so its validation loss falls, then stalls, then rises):
#   - --early-stop 4 ends the run (exit 0) after 4 evaluations without improvement; RUN/ckpt/best
#     names the step whose validation loss is the lowest in metrics.jsonl, and drnn-eval on it
#     (RUN/ckpt/best, --ckpt RUN --best) scores exactly that figure; pruning (--keep 2) kept it;
#   - stopped before the early stop and resumed, the run ends at the same step with the same
#     best, losses bit for bit (the early-stopping state is in the checkpoint);
#   - --lr-plateau 0.5 --patience 2: the rate of every step equals PyTorch's ReduceLROnPlateau
#     (factor 0.5, patience 1, threshold 1e-4 rel: --min-delta's default) fed the same
#     validation losses, and a run stopped at step 500 and resumed follows the same rates and
#     losses bit for bit;
#   - misuse: --metric the model does not report, --early-stop without --eval-every -> 64.
source "$(dirname "$0")/lib.sh"
(set +o pipefail; zcat "$SRC/data/kjv.txt.gz" | head -c 24000) >"$WORK/small.txt"
"$BUILD/drnn-prep" --tokenizer char --valid-fraction 0.15 -o "$WORK/c.h5" "$WORK/small.txt" \
    >/dev/null 2>&1 || { echo "FATAL: drnn-prep failed"; exit 1; }
args=(--data "$WORK/c.h5" --hidden 256 --embed 16 --batch 8 --seq-len 32 --lr 2 --eval-every 50
      --log-every 10 --threads 1)
valid_losses() { grep '"split"' "$1/metrics.jsonl" | sed -E 's/.*"step": ([0-9]+),.*"loss": ([^,]+),.*/\1 \2/'; }

"$BUILD/drnn-train" "${args[@]}" --steps 1500 --early-stop 4 --keep 2 --run-dir "$WORK/es" \
    >"$WORK/es.log" 2>&1 || fail "early-stopped run: exit $?: $(tail -2 "$WORK/es.log")"
stop=$(sed -nE 's/^drnn-train: early stop at step ([0-9]+).*/\1/p' "$WORK/es.log")
read -r best_step best_loss < <(valid_losses "$WORK/es" | sort -g -k2 | head -1)
last_eval=$(valid_losses "$WORK/es" | tail -1 | cut -d' ' -f1)
[[ -n $stop && $stop -lt 1500 && $stop == "$last_eval" && $stop -eq $((best_step + 200)) ]] &&
    pass "early stop at step $stop, 4 evaluations after the best (step $best_step, loss $best_loss)" ||
    fail "early stop at '$stop', last evaluation $last_eval, best $best_step"
grep -q "^step-$(printf %08d "$best_step") " "$WORK/es/ckpt/best" 2>/dev/null &&
    [[ -d $WORK/es/ckpt/step-$(printf %08d "$best_step") ]] &&
    pass "RUN/ckpt/best names step $best_step, kept by pruning (--keep 2)" ||
    fail "RUN/ckpt/best: $(cat "$WORK/es/ckpt/best" 2>&1); $(ls "$WORK/es/ckpt")"
for how in "--ckpt $WORK/es/ckpt/best" "--ckpt $WORK/es --best"; do
    # shellcheck disable=SC2086
    got=$("$BUILD/drnn-eval" $how --data "$WORK/c.h5" --batch 8 --json 2>/dev/null |
        sed -E 's/.*"loss": ([^,]+),.*/\1/')
    d=$(max_rel_diff "$best_loss" "$got")
    awk -v d="$d" 'BEGIN { exit !(d != "inf" && d <= 1e-6) }' &&
        pass "drnn-eval $how: $got = the best validation loss in metrics.jsonl" ||
        fail "drnn-eval $how: $got, metrics.jsonl best $best_loss"
done
"$BUILD/drnn-export" "$WORK/es" --best -o "$WORK/best.h5" >/dev/null 2>&1 || fail "drnn-export --best failed"

# Stopped at step 500 (before the early stop), resumed: the same end, best and losses.
"$BUILD/drnn-train" "${args[@]}" --steps 500 --early-stop 4 --keep 2 --run-dir "$WORK/r" >/dev/null 2>&1 &&
    "$BUILD/drnn-train" "${args[@]}" --steps 1500 --early-stop 4 --keep 2 --run-dir "$WORK/r" --resume auto \
        >"$WORK/r.log" 2>&1 || fail "stop + resume failed: $(tail -2 "$WORK/r.log")"
grep -q "early stop at step $stop:" "$WORK/r.log" &&
    [[ $(cut -d' ' -f1 "$WORK/es/ckpt/best") == $(cut -d' ' -f1 "$WORK/r/ckpt/best") ]] &&
    [[ "$(train_losses "$WORK/r")" == "$(train_losses "$WORK/es")" ]] &&
    pass "resumed at 500: early stop at $stop with the same best, losses bit for bit" ||
    fail "resumed run: $(grep 'early stop' "$WORK/r.log"), best $(cat "$WORK/r/ckpt/best")"

# Plateau: rates against torch.optim.lr_scheduler.ReduceLROnPlateau.
"$BUILD/drnn-train" "${args[@]}" --steps 1000 --lr-plateau 0.5 --patience 2 --run-dir "$WORK/pl" \
    >"$WORK/pl.log" 2>&1 || fail "plateau run failed: $(tail -2 "$WORK/pl.log")"
/usr/bin/python3 - "$WORK/pl/metrics.jsonl" <<'PY' || fail "plateau rates differ from PyTorch's"
import json, sys, torch
recs = [json.loads(l) for l in open(sys.argv[1])]
train = {r["step"]: r["lr"] for r in recs if "split" not in r and "lr" in r}
valid = {r["step"]: r["loss"] for r in recs if r.get("split") == "valid"}
p = torch.nn.Parameter(torch.zeros(1))
opt = torch.optim.SGD([p], lr=2.0)
sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=1,
                                                   threshold=1e-4, threshold_mode="rel")
bad = 0
for step in range(1, 1001):
    lr = opt.param_groups[0]["lr"]
    if step in train and abs(train[step] - lr) > 1e-9 * lr:
        print(f"step {step}: drnn lr {train[step]}, torch {lr}")
        bad += 1
    if step in valid:
        sched.step(valid[step])
cuts = sorted({v for v in train.values()})
print(f"{len(train)} logged rates equal PyTorch's; rates used: {cuts[::-1]}")
sys.exit(1 if bad or len(cuts) < 2 else 0)
PY
# The plateau state (the rate's factor, evaluations without improvement) is in the checkpoint:
# stopped at 500 and resumed, the same rates and losses bit for bit.
"$BUILD/drnn-train" "${args[@]}" --steps 500 --lr-plateau 0.5 --patience 2 --run-dir "$WORK/pr" \
    >/dev/null 2>&1 && "$BUILD/drnn-train" "${args[@]}" --steps 1000 --lr-plateau 0.5 --patience 2 \
    --run-dir "$WORK/pr" --resume auto >"$WORK/pr.log" 2>&1 || fail "plateau resume failed"
rates() { grep -v '"split"' "$1/metrics.jsonl" | sed -E 's/.*"lr": ([^,]+),.*/\1/'; }
[[ "$(rates "$WORK/pr")" == "$(rates "$WORK/pl")" && "$(train_losses "$WORK/pr")" == "$(train_losses "$WORK/pl")" ]] &&
    pass "plateau: stopped at 500 and resumed, the same rates and losses bit for bit" ||
    fail "plateau resume: rates or losses differ"
expect_exit 64 "--metric accuracy on an LM" "$BUILD/drnn-train" "${args[@]}" --metric accuracy \
    --early-stop 2 --steps 10 --run-dir "$WORK/x1"
expect_exit 64 "--early-stop without --eval-every" "$BUILD/drnn-train" --data "$WORK/c.h5" \
    --early-stop 2 --steps 10 --run-dir "$WORK/x2"
expect_exit 66 "--best on a run without one" "$BUILD/drnn-eval" --ckpt "$WORK/pl" --best \
    --data "$WORK/c.h5"
finish
