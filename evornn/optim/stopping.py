"""Stopping criteria: small predicates over a run's progress that say why they fired.

Any criterion that fires stops the run (they compose as "any of"); each returns a
:class:`StopReason` naming itself, the value it saw and its threshold, as pycma's ``stop()`` does.
Metric criteria read the metrics of the run's best individual (by fitness), the network the run
returns.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field


@dataclass
class Progress:
    """What the runner knows after each generation."""

    generation: int = 0          # generations completed
    evaluations: int = 0         # fitness evaluations (test episodes not included)
    test_episodes: int = 0
    elapsed: float = 0.0         # seconds of wall-clock time
    best_fitness: float = -math.inf
    best_metrics: dict = field(default_factory=dict)
    solved: bool = False
    since_improvement: int = 0   # generations since best_fitness last improved
    evaluations_to_solve: int = 0   # when solved: evaluations up to and including the solving network


@dataclass(frozen=True)
class StopReason:
    criterion: str
    value: float
    threshold: float
    message: str

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def _reason(name, value, threshold, text):
    return StopReason(name, float(value), float(threshold), text)


@dataclass(frozen=True)
class StopConfig:
    """The stopping settings of a run ([stop] in a config); 0 (or None) switches one off."""

    max_generations: int = 0
    max_evaluations: int = 0
    target_mse: float = 0.0
    learnt_fraction: float = 0.0
    target_fitness: float | None = None
    solved: bool = True
    stagnation: int = 0
    wall_clock: float = 0.0

    def validate(self, where: str = "stop") -> None:
        for k in ("max_generations", "max_evaluations", "stagnation"):
            if getattr(self, k) < 0:
                raise ValueError(f"{where}.{k} must be >= 0 (0 switches it off), got {getattr(self, k)}")
        if self.target_mse < 0 or self.wall_clock < 0:
            raise ValueError(f"{where}: target_mse and wall_clock must be >= 0")
        if not 0.0 <= self.learnt_fraction <= 1.0:
            raise ValueError(f"{where}.learnt_fraction must be in [0, 1], got {self.learnt_fraction}")
        if not (self.max_generations or self.max_evaluations or self.wall_clock):
            raise ValueError(f"{where}: set at least one of max_generations, max_evaluations, wall_clock "
                             f"so that every run ends")


def check(cfg: StopConfig, p: Progress) -> list[StopReason]:
    """Every criterion of ``cfg`` that fires for progress ``p``."""
    out = []
    if cfg.max_generations and p.generation >= cfg.max_generations:
        out.append(_reason("max_generations", p.generation, cfg.max_generations,
                           f"reached {p.generation} generations"))
    if cfg.max_evaluations and p.evaluations >= cfg.max_evaluations:
        out.append(_reason("max_evaluations", p.evaluations, cfg.max_evaluations,
                           f"used {p.evaluations} evaluations (budget {cfg.max_evaluations})"))
    mse = p.best_metrics.get("mse")
    if cfg.target_mse and mse is not None and mse <= cfg.target_mse:
        out.append(_reason("target_mse", mse, cfg.target_mse, f"best MSE {mse:.4g} <= {cfg.target_mse:g}"))
    learnt = p.best_metrics.get("learnt")
    if cfg.learnt_fraction and learnt is not None and learnt >= cfg.learnt_fraction:
        out.append(_reason("learnt_fraction", learnt, cfg.learnt_fraction,
                           f"{learnt:.1%} of the training data learnt"))
    if cfg.target_fitness is not None and p.best_fitness >= cfg.target_fitness:
        out.append(_reason("target_fitness", p.best_fitness, cfg.target_fitness,
                           f"best fitness {p.best_fitness:.6g} >= {cfg.target_fitness:g}"))
    if cfg.solved and p.solved:
        out.append(_reason("solved", 1, 1, "the problem is solved by its own definition"))
    if cfg.stagnation and p.since_improvement >= cfg.stagnation:
        out.append(_reason("stagnation", p.since_improvement, cfg.stagnation,
                           f"no improvement in {p.since_improvement} generations"))
    if cfg.wall_clock and p.elapsed >= cfg.wall_clock:
        out.append(_reason("wall_clock", p.elapsed, cfg.wall_clock, f"ran {p.elapsed:.1f} s"))
    return out


CRITERIA = {
    "max_generations": "maximum number of generations",
    "max_evaluations": "maximum number of fitness evaluations (the budget)",
    "target_mse": "minimum error reached: the best network's training MSE at or below the target",
    "learnt_fraction": "share of the training data learnt by the best network",
    "target_fitness": "best fitness at or above a target",
    "solved": "the problem's own definition of solved (e.g. 100,000 steps plus generalization)",
    "stagnation": "no improvement of the best fitness in k generations",
    "wall_clock": "wall-clock budget in seconds",
}
