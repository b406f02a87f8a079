#!/usr/bin/env bash
# README.md's commands, run as a newcomer runs them: every ```sh block of README.md, in order, in a
# scratch copy of the repository folder (jobs/ copied, data/ and build/ symlinks to the source's
# data and to this build), each block as one `bash -e -o pipefail` script that must exit 0; prints
# each block's time. Smaller than written, as README says next to each such block:
#   - STEPS=20 in the environment (jobs/demo.sh, jobs/lecture_model.sh, jobs/demo_tagger.sh);
#   - every `--steps N` of a command written in a block becomes `--steps 20`;
#   - DRNN_BUILD=<this build>, so jobs/setup.sh installs and builds nothing.
# `bash jobs/test.sh` is skipped (it would run this test again). Also fails when the README section
# (heading to heading) of a block made smaller does not name it_readme_run.
# Needs the build, python3's standard library, and /usr/bin/python3 with matplotlib (for
# jobs/lecture_model.sh's drawing). About 1-2 minutes on 2 cores.
source "$(dirname "$0")/lib.sh"
export STEPS=20 DRNN_BUILD=$BUILD
repo=$WORK/repo
mkdir -p "$repo"
cp -r "$SRC/jobs" "$repo/jobs"
ln -s "$SRC/data" "$repo/data"
ln -s "$BUILD" "$repo/build"

# Blocks to $WORK/snippet-N.sh; one "N<TAB>ACTION<TAB>LINE<TAB>first line" row each in
# $WORK/snippets.tsv, ACTION run or skip.
/usr/bin/python3 - "$SRC" "$WORK" <<'PY' || fail "README.md's blocks: see above"
import os, re, sys

src, work = sys.argv[1], sys.argv[2]
with open(os.path.join(src, "README.md")) as f:
    md = f.read()
bad = 0
rows = []
fences = [(f.start(), f.end()) for f in re.finditer(r"^```.*?^```", md, re.M | re.S)]
heads = [h.start() for h in re.finditer(r"^#{1,6} ", md, re.M)
         if not any(a <= h.start() < b for a, b in fences)] + [len(md)]
for n, m in enumerate(re.finditer(r"^```sh\n(.*?)^```\n", md, re.M | re.S), 1):
    block = m.group(1)
    line = md[:m.start()].count("\n") + 2  # the block's first line in README.md
    first = re.sub(r"\s+#\s.*$", "", block.strip().splitlines()[0])
    if block.count("\n") > 1:
        first += " ... (%d lines)" % block.count("\n")
    if block.strip() == "bash jobs/test.sh":
        rows.append("%d\tskip\t%d\t%s" % (n, line, first))
        continue
    small = re.sub(r"--steps [0-9]+", "--steps 20", block)
    steps_job = any("STEPS" in open(os.path.join(src, j)).read()
                    for j in re.findall(r"\bbash (jobs/[a-z_]+\.sh)", block))
    if small != block or steps_job:
        start = max([0] + [h for h in heads if h < m.start()])
        end = min(h for h in heads if h > m.start())
        if "it_readme_run" not in md[start:end]:
            print("FAIL: README.md line %d: this block runs smaller under it_readme_run, but its "
                  "section does not say so (name it_readme_run)" % line)
            bad += 1
    with open(os.path.join(work, "snippet-%d.sh" % n), "w") as f:
        f.write(small)
    rows.append("%d\trun\t%d\t%s" % (n, line, first))
if len(rows) < 5:
    print("FAIL: README.md has only %d ```sh blocks: its format changed?" % len(rows))
    bad += 1
with open(os.path.join(work, "snippets.tsv"), "w") as f:
    f.write("\n".join(rows) + "\n")
sys.exit(1 if bad else 0)
PY
[[ -s $WORK/snippets.tsv ]] || finish

t_all=$(date +%s.%N)
while IFS=$'\t' read -r n action line first; do
    what="README.md line $line: $first"
    if [[ $action == skip ]]; then
        echo "skip: $what (it runs the whole suite, this test included)"
        continue
    fi
    t0=$(date +%s.%N)
    (cd "$repo" && bash -e -o pipefail "$WORK/snippet-$n.sh") </dev/null \
        >"$WORK/snippet-$n.log" 2>&1
    rc=$?
    secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    if ((rc == 0)); then
        pass "$what: $secs s"
    else
        fail "$what: exit $rc after $secs s; its output ends:"
        tail -20 "$WORK/snippet-$n.log" | sed 's/^/    /'
    fi
done <"$WORK/snippets.tsv"
echo "all blocks: $(awk -v a="$t_all" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
finish
