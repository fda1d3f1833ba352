"""Gradient trainers: BPTT and RTRL gradients against central finite differences of the forward
kernels' loss, BPTT == RTRL, truncation, thread-count independence, training runs through the
runner, and the ESN ridge readout."""
import numba
import numpy as np
import pytest

import evornn
from evornn.grad import bptt, rtrl
from evornn.grad.esn_ridge import fit_readout
from evornn.grad.train import GradConfig, Trainer, clip
from evornn.nets import build
from evornn.problems.supervised import SequenceData, supervised_problem

CASES = [
    ("mlp", {"hidden": (4, 3)}),
    ("elman", {"n_hidden": 3}),
    ("elman", {"n_hidden": 3, "activation": "tanh", "bias": False, "output_activation": "sigmoid"}),
    ("frnn", {"n_hidden": 4}),
    ("jordan", {"n_hidden": 3, "output_activation": "tanh", "context_decay": 0.7}),
    ("lstm", {"n_hidden": 3}),
    ("lstm", {"n_hidden": 3, "peephole": True}),
    ("lstm", {"n_hidden": 3, "readout_inputs": True}),
    ("lstm", {"n_hidden": 2, "readout_inputs": True, "peephole": True, "output_activation": "sigmoid"}),
    ("lstm", {"n_hidden": 3, "cell_input": "sigmoid2", "cell_output": "sigmoid1"}),
    ("lstm", {"n_hidden": 3, "peephole": True, "cell_input": "identity", "cell_output": "identity"}),
    ("lstm", {"n_hidden": 2, "readout_inputs": True, "peephole": True, "cell_input": "sigmoid2",
              "cell_output": "identity"}),
    ("lstm", {"n_hidden": 3, "peephole": True, "cell_input": "identity", "cell_output": "sigmoid1"}),
    ("lstm", {"n_hidden": 2, "cell_input": "sigmoid1", "cell_output": "sigmoid2"}),
    ("gru", {"n_hidden": 3}),
    ("indrnn", {"n_hidden": 3}),
    ("indrnn", {"n_hidden": 3, "activation": "tanh"}),
]


def random_data(rng, n_in=2, n_out=2, lens=(5, 7, 4)) -> SequenceData:
    xs = [rng.normal(size=(T, n_in)) for T in lens]
    ys = [rng.normal(size=(T, n_out)) for T in lens]
    for y in ys:
        y[0] = np.nan                      # an unscored step in every sequence
    return SequenceData.from_sequences(xs, ys)


def forward_mse(net, w, d) -> float:
    """The loss from the network's own forward kernel (the runner's evaluation path)."""
    out = net.run(w, d.X, d.starts)
    m = d.mask.astype(bool)
    return float(((out[m] - d.Y[m]) ** 2).sum() / (m.sum() * d.Y.shape[1]))


def setup(arch, opts, seed=1):
    rng = np.random.default_rng(seed)
    net = build(arch, 2, 2, **opts)
    w = net.init(rng) + rng.normal(scale=0.3, size=net.n_params)
    return net, w, random_data(rng)


@pytest.mark.parametrize("arch,opts", CASES, ids=[f"{a}-{i}" for i, (a, _) in enumerate(CASES)])
def test_bptt_equals_finite_differences(arch, opts):
    net, w, d = setup(arch, opts)
    loss, g = bptt.gradient(net, w, d)
    assert loss == pytest.approx(forward_mse(net, w, d), rel=1e-12)
    fd, eps = np.empty_like(w), 1e-6
    for i in range(w.size):
        e = np.zeros_like(w)
        e[i] = eps
        fd[i] = (forward_mse(net, w + e, d) - forward_mse(net, w - e, d)) / (2 * eps)
    assert np.linalg.norm(fd) > 1e-3
    assert np.linalg.norm(g - fd) / np.linalg.norm(fd) <= 1e-6


@pytest.mark.parametrize("arch,opts", [c for c in CASES if c[0] in ("elman", "frnn")])
def test_rtrl_equals_bptt_and_finite_differences(arch, opts):
    net, w, d = setup(arch, opts, seed=2)
    l1, g1 = bptt.gradient(net, w, d)
    l2, g2 = rtrl.gradient(net, w, d)
    assert l2 == pytest.approx(l1, rel=1e-12)
    np.testing.assert_allclose(g2, g1, rtol=1e-10, atol=1e-13)
    seqs = np.array([2, 0])
    np.testing.assert_allclose(rtrl.gradient(net, w, d, seqs)[1], bptt.gradient(net, w, d, seqs)[1],
                               rtol=1e-10, atol=1e-13)


def test_truncated_bptt():
    net, w, d = setup("lstm", {"n_hidden": 3})
    full = bptt.gradient(net, w, d)[1]
    for k in (7, 8, 100):                   # the longest sequence has 7 steps
        assert np.array_equal(bptt.gradient(net, w, d, truncation=k)[1], full)
    short = bptt.gradient(net, w, d, truncation=2)[1]
    assert not np.allclose(short, full)
    # with k = 1 no error crosses a step: the recurrent weights see only h_{t-1} as a constant input,
    # so the gradient equals that of one-step sequences started from the stored states; the
    # readout gradient (which never crosses steps) is unchanged
    net2, w2, d2 = setup("elman", {"n_hidden": 3})
    g1 = bptt.gradient(net2, w2, d2, truncation=1)[1]
    gf = bptt.gradient(net2, w2, d2)[1]
    out = net2.layout["out.W"][0]
    np.testing.assert_allclose(g1[out:], gf[out:], rtol=1e-13)
    assert not np.allclose(g1[:out], gf[:out])


def test_one_thread_equals_all_threads():
    rng = np.random.default_rng(3)
    net = build("gru", 2, 1, n_hidden=4)
    d = random_data(rng, 2, 1, lens=tuple(rng.integers(3, 9, 37)))
    w = net.init(rng)
    n = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = bptt.gradient(net, w, d)
    finally:
        numba.set_num_threads(n)
    many = bptt.gradient(net, w, d)
    assert one[0] == many[0] and np.array_equal(one[1], many[1])


def test_unsupported_architectures_are_refused():
    net = build("ctrnn", 2, 1)
    with pytest.raises(ValueError, match="bptt does not support architecture 'ctrnn'; supported: mlp"):
        bptt.gradient(net, np.zeros(net.n_params), random_data(np.random.default_rng(0), 2, 1))
    lstm = build("lstm", 2, 1)
    with pytest.raises(ValueError, match="rtrl does not support architecture 'lstm'; supported: elman, frnn"):
        rtrl.gradient(lstm, np.zeros(lstm.n_params), random_data(np.random.default_rng(0), 2, 1))


def test_lstm_readout_inputs_bptt_and_dekf_only():
    """The lstm option readout_inputs: bptt trains it (finite differences above), DEKF too
    (tests/test_dekf.py); another method and export refuse it in one line."""
    from evornn.export import json_format
    from evornn.grad import dekf
    net, w, d = setup("lstm", {"n_hidden": 2, "readout_inputs": True})
    bptt.check_supported(net, "dekf", dekf.SUPPORTED)
    with pytest.raises(ValueError, match="other does not support the lstm option readout_inputs"):
        bptt.check_supported(net, "other", dekf.SUPPORTED)
    with pytest.raises(ValueError, match="export: lstm networks with readout_inputs cannot be exported"):
        json_format.to_dict(net, w)


def test_trainer_steps():
    g = np.array([3.0, 4.0])
    np.testing.assert_allclose(clip(g, 1.0), [0.6, 0.8])
    assert clip(g, 0.0) is g
    sgd = Trainer(GradConfig(optimizer="sgd", learning_rate=0.1, momentum=0.5, clip_norm=0.0), 2)
    w = sgd.step(np.zeros(2), g)
    np.testing.assert_allclose(w, [-0.3, -0.4])
    np.testing.assert_allclose(sgd.step(w, g), [-0.75, -1.0])          # v = 0.5 v - 0.1 g
    adam = Trainer(GradConfig(learning_rate=0.1, clip_norm=0.0), 2)
    np.testing.assert_allclose(adam.step(np.zeros(2), g), [-0.1, -0.1], rtol=1e-6)   # first Adam step: lr * sign


def test_bptt_lowers_sine_prediction_error():
    runner = evornn.make_runner("bptt", "sines", "elman", net={"n_hidden": 8, "activation": "tanh"},
                                problem_params={"free_run_train": False},
                                settings={"learning_rate": 0.01}, stop={"max_generations": 40}, seed=0)
    res = runner.run()
    mses = [row["best_mse"] for row in res.history]
    assert mses[-1] < 0.2 * mses[0]
    assert res.progress.evaluations == 40           # one training sequence presented per epoch


def test_bptt_solves_adding_problem():
    res = evornn.optimise("bptt", "adding", "lstm", net={"n_hidden": 6},
                          problem_params={"length": 8, "n_train": 100, "n_test": 100},
                          settings={"batch_size": 10, "learning_rate": 0.03}, stop={"max_generations": 150}, seed=0)
    assert res.solved, res.stop_reason
    assert res.progress.evaluations == 100 * res.progress.generation


def test_rtrl_strategy_learns_and_counts_presentations():
    res = evornn.optimise("rtrl", "adding", "elman", net={"n_hidden": 3},
                          problem_params={"length": 6, "n_train": 30}, settings={"learning_rate": 0.05},
                          stop={"max_generations": 8}, seed=0)
    mses = [row["best_mse"] for row in res.history]
    assert mses[-1] < mses[0]
    assert [row["evaluations"] for row in res.history] == [30 * (g + 1) for g in range(8)]


def test_gradient_strategy_checkpoint_roundtrip():
    r1 = evornn.make_runner("bptt", "adding", "elman", problem_params={"length": 6, "n_train": 20},
                            stop={"max_generations": 4}, seed=5)
    r1.step()
    r1.step()
    arrays, meta = r1.get_state()
    r2 = evornn.make_runner("bptt", "adding", "elman", problem_params={"length": 6, "n_train": 20},
                            stop={"max_generations": 4}, seed=5)
    r2.set_state(arrays, meta)
    a, b = r1.run(), r2.run()
    assert np.array_equal(a.best_chromosome, b.best_chromosome)
    assert a.history[-1]["best_mse"] == b.history[-1]["best_mse"]


def test_esn_ridge_fits_a_linear_target():
    rng = np.random.default_rng(4)
    pairs = []
    for _ in range(3):
        u = rng.uniform(-1, 1, (40, 2))
        pairs.append((u, 2.0 * u[:, :1] - u[:, 1:] + 0.5))
    problem = supervised_problem(pairs, tolerance=1e-4)
    res = evornn.optimise("esn-ridge", problem, "esn", net={"n_hidden": 20}, settings={"ridge": 1e-10},
                          stop={"max_generations": 1})
    assert res.best_metrics["mse"] < 1e-12 and res.solved
    assert res.progress.evaluations == 3
    net = build("esn", 2, 1, n_hidden=20)
    with pytest.raises(ValueError, match="does not support architecture 'elman'; supported: esn"):
        fit_readout(build("elman", 2, 1), problem.train)
    w = fit_readout(net, problem.train, 1e-10)
    np.testing.assert_allclose(net.unflatten(w)["out.W"][0, :2], [2.0, -1.0], atol=1e-6)
