"""Simulated annealing with several independent chains run in parallel.

Kirkpatrick, Gelatt & Vecchi (1983), "Optimization by simulated annealing", Science 220:671-680,
with the acceptance rule of Metropolis, Rosenbluth, Rosenbluth, Teller & Teller (1953). Each of
``population`` chains holds one state; a generation proposes one Gaussian step per chain, so a
generation is one batch of ``population`` evaluations. Fitness is *maximised*: a proposal with fitness
f_new replaces a state with fitness f_old when f_new >= f_old, otherwise with probability
exp((f_new - f_old) / T); at T = 0 a worse proposal is never accepted.

Temperature scale. Fitness scales differ by orders of magnitude between problems (steps balanced,
negative MSE), so with ``temperature_unit = "spread"`` (the default) temperatures are in units of
the spread of the chains' initial fitness: T_abs = T * s, where s is the standard deviation of the
finite initial fitness values (if that is 0: their mean absolute value; if that is 0 too: 1).
``t0 = 1`` thus accepts a move one initial standard deviation worse with probability 1/e. With
``temperature_unit = "absolute"``, s = 1.

Cooling, per chain, with k the number of steps since the chain (re)started:
- ``geometric``: T_k = t0 * alpha^k (Kirkpatrick et al. 1983);
- ``linear``: T_k = t0 * max(0, 1 - k / cooling_steps), reaching 0 at k = cooling_steps;
- ``logarithmic``: T_k = t0 / ln(k + e), the Geman & Geman (1984, IEEE PAMI 6:721-741) form
  c / log(1 + k) shifted so that T_0 = t0; Hajek (1988, Math. Oper. Res. 13:311-329) shows it finds
  a global optimum with probability -> 1 when t0 is at least the depth of the deepest local optimum.

Adaptive step size, per chain: the proposal is x + sigma * N(0, I). After each proposal, sigma is
multiplied by exp(adapt_rate * (accepted - target_acceptance)) (a Robbins-Monro update as in
adaptive Metropolis: Atchade & Rosenthal 2005, Bernoulli 11:815-828; Andrieu & Thoms 2008), so
sigma grows while the chain accepts more than the target and shrinks while it accepts less; its
fixed point is the target rate. The default target 0.44 is the optimal acceptance rate of a
one-dimensional random-walk Metropolis (Roberts & Rosenthal 2001, Stat. Sci. 16:351-367). sigma
stays in [step_min, step_max].

Restarts (optional): a chain restarts after ``restart_after`` consecutive steps without improving
its own best fitness, or when its temperature (in t0's unit) falls below ``t_min``. It restarts
from the run's best state (``restart_from = "best"``: its known fitness is reused, no evaluation;
while no finite fitness has been seen, as "random") or from a fresh random point of the init
function (``"random"``: evaluated as the chain's next proposal and accepted unconditionally), with
k = 0 (T = t0) and sigma = ``step``. Restarting a chain whose temperature fell to 0 from the
run's best is re-annealing.

The first ``ask`` returns the chains' initial states (from the init function), evaluated to know
their fitness. All randomness comes from the Generator the strategy is given.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .base import InitFn, Strategy

SCHEDULES = ("geometric", "linear", "logarithmic")


def temperature(schedule: str, t0: float, k: np.ndarray | int, alpha: float = 0.95,
                cooling_steps: int = 100) -> np.ndarray:
    """The temperature after ``k`` steps (int or int array) of the cooling ``schedule``, in t0's unit."""
    k = np.asarray(k, dtype=np.float64)
    if schedule == "geometric":
        return t0 * np.power(alpha, k)
    if schedule == "linear":
        return t0 * np.maximum(0.0, 1.0 - k / cooling_steps)
    if schedule == "logarithmic":
        return t0 / np.log(k + math.e)
    raise ValueError(f"unknown cooling schedule {schedule!r}; choose one of {', '.join(SCHEDULES)}")


@dataclass(frozen=True)
class SAConfig:
    population: int = 16             # independent chains = evaluations per generation
    schedule: str = "geometric"      # geometric | linear | logarithmic
    t0: float = 1.0                  # initial temperature (0: only equal or better moves)
    temperature_unit: str = "spread"  # "spread": units of the initial fitness std; "absolute"
    alpha: float = 0.95              # geometric cooling factor per step
    cooling_steps: int = 100         # linear: steps from t0 to 0
    step: float = 0.5                # initial std of the Gaussian proposal
    adapt: bool = True               # adapt each chain's step towards target_acceptance
    target_acceptance: float = 0.44
    adapt_rate: float = 0.1
    step_min: float = 1e-8
    step_max: float = 10.0
    restart_after: int = 0           # restart after this many steps without improving (0: never)
    t_min: float = 0.0               # restart when the temperature falls below this (0: never)
    restart_from: str = "best"       # best (the run's best state) | random (a fresh init point)

    def validate(self, where: str = "sa") -> None:
        def bad(key: str, rule: str) -> None:
            raise ValueError(f"{where}.{key} must be {rule}, got {getattr(self, key)!r}")
        if self.population < 1:
            bad("population", ">= 1")
        if self.schedule not in SCHEDULES:
            bad("schedule", f"one of {', '.join(SCHEDULES)}")
        if not self.t0 >= 0:
            bad("t0", ">= 0")
        if self.temperature_unit not in ("spread", "absolute"):
            bad("temperature_unit", "'spread' or 'absolute'")
        if not 0 < self.alpha <= 1:
            bad("alpha", "in (0, 1]")
        if self.cooling_steps < 1:
            bad("cooling_steps", ">= 1")
        if not 0 < self.step_min <= self.step <= self.step_max:
            raise ValueError(f"{where}: need 0 < step_min <= step <= step_max, got "
                             f"{self.step_min}, {self.step}, {self.step_max}")
        if not 0 < self.target_acceptance < 1:
            bad("target_acceptance", "in (0, 1)")
        if not self.adapt_rate > 0:
            bad("adapt_rate", "> 0")
        if self.restart_after < 0:
            bad("restart_after", ">= 0 (0 switches it off)")
        if not self.t_min >= 0:
            bad("t_min", ">= 0 (0 switches it off)")
        if self.restart_from not in ("best", "random"):
            bad("restart_from", "'best' or 'random'")


class SimulatedAnnealing(Strategy):
    name = "sa"
    description = ("simulated annealing (Kirkpatrick et al. 1983): parallel Metropolis chains, geometric/"
                   "linear/logarithmic cooling, adaptive step, optional restarts")
    Config = SAConfig
    state_fields = ("generation", "x", "f", "sigma", "k", "stall", "chain_best", "pending", "scale",
                    "n_proposed", "n_accepted", "restarts", "last_accepted")

    @classmethod
    def memory_bytes(cls, config, n_params, net=None, problem=None) -> int:
        """The chains' states and proposals, ask's and tell's copies (measured: 4 matrices)."""
        return 4 * config.population * int(n_params) * 8

    def __init__(self, n_params: int, config: SAConfig | None, rng: np.random.Generator,
                 init: InitFn) -> None:
        super().__init__(n_params, config, rng, init)
        self.config.validate(self.name)
        C = self.config.population
        self.generation = 0                         # tells so far
        self.x: np.ndarray | None = None            # (C, n) current states
        self.f = np.full(C, -np.inf)                # their fitness
        self.sigma = np.full(C, self.config.step)   # proposal std per chain
        self.k = np.zeros(C, dtype=np.int64)        # steps since (re)start
        self.stall = np.zeros(C, dtype=np.int64)    # steps since the chain's best improved
        self.chain_best = np.full(C, -np.inf)
        self.pending = np.ones(C, dtype=bool)       # state not evaluated yet: ask returns it as is
        self.scale = 1.0                            # fitness units of one temperature unit
        self.n_proposed = np.zeros(C, dtype=np.int64)
        self.n_accepted = np.zeros(C, dtype=np.int64)
        self.restarts = np.zeros(C, dtype=np.int64)
        self.last_accepted = np.zeros(C, dtype=bool)

    # -- temperatures ----------------------------------------------------------------------
    def relative_temperatures(self) -> np.ndarray:
        """Each chain's temperature for its next step, in the unit of ``t0``."""
        c = self.config
        return temperature(c.schedule, c.t0, self.k, c.alpha, c.cooling_steps)

    def temperatures(self) -> np.ndarray:
        """Each chain's temperature for its next step, in fitness units."""
        return self.scale * self.relative_temperatures()

    # -- ask / tell ------------------------------------------------------------------------
    def ask(self) -> np.ndarray:
        if self.x is None:
            self.x = np.array(self.init(self.rng, self.config.population), dtype=np.float64).reshape(
                self.config.population, self.n_params)
            return self.x.copy()
        if self.pending.all():
            return self.x.copy()
        z = self.rng.standard_normal(self.x.shape)
        return np.where(self.pending[:, None], self.x, self.x + self.sigma[:, None] * z)

    def expected_rows(self) -> int:
        return self.config.population

    def update(self, pop: np.ndarray, fit: np.ndarray) -> None:
        c, C = self.config, self.config.population
        if self.x is None:   # told before any ask: these are the initial states
            self.x = pop.copy()
        new = self.pending.copy()
        if new.any():   # initial or restarted states: take them as they are
            self.x[new], self.f[new], self.chain_best[new] = pop[new], fit[new], fit[new]
            self.pending[:] = False
        if self.generation == 0:
            self.scale = self._fitness_scale(fit)
        self.generation += 1
        if new.all():
            return
        step = ~new
        u = self.rng.random(C)
        T = self.temperatures()
        accept = fit >= self.f
        worse = step & ~accept & (T > 0) & np.isfinite(fit)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            prob = np.where(worse, np.exp((fit - self.f) / np.where(T > 0, T, 1.0)), 0.0)
        accept = step & (accept | (worse & (u < prob)))
        self.x[accept], self.f[accept] = pop[accept], fit[accept]
        self.last_accepted = accept
        self.n_proposed += step
        self.n_accepted += accept
        self.k += step
        if c.adapt:
            factor = np.exp(c.adapt_rate * (accept.astype(np.float64) - c.target_acceptance))
            self.sigma = np.where(step, np.clip(self.sigma * factor, c.step_min, c.step_max), self.sigma)
        improved = step & (self.f > self.chain_best)
        self.chain_best = np.where(improved, self.f, self.chain_best)
        self.stall = np.where(improved, 0, self.stall + step)
        restart = np.zeros(C, dtype=bool)
        if c.restart_after:
            restart |= self.stall >= c.restart_after
        if c.t_min > 0:
            restart |= self.relative_temperatures() < c.t_min
        if restart.any():
            self._restart(restart)

    def _restart(self, mask: np.ndarray) -> None:
        c = self.config
        if c.restart_from == "best" and self.best_x is not None:
            self.x[mask], self.f[mask] = self.best_x, self.best_f
            self.chain_best[mask] = self.best_f
        else:
            m = int(mask.sum())
            self.x[mask] = np.asarray(self.init(self.rng, m), dtype=np.float64).reshape(m, self.n_params)
            self.f[mask], self.chain_best[mask] = -np.inf, -np.inf
            self.pending[mask] = True
        self.k[mask], self.stall[mask] = 0, 0
        self.sigma[mask] = c.step
        self.restarts += mask

    def _fitness_scale(self, fit: np.ndarray) -> float:
        if self.config.temperature_unit == "absolute":
            return 1.0
        finite = fit[np.isfinite(fit)]
        if finite.size:
            s = float(np.std(finite))
            if s > 0:
                return s
            s = float(np.mean(np.abs(finite)))
            if s > 0:
                return s
        return 1.0

    def set_state(self, arrays: dict[str, np.ndarray], meta: dict) -> None:
        super().set_state(arrays, meta)
        self.generation, self.scale = int(self.generation), float(self.scale)
