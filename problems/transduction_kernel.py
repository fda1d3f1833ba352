"""The Numba kernel of sequence transduction with an encoder-decoder (``seq2seq``) network.

For each sequence the network reads the source symbols (one-hot, phase flag 0), then produces the
target one symbol per step (phase flag 1). The decoder's input at a target step is its previous
symbol as a one-hot vector (a GO column at the first step), chosen by the decoding mode:

* ``TEACHER``: the true previous target symbol (teacher forcing, Williams & Zipser 1989);
* ``FREE``: the network's own previous prediction, the argmax of its outputs (greedy decoding);
* ``SCHEDULED``: per step, the true symbol with probability ``p_teacher``, else the network's own
  (scheduled sampling, Bengio, Vinyals, Jaitly & Shazeer 2015), drawn from the individual's seed.

Input columns: ``n_sym`` symbols, GO, phase flag (last). The outputs are scores of the ``n_sym``
symbols; the loss is their softmax cross-entropy. One individual at a time (float64, the
network's keyed one-individual steps), rows taken by :func:`evornn.nets.threads.run_rows`.

Outputs per individual p: ``ce[p]`` the summed cross-entropy (nats) over every target symbol
(NaN when an output was not finite), ``n_right[p]`` target steps whose argmax is right,
``seq_right[p, s]`` 1 when every step of sequence s is right.
"""
import math

import numpy as np
from numba import literally, njit

from evornn.nets.kernels import all_finite
from evornn.nets.layer import NIN, NOUT, YOFF
from evornn.nets.specialise import net_step_keyed
from evornn.nets.threads import claim

TEACHER, FREE, SCHEDULED = 0, 1, 2


@njit(cache=True)
def splitmix_next(state):
    """(new state, uniform in [0, 1)) from a splitmix64 state (uint64)."""
    state = state + np.uint64(0x9E3779B97F4A7C15)
    z = state
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return state, (z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def log_softmax_at(out, n, j):
    """log softmax(out[0:n])[j]."""
    m = out[0]
    for i in range(1, n):
        if out[i] > m:
            m = out[i]
    acc = 0.0
    for i in range(n):
        acc += math.exp(out[i] - m)
    return out[j] - m - math.log(acc)


@njit(cache=True)
def argmax(out, n):
    best = 0
    for i in range(1, n):
        if out[i] > out[best]:
            best = i
    return best


@njit(cache=True)
def set_symbol(ws, n_in, sym, flag):
    """Network input: one-hot ``sym`` (the GO column is n_in - 2), phase flag in the last column."""
    for j in range(n_in):
        ws[j] = 0.0
    ws[sym] = 1.0
    ws[n_in - 1] = flag


@njit(inline="always", error_model="numpy")
def run_individual(key, L, ix, fx, w, ws, src, src_starts, tgt, tgt_starts, mode, p_teacher, seed, seq_right_p):
    """Run chromosome ``w`` over every sequence; returns (summed cross-entropy, right steps)."""
    n_in = L[0, NIN]
    last = L.shape[0] - 1
    n_out, y0 = L[last, NOUT], L[last, YOFF]
    go = n_in - 2
    state = np.uint64(seed)
    ce = 0.0
    n_right = 0
    for s in range(src_starts.shape[0] - 1):
        ws[:] = 0.0
        for i in range(src_starts[s], src_starts[s + 1]):
            set_symbol(ws, n_in, src[i], 0.0)
            net_step_keyed(key, L, ix, fx, w, ws)
        prev = go
        ok = True
        for i in range(tgt_starts[s], tgt_starts[s + 1]):
            set_symbol(ws, n_in, prev, 1.0)
            net_step_keyed(key, L, ix, fx, w, ws)
            out = ws[y0:y0 + n_out]
            ce -= log_softmax_at(out, n_out, tgt[i])
            guess = argmax(out, n_out)
            if guess == tgt[i] and math.isfinite(out[guess]):
                n_right += 1
            else:
                ok = False
            if mode == TEACHER:
                prev = tgt[i]
            elif mode == FREE:
                prev = guess
            else:
                state, u = splitmix_next(state)
                prev = tgt[i] if u < p_teacher else guess
        seq_right_p[s] = 1 if ok else 0
    return ce, n_right


@njit(cache=True, nogil=True, error_model="numpy")
def score_population(key, L, ix, fx, W, ws_len, src, src_starts, tgt, tgt_starts, mode, p_teacher, seeds,
                     ce, n_right, seq_right, rows, n_rows):
    """Score every row of W (P, n_params) float64; seeds (P,) uint64 (scheduled sampling); src, tgt
    int64 symbols with starts (S+1,) int64; ce (P,) float64, n_right (P,) int64, seq_right (P, S)
    uint8 written. ``key``: the network's structure key, a literal."""
    literally(key)
    for _ in range(n_rows):
        p = claim(rows, n_rows)
        if p >= n_rows:
            break
        w = W[p]
        if not all_finite(w):
            ce[p] = np.nan
            n_right[p] = 0
            seq_right[p, :] = 0
            continue
        ws = np.empty(ws_len)
        c, r = run_individual(key, L, ix, fx, w, ws, src, src_starts, tgt, tgt_starts, mode, p_teacher,
                              seeds[p], seq_right[p])
        ce[p] = c if math.isfinite(c) else np.nan
        n_right[p] = r
