"""Connectionist temporal classification (Graves, Fernandez, Gomez & Schmidhuber 2006, "Connectionist
temporal classification: labelling unsegmented sequence data with recurrent neural networks",
ICML): the loss of a label string given framewise network outputs, without an alignment.

The outputs a_t (C = n_labels + 1 per frame) are turned into y_t = softmax(a_t); column 0 is the
blank, label k is column k + 1. With the extended string l' = (blank, l_1, blank, l_2, ..., l_U,
blank) of length 2U + 1, every path pi over frames 1..T that collapses to l (repeats merged, then
blanks removed) contributes prod_t y_t(pi_t), and p(l | x) is their sum, computed in log space by
the forward (alpha) recursion (Graves et al. eq. 5-8):

    alpha_1(0) = y_1(blank), alpha_1(1) = y_1(l_1), alpha_1(s) = 0 for s > 1
    alpha_t(s) = (alpha_{t-1}(s) + alpha_{t-1}(s-1) [+ alpha_{t-1}(s-2) if l'_s != blank and l'_s != l'_{s-2}]) y_t(l'_s)
    p(l | x) = alpha_T(2U) + alpha_T(2U - 1)

and the backward (beta) recursion, its mirror image. The loss is -ln p(l | x); its gradient with
respect to the unnormalised outputs (eq. 16) is

    d(-ln p) / d a_t(k) = y_t(k) - (1 / p) sum_{s: l'_s = k} alpha_t(s) beta_t(s) / y_t(k).

Decoding is best path (eq. 11): the most probable output per frame, collapsed. The measure is the
label error rate: the edit (Levenshtein) distance of the decoding to the target over the target's
length, summed over a split (Graves et al. section 5.1).

The framewise alternative (the upper bound given the alignment): cross-entropy of y_t against a
label per frame (blank on frames that carry no symbol), decoded by the same best path.
"""
import math

import numpy as np
from numba import njit

from evornn.nets.threads import claim

NEG_INF = -np.inf


@njit(cache=True, inline="always")
def logadd(a, b):
    if a == NEG_INF:
        return b
    if b == NEG_INF:
        return a
    if a > b:
        return a + math.log1p(math.exp(b - a))
    return b + math.log1p(math.exp(a - b))


@njit(cache=True)
def log_softmax(A, t0, t1, out):
    """out[t - t0] = log softmax(A[t]) for t in [t0, t1); A (T, C)."""
    C = A.shape[1]
    for t in range(t0, t1):
        m = A[t, 0]
        for k in range(1, C):
            m = max(m, A[t, k])
        z = 0.0
        for k in range(C):
            z += math.exp(A[t, k] - m)
        lz = m + math.log(z)
        for k in range(C):
            out[t - t0, k] = A[t, k] - lz


@njit(cache=True)
def extended(label, u0, u1, ext):
    """ext[0:2U+1] = blank, l_1, blank, ..., l_U, blank (column indices: label k is k + 1)."""
    U = u1 - u0
    for s in range(2 * U + 1):
        ext[s] = 0 if s % 2 == 0 else label[u0 + s // 2] + 1
    return 2 * U + 1


@njit(cache=True)
def ctc_alpha(logy, T, ext, S, la):
    """Log alphas la[0:T, 0:S] from log outputs logy (T, C); returns ln p(l | x) (-inf if impossible)."""
    for t in range(T):
        for s in range(S):
            la[t, s] = NEG_INF
    la[0, 0] = logy[0, ext[0]]
    if S > 1:
        la[0, 1] = logy[0, ext[1]]
    for t in range(1, T):
        for s in range(S):
            a = la[t - 1, s]
            if s >= 1:
                a = logadd(a, la[t - 1, s - 1])
            if s >= 2 and ext[s] != 0 and ext[s] != ext[s - 2]:
                a = logadd(a, la[t - 1, s - 2])
            la[t, s] = a + logy[t, ext[s]] if a != NEG_INF else NEG_INF
    return logadd(la[T - 1, S - 1], la[T - 1, S - 2]) if S > 1 else la[T - 1, 0]


@njit(cache=True)
def ctc_beta(logy, T, ext, S, lb):
    """Log betas lb[0:T, 0:S] (each includes y_t(l'_s), as alpha does)."""
    for t in range(T):
        for s in range(S):
            lb[t, s] = NEG_INF
    lb[T - 1, S - 1] = logy[T - 1, ext[S - 1]]
    if S > 1:
        lb[T - 1, S - 2] = logy[T - 1, ext[S - 2]]
    for t in range(T - 2, -1, -1):
        for s in range(S):
            b = lb[t + 1, s]
            if s + 1 < S:
                b = logadd(b, lb[t + 1, s + 1])
            if s + 2 < S and ext[s] != 0 and ext[s] != ext[s + 2]:
                b = logadd(b, lb[t + 1, s + 2])
            lb[t, s] = b + logy[t, ext[s]] if b != NEG_INF else NEG_INF


@njit(cache=True)
def ctc_grad(logy, T, ext, S, la, lb, logp, D, d0, scale):
    """D[d0 + t, k] = scale * d(-ln p)/d a_t(k) (Graves et al. eq. 16); la, lb from ctc_alpha/beta."""
    C = logy.shape[1]
    acc = np.empty(C)
    for t in range(T):
        for k in range(C):
            acc[k] = NEG_INF
        for s in range(S):
            acc[ext[s]] = logadd(acc[ext[s]], la[t, s] + lb[t, s])
        for k in range(C):
            occ = math.exp(acc[k] - logy[t, k] - logp) if acc[k] != NEG_INF else 0.0
            D[d0 + t, k] = scale * (math.exp(logy[t, k]) - occ)


@njit(cache=True)
def best_path(logy, T, out):
    """Best-path decoding: argmax per frame, repeats merged, blanks (0) removed; out[0:n] gets the
    labels (k for column k + 1); returns n."""
    n = 0
    prev = -1
    for t in range(T):
        k = 0
        for j in range(1, logy.shape[1]):
            if logy[t, j] > logy[t, k]:
                k = j
        if k != prev and k != 0:
            out[n] = k - 1
            n += 1
        prev = k
    return n


@njit(cache=True)
def edit_distance(a, na, b, u0, u1):
    """Levenshtein distance between a[0:na] and b[u0:u1]."""
    nb = u1 - u0
    row = np.empty(nb + 1, dtype=np.int64)
    for j in range(nb + 1):
        row[j] = j
    for i in range(1, na + 1):
        diag = row[0]
        row[0] = i
        for j in range(1, nb + 1):
            up = row[j]
            cost = 0 if a[i - 1] == b[u0 + j - 1] else 1
            row[j] = min(min(row[j] + 1, row[j - 1] + 1), diag + cost)
            diag = up
    return row[nb]


@njit(cache=True)
def sequence_loss(A, t0, t1, label, u0, u1, frames, framewise, logy, la, lb, ext, dec, D, scale):
    """Loss of one sequence (frames A[t0:t1] of outputs) and its edit distance after best-path
    decoding. framewise: cross-entropy against ``frames[t]`` (column per frame) instead of CTC. With
    D (not empty), writes scale * d loss / d A[t] into D[t0:t1]."""
    T = t1 - t0
    log_softmax(A, t0, t1, logy)
    if framewise:
        loss = 0.0
        for t in range(T):
            loss -= logy[t, frames[t0 + t]]
            if D.shape[0]:
                for k in range(A.shape[1]):
                    D[t0 + t, k] = scale * (math.exp(logy[t, k]) - (1.0 if k == frames[t0 + t] else 0.0))
    else:
        S = extended(label, u0, u1, ext)
        logp = ctc_alpha(logy, T, ext, S, la)
        loss = -logp
        if D.shape[0]:
            if logp == NEG_INF:
                for t in range(T):
                    for k in range(A.shape[1]):
                        D[t0 + t, k] = 0.0
            else:
                ctc_beta(logy, T, ext, S, lb)
                ctc_grad(logy, T, ext, S, la, lb, logp, D, t0, scale)
    n = best_path(logy, T, dec)
    return loss, edit_distance(dec, n, label, u0, u1)


@njit(cache=True, nogil=True)
def score_population(Y, starts, label, label_starts, frames, framewise, loss, edits, seq_right, rows, n_rows):
    """Per individual p of Y (P, T, C) float64 outputs: loss[p] summed over sequences (NaN when an
    output is not finite), edits[p] summed edit distances, seq_right[p, s] 1 when decoded exactly."""
    S = starts.shape[0] - 1
    C = Y.shape[2]
    Tm, Um = 1, 1
    for s in range(S):
        Tm = max(Tm, starts[s + 1] - starts[s])
        Um = max(Um, label_starts[s + 1] - label_starts[s])
    logy = np.empty((Tm, C))
    la = np.empty((Tm, 2 * Um + 1))
    lb = np.empty((Tm, 2 * Um + 1))
    ext = np.empty(2 * Um + 1, dtype=np.int64)
    dec = np.empty(Tm, dtype=np.int64)
    D = np.empty((0, C))
    for _ in range(n_rows):
        p = claim(rows, n_rows)
        if p >= n_rows:
            break
        A = Y[p]
        finite = True
        for t in range(A.shape[0]):
            for k in range(C):
                if not math.isfinite(A[t, k]):
                    finite = False
        if not finite:
            loss[p] = np.nan
            edits[p] = 0
            seq_right[p, :] = 0
            continue
        tot, ed = 0.0, 0
        for s in range(S):
            l, e = sequence_loss(A, starts[s], starts[s + 1], label, label_starts[s], label_starts[s + 1], frames,
                                 framewise, logy, la, lb, ext, dec, D, 1.0)
            tot += l
            ed += e
            seq_right[p, s] = 1 if e == 0 else 0
        loss[p] = tot
        edits[p] = ed
