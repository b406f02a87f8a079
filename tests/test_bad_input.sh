#!/usr/bin/env bash
# Bad input: drnn's one-line message naming the file or flag, the DESIGN §8 exit code, and no
# file left behind. Training runs go through mpirun -q -n 2.
source "$(dirname "$0")/lib.sh"
make_corpus "$WORK/c.h5" 100000
train() { mpirun -q -n 2 "$BUILD/drnn-train" --hidden 16 --embed 8 --steps 2 "$@"; }

no_run_dir() { [[ ! -e "$WORK/$1" ]] || fail "$2: left $WORK/$1 behind"; }

expect_exit 66 "missing corpus" train --data "$WORK/nope.h5" --run-dir "$WORK/r1" &&
    one_line "missing corpus" "$WORK/nope.h5"
no_run_dir r1 "missing corpus"

head -c 20000 /dev/urandom >"$WORK/garbage.h5"
expect_exit 65 "garbage corpus" train --data "$WORK/garbage.h5" --run-dir "$WORK/r2" &&
    one_line "garbage corpus" "$WORK/garbage.h5"
no_run_dir r2 "garbage corpus"

# An HDF5 file that is not a drnn corpus: a checkpoint manifest from a real run.
"$BUILD/drnn-train" --data "$WORK/c.h5" --run-dir "$WORK/ok" --hidden 8 --embed 4 --steps 1 \
    --batch 4 --seq-len 8 >/dev/null 2>&1 || fail "a valid tiny run failed"
expect_exit 65 "HDF5 file that is not a corpus" train --data "$WORK/ok/ckpt/step-00000001/manifest.h5" --run-dir "$WORK/r3" &&
    one_line "not a corpus" "$WORK/ok/ckpt/step-00000001/manifest.h5"
no_run_dir r3 "not a corpus"

# A truncated corpus.
head -c 3000 "$WORK/c.h5" >"$WORK/trunc.h5"
expect_exit 65 "truncated corpus" train --data "$WORK/trunc.h5" --run-dir "$WORK/r4" &&
    one_line "truncated corpus" "$WORK/trunc.h5"
no_run_dir r4 "truncated corpus"

expect_exit 64 "batch not divisible" train --data "$WORK/c.h5" --run-dir "$WORK/r5" --batch 3 &&
    one_line "batch not divisible" "--batch"
no_run_dir r5 "batch not divisible"

expect_exit 64 "unknown flag" train --data "$WORK/c.h5" --run-dir "$WORK/r6" --no-such-flag 1 &&
    one_line "unknown flag" "--no-such-flag"
no_run_dir r6 "unknown flag"

expect_exit 64 "malformed value" train --data "$WORK/c.h5" --run-dir "$WORK/r7" --hidden abc &&
    one_line "malformed value" "--hidden"
no_run_dir r7 "malformed value"

printf 'hidden = 12\nbogus-key = 3\n' >"$WORK/bad.cfg"
expect_exit 64 "unknown key in --config" train --data "$WORK/c.h5" --run-dir "$WORK/r8" \
    --config "$WORK/bad.cfg" && one_line "config key" "bogus-key"
no_run_dir r8 "config key"

: >"$WORK/empty.txt"
expect_exit 65 "empty input to drnn-prep" "$BUILD/drnn-prep" -o "$WORK/empty.h5" "$WORK/empty.txt" &&
    one_line "empty prep input" "empty.txt"
ls "$WORK" | grep -q "^empty.h5" && fail "drnn-prep left $(ls "$WORK" | grep '^empty.h5')"

expect_exit 66 "missing input to drnn-prep" "$BUILD/drnn-prep" -o "$WORK/m.h5" "$WORK/none.txt" &&
    one_line "missing prep input" "none.txt"
ls "$WORK" | grep -q "^m.h5" && fail "drnn-prep left $(ls "$WORK" | grep '^m.h5')"

expect_exit 66 "missing weights for drnn-sample" "$BUILD/drnn-sample" --ckpt "$WORK/none" &&
    one_line "missing weights" "$WORK/none"
finish
