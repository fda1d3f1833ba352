"""Multiple-timescales recurrent neural network (Yamashita & Tani 2008, "Emergence of functional
hierarchy in a multiple timescale neural network model: a humanoid robot experiment", PLoS
Computational Biology 4(11)).

A leaky-integrator (CTRNN-style) network whose units fall in two groups, ``n_fast`` fast units
(time constant ``tau_fast``) and ``n_slow`` slow units (``tau_slow``), fully connected to each
other; only the fast units receive the input:

    u_t = (1 - 1/tau) * u_{t-1} + (1/tau) * (W_rec y_{t-1} + W_in x_t + b),   y_t = act(u_t)

where tau is tau_fast or tau_slow per unit and W_in x_t is zero for the slow units. The state u
starts at 0 (so y_0 = act(0)). Units 0..n_fast-1 are fast, the rest slow. The core exposes the
fast units only: its output is y_t of the first ``n_out`` fast units (all of them, n_out =
n_fast, when asked for n_hidden outputs), so a readout reads the fast units.

Parameters: ``W_in`` (n_fast, n_in), ``W_rec`` (H, H), ``b`` (H). The time constants are fixed
options (tau_fast default 5, tau_slow default 70, both >= 1, as in the paper). ``spectral_radius``
(default None: the fan-in initialisation) draws W_rec as an echo state network's reservoir,
uniform in [-1, 1] and scaled to that spectral radius (each chromosome's own matrix); with
``n_slow = 0`` and ``tau_fast = 1 / leak`` this starts a network from a leaky-integrator
reservoir whose weights are then evolved (Evolino on Mackey-Glass, issue 19).
Fixed data: floats [1/tau_i for each unit]. Workspace: u (H), y_{t-1} (H).
"""
import numpy as np
from numba import njit

from ..activations import activate
from ..layer import ACT, FOFF, NIN, NOUT, NUNITS, OPT1, POFF, SOFF, XOFF, YOFF, Block, LayerSpec, unit_range
from ..lanes import U, lact_rows, lane_accs, lcopy, like, lzero, nlanes
from ..linalg import dot
from .ctrnn import ldot_units
from .options import activation, integer, real

CODE = 8


def build(n_in: int, n_hidden: int, n_out: int, act: int, *, n_slow: int | None = None,
          tau_fast: float = 5.0, tau_slow: float = 70.0, spectral_radius: float | None = None) -> LayerSpec:
    H = n_hidden
    activation("mtrnn", act, ("tanh", "sigmoid"))
    n_slow = integer("mtrnn", "n_slow", H // 2 if n_slow is None else n_slow, 0, H - 1)
    tau_fast = real("mtrnn", "tau_fast", tau_fast, 1.0)
    tau_slow = real("mtrnn", "tau_slow", tau_slow, 1.0)
    if spectral_radius is not None:
        spectral_radius = real("mtrnn", "spectral_radius", spectral_radius, 0.0, lo_open=True)
    F = H - n_slow
    if n_out == H:
        n_out = F
    if not 1 <= n_out <= F:
        raise ValueError(f"mtrnn: the core exposes its {F} fast units only, asked for {n_out} outputs")
    fan = n_in + H
    rec_init = ("fan_in", fan) if spectral_radius is None else ("spectral", spectral_radius)
    blocks = [Block("W_in", (F, n_in), ("fan_in", fan)), Block("W_rec", (H, H), rec_init), Block("b", (H,))]
    o_rec, o_b = F * n_in, F * n_in + H * H
    units = []
    for i in unit_range(H):
        idx = list(range(i * n_in, (i + 1) * n_in)) if i < F else []
        idx += list(range(o_rec + i * H, o_rec + (i + 1) * H)) + [o_b + i]
        units.append(np.asarray(idx, dtype=np.int64))
    inv_tau = np.array([1.0 / tau_fast] * F + [1.0 / tau_slow] * n_slow)
    options = {"n_slow": n_slow, "tau_fast": tau_fast, "tau_slow": tau_slow}
    if spectral_radius is not None:
        options["spectral_radius"] = spectral_radius
    return LayerSpec(CODE, n_in, n_out, H, blocks, 2 * H, units, act=act, opts=(F,), floats=inv_tau,
                     kind="mtrnn", options=options)


@njit(cache=True, error_model="numpy")
def step(L, k, ix, fx, w, ws):
    n_in, H, n_out, act, F = L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, ACT], L[k, OPT1]
    p, s, x, y, f = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF], L[k, FOFF]
    p_rec = p + F * n_in
    p_b = p_rec + H * H
    yp = s + H                                  # y_{t-1} = act(u_{t-1}), read by every unit
    for j in range(H):
        ws[yp + j] = activate(act, ws[s + j])
    for i in range(H):
        a = dot(w, p_rec + i * H, ws, yp, H) + w[p_b + i]
        if i < F:
            a += dot(w, p + i * n_in, ws, x, n_in)
        r = fx[f + i]
        ws[s + i] = (1.0 - r) * ws[s + i] + r * a
    for i in range(n_out):
        ws[y + i] = activate(act, ws[s + i])


@njit(cache=True, error_model="numpy")
def step_lanes(L, k, ix, fx, W, ws):
    """:func:`step` for a block of individuals (evornn.nets.lanes), four units at a time."""
    n_in, H, n_out, act, F = L[k, NIN], L[k, NUNITS], L[k, NOUT], L[k, ACT], L[k, OPT1]
    p, s, x, y, f = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF], L[k, FOFF]
    p_rec = p + F * n_in
    p_b = p_rec + H * H
    yp = s + H                                  # y_{t-1} = act(u_{t-1}), read by every unit
    n = nlanes(ws)
    lcopy(ws, s, yp, H)
    lact_rows(act, ws, yp, H)
    a = lane_accs(ws, 4)                        # W_rec y_{t-1} + b (+ W_in x) of units i..i+c-1
    inp = lane_accs(ws, 4)                      # W_in x of the fast ones among them
    i = 0
    while i < H:
        c = min(4, H - i)
        c_in = min(c, F - i) if i < F else 0
        lzero(a, 0, 4)
        ldot_units(a, c, W, p_rec + i * H, H, ws, yp, H)
        ob = U((p_b + i) * n)
        for e in range(U(c * n)):
            a[e] += W[ob + e]
        if c_in > 0:
            lzero(inp, 0, 4)
            ldot_units(inp, c_in, W, p + i * n_in, n_in, ws, x, n_in)
            for e in range(U(c_in * n)):
                a[e] += inp[e]
        for r in range(c):
            rate = like(fx[f + i + r], ws)
            keep = like(1.0 - fx[f + i + r], ws)
            o, ar = U((s + i + r) * n), U(r * n)
            for l in range(U(n)):
                ws[o + l] = keep * ws[o + l] + rate * a[ar + l]
        i += c
    lcopy(ws, s, y, n_out)
    lact_rows(act, ws, y, n_out)
