#!/usr/bin/env bash
# No torn output file, no silent failure (io/fsutil.h fs_tmp_*): every file a tool writes goes
# through OUT.tmp.PID beside it and a rename. On a full disk (a small tmpfs, filled):
#   drnn-export -o, drnn-eval --hyp-out (seq2seq: FILE and FILE.ref), drnn-sample --attention-out
#   (seq2seq, and a classifier with --self-attention 2), and jobs/plot_attention.py (when
#   python3-matplotlib is there) each exit 74 with one message naming the file and "disk full";
#   the folder holds no temporary afterwards and the good earlier file of the same name is
#   byte-identical. A tool that dies midway for another reason (an empty --input line) removes
#   its temporary too (drnn_die's registry). With room again, each writes a complete file.
#
# As test_full_disk.sh: the tmpfs is mounted in a private mount namespace (unshare), so it goes
# with the test even when the test is killed; without the right to mount, the test says so loudly
# and is skipped (exit 77): it does not fake ENOSPC another way.
if [[ -z ${DRNN_TOOL_OUTPUTS_NS:-} ]]; then
    export DRNN_TOOL_OUTPUTS_NS=1
    for ns in "unshare --mount --propagation private" "unshare --map-root-user --mount"; do
        # shellcheck disable=SC2086
        if $ns true 2>/dev/null; then exec $ns bash "$0" "$@"; fi
    done
    echo "SKIPPED: no mount namespace (unshare) here, so no tmpfs to fill; tool outputs on a full disk NOT TESTED"
    exit 77
fi
source "$(dirname "$0")/lib.sh"
MNT="$WORK/mnt"
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=4m drnn-tool-outputs "$MNT" 2>"$WORK/mount.err"; then
    echo "SKIPPED: cannot mount a tmpfs ($(cat "$WORK/mount.err")); tool outputs on a full disk NOT TESTED"
    exit 77
fi
cleanup() {
    umount -l "$MNT" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
PY=/usr/bin/python3

# ---- models (outside the tmpfs): a tiny seq2seq and a classifier with --self-attention 2 ----
gen() { "$PY" "$SRC/jobs/reverse_pairs.py" --min-len 3 --max-len 8 --symbols 12 "$@"; }
gen --n 200 --seed 1 -o "$WORK/ptrain.tsv" && gen --n 30 --seed 2 -o "$WORK/pvalid.tsv" ||
    { echo "FATAL: jobs/reverse_pairs.py failed"; exit 1; }
"$BUILD/drnn-prep" --format pairs --valid "$WORK/pvalid.tsv" -o "$WORK/p.h5" "$WORK/ptrain.tsv" \
    >"$WORK/prep_p.log" 2>&1 || { cat "$WORK/prep_p.log"; echo "FATAL: drnn-prep --format pairs failed"; exit 1; }
# Labelled lines: the label is the first word's parity class, enough for a model to exist.
awk 'BEGIN { srand(3); for (i = 0; i < 240; i++) { n = 3 + int(rand() * 6); s = "";
       for (j = 0; j < n; j++) s = s (j ? " " : "") "w" int(rand() * 20);
       print (i % 2 ? "odd" : "even") "\t" s } }' >"$WORK/all.tsv"
head -200 "$WORK/all.tsv" >"$WORK/ctrain.tsv" && tail -40 "$WORK/all.tsv" >"$WORK/cvalid.tsv"
"$BUILD/drnn-prep" --format labels --tokenizer word --valid "$WORK/cvalid.tsv" -o "$WORK/c.h5" \
    "$WORK/ctrain.tsv" >"$WORK/prep_c.log" 2>&1 ||
    { cat "$WORK/prep_c.log"; echo "FATAL: drnn-prep --format labels failed"; exit 1; }
"$BUILD/drnn-train" --model seq2seq --data "$WORK/p.h5" --embed 8 --hidden 16 --batch 8 --steps 10 \
    --log-every 5 --threads 1 --run-dir "$WORK/s2s" >"$WORK/s2s.log" 2>&1 ||
    { tail -3 "$WORK/s2s.log"; echo "FATAL: seq2seq training failed"; exit 1; }
"$BUILD/drnn-train" --model classifier --data "$WORK/c.h5" --embed 8 --hidden 8 --batch 8 \
    --self-attention 2 --steps 10 --log-every 5 --threads 1 --run-dir "$WORK/cls" >"$WORK/cls.log" 2>&1 ||
    { tail -3 "$WORK/cls.log"; echo "FATAL: classifier training failed"; exit 1; }
cut -f1 "$WORK/pvalid.tsv" >"$WORK/src.txt"
cut -f2 "$WORK/cvalid.tsv" >"$WORK/lines.txt"
HAVE_MPL=0
"$PY" -c "import matplotlib" 2>/dev/null && HAVE_MPL=1

# The tools' runs, each writing NAME's file into DIR: run_tool NAME DIR.
run_tool() {
    local d=$2
    case $1 in
    export) "$BUILD/drnn-export" "$WORK/s2s" -o "$d/model.h5" ;;
    hyp) "$BUILD/drnn-eval" --ckpt "$WORK/s2s" --data "$WORK/p.h5" --hyp-out "$d/hyp.txt" ;;
    att_s2s) "$BUILD/drnn-sample" --ckpt "$WORK/s2s" --input "$WORK/src.txt" \
        --attention-out "$d/att_s2s.jsonl" ;;
    att_cls) "$BUILD/drnn-sample" --ckpt "$WORK/cls" --input "$WORK/lines.txt" \
        --attention-out "$d/att_cls.jsonl" ;;
    plot) "$PY" "$SRC/jobs/plot_attention.py" "$WORK/good_att.jsonl" -o "$d/att.png" ;;
    esac >"$WORK/out" 2>"$WORK/err"
}
# The file(s) each run writes.
files_of() {
    case $1 in
    export) echo model.h5 ;; hyp) echo hyp.txt hyp.txt.ref ;; att_s2s) echo att_s2s.jsonl ;;
    att_cls) echo att_cls.jsonl ;; plot) echo att.png ;;
    esac
}
# complete NAME DIR: NAME's files in DIR are whole (the model loads, text ends in a newline and has
# one line per input, JSON lines parse, the PNG has its trailer).
complete() {
    local d=$2
    case $1 in
    export) "$BUILD/drnn-eval" --ckpt "$d/model.h5" --data "$WORK/p.h5" >/dev/null 2>&1 ;;
    hyp) [[ $(wc -l <"$d/hyp.txt") -eq 30 && $(wc -l <"$d/hyp.txt.ref") -eq 30 ]] &&
        cmp -s "$d/hyp.txt.ref" <(cut -f2 "$WORK/pvalid.tsv") ;;
    att_s2s | att_cls)
        local n=30
        [[ $1 == att_cls ]] && n=40
        "$PY" -c 'import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(recs) == int(sys.argv[2]) and all("attention" in r for r in recs)' "$d/$1.jsonl" "$n" ;;
    plot) [[ $(tail -c 8 "$d/att.png" | od -An -tx1 | tr -d ' \n') == 49454e44ae426082 ]] ;;
    esac
}
tools=(export hyp att_s2s att_cls)
((HAVE_MPL)) && tools+=(plot)
((HAVE_MPL)) || echo "note: no python3-matplotlib: jobs/plot_attention.py is not tried"
no_tmp() { # WHAT: no temporary in $MNT
    local left
    left=$(find "$MNT" -name '*.tmp*')
    [[ -z $left ]] || { fail "$1: temporary files left behind: $left"; return 1; }
}

# ---- 1. with room: each writes a complete file (the good earlier files) ----
for t in "${tools[@]}"; do
    if [[ $t == plot ]]; then cp "$MNT/att_s2s.jsonl" "$WORK/good_att.jsonl"; fi
    if run_tool "$t" "$MNT" && complete "$t" "$MNT"; then
        pass "$t with room: complete $(files_of "$t")"
    else
        fail "$t with room: $(head -c 400 "$WORK/err")"
    fi
    no_tmp "$t with room"
done
for t in "${tools[@]}"; do
    for f in $(files_of "$t"); do cp "$MNT/$f" "$WORK/good.$f"; done
done

# ---- 2. dying midway for another reason removes the temporary (drnn_die's registry) ----
printf 'w1 w2 w3\n\nw4 w5\n' >"$WORK/bad_lines.txt"
"$BUILD/drnn-sample" --ckpt "$WORK/cls" --input "$WORK/bad_lines.txt" \
    --attention-out "$MNT/att_cls.jsonl" >"$WORK/out" 2>"$WORK/err"
rc=$?
if [[ $rc -eq 65 ]] && grep -q "empty line" "$WORK/err" && no_tmp "drnn_die midway" &&
    cmp -s "$MNT/att_cls.jsonl" "$WORK/good.att_cls.jsonl"; then
    pass "drnn-sample dying on an empty --input line (65) removed its --attention-out temporary; the earlier file is unchanged"
else
    fail "drnn-sample dying midway: exit $rc ($(head -c 300 "$WORK/err")), or it left a temporary or changed the earlier file"
fi

# ---- 3. a full disk: 74, one line naming the file and "disk full", no temporary, earlier kept ----
avail=$(df -B1 --output=avail "$MNT" | tail -1)
head -c "$avail" /dev/zero >"$MNT/fill" 2>/dev/null
[[ $(df -B1 --output=avail "$MNT" | tail -1) -eq 0 ]] || fail "the tmpfs is not full: $(df -B1 "$MNT" | tail -1)"
for t in "${tools[@]}"; do
    run_tool "$t" "$MNT"
    rc=$?
    first=$(files_of "$t" | cut -d' ' -f1)
    lines=$(wc -l <"$WORK/err")
    if [[ $rc -ne 74 ]]; then
        fail "$t on a full disk: exit $rc, expected 74: $(head -c 400 "$WORK/err")"
    elif [[ $lines -ne 1 ]] || ! grep -qF "$MNT/$first" "$WORK/err" || ! grep -q "disk full" "$WORK/err"; then
        fail "$t on a full disk: expected one line naming $MNT/$first and 'disk full', got: $(cat "$WORK/err")"
    else
        pass "$t on a full disk: 74: $(cat "$WORK/err")"
    fi
    no_tmp "$t on a full disk"
    for f in $(files_of "$t"); do
        cmp -s "$MNT/$f" "$WORK/good.$f" || fail "$t on a full disk: the earlier $f changed"
    done
done

# ---- 4. room again: each writes a complete file ----
rm -f "$MNT/fill"
for t in "${tools[@]}"; do
    for f in $(files_of "$t"); do rm -f "$MNT/$f"; done
    if run_tool "$t" "$MNT" && complete "$t" "$MNT"; then
        pass "$t with room again: complete $(files_of "$t")"
    else
        fail "$t with room again: $(head -c 400 "$WORK/err")"
    fi
    no_tmp "$t with room again"
done
for f in hyp.txt hyp.txt.ref att_s2s.jsonl att_cls.jsonl; do
    cmp -s "$MNT/$f" "$WORK/good.$f" || fail "$f written again differs from the first"
done
finish
