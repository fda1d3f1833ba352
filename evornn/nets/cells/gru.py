"""Gated recurrent unit, original formulation.

Cho, van Merrienboer, Gulcehre, Bahdanau, Bougares, Schwenk & Bengio (2014), "Learning phrase
representations using RNN encoder-decoder for statistical machine translation", EMNLP. With
s = sigmoid and gate order r, z, n::

    r_t = s(W_r x_t + U_r h_{t-1} + b_r)
    z_t = s(W_z x_t + U_z h_{t-1} + b_z)
    n_t = tanh(W_n x_t + U_n (r_t * h_{t-1}) + b_n)
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

The reset gate acts on the state before U_n (Cho et al.'s form, not the cuDNN variant
r * (U_n h + b)). The activations are fixed by the literature. The core writes the first ``n_out``
units of h to its output.

Parameters: ``W_in`` (3, H, n_in), ``W_rec`` (3, H, H), ``b`` (3, H). Neuron groups: unit i owns
row i of every gate block. Workspace: h (H), r*h (H), z then h_new (H).
"""
import math

from numba import njit

from ..activations import sigmoid
from ..lanes import U, lane_accs, lcopy, ldot_rows, like, lload_row, lstore_row, nlanes, rt_lanes
from ..layer import NIN, NOUT, NUNITS, POFF, SOFF, XOFF, YOFF, Block, LayerSpec
from ..linalg import copy
from ..vmath import vsigmoid, vtanh
from .lstm import check_fixed_activation, gate_sum, gate_units, lgate_rows

CODE = 5


def build(n_in: int, n_hidden: int, n_out: int, act: int) -> LayerSpec:
    check_fixed_activation("gru", act)
    H = n_hidden
    fan = ("fan_in", n_in + H)
    blocks = [Block("W_in", (3, H, n_in), fan), Block("W_rec", (3, H, H), fan), Block("b", (3, H))]
    return LayerSpec(CODE, n_in, n_out, H, blocks, 3 * H, gate_units(H, n_in, 3), act=act, kind="gru")


@njit(cache=True, error_model="numpy")
def step(L, k, ix, fx, w, ws):
    n_in, H, n_out = L[k, NIN], L[k, NUNITS], L[k, NOUT]
    p, s, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    p_rec = p + 3 * H * n_in
    p_b = p_rec + 3 * H * H
    rh = s + H
    zh = rh + H
    for i in range(H):
        r = sigmoid(gate_sum(w, p, p_rec, p_b, i, H, n_in, ws, x, s))
        ws[zh + i] = sigmoid(gate_sum(w, p, p_rec, p_b, H + i, H, n_in, ws, x, s))
        ws[rh + i] = r * ws[s + i]
    for i in range(H):
        n = math.tanh(gate_sum(w, p, p_rec, p_b, 2 * H + i, H, n_in, ws, x, rh))
        z = ws[zh + i]
        ws[zh + i] = (1.0 - z) * n + z * ws[s + i]
    copy(ws, zh, ws, s, H)
    copy(ws, s, ws, y, n_out)


@njit(cache=True, error_model="numpy")
def step_lanes(L, k, ix, fx, W, ws):
    """:func:`step` for a block of individuals (evornn.nets.lanes), several gate rows at once."""
    n_in, H, n_out = L[k, NIN], L[k, NUNITS], L[k, NOUT]
    p, s, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    p_rec = p + 3 * H * n_in
    p_b = p_rec + 3 * H * H
    rh = s + H
    zh = rh + H
    n = nlanes(ws)
    nl = U(rt_lanes(ws))                        # n, not known to LLVM: lane loops vectorise
    one = like(1.0, ws)
    acc = lane_accs(ws, 4)
    ar, az = U(0), U(n)
    for i in range(H):
        lgate_rows(acc, W, p, p_rec, p_b, i, 2, H, n_in, ws, x, s)
        oh = U((s + i) * n)
        for l in range(nl):
            acc[az + l] = vsigmoid(acc[az + l])
            acc[ar + l] = vsigmoid(acc[ar + l]) * ws[oh + l]
        lstore_row(ws, zh + i, acc, 1)
        lstore_row(ws, rh + i, acc, 0)
    pn_in, pn_rec, pn_b = p + 2 * H * n_in, p_rec + 2 * H * H, p_b + 2 * H
    i = 0
    while i < H:
        if i + 4 <= H:                          # units i..i+3: W_n rows are consecutive
            for r in range(4):
                lload_row(acc, r, W, pn_b + i + r)
            ldot_rows(acc, 4, W, pn_in + i * n_in, n_in, ws, x, n_in)
            ldot_rows(acc, 4, W, pn_rec + i * H, H, ws, rh, H)
            m = 4
        else:
            lgate_rows(acc, W, pn_in, pn_rec, pn_b, i, 1, H, n_in, ws, x, rh)
            m = 1
        for r in range(m):
            oz, oh, a = U((zh + i + r) * n), U((s + i + r) * n), U(r * n)
            for l in range(nl):
                z = ws[oz + l]
                acc[a + l] = (one - z) * vtanh(acc[a + l]) + z * ws[oh + l]
            lstore_row(ws, zh + i + r, acc, r)
        i += m
    lcopy(ws, zh, s, H)
    lcopy(ws, s, y, n_out)
