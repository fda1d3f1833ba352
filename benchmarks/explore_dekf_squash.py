"""Exploration outside evornn (issue 23, fourth round): what decides how far DEKF-trained LSTM
generalises on a^n b^n c^n? Settings evornn's lstm cannot take, the squashing functions first.

evornn's lstm has tanh for the cell input (g) and the cell output (h), fixed. The LSTM of Gers &
Schmidhuber's counting experiments may have had others (their text was not at hand: unchecked).
This script is a small stand-alone LSTM (memory blocks of one cell, forget gates, peepholes on the
gates ``--peep``, shortcut connections from the inputs to the sigmoid output units, compact coding:
inputs S a b c, outputs a b c T) with g and h each "tanh", "identity" or "sig2" (the logistic
sigmoid scaled to [-2, 2]), trained by the global EKF with full RTRL Jacobians (forward mode,
written out here; checked against finite differences, and equal to evornn's dekf on the same
network, data and order), R and Q annealed as evornn's dekf (exponential, e-folding ``--anneal``
updates), P0 = p0 I, weights uniform in [-``--init-range``, ``--init-range``], the gate biases at
``--biases``, one Kalman update per symbol, the network reset at every string (``--stream``: never),
stopping when the 10 training strings are right (``--track``: training all ``--epochs``, the
largest n after each epoch). Measure: the largest N with every string n = 1..N right (scanned up to
``--test-n``, stopping at the first wrong string). Prints one line per seed and the median.

Run: ``python benchmarks/explore_dekf_squash.py --g identity --h identity --seeds 10``.
A script, not a test: it prints measured figures.
"""
from __future__ import annotations

import argparse
import math

import numpy as np
SQUASH = {   # name -> (function, derivative from the pre-activation)
    "tanh": (np.tanh, lambda a: 1.0 - np.tanh(a) ** 2),
    "identity": (lambda a: a, lambda a: np.ones_like(a)),
    "sig2": (lambda a: 4.0 / (1.0 + np.exp(-a)) - 2.0, lambda a: 4.0 * np.exp(-a) / (1.0 + np.exp(-a)) ** 2),
}
N_IN, N_OUT = 4, 4          # in S a b c, out a b c T


def sig(a):
    return 1.0 / (1.0 + np.exp(-a))


def strings(n: int):
    """(inputs (T, 4), targets (T, 4)) for S a^n b^n c^n, T = 3n + 1."""
    s = "S" + "a" * n + "b" * n + "c" * n
    X = np.zeros((len(s), N_IN))
    Y = np.zeros((len(s), N_OUT))
    for t, ch in enumerate(s):
        X[t, "Sabc".index(ch)] = 1.0
        if ch == "S":
            nxt = "a"
        elif ch == "a":
            nxt = "ab"
        else:
            k = s[:t + 1].count(ch)
            nxt = ch if k < n else {"b": "c", "c": "T"}[ch]
        for q in nxt:
            Y[t, "abcT".index(q)] = 1.0
    return X, Y


class Net:
    """Parameters: W (4H, 4 + H) rows i, f, g, o of every block reading [x; h_{t-1}], b (4H), peepholes
    p (3H: i, f from c_{t-1}, o from c_t), readout V (4, H + 4) reading [h; x], c (4)."""

    def __init__(self, H: int, g: str, h: str, peep: str = "ifo"):
        self.H = H
        self.peep = np.array([peep != "none" and q in peep for q in "ifo"], dtype=float)   # the peepholes there are
        (self.G, self.dG), (self.Hs, self.dHs) = SQUASH[g], SQUASH[h]
        self.Z = N_IN + H
        self.oW, self.ob = 0, 4 * H * self.Z
        self.op = self.ob + 4 * H
        self.oV = self.op + 3 * H
        self.oc = self.oV + N_OUT * (H + N_IN)
        self.n = self.oc + N_OUT

    def parts(self, w):
        H = self.H
        return (w[:self.ob].reshape(4 * H, self.Z), w[self.ob:self.op], w[self.op:self.oV],
                w[self.oV:self.oc].reshape(N_OUT, H + N_IN), w[self.oc:])

    def step(self, w, h, c, x, Sh=None, Sc=None):
        """One step; with the sensitivities Sh, Sc (H, n) of h_{t-1}, c_{t-1} also theirs after it."""
        H = self.H
        W, b, p, V, cb = self.parts(w)
        p = p * np.repeat(self.peep, H)                # absent peepholes: weight 0, no derivative
        z = np.concatenate([x, h])
        a = W @ z + b
        ai = a[:H] + p[:H] * c
        af = a[H:2 * H] + p[H:2 * H] * c
        ag = a[2 * H:3 * H]
        ig, f, gg = sig(ai), sig(af), self.G(ag)
        cn = f * c + ig * gg
        ao = a[3 * H:] + p[2 * H:] * cn
        o = sig(ao)
        hn = o * self.Hs(cn)
        y = sig(V @ np.concatenate([hn, x]) + cb)
        if Sh is None:
            return hn, cn, y, None, None, None
        n = self.n
        Wr = W[:, N_IN:]
        da = Wr @ Sh                                   # (4H, n) through h_{t-1}
        rows = np.arange(4 * H)
        for j in range(self.Z):                        # direct: W[r, j] -> z[j]
            da[rows, self.oW + rows * self.Z + j] += z[j]
        da[rows, self.ob + rows] += 1.0
        dai, daf, dag = da[:H].copy(), da[H:2 * H].copy(), da[2 * H:3 * H]
        u = np.arange(H)
        dai += p[:H, None] * Sc
        daf += p[H:2 * H, None] * Sc
        dai[u, self.op + u] += c * self.peep[0]
        daf[u, self.op + H + u] += c * self.peep[1]
        Scn = (f[:, None] * Sc + (c * f * (1 - f))[:, None] * daf + (gg * ig * (1 - ig))[:, None] * dai
               + (ig * self.dG(ag))[:, None] * dag)
        dao = da[3 * H:] + p[2 * H:, None] * Scn
        dao[u, self.op + 2 * H + u] += cn * self.peep[2]
        Shn = (self.Hs(cn) * o * (1 - o))[:, None] * dao + (o * self.dHs(cn))[:, None] * Scn
        v = np.concatenate([hn, x])
        J = V[:, :H] @ Shn                             # (4, n)
        for k in range(N_OUT):
            J[k, self.oV + k * (H + N_IN):self.oV + (k + 1) * (H + N_IN)] += v
            J[k, self.oc + k] += 1.0
        J *= (y * (1 - y))[:, None]
        return hn, cn, y, Shn, Scn, J

    def init(self, rng, r, biases):
        w = rng.uniform(-r, r, self.n)
        H = self.H
        for q, bq in enumerate(biases):       # gate order i, f, g, o
            if bq is not None:
                w[self.ob + q * H:self.ob + (q + 1) * H] = bq
        return w


def string_right(net, w, X, Y) -> bool:
    h = np.zeros(net.H)
    c = np.zeros(net.H)
    for t in range(X.shape[0]):
        h, c, y, *_ = net.step(w, h, c, X[t])
        if np.any((y > 0.5) != (Y[t] > 0.5)):
            return False
    return True


def max_n(net, w, test_n: int) -> int:
    for n in range(1, test_n + 1):
        if not string_right(net, w, *strings(n)):
            return n - 1
    return test_n


def train(net, w, rng, a):
    data = [strings(n) for n in range(1, 11)]
    P = a.p0 * np.eye(net.n)
    I_out = np.eye(N_OUT)
    k = 0
    for epoch in range(a.epochs):
        h, c = np.zeros(net.H), np.zeros(net.H)
        Sh, Sc = np.zeros((net.H, net.n)), np.zeros((net.H, net.n))
        for q in rng.permutation(10):
            X, Y = data[q]
            if not a.stream:                          # reset at every string (--stream: never)
                h, c = np.zeros(net.H), np.zeros(net.H)
                Sh, Sc = np.zeros((net.H, net.n)), np.zeros((net.H, net.n))
            for t in range(X.shape[0]):
                h, c, y, Sh, Sc, J = net.step(w, h, c, X[t], Sh, Sc)
                d = math.exp(-k / a.anneal)
                r = a.r_end + (a.r0 - a.r_end) * d
                qn = a.q_end + (a.q0 - a.q_end) * d
                PH = P @ J.T
                K = PH @ np.linalg.inv(r * I_out + J @ PH)
                w = w + K @ (Y[t] - y)
                P = P - K @ PH.T
                P[np.diag_indices_from(P)] += qn
                k += 1
        if a.track:
            m = max_n(net, w, a.test_n)
            a.curve.append(m)
            if m >= a.test_n:
                return w, (epoch + 1) * 10
        elif all(string_right(net, w, X, Y) for X, Y in data):
            return w, (epoch + 1) * 10
    return w, -1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--g", choices=tuple(SQUASH), default="tanh")
    ap.add_argument("--h", choices=tuple(SQUASH), default="tanh")
    ap.add_argument("--blocks", type=int, default=2)
    ap.add_argument("--peep", default="ifo", help="the gates with peepholes, of i, f, o ('none': no peepholes)")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--p0", type=float, default=100.0)
    ap.add_argument("--r0", type=float, default=100.0)
    ap.add_argument("--r-end", type=float, default=3.0)
    ap.add_argument("--q0", type=float, default=1e-2)
    ap.add_argument("--q-end", type=float, default=1e-6)
    ap.add_argument("--anneal", type=float, default=1000.0)
    ap.add_argument("--biases", default="none,1,none,none", help="initial gate biases i,f,g,o ('none': uniform)")
    ap.add_argument("--test-n", type=int, default=1000)
    ap.add_argument("--init-range", type=float, default=0.1, help="weights but the set gate biases uniform in +-this")
    ap.add_argument("--stream", action="store_true",
                    help="train on the strings one after another without resetting the network (tested from a reset)")
    ap.add_argument("--track", action="store_true",
                    help="train all --epochs (not stopping when the training strings are right), the largest n after each")
    a = ap.parse_args()
    biases = [None if b == "none" else float(b) for b in a.biases.split(",")]
    net = Net(a.blocks, a.g, a.h, a.peep)
    res = []
    for seed in range(a.first_seed, a.first_seed + a.seeds):
        rng = np.random.default_rng(seed)
        w = net.init(rng, a.init_range, biases)
        a.curve = []
        w, seqs = train(net, w, rng, a)
        m = max_n(net, w, a.test_n) if seqs > 0 or a.track else 0
        res.append(m)
        extra = ""
        if a.track:
            best = int(np.argmax(a.curve))
            extra = f"; best during training {a.curve[best]} after epoch {best + 1}; epochs >= 11: {sum(c >= 11 for c in a.curve)}"
        print(f"g={a.g} h={a.h} seed {seed}: sequences {seqs}, largest n {m}{extra}", flush=True)
    print(f"g={a.g} h={a.h} blocks {a.blocks} peep {a.peep} biases {a.biases} init {a.init_range} "
          f"stream {a.stream} R {a.r0}->{a.r_end} Q {a.q0}->{a.q_end} anneal {a.anneal}: median {np.median(res):g} [{min(res)}, {max(res)}] over {len(res)} seeds; "
          f"{sorted(res)}", flush=True)


if __name__ == "__main__":
    main()
