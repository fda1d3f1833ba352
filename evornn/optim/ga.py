"""Generational genetic algorithm with elitism, over DEAP's operators.

Holland (1975), "Adaptation in Natural and Artificial Systems"; Goldberg (1989), "Genetic
Algorithms in Search, Optimization and Machine Learning"; elitism after De Jong (1975), "An analysis
of the behavior of a class of genetic adaptive systems". The "conventional neuroevolution" row of
the pole-balancing tables (e.g. Gomez, Schmidhuber & Miikkulainen 2008, JMLR 9:937-965) is a GA of
this kind. Selection, crossover and mutation are DEAP's operators (Fortin et al. 2012, JMLR
13:2171-2175), chosen by name (see :mod:`evornn.optim.deap_ops`); variation follows DEAP's
``varAnd``.

One generation: the best ``elite`` individuals are copied unchanged into the next population; the
other ``population - elite`` are selected from the whole population, crossed in pairs (0,1),
(2,3), ... with probability ``crossover_prob`` and each mutated with probability
``mutation_prob``. By default ``ask`` returns only the new individuals and the elite keep the
fitness they were measured with (no evaluations spent on them, and the best fitness never
decreases); ``reevaluate_elite = true`` asks for the whole population every generation, for
problems with noisy fitness.

Randomness: DEAP draws from Python's global ``random``. The GA keeps its own ``random`` state,
derived from its numpy Generator at construction and saved in checkpoints, and swaps it into the
global module only around DEAP's calls, restoring the caller's state afterwards (also on errors).
``vectorised = true`` uses the NumPy versions of :mod:`evornn.optim.vectorised` instead (for large
populations), drawing from the numpy Generator: same operator semantics and distributions as the
DEAP path, but the two paths are not bit-identical to each other.

With a bounded operator (``sbx-bounded``, ``polynomial``) the search space is the box
[low, up]: the initial population and every offspring are clipped into it, because those
operators assume genes inside their bounds.

The defaults (network initialiser, Gaussian sigma 0.3) suit supervised tasks; pole balancing
wants large weights: ``init = "uniform"``, ``init_range = 10``, ``mutation_args = {sigma = 2,
indpb = 0.3}`` solved the velocity tasks in a few hundred (one pole) and a few thousand (two
poles) evaluations with population 50 (tests/test_ga.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import deap_ops, vectorised
from .base import InitFn, Strategy


@dataclass(frozen=True)
class GAConfig:
    population: int = 100
    elite: int = 1                      # best individuals copied unchanged into the next generation
    selection: str = "tournament"       # DEAP name or alias; see deap_ops.OPERATORS / ALIASES
    selection_args: dict = field(default_factory=dict)
    crossover: str = "blend"
    crossover_args: dict = field(default_factory=dict)
    mutation: str = "gaussian"
    mutation_args: dict = field(default_factory=dict)
    crossover_prob: float = 0.5         # per pair of selected parents (DEAP's cxpb)
    mutation_prob: float = 0.5          # per child (DEAP's mutpb); genes then by the operator's indpb
    init: str = "network"               # "network": the network's initialiser; "uniform": +-init_range
    init_range: float = 1.0
    reevaluate_elite: bool = False
    vectorised: bool = False            # NumPy operators instead of DEAP's (not bit-identical)

    def validate(self, where: str = "ga") -> None:
        if not isinstance(self.population, int) or self.population < 2:
            raise ValueError(f"{where}.population must be an integer >= 2, got {self.population!r}")
        if not isinstance(self.elite, int) or not 0 <= self.elite < self.population:
            raise ValueError(f"{where}.elite must be in 0..population-1 ({self.population - 1}), got {self.elite!r}")
        for k in ("crossover_prob", "mutation_prob"):
            v = getattr(self, k)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{where}.{k} must be in [0, 1], got {v!r}")
        if self.init not in ("network", "uniform"):
            raise ValueError(f"{where}.init must be 'network' or 'uniform', got {self.init!r}")
        if not self.init_range > 0:
            raise ValueError(f"{where}.init_range must be > 0, got {self.init_range!r}")
        for kind in deap_ops.KINDS:
            canon = deap_ops.resolve(kind, getattr(self, kind), getattr(self, f"{kind}_args"), where)[0]
            if self.vectorised and canon not in vectorised.SUPPORTED[kind]:
                raise ValueError(f"{where}.{kind}: {canon} has no vectorised version; with vectorised = true "
                                 f"use one of {', '.join(vectorised.SUPPORTED[kind])}")


_NEEDS_POSITIVE = ("selRoulette", "selStochasticUniversalSampling")


class GeneticAlgorithm(Strategy):
    name = "ga"
    description = ("generational genetic algorithm with elitism (Holland 1975; De Jong 1975); DEAP's "
                   "selection, crossover and mutation operators by name, optional vectorised path")
    Config = GAConfig
    state_fields = ("population", "fitness", "pending", "generation", "py_random")

    def __init__(self, n_params: int, config: GAConfig | None, rng: np.random.Generator, init: InitFn):
        super().__init__(n_params, config, rng, init)
        c = self.config
        c.validate(self.name)
        self.ops = {kind: deap_ops.resolve(kind, getattr(c, kind), getattr(c, f"{kind}_args"), self.name,
                                           self.n_params) for kind in deap_ops.KINDS}
        self._random = deap_ops.IsolatedRandom(int.from_bytes(rng.bytes(32), "little"))
        self._bounds = self._box()
        self.population: np.ndarray | None = None   # the current generation, fitness known
        self.fitness: np.ndarray | None = None
        self.pending: np.ndarray | None = None      # what ask returns
        self.generation = 0

    @classmethod
    def memory_bytes(cls, config, n_params, net=None, problem=None) -> int:
        """The pending children, ask's copy, tell's copy, the population kept, the selected parents,
        the children and their clipped copy; DEAP's operators work on lists of Python floats (32
        bytes a gene). Measured (tracemalloc, P = 400, n = 1000): 11 and 8.2 population matrices."""
        matrices = 9 if config.vectorised else 11
        return matrices * config.population * int(n_params) * 8

    @property
    def py_random(self) -> list:
        """The GA's own Python ``random`` state, JSON-able."""
        return self._random.as_list()

    @py_random.setter
    def py_random(self, state: list) -> None:
        self._random.load(state)

    def _box(self) -> tuple[np.ndarray, np.ndarray] | None:
        boxes = [self.ops[kind][2] for kind in ("crossover", "mutation") if self.ops[kind][0] in deap_ops.BOUNDED]
        if not boxes:
            return None
        lo = np.max([np.broadcast_to(np.asarray(kw["low"], float), self.n_params) for kw in boxes], axis=0)
        hi = np.min([np.broadcast_to(np.asarray(kw["up"], float), self.n_params) for kw in boxes], axis=0)
        if np.any(lo >= hi):
            raise ValueError(f"{self.name}: the crossover and mutation bounds do not overlap")
        return lo, hi

    def _clip(self, X: np.ndarray) -> np.ndarray:
        return X if self._bounds is None else np.clip(X, *self._bounds)

    def ask(self) -> np.ndarray:
        if self.pending is None:
            c = self.config
            if c.init == "network":
                W = np.asarray(self.init(self.rng, c.population), dtype=np.float64)
            else:
                W = self.rng.uniform(-c.init_range, c.init_range, (c.population, self.n_params))
            if W.shape != (c.population, self.n_params):
                raise ValueError(f"{self.name}: the initialiser returned shape {W.shape}, "
                                 f"expected {(c.population, self.n_params)}")
            self.pending = self._clip(W)
        return self.pending.copy()

    def expected_rows(self) -> int:
        return self.pending.shape[0] if self.pending is not None else self.config.population

    def update(self, pop: np.ndarray, fit: np.ndarray) -> None:
        new_pop, new_fit = pop, fit
        if pop.shape[0] < self.config.population:    # the elite kept their measured fitness
            e = self._elite(self.fitness)
            new_pop = np.concatenate([self.population[e], pop])
            new_fit = np.concatenate([self.fitness[e], fit])
        pending = self._breed(new_pop, new_fit)       # may raise: then the population has not changed
        self.population, self.fitness, self.pending = new_pop.copy(), new_fit, pending
        self.generation += 1

    def _elite(self, fitness: np.ndarray) -> np.ndarray:
        """Indices of the best ``elite`` by ``fitness``, best first (ties: lower index)."""
        return np.argsort(-fitness, kind="stable")[:self.config.elite]

    def select(self, fitness: np.ndarray, k: int) -> np.ndarray:
        """Indices (k,) of the parents the configured selection picks by ``fitness`` (P,)."""
        canon, fn, kw = self.ops["selection"]
        if canon in _NEEDS_POSITIVE and not (np.all(np.isfinite(fitness)) and np.all(fitness >= 0)
                                            and fitness.sum() > 0):
            raise ValueError(f"{self.name}.selection: {canon} needs finite fitness >= 0 with a positive sum, "
                             f"got min {fitness.min():.6g}; use tournament, best or random for this problem")
        if self.config.vectorised:
            return vectorised.select(canon, kw, fitness, k, self.rng)
        with self._random.active():
            return deap_ops.select(fn, kw, fitness, k)

    def vary(self, parents: np.ndarray) -> np.ndarray:
        """Offspring (k, n) of ``parents`` (k, n) by crossover then mutation (DEAP's varAnd)."""
        c = self.config
        (cx, cx_fn, cx_kw), (mut, mut_fn, mut_kw) = self.ops["crossover"], self.ops["mutation"]
        if c.vectorised:
            X = np.array(parents, dtype=np.float64)
            vectorised.crossover(cx, cx_kw, X, c.crossover_prob, self.rng)
            vectorised.mutate(mut, mut_kw, X, c.mutation_prob, self.rng)
            return X
        with self._random.active():
            return deap_ops.vary(parents, cx_fn, cx_kw, c.crossover_prob, mut_fn, mut_kw, c.mutation_prob)

    def _breed(self, population: np.ndarray, fitness: np.ndarray) -> np.ndarray:
        """What ``ask`` returns next: the offspring (after the elite when they are re-evaluated)."""
        c = self.config
        children = self._clip(self.vary(population[self.select(fitness, c.population - c.elite)]))
        if c.reevaluate_elite:
            return np.concatenate([population[self._elite(fitness)], children])
        return children
