"""Backpropagation through time with the CTC loss (Graves et al. 2006) or, given the alignment, the
framewise cross-entropy: the gradient with respect to the outputs comes from the forward-backward
recursions of :mod:`evornn.problems.ctc_kernel` (eq. 16), then flows back through the readout and
the recurrent core as in :mod:`evornn.grad.bptt` (same architectures, same layout).

Loss: the summed loss of the chosen streams divided by their number (the ``loss`` metric of
``ctc-stream`` on them). Streams of a mini-batch run in ``N_CHUNKS`` fixed chunks summed in order.
"""
from __future__ import annotations

import numpy as np
from numba import literally, njit

from evornn.nets.cells import dense as dense_cell
from evornn.nets.layer import CODE, NOUT
from evornn.nets.specialise import KERNEL_ROLES
from evornn.nets.threads import claim
from evornn.problems import ctc_kernel as C

from . import bptt, cells


@njit(inline="always")
def stream_grad(c, L, fx, w, X, t0, t1, label, u0, u1, frames, framewise, scale, sw, out, A, Yo, D, logy, la, lb,
                ext, dec, dS, dSp, delta, tmp, G):
    """Forward over X[t0:t1], the loss's output gradient, backward; adds into G, returns scale * loss.
    ``c``: the core's cell code, a literal (:func:`evornn.grad.bptt.core_forward`)."""
    has_core = c != dense_cell.CODE
    k0 = 1 if has_core else 0
    n_dense = L.shape[0] - k0
    n_out = Yo.shape[1]
    A[0, :] = 0.0
    for t in range(t0, t1):
        r = t - t0 + 1
        if has_core:
            bptt.core_forward(c, L, fx, w, X[t], A, r)
            if n_dense:
                cells.dense_forward(L, k0, w, A[r], 0, A[r], sw)
        else:
            cells.dense_forward(L, 0, w, X[t], 0, A[r], 0)
        for j in range(n_out):
            Yo[t, j] = A[r, out + j]
    loss, _e = C.sequence_loss(Yo, t0, t1, label, u0, u1, frames, framewise, logy, la, lb, ext, dec, D, scale)
    for j in range(sw):
        dS[j] = 0.0
    for t in range(t1 - 1, t0 - 1, -1):
        r = t - t0 + 1
        for j in range(n_out):
            delta[j] = D[t, j]
        if n_dense:
            if has_core:
                cells.dense_backward(L, k0, w, A[r], 0, A[r], sw, delta, tmp, G)
                for j in range(L[0, NOUT]):
                    dS[j] += delta[j]
            else:
                cells.dense_backward(L, 0, w, X[t], 0, A[r], 0, delta, tmp, G)
        else:
            for j in range(n_out):
                dS[out + j] += delta[j]
        if has_core:
            for j in range(sw):
                dSp[j] = 0.0
            bptt.core_backward(c, L, fx, w, X[t], A, r, dS, dSp, tmp, G)
            for j in range(sw):
                dS[j] = dSp[j]
    return scale * loss


KERNEL_ROLES["stream_grads"] = "CTC gradient"


@njit(cache=True, nogil=True)
def stream_grads(c, L, fx, w, X, starts, label, label_starts, frames, seqs, framewise, scale, sw, width, out,
                 scratch, n_out, Gs, losses, rows, n_rows):
    """Chunk ``ch`` of the streams (seqs[ch::n_rows]) into Gs[ch] and losses[ch], chunks taken one at a
    time (:func:`evornn.grad.bptt.run_chunks`); ``c``: the core's cell code, a literal."""
    literally(c)
    n = seqs.shape[0]
    T, U = 1, 1
    for q in range(n):
        s = seqs[q]
        T = max(T, starts[s + 1] - starts[s])
        U = max(U, label_starts[s + 1] - label_starts[s])
    for _ in range(n_rows):
        ch = claim(rows, n_rows)
        if ch >= n_rows:
            break
        A = np.empty((T + 1, width))
        Yo = np.empty((X.shape[0], n_out))
        D = np.empty((X.shape[0], n_out))
        logy = np.empty((T, n_out))
        la = np.empty((T, 2 * U + 1))
        lb = np.empty((T, 2 * U + 1))
        ext = np.empty(2 * U + 1, dtype=np.int64)
        dec = np.empty(T, dtype=np.int64)
        dS = np.zeros(max(sw, 1))
        dSp = np.zeros(max(sw, 1))
        delta = np.zeros(scratch)
        tmp = np.zeros(scratch)
        for q in range(ch, n, n_rows):
            s = seqs[q]
            losses[ch] += stream_grad(c, L, fx, w, X, starts[s], starts[s + 1], label, label_starts[s],
                                      label_starts[s + 1], frames, framewise, scale, sw, out, A, Yo, D, logy, la, lb,
                                      ext, dec, dS, dSp, delta, tmp, Gs[ch])


def gradient_bytes(net, data) -> int:
    """What :func:`gradient` over every stream of ``data`` allocates (the memory guard's estimate):
    per chunk at work at once (one per thread), the stored rows over the longest stream, the
    network's outputs and their deltas over the whole data (as the kernel keeps them), the
    log-probabilities, the alpha and beta lattices and the scratch vectors. (The chunks' partial
    gradients are the trainer's own estimate.)"""
    sw, width, out, scratch = bptt.geometry(net)
    S, n_out, rows = int(data.n_sequences), int(net.n_outputs), int(data.X.shape[0])
    T = int(np.max(np.diff(data.starts))) if S else 1
    U = int(np.max(np.diff(data.label_starts))) if S else 1
    chunk = ((T + 1) * width + 2 * rows * n_out + T * n_out + 2 * T * (2 * U + 1) + 2 * U + 1 + T
             + 2 * max(sw, 1) + 2 * max(scratch, n_out + 1))
    return bptt.chunks_alive(S) * chunk * 8


def gradient(net, w: np.ndarray, data, seqs: np.ndarray | None = None,
             framewise: bool = False) -> tuple[float, np.ndarray]:
    """(mean loss per stream, its gradient) of chromosome ``w`` over streams ``seqs`` (default all) of
    ``data`` (:class:`~evornn.problems.ctc_stream.StreamData`)."""
    bptt.check_supported(net)
    w = np.ascontiguousarray(w, dtype=np.float64)
    if w.shape != (net.n_params,):
        raise ValueError(f"chromosome must have shape ({net.n_params},) for {net.name}, got {w.shape}")
    S = data.n_sequences
    seqs = np.arange(S, dtype=np.int64) if seqs is None else np.ascontiguousarray(seqs, dtype=np.int64)
    if seqs.size == 0:
        return 0.0, np.zeros(net.n_params)
    sw, width, out, scratch = bptt.geometry(net)
    loss, G = bptt.run_chunks(stream_grads, int(net.L[0, CODE]), seqs.size, net.n_params, net.L, net.fx, w,
                              data.X, data.starts, data.label, data.label_starts, data.frames, seqs, bool(framewise),
                              1.0 / seqs.size, sw, width, out, max(scratch, net.n_outputs + 1), net.n_outputs)
    return float(loss), G
