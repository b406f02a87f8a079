#!/usr/bin/env bash
# The demo, end to end: install and build, tokenize the bundled corpus (King James Bible, char
# level), train a GRU language model on 2 MPI ranks for about two minutes, print a sample.
#   bash jobs/demo.sh            (STEPS=N to train longer or shorter)
set -euo pipefail
cd "$(dirname "$0")/.."
bash jobs/setup.sh
if [[ $(id -u) -eq 0 ]]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OMPI_MCA_rmaps_base_oversubscribe=1 # also fine on a one-core machine

mkdir -p runs
corpus=runs/kjv-char.h5
if [[ ! -s $corpus || data/kjv.txt.gz -nt $corpus ]]; then
    build/drnn-prep --tokenizer char --valid-fraction 0.05 -o "$corpus" data/kjv.txt.gz
fi
rm -rf runs/demo
mpirun -q -n 2 build/drnn-train --data "$corpus" --run-dir runs/demo --cell gru --embed 64 \
    --hidden 256 --seq-len 64 --batch 32 --lr 1 --clip 5 --steps "${STEPS:-4500}" \
    --log-every 100 --eval-every 1000
echo
echo "--- sample (drnn-sample --ckpt runs/demo --prime 'And it came to pass') ---"
build/drnn-sample --ckpt runs/demo --prime "And it came to pass" --length 400 --temperature 0.7
