#!/usr/bin/python3
"""Checks a drnn-prep --tokenizer spm corpus against Python's sentencepiece (the reference).

usage: spm_check.py CORPUS.h5 FORMAT INPUT [--valid FILE]
FORMAT: text, labels or pairs. INPUT is the text drnn-prep read (the --valid FILE too, when
given). The model comes out of the corpus (/spm_model, /tgt_spm_model). Expected ids: every line
encoded by sentencepiece (text: then <eos> for its newline; labels: the text after the TAB;
pairs: each side) and mapped to drnn's layout: drnn's specials first, standing for the model's
pieces of those roles, then the model's other pieces in its order (the identity for a model
drnn-prep trained). The splits' ids together must equal them; /vocab and /tgt_vocab must be the
layout's tables; decoding each example's ids with sentencepiece must give back its text (lines
without <unk>). Prints a summary; exit 1 on the first difference.
"""
import sys

import h5py
import numpy as np
import sentencepiece as spm

SPLITS = ("train", "valid", "test")


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def layout(sp, seq2seq):
    """drnn's table and the model-id -> drnn-id map."""
    roles = [sp.unk_id(), sp.pad_id(), sp.bos_id(), sp.eos_id()] if seq2seq else [sp.unk_id(), sp.eos_id()]
    names = ["<unk>", "<pad>", "<bos>", "<eos>"] if seq2seq else ["<unk>", "<eos>"]
    table, to_drnn = list(names), {}
    for k, r in enumerate(roles):
        if r >= 0:
            to_drnn[r] = k
    for i in range(sp.get_piece_size()):
        if i in roles:
            continue
        to_drnn[i] = len(table)
        table.append(sp.id_to_piece(i))
    return table, to_drnn


def strings(ds):
    raw = bytes(ds[()])
    return [s.decode("utf-8", "surrogateescape") for s in raw.split(b"\0")[:-1]]


def model(f, name):
    return spm.SentencePieceProcessor(model_proto=bytes(f[name][()])) if name in f else None


def main():
    path, fmt, inputs = sys.argv[1], sys.argv[2], [sys.argv[3]]
    if "--valid" in sys.argv:
        inputs.append(sys.argv[sys.argv.index("--valid") + 1])
    f = h5py.File(path, "r")
    seq2seq = fmt == "pairs"
    sps = [model(f, "spm_model")]
    sps.append(model(f, "tgt_spm_model") or sps[0])
    sides = ["src_", "tgt_"] if seq2seq else [""]
    tables = [strings(f["vocab"])] + ([strings(f["tgt_vocab"])] if seq2seq else [])
    maps = []
    for s in range(len(sides)):
        want, to_drnn = layout(sps[s], seq2seq)
        if tables[s] != want:
            fail(f"{path}: /{'tgt_' if s else ''}vocab differs from the model's layout "
                 f"({len(tables[s])} entries, {len(want)} expected)")
        maps.append(to_drnn)
    lines = []
    for name in inputs:
        with open(name, encoding="utf-8", newline="\n") as fh:
            lines += [l[:-1] if l.endswith("\n") else l for l in fh.read().split("\n")]
        if lines and lines[-1] == "":
            lines.pop()
    expect = [[] for _ in sides]
    texts = [[] for _ in sides]
    for line in lines:
        line = line.rstrip("\r")
        if fmt == "text":
            ids = [maps[0][i] for i in sps[0].encode(line)] + [1]
            expect[0] += ids
            continue
        if not line:
            continue
        parts = line.split("\t", 1)
        parts = parts[1:] if fmt == "labels" else parts
        for s, text in enumerate(parts):
            expect[s].append([maps[s][i] for i in sps[s].encode(text)])
            texts[s].append(text)
    checked = 0
    for s, side in enumerate(sides):
        got = []
        for split in SPLITS:
            if split not in f:
                continue
            tok = f[split][side + "tokens"][()].astype(np.int64)
            if fmt == "text":
                got += tok.tolist()
            else:
                off = f[split][side + "offsets" if side else "offsets"][()]
                got += [tok[off[i]:off[i + 1]].tolist() for i in range(len(off) - 1)]
        if got != expect[s]:
            n = min(len(got), len(expect[s]))
            first = next((i for i in range(n) if got[i] != expect[s][i]), n)
            fail(f"{path} {side or 'text'}: ids differ from sentencepiece's at {first} "
                 f"(of {len(got)}, {len(expect[s])} expected): {got[first:first + 5]} vs "
                 f"{expect[s][first:first + 5]}")
        checked += sum(len(x) if isinstance(x, list) else 1 for x in got)
        # decoding gives the text back
        from_drnn = {v: k for k, v in maps[s].items()}
        if fmt == "text":
            examples, cur = [], []
            for t in got:
                if t == 1:
                    examples.append(cur)
                    cur = []
                else:
                    cur.append(t)
            texts[s] = [l.rstrip("\r") for l in lines]
        else:
            examples = got
        for ids, text in zip(examples, texts[s]):
            if 0 in ids:
                continue
            back = sps[s].decode([from_drnn[t] for t in ids])
            if back != " ".join(text.split()):
                fail(f"{path}: decoding gives '{back}' for the text '{text}'")
    print(f"ok: {checked} ids of {len(lines)} lines equal sentencepiece's, vocabularies equal, "
          f"texts decode back")


main()
