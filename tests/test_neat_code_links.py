"""NEAT: the details of NEAT's C++ code (neat1.2.1) for links, toggling and the bias input, on
hand-built genomes: its add-connection (``link_style = "neat-code"``: tries of node pairs, links
labelled recurrent), the link labels through add node, crossover and JSON, its toggle guard and
gene re-enable, and the bias input value (``bias_value``)."""
import json

import numpy as np

import evornn
import test_neat
from evornn.nets.cells import neat_net
from evornn.optim import neat_genome as G
from evornn.optim.neat import NEAT, NEATConfig
from evornn.problems.registry import make_problem
from evornn.settings import make_config

SIG = neat_net.SIGMOID


def _hand_genome():
    """Inputs 0, 1, bias 2, output 3, hidden 4, 5 and 6: 0,1,2 -> 3, 0 -> 4 -> 3, 4 -> 5 -> 3, 1 -> 6
    (a node that feeds nothing)."""
    lay = G.Layout(2, 1, 7, SIG, SIG)
    conns = {0: [0, 3, 0.5, True], 1: [1, 3, 0.5, True], 2: [2, 3, 0.5, True], 3: [0, 4, 1.0, True],
             4: [4, 3, 0.5, True], 5: [4, 5, 1.0, True], 6: [5, 3, 1.0, True], 9: [1, 6, 1.0, True]}
    return lay, G.Genome({3: SIG, 4: SIG, 5: SIG, 6: SIG}, conns)


def _found(lay, g, recur_only, seeds=400):
    """The links (source, target, labelled) the code's add-connection adds over many draws."""
    out = set()
    for seed in range(seeds):
        h = g.copy()
        inn = G.Innovations(10, 6)
        if G.add_connection_neat_code(h, lay, inn, np.random.default_rng(seed), recur_only, 20, 1.0):
            (k,) = h.conns.keys() - g.conns.keys()
            out.add((h.conns[k][0], h.conns[k][1], k in h.recur))
            assert h.conns[k][3] and abs(h.conns[k][2]) <= 1.0
    return out


def test_the_code_s_add_connection_finds_exactly_the_links_its_rules_allow():
    lay, g = _hand_genome()
    # the unlabelled search: never a link touching the output (3 -> 6 closes no cycle, and is left
    # out), no self-loop, none closing a cycle (5 -> 4 would: 4 -> 5 is enabled), none already
    # there (0 -> 4, 4 -> 5, 1 -> 6)
    free = {(1, 4, False), (2, 4, False), (0, 5, False), (1, 5, False), (2, 5, False), (0, 6, False), (2, 6, False),
            (4, 6, False), (5, 6, False), (6, 4, False), (6, 5, False)}
    assert _found(lay, g, 0.0) == free
    # the recurrent search: every link that touches the output (beside the unlabelled input links
    # to it too), the self-loops, and 5 -> 4, all labelled
    expect = {(a, 3, True) for a in range(7)} | {(3, 4, True), (3, 5, True), (3, 6, True), (4, 4, True),
                                                  (5, 5, True), (6, 6, True), (5, 4, True)}
    assert _found(lay, g, 1.0) == expect
    # a disabled gene still counts as there (4 -> 5), but no longer closes a cycle (so 5 -> 4 is free)
    g.conns[5][3] = False
    assert _found(lay, g, 0.0) == free | {(5, 4, False)}
    # a labelled link already there blocks the recurrent search only
    g.conns[5][3] = True
    g.conns[7] = [0, 3, -0.2, True]
    g.recur.add(7)
    assert _found(lay, g, 1.0) == expect - {(0, 3, True)}


def test_the_code_s_add_connection_on_the_minimal_pole_genome():
    lay = G.Layout(3, 1, 16, SIG, SIG)
    g = lay.minimal(np.random.default_rng(0), 1.0)
    for seed in range(20):      # every unlabelled candidate touches the output: 20 tries, nothing
        h = g.copy()
        assert not G.add_connection_neat_code(h, lay, G.Innovations(4, 5), np.random.default_rng(seed), 0.0, 20, 1.0)
        assert h.conns == g.conns
    h = g.copy()
    inn = G.Innovations(4, 5)
    assert G.add_connection_neat_code(h, lay, inn, np.random.default_rng(3), 1.0, 20, 1.0)
    (k,) = h.conns.keys() - g.conns.keys()
    assert k == 4 and h.recur == {4} and h.conns[k][1] == 4
    # the same link labelled and unlabelled are two innovations; repeated, the same one
    assert inn.connection(h.conns[k][0], 4, True) == 4
    assert inn.connection(h.conns[k][0], 4, False) == 5
    # a second link from an input to the output adds its weight to the phenotype's
    for seed in range(50):
        h = g.copy()
        G.add_connection_neat_code(h, lay, G.Innovations(4, 5), np.random.default_rng(seed), 1.0, 20, 1.0)
        a = h.conns[4][0]
        if a < 3:
            break
    W = lay.phenotype(h)[:lay.M * lay.C].reshape(lay.M, lay.C)
    assert W[lay.M - 1, a] == g.conns[a][2] + h.conns[4][2]


def test_the_label_goes_through_add_node_crossover_and_json():
    lay, g = _hand_genome()
    g.recur.add(6)                                            # 5 -> 3 labelled
    lay = G.Layout(2, 1, 8, SIG, SIG)
    splits = {}
    for seed in range(100):
        h = g.copy()
        assert G.add_node(h, lay, G.Innovations(10, 7), np.random.default_rng(seed), SIG)
        (old,) = [k for k in g.conns if g.conns[k][3] and not h.conns[k][3]]
        new = sorted(h.conns.keys() - g.conns.keys())
        assert new == [10, 11]
        splits[old] = h
        # the gene into the new node keeps the split gene's label, the gene out of it has none
        assert h.recur == ({6, 10} if old == 6 else {6})
    assert 6 in splits and len(splits) > 3
    h = splits[6]
    assert G.Genome.from_json(json.loads(json.dumps(h.to_json()))).recur == h.recur
    assert "recur" not in G.Genome({3: SIG}, {0: [0, 3, 1.0, True]}).to_json()   # unchanged without labels
    child = G.crossover(h, g, np.random.default_rng(0), 0.75)
    assert child.recur == {k for k in h.recur if k in child.conns}


def test_the_code_s_crossover_leaves_out_a_second_gene_of_the_same_link():
    nodes = {3: SIG, 4: SIG}
    p1 = G.Genome(nodes, {0: [0, 3, 1.0, True], 3: [0, 4, 1.0, True], 7: [4, 0, 2.0, True], 8: [0, 3, 3.0, True],
                          9: [4, 3, 1.0, True], 11: [3, 4, 1.0, True], 12: [4, 3, 5.0, True]})
    p2 = G.Genome(nodes, {0: [0, 3, -1.0, True]})
    rng = np.random.default_rng(0)
    assert sorted(G.crossover(p1, p2, rng, 0.75).conns) == [0, 3, 7, 8, 9, 11, 12]     # no dedup: all kept
    # 8 repeats 0 -> 3, 12 repeats 4 -> 3, 11 reverses 4 -> 3 (both unlabelled); 7 reverses 0 -> 4
    # but 0 is an input: a reverse, unlabelled, so left out too
    assert sorted(G.crossover(p1, p2, rng, 0.75, dedup=True).conns) == [0, 3, 9]
    p1.recur = {8, 11}                   # labelled: another link than the unlabelled 0 -> 3, 4 -> 3
    child = G.crossover(p1, p2, rng, 0.75, dedup=True)
    assert sorted(child.conns) == [0, 3, 8, 9, 11] and child.recur == {8, 11}


def test_toggle_guard_and_gene_reenable_as_the_code_does():
    # inputs 0, bias 1, output 2, hidden 3: 0 -> 2, 1 -> 2, 0 -> 3, 3 -> 2
    base = G.Genome({2: SIG, 3: SIG}, {0: [0, 2, 1.0, True], 1: [1, 2, 1.0, True], 2: [0, 3, 1.0, True],
                                       3: [3, 2, 1.0, True]})
    flipped = {True: set(), False: set()}
    for guard in (True, False):
        for seed in range(60):
            g = base.copy()
            G.toggle_enable(g, np.random.default_rng(seed), guard)
            flipped[guard] |= {k for k in g.conns if not g.conns[k][3]}
    # guarded: only a connection whose source has another enabled one out (node 0) is disabled
    assert flipped[True] == {0, 2} and flipped[False] == {0, 1, 2, 3}
    g = base.copy()
    g.conns[3][3] = False                # disabled: the guard does not stop enabling it
    for seed in range(60):
        h = g.copy()
        G.toggle_enable(h, np.random.default_rng(seed), True)
        if h.conns[3][3]:
            break
    assert h.conns[3][3]
    g.conns[1][3] = False
    G.reenable(g)
    assert [g.conns[k][3] for k in range(4)] == [True, True, True, False]   # the first disabled one


def test_bias_value_scales_the_bias_weights_of_the_phenotype():
    lay, g = _hand_genome()
    half = g.copy()
    for c in half.conns.values():
        if c[0] == lay.n_in:
            c[2] *= 0.5
    assert np.array_equal(lay.phenotype(g, 0.5), lay.phenotype(half))
    assert not np.array_equal(lay.phenotype(g, 0.5), lay.phenotype(g))
    net = evornn.api.make_network(make_problem("xor"), "neat-net", max_nodes=6)
    rows = {}
    for b in (1.0, 0.5):
        s = NEAT(net.n_params, make_config(NEATConfig, {"population": 4, "bias_value": b}, "neat"),
                 np.random.default_rng(0))
        s.setup(None, net)
        rows[b] = s.ask()
    L = G.Layout.of(net)
    W = [r[:, :L.M * L.C].reshape(4, L.M, L.C) for r in (rows[1.0], rows[0.5])]
    assert np.array_equal(W[1][:, :, L.n_in], 0.5 * W[0][:, :, L.n_in]) and W[0][:, -1, L.n_in].any()
    others = [j for j in range(L.C) if j != L.n_in]
    assert np.array_equal(W[1][:, :, others], W[0][:, :, others])


def _runner(gens):
    settings = {"population": 24, "add_node": 0.2, "add_connection": 0.5, "link_style": "neat-code",
                "recur_only": 0.5, "toggle_enable": 0.3, "toggle_guard": True, "gene_reenable": 0.2,
                "bias_value": 0.5, "link_weight_repeat": True, "target_species": 3, "compat_weights": "mutation_num"}
    return evornn.make_runner("neat", "xor", settings=settings, stop={"max_generations": gens, "solved": False},
                              seed=7, problem_params={"steps": 2}, net={"update": "sync"})


def test_the_code_s_links_resume_bit_for_bit_through_json():
    whole, full, r2, res = test_neat.resume_halfway(_runner)
    assert [h["best"] for h in full.history[4:]] == [h["best"] for h in res.history]
    assert np.array_equal(res.best_chromosome, full.best_chromosome)
    assert json.dumps(r2.strategy.get_state()[1]) == json.dumps(whole.strategy.get_state()[1])
    assert any(g.get("recur") for g in r2.strategy.get_state()[1]["neat"]["genomes"])
    assert any(g.get("mnum") for g in r2.strategy.get_state()[1]["neat"]["genomes"])


def test_recur_only_needs_the_code_s_links_and_recurrent_genomes():
    import pytest
    with pytest.raises(ValueError, match="neat.recur_only must be 0 unless"):
        make_config(NEATConfig, {"recur_only": 0.2}, "neat").validate()
    with pytest.raises(ValueError, match="neat.recur_only must be 0 unless"):
        make_config(NEATConfig, {"recur_only": 0.2, "link_style": "neat-code", "recurrent": False}, "neat").validate()
    with pytest.raises(ValueError, match="neat.bias_value must be"):
        make_config(NEATConfig, {"bias_value": 0.0}, "neat").validate()


def test_mutation_num_as_the_code_keeps_it_and_its_compatibility():
    from evornn.optim import neat_species as S
    lay, g = _hand_genome()
    inn = G.Innovations(10, 7)
    lay = G.Layout(2, 1, 8, SIG, SIG)
    h = g.copy()
    assert G.add_node(h, lay, inn, np.random.default_rng(0), SIG, mnum=True)
    new = sorted(h.conns.keys() - g.conns.keys())
    assert h.mnum == {new[0]: 0.0, new[1]: 0.0}               # both new genes: 0, whatever their weights
    assert h.conns[new[0]][2] == 1.0
    # the compatibility of h and g: 2 excess genes (N = 1), the matching genes equal in weight; with
    # h's split genes matched against a genome whose same genes carry their weights: c3 * mean |diff|
    other = h.copy()
    other.mnum = {}
    w_in, w_out = other.conns[new[0]][2], other.conns[new[1]][2]
    n_match = len(other.conns)
    hand = 0.4 * ((abs(0.0 - w_in) + abs(0.0 - w_out)) / n_match)
    assert G.distance(h, other, 1.0, 1.0, 0.4, 20, mnum=True) == hand
    assert G.distance(h, other, 1.0, 1.0, 0.4, 20) == 0.0     # by the weights, as before
    assert S.distance(h, other, 1.0, 1.0, 0.4, 20, mnum=True) == hand
    assert G.Genome.from_json(json.loads(json.dumps(h.to_json()))).mnum == h.mnum
    # crossover: a gene picked from h carries its 0, from other its weight; averaging: the mean
    picks = set()
    for seed in range(20):
        c = G.crossover(h, other, np.random.default_rng(seed), 0.75)
        picks.add(c.mnum.get(new[0]))
        assert c.mnum.get(new[0]) in (0.0, None) and (c.mnum.get(new[0]) is None) == (c.compat_value(new[0]) == w_in)
    assert picks == {0.0, None}
    avg = G.crossover(h, other, np.random.default_rng(0), 0.75, average=True)
    assert avg.mnum[new[1]] == 0.5 * w_out and avg.conns[new[1]][2] == w_out
    # a weight mutation makes every gene's mutation_num its weight
    G.mutate_weights_neat_code(h, np.random.default_rng(1), 1.8, 1.8, 8.0)
    assert h.mnum == {}
    # a repeated new connection's gene has 0, the first one's its weight
    inn.new_generation()
    a, b = g.copy(), g.copy()
    assert G.add_connection_neat_code(a, lay, inn, np.random.default_rng(3), 0.0, 20, 1.0, True, mnum=True)
    (k,) = a.conns.keys() - g.conns.keys()
    assert a.mnum == {}
    for seed in range(100):
        b = g.copy()
        G.add_connection_neat_code(b, lay, inn, np.random.default_rng(seed), 0.0, 20, 1.0, True, mnum=True)
        if k in b.conns:
            break
    assert b.mnum == {k: 0.0} and b.conns[k][2] == a.conns[k][2]
