"""The readout in closed form, as an option of the supervised sequence problems (``readout="ridge"``).

Evolino (Wierstra, Gomez & Schmidhuber 2005, "Modeling systems with internal state using
Evolino", GECCO; Schmidhuber, Wierstra, Gagliolo & Gomez 2007, "Training recurrent networks by
Evolino", Neural Computation 19(3):757-779) evolves only the recurrent part of a network and
computes its linear readout: each candidate runs over the training sequences (inputs
teacher-forced), its states after the washout form the matrix Z, the readout is the least-squares
fit pinv(Z) D to the targets D, and the candidate is scored with that readout, on the same data
and as the problem scores any network (free-running where the problem free-runs: the paper's
second phase). The readout genes of a chromosome are therefore ignored: the solve overwrites them,
and the problem returns the chromosomes as scored (``EvalResult.chromosomes``), so the best
chromosome saved holds its solved readout and reproduces its score anywhere.

Any sequential network whose last layer is a dense readout (``elman``, ``lstm``, ``gru``, ``esn``,
``stacked``, ``mlp``, ...) works, with any optimiser; networks whose outputs are their own units
(``frnn``, ``ctrnn``, ``jordan``, ``narx``) have no separate readout to solve, and bidirectional
networks are not supported yet. ``ridge`` > 0 adds Tikhonov regularisation (the bias
unpenalised); with a sigmoid or tanh readout the targets are mapped through its inverse first
(clipped into its range), relu is fitted as linear, as :mod:`evornn.grad.esn_ridge` does.

The solve is one Numba kernel for the whole population (:mod:`.readout_kernel`), in the network's
engine (vector lanes, or one individual at a time with ``engine="scalar"``).
"""
from __future__ import annotations

import numpy as np

from evornn.nets import lanes
from evornn.nets.cells import dense
from evornn.nets.layer import ACT, CODE, NIN, NOUT, OPT1, POFF, SIGMOID, TANH
from evornn.nets.specialise import SEQUENTIAL
from evornn.nets.threads import run_rows

from . import readout_kernel as K

READOUTS = ("evolved", "ridge")
TINY = 1e-6


def check_readout(readout: str, ridge: float, where: str) -> None:
    """One-line errors for a bad ``readout`` or ``ridge``."""
    if readout not in READOUTS:
        raise ValueError(f"{where}: readout must be one of {', '.join(READOUTS)}, got {readout!r}")
    if not (isinstance(ridge, (int, float)) and np.isfinite(ridge) and ridge >= 0):
        raise ValueError(f"{where}: ridge must be a finite number >= 0, got {ridge!r}")


def readout_slice(net) -> slice:
    """The chromosome indices of ``net``'s dense readout (weights then biases), or a one-line
    ValueError naming why it has none."""
    if net.kind != SEQUENTIAL:
        raise ValueError(f"readout 'ridge' needs a sequential network; {net.name} is not "
                         "(bidirectional networks are not supported)")
    if not getattr(net, "has_readout", False) or int(net.L[-1, CODE]) != dense.CODE or len(net.layers) < 2:
        raise ValueError(f"readout 'ridge' needs a network with a dense readout layer; {net.name} has none "
                         "(its outputs are its own units): use elman, lstm, gru, esn, stacked, ...")
    lo = int(net.L[-1, POFF])
    return slice(lo, lo + net.layers[-1].n_params)


def targets(net, data) -> np.ndarray:
    """D (m, n_out): the scored steps' targets, through the inverse of the readout's activation."""
    D = np.ascontiguousarray(data.Y[data.mask == 1], dtype=np.float64)
    act = int(net.L[-1, ACT])
    if act == SIGMOID:
        D = np.clip(D, TINY, 1 - TINY)
        D = np.log(D / (1 - D))
    elif act == TANH:
        D = np.arctanh(np.clip(D, -1 + TINY, 1 - TINY))
    return np.ascontiguousarray(D)


def solve_bytes(net, data, rows: int, threads: int) -> int:
    """Bytes :func:`solve` takes besides the population: each thread's design matrices (one per
    lane, the ridge rows included), the solved readouts and the copy of the population it returns."""
    n = 1 if getattr(net, "engine", "lanes") == "scalar" else lanes.lanes_of_dtype(lanes.DTYPES[net.dtype])
    C = int(net.L[-1, NIN]) + 1
    m = int(data.n_scored)
    padded = -(-int(rows) // n) * n
    return 8 * (int(threads) * n * (m + C) * C + padded * C * int(net.L[-1, NOUT]) + int(rows) * int(net.n_params))


def solve(net, W: np.ndarray, data, ridge: float = 0.0) -> np.ndarray:
    """A copy of population W (P, n_params) whose readout genes are each row's least-squares
    readout on ``data`` (a :class:`~.supervised.SequenceData`), in one kernel call."""
    sl = readout_slice(net)
    W = np.ascontiguousarray(W, dtype=np.float64)
    P = W.shape[0]
    bias = int(net.L[-1, OPT1])
    F, n_out = int(net.L[-1, NIN]), int(net.L[-1, NOUT])
    D = targets(net, data)
    m = D.shape[0]
    rcond = float(np.finfo(np.float64).eps * max(m + (F + bias if ridge > 0 else 0), F + bias))
    X, _Y, starts, mask, _free = data.arrays()
    L, ix, fx = (a if a.flags.writeable else a.copy() for a in (net.L, net.ix, net.fx))
    if getattr(net, "engine", "lanes") == "scalar":
        out = np.empty((P, sl.stop - sl.start))
        run_rows(K.solve_population, 1, P, net.key, L, ix, fx, W, int(net.ws_len), X, starts, mask, D,
                 float(ridge), bias, rcond, out)
    else:
        dt = lanes.DTYPES[getattr(net, "dtype", "float64")]
        Wb = lanes.pack(W, dt)
        out = np.empty((Wb.shape[0] * lanes.lanes_of_dtype(dt), sl.stop - sl.start))
        run_rows(K.solve_population_lanes, 1, Wb.shape[0], net.key, L, ix, fx, Wb, int(net.ws_len),
                 np.ascontiguousarray(X, dtype=dt), starts, mask, D, float(ridge), bias, rcond, out)
    V = W.copy()
    V[:, sl] = out[:P]
    rest = np.ones(W.shape[1], dtype=bool)
    rest[sl] = False
    V[~np.isfinite(W[:, rest]).all(axis=1), sl] = np.nan     # the readout genes given do not matter
    return V
