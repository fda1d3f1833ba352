"""Long short-term memory with forget gate and optional peepholes.

Hochreiter & Schmidhuber (1997), "Long short-term memory", Neural Computation 9(8); the forget
gate of Gers, Schmidhuber & Cummins (2000), "Learning to forget: continual prediction with LSTM",
Neural Computation 12(10); peephole connections of Gers & Schmidhuber (2000), "Recurrent nets that
time and count", IJCNN. With s = sigmoid and gate order i, f, g, o::

    i_t = s(W_i x_t + U_i h_{t-1} + p_i * c_{t-1} + b_i)
    f_t = s(W_f x_t + U_f h_{t-1} + p_f * c_{t-1} + b_f)
    g_t = G(W_g x_t + U_g h_{t-1} + b_g)
    c_t = f_t * c_{t-1} + i_t * g_t
    o_t = s(W_o x_t + U_o h_{t-1} + p_o * c_t + b_o)
    h_t = o_t * Hs(c_t)

(the p terms only with ``peephole=True``). The gates are logistic sigmoids. The cell input's
squashing G (``cell_input``) and the cell output's Hs (``cell_output``) are tanh by default, as in
today's LSTM; the options give those of the early LSTM papers as we read them (not checked against
their text; README, issue 23's sixth round): ``"sigmoid2"``, 4 s(a) - 2 (the logistic sigmoid
scaled to [-2, 2]: G of Hochreiter & Schmidhuber 1997 and of "Learning to forget", Gers,
Schmidhuber & Cummins 2000), ``"sigmoid1"``, 2 s(a) - 1 (scaled to [-1, 1]: their Hs), and
``"identity"`` (no output squashing, Hs(a) = a, as a third-party implementation of the peephole
LSTM of Gers, Schraudolph & Schmidhuber 2002, JMLR 3, has it); each option takes any of the four
names. The core
writes the first ``n_out`` units of h to its output; with ``readout_inputs=True`` its output is
[h_t; x_t] (all of h, then the layer's input), so that the dense readout after it also sees the
input, as the output units of Hochreiter & Schmidhuber's (1997) networks see the input layer
("each layer has connections from all layers below", experiment 2).

Parameters: ``W_in`` (4, H, n_in), ``W_rec`` (4, H, H), ``b`` (4, H), ``peep`` (3, H) rows
p_i, p_f, p_o (only with peepholes). Neuron groups: memory cell i owns row i of every gate block.
Workspace: h (H), c (H), h_new (H). Layer table: OPT1 peephole, OPT2 readout_inputs, OPT3 the
squashing code G + 4 Hs (0: tanh and tanh; :data:`SQUASHINGS`).
"""
import math

import numpy as np
from numba import njit

from ..activations import sigmoid
from ..lanes import U, lane_accs, lcopy, ldot_rows, like, lload_row, lstore, nlanes, rt_lanes
from ..layer import NIN, NOUT, NUNITS, OPT1, OPT2, OPT3, POFF, SOFF, XOFF, YOFF, Block, LayerSpec, unit_range
from ..linalg import copy, dot
from ..vmath import vsigmoid, vtanh
from . import options

CODE = 4

# The squashing functions the cell input (G) and the cell output (Hs) can have, by name; the index is
# the kernels' code. "sigmoid2" and "sigmoid1" are the logistic sigmoid s scaled to [-2, 2] and [-1, 1].
SQUASHINGS = ("tanh", "sigmoid2", "identity", "sigmoid1")
TANH_SQ, SIGMOID2_SQ, IDENTITY_SQ, SIGMOID1_SQ = range(4)


def squash_code(cell_input: str, cell_output: str) -> int:
    """OPT3 of the layer table: G's code + 4 Hs's code (0 for tanh and tanh), or a one-line error."""
    for key, v in (("cell_input", cell_input), ("cell_output", cell_output)):
        if not isinstance(v, str) or v not in SQUASHINGS:
            raise ValueError(f"lstm: {key} must be one of {', '.join(SQUASHINGS)}, got {v!r}")
    return SQUASHINGS.index(cell_input) + 4 * SQUASHINGS.index(cell_output)


@njit(cache=True, inline="always", error_model="numpy")
def squash(kind, a):
    """G or Hs (code ``kind``) of pre-activation ``a``: tanh(a), 4 s(a) - 2, a or 2 s(a) - 1."""
    if kind == TANH_SQ:
        return math.tanh(a)
    if kind == SIGMOID2_SQ:
        return 2.0 * (2.0 / (1.0 + math.exp(-a)) - 1.0)
    if kind == SIGMOID1_SQ:
        return 2.0 / (1.0 + math.exp(-a)) - 1.0
    return a


@njit(cache=True, inline="always", error_model="numpy")
def dsquash(kind, y):
    """The derivative of :func:`squash` at the pre-activation where it equals ``y``:
    1 - y^2 (tanh), (4 - y^2) / 4 (sigmoid2), 1 (identity), (1 - y^2) / 2 (sigmoid1)."""
    if kind == TANH_SQ:
        return 1.0 - y * y
    if kind == SIGMOID2_SQ:
        return (4.0 - y * y) / 4.0
    if kind == SIGMOID1_SQ:
        return (1.0 - y * y) / 2.0
    return 1.0


@njit(cache=True, inline="always", error_model="numpy")
def vsquash(kind, one, a):
    """:func:`squash` in vector lanes (``one``: 1 in the lanes' dtype)."""
    if kind == TANH_SQ:
        return vtanh(a)
    if kind == SIGMOID2_SQ:
        return (one + one) * ((one + one) * vsigmoid(a) - one)
    if kind == SIGMOID1_SQ:
        return (one + one) * vsigmoid(a) - one
    return a


def check_fixed_activation(cell: str, act: int) -> None:
    """Gated cells have literature-fixed activations: only the default ('tanh') is accepted."""
    options.activation(cell, act, ("tanh",), what="activation (fixed by the literature: sigmoid gates, tanh candidate)")


def gate_units(H: int, n_in: int, n_gates: int, n_peep: int = 0) -> list[np.ndarray]:
    """Groups for blocks W_in (G, H, n_in), W_rec (G, H, H), b (G, H)[, peep (n_peep, H)]: unit i owns row i."""
    p_rec = n_gates * H * n_in
    p_b = p_rec + n_gates * H * H
    p_pe = p_b + n_gates * H
    units = []
    for i in unit_range(H):
        idx = []
        for g in range(n_gates):
            r = g * H + i
            idx += list(range(r * n_in, (r + 1) * n_in)) + list(range(p_rec + r * H, p_rec + (r + 1) * H))
        idx += [p_b + g * H + i for g in range(n_gates)]
        idx += [p_pe + g * H + i for g in range(n_peep)]
        units.append(np.asarray(idx, dtype=np.int64))
    return units


def gate_bias(name: str, value, H: int) -> float | tuple[float, ...]:
    """The initial biases of one gate for the H memory blocks: one number for every block (returned
    as that number), or a list of H numbers, one per block (returned as a tuple); each in [-20, 20]."""
    if isinstance(value, (list, tuple, np.ndarray)):
        if len(value) != H:
            raise ValueError(f"lstm: {name} must be one number or a list of n_hidden = {H} numbers "
                             f"(one per memory block), got {list(value)!r}")
        return tuple(options.real("lstm", name, v, -20.0, 20.0) for v in value)
    return options.real("lstm", name, value, -20.0, 20.0)


def build(n_in: int, n_hidden: int, n_out: int, act: int, *, peephole: bool = False,
          input_bias: float | list[float] = 0.0, forget_bias: float | list[float] = 1.0,
          output_bias: float | list[float] = 0.0, readout_inputs: bool = False,
          cell_input: str = "tanh", cell_output: str = "tanh") -> LayerSpec:
    """The LSTM layer. ``input_bias``, ``forget_bias``, ``output_bias``: the initial values of b_i,
    b_f, b_o (the initialisation only; b_g starts at 0), one number for every memory block or a list
    with one per block (Gers & Schmidhuber's experiments stagger them block by block: input gates
    -1, -2, ..., say). Forget bias 1 is Gers et al.'s (2000)
    default; Hochreiter & Schmidhuber (1997) started the input gates closed (negative biases) and had
    no forget gate (f = 1, approached by a large forget bias), which long time lags need.
    ``readout_inputs``: the core outputs [h; x] (n_hidden + n_in values; needs n_out = n_hidden).
    ``cell_input`` and ``cell_output``: the squashing functions G and Hs, each one of "tanh",
    "sigmoid2" (4 s(a) - 2), "identity", "sigmoid1" (2 s(a) - 1) (module docstring)."""
    check_fixed_activation("lstm", act)
    sq = squash_code(cell_input, cell_output)
    for key, v in (("peephole", peephole), ("readout_inputs", readout_inputs)):
        if not isinstance(v, (bool, np.bool_)):
            raise ValueError(f"lstm: option {key} must be True or False, got {v!r}")
    if readout_inputs and n_out != n_hidden:
        raise ValueError(f"lstm: readout_inputs outputs all of h and the input (a dense readout after the core), "
                         f"so n_out must be n_hidden = {n_hidden}, got {n_out}")
    H = n_hidden
    b_i, b_f, b_o = (gate_bias(k, v, H) for k, v in
                     (("input_bias", input_bias), ("forget_bias", forget_bias), ("output_bias", output_bias)))
    fan = ("fan_in", n_in + H)
    gates = (b_i, b_f, 0.0, b_o)                           # gate order i, f, g, o
    if all(isinstance(b, float) for b in gates):
        rows = gates                                       # one value per gate (row of b (4, H))
    else:                                                  # b (4, H) element by element: H is a list's length here
        rows = sum((b if isinstance(b, tuple) else (b,) * H for b in gates), ())
    blocks = [Block("W_in", (4, H, n_in), fan), Block("W_rec", (4, H, H), fan), Block("b", (4, H), ("rows", rows))]
    if peephole:
        blocks.append(Block("peep", (3, H), fan))
    units = gate_units(H, n_in, 4, 3 if peephole else 0)
    n_core_out = H + n_in if readout_inputs else n_out
    return LayerSpec(CODE, n_in, n_core_out, H, blocks, 3 * H, units, act=act,
                     opts=(int(bool(peephole)), int(bool(readout_inputs)), sq), kind="lstm",
                     options={"peephole": bool(peephole), "readout_inputs": bool(readout_inputs),
                              "cell_input": cell_input, "cell_output": cell_output})


@njit(cache=True, inline="always")
def gate_sum(w, p_in, p_rec, p_b, r, H, n_in, ws, x, h):
    """Pre-activation of gate row r: W_in[r] . x + W_rec[r] . ws[h:h+H] + b[r]."""
    return dot(w, p_in + r * n_in, ws, x, n_in) + dot(w, p_rec + r * H, ws, h, H) + w[p_b + r]


@njit(cache=True, error_model="numpy")
def step(L, k, ix, fx, w, ws):
    n_in, H, n_out, peep = L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, OPT1]
    p, s, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    gk, hk = L[k, OPT3] % 4, L[k, OPT3] // 4
    p_rec = p + 4 * H * n_in
    p_b = p_rec + 4 * H * H
    p_pe = p_b + 4 * H
    c = s + H
    h_new = c + H
    for i in range(H):
        c_prev = ws[c + i]
        a_i = gate_sum(w, p, p_rec, p_b, i, H, n_in, ws, x, s)
        a_f = gate_sum(w, p, p_rec, p_b, H + i, H, n_in, ws, x, s)
        a_g = gate_sum(w, p, p_rec, p_b, 2 * H + i, H, n_in, ws, x, s)
        a_o = gate_sum(w, p, p_rec, p_b, 3 * H + i, H, n_in, ws, x, s)
        if peep:
            a_i += w[p_pe + i] * c_prev
            a_f += w[p_pe + H + i] * c_prev
        c_t = sigmoid(a_f) * c_prev + sigmoid(a_i) * squash(gk, a_g)
        if peep:
            a_o += w[p_pe + 2 * H + i] * c_t
        ws[c + i] = c_t            # only cell i reads c[i], so it is updated in place
        ws[h_new + i] = sigmoid(a_o) * squash(hk, c_t)
    copy(ws, h_new, ws, s, H)
    if L[k, OPT2]:                 # readout_inputs: y = [h; x]
        copy(ws, s, ws, y, H)
        copy(ws, x, ws, y + H, n_in)
    else:
        copy(ws, s, ws, y, n_out)


@njit(cache=True, inline="always", error_model="numpy")
def lgate_rows(acc, W, p_in, p_rec, p_b, i, G, H, n_in, ws, x, h):
    """Accumulator row g (g < G, a literal) = pre-activation of gate g of unit i, for every lane:
    b[g, i] + W_in[g, i] . x + W_rec[g, i] . ws[h:h+H] (:func:`gate_sum` of rows g * H + i), the G
    gates' dot products in one pass over x and one over h."""
    for g in range(G):
        lload_row(acc, g, W, p_b + g * H + i)
    ldot_rows(acc, G, W, p_in + i * n_in, H * n_in, ws, x, n_in)
    ldot_rows(acc, G, W, p_rec + i * H, H * H, ws, h, H)


@njit(cache=True, error_model="numpy")
def step_lanes_squash(L, k, W, ws, gk, hk):
    """:func:`step_lanes` with the squashing functions G (code ``gk``) and Hs (``hk``) of the options
    (the tanh, tanh default keeps its own loops, unchanged): h_new and c of every unit; the copies
    into h and the output after the loop over the units are the caller's."""
    n_in, H, peep = L[k, NIN], L[k, NUNITS], L[k, OPT1]
    p, s, x = L[k, POFF], L[k, SOFF], L[k, XOFF]
    p_rec = p + 4 * H * n_in
    p_b = p_rec + 4 * H * H
    p_pe = p_b + 4 * H
    c = s + H
    h_new = c + H
    n = nlanes(ws)
    nl = U(rt_lanes(ws))
    one = like(1.0, ws)
    acc = lane_accs(ws, 5)                      # rows: a_i (then h_t), a_f, a_g, a_o, p_o
    ai, af, ag, ao, apo = U(0), U(n), U(2 * n), U(3 * n), U(4 * n)
    for i in range(H):
        lgate_rows(acc, W, p, p_rec, p_b, i, 4, H, n_in, ws, x, s)
        oc = U((c + i) * n)
        if peep:
            pi, pf = U((p_pe + i) * n), U((p_pe + H + i) * n)
            for l in range(nl):
                acc[ai + l] += W[pi + l] * ws[oc + l]       # c_{t-1}
                acc[af + l] += W[pf + l] * ws[oc + l]
            lload_row(acc, 4, W, p_pe + 2 * H + i)
            for l in range(nl):
                c_t = vsigmoid(acc[af + l]) * ws[oc + l] + vsigmoid(acc[ai + l]) * vsquash(gk, one, acc[ag + l])
                ws[oc + l] = c_t
                acc[ai + l] = vsigmoid(acc[ao + l] + acc[apo + l] * c_t) * vsquash(hk, one, c_t)
        else:
            for l in range(nl):
                c_t = vsigmoid(acc[af + l]) * ws[oc + l] + vsigmoid(acc[ai + l]) * vsquash(gk, one, acc[ag + l])
                ws[oc + l] = c_t
                acc[ai + l] = vsigmoid(acc[ao + l]) * vsquash(hk, one, c_t)
        lstore(ws, h_new + i, acc)


# The lane loops run over rt_lanes (see evornn.nets.lanes) and write only accumulator rows (stack
# memory, which aliases nothing) or read-modify-write one workspace row in place, so that LLVM
# vectorises them without run-time overlap checks between the rows they read and write.
@njit(cache=True, error_model="numpy")
def step_lanes(L, k, ix, fx, W, ws):
    """:func:`step` for a block of individuals (evornn.nets.lanes), the four gates of a unit at once."""
    n_in, H, n_out, peep = L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, OPT1]
    p, s, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    p_rec = p + 4 * H * n_in
    p_b = p_rec + 4 * H * H
    p_pe = p_b + 4 * H
    c = s + H
    h_new = c + H
    n = nlanes(ws)
    nl = U(rt_lanes(ws))                        # n, not known to LLVM: lane loops vectorise
    acc = lane_accs(ws, 5)                      # rows: a_i (then h_t), a_f, a_g, a_o, p_o
    ai, af, ag, ao, apo = U(0), U(n), U(2 * n), U(3 * n), U(4 * n)
    sq = L[k, OPT3]
    if sq != 0:                                 # other squashing than tanh, tanh: the general loop
        step_lanes_squash(L, k, W, ws, sq % 4, sq // 4)
    else:
        for i in range(H):
            lgate_rows(acc, W, p, p_rec, p_b, i, 4, H, n_in, ws, x, s)
            oc = U((c + i) * n)
            if peep:
                pi, pf = U((p_pe + i) * n), U((p_pe + H + i) * n)
                for l in range(nl):
                    acc[ai + l] += W[pi + l] * ws[oc + l]       # c_{t-1}
                    acc[af + l] += W[pf + l] * ws[oc + l]
                lload_row(acc, 4, W, p_pe + 2 * H + i)
                for l in range(nl):
                    c_t = vsigmoid(acc[af + l]) * ws[oc + l] + vsigmoid(acc[ai + l]) * vtanh(acc[ag + l])
                    ws[oc + l] = c_t            # only cell i reads c[i], so it is updated in place
                    acc[ai + l] = vsigmoid(acc[ao + l] + acc[apo + l] * c_t) * vtanh(c_t)
            else:
                for l in range(nl):
                    c_t = vsigmoid(acc[af + l]) * ws[oc + l] + vsigmoid(acc[ai + l]) * vtanh(acc[ag + l])
                    ws[oc + l] = c_t
                    acc[ai + l] = vsigmoid(acc[ao + l]) * vtanh(c_t)
            lstore(ws, h_new + i, acc)
    lcopy(ws, h_new, s, H)
    if L[k, OPT2]:                 # readout_inputs: y = [h; x]
        lcopy(ws, s, y, H)
        lcopy(ws, x, y + H, n_in)
    else:
        lcopy(ws, s, y, n_out)
