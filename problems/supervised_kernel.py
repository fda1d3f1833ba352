"""The Numba kernel of supervised sequence problems: a population scored on a dataset in one call.

:func:`score_population_lanes` (the default) runs blocks of individuals in vector lanes
(:mod:`evornn.nets.lanes`), compiled for the network's structure (its first argument, a literal
key): every block runs every sequence of the dataset from the zero state, with its own
workspace, and the errors are accumulated on the fly, in float64 whatever the network's dtype (no
(P, T, n_out) output array). :func:`score_population` does the same one individual at a time with
the cells' one-individual steps (``engine="scalar"``, the reference the lanes kernel is tested
against). Both take a row range (``lo``, ``hi``) and run on :func:`evornn.nets.threads.run_rows`.

* sequential networks step with :func:`evornn.nets.kernels.net_step`; from the step ``free[s]``
  of sequence ``s`` on, the inputs ``fb_in`` are replaced by the network's previous outputs
  ``fb_out`` (free-running generation after a teacher-forced washout, Jaeger 2001);
* bidirectional networks run each sequence whole with :func:`evornn.nets.kernels.run_sequence`
  into a per-individual buffer (they cannot free-run; the Python side refuses that).

Outputs per individual ``p``: ``sse[p]`` the sum of squared errors over the scored steps and all
outputs; ``n_right[p]`` the scored steps whose every output is right (``|y - t| <= tol`` in
tolerance mode, ``(y > thr) == (t > thr)`` in threshold mode, and finite); ``seq_right[p, s]`` 1
when every scored step of sequence ``s`` is right; ``finite[p]`` 0 when the chromosome or any
scored output is NaN or Inf.
"""
import math

import numpy as np
from numba import literally, njit

from evornn.nets.kernels import (_is_bidirectional, all_finite, run_bidirectional_lanes, run_sequence,
                                 set_inputs)
from evornn.nets.lanes import borrow, keep, nlanes
from evornn.nets.layer import NIN, NOUT, YOFF
from evornn.nets.specialise import net_step_keyed, net_step_lanes
from evornn.nets.threads import claim

TOLERANCE, THRESHOLD = 0, 1


@njit(cache=True)
def _score(out, Y, t, mode, tol, thr):
    """Squared error of step t and whether it is right; ``out`` (n_out,) are the outputs of step t.

    Returns (sse, right, finite).
    """
    sse = 0.0
    right = True
    finite = True
    for j in range(Y.shape[1]):
        y = out[j]
        if not math.isfinite(y):
            finite = False
            right = False
            continue
        d = y - Y[t, j]
        sse += d * d
        if mode == TOLERANCE:
            if not abs(d) <= tol:
                right = False
        elif (y > thr) != (Y[t, j] > thr):
            right = False
    return sse, right, finite


@njit(inline="always", error_model="numpy")
def _score_individual(key, L, ix, fx, w, ws_len, X, Y, starts, mask, free, fb_in, fb_out,
                      mode, tol, thr, seq_right_p):
    """Run chromosome ``w`` over the dataset; returns (sse, n_right, finite), fills seq_right_p."""
    n_in = L[0, NIN]
    last = L.shape[0] - 1
    n_out, y0 = L[last, NOUT], L[last, YOFF]
    ws = np.empty(ws_len)
    out = np.empty(n_out)
    sse = 0.0
    n_right = 0
    finite = True
    bidir = _is_bidirectional(key)
    Yb = np.empty((X.shape[0] if bidir else 0, n_out))
    for s in range(starts.shape[0] - 1):
        t0, t1 = starts[s], starts[s + 1]
        seq_ok = True
        if bidir:
            run_sequence(key, L, ix, fx, w, ws, X, t0, t1, Yb)
        else:
            ws[:] = 0.0
        for t in range(t0, t1):
            if bidir:
                for j in range(n_out):
                    out[j] = Yb[t, j]
            else:
                for j in range(n_in):
                    ws[j] = X[t, j]
                if t >= free[s] and t > t0:
                    # ws[y0:] still holds the outputs of step t-1 (inputs live at ws[0:n_in]).
                    for m in range(fb_in.shape[0]):
                        ws[fb_in[m]] = ws[y0 + fb_out[m]]
                net_step_keyed(key, L, ix, fx, w, ws)
                for j in range(n_out):
                    out[j] = ws[y0 + j]
            if mask[t]:
                e, ok, fin = _score(out, Y, t, mode, tol, thr)
                sse += e
                if ok:
                    n_right += 1
                else:
                    seq_ok = False
                if not fin:
                    finite = False
        seq_right_p[s] = 1 if seq_ok else 0
    return sse, n_right, finite


@njit(cache=True, nogil=True, error_model="numpy")
def score_population(key, L, ix, fx, W, ws_len, X, Y, starts, mask, free, fb_in, fb_out,
                     mode, tol, thr, sse, n_right, seq_right, finite, rows, n_rows):
    """Score every row of W on one dataset split, one individual at a time.

    Parameters
    ----------
    key : the network's structure key, a literal; L, ix, fx : its layer table and fixed data.
    W : (P, n_params) float64 chromosomes. ws_len : workspace length of the network.
    X : (T, n_in) float64 inputs; Y : (T, n_out) float64 targets; starts : (S+1,) int64.
    mask : (T,) uint8, 1 on scored steps. free : (S,) int64, first free-running step of each
    sequence (``starts[s+1]`` when it never free-runs). fb_in, fb_out : (m,) int64 input columns
    fed from output columns while free-running. mode : TOLERANCE or THRESHOLD; tol, thr : float.
    sse (P,) float64, n_right (P,) int64, seq_right (P, S) uint8, finite (P,) uint8: written.
    """
    literally(key)
    for _ in range(n_rows):
        p = claim(rows, n_rows)        # the next row no thread has taken
        if p >= n_rows:
            break
        w = W[p]
        if not all_finite(w):
            sse[p] = np.inf
            n_right[p] = 0
            seq_right[p, :] = 0
            finite[p] = 0
            continue
        e, r, f = _score_individual(key, L, ix, fx, w, ws_len, X, Y, starts, mask, free, fb_in,
                                    fb_out, mode, tol, thr, seq_right[p])
        sse[p] = e
        n_right[p] = r
        finite[p] = 1 if f and math.isfinite(e) else 0


@njit(cache=True, error_model="numpy")
def score_step_lanes(src, off, Y, t, mode, tol, thr, sse, right, seq_ok, s):
    """Score step t for every lane: add its squared errors to ``sse`` (N,) float64, count it in
    ``right`` (N,) when every output is right (and finite), clear ``seq_ok[:, s]`` otherwise; the
    outputs are src[off + j * N + l] (float64 or float32). Shared by every architecture's kernel."""
    n = sse.shape[0]
    for l in range(n):
        ok = True
        for j in range(Y.shape[1]):
            target = Y[t, j]
            y = np.float64(src[off + j * n + l])
            d = y - target
            sse[l] += d * d
            if mode == TOLERANCE:
                if not abs(d) <= tol:                  # also for NaN and Inf
                    ok = False
            elif not ((y > thr) == (target > thr) and abs(y) < np.inf):
                ok = False
        if ok:
            right[l] += 1
        else:
            seq_ok[l, s] = 0


@njit(cache=True, error_model="numpy")
def feed_back(ws, fb_in, fb_out, y0):
    """Free-running: input rows fb_in = output rows y0 + fb_out (the outputs of the last step)."""
    n = nlanes(ws)
    for m in range(fb_in.shape[0]):
        dst = fb_in[m] * n
        src = (y0 + fb_out[m]) * n
        for l in range(n):
            ws[dst + l] = ws[src + l]


@njit(cache=True, error_model="numpy")
def store_block(b, sse, right, seq_right_b, out_sse, out_right, out_seq, out_finite):
    """The block's tallies into the population's outputs (rows b * N ...)."""
    n = sse.shape[0]
    for l in range(n):
        p = b * n + l
        out_sse[p] = sse[l]
        out_right[p] = right[l]
        out_finite[p] = 1 if math.isfinite(sse[l]) else 0
        for s in range(seq_right_b.shape[1]):
            out_seq[p, s] = seq_right_b[l, s]


@njit(cache=True, nogil=True, error_model="numpy")
def score_population_lanes(key, L, ix, fx, Wb, ws_len, X, Y, starts, mask, free, fb_in, fb_out,
                           mode, tol, thr, sse, n_right, seq_right, finite, rows, n_rows):
    """:func:`score_population` for blocks of individuals in vector lanes (sequential networks).

    ``key``: the network's structure key, a literal (run through
    :func:`evornn.nets.threads.run_rows`). Wb (B, n_params * N) and X (T, n_in)
    of the network's dtype (:func:`evornn.nets.lanes.pack`); Y (T, n_out) float64. Outputs per
    individual of the padded population (B * N rows): sse, n_right, seq_right (B * N, S), finite,
    as in :func:`score_population`; ``finite`` is 0 when any scored output is NaN or Inf (the
    caller marks chromosomes that are not finite).
    """
    literally(key)
    n_in = L[0, NIN]
    last = L.shape[0] - 1
    y0 = L[last, YOFF]
    S = starts.shape[0] - 1
    # views without reference counts for the calls of every step (see evornn.nets.lanes.borrow)
    Lb, ixb, fxb, Xb, Yt, fbi, fbo = borrow(L), borrow(ix), borrow(fx), borrow(X), borrow(Y), borrow(fb_in), borrow(fb_out)
    for _ in range(n_rows):
        b = claim(rows, n_rows)        # the next row no thread has taken
        if b >= n_rows:
            break
        n = nlanes(Wb)
        ws0 = np.empty(ws_len * n, dtype=Wb.dtype)
        acc0 = np.zeros(n)
        right0 = np.zeros(n, dtype=np.int64)
        seq_ok0 = np.ones((n, S), dtype=np.uint8)
        w, ws, acc, right, seq_ok = borrow(Wb[b]), borrow(ws0), borrow(acc0), borrow(right0), borrow(seq_ok0)
        for s in range(S):
            t0, t1 = starts[s], starts[s + 1]
            ws[:] = 0
            for t in range(t0, t1):
                set_inputs(ws, Xb, t, n_in)
                if t >= free[s] and t > t0:
                    feed_back(ws, fbi, fbo, y0)
                net_step_lanes(key, Lb, ixb, fxb, w, ws)
                if mask[t]:
                    score_step_lanes(ws, y0 * n, Yt, t, mode, tol, thr, acc, right, seq_ok, s)
        store_block(b, acc0, right0, seq_ok0, sse, n_right, seq_right, finite)
        keep(ws0)                              # alive as long as its borrowed view


@njit(cache=True, nogil=True, error_model="numpy")
def score_population_lanes_bidir(key, L, ix, fx, Wb, ws_len, X, Y, starts, mask, free, fb_in, fb_out,
                                 mode, tol, thr, sse, n_right, seq_right, finite, rows, n_rows):
    """:func:`score_population_lanes` for bidirectional networks (no free-running: each sequence
    runs whole, then its steps are scored)."""
    literally(key)
    n_out = L[2, NOUT]
    T = X.shape[0]
    S = starts.shape[0] - 1
    Lb, ixb, fxb, Xb, Yt = borrow(L), borrow(ix), borrow(fx), borrow(X), borrow(Y)
    for _ in range(n_rows):
        b = claim(rows, n_rows)        # the next row no thread has taken
        if b >= n_rows:
            break
        n = nlanes(Wb)
        ws0 = np.empty(ws_len * n, dtype=Wb.dtype)
        Yb0 = np.empty(T * n_out * n, dtype=Wb.dtype)
        Hf0 = np.empty((T, L[0, NOUT] * n), dtype=Wb.dtype)
        Hb0 = np.empty((T, L[1, NOUT] * n), dtype=Wb.dtype)
        acc0 = np.zeros(n)
        right0 = np.zeros(n, dtype=np.int64)
        seq_ok0 = np.ones((n, S), dtype=np.uint8)
        w, ws, Yb, Hf, Hb = borrow(Wb[b]), borrow(ws0), borrow(Yb0), borrow(Hf0), borrow(Hb0)
        acc, right, seq_ok = borrow(acc0), borrow(right0), borrow(seq_ok0)
        for s in range(S):
            t0, t1 = starts[s], starts[s + 1]
            run_bidirectional_lanes(key, Lb, ixb, fxb, w, ws, Xb, t0, t1, Yb, Hf, Hb)
            for t in range(t0, t1):
                if mask[t]:
                    score_step_lanes(Yb, t * n_out * n, Yt, t, mode, tol, thr, acc, right, seq_ok, s)
        store_block(b, acc0, right0, seq_ok0, sse, n_right, seq_right, finite)
        keep(ws0) + keep(Yb0) + keep(Hf0) + keep(Hb0)   # alive as long as their borrowed views
