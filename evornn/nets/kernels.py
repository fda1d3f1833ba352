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
ALL_LAYERS, NO_LAYER = -1, -2   # see step_codes


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
def all_layers(L, k, ix, fx, w, ws):
    """:func:`net_step` with a cell step's signature (``k`` unused): the generic network step."""
    net_step(L, ix, fx, w, ws)


@njit(cache=True, error_model="numpy")
def skip(L, k, ix, fx, w, ws):
    """A cell step's signature that does nothing (no second layer)."""


def step_codes(L: np.ndarray) -> tuple[int, int]:
    """The codes ``(c0, c1)`` that specialise a network-in-the-loop kernel to the layers of ``L``.

    A kernel that calls the network once per step of a long loop (pole balancing) runs fastest
    when the loop calls the cell's step directly: every extra call level passes the five arrays
    again (measured: about 50 ns per level on a 5-unit network, a fifth of a pole-balancing
    step). ``c0`` is the first layer's cell code and ``c1`` is ``dense.CODE`` for a dense readout
    or ``NO_LAYER`` for none, when the network is one cell or a cell plus a dense readout (every
    single-core architecture); otherwise ``(ALL_LAYERS, NO_LAYER)``: the generic
    :func:`net_step`. Kernels take them as compile-time literals (``numba.literally``), so each
    architecture compiles its own loop once.
    """
    n = L.shape[0]
    if n == 1:
        return int(L[0, 0]), NO_LAYER
    if n == 2 and int(L[1, 0]) == dense.CODE:
        return int(L[0, 0]), dense.CODE
    return ALL_LAYERS, NO_LAYER


STEPS = {m.CODE: m.step for m in (dense, srn, ctrnn, mtrnn, esn, narx, jordan, lstm, gru, indrnn, second_order)}


def cell_steps(c0, c1):
    """The step functions ``(step0, step1)`` for the literal codes ``c0, c1`` (Numba types) of
    :func:`step_codes`, for ``@overload`` implementations of network-in-the-loop kernels: the
    kernel calls ``step0(L, 0, ix, fx, w, ws)`` then ``step1(L, 1, ix, fx, w, ws)`` once per step."""
    from numba.core import errors, types
    if not (isinstance(c0, types.IntegerLiteral) and isinstance(c1, types.IntegerLiteral)):
        raise errors.TypingError("network step codes must be compile-time literals (numba.literally)")
    a, b = c0.literal_value, c1.literal_value
    step0 = all_layers if a == ALL_LAYERS else STEPS[a]
    step1 = skip if b == NO_LAYER else dense.step
    return step0, step1


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
