"""CoSyNE: cooperative synapse neuroevolution.

Gomez, Schmidhuber & Miikkulainen (2008), "Accelerated neural evolution through cooperatively
coevolved synapses", JMLR 9:937-965, Section 3 (Algorithm 1 and the probabilistic permutation).

The population is an (m, n) matrix P: column i is the subpopulation of weight i (m values), row j
is the network formed by the j-th value of every subpopulation. One generation:

1. evaluate the networks (rows) whose weights changed since they were last evaluated;
2. sort the rows by fitness; the best quarter (``parents = round(elite_fraction * m)``, at least 1)
   produces offspring by crossover and mutation (Algorithm 1, ``Recombine``). ``mating = "pairs"``:
   the parents are paired in a random order, each pair produces two children, so there are as many
   children as parents (an odd parent out is mated with a random other parent). ``mating =
   "ranked"`` (the scheme of ESP, which CoSyNE's Recombine comes from, and of EvoJAX's CoSyNE):
   each parent is mated with a random higher-ranked parent (the best with a random other parent)
   and every mating produces two children, so there are twice as many children as parents (the
   best quarter replaces the worst half). Crossover: ``one-point`` (a cut point uniform in
   1..n-1), ``uniform`` (each weight from either parent with probability 1/2) or ``none``
   (copies). Every weight of a child is then perturbed, with probability ``mutation_rate``, by
   Cauchy noise of scale ``mutation_scale`` (``mutation = "cauchy"``, heavy tails as in ESP) or
   Gaussian noise of that standard deviation. The offspring replace the worst rows;
3. permute each column probabilistically among the surviving (non-offspring) rows: the value in
   row j is marked for permutation with probability (Section 3, the probabilistic permutation)

       prob(x_ij) = 1 - ((f_j - f_min) / (f_max - f_min)) ** (1 / n),

   with f_j the fitness of the network x_ij last took part in and f_min, f_max over the evaluated
   generation (``permute_by = "fitness"``). The best network's weights are never marked and the
   worst's always; with many weights (n large) the root makes marking rare except near the bottom.
   ``permute_by = "rank"`` uses the normalised rank (m - 1 - rank) / (m - 1) instead of the fitness
   ratio (the choice of EvoTorch's ``CosynePermutation``); when all fitness values are equal the
   rank form is used. ``permute_by = "all"`` permutes every surviving value (the basic Algorithm 1).
   The marked values of each column are shuffled among the marked rows, so every column stays a
   permutation of its values.

Evaluations. Algorithm 1 evaluates all m networks every generation. Here only the rows that are
new (offspring) or were changed by the permutation are returned by ``ask``; a row left exactly as
it was keeps the fitness it was measured with. On a deterministic problem (pole balancing) that
is the same search with fewer evaluations; ``reevaluate = true`` asks for every row every
generation (the paper's count, and what a noisy problem needs). Every row ``ask`` returns is
evaluated and counted by the runner.

The network tested for "solved" (a problem with a test after the generation, e.g. a Gymnasium
environment's 100 test episodes): ``test_choice = "fittest"`` (the default) is the generation's
fittest row. On a noisy fitness (one random episode an evaluation) that is the luckiest episode of
the generation, often a middling network's. ``test_choice = "mean"`` (with ``reevaluate``) keeps
every row's evaluations since it last changed and ranks the rows by their mean, shrunk towards the
generation's mean fitness as if by one more evaluation, (sum of its n scores + the generation's
mean) / (n + 1): a network that has scored well generation after generation comes before a new one
with one lucky episode. The runner tests the first row in that order whose evaluation the problem
admits (a Gymnasium problem: an evaluation at the threshold), one test a generation as before. The
choice changes only which network is tested, not the search: a run evolves exactly as with
"fittest" up to the generation it is solved in.

Gene order for crossover. Gomez's networks are lists of neurons, each with its weights, so a
one-point cut mostly exchanges whole neurons. evornn's chromosome is laid out by parameter block
(all input weights, then all recurrent weights, ...); ``crossover_order = "neurons"`` makes the
one-point cut over the neuron-major order (the network's neuron groups, ``net.neuron_groups()``,
one after another, then any parameter in no group), ``"layout"`` over the chromosome as it is.

Weight limit: ``weight_limit`` > 0 clips every child's weights to +-weight_limit after mutation
(0: no limit). Heavy-tailed (Cauchy) mutation now and then throws a weight far out; a network with
huge weights saturates into bang-bang control, and when it is the best its children keep the huge
weights that steps of ``mutation_scale`` cannot bring back: the population stalls. Bounded weights
(as NEAT's weight bounds, for one) remove those stalls.

Restarts: ``restart_after`` = G > 0 starts the search again from a fresh initial population when
the population's best fitness has not improved for G generations (0: never); ``restart_on =
"median"`` watches the population's median fitness instead: on a noisy fitness (one random episode
per evaluation) the best of a generation is its luckiest episode, one lucky episode early in a run
holds the best up for good, and a run still improving would be restarted. Some runs get stuck
in a region where no offspring improves (on the double pole without velocities, populations that
never balance more than ~150 steps); the restart cuts that tail of the run-time distribution. The
run's best network so far is kept by the runner; ``restarts`` counts them.

Initial population: the network's initialiser (``init = "network"``) or uniform in
+-``init_range`` (``"uniform"``; pole balancing wants large weights); ``init_density`` < 1 keeps
each initial weight with that probability and sets the others to 0 (a sparse start, as NEAT's
genomes that connect only some inputs; mutation makes the zeros non-zero later).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import InitFn, Strategy


@dataclass(frozen=True)
class CoSyNEConfig:
    population: int = 40             # m: networks, i.e. values per weight subpopulation
    elite_fraction: float = 0.25     # share of the best rows that breed (the paper's quarter)
    mating: str = "pairs"            # pairs (as many children as parents) | ranked (twice as many)
    crossover: str = "one-point"     # one-point | uniform | none
    crossover_order: str = "layout"  # layout | neurons (one-point cut over neuron-major order)
    mutation: str = "cauchy"         # cauchy | gaussian
    mutation_rate: float = 0.3       # per weight of a child
    mutation_scale: float = 0.3      # Cauchy scale or Gaussian standard deviation
    permute_by: str = "fitness"      # fitness | rank | all
    init: str = "uniform"            # uniform (+-init_range) | network (its initialiser)
    init_range: float = 1.0
    init_density: float = 1.0       # < 1: each initial weight is kept with this probability, else 0 (sparse start)
    reevaluate: bool = False         # ask for every row every generation (noisy problems)
    test_choice: str = "fittest"     # the row tested for "solved": fittest | mean (its evaluations' shrunk mean)
    weight_limit: float = 0.0        # > 0: children's weights clipped to +-weight_limit (0: no limit)
    restart_after: int = 0           # > 0: fresh population after this many generations without improvement
    restart_on: str = "best"         # what restart_after watches: the population's best | median fitness

    def validate(self, where: str = "cosyne") -> None:
        def bad(key: str, rule: str) -> None:
            raise ValueError(f"{where}.{key} must be {rule}, got {getattr(self, key)!r}")
        if self.population < 4:
            bad("population", ">= 4")
        if not 0 < self.elite_fraction <= 0.5:
            bad("elite_fraction", "in (0, 0.5]")
        if self.mating not in ("pairs", "ranked"):
            bad("mating", "'pairs' or 'ranked'")
        if self.mating == "ranked" and 3 * max(1, round(self.elite_fraction * self.population)) > self.population:
            bad("elite_fraction", "<= 1/3 with mating = 'ranked' (parents and twice as many children must fit)")
        if self.crossover not in ("one-point", "uniform", "none"):
            bad("crossover", "'one-point', 'uniform' or 'none'")
        if self.crossover_order not in ("layout", "neurons"):
            bad("crossover_order", "'layout' or 'neurons'")
        if self.mutation not in ("cauchy", "gaussian"):
            bad("mutation", "'cauchy' or 'gaussian'")
        if not 0 <= self.mutation_rate <= 1:
            bad("mutation_rate", "in [0, 1]")
        if not self.mutation_scale > 0:
            bad("mutation_scale", "> 0")
        if self.permute_by not in ("fitness", "rank", "all"):
            bad("permute_by", "'fitness', 'rank' or 'all'")
        if self.init not in ("uniform", "network"):
            bad("init", "'uniform' or 'network'")
        if not self.init_range > 0:
            bad("init_range", "> 0")
        if not 0 < self.init_density <= 1:
            bad("init_density", "in (0, 1]")
        if isinstance(self.restart_after, bool) or not isinstance(self.restart_after, int) or self.restart_after < 0:
            bad("restart_after", "an integer >= 0 (0: never)")
        if self.test_choice not in ("fittest", "mean"):
            bad("test_choice", "'fittest' or 'mean'")
        if self.test_choice == "mean" and not self.reevaluate:
            bad("test_choice", "'fittest' unless reevaluate = true (only re-evaluated rows have evaluations to average)")
        if self.restart_on not in ("best", "median"):
            bad("restart_on", "'best' or 'median'")
        if not (self.weight_limit >= 0 and np.isfinite(self.weight_limit)):
            bad("weight_limit", "a finite number >= 0 (0: no limit)")


def permutation_probabilities(fitness: np.ndarray, n_weights: int, by: str = "fitness") -> np.ndarray:
    """The probability (m,) of marking each row's weights for permutation (see the module doc)."""
    f = np.asarray(fitness, dtype=np.float64)
    m = f.shape[0]
    if by == "all":
        return np.ones(m)
    finite = np.isfinite(f)
    lo, hi = (f[finite].min(), f[finite].max()) if finite.any() else (0.0, 0.0)
    if by == "fitness" and hi > lo:
        ratio = np.where(finite, (np.where(finite, f, lo) - lo) / (hi - lo), 0.0)
    else:   # normalised rank: best 1, worst 0 (ties by row order, -inf last)
        order = np.argsort(-np.where(finite, f, -np.inf), kind="stable")
        rank = np.empty(m)
        rank[order] = np.arange(m)
        ratio = (m - 1 - rank) / max(m - 1, 1)
    return 1.0 - np.power(np.clip(ratio, 0.0, 1.0), 1.0 / n_weights)


def permute_marked(column: np.ndarray, marked: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``column`` with its ``marked`` entries shuffled among themselves (a permutation of its values)."""
    out = column.copy()
    idx = np.flatnonzero(marked)
    if idx.size > 1:
        out[idx] = column[idx[rng.permutation(idx.size)]]
    return out


class CoSyNE(Strategy):
    name = "cosyne"
    description = ("CoSyNE (Gomez, Schmidhuber & Miikkulainen 2008): one subpopulation per weight, "
                   "recombination of the best quarter, fitness-dependent permutation of each column")
    Config = CoSyNEConfig
    state_fields = ("generation", "pop", "fit", "pending", "best_in_pop", "stale", "restarts", "score_sum", "scored")

    @classmethod
    def memory_bytes(cls, config, n_params, net=None, problem=None) -> int:
        """The m x n subpopulations, ask's and tell's copies, the sorted copy, the survivors' copy
        and the children (measured: 5.1 matrices); the gene order (and the neuron groups it comes from)."""
        order = 3 * int(n_params) * 8 if config.crossover_order == "neurons" else int(n_params) * 8
        return 6 * config.population * int(n_params) * 8 + order

    @staticmethod
    def groups_for(net) -> list[np.ndarray]:
        """The network's neuron groups (incoming weights and bias, outgoing readout weights)."""
        return net.neuron_groups(with_outgoing=True)

    def __init__(self, n_params: int, config: CoSyNEConfig | None, rng: np.random.Generator,
                 init: InitFn | None = None, groups: list[np.ndarray] | None = None) -> None:
        super().__init__(n_params, config, rng, init)
        self.config.validate(self.name)
        self.order: np.ndarray | None = None
        if self.config.crossover_order == "layout":
            self.order = np.arange(n_params)
        elif groups is not None:
            self._set_order(groups)
        self.generation = 0
        self.restarts = 0
        self._test_order: list[int] | None = None   # test_choice = "mean": the rows just told, in test order
        self._fresh_population()

    def setup(self, problem, net) -> None:
        """With ``crossover_order = "neurons"``: the network's neuron groups, unless given."""
        if self.order is None:
            self._set_order(self.groups_for(net))

    def _set_order(self, groups: list[np.ndarray]) -> None:
        """The gene order of the one-point cut: neuron after neuron, then the rest (a permutation)."""
        n = self.n_params
        flat = [int(i) for g in groups for i in np.asarray(g).reshape(-1)]
        seen = list(dict.fromkeys(i for i in flat if 0 <= i < n))
        self.order = np.array(seen + sorted(set(range(n)) - set(seen)), dtype=np.int64)

    def _fresh_population(self) -> None:
        """The state of a (re)start: ``ask`` draws the initial population."""
        m = self.config.population
        self.pop: np.ndarray | None = None          # (m, n): rows are networks, columns subpopulations
        self.fit = np.full(m, np.nan)               # fitness of each row (nan: not evaluated yet)
        self.score_sum = np.zeros(m)                # test_choice = "mean": the sum of each row's scores
        self.scored = np.zeros(m, dtype=np.int64)   # ... and their number, since the row last changed
        self.pending = np.ones(m, dtype=bool)       # rows ask returns next
        self.best_in_pop = -np.inf                  # best fitness (or median: restart_on) since the last (re)start
        self.stale = 0                              # generations since best_in_pop improved

    @property
    def n_parents(self) -> int:
        return max(1, int(round(self.config.elite_fraction * self.config.population)))

    def ask(self) -> np.ndarray:
        if self.order is None:
            raise ValueError("cosyne: crossover_order = 'neurons' needs the network's neuron groups: pass "
                             "groups=CoSyNE.groups_for(net) or call setup(problem, net) (the runner does)")
        if self.pop is None:
            c, m = self.config, self.config.population
            if c.init == "uniform":
                self.pop = self.rng.uniform(-c.init_range, c.init_range, (m, self.n_params))
            else:
                self.pop = np.asarray(self.init(self.rng, m), dtype=np.float64).reshape(m, self.n_params)
            if c.init_density < 1.0:
                self.pop *= self.rng.random((m, self.n_params)) < c.init_density
        return self.pop[self.pending].copy()

    def expected_rows(self) -> int:
        return int(self.pending.sum())

    def update(self, pop: np.ndarray, fit: np.ndarray) -> None:
        if self.pop is None:   # told before any ask: these are the initial rows
            self.pop = pop.copy()
        self.pop[self.pending], self.fit[self.pending] = pop, fit
        if self.config.test_choice == "mean":       # reevaluate: every row was just told, in row order
            ok = np.isfinite(fit)
            self.score_sum += np.where(ok, fit, 0.0)
            self.scored += ok
            prior = float(fit[ok].mean()) if ok.any() else 0.0
            est = np.where(ok, (self.score_sum + prior) / (self.scored + 1), -np.inf)
            self._test_order = [int(i) for i in np.argsort(-est, kind="stable")]
        self.generation += 1
        best = float(np.max(self.fit) if self.config.restart_on == "best" else np.median(self.fit))
        self.best_in_pop, self.stale = (best, 0) if best > self.best_in_pop else (self.best_in_pop, self.stale + 1)
        if 0 < self.config.restart_after <= self.stale:
            self._fresh_population()
            self.restarts += 1
        else:
            self._next_generation()

    def test_candidates(self, fitness: np.ndarray) -> list[int]:
        if self.config.test_choice == "mean" and self._test_order is not None:
            return self._test_order
        return super().test_candidates(fitness)

    def info(self) -> dict:
        return {"restarts": int(self.restarts)}

    def _next_generation(self) -> None:
        c, m, n = self.config, self.config.population, self.n_params
        order = np.argsort(-self.fit, kind="stable")          # best first
        P, F = self.pop[order], self.fit[order]
        S, N = self.score_sum[order], self.scored[order]
        k = self.n_parents
        children = self._recombine(P[:k])
        probs = permutation_probabilities(F, n, c.permute_by)
        survivors = m - children.shape[0]
        old = P[:survivors].copy()
        for i in range(n):
            marked = self.rng.random(survivors) < probs[:survivors]
            P[:survivors, i] = permute_marked(P[:survivors, i], marked, self.rng)
        P[survivors:] = children
        changed = np.zeros(m, dtype=bool)
        changed[:survivors] = np.any(P[:survivors] != old, axis=1)
        changed[survivors:] = True
        self.pop, self.fit = P, np.where(changed, np.nan, F)
        self.score_sum, self.scored = np.where(changed, 0.0, S), np.where(changed, 0, N)
        self.pending = np.ones(m, dtype=bool) if c.reevaluate else changed

    def _recombine(self, parents: np.ndarray) -> np.ndarray:
        """Children of ``parents`` (k, n, best first): crossover (``mating``), then per-weight mutation.

        ``pairs``: k children; ``ranked``: 2k children, parent i mated with a random fitter one."""
        c, rng = self.config, self.rng
        k, n = parents.shape
        kids = []
        if c.mating == "ranked":
            for i in range(k):
                j = int(rng.integers(i)) if i > 0 else (int(rng.integers(1, k)) if k > 1 else 0)
                kids.extend(self._crossover(parents[i], parents[j]))
        else:
            order = rng.permutation(k)
            for a in range(0, k, 2):
                i = order[a]
                j = order[a + 1] if a + 1 < k else (order[rng.integers(k - 1)] if k > 1 else i)
                kids.extend(self._crossover(parents[i], parents[j]))
            kids = kids[:k]
        kids = np.array(kids)
        hit = rng.random(kids.shape) < c.mutation_rate
        noise = rng.standard_cauchy(kids.shape) if c.mutation == "cauchy" else rng.standard_normal(kids.shape)
        kids = kids + np.where(hit, c.mutation_scale * noise, 0.0)
        return np.clip(kids, -c.weight_limit, c.weight_limit) if c.weight_limit > 0 else kids

    def _crossover(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        kind, n = self.config.crossover, a.shape[0]
        if kind == "one-point" and n > 1:
            cut = int(self.rng.integers(1, n))
            first = self.order[:cut]                 # c1: a's genes before the cut, b's after; c2 the reverse
            c1, c2 = b.copy(), a.copy()
            c1[first], c2[first] = a[first], b[first]
            return c1, c2
        if kind == "uniform":
            swap = self.rng.random(n) < 0.5
            return np.where(swap, b, a), np.where(swap, a, b)
        return a.copy(), b.copy()

    def set_state(self, arrays: dict[str, np.ndarray], meta: dict) -> None:
        super().set_state(arrays, meta)
        # checkpoints written before restarts existed have no stale/restarts/best_in_pop
        self.generation, self.stale, self.restarts = int(self.generation), int(self.stale or 0), int(self.restarts or 0)
        self.best_in_pop = -np.inf if self.best_in_pop is None else float(self.best_in_pop)
        m = self.config.population      # checkpoints written before test_choice existed
        self.score_sum = np.zeros(m) if self.score_sum is None else self.score_sum
        self.scored = np.zeros(m, dtype=np.int64) if self.scored is None else self.scored
