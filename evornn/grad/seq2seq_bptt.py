"""Backpropagation through time for encoder-decoder (``seq2seq``) networks.

Werbos (1990) through both cores: the target's softmax cross-entropy is backpropagated through the
readout and the decoder, then, from the decoder's initial state (the encoder's final state, as the
switch :mod:`evornn.nets.cells.encdec_switch` copies it), through the encoder. Decoding follows
:mod:`evornn.problems.transduction_kernel` (teacher forcing, free running or scheduled sampling);
the fed-back symbols are inputs, not differentiated through (an argmax has no gradient; Bengio et
al. 2015 do the same).

Loss: the summed cross-entropy of the target symbols of the chosen strings divided by their
number: the ``ce`` metric of the problem on those strings. Encoder and decoder must be the same
cell, one of elman, frnn, lstm, gru, indrnn (the cells with BPTT steps, :mod:`evornn.grad.bptt`).
Strings of a mini-batch run in ``N_CHUNKS`` fixed chunks summed in order (deterministic).
"""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
from numba import literally, njit

from evornn.nets.cells import gru, indrnn, lstm, srn
from evornn.nets.layer import CODE, NIN, NOUT, OPT2
from evornn.nets.specialise import KERNEL_ROLES
from evornn.nets.threads import claim
from evornn.problems.transduction_kernel import FREE, TEACHER, splitmix_next

from . import bptt, cells

CORES = {srn.CODE, lstm.CODE, gru.CODE, indrnn.CODE}


def check_supported(net) -> None:
    """A one-line ValueError unless ``net`` is a seq2seq network BPTT can train."""
    codes = [int(c) for c in net.L[:, CODE]]
    if net.name != "seq2seq" or len(codes) != 4 or codes[1] != codes[2] or codes[1] not in CORES:
        raise ValueError("bptt trains seq2seq networks whose encoder and decoder are the same cell, one of "
                         "elman, frnn, lstm, gru, indrnn")
    if codes[1] == lstm.CODE and (net.L[1, OPT2] or net.L[2, OPT2]):
        raise ValueError("bptt does not train seq2seq networks with the lstm option readout_inputs")


def tables(net):
    """(encoder table (1 row), decoder table (core + readout), store width, row width, output column)."""
    Le = np.ascontiguousarray(net.L[1:2])
    Ld = np.ascontiguousarray(net.L[2:4])
    sw, width, out, scratch = bptt.geometry(SimpleNamespace(L=Ld, n_outputs=net.n_outputs))
    return Le, Ld, sw, width, out, scratch


def gradient_bytes(net, data) -> int:
    """What :func:`gradient` over every string of ``data`` allocates (the memory guard's estimate):
    per chunk at work at once (one per thread), the stored encoder and decoder rows and inputs over
    the longest strings and the scratch vectors. (The chunks' partial gradients are the trainer's
    own estimate.)"""
    Le, Ld, sw, width, out, scratch = tables(net)
    n_in, S = int(Ld[0, NIN]), int(data.n_sequences)
    Ts = int(np.max(np.diff(data.src_starts))) if S else 1
    Tt = int(np.max(np.diff(data.tgt_starts))) if S else 1
    chunk = (Ts + Tt + 2) * (width + n_in) + 2 * max(sw, 1) + 2 * scratch
    return bptt.chunks_alive(S) * chunk * 8


@njit(inline="always")
def string_grad(c, Le, Ld, fx, w, src, s0, s1, tgt, u0, u1, mode, p_teacher, seed, scale, sw, out,
                Ae, Ad, Xe, Xd, dS, dSp, delta, tmp, G):
    """Forward (encoder rows Ae, decoder rows Ad, fed inputs Xe, Xd) and backward of one string;
    adds scale * d(cross-entropy)/dw into G and returns scale * cross-entropy. ``c``: the cores' cell
    code, a literal (:func:`evornn.grad.bptt.core_forward`)."""
    n_in = Ld[0, NIN]
    n_out = Ld[1, NOUT]
    Ae[0, :] = 0.0
    for i in range(s0, s1):
        r = i - s0 + 1
        Xe[r, :] = 0.0
        Xe[r, src[i]] = 1.0
        bptt.core_forward(c, Le, fx, w, Xe[r], Ae, r)
    Te = s1 - s0
    Ad[0, :] = 0.0
    for j in range(sw):
        Ad[0, j] = Ae[Te, j]
    prev = n_in - 2
    state = np.uint64(seed)
    loss = 0.0
    for i in range(u0, u1):
        r = i - u0 + 1
        Xd[r, :] = 0.0
        Xd[r, prev] = 1.0
        Xd[r, n_in - 1] = 1.0
        bptt.core_forward(c, Ld, fx, w, Xd[r], Ad, r)
        cells.dense_forward(Ld, 1, w, Ad[r], 0, Ad[r], sw)
        m = Ad[r, out]
        best = 0
        for j in range(1, n_out):
            if Ad[r, out + j] > m:
                m = Ad[r, out + j]
                best = j
        z = 0.0
        for j in range(n_out):
            z += math.exp(Ad[r, out + j] - m)
        loss += scale * (m + math.log(z) - Ad[r, out + tgt[i]])
        if mode == TEACHER:
            prev = tgt[i]
        elif mode == FREE:
            prev = best
        else:
            state, u = splitmix_next(state)
            prev = tgt[i] if u < p_teacher else best
    for j in range(sw):
        dS[j] = 0.0
    for i in range(u1 - 1, u0 - 1, -1):
        r = i - u0 + 1
        m = Ad[r, out]
        for j in range(1, n_out):
            m = max(m, Ad[r, out + j])
        z = 0.0
        for j in range(n_out):
            z += math.exp(Ad[r, out + j] - m)
        for j in range(n_out):
            delta[j] = scale * (math.exp(Ad[r, out + j] - m) / z - (1.0 if j == tgt[i] else 0.0))
        cells.dense_backward(Ld, 1, w, Ad[r], 0, Ad[r], sw, delta, tmp, G)
        for j in range(Ld[0, NOUT]):
            dS[j] += delta[j]
        for j in range(sw):
            dSp[j] = 0.0
        bptt.core_backward(c, Ld, fx, w, Xd[r], Ad, r, dS, dSp, tmp, G)
        for j in range(sw):
            dS[j] = dSp[j]
    for i in range(s1 - 1, s0 - 1, -1):        # dS: the adjoint of the encoder's final state
        r = i - s0 + 1
        for j in range(sw):
            dSp[j] = 0.0
        bptt.core_backward(c, Le, fx, w, Xe[r], Ae, r, dS, dSp, tmp, G)
        for j in range(sw):
            dS[j] = dSp[j]
    return loss


KERNEL_ROLES["string_grads"] = "seq2seq gradient"


@njit(cache=True, nogil=True)
def string_grads(c, Le, Ld, fx, w, src, src_starts, tgt, tgt_starts, seqs, seeds, mode, p_teacher, scale, sw,
                 width, out, scratch, Gs, losses, rows, n_rows):
    """Chunk ``ch`` of the strings (seqs[ch::n_rows]) into Gs[ch] and losses[ch], chunks taken one at a
    time (:func:`evornn.grad.bptt.run_chunks`); ``c``: the cores' cell code, a literal."""
    literally(c)
    n = seqs.shape[0]
    Ts, Tt = 1, 1
    for q in range(n):
        s = seqs[q]
        Ts = max(Ts, src_starts[s + 1] - src_starts[s])
        Tt = max(Tt, tgt_starts[s + 1] - tgt_starts[s])
    n_in = Ld[0, NIN]
    for _ in range(n_rows):
        ch = claim(rows, n_rows)
        if ch >= n_rows:
            break
        Ae = np.empty((Ts + 1, width))
        Ad = np.empty((Tt + 1, width))
        Xe = np.empty((Ts + 1, n_in))
        Xd = np.empty((Tt + 1, n_in))
        dS = np.zeros(max(sw, 1))
        dSp = np.zeros(max(sw, 1))
        delta = np.zeros(scratch)
        tmp = np.zeros(scratch)
        for q in range(ch, n, n_rows):
            s = seqs[q]
            losses[ch] += string_grad(c, Le, Ld, fx, w, src, src_starts[s], src_starts[s + 1], tgt, tgt_starts[s],
                                      tgt_starts[s + 1], mode, p_teacher, seeds[q], scale, sw, out, Ae, Ad, Xe,
                                      Xd, dS, dSp, delta, tmp, Gs[ch])


def gradient(net, w: np.ndarray, data, seqs: np.ndarray | None = None, mode: int = TEACHER,
             p_teacher: float = 1.0, seed: int = 0) -> tuple[float, np.ndarray]:
    """(mean cross-entropy, its gradient) of chromosome ``w`` over strings ``seqs`` (default all) of
    ``data`` (:class:`~evornn.problems.transduction.SymbolData`); ``seed`` draws scheduled sampling
    (string q of the batch gets its own stream)."""
    check_supported(net)
    w = np.ascontiguousarray(w, dtype=np.float64)
    if w.shape != (net.n_params,):
        raise ValueError(f"chromosome must have shape ({net.n_params},) for {net.name}, got {w.shape}")
    S = data.n_sequences
    seqs = np.arange(S, dtype=np.int64) if seqs is None else np.ascontiguousarray(seqs, dtype=np.int64)
    n = int(sum(data.tgt_starts[s + 1] - data.tgt_starts[s] for s in seqs))
    if n == 0:
        return 0.0, np.zeros(net.n_params)
    from evornn.seeding import eval_seeds
    seeds = eval_seeds(int(seed), 0, seqs.shape[0])
    Le, Ld, sw, width, out, scratch = tables(net)
    loss, G = bptt.run_chunks(string_grads, int(Ld[0, CODE]), seqs.shape[0], net.n_params, Le, Ld, net.fx, w,
                              data.src, data.src_starts, data.tgt, data.tgt_starts, seqs, seeds, int(mode),
                              float(p_teacher), 1.0 / n, sw, width, out, scratch)
    return float(loss), G
