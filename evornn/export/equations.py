"""The forward pass of an exported network, written once over a few array operations.

The exporters (:mod:`evornn.export.onnx_format`, :mod:`evornn.export.torch_format`) build their
models from the JSON document (:mod:`evornn.export.json_format`) and these functions: one
``step`` per cell, the equations of the cell modules in :mod:`evornn.nets.cells`, written with
``+``, ``-``, ``*`` and the methods of a small *ops* object that each exporter provides for its
own arrays (a torch tensor, an ONNX graph value) with a leading batch axis:

    o.w(name, shape=None, rows=None)     an evolved weight block of the layer (rows: a slice of its
                                         first axis, taken before the reshape)
    o.fixed(name, shape=None)            the layer's fixed data (an echo state reservoir, 1/tau)
    o.lin(x, W)                          x W^T  (W two-dimensional)
    o.act(name, v), o.sigmoid(v), o.tanh(v), o.exp(v), o.min1(v)   (min1: min(v, 1))
    o.cols(v, a, b)                      v[..., a:b]
    o.cat([u, v, ...])                   concatenation along the last axis
    o.outer(h, x)                        (B, len(h) * len(x)): h_j x_k at j * len(x) + k

and, for the associative memories (:func:`hopfield`, :func:`hopfield_continuous`, :func:`bam`):

    o.symmetric(w, N)                    the symmetric (N, N) matrix with zero diagonal whose upper
                                         triangle, row by row, is w
    o.T(W)                               W transposed (two-dimensional)
    o.field(s, M)                        (B, m): sum_j M_ij s_j for M (m, n), added j = 0, 1, ..
                                         in turn (a running sum, as the kernels add)
    o.zeros(x, n)                        (B, n) zeros, B the batch of x
    o.bipolar(x)                         +1 where x >= 0, -1 where x < 0
    o.sgn(h, old)                        +1 where h > 0, -1 where h < 0, old where h = 0
    o.repeat(n, f, vs, until_fixed)      vs = f(vs) n times (vs a list of arrays); with until_fixed
                                         it may stop once f returns vs unchanged (a fixed point of
                                         f for the whole batch: the remaining rounds change nothing)
    o.each(order, f, vs)                 vs = f(i, vs) for i in order (a list of ints), in order
    o.at(v, i), o.row(W, i)              v[..., i:i+1] and W[i:i+1] for an index i of o.each
    o.set(v, i, u)                       v with v[:, i:i+1] = u, for an index i of o.each

A step takes the layer document, the input x_t (B, n_in) and the state pieces (the layer's
``state`` list, each (B, size)) and returns (y_t, new state pieces). Layers without state (dense,
hopfield, hopfield_continuous, bam) may be applied to every time step of the sequence at once.
"""
from __future__ import annotations

from typing import Any, Callable


def dense(o, L: dict[str, Any], x):
    a = o.lin(x, o.w("W"))
    if L["options"]["bias"]:
        a = a + o.w("b")
    return o.act(L["activation"], a)


def srn(o, L, x, state):
    (h,) = state
    a = o.lin(x, o.w("W_in")) + o.lin(h, o.w("W_rec"))
    if L["options"]["bias"]:
        a = a + o.w("b")
    h = o.act(L["activation"], a)
    return o.cols(h, 0, L["n_out"]), [h]


def ctrnn(o, L, x, state):
    (y,) = state
    theta = o.w("theta")
    out = o.act(L["activation"], y + theta)
    alpha = o.min1(o.exp(-o.w("log_tau")) * L["options"]["dt"])
    y = y + alpha * ((o.lin(x, o.w("W_in")) + o.lin(out, o.w("W_rec"))) - y)
    return o.act(L["activation"], o.cols(y, 0, L["n_out"]) + o.cols(theta, 0, L["n_out"])), [y]


def mtrnn(o, L, x, state):
    (u,) = state
    r = o.fixed("inv_tau")
    a = o.lin(o.act(L["activation"], u), o.w("W_rec")) + o.w("b")
    # W_in reaches the fast units only: its input term, padded with zeros for the slow units
    a = a + o.lin(o.lin(x, o.w("W_in")), o.fixed("fast"))
    u = (1.0 - r) * u + r * a
    return o.act(L["activation"], o.cols(u, 0, L["n_out"])), [u]


def esn(o, L, x, state):
    (s,) = state
    a = L["fixed"]["leak_rate"]
    z = o.lin(x, o.fixed("W_in")) + o.fixed("b") + o.lin(s, o.fixed("W_res"))
    s = s * (1.0 - a) + o.tanh(z) * a
    return (o.cat([x, s]) if L["options"]["readout_inputs"] else s), [s]


def narx(o, L, x, state):
    du, n_in, n_out = L["options"]["input_delays"], L["n_in"], L["n_out"]
    x_taps, y_taps = (state if du else [None, state[0]])
    xt = o.cat([x, x_taps]) if du else x
    h = o.act(L["activation"], o.lin(xt, o.w("W_x")) + o.lin(y_taps, o.w("W_y")) + o.w("b"))
    y = o.act(L["output_activation"], o.lin(h, o.w("W_out")) + o.w("b_out"))
    ny = L["options"]["output_delays"] * n_out
    y_taps = o.cols(o.cat([y, y_taps]), 0, ny)
    return y, ([o.cols(xt, 0, du * n_in), y_taps] if du else [y_taps])


def jordan(o, L, x, state):
    y_prev, c = state
    c = c * L["options"]["context_decay"] + y_prev
    h = o.act(L["activation"], o.lin(x, o.w("W_in")) + o.lin(c, o.w("W_ctx")) + o.w("b"))
    y = o.act(L["output_activation"], o.lin(h, o.w("W_out")) + o.w("b_out"))
    return y, [y, c]


def lstm(o, L, x, state):
    h, c = state
    H, n_in = L["n_units"], L["n_in"]
    a = o.lin(x, o.w("W_in", (4 * H, n_in))) + o.lin(h, o.w("W_rec", (4 * H, H))) + o.w("b", (4 * H,))
    a_i, a_f, a_g, a_o = (o.cols(a, g * H, (g + 1) * H) for g in range(4))
    if L["options"]["peephole"]:
        a_i = a_i + o.w("peep", (H,), rows=slice(0, 1)) * c
        a_f = a_f + o.w("peep", (H,), rows=slice(1, 2)) * c
    c = o.sigmoid(a_f) * c + o.sigmoid(a_i) * o.tanh(a_g)
    if L["options"]["peephole"]:
        a_o = a_o + o.w("peep", (H,), rows=slice(2, 3)) * c
    h = o.sigmoid(a_o) * o.tanh(c)
    return o.cols(h, 0, L["n_out"]), [h, c]


def gru(o, L, x, state):
    (h,) = state
    H, n_in = L["n_units"], L["n_in"]
    a = (o.lin(x, o.w("W_in", (2 * H, n_in), rows=slice(0, 2))) + o.lin(h, o.w("W_rec", (2 * H, H), rows=slice(0, 2)))
         + o.w("b", (2 * H,), rows=slice(0, 2)))
    r, z = o.sigmoid(o.cols(a, 0, H)), o.sigmoid(o.cols(a, H, 2 * H))
    n = o.tanh(o.lin(x, o.w("W_in", (H, n_in), rows=slice(2, 3))) + o.lin(r * h, o.w("W_rec", (H, H), rows=slice(2, 3)))
               + o.w("b", (H,), rows=slice(2, 3)))
    h = (1.0 - z) * n + z * h
    return o.cols(h, 0, L["n_out"]), [h]


def indrnn(o, L, x, state):
    (h,) = state
    h = o.act(L["activation"], o.lin(x, o.w("W_in")) + o.w("u") * h + o.w("b"))
    return o.cols(h, 0, L["n_out"]), [h]


def second_order(o, L, x, state):
    (h,) = state
    H, n_in = L["n_units"], L["n_in"]
    h = o.act(L["activation"], o.lin(o.outer(h, x), o.w("W", (H, H * n_in))) + o.w("b"))
    return o.cols(h, 0, L["n_out"]), [h]


def recursive(o, L, x, state):
    """Over a sequence: the left-branching tree, h_t = act(W [h_{t-1}; E x_t] + b)."""
    (h,) = state
    h = o.act(L["activation"], o.lin(o.cat([h, o.lin(x, o.w("E"))]), o.w("W")) + o.w("b"))
    return o.cols(h, 0, L["n_out"]), [h]


# The associative memories: each step is one recall of the input row (the probe), no state.
#
# The discrete ones (hopfield, bam) run a fixed number of rounds, max_sweeps or max_passes, where
# the kernels stop after the first round that changes nothing: such a state is a fixed point of
# the round (an asynchronous sweep changes each unit at most once, so "nothing changed" is "the
# state is unchanged"), every later round leaves it as it is, and running them all gives the same
# result (a synchronous 2-cycle runs to the limit in the kernel too). until_fixed lets an exporter
# stop early once the whole batch is at its fixed point.
#
# Summation order: the kernels sum the fields over j in increasing order (float64, a separate
# multiply and add, the threshold subtracted last). A matrix product may add in another order,
# and for the discrete networks that matters: weights from the storage rules (Hebbian,
# pseudo-inverse: multiples of 1/N) give fields that are exactly zero in the kernels' order (a
# tie: the unit keeps its state) and a few ulps off zero in another (measured: torch's matmul
# changed 42 of 96 recalls of a Hebbian 50-unit network). So the fields are o.field, the last
# element of a running sum (CumSum) of the products M_ij s_j over j: the exporters rely on their
# running sums adding left to right, one element after the other (onnxruntime's CumSum, torch's
# CPU cumsum and numpy's cumsum do), and the exports then give the kernels' bits.

def hopfield(o, L, x, state):
    N = L["n_units"]
    M, theta = o.symmetric(o.w("W"), N), o.w("theta")
    s = o.bipolar(x)
    if L["options"]["update"] == "sync":
        def sweep(vs):
            (s,) = vs
            return [o.sgn(o.field(s, M) - theta, s)]
    else:
        def update(i, vs):
            (s,) = vs
            return [o.set(s, i, o.sgn(o.field(s, o.row(M, i)) - o.at(theta, i), o.at(s, i)))]

        def sweep(vs):
            return o.each(L["fixed"]["order"], update, vs)
    (s,) = o.repeat(L["options"]["max_sweeps"], sweep, [s], until_fixed=True)
    return o.cols(s, 0, L["n_out"]), []


def hopfield_continuous(o, L, x, state):
    N = L["n_units"]
    M, I = o.symmetric(o.w("W"), N), o.w("I")
    rate, gain = L["fixed"]["dt_over_tau"], L["fixed"]["gain"]

    def euler(vs):
        (u,) = vs
        return [u + rate * ((o.field(o.tanh(u * gain), M) + I) - u)]
    (u,) = o.repeat(L["options"]["n_steps"], euler, [x])
    return o.tanh(o.cols(u, 0, L["n_out"]) * gain), []


def bam(o, L, x, state):
    W = o.w("W")                                  # (n, p)
    WT, ta, tb = o.T(W), o.w("theta_a"), o.w("theta_b")

    def pass_(vs):
        a, b = vs
        b = o.sgn(o.field(a, WT) - tb, b)         # b_k from sum_i W_ik a_i
        a = o.sgn(o.field(b, W) - ta, a)          # a_i from sum_k W_ik b_k
        return [a, b]
    a, b = o.repeat(L["options"]["max_passes"], pass_, [o.bipolar(x), o.zeros(x, L["n_units"])], until_fixed=True)
    return o.cols(o.cat([a, b]) if L["options"]["outputs"] == "ab" else b, 0, L["n_out"]), []


STEPS: dict[str, Callable] = {"srn": srn, "ctrnn": ctrnn, "mtrnn": mtrnn, "esn": esn, "narx": narx,
                              "jordan": jordan, "lstm": lstm, "gru": gru, "indrnn": indrnn,
                              "second_order": second_order, "recursive": recursive, "hopfield": hopfield,
                              "hopfield_continuous": hopfield_continuous, "bam": bam}


def fixed_arrays(L: dict[str, Any]) -> dict[str, Any]:
    """The layer's fixed data as the steps read them (nested lists; numpy converts them)."""
    import numpy as np
    if L["cell"] in ("hopfield", "hopfield_continuous"):
        return {}                                # read by the steps from L["fixed"] (ints, scalars)
    f = {k: v for k, v in L["fixed"].items() if k != "leak_rate"}
    if L["cell"] == "mtrnn":
        F, H = L["options"]["n_fast"], L["n_units"]
        f["fast"] = np.eye(H)[:, :F].tolist()     # (H, F): lin(v, fast) = [v, 0]
    return f


def state_layout(doc: dict[str, Any]) -> list[tuple[int, str, int]]:
    """(layer, piece name, size) of every state piece, in the order of the flat state vector."""
    return [(k, n, s) for k, L in enumerate(doc["layers"]) for n, s in L["state"]]


def state_size(doc: dict[str, Any]) -> int:
    """The length of the flat state vector; 0 for networks without recurrent state and for
    bidirectional networks (whole-sequence only: the backward pass needs the whole sequence)."""
    if doc["topology"] == "bidirectional":
        return 0
    return sum(s for _, _, s in state_layout(doc))
