"""Simple recurrent core: h_t = act(W_in x_t + W_rec h_{t-1} + b).

The recurrent core shared by the fully recurrent network (Williams & Zipser 1989: every unit sees
every input and every unit; the outputs are the first units themselves, as in Gomez &
Miikkulainen's pole-balancing networks) and the Elman network (Elman 1990: context units hold a
copy of the previous hidden layer, i.e. W_rec acts on h_{t-1}, and a separate output layer reads
the hidden layer). The core writes the first ``n_out`` units to its output.

Parameters: ``W_in`` (H, n_in), ``W_rec`` (H, H), ``b`` (H) (optional).
Workspace: h (H), h_new (H).
"""
import numpy as np
from numba import njit

from ..activations import activate
from ..layer import ACT, NIN, NOUT, NUNITS, OPT1, POFF, SOFF, XOFF, YOFF, Block, LayerSpec, unit_range
from ..lanes import (lact_rows, lane_accs, lcopy, ldot, ldot_rows, lfill, lload, lload_row, lstore,
                     lstore_row, lzero)
from ..linalg import copy, dot

CODE = 2


def build(n_in: int, n_hidden: int, n_out: int, act: int, *, bias: bool = True, kind: str = "srn") -> LayerSpec:
    H = n_hidden
    blocks = [Block("W_in", (H, n_in), ("fan_in", n_in + H)), Block("W_rec", (H, H), ("fan_in", n_in + H))]
    if bias:
        blocks.append(Block("b", (H,)))
    units = []
    for i in unit_range(H):
        idx = list(range(i * n_in, (i + 1) * n_in)) + list(range(H * n_in + i * H, H * n_in + (i + 1) * H))
        if bias:
            idx.append(H * n_in + H * H + i)
        units.append(np.asarray(idx, dtype=np.int64))
    return LayerSpec(CODE, n_in, n_out, H, blocks, 2 * H, units, act=act, opts=(int(bias),), kind=kind)


@njit(cache=True, error_model="numpy")
def step(L, k, ix, fx, w, ws):
    n_in, H, n_out, act, bias = L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, ACT], L[k, OPT1]
    p, s, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    p_rec = p + H * n_in
    p_b = p_rec + H * H
    h_new = s + H
    for i in range(H):
        a = dot(w, p + i * n_in, ws, x, n_in) + dot(w, p_rec + i * H, ws, s, H)
        if bias:
            a += w[p_b + i]
        ws[h_new + i] = activate(act, a)
    copy(ws, h_new, ws, s, H)
    copy(ws, s, ws, y, n_out)


@njit(cache=True, error_model="numpy")
def step_lanes(L, k, ix, fx, W, ws):
    """:func:`step` for a block of individuals (evornn.nets.lanes), four units at a time."""
    n_in, H, n_out, act, bias = L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, ACT], L[k, OPT1]
    p, s, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    p_rec = p + H * n_in
    p_b = p_rec + H * H
    h_new = s + H
    acc = lane_accs(ws, 4)
    i = 0
    while i + 4 <= H:
        for r in range(4):
            if bias:
                lload_row(acc, r, W, p_b + i + r)
            else:
                lzero(acc, r, 1)
        ldot_rows(acc, 4, W, p + i * n_in, n_in, ws, x, n_in)
        ldot_rows(acc, 4, W, p_rec + i * H, H, ws, s, H)
        for r in range(4):
            lstore_row(ws, h_new + i + r, acc, r)
        i += 4
    while i < H:
        if bias:
            lload(acc, W, p_b + i)
        else:
            lfill(acc, 0)
        ldot(acc, W, p + i * n_in, ws, x, n_in)
        ldot(acc, W, p_rec + i * H, ws, s, H)
        lstore(ws, h_new + i, acc)
        i += 1
    lact_rows(act, ws, h_new, H)          # one pass over every unit: a vector loop
    lcopy(ws, h_new, s, H)
    lcopy(ws, s, y, n_out)
