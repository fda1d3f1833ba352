"""The Numba kernels of the ``gym`` problem: the network fused with a ported environment, and one
network step for a whole population (the Gymnasium path).

Both feed the network the same inputs, ``(obs[keep[j]] - off[j]) * scale[j]`` for the observation
entries ``keep`` the mask leaves (``off`` 0 and ``scale`` 1 without normalisation), and decode its
outputs the same way (:func:`decode`), so a ported environment gives the Gymnasium path's returns.
"""
import math

import numpy as np
from numba import literally, njit
from numba.extending import overload

from evornn.nets.kernels import all_finite
from evornn.nets.layer import NIN, NOUT, YOFF
from evornn.nets.specialise import loop_network, net_step_keyed
from evornn.nets.threads import claim

from .gym_ports import f32, port_observe, port_reset, port_step

@njit(cache=True, error_model="numpy", inline="always")
def feed(ws, base, stride, obs, keep, off, scale):
    """The network's inputs ws[base + j * stride] = (obs[keep[j]] - off[j]) * scale[j] (stride 1: one
    network's workspace; N: lane ``base`` of a block's)."""
    for j in range(keep.shape[0]):
        ws[base + j * stride] = (obs[keep[j]] - off[j]) * scale[j]


@njit(cache=True, error_model="numpy", inline="always")
def decode(ws, base, stride, n_out, discrete, low, high):
    """(k, u, ok) from the outputs ws[base + j * stride], j < n_out: Discrete, k = argmax (the first
    of equals); Box (one dimension), u = low + (y + 1) / 2 * (high - low) with y clipped to [-1, 1],
    rounded to float32 (Gymnasium's action dtype). ``ok`` is False when an output is not finite."""
    k = 0
    u = 0.0
    best = ws[base]
    ok = math.isfinite(best)
    for j in range(1, n_out):
        v = ws[base + j * stride]
        ok = ok and math.isfinite(v)
        if v > best:
            best = v
            k = j
    if ok and not discrete:
        y = min(max(ws[base], -1.0), 1.0)
        u = f32(low + (y + 1.0) * 0.5 * (high - low))
    return k, u, ok


@njit(cache=True, error_model="numpy", inline="always")
def _episode(net_step, L, ix, fx, w, ws, obs, seed, env, discrete, keep, off, scale, low, high, max_steps):
    """One episode of port ``env`` reset with ``seed`` (uint64) with network ``w``: (return, steps).

    The return is NaN when a network output is not finite (the episode stops there)."""
    yo = L[L.shape[0] - 1, YOFF]
    n_out = L[L.shape[0] - 1, NOUT]
    ws[:] = 0.0
    s = port_reset(env, seed)
    ret = 0.0
    t = 0
    while t < max_steps:
        port_observe(env, s, obs)
        feed(ws, 0, 1, obs, keep, off, scale)
        net_step(L, ix, fx, w, ws)
        k, u, ok = decode(ws, yo, 1, n_out, discrete, low, high)
        if not ok:
            return math.nan, t + 1
        s, r, term = port_step(env, s, t == 0, k, u)
        ret += r
        t += 1
        if term:
            break
    return ret, t


def episode(key, L, ix, fx, w, ws, obs, seed, env, discrete, keep, off, scale, low, high, max_steps):
    """:func:`_episode` compiled for one network (``key``: :func:`evornn.nets.specialise.network_key`,
    a literal), as the pole kernel does. Numba kernels only."""
    raise TypeError("gym_kernels.episode runs inside Numba kernels only; use the gym problem's run")


@overload(episode, jit_options={"cache": True, "error_model": "numpy"})
def _episode_for(key, L, ix, fx, w, ws, obs, seed, env, discrete, keep, off, scale, low, high, max_steps):
    table, net_step = loop_network(key)
    if table is None:
        def impl(key, L, ix, fx, w, ws, obs, seed, env, discrete, keep, off, scale, low, high, max_steps):
            return _episode(net_step, L, ix, fx, w, ws, obs, seed, env, discrete, keep, off, scale, low, high,
                            max_steps)
    else:
        def impl(key, L, ix, fx, w, ws, obs, seed, env, discrete, keep, off, scale, low, high, max_steps):
            return _episode(net_step, table, ix, fx, w, ws, obs, seed, env, discrete, keep, off, scale, low,
                            high, max_steps)
    return impl


@njit(cache=True, nogil=True, error_model="numpy")
def run_port_episodes(key, env, discrete, L, ix, fx, ws_len, n_obs, W, seeds, keep, off, scale, low, high,
                      max_steps, returns, steps, rows, n_rows):
    """Chromosome W[p] (P, n_params) in the episode reset with seeds[p, e] (P, E) uint64 for every
    pair k = p * E + e:
    returns (P, E) float64 and steps (P, E) int64. The first three arguments are literals (run
    through :func:`evornn.nets.threads.run_rows` with ``n_literal=3``). A chromosome with a NaN or
    Inf gets a NaN return and 0 steps."""
    literally(key)
    literally(env)
    literally(discrete)
    E = seeds.shape[1]
    ws = np.empty(ws_len)         # this thread's workspace, zeroed by every episode
    obs = np.empty(n_obs)
    for _ in range(n_rows):
        k = claim(rows, n_rows)
        if k >= n_rows:
            break
        p = k // E
        e = k - p * E
        w = W[p]
        if not all_finite(w):
            returns[p, e] = math.nan
            steps[p, e] = 0
            continue
        r, t = episode(key, L, ix, fx, w, ws, obs, seeds[p, e], env, discrete, keep, off, scale, low, high,
                       max_steps)
        returns[p, e] = r
        steps[p, e] = t


@njit(cache=True, nogil=True, error_model="numpy")
def step_population(key, L, ix, fx, W, wrow, WS, X, Y, who, rows, n_rows):
    """One network step of the lanes ``who`` (R,): lane i = who[r] runs chromosome W[wrow[i]] with
    workspace WS[i], kept between calls; its inputs are X[r] (R, n_in), its outputs go to Y[r]
    (R, n_out). ``key``: the network's structure key, a literal (run through
    :func:`evornn.nets.threads.run_rows`)."""
    literally(key)
    n_in = L[0, NIN]
    last = L.shape[0] - 1
    n_out, yo = L[last, NOUT], L[last, YOFF]
    for _ in range(n_rows):
        r = claim(rows, n_rows)
        if r >= n_rows:
            break
        i = who[r]
        ws = WS[i]
        for j in range(n_in):
            ws[j] = X[r, j]
        net_step_keyed(key, L, ix, fx, W[wrow[i]], ws)
        for j in range(n_out):
            Y[r, j] = ws[yo + j]
