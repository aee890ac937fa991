"""Seeds 000, 001 and 004 in PyTorch, as their own code does (read from the seeds' write-ups and
EnrcDamn/MusicGenreClassifier-PyTorch): PyTorch's own initialisers, Adam (epsilon 1e-8),
`nn.CrossEntropyLoss`, each seed's batch size, epochs, clipping, early stopping and scheduler.

- seed000-lstm: pydub 3000-ms chunks (first 10), each zero-padded/cut to 66000 samples,
  torchaudio MelSpectrogram(n_mels=40) ‖ MFCC(melkwargs n_mels=40) (torch ops, torchaudio_ops.py)
  → AudioLSTM: nn.LSTM(80, 256, 3, dropout=0.2, batch_first) → Dropout(0.2) → Linear on the last
  step; Adam 1e-3, batch 50 shuffled, clip_grad_norm_ 1, 200 epochs, early stopping patience 20
  on validation loss reloading model.pt (the best) only when it stops. --train-on-val: its
  `dataet_train` leak (validation examples trained on as well).
- seed001-lstm: librosa MFCC 13 + centroid + chroma 12 + contrast 7 (hop 512) of the whole loaded
  track, first 128 frames → nn.LSTM(33, 128, 2, dropout 0.2) → Dropout → Linear; Adam 1e-3,
  batch 35, 400 epochs, ReduceLROnPlateau(mode max, patience 10, factor 0.1) on validation
  accuracy; the last epoch's model is tested. (Upstream walks its batches in order and drops the
  remainder, which on a 26-track training part would be no batch at all: shuffled batches with
  the remainder kept here, as genre-lab does.)
- seed001-cnn: librosa MFCC 13 of 5 equal segments → 3 × [Conv 3×3 p1 → BatchNorm2d → ReLU →
  MaxPool 2] (16/32/64) → Linear 128 → ReLU → Dropout 0.5 → Linear; Adam 1e-3, batch 32, 30 epochs.
- seed004-cnn: librosa power_to_db(melspectrogram(n_mels=128)) of the whole track, 1293 frames →
  CNNNetwork: 4 × [Conv k3 s1 p2 → ReLU → MaxPool 2] (16/32/64/128) → Flatten → Linear; Adam 1e-3,
  batch 128, 10 epochs, DataLoader without shuffle (as cnn_train.py). --variant double-softmax:
  the seed's own `nn.Softmax` in forward before CrossEntropyLoss.
- seed004-cnn-code: torchaudio MFCC(n_mfcc=20, log_mels=True) of the first second, else as seed004-cnn.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Timer, features_by_track, parser, parts, read_split, report, seed_everything  # noqa: E402

SR = 22050
# epochs, batch, lr of each seed
SETTINGS = {
    "seed000-lstm": (200, 50, 1e-3),
    "seed001-lstm": (400, 35, 1e-3),
    "seed001-cnn": (30, 32, 1e-3),
    "seed004-cnn": (10, 128, 1e-3),
    "seed004-cnn-code": (10, 128, 1e-3),
}


def load(path, sr=SR):
    import librosa

    y, _ = librosa.load(path, sr=sr)
    return y


def seed000_track(path):
    import torch
    from torchaudio_ops import torch_mel, torch_mfcc

    y = load(path, sr=None)
    n = int(3000 * SR / 1000)
    out = []
    for i in range(10):
        chunk = y[i * n:(i + 1) * n]
        if len(chunk) == 0:
            break
        x = np.zeros(66000, dtype=np.float32)
        x[: min(66000, len(chunk))] = chunk[:66000]
        feat = torch.cat([torch_mel(x, SR, 40), torch_mfcc(x, SR, 40)], dim=0)
        out.append(feat.T.numpy())
    return np.stack(out)


def seed001_track(path):
    import librosa

    y = load(path)
    hop = 512
    mfcc = librosa.feature.mfcc(y=y, sr=SR, hop_length=hop, n_mfcc=13)
    centroid = librosa.feature.spectral_centroid(y=y, sr=SR, hop_length=hop)
    chroma = librosa.feature.chroma_stft(y=y, sr=SR, hop_length=hop)
    contrast = librosa.feature.spectral_contrast(y=y, sr=SR, hop_length=hop)
    data = np.zeros((1, 128, 33), dtype=np.float32)
    data[0, :, 0:13] = mfcc.T[0:128, :]
    data[0, :, 13:14] = centroid.T[0:128, :]
    data[0, :, 14:26] = chroma.T[0:128, :]
    data[0, :, 26:33] = contrast.T[0:128, :]
    return data


def seed001cnn_track(path):
    import librosa

    y = load(path)
    seg = len(y) // 5
    out = np.zeros((5, 1, 13, 259), dtype=np.float32)  # 259 frames, cut or zero-padded at the end (a 30-s track's fifth)
    for s in range(5):
        m = librosa.feature.mfcc(y=y[s * seg:(s + 1) * seg], sr=SR, n_mfcc=13, n_fft=2048, hop_length=512)
        t = min(259, m.shape[1])
        out[s, 0, :, :t] = m[:, :t]
    return out


def seed004_track(path):
    import librosa

    y = load(path)
    m = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=SR, n_mels=128))
    out = np.zeros((1, 1, 128, 1293), dtype=np.float32)
    t = min(1293, m.shape[1])
    out[0, 0, :, :t] = m[:, :t]
    return out


def seed004code_track(path):
    import torch
    from torchaudio_ops import torch_mfcc

    y = load(path, sr=None)[:SR]
    x = np.zeros(SR, dtype=np.float32)
    x[: len(y)] = y
    return torch_mfcc(x, SR, 128, n_mfcc=20, log_mels=True).numpy()[None, None]


FEATURES = {
    "seed000-lstm": ("seed000-torch-mel-mfcc", seed000_track),
    "seed001-lstm": ("seed001-features33", seed001_track),
    "seed001-cnn": ("seed001-cnn-mfcc13-seg5-259", seed001cnn_track),
    "seed004-cnn": ("seed004-logmel128", seed004_track),
    "seed004-cnn-code": ("seed004-mfcc20-logmels", seed004code_track),
}


def build(experiment, x_shape, n_classes, variant):
    import torch
    from torch import nn

    class StackedLstm(nn.Module):
        def __init__(self, n_feature, n_hidden, n_layers, dropout):
            super().__init__()
            self.n_hidden, self.n_layers = n_hidden, n_layers
            self.lstm = nn.LSTM(n_feature, n_hidden, n_layers, dropout=dropout, batch_first=True)
            self.dropout = nn.Dropout(dropout)
            self.fc = nn.Linear(n_hidden, n_classes)

        def forward(self, x):
            h = x.new_zeros(self.n_layers, x.shape[0], self.n_hidden)
            out, _ = self.lstm(x, (h, h.clone()))
            return self.fc(self.dropout(out)[:, -1, :])

    if experiment == "seed000-lstm":
        return StackedLstm(x_shape[-1], 256, 3, 0.2)
    if experiment == "seed001-lstm":
        return StackedLstm(x_shape[-1], 128, 2, 0.2)
    if experiment == "seed001-cnn":
        blocks = []
        c_in = 1
        for c in (16, 32, 64):
            blocks += [nn.Conv2d(c_in, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(), nn.MaxPool2d(2)]
            c_in = c
        feat = nn.Sequential(*blocks, nn.Flatten())
        n = feat(torch.zeros(1, *x_shape)).shape[1]
        return nn.Sequential(feat, nn.Linear(n, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, n_classes))
    if experiment in ("seed004-cnn", "seed004-cnn-code"):
        blocks = []
        c_in = 1
        for c in (16, 32, 64, 128):
            blocks += [nn.Conv2d(c_in, c, kernel_size=3, stride=1, padding=2), nn.ReLU(), nn.MaxPool2d(kernel_size=2)]
            c_in = c
        feat = nn.Sequential(*blocks, nn.Flatten())
        n = feat(torch.zeros(1, *x_shape)).shape[1]
        layers = [feat, nn.Linear(n, n_classes)]
        if variant == "double-softmax":
            layers.append(nn.Softmax(dim=1))
        return nn.Sequential(*layers)
    raise SystemExit(f"seeds_torch.py: unknown experiment {experiment}")


def main():
    args = parser(__doc__).parse_args()
    import torch
    from torch import nn

    if args.threads:
        torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    torch.manual_seed(args.seed)
    exp = args.experiment
    epochs, batch, lr = SETTINGS[exp]
    epochs = args.epochs or epochs
    lr = args.lr or lr
    timer = Timer()
    split = read_split(args.split_in)
    name, fn = FEATURES[exp]
    data = parts(split, features_by_track(split, name, fn, args.cache))
    t = {k: (torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)), torch.from_numpy(y)) for k, (x, y) in data.items()}
    x_train, y_train = t["train"]
    if args.train_on_val:  # seed 000: DataLoader(dataset_train) where the val part was split into `dataet_train`
        x_train, y_train = torch.cat([x_train, t["val"][0]]), torch.cat([y_train, t["val"][1]])
    model = build(exp, tuple(x_train.shape[1:]), len(split["classes"]), args.variant)
    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", patience=10, factor=0.1) if exp == "seed001-lstm" else None
    shuffle = not exp.startswith("seed004")  # cnn_train.py: DataLoader(train_data, batch_size) without shuffle
    gen = torch.Generator().manual_seed(args.seed)

    def evaluate(x, y):
        model.eval()
        with torch.no_grad():
            out = torch.cat([model(x[i:i + 256]) for i in range(0, len(x), 256)])
        model.train()
        return float(loss_fn(out, y)), float((out.argmax(1) == y).float().mean())

    best, best_epoch, wait, stopped, best_state = float("inf"), 0, 0, False, None
    epochs_run = 0
    train_acc = 0.0
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(x_train), generator=gen) if shuffle else torch.arange(len(x_train))
        correct = 0
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            out = model(x_train[idx])
            loss = loss_fn(out, y_train[idx])
            opt.zero_grad()
            loss.backward()
            if exp == "seed000-lstm":
                nn.utils.clip_grad_norm_(model.parameters(), 1)
            opt.step()
            correct += int((out.argmax(1) == y_train[idx]).sum())
        train_acc = correct / len(order)
        epochs_run = epoch
        if len(t["val"][1]):
            val_loss, val_acc = evaluate(*t["val"])
            if sched:
                sched.step(val_acc)
            if exp == "seed000-lstm":
                if val_loss < best:
                    best, best_epoch, wait = val_loss, epoch, 0
                    best_state = {k: v.clone() for k, v in model.state_dict().items()}
                else:
                    wait += 1
                    if wait == 20:
                        model.load_state_dict(best_state)
                        stopped = True
                        break
    test_loss, test_acc = evaluate(*t["test"])
    report(
        side="reference", framework=f"torch {torch.__version__}", experiment=exp, variant=args.variant,
        accuracy=test_acc, testLoss=test_loss, epochsRun=epochs_run, epochs=epochs, lr=lr, trainAccuracy=train_acc,
        bestEpoch=best_epoch or None, stoppedEarly=stopped, seconds=timer.seconds(),
        counts={k: int(len(v[1])) for k, v in data.items()},
    )


if __name__ == "__main__":
    main()
