#!/usr/bin/python3
"""The floor plan holds (docs/DESIGN.md): which folder may include which, no import circles,
and each model kind named in the one table only.

1. Folders: every `#include "dir/file.h"` of the C sources goes down the layers
       base <- model <- io, comm <- prep, trainer <- tools <- kinds
   as ALLOWED says (a program's main may also include kinds/kinds.h); io/ may use model/ only
   for the model's description (desc.h, params.h, cells.h), never for helper functions.
2. No import circles: modules (a .c and its .h) form no cycle through their includes.
3. Kind names: the name of every row of kinds/kinds.c appears as a C string literal in the
   sources only in kinds/ (tests and docs aside).
Prints every violation; exits 1 if there is one.

Usage: tests/layers_check.py SOURCE_DIR
"""

import os
import re
import sys

ROOT = sys.argv[1]
FOLDERS = ["base", "model", "io", "comm", "prep", "trainer", "tools", "kinds"]
ALLOWED = {
    "base": {"base"},
    "model": {"base", "model"},
    "io": {"base", "io", "model"},
    "comm": {"base", "comm"},
    "prep": {"base", "io", "prep"},
    "trainer": {"base", "model", "io", "comm", "trainer"},
    "tools": {"base", "model", "io", "trainer", "tools"},
    "kinds": {"model", "trainer", "tools", "kinds"},
}
IO_MODEL_HEADERS = {"model/desc.h", "model/params.h", "model/cells.h"}
# Programs' mains find kinds by name in the one table.
MAINS = {"trainer/drnn_train.c", "trainer/train_setup.c", "trainer/train_flags.c",
         "trainer/model_load.c", "tools/drnn_eval.c", "tools/drnn_sample.c",
         "tools/drnn_export.c"}

errors = []
files = {}
for folder in FOLDERS:
    for name in sorted(os.listdir(os.path.join(ROOT, folder))):
        if name.endswith((".c", ".h", ".cc")):
            rel = f"{folder}/{name}"
            with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
                files[rel] = f.read()

inc_re = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
graph = {}
for rel, text in files.items():
    folder = rel.split("/")[0]
    mod = os.path.splitext(rel)[0]
    for inc in inc_re.findall(text):
        dep_folder = inc.split("/")[0]
        if dep_folder not in FOLDERS:
            continue
        ok = dep_folder in ALLOWED[folder] or (inc == "kinds/kinds.h" and rel in MAINS)
        if folder == "io" and dep_folder == "model" and inc not in IO_MODEL_HEADERS:
            ok = False
        if not ok:
            errors.append(f"{rel} includes {inc}: {folder}/ may not include {dep_folder}/")
        dep = os.path.splitext(inc)[0]
        if dep != mod:
            graph.setdefault(mod, set()).add(dep)

# Cycles: Tarjan's strongly connected components over modules.
index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]
def strong(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on.add(v)
    for w in sorted(graph.get(v, ())):
        if w not in index:
            strong(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            sccs.append(sorted(comp))
sys.setrecursionlimit(10000)
for v in sorted(graph):
    if v not in index:
        strong(v)
for comp in sccs:
    errors.append("import circle: " + " <-> ".join(comp))

# Kind names: a row {"name", &model_row, &train_row, &tool_row} of kinds/kinds.c; the name may
# be written in the table and in the files that define the kind's rows, nowhere else.
table = files["kinds/kinds.c"] + files["kinds/kinds.h"]
default = re.findall(r'#define KINDS_DEFAULT "([a-z0-9_]+)"', table)
rows = re.findall(r'^\s*\{(?:"([a-z0-9_]+)"|KINDS_DEFAULT),\s*&(\w+),\s*&(\w+),\s*&(\w+)\}',
                  table, re.M)
names = []
own = {}
for name, *symbols in rows:
    name = name or (default[0] if default else "?")
    names.append(name)
    own[name] = {rel for rel, text in files.items() if rel.endswith(".c") and any(
        re.search(r"^const \w+ " + sym + r"\s*=", text, re.M) for sym in symbols)}
    if len(own[name]) < 3:
        errors.append(f"kinds/kinds.c: the rows of kind {name} ({symbols}) are not all defined "
                      f"in files of their own (found {sorted(own[name])})")
if len(names) < 4:
    errors.append(f"kinds/kinds.c: expected at least 4 kinds in the table, found {names}")
for rel, text in files.items():
    if rel.startswith("kinds/"):
        continue
    for name in names:
        if f'"{name}"' in text and rel not in own[name]:
            errors.append(f'{rel}: the kind name "{name}" written by hand outside the kind\'s '
                          f'own files {sorted(own[name])} and kinds/')

for e in errors:
    print("FAIL", e)
print(f"{len(files)} files, {sum(len(v) for v in graph.values())} module includes, "
      f"kinds {names}: {len(errors)} problem(s)")
sys.exit(1 if errors else 0)
