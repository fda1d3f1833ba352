"""NEAT genomes: node and connection genes, their operators and their padded phenotype.

Stanley & Miikkulainen (2002), "Evolving neural networks through augmenting topologies",
Evolutionary Computation 10(2):99-127, Section 3.

A genome has node genes (id -> type code of :mod:`evornn.nets.cells.neat_net`) for its output and
hidden nodes, and connection genes (innovation -> [in, out, weight, enabled]). Node ids: inputs
0..n_in-1, the bias n_in, outputs n_in+1..n_in+n_out, hidden nodes after them; inputs and bias
are implicit (every genome has them). The operators here take every random draw from the
Generator they are given and the innovation numbers from an :class:`Innovations` record shared by
a generation, so the same structural mutation in one generation gets the same numbers
(Section 3.2).

:class:`Layout` maps a genome to the chromosome of a ``neat-net`` network of ``max_nodes`` units:
the output nodes to the last n_out units, the hidden nodes to the first units in topological order
of their enabled hidden-to-hidden connections (ties and cycles broken by the smallest node id),
each enabled connection's weight to its place in W (two genes of one connection add), every other
weight 0, and each node's type code to ``types``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..nets.cells import neat_net


@dataclass
class Genome:
    nodes: dict[int, int]                       # output and hidden node id -> type code
    conns: dict[int, list]                      # innovation -> [in, out, weight, enabled]
    fitness: float = math.nan
    # innovations of the genes NEAT's code labels recurrent (its add-connection, ``link_style =
    # "neat-code"``, and add node after it; empty otherwise): the label is a property of the
    # innovation, kept by crossover, and tells that code's link search and crossover which genes
    # are "the same link"
    recur: set = field(default_factory=set)
    # NEAT's code's mutation_num of the genes where it is not the weight (innovation -> value; kept
    # only with ``compat_weights = "mutation_num"``): 0 for the genes of an add node and of a repeated
    # add-connection until the genome's next weight mutation, which sets every gene's to its weight
    mnum: dict = field(default_factory=dict)

    def copy(self) -> "Genome":
        return Genome(dict(self.nodes), {k: list(v) for k, v in self.conns.items()}, self.fitness, set(self.recur),
                      dict(self.mnum))

    def compat_value(self, k: int) -> float:
        """Gene ``k``'s value in the code's compatibility: its mutation_num (its weight unless ``mnum`` has it)."""
        return self.mnum.get(k, self.conns[k][2])

    def to_json(self) -> dict:
        d = {"nodes": [[int(k), int(v)] for k, v in sorted(self.nodes.items())],
             "conns": [[int(i), int(c[0]), int(c[1]), float(c[2]), bool(c[3])] for i, c in sorted(self.conns.items())]}
        if self.recur:
            d["recur"] = sorted(int(i) for i in self.recur)
        if self.mnum:
            d["mnum"] = [[int(k), float(v)] for k, v in sorted(self.mnum.items())]
        return d

    @classmethod
    def from_json(cls, d: dict) -> "Genome":
        return cls({int(k): int(v) for k, v in d["nodes"]},
                   {int(i): [int(a), int(b), float(w), bool(e)] for i, a, b, w, e in d["conns"]},
                   recur={int(i) for i in d.get("recur", ())},
                   mnum={int(k): float(v) for k, v in d.get("mnum", ())})


@dataclass
class Innovations:
    """Innovation numbers and node ids: counters for the run, and the structural mutations of the
    current generation (``new_generation`` forgets those)."""

    next_innovation: int
    next_node: int
    seen: dict = field(default_factory=dict)

    def new_generation(self) -> None:
        self.seen = {}

    def connection(self, a: int, b: int, recurrent: bool = False) -> int:
        """The innovation of a new connection a -> b (NEAT's code keys a link labelled recurrent
        apart from an unlabelled one: ``recurrent``)."""
        key = ("cr", a, b) if recurrent else ("c", a, b)
        if key not in self.seen:
            self.seen[key] = self.next_innovation
            self.next_innovation += 1
        return self.seen[key]

    def first_weight(self, a: int, b: int, weight: float, recurrent: bool = False) -> float:
        """The weight the first new connection a -> b of this generation got (``weight`` when this
        is the first): the NEAT code gives a repeated innovation the first one's weight."""
        return self.seen.setdefault(("wr", a, b) if recurrent else ("w", a, b), weight)

    def node(self, split: int, kind: int) -> tuple[int, int, int]:
        """(node id, innovation in, innovation out) of splitting connection ``split`` with a node of type ``kind``."""
        key = ("n", split, kind)
        if key not in self.seen:
            self.seen[key] = (self.next_node, self.next_innovation, self.next_innovation + 1)
            self.next_node += 1
            self.next_innovation += 2
        return self.seen[key]


class Layout:
    """Sizes of the ``neat-net`` network the genomes map to."""

    def __init__(self, n_in: int, n_out: int, max_nodes: int, output_type: int, hidden_type: int):
        self.n_in, self.n_out, self.M = int(n_in), int(n_out), int(max_nodes)
        self.output_type, self.hidden_type = int(output_type), int(hidden_type)
        self.C = self.n_in + 1 + self.M
        self.n_params = self.M * self.C + self.M
        self.outputs = list(range(self.n_in + 1, self.n_in + 1 + self.n_out))
        self.first_hidden = self.n_in + 1 + self.n_out

    @classmethod
    def of(cls, net) -> "Layout":
        """The layout of a network whose chromosome is one ``neat-net`` layer's (``neat-net``, and
        ``neat-entm``, whose other layers have no parameters)."""
        layers = getattr(net, "layers", [])
        owners = [s for s in layers if s.n_params]
        if len(owners) != 1 or owners[0].kind != "neat-net" or owners[0].n_params != getattr(net, "n_params", -1):
            raise ValueError(f"neat evolves neat-net networks (the chromosome: one neat-net layer's padded genome); "
                             f"got {getattr(net, 'name', net)!r}: use arch = \"neat-net\" or \"neat-entm\"")
        spec = owners[0]
        types = spec.blocks[1].init[1]
        return cls(spec.n_in, spec.n_out, spec.n_units, int(types[-1]), int(types[0]))

    def max_hidden(self) -> int:
        return self.M - self.n_out

    def minimal(self, rng: np.random.Generator, init_range: float) -> Genome:
        """Every input and the bias connected to every output (innovations 0..), weights uniform."""
        nodes = {o: self.output_type for o in self.outputs}
        conns, innov = {}, 0
        for o in self.outputs:
            for i in range(self.n_in + 1):
                conns[innov] = [i, o, float(rng.uniform(-init_range, init_range)), True]
                innov += 1
        return Genome(nodes, conns)

    def slots(self, g: Genome) -> dict[int, int]:
        """Node id -> unit of the phenotype (hidden nodes in topological order, outputs last)."""
        hidden = sorted(n for n in g.nodes if n >= self.first_hidden)
        if len(hidden) > self.max_hidden():
            raise ValueError(f"neat: a genome with {len(hidden)} hidden nodes does not fit max_nodes = {self.M}")
        hs = set(hidden)
        into = {n: set() for n in hidden}
        for a, b, _w, e in g.conns.values():
            if e and a in hs and b in hs and a != b:
                into[b].add(a)
        order, done = [], set()
        while len(order) < len(hidden):
            ready = [n for n in hidden if n not in done and not (into[n] - done)]
            n = ready[0] if ready else min(n for n in hidden if n not in done)
            order.append(n)
            done.add(n)
        out = {n: k for k, n in enumerate(order)}
        out.update({o: self.M - self.n_out + k for k, o in enumerate(self.outputs)})
        return out

    def column(self, node: int, slot: dict[int, int]) -> int:
        return node if node <= self.n_in else self.n_in + 1 + slot[node]

    def phenotype(self, g: Genome, bias: float = 1.0) -> np.ndarray:
        """The padded chromosome (n_params,) of genome ``g``. ``bias`` is the value of the bias
        input the genome's bias weights multiply (the network's bias column is 1.0, so a bias
        connection's weight enters W times ``bias``; NEAT's pole code feeds 0.5)."""
        slot = self.slots(g)
        w = np.zeros(self.n_params)
        W = w[:self.M * self.C].reshape(self.M, self.C)
        types = w[self.M * self.C:]
        types[:] = self.hidden_type
        for n, t in g.nodes.items():
            types[slot[n]] = t
        for _i, (a, b, wt, e) in sorted(g.conns.items()):
            if e:
                W[slot[b], self.column(a, slot)] += wt * bias if a == self.n_in else wt
        return w


def distance(a: Genome, b: Genome, c1: float, c2: float, c3: float, small: int, mnum: bool = False) -> float:
    """Compatibility distance c1 E / N + c2 D / N + c3 W (Section 3.3, Eq. 1): E excess and D
    disjoint genes, W the mean weight difference of matching genes, N the larger genome's gene
    count (1 when both have fewer than ``small`` genes).

    One merge walk over the two sorted innovation lists (plain Python: a speciation compares every
    genome with the species' representatives, and NumPy's per-call cost was most of the time). The
    genes left in one list when the other ends are the excess genes (beyond the other genome's last
    innovation); W is summed as NumPy's ``mean`` sums (:func:`_pairwise_sum`), so the distance is
    the same float as the earlier ``np.mean`` version's. With ``mnum`` the genes' mutation_nums
    (:meth:`Genome.compat_value`) stand for the weights, as in NEAT's code's compatibility."""
    ca, cb = a.conns, b.conns
    ka, kb = sorted(ca), sorted(cb)
    la, lb = len(ka), len(kb)
    if not la and not lb:
        return 0.0
    i = j = disjoint = 0
    diffs = []
    while i < la and j < lb:
        x, y = ka[i], kb[j]
        if x == y:
            diffs.append(abs(a.compat_value(x) - b.compat_value(y)) if mnum else abs(ca[x][2] - cb[y][2]))
            i += 1
            j += 1
        elif x < y:
            disjoint += 1
            i += 1
        else:
            disjoint += 1
            j += 1
    excess = (la - i) + (lb - j)
    wdiff = _pairwise_sum(diffs, 0, len(diffs)) / len(diffs) if diffs else 0.0
    n = max(la, lb)
    n = 1 if n < small else n
    return c1 * excess / n + c2 * disjoint / n + c3 * wdiff


def _pairwise_sum(v: list, lo: int, n: int) -> float:
    """``v[lo:lo + n]`` summed in NumPy's order (its pairwise summation of float64: below 8 terms
    one by one, up to 128 in eight interleaved partial sums, above that the halves recursively), so
    that the sum is bit for bit ``np.sum``'s."""
    if n < 8:
        r = 0.0
        for k in range(lo, lo + n):
            r += v[k]
        return r
    if n <= 128:
        r0, r1, r2, r3, r4, r5, r6, r7 = v[lo:lo + 8]
        k, stop = lo + 8, lo + n - n % 8
        while k < stop:
            r0 += v[k]
            r1 += v[k + 1]
            r2 += v[k + 2]
            r3 += v[k + 3]
            r4 += v[k + 4]
            r5 += v[k + 5]
            r6 += v[k + 6]
            r7 += v[k + 7]
            k += 8
        r = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while k < lo + n:
            r += v[k]
            k += 1
        return r
    n2 = n // 2
    n2 -= n2 % 8
    return _pairwise_sum(v, lo, n2) + _pairwise_sum(v, lo + n2, n - n2)


def crossover(fit: Genome, other: Genome, rng: np.random.Generator, disable_rate: float,
              average: bool = False, keep_disabled: bool = False, dedup: bool = False) -> Genome:
    """Child of ``fit`` (the fitter parent, or the first of equals) and ``other`` (Section 3.2):
    matching genes from either parent at random (with ``average``: the mean of both weights, the
    NEAT code's multipoint-average mating), disjoint and excess genes from ``fit``; a gene
    disabled in either parent is disabled with probability ``disable_rate``. With
    ``keep_disabled`` (the NEAT code's ``mate_multipoint``, not its averaging mating) a matching
    gene picked from a parent in which it is disabled stays disabled, the rule above applying to
    an enabled pick. With ``dedup`` (the NEAT code's mating, with its link labels) a gene is left
    out when the child has, from an earlier innovation, a gene of the same link (same nodes, same
    recurrent label) or of the reverse link (both unlabelled). The child's nodes are ``fit``'s; a
    gene labelled recurrent in a parent is labelled in the child."""
    conns, mnum = {}, {}
    for k in sorted(fit.conns):
        g = fit.conns[k]
        if k in other.conns:
            h = other.conns[k]
            if average:
                pick, weight = None, 0.5 * (g[2] + h[2])
                if k in fit.mnum or k in other.mnum:      # the code: the mean of the mutation_nums
                    mnum[k] = 0.5 * (fit.compat_value(k) + other.compat_value(k))
            else:
                pick = g if rng.random() < 0.5 else h
                weight = pick[2]
                src = fit if pick is g else other
                if k in src.mnum:
                    mnum[k] = src.mnum[k]
            gene = [g[0], g[1], weight, True]
            if not (g[3] and h[3]):
                gene[3] = not (rng.random() < disable_rate)
                if keep_disabled and pick is not None and not pick[3]:
                    gene[3] = False
            conns[k] = gene
        else:
            conns[k] = list(g)
            if k in fit.mnum:
                mnum[k] = fit.mnum[k]
    recur = {k for k in conns if k in fit.recur or k in other.recur}
    if dedup:
        links = set()
        for k in sorted(conns):
            a, b, r = conns[k][0], conns[k][1], k in recur
            if (a, b, r) in links or (not r and (b, a, False) in links):
                del conns[k]
                recur.discard(k)
                mnum.pop(k, None)
                continue
            links.add((a, b, r))
    return Genome(dict(fit.nodes), conns, recur=recur, mnum=mnum)


def reaches(g: Genome, start: int, goal: int) -> bool:
    """Whether a path of connections (enabled or not) leads from ``start`` to ``goal``."""
    nxt: dict[int, list[int]] = {}
    for a, b, _w, _e in g.conns.values():
        nxt.setdefault(a, []).append(b)
    stack, seen = [start], {start}
    while stack:
        n = stack.pop()
        if n == goal:
            return True
        for m in nxt.get(n, ()):
            if m not in seen:
                seen.add(m)
                stack.append(m)
    return False


def add_connection(g: Genome, lay: Layout, inn: Innovations, rng: np.random.Generator, recurrent: bool,
                   init_range: float, same_weight: bool = False, mnum: bool = False) -> bool:
    """A new connection between two unconnected nodes, drawn uniformly among the allowed pairs
    (with ``recurrent`` False none that closes a cycle), its weight uniform in +-``init_range``
    (with ``same_weight``, a connection added before in this generation gets the weight it got
    then, as the NEAT code's innovation record does). False when there is none."""
    have = {(c[0], c[1]) for c in g.conns.values()}
    sources = list(range(lay.n_in + 1)) + sorted(g.nodes)
    targets = sorted(g.nodes)
    pairs = [(a, b) for b in targets for a in sources if (a, b) not in have
             and (recurrent or (a != b and not reaches(g, b, a)))]
    if not pairs:
        return False
    a, b = pairs[int(rng.integers(len(pairs)))]
    w = float(rng.uniform(-init_range, init_range))
    if same_weight:
        w = inn.first_weight(a, b, w)
    fresh = inn.next_innovation
    k = inn.connection(a, b)
    g.conns[k] = [a, b, w, True]
    if mnum and k < fresh:                  # the code: a repeated innovation's gene has mutation_num 0
        g.mnum[k] = 0.0
    return True


def add_node(g: Genome, lay: Layout, inn: Innovations, rng: np.random.Generator, kind: int,
             split_bias: bool = True, mnum: bool = False) -> bool:
    """Split an enabled connection a -> b with a new node n of type ``kind``: a -> n with weight 1,
    n -> b with the old weight, the old gene disabled (Section 3.1). With ``split_bias`` False no
    connection from the bias is split (the NEAT code's mutate_add_node). False when the genome has
    ``max_nodes`` units already or no connection to split."""
    hidden = sum(1 for n in g.nodes if n >= lay.first_hidden)
    enabled = [k for k in sorted(g.conns) if g.conns[k][3] and (split_bias or g.conns[k][0] != lay.n_in)]
    if hidden >= lay.max_hidden() or not enabled:
        return False
    k = enabled[int(rng.integers(len(enabled)))]
    a, b, w, _e = g.conns[k]
    node, i1, i2 = inn.node(k, kind)
    if node in g.nodes:       # this genome split the same connection with the same node type before
        return False
    g.conns[k][3] = False
    g.nodes[node] = kind
    g.conns[i1] = [a, node, 1.0, True]
    g.conns[i2] = [node, b, w, True]
    if k in g.recur:                          # NEAT's code: the gene into the node keeps the label
        g.recur.add(i1)
    if mnum:                                  # the code: both new genes' mutation_num 0
        g.mnum[i1] = g.mnum[i2] = 0.0
    return True


def mutate_weights(g: Genome, rng: np.random.Generator, replace_rate: float, power: float,
                   init_range: float, limit: float) -> None:
    """Every connection weight perturbed uniformly in +-``power``, or, with probability
    ``replace_rate``, replaced by a uniform draw in +-``init_range``; clipped to +-``limit`` (> 0)."""
    for k in sorted(g.conns):
        c = g.conns[k]
        if rng.random() < replace_rate:
            c[2] = float(rng.uniform(-init_range, init_range))
        else:
            c[2] = float(c[2] + rng.uniform(-power, power))
        if limit > 0:
            c[2] = float(min(max(c[2], -limit), limit))
    g.mnum.clear()                            # the code: every gene's mutation_num is now its weight


def mutate_weights_neat_code(g: Genome, rng: np.random.Generator, power: float, replace_range: float,
                             limit: float) -> None:
    """The NEAT code's weight mutation (mutate_link_weights with rate 1, GAUSSIAN): half the time
    "severe", every gene perturbed uniformly in +-``power`` with probability 0.7, replaced by a draw
    in +-``replace_range`` with 0.2, kept with 0.1; otherwise every gene perturbed, except in the
    last fifth of a genome of 10 genes or more (innovation order): perturbed 0.5, replaced 0.2,
    kept 0.3. Clipped to +-``limit`` (> 0)."""
    keys = sorted(g.conns)
    severe = rng.random() > 0.5
    end = 0.8 * len(keys)
    for num, k in enumerate(keys):
        c = g.conns[k]
        if severe:
            perturb, cold = 0.3, 0.1
        elif len(keys) >= 10 and num > end:
            perturb, cold = 0.5, 0.3
        else:
            perturb, cold = 0.0, 0.0
        u = rng.random()
        if u >= perturb:
            c[2] = float(c[2] + rng.uniform(-power, power))
        elif u >= cold:
            c[2] = float(rng.uniform(-replace_range, replace_range))
        if limit > 0:
            c[2] = float(min(max(c[2], -limit), limit))
    g.mnum.clear()                            # the code: every gene's mutation_num is now its weight


def toggle_enable(g: Genome, rng: np.random.Generator, guard: bool = False) -> None:
    """Flip the enabled bit of one connection drawn uniformly. With ``guard`` (NEAT's code's
    mutate_toggle_enable) an enabled connection is disabled only when another enabled connection
    leaves its source node (else the genome is left as it is)."""
    keys = sorted(g.conns)
    if keys:
        k = keys[int(rng.integers(len(keys)))]
        c = g.conns[k]
        if c[3] and guard:
            c[3] = not any(j != k and d[3] and d[0] == c[0] for j, d in g.conns.items())
        else:
            c[3] = not c[3]


def reenable(g: Genome) -> None:
    """NEAT's code's mutate_gene_reenable: the first disabled connection (innovation order) is enabled."""
    for k in sorted(g.conns):
        if not g.conns[k][3]:
            g.conns[k][3] = True
            return


def add_connection_neat_code(g: Genome, lay: Layout, inn: Innovations, rng: np.random.Generator,
                             recur_only: float, tries: int, init_range: float, same_weight: bool = False,
                             mnum: bool = False) -> bool:
    """NEAT's code's mutate_add_link (neat1.2.1, Genome::mutate_add_link). With probability
    ``recur_only`` the search is for a link labelled recurrent, else for one not labelled; up to
    ``tries`` draws of a node pair from its node list (inputs, the bias, then output and hidden
    nodes by id; the target never an input or the bias): in the recurrent search half the draws a
    self-loop on a non-input node, the others a source among all nodes. A pair is taken when the
    genome has no gene of that link with that label (enabled or not) and the link is recurrent
    exactly in the recurrent search, a link being recurrent when it touches an output node or
    closes a cycle of enabled unlabelled connections (the code's Network::is_recur, with its cut-off
    after nodes^2 visits, which counts as "not recurrent"). So links into or out of the outputs are
    only made by the recurrent search, which may add a second link beside an existing unlabelled one.
    The new gene is labelled (``g.recur``) when found by the recurrent search; its weight uniform in
    +-``init_range`` (``same_weight``: as :func:`add_connection`). False when no try succeeds."""
    nodes = list(range(lay.n_in + 1)) + sorted(g.nodes)
    first, n = lay.n_in + 1, len(nodes)
    outputs = set(lay.outputs)
    do_recur = rng.random() < recur_only
    existing = {(c[0], c[1], k in g.recur) for k, c in g.conns.items()}
    incoming: dict[int, list] = {}
    for k in sorted(g.conns):
        a, b, _w, e = g.conns[k]
        if e:
            incoming.setdefault(b, []).append((a, k in g.recur))
    thresh = n * n
    found = None
    for _ in range(tries):
        if do_recur and rng.random() > 0.5:
            a = b = nodes[int(rng.integers(first, n))]
        else:
            a = nodes[int(rng.integers(0, n))]
            b = nodes[int(rng.integers(first, n))]
        if (a, b, do_recur) in existing:
            continue
        rec = _is_recur(incoming, a, b, [0], thresh) or a in outputs or b in outputs
        if rec == do_recur:
            found = (a, b)
            break
    if found is None:
        return False
    a, b = found
    w = float(rng.uniform(-init_range, init_range))
    if same_weight:
        w = inn.first_weight(a, b, w, do_recur)
    fresh = inn.next_innovation
    k = inn.connection(a, b, do_recur)
    g.conns[k] = [a, b, w, True]
    if do_recur:
        g.recur.add(k)
    if mnum and k < fresh:
        g.mnum[k] = 0.0
    return True


def _is_recur(incoming: dict, potin: int, potout: int, count: list, thresh: int) -> bool:
    """NEAT's code's Network::is_recur: whether ``potout`` is reached going back from ``potin``
    over enabled connections not labelled recurrent (in their gene order), giving up (False) once
    more than ``thresh`` nodes were visited."""
    count[0] += 1
    if count[0] > thresh:
        return False
    if potin == potout:
        return True
    for a, r in incoming.get(potin, ()):
        if not r and _is_recur(incoming, a, potout, count, thresh):
            return True
    return False

