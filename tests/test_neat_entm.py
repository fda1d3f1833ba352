"""The evolvable NTM of Greve, Jacobsen & Risi (2016): a NEAT phenotype driving the ENTM tape
(architecture neat-entm, cell entm_tape). Random genomes against a NumPy composition of the
genome's graph (tests/test_neat.py) and the tape as the ENTM code keeps it (tests/reference_memory.py);
a hand-built genome of direct connections that copies at every length; NEAT runs on it."""
import numpy as np
import pytest

import evornn
import reference_memory as ref
import test_neat
from engines import ENGINES, error, tol
from evornn.nets.cells import entm_tape
from evornn.optim import neat_genome as G
from evornn.problems.memory_tasks import copy_sequence
from evornn.problems.registry import make_problem

# The networks the oracle test below builds (tests/test_engine.py checks every cell has one).
ORACLE_NETS = {"neat-entm": ("neat-entm", 2, 2, {"max_nodes": 18, "memory_size": 4, "memory_width": 3})}


def graph_entm(g: G.Genome, lay: G.Layout, X: np.ndarray, n_out: int, N: int, M: int, log: list | None = None,
               write: str = "interpolate"):
    """The genome's graph (sync: every node from the previous step's values) reading [x_t, r_{t-1}],
    its outputs after the first n_out driving an :class:`ref.ENTMTape`."""
    vals = {n: 0.0 for n in g.nodes}
    tape, r, out = ref.ENTMTape(N, M, write), np.zeros(M), []
    for x in X:
        u = np.concatenate([x, r])
        prev = dict(vals)

        def src(a):
            return float(u[a]) if a < lay.n_in else (1.0 if a == lay.n_in else prev[a])
        vals = {n: test_neat._node_value(g, n, src) for n in g.nodes}
        o = np.array([vals[k] for k in lay.outputs])
        r = tape.step(o[n_out:])
        if log is not None:
            log.append((len(tape.tape), tape.p))
        out.append(o[:n_out])
    return np.array(out)


@pytest.mark.parametrize("engine,write", [("lanes", "interpolate"), ("scalar", "interpolate"), ("lanes", "overwrite")])
def test_neat_phenotype_and_tape_equal_the_genome_s_graph_and_the_entm_code_s_tape(engine, write):
    arch, n_in, n_out, kw = ORACLE_NETS["neat-entm"]
    N, M = kw["memory_size"], kw["memory_width"]
    net = evornn.build(arch, n_in, n_out, **kw, write=write, **ENGINES[engine])
    lay = G.Layout.of(net)
    assert (lay.n_in, lay.n_out) == (n_in + M, n_out + M + 5) and net.n_params == lay.n_params
    genomes = [test_neat._random_genome(lay, s, recurrent=True, gates=False, steps=20) for s in range(9)]
    W = np.stack([lay.phenotype(g) for g in genomes])
    X = np.random.default_rng(0).uniform(0, 1, (40, n_in))
    starts = np.array([0, 30, 40])                                 # two sequences: the tape starts empty again
    Y = net.run_population(W, X, starts)
    log = []
    for g, y in zip(genomes, Y):
        want = np.concatenate([graph_entm(g, lay, X[a:b], n_out, N, M, log, write) for a, b in zip(starts, starts[1:])])
        assert error(y, want, engine) <= tol(engine, 1e-12)
    sizes = [n for n, _p in log]
    assert max(sizes) == N and min(sizes) < N                      # the tape grew, and reached its bound


def copier(B: int, N: int, A: float = 5.0, jump: bool = True):
    """A genome of direct connections only (NEAT's minimal start, weights set) that copies on the
    copy task with a start step: the write vector is [x_t, start or delimiter], written at every step
    but the delimiter's; the head moves on every step; on the delimiter it jumps to the location most
    similar to [0, ..., 0, 1], the one written at the start, and moves on to the first vector; each
    output is the bit the head read at the step before."""
    I, M = B + 2, B + 1                                            # inputs: bits, delimiter, start
    net = evornn.build("neat-entm", I, B, max_nodes=2 * B + 6, memory_size=N, memory_width=M)
    lay = G.Layout.of(net)
    g = lay.minimal(np.random.default_rng(0), 1.0)
    for c in g.conns.values():
        c[2] = 0.0
    o = lay.outputs                                                # B task outputs, then a (M), i, j, s (3)
    bias, delim, start, r = lay.n_in, B, B + 1, I
    want = {}
    for k in range(B):
        want[(r + k, o[k])], want[(bias, o[k])] = 2 * A, -A       # output bit k = read bit k
        want[(k, o[B + k])], want[(bias, o[B + k])] = 2 * A, -A    # write bit k = input bit k
    a_m, i, j, s_right = o[B + M - 1], o[B + M], o[B + M + 1], o[B + M + 4]
    want[(start, a_m)], want[(delim, a_m)], want[(bias, a_m)] = 2 * A, 2 * A, -A   # the start marker
    want[(bias, i)], want[(delim, i)] = A, -2 * A                  # write, but not on the delimiter
    want[(delim, j)], want[(bias, j)] = 2 * A if jump else 0.0, -A   # jump on the delimiter
    want[(bias, s_right)] = A                                      # always move on (+1)
    for c in g.conns.values():
        c[2] = want.get((c[0], c[1]), 0.0)
    return net, g, lay.phenotype(g)


def test_a_hand_built_genome_of_direct_connections_copies_at_every_length():
    prob = make_problem("copy", max_length=5, n_train=16, n_test=8, bits=2, start=True, fitness="strict")
    assert prob.n_inputs == 4 and prob.train.X[0, 3] == 1.0
    net, g, w = copier(2, prob.default_net["memory_size"])
    assert not any(n >= G.Layout.of(net).first_hidden for n in g.nodes)      # no hidden node
    res = prob.evaluate(net, w[None], None)
    assert res.metrics[0, 1] == 1.0 and res.fitness[0] > 0.999
    assert all(v == 1.0 for v in prob.lengths(net, w).values())
    x, y = copy_sequence(60, 2, np.random.default_rng(3), start=True)        # 12x the longest training length
    net, _g, w = copier(2, 64)
    out = net.run(w, x)
    assert np.array_equal(out[62:] > 0.5, y[62:] > 0.5)
    # without the jump the head reads on past the sequence's end, where nothing was written
    net, _g, w = copier(2, prob.default_net["memory_size"], jump=False)
    assert prob.evaluate(net, w[None], None).metrics[0, 1] < 0.2


def test_neat_evolves_the_tape_s_controller():
    """A few generations of NEAT on neat-entm: whole populations of different topologies in one
    kernel call, and the best genome's phenotype is the run's best chromosome."""
    prob = make_problem("copy", max_length=2, n_train=8, n_test=2, bits=1, start=True, fitness="strict")
    net = evornn.build("neat-entm", prob.n_inputs, prob.n_outputs, max_nodes=12, memory_size=12, memory_width=2)
    runner = evornn.make_runner("neat", prob, arch=net, settings={"population": 20},
                                stop={"max_generations": 3, "solved": False}, seed=1)
    res = runner.run()
    assert res.progress.evaluations == 60
    best = G.Genome.from_json(runner.strategy.info()["best_genome"])
    assert np.array_equal(G.Layout.of(net).phenotype(best), res.best_chromosome)


def test_options_and_parameter_count_name_themselves():
    net = evornn.build("neat-entm", 3, 2, max_nodes=20, memory_width=4)
    assert net.n_params == 20 * (3 + 4 + 1 + 20) + 20 and net.n_outputs == 2
    assert entm_tape.n_controls(4) == 9
    for opts, word in ((dict(max_nodes=8), "max_nodes must be >= n_outputs \\+ memory_width \\+ 5 = 9"),
                       (dict(memory_size=0), "memory_size"), (dict(memory_width=0), "memory_width")):
        with pytest.raises(ValueError, match=word) as e:
            evornn.build("neat-entm", 3, 2, **opts)
        assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="start is an option of copy only"):
        make_problem("repeat-copy", start=True)
