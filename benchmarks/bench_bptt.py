"""Time per epoch of evornn's BPTT against PyTorch autograd on the CPU.

One epoch = forward + backward over one mini-batch of B sequences of length T (the MSE at every
step), for torch.nn.RNN (tanh, against evornn's elman with tanh), torch.nn.LSTM and torch.nn.GRU,
each with a linear readout, at hidden sizes 8, 32 and 128 (default T = 100, B = 32, 1 input,
1 output). Both run in float64 on all the CPU threads they are given; the figure is the median
of ``--repeat`` timed epochs after a warm-up (Numba compilation excluded). The ratio is
torch time / evornn time (> 1: evornn faster). The GRUs differ slightly (PyTorch applies the
reset gate after U_n; evornn's follows Cho et al. 2014) but do the same amount of work.

PyTorch is not a dependency of evornn: install it for this script only, e.g.
``pip install torch`` (CPU build), then run ``python benchmarks/bench_bptt.py [--quick]``.
A script, not a test.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from evornn.grad import bptt
from evornn.nets import build
from evornn.problems.supervised import SequenceData

try:
    import torch
except ModuleNotFoundError:
    sys.exit("bench_bptt.py compares with PyTorch, which is not installed: pip install torch (CPU build), "
             "then run it again")

ARCHS = {"elman": "RNN", "lstm": "LSTM", "gru": "GRU"}


def evornn_epoch(arch: str, H: int, X: np.ndarray, Y: np.ndarray, repeat: int) -> float:
    B, T, _ = X.shape
    opts = {"activation": "tanh"} if arch == "elman" else {}
    net = build(arch, 1, 1, n_hidden=H, **opts)
    w = net.init(np.random.default_rng(0))
    data = SequenceData(X.reshape(B * T, 1), Y.reshape(B * T, 1), np.arange(B + 1) * T, np.ones(B * T))
    bptt.gradient(net, w, data)                         # compile / warm up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        bptt.gradient(net, w, data)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def torch_epoch(arch: str, H: int, X: np.ndarray, Y: np.ndarray, repeat: int) -> float:
    torch.manual_seed(0)
    rnn = getattr(torch.nn, ARCHS[arch])(1, H, batch_first=True).double()
    head = torch.nn.Linear(H, 1).double()
    x, y = torch.from_numpy(X), torch.from_numpy(Y)
    params = list(rnn.parameters()) + list(head.parameters())

    def epoch():
        for p in params:
            p.grad = None
        out, _ = rnn(x)
        loss = torch.mean((head(out) - y) ** 2)
        loss.backward()

    epoch()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        epoch()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, nargs="+", default=[8, 32, 128])
    ap.add_argument("--length", type=int, default=100)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--quick", action="store_true", help="hidden 8 and 32, 3 repeats")
    a = ap.parse_args()
    if a.quick:
        a.hidden, a.repeat = [8, 32], 3
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (a.batch, a.length, 1))
    Y = np.sin(np.cumsum(X, axis=1))
    print(f"BPTT epoch (forward + backward), T={a.length}, batch={a.batch}, float64, "
          f"torch {torch.__version__} ({torch.get_num_threads()} threads)")
    print(f"{'arch':<7}{'H':>5}{'evornn ms':>12}{'torch ms':>11}{'torch/evornn':>14}")
    for arch in ARCHS:
        for H in a.hidden:
            te = evornn_epoch(arch, H, X, Y, a.repeat)
            tt = torch_epoch(arch, H, X, Y, a.repeat)
            print(f"{arch:<7}{H:>5}{te * 1e3:>12.2f}{tt * 1e3:>11.2f}{tt / te:>14.2f}")


if __name__ == "__main__":
    main()
