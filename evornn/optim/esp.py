"""ESP: Enforced SubPopulations.

Gomez & Miikkulainen (1999), "Solving non-Markovian control tasks with neuroevolution", Proc.
IJCAI 16:1356-1361; burst mutation from Gomez & Miikkulainen (1997), "Incremental evolution of
complex general behavior", Adaptive Behavior 5:317-342. A neuron is the group of chromosome indices
the network gives it (``net.neuron_groups()``: its incoming weights and bias and, under a readout
layer, its outgoing weights). There is one subpopulation of ``population`` neurons per group.

One generation (the ESP algorithm of the 1999 paper):

1. Evaluation: ``population * trials`` networks, each assembled from one neuron of every
   subpopulation. The paper draws the neurons at random until each took part in ``trials`` (10)
   trials on average; here each of the ``trials`` rounds uses a fresh random permutation of every
   subpopulation, so every neuron takes part in exactly ``trials`` networks (same expectation, less
   variance). A neuron's fitness is the average fitness of the networks it took part in.
2. Recombination, in each subpopulation sorted by neuron fitness: each neuron of the top quarter
   is mated with a random higher-ranked neuron (the best with a random other top-quarter neuron)
   by one-point crossover; the two children replace the lowest-ranked neurons, and each child has,
   with probability ``mutation_rate``, one random weight perturbed by Cauchy noise of scale
   ``mutation_scale`` (the paper's alpha = 0.3).
3. Burst mutation: when the best fitness has not improved for ``stagnation`` generations, every
   subpopulation is rebuilt around the neuron it contributed to the best network found so far:
   that neuron is kept and the others are it plus Cauchy noise of scale ``burst_scale`` on every
   weight (delta-coding).
4. Adaptation of the network size (``adapt_size``): the paper, when burst mutation fires twice
   in a row without improvement, lesions each neuron of the best network in turn, removes the
   subpopulations whose lesion leaves fitness at or above a threshold, and adds a new subpopulation
   if none can be removed. evornn's chromosome has a fixed size, so here: one extra generation
   evaluates the best network with each neuron lesioned (its whole group set to 0; these
   evaluations are counted); a subpopulation whose lesioned network keeps fitness >=
   ``lesion_threshold`` * best (for positive fitness) is retired: its group is 0 in every network
   from then on (in a layered network with a readout the neuron is then silent; in a fully
   recurrent network it outputs a constant, since the other neurons' weights from it belong to
   their own groups and stay). The paper may remove several neurons at once; here the one whose
   lesion hurt least is retired per adaptation, and the lesioned best network (whose fitness was
   measured) becomes the strategy's ``best_x``/``best_f``, the centre of the next burst (the
   runner keeps the run's best separately). If none can be retired, a retired subpopulation (if
   any) is revived with fresh random neurons: "adding a neuron" up to the network's fixed size,
   never beyond it. At least two neuron subpopulations must be active to lesion one. Then burst
   mutation follows, as in the paper.

Parameters in no group (``groups`` need not cover the chromosome, e.g. hidden neurons only)
form one extra "shared" subpopulation (e.g. the output biases), evolved by the same steps but never
lesioned. :meth:`ESP.setup` takes ``ESP.groups_for(net)``: the hidden neurons' groups of
``net.neuron_groups()`` (a fully recurrent network's output units are among its neurons); a readout
layer's own groups (its biases) are left to the shared subpopulation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import InitFn, Strategy


@dataclass(frozen=True)
class ESPConfig:
    population: int = 20            # n: neurons per subpopulation
    trials: int = 10                # networks each neuron takes part in per generation
    mutation_rate: float = 0.4      # per child: probability of one Cauchy-perturbed weight
    mutation_scale: float = 0.3     # alpha of the Cauchy mutation
    stagnation: int = 20            # generations without improvement before burst mutation
    burst_scale: float = 0.3        # Cauchy scale of burst mutation
    adapt_size: bool = True         # lesion/revive neurons when burst mutation fails twice
    lesion_threshold: float = 1.0   # retire a neuron if the lesioned best keeps this share of fitness
    init: str = "uniform"           # uniform (+-init_range) | network (its initialiser)
    init_range: float = 1.0

    def validate(self, where: str = "esp") -> None:
        def bad(key: str, rule: str) -> None:
            raise ValueError(f"{where}.{key} must be {rule}, got {getattr(self, key)!r}")
        if self.population < 4:
            bad("population", ">= 4")
        if self.trials < 1:
            bad("trials", ">= 1")
        if not 0 <= self.mutation_rate <= 1:
            bad("mutation_rate", "in [0, 1]")
        for k in ("mutation_scale", "burst_scale", "init_range"):
            if not getattr(self, k) > 0:
                bad(k, "> 0")
        if self.stagnation < 1:
            bad("stagnation", ">= 1")
        if not 0 < self.lesion_threshold <= 1:
            bad("lesion_threshold", "in (0, 1]")
        if self.init not in ("uniform", "network"):
            bad("init", "'uniform' or 'network'")


class ESP(Strategy):
    name = "esp"
    description = ("ESP (Gomez & Miikkulainen 1999): one subpopulation per neuron, networks from one neuron of "
                   "each, burst mutation and neuron lesioning on stagnation")
    Config = ESPConfig

    @classmethod
    def rows(cls, config, n_params) -> int:
        """Networks per generation: every neuron takes part in ``trials`` of them."""
        return config.population * config.trials

    @classmethod
    def size_settings(cls, config) -> dict:
        return {"population": config.population, "trials": config.trials}

    @classmethod
    def memory_bytes(cls, config, n_params, net=None, problem=None) -> int:
        """The neuron pool (population x n), the networks assembled from it, one subpopulation's
        gathered rows while assembling, tell's copy, and the neuron groups."""
        T = cls.rows(config, n_params)
        return (config.population + 3 * T) * int(n_params) * 8 + 2 * int(n_params) * 8

    @staticmethod
    def groups_for(net) -> list[np.ndarray]:
        """The hidden neurons' groups of ``net`` (with their outgoing readout weights); the readout
        layer's own groups (its biases) are left out and become the shared subpopulation."""
        groups = net.neuron_groups(with_outgoing=True)
        if not net.has_readout or len(net.layers) < 2:
            return groups
        start = net.n_params - net.layers[-1].n_params    # the readout is the last layer
        return [g for g in groups if not np.all(g >= start)]
    state_fields = ("generation", "pool", "members", "active", "phase", "since_improvement",
                    "bursts", "gen_best", "neuron_fitness", "lesioned")

    def __init__(self, n_params: int, config: ESPConfig | None, rng: np.random.Generator,
                 init: InitFn | None = None, groups: list[np.ndarray] | None = None) -> None:
        super().__init__(n_params, config, rng, init)
        self.config.validate(self.name)
        self.groups: list[np.ndarray] | None = None
        if groups is not None:
            self._set_groups(groups)

    def setup(self, problem, net) -> None:
        """The network's neuron groups (:meth:`groups_for`), unless given to the constructor."""
        if self.groups is None:
            self._set_groups(self.groups_for(net))

    def _set_groups(self, groups: list[np.ndarray]) -> None:
        gs = [np.asarray(g, dtype=np.int64).reshape(-1) for g in groups if len(g)]
        flat = np.concatenate(gs) if gs else np.zeros(0, dtype=np.int64)
        if not gs or flat.min() < 0 or flat.max() >= self.n_params or np.unique(flat).size != flat.size:
            raise ValueError(f"esp: groups must be non-empty, disjoint index arrays in 0..{self.n_params - 1}")
        self.n_neuron_groups = len(gs)
        rest = np.setdiff1d(np.arange(self.n_params), flat)
        self.groups = gs + ([rest] if rest.size else [])   # the last one may be the shared subpopulation
        S, N = len(self.groups), self.config.population
        self.generation = 0
        self.pool: np.ndarray | None = None     # (N, n): row j holds neuron j of every subpopulation
        self.members = np.zeros((0, S), dtype=np.int64)   # (T, S) neuron of each subpopulation per network
        self.active = np.ones(S, dtype=bool)
        self.phase = "evolve"                   # evolve | lesion (the next ask lesions the best network)
        self.since_improvement = 0
        self.bursts = 0                         # burst mutations since the best last improved
        self.gen_best = -np.inf                 # best fitness seen when last checked for stagnation
        self.neuron_fitness = np.full((N, S), np.nan)   # averages of the last generation (before sorting)
        self.lesioned = np.zeros(0, dtype=np.int64)     # subpopulations lesioned by the pending ask

    # -- ask / tell -----------------------------------------------------------------------------
    def ask(self) -> np.ndarray:
        if self.groups is None:
            raise ValueError("esp needs the network's neuron groups: pass groups=ESP.groups_for(net) "
                             "or call setup(problem, net) (the runner does)")
        c, N = self.config, self.config.population
        if self.pool is None:
            if c.init == "uniform":
                self.pool = self.rng.uniform(-c.init_range, c.init_range, (N, self.n_params))
            else:
                self.pool = np.asarray(self.init(self.rng, N), dtype=np.float64).reshape(N, self.n_params)
        if self.phase == "lesion":
            W = np.repeat(self.best_x[None, :], self.lesioned.size, axis=0)
            for r, s in enumerate(self.lesioned):
                W[r, self.groups[s]] = 0.0
            return W
        S = len(self.groups)
        self.members = np.concatenate([np.stack([self.rng.permutation(N) for _ in range(S)], axis=1)
                                       for _ in range(c.trials)])
        return self.assemble(self.members)

    def assemble(self, members: np.ndarray) -> np.ndarray:
        """The networks (T, n) made of neuron ``members[t, s]`` of each active subpopulation s."""
        W = np.zeros((members.shape[0], self.n_params))
        for s, g in enumerate(self.groups):
            if self.active[s]:
                W[:, g] = self.pool[members[:, s]][:, g]
        return W

    def expected_rows(self) -> int:
        if self.pool is None:
            raise ValueError(f"{self.name}.tell: call ask first")
        return self.lesioned.size if self.phase == "lesion" else self.members.shape[0]

    def tell(self, population: np.ndarray, fitness: np.ndarray) -> None:
        self._best_before = self.best_f    # the lesion test compares with the best before this tell
        super().tell(population, fitness)

    def update(self, pop: np.ndarray, fit: np.ndarray) -> None:
        if self.phase == "lesion":
            self._adapt_size(pop, fit, self._best_before)
            self.phase, self.lesioned = "evolve", np.zeros(0, dtype=np.int64)
            self._burst()
        else:
            self._recombine(fit)
            self._check_stagnation()
        self.generation += 1

    # -- the ESP steps ------------------------------------------------------------------------------
    def _recombine(self, fit: np.ndarray) -> None:
        c, rng, N = self.config, self.rng, self.config.population
        S = len(self.groups)
        total = np.zeros((N, S))
        count = np.zeros((N, S))
        for s in range(S):
            np.add.at(total[:, s], self.members[:, s], fit)
            np.add.at(count[:, s], self.members[:, s], 1.0)
        with np.errstate(invalid="ignore"):
            self.neuron_fitness = total / count       # -inf stays -inf; nan never (every neuron took part)
        q = max(1, N // 4)
        for s, g in enumerate(self.groups):
            if not self.active[s]:
                continue
            order = np.argsort(-self.neuron_fitness[:, s], kind="stable")
            genes = self.pool[order][:, g]
            for i in range(q):
                mate = int(rng.integers(i)) if i > 0 else int(rng.integers(1, q)) if q > 1 else 0
                a, b = genes[i], genes[mate]
                cut = int(rng.integers(1, g.size)) if g.size > 1 else 0
                genes[N - 1 - 2 * i] = np.concatenate([a[:cut], b[cut:]])
                genes[N - 2 - 2 * i] = np.concatenate([b[:cut], a[cut:]])
            for j in range(N - 2 * q, N):
                if rng.random() < c.mutation_rate:
                    genes[j, int(rng.integers(g.size))] += c.mutation_scale * rng.standard_cauchy()
            self.pool[:, g] = genes

    def _check_stagnation(self) -> None:
        if self.best_f > self.gen_best:
            self.gen_best, self.since_improvement, self.bursts = self.best_f, 0, 0
            return
        self.since_improvement += 1
        if self.since_improvement < self.config.stagnation:
            return
        self.since_improvement = 0
        self.bursts += 1
        lesionable = [s for s in range(self.n_neuron_groups) if self.active[s]]
        if self.config.adapt_size and self.bursts >= 2 and self.best_x is not None and len(lesionable) > 1:
            self.bursts = 0
            self.phase, self.lesioned = "lesion", np.array(lesionable, dtype=np.int64)
        else:
            self._burst()

    def _gene_scale(self, g):
        """The scale of the Cauchy noise on the genes ``g`` (1: ESP's; Evolino scales input weights)."""
        return 1.0

    def _burst(self) -> None:
        """Rebuild every active subpopulation around its neuron in the best network (kept as row 0)."""
        if self.best_x is None:
            return
        N = self.config.population
        for s, g in enumerate(self.groups):
            if self.active[s]:
                noise = self.config.burst_scale * self._gene_scale(g) * self.rng.standard_cauchy((N, g.size))
                noise[0] = 0.0
                self.pool[:, g] = self.best_x[g] + noise

    def _adapt_size(self, pop: np.ndarray, fit: np.ndarray, best: float) -> None:
        """Retire the subpopulation whose lesion hurt least if it kept the threshold; else revive one."""
        thr = self.config.lesion_threshold
        floor = best * thr if best > 0 else best - (1.0 - thr) * abs(best)
        i = int(np.argmax(fit))
        if fit[i] >= floor:
            s = int(self.lesioned[i])
            self.active[s] = False
            self.pool[:, self.groups[s]] = 0.0
            # the smaller network becomes the one burst mutation centres on
            self.best_x, self.best_f = pop[i].copy(), float(fit[i])
            self.gen_best = self.best_f
            return
        dead = np.flatnonzero(~self.active[:self.n_neuron_groups])
        if dead.size:
            s, c, N = int(dead[0]), self.config, self.config.population
            g = self.groups[s]
            self.active[s] = True
            self.pool[:, g] = self.rng.uniform(-c.init_range, c.init_range, (N, g.size))

    def set_state(self, arrays: dict[str, np.ndarray], meta: dict) -> None:
        super().set_state(arrays, meta)
        self.generation, self.since_improvement = int(self.generation), int(self.since_improvement)
        self.bursts, self.gen_best, self.phase = int(self.bursts), float(self.gen_best), str(self.phase)
