"""Modern continuous Hopfield network (Ramsauer et al. 2020, "Hopfield Networks is All You Need",
ICLR 2021, arXiv:2008.02217): M stored patterns x_1..x_M of dimension N, the columns of the
paper's X (N x M); the state xi (N) is updated by

    xi <- X softmax(beta X^T xi)

the paper's update rule, which never increases its energy E = -lse(beta, X^T xi) + 1/2 xi^T xi +
const (and is transformer attention with the stored patterns as keys and values). At every network
step the input x (N values) is the query: xi starts at x, ``iterations`` updates follow (1 by
default: the paper's one-step retrieval), and the output is the first ``n_out`` components of the
final xi: the retrieved state, graded (the ``hopfield-recall`` problem reads its signs, as for
``hopfield-continuous``). Each step is one recall: nothing carries over to the next step.

The softmax is computed stably: a_mu = beta x_mu . xi, m = max_mu a_mu, e_mu = exp(a_mu - m),
xi_j = (sum_mu e_mu X_j,mu) / (sum_mu e_mu); sums over j and over mu in increasing order.

beta, the inverse temperature, defaults to 1/sqrt(N), the scaling of the paper's Hopfield layer
(beta = 1/sqrt(d_k), as in transformer attention). Why it suits bipolar patterns: for a probe of a
stored pattern x_i with a fraction rho of its bits flipped, x_i . xi = N (1 - 2 rho), while a
random other pattern's overlap is about normal with variance N; the softmax weight of x_i exceeds
1/2 (so the signs of the new state are x_i's) while roughly
(M - 1) exp(beta^2 N / 2 - beta N (1 - 2 rho)) < 1: with beta = 1/sqrt(N) and rho = 0.1, M up to
about exp(0.8 sqrt(N) - 0.5), 360 at N = 64 and 1800 at N = 100. That condition is sufficient, not
necessary: measured, every pattern comes back exactly up to M = 1024 at N = 64 (README), far
above the classical 0.14 N. The paper's retrieval-error bound, error <= 2 eps (M - 1) sqrt(N) with
eps = (M - 1) exp(-beta (Delta_i - 2 |xi - x_i| sqrt(N))), also falls exponentially in beta times
the separation Delta_i, but as a worst case it says nothing at 10% noise: 2 |xi - x_i| sqrt(N) =
4 sqrt(rho) N exceeds Delta_i <= N at rho = 0.1. A larger beta moves the update toward
nearest-pattern lookup, a smaller one toward the paper's metastable states and its global fixed
point (beta -> 0: xi -> the mean of the stored patterns).

Parameters: ``X`` (M, N): row mu is stored pattern x_mu (the paper's column mu of X), so that
patterns given as rows (M, N) are the chromosome as they are; initialised uniform in [-1, 1], the
scale of bipolar patterns. Neuron groups: memory mu owns its row. Fixed data: floats [beta].
Options: iterations. Workspace: xi (N), the softmax weights (M).
"""
import math

import numpy as np
from numba import njit

from ..lanes import U, lane_acc, ldot, like, rt_lanes
from ..layer import FOFF, NIN, NOUT, NUNITS, OPT1, POFF, SOFF, XOFF, YOFF, Block, LayerSpec, unit_range
from ..vmath import vexp
from .options import integer, real

CODE = 16


def build(n_in: int, n_out: int, *, memories: int = 8, beta: float | None = None, iterations: int = 1) -> LayerSpec:
    N = n_in
    M = integer("modern-hopfield", "memories", memories, 1)
    beta = 1.0 / math.sqrt(N) if beta is None else real("modern-hopfield", "beta", beta, 0.0, lo_open=True)
    iterations = integer("modern-hopfield", "iterations", iterations, 1)
    if not 1 <= n_out <= N:
        raise ValueError(f"modern-hopfield: the outputs are the first components of the retrieved state, so "
                         f"n_outputs must be in [1, n_inputs = {N}], got {n_out}")
    units = [np.arange(mu * N, (mu + 1) * N, dtype=np.int64) for mu in unit_range(M)]
    return LayerSpec(CODE, n_in, n_out, M, [Block("X", (M, N), ("uniform", -1.0, 1.0))], N + M, units,
                     opts=(iterations,), floats=np.array([beta]), kind="modern-hopfield",
                     options={"memories": M, "beta": beta, "iterations": iterations})


@njit(cache=True, error_model="numpy")
def step(L, k, ix, fx, w, ws):
    N, M, n_out, iters = L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, OPT1]
    p, s, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    beta = fx[L[k, FOFF]]
    a = s + N
    for j in range(N):
        ws[s + j] = ws[x + j]
    for _ in range(iters):
        m = -math.inf
        for mu in range(M):
            h = 0.0
            o = p + mu * N
            for j in range(N):
                h += w[o + j] * ws[s + j]
            h = beta * h
            ws[a + mu] = h
            m = h if h > m else m
        tot = 0.0
        for mu in range(M):
            e = math.exp(ws[a + mu] - m)
            ws[a + mu] = e
            tot += e
        for j in range(N):
            ws[s + j] = 0.0
        for mu in range(M):
            e = ws[a + mu]
            o = p + mu * N
            for j in range(N):
                ws[s + j] += e * w[o + j]
        for j in range(N):
            ws[s + j] = ws[s + j] / tot
    for j in range(n_out):
        ws[y + j] = ws[s + j]


@njit(cache=True, error_model="numpy")
def step_lanes(L, k, ix, fx, W, ws):
    """:func:`step` for a block of individuals (evornn.nets.lanes): the same sums in the same order,
    exp from :func:`evornn.nets.vmath.vexp`."""
    N, M, n_out, iters = L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, OPT1]
    p, s, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    beta = like(fx[L[k, FOFF]], ws)
    a = s + N
    n = rt_lanes(ws)
    zero, ninf = like(0.0, ws), like(-np.inf, ws)
    for e in range(U(N * n)):
        ws[U(s * n) + e] = ws[U(x * n) + e]
    acc, mx, tot = lane_acc(ws), lane_acc(ws), lane_acc(ws)
    for _ in range(iters):
        for l in range(n):
            mx[l] = ninf
        for mu in range(M):
            for l in range(n):
                acc[l] = zero
            ldot(acc, W, p + mu * N, ws, s, N)
            oa = U((a + mu) * n)
            for l in range(n):
                h = beta * acc[l]
                ws[oa + l] = h
                mx[l] = h if h > mx[l] else mx[l]
        for l in range(n):
            tot[l] = zero
        for mu in range(M):
            oa = U((a + mu) * n)
            for l in range(n):
                e = vexp(ws[oa + l] - mx[l])
                ws[oa + l] = e
                tot[l] += e
        for e in range(U(N * n)):
            ws[U(s * n) + e] = zero
        for mu in range(M):
            oa = U((a + mu) * n)
            for j in range(N):
                ow, os_ = U((p + mu * N + j) * n), U((s + j) * n)
                for l in range(n):
                    ws[os_ + l] += ws[oa + l] * W[ow + l]
        for j in range(N):
            os_ = U((s + j) * n)
            for l in range(n):
                ws[os_ + l] = ws[os_ + l] / tot[l]
    for e in range(U(n_out * n)):
        ws[U(y * n) + e] = ws[U(s * n) + e]
