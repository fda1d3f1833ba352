"""The stack RNN (evornn/nets/cells/stack.py) against a NumPy oracle written from Joulin & Mikolov's
equations; hand-built weights of a perfect stack that solve Dyck-1 at any length; determinism; the
dyck1 and reverse-string problems and the length split (problems/lengths.py)."""
import numba
import numpy as np
import pytest

import evornn
from engines import ENGINES, error, tol
from evornn.problems import dyck, lengths, reverse_string
from evornn.problems.registry import make_problem

TOL = 1e-12
N_IN, N_OUT = 3, 2


def sig(a):
    return 1.0 / (1.0 + np.exp(-a))


ACTS = {"sigmoid": sig, "tanh": np.tanh, "linear": lambda a: a, "relu": lambda a: np.maximum(a, 0.0)}


# -- the oracle: J & M's equations, one step at a time ------------------------------------------
def core_step(cell, p, inp, state, act):
    """One step of the controller from the cell's equations; returns (h, new state)."""
    if cell == "elman":
        (h,) = state
        h = ACTS[act](p["ctrl.W_in"] @ inp + p["ctrl.W_rec"] @ h + p["ctrl.b"])
        return h, (h,)
    if cell == "lstm":                       # Gers et al. 2000, gates i, f, g, o
        h, c = state
        W, U, b = p["ctrl.W_in"], p["ctrl.W_rec"], p["ctrl.b"]
        i, f = sig(W[0] @ inp + U[0] @ h + b[0]), sig(W[1] @ inp + U[1] @ h + b[1])
        g, o = np.tanh(W[2] @ inp + U[2] @ h + b[2]), sig(W[3] @ inp + U[3] @ h + b[3])
        c = f * c + i * g
        h = o * np.tanh(c)
        return h, (h, c)
    if cell == "second-order":               # Giles et al. 1992: h_i = act(sum_jk W_ijk h_j x_k + b_i)
        (h,) = state
        h = ACTS[act](np.einsum("ijk,j,k->i", p["ctrl.W"], h, inp) + p["ctrl.b"])
        return h, (h,)
    raise ValueError(cell)


def oracle(p, X, starts, cell, act, width, depth, read_depth, push_act="sigmoid", out_act="linear", read="concat"):
    """Outputs (T, n_out): S the stack (depth, width), zero at each sequence's start."""
    H = p["ctrl.b"].shape[-1]
    ys = []
    for s0, s1 in zip(starts[:-1], starts[1:]):
        S = np.zeros((depth, width))
        state = (np.zeros(H), np.zeros(H)) if cell == "lstm" else (np.zeros(H),)
        for x in X[s0:s1]:
            r = S[:read_depth].ravel()                                   # the stack's top
            inp = np.concatenate([x, r]) if read == "concat" else np.outer(x, np.concatenate([[1.0], r])).ravel()
            h, state = core_step(cell, p, inp, state, act)
            ys.append(ACTS[out_act](p["out.W"] @ h + p["out.b"]))
            z = p["stack.V"] @ h + p["stack.c"]
            e = np.exp(z[:3] - z[:3].max())
            a_push, a_pop, a_no = e / e.sum()
            v = ACTS[push_act](z[3:])
            pushed = np.vstack([v[None, :], S[:-1]])                     # S_t[0] = v, S_t[i] = S[i-1]
            popped = np.vstack([S[1:], np.zeros((1, width))])            # S_t[i] = S[i+1], empty below
            S = a_push * pushed + a_pop * popped + a_no * S
    return np.array(ys)


# case -> (build options, controller activation)
CASES = {
    "elman": (dict(n_hidden=4, width=1, depth=4), "sigmoid"),
    "elman-wide": (dict(n_hidden=3, width=2, depth=3, read_depth=2, push_activation="tanh",
                        activation="tanh", output_activation="sigmoid"), "tanh"),
    "lstm": (dict(cell="lstm", n_hidden=3, width=1, depth=5), None),
    "second-order": (dict(cell="second-order", n_hidden=3, width=2, depth=2), "sigmoid"),
    "nnpda": (dict(cell="second-order", n_hidden=3, width=2, depth=3, read_depth=2, read="product"), "sigmoid"),
    "deep-read": (dict(n_hidden=2, width=1, depth=1, read_depth=1, push_activation="linear"), "sigmoid"),
}


def _net(case, **extra):
    return evornn.build("stack-rnn", N_IN, N_OUT, **CASES[case][0], **extra)


@pytest.mark.parametrize("case", sorted(CASES))
def test_kernel_matches_numpy_oracle(case, engine, rng):
    opts, act = CASES[case]
    net = _net(case, **ENGINES[engine])
    cell = opts.get("cell", "elman")
    for T, starts in ((1, [0, 1]), (40, [0, 7, 40])):
        for _ in range(2):
            w = rng.normal(0.0, 1.0, net.n_params)
            X = rng.normal(0.0, 1.0, (T, N_IN))
            got = net.run(w, X, np.array(starts))
            want = oracle(net.unflatten(w), X, starts, cell, act, opts["width"], opts["depth"],
                          opts.get("read_depth", 1), opts.get("push_activation", "sigmoid"),
                          opts.get("output_activation", "linear"), opts.get("read", "concat"))
            assert got.shape == want.shape == (T, N_OUT)
            assert error(got, want, engine) <= tol(engine, TOL)


def test_the_stack_gives_back_what_was_pushed():
    """Linear controller h = (push?, pop?, value, top) from inputs (push?, pop?, value); the output
    is the top the controller read: pushed values come back in reverse order, then empty (0)."""
    net = evornn.build("stack-rnn", 3, 1, n_hidden=4, activation="linear", width=1, depth=4,
                       push_activation="linear")
    p = {k: np.zeros(s) for k, (_o, s) in net.layout.items()}
    p["ctrl.W_in"][:3, :3] = np.eye(3)
    p["ctrl.W_in"][3, 3] = 1.0                     # h[3] = the top of the stack
    p["stack.V"][0, 0] = p["stack.V"][1, 1] = 200.0
    p["stack.c"][2] = 100.0                        # no-op unless told
    p["stack.V"][3, 2] = 1.0                       # the pushed value is h[2]
    p["out.W"][0, 3] = 1.0
    X = np.array([[1, 0, 0.3], [1, 0, 0.7], [0, 0, 0], [0, 1, 0], [0, 1, 0], [0, 0, 0]], dtype=float)
    for engine in ENGINES:
        net = evornn.build("stack-rnn", 3, 1, n_hidden=4, activation="linear", width=1, depth=4,
                           push_activation="linear", **ENGINES[engine])
        top = net.run(net.flatten(p), X)[:, 0]
        assert np.allclose(top, [0.0, 0.3, 0.7, 0.7, 0.3, 0.0], atol=1e-6), engine


# -- a perfect stack by hand: Dyck-1 at any length ----------------------------------------------
def perfect_dyck(depth: int):
    """Elman controller (3 units) over [S, (, ), T, top, second]: h0 = "unbalanced after this
    symbol" = 2 x_( + x_) + second > 1.5; h1 = x_(, h2 = x_) drive push and pop; pushed value 1."""
    net = evornn.build("stack-rnn", 4, 4, n_hidden=3, width=1, depth=depth, read_depth=2,
                       output_activation="sigmoid")
    K = 20.0
    p = {k: np.zeros(s) for k, (_o, s) in net.layout.items()}
    p["ctrl.W_in"][0] = [0, 2 * K, K, 0, 0, K]
    p["ctrl.b"][0] = -1.5 * K
    p["ctrl.W_in"][1, 1] = p["ctrl.W_in"][2, 2] = K
    p["ctrl.b"][1] = p["ctrl.b"][2] = -0.5 * K
    p["stack.V"][0, 1] = p["stack.V"][1, 2] = 60.0     # push on (, pop on ), else no-op
    p["stack.c"][2] = 30.0
    p["stack.c"][3] = 40.0                            # pushed value sigmoid(40) = 1
    p["out.b"][:] = [-10.0, 10.0, -10.0, 10.0]         # S never; ( always
    p["out.W"][2, 0], p["out.W"][3, 0] = K, -K         # ) when unbalanced, T when balanced
    return net, net.flatten(p)


@pytest.fixture(scope="module")
def dyck_problem():
    return make_problem("dyck1", train_max=10, n_train=50, n_test=40, seed=3)


def test_hand_built_stack_solves_dyck1_at_5x_and_20x_the_training_length(dyck_problem):
    net, w = perfect_dyck(depth=200)
    res = dyck_problem.evaluate(net, w[None], None)
    assert res.metrics[0, dyck_problem.metric_names.index("string_accuracy")] == 1.0
    acc = lengths.accuracy_by_length(dyck_problem, net, w[None])
    assert {g: float(a[0]) for g, a in acc.items()} == {"train": 1.0, "2x": 1.0, "5x": 1.0}
    assert dyck_problem.check_solved(net, w, res.metrics[0], 0).solved
    long = dyck.split([200] * 8, np.random.default_rng(1))           # 20x: 200 pairs, 400 symbols
    m = dyck_problem.score(net, w, long).metrics[0]
    assert m[dyck_problem.metric_names.index("string_accuracy")] == 1.0
    # the same weights with a stack too shallow for the longer strings fail where it overflows
    shallow, w5 = perfect_dyck(depth=5)
    assert lengths.accuracy_by_length(dyck_problem, shallow, w5[None])["5x"][0] < 1.0


def test_hand_built_stack_reverses_strings_at_5x_and_20x_the_training_length():
    """Elman controller (4 units) over [a, b, #, top]: push the symbol (value 1 for b), no-op on #,
    pop on blank steps; the outputs read the top: is it a b?"""
    prob = make_problem("reverse-string", train_max=10, n_train=30, n_test=30, seed=2)
    net = evornn.build("stack-rnn", 3, 2, n_hidden=4, width=1, depth=200, output_activation="sigmoid")
    K = 20.0
    p = {k: np.zeros(s) for k, (_o, s) in net.layout.items()}
    p["ctrl.W_in"][:] = [[0, K, 0, 0], [K, K, 0, 0], [-K, -K, -K, 0], [0, 0, 0, K]]
    p["ctrl.b"][:] = [-0.5 * K, -0.5 * K, 0.5 * K, -0.5 * K]   # is b, is a symbol, blank, top is b
    p["stack.V"][0, 1] = p["stack.V"][1, 2] = 60.0
    p["stack.c"][2] = 30.0
    p["stack.V"][3, 0], p["stack.c"][3] = 2 * K, -K               # pushed value 1 for b, 0 for a
    p["out.W"][:, 3] = [-K, K]
    p["out.b"][:] = [0.5 * K, -0.5 * K]
    w = net.flatten(p)
    acc = lengths.accuracy_by_length(prob, net, w[None])
    assert {g: float(a[0]) for g, a in acc.items()} == {"train": 1.0, "2x": 1.0, "5x": 1.0}
    long = reverse_string.split([200] * 4, np.random.default_rng(1))
    assert prob.score(net, w, long).metrics[0, prob.metric_names.index("string_accuracy")] == 1.0


def test_an_elman_network_of_the_same_size_is_not_given_the_answer(dyck_problem):
    net = evornn.build("elman", 4, 4, n_hidden=3, output_activation="sigmoid")
    W = net.init(np.random.default_rng(0), 16)
    acc = lengths.accuracy_by_length(dyck_problem, net, W)
    assert acc["5x"].max() < 1.0


def test_population_scores_do_not_depend_on_threads_or_position(dyck_problem, rng):
    net = evornn.build("stack-rnn", 4, 4, n_hidden=3, depth=8, output_activation="sigmoid")
    W = rng.normal(0.0, 1.0, (11, net.n_params))
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        r1 = dyck_problem.evaluate(net, W, None)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        rn = dyck_problem.evaluate(net, W, None)
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(r1.fitness, rn.fitness) and np.array_equal(r1.metrics, rn.metrics)
    assert np.array_equal(dyck_problem.evaluate(net, W[::-1], None).fitness, r1.fitness[::-1])


def test_a_pickled_network_gives_the_same_outputs(rng):
    """What a Ray actor or a process pool receives: the network pickled, its kernels found again."""
    import pickle
    net = _net("nnpda")
    W = rng.normal(0.0, 1.0, (9, net.n_params))
    X = rng.normal(0.0, 1.0, (12, N_IN))
    net2 = pickle.loads(pickle.dumps(net))
    assert net2.key == net.key
    assert np.array_equal(net2.run_population(W, X), net.run_population(W, X))


# -- options and errors -------------------------------------------------------------------------
def test_parameter_count_and_layout():
    for cell, core in (("elman", lambda n, H: H * (n + H + 1)), ("lstm", lambda n, H: 4 * H * (n + H + 1)),
                       ("second-order", lambda n, H: H * H * n + H)):
        net = evornn.build("stack-rnn", N_IN, N_OUT, cell=cell, n_hidden=4, width=2, depth=5, read_depth=2,
                           read="product")
        assert net.n_params == 5 * 5 + core(N_IN * (1 + 2 * 2), 4) + N_OUT * 5
        for width, R in ((1, 1), (3, 2)):
            net = evornn.build("stack-rnn", N_IN, N_OUT, cell=cell, n_hidden=4, width=width, depth=5, read_depth=R)
            H = 4
            assert net.n_params == (3 + width) * (H + 1) + core(N_IN + R * width, H) + N_OUT * (H + 1)
            assert net.layout["stack.V"][1] == (3 + width, H)


@pytest.mark.parametrize("opts,word", [(dict(width=0), "width"), (dict(depth=0), "depth"),
                                       (dict(read_depth=3, depth=2), "read_depth"), (dict(depth=2.5), "depth"),
                                       (dict(push_activation="swish"), "swish"), (dict(cell="nope"), "nope"),
                                       (dict(read="sum"), "read")])
def test_bad_options_are_one_line_errors(opts, word):
    with pytest.raises(ValueError, match=word) as e:
        evornn.build("stack-rnn", N_IN, N_OUT, **opts)
    assert "\n" not in str(e.value)


# -- the problems -------------------------------------------------------------------------------
def test_dyck_strings_and_targets():
    rng = np.random.default_rng(0)
    for n in (1, 3, 17):
        w = dyck.word(n, rng)
        depths = np.cumsum([1 if c == "(" else -1 for c in w])
        assert len(w) == 2 * n and depths[-1] == 0 and depths.min() >= 0
        sets = dyck.next_sets("S" + w + "T")
        assert sets[0] == {"(", "T"}
        for d, s in zip(depths, sets[1:]):
            assert s == ({"(", ")"} if d > 0 else {"(", "T"})
    data = dyck.split([2, 5], rng)
    assert data.starts.tolist() == [0, 5, 16] and data.labels.tolist() == [2, 5]


def test_reverse_string_sequences():
    X, Y = reverse_string.sequence(np.array([0, 1, 1]))
    assert X.tolist() == [[1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0], [0, 0, 0]]
    assert np.isnan(Y[:4]).all() and Y[4:].tolist() == [[0, 1], [0, 1], [1, 0]]


def test_length_groups_of_every_problem_with_a_split():
    assert lengths.ranges(2, 10) == {"train": (2, 10), "2x": (11, 20), "5x": (21, 50)}
    for name, kw in (("dyck1", dict(train_min=2, train_max=6, n_test=7)),
                     ("reverse-string", dict(train_max=4, n_test=7)),
                     ("anbn", dict(train_max_n=4, length_split=True)),
                     ("anbncn", dict(train_max_n=3, length_split=True))):
        prob = make_problem(name, **kw)
        hi = kw.get("train_max", kw.get("train_max_n"))
        lo = kw.get("train_min", 1)
        want = {"train": (lo, hi), "2x": (hi + 1, 2 * hi), "5x": (2 * hi + 1, 5 * hi)}
        assert list(prob.test_groups) == list(want)
        for g, d in prob.test_groups.items():
            if name.startswith("anbn"):            # every n of the range, once
                assert d.labels.tolist() == list(range(want[g][0], want[g][1] + 1))
            else:                                  # n_test lengths of the range
                assert d.n_sequences == 7 and want[g][0] <= d.labels.min() <= d.labels.max() <= want[g][1]
        assert prob.test.n_sequences == sum(d.n_sequences for d in prob.test_groups.values())
        assert np.array_equal(prob.test.X, np.concatenate([d.X for d in prob.test_groups.values()]))
        assert lo <= prob.train.labels.min() and prob.train.labels.max() <= hi
    assert not hasattr(make_problem("anbn"), "test_groups")        # the default is unchanged
    assert make_problem("anbn").test.n_sequences == 100


@pytest.mark.parametrize("name,params,word", [("dyck1", dict(train_min=0), "train_min"),
                                              ("dyck1", dict(train_min=5, train_max=4), "train_max"),
                                              ("reverse-string", dict(n_test=0), "n_test"),
                                              ("anbn", dict(train_max_n=0, length_split=True), "train_max")])
def test_bad_problem_parameters_are_one_line_errors(name, params, word):
    with pytest.raises(ValueError, match=word) as e:
        make_problem(name, **params)
    assert "\n" not in str(e.value)
