#!/usr/bin/python3
"""Summary figures of a checkpoint's parameters, for the training fixtures.

usage: fixture_params.py STEP_DIR
Prints "COUNT SUM_ABS L2 MAX_ABS" over every shard's /params (in shard order), each to 9
significant digits. Unlike a hash, these compare within a tolerance, so the fixtures hold
when OpenBLAS picks another kernel (another summation order) on another machine.
"""
import glob
import os
import sys

import h5py
import numpy as np

shards = sorted(glob.glob(os.path.join(sys.argv[1], "shard-*.h5")))
if not shards:
    sys.exit(f"fixture_params.py: no shard-*.h5 in {sys.argv[1]}")
p = np.concatenate([h5py.File(s, "r")["params"][()].astype(np.float64).ravel() for s in shards])
print(f"{p.size} {np.abs(p).sum():.9g} {np.sqrt((p * p).sum()):.9g} {np.abs(p).max():.9g}")
