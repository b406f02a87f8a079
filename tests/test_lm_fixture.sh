#!/usr/bin/env bash
# The LM on the model-kind seam trains exactly as the LM loop did before it: per-step losses
# (metrics.jsonl, %.9g), validation losses and summary figures of the final parameters (count,
# sum |x|, L2, max |x| over every shard's /params) of three fixed-seed runs equal the figures the
# old loop produced, committed in tests/fixtures/lm_losses.txt: bit-identical with the OpenBLAS
# kernel that wrote them, within 1e-5 relative with another (another CPU or OPENBLAS_CORETYPE). DRNN_FIXTURE_WRITE=1 rewrites the fixture.
# Rewritten twice since, each time for another summation order: when the softmax's sum, the
# gradient norm and the gate math were vectorized (FMA; losses moved by at most 2.6e-7 relative),
# and when the recurrent product became W_hh h^T and the input bias moved into the gate math
# (at most 3.3e-7).
source "$(dirname "$0")/lib.sh"
make_corpus "$WORK/c.h5" 200000
fixture="$SRC/tests/fixtures/lm_losses.txt"
common=(--data "$WORK/c.h5" --embed 16 --hidden 32 --batch 8 --seq-len 16 --log-every 1
        --threads 1 --eval-every 10)
run() { # name nranks args...
    local name=$1 n=$2
    shift 2
    fixture_run "$name" "$n" "${common[@]}" "$@" || return
    echo "$name params $(params_stats "$WORK/$name/ckpt/$(cut -d" " -f1 "$WORK/$name/ckpt/latest")")"
}
{
    run gru 1 --cell gru --steps 30 --momentum 0.9 --seed 5
    run lstm2 2 --cell lstm --layers 2 --dropout 0.2 --steps 25 --seed 7 --lr 0.5
    run rnn 2 --cell rnn_relu --steps 20 --clip 0.5 --seed 9
} >"$WORK/now.txt"
fixture_check "$fixture" 70
