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
from ..layer import ACT, FOFF, NIN, NOUT, NUNITS, POFF, SOFF, XOFF, YOFF, Block, LayerSpec
from ..linalg import dot
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
    for i in range(H):
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
