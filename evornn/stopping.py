"""Stopping criteria: small predicates over a run's progress that say why they fired.

Any criterion that fires stops the run (they compose as "any of"); each returns a
:class:`StopReason` naming itself, the value it saw and its threshold, as pycma's ``stop()`` does.
Metric criteria (``at_most``, ``at_least``) read any metric the problem reports, by name, of the
run's best individual (by fitness), the network the run returns. Each reason says whether it means
success (a target reached, the problem solved) or only that a budget ran out. An optimiser may end
a run too, through its ``stop()`` (see :class:`evornn.optim.base.Strategy`).
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
    success: bool = False        # True when the criterion means the run reached its goal

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def _reason(name, value, threshold, text, success=False):
    return StopReason(name, float(value), float(threshold), text, success)


@dataclass(frozen=True)
class StopConfig:
    """The stopping settings of a run ([stop] in a config); 0 (or None, or {}) switches one off."""

    max_generations: int = 0
    max_evaluations: int = 0
    at_most: dict[str, float] = field(default_factory=dict)    # metric -> target: best's metric <= target
    at_least: dict[str, float] = field(default_factory=dict)   # metric -> target: best's metric >= target
    target_fitness: float | None = None
    solved: bool = True
    stagnation: int = 0
    wall_clock: float = 0.0

    def validate(self, where: str = "stop") -> None:
        for k in ("max_generations", "max_evaluations", "stagnation"):
            if getattr(self, k) < 0:
                raise ValueError(f"{where}.{k} must be >= 0 (0 switches it off), got {getattr(self, k)}")
        if not self.wall_clock >= 0:
            raise ValueError(f"{where}.wall_clock must be >= 0, got {self.wall_clock}")
        for k in ("at_most", "at_least"):
            for metric, v in getattr(self, k).items():
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                    raise ValueError(f"{where}.{k}.{metric} must be a finite number, got {v!r}")
        if not (self.max_generations or self.max_evaluations or self.wall_clock):
            raise ValueError(f"{where}: set at least one of max_generations, max_evaluations, wall_clock "
                             f"so that every run ends")

    def check_metrics(self, problem, where: str = "stop") -> None:
        """Every metric named in ``at_most``/``at_least`` must be one ``problem`` reports."""
        for k in ("at_most", "at_least"):
            for metric in getattr(self, k):
                if metric not in problem.metric_names:
                    raise ValueError(f"{where}.{k}: problem {problem.name} has no metric {metric!r}; "
                                     f"its metrics: {', '.join(problem.metric_names) or 'none'}")


def check(cfg: StopConfig, p: Progress) -> list[StopReason]:
    """Every criterion of ``cfg`` that fires for progress ``p``."""
    out = []
    if cfg.max_generations and p.generation >= cfg.max_generations:
        out.append(_reason("max_generations", p.generation, cfg.max_generations,
                           f"reached {p.generation} generations"))
    if cfg.max_evaluations and p.evaluations >= cfg.max_evaluations:
        out.append(_reason("max_evaluations", p.evaluations, cfg.max_evaluations,
                           f"used {p.evaluations} evaluations (budget {cfg.max_evaluations})"))
    for metric, target in cfg.at_most.items():
        v = p.best_metrics.get(metric)
        if v is not None and v <= target:
            out.append(_reason(f"at_most.{metric}", v, target, f"best {metric} {v:.4g} <= {target:g}", True))
    for metric, target in cfg.at_least.items():
        v = p.best_metrics.get(metric)
        if v is not None and v >= target:
            out.append(_reason(f"at_least.{metric}", v, target, f"best {metric} {v:.4g} >= {target:g}", True))
    if cfg.target_fitness is not None and p.best_fitness >= cfg.target_fitness:
        out.append(_reason("target_fitness", p.best_fitness, cfg.target_fitness,
                           f"best fitness {p.best_fitness:.6g} >= {cfg.target_fitness:g}", True))
    if cfg.solved and p.solved:
        out.append(_reason("solved", 1, 1, "the problem is solved by its own definition", True))
    if cfg.stagnation and p.since_improvement >= cfg.stagnation:
        out.append(_reason("stagnation", p.since_improvement, cfg.stagnation,
                           f"no improvement in {p.since_improvement} generations"))
    if cfg.wall_clock and p.elapsed >= cfg.wall_clock:
        out.append(_reason("wall_clock", p.elapsed, cfg.wall_clock, f"ran {p.elapsed:.1f} s"))
    return out


CRITERIA = {
    "max_generations": "maximum number of generations",
    "max_evaluations": "maximum number of fitness evaluations (the budget)",
    "at_most": "metric targets, e.g. {mse = 1e-3}: the best network's metric at or below its target (success)",
    "at_least": "metric targets, e.g. {learnt = 0.95}: the best network's metric at or above its target (success)",
    "target_fitness": "best fitness at or above a target (success)",
    "solved": "the problem's own definition of solved, e.g. 100,000 steps plus generalization (success)",
    "stagnation": "no improvement of the best fitness in k generations",
    "wall_clock": "wall-clock budget in seconds",
}
