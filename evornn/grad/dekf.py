"""Decoupled extended Kalman filter training of recurrent networks.

Puskorius & Feldkamp (1994), "Neurocontrol of nonlinear dynamical systems with Kalman filter
trained recurrent networks", IEEE Trans. Neural Networks 5(2); the notation of Puskorius &
Feldkamp in Haykin (ed., 2001), "Kalman filtering and neural networks", ch. 2; noise annealing as
in Perez-Ortiz, Gers, Eck & Schmidhuber (2003), "Kalman filters improve LSTM network performance
in problems unsolvable by traditional recurrent nets", Neural Networks 16(2).

The weights are the state of a Kalman filter whose measurement is the network's output. They
are split into groups g (``decoupling``: "neuron", each neuron's incoming weights, a hidden
neuron with its outgoing readout weights, as :meth:`~evornn.nets.network.Network.neuron_groups`
gives; "block", each named weight block; "global", one group: the global EKF), each with its own
covariance P_g. At every scored step t, with H_g = (dy_t/dw_g)^T (n_g, n_out) from the RTRL
sensitivities (:func:`evornn.grad.rtrl.sensitivities`) and the readout's backpropagated
derivatives, and the error xi_t = d_t - y_t::

    A_t   = (R_t + sum_g H_g^T P_g H_g)^-1          R_t = r_t I   (n_out, n_out)
    K_g   = P_g H_g A_t
    w_g  <- w_g + K_g xi_t
    P_g  <- P_g - K_g H_g^T P_g + Q_t                Q_t = q_t I

The weights change after every scored step (online, within the sequence), the sensitivities
carried across the updates as in real-time recurrent learning. P_g starts as p0 I. The noise
schedules anneal with the number of updates k: r_k = r_end + (r_0 - r_end) d_k, q_k likewise, with
d_k = exp(-k / anneal) (``schedule = "exponential"``) or d_k = max(0, 1 - k / anneal) (``"linear"``:
the end values reached after ``anneal`` updates) (Perez-Ortiz et al.: R from 100 to 3, Q from 1e-2
to 1e-6; their horizon and the shape of the schedule are not checked here).
Supports the architectures RTRL supports (frnn, elman) and LSTM (the case of Perez-Ortiz et al.),
whose sensitivities :func:`lstm_sensitivities` carries forward here (forward-mode derivatives of
the equations of :mod:`evornn.nets.cells.lstm`, peepholes and the squashing options cell_input and
cell_output included; with the option
``readout_inputs`` the readout reads [h; x], the papers' shortcut connections from the input units
to the output units, whose weights' derivatives the readout's backward step gives): the full derivatives, or
(``jacobian = "truncated"``) the truncated LSTM gradient that LSTM was trained with in the papers
(derivatives carried only along the cell states), as Perez-Ortiz et al. computed their Jacobians.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from evornn.nets.cells import lstm as lstm_cell
from evornn.nets.layer import CODE, NIN, NOUT, NUNITS, OPT1, POFF

from . import cells, gated
from .bptt import check_supported, geometry
from .rtrl import sensitivities

SUPPORTED = ("elman", "frnn", "lstm")
LSTM = lstm_cell.CODE

DECOUPLINGS = ("neuron", "block", "global")
SCHEDULES = ("exponential", "linear")
JACOBIANS = ("full", "truncated")


def groups(net, decoupling: str, fixed: tuple[str, ...] = ()) -> list[np.ndarray]:
    """The weight groups of ``net`` for ``decoupling`` (disjoint, covering every parameter but those
    of the blocks named in ``fixed``, which the filter then never changes; empty groups dropped)."""
    if decoupling == "global":
        gs = [np.arange(net.n_params, dtype=np.int64)]
    elif decoupling == "block":
        gs = [np.arange(off, off + int(np.prod(shape)), dtype=np.int64) for off, shape in net.layout.values()]
    elif decoupling == "neuron":
        gs = net.neuron_groups()
        left = np.setdiff1d(np.arange(net.n_params), np.concatenate(gs))
        gs = gs + ([left.astype(np.int64)] if left.size else [])
    else:
        raise ValueError(f"dekf: decoupling must be one of {', '.join(DECOUPLINGS)}, got {decoupling!r}")
    if not fixed:
        return gs
    unknown = [b for b in fixed if b not in net.layout]
    if unknown:
        raise ValueError(f"dekf: fixed names unknown weight block {unknown[0]!r}; {net.name}'s blocks: "
                         f"{', '.join(net.layout)}")
    drop = np.concatenate([np.arange(net.layout[b][0], net.layout[b][0] + int(np.prod(net.layout[b][1])))
                           for b in fixed])
    gs = [g[~np.isin(g, drop)].astype(np.int64) for g in gs]
    gs = [g for g in gs if g.size]
    if not gs:
        raise ValueError("dekf: fixed leaves no weight to train")
    return gs


def check_jacobian(net, jacobian: str) -> None:
    """One line naming what is wrong with ``jacobian`` for ``net``."""
    if jacobian not in JACOBIANS:
        raise ValueError(f"dekf: jacobian must be one of {', '.join(JACOBIANS)}, got {jacobian!r}")
    if jacobian == "truncated" and int(net.L[0, CODE]) != LSTM:
        raise ValueError(f"dekf: jacobian 'truncated' is the truncated LSTM gradient: lstm only, got {net.name!r}")


def pack_groups(gs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(indices concatenated, their offsets (G+1), covariance offsets (G+1): n_g^2 each)."""
    sizes = np.array([g.size for g in gs], dtype=np.int64)
    goff = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    coff = np.concatenate([[0], np.cumsum(sizes * sizes)]).astype(np.int64)
    return np.concatenate(gs).astype(np.int64), goff, coff


def initial_covariance(gs: list[np.ndarray], p0: float) -> np.ndarray:
    """The covariances p0 I of every group, flattened one after another."""
    return np.concatenate([(p0 * np.eye(g.size)).ravel() for g in gs])


@njit(cache=True)
def lstm_sensitivities(L, w, x, A, P, Pn, truncated=False):
    """Pn = (dh_t/dw; dc_t/dw) (2H, nc) of the lstm core (layer 0) after the step from A[0] (h, c)
    to A[1] (h, c, i, f, g, o; lstm_forward done) with input x, from P = (dh_{t-1}/dw; dc_{t-1}/dw).
    With readout_inputs the rows are h, x, c, i, f, g, o (:func:`evornn.grad.gated.lstm_layout`);
    x does not depend on w, so P and Pn keep h and c only.

    ``truncated``: the truncated LSTM gradient (Hochreiter & Schmidhuber 1997; Gers et al. 2000,
    2002): the gates and the cell input take their inputs h_{t-1} and peephole c as constants, so
    derivatives are carried only along the cell state (dc_t/dw = f dc_{t-1}/dw + the step's own
    partials); h's rows then serve the output's Jacobian only."""
    n_in, H, peep, _p, z = gated.lstm_layout(L)      # z: the column of c in a row of A
    gk, hk = gated.lstm_squash(L)                    # the squashing of the cell input g and output
    nc = P.shape[1]
    p_rec = 4 * H * n_in
    p_b = p_rec + 4 * H * H
    p_pe = p_b + 4 * H
    da = np.empty((4, nc))
    for i in range(H):
        c_prev, c = A[0, z + i], A[1, z + i]
        ig, f, g, o = A[1, z + H + i], A[1, z + 2 * H + i], A[1, z + 3 * H + i], A[1, z + 4 * H + i]
        for q in range(4):                   # d(pre-activation of gate q, unit i)/dw through h_{t-1}
            row = q * H + i
            for cc in range(nc):
                v = 0.0
                if not truncated:
                    for j in range(H):
                        v += w[p_rec + row * H + j] * P[j, cc]
                da[q, cc] = v
            for j in range(n_in):
                da[q, row * n_in + j] += x[j]
            for j in range(H):
                da[q, p_rec + row * H + j] += A[0, j]
            da[q, p_b + row] += 1.0
        if peep and not truncated:
            for cc in range(nc):
                da[0, cc] += w[p_pe + i] * P[H + i, cc]
                da[1, cc] += w[p_pe + H + i] * P[H + i, cc]
        if peep:
            da[0, p_pe + i] += c_prev
            da[1, p_pe + H + i] += c_prev
        di, df, dg = ig * (1.0 - ig), f * (1.0 - f), lstm_cell.dsquash(gk, g)
        for cc in range(nc):
            Pn[H + i, cc] = f * P[H + i, cc] + c_prev * df * da[1, cc] + ig * dg * da[2, cc] + g * di * da[0, cc]
        if peep:
            if not truncated:
                for cc in range(nc):
                    da[3, cc] += w[p_pe + 2 * H + i] * Pn[H + i, cc]
            da[3, p_pe + 2 * H + i] += c
        tc = lstm_cell.squash(hk, c)
        do, dt = o * (1.0 - o) * tc, o * lstm_cell.dsquash(hk, tc)
        for cc in range(nc):
            Pn[i, cc] = do * da[3, cc] + dt * Pn[H + i, cc]


@njit(cache=True)
def dekf_sequences(L, fx, w, X, Y, mask, starts, seqs, gidx, goff, Pc, coff, k0, r0, r1, q0, q1, anneal,
                   sw, width, out, scratch, truncated=False, linear=False):
    """Run sequences ``seqs`` in order, a DEKF update of ``w`` and ``Pc`` (in place) after every
    scored step. Returns (sum of squared errors before each update, updates done)."""
    H = L[0, NUNITS]
    is_lstm = L[0, CODE] == LSTM
    ns = 2 * H if is_lstm else H          # the core's carried state: h (and c)
    z = gated.lstm_layout(L)[4] if is_lstm else H   # the column of c (after h, or h and x: readout_inputs)
    n_core = min(L[0, NOUT], H)           # the core's outputs that depend on w: h (not readout_inputs' x)
    n_dense = L.shape[0] - 1
    nc = L[1, POFF] if n_dense else w.shape[0]
    n_out = Y.shape[1]
    n = w.shape[0]
    G = goff.shape[0] - 1
    A = np.zeros((2, width))
    P = np.zeros((ns, nc))
    Pn = np.zeros((ns, nc))
    J = np.zeros((n_out, n))              # dy_t/dw
    PH = np.zeros((n, n_out))             # P_g H_g, rows in group order (gidx)
    delta = np.zeros(scratch)
    tmp = np.zeros(scratch)
    e = np.zeros(n_out)
    loss = 0.0
    k = k0
    for q in range(seqs.shape[0]):
        s = seqs[q]
        A[:, :] = 0.0
        P[:, :] = 0.0
        for t in range(starts[s], starts[s + 1]):
            x = X[t]
            if is_lstm:
                gated.lstm_forward(L, fx, w, x, A, 1)
                lstm_sensitivities(L, w, x, A, P, Pn, truncated)
            else:
                cells.srn_forward(L, fx, w, x, A, 1)
                sensitivities(L, w, x, A, P, Pn)
            if n_dense:
                cells.dense_forward(L, 1, w, A[1], 0, A[1], sw)
            if mask[t]:
                for j in range(n_out):                      # row j of the Jacobian
                    e[j] = Y[t, j] - A[1, out + j]
                    loss += e[j] * e[j]
                    J[j, :] = 0.0
                    delta[:] = 0.0
                    delta[j] = 1.0
                    if n_dense:
                        cells.dense_backward(L, 1, w, A[1], 0, A[1], sw, delta, tmp, J[j])
                    for i in range(n_core):
                        for c in range(nc):
                            J[j, c] += delta[i] * Pn[i, c]
                decay = max(0.0, 1.0 - k / anneal) if linear else math.exp(-k / anneal)
                r = r1 + (r0 - r1) * decay
                qn = q1 + (q0 - q1) * decay
                M = np.zeros((n_out, n_out))
                for j in range(n_out):
                    M[j, j] = r
                for g in range(G):
                    a0, m = goff[g], goff[g + 1] - goff[g]
                    Pg = Pc[coff[g]:coff[g + 1]].reshape((m, m))
                    Hg = np.empty((m, n_out))
                    for a in range(m):
                        for j in range(n_out):
                            Hg[a, j] = J[j, gidx[a0 + a]]
                    PHg = Pg @ Hg
                    PH[a0:a0 + m, :] = PHg
                    M += Hg.T @ PHg
                Ainv = np.ascontiguousarray(np.linalg.inv(M))
                for g in range(G):
                    a0, m = goff[g], goff[g + 1] - goff[g]
                    Pg = Pc[coff[g]:coff[g + 1]].reshape((m, m))
                    PHg = np.ascontiguousarray(PH[a0:a0 + m, :])
                    K = PHg @ Ainv
                    dw = K @ e
                    for a in range(m):
                        w[gidx[a0 + a]] += dw[a]
                    Pg -= K @ np.ascontiguousarray(PHg.T)
                    for a in range(m):
                        Pg[a, a] += qn
                k += 1
            P, Pn = Pn, P
            for j in range(H):
                A[0, j] = A[1, j]
                if is_lstm:
                    A[0, z + j] = A[1, z + j]
    return loss, k


def train(net, w: np.ndarray, data, cov: np.ndarray, gs: list[np.ndarray], seqs: np.ndarray | None = None,
          updates: int = 0, measurement_noise: float = 100.0, measurement_noise_end: float = 3.0,
          process_noise: float = 1e-2, process_noise_end: float = 1e-6, anneal: float = 1000.0,
          jacobian: str = "full", schedule: str = "exponential"):
    """DEKF over sequences ``seqs`` (default all, in order) of ``data``. Returns (mean squared error
    of the steps seen, before each update, the new chromosome, the new covariances, the updates so
    far); ``w`` and ``cov`` are not modified. ``jacobian``: "full" (the exact RTRL derivatives) or,
    for lstm, "truncated" (the truncated LSTM gradient, see :func:`lstm_sensitivities`); ``schedule``:
    the shape of the noise annealing, "exponential" or "linear" (see the module's docstring)."""
    check_supported(net, "dekf", SUPPORTED)
    check_jacobian(net, jacobian)
    if schedule not in SCHEDULES:
        raise ValueError(f"dekf: schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}")
    w = np.array(w, dtype=np.float64)
    if w.shape != (net.n_params,):
        raise ValueError(f"chromosome must have shape ({net.n_params},) for {net.name}, got {w.shape}")
    cov = np.array(cov, dtype=np.float64)
    gidx, goff, coff = pack_groups(gs)
    if cov.shape != (int(coff[-1]),):
        raise ValueError(f"dekf: covariances must have {int(coff[-1])} values for these groups, got {cov.shape}")
    X, Y = (np.ascontiguousarray(a, dtype=np.float64) for a in (data.X, data.Y))
    starts = np.ascontiguousarray(data.starts, dtype=np.int64)
    mask = np.ascontiguousarray(data.mask, dtype=np.uint8)
    seqs = (np.arange(starts.shape[0] - 1, dtype=np.int64) if seqs is None
            else np.ascontiguousarray(seqs, dtype=np.int64))
    sw, width, out, scratch = geometry(net)
    loss, k = dekf_sequences(net.L, net.fx, w, X, Y, mask, starts, seqs, gidx, goff, cov, coff, int(updates),
                             float(measurement_noise), float(measurement_noise_end), float(process_noise),
                             float(process_noise_end), float(anneal), sw, width, out, scratch,
                             jacobian == "truncated", schedule == "linear")
    n = max(int(k) - int(updates), 1) * net.n_outputs
    return float(loss) / n, w, cov, int(k)
