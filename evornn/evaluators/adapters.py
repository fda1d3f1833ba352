"""Adapters that plug evornn's evaluators into other libraries' optimisers.

- :class:`DeapEvaluator`: an ``evaluate``/``map`` pair for a DEAP toolbox (Fortin et al. 2012,
  JMLR 13:2171-2175). DEAP's algorithms call ``toolbox.map(toolbox.evaluate, individuals)``; this
  ``map`` evaluates the whole list in one parallel call of the evaluator and returns fitness tuples
  ``(f,)``. Use a maximising fitness (``weights=(1.0,)``).
- :class:`PySwarmsObjective`: an objective ``f(swarm (n_particles, dims)) -> cost (n_particles,)``
  for pyswarms (Miranda 2018, JOSS 3(21):433), which minimises: ``cost = -fitness``. Leave
  pyswarms' ``n_processes`` unset: the evaluator is already parallel.

Both take ``(problem, net, evaluator=None, seed=0)``. Evaluation seeds are deterministic: the
c-th batch (counting from 0) evaluates its individual i with ``eval_seeds(seed, c, n)[i]``, as
the runner does for generation c (``[0]`` for every i with a problem's ``common_seeds``), so a
run of the other library that is itself seeded gives the same fitness values every time, with any
number of threads. Non-finite fitness counts as -inf.
"""
from __future__ import annotations

from functools import partial
from typing import Any, Callable, Iterable

import numpy as np

from .local import LocalEvaluator
from ..problem import Problem
from ..seeding import generation_seeds


class _Batches:
    """Evaluates batches of chromosomes of ``net`` on ``problem``, counting batches for seeds."""

    def __init__(self, problem: Problem, net, evaluator=None, seed: int = 0):
        problem.check_network(net)
        self.problem, self.net = problem, net
        self.evaluator = evaluator or LocalEvaluator()
        self.seed = int(seed)
        self.batches = 0        # batches evaluated so far (the next batch's "generation")
        self.evaluations = 0    # chromosomes evaluated so far

    def fitness(self, W: np.ndarray) -> np.ndarray:
        """Fitness (P,) of the rows of W (P, n_params), in one call of the evaluator."""
        W = np.ascontiguousarray(W, dtype=np.float64)
        if W.ndim != 2 or W.shape[1] != self.net.n_params:
            raise ValueError(f"expected chromosomes of shape (P, {self.net.n_params}) for {self.net.name}, "
                             f"got {W.shape}")
        if W.shape[0] == 0:
            return np.zeros(0)
        seeds = generation_seeds(self.problem, self.seed, self.batches, W.shape[0])
        res = self.evaluator(self.problem, self.net, W, seeds)
        self.batches += 1
        self.evaluations += W.shape[0]
        f = np.asarray(res.fitness, dtype=np.float64)
        return np.where(np.isfinite(f), f, -np.inf)


class DeapEvaluator(_Batches):
    """``toolbox.register("evaluate", ev.evaluate)`` and ``toolbox.register("map", ev.map)``
    (or ``ev.register(toolbox)``): DEAP's algorithms then evaluate each generation in one batch."""

    def evaluate(self, individual: Iterable[float]) -> tuple[float]:
        """The fitness tuple of one individual (a batch of one)."""
        return (float(self.fitness(np.asarray(list(individual), dtype=np.float64)[None, :])[0]),)

    def map(self, func: Callable[[Any], Any], iterable: Iterable[Any]) -> list:
        """``map(toolbox.evaluate, individuals)`` as one batch; any other function is mapped one by one."""
        items = list(iterable)
        target = func.func if isinstance(func, partial) and not func.args and not func.keywords else func
        if target != self.evaluate:
            return list(map(func, items))
        if not items:
            return []
        W = np.array([list(ind) for ind in items], dtype=np.float64)
        return [(float(v),) for v in self.fitness(W)]

    def register(self, toolbox) -> None:
        toolbox.register("evaluate", self.evaluate)
        toolbox.register("map", self.map)


class PySwarmsObjective(_Batches):
    """``optimizer.optimize(PySwarmsObjective(problem, net, seed=s), iters)``: cost = -fitness."""

    def __call__(self, swarm: np.ndarray) -> np.ndarray:
        return -self.fitness(swarm)
