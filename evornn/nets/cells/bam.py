"""Bidirectional associative memory (Kosko 1988, "Bidirectional associative memories", IEEE
Transactions on Systems, Man, and Cybernetics 18(1)): two layers of bipolar units, A (n units)
and B (p units), linked by one matrix W (n x p) forward and by its transpose backward.

At every network step the input x (n values) is the cue for A: a_i = +1 where x_i >= 0, -1 where
x_i < 0; B starts at 0 (unknown). Then passes, each forward and backward:

    b_k <- sgn(sum_i W_ik a_i - theta_b_k),     a_i <- sgn(sum_k W_ik b_k - theta_a_i)

with Kosko's tie rule: a unit whose sum is exactly zero keeps its old state. The run stops after
the first pass that changes nothing (Kosko's theorem: every real matrix makes the BAM stable)
or after ``max_passes``. The output is B (``outputs = "b"``: the first ``n_out`` of the p = n_out
units) or A followed by B (``outputs = "ab"``: n_out = n + p). Each step is one recall.

Sums run over i (or k) in increasing order, the threshold subtracted last.

Parameters: ``W`` (n, p), ``theta_a`` (n), ``theta_b`` (p). Neuron groups: B unit k owns column
k of W and theta_b[k]; A unit i owns theta_a[i]. Options: max_passes, outputs ("b": 0, "ab": 1).
Workspace: a (n), b (p).
"""
import numpy as np
from numba import njit

from ..layer import NIN, NOUT, NUNITS, OPT1, OPT2, POFF, SOFF, XOFF, YOFF, Block, LayerSpec, unit_range
from ..lanes import U, lane_acc, like, rt_lanes
from .options import integer

CODE = 14
OUTPUTS = ("b", "ab")


def build(n_in: int, n_out: int, *, outputs: str = "b", max_passes: int = 100) -> LayerSpec:
    n = n_in
    if outputs not in OUTPUTS:
        raise ValueError(f"bam: outputs must be one of {', '.join(OUTPUTS)}, got {outputs!r}")
    max_passes = integer("bam", "max_passes", max_passes, 1)
    p = n_out if outputs == "b" else n_out - n
    if p < 1:
        raise ValueError(f"bam: outputs 'ab' gives A (n_inputs = {n}) then B, so n_outputs must exceed "
                         f"n_inputs, got {n_out}")
    blocks = [Block("W", (n, p), ("fan_in", n)), Block("theta_a", (n,)), Block("theta_b", (p,))]
    units = [np.asarray(list(range(k, n * p, p)) + [n * p + n + k], dtype=np.int64) for k in unit_range(p)]
    units += [np.asarray([n * p + i], dtype=np.int64) for i in unit_range(n)]
    return LayerSpec(CODE, n_in, n_out, p, blocks, n + p, units, opts=(max_passes, int(outputs == "ab")),
                     kind="bam", options={"outputs": outputs, "max_passes": max_passes})


@njit(cache=True, inline="always", error_model="numpy")
def _sgn(h, old):
    return 1.0 if h > 0.0 else (-1.0 if h < 0.0 else old)


@njit(cache=True, error_model="numpy")
def step(L, k, ix, fx, w, ws):
    n, p, n_out, passes, ab = L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, OPT1], L[k, OPT2]
    pw, a, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    b = a + n
    p_ta = pw + n * p
    p_tb = p_ta + n
    for i in range(n):
        ws[a + i] = 1.0 if ws[x + i] >= 0.0 else -1.0
    for j in range(p):
        ws[b + j] = 0.0
    for _ in range(passes):
        changed = False
        for j in range(p):
            h = 0.0
            for i in range(n):
                h += w[pw + i * p + j] * ws[a + i]
            v = _sgn(h - w[p_tb + j], ws[b + j])
            changed |= v != ws[b + j]
            ws[b + j] = v
        for i in range(n):
            h = 0.0
            for j in range(p):
                h += w[pw + i * p + j] * ws[b + j]
            v = _sgn(h - w[p_ta + i], ws[a + i])
            changed |= v != ws[a + i]
            ws[a + i] = v
        if not changed:
            break
    src = a if ab else b
    for i in range(n_out):
        ws[y + i] = ws[src + i]


@njit(cache=True, error_model="numpy")
def step_lanes(L, k, ix, fx, W, ws):
    """:func:`step` for a block of individuals (evornn.nets.lanes). The block passes until no lane
    changes: a stable lane stays stable, so each lane ends where it would alone."""
    n, p, n_out, passes, ab = L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, OPT1], L[k, OPT2]
    pw, a, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    b = a + n
    p_ta = pw + n * p
    p_tb = p_ta + n
    nl = rt_lanes(ws)
    one, zero = like(1.0, ws), like(0.0, ws)
    for e in range(U(n * nl)):
        ws[U(a * nl) + e] = one if ws[U(x * nl) + e] >= zero else -one
    for e in range(U(p * nl)):
        ws[U(b * nl) + e] = zero
    acc = lane_acc(ws)
    for _ in range(passes):
        changed = 0
        for j in range(p):
            for l in range(nl):
                acc[l] = zero
            for i in range(n):
                ow, oa = U((pw + i * p + j) * nl), U((a + i) * nl)
                for l in range(nl):
                    acc[l] += W[ow + l] * ws[oa + l]
            ot, ob = U((p_tb + j) * nl), U((b + j) * nl)
            for l in range(nl):
                h = acc[l] - W[ot + l]
                v = one if h > zero else (-one if h < zero else ws[ob + l])
                changed += v != ws[ob + l]
                ws[ob + l] = v
        for i in range(n):
            for l in range(nl):
                acc[l] = zero
            for j in range(p):
                ow, ob = U((pw + i * p + j) * nl), U((b + j) * nl)
                for l in range(nl):
                    acc[l] += W[ow + l] * ws[ob + l]
            ot, oa = U((p_ta + i) * nl), U((a + i) * nl)
            for l in range(nl):
                h = acc[l] - W[ot + l]
                v = one if h > zero else (-one if h < zero else ws[oa + l])
                changed += v != ws[oa + l]
                ws[oa + l] = v
        if changed == 0:
            break
    src = a if ab else b
    for e in range(U(n_out * nl)):
        ws[U(y * nl) + e] = ws[U(src * nl) + e]
