"""The Numba kernels that run a network over sequences: a population per call.

Two engines, both compiled per architecture (the first argument, a structure key of
:mod:`evornn.nets.specialise`, is a compile-time literal, so a kernel holds only the cells its
network uses):

* :func:`run_population_lanes` (the default): blocks of 8 (float64) or 16 (float32) individuals
  in the lanes of one vector (:mod:`evornn.nets.lanes`), each block over every sequence, blocks
  in parallel (:func:`evornn.nets.threads.run_rows`);
* :func:`run_population` (``engine="scalar"``): one individual per iteration with the cells'
  one-individual steps and libm's exp/tanh, float64; the same arithmetic as the closed-loop
  (pole-balancing) kernels.

Problems that put a network in a loop call a network step from their own kernels: write the
inputs to ``ws[0:n_in]``, step, read the outputs at ``ws[L[-1, YOFF]:]``. The fast way is
:func:`evornn.nets.specialise.net_step_keyed` (or the closed-loop specialisation of
``problems/pole_kernels.py``); from Python, :func:`net_step` steps any sequential network once.
"""
import math

import numpy as np
from numba import literally, njit
from numba.extending import overload

from .lanes import U, borrow, keep, nlanes
from .threads import claim
from .layer import NIN, NOUT, YOFF
from .specialise import (BIDIRECTIONAL, SEQUENTIAL, _literal, entry, kind_of, layer_step_keyed,  # noqa: F401
                         layer_step_lanes, net_step_keyed, net_step_lanes, structure_key)


@njit(cache=True, error_model="numpy")
def _step_keyed(key, L, ix, fx, w, ws):
    literally(key)
    net_step_keyed(key, L, ix, fx, w, ws)


def net_step(L, ix, fx, w, ws):
    """One time step of a sequential network, called from Python (tests, debugging, hand-written
    loops): input at ws[0:n_in], output at ws[L[-1, YOFF]:]. Compiled for the network's own cells
    (its structure key) once per architecture, and cached; kernels call
    :func:`evornn.nets.specialise.net_step_keyed` instead."""
    key = structure_key(L)
    entry(_step_keyed, 1, key, L, ix, fx, w, ws)(key, L, ix, fx, w, ws)


@njit(cache=True, error_model="numpy")
def all_finite(w):
    """No NaN or Inf in w. Without an early exit, so that LLVM checks a vector of entries at once
    (a chromosome is nearly always finite: the whole of it is read anyway)."""
    bad = False
    for j in range(w.shape[0]):
        bad |= not math.isfinite(w[j])
    return not bad


def _is_bidirectional(key):
    """True when structure ``key`` is a bidirectional network; Numba kernels only (a constant)."""
    raise TypeError("runs inside Numba kernels only")


@overload(_is_bidirectional, inline="always")
def _is_bidirectional_impl(key):
    value = kind_of(_literal(key)) == BIDIRECTIONAL
    return lambda key: value


# -- one individual at a time ----------------------------------------------------------------
@njit(inline="always", error_model="numpy")
def run_sequence(key, L, ix, fx, w, ws, X, t0, t1, Y):
    """Run one sequence X[t0:t1] of the network of structure ``key`` from a zero state into Y[t0:t1]."""
    ws[:] = 0.0
    n_in = L[0, NIN]
    last = L.shape[0] - 1
    n_out, y = L[last, NOUT], L[last, YOFF]
    if not _is_bidirectional(key):
        for t in range(t0, t1):
            for j in range(n_in):
                ws[j] = X[t, j]
            net_step_keyed(key, L, ix, fx, w, ws)
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
        layer_step_keyed(key, 0, L, ix, fx, w, ws)
        for j in range(hf):
            Hf[t - t0, j] = ws[yf + j]
    for t in range(t1 - 1, t0 - 1, -1):
        for j in range(n_in):
            ws[j] = X[t, j]
        layer_step_keyed(key, 1, L, ix, fx, w, ws)
        for j in range(hb):
            Hb[t - t0, j] = ws[yb + j]
    for t in range(t0, t1):
        for j in range(hf):
            ws[yf + j] = Hf[t - t0, j]
        for j in range(hb):
            ws[yb + j] = Hb[t - t0, j]
        layer_step_keyed(key, 2, L, ix, fx, w, ws)
        for j in range(n_out):
            Y[t, j] = ws[y + j]


@njit(cache=True, nogil=True, error_model="numpy")
def run_population(key, L, ix, fx, W, X, starts, ws_len, Y, rows, n_rows):
    """Y[p] = outputs of chromosome W[p] over every sequence X[starts[s]:starts[s+1]].

    ``key``: the network's structure key, a literal (run through
    :func:`evornn.nets.threads.run_rows`). W (P, n_params) float64; X (T, n_in) float64; starts
    (S+1,) int64; Y (P, T, n_out) float64, written. A chromosome with a NaN or Inf gives NaN outputs.
    """
    literally(key)
    for _ in range(n_rows):
        p = claim(rows, n_rows)        # the next row no thread has taken
        if p >= n_rows:
            break
        w = W[p]
        if not all_finite(w):
            Y[p, :, :] = np.nan
            continue
        ws = np.empty(ws_len)
        for s in range(starts.shape[0] - 1):
            run_sequence(key, L, ix, fx, w, ws, X, starts[s], starts[s + 1], Y[p])


# -- blocks of individuals in vector lanes ---------------------------------------------------
# The loops that do not depend on the network are compiled once (cached) and shared by every
# architecture's kernel, which then compiles only its own loop over time and its cells' calls.
@njit(cache=True, error_model="numpy")
def set_inputs(ws, X, t, n_in):
    """Input rows 0..n_in-1 of every lane = X[t] (the same inputs for every individual)."""
    n = nlanes(ws)
    for j in range(n_in):
        v = X[t, j]
        o = U(j * n)
        for l in range(U(n)):
            ws[o + l] = v


@njit(cache=True, error_model="numpy")
def get_outputs(ws, y, n_out, Yb, t):
    """Yb[((t * n_out) + j) * N + l] = ws[y + j, l] for every output j and lane l."""
    n = nlanes(ws)
    o = U(t * n_out * n)
    src = U(y * n)
    for i in range(U(n_out * n)):
        Yb[o + i] = ws[src + i]


@njit(cache=True, error_model="numpy")
def save_rows(ws, row, m, Hs, t):
    """Hs[t] = rows row..row+m-1 of ws (every lane)."""
    n = nlanes(ws)
    src = U(row * n)
    for i in range(U(m * n)):
        Hs[t, i] = ws[src + i]


@njit(cache=True, error_model="numpy")
def load_rows(Hs, t, ws, row, m):
    """Rows row..row+m-1 of ws = Hs[t]."""
    n = nlanes(ws)
    dst = U(row * n)
    for i in range(U(m * n)):
        ws[dst + i] = Hs[t, i]


@njit(inline="always", error_model="numpy")
def run_sequence_lanes(key, L, ix, fx, Wb, ws, X, t0, t1, Yb):
    """Run one sequence X[t0:t1] for a block of a sequential network from a zero state; outputs
    into Yb (see :func:`get_outputs`)."""
    ws[:] = 0
    n_in = L[0, NIN]
    last = L.shape[0] - 1
    n_out, y = L[last, NOUT], L[last, YOFF]
    for t in range(t0, t1):
        set_inputs(ws, X, t, n_in)
        net_step_lanes(key, L, ix, fx, Wb, ws)
        get_outputs(ws, y, n_out, Yb, t)


@njit(inline="always", error_model="numpy")
def run_bidirectional_lanes(key, L, ix, fx, Wb, ws, X, t0, t1, Yb, Hf, Hb):
    """:func:`run_sequence_lanes` for a bidirectional network (Schuster & Paliwal 1997): layer 0
    forward and layer 1 backward over the sequence, into ``Hf``/``Hb`` ((T, hf * N), (T, hb * N)),
    then the readout (layer 2) of both at every step."""
    ws[:] = 0
    n_in = L[0, NIN]
    n_out, y = L[2, NOUT], L[2, YOFF]
    hf, hb = L[0, NOUT], L[1, NOUT]
    yf, yb = L[0, YOFF], L[1, YOFF]
    for t in range(t0, t1):
        set_inputs(ws, X, t, n_in)
        layer_step_lanes(key, 0, L, ix, fx, Wb, ws)
        save_rows(ws, yf, hf, Hf, t - t0)
    for t in range(t1 - 1, t0 - 1, -1):
        set_inputs(ws, X, t, n_in)
        layer_step_lanes(key, 1, L, ix, fx, Wb, ws)
        save_rows(ws, yb, hb, Hb, t - t0)
    for t in range(t0, t1):
        load_rows(Hf, t - t0, ws, yf, hf)
        load_rows(Hb, t - t0, ws, yb, hb)
        layer_step_lanes(key, 2, L, ix, fx, Wb, ws)
        get_outputs(ws, y, n_out, Yb, t)


@njit(cache=True, nogil=True, error_model="numpy")
def run_population_lanes(key, L, ix, fx, Wb, X, starts, ws_len, Yb, rows, n_rows):
    """Yb[b] = outputs of block b of Wb (B, n_params * N) over every sequence of X (T, n_in).

    ``key`` a literal structure key of a sequential network; Wb and X of one dtype (float64 or
    float32); Yb (B, T * n_out * N) of that dtype, written (see :func:`evornn.nets.lanes.pack`).
    """
    literally(key)
    Lb, ixb, fxb, Xb = borrow(L), borrow(ix), borrow(fx), borrow(X)
    for _ in range(n_rows):
        b = claim(rows, n_rows)        # the next row no thread has taken
        if b >= n_rows:
            break
        ws = np.empty(ws_len * nlanes(Wb), dtype=Wb.dtype)
        wsb, wb, yb = borrow(ws), borrow(Wb[b]), borrow(Yb[b])
        for s in range(starts.shape[0] - 1):
            run_sequence_lanes(key, Lb, ixb, fxb, wb, wsb, Xb, starts[s], starts[s + 1], yb)
        keep(ws)                               # alive as long as its borrowed view


@njit(cache=True, nogil=True, error_model="numpy")
def run_population_lanes_bidir(key, L, ix, fx, Wb, X, starts, ws_len, Yb, rows, n_rows):
    """:func:`run_population_lanes` for a bidirectional network."""
    literally(key)
    n = nlanes(Wb)
    T = X.shape[0]
    Lb, ixb, fxb, Xb = borrow(L), borrow(ix), borrow(fx), borrow(X)
    for _ in range(n_rows):
        b = claim(rows, n_rows)        # the next row no thread has taken
        if b >= n_rows:
            break
        ws = np.empty(ws_len * n, dtype=Wb.dtype)
        Hf = np.empty((T, L[0, NOUT] * n), dtype=Wb.dtype)
        Hb = np.empty((T, L[1, NOUT] * n), dtype=Wb.dtype)
        wsb, wb, yb, hfb, hbb = borrow(ws), borrow(Wb[b]), borrow(Yb[b]), borrow(Hf), borrow(Hb)
        for s in range(starts.shape[0] - 1):
            run_bidirectional_lanes(key, Lb, ixb, fxb, wb, wsb, Xb, starts[s], starts[s + 1], yb, hfb, hbb)
        keep(ws) + keep(Hf) + keep(Hb)         # alive as long as their borrowed views


def lanes_kernel(kind: int):
    """The population kernel of a network of ``kind`` (sequential or bidirectional)."""
    return run_population_lanes_bidir if kind == BIDIRECTIONAL else run_population_lanes


__all__ = ["BIDIRECTIONAL", "SEQUENTIAL", "all_finite", "lanes_kernel", "net_step",
           "run_population", "run_population_lanes", "run_population_lanes_bidir", "run_sequence",
           "run_sequence_lanes"]
