"""CMA-ES through pycma, with the separable variant and IPOP restarts.

Hansen & Ostermeier (2001), "Completely derandomized self-adaptation in evolution strategies",
Evolutionary Computation 9:159-195; the implementation is pycma (Hansen, Akimoto & Baudis,
https://github.com/CMA-ES/pycma). Separable CMA-ES (``separable``, pycma's ``CMA_diagonal``: a
diagonal covariance, linear cost per sample, for large chromosomes): Ros & Hansen (2008), PPSN X.
IPOP restarts (``restarts = "ipop"``): Auger & Hansen (2005), "A restart CMA evolution strategy
with increasing population size", IEEE CEC: whenever pycma's ``stop()`` fires, a new run starts
from a fresh point of the initialiser with the population doubled. ``restarts = "same"`` restarts
with the same population; ``"none"`` ends the run when pycma's ``stop()`` fires (through :meth:`CMAES.stop`).
``restart_after = k`` (> 0) also counts as a stop when the current pycma run's best fitness of a
generation has not improved for k generations: on noisy fitness (e.g. Gymnasium environments with
random starts) pycma's own criteria may never fire, and a run stalled in a local optimum would
never restart. ``restart_on = "median"`` counts generations without a better generation median
instead of a better generation best: with random starts the best of a generation is its luckiest
sample, and one lucky generation holds the run best above everything after it, so a run still
improving is restarted 50 generations later (traced on LunarLander: the median rose from -400 to
+60 while the best stayed below one early outlier). Over LunarLander's seeds 0-19 it solved as many
runs as the best rule (16 of 20; README). ``evaluate_mean = true`` adds the distribution's mean as
the last row of every generation (evaluated and counted like the samples, not told to pycma) and
makes it the network the runner tests for "solved": on noisy fitness the best sample of a
generation is the luckiest as much as the best, while the mean is where the search believes the
optimum is (evosax and OpenAI's ES report the mean for the same reason). Igel (2003, IEEE CEC)
applied CMA-ES to the pole-balancing tasks ("CMA-NeuroES"). ``tolflatfitness = k``: pycma's own
option, the generations of flat fitness (the best and a quantile of a generation's fitness equal)
tolerated before its ``stop()`` fires (pycma's default 1). On a fitness of few distinct values (the
bits right of a copy task) a converging population ties often, and a flat generation would end
(or restart) the run on a good point. ``weight_limit = L`` (> 0) keeps every weight in [-L, L]:
pycma's ``bounds`` (its BoundTransform: the distribution lives unbounded and each sample, and the
mean's row, is mapped smoothly into the box), as CoSyNE's and NEAT's ``weight_limit``.

``noise_handling = k`` (> 0) is UH-CMA-ES (Hansen, Niederberger, Guzzella & Koumoutsakos 2009, "A
method for handling uncertainty in evolutionary optimization with an application to feedback
control of combustion", IEEE TEC 13:180-197) as pycma's ``fmin(noise_handling=k)`` runs it, with
pycma's ``NoiseHandler``: after each generation, 2 + lambda/20 of its samples (the first asked for
half of them, the best of the others for the rest) are evaluated again with new evaluation seeds,
and the rank changes they cause give the noise measure; while the noise dominates (measure > 0)
the step size and the evaluations a sample gets both grow by 1 + 2/(n + 10) a generation (the
evaluations up to k), else the evaluations shrink by that factor to the power -1/4, down to 1
(``noise_change_sigma_exponent``, pycma fmin's, 1: sigma is multiplied by the factor to this
power; 0 leaves sigma alone). In evornn a sample's e evaluations are e asks of the same samples in
a row (each a generation of the runner, so each gets its own evaluation seeds: with
``common_seeds``, every sample of a round plays the same new starts), told to pycma as their mean
(pycma's fmin aggregates with the median; the mean of the rounds is the mean return over all their
episodes, the problem's own fitness); the re-evaluations follow as asks of their own, for as many
rounds. Every row asked counts as an evaluation. A restart drops the generation's re-evaluation
(the measure is of the run it ends).

pycma minimises: it is told -fitness (a non-finite fitness becomes a cost just above the worst
finite one). Its default population is 4 + floor(3 ln n).

Randomness: pycma seeds and draws from NumPy's *global* random state (``np.random.seed(opts
['seed'])`` in its constructor, ``np.random.randn`` when sampling). The seed of each pycma run is
drawn from the strategy's Generator; every pycma call runs between a save and a restore of the
caller's global state, with the strategy's own global-state tuple swapped in, so the caller's
``np.random`` state is left exactly as it was.

Checkpoints without pickle: pycma's object is large and partly private (sampler, step-size
adaptation, fitness histories for its stopping rules), so rebuilding it from a few arrays would not
be exact. The state saved here is instead the Generator's state at construction plus every fitness
value the strategy was told (and the population sizes); ``set_state`` replays those ask/tell calls
from the start, which reproduces pycma's state bit for bit (same library, same machine), and checks
the replay against the saved mean, step size and random state, raising a one-line error if they
differ instead of diverging silently. Replay costs one ask/tell per past generation (no fitness
evaluations).
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from .base import InitFn, Strategy


@dataclass(frozen=True)
class CMAESConfig:
    sigma0: float = 1.0          # initial step size
    population: int = 0          # lambda; 0: pycma's default 4 + floor(3 ln n)
    separable: bool = False      # diagonal covariance (pycma's CMA_diagonal)
    restarts: str = "ipop"       # ipop (double the population) | same | none
    x0: str = "network"          # network (the initialiser) | zero | uniform (+-init_range)
    init_range: float = 1.0
    restart_after: int = 0       # > 0: a stop (restart) after this many generations without a better run best
    restart_on: str = "best"     # what restart_after watches: the generation's best | median fitness
    evaluate_mean: bool = False  # evaluate the mean as one more row each generation and test it for "solved"
    tolflatfitness: int = 1      # pycma's: generations of flat fitness tolerated before its stop() fires
    weight_limit: float = 0.0    # > 0: every weight kept in +-weight_limit (pycma's bounds); 0: none
    noise_handling: int = 0      # > 0: UH-CMA-ES (pycma's NoiseHandler), up to k evaluations a sample; 0: off
    noise_change_sigma_exponent: float = 1.0   # pycma fmin's: sigma *= (handler's factor) ** this; 0: untouched

    def validate(self, where: str = "cmaes") -> None:
        def bad(key: str, rule: str) -> None:
            raise ValueError(f"{where}.{key} must be {rule}, got {getattr(self, key)!r}")
        if not self.sigma0 > 0:
            bad("sigma0", "> 0")
        if self.population < 0 or self.population == 1:
            bad("population", ">= 2 (0: pycma's default)")
        if self.restarts not in ("ipop", "same", "none"):
            bad("restarts", "'ipop', 'same' or 'none'")
        if self.x0 not in ("network", "zero", "uniform"):
            bad("x0", "'network', 'zero' or 'uniform'")
        if not self.init_range > 0:
            bad("init_range", "> 0")
        if isinstance(self.restart_after, bool) or not isinstance(self.restart_after, int) or self.restart_after < 0:
            bad("restart_after", "an integer >= 0 (0: off)")
        if self.restart_on not in ("best", "median"):
            bad("restart_on", "'best' or 'median'")
        if not isinstance(self.evaluate_mean, bool):
            bad("evaluate_mean", "true or false")
        if isinstance(self.tolflatfitness, bool) or not isinstance(self.tolflatfitness, int) or self.tolflatfitness < 1:
            bad("tolflatfitness", "an integer >= 1")
        if not 0 <= self.weight_limit < math.inf:
            bad("weight_limit", "a finite number >= 0 (0: no limit)")
        if isinstance(self.noise_handling, bool) or not isinstance(self.noise_handling, int) or self.noise_handling < 0:
            bad("noise_handling", "an integer >= 0 (0: off; k: up to k evaluations a sample)")
        if not 0 <= self.noise_change_sigma_exponent < math.inf:
            bad("noise_change_sigma_exponent", "a finite number >= 0")
        if self.noise_handling and self.evaluate_mean:
            raise ValueError(f"{where}.noise_handling and {where}.evaluate_mean cannot be combined: the noise "
                             f"handling re-evaluates samples, not the mean; set one of them")


class _GlobalState:
    """Runs a block with ``holder.np_state`` as NumPy's global random state, restoring the caller's."""

    def __init__(self, holder: "CMAES"):
        self.holder = holder

    def __enter__(self):
        self.saved = np.random.get_state()
        if self.holder.np_state is not None:
            np.random.set_state(self.holder.np_state)

    def __exit__(self, *exc):
        self.holder.np_state = np.random.get_state()
        np.random.set_state(self.saved)
        return False


class CMAES(Strategy):
    name = "cmaes"
    description = ("CMA-ES (Hansen & Ostermeier 2001) via pycma: separable variant, IPOP restarts, "
                   "seeded from the run's seed")
    Config = CMAESConfig
    state_fields = ("told", "told_sizes", "check_mean")

    @classmethod
    def rows(cls, config, n_params) -> int:
        """lambda: the configured population, else pycma's default 4 + floor(3 ln n). (IPOP restarts
        double it; the guard sizes the first run and :attr:`memory_room` each restart.)"""
        return (config.population or 4 + int(3 * math.log(max(int(n_params), 1)))) + int(config.evaluate_mean)

    @classmethod
    def size_settings(cls, config) -> dict:
        """population 0 is pycma's default (the message counts its rows)."""
        return {"population": config.population or "0 (pycma's default)"}

    @classmethod
    def memory_bytes(cls, config, n_params, net=None, problem=None) -> int:
        """pycma's n x n matrices (covariance C, eigenvectors B, and the copies its eigendecomposition
        and update make: four), or O(n) vectors when separable; the population as pycma's arrays,
        ask's array, tell's copy and pycma's own samples and their sorted copies (measured: 4 n^2,
        and 10 population matrices when separable)."""
        n = int(n_params)
        covariance = 20 * n * 8 if config.separable else 4 * n * n * 8
        return covariance + 10 * cls.rows(config, n) * n * 8

    def __init__(self, n_params: int, config: CMAESConfig | None, rng: np.random.Generator,
                 init: InitFn | None = None) -> None:
        super().__init__(n_params, config, rng, init)
        self.config.validate(self.name)
        self.rng0 = rng.bit_generator.state        # replay starts here
        self.es = None
        self.np_state = None                       # the strategy's NumPy global-state tuple
        self.popsize = 0                           # population of the current pycma run
        self.restart_count = 0
        self.told = np.zeros(0)                    # every fitness told, in order
        self.told_sizes = np.zeros(0, dtype=np.int64)
        self.check_mean = np.zeros(0)              # the mean after the last tell (replay check)
        self._asked: list | None = None
        self.pycma_stop: dict = {}                 # pycma's stop() once it fired without restarts
        self.memory_refusal = ""                   # why an IPOP restart was refused (memory.room)
        self.run_best, self.stale = -math.inf, 0   # this pycma run's best fitness, generations since it improved
        # noise handling (noise_handling > 0): pycma's NoiseHandler of the current pycma run, and where
        # the generation is: its samples' rounds ("sample"), then the re-evaluations' ("reeval")
        self.nh = None
        self._phase, self._round, self._rounds = "sample", 0, 1
        self._X = np.zeros((0, n_params))          # the generation's samples
        self._sum = np.zeros(0)                    # their fitness summed over the rounds so far
        self._cost = (np.zeros(0), 0.0)            # the samples' costs as told to pycma, and the worst
        self._idx = np.zeros(0, dtype=np.int64)    # the samples re-evaluated
        self._pending: int | None = None           # rows the last ask returned

    # -- pycma runs -----------------------------------------------------------------------------
    def _start(self) -> None:
        cma = _import_cma()
        c = self.config
        x0 = self.start_point(c.x0, c.init_range)
        seed = int(self.rng.integers(1, 2**31 - 1))
        opts = {"seed": seed, "verbose": -9, "verb_disp": 0, "verb_log": 0, "CMA_diagonal": c.separable,
                "tolflatfitness": c.tolflatfitness}
        if c.weight_limit > 0:
            opts["bounds"] = [-c.weight_limit, c.weight_limit]
            x0 = np.clip(x0, -c.weight_limit, c.weight_limit)
        if self.popsize:
            opts["popsize"] = self.popsize
        elif c.population:
            opts["popsize"] = c.population
        if c.noise_handling and c.noise_change_sigma_exponent > 0:
            opts["tolfacupx"] = math.inf           # as pycma's fmin: the treatment raises sigma on purpose
        with _GlobalState(self), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.es = cma.CMAEvolutionStrategy(x0, c.sigma0, opts)
            # maxevals k: evaluations start at 1 and adapt up to k, as pycma's fmin(noise_handling=k);
            # epsilon 0: a re-evaluated sample is evaluated as it is, not perturbed
            self.nh = (cma.NoiseHandler(self.es.N, maxevals=c.noise_handling, aggregate=np.mean, epsilon=0)
                       if c.noise_handling else None)
        self.popsize = int(self.es.popsize)
        self.run_best, self.stale = -math.inf, 0
        self._phase, self._round = "sample", 0

    def ask(self) -> np.ndarray:
        """A generation's samples (the mean's row after them with ``evaluate_mean``); with
        ``noise_handling``, the same samples again for each of the generation's rounds, then the
        re-evaluated samples for as many rounds."""
        if self.es is None:
            self._start()
        if self._phase == "reeval":
            pop = self._X[self._idx]
        else:
            if self._round == 0:
                with _GlobalState(self), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    self._asked = self.es.ask()
                self._X = np.array(self._asked, dtype=np.float64)
                self._sum = np.zeros(self._X.shape[0])
                self._rounds = int(self.nh.evaluations) if self.nh is not None else 1
            pop = self._X.copy()
            if self.config.evaluate_mean:
                mean = self.es.result.xfavorite if self.config.weight_limit > 0 else self.es.mean  # within the bounds
                pop = np.vstack([pop, np.asarray(mean, dtype=np.float64).reshape(1, -1)])
        self._pending = pop.shape[0]
        return pop

    def expected_rows(self) -> int:
        if self._pending is None:
            raise ValueError(f"{self.name}.tell: call ask first")
        return self._pending

    def test_candidate(self, fitness: np.ndarray) -> int:
        """The mean's row with ``evaluate_mean``, else the fittest."""
        return fitness.shape[0] - 1 if self.config.evaluate_mean else int(np.argmax(fitness))

    def update(self, pop: np.ndarray, fit: np.ndarray) -> None:
        self.told = np.concatenate([self.told, fit])
        self.told_sizes = np.append(self.told_sizes, fit.shape[0])
        self._tell(pop, fit)

    def _tell(self, pop: np.ndarray, fit: np.ndarray) -> None:
        """One ask's fitness: a round of the samples, told to pycma (as the mean over the rounds)
        after the generation's last; or a round of the re-evaluations, measured after the last."""
        self._pending = None
        n = self._X.shape[0] if self._phase == "sample" else self._idx.shape[0]
        self._sum = self._sum + fit[:n]           # -inf (a failed evaluation) stays -inf
        self._round += 1
        if self._round < self._rounds:
            return
        self._round = 0
        mean = self._sum / self._rounds
        if self._phase == "reeval":
            self._measure(mean)
        else:
            self._tell_generation(np.concatenate([mean, fit[n:]]))

    @staticmethod
    def _costs(fit: np.ndarray, worst: float | None = None) -> tuple[np.ndarray, float]:
        """pycma's costs (-fitness); a non-finite fitness costs just above the worst finite cost of
        the generation (``worst``: that of the samples, for their re-evaluations)."""
        cost = -fit
        finite = np.isfinite(cost)
        if worst is None:
            worst = cost[finite].max() if finite.any() else 0.0
        return np.where(finite, cost, worst + 1.0 + abs(worst)), float(worst)

    def _measure(self, fitre: np.ndarray) -> None:
        """UH-CMA-ES's step after a generation (Hansen et al. 2009, as pycma's fmin runs it): the
        rank changes of the re-evaluated samples give pycma's noise measure; the NoiseHandler then
        sets the evaluations of the next generations and the factor sigma is multiplied by."""
        cost, worst = self._cost
        re, _ = self._costs(fitre, worst)
        nh = self.nh
        nh.fit = list(cost)
        nh.fitre = list(cost)
        for k, i in enumerate(self._idx):
            nh.fitre[i] = re[k]
        nh.idx = self._idx
        with _GlobalState(self), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nh.update_measure()
            self.es.sigma *= nh.treat() ** self.config.noise_change_sigma_exponent
        self._phase = "sample"

    def _tell_generation(self, fit: np.ndarray) -> None:
        cost, worst = self._costs(fit[:len(self._asked)])   # the samples (not the mean's row)
        with _GlobalState(self), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.es.tell(self._asked, cost.tolist())
            fired = dict(self.es.stop())
        if self.config.restart_on == "median":      # the samples' median (a non-finite fitness counts as worst)
            samples = fit[:len(self._asked)]
            best = float(np.median(np.where(np.isfinite(samples), samples, -math.inf)))
        else:
            best = float(fit[np.isfinite(fit)].max()) if np.isfinite(fit).any() else -math.inf
        if best > self.run_best:
            self.run_best, self.stale = best, 0
        else:
            self.stale += 1
        if not fired and self.config.restart_after and self.stale >= self.config.restart_after:
            fired = {"restart_after": self.config.restart_after}
        self.check_mean = np.array(self.es.mean, dtype=np.float64)
        if self.nh is not None and not fired:       # a restart drops the run the measure is for
            with _GlobalState(self):
                self._idx = np.asarray(self.nh.indices(cost.tolist()), dtype=np.int64)
            if self._idx.size:
                self._phase, self._cost, self._sum = "reeval", (cost, worst), np.zeros(self._idx.size)
        if fired and self.config.restarts == "none":
            self.pycma_stop = fired          # the run ends (see stop())
        elif fired:
            refused = (self.memory_room(2 * self.popsize)
                       if self.config.restarts == "ipop" and self.memory_room is not None else None)
            if refused:                      # the doubled population would not fit: the run ends here
                self.pycma_stop = {**fired, "ipop_memory": 2 * self.popsize}
                self.memory_refusal = refused
                return
            self.restart_count += 1
            if self.config.restarts == "ipop":
                self.popsize *= 2
            self._start()

    def stop(self) -> list:
        """Without restarts: pycma's own termination criteria (or restart_after), once they fire; with
        IPOP restarts, a restart whose doubled population would exceed the run's memory limit."""
        from evornn.stopping import StopReason

        def by(k: str) -> str:
            return f"restart_after ({self.stale} generations without a better fitness)" if k == "restart_after" \
                else f"pycma's {k}"
        if "ipop_memory" in self.pycma_stop:
            n = self.pycma_stop["ipop_memory"]
            return [StopReason("cmaes.ipop_memory", float(n), float(self.popsize),
                               f"CMA-ES's IPOP restart (after {', '.join(by(k) for k in self.pycma_stop if k != 'ipop_memory')}) "
                               f"would double the population to {n:,}, which the memory limit refuses; "
                               f"{self.memory_refusal}")]
        return [StopReason(f"cmaes.{k}", float(v) if isinstance(v, (int, float)) else 1.0, 0.0,
                           f"CMA-ES stopped by {by(k)} (restarts = 'none')")
                for k, v in self.pycma_stop.items()]

    def info(self) -> dict:
        out = {"restarts": int(self.restart_count), "population": int(self.popsize)}
        if self.nh is not None:
            out.update(noise_evaluations=float(self.nh.evaluations), noise_measure=float(self.nh.noiseS))
        return out

    @property
    def sigma(self) -> float:
        return float(self.es.sigma) if self.es is not None else self.config.sigma0

    # -- checkpoint by replay ---------------------------------------------------------------------
    def get_state(self) -> tuple[dict[str, np.ndarray], dict]:
        arrays, meta = super().get_state()
        meta.update(rng0=self.rng0, sigma=self.sigma, popsize=self.popsize, restart_count=self.restart_count)
        return arrays, meta

    def set_state(self, arrays: dict[str, np.ndarray], meta: dict) -> None:
        told = np.asarray(arrays.get("told", np.zeros(0)), dtype=np.float64)
        sizes = np.asarray(arrays.get("told_sizes", np.zeros(0)), dtype=np.int64)
        self.rng.bit_generator.state = meta["rng0"]
        self.rng0, self.es, self.np_state, self.popsize, self.restart_count = meta["rng0"], None, None, 0, 0
        self.pycma_stop = {}
        self.nh, self._phase, self._round, self._pending = None, "sample", 0, None
        self.told, self.told_sizes, self.check_mean = np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0)
        at = 0
        for k in sizes:
            pop = self.ask()
            if pop.shape[0] != k:
                raise ValueError(f"{self.name}: cannot resume: replay asked for {pop.shape[0]} solutions where the "
                                 f"checkpoint told {k} (different pycma version?)")
            self.told = np.concatenate([self.told, told[at:at + k]])
            self.told_sizes = np.append(self.told_sizes, k)
            self._tell(pop, told[at:at + k])
            at += int(k)
        mean = np.asarray(arrays.get("check_mean", np.zeros(0)))
        same = (self.rng.bit_generator.state == meta["rng"] and self.popsize == meta["popsize"]
                and np.array_equal(self.check_mean, mean) and self.sigma == meta["sigma"])
        if not same:
            raise ValueError(f"{self.name}: cannot resume bit for bit: replaying the checkpoint did not reproduce "
                             f"pycma's state (different pycma/NumPy version or machine?)")
        self.best_f = float(meta["best_f"])
        self.best_x = np.array(arrays["best_x"]) if "best_x" in arrays else None


def _import_cma():
    """pycma, imported without the modules it loads only for plots and surrogate models.

    ``import cma`` loads scipy.stats (for the Kendall tau of its surrogate fitness models, which
    has a pure-Python fallback) and matplotlib.pyplot (for its plots): 1.3 s of a 3 s run of the
    README's example, for nothing evornn uses. When neither is loaded yet, they are hidden while
    cma imports (it catches the ImportError) and are importable again as soon as it is done.
    """
    import sys
    import warnings
    if "cma" in sys.modules:
        return sys.modules["cma"]
    hidden = [m for m in ("scipy.stats", "matplotlib", "matplotlib.pyplot", "matplotlib.pylab")
              if m not in sys.modules]
    for m in hidden:
        sys.modules[m] = None                  # "import m" raises ImportError
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import cma
    finally:
        for m in hidden:
            sys.modules.pop(m, None)
    return cma
