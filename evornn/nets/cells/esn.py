"""Echo state network reservoir (Jaeger 2001, "The 'echo state' approach to analysing and training
recurrent neural networks", GMD Report 148; leaky-integrator units from Jaeger, Lukosevicius,
Popovici & Siewert 2007, "Optimization and applications of echo state networks with
leaky-integrator neurons", Neural Networks 20(3)).

    x_t = (1 - a) x_{t-1} + a tanh(W_in u_t + b + W_res x_{t-1}),   x_0 = 0

The reservoir is fixed and is not part of the chromosome: it is drawn with numpy from ``seed``
(in this order: the sparsity mask of W_res, its values uniform in [-1, 1], W_in, b).
W_res (H, H) keeps each entry with probability ``density`` (default min(1, 10/H)) and is then
scaled to spectral radius ``spectral_radius`` (default 0.9, computed with numpy.linalg.eigvals);
W_in (H, n_in) and b (H) are uniform in [-input_scaling, input_scaling]; a is ``leak_rate`` in
(0, 1]. The core's output is [u_t; x_t] (``readout_inputs``, default True) or x_t; the ESN
architecture puts a dense readout on it, and that readout is the whole chromosome.

Fixed data: floats [a, W_in (H * n_in, row-major), b (H), W_res values (nnz)], ints
[row pointers (H + 1), column indices (nnz)] (CSR, so a reservoir costs O(nnz), not O(H^2)).
Workspace: x (H), x_new (H). :func:`reservoir` reads them back as dense arrays.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..layer import FOFF, IOFF, NIN, NUNITS, OPT1, SOFF, XOFF, YOFF, LayerSpec, sizing
from ..lanes import U, lane_acc, lcopy, ldot_fixed, lfill, like, lstore, nlanes
from ..linalg import copy
from ..vmath import vtanh
from .options import activation, integer, real

CODE = 9


def build(n_in: int, n_hidden: int, n_out: int, act: int, *, seed: int = 0, density: float | None = None,
          spectral_radius: float = 0.9, input_scaling: float = 1.0, leak_rate: float = 1.0,
          readout_inputs: bool = True) -> LayerSpec:
    H = n_hidden
    activation("esn", act, ("tanh",))
    seed = integer("esn", "seed", seed, 0)
    density = real("esn", "density", min(1.0, 10.0 / H) if density is None else density, 0.0, 1.0, lo_open=True)
    spectral_radius = real("esn", "spectral_radius", spectral_radius, 0.0, lo_open=True)
    input_scaling = real("esn", "input_scaling", input_scaling, 0.0)
    leak_rate = real("esn", "leak_rate", leak_rate, 0.0, 1.0, lo_open=True)
    if not isinstance(readout_inputs, (bool, np.bool_)):
        raise ValueError(f"esn: readout_inputs must be True or False, got {readout_inputs!r}")
    if n_out != H:
        raise ValueError(f"esn: the core's output is its whole state (n_out = n_hidden = {H}), asked for {n_out}")
    n_core_out = H + n_in if readout_inputs else H
    opts = {"seed": seed, "density": density, "spectral_radius": spectral_radius,
            "input_scaling": input_scaling, "leak_rate": leak_rate, "readout_inputs": bool(readout_inputs)}
    if sizing():   # the layout only: the reservoir's expected size and what drawing it takes (dense H x H)
        nnz = density * H * H
        fixed = 8 * (1 + H * n_in + H + nnz) + 8 * (H + 1 + nnz)
        drawing = 17 * H * H       # the mask (1 byte), the values and W (8 each) alive together
        return LayerSpec(CODE, n_in, n_core_out, H, [], 2 * H, [], opts=(int(bool(readout_inputs)),),
                         kind="esn", options=opts, deferred_bytes=int(fixed + drawing))
    rng = np.random.default_rng(seed)
    mask = rng.random((H, H)) < density
    W = np.where(mask, rng.uniform(-1.0, 1.0, (H, H)), 0.0)
    rho = float(np.max(np.abs(np.linalg.eigvals(W))))
    if not rho > 1e-12:
        raise ValueError(f"esn: the reservoir drawn with seed={seed}, density={density:g} has spectral radius 0; "
                         "raise density or change seed")
    W *= spectral_radius / rho
    W_in = rng.uniform(-input_scaling, input_scaling, (H, n_in))
    b = rng.uniform(-input_scaling, input_scaling, H)
    rows, cols = np.nonzero(W)
    indptr = np.searchsorted(rows, np.arange(H + 1)).astype(np.int64)
    floats = np.concatenate([[leak_rate], W_in.ravel(), b, W[rows, cols]])
    ints = np.concatenate([indptr, cols.astype(np.int64)])
    return LayerSpec(CODE, n_in, n_core_out, H, [], 2 * H, [], opts=(int(bool(readout_inputs)),),
                     floats=floats, ints=ints, kind="esn", options=opts)


def reservoir(net, layer: int = 0) -> dict[str, np.ndarray | float]:
    """The fixed reservoir of the ESN layer ``layer`` of ``net``, read back from the network's fixed
    data (``net.fx``/``net.ix``) as dense arrays: ``W_res`` (H, H), ``W_in`` (H, n_in), ``b`` (H)
    and ``leak_rate``."""
    row = net.L[layer]
    if row[0] != CODE:
        raise ValueError(f"layer {layer} of {net.name} is not an esn reservoir")
    H, n_in, f, i = int(row[NUNITS]), int(row[NIN]), int(row[FOFF]), int(row[IOFF])
    indptr = net.ix[i:i + H + 1]
    nnz = int(indptr[-1])
    cols = net.ix[i + H + 1:i + H + 1 + nnz]
    v0 = f + 1 + H * n_in + H
    W = np.zeros((H, H))
    W[np.repeat(np.arange(H), np.diff(indptr)), cols] = net.fx[v0:v0 + nnz]
    return {"W_res": W, "W_in": net.fx[f + 1:f + 1 + H * n_in].reshape(H, n_in).copy(),
            "b": net.fx[f + 1 + H * n_in:v0].copy(), "leak_rate": float(net.fx[f])}


@njit(cache=True, error_model="numpy")
def step(L, k, ix, fx, w, ws):
    n_in, H, with_u = L[k, NIN], L[k, NUNITS], L[k, OPT1]
    s, u, y, f, i0 = L[k, SOFF], L[k, XOFF], L[k, YOFF], L[k, FOFF], L[k, IOFF]
    a = fx[f]
    p_in = f + 1
    p_b = p_in + H * n_in
    p_v = p_b + H
    c0 = i0 + H + 1
    x_new = s + H
    for i in range(H):
        z = fx[p_b + i]
        for j in range(n_in):
            z += fx[p_in + i * n_in + j] * ws[u + j]
        for e in range(ix[i0 + i], ix[i0 + i + 1]):
            z += fx[p_v + e] * ws[s + ix[c0 + e]]
        ws[x_new + i] = (1.0 - a) * ws[s + i] + a * math.tanh(z)
    copy(ws, x_new, ws, s, H)
    if with_u:
        copy(ws, u, ws, y, n_in)
        copy(ws, s, ws, y + n_in, H)
    else:
        copy(ws, s, ws, y, H)


@njit(cache=True, error_model="numpy")
def step_lanes(L, k, ix, fx, W, ws):
    """:func:`step` for a block of individuals (evornn.nets.lanes): the reservoir's fixed weights are
    the same for every lane; tanh and the leaky update run over all units at once."""
    n_in, H, with_u = L[k, NIN], L[k, NUNITS], L[k, OPT1]
    s, u, y, f, i0 = L[k, SOFF], L[k, XOFF], L[k, YOFF], L[k, FOFF], L[k, IOFF]
    a = like(fx[f], ws)
    keep = like(1.0 - fx[f], ws)
    p_in = f + 1
    p_b = p_in + H * n_in
    p_v = p_b + H
    c0 = i0 + H + 1
    x_new = s + H
    n = nlanes(ws)
    z = lane_acc(ws)
    for i in range(H):                          # z = W_in u + b + W_res x_{t-1} into row x_new + i
        lfill(z, like(fx[p_b + i], ws))
        ldot_fixed(z, fx, p_in + i * n_in, ws, u, n_in)
        for e in range(ix[i0 + i], ix[i0 + i + 1]):
            v = like(fx[p_v + e], ws)
            o = U((s + ix[c0 + e]) * n)
            for l in range(U(n)):
                z[l] += v * ws[o + l]
        lstore(ws, x_new + i, z)
    on, os_ = U(x_new * n), U(s * n)
    for e in range(U(H * n)):
        ws[on + e] = keep * ws[os_ + e] + a * vtanh(ws[on + e])
    lcopy(ws, x_new, s, H)
    if with_u:
        lcopy(ws, u, y, n_in)
        lcopy(ws, s, y + n_in, H)
    else:
        lcopy(ws, s, y, H)
