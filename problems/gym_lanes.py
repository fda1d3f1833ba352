"""The ``gym`` problem's SIMD kernels (``simd = true``): networks stepped in the lanes of one vector.

The one-network kernels (:mod:`evornn.problems.gym_kernels`) step one network at a time with
libm's exp and tanh: about 10 ns per unit, most of a small network's step and, on the cheap
classic-control environments, most of an environment step. Here a thread keeps a *block* of N = 8
float64 lanes (:mod:`evornn.nets.lanes`), each lane one (chromosome, episode) pair with its own
environment state, and steps the networks of all eight in one call of the network's lane step
(``step_lanes`` of its cells, exp and tanh of :mod:`evornn.nets.vmath` computed in the vector).
The environment steps, resets and decoding stay one lane at a time, in the same functions as the
one-network kernel. A lane whose episode ends takes the next pair no thread has taken (its weights
copied into the lane, its workspace rows zeroed), so every episode still stops at its own end.

Results: a lane does the same arithmetic as every other lane, so a pair's return does not depend
on its lane, its neighbours, the population or the number of threads; the port and the Gymnasium
path give the same returns with ``simd`` as without it (:func:`step_population_lanes` is the
Gymnasium path's network step). They differ from the one-network kernels' in the last bits of exp
and tanh (vmath is within 2 ulp of libm), which a closed loop can amplify into a different
episode: ``simd`` is an option, off by default, so runs and figures made without it reproduce.
"""
import math

import numpy as np
from numba import literally, njit

from evornn.nets.kernels import all_finite
from evornn.nets.lanes import borrow, keep as keep_alive, nlanes
from evornn.nets.layer import NIN, NOUT, YOFF
from evornn.nets.specialise import net_step_lanes
from evornn.nets.threads import claim

from .gym_kernels import decode, feed
from .gym_ports import port_observe, port_reset, port_step


@njit(cache=True, error_model="numpy", inline="always")
def _take(l, W, seeds, Wb, ws, S, t, ret, pair, env, obs, keep, off, scale, returns, steps, rows, n_rows):
    """Lane ``l`` takes the next (chromosome, episode) pair no thread has taken: its weights into
    the lane, its workspace rows zeroed, its environment reset and its first observation fed in.
    Pairs with NaN or Inf weights are recorded (NaN return, 0 steps) and skipped. False when none is
    left (the lane's weights are then zeroed, so the lane computes finite numbers nobody reads)."""
    N = nlanes(Wb)
    E = seeds.shape[1]
    n_params = W.shape[1]
    ws_rows = ws.shape[0] // N
    while True:
        k = claim(rows, n_rows)
        if k >= n_rows:
            pair[l] = -1
            for j in range(n_params):
                Wb[j * N + l] = 0.0
            return False
        p = k // E
        e = k - p * E
        if not all_finite(W[p]):
            returns[p, e] = math.nan
            steps[p, e] = 0
            continue
        for j in range(n_params):
            Wb[j * N + l] = W[p, j]
        for r in range(ws_rows):
            ws[r * N + l] = 0.0
        s = port_reset(env, seeds[p, e])
        S[l, 0], S[l, 1], S[l, 2], S[l, 3] = s[0], s[1], s[2], s[3]
        port_observe(env, s, obs)
        feed(ws, l, N, obs, keep, off, scale)
        t[l] = 0
        ret[l] = 0.0
        pair[l] = k
        return True


@njit(cache=True, nogil=True, error_model="numpy")
def run_port_lanes(key, env, discrete, L, ix, fx, ws_len, n_obs, W, seeds, keep, off, scale, low, high,
                   max_steps, returns, steps, rows, n_rows):
    """:func:`evornn.problems.gym_kernels.run_port_episodes` with the networks in lanes: every pair
    k = p * E + e (chromosome W[p], episode reset with seeds[p, e]) into returns[p, e] and
    steps[p, e]. ``key``: the network's structure key; ``key``, ``env`` and ``discrete`` are
    literals (:func:`evornn.nets.threads.run_rows` with ``n_literal=3``)."""
    literally(key)
    literally(env)
    literally(discrete)
    last = L.shape[0] - 1
    yo, n_out = L[last, YOFF], L[last, NOUT]
    N = nlanes(W)
    Wb0 = np.zeros(W.shape[1] * N)
    ws0 = np.zeros(ws_len * N)
    obs = np.empty(n_obs)
    S = np.zeros((N, 4))
    t = np.zeros(N, dtype=np.int64)
    ret = np.zeros(N)
    pair = np.full(N, -1, dtype=np.int64)
    Lb, ixb, fxb, wb, ws = borrow(L), borrow(ix), borrow(fx), borrow(Wb0), borrow(ws0)
    live = 0
    for l in range(N):
        if _take(l, W, seeds, Wb0, ws0, S, t, ret, pair, env, obs, keep, off, scale, returns, steps, rows, n_rows):
            live += 1
    E = seeds.shape[1]
    while live > 0:
        net_step_lanes(key, Lb, ixb, fxb, wb, ws)
        for l in range(N):
            k = pair[l]
            if k < 0:
                continue
            a, u, ok = decode(ws, yo * N + l, N, n_out, discrete, low, high)
            t[l] += 1
            if ok:
                s, r, term = port_step(env, (S[l, 0], S[l, 1], S[l, 2], S[l, 3]), t[l] == 1, a, u)
                S[l, 0], S[l, 1], S[l, 2], S[l, 3] = s[0], s[1], s[2], s[3]
                ret[l] += r
                done = term or t[l] >= max_steps
                if not done:                    # the next step's inputs
                    port_observe(env, s, obs)
                    feed(ws, l, N, obs, keep, off, scale)
            else:
                ret[l] = math.nan               # a non-finite output ends the episode (as one network)
                done = True
            if done:
                p = k // E
                returns[p, k - p * E] = ret[l]
                steps[p, k - p * E] = t[l]
                if not _take(l, W, seeds, Wb0, ws0, S, t, ret, pair, env, obs, keep, off, scale, returns, steps,
                             rows, n_rows):
                    live -= 1
    keep_alive(Wb0)                            # alive as long as their borrowed views
    keep_alive(ws0)


@njit(cache=True, nogil=True, error_model="numpy")
def step_population_lanes(key, L, ix, fx, Wb, WS, X, Y, who, rows, n_rows):
    """The Gymnasium path's network step with ``simd``: lane i (an environment) is lane i % N of
    block i // N, chromosome block Wb[b] and workspace WS[b] kept between calls; ``who`` (R,), the
    lanes still running in increasing order, get inputs X[r] (R, n_in) and outputs Y[r] (R, n_out).
    Blocks with no running lane are skipped. Rows are blocks (:func:`evornn.nets.threads.run_rows`,
    ``key`` a literal structure key)."""
    literally(key)
    n_in = L[0, NIN]
    last = L.shape[0] - 1
    n_out, yo = L[last, NOUT], L[last, YOFF]
    N = nlanes(Wb)
    for _ in range(n_rows):
        b = claim(rows, n_rows)
        if b >= n_rows:
            break
        lo = np.searchsorted(who, b * N)
        hi = np.searchsorted(who, (b + 1) * N)
        if lo == hi:
            continue
        ws = WS[b]
        for r in range(lo, hi):
            l = who[r] - b * N
            for j in range(n_in):
                ws[j * N + l] = X[r, j]
        net_step_lanes(key, L, ix, fx, Wb[b], ws)
        for r in range(lo, hi):
            l = who[r] - b * N
            for j in range(n_out):
                Y[r, j] = ws[(yo + j) * N + l]
