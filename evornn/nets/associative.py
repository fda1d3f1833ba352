"""Associative memories in closed form: the storage rules and the energy of Hopfield networks and
BAMs (the architectures ``hopfield``, ``hopfield-continuous`` and ``bam``).

Each rule returns a chromosome of the given network that stores the patterns:

* :func:`hebbian` (Hopfield 1982): W = (1/N) sum_mu xi^mu xi^mu^T, zero diagonal, thresholds 0.
* :func:`storkey` (Storkey 1997, "Increasing the capacity of a Hopfield network without
  sacrificing functionality", ICANN): patterns added one at a time,
  W_ij += (1/N) (xi_i xi_j - xi_i h_ji - h_ij xi_j), h_ij = sum_{k != i, j} W_ik xi_k.
* :func:`pseudo_inverse` (Personnaz, Guyon & Dreyfus 1985, the projection rule):
  W = X^T (X X^T)^+ X for the patterns X (P, N), diagonal set to zero (Kanter & Sompolinsky 1987).
* :func:`correlation` (Kosko 1988), for a BAM: W = sum_k A_k^T B_k, thresholds 0.
* :func:`modern` (Ramsauer et al. 2020), for a ``modern-hopfield`` network: the stored patterns
  are the patterns themselves, X = the patterns (one memory slot each).

Patterns are bipolar (+1/-1) rows.
"""
from __future__ import annotations

import numpy as np

HOPFIELDS = ("hopfield", "hopfield-continuous")


def _bipolar(X, what: str) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 1 or not np.all(np.abs(X) == 1.0):
        raise ValueError(f"{what} must be a (count, units) array of +1/-1 values, got shape {X.shape}")
    return X


def upper(M: np.ndarray) -> np.ndarray:
    """The upper triangle (i < j) of a square matrix, row by row: the hopfield ``W`` block."""
    return M[np.triu_indices(M.shape[0], 1)]


def symmetric(w_upper: np.ndarray, N: int) -> np.ndarray:
    """The symmetric N x N matrix with zero diagonal whose upper triangle is ``w_upper``."""
    M = np.zeros((N, N))
    M[np.triu_indices(N, 1)] = w_upper
    return M + M.T


def _hopfield_chromosome(net, M: np.ndarray) -> np.ndarray:
    if net.name not in HOPFIELDS:
        raise ValueError(f"this storage rule is for {' and '.join(HOPFIELDS)} networks, got {net.name!r}")
    N = net.n_inputs
    if M.shape != (N, N):
        raise ValueError(f"{net.name}: patterns must have {N} units, got {M.shape[0]}")
    bias = "theta" if net.name == "hopfield" else "I"
    return net.flatten({"W": upper(M), bias: np.zeros(N)})


def hebbian(net, patterns) -> np.ndarray:
    """Hebb's outer-product rule (1/N scaling, zero diagonal, zero thresholds)."""
    X = _bipolar(patterns, "patterns")
    M = X.T @ X / X.shape[1]
    np.fill_diagonal(M, 0.0)
    return _hopfield_chromosome(net, M)


def storkey(net, patterns) -> np.ndarray:
    """Storkey's incremental rule (zero thresholds)."""
    X = _bipolar(patterns, "patterns")
    N = X.shape[1]
    M = np.zeros((N, N))
    for xi in X:
        h = M @ xi                                   # h_i = sum_k W_ik xi_k (W_ii = 0)
        H = h[:, None] - M * xi[None, :]             # H_ij = sum_{k != i, j} W_ik xi_k
        M = M + (np.outer(xi, xi) - xi[:, None] * H.T - H * xi[None, :]) / N
        np.fill_diagonal(M, 0.0)
    return _hopfield_chromosome(net, M)


def pseudo_inverse(net, patterns) -> np.ndarray:
    """The projection rule: W = X^T (X X^T)^+ X, zero diagonal, zero thresholds."""
    X = _bipolar(patterns, "patterns")
    M = X.T @ np.linalg.pinv(X @ X.T) @ X
    np.fill_diagonal(M, 0.0)
    return _hopfield_chromosome(net, M)


def correlation(net, A, B) -> np.ndarray:
    """Kosko's correlation encoding of the pairs (A_k, B_k) into a ``bam`` network."""
    if net.name != "bam":
        raise ValueError(f"correlation encoding is for bam networks, got {net.name!r}")
    A, B = _bipolar(A, "A patterns"), _bipolar(B, "B patterns")
    n, p = net.layout["W"][1]
    if A.shape[0] != B.shape[0] or A.shape[1] != n or B.shape[1] != p:
        raise ValueError(f"bam: pairs must be A ({n} units) and B ({p} units) in equal numbers, "
                         f"got {A.shape} and {B.shape}")
    return net.flatten({"W": A.T @ B, "theta_a": np.zeros(n), "theta_b": np.zeros(p)})


def modern(net, patterns) -> np.ndarray:
    """The chromosome of a ``modern-hopfield`` network that stores ``patterns`` (P, N): its memories
    X are the patterns, row by row (the network needs ``memories`` = P)."""
    if net.name != "modern-hopfield":
        raise ValueError(f"the modern storage rule is for modern-hopfield networks, got {net.name!r}")
    X = _bipolar(patterns, "patterns")
    M, N = net.layout["X"][1]
    if X.shape != (M, N):
        raise ValueError(f"modern-hopfield: the network holds {M} memories of {N} units, so it stores {M} patterns "
                         f"of {N} units (set memories = {X.shape[0]}), got {X.shape[0]} of {X.shape[1]}")
    return net.flatten({"X": X})


def stability(net, W, patterns) -> np.ndarray:
    """Gardner's (1988) stabilities of the stored patterns in ``hopfield`` networks, for every row of
    ``W`` (pop, n): gamma[k, mu, i] = xi_i^mu (sum_{j != i} W_ij xi_j^mu - theta_i) / |W_i|, with
    |W_i| the norm of row i of the weight matrix: (pop, P, N). Bit i of pattern mu is stable when
    gamma > 0; the larger the smallest gamma, the larger the patterns' basins of attraction
    (Kepler & Abbott 1988; Krauth & Mezard 1987)."""
    if net.name != "hopfield":
        raise ValueError(f"stabilities are computed here for hopfield networks, got {net.name!r}")
    X = _bipolar(patterns, "patterns")
    W = np.atleast_2d(np.asarray(W, dtype=np.float64))
    N = net.n_inputs
    if X.shape[1] != N:
        raise ValueError(f"hopfield: patterns must have {N} units, got {X.shape[1]}")
    (o_w, (n_w,)), (o_t, _) = net.layout["W"], net.layout["theta"]
    M = np.zeros((W.shape[0], N, N))
    iu = np.triu_indices(N, 1)
    M[:, iu[0], iu[1]] = W[:, o_w:o_w + n_w]
    M += M.transpose(0, 2, 1)
    H = np.einsum("pj,kij->kpi", X, M) - W[:, None, o_t:o_t + N]
    norm = np.sqrt(np.einsum("kij,kij->ki", M, M))
    return X[None] * H / np.where(norm > 0.0, norm, 1.0)[:, None, :]


def bam_stability(net, W, A, B) -> np.ndarray:
    """The stabilities of stored pairs in ``bam`` networks, for every row of ``W`` (pop, n): the
    B bits in the forward pass from A, gamma = B_j (sum_i W_ij A_i - theta_b_j) / |W_:j|, and the A
    bits in the backward pass from B, gamma = A_i (sum_j W_ij B_j - theta_a_i) / |W_i:|: (pop, m, n + p)."""
    if net.name != "bam":
        raise ValueError(f"bam stabilities are for bam networks, got {net.name!r}")
    A, B = _bipolar(A, "A patterns"), _bipolar(B, "B patterns")
    W = np.atleast_2d(np.asarray(W, dtype=np.float64))
    o_w, (n, p) = net.layout["W"]
    if A.shape[0] != B.shape[0] or A.shape[1] != n or B.shape[1] != p:
        raise ValueError(f"bam: pairs must be A ({n} units) and B ({p} units) in equal numbers, "
                         f"got {A.shape} and {B.shape}")
    M = W[:, o_w:o_w + n * p].reshape(-1, n, p)
    o_a, o_b = net.layout["theta_a"][0], net.layout["theta_b"][0]
    th_a, th_b = W[:, o_a:o_a + n], W[:, o_b:o_b + p]
    ha = np.einsum("kij,mj->kmi", M, B) - th_a[:, None, :]
    hb = np.einsum("kij,mi->kmj", M, A) - th_b[:, None, :]
    na, nb = np.sqrt((M ** 2).sum(axis=2)), np.sqrt((M ** 2).sum(axis=1))
    return np.concatenate([A[None] * ha / np.where(na > 0, na, 1.0)[:, None, :],
                           B[None] * hb / np.where(nb > 0, nb, 1.0)[:, None, :]], axis=2)


RULES = {"hebbian": hebbian, "storkey": storkey, "pseudo-inverse": pseudo_inverse}


def energy(net, w, a, b=None) -> np.ndarray:
    """Energy of bipolar states: E = -1/2 s^T W s + theta^T s for a ``hopfield`` network (``a``: (N,)
    or (k, N)); E = -a^T W b + theta_a^T a + theta_b^T b for a ``bam``."""
    params = net.unflatten(w)
    a = np.asarray(a, dtype=np.float64)
    if net.name == "hopfield":
        M = symmetric(params["W"], net.n_inputs)
        return -0.5 * np.einsum("...i,ij,...j->...", a, M, a) + a @ params["theta"]
    if net.name == "bam":
        if b is None:
            raise ValueError("bam energy needs both layers' states a and b")
        b = np.asarray(b, dtype=np.float64)
        return (-np.einsum("...i,ij,...j->...", a, params["W"], b) + a @ params["theta_a"]
                + b @ params["theta_b"])
    raise ValueError(f"energy is defined here for hopfield and bam networks, got {net.name!r}")
