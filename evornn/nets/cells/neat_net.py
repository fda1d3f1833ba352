"""Padded NEAT phenotype: a recurrent network of at most ``max_nodes`` typed units, any topology.

The phenotype of a NEAT genome (Stanley & Miikkulainen 2002, "Evolving neural networks through
augmenting topologies", Evolutionary Computation 10(2)) as a fixed-size layer, so that a population
of different topologies runs in one kernel call: unit i of M = ``max_nodes`` units has a row of
incoming weights from every input, a bias of 1.0 and every unit,

    W (M, n_in + 1 + M),     an absent connection is a zero weight,

and a type code ``types[i]`` (a float of the chromosome, rounded to the nearest code and clipped to
0..3): 0 identity, 1 NEAT's steepened sigmoid 1 / (1 + exp(-4.9 a)), 2 tanh, 3 multiplicative
(gate) node. With input x, bias 1 and unit values h, unit i computes

    sum nodes:  a_i = sum_j W[i, j] z_j,      h_i = act(a_i)
    gate nodes: h_i = prod_{j: W[i, j] != 0} W[i, j] z_j     (0 when the unit has no connection)

where z = (x, 1, h). A gate node multiplies its weighted inputs, so that one signal can open or
close another (the multiplicative units with which Bayer, Wierstra, Togelius & Schmidhuber 2009
evolved LSTM-like memory cells); a zero weight means "no connection" for it too.

Activation (``update``, an option). "sync", the default: one activation pass per step, every unit
from the values of the previous pass, as NEAT's pole-balancing code activates its networks (one
``activate()`` a step, each node from its inputs' previous activations); a signal therefore needs
one step per connection it crosses. "ordered": the units are updated in place in slot order, so a
unit reads the new values of the units in lower slots and the previous step's values of the others;
NEAT's genome-to-phenotype mapping puts the hidden nodes in topological order, so a feed-forward
genome is evaluated exactly in one pass (what NEAT's XOR code reaches by relaxing the network
``depth`` times). ``passes`` repeats the pass per step (1 by default). The outputs are the last
``n_out`` units (slots M - n_out .. M - 1), which the genome mapping gives to the output nodes.

Parameters: ``W`` (M, n_in + 1 + M), ``types`` (M). Options: OPT1 update (0 sync, 1 ordered),
OPT2 passes. Workspace: h (M), h_new (M).
"""
import math

import numpy as np
from numba import njit

from ..layer import NIN, NOUT, NUNITS, OPT1, OPT2, POFF, SOFF, XOFF, YOFF, Block, LayerSpec, unit_range
from ..lanes import nlanes

CODE = 15
IDENTITY, SIGMOID, TANH, GATE = 0, 1, 2, 3
NODE_TYPES = {"identity": IDENTITY, "sigmoid": SIGMOID, "tanh": TANH, "gate": GATE}
SIGMOID_SLOPE = 4.9
SYNC, ORDERED = 0, 1
UPDATES = {"sync": SYNC, "ordered": ORDERED}


def build(n_in: int, max_nodes: int, n_out: int, update: str = "sync", passes: int = 1,
          output_type: int = SIGMOID, hidden_type: int = SIGMOID) -> LayerSpec:
    M = int(max_nodes)
    if n_out > M:
        raise ValueError(f"neat-net: max_nodes must be >= n_outputs = {n_out}, got {M}")
    if update not in UPDATES:
        raise ValueError(f"neat-net: update must be 'sync' or 'ordered', got {update!r}")
    if int(passes) < 1:
        raise ValueError(f"neat-net: passes must be >= 1, got {passes}")
    C = n_in + 1 + M
    types = [float(hidden_type)] * (M - n_out) + [float(output_type)] * n_out
    blocks = [Block("W", (M, C), ("fan_in", n_in + 1)), Block("types", (M,), ("rows", types))]
    units = [np.asarray(list(range(i * C, (i + 1) * C)) + [M * C + i], dtype=np.int64) for i in unit_range(M)]
    return LayerSpec(CODE, n_in, n_out, M, blocks, 2 * M, units, opts=(UPDATES[update], int(passes)),
                     kind="neat-net")


@njit(cache=True, inline="always", error_model="numpy")
def node_type(t):
    """The type code of a chromosome's type value: nearest of 0..3, -1 when not finite."""
    if not (t == t) or math.isinf(t):
        return -1
    r = int(round(t))
    return 0 if r < 0 else (3 if r > 3 else r)


@njit(cache=True, error_model="numpy")
def passes_of(w, wb, wst, ws, wsb, wsst, n_in, M, n_out, p, s, x, y, update, passes):
    """The network's passes for one individual: parameter j at w[wb + j*wst], workspace row r at
    ws[wsb + r*wsst] (one individual: wb = wsb = 0, strides 1; a lane of a block: the lane and N)."""
    C = n_in + 1 + M
    h_new = s + M
    src = s if update == ORDERED else h_new
    for _ in range(passes):
        if update == SYNC:
            for i in range(M):
                ws[wsb + (h_new + i) * wsst] = ws[wsb + (s + i) * wsst]
        for i in range(M):
            row = p + i * C
            t = node_type(w[wb + (p + M * C + i) * wst])
            if t == GATE:
                prod = w[wb + row * wst] * 0.0 + 1.0
                any_ = False
                for j in range(n_in):
                    wj = w[wb + (row + j) * wst]
                    if wj != 0.0:
                        prod *= wj * ws[wsb + (x + j) * wsst]
                        any_ = True
                wj = w[wb + (row + n_in) * wst]
                if wj != 0.0:
                    prod *= wj
                    any_ = True
                for j in range(M):
                    wj = w[wb + (row + n_in + 1 + j) * wst]
                    if wj != 0.0:
                        prod *= wj * ws[wsb + (src + j) * wsst]
                        any_ = True
                v = prod if any_ else prod * 0.0
            else:
                a = w[wb + (row + n_in) * wst]
                for j in range(n_in):
                    a += w[wb + (row + j) * wst] * ws[wsb + (x + j) * wsst]
                for j in range(M):
                    a += w[wb + (row + n_in + 1 + j) * wst] * ws[wsb + (src + j) * wsst]
                if t == SIGMOID:
                    v = 1.0 / (1.0 + math.exp(-SIGMOID_SLOPE * a))
                elif t == TANH:
                    v = math.tanh(a)
                elif t == IDENTITY:
                    v = a
                else:
                    v = a * math.nan
            ws[wsb + (s + i) * wsst] = v
    for i in range(n_out):
        ws[wsb + (y + i) * wsst] = ws[wsb + (s + M - n_out + i) * wsst]


@njit(cache=True, error_model="numpy")
def step(L, k, ix, fx, w, ws):
    passes_of(w, 0, 1, ws, 0, 1, L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, POFF], L[k, SOFF], L[k, XOFF],
              L[k, YOFF], L[k, OPT1], L[k, OPT2])


@njit(cache=True, error_model="numpy")
def step_lanes(L, k, ix, fx, W, ws):
    """:func:`step` for a block of individuals (evornn.nets.lanes): lane after lane, the same
    arithmetic as one individual (topologies differ per lane, so there is no common vector loop)."""
    n = nlanes(ws)
    for l in range(n):
        passes_of(W, l, n, ws, l, n, L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, POFF], L[k, SOFF], L[k, XOFF],
                  L[k, YOFF], L[k, OPT1], L[k, OPT2])
