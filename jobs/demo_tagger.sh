#!/usr/bin/env bash
# The sequence-tagger demo, end to end: generate part-of-speech-tagged sentences whose commonest
# words are ambiguous (jobs/tag_data.py: "watch", "run", "light", ... are nouns or verbs or
# adjectives by their neighbours), tokenize them (drnn-prep --format tags), train a bidirectional
# LSTM tagger on one rank for a few seconds, tag a few sentences, and compare drnn-eval's token
# accuracy on the valid sentences with the most-frequent-tag-per-word baseline. Exits 1 unless
# the tagger beats the baseline by at least 0.05 (CTest it_demo_tagger).
#   bash jobs/demo_tagger.sh [WORK_DIR]     (default: a new mktemp folder; STEPS=N: train longer
#                                            or shorter)
# DRNN_BUILD=DIR uses the programs built there; without it jobs/setup.sh builds build/ first.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z ${DRNN_BUILD:-} ]]; then
    bash jobs/setup.sh
    DRNN_BUILD=build
fi
B=$DRNN_BUILD
PY=/usr/bin/python3
if [[ $(id -u) -eq 0 ]]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
work=${1:-$(mktemp -d /tmp/drnn-tagger.XXXXXX)}
mkdir -p "$work"
echo "demo_tagger: work folder $work"

$PY jobs/tag_data.py generate 4000 1 "$work/train.txt"
$PY jobs/tag_data.py generate 500 2 "$work/valid.txt"
"$B/drnn-prep" --format tags --valid "$work/valid.txt" -o "$work/tags.h5" "$work/train.txt"
rm -rf "$work/run"
"$B/drnn-train" --model tagger --data "$work/tags.h5" --run-dir "$work/run" --cell lstm \
    --bidirectional --embed 32 --hidden 64 --batch 32 --optimizer adam --lr 0.01 \
    --steps "${STEPS:-300}" --log-every 50 --eval-every 100 --threads 1 --seed 1 |
    grep -E '^(step|valid) '

cat >"$work/input.txt" <<'LINES'
the old teacher still sleeps
a watch run the light train
this dog likes every light book near the park
that fast girl still takes a light watch under a plant
LINES
echo
echo "--- drnn-sample --ckpt $work/run --input $work/input.txt ---"
paste "$work/input.txt" <("$B/drnn-sample" --ckpt "$work/run" --input "$work/input.txt")

echo
echo "--- drnn-eval --ckpt $work/run --data $work/tags.h5 (valid split) ---"
"$B/drnn-eval" --ckpt "$work/run" --data "$work/tags.h5" --json >"$work/eval.json"
acc=$($PY -c 'import json, sys; print("%.4f" % json.load(open(sys.argv[1]))["accuracy"])' "$work/eval.json")
base=$($PY jobs/tag_data.py baseline "$work/train.txt" "$work/valid.txt")
echo
echo "tagger token accuracy:               $acc"
echo "most-frequent-tag baseline accuracy: $base"
if awk -v a="$acc" -v b="$base" 'BEGIN { exit !(a >= b + 0.05) }'; then
    echo "demo_tagger: the tagger beats the baseline by $(awk -v a="$acc" -v b="$base" 'BEGIN { printf "%.4f", a - b }')"
else
    echo "demo_tagger: FAIL: the tagger does not beat the baseline by 0.05" >&2
    exit 1
fi
