"""Speed of the population kernel for every architecture, against a plain-NumPy reference.

For each registered architecture at P individuals, H hidden units and T time steps (default
P=256, H=16, T=1,000; ``--quick`` for P=32, H=8, T=100) this prints the network steps per second
(P * T / wall time) of ``Network.run_population`` (Numba, prange over individuals, best of
``--repeat`` runs after a warm-up) and of a NumPy reference that runs the same population
vectorised over P: one batched matmul per weight matrix per time step, written below from each
cell's equations (not the tests' per-individual oracles, which would loop over P in Python). The
reference's outputs are compared with the kernel's (column maxdiff) so the two do the same work.
Usage: ``python benchmarks/bench_nets.py [--quick] [--arch NAME ...]``. A script, not a test.
"""
from __future__ import annotations

import argparse
import time

import numba
import numpy as np

import evornn
from evornn.nets.cells.esn import reservoir
from evornn.nets.kernels import BIDIRECTIONAL


def _sig(a):
    return 1.0 / (1.0 + np.exp(-a))


ACT = {0: lambda a: a, 1: _sig, 2: np.tanh, 3: lambda a: np.where(a < 0.0, 0.0, a)}


def mv(W: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Batched matrix-vector product: W (P, m, n), x (P, n) -> (P, m)."""
    return np.matmul(W, x[:, :, None])[:, :, 0]


def _blocks(net, W: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Layer k's parameter blocks for the whole population, each (P, *shape), by unprefixed name."""
    start = sum(len(lay.blocks) for lay in net.layers[:k])
    return {b.name: W[:, off:off + b.size].reshape((W.shape[0],) + b.shape)
            for _n, off, b in net.blocks[start:start + len(net.layers[k].blocks)]}


class LayerRef:
    """One layer of the vectorised reference: state for P individuals and ``step(x) -> y``."""

    def __init__(self, net, W: np.ndarray, k: int):
        self.lay, self.B, self.P = net.layers[k], _blocks(net, W, k), W.shape[0]
        self.kind, H, P = self.lay.kind, self.lay.n_units, W.shape[0]
        self.act, self.act2 = ACT[self.lay.act], ACT[self.lay.act2]
        self.h = np.zeros((P, H))
        if self.kind == "esn":
            self.res = reservoir(net, k)
        if self.kind in ("jordan", "narx"):
            o = self.lay.options
            n_o = self.lay.n_out
            self.y = np.zeros((P, n_o))
            self.c = np.zeros((P, n_o))
            self.xs = np.zeros((P, (o.get("input_delays", 0) + 1) * self.lay.n_in))
            self.ys = np.zeros((P, o.get("output_delays", 0) * n_o))
        if self.kind == "lstm":
            self.cell = np.zeros((P, H))

    def step(self, x: np.ndarray) -> np.ndarray:
        B, kind, act, h = self.B, self.kind, self.act, self.h
        if kind == "dense":
            return act(mv(B["W"], x) + B["b"]) if "b" in B else act(mv(B["W"], x))
        if kind in ("frnn", "elman", "rmlp"):
            a = mv(B["W_in"], x) + mv(B["W_rec"], h)
            self.h = act(a + B["b"] if "b" in B else a)
        elif kind == "indrnn":
            self.h = act(mv(B["W_in"], x) + B["u"] * h + B["b"])
        elif kind == "second-order":
            self.h = act(np.einsum("pijk,pj,pk->pi", B["W"], h, x) + B["b"])
        elif kind == "gru":
            Wi, Wr, b = B["W_in"], B["W_rec"], B["b"]
            r = _sig(mv(Wi[:, 0], x) + mv(Wr[:, 0], h) + b[:, 0])
            z = _sig(mv(Wi[:, 1], x) + mv(Wr[:, 1], h) + b[:, 1])
            n = np.tanh(mv(Wi[:, 2], x) + mv(Wr[:, 2], r * h) + b[:, 2])
            self.h = (1.0 - z) * n + z * h
        elif kind == "lstm":
            Wi, Wr, b, c = B["W_in"], B["W_rec"], B["b"], self.cell
            pe = B["peep"] if "peep" in B else np.zeros((self.P, 3, h.shape[1]))
            i = _sig(mv(Wi[:, 0], x) + mv(Wr[:, 0], h) + pe[:, 0] * c + b[:, 0])
            f = _sig(mv(Wi[:, 1], x) + mv(Wr[:, 1], h) + pe[:, 1] * c + b[:, 1])
            g = np.tanh(mv(Wi[:, 2], x) + mv(Wr[:, 2], h) + b[:, 2])
            self.cell = c = f * c + i * g
            o = _sig(mv(Wi[:, 3], x) + mv(Wr[:, 3], h) + pe[:, 2] * c + b[:, 3])
            self.h = o * np.tanh(c)
        elif kind == "ctrnn":
            th = B["theta"]
            alpha = np.minimum(self.lay.options["dt"] * np.exp(-B["log_tau"]), 1.0)
            self.h = h + alpha * (mv(B["W_rec"], act(h + th)) + mv(B["W_in"], x) - h)
            return act(self.h + th)[:, :self.lay.n_out]
        elif kind == "mtrnn":
            inv_tau = self.lay.floats
            drive = mv(B["W_rec"], act(h)) + B["b"]
            drive[:, :B["W_in"].shape[1]] += mv(B["W_in"], x)
            self.h = (1.0 - inv_tau) * h + inv_tau * drive
            return act(self.h)[:, :self.lay.n_out]
        elif kind == "esn":
            r = self.res
            a = r["leak_rate"]
            self.h = (1.0 - a) * h + a * np.tanh(x @ r["W_in"].T + r["b"] + h @ r["W_res"].T)
            return np.concatenate([x, self.h], axis=1) if self.lay.n_out > self.h.shape[1] else self.h
        elif kind == "jordan":
            self.c = self.lay.floats[0] * self.c + self.y
            hh = act(mv(B["W_in"], x) + mv(B["W_ctx"], self.c) + B["b"])
            self.y = self.act2(mv(B["W_out"], hh) + B["b_out"])
            return self.y
        elif kind == "narx":
            self.xs = np.concatenate([x, self.xs[:, :self.xs.shape[1] - x.shape[1]]], axis=1)
            hh = act(mv(B["W_x"], self.xs) + mv(B["W_y"], self.ys) + B["b"])
            y = self.act2(mv(B["W_out"], hh) + B["b_out"])
            self.ys = np.concatenate([y, self.ys[:, :self.ys.shape[1] - y.shape[1]]], axis=1)
            return y
        else:
            raise NotImplementedError(kind)
        return self.h[:, :self.lay.n_out]


def numpy_population(net, W: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Outputs (P, T, n_out) of every row of W over X, vectorised over the population."""
    layers = [LayerRef(net, W, k) for k in range(len(net.layers))]
    T = X.shape[0]
    Xp = np.broadcast_to(X, (W.shape[0],) + X.shape)
    if net.kind == BIDIRECTIONAL:
        fwd = [layers[0].step(Xp[:, t]) for t in range(T)]
        bwd = [layers[1].step(Xp[:, t]) for t in range(T - 1, -1, -1)][::-1]
        return np.stack([layers[2].step(np.concatenate([f, b], axis=1)) for f, b in zip(fwd, bwd)], axis=1)
    out = []
    for t in range(T):
        v = Xp[:, t]
        for lay in layers:
            v = lay.step(v)
        out.append(v)
    return np.stack(out, axis=1)


def sizes(arch: str, H: int) -> dict:
    """Build options giving the architecture H hidden units per recurrent layer."""
    if arch in ("mlp",):
        return {"hidden": [H]}
    if arch in ("rmlp",):
        return {"hidden": [H, H]}
    if arch == "stacked":
        return {"layers": [H, H]}
    return {"n_hidden": H}


def bench(arch: str, P: int, H: int, T: int, repeat: int, rng: np.random.Generator) -> tuple:
    net = evornn.build(arch, 3, 2, **sizes(arch, H))
    W = net.init(rng, P)
    X = rng.normal(0.0, 1.0, (T, 3))
    net.run_population(W, X[:5])                              # compile / load the cache, wake threads
    best, best_cpu = np.inf, np.inf
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        Y = net.run_population(W, X)
        best, best_cpu = min(best, time.perf_counter() - t0), min(best_cpu, time.process_time() - c0)
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        Yr = numpy_population(net, W, X)
        t_np, cpu_np = time.perf_counter() - t0, time.process_time() - c0
        diff = float(np.max(np.abs(Yr - Y)))
    except NotImplementedError as e:
        t_np = cpu_np = np.nan
        diff = f"no reference for {e}"
    return net.n_params, P * T / best, P * T / t_np, t_np / best, cpu_np / best_cpu, diff


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="P=32, H=8, T=100 instead of P=256, H=16, T=1000")
    ap.add_argument("--arch", nargs="*", default=None, help="architectures to run (default: all)")
    ap.add_argument("--repeat", type=int, default=3, help="kernel timings per architecture (best is kept)")
    a = ap.parse_args(argv)
    P, H, T = (32, 8, 100) if a.quick else (256, 16, 1000)
    archs = a.arch or sorted(evornn.ARCHS)
    rng = np.random.default_rng(0)
    print(f"P={P} H={H} T={T}, numba threads={numba.get_num_threads()}; steps/s = P*T / wall seconds; "
          "speedup = numpy time / kernel time, by wall clock and by CPU time (all threads; robust to load)")
    print(f"{'arch':<14}{'n_params':>9}{'kernel steps/s':>16}{'numpy steps/s':>15}{'speedup':>9}{'cpu':>7}  maxdiff")
    for arch in archs:
        n, ks, ns, ratio, cpu_ratio, diff = bench(arch, P, H, T, a.repeat, rng)
        d = f"{diff:.1e}" if isinstance(diff, float) else diff
        print(f"{arch:<14}{n:>9}{ks:>16.3g}{ns:>15.3g}{ratio:>9.1f}{cpu_ratio:>7.1f}  {d}")


if __name__ == "__main__":
    main()
