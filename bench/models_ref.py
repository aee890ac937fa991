"""Source-framework reference for `npm run bench:models` (bench/models.ts): trains one case in this
process on random data and prints one JSON line (samples/s of the best timed epoch, peak resident
memory of this process) as the last stdout line.

Keras (tensorflow-cpu) for the lecture models, PyTorch for seed 001's and seed 004's CNNs and seed
002's Transformer, each written as its framework's users write it. The case (shapes, batch, epochs)
comes from bench/models.ts as JSON, one source of truth. Every epoch loops over shuffled batches of an
in-memory set and reads the loss back per batch, as lib/train's fit does.

Usage: models_ref.py '<case json>'
"""
import json
import math
import resource
import sys
import time

import numpy as np


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def data(c, rng):
    n = c["batch"] * c["batchesPerEpoch"]
    x = rng.standard_normal((n, *c["shape"]), dtype=np.float32)
    if c["output"] == "sigmoid":
        y = (rng.random((n, c["classes"])) < 0.1).astype(np.float32)
    else:
        y = rng.integers(0, c["classes"], n)
    return x, y


# ---------------------------------------------------------------- Keras (lecture models)
def keras_model(c):
    import keras
    from keras import layers

    if c["model"] == "lecture-mlp":
        m = keras.Sequential([keras.Input(c["shape"]), layers.Flatten(), layers.Dense(512, activation="relu"),
                              layers.Dense(256, activation="relu"), layers.Dense(64, activation="relu"),
                              layers.Dense(c["classes"], activation="softmax")])
    elif c["model"] == "lecture-cnn":
        seq = [keras.Input(c["shape"])]
        for k, p in [(3, 3), (3, 3), (2, 2)]:
            seq += [layers.Conv2D(32, k, activation="relu"), layers.MaxPooling2D(p, strides=2, padding="same"), layers.BatchNormalization()]
        seq += [layers.Flatten(), layers.Dense(64, activation="relu"), layers.Dropout(0.3), layers.Dense(c["classes"], activation="softmax")]
        m = keras.Sequential(seq)
    else:
        raise ValueError(c["model"])
    m.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-4), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def run_keras(c, x, y):
    import tensorflow as tf

    m = keras_model(c)
    rates = []
    for e in range(c["epochs"]):
        t0 = time.perf_counter()
        m.fit(x, y, batch_size=c["batch"], epochs=1, shuffle=True, verbose=0)
        dt = time.perf_counter() - t0
        if e >= c["warmupEpochs"]:
            rates.append(len(x) / dt)
    return {"samplesPerSec": max(rates), "params": int(m.count_params()), "framework": f"keras {__import__('keras').__version__} / tensorflow {tf.__version__}"}


# ---------------------------------------------------------------- PyTorch
def torch_model(c):
    import torch
    import torch.nn as nn

    if c["model"] == "seed001-cnn":  # 3 x [conv 3x3 pad 1 -> BN -> ReLU -> max-pool 2] -> dense 128 -> ReLU -> dropout 0.5 -> linear
        h, w = c["shape"][0], c["shape"][1]
        seq, cin = [], 1
        for cout in (16, 32, 64):
            seq += [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2)]
            cin, h, w = cout, h // 2, w // 2
        seq += [nn.Flatten(), nn.Linear(cin * h * w, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, c["classes"])]
        return nn.Sequential(*seq)
    if c["model"] == "seed004-cnn":  # EnrcDamn CNNNetwork: 4 x [conv k3 s1 p2 -> ReLU -> max-pool 2] -> flatten -> linear
        h, w = c["shape"][0], c["shape"][1]
        seq, cin = [], 1
        for cout in (16, 32, 64, 128):
            seq += [nn.Conv2d(cin, cout, 3, stride=1, padding=2), nn.ReLU(), nn.MaxPool2d(2)]
            cin, h, w = cout, (h + 2) // 2, (w + 2) // 2
        seq += [nn.Flatten(), nn.Linear(cin * h * w, c["classes"])]
        return nn.Sequential(*seq)
    if c["model"] == "seed002-transformer":
        return Transformer(c)
    raise ValueError(c["model"])


def Transformer(c):
    """Seed 002's transformer_classifier (the TF tutorial encoder) in PyTorch: x*sqrt(d) + sinusoidal
    positions -> dropout -> 4 post-norm layers [MHA(8) -> dropout -> add&LN(1e-6) -> FFN 256 ReLU -> 128 ->
    dropout -> add&LN] -> dropout 0.2 -> mean over time -> Linear(4C, selu) -> Linear(C, sigmoid)."""
    import torch
    import torch.nn as nn

    d, heads, dff, rate, layers, classes = c["shape"][1], 8, 256, 0.3, 4, c["classes"]

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.mha = nn.MultiheadAttention(d, heads, batch_first=True)
            self.ln1, self.ln2 = nn.LayerNorm(d, eps=1e-6), nn.LayerNorm(d, eps=1e-6)
            self.ffn = nn.Sequential(nn.Linear(d, dff), nn.ReLU(), nn.Linear(dff, d))
            self.drop1, self.drop2 = nn.Dropout(rate), nn.Dropout(rate)

        def forward(self, x):
            a, _ = self.mha(x, x, x, need_weights=False)
            x = self.ln1(x + self.drop1(a))
            return self.ln2(x + self.drop2(self.ffn(x)))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            pos = torch.arange(2048, dtype=torch.float32)[:, None]
            i = torch.arange(d)[None, :]
            angle = pos / torch.pow(10000.0, (2 * (i // 2)).float() / d)
            self.register_buffer("pe", torch.where(i % 2 == 0, torch.sin(angle), torch.cos(angle)))
            self.drop_in, self.drop_out = nn.Dropout(rate), nn.Dropout(0.2)
            self.layers = nn.ModuleList([Layer() for _ in range(layers)])
            self.fc1, self.fc2 = nn.Linear(d, 4 * classes), nn.Linear(4 * classes, classes)

        def forward(self, x):
            x = self.drop_in(x * math.sqrt(d) + self.pe[: x.shape[1]])
            for layer in self.layers:
                x = layer(x)
            x = self.drop_out(x).mean(dim=1)
            return torch.sigmoid(self.fc2(torch.selu(self.fc1(x))))

    return Net()


def weighted_bce(p, y, w=4.0, eps=1e-7):
    """Seed 002's custom_binary_crossentropy (lib/train/losses.ts weightedBinaryCrossentropy)."""
    import torch

    p = p.clamp(eps, 1 - eps)
    return -(w * y * torch.log(p + eps) + (1 - y) * torch.log(1 - p + eps)).sum(-1).mean()


def run_torch(c, x, y):
    import torch
    import torch.nn as nn

    torch.manual_seed(0)
    m = torch_model(c)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    X = torch.from_numpy(x)
    if len(c["shape"]) == 3:  # channels-last [h, w, 1] -> torch [1, h, w]
        X = X.permute(0, 3, 1, 2).contiguous()
    Y = torch.from_numpy(y)
    loss_fn = weighted_bce if c["output"] == "sigmoid" else nn.CrossEntropyLoss()
    m.train()
    rates = []
    for e in range(c["epochs"]):
        t0 = time.perf_counter()
        order = torch.randperm(len(X))
        for s in range(0, len(X), c["batch"]):
            idx = order[s : s + c["batch"]]
            opt.zero_grad()
            loss = loss_fn(m(X[idx]), Y[idx])
            loss.backward()
            opt.step()
            loss.item()
        dt = time.perf_counter() - t0
        if e >= c["warmupEpochs"]:
            rates.append(len(X) / dt)
    return {"samplesPerSec": max(rates), "params": sum(p.numel() for p in m.parameters()), "framework": f"torch {torch.__version__}", "threads": torch.get_num_threads()}


def main():
    c = json.loads(sys.argv[1])
    x, y = data(c, np.random.default_rng(0))
    out = run_keras(c, x, y) if c["reference"] == "keras" else run_torch(c, x, y)
    out.update(case=c["name"], peakRssMB=peak_rss_mb())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
