#!/usr/bin/env bash
# README and the manual against the programs, as a newcomer reads them:
#   - the option list of every program in docs/MANUAL.md's "### Options" equals its --help (long
#     names), and no line of a --help is longer than 100 columns;
#   - every option a command of README.md or of docs/*.md gives to build/drnn-* is one that
#     program has;
#   - every Markdown link and image of the repository's .md files resolves to a file inside the
#     repository (no external address, nothing outside the repository such as ../shared).
# Needs only the build and python3's standard library; runs in about a second.
source "$(dirname "$0")/lib.sh"
for p in prep train sample eval export; do
    "$BUILD/drnn-$p" --help >"$WORK/help-$p.txt" 2>&1 || fail "drnn-$p --help: exit $?"
done
/usr/bin/python3 - "$SRC" "$WORK" <<'PY' || FAILS=$((FAILS + 1))
import glob, os, re, sys

src, work = sys.argv[1], sys.argv[2]
progs = ["prep", "train", "sample", "eval", "export"]
bad = 0


def fail(msg):
    global bad
    bad += 1
    print("FAIL: " + msg)


# --help: "  --name X  help" or "  -o, --name X  help" lines.
helps = {}
for p in progs:
    with open(os.path.join(work, "help-%s.txt" % p)) as f:
        helps[p] = set(re.findall(r"^  (?:-[A-Za-z], )?--([a-z][a-z0-9-]*)", f.read(), re.M))
    if len(helps[p]) < 3:
        fail("drnn-%s --help lists %d options: its format changed?" % (p, len(helps[p])))
    with open(os.path.join(work, "help-%s.txt" % p), encoding="utf-8") as f:
        for n, line in enumerate(f.read().splitlines(), 1):
            if len(line) > 100:
                fail("drnn-%s --help line %d has %d columns (more than 100): %s"
                     % (p, n, len(line), line))

with open(os.path.join(src, "docs", "MANUAL.md")) as f:
    manual = f.read()

# The manual's ### Options: one bullet "- **drnn-NAME** ..." per program (with its sub-bullets).
m = re.search(r"^### Options\n(.*?)^#", manual, re.M | re.S)
if not m:
    fail("docs/MANUAL.md has no '### Options' section")
    sys.exit(1)
items = re.split(r"^- \*\*drnn-", m.group(1), flags=re.M)[1:]
listed = {}
for item in items:
    name = re.match(r"([a-z]+)\*\*", item).group(1)
    listed[name] = set(re.findall(r"--([a-z][a-z0-9-]*)", item))
for p in progs:
    if p not in listed:
        fail("docs/MANUAL.md's Options lists no drnn-%s" % p)
        continue
    for o in sorted(helps[p] - listed[p]):
        fail("drnn-%s --%s is in --help but not in docs/MANUAL.md's Options" % (p, o))
    for o in sorted(listed[p] - helps[p]):
        fail("docs/MANUAL.md's Options lists drnn-%s --%s, which --help does not have" % (p, o))
    if helps[p] == listed[p]:
        print("ok: drnn-%s: docs/MANUAL.md lists the %d options of --help" % (p, len(helps[p])))

# Commands in ```sh blocks of README.md and of every docs/*.md: the options after
# build/drnn-NAME must be NAME's.
ncmd = 0
for path in [os.path.join(src, "README.md")] + sorted(glob.glob(os.path.join(src, "docs", "*.md"))):
    rel = os.path.relpath(path, src)
    with open(path) as f:
        md = f.read()
    for block in re.findall(r"^```sh\n(.*?)^```", md, re.M | re.S):
        text = re.sub(r"\\\n", " ", block)
        for line in text.splitlines():
            line = re.sub(r"\s#\s.*$", "", line)  # a trailing comment
            for seg in re.split(r"\||;|&&", line):
                m = re.search(r"build/drnn-([a-z]+)(.*)", seg)
                if not m or m.group(1) not in helps:
                    continue
                ncmd += 1
                for o in re.findall(r"(?:^|\s)--([a-z][a-z0-9-]*)", m.group(2)):
                    if o not in helps[m.group(1)]:
                        fail("%s: command uses drnn-%s --%s, which does not exist: %s"
                             % (rel, m.group(1), o, seg.strip()))
print("ok: %d commands of README.md and docs/*.md checked against --help" % ncmd)

# Links of every tracked-looking .md file (build folders and runs excluded).
nlinks = 0
for root, dirs, files in os.walk(src):
    dirs[:] = [d for d in dirs if not d.startswith(".") and d not in ("build", "runs")
               and not d.startswith("build")]
    for fn in files:
        if not fn.endswith(".md"):
            continue
        path = os.path.join(root, fn)
        with open(path) as f:
            md = f.read()
        for target in re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", md):
            nlinks += 1
            rel = os.path.relpath(path, src)
            if re.match(r"[a-z][a-z0-9+.-]*:", target):
                fail("%s links outside the repository: %s" % (rel, target))
                continue
            t = target.split("#")[0]
            if not t:
                continue
            full = os.path.realpath(os.path.join(root, t))
            if not (full + os.sep).startswith(os.path.realpath(src) + os.sep):
                fail("%s links outside the repository: %s" % (rel, target))
            elif not os.path.exists(full):
                fail("%s links to a missing file: %s" % (rel, target))
print("ok: %d Markdown links checked" % nlinks)
sys.exit(1 if bad else 0)
PY
finish
