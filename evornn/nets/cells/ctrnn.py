"""Continuous-time recurrent neural network (Beer 1995, "On the dynamics of small continuous-time
recurrent neural networks", Adaptive Behavior 3(4)).

    tau_i dy_i/dt = -y_i + sum_j W_rec[i, j] s(y_j + theta_j) + sum_k W_in[i, k] x_k

integrated with one forward-Euler step of size ``dt`` per network step:

    y_i <- y_i + alpha_i (-y_i + sum_j W_rec[i, j] s(y_j + theta_j) + sum_k W_in[i, k] x_k),
    alpha_i = min(dt / tau_i, 1),  tau_i = exp(log_tau_i).

Clipping alpha at 1 keeps Euler from overshooting the fixed point when an evolved time constant
falls below ``dt`` (alpha = 1 jumps straight to it, the discrete-time limit); alpha is computed as
``dt * exp(-log_tau)`` so no division by zero can happen. Unit i's output is s(y_i + theta_i)
with s the activation (sigmoid as in Beer, or tanh); the core's output is the first ``n_out``
unit outputs after the step. The state y starts at 0, so the first step sees outputs s(theta).

Parameters: ``W_in`` (H, n_in), ``W_rec`` (H, H), ``theta`` (H), ``log_tau`` (H), evolvable, with
log_tau initialised uniform in [log 0.1, log 1] (tau in [0.1, 1]).
Fixed data: floats [dt]. Workspace: y (H), outputs s(y + theta) of the previous step (H).
"""
import math

import numpy as np
from numba import njit

from ..activations import activate
from ..layer import ACT, FOFF, NIN, NOUT, NUNITS, POFF, SOFF, XOFF, YOFF, Block, LayerSpec, unit_range
from ..lanes import U, lact_rows, lane_accs, ldot, ldot_rows, like, lzero, nlanes
from ..linalg import dot
from ..vmath import vexp
from .options import activation, real

CODE = 7


def build(n_in: int, n_hidden: int, n_out: int, act: int, *, dt: float = 0.1) -> LayerSpec:
    H = n_hidden
    activation("ctrnn", act, ("sigmoid", "tanh"))
    dt = real("ctrnn", "dt", dt, 0.0, lo_open=True)
    if not 1 <= n_out <= H:
        raise ValueError(f"ctrnn: the core exposes at most n_hidden={H} unit outputs, asked for {n_out}")
    fan = n_in + H
    blocks = [Block("W_in", (H, n_in), ("fan_in", fan)), Block("W_rec", (H, H), ("fan_in", fan)),
              Block("theta", (H,)), Block("log_tau", (H,), ("uniform", math.log(0.1), 0.0))]
    o_rec, o_th, o_tau = H * n_in, H * n_in + H * H, H * n_in + H * H + H
    units = []
    for i in unit_range(H):
        idx = list(range(i * n_in, (i + 1) * n_in)) + list(range(o_rec + i * H, o_rec + (i + 1) * H))
        units.append(np.asarray(idx + [o_th + i, o_tau + i], dtype=np.int64))
    return LayerSpec(CODE, n_in, n_out, H, blocks, 2 * H, units, act=act, kind="ctrnn",
                     floats=np.array([dt]), options={"dt": dt})


@njit(cache=True, error_model="numpy")
def step(L, k, ix, fx, w, ws):
    n_in, H, n_out, act = L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, ACT]
    p, s, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    dt = fx[L[k, FOFF]]
    p_rec = p + H * n_in
    p_th = p_rec + H * H
    p_tau = p_th + H
    o = s + H                                   # s(y_{t-1} + theta), read by every unit
    for j in range(H):
        ws[o + j] = activate(act, ws[s + j] + w[p_th + j])
    for i in range(H):
        drive = dot(w, p + i * n_in, ws, x, n_in) + dot(w, p_rec + i * H, ws, o, H)
        alpha = dt * math.exp(-w[p_tau + i])
        if alpha > 1.0:
            alpha = 1.0
        ws[s + i] += alpha * (drive - ws[s + i])
    for i in range(n_out):
        ws[y + i] = activate(act, ws[s + i] + w[p_th + i])


@njit(cache=True, inline="always", error_model="numpy")
def ldot_units(acc, c, W, pw, stride, ws, px, m):
    """Accumulator rows r < c (c <= 4) of ``acc`` (:func:`~evornn.nets.lanes.lane_accs`) +=
    sum_j W[pw + r*stride + j, l] * ws[px + j, l] for j < m: the dot products of c consecutive
    units' weight rows with one state (four at once when c is 4; the same bits either way)."""
    if c == 4:
        ldot_rows(acc, 4, W, pw, stride, ws, px, m)
    else:
        n = nlanes(ws)
        for r in range(c):
            ldot(acc[U(r * n):], W, pw + r * stride, ws, px, m)


@njit(cache=True, inline="always", error_model="numpy")
def _act_theta(act, ws, dst, s, W, p_th, m):
    """ws[dst + j, l] = act(ws[s + j, l] + W[p_th + j, l]) for j < m (flat loops over m rows: a
    run-time trip count, so LLVM's loop vectoriser turns them into vector code)."""
    n = nlanes(ws)
    od, os_, ot = U(dst * n), U(s * n), U(p_th * n)
    for e in range(U(m * n)):
        ws[od + e] = ws[os_ + e] + W[ot + e]
    lact_rows(act, ws, dst, m)


@njit(cache=True, error_model="numpy")
def step_lanes(L, k, ix, fx, W, ws):
    """:func:`step` for a block of individuals (evornn.nets.lanes), four units at a time."""
    n_in, H, n_out, act = L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, ACT]
    p, s, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    dt = like(fx[L[k, FOFF]], ws)
    one = like(1.0, ws)
    p_rec = p + H * n_in
    p_th = p_rec + H * H
    p_tau = p_th + H
    o = s + H                                   # s(y_{t-1} + theta), read by every unit
    n = nlanes(ws)
    _act_theta(act, ws, o, s, W, p_th, H)
    drive = lane_accs(ws, 4)                    # W_in x of units i..i+c-1
    rec = lane_accs(ws, 4)                      # W_rec s(y + theta) of the same units
    i = 0
    while i < H:
        c = min(4, H - i)
        lzero(drive, 0, 4)
        lzero(rec, 0, 4)
        ldot_units(drive, c, W, p + i * n_in, n_in, ws, x, n_in)
        ldot_units(rec, c, W, p_rec + i * H, H, ws, o, H)
        os_, ot = U((s + i) * n), U((p_tau + i) * n)
        for e in range(U(c * n)):               # alpha per lane: log_tau is evolved
            alpha = dt * vexp(-W[ot + e])
            alpha = one if alpha > one else alpha
            ws[os_ + e] += alpha * ((drive[e] + rec[e]) - ws[os_ + e])
        i += c
    _act_theta(act, ws, y, s, W, p_th, n_out)
