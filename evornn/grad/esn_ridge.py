"""The echo state network's own training: its linear readout fitted by ridge regression.

Jaeger (2001), "The 'echo state' approach to analysing and training recurrent neural networks",
GMD Report 148; ridge (Tikhonov) regularisation as recommended by Lukosevicius (2012), "A
practical guide to applying echo state networks", Neural Networks: Tricks of the Trade. The
reservoir states are collected with the esn network's own forward kernel (teacher-forced inputs,
zero state at each sequence start), the scored steps give the design matrix Z = [s_t, 1], and
the readout [W, b] solves (Z^T Z + ridge * I') [W, b]^T = Z^T D, I' leaving the bias unpenalised.
With a sigmoid or tanh output the targets are mapped through the inverse activation first
(clipped into its range); relu is fitted as linear.

As a strategy (``esn-ridge``) the fit happens once, when the run is set up: every generation
evaluates the fitted chromosome, the first counts the training sequences as presentations, and
the strategy ends the run after that one generation (:meth:`EsnRidge.stop`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from evornn.nets.layer import ACT, NOUT, SIGMOID, TANH
from evornn.nets.network import Network
from evornn.optim.base import InitFn, Strategy

TINY = 1e-6


RESERVOIRS = ("esn", "lsm")      # architectures of a fixed reservoir (no parameters) and a dense readout


def reservoir_states(net: Network, X: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The readout's inputs (T, n_core_out) of reservoir network ``net`` over X, from its forward kernel."""
    core = Network(f"{net.name}-core", [net.layers[0]], [""])
    return core.run(np.zeros(0), X, starts)


def fit_readout(net: Network, data, ridge: float = 1e-6, w: np.ndarray | None = None) -> np.ndarray:
    """A chromosome of reservoir network ``net`` (esn or lsm; a copy of ``w``, or zeros) whose readout
    is the ridge fit to ``data``."""
    if net.name not in RESERVOIRS or len(net.layers) != 2 or net.layers[0].n_params:
        raise ValueError(f"esn-ridge does not support architecture {net.name!r}; supported: {', '.join(RESERVOIRS)}")
    if not ridge >= 0:
        raise ValueError(f"esn-ridge: ridge must be >= 0, got {ridge}")
    m = np.asarray(data.mask).astype(bool)
    S = reservoir_states(net, data.X, data.starts)[m]
    D = np.asarray(data.Y, dtype=np.float64)[m]
    act = int(net.L[1, ACT])
    if act == SIGMOID:
        D = np.clip(D, TINY, 1 - TINY)
        D = np.log(D / (1 - D))
    elif act == TANH:
        D = np.arctanh(np.clip(D, -1 + TINY, 1 - TINY))
    Z = np.hstack([S, np.ones((S.shape[0], 1))])
    pen = np.full(Z.shape[1], float(ridge))
    pen[-1] = 0.0
    Wb = np.linalg.lstsq(Z.T @ Z + np.diag(pen), Z.T @ D, rcond=None)[0].T      # (n_out, n_core_out + 1)
    w = np.zeros(net.n_params) if w is None else np.array(w, dtype=np.float64)
    params = net.unflatten(w)
    params["out.W"][...] = Wb[:, :-1]
    params["out.b"][...] = Wb[:, -1]
    return w


@dataclass(frozen=True)
class RidgeConfig:
    ridge: float = 1e-6           # Tikhonov regularisation of the readout weights

    def validate(self, where: str = "esn-ridge") -> None:
        if not self.ridge >= 0:
            raise ValueError(f"{where}.ridge must be >= 0, got {self.ridge}")


class EsnRidge(Strategy):
    name = "esn-ridge"
    description = "reservoir readout by ridge regression (Jaeger 2001): one fit, one generation; esn and lsm"
    Config = RidgeConfig
    needs = "sequence data"     # fits a supervised problem's data (evornn.problems.supervised)
    state_fields = ("w", "presented", "generations")

    @classmethod
    def memory_bytes(cls, config, n_params, net=None, problem=None) -> int:
        """The fit: the reservoir's states over the training data (run, masked, with a column of
        ones: three T x (H + 1) copies), the targets, and the normal equations ((H + 1)^2, twice)."""
        data = getattr(problem, "train", None)
        if net is None or data is None:
            return 3 * int(n_params) * 8
        T, width = int(data.X.shape[0]), int(net.L[0, NOUT]) + 1
        return (3 * T * width + 2 * width * width + T * int(net.n_outputs)) * 8 + 3 * int(n_params) * 8

    def __init__(self, n_params: int, config: Any, rng: np.random.Generator, init: InitFn):
        super().__init__(n_params, config, rng, init)
        self.w = np.asarray(init(rng, 1), dtype=np.float64)[0].copy()
        self.presented = 0           # sequences presented by the fit, counted in the first generation
        self.fitted = False
        self.generations = 0         # tells so far: one is all the fit needs

    def setup(self, problem, net) -> None:
        data = getattr(problem, "readout_data", getattr(problem, "train", None))
        if data is None or not hasattr(data, "mask"):
            raise ValueError(f"esn-ridge fits a supervised sequence problem's data; problem "
                             f"{getattr(problem, 'name', problem)!r} has none")
        self.w = fit_readout(net, data, self.config.ridge, self.w)
        self.presented = data.starts.shape[0] - 1
        self.fitted = True

    def ask(self) -> np.ndarray:
        if not self.fitted:
            raise ValueError("esn-ridge needs the problem's data: build the run with evornn.make_runner/optimise, "
                             "or call setup(problem, net) first")
        return self.w[None, :].copy()

    def expected_rows(self) -> int:
        return 1

    def update(self, population: np.ndarray, fitness: np.ndarray) -> None:
        self.generations = int(self.generations or 0) + 1

    def stop(self) -> list:
        from evornn.stopping import StopReason
        if not self.generations:
            return []
        return [StopReason("esn-ridge", 1.0, 1.0, "the readout is fitted and evaluated (esn-ridge needs one generation)")]

    def evaluations_counted(self, population: np.ndarray) -> int:
        n, self.presented = self.presented, 0
        return int(n)
