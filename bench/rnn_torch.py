"""PyTorch CPU reference for `npm run bench:rnn` (bench/rnn.ts): trains one case for a few
batches on random data and prints {"case", "samplesPerSec", "params", ...} as the last stdout line.

The shapes must match bench/rnn.ts exactly (the TS side passes them in as JSON so there is
one source of truth). Usage: rnn_torch.py '<case json>' [batches] [warm-up batches]
"""
import json
import resource
import sys
import time

import torch
import torch.nn as nn


class Lecture(nn.Module):
    """LSTM(64) -> LSTM(64) -> Dense(10) on the last step (the course lecture's model, issue 6)."""

    def __init__(self, c):
        super().__init__()
        self.rnn = nn.LSTM(c["features"], c["units"], c["layers"], batch_first=True, dropout=c.get("dropout", 0.0))
        self.fc = nn.Linear(c["units"], c["classes"])

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.fc(y[:, -1, :])


class AudioLSTM(Lecture):
    """Seed 000's AudioLSTM: nn.LSTM(80, 256, 3, dropout=0.2) -> Dropout(0.2) -> Linear on the last step."""

    def __init__(self, c):
        super().__init__(c)
        self.drop = nn.Dropout(c.get("dropout", 0.0))

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.fc(self.drop(y)[:, -1, :])


class BiGRU(nn.Module):
    """Seed 002's rnn_classifier: n x Bidirectional(GRU(d, return_sequences)) -> Dropout ->
    GlobalAvgPool1D -> Dense(4*classes, selu) -> Dropout -> Dense(classes, sigmoid) (multi-label)."""

    def __init__(self, c):
        super().__init__()
        self.rnn = nn.GRU(c["features"], c["units"], c["layers"], batch_first=True, bidirectional=True)
        self.drop = nn.Dropout(c.get("dropout", 0.0))
        self.fc1 = nn.Linear(2 * c["units"], 4 * c["classes"])
        self.fc2 = nn.Linear(4 * c["classes"], c["classes"])

    def forward(self, x):
        y, _ = self.rnn(x)
        y = self.drop(y).mean(dim=1)
        y = self.drop(torch.selu(self.fc1(y)))
        return self.fc2(y)  # logits; sigmoid lives in the loss


def main():
    c = json.loads(sys.argv[1])
    batches = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    warmup = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    torch.manual_seed(0)
    model = {"lecture": Lecture, "audiolstm": AudioLSTM, "bigru": BiGRU}[c["kind"]](c)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    b, t, f, k = c["batch"], c["steps"], c["features"], c["classes"]
    x = torch.randn(b, t, f)
    if c["kind"] == "bigru":
        y = (torch.rand(b, k) < 0.1).float()
        loss_fn = nn.BCEWithLogitsLoss()
    else:
        y = torch.randint(0, k, (b,))
        loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    model.train()
    for _ in range(warmup):  # warm-up: allocator, oneDNN primitive caches (as many as our side gets)
        step()
    t0 = time.perf_counter()
    for _ in range(batches):
        step()
    dt = time.perf_counter() - t0
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({"case": c["name"], "samplesPerSec": b * batches / dt, "msPerBatch": 1000 * dt / batches,
                      "params": params, "threads": torch.get_num_threads(), "torch": torch.__version__,
                      "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}))


if __name__ == "__main__":
    main()
