"""Liquid state machine reservoir: leaky integrate-and-fire units (Maass, Natschlaeger & Markram
2002, "Real-time computing without stable states: a new framework for neural computation based on
perturbations", Neural Computation 14(11)).

Each input step runs ``substeps`` Euler steps of length dt (ms). For unit i, with s_j the spikes
(0 or 1) of the previous Euler step:

    I_i  <- exp(-dt/tau_syn) I_i + sum_j W_ij s_j  [+ sum_k W_in,ik u_k, input "spikes", first substep]
    c_i   = I_b,i [+ sum_k W_in,ik u_k, input "current"] + I_i
    if the unit is refractory (r_i > 0):  r_i <- r_i - 1, v_i <- v_reset, s_i = 0
    else: v_i <- v_i + (dt/tau_m)(c_i - v_i);  if v_i >= v_thresh: s_i = 1, v_i <- v_reset,
          r_i <- round(refractory/dt)
    x_i  <- exp(-dt/tau_out) x_i + s_i            (the spike train filtered by an exponential kernel)

(resting potential 0, input resistance 1: currents in nA give potentials in mV). The core's output
is [u_t; x_t] (``readout_inputs``, default True) or x_t; the lsm architecture puts a dense readout
on it, and that readout is the whole chromosome (evolved, or fitted by ``esn-ridge``).

The liquid is fixed and not part of the chromosome: it is drawn with numpy from ``seed`` (in this
order: which round(inhibitory * H) units are inhibitory (a permutation), the connection mask, the
weight magnitudes, the input mask, the input weights, the background currents). Connections
(no self-connections): with ``grid`` = (a, b, c), a * b * c = H, unit i sits at
numpy.unravel_index(i, grid) and j -> i exists with probability C(type j, type i) exp(-(D(i, j) /
lambda)^2), C = 0.3 (E->E), 0.2 (E->I), 0.4 (I->E), 0.1 (I->I) as in Maass et al. (2002);
without a grid with probability ``density`` (default min(1, 10/H)). Weight magnitudes are uniform
in [0, 2 m] with the means m of Maass et al. scaled by weight_scale / 30 (E->E 30, E->I 60, I->E
19, I->I 19), negative from inhibitory units. Each input reaches each unit with probability
``input_density``, weight uniform in [-input_scaling, input_scaling]; background currents I_b
uniform in [background_low, background_high].

Fixed data: floats [exp(-dt/tau_syn), dt/tau_m, v_thresh, v_reset, exp(-dt/tau_out), W_in (H * n_in,
row-major), I_b (H), W values (nnz)], ints [refractory steps, input mode (0 current, 1 spikes),
substeps, row pointers (H + 1), column indices (nnz)] (CSR). Workspace: v, I, r, s, x (H each).
:func:`reservoir` reads them back as dense arrays. The float64 kernels (lanes and scalar) give the
same spikes as each other and as the equations summed in the order above; with ``dtype="float32"``
a membrane that comes within rounding of the threshold may fire one step apart from float64.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ..layer import FOFF, IOFF, NIN, NUNITS, OPT1, SOFF, XOFF, YOFF, LayerSpec, sizing
from ..lanes import U, lcopy, like, nlanes
from ..linalg import copy
from .options import activation, integer, real

CODE = 23
INPUT_MODES = ("current", "spikes")
# Maass et al. (2002): connection scale C and mean weight (nA) by (presynaptic, postsynaptic) type, E = 0, I = 1
C_TYPE = np.array([[0.3, 0.2], [0.4, 0.1]])
W_MEAN = np.array([[30.0, 60.0], [19.0, 19.0]])
NF = 5          # scalar floats before W_in


def build(n_in: int, n_hidden: int, n_out: int, act: int, *, seed: int = 0, grid=None, connection_lambda: float = 2.0,
          density: float | None = None, inhibitory: float = 0.2, tau_m: float = 30.0, tau_syn: float = 3.0,
          tau_out: float = 30.0, dt: float = 1.0, v_thresh: float = 15.0, v_reset: float = 13.5,
          refractory: float = 2.0, weight_scale: float = 3.0, input_scaling: float = 30.0,
          input_density: float = 0.3, background_low: float = 13.5, background_high: float = 14.5,
          input_mode: str = "current", substeps: int = 1, readout_inputs: bool = True) -> LayerSpec:
    H = n_hidden
    activation("lsm", act, ("linear",))
    seed = integer("lsm", "seed", seed, 0)
    connection_lambda = real("lsm", "connection_lambda", connection_lambda, 0.0, lo_open=True)
    density = real("lsm", "density", min(1.0, 10.0 / H) if density is None else density, 0.0, 1.0)
    inhibitory = real("lsm", "inhibitory", inhibitory, 0.0, 1.0)
    tau_m, tau_syn, tau_out, dt = (real("lsm", k, v, 0.0, lo_open=True) for k, v in
                                   (("tau_m", tau_m), ("tau_syn", tau_syn), ("tau_out", tau_out), ("dt", dt)))
    if dt > tau_m:
        raise ValueError(f"lsm: dt must be <= tau_m for a stable Euler step, got dt={dt:g} > tau_m={tau_m:g}")
    v_thresh = real("lsm", "v_thresh", v_thresh, 0.0, lo_open=True)
    v_reset = real("lsm", "v_reset", v_reset, 0.0, v_thresh, hi_open=True)
    refractory = real("lsm", "refractory", refractory, 0.0)
    weight_scale = real("lsm", "weight_scale", weight_scale, 0.0)
    input_scaling = real("lsm", "input_scaling", input_scaling, 0.0)
    input_density = real("lsm", "input_density", input_density, 0.0, 1.0)
    background_low = real("lsm", "background_low", background_low)
    background_high = real("lsm", "background_high", background_high, background_low)
    substeps = integer("lsm", "substeps", substeps, 1)
    if input_mode not in INPUT_MODES:
        raise ValueError(f"lsm: input_mode must be one of {', '.join(INPUT_MODES)}, got {input_mode!r}")
    if not isinstance(readout_inputs, (bool, np.bool_)):
        raise ValueError(f"lsm: readout_inputs must be True or False, got {readout_inputs!r}")
    if n_out != H:
        raise ValueError(f"lsm: the core's output is its whole state (n_out = n_hidden = {H}), asked for {n_out}")
    if grid is not None:
        ok = isinstance(grid, (list, tuple)) and len(grid) == 3 and all(
            isinstance(g, (int, np.integer)) and not isinstance(g, bool) and g >= 1 for g in grid)
        if not ok or int(np.prod(grid)) != H:
            raise ValueError(f"lsm: grid must be three integers >= 1 whose product is n_hidden = {H}, got {grid!r}")
        grid = [int(g) for g in grid]

    n_core_out = H + n_in if readout_inputs else H
    opts = {"seed": seed, "grid": grid, "connection_lambda": connection_lambda, "density": density,
            "inhibitory": inhibitory, "tau_m": tau_m, "tau_syn": tau_syn, "tau_out": tau_out, "dt": dt,
            "v_thresh": v_thresh, "v_reset": v_reset, "refractory": refractory, "weight_scale": weight_scale,
            "input_scaling": input_scaling, "input_density": input_density, "background_low": background_low,
            "background_high": background_high, "input_mode": input_mode, "substeps": substeps,
            "readout_inputs": bool(readout_inputs)}
    if sizing():   # the layout only: the liquid's size at most (every pair connected) and its dense drawing
        nnz = H * (H - 1)
        fixed = 8 * (NF + H * n_in + H + nnz) + 8 * (3 + H + 1 + nnz)
        drawing = 8 * 6 * H * H + 8 * 3 * H * n_in      # p, mask, magnitudes, W and the type tables alive together
        return LayerSpec(CODE, n_in, n_core_out, H, [], 5 * H, [], opts=(int(bool(readout_inputs)),),
                         kind="lsm", options=opts, deferred_bytes=int(fixed + drawing))
    rng = np.random.default_rng(seed)
    inh = np.zeros(H, dtype=np.int64)
    inh[rng.permutation(H)[:int(round(inhibitory * H))]] = 1
    pre, post = inh[None, :], inh[:, None]                 # W[i, j]: from unit j (pre) to unit i (post)
    if grid is None:
        p = np.full((H, H), density)
    else:
        pos = np.array(np.unravel_index(np.arange(H), grid), dtype=np.float64).T
        d2 = ((pos[:, None, :] - pos[None, :, :]) ** 2).sum(-1)
        p = C_TYPE[pre, post] * np.exp(-d2 / connection_lambda ** 2)
    np.fill_diagonal(p, 0.0)
    mask = rng.random((H, H)) < p
    mag = rng.uniform(0.0, 2.0, (H, H)) * W_MEAN[pre, post] * (weight_scale / 30.0)
    W = np.where(mask, np.where(pre == 1, -mag, mag), 0.0)
    in_mask = rng.random((H, n_in)) < input_density
    W_in = np.where(in_mask, rng.uniform(-input_scaling, input_scaling, (H, n_in)), 0.0)
    I_b = rng.uniform(background_low, background_high, H)

    rows, cols = np.nonzero(W)
    indptr = np.searchsorted(rows, np.arange(H + 1)).astype(np.int64)
    floats = np.concatenate([[np.exp(-dt / tau_syn), dt / tau_m, v_thresh, v_reset, np.exp(-dt / tau_out)],
                             W_in.ravel(), I_b, W[rows, cols]])
    ints = np.concatenate([[int(round(refractory / dt)), INPUT_MODES.index(input_mode), substeps], indptr,
                           cols.astype(np.int64)])
    return LayerSpec(CODE, n_in, n_core_out, H, [], 5 * H, [], opts=(int(bool(readout_inputs)),),
                     floats=floats, ints=ints, kind="lsm", options=opts)


def reservoir(net, layer: int = 0) -> dict:
    """The fixed liquid of the lsm layer ``layer`` of ``net`` as dense arrays and scalars: ``W``
    (H, H), ``W_in`` (H, n_in), ``I_b`` (H), ``inhibitory`` (H, bool: the units with negative
    outgoing weights), and ``syn_decay``, ``k_m``, ``v_thresh``, ``v_reset``, ``out_decay``,
    ``refractory_steps``, ``input_mode``, ``substeps``."""
    row = net.L[layer]
    if row[0] != CODE:
        raise ValueError(f"layer {layer} of {net.name} is not an lsm liquid")
    H, n_in, f, i = int(row[NUNITS]), int(row[NIN]), int(row[FOFF]), int(row[IOFF])
    indptr = net.ix[i + 3:i + 4 + H]
    nnz = int(indptr[-1])
    cols = net.ix[i + 4 + H:i + 4 + H + nnz]
    v0 = f + NF + H * n_in + H
    W = np.zeros((H, H))
    W[np.repeat(np.arange(H), np.diff(indptr)), cols] = net.fx[v0:v0 + nnz]
    sc = net.fx[f:f + NF]
    return {"W": W, "W_in": net.fx[f + NF:f + NF + H * n_in].reshape(H, n_in).copy(),
            "I_b": net.fx[f + NF + H * n_in:v0].copy(), "inhibitory": (W < 0).any(axis=0),
            "syn_decay": float(sc[0]), "k_m": float(sc[1]), "v_thresh": float(sc[2]), "v_reset": float(sc[3]),
            "out_decay": float(sc[4]), "refractory_steps": int(net.ix[i]), "input_mode": INPUT_MODES[int(net.ix[i + 1])],
            "substeps": int(net.ix[i + 2])}


@njit(cache=True, error_model="numpy")
def step(L, k, ix, fx, w, ws):
    n_in, H, with_u = L[k, NIN], L[k, NUNITS], L[k, OPT1]
    s, u, y, f, i0 = L[k, SOFF], L[k, XOFF], L[k, YOFF], L[k, FOFF], L[k, IOFF]
    dsyn, km, thr, vres, dout = fx[f], fx[f + 1], fx[f + 2], fx[f + 3], fx[f + 4]
    p_in = f + NF
    p_b = p_in + H * n_in
    p_v = p_b + H
    nref, spikes_in, nsub = ix[i0], ix[i0 + 1], ix[i0 + 2]
    rp = i0 + 3
    c0 = rp + H + 1
    v, cur, ref, spk, x = s, s + H, s + 2 * H, s + 3 * H, s + 4 * H
    for sub in range(nsub):
        for i in range(H):                          # synaptic currents, from the previous step's spikes
            z = dsyn * ws[cur + i]
            for e in range(ix[rp + i], ix[rp + i + 1]):
                z += fx[p_v + e] * ws[spk + ix[c0 + e]]
            if spikes_in == 1 and sub == 0:
                for j in range(n_in):
                    z += fx[p_in + i * n_in + j] * ws[u + j]
            ws[cur + i] = z
        for i in range(H):                          # membranes
            c = fx[p_b + i]
            if spikes_in == 0:
                for j in range(n_in):
                    c += fx[p_in + i * n_in + j] * ws[u + j]
            c += ws[cur + i]
            fired = 0.0
            if ws[ref + i] > 0.0:
                ws[ref + i] -= 1.0
                ws[v + i] = vres
            else:
                vi = ws[v + i] + km * (c - ws[v + i])
                if vi >= thr:
                    fired = 1.0
                    vi = vres
                    ws[ref + i] = nref
                ws[v + i] = vi
            ws[spk + i] = fired
            ws[x + i] = dout * ws[x + i] + fired
    if with_u:
        copy(ws, u, ws, y, n_in)
        copy(ws, x, ws, y + n_in, H)
    else:
        copy(ws, x, ws, y, H)


@njit(cache=True, error_model="numpy")
def step_lanes(L, k, ix, fx, W, ws):
    """:func:`step` for a block of individuals (evornn.nets.lanes): every lane runs the same liquid
    on the same inputs with the same operations in the same order (the lanes differ only in their
    readouts), so each lane's spikes equal the one-individual kernel's."""
    n_in, H, with_u = L[k, NIN], L[k, NUNITS], L[k, OPT1]
    s, u, y, f, i0 = L[k, SOFF], L[k, XOFF], L[k, YOFF], L[k, FOFF], L[k, IOFF]
    n = nlanes(ws)
    dsyn, km, thr, vres, dout = (like(fx[f], ws), like(fx[f + 1], ws), like(fx[f + 2], ws), like(fx[f + 3], ws),
                                 like(fx[f + 4], ws))
    zero, one, nref = like(0.0, ws), like(1.0, ws), like(ix[i0], ws)
    p_in = f + NF
    p_b = p_in + H * n_in
    p_v = p_b + H
    spikes_in, nsub = ix[i0 + 1], ix[i0 + 2]
    rp = i0 + 3
    c0 = rp + H + 1
    v, cur, ref, spk, x = s, s + H, s + 2 * H, s + 3 * H, s + 4 * H
    for sub in range(nsub):
        for i in range(H):
            oc = U((cur + i) * n)
            for l in range(U(n)):
                ws[oc + l] = dsyn * ws[oc + l]
            for e in range(ix[rp + i], ix[rp + i + 1]):
                wv = like(fx[p_v + e], ws)
                o = U((spk + ix[c0 + e]) * n)
                for l in range(U(n)):
                    ws[oc + l] += wv * ws[o + l]
            if spikes_in == 1 and sub == 0:
                for j in range(n_in):
                    wv = like(fx[p_in + i * n_in + j], ws)
                    o = U((u + j) * n)
                    for l in range(U(n)):
                        ws[oc + l] += wv * ws[o + l]
        for i in range(H):
            b = like(fx[p_b + i], ws)
            oc, ov, orf, os_, ox = U((cur + i) * n), U((v + i) * n), U((ref + i) * n), U((spk + i) * n), U((x + i) * n)
            for l in range(U(n)):
                c = b
                if spikes_in == 0:
                    for j in range(n_in):
                        c += like(fx[p_in + i * n_in + j], ws) * ws[U((u + j) * n) + l]
                c += ws[oc + l]
                fired = zero
                if ws[orf + l] > zero:
                    ws[orf + l] -= one
                    ws[ov + l] = vres
                else:
                    vi = ws[ov + l] + km * (c - ws[ov + l])
                    if vi >= thr:
                        fired = one
                        vi = vres
                        ws[orf + l] = nref
                    ws[ov + l] = vi
                ws[os_ + l] = fired
                ws[ox + l] = dout * ws[ox + l] + fired
    if with_u:
        lcopy(ws, u, y, n_in)
        lcopy(ws, x, y + n_in, H)
    else:
        lcopy(ws, x, y, H)
