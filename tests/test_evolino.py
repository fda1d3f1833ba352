"""Evolino: the readout solved in closed form (problems/readout.py) against NumPy, and the evolino optimiser."""
import numba
import numpy as np
import pytest

import evornn
from evornn.nets import build
from evornn.nets.network import Network
from evornn.optim.evolino import Evolino
from evornn.problems import readout as R
from evornn.problems.registry import make_problem
from evornn.problems.supervised import supervised_problem


def _data_problem(n_out=1, washout=3, out_act="linear"):
    """Two short sequences of random inputs; targets a smooth function of them (2 outputs possible)."""
    rng = np.random.default_rng(5)
    pairs = []
    for T in (23, 17):
        x = rng.uniform(-1, 1, (T, 2))
        y = np.stack([np.tanh(np.cumsum(x[:, 0]) * 0.3 + x[:, 1] * k) for k in range(n_out)], axis=1)
        pairs.append((x, 0.9 * y if out_act != "linear" else y))
    return supervised_problem(pairs, washout=washout, output_activation=out_act)


def _numpy_readout(net, w, data, ridge):
    """The oracle: the core's states by the network's own run, then numpy.linalg.lstsq / the ridge
    normal equations (the bias unpenalised), the readout's inverse activation on the targets."""
    core = Network("core", net.layers[:-1], [""] * (len(net.layers) - 1))
    m = data.mask == 1
    S = core.run(w[:core.n_params], data.X, data.starts)[m]
    Z = np.hstack([S, np.ones((S.shape[0], 1))])
    D = R.targets(net, data)
    if ridge == 0:
        x = np.linalg.lstsq(Z, D, rcond=None)[0]
    else:
        pen = np.full(Z.shape[1], ridge)
        pen[-1] = 0.0
        x = np.linalg.solve(Z.T @ Z + np.diag(pen), Z.T @ D)
    return np.concatenate([x[:-1].T.reshape(-1), x[-1]])


@pytest.mark.parametrize("arch, opts", [("elman", {"activation": "tanh"}), ("lstm", {}),
                                        ("stacked", {"cell": "elman", "layers": [3, 4]})])
@pytest.mark.parametrize("ridge", [0.0, 1e-3])
def test_readout_equals_numpy_lstsq_and_ridge_for_every_individual(arch, opts, ridge):
    prob = _data_problem(n_out=2)
    net = build(arch, 2, 2, **({"n_hidden": 5} if arch != "stacked" else {}), **opts)
    W = net.init(np.random.default_rng(1), 11)         # 11 rows: a padded second block of lanes
    V = R.solve(net, W, prob.train, ridge)
    sl = R.readout_slice(net)
    assert np.array_equal(np.delete(V, np.r_[sl], axis=1), np.delete(W, np.r_[sl], axis=1))
    for p in range(W.shape[0]):
        np.testing.assert_allclose(V[p, sl], _numpy_readout(net, W[p], prob.train, ridge), rtol=1e-7, atol=1e-9)


def test_scalar_engine_and_tanh_readout_match_the_oracle_too():
    prob = _data_problem(out_act="tanh")
    net = build("elman", 2, 1, n_hidden=4, engine="scalar", output_activation="tanh")
    W = net.init(np.random.default_rng(2), 3)
    V = R.solve(net, W, prob.train, 0.0)
    for p in range(3):
        np.testing.assert_allclose(V[p, R.readout_slice(net)], _numpy_readout(net, W[p], prob.train, 0.0),
                                   rtol=1e-7, atol=1e-9)


def test_a_readout_does_not_depend_on_position_threads_or_the_readout_genes_given():
    prob = _data_problem()
    net = build("lstm", 2, 1, n_hidden=4)
    W = net.init(np.random.default_rng(3), 13)
    sl = R.readout_slice(net)
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = R.solve(net, W, prob.train)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = R.solve(net, W, prob.train)
    finally:
        numba.set_num_threads(old)
    assert np.array_equal(one, many)
    W2 = W[::-1].copy()
    W2[:, sl] = np.random.default_rng(4).normal(size=(13, sl.stop - sl.start))
    W2[0, sl.start] = np.nan
    assert np.array_equal(R.solve(net, W2, prob.train)[::-1], one)
    alone = R.solve(net, W[5:6], prob.train)
    assert np.array_equal(alone[0], one[5])


def test_evaluate_scores_the_solved_chromosomes_and_returns_them():
    prob = make_problem("sines", k=2, readout="ridge", ridge=1e-6)
    assert prob.params()["readout"] == "ridge" and make_problem("sines", **prob.params()).ridge == 1e-6
    net = build("elman", 1, 1, n_hidden=6, activation="tanh")
    W = net.init(np.random.default_rng(0), 5)
    W[2, 0] = np.nan
    res = prob.evaluate(net, W)
    V = res.chromosomes
    assert np.array_equal(res.fitness, prob.score(net, V, prob.train).fitness)
    assert res.fitness[2] == 0.0 and np.all(res.fitness[[0, 1, 3, 4]] > 0)
    assert np.array_equal(V, R.solve(net, W, prob.train, 1e-6), equal_nan=True)
    plain = make_problem("sines", k=2)
    assert plain.evaluate(net, W).chromosomes is None


def test_bad_readout_options_and_networks_are_one_line_errors():
    with pytest.raises(ValueError, match="readout must be one of evolved, ridge"):
        make_problem("sines", readout="svd")
    with pytest.raises(ValueError, match="ridge must be a finite number >= 0"):
        make_problem("sines", readout="ridge", ridge=-1.0)
    with pytest.raises(ValueError, match="options of the supervised sequence problems; pole-balance"):
        make_problem("pole-balance", readout="ridge")
    prob = make_problem("sines", readout="ridge")
    with pytest.raises(ValueError, match="needs a network with a dense readout layer; frnn"):
        prob.check_network(build("frnn", 1, 1, n_hidden=3))
    with pytest.raises(ValueError, match='evolino .* set readout = "ridge"'):
        evornn.make_runner("evolino", "sines", "elman", net={"n_hidden": 3})


def test_evolino_evolves_only_the_hidden_units():
    net = build("lstm", 1, 1, n_hidden=3)
    prob = make_problem("sines", readout="ridge")
    s = Evolino(net.n_params, Evolino.Config(population=8, trials=2), np.random.default_rng(0))
    s.setup(prob, net)
    sl = R.readout_slice(net)
    assert s.n_neuron_groups == 3 and not np.isin(np.arange(sl.start, sl.stop), np.concatenate(s.groups)).any()
    W = s.ask()
    assert W.shape == (16, net.n_params) and np.all(W[:, sl] == 0.0)
    s.tell(W, np.arange(16.0))
    # the top quarter of each subpopulation is kept, the rest are Cauchy-mutated copies of it
    assert s.pool.shape == (8, net.n_params)


@pytest.fixture(scope="module")
def sines_run():
    kw = dict(net={"n_hidden": 4, "activation": "tanh"}, problem_params={"k": 2, "readout": "ridge"},
              settings={"population": 8, "trials": 2}, stop={"max_generations": 3}, seed=2)
    return kw, evornn.make_runner("evolino", "sines", "elman", **kw).run()


def test_the_best_chromosome_holds_its_solved_readout_and_reproduces_its_score(sines_run):
    kw, res = sines_run
    prob = make_problem("sines", k=2, readout="ridge")
    net = build("elman", 1, 1, n_hidden=4, activation="tanh")
    w = res.best_chromosome
    assert np.array_equal(R.solve(net, w[None], prob.train)[0], w)
    assert prob.score(net, w, prob.train).fitness[0] == res.best_fitness


def test_evolino_runs_are_deterministic_across_threads(sines_run):
    kw, res = sines_run
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        again = evornn.make_runner("evolino", "sines", "elman", **kw).run()
    finally:
        numba.set_num_threads(old)
    assert np.array_equal(again.best_chromosome, res.best_chromosome)
    assert [r["best"] for r in again.history] == [r["best"] for r in res.history]


@pytest.mark.parametrize("opt", ["cosyne", "cmaes"])
def test_other_evolvers_use_the_solved_readout_too(opt):
    res = evornn.optimise(opt, "sines", "elman", net={"n_hidden": 3, "activation": "tanh"},
                          problem_params={"k": 2, "readout": "ridge"}, stop={"max_generations": 2}, seed=0)
    prob = make_problem("sines", k=2, readout="ridge")
    net = build("elman", 1, 1, n_hidden=3, activation="tanh")
    assert np.array_equal(R.solve(net, res.best_chromosome[None], prob.train)[0], res.best_chromosome)


@pytest.mark.parametrize("net, settings", [
    ({"n_hidden": 4, "activation": "linear"}, {"population": 4, "trials": 1}),
    ({"n_hidden": 10, "activation": "tanh"}, {"population": 20, "trials": 4, "init_range": 0.01, "mutation_scale": 0.01})])
def test_evolino_solves_two_superimposed_sines_with_a_fixed_seed(net, settings):
    """Generation after the washout, judged on the test range [1600, 2160) (NRMSE <= 0.05). A sum of
    k sines obeys a linear recurrence of order 2k, so a linear network of 2k units whose readout is
    solved generates it; a tanh network with small weights (near its linear regime) does too."""
    res = evornn.optimise("evolino", "sines", "elman", net=net, problem_params={"k": 2, "readout": "ridge"},
                          settings=settings, stop={"max_generations": 5}, seed=0)
    assert res.solved and res.solved_info["test_nrmse"] <= 0.05


def test_input_scale_scales_the_input_weights_initial_range_and_mutations():
    """input_scale (PyBrain's backprojectionFactor): the same draws, the input weights (W_in) times
    input_scale, at the start and after a generation's Cauchy copies (same fitness, same parents)."""
    net = build("lstm", 1, 1, n_hidden=3)
    prob = make_problem("sines", readout="ridge")
    pools = []
    for scale in (1.0, 1e-3):
        s = Evolino(net.n_params, Evolino.Config(population=8, trials=1, input_scale=scale), np.random.default_rng(4))
        s.setup(prob, net)
        W = s.ask()
        first = s.pool.copy()
        s.tell(W, np.arange(8.0))
        pools.append((first, s.pool.copy()))
    idx = Evolino.input_weights(net)
    assert idx.size == 4 * 3 and np.array_equal(idx, net.unflatten(np.arange(net.n_params, dtype=float))["W_in"].ravel())
    rest = np.setdiff1d(np.arange(net.n_params), idx)
    for a, b in zip(*pools):
        assert np.allclose(b[:, idx], 1e-3 * a[:, idx], rtol=1e-12, atol=0)
        assert np.array_equal(b[:, rest], a[:, rest])
    with pytest.raises(ValueError, match="evolino.input_scale must be > 0"):
        Evolino(net.n_params, Evolino.Config(input_scale=0.0), np.random.default_rng(0))


def test_evolino_lstm_generates_two_sines_with_pybrains_settings():
    """PyBrain's Evolino recipe (weights in +-0.01, the fed-back output scaled by 0.001): a 10-cell
    LSTM generates k = 2 on the test range within two generations."""
    settings = {"population": 8, "trials": 1, "init_range": 0.01, "mutation_scale": 0.001, "input_scale": 0.001}
    res = evornn.optimise("evolino", "sines", "lstm", net={"n_hidden": 10}, problem_params={"k": 2, "readout": "ridge"},
                          settings=settings, stop={"max_generations": 2}, seed=0)
    assert res.solved and res.solved_info["test_nrmse"] <= 0.05


def test_mackey_glass_free_fitness_scores_free_running_windows_and_solves_the_readout_on_one_step_data():
    prob = make_problem("mackey-glass", n_train=300, washout=20, horizon=10, train_runs=4, fitness="free", n_runs=2,
                        test_forced=50,
                        readout="ridge", ridge=1e-6)
    one = make_problem("mackey-glass", n_train=300, washout=20, horizon=10, n_runs=2, test_forced=50)
    tr, rd = prob.train, prob.readout_data
    assert np.array_equal(rd.X, one.train.X) and np.array_equal(rd.mask, one.train.mask)
    assert tr.n_sequences == 4 and np.all(np.diff(tr.starts) == 20 + 10 - 1)
    assert int(tr.mask.sum()) == 4 * 10 and np.array_equal(tr.free, tr.starts[:-1] + 20)
    # each window is the series itself: inputs s[a..], targets s[a+1..], inside the training part
    assert np.array_equal(tr.X[1:29, 0], tr.Y[:28, 0]) and tr.X[-1, 0] in rd.X[:, 0]
    net = build("elman", 1, 1, n_hidden=6, activation="tanh")
    W = net.init(np.random.default_rng(1), 3)
    res = prob.evaluate(net, W)
    assert np.array_equal(res.chromosomes, R.solve(net, W, rd, 1e-6))
    assert np.array_equal(res.fitness, prob.score(net, res.chromosomes, tr).fitness)
    from evornn.problems import registry as preg
    est = preg.estimate_data_bytes("mackey-glass", prob.params())     # the memory guard counts the windows
    assert est == pytest.approx(prob.data_bytes(), rel=0.01) and est > preg.estimate_data_bytes("mackey-glass", one.params())
    with pytest.raises(ValueError, match="fitness must be 'one-step' or 'free'"):
        make_problem("mackey-glass", fitness="both")
    with pytest.raises(ValueError, match="fitness 'free' needs"):
        make_problem("mackey-glass", fitness="free", n_train=50, washout=40)


def test_delta_init_evaluates_whole_networks_then_searches_around_the_best():
    """init = "delta": generation 1 is the initialiser's population networks whole; then every
    subpopulation is its unit in the best of them plus Cauchy noise of scale burst_scale (row 0
    kept): ESP's delta coding from the start, so generation 2's networks are all near that one."""
    net = build("elman", 1, 1, n_hidden=4, activation="tanh")
    prob = make_problem("sines", readout="ridge")
    init = lambda rng, n: net.init(rng, n)                       # noqa: E731
    s = Evolino(net.n_params, Evolino.Config(population=8, trials=2, init="delta", burst_scale=1e-3),
                np.random.default_rng(7), init)
    s.setup(prob, net)
    W = s.ask()
    g = np.concatenate(s.groups)
    assert W.shape == (8, net.n_params)
    assert np.array_equal(W[:, g], net.init(np.random.default_rng(7), 8)[:, g])
    s.tell(W, np.array([0.0, 1, 2, 5, 3, 4, 1, 0]))            # network 3 is the best
    d = s.pool[:, g] - W[3, g]
    assert np.all(d[0] == 0) and np.all(d[1:] != 0) and np.median(np.abs(d[1:])) < 1e-2
    W2 = s.ask()
    assert W2.shape == (16, net.n_params) and np.median(np.abs(W2[:, g] - W[3, g])) < 1e-2
    # "network" assembles networks from rows of unrelated ones from the start
    t = Evolino(net.n_params, Evolino.Config(population=8, trials=1, init="network"), np.random.default_rng(7), init)
    t.setup(prob, net)
    t.ask()
    assert np.abs(t.pool[1] - t.pool[0]).max() > 0.1
    with pytest.raises(ValueError, match="evolino.init must be 'uniform', 'network' or 'delta', got 'around'"):
        Evolino(net.n_params, Evolino.Config(init="around"), np.random.default_rng(0))
