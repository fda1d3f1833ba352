"""Second-order recurrent network: h_{i,t} = act(sum_j sum_k W[i, j, k] h_{j,t-1} x_{k,t} + b_i).

Giles, Miller, Chen, Chen, Sun & Lee (1992), "Learning and extracting finite state automata with
second-order recurrent neural networks", Neural Computation 4(3). The weights act on products of
the previous state and the current input, so each input symbol selects its own state-transition
matrix. Activation sigmoid by default (Giles et al.), tanh, relu or linear allowed. The core writes
the first ``n_out`` units to its output (Giles et al. read the answer from a state neuron).

Note: the network starts from the zero state, so h_1 = act(b) whatever x_1 is; inputs act from
t = 2 on (Giles et al. start from a fixed non-zero state; a constant input column plays that role).

Parameters: ``W`` (H, H, n_in) (unit i, state j, input k), ``b`` (H). Neuron groups: unit i owns
W[i] and b[i]. Workspace: h (H), h_new (H).
"""
import numpy as np
from numba import njit

from ..activations import activate
from ..lanes import U, lact_rows, lane_acc, lcopy, ldot, lfill, lload, lstore, nlanes, rt_lanes
from ..layer import ACT, NIN, NOUT, NUNITS, POFF, SOFF, XOFF, YOFF, Block, LayerSpec, unit_range
from ..linalg import copy, dot

CODE = 10


def build(n_in: int, n_hidden: int, n_out: int, act: int) -> LayerSpec:
    H = n_hidden
    m = H * n_in
    blocks = [Block("W", (H, H, n_in), ("fan_in", m)), Block("b", (H,))]
    units = [np.asarray(list(range(i * m, (i + 1) * m)) + [H * m + i], dtype=np.int64) for i in unit_range(H)]
    return LayerSpec(CODE, n_in, n_out, H, blocks, 2 * H, units, act=act, kind="second-order")


@njit(cache=True, error_model="numpy")
def step(L, k, ix, fx, w, ws):
    n_in, H, n_out, act = L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, ACT]
    p, s, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    p_b = p + H * H * n_in
    h_new = s + H
    for i in range(H):
        a = w[p_b + i]
        for j in range(H):
            a += ws[s + j] * dot(w, p + (i * H + j) * n_in, ws, x, n_in)
        ws[h_new + i] = activate(act, a)
    copy(ws, h_new, ws, s, H)
    copy(ws, s, ws, y, n_out)


@njit(cache=True, error_model="numpy")
def step_lanes(L, k, ix, fx, W, ws):
    """:func:`step` for a block of individuals (evornn.nets.lanes)."""
    n_in, H, n_out, act = L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, ACT]
    p, s, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    p_b = p + H * H * n_in
    h_new = s + H
    n = nlanes(ws)
    nl = U(rt_lanes(ws))                        # n, not known to LLVM: lane loops vectorise
    acc = lane_acc(ws)
    d = lane_acc(ws)
    for i in range(H):
        lload(acc, W, p_b + i)
        for j in range(H):
            lfill(d, 0)
            ldot(d, W, p + (i * H + j) * n_in, ws, x, n_in)
            oh = U((s + j) * n)
            for l in range(nl):
                acc[l] += ws[oh + l] * d[l]
        lstore(ws, h_new + i, acc)
    lact_rows(act, ws, h_new, H)
    lcopy(ws, h_new, s, H)
    lcopy(ws, s, y, n_out)
