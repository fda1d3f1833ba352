"""The ENTM of fixed topology (architecture dense-entm): neat-entm's tape and head driven by one
layer from [x_t, r_{t-1}, 1] (dense, or a core such as indrnn), against a NumPy composition of the
layer's equation and the tape as the ENTM code keeps it (tests/reference_memory.py); a hand-built
chromosome that copies 8-bit vectors at every length; any optimiser runs it."""
import numpy as np
import pytest

import evornn
import reference_memory as ref
from engines import ENGINES, error, tol
from evornn.problems.memory_tasks import copy_sequence
from evornn.problems.registry import make_problem

N, M = 4, 3


def oracle(p: dict, X: np.ndarray, n_out: int, cell: str, write: str = "interpolate") -> np.ndarray:
    """units = sigmoid(W [x_t, r_{t-1}] (+ u * units_{t-1}) + b); the units after the first n_out drive the tape."""
    tape, r, out = ref.ENTMTape(N, M, write), np.zeros(M), []
    W = p["ctrl.W"] if cell == "dense" else p["ctrl.W_in"]
    h = np.zeros(len(p["ctrl.b"]))
    for x in X:
        a = W @ np.concatenate([x, r]) + p["ctrl.b"] + (p["ctrl.u"] * h if cell == "indrnn" else 0.0)
        h = ref.sigmoid(a)
        r = tape.step(h[n_out:])
        out.append(h[:n_out])
    return np.array(out)


@pytest.mark.parametrize("cell,engine,write", [("dense", "lanes", "interpolate"), ("dense", "scalar", "interpolate"),
                                               ("indrnn", "lanes", "interpolate"), ("indrnn", "scalar", "interpolate"),
                                               ("dense", "lanes", "overwrite"), ("dense", "scalar", "overwrite")])
def test_network_equals_the_layer_s_equation_and_the_entm_code_s_tape(cell, engine, write):
    net = evornn.build("dense-entm", 2, 2, cell=cell, memory_size=N, memory_width=M, write=write, **ENGINES[engine])
    rng = np.random.default_rng(5)
    X = rng.uniform(0, 1, (40, 2))
    starts = np.array([0, 30, 40])                             # two sequences: the tape starts empty again
    W = rng.normal(0.0, 2.0, (6, net.n_params))
    Y = net.run_population(W, X, starts)
    for w, y in zip(W, Y):
        p = net.unflatten(w)
        want = np.concatenate([oracle(p, X[a:b], 2, cell, write) for a, b in zip(starts, starts[1:])])
        assert error(y, want, engine) <= tol(engine, 1e-12)
    if write == "overwrite":
        # the write mode matters: the interpolating tape's oracle gives other outputs for these weights
        p = net.unflatten(W[0])
        other = np.concatenate([oracle(p, X[a:b], 2, cell) for a, b in zip(starts, starts[1:])])
        assert np.abs(Y[0] - other).max() > 1e-3
    # the same weights with the self-loops at zero: indrnn is the dense layer (up to rounding: the
    # two kernels add the bias in another order)
    if cell == "indrnn":
        dense = evornn.build("dense-entm", 2, 2, memory_size=N, memory_width=M, **ENGINES[engine])
        p = net.unflatten(W[0])
        p["ctrl.u"][:] = 0.0
        q = {"ctrl.W": p["ctrl.W_in"], "ctrl.b": p["ctrl.b"]}
        assert error(net.run(net.flatten(p), X, starts), dense.run(dense.flatten(q), X, starts), engine) <= 1e-12


def copier(B: int, N: int, A: float = 5.0, write: str = "interpolate"):
    """The minimal ENTM copier as a dense-entm chromosome (tests/test_neat_entm.py's genome): write
    [x_t, start or delimiter] at every step but the delimiter's, move on every step, jump on the
    delimiter to the location most like [0, ..., 0, 1] (the start step's), output the bits read."""
    I, Mw = B + 2, B + 1                                       # inputs: bits, delimiter, start
    net = evornn.build("dense-entm", I, B, memory_size=N, memory_width=Mw, write=write)
    W, b = np.zeros((B + Mw + 5, I + Mw)), np.zeros(B + Mw + 5)
    delim, start, r = B, B + 1, I
    for k in range(B):
        W[k, r + k], b[k] = 2 * A, -A                          # output bit k = read bit k
        W[B + k, k], b[B + k] = 2 * A, -A                      # write bit k = input bit k
    a_m, i, j, s_right = B + Mw - 1, B + Mw, B + Mw + 1, B + Mw + 4
    W[a_m, start], W[a_m, delim], b[a_m] = 2 * A, 2 * A, -A   # the start marker, and the jump's key
    W[i, delim], b[i] = -2 * A, A                              # write, but not on the delimiter
    W[j, delim], b[j] = 2 * A, -A                              # jump on the delimiter
    b[s_right] = A                                             # always move on (+1)
    return net, net.flatten({"ctrl.W": W, "ctrl.b": b})


def test_a_hand_built_chromosome_copies_8_bit_vectors_at_every_length():
    prob = make_problem("copy", max_length=5, n_train=16, n_test=8, bits=8, start=True, fitness="strict")
    net, w = copier(8, prob.default_net["memory_size"])
    res = prob.evaluate(net, w[None], None)
    assert res.metrics[0, 1] == 1.0 and res.fitness[0] > 0.95
    assert all(v == 1.0 for v in prob.lengths(net, w).values())
    x, y = copy_sequence(60, 8, np.random.default_rng(3), start=True)     # 12x the longest training length
    net, w = copier(8, 64)
    assert np.array_equal(net.run(w, x)[62:] > 0.5, y[62:] > 0.5)
    # the tape is the memory: one location too few loses the sequence
    net, w = copier(8, 60)
    assert not np.array_equal(net.run(w, x)[62:] > 0.5, y[62:] > 0.5)


@pytest.mark.parametrize("optimiser", ["cosyne", "cmaes"])
def test_flat_chromosome_optimisers_run_it(optimiser):
    prob = make_problem("copy", max_length=2, n_train=8, n_test=2, bits=1, start=True, fitness="strict")
    net = evornn.build("dense-entm", prob.n_inputs, prob.n_outputs, memory_size=12, memory_width=2)
    res = evornn.optimise(optimiser, prob, arch=net, settings={"population": 10},
                          stop={"max_generations": 3, "solved": False}, seed=1)
    assert res.best_chromosome.shape == (net.n_params,) and 0.0 < res.best_fitness <= 1.0


def test_options_and_parameter_count_name_themselves():
    net = evornn.build("dense-entm", 3, 2, memory_width=4)
    U = 2 + 4 + 5                                              # outputs, write vector, i, j, 3 shifts
    assert net.n_params == U * (3 + 4 + 1) and net.n_outputs == 2
    assert evornn.build("dense-entm", 3, 2, cell="indrnn", memory_width=4).n_params == U * (3 + 4 + 2)
    assert evornn.build("dense-entm", 3, 2, cell="frnn", memory_width=4).n_params == U * (3 + 4 + U + 1)
    assert evornn.build("dense-entm", 3, 2, write="overwrite", memory_width=4).n_params == net.n_params   # no parameters
    for opts, word in ((dict(cell="nope"), "unknown cell 'nope'"), (dict(memory_size=0), "memory_size"),
                       (dict(write="blend"), "write must be 'interpolate' or 'overwrite'"),
                       (dict(memory_width=0), "memory_width"), (dict(activation="nope"), "activation")):
        with pytest.raises(ValueError, match=word) as e:
            evornn.build("dense-entm", 3, 2, **opts)
        assert "\n" not in str(e.value)


def test_a_run_by_name_builds_it_with_its_own_activation():
    """The runner's make_network gives the problem's output activation only to architectures that
    take one: dense-entm's layer has its own (`activation`), so naming it in a config works."""
    prob = make_problem("copy", max_length=2, n_train=4, n_test=2, bits=2, start=True)
    net = evornn.make_network(prob, "dense-entm", memory_size=12, memory_width=3)
    assert net.spec["arch"] == "dense-entm" and "output_activation" not in net.spec
    assert evornn.make_network(prob, "elman", n_hidden=3).spec["output_activation"] == prob.output_activation
    with pytest.raises(ValueError, match="dense-entm: unknown option 'output_activation'"):
        evornn.make_network(prob, "dense-entm", output_activation="sigmoid")
