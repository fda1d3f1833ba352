"""Evolino: EVOlution of recurrent systems with LINear Outputs, the evolutionary half.

Wierstra, Gomez & Schmidhuber (2005), "Modeling systems with internal state using Evolino", Proc.
GECCO 1795-1802; Schmidhuber, Wierstra, Gagliolo & Gomez (2007), "Training recurrent networks by
Evolino", Neural Computation 19(3):757-779. The other half, the readout computed in closed form
inside each evaluation, is the supervised problems' ``readout = "ridge"`` option
(:mod:`evornn.problems.readout`), which this optimiser requires; the same option works with any
other optimiser (``cosyne``, ``cmaes``, ...) as the evolver.

Enforced subpopulations (ESP, :mod:`.esp`) of hidden units: one subpopulation of ``population``
chromosomes per hidden unit (an LSTM memory cell with its gates, an Elman unit, ...), each
holding the unit's incoming weights and biases only (``net.neuron_groups(with_outgoing=False)``);
the readout's genes are not evolved (they are 0 in every network asked for and solved by the
problem). Core parameters that belong to no unit form one shared subpopulation. One generation:

1. Evaluation: ``population * trials`` networks, each made of one chromosome of every
   subpopulation; each of the ``trials`` rounds uses a fresh random permutation of every
   subpopulation, so every chromosome takes part in exactly ``trials`` networks (PyBrain's
   Evolino, the reference implementation, builds ``nCombinations`` rounds the same way). A
   chromosome's fitness is the best fitness of its networks (``credit = "max"``, as PyBrain's
   Evolino) or their average (``"mean"``, as ESP).
2. Reproduction, in each subpopulation ranked by that fitness: the top quarter are kept; the other
   chromosomes are replaced by copies of them (the best parent's first, cycling through the
   parents in rank order), each weight of a copy plus Cauchy noise of scale ``mutation_scale``
   (the paper: "the top quarter of the chromosomes in each subpopulation are duplicated and the
   copies are mutated by adding Cauchy noise to all of their weight values"; no crossover).
3. Burst mutation: when the best fitness has not improved for ``stagnation`` generations, every
   subpopulation is rebuilt around its chromosome in the best network found so far (kept), the
   others that chromosome plus Cauchy noise of scale ``burst_scale`` on every weight (ESP's
   delta-coding). Evolino has no lesioning: the network size is fixed.

The initial chromosomes are uniform in +-``init_range`` (``init = "uniform"``; PyBrain: 0.1), the
network's own initialisation (``"network"``: ``population`` networks of it, one row each), or
``"delta"``: the first generation evaluates the ``population`` networks of the initialiser whole
(network t made of chromosome t of every subpopulation), and then every subpopulation is rebuilt
around its unit in the best of them as burst mutation does (that unit kept, the others it plus
Cauchy noise of scale ``burst_scale`` on every weight: ESP's delta coding from the start). The
evolution is then a local search around one good network (e.g. the best of ``population``
reservoirs) instead of a recombination of rows of unrelated networks, which are mostly poor
networks when the units only work together (leaky reservoirs on Mackey-Glass, issue 19).

``input_scale`` is PyBrain's ``backprojectionFactor`` (its Evolino network multiplies the fed-back
output by it before the input weights; 0.01 by default, 0.001 in its superimposed-sines example):
here the input weights (the first layer's ``W_in``) are the genes, so their initial range, their
Cauchy mutation and their burst mutation are scaled by ``input_scale`` instead, which gives the
same distribution of networks. With a small ``init_range`` (PyBrain's example: 0.01) the
network starts near its linear regime and its states carry the input history with little
distortion, which the solved readout can use to generate (see the README's Evolino section).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import InitFn
from .esp import ESP


@dataclass(frozen=True)
class EvolinoConfig:
    population: int = 20            # chromosomes per subpopulation (one per hidden unit)
    trials: int = 4                 # networks each chromosome takes part in per generation
    mutation_scale: float = 0.1     # alpha of the Cauchy noise on every weight of a copy
    stagnation: int = 20            # generations without improvement before burst mutation
    burst_scale: float = 0.3        # Cauchy scale of burst mutation
    credit: str = "max"             # a chromosome's fitness: "max" or "mean" of its networks'
    init: str = "uniform"           # uniform (+-init_range) | network (its initialiser) | delta (one network + burst noise)
    init_range: float = 0.1
    input_scale: float = 1.0        # the input weights' scale (PyBrain's backprojectionFactor)

    def validate(self, where: str = "evolino") -> None:
        def bad(key: str, rule: str) -> None:
            raise ValueError(f"{where}.{key} must be {rule}, got {getattr(self, key)!r}")
        if self.population < 4:
            bad("population", ">= 4")
        if self.trials < 1:
            bad("trials", ">= 1")
        for k in ("mutation_scale", "burst_scale", "init_range", "input_scale"):
            if not getattr(self, k) > 0:
                bad(k, "> 0")
        if self.stagnation < 1:
            bad("stagnation", ">= 1")
        if self.credit not in ("max", "mean"):
            bad("credit", "'max' or 'mean'")
        if self.init not in ("uniform", "network", "delta"):
            bad("init", "'uniform', 'network' or 'delta'")


class Evolino(ESP):
    name = "evolino"
    description = ("Evolino (Schmidhuber et al. 2007): ESP subpopulations of hidden units, Cauchy and burst "
                   "mutation; the readout solved by the problem (needs readout = \"ridge\")")
    Config = EvolinoConfig
    needs = "solved readout"    # a supervised problem with readout = "ridge" (evornn.problems.readout)

    def __init__(self, n_params: int, config: EvolinoConfig | None, rng: np.random.Generator,
                 init: InitFn | None = None, groups: list[np.ndarray] | None = None,
                 readout: np.ndarray | None = None) -> None:
        self._readout = np.zeros(0, dtype=np.int64) if readout is None else np.asarray(readout, dtype=np.int64)
        super().__init__(n_params, config, rng, init, groups)
        self._scale = np.ones(n_params)     # per gene: input_scale on the input weights, else 1

    @staticmethod
    def input_weights(net) -> np.ndarray:
        """The chromosome indices of ``net``'s input weights: its first ``W_in`` block (layer 0)."""
        blocks = net.unflatten(np.arange(net.n_params, dtype=np.float64))
        for name, v in blocks.items():
            if name.split(".")[-1] == "W_in":
                return np.asarray(v, dtype=np.int64).ravel()
        return np.zeros(0, dtype=np.int64)

    @staticmethod
    def units_for(net) -> tuple[list[np.ndarray], np.ndarray]:
        """The hidden units' groups of ``net`` (incoming weights and biases) and its readout's indices."""
        from evornn.problems.readout import readout_slice
        sl = readout_slice(net)
        readout = np.arange(sl.start, sl.stop, dtype=np.int64)
        groups = [g for g in net.neuron_groups(with_outgoing=False) if not np.all(g >= sl.start)]
        return groups, readout

    def setup(self, problem, net) -> None:
        """Check that the problem solves the readout; take the hidden units' groups of ``net``."""
        if getattr(problem, "readout", None) != "ridge":
            raise ValueError(f"evolino evolves the recurrent weights only and needs a problem that solves the "
                             f"readout: set readout = \"ridge\" in [problem] (problem "
                             f"{getattr(problem, 'name', problem)!r} has readout "
                             f"{getattr(problem, 'readout', 'none')!r})")
        if self.groups is None:
            groups, self._readout = self.units_for(net)
            self._set_groups(groups)
        if self.config.input_scale != 1.0:
            idx = self.input_weights(net)
            if idx.size == 0:
                raise ValueError(f"evolino.input_scale needs a network whose first layer has input weights "
                                 f"(W_in); {net.name} has none: leave input_scale = 1")
            self._scale = np.ones(self.n_params)
            self._scale[idx] = self.config.input_scale

    def ask(self) -> np.ndarray:
        if self.pool is None and self.config.init == "uniform":
            c = self.config
            self.pool = self._scale * self.rng.uniform(-c.init_range, c.init_range, (c.population, self.n_params))
        elif self.pool is None and self.config.init == "delta":     # the initialiser's networks, whole
            N = self.config.population
            self.pool = np.asarray(self.init(self.rng, N), dtype=np.float64).reshape(N, self.n_params)
            self.members = np.repeat(np.arange(N)[:, None], len(self.groups), axis=1)
            return self.assemble(self.members)
        return super().ask()

    def update(self, pop: np.ndarray, fit: np.ndarray) -> None:
        super().update(pop, fit)
        if self.config.init == "delta" and self.generation == 1:
            self._burst()       # delta coding around the best of the first generation's whole networks

    def _set_groups(self, groups: list[np.ndarray]) -> None:
        super()._set_groups(groups)
        if self._readout.size and self.groups[-1] is not None and len(self.groups) > self.n_neuron_groups:
            shared = np.setdiff1d(self.groups[-1], self._readout)     # never evolve the readout
            self.groups = self.groups[:-1] + ([shared] if shared.size else [])
            S = len(self.groups)
            self.members = np.zeros((0, S), dtype=np.int64)
            self.active = np.ones(S, dtype=bool)
            self.neuron_fitness = np.full((self.config.population, S), np.nan)

    def _recombine(self, fit: np.ndarray) -> None:
        c, rng, N = self.config, self.rng, self.config.population
        S = len(self.groups)
        credit = np.full((N, S), -np.inf)
        total, count = np.zeros((N, S)), np.zeros((N, S))
        for s in range(S):
            if c.credit == "max":
                np.maximum.at(credit[:, s], self.members[:, s], fit)
            else:
                np.add.at(total[:, s], self.members[:, s], fit)
                np.add.at(count[:, s], self.members[:, s], 1.0)
        if c.credit == "mean":
            with np.errstate(invalid="ignore"):
                credit = total / count
        self.neuron_fitness = credit
        q = max(1, N // 4)
        for s, g in enumerate(self.groups):
            order = np.argsort(-credit[:, s], kind="stable")
            genes = self.pool[order][:, g]
            for j in range(q, N):
                genes[j] = genes[(j - q) % q] + c.mutation_scale * self._scale[g] * rng.standard_cauchy(g.size)
            self.pool[:, g] = genes

    def _check_stagnation(self) -> None:
        if self.best_f > self.gen_best:
            self.gen_best, self.since_improvement, self.bursts = self.best_f, 0, 0
            return
        self.since_improvement += 1
        if self.since_improvement >= self.config.stagnation:
            self.since_improvement = 0
            self.bursts += 1
            self._burst()

    def _gene_scale(self, g):
        """ESP's burst mutation with the Cauchy noise scaled per gene (``input_scale``)."""
        return self._scale[g]
