"""The modern continuous Hopfield network (Ramsauer et al. 2020): the kernels against a NumPy oracle
of xi <- X softmax(beta X^T xi) written here, its energy, retrieval beyond the classical capacity,
determinism across threads, the ``modern`` storage rule and every optimiser on hopfield-recall."""
import math

import numba
import numpy as np
import pytest

import evornn
from engines import ENGINES, error, tol
from evornn.nets import associative as A
from evornn.optim import registry as optims
from evornn.problems.registry import make_problem

# Networks the oracle test runs (tests/test_engine.py counts them): name -> (n_inputs, n_outputs, options)
CASES = {
    "one-step": (7, 7, {"memories": 5}),
    "iterated": (6, 4, {"memories": 9, "iterations": 4, "beta": 0.7}),
    "sharp": (5, 3, {"memories": 3, "iterations": 3, "beta": 40.0}),    # logits of hundreds: a naive exp overflows
}


def oracle(X: np.ndarray, beta: float, xi: np.ndarray, iterations: int) -> np.ndarray:
    """The paper's update, X (N x M) = our rows transposed: xi <- X softmax(beta X^T xi)."""
    Xp = X.T                                        # the paper's X: one stored pattern per column
    xi = np.array(xi, dtype=np.float64)
    for _ in range(iterations):
        a = beta * (Xp.T @ xi)
        e = np.exp(a - a.max())
        xi = Xp @ (e / e.sum())
    return xi


@pytest.mark.parametrize("case", sorted(CASES))
def test_kernels_equal_the_numpy_oracle(case, engine, rng):
    n_in, n_out, opts = CASES[case]
    net = evornn.build("modern-hopfield", n_in, n_out, **opts, **ENGINES[engine])
    beta = opts.get("beta", 1.0 / math.sqrt(n_in))
    assert net.layers[0].options["beta"] == beta
    W = rng.normal(0.0, 1.0, (11, net.n_params))             # 11 rows: a full block of 8 and a padded one
    X = rng.normal(0.0, 1.0, (13, n_in))
    starts = np.array([0, 1, 6, 13])
    Y = net.run_population(W, X, starts)
    assert np.all(np.isfinite(Y))
    for p in range(len(W)):
        want = np.array([oracle(net.unflatten(W[p])["X"], beta, x, opts.get("iterations", 1))[:n_out] for x in X])
        assert error(Y[p], want, engine) <= tol(engine, 1e-12), (p, case)


def test_beta_limits_average_or_pick_the_nearest_pattern(rng):
    """beta -> 0: the global fixed point, the mean of the stored patterns; beta large: the stored
    pattern of largest overlap with the query (the paper's fixed-point types)."""
    X = rng.normal(0.0, 1.0, (6, 8))
    q = rng.normal(0.0, 1.0, (5, 8))
    for beta, want in ((1e-12, np.repeat(X.mean(axis=0)[None], 5, axis=0)), (1e4, X[np.argmax(q @ X.T, axis=1)])):
        net = evornn.build("modern-hopfield", 8, 8, memories=6, beta=beta)
        assert np.allclose(net.run(net.flatten({"X": X}), q, np.arange(6)), want, atol=1e-9)


def test_energy_never_increases_along_the_iterations(rng):
    """E(xi) = -lse(beta, X^T xi) + xi^T xi / 2 (the paper's eq. 3 up to constants) after 0, 1, 2, ... updates."""
    N, M, beta = 10, 12, 0.4
    X = rng.normal(0.0, 1.0, (M, N))
    q = rng.normal(0.0, 2.0, (6, N))

    def energy(xi):
        a = beta * (xi @ X.T)
        mx = a.max(axis=1, keepdims=True)
        return -(mx[:, 0] + np.log(np.exp(a - mx).sum(axis=1))) / beta + 0.5 * (xi ** 2).sum(axis=1)

    E = [energy(q)]
    for it in range(1, 6):
        net = evornn.build("modern-hopfield", N, N, memories=M, beta=beta, iterations=it)
        E.append(energy(net.run(net.flatten({"X": X}), q, np.arange(7))))
    assert np.all(np.diff(np.array(E), axis=0) <= 1e-12)


def test_stored_patterns_are_retrieved_where_hebbian_storage_fails():
    # N = 64, P = 32 (P/N = 0.5, well past the Hebbian 0.138 N); probes with 10% of the bits flipped
    prob = make_problem("hopfield-recall", n_units=64, patterns=32, probes=1, test_probes=3, seed=4)
    net = evornn.build("modern-hopfield", 64, 64, memories=32)
    w = A.modern(net, prob.patterns)
    assert np.array_equal(net.unflatten(w)["X"], prob.patterns)
    row = prob.evaluate(net, w[None], None).metrics[0]
    assert list(row) == [1.0, 1.0, 1.0, 1.0]                  # bits, exact, overlap, fixed
    check = prob.check_solved(net, w, row, 0)
    assert check.solved and check.info["test_exact"] == 1.0
    hop = evornn.build("hopfield", 64, 64)
    hebb = prob.evaluate(hop, A.hebbian(hop, prob.patterns)[None], None).metrics[0]
    assert hebb[1] < 0.2 and hebb[3] == 0.0                   # few probes recalled, not every pattern stable


def test_population_is_bit_identical_across_thread_counts(rng):
    prob = make_problem("hopfield-recall", n_units=32, patterns=10, probes=2)
    net = evornn.build("modern-hopfield", 32, 32, memories=10, iterations=2)
    W = A.modern(net, prob.patterns)[None] + rng.normal(0.0, 0.5, (19, net.n_params))
    X = np.vstack([prob.probes, prob.patterns])
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        Y1 = net.run_population(W, X, np.arange(len(X) + 1))
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        Yn = net.run_population(W, X, np.arange(len(X) + 1))
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(Y1, Yn) and np.all(np.isfinite(Y1))
    assert np.array_equal(net.run(W[7], X, np.arange(len(X) + 1)), Y1[7])


SMALL = dict(n_units=16, patterns=3, probes=2, test_probes=3)


def test_storage_rule_modern_stores_the_patterns_and_ends_the_run():
    prob = make_problem("hopfield-recall", **SMALL)
    r = evornn.optimise("storage-rule", prob, arch="modern-hopfield", net={"memories": 3},
                        settings={"rule": "modern"}, stop={"max_generations": 50}, seed=0)
    assert np.array_equal(r.best_chromosome, prob.patterns.ravel())
    assert r.progress.generation == 1 and r.best_fitness == 1.0 and r.best_metrics["fixed"] == 1.0


def test_the_modern_rule_refuses_what_it_cannot_store():
    with pytest.raises(ValueError, match="set memories = 3"):
        evornn.optimise("storage-rule", "hopfield-recall", arch="modern-hopfield", problem_params=SMALL,
                        settings={"rule": "modern"})
    with pytest.raises(ValueError, match="is for modern-hopfield networks, got 'hopfield'"):
        evornn.optimise("storage-rule", "hopfield-recall", problem_params=SMALL, settings={"rule": "modern"})
    with pytest.raises(ValueError, match="stores its patterns by rule 'modern'"):
        evornn.optimise("storage-rule", "hopfield-recall", arch="modern-hopfield", net={"memories": 3},
                        problem_params=SMALL, settings={"rule": "storkey"})
    with pytest.raises(ValueError, match="for hopfield and hopfield-continuous"):
        A.hebbian(evornn.build("modern-hopfield", 4, 4), np.ones((2, 4)))


def test_options_are_checked_in_one_line():
    for opts, n_out, word in (({"memories": 0}, 4, "memories must be an integer >= 1"),
                              ({"beta": 0.0}, 4, "beta must be a finite number in \\(0"),
                              ({"beta": float("inf")}, 4, "beta"), ({"iterations": 0}, 4, "iterations"),
                              ({}, 5, "n_outputs must be in \\[1, n_inputs = 4\\]"),
                              ({"output_activation": "tanh"}, 4, "output_activation must be 'linear'")):
        with pytest.raises(ValueError, match=word) as e:
            evornn.build("modern-hopfield", 4, n_out, **opts)
        assert "\n" not in str(e.value)


# NEAT evolves its own networks (neat-net), whatever the problem's default.
EVOLVERS = [o for o in optims.available() if not optims.get_strategy(o).needs and o != "neat"]


@pytest.mark.parametrize("opt", EVOLVERS)
def test_every_optimiser_evolves_the_memories_on_hopfield_recall(opt):
    kw = dict(problem_params=SMALL, net={"memories": 3}, stop={"max_evaluations": 200}, seed=3)
    r = evornn.optimise(opt, "hopfield-recall", "modern-hopfield", **kw)
    assert r.best_chromosome.shape == (3 * 16,) and 0.0 < r.best_fitness <= 1.0
    if opt == "ga":
        again = evornn.optimise(opt, "hopfield-recall", "modern-hopfield", **kw)
        assert np.array_equal(again.best_chromosome, r.best_chromosome)
