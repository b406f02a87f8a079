#!/usr/bin/python3
"""Compare the parameters (and momentum) of two drnn checkpoints.

usage: ckpt_compare.py CKPT_A CKPT_B [TOL]
CKPT is a step-N folder or a run folder (its ckpt/latest). Parameters are reassembled from the
shards by the slices the manifest records, so checkpoints written by different rank counts
compare. Exit 0 when max |a - b| <= TOL (default 0: bit-identical), else 1.
"""
import os
import sys

import h5py
import numpy as np


def step_dir(path):
    latest = os.path.join(path, "ckpt", "latest")
    if os.path.exists(latest):
        return os.path.join(path, "ckpt", open(latest).read().split()[0])
    return path


def load(path):
    d = step_dir(path)
    with h5py.File(os.path.join(d, "manifest.h5"), "r") as m:
        world = int(m.attrs["world_size"])
        lo, hi = m["shards/lo"][...], m["shards/hi"][...]
    params = np.zeros(int(hi[-1]), dtype=np.float32)
    mom = None
    for r in range(world):
        with h5py.File(os.path.join(d, "shard-%05d-of-%05d.h5" % (r, world)), "r") as s:
            params[lo[r]:hi[r]] = s["params"][...]
            if "momentum" in s:
                if mom is None:
                    mom = np.zeros_like(params)
                mom[lo[r]:hi[r]] = s["momentum"][...]
    return d, params, mom


def main():
    tol = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    da, pa, ma = load(sys.argv[1])
    db, pb, mb = load(sys.argv[2])
    if pa.shape != pb.shape:
        print("different parameter counts: %d vs %d" % (pa.size, pb.size))
        return 1
    diff = float(np.max(np.abs(pa.astype(np.float64) - pb))) if pa.size else 0.0
    print("params max |diff| = %.3g (%s vs %s)" % (diff, da, db))
    ok = diff <= tol
    if (ma is None) != (mb is None):
        print("momentum present in only one of them")
        ok = False
    elif ma is not None:
        md = float(np.max(np.abs(ma.astype(np.float64) - mb)))
        print("momentum max |diff| = %.3g" % md)
        ok = ok and md <= tol
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
