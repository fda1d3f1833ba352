"""Mackey-Glass NRMSE84 with a plain NumPy echo state network (the oracle of issue 19's question:
does evornn's Mackey-Glass problem or its ESN differ from the literature?).

The ESN is Jaeger's (2001) recipe written out in NumPy, float64: x(n+1) = (1 - a) x(n)
+ a tanh(W x(n) + w_in u(n+1) + b + v(n)), where u(n+1) = s(n) is the series (teacher-forced, then
the network's own output: output feedback and "input = last value" are the same network here),
v uniform noise of amplitude ``noise`` during training only; the readout is linear on [x; u; 1],
fitted by ridge regression on ``n_train`` teacher-forced steps after a ``washout``. Test:
``runs`` start points after the training data; each run is teacher-forced ``forced`` steps from
the zero state and then free-running; NRMSE84 = sqrt(mean over runs of (s - s_hat)^2 / var(s)) of the
prediction 84 steps after the last forced input (evornn's definition, mackey_glass.py).

Series: ``evornn`` (evornn.problems.mackey_glass: Euler 0.1, subsampled by 10, tanh(y - 1), a
1,000-sample transient dropped) or a file of the squashed series (``--file``, e.g. Lukosevicius's
MackeyGlass_t17.txt, which is the same construction from a random history).

    python benchmarks/mg_esn_oracle.py --series evornn --units 400 --reservoirs 3
    python benchmarks/mg_esn_oracle.py --file MackeyGlass_t17.txt --units 400 --reservoirs 3
    python benchmarks/mg_esn_oracle.py --series evornn --evornn-reservoir   # evornn's esn reservoir, same fit
"""
from __future__ import annotations

import argparse

import numpy as np

from evornn.problems.mackey_glass import TRANSIENT, mackey_glass_series, squash


def reservoir(H: int, seed: int, density: float, rho: float, in_scale: float, bias_scale: float):
    rng = np.random.default_rng(seed)
    mask = rng.random((H, H)) < density
    W = np.where(mask, rng.uniform(-1.0, 1.0, (H, H)), 0.0)
    W *= rho / np.max(np.abs(np.linalg.eigvals(W)))
    return W, rng.uniform(-in_scale, in_scale, H), rng.uniform(-bias_scale, bias_scale, H)


def run(W, w_in, b, a, u, x0=None, noise=0.0, rng=None):
    """States for inputs u (T,) (one sequence), or u (T, R) (R sequences at once: states (T, R, H))."""
    u = np.asarray(u, float)
    batch = u.ndim == 2
    H = W.shape[0]
    x = np.zeros((u.shape[1], H) if batch else H) if x0 is None else x0
    out = np.empty(u.shape + (H,))
    for t in range(u.shape[0]):
        z = x @ W.T + np.multiply.outer(u[t], w_in) + b
        if noise:
            z = z + rng.uniform(-noise, noise, z.shape)
        x = (1 - a) * x + a * np.tanh(z)
        out[t] = x
    return out


def features(X, u):
    return np.concatenate([X, u[..., None], np.ones(u.shape + (1,))], axis=-1)


def nrmse84(s, W, w_in, b, a, n_train, washout, forced, horizon, runs, ridge, noise, seed):
    rng = np.random.default_rng(seed + 1000)
    var = float(np.var(s))
    u, d = s[:n_train], s[1:n_train + 1]
    X = features(run(W, w_in, b, a, u, noise=noise, rng=rng), u)[washout:]
    D = d[washout:]
    F = X.shape[1]
    if ridge > 0:
        w_out = np.linalg.solve(X.T @ X + ridge * np.eye(F), X.T @ D)
    else:                                                                      # pseudo-inverse
        w_out = np.linalg.lstsq(X, D, rcond=None)[0]
    train = float(np.sqrt(np.mean((X @ w_out - D) ** 2) / var))
    first = n_train + 1
    starts = np.linspace(first, len(s) - forced - horizon - 1, runs).round().astype(int)
    U = np.stack([s[a0:a0 + forced] for a0 in starts], axis=1)               # (forced, R)
    Xf = run(W, w_in, b, a, U)
    x = Xf[-1]
    y = features(x, U[-1]) @ w_out                                             # 1 step after the last forced input
    for _ in range(horizon - 1):
        x = (1 - a) * x + a * np.tanh(x @ W.T + np.multiply.outer(y, w_in) + b)
        y = features(x, y) @ w_out
    target = s[starts + forced - 1 + horizon]
    return train, float(np.sqrt(np.mean((y - target) ** 2) / var))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--series", default="evornn", choices=["evornn"])
    ap.add_argument("--file", help="a text file of the squashed series (one value a line)")
    ap.add_argument("--y0", type=float, default=1.2)
    ap.add_argument("--units", type=int, default=400)
    ap.add_argument("--density", type=float, default=None)
    ap.add_argument("--rho", type=float, default=0.8)
    ap.add_argument("--in-scale", type=float, default=0.5)
    ap.add_argument("--bias-scale", type=float, default=0.2)
    ap.add_argument("--leak", type=float, default=1.0)
    ap.add_argument("--ridge", type=float, default=1e-8)
    ap.add_argument("--noise", type=float, default=0.0)
    ap.add_argument("--n-train", type=int, default=3000)
    ap.add_argument("--washout", type=int, default=1000)
    ap.add_argument("--forced", type=int, default=1000)
    ap.add_argument("--horizon", type=int, default=84)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--reservoirs", type=int, default=3)
    ap.add_argument("--seed0", type=int, default=0)
    ap.add_argument("--evornn-reservoir", action="store_true",
                    help="use evornn's esn reservoir (seed, spectral radius --rho, input scaling --in-scale)")
    a = ap.parse_args()
    if a.file:
        s = np.loadtxt(a.file)
        name = a.file
    else:
        s = squash(mackey_glass_series(TRANSIENT + 10000, y0=a.y0))[TRANSIENT:]
        name = "evornn"
    density = a.density if a.density is not None else min(1.0, 10.0 / a.units)
    res = []
    for r in range(a.reservoirs):
        seed = a.seed0 + r
        if a.evornn_reservoir:
            from evornn.nets.cells.esn import build
            from evornn.nets.activations import TANH
            spec = build(1, a.units, a.units, TANH, seed=seed, density=density, spectral_radius=a.rho,
                         input_scaling=a.in_scale, leak_rate=a.leak)
            H = a.units
            f = spec.floats
            w_in, b = f[1:1 + H], f[1 + H:1 + 2 * H]
            indptr, cols = spec.ints[:H + 1], spec.ints[H + 1:]
            W = np.zeros((H, H))
            W[np.repeat(np.arange(H), np.diff(indptr)), cols] = f[1 + 2 * H:]
        else:
            W, w_in, b = reservoir(a.units, seed, density, a.rho, a.in_scale, a.bias_scale)
        tr, te = nrmse84(s, W, w_in, b, a.leak, a.n_train, a.washout, a.forced, a.horizon, a.runs,
                         a.ridge, a.noise, seed)
        res.append(te)
        print(f"{name} H={a.units} reservoir {seed}: train 1-step NRMSE {tr:.3g}, NRMSE{a.horizon} {te:.3g} "
              f"({a.runs} runs)", flush=True)
    print(f"median NRMSE{a.horizon} over {len(res)} reservoirs: {np.median(res):.3g}")


if __name__ == "__main__":
    main()
