"""Neural history compressor: a two-level hierarchy where level 2 sees only what level 1 failed to
predict.

Schmidhuber (1992), "Learning complex, extended sequences using the principle of history
compression", Neural Computation 4(2) (the "neural sequence chunker" of Hochreiter & Schmidhuber
1997, section 5.2). Level 1 is a recurrent network that predicts the next input; level 2 is a
recurrent network stepped only when level 1's prediction of the current input was wrong, fed that
input and its time stamp, so it runs on a compressed (shorter) sequence of the unexpected events;
its state is level 1's extra input (the "collapsed" two-net form). At step t (t = 0, 1, ..)::

    surprise_t = max_j |y_{t-1, j} - x_{t, j}| > threshold   (j < n_out; y_{-1} = 0)
    if surprise_t:  h2 = act(W2_in [x_t; time_scale * t] + W2_rec h2 + b2)   (else h2 is kept)
    h1 = act(W1_in [x_t; h2] + W1_rec h1 + b1)
    y_t = out_act(W_out h1 + b_out)                                  (the prediction of x_{t+1})

Level 1 here is an Elman-type layer (any other core is not offered yet). The outputs predict the
inputs: output j predicts input j, so n_outputs <= n_inputs (equal in prediction tasks; extra inputs
are context that is not predicted). Parameters: ``W1_in`` (H1, n_in + H2), ``W1_rec``
(H1, H1), ``b1`` (H1), ``W_out`` (n_out, H1), ``b_out`` (n_out), ``W2_in`` (H2, n_in + 1),
``W2_rec`` (H2, H2), ``b2`` (H2). Workspace: h1, h2, y_prev, t, n2 (level-2 steps so far), then
scratch h1_new, h2_new.
"""
import numpy as np
from numba import njit

from ..activations import activate
from ..layer import (ACT, ACT2, FOFF, NIN, NOUT, NUNITS, OPT1, POFF, SOFF, XOFF, YOFF, Block, LayerSpec,
                     activation_code, unit_range)
from ..lanes import nlanes
from ..linalg import copy, dot
from . import options

CODE = 22


def build(n_in: int, n_hidden: int, n_out: int, act: int, *, out_act: str = "sigmoid", n_hidden2: int = 2,
          threshold: float = 0.25, time_scale: float = 0.01) -> LayerSpec:
    out_code = activation_code(out_act, what="history-compressor output activation")
    H1, H2 = n_hidden, options.integer("history-compressor", "n_hidden2", n_hidden2, 1)
    thr = options.real("history-compressor", "threshold", threshold, 0.0, lo_open=True)
    ts = options.real("history-compressor", "time_scale", time_scale, 0.0)
    if n_out > n_in:
        raise ValueError(f"history-compressor: output j predicts input j, so n_outputs must be <= "
                         f"n_inputs, got {n_out} and {n_in}")
    fan1 = ("fan_in", n_in + H2 + H1)
    fan2 = ("fan_in", n_in + 1 + H2)
    blocks = [Block("W1_in", (H1, n_in + H2), fan1), Block("W1_rec", (H1, H1), fan1), Block("b1", (H1,)),
              Block("W_out", (n_out, H1), ("fan_in", H1)), Block("b_out", (n_out,)),
              Block("W2_in", (H2, n_in + 1), fan2), Block("W2_rec", (H2, H2), fan2), Block("b2", (H2,))]
    off = np.cumsum([0] + [b.size for b in blocks])
    units = [np.asarray(list(range(off[3] + j * H1, off[3] + (j + 1) * H1)) + [off[4] + j]) for j in unit_range(n_out)]
    for i in unit_range(H1):
        units.append(np.asarray(list(range(i * (n_in + H2), (i + 1) * (n_in + H2)))
                                + list(range(off[1] + i * H1, off[1] + (i + 1) * H1)) + [off[2] + i]))
    for i in unit_range(H2):
        units.append(np.asarray(list(range(off[5] + i * (n_in + 1), off[5] + (i + 1) * (n_in + 1)))
                                + list(range(off[6] + i * H2, off[6] + (i + 1) * H2)) + [off[7] + i]))
    units = [u.astype(np.int64) for u in units]
    return LayerSpec(CODE, n_in, n_out, H1, blocks, 2 * (H1 + H2) + n_out + 2, units, act=act, act2=out_code,
                     opts=(H2,), floats=np.array([thr, ts]), kind="history-compressor",
                     options={"out_act": out_act, "n_hidden2": H2, "threshold": thr, "time_scale": ts})


@njit(cache=True, error_model="numpy")
def step(L, k, ix, fx, w, ws):
    n_in, H1, n_out, act, out_act, H2 = L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, ACT], L[k, ACT2], L[k, OPT1]
    p, s, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    thr, ts = fx[L[k, FOFF]], fx[L[k, FOFF] + 1]
    p1r = p + H1 * (n_in + H2)
    p1b = p1r + H1 * H1
    po = p1b + H1
    pob = po + n_out * H1
    p2 = pob + n_out
    p2r = p2 + H2 * (n_in + 1)
    p2b = p2r + H2 * H2
    h1, h2 = s, s + H1
    yp = h2 + H2
    tt = yp + n_out
    n2 = tt + 1
    h1n = n2 + 1
    h2n = h1n + H1
    err = 0.0
    for j in range(n_out):
        err = max(err, abs(ws[yp + j] - ws[x + j]))
    if err > thr:                                   # level 1 failed: step level 2
        t = ws[tt]
        for i in range(H2):
            row = p2 + i * (n_in + 1)
            a = dot(w, row, ws, x, n_in) + w[row + n_in] * ts * t + dot(w, p2r + i * H2, ws, h2, H2) + w[p2b + i]
            ws[h2n + i] = activate(act, a)
        copy(ws, h2n, ws, h2, H2)
        ws[n2] += 1.0
    for i in range(H1):
        row = p + i * (n_in + H2)
        a = dot(w, row, ws, x, n_in) + dot(w, row + n_in, ws, h2, H2) + dot(w, p1r + i * H1, ws, h1, H1) + w[p1b + i]
        ws[h1n + i] = activate(act, a)
    copy(ws, h1n, ws, h1, H1)
    for j in range(n_out):
        ws[yp + j] = activate(out_act, dot(w, po + j * H1, ws, h1, H1) + w[pob + j])
    copy(ws, yp, ws, y, n_out)
    ws[tt] += 1.0


@njit(cache=True, error_model="numpy")
def step_lanes(L, k, ix, fx, W, ws):
    """:func:`step` lane by lane (each individual decides for itself when level 2 steps)."""
    N = nlanes(W)
    for lane in range(N):
        step(L, k, ix, fx, W[lane::N], ws[lane::N])
