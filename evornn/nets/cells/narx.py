"""NARX recurrent network: nonlinear autoregressive model with exogenous inputs (Lin, Horne, Tino &
Giles 1996, "Learning long-term dependencies in NARX recurrent neural networks", IEEE Trans.
Neural Networks 7(6); Siegelmann, Horne & Giles 1997, "Computational capabilities of recurrent
NARX neural networks", IEEE Trans. SMC-B 27(2)).

Tapped delay lines of the inputs and of the network's own past outputs feed a one-hidden-layer
perceptron:

    h_t = act(W_x [x_t; x_{t-1}; ...; x_{t-du}] + W_y [y_{t-1}; ...; y_{t-dy}] + b)
    y_t = out_act(W_out h_t + b_out)

with du = ``input_delays`` (default 2, >= 0) and dy = ``output_delays`` (default 2, >= 1); taps
before the start of the sequence are 0. So W_x[i, d * n_in + k] weighs x_{t-d}[k] and
W_y[i, (d - 1) * n_out + j] weighs y_{t-d}[j]. The cell computes its own outputs (no separate
readout layer); act tanh by default (or sigmoid), out_act linear by default.

Parameters: ``W_x`` (H, (du + 1) n_in), ``W_y`` (H, dy n_out), ``b`` (H), ``W_out`` (n_out, H),
``b_out`` (n_out). Neuron groups as in the Jordan cell: output units first, each owning b_out[j];
hidden unit i owns W_x[i], W_y[i], b[i] and its outgoing column W_out[:, i].
Workspace: input taps ((du + 1) n_in), output taps (dy n_out), h (H).
"""
import numpy as np
from numba import njit

from ..activations import activate
from ..layer import (ACT, ACT2, NIN, NOUT, NUNITS, OPT1, OPT2, POFF, SOFF, XOFF, YOFF, Block, LayerSpec, unit_range,
                     activation_code)
from ..lanes import U, lact_rows, lane_accs, lcopy, lzero, nlanes
from ..linalg import copy, dot
from .ctrnn import ldot_units
from .options import activation, integer

CODE = 11


def build(n_in: int, n_hidden: int, n_out: int, act: int, *, out_act: str = "linear",
          input_delays: int = 2, output_delays: int = 2) -> LayerSpec:
    activation("narx", act, ("tanh", "sigmoid"))
    out_code = activation_code(out_act, what="narx output activation")
    du = integer("narx", "input_delays", input_delays, 0)
    dy = integer("narx", "output_delays", output_delays, 1)
    H, n_o = n_hidden, n_out
    nx, ny = (du + 1) * n_in, dy * n_o
    p_y = H * nx
    p_b = p_y + H * ny
    p_out = p_b + H
    p_bout = p_out + n_o * H
    fan = ("fan_in", nx + ny)
    blocks = [Block("W_x", (H, nx), fan), Block("W_y", (H, ny), fan), Block("b", (H,)),
              Block("W_out", (n_o, H), ("fan_in", H)), Block("b_out", (n_o,))]
    units = [np.asarray([p_bout + j], dtype=np.int64) for j in unit_range(n_o)]
    for i in unit_range(H):
        idx = (list(range(i * nx, (i + 1) * nx)) + list(range(p_y + i * ny, p_y + (i + 1) * ny))
               + [p_b + i] + [p_out + j * H + i for j in range(n_o)])
        units.append(np.asarray(idx, dtype=np.int64))
    return LayerSpec(CODE, n_in, n_o, H, blocks, nx + ny + H, units, act=act, act2=out_code, opts=(du, dy),
                     kind="narx", options={"out_act": out_act, "input_delays": du, "output_delays": dy})


@njit(cache=True, inline="always")
def _shift(ws, base, n, width):
    """Delay line ws[base:base+n] moves one tap (``width`` values) towards its end; tap 0 is kept."""
    for j in range(n - 1, width - 1, -1):
        ws[base + j] = ws[base + j - width]


@njit(cache=True, error_model="numpy")
def step(L, k, ix, fx, w, ws):
    n_in, H, n_out, act, out_act = L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, ACT], L[k, ACT2]
    du, dy = L[k, OPT1], L[k, OPT2]
    p, s, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    nx, ny = (du + 1) * n_in, dy * n_out
    xt, yt = s, s + nx
    h = yt + ny
    p_y = p + H * nx
    p_b = p_y + H * ny
    p_out = p_b + H
    p_bout = p_out + n_out * H
    _shift(ws, xt, nx, n_in)
    copy(ws, x, ws, xt, n_in)
    for i in range(H):
        a = dot(w, p + i * nx, ws, xt, nx) + dot(w, p_y + i * ny, ws, yt, ny) + w[p_b + i]
        ws[h + i] = activate(act, a)
    for j in range(n_out):
        ws[y + j] = activate(out_act, dot(w, p_out + j * H, ws, h, H) + w[p_bout + j])
    _shift(ws, yt, ny, n_out)
    copy(ws, y, ws, yt, n_out)


@njit(cache=True, inline="always", error_model="numpy")
def _lshift(ws, base, n, width):
    """:func:`_shift` for every lane: rows ws[base:base+n] move ``width`` rows towards the end."""
    m = nlanes(ws)
    for j in range(n - 1, width - 1, -1):
        d, s = U((base + j) * m), U((base + j - width) * m)
        for l in range(U(m)):
            ws[d + l] = ws[s + l]


@njit(cache=True, inline="always", error_model="numpy")
def _layer(W, pw, pb, rows, ws, px, m, py, my, dst, a, b):
    """ws[dst + i, l] = sum_j W[pw + i*m + j, l] ws[px + j, l] (+ the same with rows py, my) +
    W[pb + i, l] for i < rows, in the order of :func:`step`, four rows at a time (pre-activations)."""
    n = nlanes(ws)
    i = 0
    while i < rows:
        c = min(4, rows - i)
        lzero(a, 0, 4)
        ldot_units(a, c, W, pw + i * m, m, ws, px, m)
        if my > 0:
            lzero(b, 0, 4)
            ldot_units(b, c, W, pw + rows * m + i * my, my, ws, py, my)
            for e in range(U(c * n)):
                a[e] += b[e]
        od, ob = U((dst + i) * n), U((pb + i) * n)
        for e in range(U(c * n)):
            ws[od + e] = a[e] + W[ob + e]
        i += c


@njit(cache=True, error_model="numpy")
def step_lanes(L, k, ix, fx, W, ws):
    """:func:`step` for a block of individuals (evornn.nets.lanes), four units at a time."""
    n_in, H, n_out, act, out_act = L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, ACT], L[k, ACT2]
    du, dy = L[k, OPT1], L[k, OPT2]
    p, s, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    nx, ny = (du + 1) * n_in, dy * n_out
    xt, yt = s, s + nx
    h = yt + ny
    p_y = p + H * nx
    p_b = p_y + H * ny
    p_out = p_b + H
    p_bout = p_out + n_out * H
    a = lane_accs(ws, 4)
    b = lane_accs(ws, 4)
    _lshift(ws, xt, nx, n_in)
    lcopy(ws, x, xt, n_in)
    _layer(W, p, p_b, H, ws, xt, nx, yt, ny, h, a, b)           # W_x taps + W_y taps + b
    lact_rows(act, ws, h, H)
    _layer(W, p_out, p_bout, n_out, ws, h, H, h, 0, y, a, b)    # W_out h + b_out
    lact_rows(out_act, ws, y, n_out)
    _lshift(ws, yt, ny, n_out)
    lcopy(ws, y, yt, n_out)
