#!/usr/bin/env bash
# The lecture's gradient story measured on the bundled corpus (first 2 MB of the KJV, characters),
# drawn to two PNGs by jobs/plot_gradients.py:
#   OUT/trace.png  rnn, gru and lstm (hidden 128, window T = 64, 400 steps, lr 0.3, clip 1) with
#                  --trace-bptt and --log-grad-norms: ||dJ/dh_k|| against the distance T - k
#   OUT/clip.png   a vanilla rnn at --lr 3 with --clip 0, 5 and 1: gradient norms and losses
# Runs one rank at a time on this machine; about 1.5 minutes on 2 cores.
#   bash jobs/gradient_story.sh [OUT]      (default runs/gradients; needs a build)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/gradients}
mkdir -p "$out"
if [[ ! -s $out/kjv2m.h5 ]]; then
    (set +o pipefail; zcat data/kjv.txt.gz | head -c 2000000) >"$out/kjv2m.txt"
    build/drnn-prep --tokenizer char --valid-fraction 0.05 -o "$out/kjv2m.h5" "$out/kjv2m.txt"
fi
common=(--data "$out/kjv2m.h5" --hidden 128 --embed 32 --batch 32 --seq-len 64 --threads 2)
for cell in rnn gru lstm; do
    rm -rf "$out/$cell"
    build/drnn-train "${common[@]}" --cell $cell --lr 0.3 --clip 1 --steps 400 --log-every 10 \
        --trace-bptt --log-grad-norms --run-dir "$out/$cell" | grep -E '^step 400|^valid'
done
for clip in 0 5 1; do
    rm -rf "$out/clip$clip"
    build/drnn-train "${common[@]}" --cell rnn --lr 3 --clip $clip --steps 300 --log-every 5 \
        --run-dir "$out/clip$clip" | grep -E '^step 300|^valid'
done
/usr/bin/python3 jobs/plot_gradients.py "$out/rnn" "$out/gru" "$out/lstm" --labels rnn,gru,lstm \
    -o "$out/trace.png"
/usr/bin/python3 jobs/plot_gradients.py "$out/clip0" "$out/clip5" "$out/clip1" \
    --labels "rnn lr 3 --clip 0,rnn lr 3 --clip 5,rnn lr 3 --clip 1" -o "$out/clip.png"
