"""Asynchronous Hopfield recall with incremental local fields: the bits of the ``hopfield`` kernel,
faster.

The kernel (:mod:`evornn.nets.cells.hopfield`) computes, at every visit of unit i, the field
h_i = sum_{j != i} W_ij s_j - theta_i afresh (j increasing, theta subtracted last): O(N) a visit,
O(N^2) a sweep, and a recall from a 10% noisy probe takes two sweeps or more (the last one only
checks that nothing changes). Here each recall keeps every unit's field up to date instead:
computed once from the start state, then h += 2 s_i W[:, i] when unit i changes (O(N) a change),
so that a visit costs O(1) and a recall O(N^2 + changes x N).

Rounding: the incremental fields are summed in another order than the kernel's, so they can differ
from the kernel's field in the last bits, and near a zero field (the tie rule keeps the state)
their signs can differ. Each visit therefore decides by the incremental field only when its sign
is certain to be the kernel's: |h_i| > tol_i, where tol_i bounds the distance between the two
computed fields. Otherwise the visit computes the field exactly as the kernel does (same terms,
same order) and decides by that. Every decision is then the kernel's, so the states, the number
of sweeps and the outputs are the same, bit for bit (tests/test_hopfield_fields.py).

The bound, with u = 2^-53 and B_i = sum_j |W_ij| + |theta_i| (|h_i| <= B_i for every state):
recursive summation of n terms errs by at most gamma_{n-1} sum |terms| (Higham, Accuracy and
Stability of Numerical Algorithms, 2002, eq. 4.4), in any order, gamma_n = n u / (1 - n u): the
kernel's sum (N terms) by gamma_{N-1} B_i, the initial incremental field (-theta_i, then the N
columns, the zero diagonal included) by gamma_N B_i, and each of the K changes of the recall so far
adds one rounding, at most u |h_new| <= u (B_i + the error so far). The two fields thus differ by
less than (2N + K) u (1 + 0.01) B_i while (2N + K) u < 0.01; tol_i = 2 (2N + K + 8) u B_i, computed in
floating point, is above that. Units whose B_i is outside [2^-900, 2^900] are decided by the exact
field at every visit: no underflow or overflow in the bound, and none in their incremental fields. Rows with a NaN or Inf give NaN outputs, like the kernels.

Only the asynchronous update in float64 (the ``hopfield`` network's default; both engines compute
the same bits there); :func:`applies` says when.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .threads import claim, run_rows

U_ROUND = 2.0 ** -53
B_LOW, B_HIGH = 2.0 ** -900, 2.0 ** 900


def applies(net) -> bool:
    """True for a one-layer ``hopfield`` network with asynchronous updates run in float64."""
    return (net.name == "hopfield" and len(net.layers) == 1 and net.layers[0].options["update"] == "async"
            and net.dtype == "float64")


def recall_population(net, W: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Outputs (P, T, n_out) of every row of W (P, n_params) for every probe (row) of X (T, N):
    what ``net.run_population(W, X, starts)`` gives for any ``starts`` (each step is one recall)."""
    if not applies(net):
        raise ValueError(f"incremental-field recall is for asynchronous float64 hopfield networks, got {net!r}")
    W = np.ascontiguousarray(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[1] != net.n_params:
        raise ValueError(f"population must have shape (P, {net.n_params}) for {net.name}, got {W.shape}")
    X, _ = net.check_inputs(X)
    opts = net.layers[0].options
    order = np.ascontiguousarray(net.ix, dtype=np.int64)
    Y = np.empty((W.shape[0], X.shape[0], net.n_outputs))
    run_rows(recall_rows, 0, W.shape[0], W, X, order, int(net.n_inputs), int(net.n_outputs),
             int(opts["max_sweeps"]), Y)
    return Y


@njit(cache=True, nogil=True, error_model="numpy")
def _exact_field(M, s, i, theta_i):
    """The kernel's field: sum_{j != i} W_ij s_j, j increasing, from 0.0, then minus theta_i."""
    N = s.shape[0]
    h = 0.0
    for j in range(i):
        h += M[i, j] * s[j]
    for j in range(i + 1, N):
        h += M[i, j] * s[j]
    return h - theta_i


@njit(cache=True, nogil=True, error_model="numpy")
def recall_one(M, theta, B, fast, order, x, max_sweeps, s, h):
    """One asynchronous recall from probe x with the full symmetric matrix M (zero diagonal): the
    final state in s (h: workspace). ``B`` the units' bounds sum_j |W_ij| + |theta_i|, ``fast[i]``
    False where unit i must always be decided by its exact field. Returns the number of changes and
    the number of visits decided by the exact field."""
    N = s.shape[0]
    for i in range(N):
        s[i] = 1.0 if x[i] >= 0.0 else -1.0
        h[i] = -theta[i]
    for j in range(N):                          # h = -theta + sum_j s_j M[j, :] (M symmetric)
        sj = s[j]
        for i in range(N):
            h[i] += sj * M[j, i]
    K = n_exact = 0
    for _ in range(max_sweeps):
        changed = False
        for q in range(N):
            i = order[q]
            hi = h[i]
            tol = 2.0 * (2 * N + K + 8) * U_ROUND * B[i]
            cur = s[i]
            if fast[i] and hi > tol:
                v = 1.0
            elif fast[i] and hi < -tol:
                v = -1.0
            else:
                e = _exact_field(M, s, i, theta[i])
                n_exact += 1
                v = 1.0 if e > 0.0 else (-1.0 if e < 0.0 else cur)
            if v != cur:
                s[i] = v
                K += 1
                d = v + v
                for j in range(N):              # M[i, i] = 0: h[i] is unchanged
                    h[j] += d * M[i, j]
                changed = True
        if not changed:
            break
    return K, n_exact


@njit(cache=True, nogil=True, error_model="numpy")
def unpack(w, N, M, theta, B, fast):
    """The full symmetric matrix M (zero diagonal), the thresholds, the bounds B and the fast flags
    of chromosome w (the upper triangle row by row, then theta). False when w has a NaN or Inf."""
    p = 0
    for i in range(N):
        M[i, i] = 0.0
        for j in range(i + 1, N):
            M[i, j] = w[p]
            M[j, i] = w[p]
            p += 1
    ok = True
    for k in range(w.shape[0]):
        ok &= np.isfinite(w[k])
    for i in range(N):
        theta[i] = w[p + i]
        b = abs(theta[i])
        for j in range(N):
            b += abs(M[i, j])
        B[i] = b
        fast[i] = B_LOW <= b <= B_HIGH
    return ok


@njit(cache=True, nogil=True, error_model="numpy")
def recall_rows(W, X, order, N, n_out, max_sweeps, Y, rows, n_rows):
    """Y[p, t] = the first n_out units of the recall of chromosome W[p] from probe X[t], rows taken
    by :func:`evornn.nets.threads.run_rows`."""
    M = np.empty((N, N))
    theta, B = np.empty(N), np.empty(N)
    fast = np.empty(N, dtype=np.bool_)
    s, h = np.empty(N), np.empty(N)
    for _ in range(n_rows):
        p = claim(rows, n_rows)
        if p >= n_rows:
            break
        if not unpack(W[p], N, M, theta, B, fast):
            Y[p, :, :] = np.nan
            continue
        for t in range(X.shape[0]):
            recall_one(M, theta, B, fast, order, X[t], max_sweeps, s, h)
            for i in range(n_out):
                Y[p, t, i] = s[i]
