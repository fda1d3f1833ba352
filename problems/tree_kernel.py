"""The recursive network over a forest, for a whole population: one Numba kernel (prange over
individuals), each tree evaluated in post-order with the composition of
:mod:`evornn.nets.cells.recursive`, then the network's dense readout on the root.

A forest is flat arrays: for node n (trees concatenated, each in post-order, its root last),
``sym[n]`` >= 0 is a leaf's symbol (the one-hot input whose embedding is column ``sym`` of E) and
-1 an internal node whose children are ``left[n]`` and ``right[n]`` (indices into the same
arrays, earlier in the same tree); ``starts`` (n_trees + 1) are the trees' offsets.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from evornn.nets.activations import activate


@njit(cache=True, parallel=True, error_model="numpy")
def forest_outputs(W, p, H, n_in, act, p_out, n_out, out_act, sym, left, right, starts, max_nodes, out):
    """out[q, t, :] = the network outputs of individual q (row of W) on tree t. ``p_out`` < 0: no
    readout (the outputs are the root's first ``n_out`` units)."""
    P, T = W.shape[0], starts.shape[0] - 1
    p_w = p + H * n_in
    p_b = p_w + 2 * H * H
    for q in prange(P):
        w = W[q]
        h = np.empty((max_nodes, H))
        for t in range(T):
            s0 = starts[t]
            for n in range(s0, starts[t + 1]):
                k = n - s0
                if sym[n] >= 0:
                    for i in range(H):
                        h[k, i] = w[p + i * n_in + sym[n]]
                else:
                    lft, rgt = left[n] - s0, right[n] - s0
                    for i in range(H):
                        a = w[p_b + i]
                        row = p_w + i * 2 * H
                        for j in range(H):
                            a += w[row + j] * h[lft, j] + w[row + H + j] * h[rgt, j]
                        h[k, i] = activate(act, a)
            root = starts[t + 1] - 1 - s0
            for j in range(n_out):
                if p_out < 0:
                    out[q, t, j] = h[root, j]
                else:
                    a = w[p_out + n_out * H + j]
                    for i in range(H):
                        a += w[p_out + j * H + i] * h[root, i]
                    out[q, t, j] = activate(out_act, a)
