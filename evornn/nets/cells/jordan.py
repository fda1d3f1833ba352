"""Jordan network: context units fed from the output layer, with a decaying self-connection.

Jordan (1986), "Serial order: a parallel distributed processing approach", ICS Report 8604, UC
San Diego. The context (state) units hold a decaying sum of the past outputs; the hidden layer
sees the input and the context; the output layer reads the hidden layer::

    c_t = mu * c_{t-1} + y_{t-1}                  (c_0 = y_0 = 0)
    h_t = act(W_in x_t + W_ctx c_t + b)
    y_t = out_act(W_out h_t + b_out)

mu (option ``context_decay``, default 0.5, in [0, 1)) is the fixed weight of the state units'
self-connection. The cell computes its own outputs (no separate readout layer). Activation
sigmoid by default; output activation linear by default.

Parameters: ``W_in`` (H, n_in), ``W_ctx`` (H, n_out), ``b`` (H), ``W_out`` (n_out, H),
``b_out`` (n_out). Neuron groups (disjoint, covering), output units first: output unit j owns
b_out[j]; hidden unit i owns W_in[i], W_ctx[i], b[i] and its outgoing column W_out[:, i] (as ESP's
hidden neurons own their output weights).
Fixed data: fx = [mu]. Workspace: y_{t-1} (n_out), c (n_out), h (H).
"""
import numpy as np
from numba import njit

from ..activations import activate
from ..lanes import U, lact_rows, lane_acc, lcopy, ldot, like, lload, lstore, nlanes, rt_lanes
from ..layer import (ACT, ACT2, FOFF, NIN, NOUT, NUNITS, POFF, SOFF, XOFF, YOFF, Block, LayerSpec, activation_code,
                     unit_range)
from ..linalg import copy, dot
from . import options

CODE = 3


def build(n_in: int, n_hidden: int, n_out: int, act: int, *, out_act: str = "linear",
          context_decay: float = 0.5) -> LayerSpec:
    out_code = activation_code(out_act, what="jordan output activation")
    mu = options.real("jordan", "context_decay", context_decay, 0.0, 1.0, hi_open=True)
    H, n_o = n_hidden, n_out
    p_ctx = H * n_in
    p_b = p_ctx + H * n_o
    p_out = p_b + H
    p_bout = p_out + n_o * H
    blocks = [Block("W_in", (H, n_in), ("fan_in", n_in + n_o)), Block("W_ctx", (H, n_o), ("fan_in", n_in + n_o)),
              Block("b", (H,)), Block("W_out", (n_o, H), ("fan_in", H)), Block("b_out", (n_o,))]
    # Output units first: a following readout layer reads them, and Network.neuron_groups gives the
    # readout's column j to the layer's j-th group.
    units = [np.asarray([p_bout + j], dtype=np.int64) for j in unit_range(n_o)]
    for i in unit_range(H):
        idx = (list(range(i * n_in, (i + 1) * n_in)) + list(range(p_ctx + i * n_o, p_ctx + (i + 1) * n_o))
               + [p_b + i] + [p_out + j * H + i for j in range(n_o)])
        units.append(np.asarray(idx, dtype=np.int64))
    return LayerSpec(CODE, n_in, n_o, H, blocks, 2 * n_o + H, units, act=act, act2=out_code,
                     floats=np.array([mu]), kind="jordan",
                     options={"out_act": out_act, "context_decay": mu})


@njit(cache=True, error_model="numpy")
def step(L, k, ix, fx, w, ws):
    n_in, H, n_out, act, out_act = L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, ACT], L[k, ACT2]
    p, s, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    mu = fx[L[k, FOFF]]
    p_ctx = p + H * n_in
    p_b = p_ctx + H * n_out
    p_out = p_b + H
    p_bout = p_out + n_out * H
    y_prev = s
    c = s + n_out
    h = c + n_out
    for j in range(n_out):
        ws[c + j] = mu * ws[c + j] + ws[y_prev + j]
    for i in range(H):
        a = dot(w, p + i * n_in, ws, x, n_in) + dot(w, p_ctx + i * n_out, ws, c, n_out) + w[p_b + i]
        ws[h + i] = activate(act, a)
    for j in range(n_out):
        ws[y_prev + j] = activate(out_act, dot(w, p_out + j * H, ws, h, H) + w[p_bout + j])
    copy(ws, y_prev, ws, y, n_out)


@njit(cache=True, error_model="numpy")
def step_lanes(L, k, ix, fx, W, ws):
    """:func:`step` for a block of individuals (evornn.nets.lanes)."""
    n_in, H, n_out, act, out_act = L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, ACT], L[k, ACT2]
    p, s, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    mu = like(fx[L[k, FOFF]], ws)
    p_ctx = p + H * n_in
    p_b = p_ctx + H * n_out
    p_out = p_b + H
    p_bout = p_out + n_out * H
    y_prev = s
    c = s + n_out
    h = c + n_out
    n = nlanes(ws)
    nl = U(rt_lanes(ws))                        # n, not known to LLVM: lane loops vectorise
    for j in range(n_out):
        oc, oy = U((c + j) * n), U((y_prev + j) * n)
        for l in range(nl):
            ws[oc + l] = mu * ws[oc + l] + ws[oy + l]
    acc = lane_acc(ws)
    for i in range(H):
        lload(acc, W, p_b + i)
        ldot(acc, W, p + i * n_in, ws, x, n_in)
        ldot(acc, W, p_ctx + i * n_out, ws, c, n_out)
        lstore(ws, h + i, acc)
    lact_rows(act, ws, h, H)
    for j in range(n_out):
        lload(acc, W, p_bout + j)
        ldot(acc, W, p_out + j * H, ws, h, H)
        lstore(ws, y_prev + j, acc)
    lact_rows(out_act, ws, y_prev, n_out)
    lcopy(ws, y_prev, y, n_out)
