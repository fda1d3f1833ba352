"""Dense (fully connected feed-forward) layer: y = act(W x + b).

The building block of the multilayer perceptron (Rumelhart, Hinton & Williams 1986) and the
readout of every recurrent core. Parameters: ``W`` (n_out, n_in) row-major, ``b`` (n_out).
"""
from numba import njit

from ..activations import activate
from ..layer import ACT, NIN, NOUT, OPT1, POFF, XOFF, YOFF, Block, LayerSpec, dense_units
from ..lanes import lact_rows, lane_acc, ldot, lfill, lload, lstore
from ..linalg import dot

CODE = 1


def build(n_in: int, n_out: int, act: int, *, prefix: str = "", bias: bool = True) -> LayerSpec:
    blocks = [Block(prefix + "W", (n_out, n_in), ("fan_in", n_in))]
    if bias:
        blocks.append(Block(prefix + "b", (n_out,)))
    units = dense_units(n_out, n_in, 0, n_out * n_in if bias else None)
    return LayerSpec(CODE, n_in, n_out, n_out, blocks, 0, units, act=act, opts=(int(bias),), kind="dense")


@njit(cache=True, error_model="numpy")
def step(L, k, ix, fx, w, ws):
    n_in, n_out, act = L[k, NIN], L[k, NOUT], L[k, ACT]
    p, x, y = L[k, POFF], L[k, XOFF], L[k, YOFF]
    bias = L[k, OPT1]
    b = p + n_out * n_in
    for i in range(n_out):
        a = dot(w, p + i * n_in, ws, x, n_in)
        if bias:
            a += w[b + i]
        ws[y + i] = activate(act, a)


@njit(cache=True, error_model="numpy")
def step_lanes(L, k, ix, fx, W, ws):
    """:func:`step` for a block of individuals (evornn.nets.lanes)."""
    n_in, n_out, act = L[k, NIN], L[k, NOUT], L[k, ACT]
    p, x, y = L[k, POFF], L[k, XOFF], L[k, YOFF]
    bias = L[k, OPT1]
    b = p + n_out * n_in
    acc = lane_acc(ws)
    for i in range(n_out):
        if bias:
            lload(acc, W, b + i)
        else:
            lfill(acc, 0)
        ldot(acc, W, p + i * n_in, ws, x, n_in)
        lstore(ws, y + i, acc)
    lact_rows(act, ws, y, n_out)          # one pass over every output row: a vector loop
