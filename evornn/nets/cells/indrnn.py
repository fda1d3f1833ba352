"""Independently recurrent neural network: h_t = act(W_in x_t + u * h_{t-1} + b).

Li, Li, Cook, Zhu & Gao (2018), "Independently recurrent neural network (IndRNN): building a
longer and deeper RNN", CVPR. Each neuron sees only its own previous state through the scalar
recurrent weight u_i (``*`` is the element-wise product); information crosses neurons in the next
layer (a dense readout or a further core in ``stacked``). Activation relu by default (the paper's
choice), tanh, sigmoid or linear allowed. The core writes the first ``n_out`` units to its output.

Parameters: ``W_in`` (H, n_in), ``u`` (H), ``b`` (H). Neuron groups: unit i owns W_in[i], u[i],
b[i]. Workspace: h (H), updated in place (unit i reads only h[i]).
"""
import numpy as np
from numba import njit

from ..activations import activate
from ..layer import ACT, NIN, NOUT, NUNITS, POFF, SOFF, XOFF, YOFF, Block, LayerSpec, unit_range
from ..lanes import U, lact_rows, lane_accs, lcopy, lzero, nlanes
from ..linalg import copy, dot
from .ctrnn import ldot_units

CODE = 6


def build(n_in: int, n_hidden: int, n_out: int, act: int) -> LayerSpec:
    H = n_hidden
    blocks = [Block("W_in", (H, n_in), ("fan_in", n_in)), Block("u", (H,), ("uniform", 0.0, 1.0)),
              Block("b", (H,))]
    units = [np.asarray(list(range(i * n_in, (i + 1) * n_in)) + [H * n_in + i, H * n_in + H + i], dtype=np.int64)
             for i in unit_range(H)]
    return LayerSpec(CODE, n_in, n_out, H, blocks, H, units, act=act, kind="indrnn")


@njit(cache=True, error_model="numpy")
def step(L, k, ix, fx, w, ws):
    n_in, H, n_out, act = L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, ACT]
    p, s, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    p_u = p + H * n_in
    p_b = p_u + H
    for i in range(H):
        a = dot(w, p + i * n_in, ws, x, n_in) + w[p_u + i] * ws[s + i] + w[p_b + i]
        ws[s + i] = activate(act, a)
    copy(ws, s, ws, y, n_out)


@njit(cache=True, error_model="numpy")
def step_lanes(L, k, ix, fx, W, ws):
    """:func:`step` for a block of individuals (evornn.nets.lanes), four units at a time."""
    n_in, H, n_out, act = L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, ACT]
    p, s, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    p_u = p + H * n_in
    p_b = p_u + H
    n = nlanes(ws)
    acc = lane_accs(ws, 4)
    i = 0
    while i < H:                                # pre-activations into h (unit i reads only h[i])
        c = min(4, H - i)
        lzero(acc, 0, 4)
        ldot_units(acc, c, W, p + i * n_in, n_in, ws, x, n_in)
        os_, ou, ob = U((s + i) * n), U((p_u + i) * n), U((p_b + i) * n)
        for e in range(U(c * n)):
            ws[os_ + e] = acc[e] + W[ou + e] * ws[os_ + e] + W[ob + e]
        i += c
    lact_rows(act, ws, s, H)
    lcopy(ws, s, y, n_out)
