"""NEAT (Stanley & Miikkulainen 2002) and its phenotype, the neat-net cell.

The padded phenotype against a direct evaluation of the genome's graph written here; innovation
numbers, crossover alignment and the compatibility distance on hand-built genomes; XOR solved
with a fixed seed; checkpoint and resume bit for bit through JSON."""
import hashlib
import json
import math

import numpy as np
import pytest

import evornn
from evornn.nets.cells import neat_net
from evornn.optim import neat_genome as G
from evornn.optim.neat import NEAT, NEATConfig, _allocate
from evornn.problems.registry import make_problem
from evornn.seeding import generator
from evornn.settings import make_config

# The networks the oracle tests below build (tests/test_engine.py checks every cell has one).
ORACLE_NETS = {"neat-sync": ("neat-net", 3, 2, {"max_nodes": 7}),
               "neat-ordered": ("neat-net", 2, 1, {"max_nodes": 6, "update": "ordered"}),
               "neat-passes": ("neat-net", 3, 2, {"max_nodes": 7, "passes": 3}),
               # tests/test_neat_code_activation.py's
               "neat-code": ("neat-net", 2, 1, {"max_nodes": 6, "update": "neat-code", "relax": True,
                                                "sigmoid_slope": 4.924273})}


def _net(case):
    arch, n_in, n_out, kw = ORACLE_NETS[case]
    return evornn.build(arch, n_in, n_out, **kw)


def _random_genome(lay: G.Layout, seed: int, recurrent: bool, gates: bool, steps: int = 25) -> G.Genome:
    rng = np.random.default_rng(seed)
    g = lay.minimal(rng, 2.0)
    inn = G.Innovations(len(g.conns), lay.first_hidden)
    for _ in range(steps):
        if rng.random() < 0.4:
            kind = neat_net.GATE if gates and rng.random() < 0.5 else int(rng.choice([neat_net.SIGMOID, neat_net.TANH,
                                                                                      neat_net.IDENTITY]))
            G.add_node(g, lay, inn, rng, kind)
        else:
            G.add_connection(g, lay, inn, rng, recurrent, 2.0)
    G.mutate_weights(g, rng, 0.0, 1.0, 2.0, 0.0)
    for k in sorted(g.conns)[::5]:
        g.conns[k][3] = False                     # some disabled genes
    return g


def _act(t, a):
    return {neat_net.SIGMOID: 1.0 / (1.0 + math.exp(-4.9 * a)), neat_net.TANH: math.tanh(a),
            neat_net.IDENTITY: a}[t]


def _node_value(g, n, src):
    """One node from ``src(a)``, the value it reads from node a (the paper's sum, or a gate's product)."""
    ins = [(a, w) for a, b, w, e in g.conns.values() if e and b == n]
    if g.nodes[n] == neat_net.GATE:
        return math.prod(w * src(a) for a, w in ins) if ins else 0.0
    return _act(g.nodes[n], sum(w * src(a) for a, w in ins))


def graph_run_sync(g: G.Genome, lay: G.Layout, X: np.ndarray, passes: int = 1) -> np.ndarray:
    """The genome's graph run over X (T, n_in): every node from the previous pass's values."""
    vals = {n: 0.0 for n in g.nodes}
    out = []
    for x in X:
        for _ in range(passes):
            prev = dict(vals)

            def src(a):
                return float(x[a]) if a < lay.n_in else (1.0 if a == lay.n_in else prev[a])
            vals = {n: _node_value(g, n, src) for n in g.nodes}
        out.append([vals[o] for o in lay.outputs])
    return np.array(out)


def graph_run_feedforward(g: G.Genome, lay: G.Layout, X: np.ndarray) -> np.ndarray:
    """A feed-forward genome evaluated recursively from its outputs, for each row of X."""
    out = []
    for x in X:
        memo = {}

        def value(a):
            if a < lay.n_in:
                return float(x[a])
            if a == lay.n_in:
                return 1.0
            if a not in memo:
                memo[a] = _node_value(g, a, value)
            return memo[a]
        out.append([value(o) for o in lay.outputs])
    return np.array(out)


@pytest.mark.parametrize("engine", ["lanes", "scalar"])
@pytest.mark.parametrize("case", ["neat-sync", "neat-passes"])
def test_padded_phenotype_equals_the_genome_s_graph(case, engine):
    net = _net(case)
    lay = G.Layout.of(net)
    passes = ORACLE_NETS[case][3].get("passes", 1)
    genomes = [_random_genome(lay, s, recurrent=True, gates=True) for s in range(11)]
    assert any(n >= lay.first_hidden for g in genomes for n in g.nodes)
    assert any(t == neat_net.GATE for g in genomes for t in g.nodes.values())
    assert any(a == b for g in genomes for a, b, _w, e in g.conns.values() if e)     # a self-loop
    W = np.stack([lay.phenotype(g) for g in genomes])
    X = np.random.default_rng(0).uniform(-1, 1, (9, lay.n_in))
    Y = net.run_population(W, X, engine=engine)
    for g, y in zip(genomes, Y):
        np.testing.assert_allclose(y, graph_run_sync(g, lay, X, passes), rtol=1e-12, atol=1e-12)


def test_ordered_update_evaluates_a_feed_forward_genome_exactly_in_one_step():
    net = _net("neat-ordered")
    lay = G.Layout.of(net)
    genomes = [_random_genome(lay, s, recurrent=False, gates=True, steps=30) for s in range(9)]
    assert max(sum(n >= lay.first_hidden for n in g.nodes) for g in genomes) >= 3
    W = np.stack([lay.phenotype(g) for g in genomes])
    X = np.random.default_rng(1).uniform(-1, 1, (6, 2))
    starts = np.arange(7)                                  # every row its own sequence
    Y = net.run_population(W, X, starts)
    for g, y in zip(genomes, Y):
        np.testing.assert_allclose(y, graph_run_feedforward(g, lay, X), rtol=1e-12, atol=1e-12)


def test_innovation_numbers_are_shared_within_a_generation():
    lay = G.Layout(2, 1, 6, neat_net.SIGMOID, neat_net.SIGMOID)
    a = lay.minimal(np.random.default_rng(0), 1.0)
    b = a.copy()
    inn = G.Innovations(3, lay.first_hidden)
    assert G.add_node(a, lay, inn, np.random.default_rng(4), neat_net.SIGMOID)
    assert G.add_node(b, lay, inn, np.random.default_rng(4), neat_net.SIGMOID)   # the same split
    assert a.nodes.keys() == b.nodes.keys() and a.conns.keys() == b.conns.keys() == {0, 1, 2, 3, 4}
    new = sorted(a.nodes)[-1]
    assert new == lay.first_hidden
    inn.connection(0, new)
    c = a.copy()
    assert inn.connection(0, new) == 5                       # the same new connection, the same number
    assert inn.connection(new, new) == 6
    inn.new_generation()                                     # a later generation: new numbers
    assert inn.connection(0, new) == 7
    d = b.copy()
    G.add_node(d, lay, inn, np.random.default_rng(4), neat_net.SIGMOID)
    assert sorted(d.nodes)[-1] == new + 1 and max(d.conns) == 9
    assert c.conns.keys() == a.conns.keys()


def test_innovation_numbers_name_one_connection_across_a_run():
    """Over a run: an innovation number is always the same (in, out) pair, a node id the same type."""
    lay = G.Layout(2, 1, 8, neat_net.SIGMOID, neat_net.SIGMOID)
    cfg = NEATConfig(population=30, add_node=0.3, add_connection=0.5, gate_nodes=True)
    s = NEAT(lay.n_params, cfg, generator(0), layout=lay)
    pairs, types = {}, {}
    rng = np.random.default_rng(1)
    for _ in range(8):
        P = s.ask()
        for g in s.genomes:
            for k, (a, b, _w, _e) in g.conns.items():
                assert pairs.setdefault(k, (a, b)) == (a, b)
            for n, t in g.nodes.items():
                assert types.setdefault(n, t) == t
        s.tell(P, rng.random(P.shape[0]))
    assert len(pairs) > 10 and any(t == neat_net.GATE for t in types.values())


def _genome(genes, nodes=(3,)):
    """A genome (2 inputs, bias 2, output 3) from (innovation, in, out, weight, enabled) tuples."""
    return G.Genome({n: neat_net.SIGMOID for n in nodes}, {i: [a, b, w, e] for i, a, b, w, e in genes})


# The paper's Figure 4 (with a bias node in place of its third input): parent 1 has genes 1-5 and
# 8, parent 2 genes 1-7, 9 and 10; genes 6, 7 (disjoint) and 9, 10 (excess) are parent 2's alone.
P1 = _genome([(1, 0, 3, 0.1, True), (2, 1, 3, 0.2, False), (3, 2, 3, 0.3, True), (4, 1, 4, 0.4, True),
              (5, 4, 3, 0.5, True), (8, 0, 4, 0.8, True)], nodes=(3, 4))
P2 = _genome([(1, 0, 3, -0.1, True), (2, 1, 3, -0.2, False), (3, 2, 3, -0.3, True), (4, 1, 4, -0.4, True),
              (5, 4, 3, -0.5, False), (6, 4, 5, -0.6, True), (7, 5, 3, -0.7, True), (9, 2, 5, -0.9, True),
              (10, 0, 5, -1.0, True)], nodes=(3, 4, 5))


def test_crossover_aligns_genes_by_innovation_number():
    for fit, other in ((P1, P2), (P2, P1)):
        seen = {k: set() for k in fit.conns}
        for seed in range(40):
            child = G.crossover(fit, other, np.random.default_rng(seed), 0.75)
            assert child.conns.keys() == fit.conns.keys() and child.nodes == fit.nodes
            for k, (a, b, w, _e) in child.conns.items():
                assert (a, b) == tuple(fit.conns[k][:2])
                seen[k].add(w)
        for k in fit.conns:     # matching genes from either parent, the rest from the fitter one
            want = {fit.conns[k][2], other.conns[k][2]} if k in other.conns else {fit.conns[k][2]}
            assert seen[k] == want
    # a gene disabled in either parent: disabled with probability disable_inherit
    always = G.crossover(P1, P2, np.random.default_rng(0), 1.0)
    never = G.crossover(P1, P2, np.random.default_rng(0), 0.0)
    assert [k for k, c in always.conns.items() if not c[3]] == [2, 5]
    assert all(c[3] for c in never.conns.values())


def test_averaging_crossover_takes_the_mean_of_matching_weights():
    child = G.crossover(P1, P2, np.random.default_rng(0), 0.75, average=True)
    assert child.conns.keys() == P1.conns.keys()
    for k, (_a, _b, w, _e) in child.conns.items():
        assert w == (pytest.approx(0.0) if k in P2.conns else P1.conns[k][2])    # P2's weights are -P1's


def test_mate_only_leaves_crossover_children_unmutated():
    """With mate_only = 1 (and mutate_only = 0) only the children of a parent with itself are mutated;
    with mate_only = 0 every child is."""
    net = evornn.api.make_network(make_problem("xor"), "neat-net", max_nodes=6)
    for mate_only in (1.0, 0.0):
        s = NEAT(net.n_params, make_config(NEATConfig, {"population": 6, "mate_only": mate_only, "mutate_only": 0.0},
                                           "neat"), np.random.default_rng(3))
        s.setup(None, net)
        s.ask()
        s.genomes[0], s.genomes[1] = P1.copy(), P2.copy()
        mutated = []
        s._mutate = lambda g: mutated.append(g)
        children = [s._offspring([0, 1], [], np.array([2.0, 1.0])) for _ in range(40)]
        if mate_only:
            plain = [c for c in children if not any(c is m for m in mutated)]
            assert 0 < len(mutated) < 40 and len(plain) == 40 - len(mutated)
            for c in plain:       # crossovers of P1 and P2: P1's genes, weights from either
                assert c.conns.keys() == P1.conns.keys()
                assert all(w in (P1.conns[k][2], P2.conns.get(k, P1.conns[k])[2]) for k, (_a, _b, w, _e) in c.conns.items())
        else:
            assert len(mutated) == 40
    with pytest.raises(ValueError, match="neat.mate_average must be in"):
        make_config(NEATConfig, {"mate_average": 1.5}, "neat").validate()


def test_compatibility_distance_by_hand():
    # P1 vs P2: matching 1-5 (|w diffs| 0.2, 0.4, 0.6, 0.8, 1.0: mean 0.6), disjoint 6, 7, 8 (D = 3:
    # 8 lies below P2's last gene 10), excess 9, 10 (E = 2); N = 9 genes, or 1 (both below 20)
    assert G.distance(P1, P2, 1.0, 1.0, 0.4, 20) == pytest.approx(2 + 3 + 0.4 * 0.6)
    assert G.distance(P1, P2, 1.0, 1.0, 0.4, 5) == pytest.approx(2 / 9 + 3 / 9 + 0.4 * 0.6)
    assert G.distance(P2, P1, 2.0, 0.5, 3.0, 5) == pytest.approx(2 * 2 / 9 + 0.5 * 3 / 9 + 3.0 * 0.6)
    assert G.distance(P1, P1, 1.0, 1.0, 0.4, 20) == 0.0


def _distance_by_definition(a, b, c1, c2, c3, small):
    """Eq. 1 written out: sets of innovations, the excess genes beyond the smaller of the two last
    innovations, W by ``np.mean``."""
    ka, kb = set(a.conns), set(b.conns)
    if not ka and not kb:
        return 0.0
    cut = min(max(ka, default=-1), max(kb, default=-1))
    unmatched = ka ^ kb
    excess = sum(1 for k in unmatched if k > cut)
    disjoint = len(unmatched) - excess
    match = sorted(ka & kb)
    w = float(np.mean([abs(a.conns[k][2] - b.conns[k][2]) for k in match])) if match else 0.0
    n = max(len(ka), len(kb))
    n = 1 if n < small else n
    return c1 * excess / n + c2 * disjoint / n + c3 * w


def test_the_merge_walk_distance_is_the_definition_s_bit_for_bit():
    empty = _genome([])
    shuffled = _genome([(10, 0, 5, -1.0, True), (1, 0, 3, -0.1, True), (7, 5, 3, -0.7, True)])  # unsorted dict
    hand = [P1, P2, empty, shuffled, _genome([(0, 0, 3, 0.5, True)])]
    rng = np.random.default_rng(3)
    rand = []
    for k in range(60):                          # overlapping random innovation sets, up to ~600 genes
        size = int(rng.integers(0, 600)) if k % 3 else int(rng.integers(0, 12))
        keys = rng.choice(700, size=size, replace=False)
        rand.append(_genome([(int(i), 0, 3, float(rng.normal() * 10 ** rng.uniform(-3, 1)), True) for i in keys]))
    lay = G.Layout(3, 2, 12, neat_net.SIGMOID, neat_net.SIGMOID)
    grown = [_random_genome(lay, s, recurrent=True, gates=False, steps=40) for s in range(8)]
    n_matching = set()
    for group in (hand, rand, grown):
        for a in group:
            for b in group:
                n_matching.add(len(a.conns.keys() & b.conns.keys()))
                for c1, c2, c3, small in ((1.0, 1.0, 0.4, 20), (1.0, 1.0, 3.0, 0), (2.0, 0.5, 1.3, 5)):
                    assert G.distance(a, b, c1, c2, c3, small) == _distance_by_definition(a, b, c1, c2, c3, small)
    assert 0 in n_matching and all(any(lo <= n <= hi for n in n_matching) for lo, hi in ((1, 7), (8, 128), (129, 700)))
    assert G.distance(P1, empty, 1.0, 1.0, 0.4, 20) == 6.0                 # all of P1's genes excess
    assert G.distance(shuffled, P2, 1.0, 1.0, 0.4, 20) == pytest.approx(6 + 0.4 * 0.0)


def test_offspring_are_allocated_by_shared_fitness():
    assert _allocate(np.array([3.0, 1.0]), 10) == [8, 2]     # 7.5, 2.5: the tie goes to the first
    assert _allocate(np.array([0.0, 0.0, 0.0]), 7) == [3, 2, 2]
    assert sum(_allocate(np.array([0.3, 2.9, 1.7, 0.01]), 150)) == 150


def test_solves_xor_with_a_fixed_seed():
    import tomllib
    from pathlib import Path
    cfg = tomllib.loads((Path(__file__).resolve().parents[1] / "configs" / "neat-xor.toml").read_text())
    settings = {k: v for k, v in cfg["optimiser"].items() if k != "name"}     # the benchmark's
    runner = evornn.make_runner("neat", "xor", settings=settings, stop={"max_evaluations": 30000}, seed=1)
    res = runner.run()
    assert [r.criterion for r in res.stop_reasons] == ["solved"] and res.best_metrics["right"] == 4
    best = G.Genome.from_json(runner.strategy.info()["best_genome"])   # the best genome, as JSON
    assert np.array_equal(G.Layout.of(runner.net).phenotype(best), res.best_chromosome)


def _runner(gens, cls_settings=None):
    settings = {"population": 24, "add_node": 0.2, "add_connection": 0.3, "gate_nodes": True,
                "target_species": 3, **(cls_settings or {})}
    return evornn.make_runner("neat", "xor", settings=settings, stop={"max_generations": gens, "solved": False},
                              seed=5, problem_params={"steps": 2}, net={"update": "sync"})


def resume_halfway(make):
    """Run ``make(8)`` whole, and ``make(4)`` then resumed to 8 generations from its state sent
    through JSON (as the checkpoint files hold it): (whole runner, its result, resumed runner, its result)."""
    whole = make(8)
    full = whole.run()
    r = make(4)
    r.run()
    arrays, meta = r.get_state()
    meta = json.loads(json.dumps(meta))
    r2 = make(8)
    r2.set_state({k: v.copy() for k, v in arrays.items()}, meta)
    return whole, full, r2, r2.run()


@pytest.mark.parametrize("extra", [{}, {"newborn_parents": True}])
def test_checkpoint_and_resume_are_bit_for_bit_through_json(extra):
    whole, full, r2, res = resume_halfway(lambda gens: _runner(gens, extra))
    assert [h["best"] for h in full.history[4:]] == [h["best"] for h in res.history]
    assert np.array_equal(res.best_chromosome, full.best_chromosome)
    assert json.dumps(r2.strategy.get_state()[1]) == json.dumps(whole.strategy.get_state()[1])
    assert any(len(g["nodes"]) > 1 for g in r2.strategy.get_state()[1]["neat"]["genomes"])


def test_a_run_without_retests_resumes_bit_for_bit_with_its_tested_networks():
    """The non-Markov double pole (tested every generation) with retest = false: the networks tested
    are in the checkpoint, so a resumed run chooses as the whole run does."""
    def make(gens):
        return evornn.make_runner("neat", "pole-balance", settings={"population": 30, "retest": False,
                                  "add_node": 0.1}, stop={"max_generations": gens, "solved": True}, seed=2,
                                  problem_params={"poles": 2, "velocities": False, "fitness": "damping"},
                                  net={"max_nodes": 8, "update": "sync"})
    whole, full, r2, res = resume_halfway(make)
    assert [h["best"] for h in full.history[4:]] == [h["best"] for h in res.history]
    assert r2.strategy._tested == whole.strategy._tested and len(whole.strategy._tested) == 8
    assert json.dumps(r2.strategy.get_state()[1]) == json.dumps(whole.strategy.get_state()[1])


def test_neat_needs_a_neat_net_network_and_checks_its_settings():
    with pytest.raises(ValueError, match='neat evolves neat-net networks.*arch = "neat-net"'):
        evornn.optimise("neat", "xor", "elman", stop={"max_generations": 1})
    with pytest.raises(ValueError, match="neat.survival_threshold must be in"):
        make_config(NEATConfig, {"survival_threshold": 0.0}, "neat").validate()


def test_a_run_s_report_draws_the_best_network_and_its_summary_holds_the_genome(tmp_path):
    from pathlib import Path

    from evornn import cli
    repo = Path(__file__).resolve().parents[1]
    assert cli.main(["run", "neat", "--problem", "xor", "--config", str(repo / "configs" / "neat-xor.toml"),
                     "--set", "optimiser.population=30", "--set", "stop.max_generations=3", "--set", "stop.solved=false",
                     "--quiet", f"--out={tmp_path}"]) == 0
    (folder,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert cli.main(["report", str(folder)]) == 0
    png = (folder / "network.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and "network.png" in (folder / "report.md").read_text()
    summary = json.loads((folder / "summary.json").read_text())
    genome = G.Genome.from_json(summary["optimiser_info"]["best_genome"])
    net = evornn.build(**json.loads((folder / "network.json").read_text()))
    assert np.array_equal(G.Layout.of(net).phenotype(genome), np.load(folder / "best.npy"))


def test_the_network_picture_marks_recurrent_connections():
    from evornn.network_plot import graph
    net = _net("neat-sync")
    lay = G.Layout.of(net)
    g = _random_genome(lay, 3, recurrent=True, gates=True)
    slot = lay.slots(g)
    edges = graph(net, lay.phenotype(g))["edges"]
    want = sorted((f"x{a}" if a < lay.n_in else ("bias" if a == lay.n_in else f"u{slot[a]}"), f"u{slot[b]}",
                   a > lay.n_in and slot[a] >= slot[b]) for a, b, _w, e in g.conns.values() if e)
    assert sorted((s, d, r) for s, d, _w, r in edges) == want and any(r for *_x, r in edges)


# -- the NEAT code's details (Stanley's C++ release), options of the optimiser --------------------

def test_the_neat_code_weight_mutation_perturbs_replaces_or_keeps_by_its_rates():
    lay = G.Layout(2, 1, 6, neat_net.SIGMOID, neat_net.SIGMOID)
    g = lay.minimal(np.random.default_rng(0), 1.0)                 # 3 genes: no "tail" rule
    rng, power, rr = np.random.default_rng(1), 100.0, 0.5     # a perturbation seldom lands in +-0.5
    kept = replaced = 0
    for _ in range(4000):
        h = g.copy()
        G.mutate_weights_neat_code(h, rng, power, rr, 0.0)
        for k, c in h.conns.items():
            kept += c[2] == g.conns[k][2]
            replaced += c[2] != g.conns[k][2] and abs(c[2]) <= rr
    n = 4000 * 3          # severe half the time: then 70% perturbed, 20% replaced, 10% kept
    assert kept / n == pytest.approx(0.05, abs=0.01) and replaced / n == pytest.approx(0.10, abs=0.015)
    big = lay.minimal(np.random.default_rng(0), 1.0)
    inn = G.Innovations(len(big.conns), lay.first_hidden)
    while len(big.conns) < 10:
        assert G.add_node(big, lay, inn, np.random.default_rng(len(big.conns)), neat_net.SIGMOID)
    G.mutate_weights_neat_code(big, np.random.default_rng(2), 100.0, 1.0, 8.0)
    assert all(abs(c[2]) <= 8.0 for c in big.conns.values())      # clipped


def test_add_node_can_leave_the_bias_connections_alone():
    lay = G.Layout(2, 1, 6, neat_net.SIGMOID, neat_net.SIGMOID)
    bias_only = lay.minimal(np.random.default_rng(0), 1.0)
    for k, c in bias_only.conns.items():
        c[3] = c[0] == lay.n_in                                    # only the bias -> output gene enabled
    inn = G.Innovations(len(bias_only.conns), lay.first_hidden)
    assert not G.add_node(bias_only.copy(), lay, inn, np.random.default_rng(0), neat_net.SIGMOID, split_bias=False)
    assert G.add_node(bias_only.copy(), lay, inn, np.random.default_rng(0), neat_net.SIGMOID, split_bias=True)
    for seed in range(30):
        g = lay.minimal(np.random.default_rng(seed), 1.0)
        assert G.add_node(g, lay, G.Innovations(3, lay.first_hidden), np.random.default_rng(seed), neat_net.SIGMOID,
                          split_bias=False)
        assert [c[0] for c in g.conns.values() if not c[3]] != [lay.n_in]      # a split input gene


def _strategy(settings, seed=0):
    net = evornn.api.make_network(make_problem("xor"), "neat-net", max_nodes=6)
    s = NEAT(net.n_params, make_config(NEATConfig, {"population": 20, **settings}, "neat"), np.random.default_rng(seed))
    s.setup(None, net)
    s.ask()
    return s


def test_species_representatives_parents_and_champions_by_the_neat_code():
    fit = np.arange(20, dtype=float)
    s = _strategy({"representative": "champion", "compat_threshold": 1e9})
    s.update(s.ask(), fit)
    (sp,) = s.species
    assert s.genomes is not None and sp["rep"].conns is not None
    # the representative is the champion (fitness 19) of the generation that was just evaluated
    kept = _strategy({"representative": "champion", "compat_threshold": 1e9})
    pop = kept.genomes
    kept.update(kept.ask(), fit)
    assert kept.species[0]["rep"].to_json() == pop[19].to_json()
    # parents: ceil(0.2 n) or floor(0.2 n + 1) of a species of 20 (4 or 5)
    for rule, want in (("ceil", 4), ("floor+1", 5)):
        s = _strategy({"survivors": rule, "compat_threshold": 1e9, "mutate_only": 1.0})
        seen = []
        s._offspring = lambda parents, pool, f: (seen.append(tuple(parents)), s.genomes[parents[0]].copy())[1]
        s.update(s.ask(), fit)
        assert set(seen) == {tuple(range(19, 19 - want, -1))}
    # the champion copied when its species has more than elite_min_size members, or gets more than
    # that many offspring: 20 species of one genome each, the best (fitness 19) gets 2 offspring
    for rule in ("size", "offspring"):
        s = _strategy({"elite_by": rule, "elite_min_size": 1, "compat_threshold": 1e-9, "add_node": 0.0,
                       "add_connection": 0.0, "weight_mutation": 1.0})
        pop = s.genomes
        s.update(s.ask(), fit)
        assert len(s.species) == 20
        assert any(g.to_json() == pop[19].to_json() for g in s.genomes) == (rule == "offspring")


def test_delta_coding_clones_the_two_best_champions_after_a_population_stagnation():
    s = _strategy({"population_stagnation_style": "delta", "population_stagnation": 1, "compat_threshold": 1e9})
    fit = np.arange(20, dtype=float)
    s.update(s.ask(), fit)                   # the first generation improves the best
    pop = s.genomes
    s.update(s.ask(), np.zeros(20))          # no improvement: delta coding, one species: all its clones
    champ = pop[0]                           # all of fitness 0: the first is the champion
    assert len(s.genomes) == 20 and s.genomes[-1].to_json() == champ.to_json()
    assert all(g.conns.keys() >= champ.conns.keys() for g in s.genomes)
    assert sum(g.to_json() != champ.to_json() for g in s.genomes) >= 15


def test_the_neat_code_options_are_checked():
    for key, value in (("weight_style", "gauss"), ("representative", "best"), ("survivors", "floor"),
                       ("elite_by", "age"), ("mate_tie", "larger"), ("population_stagnation_style", "none"),
                       ("link_weight_range", -1.0)):
        with pytest.raises(ValueError, match=f"neat.{key} must be"):
            make_config(NEATConfig, {key: value}, "neat").validate()


def test_stagnant_species_are_dropped_or_only_penalised():
    def parents_used(penalty):
        s = _strategy({"stagnation_penalty": penalty, "stagnation": 5, "population_stagnation": 0, "mutate_only": 1.0})
        for i, g in enumerate(s.genomes):
            g.fitness = float(10 + i) if i < 10 else float(i - 10)
        s.species = [{"id": 0, "rep": s.genomes[0], "members": list(range(10)), "best": 19.0, "stale": 0},
                     {"id": 1, "rep": s.genomes[10], "members": list(range(10, 20)), "best": 9.0, "stale": 99}]
        s._tie = np.arange(20)
        seen = set()
        s._offspring = lambda parents, pool, f: (seen.update(parents), s.genomes[parents[0]].copy())[1]
        s._reproduce()
        return seen
    assert max(parents_used(0.0)) < 10                  # the stagnant species is gone
    assert max(parents_used(0.5)) >= 10                 # it breeds, with half its share


def test_ties_are_broken_by_index_or_at_random():
    reps = {}
    for rule in ("index", "random"):
        reps[rule] = set()
        for seed in range(6):
            s = _strategy({"tie_break": rule, "representative": "champion", "compat_threshold": 1e9}, seed)
            pop = [g.to_json() for g in s.genomes]
            s.update(s.ask(), np.ones(20))
            reps[rule].add(pop.index(s.species[0]["rep"].to_json()))
    assert reps["index"] == {0} and len(reps["random"]) > 1


def test_the_neat_code_s_genome_ids_number_the_population_species_by_species():
    s = _strategy({"compat_threshold": 0.5, "add_node": 0.5, "add_connection": 0.5}, seed=2)
    rng = np.random.default_rng(0)
    s.update(s.ask(), rng.uniform(0, 16, 20))
    assert s.code_ids == list(range(20))                # the first generation: creation order
    for _ in range(3):
        s.update(s.ask(), rng.uniform(0, 16, 20))
        assert sorted(s.code_ids) == list(range(20))
    # the last generation's species (reproduction replaced them since): the same run, stopped before it
    t = _strategy({"compat_threshold": 0.5, "add_node": 0.5, "add_connection": 0.5}, seed=2)
    rng = np.random.default_rng(0)
    for _ in range(3):
        t.update(t.ask(), rng.uniform(0, 16, 20))
    t.ask()
    for g, f in zip(t.genomes, rng.uniform(0, 16, 20)):
        g.fitness = float(f)
    t._speciate()
    assert len(t.species) > 1
    want = [0] * 20
    for k, i in enumerate(i for sp in t.species for i in sp["members"]):
        want[i] = k
    assert s.code_ids == want != list(range(20))


def test_keep_disabled_keeps_a_disabled_pick_disabled_as_the_neat_code_s_multipoint_mating():
    # gene 2 is disabled in both parents, gene 5 in P2 only; with disable_rate 0 the paper's rule
    # enables every matching gene, the code's keeps the pick's disabled bit
    for seed in range(30):
        paper = G.crossover(P1, P2, np.random.default_rng(seed), 0.0)
        code = G.crossover(P1, P2, np.random.default_rng(seed), 0.0, keep_disabled=True)
        avg = G.crossover(P1, P2, np.random.default_rng(seed), 0.0, average=True, keep_disabled=True)
        assert paper.conns[2][3] and paper.conns[5][3] and avg.conns[2][3] and avg.conns[5][3]
        assert not code.conns[2][3]
        assert code.conns[5][3] == (code.conns[5][2] == P1.conns[5][2])   # enabled iff picked from P1
        assert {k: v[2] for k, v in code.conns.items()} == {k: v[2] for k, v in paper.conns.items()}
    picks = [G.crossover(P1, P2, np.random.default_rng(s), 0.0, keep_disabled=True).conns[5][3] for s in range(30)]
    assert 0 < sum(picks) < 30


def test_a_repeated_connection_innovation_can_take_the_first_one_s_weight():
    lay = G.Layout(2, 1, 6, neat_net.SIGMOID, neat_net.SIGMOID)
    base = lay.minimal(np.random.default_rng(0), 1.0)
    inn = G.Innovations(3, lay.first_hidden)
    assert G.add_node(base, lay, inn, np.random.default_rng(1), neat_net.SIGMOID, split_bias=False)
    for same in (False, True):
        inn.new_generation()
        a, b = base.copy(), base.copy()
        assert G.add_connection(a, lay, inn, np.random.default_rng(0), False, 1.0, same)
        (new,) = a.conns.keys() - base.conns.keys()
        for seed in range(1, 50):                   # another draw of the same pair, another weight
            b = base.copy()
            G.add_connection(b, lay, inn, np.random.default_rng(seed), False, 1.0, same)
            if new in b.conns:
                break
        assert new in b.conns and b.conns[new][:2] == a.conns[new][:2]
        assert (b.conns[new][2] == a.conns[new][2]) == same


def test_mate_only_distinct_mutates_children_of_identical_parents():
    def changed(distinct):
        s = _strategy({"mate_only": 1.0, "mutate_only": 0.0, "mate_only_distinct": distinct, "add_node": 0.0,
                       "add_connection": 0.0, "weight_mutation": 1.0, "compat_threshold": 1e9,
                       "population_stagnation": 0, "elite_min_size": 1000})
        clone = s.genomes[0]
        s.genomes = [clone.copy() for _ in s.genomes]
        s.update(s.ask(), np.ones(20))
        return sum(g.to_json() != clone.to_json() for g in s.genomes)
    assert changed(True) == 20                  # every child mutated (same parent twice, or identical parents)
    assert changed(False) < changed(True)


def test_structural_exclusive_leaves_the_genome_alone_when_the_structural_mutation_is_impossible():
    for exclusive in (False, True):
        s = _strategy({"add_node": 0.0, "add_connection": 1.0, "weight_mutation": 1.0, "recurrent": False,
                       "structural_exclusive": exclusive})
        g = s.genomes[0].copy()                 # minimal feed-forward XOR genome: no connection to add
        before = g.to_json()
        s._mutate(g)
        assert (g.to_json() == before) == exclusive


def test_the_neat_code_s_skim_allocation_carries_fractions_over():
    from evornn.optim.neat import _allocate_skim
    f = np.array([4.0, 2.0, 3.0, 2.0, 1.0, 0.5])
    # shared: 2, 1 | 1.5, 1 | 0.5, 0.25 (mean 25/24): expected 1.92, 0.96 | 1.44, 0.96 | 0.48, 0.24
    # species 1: 1 + (0.92 + 0.96 -> 1, carry 0.88) = 2; species 2: 1 + (1.32 -> 1, carry 0.32)
    # + (1.28 -> 1, carry 0.28) = 3; species 3: 0.28 + 0.48 + 0.24 = 1 up to rounding: 1, or 0 and
    # the missing one to the species expecting most (species 2)
    assert _allocate_skim([[0, 1], [2, 3], [4, 5]], [1.0, 1.0, 1.0], f, 6) in ([2, 3, 1], [2, 4, 0])
    assert _allocate_skim([[4, 5], [0, 1], [2, 3]], [0.01, 1.0, 1.0], f, 6)[0] == 0     # a penalised species
    assert sum(_allocate_skim([[0, 1, 2], [3], [4, 5]], [1.0, 0.01, 1.0], f, 6)) == 6
    assert _allocate_skim([[0], [1]], [1.0, 1.0], np.zeros(2), 7) == [4, 3]
    rng = np.random.default_rng(0)
    for _ in range(50):
        f = rng.uniform(0, 16, 150)
        cut = np.sort(rng.choice(np.arange(1, 150), 9, replace=False))
        groups = [list(g) for g in np.split(np.arange(150), cut)]
        counts = _allocate_skim(groups, list(rng.choice([1.0, 0.01], 10)), f, 150)
        assert sum(counts) == 150 and min(counts) >= 0


def test_the_neat_code_s_stagnation_count_is_one_generation_sooner():
    for rule, first in (("paper", 16), ("neat-code", 15)):
        s = _strategy({"stagnation_count": rule, "stagnation": 15, "compat_threshold": 1e9})
        sp = {"id": 0, "rep": s.genomes[0], "members": [0], "best": 1.0, "stale": 0}
        hits = []
        for gen in range(1, 20):
            sp["stale_before"] = sp["stale"]
            sp["stale"] += 1                     # no improvement
            hits.append(s._stagnant(sp))
        assert hits.index(True) + 1 == first and all(hits[first - 1:])
    sp = {"stale_before": 14, "stale": 0}        # improves in this generation after 14 without
    assert _strategy({"stagnation_count": "neat-code"})._stagnant(sp) and not _strategy({})._stagnant(sp)


def test_every_30th_generation_the_worst_old_species_is_obliterated_as_the_neat_code_does():
    def species(s, ages):
        for i, g in enumerate(s.genomes):
            g.fitness = float(i)                 # species k holds genomes 4k..4k+3: species 4 is the best
        s.species = [{"id": k, "rep": s.genomes[4 * k], "members": list(range(4 * k, 4 * k + 4)), "best": -math.inf,
                      "stale": 0, "age": a, "obliterated": False} for k, a in enumerate(ages)]
    s = _strategy({"obliterate_every": 30})
    species(s, [3, 25, 40, 19, 50])             # species 0 the worst, too young
    s._obliterate()
    assert [sp["obliterated"] for sp in s.species] == [False, True, False, False, False]   # the worst aged >= 20
    assert s._stagnant(s.species[1]) and not s._stagnant(s.species[4])
    species(s, [5, 3, 4, 19, 1])                 # none old enough: the best
    s._obliterate()
    assert [sp["obliterated"] for sp in s.species] == [False, False, False, False, True]
    # in a run: marked in generations 30, 60, ... only, and checkpointed
    r = _strategy({"obliterate_every": 3, "obliterate_age": 2, "compat_threshold": 0.3, "add_node": 0.3,
                   "stagnation_penalty": 0.01})
    rng = np.random.default_rng(1)
    marks = []
    for gen in range(1, 8):
        r.update(r.ask(), rng.uniform(0, 16, 20))
        marks.append(sum(sp["obliterated"] for sp in r.species))
    assert marks[0] == marks[1] == 0 and marks[2] >= 1
    assert all(sp["age"] >= 1 for sp in r.species)
    state = json.loads(json.dumps(r.get_state()[1]))
    assert [sp["obliterated"] for sp in state["neat"]["species"]] == [sp["obliterated"] for sp in r.species]


def test_the_non_markov_test_goes_round_the_unchecked_species_as_the_neat_code_s_pole2_epoch():
    s = _strategy({"compat_threshold": 1e-9, "test_choice": "unchecked"})

    def generation(fit):                     # the same genomes evaluated again: each keeps its species
        for g, f in zip(s.genomes, fit):
            g.fitness = float(f)
        s._speciate()
        return s._choose_test(s.ask())

    fit = np.arange(20, dtype=float)
    fit[3] = 19.0                            # two champions of equal fitness: the first species wins
    assert generation(fit) == 3 and len(s.species) == 20
    assert generation(fit) == 19             # species 3 is checked (no better since): the next one
    assert generation(fit) == 18
    fit[5] = 30.0                            # an improved species is unchecked again, and now the best
    assert generation(fit) == 5
    assert generation(fit) == 17
    for sp in s.species:
        sp["checked"] = True
    assert generation(fit) == 5              # all checked: the best species' champion
    # update() keeps the choice for the runner (test_candidate); "fittest" tests the argmax
    for choice, want in (("unchecked", 7), ("fittest", 12)):
        t = _strategy({"compat_threshold": 1e-9, "test_choice": choice})
        f = np.zeros(20)
        f[12], f[7] = 2.0, 1.0
        t._speciate = lambda t=t: (NEAT._speciate(t), [sp.update(checked=True) for sp in t.species if
                                                       12 in sp["members"]])
        t.update(t.ask(), f)
        assert t.test_candidate(f) == want
    # the flags are part of the checkpoint
    arrays, meta = s.get_state()
    r = _strategy({"compat_threshold": 1e-9, "test_choice": "unchecked"})
    r.set_state(arrays, json.loads(json.dumps(meta)))
    assert [sp["checked"] for sp in r.species] == [sp["checked"] for sp in s.species]
    with pytest.raises(ValueError, match="neat.test_choice must be"):
        make_config(NEATConfig, {"test_choice": "best"}, "neat").validate()


def test_retest_false_passes_over_a_network_tested_before_in_either_choice():
    """The pole's tests are deterministic: with retest = false a network (its phenotype, bit for bit)
    that a test already ran is not chosen again, whichever genome carries it."""
    def generation(s, fit):                  # the same genomes evaluated again: each keeps its species
        for g, f in zip(s.genomes, fit):
            g.fitness = float(f)
        s._speciate()
        return s._choose_test(s.ask())

    fit = np.arange(20, dtype=float)
    s = _strategy({"compat_threshold": 1e-9, "retest": False})                 # the fittest
    assert [generation(s, fit) for _ in range(2)] == [19, 18]
    s.genomes[17] = G.Genome.from_json(s.genomes[19].to_json())               # a copy of a tested network
    assert generation(s, fit) == 16
    s._tested.update(hashlib.blake2b(s.layout.phenotype(g, 1.0).tobytes(), digest_size=16).hexdigest()
                     for g in s.genomes)
    assert generation(s, fit) == 19          # every network tested: the fittest, as with retest
    u = _strategy({"compat_threshold": 1e-9, "test_choice": "unchecked", "retest": False})
    assert [generation(u, fit) for _ in range(2)] == [19, 18]
    fit[19] = 40.0                           # species 19 improves, but its champion is the network tested
    assert generation(u, fit) == 17          # (with retest: 19 again) and 19 is checked with it
    assert all(sp["checked"] for sp in u.species if 19 in sp["members"])
    for sp in u.species:
        sp["checked"] = True
    assert generation(u, fit) == 16          # all checked: the best species whose champion is untested
    # update() keeps the choice for the runner; the tested networks are part of the checkpoint
    t = _strategy({"compat_threshold": 1e-9, "retest": False})
    t.update(t.ask(), fit)
    assert t.test_candidate(fit) == 19
    arrays, meta = u.get_state()
    r = _strategy({"compat_threshold": 1e-9, "test_choice": "unchecked", "retest": False})
    r.set_state(arrays, json.loads(json.dumps(meta)))
    assert r._tested == u._tested and len(r._tested) == 4


def test_newborn_parents_are_offspring_that_joined_a_species_before_its_turn_as_in_the_neat_code():
    """NEAT's code places each offspring in a species as it is born and a species draws its parents
    from its list as it is at its turn: with newborn_parents a species' pool is its survivors and
    the offspring of earlier species that joined it (fitness 0), each where the next speciation
    places it; without it, the survivors only."""
    settings = {"compat_threshold": 0.5, "c3": 0.4, "mutate_only": 1.0, "weight_mutation": 1.0,
                "weight_replace": 0.0, "weight_perturb": 3.0, "add_node": 0.0, "add_connection": 0.0,
                "survivors": "floor+1", "population": 60}
    fit = np.r_[np.full(30, 2.0), np.full(30, 1.0)]
    for on in (False, True):
        s = _strategy({**settings, "newborn_parents": on}, seed=3)
        for i, g in enumerate(s.genomes):       # two species: weights +1 (fitness 2) and -1 (fitness 1)
            for c in g.conns.values():
                c[2] = 1.0 if i < 30 else -1.0
        pools, offspring = [], s._offspring
        s._offspring = lambda parents, pool, f: (pools.append([(i, f[i]) for i in parents]),
                                                 offspring(parents, pool, f))[1]
        s.update(s.ask(), fit)
        assert [sp["members"] for sp in s.species] == [list(range(30)), list(range(30, 60))]
        first, second = s.species[0]["id"], s.species[1]["id"]
        born = sorted({i for pool in pools for i, _ in pool if i >= 60})
        assert all(i in range(30, 60) or i >= 60 for i, _ in pools[-1]) and all(i < 30 for i, _ in pools[0])
        if not on:
            assert born == []
            continue
        assert born and all(f == 0.0 for pool in pools for i, f in pool if i >= 60)
        s.update(s.ask(), np.ones(len(s.genomes)))   # the next speciation: they are in the second species
        where = {i: sp["id"] for sp in s.species for i in sp["members"]}
        assert {where[i - 60] for i in born} == {second} != {first}
    with pytest.raises(ValueError):
        make_config(NEATConfig, {"newborn_parents": "yes"}, "neat")


def test_the_compiled_speciation_walk_is_the_python_walk_bit_for_bit():
    from evornn.optim import neat_genome as Gm
    from evornn.optim import neat_species as S
    rng = np.random.default_rng(5)
    for n in (0, 1, 7, 8, 9, 64, 128, 129, 200, 300):     # NumPy's pairwise summation, every branch
        v = list(rng.uniform(0, 5, n))
        assert S._pairwise_sum(np.array(v), 0, n) == Gm._pairwise_sum(v, 0, n)
    lay = G.Layout(3, 2, 9, neat_net.SIGMOID, neat_net.TANH)
    genomes = [_random_genome(lay, seed, True, False, steps=int(seed % 40)) for seed in range(60)]
    for g in genomes:                        # some genomes without genes or weights far apart
        for c in g.conns.values():
            c[2] *= float(rng.choice([1.0, 4.0]))
    genomes.append(G.Genome(dict(genomes[0].nodes), {}))
    for a in genomes[::3]:
        for b in genomes:
            for small in (1, 20):
                assert S.distance(a, b, 1.0, 1.0, 3.0, small) == G.distance(a, b, 1.0, 1.0, 3.0, small)
    reps = S.Representatives(genomes[:20])
    for g in genomes:
        for threshold in (0.5, 3.0, 6.0):
            want = next((j for j, r in enumerate(genomes[:20]) if G.distance(g, r, 1.0, 1.0, 0.4, 20) < threshold), -1)
            assert S.first_within(*S.gene_arrays(g), reps, 1.0, 1.0, 0.4, 20, threshold) == want
