"""The decoupled extended Kalman filter (evornn/grad/dekf.py) against a dense extended Kalman
filter written here from Puskorius & Feldkamp (1994) / Haykin (2001, ch. 2), with Jacobians by
central finite differences of the network's forward kernel: one group (the global EKF) and the
neuron decoupling (the same filter with a block-diagonal covariance); and DEKF training a toy task."""
import numpy as np
import pytest

import evornn
from evornn.grad import dekf
from evornn.problems.supervised import SequenceData, supervised_problem

NOISE = dict(measurement_noise=50.0, measurement_noise_end=2.0, process_noise=1e-2, process_noise_end=1e-5,
             anneal=3.0)


def last_step_data(rng, n_seq, n_in, n_out, T=5):
    """Sequences scored only at their last step: the weights are fixed within the steps a
    Jacobian spans, so the RTRL Jacobian is the exact derivative the finite differences give."""
    xs = [rng.uniform(-1, 1, (T, n_in)) for _ in range(n_seq)]
    ys = []
    for x in xs:
        y = np.full((T, n_out), np.nan)
        y[-1] = np.tanh(x.sum(0))[:n_out] * 0.8
        ys.append(y)
    return SequenceData.from_sequences(xs, ys)


def jacobian(net, w, X, eps=1e-6):
    J = np.empty((net.n_outputs, w.size))
    for c in range(w.size):
        wp, wm = w.copy(), w.copy()
        wp[c] += eps
        wm[c] -= eps
        J[:, c] = (net.run(wp, X)[-1] - net.run(wm, X)[-1]) / (2 * eps)
    return J


def ekf_oracle(net, w, data, gs, p0, measurement_noise, measurement_noise_end, process_noise, process_noise_end,
               anneal, jac=jacobian, schedule="exponential"):
    """The Kalman update per scored (last) step, written densely: P block-diagonal over groups gs."""
    w = w.copy()
    n = w.size
    P = np.zeros((n, n))
    for g in gs:
        P[np.ix_(g, g)] = p0 * np.eye(g.size)
    for k in range(data.n_sequences):
        X, d = data.X[data.starts[k]:data.starts[k + 1]], data.Y[data.starts[k + 1] - 1]
        Ht = jac(net, w, X).T                                  # (n, n_out)
        xi = d - net.run(w, X)[-1]
        d = max(0.0, 1.0 - k / anneal) if schedule == "linear" else np.exp(-k / anneal)
        r = measurement_noise_end + (measurement_noise - measurement_noise_end) * d
        q = process_noise_end + (process_noise - process_noise_end) * d
        A = np.linalg.inv(r * np.eye(net.n_outputs) + sum(Ht[g].T @ P[np.ix_(g, g)] @ Ht[g] for g in gs))
        w_new, P_new = w.copy(), P.copy()
        for g in gs:
            K = P[np.ix_(g, g)] @ Ht[g] @ A
            w_new[g] += K @ xi
            P_new[np.ix_(g, g)] = P[np.ix_(g, g)] - K @ Ht[g].T @ P[np.ix_(g, g)] + q * np.eye(g.size)
        w, P = w_new, P_new
    return w, P


@pytest.mark.parametrize("arch, opts, decoupling", [
    ("elman", dict(n_hidden=3, output_activation="tanh"), "global"),
    ("elman", dict(n_hidden=3), "neuron"),
    ("frnn", dict(n_hidden=3, activation="tanh"), "block"),
    ("lstm", dict(n_hidden=2, output_activation="sigmoid"), "neuron"),
    ("lstm", dict(n_hidden=2, peephole=True), "global"),
    # readout_inputs: the readout reads [h; x] (the papers' input-to-output shortcuts)
    ("lstm", dict(n_hidden=2, peephole=True, readout_inputs=True, output_activation="sigmoid"), "global"),
    ("lstm", dict(n_hidden=2, readout_inputs=True), "neuron"),
    # the squashing options of Gers et al.'s LSTM papers (cell input G, cell output Hs)
    ("lstm", dict(n_hidden=2, peephole=True, readout_inputs=True, cell_input="sigmoid2", cell_output="sigmoid1",
                  output_activation="sigmoid"), "global"),
    ("lstm", dict(n_hidden=2, peephole=True, readout_inputs=True, cell_input="identity", cell_output="identity"),
     "global"),
    ("lstm", dict(n_hidden=2, peephole=True, cell_input="sigmoid2", cell_output="identity"), "neuron"),
    ("lstm", dict(n_hidden=2, cell_input="identity", cell_output="sigmoid1"), "global"),
    ("lstm", dict(n_hidden=2, peephole=True, cell_input="sigmoid1", cell_output="sigmoid2"), "global"),
])
def test_dekf_update_equals_a_dense_ekf(arch, opts, decoupling):
    rng = np.random.default_rng(1)
    net = evornn.build(arch, 2, 2, **opts)
    w = net.init(rng) + rng.normal(0, 0.3, net.n_params)
    data = last_step_data(rng, 6, 2, 2)
    gs = dekf.groups(net, decoupling)
    assert sorted(np.concatenate(gs).tolist()) == list(range(net.n_params))
    assert (len(gs) == 1) == (decoupling == "global")
    cov = dekf.initial_covariance(gs, 10.0)
    _, w_got, cov_got, k = dekf.train(net, w, data, cov, gs, **NOISE)
    w_want, P_want = ekf_oracle(net, w, data, gs, 10.0, **NOISE)
    assert k == 6 and not np.allclose(w_got, w)
    np.testing.assert_allclose(w_got, w_want, rtol=0, atol=1e-7)
    _, goff, coff = dekf.pack_groups(gs)
    for g, c0, c1 in zip(gs, coff[:-1], coff[1:]):
        np.testing.assert_allclose(cov_got[c0:c1].reshape(g.size, g.size), P_want[np.ix_(g, g)], rtol=0, atol=1e-6)


def test_linear_schedule_equals_the_dense_ekf_and_differs_from_the_exponential():
    rng = np.random.default_rng(2)
    net = evornn.build("lstm", 2, 2, n_hidden=2, peephole=True, output_activation="sigmoid")
    w = net.init(rng) + rng.normal(0, 0.3, net.n_params)
    data = last_step_data(rng, 6, 2, 2)
    gs = dekf.groups(net, "global")
    cov = dekf.initial_covariance(gs, 10.0)
    _, w_lin, cov_lin, _ = dekf.train(net, w, data, cov, gs, schedule="linear", **NOISE)   # anneal 3: ends at k = 3
    w_want, P_want = ekf_oracle(net, w, data, gs, 10.0, schedule="linear", **NOISE)
    np.testing.assert_allclose(w_lin, w_want, rtol=0, atol=1e-7)
    np.testing.assert_allclose(cov_lin.reshape(net.n_params, -1), P_want, rtol=0, atol=1e-6)
    assert not np.allclose(w_lin, dekf.train(net, w, data, cov, gs, **NOISE)[1])
    with pytest.raises(ValueError, match="schedule must be one of exponential, linear"):
        dekf.train(net, w, data, cov, gs, schedule="cosine", **NOISE)


def lstm_stopgrad_run(net, w, X, rec):
    """Outputs of a peephole LSTM (NumPy, the equations of evornn.nets.cells.lstm) whose gates and
    cell input read h_{t-1} and the peephole c from ``rec`` (a run's recorded (h_prev, c_prev, c)
    per step) as constants, while the cell state carries w's effect: c_t = f c_{t-1} + i g. Its
    exact derivative is the truncated LSTM gradient. With ``rec`` None: the plain LSTM (records it)."""
    P = net.unflatten(w)
    Wi, Wr, b, pe, Wo, bo = P["W_in"], P["W_rec"], P["b"], P["peep"], P["out.W"], P["out.b"]
    sig = lambda z: 1.0 / (1.0 + np.exp(-z))
    squash = {"tanh": np.tanh, "sigmoid2": lambda a: 4.0 * sig(a) - 2.0, "identity": lambda a: a,
              "sigmoid1": lambda a: 2.0 * sig(a) - 1.0}
    G, Hs = squash[net.layers[0].options["cell_input"]], squash[net.layers[0].options["cell_output"]]
    H = b.shape[1]
    h, c, ys, out = np.zeros(H), np.zeros(H), [], []
    for t, x in enumerate(X):
        hp, cp, cn = (h, c, None) if rec is None else rec[t]
        a = Wi @ x + Wr @ hp + b
        i, f, g = sig(a[0] + pe[0] * cp), sig(a[1] + pe[1] * cp), G(a[2])
        c_new = f * c + i * g
        o = sig(a[3] + pe[2] * (c_new if rec is None else cn))
        out.append((h, c, c_new))
        h, c = o * Hs(c_new), c_new
        ys.append(Wo @ (np.concatenate([h, x]) if net.layers[0].options["readout_inputs"] else h) + bo)
    return np.array(ys), out


@pytest.mark.parametrize("readout_inputs, squashing", [(False, ("tanh", "tanh")), (True, ("tanh", "tanh")),
                                                        (True, ("sigmoid2", "sigmoid1")),
                                                        (True, ("identity", "identity")),
                                                        (False, ("sigmoid2", "identity"))])
def test_truncated_lstm_jacobian_equals_the_derivative_of_the_stop_gradient_network(readout_inputs, squashing):
    """jacobian = "truncated": the DEKF update equals the dense EKF on the truncated LSTM gradient,
    the derivative (central differences) of the network whose gates read their recurrent inputs as
    constants; and it differs from the full Jacobian's update. With readout_inputs too, and with
    the squashing options (cell input, cell output)."""
    rng = np.random.default_rng(4)
    net = evornn.build("lstm", 2, 2, n_hidden=2, peephole=True, readout_inputs=readout_inputs,
                       cell_input=squashing[0], cell_output=squashing[1])
    w = net.init(rng) + rng.normal(0, 0.5, net.n_params)
    data = last_step_data(rng, 6, 2, 2)
    gs = dekf.groups(net, "global")

    def jac(net, w, X, eps=1e-6):
        rec = lstm_stopgrad_run(net, w, X, None)[1]
        J = np.empty((net.n_outputs, w.size))
        for c in range(w.size):
            wp, wm = w.copy(), w.copy()
            wp[c] += eps
            wm[c] -= eps
            J[:, c] = (lstm_stopgrad_run(net, wp, X, rec)[0][-1] - lstm_stopgrad_run(net, wm, X, rec)[0][-1]) / (2 * eps)
        return J

    X0 = data.X[data.starts[0]:data.starts[1]]
    assert np.allclose(lstm_stopgrad_run(net, w, X0, None)[0], net.run(w, X0), atol=1e-12)
    got = dekf.train(net, w, data, dekf.initial_covariance(gs, 10.0), gs, jacobian="truncated", **NOISE)
    want_w, want_P = ekf_oracle(net, w, data, gs, 10.0, jac=jac, **NOISE)
    np.testing.assert_allclose(got[1], want_w, rtol=0, atol=1e-7)
    np.testing.assert_allclose(got[2].reshape(want_P.shape), want_P, rtol=0, atol=1e-6)
    full = dekf.train(net, w, data, dekf.initial_covariance(gs, 10.0), gs, **NOISE)[1]
    assert not np.allclose(full, got[1], atol=1e-4)
    with pytest.raises(ValueError, match="jacobian 'truncated' is the truncated LSTM gradient: lstm only"):
        dekf.train(evornn.build("elman", 2, 2), np.zeros(evornn.build("elman", 2, 2).n_params), data,
                   np.ones(1), [np.arange(1)], jacobian="truncated")
    with pytest.raises(ValueError, match="jacobian must be one of full, truncated"):
        evornn.optimise("dekf", "anbncn", "lstm", settings={"jacobian": "half"}, stop={"max_generations": 1})


def test_one_group_decoupled_equals_global_and_groups_change_the_filter():
    rng = np.random.default_rng(2)
    net = evornn.build("elman", 2, 1, n_hidden=3)
    w = net.init(rng)
    data = last_step_data(rng, 5, 2, 1)
    one = [np.arange(net.n_params)]
    a = dekf.train(net, w, data, dekf.initial_covariance(one, 5.0), one, **NOISE)[1]
    b = dekf.train(net, w, data, dekf.initial_covariance(dekf.groups(net, "global"), 5.0),
                   dekf.groups(net, "global"), **NOISE)[1]
    gs = dekf.groups(net, "neuron")
    c = dekf.train(net, w, data, dekf.initial_covariance(gs, 5.0), gs, **NOISE)[1]
    assert np.array_equal(a, b) and not np.allclose(a, c)


def test_dekf_strategy_reduces_the_error_and_resumes():
    rng = np.random.default_rng(0)
    pairs = []
    for _ in range(20):                                          # recall the previous input
        u = rng.uniform(-1, 1, (12, 1))
        y = np.vstack([[np.nan], 0.5 * u[:-1]])
        pairs.append((u, y))
    problem = supervised_problem(pairs, tolerance=0.05)
    res = evornn.optimise("dekf", problem, "elman", net={"n_hidden": 4}, settings={"anneal": 200.0},
                          stop={"max_generations": 6}, seed=3)
    mses = [row["best_mse"] for row in res.history]
    assert mses[-1] < 0.2 * mses[0]
    assert [row["evaluations"] for row in res.history] == [20 * (g + 1) for g in range(6)]
    again = evornn.optimise("dekf", problem, "elman", net={"n_hidden": 4}, settings={"anneal": 200.0},
                            stop={"max_generations": 6}, seed=3)
    assert [r["best_mse"] for r in again.history] == mses


def test_dekf_refuses_unsupported_networks_and_bad_settings():
    gru = evornn.build("gru", 1, 1, n_hidden=2)
    data = last_step_data(np.random.default_rng(0), 2, 1, 1)
    with pytest.raises(ValueError, match="dekf does not support architecture 'gru'; supported: elman, frnn, lstm"):
        dekf.train(gru, np.zeros(gru.n_params), data, np.ones(1), [np.arange(gru.n_params)])
    with pytest.raises(ValueError, match="dekf.schedule must be one of exponential, linear"):
        evornn.optimise("dekf", "adding", "elman", settings={"schedule": "step"}, stop={"max_generations": 1})
    with pytest.raises(ValueError, match="decoupling must be one of neuron, block, global"):
        evornn.optimise("dekf", "adding", "elman", settings={"decoupling": "layer"}, stop={"max_generations": 1})



def test_dekf_strategy_trains_lstm_with_readout_inputs():
    """The strategy accepts lstm's readout_inputs (the papers' input-to-output shortcuts: a readout
    of [h; x]) and reduces the error on the shortest a^n b^n c^n strings."""
    from evornn.problems.registry import make_problem
    prob = make_problem("anbncn", train_max_n=3, test_max_n=4, target_n=4, coding="compact")
    res = evornn.optimise("dekf", prob, "lstm", net={"n_hidden": 2, "peephole": True, "readout_inputs": True},
                          settings={"decoupling": "global"}, stop={"max_generations": 6}, seed=1)
    assert res.best_chromosome.size == evornn.build("lstm", 4, 4, n_hidden=2, peephole=True, readout_inputs=True).n_params
    mses = [row["best_mse"] for row in res.history]
    assert mses[-1] < 0.5 * mses[0]


@pytest.mark.parametrize("decoupling", ["global", "neuron"])
def test_fixed_blocks_stay_and_the_rest_equals_the_dense_ekf(decoupling):
    """``fixed`` leaves out of every group the weights of the named blocks: the filter never changes
    them, and the others move as the dense EKF over the remaining groups moves them."""
    rng = np.random.default_rng(5)
    net = evornn.build("lstm", 2, 2, n_hidden=2, peephole=True, readout_inputs=True, output_activation="sigmoid")
    w = net.init(rng) + rng.normal(0, 0.3, net.n_params)
    data = last_step_data(rng, 6, 2, 2)
    gs = dekf.groups(net, decoupling, ("W_rec", "peep"))
    fixed = np.concatenate([np.arange(net.layout[b][0], net.layout[b][0] + np.prod(net.layout[b][1]))
                            for b in ("W_rec", "peep")])
    assert sorted(np.concatenate(gs).tolist()) == sorted(set(range(net.n_params)) - set(fixed.tolist()))
    _, w_got, _, _ = dekf.train(net, w, data, dekf.initial_covariance(gs, 10.0), gs, **NOISE)
    w_want, _ = ekf_oracle(net, w, data, gs, 10.0, **NOISE)
    assert np.array_equal(w_got[fixed], w[fixed]) and not np.allclose(w_got, w)
    np.testing.assert_allclose(w_got, w_want, rtol=0, atol=1e-7)
    with pytest.raises(ValueError, match="fixed names unknown weight block 'W_hid'"):
        dekf.groups(net, decoupling, ("W_hid",))


def test_dekf_strategy_keeps_fixed_blocks():
    """settings fixed = ["W_rec"] with W_rec started at 0: an LSTM without recurrent connections
    into its gates and cell input, trained on the rest."""
    from evornn.problems.registry import make_problem
    prob = make_problem("anbncn", train_max_n=3, test_max_n=4, target_n=4, coding="compact")

    def initial(net, rng, n=None):
        W = np.atleast_2d(net.init(rng, n if n is not None else 1)).copy()
        off, shape = net.layout["W_rec"]
        W[:, off:off + int(np.prod(shape))] = 0.0
        return W if n is not None else W[0]
    prob.initial = initial
    res = evornn.optimise("dekf", prob, "lstm", net={"n_hidden": 2, "readout_inputs": True},
                          settings={"decoupling": "global", "fixed": ["W_rec"]}, stop={"max_generations": 4}, seed=1)
    net = evornn.build("lstm", 4, 4, n_hidden=2, readout_inputs=True)
    assert np.all(net.unflatten(res.best_chromosome)["W_rec"] == 0.0)
    assert np.any(net.unflatten(res.best_chromosome)["W_in"] != 0.0)
    mses = [row["best_mse"] for row in res.history]
    assert mses[-1] < mses[0]
    with pytest.raises(ValueError, match="dekf.fixed must be a list of weight block names"):
        evornn.optimise("dekf", prob, "lstm", settings={"fixed": [1]}, stop={"max_generations": 1})
