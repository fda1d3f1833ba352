"""Gradient trainers as ask/tell strategies, so they run through the same runner, stopping criteria,
results and reports as the evolutionary ones.

``bptt``: mini-batch gradient descent (Adam or SGD with momentum, gradient-norm clipping) with
gradients by backpropagation through time (Werbos 1990), full or truncated (Williams & Peng 1990).
:class:`GradientStrategy` is the base of ``bptt`` and ``rtrl`` (:mod:`evornn.grad.rtrl_strategy`).

One generation is one epoch: ``ask`` returns the current chromosome (one row), which the runner
scores with the problem's own ``evaluate`` (so the metrics and stopping criteria are unchanged);
``tell`` then takes one epoch of gradient steps over the problem's training sequences (teacher
forced). Evaluations are counted as sequence presentations: ``evaluations_counted`` returns the
number of training sequences the epoch presented, which the runner adds to its count. The
trainer gets the problem's training data and the network through :meth:`setup`, which the runner
calls.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from evornn.nets.layer import NOUT
from evornn.optim.base import InitFn, Strategy

from . import bptt
from .train import GradConfig, Trainer


class GradientStrategy(Strategy):
    """Base of the gradient trainers: holds the chromosome ``w``, the problem's data and the network."""

    supported: tuple[str, ...] = bptt.SUPPORTED
    needs = "sequence data"     # trains on a supervised problem's data (evornn.problems.supervised)
    state_fields = ("w", "presented")

    def __init__(self, n_params: int, config: Any, rng: np.random.Generator, init: InitFn):
        super().__init__(n_params, config, rng, init)
        self.w = np.asarray(init(rng, 1), dtype=np.float64)[0].copy()
        self.presented = 0          # sequences presented by the last epoch
        self.net = None
        self.data = None
        self.problem = None         # set when the problem brings its own loss and gradient

    @classmethod
    def memory_bytes(cls, config, n_params, net=None, problem=None) -> int:
        """The chromosome, its gradient and the optimiser's moments (a few vectors), one partial
        gradient per chunk of sequences, and the stored states over the longest sequence of each
        chunk at work at once (one per thread)
        (for a problem with its own gradient, what that gradient says it allocates)."""
        n = int(n_params)
        out = (bptt.N_CHUNKS + 6) * n * 8
        data = getattr(problem, "train", None)
        if net is not None and getattr(problem, "own_gradient", False):
            out += int(problem.gradient_bytes(net))
        elif net is not None and data is not None and hasattr(data, "starts"):
            T = int(np.max(np.diff(data.starts))) if len(data.starts) > 1 else 1
            width = int(net.ws_len) + int(net.L[:, NOUT].sum())   # a row of states and layer outputs
            out += bptt.chunks_alive(len(data.starts) - 1) * (T + 1) * width * 8
        return out

    def setup(self, problem, net) -> None:
        """Give the trainer the problem's training split and the network it trains."""
        data = getattr(problem, "train", None)
        if data is None or not all(hasattr(data, a) for a in ("X", "Y", "starts", "mask")):
            raise ValueError(f"{self.name} trains on a supervised sequence problem's data; problem "
                             f"{getattr(problem, 'name', problem)!r} has none")
        bptt.check_supported(net, self.name, self.supported)
        if net.n_params != self.n_params:
            raise ValueError(f"{self.name} has {self.n_params} parameters, network {net.n_params}")
        self.net, self.data = net, data

    def _need_data(self) -> None:
        if self.data is None and self.problem is None:
            raise ValueError(f"{self.name} needs the problem's training data: build the run with "
                             "evornn.make_runner/optimise, or call setup(problem, net) first")

    def ask(self) -> np.ndarray:
        self._need_data()
        return self.w[None, :].copy()

    def expected_rows(self) -> int:
        return 1

    def update(self, population: np.ndarray, fitness: np.ndarray) -> None:
        self.w = self.train_epoch(np.array(population[0], dtype=np.float64))
        self.presented = self._n_sequences()

    def train_epoch(self, w: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _n_sequences(self) -> int:
        return self.problem.n_train_sequences if self.problem is not None else self.data.starts.shape[0] - 1

    def evaluations_counted(self, population: np.ndarray) -> int:
        """Sequence presentations of the last epoch (the runner's evaluation count)."""
        return int(self.presented)


class BPTTStrategy(GradientStrategy):
    name = "bptt"
    description = ("backpropagation through time (Werbos 1990), full or truncated, with Adam or SGD+momentum, "
                   "clipping and mini-batches; a generation is an epoch, evaluations are sequence presentations")
    Config = GradConfig
    state_fields = ("w", "presented", "m", "v", "steps")

    def __init__(self, n_params: int, config: Any, rng: np.random.Generator, init: InitFn):
        super().__init__(n_params, config, rng, init)
        self.trainer = Trainer(self.config, self.n_params)

    m = property(lambda self: self.trainer.m, lambda self, v: setattr(self.trainer, "m", v))
    v = property(lambda self: self.trainer.v, lambda self, v: setattr(self.trainer, "v", v))
    steps = property(lambda self: self.trainer.steps, lambda self, v: setattr(self.trainer, "steps", int(v)))

    def setup(self, problem, net) -> None:
        """As :meth:`GradientStrategy.setup`; a problem with its own loss (``own_gradient``: seq2seq
        transduction, CTC) gives its gradient instead of the MSE of :mod:`evornn.grad.bptt`."""
        if not problem.own_gradient:
            super().setup(problem, net)
            return
        problem.check_gradient(net)
        if net.n_params != self.n_params:
            raise ValueError(f"{self.name} has {self.n_params} parameters, network {net.n_params}")
        self.net, self.problem = net, problem

    def train_epoch(self, w: np.ndarray) -> np.ndarray:
        k = self.config.truncation
        if self.problem is not None:
            def grad(w_, seqs):
                seed = int(self.rng.integers(2**62))      # scheduled sampling's draws, from the run's stream
                return self.problem.gradient(self.net, w_, seqs, seed, truncation=k)
        else:
            def grad(w_, seqs):
                return bptt.gradient(self.net, w_, self.data, seqs, truncation=k)

        w, self.last_loss = self.trainer.epoch(w, self._n_sequences(), self.rng, grad)
        return w
