#!/usr/bin/env bash
# Options that do not act are refused, for every program, option and model kind (DESIGN §8):
#   - drnn-train: every model option of the "(all)" row of --help's per-kind table against every
#     kind whose row lacks it (so a new option or kind is walked without editing this test), with
#     a valid value, on a fresh --run-dir: exit 64, one line naming the option and --model KIND
#     and listing exactly that kind's row; the run folder does not exist afterwards. The same for
#     --beta1/--beta2/--eps with --optimizer sgd and --max-skips without --on-nonfinite skip;
#   - drnn-eval and drnn-sample: every option of their per-kind tables against a tiny trained model
#     of every kind whose row lacks it: exit 64, one line naming the option and the model's noun
#     (the same noun for one kind in both programs, a different one per kind) and listing that
#     kind's row; no output file (--hyp-out, --attention-out, ...) is created.
# One tiny corpus and one 2-step model per kind; prints how many combinations it walked.
source "$(dirname "$0")/lib.sh"
export OMP_NUM_THREADS=1

# ---- one tiny corpus per corpus data kind ----
(set +o pipefail; zcat "$SRC/data/kjv.txt.gz" | head -n 240) >"$WORK/kjv.txt"
head -n 200 "$WORK/kjv.txt" >"$WORK/text.txt"
awk '{ print (NR % 2 ? "odd" : "even") "\t" $0 }' "$WORK/kjv.txt" >"$WORK/labels.tsv"
prep() { # OUT ARGS...: drnn-prep or die
    local out=$1
    shift
    "$BUILD/drnn-prep" "$@" -o "$out" >"$WORK/prep.log" 2>&1 ||
        { cat "$WORK/prep.log"; echo "FATAL: drnn-prep $* failed"; exit 1; }
}
prep "$WORK/text.h5" --tokenizer char --valid-fraction 0.1 "$WORK/text.txt"
prep "$WORK/labels.h5" --format labels --tokenizer word --valid-fraction 0.1 "$WORK/labels.tsv"
/usr/bin/python3 "$SRC/jobs/tag_data.py" generate 80 1 "$WORK/tags.txt" &&
    /usr/bin/python3 "$SRC/jobs/tag_data.py" generate 20 2 "$WORK/tags-valid.txt" &&
    /usr/bin/python3 "$SRC/jobs/reverse_pairs.py" --min-len 3 --max-len 6 --symbols 8 --n 80 \
        --seed 1 -o "$WORK/pairs.tsv" &&
    /usr/bin/python3 "$SRC/jobs/reverse_pairs.py" --min-len 3 --max-len 6 --symbols 8 --n 20 \
        --seed 2 -o "$WORK/pairs-valid.tsv" || { echo "FATAL: jobs/*.py failed"; exit 1; }
prep "$WORK/tags.h5" --format tags --valid "$WORK/tags-valid.txt" "$WORK/tags.txt"
prep "$WORK/pairs.h5" --format pairs --valid "$WORK/pairs-valid.tsv" "$WORK/pairs.tsv"
cut -f2 "$WORK/labels.tsv" | head -5 >"$WORK/input.txt"

for p in train eval sample; do
    "$BUILD/drnn-$p" --help >"$WORK/help-$p.txt" 2>&1 || fail "drnn-$p --help: exit $?"
done

# ---- one tiny model per kind: the kind's corpus is the one drnn-train's refusal names ----
DRNN_WORK=$WORK DRNN_BUILD=$BUILD /usr/bin/python3 - <<'EOF' || FAILS=$((FAILS + 1))
import concurrent.futures, os, re, subprocess, sys

work, build = os.environ["DRNN_WORK"], os.environ["DRNN_BUILD"]
fails = 0

def fail(msg):
    global fails
    fails += 1
    print("FAIL:", msg)

def helptext(prog):
    with open(os.path.join(work, "help-%s.txt" % prog)) as f:
        return f.read()

def options(text):
    """--help's option lines: name -> (argument name or None, default or None)."""
    opts, cur = {}, None
    for line in text.splitlines():
        m = re.match(r"^  (?:-[A-Za-z], )?--([a-z][a-z0-9-]*)(?: (\S+))?(.*)$", line)
        if m:
            cur = m.group(1)
            opts[cur] = [m.group(2), m.group(3)]
        elif cur and line.startswith(" " * 20):
            opts[cur][1] += " " + line.strip()
        else:
            cur = None
    out = {}
    for name, (arg, help_) in opts.items():
        d = re.search(r"\(default ([^)]*)\)\s*$", help_)
        out[name] = (arg, d.group(1) if d else None)
    return out

def kind_table(text):
    """The per-kind table at the end of --help: label -> list of options (in order)."""
    lines = text.splitlines()
    start = [i for i, l in enumerate(lines) if re.search(r"each (model )?kind reads", l)]
    if not start:
        return {}
    rows, cur = {}, None
    for line in lines[start[-1] + 1:]:
        m = re.match(r"^  (\S+)\s+(.*)$", line)
        if m and not m.group(1).startswith("--"):
            cur = m.group(1)
            rows[cur] = []
            rest = m.group(2)
        elif cur and line.startswith("   "):
            rest = line
        else:
            break
        rows[cur] += re.findall(r"--([a-z][a-z0-9-]*)", rest)
    return rows

helps = {p: helptext(p) for p in ("train", "eval", "sample")}
opts = {p: options(helps[p]) for p in helps}
tables = {p: kind_table(helps[p]) for p in helps}
for p, t in tables.items():
    if "(all)" not in t or len(t) < 5:
        fail("drnn-%s --help: no per-kind option table with an (all) row: %s" % (p, sorted(t)))
        sys.exit(1)
    for line in helps[p].splitlines():
        if len(line) > 100:
            fail("drnn-%s --help line longer than 100 columns: %s" % (p, line))
kinds = [k for k in tables["train"] if k != "(all)"]
for p in ("eval", "sample"):
    if sorted(k for k in tables[p] if k != "(all)") != sorted(kinds):
        fail("drnn-%s --help lists kinds %s, drnn-train %s" % (p, sorted(tables[p]), kinds))
    for o in tables[p]["(all)"]:
        if o not in opts[p]:
            fail("drnn-%s --help's (all) row names --%s, which it does not have" % (p, o))
for o in tables["train"]["(all)"]:
    if o not in opts["train"]:
        fail("drnn-train --help's (all) row names --%s, which it does not have" % o)

# The corpus of each kind: the one drnn-train accepts (a kind on another's data is 64).
corpora = [os.path.join(work, c + ".h5") for c in ("text", "labels", "tags", "pairs")]
corpus, model = {}, {}
for k in kinds:
    for c in corpora:
        run = os.path.join(work, "model-" + k)
        cmd = [os.path.join(build, "drnn-train"), "--model", k, "--data", c, "--run-dir", run,
               "--embed", "8", "--hidden", "8", "--batch", "4", "--steps", "2", "--threads", "1",
               "--log-every", "1"]
        if "seq-len" in tables["train"][k]:
            cmd += ["--seq-len", "16"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode == 0:
            corpus[k], model[k] = c, run
            break
        if r.returncode != 64:
            fail("drnn-train --model %s --data %s: exit %d: %s" % (k, c, r.returncode, r.stderr))
            break
    if k not in corpus:
        fail("no corpus of %s trains --model %s" % ([os.path.basename(c) for c in corpora], k))
if fails:
    sys.exit(1)

def value(prog, kind, opt, outdir):
    """A valid value for --opt (None for a flag) and the output path it names (or None)."""
    arg, default = opts[prog][opt]
    if arg is None:
        return None, None
    if opt.endswith("-out"):
        path = os.path.join(outdir, "%s-%s-%s" % (prog, kind, opt))
        return path, path
    if arg == "CORPUS.h5":
        return corpus[kind], None
    if "FILE" in arg:
        return os.path.join(work, "input.txt"), None
    if default:
        return default, None
    if "|" in arg:
        return arg.split("|")[0], None
    return "2", None

def one_line(what, r, needles):
    """r exited 64 with one line from drnn naming every needle; returns that line."""
    err = r.stderr.strip("\n")
    if r.returncode != 64:
        fail("%s: exit %d, expected 64: %s" % (what, r.returncode, err[:300]))
        return None
    if "\n" in err or not err.startswith("drnn-"):
        fail("%s: expected one line from drnn, got: %s" % (what, err[:400]))
        return None
    for n in needles:
        if n not in err:
            fail("%s: message does not name %r: %s" % (what, n, err))
            return None
    return err

def listed(err, label):
    """The options the message lists after LABEL (space-separated names)."""
    m = re.search(re.escape(label) + r": (.*)$", err)
    return m.group(1).split() if m else None

walked = {"train": 0, "eval": 0, "sample": 0}
outdir = os.path.join(work, "out")
os.makedirs(outdir)
before = sorted(os.listdir(work))

# ---- drnn-train: every model option against every kind that does not read it ----
# Each start of drnn-train waits ~0.4 s in MPI's start-up, not on the CPU: four at a time.
jobs = []  # (what, kind, extra args, needles, the kind's row or None)
for k in kinds:
    for o in tables["train"]["(all)"]:
        if o in tables["train"][k]:
            continue
        v, _ = value("train", k, o, outdir)
        extra = ["--" + o] + ([] if v is None else [v])
        jobs.append((k, extra, ["--" + o + " ", "--model " + k], tables["train"][k]))
    for o in ("beta1", "beta2", "eps"):
        for opt in ([], ["--optimizer", "sgd"]):
            jobs.append((k, opt + ["--" + o, opts["train"][o][1]], ["--" + o + " ", "sgd"], None))
    for opt in ([], ["--on-nonfinite", "abort"]):
        jobs.append((k, opt + ["--max-skips", "3"], ["--max-skips ", "--on-nonfinite skip"], None))

def train_refusal(i):
    k, extra = jobs[i][0], jobs[i][1]
    run = os.path.join(work, "refused-run-%d" % i)
    return subprocess.run([os.path.join(build, "drnn-train"), "--model", k, "--data", corpus[k],
                           "--run-dir", run] + extra, capture_output=True, text=True), run

with concurrent.futures.ThreadPoolExecutor(4) as pool:
    results = list(pool.map(train_refusal, range(len(jobs))))
for (k, extra, needles, reads), (r, run) in zip(jobs, results):
    what = "drnn-train --model %s %s" % (k, " ".join(extra))
    walked["train"] += 1
    err = one_line(what, r, needles)
    if err and reads is not None and listed(err, "its model options are") != reads:
        fail("%s: message lists %s, --help's row %s" % (what, listed(err, "its model options are"),
                                                         reads))
    if os.path.exists(run):
        fail("%s: created the run folder %s" % (what, run))

# ---- drnn-eval, drnn-sample: every kind option against every model kind that does not read it
nouns = {}
for p in ("eval", "sample"):
    for k in kinds:
        for o in tables[p]["(all)"]:
            if o in tables[p][k]:
                continue
            v, out = value(p, k, o, outdir)
            extra = ["--" + o] + ([] if v is None else [v])
            if p == "eval" and o not in ("data", "text"):
                extra = ["--data", corpus[k]] + extra  # eval needs one of them
            what = "drnn-%s --ckpt <%s model> %s" % (p, k, " ".join(extra))
            r = subprocess.run([os.path.join(build, "drnn-" + p), "--ckpt", model[k]] + extra,
                               capture_output=True, text=True)
            walked[p] += 1
            err = one_line(what, r, ["--" + o + " "])
            if err:
                m = re.search(r", an? ([^;]+);", err)
                if not m:
                    fail("%s: message names no kind ('a NOUN;'): %s" % (what, err))
                elif nouns.setdefault(k, m.group(1)) != m.group(1):
                    fail("%s: calls the %s model a %s, elsewhere a %s" % (what, k, m.group(1),
                                                                           nouns[k]))
                if listed(err, "its options here are") != tables[p][k]:
                    fail("%s: message lists %s, --help's row %s" % (
                        what, listed(err, "its options here are"), tables[p][k]))
            if out and any(f.startswith(os.path.basename(out)) for f in os.listdir(outdir)):
                fail("%s: created %s" % (what, out))
if len(set(nouns.values())) != len(nouns):
    fail("two kinds share a noun: %s" % nouns)
if os.listdir(outdir) or sorted(os.listdir(work)) != before:
    fail("files appeared: %s" % (set(os.listdir(work)) ^ set(before) or os.listdir(outdir)))

total = sum(walked.values())
print("%s: %d combinations walked (drnn-train %d, drnn-eval %d, drnn-sample %d; kinds %s, "
      "nouns %s)" % ("ok" if not fails else "FAIL", total, walked["train"], walked["eval"],
                     walked["sample"], " ".join(kinds), nouns))
sys.exit(1 if fails else 0)
EOF

if [[ $FAILS -ne 0 ]]; then
    echo "$FAILS failure(s)"
    exit 1
fi
echo "all option refusals ok"
