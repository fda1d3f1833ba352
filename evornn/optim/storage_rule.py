"""Closed-form storage of an associative memory's patterns: the rule-based baseline that evolved
weights are compared with (issue 20).

On an associative-memory problem (``hopfield-recall``, ``bam-recall``: problems whose
``memories()`` returns the patterns to store), the weights are computed once, when the run is set
up, by one of the rules of :mod:`evornn.nets.associative`: ``hebbian`` (Hopfield 1982), ``storkey``
(Storkey 1997) or ``pseudo-inverse`` (Personnaz et al. 1985) for ``hopfield`` and
``hopfield-continuous`` networks; ``correlation`` (Kosko 1988) for a ``bam``; ``modern`` (Ramsauer
et al. 2020) for a ``modern-hopfield`` network: its memories are the patterns themselves. The one
chromosome is evaluated once and the run ends (``stop()``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from evornn.nets import associative
from evornn.optim.base import InitFn, Strategy

RULES = ("hebbian", "storkey", "pseudo-inverse", "correlation", "modern")


@dataclass(frozen=True)
class StorageConfig:
    rule: str = "hebbian"          # hebbian | storkey | pseudo-inverse (hopfield); correlation (bam); modern

    def validate(self, where: str = "storage-rule") -> None:
        if self.rule not in RULES:
            raise ValueError(f"{where}.rule must be one of {', '.join(RULES)}, got {self.rule!r}")


def store(net, rule: str, memories: tuple[np.ndarray, ...]) -> np.ndarray:
    """The chromosome of ``net`` that stores ``memories`` ((patterns,) or (A, B)) by ``rule``."""
    if net.name == "bam":
        if rule != "correlation" or len(memories) != 2:
            raise ValueError(f"storage-rule: a bam network stores pairs by rule 'correlation', got {rule!r}")
        return associative.correlation(net, *memories)
    if rule == "modern":
        return associative.modern(net, memories[0])        # refuses any other network
    if net.name == "modern-hopfield":
        raise ValueError(f"storage-rule: a modern-hopfield network stores its patterns by rule 'modern' (its "
                         f"memories are the patterns), got {rule!r}")
    if rule == "correlation" or len(memories) != 1:
        raise ValueError(f"storage-rule: rule {rule!r} stores single patterns in a hopfield network "
                         f"(correlation is for bam pairs)")
    return associative.RULES[rule](net, memories[0])


class StorageRule(Strategy):
    name = "storage-rule"
    description = ("associative memory weights in closed form (Hebbian, Storkey, pseudo-inverse; BAM correlation; "
                   "modern Hopfield: the patterns as memories): "
                   "one network, one generation")
    Config = StorageConfig
    needs = "stored patterns"
    state_fields = ("w", "generations")

    def __init__(self, n_params: int, config: Any, rng: np.random.Generator, init: InitFn):
        super().__init__(n_params, config, rng, init)
        self.w: np.ndarray | None = None
        self.generations = 0

    @classmethod
    def memory_bytes(cls, config, n_params, net=None, problem=None) -> int:
        """One chromosome, and the rule's dense N x N weight matrices (n is about N^2 / 2): a few."""
        return 8 * int(n_params) * 8

    def setup(self, problem, net) -> None:
        memories = getattr(problem, "memories", None)
        if memories is None:
            raise ValueError(f"storage-rule stores an associative-memory problem's patterns (hopfield-recall, "
                             f"bam-recall); problem {getattr(problem, 'name', problem)!r} has none")
        self.w = store(net, self.config.rule, memories())

    def ask(self) -> np.ndarray:
        if self.w is None:
            raise ValueError("storage-rule needs the problem's patterns: build the run with evornn.make_runner/"
                             "optimise, or call setup(problem, net) first")
        return self.w[None, :].copy()

    def expected_rows(self) -> int:
        return 1

    def update(self, population: np.ndarray, fitness: np.ndarray) -> None:
        self.generations = int(self.generations) + 1

    def stop(self) -> list:
        from evornn.stopping import StopReason
        if not self.generations:
            return []
        return [StopReason("storage-rule", 1.0, 1.0, f"the patterns are stored by the {self.config.rule} rule "
                                                      f"and evaluated (storage-rule needs one generation)")]
