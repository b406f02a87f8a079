#!/usr/bin/env bash
# Learning-rate schedules (functions of the step): the rate of every step, as metrics.jsonl
# records it, equals PyTorch's schedulers stepped once per optimizer step — StepLR for
# --lr-decay/--decay-every, StepLR after a constant phase (SequentialLR) for --decay-start,
# LinearLR(1/W, total_iters=W-1) for --warmup W — and a direct computation for --min-lr; a run
# stopped at step 10 and resumed follows the same rates and the same losses, bit for bit.
source "$(dirname "$0")/lib.sh"
make_corpus "$WORK/c.h5" 60000
base=(--data "$WORK/c.h5" --hidden 16 --embed 8 --batch 4 --seq-len 8 --lr 0.8 --log-every 1
      --threads 1)
rates() { grep -v '"split"' "$1/metrics.jsonl" | sed -E 's/.*"lr": ([^,]+),.*/\1/'; }
declare -A cfg=(
    [step]="--lr-decay 0.5 --decay-every 3"
    [start]="--lr-decay 0.7 --decay-every 4 --decay-start 5"
    [warmup]="--warmup 6 --lr-decay 0.5 --decay-every 5"
    [minlr]="--lr-decay 0.5 --decay-every 2 --min-lr 0.1"
)
for name in step start warmup minlr; do
    # shellcheck disable=SC2086
    "$BUILD/drnn-train" "${base[@]}" ${cfg[$name]} --steps 20 --run-dir "$WORK/$name" \
        >"$WORK/$name.log" 2>&1 || fail "$name: drnn-train failed: $(tail -2 "$WORK/$name.log")"
    rates "$WORK/$name" >"$WORK/$name.rates"
done
/usr/bin/python3 - "$WORK" <<'PY' || fail "the rates differ from PyTorch's schedulers"
import sys, warnings, torch
warnings.filterwarnings("ignore")  # SequentialLR passes epoch to its schedulers
work, lr, n = sys.argv[1], 0.8, 20
def torch_rates(make):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr)
    sched = make(opt)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out
S = torch.optim.lr_scheduler
want = {
    "step": torch_rates(lambda o: S.StepLR(o, step_size=3, gamma=0.5)),
    "start": torch_rates(lambda o: S.SequentialLR(o, [S.ConstantLR(o, factor=1.0, total_iters=5),
                                                      S.StepLR(o, step_size=4, gamma=0.7)], milestones=[5])),
    "warmup": [a * b / lr for a, b in zip(
        torch_rates(lambda o: S.LinearLR(o, start_factor=1 / 6, total_iters=5)),
        torch_rates(lambda o: S.StepLR(o, step_size=5, gamma=0.5)))],
    "minlr": [max(lr * 0.5 ** ((k - 1) // 2), 0.1) for k in range(1, n + 1)],
}
bad = 0
for name, w in want.items():
    got = [float(x) for x in open(f"{work}/{name}.rates")]
    d = max(abs(a - b) / b for a, b in zip(got, w)) if len(got) == len(w) else float("inf")
    print(f"{name}: {len(got)} steps, max relative difference to PyTorch {d:.2e}")
    bad += not d <= 1e-7
sys.exit(bad)
PY
# Stop at 10 (a checkpoint), resume to 20: the same rates and losses as the uninterrupted run.
"$BUILD/drnn-train" "${base[@]}" ${cfg[warmup]} --steps 10 --run-dir "$WORK/r" >/dev/null 2>&1 &&
    "$BUILD/drnn-train" "${base[@]}" ${cfg[warmup]} --steps 20 --run-dir "$WORK/r" --resume auto \
        >"$WORK/r.log" 2>&1 || fail "stop + resume failed: $(tail -2 "$WORK/r.log")"
[[ "$(rates "$WORK/r")" == "$(rates "$WORK/warmup")" ]] && pass "resumed run: the same 20 rates" ||
    fail "resumed run's rates differ"
[[ "$(train_losses "$WORK/r")" == "$(train_losses "$WORK/warmup")" ]] &&
    pass "resumed run: the same 20 losses, bit for bit" || fail "resumed run's losses differ"
expect_exit 64 "--lr-decay without --decay-every" "$BUILD/drnn-train" "${base[@]}" --lr-decay 0.5 \
    --steps 2 --run-dir "$WORK/x" && grep -q "decay-every" "$WORK/err" || fail "no --decay-every: $(cat "$WORK/err")"
finish
