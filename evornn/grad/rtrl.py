"""Real-time recurrent learning for the frnn and elman networks.

Williams & Zipser (1989), "A learning algorithm for continually running fully recurrent neural
networks", Neural Computation 1(2). The sensitivity matrix P_t[i, q] = dh_t,i / dw_q over the
recurrent core's parameters q is carried forward with the state::

    a_t = W_in x_t + W_rec h_{t-1} + b,   h_t = act(a_t)
    P_t[i, q] = act'(a_t,i) * (sum_j W_rec[i, j] P_{t-1}[j, q] + da_t,i / dw_q)

(the last term: x_t,j for W_in[i, j], h_{t-1},j for W_rec[i, j], 1 for b[i]), P = 0 at the start
of each sequence. The error gradient at step t is dE_t/dh_t . P_t for the core's parameters and
the ordinary backpropagated gradient for the dense readout (elman). Cost O(H^4) per step.

:func:`gradient` holds the weights fixed over the sequences and returns the gradient of the same
loss as :func:`evornn.grad.bptt.gradient` (equal to it up to rounding); :func:`online` changes the
weights after every step (``w -= lr * g_t``, g_t the step's gradient, optionally clipped), as
Williams & Zipser's real-time algorithm does, carrying P across the updates.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from evornn.nets.layer import ACT, NIN, NOUT, NUNITS, OPT1, POFF

from . import cells
from .bptt import check_supported, geometry

SUPPORTED = ("elman", "frnn")


@njit(cache=True)
def sensitivities(L, w, x, A, P, Pn):
    """Pn = the sensitivities dh_t/dw of the srn core (layer 0) after the step from state A[0] to
    A[1] (srn_forward done) with input x, from P = dh_{t-1}/dw; columns: the core's parameters."""
    n_in, H, act, bias = L[0, NIN], L[0, NUNITS], L[0, ACT], L[0, OPT1]
    nc = P.shape[1]
    p_rec = H * n_in
    p_b = p_rec + H * H
    for i in range(H):
        D = cells.dact(act, A[1, i])
        for c in range(nc):
            v = 0.0
            for j in range(H):
                v += w[p_rec + i * H + j] * P[j, c]
            Pn[i, c] = D * v
        for j in range(n_in):
            Pn[i, i * n_in + j] += D * x[j]
        for j in range(H):
            Pn[i, p_rec + i * H + j] += D * A[0, j]
        if bias:
            Pn[i, p_b + i] += D


@njit(cache=True)
def rtrl_sequences(L, fx, w, X, Y, mask, starts, seqs, scale, lr, clip, sw, width, out, scratch, G):
    """Run sequences ``seqs`` in order; G += every step's gradient (times ``scale``).

    ``lr`` > 0: w -= lr * (step gradient, clipped to norm ``clip`` when > 0) after every step, in place.
    Returns scale * (sum of squared errors).
    """
    H = L[0, NUNITS]
    n_dense = L.shape[0] - 1
    nc = L[1, POFF] if n_dense else w.shape[0]
    n_out = Y.shape[1]
    A = np.zeros((2, width))
    P = np.zeros((H, nc))
    Pn = np.zeros((H, nc))
    gt = np.zeros(w.shape[0])
    delta = np.zeros(scratch)
    tmp = np.zeros(scratch)
    loss = 0.0
    for q in range(seqs.shape[0]):
        s = seqs[q]
        A[:, :] = 0.0
        P[:, :] = 0.0
        for t in range(starts[s], starts[s + 1]):
            x = X[t]
            cells.srn_forward(L, fx, w, x, A, 1)
            sensitivities(L, w, x, A, P, Pn)
            if n_dense:
                cells.dense_forward(L, 1, w, A[1], 0, A[1], sw)
            if mask[t]:
                gt[:] = 0.0
                for j in range(n_out):
                    e = A[1, out + j] - Y[t, j]
                    loss += scale * e * e
                    delta[j] = 2.0 * scale * e
                if n_dense:
                    cells.dense_backward(L, 1, w, A[1], 0, A[1], sw, delta, tmp, gt)
                for i in range(L[0, NOUT]):
                    for c in range(nc):
                        gt[c] += delta[i] * Pn[i, c]
                if lr > 0.0:
                    f = 1.0
                    if clip > 0.0:
                        norm = math.sqrt(np.sum(gt * gt))
                        if norm > clip:
                            f = clip / norm
                    for c in range(w.shape[0]):
                        w[c] -= lr * f * gt[c]
                G += gt
            P, Pn = Pn, P
            for j in range(H):
                A[0, j] = A[1, j]
    return loss


def _prepare(net, w, data, seqs):
    check_supported(net, "rtrl", SUPPORTED)
    w = np.array(w, dtype=np.float64)
    if w.shape != (net.n_params,):
        raise ValueError(f"chromosome must have shape ({net.n_params},) for {net.name}, got {w.shape}")
    X, Y = (np.ascontiguousarray(a, dtype=np.float64) for a in (data.X, data.Y))
    starts = np.ascontiguousarray(data.starts, dtype=np.int64)
    mask = np.ascontiguousarray(data.mask, dtype=np.uint8)
    seqs = (np.arange(starts.shape[0] - 1, dtype=np.int64) if seqs is None
            else np.ascontiguousarray(seqs, dtype=np.int64))
    return w, X, Y, starts, mask, seqs


def gradient(net, w: np.ndarray, data, seqs: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """(MSE, dMSE/dw) by RTRL over sequences ``seqs`` (default all) of ``data``, weights fixed."""
    w, X, Y, starts, mask, seqs = _prepare(net, w, data, seqs)
    n_scored = int(sum(mask[starts[s]:starts[s + 1]].sum() for s in seqs))
    G = np.zeros(net.n_params)
    if n_scored == 0:
        return 0.0, G
    sw, width, out, scratch = geometry(net)
    loss = rtrl_sequences(net.L, net.fx, w, X, Y, mask, starts, seqs, 1.0 / (n_scored * net.n_outputs),
                          0.0, 0.0, sw, width, out, scratch, G)
    return float(loss), G


def online(net, w: np.ndarray, data, seqs: np.ndarray | None = None, learning_rate: float = 0.01,
           clip_norm: float = 0.0) -> tuple[float, np.ndarray]:
    """Williams & Zipser's real-time training over ``seqs`` in order: one update per scored step
    with the step's squared error averaged over the outputs. Returns (mean of the step errors
    seen, the new chromosome); ``w`` is not modified."""
    if not learning_rate > 0:
        raise ValueError(f"rtrl: learning_rate must be > 0, got {learning_rate}")
    w, X, Y, starts, mask, seqs = _prepare(net, w, data, seqs)
    n_scored = int(sum(mask[starts[s]:starts[s + 1]].sum() for s in seqs))
    sw, width, out, scratch = geometry(net)
    G = np.zeros(net.n_params)
    loss = rtrl_sequences(net.L, net.fx, w, X, Y, mask, starts, seqs, 1.0 / net.n_outputs,
                          float(learning_rate), float(clip_norm), sw, width, out, scratch, G)
    return float(loss) / max(n_scored, 1), w
