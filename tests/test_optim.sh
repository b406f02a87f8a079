#!/usr/bin/env bash
# Adam and AdamW in training (trainer/optim.h; the math against torch.optim is ref_optim): their
# state (exp_avg, exp_avg_sq, the step count) is sharded in checkpoints like the parameters, so a
# run stopped at step 10 and resumed on the same rank count follows the uninterrupted run bit for
# bit (losses and parameters), and on another rank count within 1e-5; the optimizer cannot change
# on resume (64).
source "$(dirname "$0")/lib.sh"
make_corpus "$WORK/c.h5" 60000
for opt in "adam" "adamw --weight-decay 0.1"; do
    tag=${opt%% *}
    # shellcheck disable=SC2086
    args=(--data "$WORK/c.h5" --cell lstm --hidden 16 --embed 8 --batch 4 --seq-len 8 --lr 0.01
          --log-every 1 --threads 1 --optimizer $opt --beta1 0.8)
    mpirun -q -n 2 "$BUILD/drnn-train" "${args[@]}" --steps 20 --checkpoint-every 10 --keep 5 \
        --run-dir "$WORK/$tag" >"$WORK/$tag.log" 2>&1 || fail "$tag: run failed: $(tail -2 "$WORK/$tag.log")"
    h5dump -d /exp_avg_sq -H "$WORK/$tag/ckpt/step-00000010/shard-00001-of-00002.h5" >/dev/null 2>&1 ||
        fail "$tag: the shard holds no /exp_avg_sq"
    for m in 2 4; do
        mkdir -p "$WORK/$tag.r$m/ckpt"
        cp -r "$WORK/$tag/ckpt/step-00000010" "$WORK/$tag.r$m/ckpt/"
        mpirun -q -n $m "$BUILD/drnn-train" "${args[@]}" --steps 20 --run-dir "$WORK/$tag.r$m" \
            --resume "$WORK/$tag.r$m/ckpt/step-00000010" >"$WORK/$tag.r$m.log" 2>&1 ||
            fail "$tag: resume on -n $m failed: $(tail -2 "$WORK/$tag.r$m.log")"
    done
    want=$(train_losses "$WORK/$tag" | tail -10)
    [[ "$want" == "$(train_losses "$WORK/$tag.r2")" ]] &&
        [[ $(params_sum "$WORK/$tag/ckpt/step-00000020") == $(params_sum "$WORK/$tag.r2/ckpt/step-00000020") ]] &&
        pass "$tag: resume on -n 2 bit-identical (losses, parameters)" || fail "$tag: resume on -n 2 differs"
    d=$(max_rel_diff "$want" "$(train_losses "$WORK/$tag.r4")")
    awk -v d="$d" 'BEGIN { exit !(d != "inf" && d <= 1e-5) }' &&
        pass "$tag: resume on -n 4 within $d" || fail "$tag: resume on -n 4: $d (limit 1e-5)"
    first=$(train_losses "$WORK/$tag" | head -1) last=$(train_losses "$WORK/$tag" | tail -1)
    awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a) }' || fail "$tag: loss did not fall"
done
expect_exit 64 "another --optimizer on resume" "$BUILD/drnn-train" --data "$WORK/c.h5" --cell lstm \
    --hidden 16 --embed 8 --batch 4 --seq-len 8 --optimizer sgd --run-dir "$WORK/adam" \
    --resume auto --steps 30 && grep -q "optimizer" "$WORK/err" || fail "optimizer change: $(cat "$WORK/err")"
expect_exit 64 "--momentum with adam" "$BUILD/drnn-train" --data "$WORK/c.h5" --optimizer adam \
    --momentum 0.9 --run-dir "$WORK/x" --steps 2
finish
