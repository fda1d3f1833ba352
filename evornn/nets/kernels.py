"""The Numba kernels that run a network: one layer step, one network step, a sequence, a population.

``layer_step`` dispatches on the layer's integer code (closures and jitted-function arguments
would defeat ``cache=True``); every cell module exposes ``step(L, k, ix, fx, w, ws)``. Problems
that put a network in a loop (pole balancing) call :func:`net_step` directly from their own
kernels: write the inputs to ``ws[0:n_in]``, call it, read the outputs at ``ws[L[-1, YOFF]:]``.
"""
import math

import numpy as np
from numba import njit, prange

from .cells import dense, srn
from .cells import ctrnn, esn, mtrnn, narx
from .cells import gru, indrnn, jordan, lstm, second_order
from .layer import NIN, NOUT, SOFF, SLEN, YOFF

SEQUENTIAL, BIDIRECTIONAL = 0, 1


@njit(cache=True, error_model="numpy")
def layer_step(L, k, ix, fx, w, ws):
    c = L[k, 0]
    if c == dense.CODE:
        dense.step(L, k, ix, fx, w, ws)
    elif c == srn.CODE:
        srn.step(L, k, ix, fx, w, ws)
    elif c == ctrnn.CODE:
        ctrnn.step(L, k, ix, fx, w, ws)
    elif c == mtrnn.CODE:
        mtrnn.step(L, k, ix, fx, w, ws)
    elif c == esn.CODE:
        esn.step(L, k, ix, fx, w, ws)
    elif c == narx.CODE:
        narx.step(L, k, ix, fx, w, ws)
    elif c == jordan.CODE:
        jordan.step(L, k, ix, fx, w, ws)
    elif c == lstm.CODE:
        lstm.step(L, k, ix, fx, w, ws)
    elif c == gru.CODE:
        gru.step(L, k, ix, fx, w, ws)
    elif c == indrnn.CODE:
        indrnn.step(L, k, ix, fx, w, ws)
    elif c == second_order.CODE:
        second_order.step(L, k, ix, fx, w, ws)


@njit(cache=True, error_model="numpy")
def net_step(L, ix, fx, w, ws):
    """One time step of a sequential network: input at ws[0:n_in], output at ws[L[-1, YOFF]:]."""
    for k in range(L.shape[0]):
        layer_step(L, k, ix, fx, w, ws)


@njit(cache=True, error_model="numpy")
def all_finite(w):
    for j in range(w.shape[0]):
        if not math.isfinite(w[j]):
            return False
    return True


@njit(cache=True, error_model="numpy")
def _reset_layer(L, k, ws):
    s = L[k, SOFF]
    for j in range(L[k, SLEN]):
        ws[s + j] = 0.0


@njit(cache=True, error_model="numpy")
def run_sequence(kind, L, ix, fx, w, ws, X, t0, t1, Y):
    """Run one sequence X[t0:t1] from a zero state, writing Y[t0:t1]."""
    ws[:] = 0.0
    n_in = L[0, NIN]
    last = L.shape[0] - 1
    n_out, y = L[last, NOUT], L[last, YOFF]
    if kind == SEQUENTIAL:
        for t in range(t0, t1):
            for j in range(n_in):
                ws[j] = X[t, j]
            net_step(L, ix, fx, w, ws)
            for j in range(n_out):
                Y[t, j] = ws[y + j]
        return
    # Bidirectional (Schuster & Paliwal 1997): layer 0 runs forward, layer 1 backward, both
    # write into the readout's input (fwd then bwd halves); layer 2 reads both at every t.
    hf, hb = L[0, NOUT], L[1, NOUT]
    Hf = np.empty((t1 - t0, hf))
    Hb = np.empty((t1 - t0, hb))
    yf, yb = L[0, YOFF], L[1, YOFF]
    for t in range(t0, t1):
        for j in range(n_in):
            ws[j] = X[t, j]
        layer_step(L, 0, ix, fx, w, ws)
        for j in range(hf):
            Hf[t - t0, j] = ws[yf + j]
    for t in range(t1 - 1, t0 - 1, -1):
        for j in range(n_in):
            ws[j] = X[t, j]
        layer_step(L, 1, ix, fx, w, ws)
        for j in range(hb):
            Hb[t - t0, j] = ws[yb + j]
    for t in range(t0, t1):
        for j in range(hf):
            ws[yf + j] = Hf[t - t0, j]
        for j in range(hb):
            ws[yb + j] = Hb[t - t0, j]
        layer_step(L, 2, ix, fx, w, ws)
        for j in range(n_out):
            Y[t, j] = ws[y + j]


@njit(cache=True, parallel=True, error_model="numpy")
def run_population(kind, L, ix, fx, W, X, starts, ws_len, Y):
    """Y[p] = outputs of chromosome W[p] over every sequence X[starts[s]:starts[s+1]].

    Parameters: W (P, n_params) float64; X (T, n_in) float64; starts (S+1,) int64; Y (P, T, n_out)
    float64, written in place. A chromosome with a NaN or Inf gives NaN outputs.
    """
    for p in prange(W.shape[0]):
        w = W[p]
        if not all_finite(w):
            Y[p, :, :] = np.nan
            continue
        ws = np.empty(ws_len)
        for s in range(starts.shape[0] - 1):
            run_sequence(kind, L, ix, fx, w, ws, X, starts[s], starts[s + 1], Y[p])
