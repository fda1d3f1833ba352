"""Continuous Hopfield network (Hopfield 1984, "Neurons with graded response have collective
computational properties like those of two-state neurons", PNAS 81):

    tau du_i/dt = -u_i + sum_{j != i} W_ij V_j + I_i,    V_j = tanh(gain u_j)

with symmetric W and zero diagonal (the upper triangle is evolved), integrated by ``n_steps``
forward-Euler steps of size ``dt`` per network step, all units at once from the previous state:

    V_j = tanh(gain u_j);   u_i <- u_i + (dt / tau) (-u_i + sum_{j != i} W_ij V_j + I_i)

At every network step the input x (N values) is the probe: u starts at x, and the output is the
first ``n_out`` values V_i = tanh(gain u_i) after the last Euler step (recall: their signs). As
for the discrete network, each step is one recall: nothing carries over to the next step.

Parameters: ``W`` (N (N - 1) / 2): the upper triangle row by row, as in
:mod:`~evornn.nets.cells.hopfield`; ``I`` (N): the bias currents. Fixed data: floats
[dt / tau, gain]. Options: n_steps. Workspace: u (N), V (N).
"""
import math

import numpy as np
from numba import njit

from ..layer import FOFF, NOUT, NUNITS, OPT1, POFF, SOFF, TANH, XOFF, YOFF, LayerSpec
from ..lanes import U, lact_rows, lane_acc, like, rt_lanes
from .hopfield import _field, _lfield, symmetric_layout
from .options import integer, real

CODE = 13


def build(n_in: int, n_out: int, *, dt: float = 0.1, tau: float = 1.0, gain: float = 1.0,
          n_steps: int = 50) -> LayerSpec:
    N = n_in
    dt = real("hopfield-continuous", "dt", dt, 0.0, lo_open=True)
    tau = real("hopfield-continuous", "tau", tau, 0.0, lo_open=True)
    gain = real("hopfield-continuous", "gain", gain, 0.0, lo_open=True)
    n_steps = integer("hopfield-continuous", "n_steps", n_steps, 1)
    if dt > tau:
        raise ValueError(f"hopfield-continuous: dt must not exceed tau (Euler overshoots), got dt={dt} > tau={tau}")
    if not 1 <= n_out <= N:
        raise ValueError(f"hopfield-continuous: the outputs are the first units, so n_outputs must be in "
                         f"[1, n_inputs = {N}], got {n_out}")
    blocks, units = symmetric_layout(N, "I")
    return LayerSpec(CODE, n_in, n_out, N, blocks, 2 * N, units, act=TANH, opts=(n_steps,),
                     floats=np.array([dt / tau, gain]), kind="hopfield-continuous",
                     options={"dt": dt, "tau": tau, "gain": gain, "n_steps": n_steps})


@njit(cache=True, error_model="numpy")
def step(L, k, ix, fx, w, ws):
    N, n_out, n_steps = L[k, NUNITS], L[k, NOUT], L[k, OPT1]
    p, s, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    a, gain = fx[L[k, FOFF]], fx[L[k, FOFF] + 1]
    p_b = p + N * (N - 1) // 2
    v = s + N
    for i in range(N):
        ws[s + i] = ws[x + i]
    for _ in range(n_steps):
        for j in range(N):
            ws[v + j] = math.tanh(gain * ws[s + j])
        for i in range(N):
            ws[s + i] += a * ((_field(w, p, N, i, ws, v) + w[p_b + i]) - ws[s + i])
    for i in range(n_out):
        ws[y + i] = math.tanh(gain * ws[s + i])


@njit(cache=True, inline="always", error_model="numpy")
def _lgain_tanh(ws, dst, src, gain, m):
    """ws[dst + j, l] = tanh(gain ws[src + j, l]) for j < m."""
    n = rt_lanes(ws)
    od, os_ = U(dst * n), U(src * n)
    for e in range(U(m * n)):
        ws[od + e] = gain * ws[os_ + e]
    lact_rows(TANH, ws, dst, m)


@njit(cache=True, error_model="numpy")
def step_lanes(L, k, ix, fx, W, ws):
    """:func:`step` for a block of individuals (evornn.nets.lanes)."""
    N, n_out, n_steps = L[k, NUNITS], L[k, NOUT], L[k, OPT1]
    p, s, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    a, gain = like(fx[L[k, FOFF]], ws), like(fx[L[k, FOFF] + 1], ws)
    p_b = p + N * (N - 1) // 2
    v = s + N
    n = rt_lanes(ws)
    for e in range(U(N * n)):
        ws[U(s * n) + e] = ws[U(x * n) + e]
    acc = lane_acc(ws)
    for _ in range(n_steps):
        _lgain_tanh(ws, v, s, gain, N)
        for i in range(N):
            _lfield(acc, W, p, N, i, ws, v)
            os_, ob = U((s + i) * n), U((p_b + i) * n)
            for l in range(n):
                ws[os_ + l] += a * ((acc[l] + W[ob + l]) - ws[os_ + l])
    _lgain_tanh(ws, y, s, gain, n_out)
