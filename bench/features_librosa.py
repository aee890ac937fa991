"""librosa reference for `npm run bench:features` (bench/features.ts): times each feature over the
same 30-s clips (a float32 .npy [clips, samples] written by the TS side) and prints
{"feature": {"clipsPerS", "cpuMsPerClip"}, ...} as the last stdout line.

Usage: features_librosa.py CLIPS.npy SR FEATURE[,FEATURE...] [DUMP_DIR]
With DUMP_DIR, also saves each feature of the first clip as DUMP_DIR/ref_FEATURE.npy (float32), so the
TS side can check that both sides computed the same outputs (shape and values), not just timed them.
The feature definitions mirror lib/features/extractors.ts (mfcc13, melDb128, features33).
"""
import json
import sys
import time

import librosa
import numpy as np

clips = np.load(sys.argv[1])
sr = int(sys.argv[2])
names = sys.argv[3].split(",")

FEATURES = {
    "mfcc13": lambda y: librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13, n_fft=2048, hop_length=512),
    "melDb128": lambda y: librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr, n_mels=128)),
    # seed 001 GenreFeatureData: four separate librosa calls per track
    "features33": lambda y: np.vstack([
        librosa.feature.mfcc(y=y, sr=sr, hop_length=512, n_mfcc=13),
        librosa.feature.spectral_centroid(y=y, sr=sr, hop_length=512),
        librosa.feature.chroma_stft(y=y, sr=sr, hop_length=512),
        librosa.feature.spectral_contrast(y=y, sr=sr, hop_length=512),
    ]),
}

for name in names:  # warm caches (filterbanks, numba JIT of piptrack etc.), as the TS side warms each feature
    FEATURES[name](clips[0][: sr * 2])
if len(sys.argv) > 4:
    import os
    for name in names:
        np.save(os.path.join(sys.argv[4], f"ref_{name}.npy"), FEATURES[name](clips[0]).astype(np.float32))
out = {}
for name in names:
    f = FEATURES[name]
    t, c = time.perf_counter(), time.process_time()
    for y in clips:
        f(y)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    # clips/s of wall time, and CPU ms per clip (all threads: numpy may run BLAS on several)
    out[name] = {"clipsPerS": len(clips) / wall, "cpuMsPerClip": 1000 * cpu / len(clips)}
print(json.dumps(out))
