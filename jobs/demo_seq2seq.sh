#!/usr/bin/env bash
# The seq2seq demo, end to end: install and build, generate the date-normalization task (dates as
# people write them -> ISO dates, jobs/date_pairs.py), train a character-level GRU encoder-decoder
# with attention on 2 MPI ranks for about a minute, translate a few dates greedily and with a
# beam, and draw their attention matrices to runs/dates/attention.png.
#   bash jobs/demo_seq2seq.sh            (STEPS=N to train longer or shorter)
set -euo pipefail
cd "$(dirname "$0")/.."
bash jobs/setup.sh
if [[ $(id -u) -eq 0 ]]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OMPI_MCA_rmaps_base_oversubscribe=1 # also fine on a one-core machine

mkdir -p runs/dates
/usr/bin/python3 jobs/date_pairs.py --n 20000 --seed 1 -o runs/dates/train.tsv
/usr/bin/python3 jobs/date_pairs.py --n 500 --seed 2 -o runs/dates/valid.tsv
build/drnn-prep --format pairs --tokenizer char --valid runs/dates/valid.tsv \
    -o runs/dates/dates.h5 runs/dates/train.tsv
rm -rf runs/dates/run
mpirun -q -n 2 build/drnn-train --model seq2seq --data runs/dates/dates.h5 \
    --run-dir runs/dates/run --bidirectional --embed 32 --hidden 128 --batch 64 --lr 1 --clip 1 \
    --steps "${STEPS:-1000}" --log-every 100 --eval-every 500 --threads 1
cat >runs/dates/input.txt <<'DATES'
saturday, july 20, 1969
9/11/01
the 1st of january 2000
Nov 9 1989
14.07.1789
DATES
echo
echo "--- greedy (drnn-sample --ckpt runs/dates/run --input runs/dates/input.txt) ---"
paste runs/dates/input.txt <(build/drnn-sample --ckpt runs/dates/run --input runs/dates/input.txt \
    --attention-out runs/dates/attention.jsonl)
echo
echo "--- beam 4, two best with scores (--beam 4 --n-best 2) ---"
build/drnn-sample --ckpt runs/dates/run --input runs/dates/input.txt --beam 4 --n-best 2
/usr/bin/python3 jobs/plot_attention.py runs/dates/attention.jsonl --lines 1,2,3,4 \
    -o runs/dates/attention.png
