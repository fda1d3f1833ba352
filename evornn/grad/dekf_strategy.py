"""Decoupled extended Kalman filter training as a strategy (``dekf``): Puskorius & Feldkamp (1994),
"Neurocontrol of nonlinear dynamical systems with Kalman filter trained recurrent networks", IEEE
Trans. Neural Networks 5(2); noise annealing as Perez-Ortiz, Gers, Eck & Schmidhuber (2003).

Online training (:mod:`evornn.grad.dekf`): the sequences are presented one after another in a
random order each epoch, one Kalman update after every scored step, the covariances and the
noise schedules carried across epochs. Supports the frnn, elman and lstm networks. Generations,
evaluations and data as in :mod:`evornn.grad.strategy`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from evornn.nets.layer import NUNITS
from evornn.optim.base import InitFn

from . import dekf
from .strategy import GradientStrategy


@dataclass(frozen=True)
class DEKFConfig:
    decoupling: str = "neuron"            # "neuron", "block" or "global" (one group: the global EKF)
    initial_covariance: float = 100.0     # P_g = p0 I at the start
    measurement_noise: float = 100.0      # r at the first update ...
    measurement_noise_end: float = 3.0    # ... annealed towards this
    process_noise: float = 1e-2           # q at the first update ...
    process_noise_end: float = 1e-6       # ... annealed towards this
    anneal: float = 1000.0                # e-folding (exponential) or length (linear) of both schedules, in updates
    schedule: str = "exponential"         # the annealing's shape: "exponential" or "linear" (end values after anneal)
    jacobian: str = "full"                # "full" (RTRL) or "truncated" (lstm: the truncated LSTM gradient)
    fixed: tuple = ()                     # weight blocks (names in the network's layout, e.g. "W_rec") left as they start

    def validate(self, where: str = "dekf") -> None:
        if self.decoupling not in dekf.DECOUPLINGS:
            raise ValueError(f"{where}.decoupling must be one of {', '.join(dekf.DECOUPLINGS)}, got {self.decoupling!r}")
        if self.schedule not in dekf.SCHEDULES:
            raise ValueError(f"{where}.schedule must be one of {', '.join(dekf.SCHEDULES)}, got {self.schedule!r}")
        if self.jacobian not in dekf.JACOBIANS:
            raise ValueError(f"{where}.jacobian must be one of {', '.join(dekf.JACOBIANS)}, got {self.jacobian!r}")
        if not all(isinstance(b, str) for b in self.fixed):
            raise ValueError(f"{where}.fixed must be a list of weight block names, got {list(self.fixed)!r}")
        for k in ("initial_covariance", "measurement_noise", "measurement_noise_end", "anneal"):
            if not getattr(self, k) > 0:
                raise ValueError(f"{where}.{k} must be > 0, got {getattr(self, k)}")
        for k in ("process_noise", "process_noise_end"):
            if not getattr(self, k) >= 0:
                raise ValueError(f"{where}.{k} must be >= 0, got {getattr(self, k)}")


class DEKFStrategy(GradientStrategy):
    name = "dekf"
    description = ("decoupled extended Kalman filter (Puskorius & Feldkamp 1994): online, one Kalman update per "
                   "scored step, RTRL Jacobians, annealed noise; frnn, elman and lstm")
    Config = DEKFConfig
    supported = dekf.SUPPORTED
    state_fields = ("w", "presented", "cov", "updates")

    def __init__(self, n_params: int, config: Any, rng: np.random.Generator, init: InitFn):
        super().__init__(n_params, config, rng, init)
        self.cov = None
        self.updates = 0

    @classmethod
    def memory_bytes(cls, config, n_params, net=None, problem=None) -> int:
        """The covariances twice (the filter's copy and the strategy's): n^2 with one group, the
        blocks' sizes squared by block, and by neuron each layer's units times (its parameters per
        unit plus the outputs a hidden unit's readout weights add) squared; then the sensitivities
        (two (2H, n) matrices), the Jacobian and P H (n_out x n each) and a few vectors. From the
        layout alone (nothing of size n is allocated)."""
        n = int(n_params)
        n_out = int(getattr(net, "n_outputs", 1) or 1) if net is not None else 1
        if net is None or config.decoupling == "global":
            cov = n * n
        elif config.decoupling == "block":
            cov = sum(math.prod(int(d) for d in shape) ** 2 for _off, shape in net.layout.values())
        else:
            cov = sum(u * (lay.n_params // u + n_out) ** 2 for lay in net.layers for u in [int(lay.n_units)] if u)
            cov = min(cov, n * n)
        H = int(net.L[0, NUNITS]) if net is not None else 1
        return (2 * cov + (4 * H + 2 * n_out + 8) * n) * 8

    def setup(self, problem, net) -> None:
        super().setup(problem, net)
        dekf.check_jacobian(net, self.config.jacobian)
        self.groups = dekf.groups(net, self.config.decoupling, tuple(self.config.fixed))
        if self.cov is None:
            self.cov = dekf.initial_covariance(self.groups, self.config.initial_covariance)

    def train_epoch(self, w: np.ndarray) -> np.ndarray:
        c = self.config
        order = self.rng.permutation(self.data.starts.shape[0] - 1).astype(np.int64)
        self.last_loss, w_new, cov, self.updates = dekf.train(
            self.net, w, self.data, self.cov, self.groups, order, self.updates, c.measurement_noise,
            c.measurement_noise_end, c.process_noise, c.process_noise_end, c.anneal, c.jacobian,
            c.schedule)
        if np.all(np.isfinite(w_new)) and np.all(np.isfinite(cov)):
            self.cov = cov
            return w_new
        return w
