"""The ask/tell interface every optimiser implements, and its checkpointable state.

An optimiser is a small object holding its sizes, its settings (a frozen dataclass ``Config``
whose fields are the keys a config file may set) and its state. It *maximises* fitness: ``ask``
returns a (P, n_params) float64 population, ``tell`` receives that population and its fitness
(P,). All its randomness comes from the ``numpy.random.Generator`` it is given.

Hooks with defaults, overridden where an optimiser needs them: :meth:`Strategy.setup` (the problem
and the network, before the first ``ask``), :meth:`Strategy.evaluations_counted` (what a generation
adds to the run's count) and :meth:`Strategy.stop` (reasons the optimiser itself ends the run, as
pycma's ``stop()``). ``tell`` is a template: it checks the shapes, turns NaN fitness into -inf,
tracks the best individual, then calls :meth:`Strategy.update`, which each optimiser implements.

State for checkpoints is plain data: the attributes named in ``state_fields`` (arrays, numbers,
strings, lists) plus the Generator's state, so a run can be saved as .npz/.json (no pickle) and
resumed bit for bit.
"""
from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from typing import Any, Callable, ClassVar

import numpy as np

InitFn = Callable[[np.random.Generator, int], np.ndarray]


@dataclasses.dataclass(frozen=True)
class NoConfig:
    pass


class Strategy(ABC):
    """Base of all optimisers. Subclasses set ``name``, ``Config`` and ``state_fields``."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    Config: ClassVar[type] = NoConfig
    state_fields: ClassVar[tuple[str, ...]] = ()
    # What the problem must provide besides evaluate(): "" (nothing: any problem), "sequence data"
    # (a supervised problem's training data: the gradient trainers, esn-ridge), "stored patterns"
    # (an associative-memory problem's patterns: storage-rule) or "solved readout" (a supervised
    # problem with readout = "ridge": evolino).
    needs: ClassVar[str] = ""
    # The network used when the run names none (None: the problem's default); NEAT's is neat-net.
    default_net: ClassVar[dict | None] = None

    def __init__(self, n_params: int, config: Any, rng: np.random.Generator, init: InitFn):
        if int(n_params) < 1:
            raise ValueError(f"{self.name}: n_params must be >= 1, got {n_params}")
        self.n_params = int(n_params)
        self.config = config if config is not None else self.Config()
        self.rng = rng
        self.init = init
        self.best_x: np.ndarray | None = None
        self.best_f = -np.inf

    @abstractmethod
    def ask(self) -> np.ndarray:
        """The next population to evaluate, (P, n_params) float64."""

    def tell(self, population: np.ndarray, fitness: np.ndarray) -> None:
        """Take the fitness (P,) of the population ``ask`` returned: the shared prologue (shapes,
        NaN -> -inf, the best so far), then :meth:`update`."""
        pop = np.array(population, dtype=np.float64)
        fit = np.array(fitness, dtype=np.float64).reshape(-1)
        rows = self.expected_rows()
        if pop.ndim != 2 or pop.shape[1] != self.n_params or (rows is not None and pop.shape[0] != rows) \
                or fit.shape != (pop.shape[0],):
            want = rows if rows is not None else "P"
            raise ValueError(f"{self.name}.tell: expected the ({want}, {self.n_params}) population ask returned "
                             f"and its ({want},) fitness, got {pop.shape} and {fit.shape}")
        fit[np.isnan(fit)] = -np.inf
        self._track_best(pop, fit)
        self.update(pop, fit)

    def expected_rows(self) -> int | None:
        """How many rows ``tell`` expects (those of the last ``ask``); None: any number."""
        return None

    def update(self, population: np.ndarray, fitness: np.ndarray) -> None:
        """The optimiser's step from a checked population (P, n) and its fitness (P,), NaN as -inf
        (called by :meth:`tell` after the best so far is tracked); every optimiser implements it."""

    def setup(self, problem: Any, net: Any) -> None:
        """Take what the optimiser needs from the problem and the network before the first ``ask``
        (the runner calls it once); by default nothing."""

    def stop(self) -> list:
        """:class:`~evornn.stopping.StopReason` s for which the optimiser itself ends the run (after
        each ``tell``); by default none."""
        return []

    def info(self) -> dict[str, Any]:
        """Facts about the search so far for the run's summary (e.g. restarts); json-able."""
        return {}

    def test_candidate(self, fitness: np.ndarray) -> int:
        """The row of the population just told whose network the runner tests for "solved" (a
        problem with a test after the generation): by default the fittest (the first of equals).
        NEAT can choose as its code's non-Markov pole experiment does (``test_choice``)."""
        return int(np.argmax(fitness))

    def test_candidates(self, fitness: np.ndarray) -> list[int]:
        """The rows the runner may test, in the order it tries them: it tests the first whose
        evaluation the problem's gate admits (one test a generation at most). By default only
        :meth:`test_candidate`; CoSyNE's ``test_choice = "mean"`` ranks every row. An empty list
        tests nothing this generation."""
        return [self.test_candidate(fitness)]

    def evaluations_counted(self, population: np.ndarray) -> int:
        """What the generation that evaluated ``population`` adds to the run's evaluation count:
        its rows. Gradient trainers count the sequences their epoch presented instead."""
        return int(population.shape[0])

    # -- memory (evornn.memory): classmethods, asked before anything is built ------------------
    # memory_room(rows): None when a generation of ``rows`` chromosomes fits the run's memory limit,
    # else the one-line reason (evornn.memory.room; None: no limit). Asked by strategies whose
    # generation grows during a run (CMA-ES's IPOP restarts).
    memory_room: Any = None

    @classmethod
    def rows(cls, config: Any, n_params: int) -> int:
        """Chromosomes one generation asks for: the config's ``population`` by default, else 1."""
        return max(1, int(getattr(config, "population", 1) or 1))

    @classmethod
    def size_settings(cls, config: Any) -> dict[str, Any]:
        """The settings that make the generation's size (named when a run is refused for memory)."""
        return {"population": config.population} if hasattr(config, "population") else {}

    @classmethod
    def memory_bytes(cls, config: Any, n_params: int, net: Any = None, problem: Any = None) -> int:
        """Bytes the optimiser holds at its peak during one generation with settings ``config`` on
        ``n_params`` parameters (``net``: the network, possibly its layout only; ``problem``): by
        default three population matrices (its own, the copy ``ask`` returns, the copy ``tell``
        checks). Optimisers that keep more (velocities, subpopulations, a covariance) override it."""
        return 3 * cls.rows(config, n_params) * int(n_params) * 8

    def start_point(self, x0: str, init_range: float) -> np.ndarray:
        """The one starting chromosome of a strategy that moves a single point (CMA-ES's and
        OpenAI-ES's mean): ``x0 = "network"`` (the network's initialiser), ``"uniform"``
        (+-``init_range``) or ``"zero"``."""
        if x0 == "network":
            return np.asarray(self.init(self.rng, 1), dtype=np.float64).reshape(-1).copy()
        if x0 == "uniform":
            return self.rng.uniform(-init_range, init_range, self.n_params)
        return np.zeros(self.n_params)

    def _track_best(self, population: np.ndarray, fitness: np.ndarray) -> None:
        i = int(np.argmax(fitness))
        if fitness[i] > self.best_f:
            self.best_f = float(fitness[i])
            self.best_x = population[i].copy()

    # -- checkpoint state -------------------------------------------------------------------
    def get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """(arrays, json-able metadata) that :meth:`set_state` restores exactly."""
        arrays, meta = {}, {"rng": self.rng.bit_generator.state, "best_f": self.best_f}
        if self.best_x is not None:
            arrays["best_x"] = self.best_x
        for f in self.state_fields:
            v = getattr(self, f)
            if isinstance(v, np.ndarray):
                arrays[f] = v
            else:
                meta[f] = v
        return arrays, meta

    def set_state(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        self.rng.bit_generator.state = meta["rng"]
        self.best_f = float(meta["best_f"])
        self.best_x = np.array(arrays["best_x"]) if "best_x" in arrays else None
        for f in self.state_fields:
            setattr(self, f, np.array(arrays[f]) if f in arrays else meta.get(f))
