"""The neural history compressor (Schmidhuber 1992): kernels against a NumPy loop written from its
equations for several level-1 cores, level 2 stepping exactly at the surprises, option errors,
and the level-by-level trainer (:mod:`evornn.optim.levels`)."""
import numpy as np
import pytest

import evornn
from evornn.nets.cells.history_compressor import level2_steps


def _sig(a):
    return 1 / (1 + np.exp(-a))


def _core_step(cell, p, x, state):
    """One step of level 1 (``level1.`` blocks) from the cells' equations; returns (h, new state)."""
    W, U, b = p["level1.W_in"], p["level1.W_rec"], p["level1.b"]
    if cell == "elman":                          # h = tanh(W x + U h + b) (tanh: the compressor's default)
        h = np.tanh(W @ x + U @ state + b)
        return h, h
    if cell == "lstm":                           # gate order i, f, g, o; no peepholes
        h, c = state
        i, f = _sig(W[0] @ x + U[0] @ h + b[0]), _sig(W[1] @ x + U[1] @ h + b[1])
        g = np.tanh(W[2] @ x + U[2] @ h + b[2])
        c = f * c + i * g
        h = _sig(W[3] @ x + U[3] @ h + b[3]) * np.tanh(c)
        return h, (h, c)
    if cell == "gru":                            # gate order r, z, n
        h = state
        r, z = _sig(W[0] @ x + U[0] @ h + b[0]), _sig(W[1] @ x + U[1] @ h + b[1])
        n = np.tanh(W[2] @ x + U[2] @ (r * h) + b[2])
        h = (1 - z) * n + z * h
        return h, h
    raise AssertionError(cell)


def compressor_numpy(p, X, n_out, thr, ts, cell="elman", readout_level2=False):
    """The compressor from its equations; returns outputs and the steps at which level 2 stepped."""
    H1, H2 = p["level1.W_rec"].shape[-1], p["level2.W_rec"].shape[0]
    state = (np.zeros(H1), np.zeros(H1)) if cell == "lstm" else np.zeros(H1)
    h2, y = np.zeros(H2), np.zeros(n_out)
    ys, stepped = [], []
    for t, x in enumerate(X):
        if np.max(np.abs(y - x[:n_out])) > thr:
            h2 = np.tanh(p["level2.W_in"] @ np.append(x, ts * t) + p["level2.W_rec"] @ h2 + p["level2.b"])
            stepped.append(t)
        h1, state = _core_step(cell, p, np.concatenate([x, h2]), state)
        y = _sig(p["out.W"] @ (np.concatenate([h1, h2]) if readout_level2 else h1) + p["out.b"])
        ys.append(y)
    return np.array(ys), stepped


@pytest.mark.parametrize("cell,readout_level2,dtype", [("elman", False, "float64"), ("elman", False, "float32"),
                                                       ("lstm", True, "float64"), ("gru", True, "float32")])
def test_history_compressor_equals_numpy_in_both_engines(cell, readout_level2, dtype):
    kw = dict(n_hidden=5, n_hidden2=2, threshold=0.6, time_scale=0.1, level1=cell, readout_level2=readout_level2)
    net = evornn.build("history-compressor", 4, 3, dtype=dtype, **kw)
    rng = np.random.default_rng(5)
    W = rng.normal(0, 1, (11, net.n_params))
    X = np.eye(4)[rng.integers(0, 4, 30)]
    Y = net.run_population(W, X, np.array([0, 12, 30]))
    steps_seen = 0
    for q in range(11):
        p = net.unflatten(W[q])
        counted = level2_steps(net, W[q], X, np.array([0, 12, 30]))
        for s, (a, b) in enumerate(((0, 12), (12, 30))):
            want, stepped = compressor_numpy(p, X[a:b], 3, 0.6, 0.1, cell, readout_level2)
            steps_seen += len(stepped)
            assert counted[s] == len(stepped)
            np.testing.assert_allclose(Y[q, a:b], want, atol=1e-12 if dtype == "float64" else 2e-5)
    assert 22 < steps_seen < 11 * 30               # level 2 skipped some steps and took others
    if dtype == "float64":
        scalar = evornn.build("history-compressor", 4, 3, engine="scalar", **kw)
        np.testing.assert_allclose(scalar.run(W[3], X[:12]), Y[3, :12], atol=1e-13)


def test_history_compressor_level_2_steps_exactly_at_the_surprises():
    """Hand-built: level 1 always predicts symbol 0 (output 0 high, others low), so it is surprised
    by every other symbol and at t = 0 (y_{-1} = 0); level 2 stores tanh(time stamp) of the last
    surprise; the state of the level-2 layer shows when it stepped."""
    net = evornn.build("history-compressor", 4, 4, n_hidden=2, n_hidden2=1, threshold=0.25, time_scale=0.1,
                       readout_level2=True)
    p = net.unflatten(np.zeros(net.n_params))
    p["out.b"][:] = [6.0, -6.0, -6.0, -6.0]             # y = (0.998, 0.002, ...): "the next symbol is 0"
    p["level2.W_in"][0, 4] = 1.0                        # h2 = tanh(0.1 t) at a surprise
    w = net.flatten(p)
    symbols = [0, 0, 3, 0, 0, 0, 2, 1, 0, 0]
    X = np.eye(4)[symbols]
    surprises = [0, 2, 6, 7]
    _, stepped = compressor_numpy(p, X, 4, 0.25, 0.1, readout_level2=True)
    assert stepped == surprises
    from evornn.nets.kernels import net_step
    from evornn.nets.layer import SOFF, YOFF
    ws = np.zeros(net.ws_len)
    s0, join = int(net.L[0, SOFF]), int(net.L[2, YOFF])
    h2, n2, joined = [], [], []
    for x in X:
        ws[:4] = x
        net_step(net.L, net.ix, net.fx, w, ws)
        h2.append(ws[s0])
        n2.append(ws[s0 + 2])
        joined.append(ws[join + 2])                     # [h1 (2 units); h2] for the readout
    last = [max(t for t in surprises if t <= k) for k in range(len(symbols))]
    np.testing.assert_allclose(h2, np.tanh(0.1 * np.array(last)), atol=1e-15)
    np.testing.assert_array_equal(joined, h2)
    assert n2 == [sum(t <= k for t in surprises) for k in range(len(symbols))]
    assert level2_steps(net, w, np.vstack([X, X[:3]]), np.array([0, 10, 13])).tolist() == [4, 2]
    with pytest.raises(ValueError, match="history-compressor"):
        level2_steps(evornn.build("elman", 4, 4), np.zeros(evornn.build("elman", 4, 4).n_params), X)


def test_history_compressor_bad_options_are_one_line_errors():
    for kw, word in (({"threshold": 0.0}, "threshold"), ({"n_hidden2": 0}, "n_hidden2"),
                     ({"time_scale": -1.0}, "time_scale"), ({"level1": "jordan"}, "level1"),
                     ({"level1": "nope"}, "level1"), ({"readout_level2": 1}, "readout_level2")):
        with pytest.raises(ValueError, match=word):
            evornn.build("history-compressor", 3, 3, **kw)
    with pytest.raises(ValueError, match="n_outputs"):
        evornn.build("history-compressor", 2, 3)


# -- level by level (evornn.optim.levels) ------------------------------------------------------------
@pytest.mark.parametrize("cell", ["elman", "lstm"])
def test_level_1_alone_is_the_plain_core_network_and_the_gene_masks_split_it(cell):
    from evornn.optim.levels import level1_network, level2_genes
    net = evornn.build("history-compressor", 4, 3, n_hidden=5, n_hidden2=2, level1=cell, readout_level2=True)
    plain, idx = level1_network(net)
    everything, trained = level2_genes(net), level2_genes(net, "trained")
    assert sorted(idx.tolist()) == np.flatnonzero(~everything).tolist()
    assert np.all(everything[trained]) and not trained[net.layout["level1.W_in"][0]:net.layout["level1.b"][0]].any()
    n_h2 = (2 * (4 + 1) + 2 * 2 + 2) + 3 * 2 + (4 if cell == "lstm" else 1) * 5 * 2   # level 2, readout, core
    assert everything.sum() == n_h2 and trained.sum() == n_h2 - (4 if cell == "lstm" else 1) * 5 * 2
    rng = np.random.default_rng(2)
    w1 = rng.normal(0, 1, plain.n_params)
    w = rng.normal(0, 1, net.n_params)
    w[everything] = 0.0                     # no level 2: h2 = tanh(0) = 0
    w[idx] = w1
    X = np.eye(4)[rng.integers(0, 4, 25)]
    np.testing.assert_allclose(net.run(w, X), plain.run(w1, X), atol=1e-12)


def test_levels_trains_level_1_first_then_only_level_2_and_counts_sequences():
    from evornn.api import make_runner
    from evornn.evaluators import LocalEvaluator
    from evornn.optim.levels import level2_genes
    asked = []

    def evaluator(problem, net, pop, seeds):
        asked.append((r.strategy.stage, pop.copy()))
        return LocalEvaluator()(problem, net, pop, seeds)

    p = 6
    r = make_runner("levels", "two-sequence-lag", "history-compressor", seed=1, problem_params={"p": p, "variant": "a"},
                    net={"n_hidden": 16, "n_hidden2": 1, "output_activation": "linear", "readout_level2": True},
                    settings={"level1_learnt": (p - 1) / p, "level1_budget": 400, "level1_extra": 4,
                              "level1_settings": {"learning_rate": 0.01, "batch_size": 1},
                              "level2_settings": {"population": 8, "mutation_rate": 0.1}},
                    stop={"max_evaluations": 500}, evaluator=evaluator)
    mask, s = level2_genes(r.net), r.strategy
    counts = []
    while not r.reasons():
        before = r.progress.evaluations
        r.step()
        counts.append(r.progress.evaluations - before)
    stages = [st for st, _ in asked]
    n1 = stages.count(1)
    assert 1 <= n1 < len(stages) and stages == [1] * n1 + [2] * (len(stages) - n1)
    assert all(np.all(pop[:, mask] == 0.0) for st, pop in asked if st == 1)           # level 1 alone
    assert all(np.all(pop[:, ~mask] == s.base[~mask]) for st, pop in asked if st == 2)   # level 1 frozen
    assert not np.all(s.base == 0.0) and np.all(s.base[mask] == 0.0)
    assert counts[:n1] == [2] * n1                                  # an epoch: the two sequences of 2a
    assert all(c == 2 * pop.shape[0] for c, (_, pop) in zip(counts[n1:], asked[n1:]))
    assert s.info()["level1_learnt"] == (p - 1) / p
    with pytest.raises(ValueError, match="level2"):
        make_runner("levels", "two-sequence-lag", "history-compressor", problem_params={"p": 6},
                    settings={"level2": "bptt"})


@pytest.mark.parametrize("plateau", [0, 3])
def test_levels_level1_plateau_ends_stage_1_when_the_training_mse_stops_falling(plateau):
    """2b trained on every next symbol: the random middle keeps level 1's ``learnt`` far from 1, so
    without ``level1_plateau`` stage 1 runs to ``level1_budget``; with it, stage 1 ends at the
    first generation that makes ``plateau`` in a row whose MSE did not fall below (1 - tol) times
    the lowest before (the rule written out here from the generations' own MSEs)."""
    from evornn.api import make_runner
    from evornn.evaluators import LocalEvaluator
    asked = []

    def evaluator(problem, net, pop, seeds):
        asked.append((r.strategy.stage, pop.copy()))
        return LocalEvaluator()(problem, net, pop, seeds)

    tol, budget = 0.05, 20 * 40
    r = make_runner("levels", "two-sequence-lag", "history-compressor", seed=2, evaluator=evaluator,
                    problem_params={"p": 6, "variant": "b", "n_train": 20, "n_test": 10, "train_targets": "all"},
                    net={"n_hidden": 8, "n_hidden2": 1, "output_activation": "linear", "readout_level2": True},
                    settings={"level1_learnt": 1.0, "level1_budget": budget, "level1_plateau": plateau,
                              "level1_plateau_tol": tol, "level1_settings": {"learning_rate": 0.01, "batch_size": 1},
                              "level2_settings": {"population": 8}},
                    stop={"max_evaluations": budget + 200})
    while r.strategy.stage == 1:
        r.step()
    mses = [float(r.problem.evaluate(r.net, pop).metrics[0, 0]) for st, pop in asked if st == 1]
    expected, best, stale = len(mses), np.inf, 0
    for g, m in enumerate(mses):
        stale = 0 if m < best * (1 - tol) else stale + 1
        best = min(best, m)
        if plateau and stale >= plateau:
            expected = g + 1
            break
    assert len(mses) == expected and r.strategy.info()["level1_sequences"] == 20 * expected
    if plateau:
        assert plateau < expected < budget // 20 and mses[-1] < mses[0]      # it learnt, then stalled
    else:
        assert expected == budget // 20
    with pytest.raises(ValueError, match="level1_plateau"):
        make_runner("levels", "two-sequence-lag", "history-compressor", problem_params={"p": 6},
                    settings={"level1_plateau": -1})
