"""neat-net's ``update = "neat-code"``: NEAT's C++ code's activation (neat1.2.1, ``Network::activate``)
and its XOR evaluation (``xor_evaluate``), against the code's procedure written out here on the
genome's graph (:class:`CodeNet`: nodes in id order, active flags, activation counts, the relaxation
``net_depth + 1`` times, ``flush`` between patterns that keeps the flags)."""
import math

import numpy as np
import pytest

import evornn
from evornn.nets.cells import neat_net
from evornn.optim import neat_genome as G
from evornn.problems.registry import make_problem

SLOPE = 4.924273
SIG = neat_net.SIGMOID
PATTERNS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


class CodeNet:
    """A genome's network as NEAT's code builds and runs it: its enabled connections, the output and
    hidden nodes in node-id order (``all_nodes``), the inputs and the bias as sensors."""

    def __init__(self, g: G.Genome, lay: G.Layout, slope: float = SLOPE):
        self.lay, self.slope = lay, slope
        self.order = sorted(g.nodes)                     # outputs (n_in + 1 ..) then hidden ids
        self.incoming = {n: [(a, w) for _k, (a, b, w, e) in sorted(g.conns.items()) if e and b == n]
                         for n in self.order}
        self.sensors = list(range(lay.n_in + 1))
        self.act = {n: 0.0 for n in self.order + self.sensors}
        self.count = {n: 0 for n in self.order + self.sensors}
        self.flag = {n: False for n in self.order}

    def load(self, x):                                  # load_sensors: the inputs and the bias 1.0
        for a, v in enumerate(list(x) + [1.0]):
            self.act[a], self.count[a] = float(v), self.count[a] + 1

    def out(self, a):                                   # get_active_out
        return self.act[a] if self.count[a] > 0 else 0.0

    def outputsoff(self):
        return any(self.count[o] == 0 for o in self.lay.outputs)

    def activate(self) -> bool:
        onetime, abort = False, 0
        while self.outputsoff() or not onetime:
            abort += 1
            if abort == 20:
                return False
            sums = {}
            for n in self.order:
                self.flag[n], sums[n] = False, 0.0
                for a, w in self.incoming[n]:
                    sums[n] += w * self.out(a)
                    if a in self.sensors or self.flag[a]:
                        self.flag[n] = True
            for n in self.order:
                if self.flag[n]:
                    self.act[n] = 1.0 / (1.0 + math.exp(-(self.slope * sums[n])))
                    self.count[n] += 1
            onetime = True
        return True

    def depth(self, n, d=0):                            # NNode::depth
        if d > 100:
            return 10
        if n in self.sensors:
            return d
        return max([d] + [self.depth(a, d + 1) for a, _w in self.incoming[n]])

    def max_depth(self):
        return max(self.depth(o) for o in self.lay.outputs)

    def flushback(self, n):                             # NNode::flushback (flags are left alone)
        if n in self.sensors:
            self.act[n], self.count[n] = 0.0, 0
            return
        if self.count[n] > 0:
            self.act[n], self.count[n] = 0.0, 0
        for a, _w in self.incoming[n]:
            if self.count[a] > 0:
                self.flushback(a)

    def flush(self):
        for o in self.lay.outputs:
            self.flushback(o)

    def xor_evaluate(self, patterns=PATTERNS):
        """Outputs per pattern and the last ``activate()``'s success, as ``xor_evaluate``."""
        depth, outs, ok = self.max_depth(), [], True
        for x in patterns:
            self.load(x)
            ok = self.activate()
            for _ in range(depth + 1):
                ok = self.activate()
            outs.append([self.act[o] for o in self.lay.outputs])
            self.flush()
        return np.array(outs), ok


def _net(relax=True, max_nodes=8, slope=SLOPE, passes=1):
    return evornn.build("neat-net", 2, 1, max_nodes=max_nodes, update="neat-code", relax=relax,
                        sigmoid_slope=slope, passes=passes)


def _chain(weights=(2.0, -1.5, 1.2, 0.9)):
    """x0 -> h4 -> h5 -> h6 -> out plus x1 -> out and the bias -> out and -> h5: a feed-forward
    genome of depth 4, whose output needs four passes."""
    g = G.Genome({3: SIG, 4: SIG, 5: SIG, 6: SIG}, {})
    for k, (a, b, w) in enumerate([(0, 4, weights[0]), (4, 5, weights[1]), (5, 6, weights[2]), (6, 3, weights[3]),
                                   (1, 3, -0.7), (2, 3, 0.3), (2, 5, 0.4), (0, 3, 0.5)]):
        g.conns[k] = [a, b, w, True]
    return g


def _run(net, g):
    lay = G.Layout.of(net)
    return net.run_population(lay.phenotype(g)[None], PATTERNS, np.arange(5))[0]


@pytest.mark.parametrize("engine", ["lanes", "scalar"])
def test_the_relaxed_activation_is_the_code_s_on_a_deep_feed_forward_genome(engine):
    net = _net()
    g = _chain()
    code, ok = CodeNet(g, G.Layout.of(net)).xor_evaluate()
    assert ok and CodeNet(g, G.Layout.of(net)).max_depth() == 4
    lay = G.Layout.of(net)
    y = net.run_population(lay.phenotype(g)[None], PATTERNS, np.arange(5), engine=engine)[0]
    np.testing.assert_allclose(y, code, rtol=1e-12, atol=1e-12)


def test_the_number_of_activations_matters_without_the_relaxation():
    g = _chain()
    lay = G.Layout.of(_net())
    code, _ = CodeNet(g, lay).xor_evaluate()
    one = _run(_net(relax=False), g)                 # one activate(): one pass, the chain not yet through
    assert np.abs(one - code).max() > 1e-3
    # the code's procedure with a single activate() per pattern gives the same as the kernel's
    c = CodeNet(g, lay)
    single = []
    for x in PATTERNS:
        c.load(x)
        assert c.activate()
        single.append([c.act[o] for o in lay.outputs])
        c.flush()
    np.testing.assert_allclose(one, single, rtol=1e-12, atol=1e-12)
    # four activate() calls reach the relaxed value on this depth-4 chain, three do not
    np.testing.assert_allclose(_run(_net(relax=False, passes=4), g), code, rtol=1e-12, atol=1e-12)
    assert np.abs(_run(_net(relax=False, passes=3), g) - code).max() > 1e-3


def test_a_node_without_an_active_input_feeds_zero_not_the_sigmoid_of_zero():
    g = _chain()
    g.conns[0][3] = False                            # x0 -> h4 disabled: h4 has no input at all
    lay = G.Layout.of(_net())
    code, ok = CodeNet(g, lay).xor_evaluate()
    assert ok
    y = _run(_net(), g)
    np.testing.assert_allclose(y, code, rtol=1e-12, atol=1e-12)
    ordered = evornn.build("neat-net", 2, 1, max_nodes=8, update="ordered", sigmoid_slope=SLOPE)
    # the ordered pass computes h4 = sigmoid(0) = 0.5 and feeds it on
    assert np.abs(_run(ordered, g) - y).max() > 1e-3


def test_an_output_never_activated_fails_and_xor_scores_it_as_the_code():
    g = G.Genome({3: SIG, 4: SIG}, {0: [0, 3, 1.0, False], 1: [1, 3, 1.0, False], 2: [2, 3, 1.0, False],
                                    3: [4, 3, 2.0, True]})          # the output's only input: h4, itself without input
    lay = G.Layout.of(_net())
    code, ok = CodeNet(g, lay).xor_evaluate()
    assert not ok and np.all(code == 0.0)
    net = _net()
    assert np.isnan(_run(net, g)).all()
    good = _chain()
    W = np.stack([lay.phenotype(g), lay.phenotype(good)])
    res = make_problem("xor", style="neat-code").evaluate(net, W)
    c, _ = CodeNet(good, lay).xor_evaluate()
    err = float(np.abs(c[:, 0] - [0, 1, 1, 0]).sum())
    np.testing.assert_allclose(res.fitness, [0.001, (4.0 - err) ** 2], rtol=1e-12)
    assert res.metrics[0].tolist() == [999.0, 2.0]
    # the default style: a failed network scores 0
    assert make_problem("xor").evaluate(net, W).fitness[0] == 0.0


def test_xor_s_code_style_counts_one_half_as_one():
    net = evornn.build("neat-net", 2, 1, max_nodes=4, update="ordered")
    lay = G.Layout.of(net)
    g = G.Genome({3: SIG}, {0: [0, 3, 0.0, True], 1: [1, 3, 0.0, True], 2: [2, 3, 0.0, False]})
    g.conns[0][2] = 1e-300                            # the output is 0.5 on every pattern
    W = lay.phenotype(g)[None]
    assert make_problem("xor", style="neat-code").evaluate(net, W).metrics[0, 1] == 2
    assert make_problem("xor").evaluate(net, W).metrics[0, 1] == 2


def _random_ff(lay, seed):
    rng = np.random.default_rng(seed)
    g = lay.minimal(rng, 2.0)
    inn = G.Innovations(len(g.conns), lay.first_hidden)
    for _ in range(14):
        if rng.random() < 0.45:
            G.add_node(g, lay, inn, rng, SIG)
        else:
            G.add_connection(g, lay, inn, rng, False, 2.0)
    G.mutate_weights(g, rng, 0.0, 1.0, 2.0, 0.0)
    for k in sorted(g.conns):
        if rng.random() < 0.3:
            g.conns[k][3] = False                     # some nodes, some outputs, cut off
    return g


@pytest.mark.parametrize("engine", ["lanes", "scalar"])
def test_random_feed_forward_genomes_evaluate_as_the_code_s_xor_evaluate(engine):
    net = _net(max_nodes=9)
    lay = G.Layout.of(net)
    genomes = [_random_ff(lay, s) for s in range(40)]
    W = np.stack([lay.phenotype(g) for g in genomes])
    Y = net.run_population(W, PATTERNS, np.arange(5), engine=engine)[:, :, 0]
    dead = 0
    for g, y in zip(genomes, Y):
        c = CodeNet(g, lay)
        code, ok = c.xor_evaluate()
        assert ok
        np.testing.assert_allclose(y, code[:, 0], rtol=1e-12, atol=1e-12)
        feeding = {a for a, b, _w, e in g.conns.values() if e and b != a}
        dead += any(not c.flag[n] and n in feeding for n in c.order)      # never activated, read by another
    assert dead >= 3 and max(CodeNet(g, lay).max_depth() for g in genomes) >= 5
    ordered = evornn.build("neat-net", 2, 1, max_nodes=9, update="ordered", sigmoid_slope=SLOPE)
    assert np.nanmax(np.abs(ordered.run_population(W, PATTERNS, np.arange(5))[:, :, 0] - Y)) > 1e-3


def _depth(lay, g):
    """The kernel's net_depth (:func:`neat_net.code_depth`) of genome ``g``."""
    w = lay.phenotype(g)
    return neat_net.code_depth(w, 0, 1, np.zeros(lay.M), 0, 1, lay.n_in, lay.M, lay.n_out, 0, 0)


def test_the_depth_is_the_code_s_max_depth():
    lay = G.Layout.of(_net(max_nodes=9))
    genomes = [_random_ff(lay, s) for s in range(40)] + [_chain(), _cycle()]
    depths = [_depth(lay, g) for g in genomes]
    assert depths == [CodeNet(g, lay).max_depth() for g in genomes]
    assert depths[-2:] == [4, 100] and len(set(depths)) >= 5


def _cycle():
    return G.Genome({3: SIG, 4: SIG}, {0: [0, 4, 1.3, True], 1: [4, 4, -4.0, True], 2: [4, 3, 2.0, True],
                                       3: [1, 3, -0.8, True], 4: [2, 4, 0.2, True]})


def test_a_recurrent_genome_relaxes_one_hundred_and_one_times_as_the_code():
    """An output reaching a cycle (h4's self-loop, strong enough to oscillate): the code's depth
    gives up at 100, so 1 + 101 activate() calls."""
    g = _cycle()
    net = _net(max_nodes=4)
    lay = G.Layout.of(net)
    c = CodeNet(g, lay)
    assert c.max_depth() == 100
    x = np.array([[1.0, 0.5]])
    code, ok = c.xor_evaluate(x)
    assert ok
    y = net.run_population(lay.phenotype(g)[None], x)[0]
    np.testing.assert_allclose(y, code, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(_run_calls(lay, g, x, 102), y[0, 0], rtol=1e-12)
    for calls in (101, 103):                          # an odd number of passes: the other phase
        assert abs(_run_calls(lay, g, x, calls) - y[0, 0]) > 1e-3


def _run_calls(lay, g, x, calls):
    n = evornn.build("neat-net", 2, 1, max_nodes=4, update="neat-code", sigmoid_slope=SLOPE, passes=calls)
    return n.run_population(lay.phenotype(g)[None], x)[0, 0, 0]


def test_the_sigmoid_slope_is_an_option():
    g = _chain()
    lay = G.Layout.of(_net())
    assert np.abs(_run(_net(slope=4.9), g) - _run(_net(), g)).max() > 1e-6
    np.testing.assert_allclose(_run(_net(slope=4.9), g), CodeNet(g, lay, 4.9).xor_evaluate()[0], rtol=1e-12)


def test_the_neat_code_options_are_checked():
    with pytest.raises(ValueError, match="update must be 'sync', 'ordered' or 'neat-code'"):
        evornn.build("neat-net", 2, 1, update="code")
    with pytest.raises(ValueError, match="relax .* needs update = 'neat-code'"):
        evornn.build("neat-net", 2, 1, relax=True)
    with pytest.raises(ValueError, match="sigmoid_slope must be a finite number > 0"):
        evornn.build("neat-net", 2, 1, sigmoid_slope=0.0)
    with pytest.raises(ValueError, match="problem xor: style must be one of evornn, neat-code"):
        make_problem("xor", style="code")
