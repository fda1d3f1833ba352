"""Hopfield network (Hopfield 1982, "Neural networks and physical systems with emergent collective
computational abilities", PNAS 79): N bipolar units, symmetric weights, zero diagonal.

At every network step the input x (N values) is the probe: the state starts at s_i = +1 where
x_i >= 0 and -1 where x_i < 0, and the network relaxes:

    h_i = sum_{j != i} W_ij s_j - theta_i
    s_i <- +1 if h_i > 0,  -1 if h_i < 0,  s_i unchanged if h_i = 0

*asynchronous* (the default): one unit at a time, in a fixed order (a permutation of the units
drawn once from ``order_seed``), every update seeing the ones before it; a *sweep* updates every
unit once. *synchronous* (``update = "sync"``): all units at once from the previous state. The
run stops after the first sweep that changes nothing (a fixed point) or after ``max_sweeps``
sweeps (a synchronous run can end in a 2-cycle). The output is the first ``n_out`` units of the
final state. Nothing carries over from one step to the next: each step is one recall.

With symmetric W and zero diagonal, the energy E = -1/2 s^T W s + theta^T s never increases under
asynchronous updates (:func:`evornn.nets.associative.energy`), so the asynchronous run always
reaches a fixed point. Sums run over j in increasing order, theta subtracted last: the
one-individual and the SIMD kernels (and the tests' NumPy oracle) compute the same bits, and so
does :mod:`evornn.nets.hopfield_fields`, the faster asynchronous recall with incremental fields that
the ``hopfield-recall`` problem uses.

Parameters: ``W`` (N (N - 1) / 2): the upper triangle W_ij, i < j, row by row; ``theta`` (N).
Neuron groups: unit i owns its thresold and the triangle's row i (W_ij, j > i), so the groups
are disjoint. Fixed data: ints [sweep order (N)]. Options: max_sweeps, synchronous (0/1).
Workspace: s (N), the synchronous update's new state (N).
"""
import numpy as np
from numba import njit

from ..layer import IOFF, NOUT, NUNITS, OPT1, OPT2, POFF, SOFF, XOFF, YOFF, Block, LayerSpec, unit_range
from ..lanes import U, lane_acc, like, rt_lanes
from .options import integer

CODE = 12
UPDATES = ("async", "sync")


def triangle_offset(i: int, N: int) -> int:
    """Index of W_{i, i+1} in the upper triangle stored row by row."""
    return i * N - i * (i + 1) // 2


def symmetric_layout(N: int, bias: str) -> tuple[list[Block], list[np.ndarray]]:
    """The blocks (upper triangle ``W``, then ``bias`` (N)) and the neuron groups (unit i: row i of
    the triangle and its bias) of a network of N units with symmetric weights."""
    n_w = N * (N - 1) // 2
    blocks = [Block("W", (n_w,), ("fan_in", max(N - 1, 1))), Block(bias, (N,))]
    units = [np.asarray(list(range(triangle_offset(i, N), triangle_offset(i, N) + N - 1 - i)) + [n_w + i],
                        dtype=np.int64) for i in unit_range(N)]
    return blocks, units


def build(n_in: int, n_out: int, *, update: str = "async", max_sweeps: int = 100,
          order_seed: int = 0) -> LayerSpec:
    N = n_in
    if update not in UPDATES:
        raise ValueError(f"hopfield: update must be one of {', '.join(UPDATES)}, got {update!r}")
    max_sweeps = integer("hopfield", "max_sweeps", max_sweeps, 1)
    order_seed = integer("hopfield", "order_seed", order_seed, 0)
    if not 1 <= n_out <= N:
        raise ValueError(f"hopfield: the outputs are the first units, so n_outputs must be in [1, n_inputs = {N}], "
                         f"got {n_out}")
    blocks, units = symmetric_layout(N, "theta")
    order = np.random.default_rng(order_seed).permutation(N).astype(np.int64)
    return LayerSpec(CODE, n_in, n_out, N, blocks, 2 * N, units, opts=(max_sweeps, int(update == "sync")),
                     ints=order, kind="hopfield",
                     options={"update": update, "max_sweeps": max_sweeps, "order_seed": order_seed})


@njit(cache=True, inline="always", error_model="numpy")
def _field(w, p, N, i, ws, s):
    """sum_{j != i} W_ij s_j over j in increasing order (W the upper triangle at p)."""
    h = 0.0
    for j in range(i):                          # W_ji, j < i: column i of the triangle
        h += w[p + j * N - j * (j + 1) // 2 + i - j - 1] * ws[s + j]
    o = p + i * N - i * (i + 1) // 2 - i - 1
    for j in range(i + 1, N):
        h += w[o + j] * ws[s + j]
    return h


@njit(cache=True, error_model="numpy")
def step(L, k, ix, fx, w, ws):
    N, n_out, sweeps, sync = L[k, NUNITS], L[k, NOUT], L[k, OPT1], L[k, OPT2]
    p, s, x, y, o = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF], L[k, IOFF]
    p_th = p + N * (N - 1) // 2
    for i in range(N):
        ws[s + i] = 1.0 if ws[x + i] >= 0.0 else -1.0
    for _ in range(sweeps):
        changed = False
        if sync:
            t = s + N
            for i in range(N):
                h = _field(w, p, N, i, ws, s) - w[p_th + i]
                ws[t + i] = 1.0 if h > 0.0 else (-1.0 if h < 0.0 else ws[s + i])
            for i in range(N):
                changed |= ws[t + i] != ws[s + i]
                ws[s + i] = ws[t + i]
        else:
            for q in range(N):
                i = ix[o + q]
                h = _field(w, p, N, i, ws, s) - w[p_th + i]
                v = 1.0 if h > 0.0 else (-1.0 if h < 0.0 else ws[s + i])
                changed |= v != ws[s + i]
                ws[s + i] = v
        if not changed:
            break
    for i in range(n_out):
        ws[y + i] = ws[s + i]


@njit(cache=True, inline="always", error_model="numpy")
def _lfield(acc, W, p, N, i, ws, s):
    """acc[l] = sum_{j != i} W_ij[l] s_j[l], j increasing, for every lane l."""
    n = rt_lanes(ws)
    zero = like(0.0, ws)
    for l in range(n):
        acc[l] = zero
    for j in range(i):
        ow, os_ = U((p + j * N - j * (j + 1) // 2 + i - j - 1) * n), U((s + j) * n)
        for l in range(n):
            acc[l] += W[ow + l] * ws[os_ + l]
    o = p + i * N - i * (i + 1) // 2 - i - 1
    for j in range(i + 1, N):
        ow, os_ = U((o + j) * n), U((s + j) * n)
        for l in range(n):
            acc[l] += W[ow + l] * ws[os_ + l]


@njit(cache=True, inline="always", error_model="numpy")
def _lset(ws, dst, acc, W, ot, cur):
    """ws[dst, l] = sign(acc[l] - W[ot, l]), ws[cur, l] on a zero field; returns how many lanes
    differ from ws[cur]."""
    n = rt_lanes(ws)
    one, zero = like(1.0, ws), like(0.0, ws)
    d, c, t = U(dst * n), U(cur * n), U(ot * n)
    diff = 0
    for l in range(n):
        h = acc[l] - W[t + l]
        v = one if h > zero else (-one if h < zero else ws[c + l])
        diff += v != ws[c + l]
        ws[d + l] = v
    return diff


@njit(cache=True, error_model="numpy")
def step_lanes(L, k, ix, fx, W, ws):
    """:func:`step` for a block of individuals (evornn.nets.lanes). The block sweeps until no lane
    changes: a lane at its fixed point stays there, so each lane ends where it would alone."""
    N, n_out, sweeps, sync = L[k, NUNITS], L[k, NOUT], L[k, OPT1], L[k, OPT2]
    p, s, x, y, o = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF], L[k, IOFF]
    p_th = p + N * (N - 1) // 2
    n = rt_lanes(ws)
    one, zero = like(1.0, ws), like(0.0, ws)
    for e in range(U(N * n)):
        ws[U(s * n) + e] = one if ws[U(x * n) + e] >= zero else -one
    acc = lane_acc(ws)
    for _ in range(sweeps):
        changed = 0
        if sync:
            for i in range(N):
                _lfield(acc, W, p, N, i, ws, s)
                changed += _lset(ws, s + N + i, acc, W, p_th + i, s + i)
            for e in range(U(N * n)):
                ws[U(s * n) + e] = ws[U((s + N) * n) + e]
        else:
            for q in range(N):
                i = ix[o + q]
                _lfield(acc, W, p, N, i, ws, s)
                changed += _lset(ws, s + i, acc, W, p_th + i, s + i)
        if changed == 0:
            break
    for e in range(U(n_out * n)):
        ws[U(y * n) + e] = ws[U(s * n) + e]
