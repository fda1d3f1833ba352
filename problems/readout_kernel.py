"""The Numba kernel of the closed-form readout (Evolino's second half): one call for a population.

For every individual, the network runs over the training split with its inputs teacher-forced
(the data's own inputs, zero state at each sequence start, as in Evolino's first phase:
Schmidhuber, Wierstra, Gagliolo & Gomez 2007, Sec. 3). At each scored step (after the washout)
the readout layer's inputs, ``ws[L[-1, XOFF] : L[-1, XOFF] + L[-1, NIN]]``, become one row of the
design matrix Z, with a trailing 1 when the readout has a bias. The readout solves

    min ||Z x - D||^2 + ridge * ||x without its bias||^2

as the least-squares problem of the stacked matrix [Z; sqrt(ridge) I'] against [D; 0] (I' the
identity with the bias row zeroed), by LAPACK's SVD solver (``np.linalg.lstsq``, gelsd); with
``ridge = 0`` that is the Moore-Penrose pseudo-inverse solution pinv(Z) D of the paper. Rows
whose states are not finite get a NaN readout (the problem then scores them 0).

:func:`solve_population_lanes` runs blocks of individuals in vector lanes with the network's
own lanes step (:mod:`evornn.nets.lanes`), collecting each lane's Z in a per-block buffer;
:func:`solve_population` does the same one individual at a time (``engine="scalar"``). Both take
a row range through :func:`evornn.nets.threads.run_rows`; rows are independent, so a result does
not depend on the thread, the lane or the block.

``out`` (rows, n_out * F + n_out * bias): each row is the readout's parameter block as the dense
layer lays it out, W (n_out, F) row-major, then b (n_out,).
"""
import math

import numpy as np
from numba import literally, njit

from evornn.nets.kernels import set_inputs
from evornn.nets.lanes import borrow, keep, nlanes
from evornn.nets.layer import NIN, XOFF
from evornn.nets.specialise import net_step_keyed, net_step_lanes
from evornn.nets.threads import claim


@njit(cache=True, nogil=True, error_model="numpy")
def solve_one(Z, m, D, ridge, bias, rcond, out):
    """The readout of one individual from its design matrix ``Z`` (m + C, C): rows 0..m-1 its
    states (with the bias column), rows m.. are overwritten with sqrt(ridge) I'. D (m, n_out)
    the targets. Writes ``out`` (n_out * F + n_out * bias)."""
    C = Z.shape[1]
    F = C - bias
    n_out = D.shape[1]
    for i in range(m):
        for j in range(C):
            if not math.isfinite(Z[i, j]):
                out[:] = np.nan
                return
    if ridge > 0.0:
        r = math.sqrt(ridge)
        B = np.zeros((m + C, n_out))
        for i in range(m):
            for k in range(n_out):
                B[i, k] = D[i, k]
        for i in range(C):
            for j in range(C):
                Z[m + i, j] = 0.0
            if i < F:
                Z[m + i, i] = r
        x = np.linalg.lstsq(Z, B, rcond)[0]        # (C, n_out)
    else:
        x = np.linalg.lstsq(np.ascontiguousarray(Z[:m]), np.ascontiguousarray(D), rcond)[0]
    for k in range(n_out):
        for j in range(F):
            out[k * F + j] = x[j, k]
        if bias:
            out[n_out * F + k] = x[F, k]


@njit(cache=True, nogil=True, error_model="numpy")
def solve_population_lanes(key, L, ix, fx, Wb, ws_len, X, starts, mask, D, ridge, bias, rcond, out,
                           rows, n_rows):
    """The readouts of blocks of individuals in vector lanes (sequential networks).

    ``key``: the network's structure key, a literal. Wb (B, n_params * N) and X (T, n_in) of the
    network's dtype (:func:`evornn.nets.lanes.pack`); starts (S+1,) int64; mask (T,) uint8, 1 on
    the m scored steps; D (m, n_out) float64 the targets of the scored steps in order; ridge
    float >= 0; bias 0 or 1; rcond: singular values below rcond * the largest count as zero.
    out (B * N, n_out * F + n_out * bias) float64: written for every row of the padded population.
    """
    literally(key)
    n_in = L[0, NIN]
    last = L.shape[0] - 1
    x0, F = L[last, XOFF], L[last, NIN]
    C = F + bias
    m = D.shape[0]
    S = starts.shape[0] - 1
    Lb, ixb, fxb, Xb = borrow(L), borrow(ix), borrow(fx), borrow(X)
    for _ in range(n_rows):
        b = claim(rows, n_rows)        # the next row no thread has taken
        if b >= n_rows:
            break
        n = nlanes(Wb)
        ws0 = np.empty(ws_len * n, dtype=Wb.dtype)
        Z = np.empty((n, m + C, C))
        w, ws = borrow(Wb[b]), borrow(ws0)
        r = 0
        for s in range(S):
            ws[:] = 0
            for t in range(starts[s], starts[s + 1]):
                set_inputs(ws, Xb, t, n_in)
                net_step_lanes(key, Lb, ixb, fxb, w, ws)
                if mask[t]:
                    for l in range(n):
                        for j in range(F):
                            Z[l, r, j] = np.float64(ws[(x0 + j) * n + l])
                        if bias:
                            Z[l, r, F] = 1.0
                    r += 1
        for l in range(n):
            solve_one(Z[l], m, D, ridge, bias, rcond, out[b * n + l])
        keep(ws0)                              # alive as long as its borrowed view


@njit(cache=True, nogil=True, error_model="numpy")
def solve_population(key, L, ix, fx, W, ws_len, X, starts, mask, D, ridge, bias, rcond, out, rows, n_rows):
    """:func:`solve_population_lanes` one individual at a time: W (P, n_params) float64, X float64."""
    literally(key)
    n_in = L[0, NIN]
    last = L.shape[0] - 1
    x0, F = L[last, XOFF], L[last, NIN]
    C = F + bias
    m = D.shape[0]
    S = starts.shape[0] - 1
    for _ in range(n_rows):
        p = claim(rows, n_rows)
        if p >= n_rows:
            break
        w = W[p]
        ws = np.empty(ws_len)
        Z = np.empty((m + C, C))
        r = 0
        for s in range(S):
            ws[:] = 0.0
            for t in range(starts[s], starts[s + 1]):
                for j in range(n_in):
                    ws[j] = X[t, j]
                net_step_keyed(key, L, ix, fx, w, ws)
                if mask[t]:
                    for j in range(F):
                        Z[r, j] = ws[x0 + j]
                    if bias:
                        Z[r, F] = 1.0
                    r += 1
        solve_one(Z, m, D, ridge, bias, rcond, out[p])
