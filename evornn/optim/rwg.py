"""Random weight guessing: every generation a fresh batch of uniformly random chromosomes.

Hochreiter & Schmidhuber (1996), "Bridging long time lags by weight guessing and 'Long Short-Term
Memory'": the floor every neuroevolution paper reports (199, 474,329 and 1,232,296 evaluations on
the three pole-balancing tasks of Gomez et al. 2008).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Strategy


@dataclass(frozen=True)
class RWGConfig:
    population: int = 100
    weight_range: float = 10.0   # each weight uniform in [-weight_range, weight_range]

    def validate(self, where: str = "rwg") -> None:
        if self.population < 1:
            raise ValueError(f"{where}.population must be >= 1, got {self.population}")
        if not self.weight_range > 0:
            raise ValueError(f"{where}.weight_range must be > 0, got {self.weight_range}")


class RandomWeightGuessing(Strategy):
    name = "rwg"
    description = "random weight guessing (Hochreiter & Schmidhuber 1996): uniform random chromosomes, the floor"
    Config = RWGConfig

    @classmethod
    def memory_bytes(cls, config, n_params, net=None, problem=None) -> int:
        """Nothing kept: the population ask draws and tell's copy."""
        return 2 * config.population * int(n_params) * 8

    def ask(self) -> np.ndarray:
        r = self.config.weight_range
        return self.rng.uniform(-r, r, (self.config.population, self.n_params))

    def expected_rows(self) -> int:
        return self.config.population

    def update(self, population: np.ndarray, fitness: np.ndarray) -> None:
        pass   # nothing to learn: the best so far is tracked by tell
