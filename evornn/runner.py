"""The one loop: ask, evaluate, tell, log, check the stopping criteria, checkpoint.

Determinism: the fitness of individual i of generation g depends only on (root seed, g, i,
chromosome), because its evaluation seed is ``eval_seeds(seed, g, P)[i]`` (``[0]`` for every i
when the problem sets ``common_seeds``: :func:`evornn.seeding.generation_seeds`) and the optimiser
draws from its own Generator; so the same seed gives a bit-identical run with any number of threads or
workers, and a run restored from :meth:`Runner.get_state` continues bit for bit. BLAS computes
with ``blas_threads`` threads (1 by default) during each generation, because its results depend on
its thread count (:mod:`evornn.blas`).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from . import blas
from .evaluators import LocalEvaluator
from .stopping import Progress, StopConfig, StopReason, check
from .problem import Problem
from .seeding import generation_seeds


@dataclass
class RunResult:
    best_chromosome: np.ndarray
    best_fitness: float
    best_metrics: dict
    stop_reasons: list[StopReason]
    progress: Progress
    history: list[dict] = field(default_factory=list)
    solved_info: dict = field(default_factory=dict)

    @property
    def solved(self) -> bool:
        return self.progress.solved

    @property
    def stop_reason(self) -> str:
        return "; ".join(r.message for r in self.stop_reasons)


class Runner:
    """Drives ``strategy`` on ``problem`` with network ``net`` until a stopping criterion fires.

    ``callbacks`` are called as ``cb(runner, row)`` after every generation (logging,
    checkpoints); ``row`` is the generation's log line as a dict. ``blas_threads``: BLAS's threads
    while a generation computes (0: as the environment set them; see :mod:`evornn.blas`).
    """

    def __init__(self, problem: Problem, net, strategy, stop: StopConfig, evaluator=None, seed: int = 0,
                 callbacks: tuple[Callable[["Runner", dict], Any], ...] = (), blas_threads: int = 1):
        problem.check_network(net)
        if strategy.n_params != net.n_params:
            raise ValueError(f"optimiser has {strategy.n_params} parameters, network {net.n_params}")
        stop.validate()
        stop.check_metrics(problem)
        if not isinstance(blas_threads, int) or isinstance(blas_threads, bool) or blas_threads < 0:
            raise ValueError(f"blas_threads must be an integer >= 0 (0: as the environment sets it), got {blas_threads!r}")
        self.blas_threads = blas_threads
        with blas.limit(blas_threads):
            strategy.setup(problem, net)
        self.problem, self.net, self.strategy, self.stop = problem, net, strategy, stop
        self.evaluator = evaluator or LocalEvaluator()
        self.seed = int(seed)
        self.callbacks = tuple(callbacks)
        self.progress = Progress()
        self.best_x: np.ndarray | None = None
        self.best_metrics: dict = {}
        self.solved_info: dict = {}
        self.history: list[dict] = []
        self._has_test = type(problem).check_solved is not Problem.check_solved

    def step(self) -> dict:
        """Run one generation; returns its log row."""
        with blas.limit(self.blas_threads):
            return self._step()

    def _step(self) -> dict:
        t0 = time.perf_counter()
        p, names = self.progress, self.problem.metric_names
        pop = self.strategy.ask()
        seeds = generation_seeds(self.problem, self.seed, p.generation, pop.shape[0])
        res = self.evaluator(self.problem, self.net, pop, seeds)
        fit = np.where(np.isfinite(res.fitness), res.fitness, -np.inf)
        self.strategy.tell(pop, fit)
        # the rows as scored (a problem may have solved some genes, e.g. a readout): what is kept
        scored = pop if res.chromosomes is None else res.chromosomes
        i = int(np.argmax(fit))
        gen_metrics = {n: float(res.metrics[i, j]) for j, n in enumerate(names)}
        p.generation += 1
        batch = int(self.strategy.evaluations_counted(pop))
        p.evaluations += batch
        if fit[i] > p.best_fitness:
            p.best_fitness, p.since_improvement = float(fit[i]), 0
            self.best_x, self.best_metrics = scored[i].copy(), gen_metrics
            p.best_metrics = dict(gen_metrics)
        else:
            p.since_improvement += 1
        if self._has_test and not p.solved:
            chk = None                                       # no candidate: nothing tested this generation
            for j in self.strategy.test_candidates(fit):    # the fittest, unless the optimiser chooses
                chk = self.problem.check_solved(self.net, scored[j], res.metrics[j], int(seeds[j]))
                p.test_episodes += chk.test_episodes
                if chk.solved or chk.test_episodes:          # one test a generation
                    break
            if chk is not None and chk.solved:
                p.solved = True
                # Solved by its evaluation alone (no test episodes): an evaluator going through the
                # batch one network at a time would have stopped at this one, as the literature
                # counts. Solved by a test after the generation: the whole generation counts.
                one_each = batch == pop.shape[0] and chk.test_episodes == 0
                p.evaluations_to_solve = p.evaluations - batch + j + 1 if one_each else p.evaluations
                self.solved_info = dict(chk.info)
                tested = {n: float(res.metrics[j, k]) for k, n in enumerate(names)}
                self.best_x, self.best_metrics = scored[j].copy(), tested
                p.best_metrics = dict(tested)
        p.elapsed += time.perf_counter() - t0
        finite = fit[np.isfinite(fit)]
        row = {"generation": p.generation, "evaluations": p.evaluations, "test_episodes": p.test_episodes,
               "elapsed": p.elapsed, "best": float(fit[i]),
               "median": float(np.median(finite)) if finite.size else -math.inf,
               "mean": float(np.mean(finite)) if finite.size else -math.inf,
               "run_best": p.best_fitness, "solved": int(p.solved),
               **{f"best_{n}": v for n, v in gen_metrics.items()}}
        self.history.append(row)
        for cb in self.callbacks:
            cb(self, row)
        return row

    def reasons(self) -> list[StopReason]:
        """Why the run ends now: the stopping criteria that fire, then the optimiser's own reasons."""
        return check(self.stop, self.progress) + list(self.strategy.stop())

    def run(self) -> RunResult:
        reasons: list[StopReason] = self.reasons() if self.progress.generation else []
        while not reasons:
            self.step()
            reasons = self.reasons()
        return RunResult(self.best_x, self.progress.best_fitness, dict(self.best_metrics), reasons,
                         self.progress, self.history, self.solved_info)

    # -- checkpoint state ----------------------------------------------------------------------
    def get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays, meta = self.strategy.get_state()
        arrays = {f"strategy.{k}": v for k, v in arrays.items()}
        if self.best_x is not None:
            arrays["best_x"] = self.best_x
        p = self.progress
        meta = {"strategy": meta, "progress": {k: getattr(p, k) for k in p.__dataclass_fields__},
                "best_metrics": self.best_metrics, "solved_info": self.solved_info, "seed": self.seed}
        return arrays, meta

    def set_state(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        with blas.limit(self.blas_threads):      # CMA-ES replays its generations: as they ran
            self.strategy.set_state({k[9:]: v for k, v in arrays.items() if k.startswith("strategy.")},
                                    meta["strategy"])
        self.best_x = np.array(arrays["best_x"]) if "best_x" in arrays else None
        self.progress = Progress(**meta["progress"])
        self.best_metrics = dict(meta["best_metrics"])
        self.solved_info = dict(meta["solved_info"])
