"""OpenAI's evolution strategy: antithetic Gaussian perturbations of one mean, a gradient estimate from
their ranks, Adam on the mean.

Salimans, Ho, Chen, Sidor & Sutskever (2017), "Evolution Strategies as a Scalable Alternative to
Reinforcement Learning", arXiv:1703.03864 (Algorithm 1 with mirrored sampling, fitness shaping by
centered ranks, weight decay and Adam, as their Section 2 and their code describe); "OpenES" in
gymnax's and evosax's baselines, the ES the Gymnasium goals are set against.

Each generation draws ``population / 2`` directions eps_i ~ N(0, I) from the strategy's Generator
and evaluates the pairs mean +- sigma eps_i (rows 2i and 2i + 1). With F_j the shaped fitness of
row j and s_j = +1 / -1 its sign, the gradient estimate is

    g = 1 / (population sigma) * sum_j F_j s_j eps_(j // 2)  -  weight_decay * mean

and the mean moves up it by Adam (Kingma & Ba 2015; ``learning_rate``, ``adam_beta1``,
``adam_beta2``, epsilon 1e-8, bias-corrected). Shaping: ``fitness_shaping = "ranks"`` (the
paper's: ranks mapped linearly to [-0.5, 0.5], -inf the lowest; equal fitness shares the mean of
its ranks, where the paper's code breaks ties by position: a pair of equal fitness, frequent when
fitness counts whole steps, then adds nothing instead of a random direction) or ``"zscore"``
(fitness minus the generation's mean, over its standard deviation; a generation of equal or
non-finite fitness gives no step). ``sigma`` is multiplied by ``sigma_decay`` after every
generation, not below ``sigma_min`` (1 and 0: fixed, as in the paper). ``x0``: the start of the
mean, "zero" (default), "network" (the network's initialiser) or "uniform" (+-``init_range``).
``evaluate_mean = true`` adds the mean as the last row of every generation (evaluated and counted,
not used in the gradient) and makes it the network the runner tests for "solved" (the paper
reports the mean's return: with noisy fitness the best perturbation is the luckiest as much as the
best).

Everything random is drawn from the Generator in order, so a run is the same with any number of
threads or Ray actors; the mean, Adam's moments, the step count and sigma are the checkpoint state.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..grad.train import adam
from .base import InitFn, Strategy


@dataclass(frozen=True)
class OpenESConfig:
    population: int = 50          # even: population / 2 antithetic pairs
    sigma: float = 0.1            # the perturbations' standard deviation
    sigma_decay: float = 1.0      # sigma times this after each generation
    sigma_min: float = 0.0        # ... but not below this
    learning_rate: float = 0.01   # Adam's step size
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    weight_decay: float = 0.005   # L2 coefficient (the paper's code: 0.005)
    fitness_shaping: str = "ranks"  # ranks (centered ranks in [-0.5, 0.5]) | zscore
    x0: str = "zero"              # zero | network (the initialiser) | uniform (+-init_range)
    init_range: float = 1.0
    evaluate_mean: bool = False   # evaluate the mean as one more row each generation and test it for "solved"

    def validate(self, where: str = "openes") -> None:
        def bad(key: str, rule: str) -> None:
            raise ValueError(f"{where}.{key} must be {rule}, got {getattr(self, key)!r}")
        if isinstance(self.population, bool) or not isinstance(self.population, int) \
                or self.population < 2 or self.population % 2:
            bad("population", "an even integer >= 2 (antithetic pairs)")
        for key in ("sigma", "learning_rate", "init_range"):
            if not 0 < getattr(self, key) < math.inf:
                bad(key, "a number > 0")
        if not 0 < self.sigma_decay <= 1:
            bad("sigma_decay", "in (0, 1]")
        if not 0 <= self.sigma_min < math.inf:
            bad("sigma_min", "a number >= 0")
        for key in ("adam_beta1", "adam_beta2"):
            if not 0 <= getattr(self, key) < 1:
                bad(key, "in [0, 1)")
        if not 0 <= self.weight_decay < math.inf:
            bad("weight_decay", "a number >= 0")
        if self.fitness_shaping not in ("ranks", "zscore"):
            bad("fitness_shaping", "'ranks' or 'zscore'")
        if self.x0 not in ("zero", "network", "uniform"):
            bad("x0", "'zero', 'network' or 'uniform'")
        if not isinstance(self.evaluate_mean, bool):
            bad("evaluate_mean", "true or false")


def shaped(fitness: np.ndarray, how: str) -> np.ndarray:
    """The fitness shaping of one generation: centered ranks in [-0.5, 0.5] (the lowest -0.5; equal
    fitness, the mean of their ranks) or z-scores (zeros when the finite fitness does not vary)."""
    n = fitness.shape[0]
    if how == "ranks":
        _, which, counts = np.unique(fitness, return_inverse=True, return_counts=True)
        last = np.cumsum(counts) - 1
        ranks = (last - (counts - 1) / 2)[which.reshape(-1)]          # equal fitness, equal (mean) rank
        return ranks / max(n - 1, 1) - 0.5
    f = np.where(np.isfinite(fitness), fitness, np.nan)
    if np.isnan(f).all():
        return np.zeros(n)
    f = np.where(np.isnan(f), np.nanmin(f), f)       # a broken network counts as the worst finite one
    sd = f.std()
    return (f - f.mean()) / sd if sd > 0 else np.zeros(n)


class OpenES(Strategy):
    name = "openes"
    description = ("OpenAI-ES (Salimans et al. 2017): antithetic Gaussian perturbations, centered-rank "
                   "gradient estimate, Adam on the mean, weight decay")
    Config = OpenESConfig
    state_fields = ("mean", "adam_m", "adam_v", "adam_t", "sigma")

    @classmethod
    def rows(cls, config, n_params) -> int:
        return config.population + int(config.evaluate_mean)

    @classmethod
    def memory_bytes(cls, config, n_params, net=None, problem=None) -> int:
        """The population, ask's copy and tell's, the directions (half a population) and four vectors."""
        return (3 * cls.rows(config, n_params) + config.population // 2 + 4) * int(n_params) * 8

    def __init__(self, n_params: int, config: OpenESConfig | None, rng: np.random.Generator,
                 init: InitFn | None = None) -> None:
        super().__init__(n_params, config, rng, init)
        self.config.validate(self.name)
        self.mean: np.ndarray | None = None
        self.adam_m = np.zeros(self.n_params)
        self.adam_v = np.zeros(self.n_params)
        self.adam_t = 0
        self.sigma = float(self.config.sigma)
        self._eps: np.ndarray | None = None

    def ask(self) -> np.ndarray:
        if self.mean is None:
            self.mean = self.start_point(self.config.x0, self.config.init_range)
        self._eps = self.rng.standard_normal((self.config.population // 2, self.n_params))
        pop = np.empty((self.rows(self.config, self.n_params), self.n_params))
        pop[0:self.config.population:2] = self.mean + self.sigma * self._eps
        pop[1:self.config.population:2] = self.mean - self.sigma * self._eps
        if self.config.evaluate_mean:
            pop[-1] = self.mean
        return pop

    def expected_rows(self) -> int:
        if self._eps is None:
            raise ValueError(f"{self.name}.tell: call ask first")
        return self.rows(self.config, self.n_params)

    def test_candidate(self, fitness: np.ndarray) -> int:
        """The mean's row with ``evaluate_mean``, else the fittest."""
        return fitness.shape[0] - 1 if self.config.evaluate_mean else int(np.argmax(fitness))

    def update(self, population: np.ndarray, fitness: np.ndarray) -> None:
        c = self.config
        f = shaped(fitness[:c.population], c.fitness_shaping)
        grad = (f[0::2] - f[1::2]) @ self._eps / (c.population * self.sigma) - c.weight_decay * self.mean
        self.adam_t += 1
        self.adam_m, self.adam_v, step = adam(self.adam_m, self.adam_v, self.adam_t, grad, c.learning_rate,
                                              c.adam_beta1, c.adam_beta2, 1e-8)
        self.mean = self.mean + step
        self.sigma = max(self.sigma * c.sigma_decay, c.sigma_min)
        self._eps = None

    def info(self) -> dict:
        return {"sigma": float(self.sigma)}
