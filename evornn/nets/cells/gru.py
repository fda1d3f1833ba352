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
from ..layer import NIN, NOUT, NUNITS, POFF, SOFF, XOFF, YOFF, Block, LayerSpec
from ..linalg import copy
from .lstm import check_fixed_activation, gate_sum, gate_units

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
