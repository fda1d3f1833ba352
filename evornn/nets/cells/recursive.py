"""Recursive neural network core: one shared composition over the nodes of a binary tree.

Pollack (1990), "Recursive distributed representations", Artificial Intelligence 46; Goller &
Kuechler (1996), "Learning task-dependent distributed representations by backpropagation through
structure", ICNN; Socher et al. (2011), "Parsing natural scenes and natural language with
recursive neural networks", ICML. A leaf with one-hot (or any) input x is embedded,
h = E x; an internal node composes its children with weights shared by every node::

    h = act(W [h_left; h_right] + b)

Over a tree, :mod:`evornn.problems.trees` runs this in post-order for whole populations. Over a
sequence (the cell's step, so the network also runs through every sequence kernel), the sequence
is the left-branching tree (((0, x_1), x_2), .., x_T): h_t = act(W [h_{t-1}; E x_t] + b),
h_0 = 0. The core writes the first ``n_out`` units of h to its output.

Parameters: ``E`` (H, n_in), ``W`` (H, 2H) (columns: left child, then right child), ``b`` (H).
Workspace: h (H), e (H), h_new (H).
"""
import numpy as np
from numba import njit

from ..activations import activate
from ..layer import ACT, NIN, NOUT, NUNITS, POFF, SOFF, XOFF, YOFF, Block, LayerSpec, unit_range
from ..lanes import lact_rows, lane_accs, lcopy, ldot, ldot_rows, lfill, lload, lload_row, lstore, lstore_row, lzero
from ..linalg import copy, dot

CODE = 21
DEFAULT_ACTIVATION = "tanh"


def build(n_in: int, n_hidden: int, n_out: int, act: int) -> LayerSpec:
    H = n_hidden
    blocks = [Block("E", (H, n_in), ("fan_in", n_in)), Block("W", (H, 2 * H), ("fan_in", 2 * H)), Block("b", (H,))]
    units = []
    for i in unit_range(H):
        idx = list(range(i * n_in, (i + 1) * n_in))
        idx += list(range(H * n_in + i * 2 * H, H * n_in + (i + 1) * 2 * H))
        idx.append(H * n_in + 2 * H * H + i)
        units.append(np.asarray(idx, dtype=np.int64))
    return LayerSpec(CODE, n_in, n_out, H, blocks, 3 * H, units, act=act, kind="recursive")


@njit(cache=True, error_model="numpy")
def step(L, k, ix, fx, w, ws):
    n_in, H, n_out, act = L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, ACT]
    p, s, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    p_w = p + H * n_in
    p_b = p_w + 2 * H * H
    e, h_new = s + H, s + 2 * H
    for i in range(H):
        ws[e + i] = dot(w, p + i * n_in, ws, x, n_in)
    for i in range(H):
        a = dot(w, p_w + i * 2 * H, ws, s, H) + dot(w, p_w + i * 2 * H + H, ws, e, H) + w[p_b + i]
        ws[h_new + i] = activate(act, a)
    copy(ws, h_new, ws, s, H)
    copy(ws, s, ws, y, n_out)


@njit(cache=True, error_model="numpy")
def step_lanes(L, k, ix, fx, W, ws):
    """:func:`step` for a block of individuals (evornn.nets.lanes), four units at a time."""
    n_in, H, n_out, act = L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, ACT]
    p, s, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    p_w = p + H * n_in
    p_b = p_w + 2 * H * H
    e, h_new = s + H, s + 2 * H
    acc = lane_accs(ws, 4)
    i = 0
    while i + 4 <= H:                          # e = E x
        for r in range(4):
            lzero(acc, r, 1)
        ldot_rows(acc, 4, W, p + i * n_in, n_in, ws, x, n_in)
        for r in range(4):
            lstore_row(ws, e + i + r, acc, r)
        i += 4
    while i < H:
        lfill(acc, 0)
        ldot(acc, W, p + i * n_in, ws, x, n_in)
        lstore(ws, e + i, acc)
        i += 1
    i = 0
    while i + 4 <= H:                          # h_new = W [h; e] + b
        for r in range(4):
            lload_row(acc, r, W, p_b + i + r)
        ldot_rows(acc, 4, W, p_w + i * 2 * H, 2 * H, ws, s, H)
        ldot_rows(acc, 4, W, p_w + i * 2 * H + H, 2 * H, ws, e, H)
        for r in range(4):
            lstore_row(ws, h_new + i + r, acc, r)
        i += 4
    while i < H:
        lload(acc, W, p_b + i)
        ldot(acc, W, p_w + i * 2 * H, ws, s, H)
        ldot(acc, W, p_w + i * 2 * H + H, ws, e, H)
        lstore(ws, h_new + i, acc)
        i += 1
    lact_rows(act, ws, h_new, H)
    lcopy(ws, h_new, s, H)
    lcopy(ws, s, y, n_out)
