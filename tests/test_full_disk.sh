#!/usr/bin/env bash
# A full disk while checkpoints commit (DESIGN §7, §8): the run folder lives on a small tmpfs that
# the test fills, 20 times, at a random moment of a 2-rank run that checkpoints every step, leaving
# a random amount of room (less than about one checkpoint, so the failure lands at a different
# file each time: a shard, the manifest, manifest.crc32, latest, metrics.jsonl). Every outcome must
# be exit 74 with exactly one stderr line naming the file (or 0 when the run happened to reach its
# last step), `latest` must name a complete checkpoint, no *.tmp may be left, and once the filler
# is removed the next job must resume from `latest` (each trial is the previous trial's resume).
#
# The tmpfs is mounted in a private mount namespace (unshare), so it disappears with the test even
# when the test is killed; a trap unmounts it as well. Without the right to mount, the test says
# so loudly and is skipped (exit 77): it does not fake ENOSPC another way.
if [[ -z ${DRNN_FULL_DISK_NS:-} ]]; then
    export DRNN_FULL_DISK_NS=1
    for ns in "unshare --mount --propagation private" "unshare --map-root-user --mount"; do
        # shellcheck disable=SC2086
        if $ns true 2>/dev/null; then exec $ns bash "$0" "$@"; fi
    done
    echo "SKIPPED: no mount namespace (unshare) here, so no tmpfs to fill; full disk NOT TESTED"
    exit 77
fi
source "$(dirname "$0")/lib.sh"
# Open MPI's session folder in one of our own: in a user namespace /tmp/ompi.* may belong to
# someone Open MPI cannot see as itself.
mkdir -p "$WORK/tmp"
export TMPDIR="$WORK/tmp"
MNT="$WORK/mnt"
RUN="$MNT/run"
mkdir -p "$MNT"
# 12 MiB: the filler leaves each trial its own small room; the rest must hold the metrics.jsonl
# that the log-every-step trials grow (up to 5000 lines of about 230 bytes each, four of them
# when the machine runs every trial to its end) and, at the final resume, its rewritten copy
# beside it (4 MiB was too small on an idle machine: the final rewrite met the full disk).
if ! mount -t tmpfs -o size=12m drnn-full-disk "$MNT" 2>"$WORK/mount.err"; then
    echo "SKIPPED: cannot mount a tmpfs ($(cat "$WORK/mount.err")); full disk NOT TESTED"
    exit 77
fi
JOB=""
cleanup() {
    [[ -n $JOB ]] && kill -9 "$JOB" $(pgrep -P "$JOB") 2>/dev/null
    umount -l "$MNT" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
make_corpus "$WORK/c.h5" 100000
args=(--data "$WORK/c.h5" --hidden 16 --embed 8 --batch 4 --seq-len 8 --threads 1 --log-every 5
      --checkpoint-every 1 --keep 2 --momentum 0.5 --run-dir "$RUN" --resume auto)

latest() { cat "$RUN/ckpt/latest" 2>/dev/null; }
# CRC32 of a file from gzip's trailer (little-endian, as od prints it on x86).
crc32_of() { gzip -c <"$1" | tail -c 8 | head -c 4 | od -An -tx4 | tr -d ' \n'; }

# latest names a complete step folder whose manifest has the CRC32 that latest records.
check_latest() {
    local name crc dir
    read -r name crc <"$RUN/ckpt/latest" || { fail "$1: latest unreadable"; return 1; }
    dir="$RUN/ckpt/$name"
    [[ -d $dir && -f $dir/manifest.crc32 && -f $dir/manifest.h5 ]] ||
        { fail "$1: latest names $name, which is not a complete step folder"; return 1; }
    [[ $(cat "$dir/manifest.crc32") == "$crc" && $(crc32_of "$dir/manifest.h5") == "$crc" ]] ||
        { fail "$1: $name/manifest.h5 does not have the CRC32 $crc that latest records"; return 1; }
    return 0
}

declare -A where
fails_before=$FAILS
for trial in $(seq 1 20); do
    before=$(latest)
    start=0
    [[ -n $before ]] && start=$((10#$(echo "$before" | sed -E 's/^step-0*([0-9]+) .*/\1/')))
    # Every fifth trial checkpoints rarely and logs every step: metrics.jsonl meets the full disk.
    extra=(--steps $((start + 120))) n=2
    ((trial % 5 == 3)) && n=1 # one rank: drnn_die without MPI_Abort
    ((trial % 5 == 0)) && extra=(--steps $((start + 5000)) --checkpoint-every 10000 --log-every 1)
    mpirun -q -n $n "$BUILD/drnn-train" "${args[@]}" "${extra[@]}" \
        >"$WORK/out" 2>"$WORK/err" &
    JOB=$!
    # Wait (up to 20 s) for this job's first checkpoint (first logged step for the metrics
    # trials), then fill at a random moment after it.
    for _ in $(seq 400); do
        now=$(latest)
        if ((trial % 5 == 0)); then grep -q '^step ' "$WORK/out" && break
        elif [[ -n $now && $now != "$before" ]]; then break; fi
        kill -0 "$JOB" 2>/dev/null || break
        sleep 0.05
    done
    sleep "$(awk -v s="$RANDOM" 'BEGIN { printf "%.3f", (s % 300) / 1000.0 }')"
    # Room left: up to one checkpoint folder and a page (in tmpfs pages): the next commit fails
    # somewhere along the way, or, with the most room, just fits until pruning frees the oldest.
    ck=$(du -sB1 "$RUN/ckpt/$(latest | cut -d' ' -f1)" 2>/dev/null | cut -f1)
    room=$(((RANDOM * 32768 + RANDOM) % (${ck:-45056} + 4096)))
    ((trial % 5 == 0)) && room=$((RANDOM % 4096))
    avail=$(df -B1 --output=avail "$MNT" | tail -1)
    ((avail > room)) && head -c $((avail - room)) /dev/zero >"$MNT/fill" 2>/dev/null
    wait "$JOB"
    rc=$?
    JOB=""
    label="trial $trial (room $room B)"
    if [[ $trial -gt 1 ]] && ! grep -q "resuming from $RUN/ckpt/${before%% *}" "$WORK/out"; then
        fail "$label: did not resume from latest (${before%% *}): $(head -c 300 "$WORK/err")"
    fi
    nlines=$(wc -l <"$WORK/err")
    if [[ $rc -eq 74 ]]; then
        line=$(head -1 "$WORK/err")
        if [[ $nlines -ne 1 ]]; then
            fail "$label: exit 74 with $nlines stderr lines, expected 1: $(head -c 600 "$WORK/err")"
        elif ! [[ $line =~ ^drnn-train:\ (rank\ [01]:\ )?$RUN/([^:\ ]+): ]]; then
            fail "$label: exit 74 but the message names no file of the run: $line"
        else
            f=${BASH_REMATCH[2]##*/}
            f=${f//[0-9]/N}
            where[$f]=$((${where[$f]:-0} + 1))
            echo "ok: $label: exit 74: $line"
        fi
    elif [[ $rc -eq 0 ]]; then
        echo "ok: $label: exit 0, the run reached its last step before the disk filled"
        where[finished]=$((${where[finished]:-0} + 1))
    else
        fail "$label: exit $rc, expected 74 (or 0); stderr: $(head -c 600 "$WORK/err")"
    fi
    bad=$(grep -cv '^{"step": [0-9]*, .*}$' "$RUN/metrics.jsonl")
    ((bad == 0)) || fail "$label: metrics.jsonl has $bad torn or malformed lines"
    left=$(cd "$RUN" && find . -name '*.tmp' -o -name '*.tmp.*')
    [[ -z $left ]] || fail "$label: temporary files left behind: $left"
    check_latest "$label"
    rm -f "$MNT/fill"
done
# Space is back: the run resumes from latest and finishes.
before=$(latest)
start=$((10#$(echo "$before" | sed -E 's/^step-0*([0-9]+) .*/\1/')))
if mpirun -q -n 2 "$BUILD/drnn-train" "${args[@]}" --steps $((start + 2)) >"$WORK/out" 2>"$WORK/err" &&
    grep -q "resuming from $RUN/ckpt/${before%% *}" "$WORK/out"; then
    pass "after the last trial: resumed from ${before%% *} and finished"
else
    fail "final resume from ${before%% *} failed: $(head -c 600 "$WORK/err")"
fi
summary=""
for k in "${!where[@]}"; do summary+=" $k:${where[$k]}"; done
echo "where the 20 trials ended:$summary"
((FAILS == fails_before)) && pass "20 full-disk trials: every one exit 74 or 0, latest complete, no *.tmp"
finish
