"""torchaudio's `MelSpectrogram` and `MFCC` defaults written in torch ops (torchaudio has no wheel on
the package mirror here), following torchaudio's source (functional.spectrogram,
functional.melscale_fbanks, transforms.AmplitudeToDB, functional.create_dct). Used by the seed
000 / 004 references and by test/fixtures/features/make_goldens.py, whose goldens
(golden/*torch_mel40*, *torch_mfcc40*) also check lib/features' torchaudio preset.

`python reference/torchaudio_ops.py --check` recomputes those goldens from their stored inputs.
"""
import glob
import os
import sys

import numpy as np
import torch


def torch_mel(y, sr, n_mels, n_fft=400, hop=200):
    """torchaudio.transforms.MelSpectrogram(sample_rate=sr, n_mels=n_mels) defaults, in torch ops."""
    x = torch.from_numpy(y.astype(np.float32))
    spec = torch.stft(x, n_fft, hop_length=hop, win_length=n_fft, window=torch.hann_window(n_fft),
                      center=True, pad_mode="reflect", normalized=False, onesided=True, return_complex=True)
    spec = spec.abs().pow(2.0)
    # torchaudio.functional.melscale_fbanks(n_freqs, f_min=0, f_max=sr // 2, n_mels, sr, norm=None, mel_scale='htk')
    all_freqs = torch.linspace(0, sr // 2, n_fft // 2 + 1)
    m_min = 2595.0 * np.log10(1.0 + 0.0 / 700.0)
    m_max = 2595.0 * np.log10(1.0 + (sr // 2) / 700.0)
    m_pts = torch.linspace(m_min, m_max, n_mels + 2)
    f_pts = 700.0 * (10 ** (m_pts / 2595.0) - 1.0)
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1)
    down = (-1.0 * slopes[:, :-2]) / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    fb = torch.max(torch.zeros(1), torch.min(down, up))
    return torch.matmul(spec.transpose(-1, -2), fb).transpose(-1, -2)


def torch_mfcc(y, sr, n_mels, n_mfcc=40, log_mels=False):
    """torchaudio.transforms.MFCC(sample_rate=sr, n_mfcc=40, melkwargs={'n_mels': n_mels}, log_mels=...)."""
    mel = torch_mel(y, sr, n_mels)
    if log_mels:
        mel = torch.log(mel + 1e-6)
    else:  # AmplitudeToDB('power', top_db=80): 10·log10(clamp(x, 1e-10)), floored at max − 80
        db = 10.0 * torch.log10(torch.clamp(mel, min=1e-10))
        mel = torch.max(db, db.max() - 80.0)
    # torchaudio.functional.create_dct(n_mfcc, n_mels, norm='ortho')
    n = torch.arange(float(n_mels))
    k = torch.arange(float(n_mfcc)).unsqueeze(1)
    dct = torch.cos(np.pi / float(n_mels) * (n + 0.5) * k)
    dct[0] *= 1.0 / np.sqrt(2.0)
    dct *= np.sqrt(2.0 / float(n_mels))
    return torch.matmul(mel.transpose(-1, -2), dct.t()).transpose(-1, -2)


def check(golden_dir):
    """Max relative error of these ops against the stored goldens, per file; raises if any > 1e-4."""
    worst = 0.0
    n = 0
    for f in sorted(glob.glob(os.path.join(golden_dir, "*_y.npy"))):
        base = os.path.basename(f)[: -len("_y.npy")]
        sr = int(base.rsplit("_", 1)[1])
        y = np.load(f)
        for name, fn in (("torch_mel40", lambda: torch_mel(y, sr, 40)), ("torch_mfcc40", lambda: torch_mfcc(y, sr, 40)),
                         ("torch_mfcc40_logmels", lambda: torch_mfcc(y, sr, 40, log_mels=True))):
            g = os.path.join(golden_dir, f"{base}_{name}.npy")
            if not os.path.exists(g):
                continue
            want = np.load(g)
            got = fn().numpy()
            if got.shape != want.shape:
                raise SystemExit(f"{g}: shape {got.shape}, golden {want.shape}")
            err = float(np.max(np.abs(got - want)) / (np.max(np.abs(want)) + 1e-12))
            worst = max(worst, err)
            n += 1
            if err > 1e-4:
                raise SystemExit(f"{g}: relative error {err:.2e} > 1e-4")
    if n == 0:
        raise SystemExit(f"{golden_dir}: no torch goldens found")
    return n, worst


if __name__ == "__main__":
    if "--check" in sys.argv:
        here = os.path.dirname(os.path.abspath(__file__))
        n, worst = check(os.path.join(here, "..", "test", "fixtures", "features", "golden"))
        print(f'{{"checked": {n}, "maxRelativeError": {worst}}}')
