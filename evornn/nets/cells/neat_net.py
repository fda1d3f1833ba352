"""Padded NEAT phenotype: a recurrent network of at most ``max_nodes`` typed units, any topology.

The phenotype of a NEAT genome (Stanley & Miikkulainen 2002, "Evolving neural networks through
augmenting topologies", Evolutionary Computation 10(2)) as a fixed-size layer, so that a population
of different topologies runs in one kernel call: unit i of M = ``max_nodes`` units has a row of
incoming weights from every input, a bias of 1.0 and every unit,

    W (M, n_in + 1 + M),     an absent connection is a zero weight,

and a type code ``types[i]`` (a float of the chromosome, rounded to the nearest code and clipped to
0..3): 0 identity, 1 NEAT's steepened sigmoid 1 / (1 + exp(-slope a)) (``sigmoid_slope``, 4.9 as
the paper gives it; NEAT's C++ code, neat1.2.1, uses 4.924273), 2 tanh, 3 multiplicative (gate)
node. With input x, bias 1 and unit values h, unit i computes

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

"neat-code": NEAT's C++ code's activation (neat1.2.1, ``Network::activate``). A pass computes,
for every unit, its ``active_flag``: whether one of its connections comes from an input, the bias
or a unit already flagged (flags are computed in the code's node order, the outputs first, then
the hidden units here in slot order, each reading the flags set before it in the pass); every
flagged unit then takes its value from the values before the pass (synchronously, as "sync"), a
unit never flagged keeping 0 (the code's ``get_active_out`` of a node not yet activated), so a
node with no path from the inputs feeds 0, not act(0). One ``activate()`` repeats passes until
every output is flagged, at most 19 (its abort count): when the outputs are still off, the call
fails and the step's outputs are NaN (the code returns false: its XOR experiment then gives
fitness 0.001, its pole experiment a fitness of one step). ``passes`` calls ``activate()`` per step
(its pole code: one); with ``relax`` the step then calls it ``net_depth + 1`` times more, as its
``xor_evaluate`` does, ``net_depth`` being ``Network::max_depth``, the longest chain of connections
from an output back to an input, the bias or a unit without connections (100 when an output
reaches a cycle). A zero weight counts as no connection here too. The flags live in the state and
start at 0 with it (the code's ``flush`` clears activations but not flags: for a feed-forward
network the output after the relaxation is the same either way). For a feed-forward genome the
output after ``relax`` is the exact feed-forward value with every node that has no path from an
input or the bias at 0.

Parameters: ``W`` (M, n_in + 1 + M), ``types`` (M). Options: OPT1 update (0 sync, 1 ordered,
2 neat-code), OPT2 passes, OPT3 relax; fixed data: the sigmoid slope. Workspace: h (M), h_new (M),
and for "neat-code" the flags (M).
"""
import math

import numpy as np
from numba import njit

from ..layer import (FOFF, NIN, NOUT, NUNITS, OPT1, OPT2, OPT3, POFF, SOFF, XOFF, YOFF, Block, LayerSpec,
                     unit_range)
from ..lanes import nlanes

CODE = 15
IDENTITY, SIGMOID, TANH, GATE = 0, 1, 2, 3
NODE_TYPES = {"identity": IDENTITY, "sigmoid": SIGMOID, "tanh": TANH, "gate": GATE}
SIGMOID_SLOPE = 4.9
SYNC, ORDERED, NEAT_CODE = 0, 1, 2
UPDATES = {"sync": SYNC, "ordered": ORDERED, "neat-code": NEAT_CODE}


def build(n_in: int, max_nodes: int, n_out: int, update: str = "sync", passes: int = 1,
          output_type: int = SIGMOID, hidden_type: int = SIGMOID, relax: bool = False,
          sigmoid_slope: float = SIGMOID_SLOPE) -> LayerSpec:
    M = int(max_nodes)
    if n_out > M:
        raise ValueError(f"neat-net: max_nodes must be >= n_outputs = {n_out}, got {M}")
    if update not in UPDATES:
        raise ValueError(f"neat-net: update must be 'sync', 'ordered' or 'neat-code', got {update!r}")
    if int(passes) < 1:
        raise ValueError(f"neat-net: passes must be >= 1, got {passes}")
    if not isinstance(relax, (bool, np.bool_)):
        raise ValueError(f"neat-net: relax must be true or false, got {relax!r}")
    if relax and update != "neat-code":
        raise ValueError(f"neat-net: relax (NEAT's code's relaxation) needs update = 'neat-code', got {update!r}")
    if isinstance(sigmoid_slope, bool) or not isinstance(sigmoid_slope, (int, float, np.floating, np.integer)) \
            or not math.isfinite(sigmoid_slope) or sigmoid_slope <= 0:
        raise ValueError(f"neat-net: sigmoid_slope must be a finite number > 0, got {sigmoid_slope!r}")
    C = n_in + 1 + M
    types = [float(hidden_type)] * (M - n_out) + [float(output_type)] * n_out
    blocks = [Block("W", (M, C), ("fan_in", n_in + 1)), Block("types", (M,), ("rows", types))]
    units = [np.asarray(list(range(i * C, (i + 1) * C)) + [M * C + i], dtype=np.int64) for i in unit_range(M)]
    state = 3 * M if update == "neat-code" else 2 * M
    return LayerSpec(CODE, n_in, n_out, M, blocks, state, units, opts=(UPDATES[update], int(passes), int(relax)),
                     floats=np.array([float(sigmoid_slope)]), kind="neat-net")


@njit(cache=True, inline="always", error_model="numpy")
def node_type(t):
    """The type code of a chromosome's type value: nearest of 0..3, -1 when not finite."""
    if not (t == t) or math.isinf(t):
        return -1
    r = int(round(t))
    return 0 if r < 0 else (3 if r > 3 else r)


@njit(cache=True, inline="always", error_model="numpy")
def unit_value(w, wb, wst, ws, wsb, wsst, n_in, M, row, t, src, x, slope):
    """Unit ``row``'s new value (type code ``t``) from the inputs at x and the unit values at src."""
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
        return prod if any_ else prod * 0.0
    a = w[wb + (row + n_in) * wst]
    for j in range(n_in):
        a += w[wb + (row + j) * wst] * ws[wsb + (x + j) * wsst]
    for j in range(M):
        a += w[wb + (row + n_in + 1 + j) * wst] * ws[wsb + (src + j) * wsst]
    if t == SIGMOID:
        return 1.0 / (1.0 + math.exp(-slope * a))
    if t == TANH:
        return math.tanh(a)
    if t == IDENTITY:
        return a
    return a * math.nan


@njit(cache=True, inline="always", error_model="numpy")
def code_depth(w, wb, wst, ws, wsb, wsst, n_in, M, n_out, p, d):
    """NEAT's code's ``Network::max_depth``: the longest path of connections from an output back to
    an input or the bias (or to a unit without inputs), 100 when an output reaches a cycle (its
    ``NNode::depth`` gives up past depth 100). In-place longest-path sweeps over the units, values in
    ws[d .. d + M): after M + 1 sweeps an acyclic graph's depths are exact and at most M, and an output
    that reaches a cycle has more."""
    C = n_in + 1 + M
    for i in range(M):
        ws[wsb + (d + i) * wsst] = 0.0
    for _ in range(M + 1):
        for i in range(M):
            row = p + i * C
            best = 0.0 + ws[wsb + (d + i) * wsst]
            for j in range(n_in + 1):
                if w[wb + (row + j) * wst] != 0.0 and best < 1.0:
                    best = 1.0
            for j in range(M):
                if w[wb + (row + n_in + 1 + j) * wst] != 0.0:
                    v = 1.0 + ws[wsb + (d + j) * wsst]
                    if v > best:
                        best = v
            ws[wsb + (d + i) * wsst] = best
    depth = 0
    for q in range(n_out):
        v = ws[wsb + (d + M - n_out + q) * wsst]
        k = 100 if v > M else int(v)
        if k > depth:
            depth = k
    return depth


@njit(cache=True, inline="always", error_model="numpy")
def code_activate(w, wb, wst, ws, wsb, wsst, n_in, M, n_out, p, s, x, slope):
    """One call of NEAT's code's ``Network::activate``: passes until every output is active, at most
    19 (its abort count); False when the outputs are still off. A pass: each unit's ``active_flag``
    (an enabled connection from an input or the bias, or from a unit flagged before it: the outputs
    first, then the hidden units, in the code's node order, outputs before hidden nodes), then every
    flagged unit from the values before the pass (a unit never flagged reads as 0, the code's
    ``get_active_out`` of a node not yet activated) and the others unchanged. Flags at ws[s + 2M ..)."""
    C = n_in + 1 + M
    h_new, f = s + M, s + 2 * M
    first = True
    count = 0
    while True:
        if not first:
            off = False
            for q in range(n_out):
                if ws[wsb + (f + M - n_out + q) * wsst] == 0.0:
                    off = True
            if not off:
                return True
        count += 1
        if count == 20:
            return False
        for q in range(M):
            i = M - n_out + q if q < n_out else q - n_out
            row = p + i * C
            flag = False
            for j in range(n_in + 1):
                if w[wb + (row + j) * wst] != 0.0:
                    flag = True
            for j in range(M):
                if w[wb + (row + n_in + 1 + j) * wst] != 0.0 and ws[wsb + (f + j) * wsst] != 0.0:
                    flag = True
            ws[wsb + (f + i) * wsst] = 1.0 if flag else 0.0
        for i in range(M):
            if ws[wsb + (f + i) * wsst] != 0.0:
                t = node_type(w[wb + (p + M * C + i) * wst])
                ws[wsb + (h_new + i) * wsst] = unit_value(w, wb, wst, ws, wsb, wsst, n_in, M, p + i * C, t, s, x, slope)
        for i in range(M):
            if ws[wsb + (f + i) * wsst] != 0.0:
                ws[wsb + (s + i) * wsst] = ws[wsb + (h_new + i) * wsst]
        first = False


@njit(cache=True, error_model="numpy")
def passes_of(w, wb, wst, ws, wsb, wsst, n_in, M, n_out, p, s, x, y, update, passes, relax, slope):
    """The network's passes for one individual: parameter j at w[wb + j*wst], workspace row r at
    ws[wsb + r*wsst] (one individual: wb = wsb = 0, strides 1; a lane of a block: the lane and N)."""
    C = n_in + 1 + M
    if update == NEAT_CODE:
        calls = passes + (code_depth(w, wb, wst, ws, wsb, wsst, n_in, M, n_out, p, s + M) + 1 if relax else 0)
        ok = True
        for _ in range(calls):
            ok = code_activate(w, wb, wst, ws, wsb, wsst, n_in, M, n_out, p, s, x, slope)
        for i in range(n_out):
            v = ws[wsb + (s + M - n_out + i) * wsst]
            ws[wsb + (y + i) * wsst] = v if ok else v * math.nan
        return
    h_new = s + M
    src = s if update == ORDERED else h_new
    for _ in range(passes):
        if update == SYNC:
            for i in range(M):
                ws[wsb + (h_new + i) * wsst] = ws[wsb + (s + i) * wsst]
        for i in range(M):
            t = node_type(w[wb + (p + M * C + i) * wst])
            ws[wsb + (s + i) * wsst] = unit_value(w, wb, wst, ws, wsb, wsst, n_in, M, p + i * C, t, src, x, slope)
    for i in range(n_out):
        ws[wsb + (y + i) * wsst] = ws[wsb + (s + M - n_out + i) * wsst]


@njit(cache=True, error_model="numpy")
def step(L, k, ix, fx, w, ws):
    passes_of(w, 0, 1, ws, 0, 1, L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, POFF], L[k, SOFF], L[k, XOFF],
              L[k, YOFF], L[k, OPT1], L[k, OPT2], L[k, OPT3], fx[L[k, FOFF]])


@njit(cache=True, error_model="numpy")
def step_lanes(L, k, ix, fx, W, ws):
    """:func:`step` for a block of individuals (evornn.nets.lanes): lane after lane, the same
    arithmetic as one individual (topologies differ per lane, so there is no common vector loop)."""
    n = nlanes(ws)
    for l in range(n):
        passes_of(W, l, n, ws, l, n, L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, POFF], L[k, SOFF], L[k, XOFF],
                  L[k, YOFF], L[k, OPT1], L[k, OPT2], L[k, OPT3], fx[L[k, FOFF]])
