"""Backpropagation through time: the gradient of the MSE over the scored steps w.r.t. the chromosome.

Werbos (1990), "Backpropagation through time: what it does and how to do it", Proc. IEEE 78(10);
truncated BPTT as in Williams & Peng (1990), "An efficient gradient-based algorithm for on-line
training of recurrent network trajectories", Neural Computation 2(4), in its epochwise form
BPTT(k, k): each sequence is cut into windows of ``k`` steps, the state is carried forward across
windows but the error is not carried backward across them (k = 0, or k >= the sequence length, is
full BPTT, identical to the last bit).

Loss: E = sum over the scored steps t of the chosen sequences and outputs j of (y_tj - d_tj)^2,
divided by (scored steps * outputs): the ``mse`` metric of :mod:`evornn.problems.supervised` on
teacher-forced inputs. Inputs are always the dataset's X (teacher forcing, also for tasks that
run free when they are evaluated).

Supported: mlp, elman, frnn, jordan, lstm, gru, indrnn (a recurrent core, or none for the mlp,
then dense layers). Sequences of a mini-batch run in parallel in ``N_CHUNKS`` fixed chunks whose
gradients are summed in chunk order, so the result does not depend on the number of threads. The
kernels are compiled per core cell (the cell code a literal) and run on the population kernels'
thread pool instead of ``prange``: a first Elman gradient from an empty cache took 48 s with every
cell compiled into a ``prange`` kernel, 10 s now (``benchmarks/bench_compile.py --bptt``).
"""
from __future__ import annotations

import numpy as np
from numba import literally, njit, types
from numba.core import errors
from numba.extending import overload

from evornn.nets.cells import dense as dense_cell, gru, indrnn, jordan, lstm, srn
from evornn.nets.kernels import SEQUENTIAL
from evornn.nets.specialise import KERNEL_ROLES
from evornn.nets.threads import claim, run_rows
from evornn.nets.layer import CODE, NIN, NOUT, NUNITS, OPT2

from . import cells, gated

SUPPORTED = ("mlp", "elman", "frnn", "jordan", "lstm", "gru", "indrnn")
N_CHUNKS = 16      # fixed, not the thread count: the reduction order never changes
KERNEL_ROLES["chunk_grads"] = "BPTT gradient"


READOUT_INPUTS = ("bptt", "dekf")     # the methods that support lstm's readout_inputs


def check_supported(net, method: str = "bptt", supported: tuple[str, ...] = SUPPORTED) -> None:
    """Raise a one-line ValueError unless ``net`` is an architecture ``method`` supports."""
    ok = net.name in supported and net.kind == SEQUENTIAL
    if ok:
        codes = [int(c) for c in net.L[:, CODE]]
        first = 0 if codes[0] == dense_cell.CODE else 1
        ok = all(c == dense_cell.CODE for c in codes[first:]) and (codes[0] != jordan.CODE or len(codes) == 1)
    if not ok:
        raise ValueError(f"{method} does not support architecture {net.name!r}; supported: {', '.join(supported)}")
    if method not in READOUT_INPUTS and int(net.L[0, CODE]) == lstm.CODE and net.L[0, OPT2]:
        raise ValueError(f"{method} does not support the lstm option readout_inputs ({' and '.join(READOUT_INPUTS)} do)")


def chunks_alive(n_sequences: int) -> int:
    """Chunks whose stored states exist at once: each thread takes its chunks one after another
    (the arrays of one are freed before the next), so at most one per thread."""
    import numba
    return max(1, min(int(n_sequences), N_CHUNKS, int(numba.config.NUMBA_NUM_THREADS)))


def geometry(net) -> tuple[int, int, int, int]:
    """(store width sw, row width, column of the network output in a row, scratch length)."""
    L = net.L
    c, H, n_o = int(L[0, CODE]), int(L[0, NUNITS]), int(L[0, NOUT])
    sw = {dense_cell.CODE: 0, srn.CODE: H, indrnn.CODE: H, lstm.CODE: 6 * H, gru.CODE: 4 * H,
          jordan.CODE: 2 * n_o + H}[c]
    if c == lstm.CODE and L[0, OPT2]:
        sw += int(L[0, NIN])                 # readout_inputs: x stored after h (evornn.grad.gated)
    first = 0 if c == dense_cell.CODE else 1
    width = sw + int(L[first:, NOUT].sum())
    if first < L.shape[0]:
        out = width - net.n_outputs          # the last dense layer
    else:
        out = n_o + H if c == jordan.CODE else 0    # jordan: y in its store; frnn: the first units
    scratch = int(max(L[:, NIN].max(), L[:, NOUT].max(), L[:, NUNITS].max())) + sw + n_o + 1
    return sw, width, out, scratch


def core_forward(c, L, fx, w, x, A, r):
    """Forward step of the core, cell code ``c``: a compile-time literal, so a kernel holds only
    that cell's steps (its callers are compiled per cell; :func:`run_chunks`). Numba kernels only."""
    raise TypeError("core_forward runs inside Numba kernels only")


def core_backward(c, L, fx, w, x, A, r, dS, dSp, tmp, G):
    """Backward step of the core, cell code ``c`` a literal (see :func:`core_forward`)."""
    raise TypeError("core_backward runs inside Numba kernels only")


_FORWARD = {srn.CODE: cells.srn_forward, indrnn.CODE: cells.indrnn_forward, jordan.CODE: cells.jordan_forward,
            lstm.CODE: gated.lstm_forward, gru.CODE: gated.gru_forward}
_BACKWARD = {srn.CODE: cells.srn_backward, indrnn.CODE: cells.indrnn_backward,
             jordan.CODE: cells.jordan_backward, lstm.CODE: gated.lstm_backward, gru.CODE: gated.gru_backward}


def _cell_code(c) -> int:
    if not isinstance(c, types.IntegerLiteral):
        raise errors.TypingError("the core's cell code must be a compile-time literal (numba.literally)")
    return c.literal_value


@overload(core_forward, inline="always")
def _core_forward(c, L, fx, w, x, A, r):
    f = _FORWARD.get(_cell_code(c))
    if f is None:                           # no recurrent core (mlp): the kernels never call it
        return lambda c, L, fx, w, x, A, r: None
    return lambda c, L, fx, w, x, A, r: f(L, fx, w, x, A, r)


@overload(core_backward, inline="always")
def _core_backward(c, L, fx, w, x, A, r, dS, dSp, tmp, G):
    f = _BACKWARD.get(_cell_code(c))
    if f is None:
        return lambda c, L, fx, w, x, A, r, dS, dSp, tmp, G: None
    return lambda c, L, fx, w, x, A, r, dS, dSp, tmp, G: f(L, fx, w, x, A, r, dS, dSp, tmp, G)


@njit(inline="always")
def sequence_grad(c, L, fx, w, X, Y, mask, t0, t1, trunc, scale, sw, out, A, dS, dSp, delta, tmp, G):
    """Forward over X[t0:t1] storing rows A[1..T], then backward; adds scale * dE/dw into G.

    Returns scale * (sum of squared errors over the scored steps). ``trunc`` > 0: window length.
    ``c``: the core's cell code, a literal.
    """
    has_core = c != dense_cell.CODE
    k0 = 1 if has_core else 0
    n_dense = L.shape[0] - k0
    n_out = Y.shape[1]
    A[0, :] = 0.0
    for t in range(t0, t1):
        r = t - t0 + 1
        if has_core:
            core_forward(c, L, fx, w, X[t], A, r)
            if n_dense:
                cells.dense_forward(L, k0, w, A[r], 0, A[r], sw)
        else:
            cells.dense_forward(L, 0, w, X[t], 0, A[r], 0)
    loss = 0.0
    for j in range(sw):
        dS[j] = 0.0
    for t in range(t1 - 1, t0 - 1, -1):
        r = t - t0 + 1
        if mask[t]:
            for j in range(n_out):
                e = A[r, out + j] - Y[t, j]
                loss += scale * e * e
                delta[j] = 2.0 * scale * e
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
            core_backward(c, L, fx, w, X[t], A, r, dS, dSp, tmp, G)
            cut = trunc > 0 and (t - t0) % trunc == 0
            for j in range(sw):
                dS[j] = 0.0 if cut else dSp[j]
    return loss


@njit(cache=True, nogil=True)
def chunk_grads(c, L, fx, w, X, Y, mask, starts, seqs, trunc, scale, sw, width, out, scratch, Gs, losses,
                rows, n_rows):
    """Gs[ch] = scale * gradient over the sequences seqs[ch::n_rows] of chunk ``ch``, losses[ch] their
    scale * SSE; chunks taken one at a time by the threads of :func:`evornn.nets.threads.run_rows`.
    ``c``: the core's cell code (``L[0, CODE]``), a literal."""
    literally(c)
    n = seqs.shape[0]
    T = 1
    for q in range(n):
        T = max(T, starts[seqs[q] + 1] - starts[seqs[q]])
    for _ in range(n_rows):
        ch = claim(rows, n_rows)
        if ch >= n_rows:
            break
        A = np.empty((T + 1, width))
        dS = np.zeros(max(sw, 1))
        dSp = np.zeros(max(sw, 1))
        delta = np.zeros(scratch)
        tmp = np.zeros(scratch)
        for q in range(ch, n, n_rows):
            s = seqs[q]
            losses[ch] += sequence_grad(c, L, fx, w, X, Y, mask, starts[s], starts[s + 1], trunc, scale, sw, out,
                                        A, dS, dSp, delta, tmp, Gs[ch])


def run_chunks(kernel, c: int, n: int, n_params: int, *args) -> tuple[float, np.ndarray]:
    """Run a gradient kernel over ``n`` items in ``min(n, N_CHUNKS)`` chunks on the thread pool
    (:func:`evornn.nets.threads.run_rows`), compiled for the core's cell code ``c`` only (the first
    BPTT run compiles one cell, not all of them); the chunks' gradients and losses summed in chunk
    order, so the result does not depend on the number of threads."""
    n_chunks = min(n, N_CHUNKS)
    Gs = np.zeros((n_chunks, n_params))
    losses = np.zeros(n_chunks)
    run_rows(kernel, 1, n_chunks, c, *args, Gs, losses)
    G = np.zeros(n_params)
    loss = 0.0
    for ch in range(n_chunks):
        G += Gs[ch]
        loss += losses[ch]
    return loss, G


def gradient(net, w: np.ndarray, data, seqs: np.ndarray | None = None,
             truncation: int = 0) -> tuple[float, np.ndarray]:
    """(MSE, dMSE/dw) of chromosome ``w`` over sequences ``seqs`` (default all) of ``data``.

    ``data``: a :class:`~evornn.problems.supervised.SequenceData` (or anything with X, Y, starts,
    mask); ``truncation``: BPTT window k (0 = full BPTT). The gradient has the chromosome's indexing.
    """
    check_supported(net)
    w = np.ascontiguousarray(w, dtype=np.float64)
    if w.shape != (net.n_params,):
        raise ValueError(f"chromosome must have shape ({net.n_params},) for {net.name}, got {w.shape}")
    X, Y, starts, mask = (np.ascontiguousarray(a) for a in (data.X, data.Y, data.starts, data.mask))
    if X.shape[1] != net.n_inputs or Y.shape[1] != net.n_outputs:
        raise ValueError(f"data has {X.shape[1]} inputs and {Y.shape[1]} outputs, {net.name} "
                         f"{net.n_inputs} and {net.n_outputs}")
    S = starts.shape[0] - 1
    seqs = np.arange(S, dtype=np.int64) if seqs is None else np.ascontiguousarray(seqs, dtype=np.int64)
    if truncation < 0:
        raise ValueError(f"truncation must be >= 0 (0 = full BPTT), got {truncation}")
    n_scored = int(sum(mask[starts[s]:starts[s + 1]].sum() for s in seqs))
    if n_scored == 0:
        return 0.0, np.zeros(net.n_params)
    sw, width, out, scratch = geometry(net)
    scale = 1.0 / (n_scored * net.n_outputs)
    loss, G = run_chunks(chunk_grads, int(net.L[0, CODE]), seqs.shape[0], net.n_params, net.L, net.fx, w, X, Y,
                         mask.astype(np.uint8), starts, seqs, int(truncation), scale, sw, width, out, scratch)
    return float(loss), G
