"""NEAT: neuroevolution of augmenting topologies.

Stanley & Miikkulainen (2002), "Evolving neural networks through augmenting topologies",
Evolutionary Computation 10(2):99-127. Genomes, innovation numbers, crossover and the structural
mutations are in :mod:`evornn.optim.neat_genome`; this module is the generation loop.

The chromosomes ``ask`` returns are the genomes' padded phenotypes, chromosomes of the
``neat-net`` architecture (:mod:`evornn.nets.cells.neat_net`): networks of different topologies
are rows of one population and run in one parallel kernel call on any problem (local threads or
Ray). NEAT needs that network: ``arch = "neat-net"`` (its ``max_nodes`` bounds the genomes;
``update`` says how a step activates the network, "sync" by default: one pass a step, as NEAT's
pole-balancing code), or a network whose only parameters are one neat-net layer's: ``neat-entm``,
the evolvable neural Turing machine of Greve, Jacobsen & Risi (2016), whose phenotype's outputs
drive a memory tape.

One generation (Section 3 of the paper; the defaults are its values, Section 4.1):

1. the population starts minimal: every input and the bias connected to every output, with the
   same innovation numbers, weights uniform in +-``weight_init_range``;
2. after evaluation each genome joins the first species (in the order species were created) whose
   representative, a random member of the species' previous generation, is within the
   compatibility threshold: c1 E / N + c2 D / N + c3 W < ``compat_threshold`` (N = 1 for genomes
   of fewer than ``small_genome`` genes); otherwise it founds a species. With ``target_species``
   > 0 the threshold moves by ``threshold_step`` each generation towards that many species (the
   adaptive threshold of NEAT's code), never below ``threshold_step``;
3. explicit fitness sharing: a genome's adjusted fitness is its fitness over its species' size,
   and every species gets offspring in proportion to the sum of its adjusted fitness (largest
   remainders, ties by species order). Fitness below 0 is shifted up by the population's minimum
   (sharing needs fitness >= 0); -inf counts as the lowest finite value;
4. a species whose best fitness has not improved for more than ``stagnation`` generations gets no
   offspring; when the population's best has not improved for ``population_stagnation``
   generations only the two best species reproduce (and the counter restarts). The species holding the population's best
   genome is never dropped;
5. in each species the champion of a species of more than ``elite_min_size`` members is copied
   unchanged; the best ``survival_threshold`` of the members breed: a share ``mutate_only`` of the
   offspring are mutated copies, the others children of two parents (the second from another
   species with probability ``interspecies_rate``), aligned by innovation number (a gene disabled
   in either parent stays disabled with probability ``disable_inherit``; with probability
   ``mate_average`` the matching genes' weights are averaged instead of picked), then mutated
   (with probability ``mate_only`` a child of two different parents is not mutated);
6. mutation: with probability ``add_node`` a connection is split by a new node (none when the
   genome has ``max_nodes`` units already), else with
   ``add_connection`` a new connection is added (``recurrent`` allows connections that close a
   cycle, self-loops included), else with ``weight_mutation`` every weight is perturbed uniformly
   in +-``weight_perturb`` or, with ``weight_replace``, replaced, and with ``toggle_enable`` one
   connection's enabled bit flips. Innovation numbers are shared by the same structural mutation
   within a generation. With ``gate_nodes`` a new node is a multiplicative gate with probability
   ``gate_probability`` (otherwise of the network's hidden ``activation``).

Every random draw comes from the optimiser's Generator, species are kept in creation order and
genomes in population order, so a seed gives the same run with any number of threads or actors.
Checkpoints hold the genomes, species and innovation record as JSON (no pickle); :meth:`info`
has the best genome as JSON too.

Values not in the paper: ``weight_perturb`` (2.5, the NEAT code's ``weight_mut_power``),
``weight_init_range`` (1), ``weight_limit`` (8), ``survival_threshold`` (0.2, neat-python's
default), ``toggle_enable`` (0: off), ``population_stagnation`` (20, the paper's "if the whole
population does not improve for more than 20 generations"); ``elite_min_size`` 5 is the paper's
"more than five networks". ``mate_only`` and ``mate_average`` are 0 (off) by default; the NEAT
code's XOR parameters use 0.2 (``mate_only_prob``) and 0.4 (``mate_multipoint_avg_prob``).
Evaluations: every generation evaluates the whole population.

Details of NEAT's C++ code (neat1.2.1) the paper does not state are options; their defaults keep
evornn's first reading, ``configs/neat-xor.toml`` sets the code's values: ``weight_style =
"neat-code"`` (its mutate_link_weights: half the time "severe", each weight perturbed with 0.7,
replaced with 0.2, kept with 0.1; otherwise every weight perturbed but the last fifth of a genome of
10 genes or more: 0.5 / 0.2 / 0.3), ``weight_replace_range`` (replacements in +-2.5, its power),
``link_weight_range`` (a new connection in +-1), ``split_bias = False`` (add node leaves bias
connections alone), ``representative = "champion"`` (a species' previous champion, not a random
member), ``survivors = "floor+1"`` (floor(0.2 n + 1) parents), ``elite_by = "offspring"`` (the
champion copied when the species gets more than ``elite_min_size`` offspring), ``mate_tie =
"smaller"`` (at equal fitness the smaller genome gives the disjoint genes), ``stagnation_penalty =
0.01`` (a stagnant species' share multiplied by it, none dropped), ``population_stagnation_style =
"delta"`` (after a population stagnation the two best species' current champions get half the
population each, as clones with mutated weights or, 20%, a new connection; the last an exact copy)
and ``tie_break = "random"`` (genomes of equal fitness ranked by a random draw per generation, as
its unstable sort leaves them; by default by population index). Further details of that code, off
by default (the code's value in brackets): ``keep_disabled`` (True: its ``mate_multipoint`` copies
the picked gene with its disabled bit, so a gene disabled in both parents stays disabled; its
averaging mating enables it as the paper says), ``mate_only_distinct`` (True: a crossover child of
two parents at distance 0 is mutated even when drawn mate-only), ``link_weight_repeat`` (True: a
connection added again in the same generation gets the first one's weight, as its innovation
record holds it), ``structural_exclusive`` (True: an add-node or add-connection drawn but
impossible leaves the genome unmutated, no weight mutation instead), ``newborn_parents`` (True: its
``Population::epoch`` places each offspring in a species as it is born, the first species in
order whose representative is within the threshold, and its ``Species::reproduce`` draws parents
from the species' list as it is when the species' turn comes: the survivors and the offspring of
the species that reproduced before it which joined it; an offspring parent has fitness 0, the
code's ``orig_fitness`` of an organism not yet evaluated. In its non-Markov double pole runs a
third of the second generation's offspring have such a parent), ``stagnation_count =
"neat-code"`` (its ``Species::adjust_fitness``: stagnant once the generations without improvement
before this one, plus one, reach ``stagnation``), ``allocation = "skim"`` (its
``Species::count_offspring``: each genome's expected offspring, fractions carried from species to
species, a missing one to the species expecting most) and ``obliterate_every`` (30: every 30th
generation the worst species at least ``obliterate_age`` = 20 generations old, or the best when
none is, counts as stagnant for good, its ``Population::epoch``'s "competitive coevolution
stagnation detection"); ``test_choice = "unchecked"`` (its non-Markov double pole experiment,
``pole2_epoch``: the network tested for "solved" after a generation is not the fittest but the
champion of the best species not yet checked, a species being unchecked while new and again when
its best fitness improves, the best species' when all are checked; :meth:`test_candidate` tells the
runner; not the code's: ``retest = false`` passes over a network an earlier test ran, for either
rule, since a deterministic test fails it again); ``link_style = "neat-code"`` (its
``mutate_add_link``: ``link_tries`` = 20 draws of a node pair, with probability ``recur_only`` (its
``recur_only_prob``, 0.2 in its ``p2nv.ne``, 0 for XOR)
a search for a link it labels recurrent: one touching an output node or closing a cycle, else for
one that is neither, so links into and out of the outputs come only from that search; the labels
are kept per gene, and its crossover leaves out a second gene of the same link,
:func:`evornn.optim.neat_genome.add_connection_neat_code`); ``toggle_guard`` (True: its toggle
never disables a node's last enabled outgoing connection); ``gene_reenable`` (0.05 in ``p2nv.ne``:
the first disabled gene enabled, after the weight and toggle mutations); ``bias_value`` (0.5: the
bias input of its pole code; the bias weights enter the phenotype times it); ``compat_weights =
"mutation_num"`` (its compatibility compares each gene's ``mutation_num``: the weight after the
genome's last weight mutation, 0 for the genes of an add node or of a repeated add-connection
until then). Its network activation and sigmoid slope are options of the network, not of
``neat``: ``neat-net``'s ``update = "neat-code"`` (its ``Network::activate``: a node is activated
only once one of its inputs is active, 0 until then; passes until the outputs are active), ``relax``
(its XOR evaluation's ``net_depth + 1`` activations more) and ``sigmoid_slope`` (4.924273; the
default 4.9), with the ``xor`` problem's ``style = "neat-code"`` (fitness 0.001 when the output is
never activated). With its settings, ``small_genome`` above any genome's size: its compatibility
never divides by N.
:attr:`code_ids` are the evaluated genomes' ids in its numbering (its
``pop_size * (generation - 1) + genome_id`` evaluation count needs them).
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

from ..nets.cells import neat_net
from . import neat_genome as G
from . import neat_species as S
from .base import InitFn, Strategy


@dataclass(frozen=True)
class NEATConfig:
    population: int = 150
    c1: float = 1.0                    # excess genes
    c2: float = 1.0                    # disjoint genes
    c3: float = 0.4                    # mean weight difference
    compat_threshold: float = 3.0      # delta_t
    small_genome: int = 20             # N = 1 below this many genes
    target_species: int = 0            # > 0: adapt the threshold towards this many species
    threshold_step: float = 0.3
    stagnation: int = 15
    population_stagnation: int = 20
    elite_min_size: int = 5            # champion copied when the species has more members
    survival_threshold: float = 0.2
    mutate_only: float = 0.25
    mate_only: float = 0.0             # a crossover child left unmutated (the NEAT code's mate_only_prob 0.2)
    mate_average: float = 0.0          # crossover averaging matching weights (mate_multipoint_avg_prob 0.4)
    interspecies_rate: float = 0.001
    disable_inherit: float = 0.75
    weight_mutation: float = 0.8
    weight_replace: float = 0.1
    weight_perturb: float = 2.5        # uniform +-; the NEAT code's weight_mut_power
    weight_init_range: float = 1.0
    weight_limit: float = 8.0          # 0: none
    add_node: float = 0.03
    add_connection: float = 0.05       # the paper: 0.3 in its large (1,000) populations
    toggle_enable: float = 0.0
    # details of the NEAT code (Stanley's C++ release, neat1.2.1) the paper does not state; the
    # defaults are evornn's first reading, the code's values in the comments (configs/neat-xor.toml)
    weight_style: str = "uniform"      # "neat-code": the code's mutate_link_weights (severe half the time)
    weight_replace_range: float = 0.0  # replacement draws in +- this (0: weight_init_range; code: 2.5 = power)
    link_weight_range: float = 0.0     # a new connection's weight in +- this (0: weight_init_range; code: 1.0)
    split_bias: bool = True            # code: False (add node never splits a connection from the bias)
    representative: str = "random"     # code: "champion" (the species' best of the previous generation)
    survivors: str = "ceil"            # code: "floor+1" (floor(survival_threshold n + 1) parents)
    elite_by: str = "size"             # code: "offspring" (champion copied when the species gets > 5 offspring)
    mate_tie: str = "first"            # code: "smaller" (equal fitness: the smaller genome's disjoint genes)
    population_stagnation_style: str = "top2"   # code: "delta" (the two best champions' clones, half each)
    stagnation_penalty: float = 0.0    # 0: a stagnant species is dropped; > 0: its share times this (code: 0.01)
    tie_break: str = "index"           # equal fitness ranked by population index, or "random" (the code's unstable sort)
    keep_disabled: bool = False        # code: True (mate_multipoint: a disabled gene picked stays disabled)
    mate_only_distinct: bool = False   # code: True (parents at distance 0 count as one: the child is mutated)
    link_weight_repeat: bool = False   # code: True (a connection added again in a generation gets the first one's weight)
    structural_exclusive: bool = False # code: True (a structural mutation drawn but impossible: no weight mutation instead)
    newborn_parents: bool = False      # code: True (offspring that joined a species before it reproduces are in its parent pool)
    stagnation_count: str = "paper"    # code: "neat-code" (stagnant when the generations without improvement before this one, + 1, reach stagnation)
    allocation: str = "remainders"     # code: "skim" (per-genome expected offspring, fractions carried over, the rest to the largest)
    obliterate_every: int = 0          # code: 30 (every 30th generation the worst species aged >= obliterate_age is penalised for good)
    obliterate_age: int = 20
    test_choice: str = "fittest"       # code's pole2_epoch (non-Markov): "unchecked" (the best unchecked species' champion)
    retest: bool = True                # False: a network tested before is passed over (a deterministic test fails it again)
    link_style: str = "uniform"        # code: "neat-code" (its mutate_add_link: tries of node pairs, recurrent labels)
    recur_only: float = 0.0            # link_style "neat-code": share of add-connections seeking a recurrent link (code: recur_only_prob)
    link_tries: int = 20               # link_style "neat-code": node pairs tried (code: newlink_tries)
    toggle_guard: bool = False         # code: True (toggle never disables a node's last enabled outgoing connection)
    gene_reenable: float = 0.0         # code (p2nv.ne): 0.05 (mutate_gene_reenable_prob: the first disabled gene enabled)
    bias_value: float = 1.0            # the bias input the bias weights multiply (NEAT's pole code: 0.5)
    compat_weights: str = "weight"     # code: "mutation_num" (its compatibility's per-gene values)
    recurrent: bool = True
    gate_nodes: bool = False
    gate_probability: float = 0.5

    def validate(self, where: str = "neat") -> None:
        def bad(key: str, rule: str) -> None:
            raise ValueError(f"{where}.{key} must be {rule}, got {getattr(self, key)!r}")
        if self.population < 2:
            bad("population", ">= 2")
        for k in ("c1", "c2", "c3"):
            if not getattr(self, k) >= 0:
                bad(k, ">= 0")
        for k in ("compat_threshold", "threshold_step", "weight_perturb", "weight_init_range"):
            if not getattr(self, k) > 0:
                bad(k, "> 0")
        for k in ("small_genome", "target_species", "stagnation", "population_stagnation", "elite_min_size",
                  "obliterate_every", "obliterate_age", "link_tries"):
            v = getattr(self, k)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                bad(k, "an integer >= 0")
        for k in ("survival_threshold",):
            if not 0 < getattr(self, k) <= 1:
                bad(k, "in (0, 1]")
        for k in ("mutate_only", "mate_only", "mate_average", "interspecies_rate", "disable_inherit", "weight_mutation", "weight_replace",
                  "add_node", "add_connection", "toggle_enable", "gate_probability", "stagnation_penalty",
                  "recur_only", "gene_reenable"):
            if not 0 <= getattr(self, k) <= 1:
                bad(k, "in [0, 1]")
        for k in ("weight_replace_range", "link_weight_range"):
            if not (getattr(self, k) >= 0 and math.isfinite(getattr(self, k))):
                bad(k, "a finite number >= 0 (0: weight_init_range)")
        for k, allowed in (("weight_style", ("uniform", "neat-code")), ("representative", ("random", "champion")),
                           ("survivors", ("ceil", "floor+1")), ("elite_by", ("size", "offspring")),
                           ("mate_tie", ("first", "smaller")), ("population_stagnation_style", ("top2", "delta")),
                           ("tie_break", ("index", "random")), ("stagnation_count", ("paper", "neat-code")),
                           ("allocation", ("remainders", "skim")), ("test_choice", ("fittest", "unchecked")),
                           ("link_style", ("uniform", "neat-code")), ("compat_weights", ("weight", "mutation_num"))):
            if getattr(self, k) not in allowed:
                bad(k, " or ".join(repr(a) for a in allowed))
        if not (self.weight_limit >= 0 and math.isfinite(self.weight_limit)):
            bad("weight_limit", "a finite number >= 0 (0: no limit)")
        if not (self.bias_value > 0 and math.isfinite(self.bias_value)):
            bad("bias_value", "a finite number > 0")
        if self.recur_only > 0 and not (self.recurrent and self.link_style == "neat-code"):
            bad("recur_only", "0 unless recurrent = true and link_style = \"neat-code\"")


class NEAT(Strategy):
    name = "neat"
    description = ("NEAT (Stanley & Miikkulainen 2002): evolving topologies from a minimal start with "
                   "innovation numbers, speciation and fitness sharing; needs arch neat-net (or neat-entm)")
    Config = NEATConfig
    default_net = {"arch": "neat-net"}

    def __init__(self, n_params: int, config: NEATConfig | None, rng: np.random.Generator,
                 init: InitFn | None = None, layout: G.Layout | None = None) -> None:
        super().__init__(n_params, config, rng, init)
        self.config.validate(self.name)
        self.layout = layout
        self.genomes: list[G.Genome] | None = None
        self.species: list[dict] = []
        self.inn: G.Innovations | None = None
        self.threshold = float(self.config.compat_threshold)
        self.generation = 0
        self.next_species = 0
        self.pop_best, self.pop_stale = -math.inf, 0
        self.best_genome: dict | None = None
        self._best_genome_f = -math.inf
        self._tie = np.arange(self.config.population)
        self.code_ids: list[int] | None = None
        self._test_index: int | None = None
        self._tested: set[str] = set()      # retest = false: digests of the networks tested
        if layout is not None:
            self._check_layout()

    @classmethod
    def memory_bytes(cls, config, n_params, net=None, problem=None) -> int:
        """Three population matrices, and the genomes as Python objects: the population, its
        children and the species' representatives, each gene (a list of four numbers and its
        dictionary entry, about 200 bytes) at most one per weight of the padded phenotype."""
        return 3 * config.population * int(n_params) * 8 + 2 * config.population * int(n_params) * 200

    # -- setup ---------------------------------------------------------------------------------
    def setup(self, problem, net) -> None:
        if self.layout is None:
            self.layout = G.Layout.of(net)
            self._check_layout()

    def _check_layout(self) -> None:
        if self.layout.n_params != self.n_params:
            raise ValueError(f"neat: the neat-net layout has {self.layout.n_params} parameters, the run {self.n_params}")

    def _start(self) -> None:
        lay, c = self.layout, self.config
        self.genomes = [lay.minimal(self.rng, c.weight_init_range) for _ in range(c.population)]
        n0 = len(self.genomes[0].conns)
        self.inn = G.Innovations(n0, lay.first_hidden)

    # -- ask / tell ----------------------------------------------------------------------------
    def ask(self) -> np.ndarray:
        if self.layout is None:
            raise ValueError("neat: call setup(problem, net) with a neat-net network first (the runner does)")
        if self.genomes is None:
            self._start()
        return np.stack([self.layout.phenotype(g, self.config.bias_value) for g in self.genomes])

    def expected_rows(self) -> int:
        return self.config.population

    def update(self, pop: np.ndarray, fit: np.ndarray) -> None:
        if self.genomes is None:
            raise ValueError("neat: tell needs the population of the last ask")
        for g, f in zip(self.genomes, fit):
            g.fitness = float(f)
        i = int(np.argmax(fit))
        if fit[i] > self._best_genome_f:
            self.best_genome, self._best_genome_f = self.genomes[i].to_json(), float(fit[i])
        n = len(self.genomes)
        # the rank of a genome among others of equal fitness: its index, or a random draw per generation
        self._tie = self.rng.permutation(n) if self.config.tie_break == "random" else np.arange(n)
        self._speciate()
        self._test_index = (self._choose_test(pop) if self.config.test_choice == "unchecked" or not self.config.retest
                            else None)
        self.code_ids = self._code_ids()
        self._reproduce()
        self.generation += 1

    def test_candidate(self, fitness: np.ndarray) -> int:
        """The genome the runner tests for "solved": the fittest, or (``test_choice = "unchecked"`` or
        ``retest = false``) the one :meth:`_choose_test` chose when the population was told."""
        if self._test_index is None:
            return super().test_candidate(fitness)
        return self._test_index

    def _choose_test(self, pop: np.ndarray) -> int:
        """The network to test. ``test_choice = "unchecked"``: the NEAT code's choice in its non-Markov
        double pole experiment (``pole2_epoch``): the species ranked by their champions' fitness (best
        first; equals in species order), the first species not yet checked (a species is unchecked
        while new and again whenever its best fitness exceeds its best of the earlier generations),
        or the best species when all are checked; that species is marked checked and its champion
        (the first of its fittest members in population order) is tested. So a champion that failed
        the test is not tested again until its species improves, and the test goes round the
        species. ``"fittest"``: the fittest genome (the first of equals).

        ``retest = false``: a network (its phenotype, bit for bit) tested in an earlier generation is
        passed over, since a deterministic test (the pole's) can only fail it again: the next
        species' champion in the same order (unchecked species first, then the checked ones), else
        the fittest genome not yet tested; the network chosen is remembered. ``pop``: the networks
        (rows) of the genomes, as evaluated."""
        g = self.genomes
        fittest = lambda: sorted(range(len(g)), key=lambda i: (-_key(g[i].fitness), i))
        if self.config.test_choice == "fittest":         # here only without retests
            order = fittest()
            return self._first_new(pop, order, order[0])
        best = {id(s): max(_key(g[i].fitness) for i in s["members"]) for s in self.species}
        ranked = sorted(self.species, key=lambda s: -best[id(s)])      # stable: equals in species order
        champion = lambda s: max(s["members"], key=lambda i: (_key(g[i].fitness), -i))
        pick = next((s for s in ranked if not s.get("checked", False)), ranked[0])
        if self.config.retest:
            pick["checked"] = True
            return champion(pick)
        for s in sorted(ranked, key=lambda s: s.get("checked", False)):     # unchecked first, each in rank order
            s["checked"] = True
            i = self._first_new(pop, [champion(s)], None)
            if i is not None:
                return i
        return self._first_new(pop, fittest(), champion(pick))

    def _first_new(self, pop: np.ndarray, candidates, default):
        """The first of ``candidates`` whose network (row of ``pop``) no earlier test ran (now
        remembered as tested), else ``default``."""
        for i in candidates:
            d = hashlib.blake2b(np.ascontiguousarray(pop[i]).tobytes(), digest_size=16).hexdigest()
            if d not in self._tested:
                self._tested.add(d)
                return i
        return default

    def _code_ids(self) -> list[int]:
        """Where each genome of the evaluated population sits in NEAT's code's population (its
        ``genome_id``): the first generation in creation order, later ones species by species (in
        species order, which the code's ``Population::epoch`` numbers as it rebuilds its organism
        list from the species its offspring joined), each species' members in population order.
        The code counts a run's evaluations by it (``pop_size * (generation - 1) + genome_id``)."""
        if self.generation == 0:
            return list(range(len(self.genomes)))
        ids, k = [0] * len(self.genomes), 0
        for s in self.species:
            for i in s["members"]:
                ids[i] = k
                k += 1
        return ids

    def info(self) -> dict:
        return {"species": len(self.species), "threshold": self.threshold,
                "innovations": 0 if self.inn is None else self.inn.next_innovation,
                "best_genome": self.best_genome}

    # -- speciation ----------------------------------------------------------------------------
    def _speciate(self) -> None:
        c = self.config
        for s in self.species:
            s["members"] = []
        # each genome joins the first species (in creation order) whose representative is within the
        # threshold (G.distance), else founds one: the walk compiled (neat_species), the same species
        mn = c.compat_weights == "mutation_num"
        reps = S.Representatives([s["rep"] for s in self.species], mn)
        for idx, g in enumerate(self.genomes):
            keys, weights = S.gene_arrays(g, mn)
            j = S.first_within(keys, weights, reps, c.c1, c.c2, c.c3, c.small_genome, self.threshold)
            if j >= 0:
                self.species[j]["members"].append(idx)
            else:
                self.species.append({"id": self.next_species, "rep": g, "members": [idx], "best": -math.inf,
                                     "stale": 0, "age": 0, "obliterated": False})
                self.next_species += 1
                reps.append(keys, weights)
        self.species = [s for s in self.species if s["members"]]
        for s in self.species:
            best = max(self.genomes[i].fitness for i in s["members"])
            s["stale_before"] = s["stale"]
            s["age"] = s.get("age", 0) + 1
            if best > s["best"]:
                s["checked"] = False               # the code's pole2_epoch: an improved species is tested again
            s["best"], s["stale"] = (best, 0) if best > s["best"] else (s["best"], s["stale"] + 1)
            if c.representative == "champion":
                rep = min(s["members"], key=lambda i: (-_key(self.genomes[i].fitness), self._tie[i]))
            else:
                rep = s["members"][int(self.rng.integers(len(s["members"])))]
            s["rep"] = self.genomes[rep].copy()
        if c.obliterate_every > 0 and (self.generation + 1) % c.obliterate_every == 0:
            self._obliterate()
        if c.target_species > 0:
            n = len(self.species)
            if n < c.target_species:
                self.threshold = max(c.threshold_step, self.threshold - c.threshold_step)
            elif n > c.target_species:
                self.threshold += c.threshold_step

    # -- reproduction --------------------------------------------------------------------------
    def _shared_fitness(self) -> tuple[np.ndarray, float]:
        """(the fitnesses reproduction compares: non-finite ones as the lowest finite one, shifted
        so that none is negative; a raw fitness of 0 on that scale)."""
        f = np.array([g.fitness for g in self.genomes], dtype=np.float64)
        finite = np.isfinite(f)
        low = f[finite].min() if finite.any() else 0.0
        f = np.where(finite, f, low)
        f = np.where(np.isnan(f), low, f)
        return f - min(0.0, low), -min(0.0, low)

    def _reproduce(self) -> None:
        c, rng = self.config, self.rng
        f, zero = self._shared_fitness()
        best_idx = int(np.argmax(f))
        best_now = float(max(g.fitness for g in self.genomes))
        self.pop_best, self.pop_stale = (best_now, 0) if best_now > self.pop_best else (self.pop_best, self.pop_stale + 1)
        if c.stagnation_penalty > 0:                # the code: stagnant species shrink, none is dropped
            alive = list(self.species)
        else:
            alive = [s for s in self.species if not self._stagnant(s) or best_idx in s["members"]]
        delta = False
        if c.population_stagnation > 0 and self.pop_stale >= c.population_stagnation:
            if c.population_stagnation_style == "delta":    # the code: by the current champions
                ranked = sorted(alive, key=lambda s: -max(f[i] for i in s["members"]))
            else:
                ranked = sorted(alive, key=lambda s: -s["best"])     # stable: ties by species order
            keep = {id(s) for s in ranked[:2]}
            alive = [s for s in alive if id(s) in keep]
            self.pop_stale = 0
            delta = c.population_stagnation_style == "delta"
            if delta:                                # the best species first, as the code's sorted_species
                alive = [s for s in ranked if id(s) in keep]
                for s in alive:
                    s["stale"] = 0                   # the code's last_improved = age
        if delta:
            half = c.population // 2
            counts = [half, c.population - half] if len(alive) > 1 else [c.population]
        else:
            penalty = [c.stagnation_penalty if c.stagnation_penalty > 0 and self._stagnant(s) else 1.0 for s in alive]
            if c.allocation == "skim":
                counts = _allocate_skim([sorted(s["members"], key=lambda i: (-f[i], self._tie[i])) for s in alive],
                                        penalty, f, c.population)
            else:
                share = np.array([f[s["members"]].sum() / len(s["members"]) * p for s, p in zip(alive, penalty)])
                counts = _allocate(share, c.population)
        self.inn.new_generation()
        pool = []                                  # (species, parents) of the breeding species
        for s in alive:
            order = sorted(s["members"], key=lambda i: (-f[i], self._tie[i]))
            k = (int(math.floor(c.survival_threshold * len(order) + 1.0)) if c.survivors == "floor+1"
                 else int(math.ceil(c.survival_threshold * len(order))))
            pool.append((s, order[:max(1, k)]))
        children = []
        births = _Births(self, alive, f, zero) if c.newborn_parents and not delta else None
        if births is not None:
            f = births.f

        def bear(child: G.Genome) -> None:
            children.append(child)
            if births is not None:
                births.add(child)
        for (s, parents), n in zip(pool, counts):
            if n == 0:
                continue
            order = sorted(s["members"], key=lambda i: (-f[i], self._tie[i]))
            if delta:
                children.extend(self._champion_clones(self.genomes[order[0]], n))
                continue
            if births is not None:
                parents = parents + births.joined(s)
            if (n if c.elite_by == "offspring" else len(order)) > c.elite_min_size:
                bear(self.genomes[order[0]].copy())
                n -= 1
            for _ in range(n):
                bear(self._offspring(parents, pool, f))
        self.species = alive
        self.genomes = children
        for g in self.genomes:
            g.fitness = math.nan

    def _obliterate(self) -> None:
        """The NEAT code's Population::epoch every ``obliterate_every`` generations ("competitive
        coevolution stagnation detection", on in its XOR runs too): of the species ranked by their
        champions (best first), the worst one at least ``obliterate_age`` generations old, or the
        best when none is, is marked for good; a marked species counts as stagnant from then on."""
        ranked = sorted(self.species, key=lambda s: -_key(max(self.genomes[i].fitness for i in s["members"])))
        k = len(ranked) - 1
        while k > 0 and ranked[k].get("age", 0) < self.config.obliterate_age:
            k -= 1
        ranked[k]["obliterated"] = True

    def _stagnant(self, s: dict) -> bool:
        """Whether species ``s`` has stagnated: more than ``stagnation`` generations without a better
        champion, or (``stagnation_count = "neat-code"``, its Species::adjust_fitness with
        dropoff_age = ``stagnation``) the generations without one before this generation's, plus
        one, reach ``stagnation`` (one generation sooner, and still this generation when it improves);
        a species :meth:`_obliterate` marked is stagnant for good."""
        c = self.config
        if s.get("obliterated"):
            return True
        if c.stagnation_count == "neat-code":
            return s.get("stale_before", s["stale"]) + 1 >= c.stagnation
        return s["stale"] > c.stagnation

    def _champion_clones(self, champ: G.Genome, n: int) -> list[G.Genome]:
        """The NEAT code's delta coding after a population stagnation: ``n`` children of the
        champion, the last an exact copy, the others with their weights mutated (or, with
        probability 0.2 when connections may be added, a new connection)."""
        c, rng = self.config, self.rng
        out = []
        for k in range(n):
            g = champ.copy()
            if k < n - 1:
                if rng.random() < 0.8 or c.add_connection == 0:
                    self._mutate_weights(g)
                else:
                    self._add_link(g)
            out.append(g)
        return out

    def _link_range(self) -> float:
        c = self.config
        return c.link_weight_range or c.weight_init_range

    def _add_link(self, g: G.Genome) -> bool:
        c = self.config
        if c.link_style == "neat-code":
            return G.add_connection_neat_code(g, self.layout, self.inn, self.rng, c.recur_only, c.link_tries,
                                              self._link_range(), c.link_weight_repeat, self._mnum)
        return G.add_connection(g, self.layout, self.inn, self.rng, c.recurrent, self._link_range(),
                                c.link_weight_repeat, self._mnum)

    @property
    def _mnum(self) -> bool:
        return self.config.compat_weights == "mutation_num"

    def _mutate_weights(self, g: G.Genome) -> None:
        c = self.config
        rr = c.weight_replace_range or c.weight_init_range
        if c.weight_style == "neat-code":
            G.mutate_weights_neat_code(g, self.rng, c.weight_perturb, rr, c.weight_limit)
        else:
            G.mutate_weights(g, self.rng, c.weight_replace, c.weight_perturb, rr, c.weight_limit)

    def _offspring(self, parents: list[int], pool: list, f: np.ndarray) -> G.Genome:
        c, rng, lay = self.config, self.rng, self.layout
        a = parents[int(rng.integers(len(parents)))]
        if len(parents) == 1 or rng.random() < c.mutate_only:
            child = self.genomes[a].copy()
        else:
            if rng.random() < c.interspecies_rate and len(pool) > 1:
                others = pool[int(rng.integers(len(pool)))][1]
                b = others[int(rng.integers(len(others)))]
            else:
                b = parents[int(rng.integers(len(parents)))]
            if c.mate_tie == "smaller" and f[a] == f[b] and a != b:
                na, nb = len(self.genomes[a].conns), len(self.genomes[b].conns)
                first, second = (a, b) if na < nb else (b, a)   # the code: p1better when strictly smaller
            else:
                first, second = (a, b) if (f[a], -self._tie[a]) >= (f[b], -self._tie[b]) else (b, a)
            average = c.mate_average > 0 and rng.random() < c.mate_average
            child = G.crossover(self.genomes[first], self.genomes[second], rng, c.disable_inherit, average,
                                c.keep_disabled, dedup=c.link_style == "neat-code")
            if c.mate_only > 0 and rng.random() < c.mate_only and a != b:
                if not (c.mate_only_distinct and G.distance(self.genomes[a], self.genomes[b], c.c1, c.c2, c.c3,
                                                            c.small_genome, self._mnum) == 0.0):
                    return child
        self._mutate(child)
        return child

    def _mutate(self, g: G.Genome) -> None:
        c, rng, lay = self.config, self.rng, self.layout
        if rng.random() < c.add_node:
            kind = neat_net.GATE if c.gate_nodes and rng.random() < c.gate_probability else lay.hidden_type
            if G.add_node(g, lay, self.inn, rng, kind, c.split_bias, self._mnum) or c.structural_exclusive:
                return
        if rng.random() < c.add_connection:
            if self._add_link(g) or c.structural_exclusive:
                return
        if rng.random() < c.weight_mutation:
            self._mutate_weights(g)
        if c.toggle_enable > 0 and rng.random() < c.toggle_enable:
            G.toggle_enable(g, rng, c.toggle_guard)
        if c.gene_reenable > 0 and rng.random() < c.gene_reenable:
            G.reenable(g)

    # -- checkpoint state ------------------------------------------------------------------------
    def get_state(self):
        arrays, meta = super().get_state()
        meta["neat"] = {
            "generation": self.generation, "threshold": self.threshold, "next_species": self.next_species,
            "pop_best": _num(self.pop_best), "pop_stale": self.pop_stale,
            "genomes": None if self.genomes is None else [g.to_json() for g in self.genomes],
            "species": [{"id": s["id"], "rep": s["rep"].to_json(), "best": _num(s["best"]), "stale": s["stale"],
                         "age": s.get("age", 0), "obliterated": bool(s.get("obliterated", False)),
                         "checked": bool(s.get("checked", False))}
                        for s in self.species],
            "innovations": None if self.inn is None else [self.inn.next_innovation, self.inn.next_node],
            "best_genome": self.best_genome,
            "best_genome_f": _num(self._best_genome_f),
            "code_ids": self.code_ids,
            "tested": sorted(self._tested),
        }
        return arrays, meta

    def set_state(self, arrays, meta) -> None:
        super().set_state(arrays, meta)
        d = meta["neat"]
        self.generation, self.threshold = int(d["generation"]), float(d["threshold"])
        self.next_species, self.pop_best, self.pop_stale = int(d["next_species"]), _unnum(d["pop_best"]), int(d["pop_stale"])
        self.genomes = None if d["genomes"] is None else [G.Genome.from_json(g) for g in d["genomes"]]
        self.species = [{"id": int(s["id"]), "rep": G.Genome.from_json(s["rep"]), "members": [],
                         "best": _unnum(s["best"]), "stale": int(s["stale"]), "age": int(s.get("age", 0)),
                         "obliterated": bool(s.get("obliterated", False)),
                         "checked": bool(s.get("checked", False))} for s in d["species"]]
        self.inn = None if d["innovations"] is None else G.Innovations(*map(int, d["innovations"]))
        self.best_genome, self._best_genome_f = d["best_genome"], _unnum(d["best_genome_f"])
        self.code_ids = None if d.get("code_ids") is None else [int(i) for i in d["code_ids"]]
        self._tested = set(d.get("tested", []))


def _num(v: float):
    """A float for JSON: non-finite values as strings ("-inf")."""
    return float(v) if math.isfinite(v) else repr(float(v))


def _unnum(v) -> float:
    return float(v)


def _key(v: float) -> float:
    """A fitness for ordering: NaN as -inf."""
    return -math.inf if v != v else v


def _allocate_skim(members: list[list[int]], penalty: list[float], f: np.ndarray, total: int) -> list[int]:
    """The NEAT code's allocation (Population::epoch, Species::count_offspring): each genome's
    shared fitness f penalty / species size over the population's mean of it is its expected
    offspring; a species gets the whole parts of its members' (``members`` in order) and of the
    running sum of the fractions carried from species to species; offspring still missing go to
    the species expecting most (the last of equals), all to it when more than one is missing
    (and, should rounding give one too many, the largest gives one back). Equal shares when every shared fitness is 0."""
    adj = [[float(f[i]) * p / len(m) for i in m] for m, p in zip(members, penalty)]
    n = sum(len(m) for m in members)
    mean = sum(sum(a) for a in adj) / n
    if not (mean > 0 and math.isfinite(mean)):
        return _allocate(np.zeros(len(members)), total)
    counts, skim = [], 0.0
    for a in adj:
        e = 0
        for x in a:
            x = x / mean
            whole = math.floor(x)
            e += int(whole)
            skim += math.fmod(x, 1.0)
            if skim > 1.0:
                k = math.floor(skim)
                e += int(k)
                skim -= k
        counts.append(e)
    if sum(counts) < total:
        best = max(range(len(counts)), key=lambda j: (counts[j], j))
        counts[best] += 1
        if sum(counts) < total:
            counts = [0] * len(counts)
            counts[best] = total
    while sum(counts) > total:                     # rounding: never more than the population
        counts[max(range(len(counts)), key=lambda j: (counts[j], -j))] -= 1
    return counts


class _Births:
    """``newborn_parents``: NEAT's code's speciation at birth during a reproduction. Each offspring
    joins the first species (in order: the breeding species, then those founded by earlier
    offspring) whose representative is within the threshold, or founds one, as the next
    generation's speciation will place it; it is appended to the strategy's genomes (fitness
    ``f`` of a raw 0, tie rank after every other) so that a species reproducing later can draw it
    as a parent. The strategy's genomes are the offspring again when the reproduction ends."""

    def __init__(self, strategy: "NEAT", alive: list, f: np.ndarray, zero: float) -> None:
        c = strategy.config
        self.strategy, self.mnum = strategy, c.compat_weights == "mutation_num"
        self.reps = S.Representatives([s["rep"] for s in alive], self.mnum)
        self.slot = {id(s): k for k, s in enumerate(alive)}
        self.members: list[list[int]] = [[] for _ in alive]
        self.zero = zero                                            # a raw fitness of 0
        self.f = [float(x) for x in f]
        strategy._tie = [int(x) for x in strategy._tie]

    def joined(self, s: dict) -> list[int]:
        return list(self.members[self.slot[id(s)]])

    def add(self, child: G.Genome) -> None:
        st, c = self.strategy, self.strategy.config
        keys, weights = S.gene_arrays(child, self.mnum)
        j = S.first_within(keys, weights, self.reps, c.c1, c.c2, c.c3, c.small_genome, st.threshold)
        if j < 0:
            self.reps.append(keys, weights)
            self.members.append([])
            j = len(self.members) - 1
        st.genomes.append(child)
        self.f.append(self.zero)
        st._tie.append(len(st._tie))
        self.members[j].append(len(st.genomes) - 1)


def _allocate(share: np.ndarray, total: int) -> list[int]:
    """``total`` offspring in proportion to ``share`` (>= 0): floors, then the largest remainders
    (ties by position); equal shares when all are 0."""
    k = share.shape[0]
    s = share.sum()
    quota = share / s * total if s > 0 and np.isfinite(s) else np.full(k, total / k)
    base = np.floor(quota).astype(int)
    rest = total - int(base.sum())
    order = sorted(range(k), key=lambda i: (-(quota[i] - base[i]), i))
    for i in order[:rest]:
        base[i] += 1
    return [int(b) for b in base]
