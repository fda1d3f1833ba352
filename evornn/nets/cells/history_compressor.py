"""Neural history compressor: a two-level hierarchy where level 2 sees only what level 1 failed to
predict.

Schmidhuber (1992), "Learning complex, extended sequences using the principle of history
compression", Neural Computation 4(2) (the "neural sequence chunker" of Hochreiter & Schmidhuber
1997, section 5.2). Level 1 is a recurrent network that predicts the next input; level 2 is a
recurrent network stepped only when level 1's prediction of the current input was wrong, fed that
input and its time stamp, so it runs on a compressed (shorter) sequence of the unexpected events;
its state is level 1's extra input (the "collapsed" two-net form) and, with ``readout_level2``,
also read by the output layer directly. At step t (t = 0, 1, ..)::

    surprise_t = max_j |y_{t-1, j} - x_{t, j}| > threshold   (j < n_out; y_{-1} = 0)
    if surprise_t:  h2 = act(W2_in [x_t; time_scale * t] + W2_rec h2 + b2)   (else h2 is kept)
    h1 = core([x_t; h2], h1)                                 (level 1: any core, e.g. Elman, LSTM)
    y_t = out_act(W_out h1 + b_out)          or, readout_level2:  out_act(W_out [h1; h2] + b_out)

y_t is the prediction of x_{t+1}: output j predicts input j, so n_outputs <= n_inputs (equal in
prediction tasks; extra inputs are context that is not predicted).

The network (:func:`evornn.nets.registry.history_compressor_net`) is a list of layers: this
module's level-2 layer (role ``LEVEL2``: reads x_t and the network's previous output y_{t-1}, the
last layer's output still in the workspace; writes [x_t; h2]), the level-1 core, this module's
join layer with ``readout_level2`` (role ``JOIN``: writes [h1; h2], no parameters), the dense
readout. Level-2 parameters: ``W_in`` (H2, n_in + 1), ``W_rec`` (H2, H2), ``b`` (H2). Level-2
state: h2, t, n2 (level-2 steps so far), then scratch h2_new.
"""
import numpy as np
from numba import njit

from ..activations import activate
from ..layer import (ACT, FOFF, NIN, NOUT, OPT1, OPT2, OPT3, POFF, SOFF, XOFF, YOFF, Block, LayerSpec,
                     unit_range)
from ..lanes import nlanes
from ..linalg import copy, dot
from . import options

CODE = 22
LEVEL2, JOIN = 0, 1          # the layer's role (column OPT1)


def build(n_in: int, n_pred: int, act: int, *, n_hidden2: int = 2, threshold: float = 0.25,
          time_scale: float = 0.01) -> LayerSpec:
    """The level-2 layer: reads the network input (``n_in``) and the network's previous output,
    whose first ``n_pred`` values predict the first ``n_pred`` inputs; writes [x_t; h2]."""
    H2 = options.integer("history-compressor", "n_hidden2", n_hidden2, 1)
    thr = options.real("history-compressor", "threshold", threshold, 0.0, lo_open=True)
    ts = options.real("history-compressor", "time_scale", time_scale, 0.0)
    if n_pred > n_in:
        raise ValueError(f"history-compressor: output j predicts input j, so n_outputs must be <= "
                         f"n_inputs, got {n_pred} and {n_in}")
    fan = ("fan_in", n_in + 1 + H2)
    blocks = [Block("W_in", (H2, n_in + 1), fan), Block("W_rec", (H2, H2), fan), Block("b", (H2,))]
    off = np.cumsum([0] + [b.size for b in blocks])
    units = [np.asarray(list(range(i * (n_in + 1), (i + 1) * (n_in + 1))) + list(range(off[1] + i * H2, off[1] + (i + 1) * H2))
                        + [off[2] + i], dtype=np.int64) for i in unit_range(H2)]
    return LayerSpec(CODE, n_in, n_in + H2, H2, blocks, 2 * H2 + 2, units, act=act, opts=(LEVEL2, H2, n_pred),
                     floats=np.array([thr, ts]), kind="history-compressor",
                     options={"n_hidden2": H2, "threshold": thr, "time_scale": ts})


def build_join(n_h1: int, n_hidden2: int) -> LayerSpec:
    """The join layer: [h1; h2] for the readout (h1 its input, h2 from the level-2 layer two
    layers back); no parameters."""
    return LayerSpec(CODE, n_h1, n_h1 + n_hidden2, 0, [], 0, [], opts=(JOIN, n_hidden2, 0),
                     kind="history-compressor-join")


@njit(cache=True, error_model="numpy")
def step(L, k, ix, fx, w, ws):
    n_in, x, y = L[k, NIN], L[k, XOFF], L[k, YOFF]
    H2 = L[k, OPT2]
    if L[k, OPT1] == JOIN:
        copy(ws, x, ws, y, n_in)
        copy(ws, L[k - 2, YOFF] + L[k - 2, NIN], ws, y + n_in, H2)
        return
    act, n_pred, p, s = L[k, ACT], L[k, OPT3], L[k, POFF], L[k, SOFF]
    thr, ts = fx[L[k, FOFF]], fx[L[k, FOFF] + 1]
    pr = p + H2 * (n_in + 1)
    pb = pr + H2 * H2
    h2, tt = s, s + H2
    n2 = tt + 1
    h2n = n2 + 1
    yp = L[L.shape[0] - 1, YOFF]            # the network's previous output (0 at a sequence's start)
    err = 0.0
    for j in range(n_pred):
        err = max(err, abs(ws[yp + j] - ws[x + j]))
    if err > thr:                           # level 1 failed: step level 2
        t = ws[tt]
        for i in range(H2):
            row = p + i * (n_in + 1)
            a = dot(w, row, ws, x, n_in) + w[row + n_in] * ts * t + dot(w, pr + i * H2, ws, h2, H2) + w[pb + i]
            ws[h2n + i] = activate(act, a)
        copy(ws, h2n, ws, h2, H2)
        ws[n2] += 1.0
    copy(ws, x, ws, y, n_in)
    copy(ws, h2, ws, y + n_in, H2)
    ws[tt] += 1.0


@njit(cache=True, error_model="numpy")
def step_lanes(L, k, ix, fx, W, ws):
    """:func:`step` lane by lane (each individual decides for itself when level 2 steps)."""
    N = nlanes(W)
    for lane in range(N):
        step(L, k, ix, fx, W[lane::N], ws[lane::N])


def level2_steps(net, w: np.ndarray, X: np.ndarray, starts: np.ndarray | None = None) -> np.ndarray:
    """(S,) int: how often level 2 stepped in each sequence of X (``starts`` as for
    :meth:`Network.run`) for chromosome ``w`` of a ``history-compressor`` network: the steps t with
    max_j |y_{t-1, j} - x_{t, j}| > threshold (j < n_outputs, y_{-1} = 0), from the network's
    outputs, the surprise test of :func:`step`."""
    if net.spec.get("arch") != "history-compressor":
        raise ValueError(f"level2_steps counts a history-compressor's level-2 steps, got {net.spec.get('arch')!r}")
    X, starts = net.check_inputs(X, starts)
    k = next(i for i in range(net.L.shape[0]) if net.L[i, 0] == CODE and net.L[i, OPT1] == LEVEL2)
    thr, n_out = float(net.fx[net.L[k, FOFF]]), int(net.n_outputs)
    Y = net.run(w, X, starts)
    prev = np.roll(Y, 1, axis=0)
    prev[starts[:-1]] = 0.0                 # y_{-1} = 0 at every sequence's start
    surprised = np.abs(prev - X[:, :n_out]).max(axis=1) > thr
    return np.array([int(surprised[a:b].sum()) for a, b in zip(starts[:-1], starts[1:])], dtype=np.int64)
