"""Shared plumbing of the reference implementations (bench/fidelity.ts runs them).

Each reference reads the split file genre-lab wrote (`genre-lab train --split-out`): the class
names, every track's audio file and genre, and the example ids (`<track id>#<row>`) of each part.
It computes its own features with its source's own code (librosa / torch ops), trains its
source's own model, and prints one JSON line: the test accuracy, wall seconds, epochs run.
Features are cached per track in --cache (.npy), keyed by the feature's name.
"""
import argparse
import hashlib
import json
import os
import random
import time

import numpy as np


def parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--experiment", required=True)
    p.add_argument("--split-in", required=True, help="split file written by genre-lab train --split-out")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--epochs", type=int, help="cap the source's epochs")
    p.add_argument("--lr", type=float, help="learning rate (default: the source's)")
    p.add_argument("--cache", default=None, help="feature cache folder")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--train-on-val", action="store_true", help="seed 000's dataet_train leak")
    p.add_argument("--variant", default=None, help="faithful variants (seed004: double-softmax)")
    return p


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)


def read_split(path):
    with open(path) as f:
        return json.load(f)


def features_by_track(split, name, compute, cache):
    """{track id: array [rows, ...]} of `compute(path)` over the split's tracks, cached as .npy."""
    out = {}
    folder = os.path.join(cache, name) if cache else None
    if folder:
        os.makedirs(folder, exist_ok=True)
    for tid, t in sorted(split["tracks"].items()):
        f = None
        if folder:
            st = os.stat(t["path"])
            key = hashlib.sha1(f"{t['path']}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:12]
            f = os.path.join(folder, f"{tid}.{key}.npy")
            if os.path.exists(f):
                out[tid] = np.load(f)
                continue
        a = np.asarray(compute(t["path"]), dtype=np.float32)
        out[tid] = a
        if f:
            np.save(f, a)
    return out


def parts(split, feats):
    """(x, y) arrays per part from the split's example ids and the per-track feature rows."""
    classes = split["classes"]
    res = {}
    for part in ("train", "val", "test"):
        xs, ys = [], []
        for ex in split[part]:
            tid, row = ex.rsplit("#", 1)
            rows = feats[tid]
            r = int(row)
            if r >= len(rows):
                raise SystemExit(f"{ex}: the reference has only {len(rows)} example(s) for {tid}")
            xs.append(rows[r])
            ys.append(classes.index(split["tracks"][tid]["genre"]))
        res[part] = (np.stack(xs) if xs else np.zeros((0,)), np.array(ys, dtype=np.int64))
    counts = {tid: len(v) for tid, v in feats.items()}
    listed = len(split["train"]) + len(split["val"]) + len(split["test"])
    if listed != sum(counts.values()):
        raise SystemExit(f"the split lists {listed} examples, the reference's features give {sum(counts.values())}")
    return res


class Timer:
    def __init__(self):
        self.t0 = time.time()

    def seconds(self):
        return time.time() - self.t0


def report(**kw):
    print(json.dumps(kw), flush=True)
