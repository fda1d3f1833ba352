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
from ..layer import (ACT, ACT2, NIN, NOUT, NUNITS, OPT1, OPT2, POFF, SOFF, XOFF, YOFF, Block, LayerSpec,
                     activation_code)
from ..linalg import copy, dot
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
    units = [np.asarray([p_bout + j], dtype=np.int64) for j in range(n_o)]
    for i in range(H):
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
