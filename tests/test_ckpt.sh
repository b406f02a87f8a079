#!/usr/bin/env bash
# DESIGN §7 resume: 40 steps straight equal 20 steps + resume + 20 steps bit for bit (losses and
# final parameters and momentum) on 1 and on 2 ranks; elastic: a checkpoint written at 4 ranks
# resumed at 2 and at 1 matches the uninterrupted 4-rank run within 1e-5; --keep prunes; a run
# folder with checkpoints and no --resume is refused; a different model option (64) or corpus
# (65) is refused, naming it.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
make_corpus "$WORK/c.h5" 200000
args=(--data "$WORK/c.h5" --cell lstm --layers 2 --dropout 0.1 --hidden 24 --embed 12 --batch 8
      --seq-len 16 --log-every 1 --threads 1 --momentum 0.9 --lr 0.5 --checkpoint-every 5 --keep 2)
run() { local n=$1; shift; mpirun -q -n "$n" "$BUILD/drnn-train" "${args[@]}" "$@"; }

for n in 1 2; do
    run $n --steps 40 --run-dir "$WORK/straight$n" >"$WORK/log" 2>&1 || fail "-n $n straight run failed"
    run $n --steps 20 --run-dir "$WORK/split$n" >"$WORK/log" 2>&1 || fail "-n $n first half failed"
    run $n --steps 40 --run-dir "$WORK/split$n" --resume auto >"$WORK/log" 2>&1 ||
        fail "-n $n resume failed: $(tail -2 "$WORK/log")"
    grep -q "resuming from .*step-00000020" "$WORK/log" || fail "-n $n did not resume from step 20"
    [[ $(train_losses "$WORK/split$n" | wc -l) -eq 40 ]] ||
        fail "-n $n: metrics.jsonl has $(train_losses "$WORK/split$n" | wc -l) step records, expected 40"
    if cmp -s <(train_losses "$WORK/straight$n") <(train_losses "$WORK/split$n"); then
        pass "-n $n: per-step losses of resumed run bit-identical (printed %.9g)"
    else
        fail "-n $n: resumed losses differ from the straight run"
    fi
    $PY "$SRC/tests/ckpt_compare.py" "$WORK/straight$n" "$WORK/split$n" 0 ||
        fail "-n $n: final parameters or momentum not bit-identical"
    # --keep 2: only the two newest complete checkpoints remain, no .tmp leftovers.
    kept=$(ls "$WORK/split$n/ckpt" | grep -c '^step-')
    [[ $kept -eq 2 ]] || fail "--keep 2 left $kept checkpoints: $(ls "$WORK/split$n/ckpt")"
done

# Elastic: 4 ranks to 20, then 2 and 1 ranks to 40, against 4 ranks straight to 40.
run 4 --steps 40 --run-dir "$WORK/e4" >"$WORK/log" 2>&1 || fail "-n 4 straight failed"
run 4 --steps 20 --run-dir "$WORK/e4half" >"$WORK/log" 2>&1 || fail "-n 4 half failed"
for m in 2 1; do
    cp -r "$WORK/e4half" "$WORK/e4to$m"
    run $m --steps 40 --run-dir "$WORK/e4to$m" --resume auto >"$WORK/log" 2>&1 ||
        fail "resume 4 -> $m failed: $(tail -2 "$WORK/log")"
    grep -q "written by 4 ranks" "$WORK/log" || fail "4 -> $m: did not resume from the 4-rank checkpoint"
    losses_equal "$WORK/e4" "$WORK/e4to$m" 1e-5 "elastic 4 -> $m ranks vs 4 straight"
    $PY "$SRC/tests/ckpt_compare.py" "$WORK/e4" "$WORK/e4to$m" 1e-4 >/dev/null ||
        fail "elastic 4 -> $m: final parameters differ by more than 1e-4"
done
# Resuming an explicit step folder works too.
cp -r "$WORK/e4half" "$WORK/explicit"
run 2 --steps 25 --run-dir "$WORK/explicit" --resume "$WORK/explicit/ckpt/step-00000015" \
    >"$WORK/log" 2>&1 || fail "--resume step-N folder failed: $(tail -2 "$WORK/log")"
grep -q "step 15" "$WORK/log" || fail "--resume step-00000015 did not start at step 15"

# Refusals: nothing is overwritten.
before=$(cat "$WORK/split1/ckpt/latest")
expect_exit 64 "run folder with checkpoints, no --resume" run 1 --steps 50 --run-dir "$WORK/split1" &&
    grep -q -- "--resume" "$WORK/err" || fail "refusal does not mention --resume"
[[ $(cat "$WORK/split1/ckpt/latest") == "$before" ]] || fail "refused run changed latest"
expect_exit 64 "changed --hidden" run 1 --steps 50 --run-dir "$WORK/split1" --resume auto --hidden 30 &&
    grep -q -- "--hidden" "$WORK/err" || fail "message does not name --hidden: $(cat "$WORK/err")"
expect_exit 64 "changed --batch" run 1 --steps 50 --run-dir "$WORK/split1" --resume auto --batch 4 &&
    grep -q -- "--batch" "$WORK/err" || fail "message does not name --batch"
make_corpus "$WORK/other.h5" 150000
expect_exit 65 "different corpus" run 1 --steps 50 --run-dir "$WORK/split1" --resume auto \
    --data "$WORK/other.h5" && grep -q "corpus" "$WORK/err" || fail "message does not name the corpus"
expect_exit 66 "missing --resume folder" run 1 --steps 50 --run-dir "$WORK/new" --resume "$WORK/nope"
[[ $(cat "$WORK/split1/ckpt/latest") == "$before" ]] || fail "a refused resume changed latest"
# The same text prepared again (another uuid, equal split checksums and sizes): a job script that
# re-preps on requeue resumes, from a copy of the run so the checks below see the original.
make_corpus "$WORK/again.h5" 200000
cp -r "$WORK/split1" "$WORK/reprep"
run 1 --steps 45 --run-dir "$WORK/reprep" --resume auto --data "$WORK/again.h5" \
    >"$WORK/log" 2>&1 && pass "resume on a re-prepped corpus" ||
    fail "resume on the same text prepared again was refused: $(tail -2 "$WORK/log")"
# Damaged files (DESIGN §7): 65, one line naming the damaged file; the run folder untouched.
flip_byte() { # file offset: inverts one byte in place
    local b
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "$(printf '\\%03o' $((255 - b)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
damaged() { # what file-relative-to-step-folder action
    local what=$1 rel=$2 action=$3
    rm -rf "$WORK/dmg"
    cp -r "$WORK/split2" "$WORK/dmg"
    local name f
    read -r name _ <"$WORK/dmg/ckpt/latest"
    f="$WORK/dmg/ckpt/$name/$rel"
    case $action in
        truncate) truncate -s $(($(stat -c %s "$f") / 2)) "$f" ;;
        flip) flip_byte "$f" $(($(stat -c %s "$f") * 2 / 3)) ;;
    esac
    local before
    before=$(cat "$WORK/dmg/ckpt/latest")
    if expect_exit 65 "$what" run 2 --steps 50 --run-dir "$WORK/dmg" --resume auto; then
        [[ $(wc -l <"$WORK/err") -eq 1 ]] || fail "$what: expected one line: $(cat "$WORK/err")"
        grep -qF "$f" "$WORK/err" && pass "$what: 65, $(cat "$WORK/err")" ||
            fail "$what: message does not name $f: $(cat "$WORK/err")"
    fi
    [[ $(cat "$WORK/dmg/ckpt/latest") == "$before" ]] || fail "$what: latest changed"
    # The other readers say the same.
    expect_exit 65 "$what (drnn-export)" "$BUILD/drnn-export" "$WORK/dmg" -o "$WORK/dmg.h5"
    [[ ! -e "$WORK/dmg.h5" ]] || fail "$what: drnn-export left an output file"
}
damaged "truncated shard" shard-00001-of-00002.h5 truncate
damaged "bit-flipped shard" shard-00000-of-00002.h5 flip
damaged "truncated manifest" manifest.h5 truncate
damaged "bit-flipped manifest" manifest.h5 flip

# --resume auto on an empty folder starts fresh.
run 1 --steps 3 --run-dir "$WORK/fresh" --resume auto >"$WORK/log" 2>&1 && grep -q "starting fresh" "$WORK/log" ||
    fail "--resume auto without checkpoints did not start fresh"
finish
