#!/usr/bin/env bash
# An error only one rank sees ends the whole job with drnn's message and exit code, never a hang:
# rank 1 of 2 (and rank 3 of 4) fails to read the corpus while opening it, or at step 3 while the
# others wait in the gradient all-reduce (DRNN_TEST_FAIL injects the failure), for the LM and the
# classifier. Each job must end within 30 s with exit 65 and the failing rank's message.
source "$(dirname "$0")/lib.sh"
make_corpus "$WORK/c.h5" 100000
common=(--data "$WORK/c.h5" --hidden 16 --embed 8 --batch 4 --seq-len 8 --steps 50 --threads 1
        --hang-timeout 600)
for n in 2 4; do
    for what in open step3; do
        r=$((n - 1))
        start=$(date +%s)
        DRNN_TEST_FAIL="$what:$r" timeout 60 mpirun -q -n $n "$BUILD/drnn-train" "${common[@]}" \
            --run-dir "$WORK/run-$n-$what" >"$WORK/out" 2>"$WORK/err"
        rc=$? took=$(($(date +%s) - start))
        if [[ $rc -eq 65 && $took -le 30 ]] && grep -q "rank $r: corpus .*injected" "$WORK/err"; then
            pass "-n $n, rank $r fails at $what: exit 65 in ${took}s with its message"
        else
            fail "-n $n, rank $r fails at $what: exit $rc after ${took}s; stderr: $(head -c 300 "$WORK/err")"
        fi
    done
done
finish
