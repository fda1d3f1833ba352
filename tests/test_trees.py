"""Recursive networks over trees (bool-trees, arith-trees) and the two-sequence-lag problem."""
import numpy as np
import pytest

import evornn
from evornn.problems import trees
from evornn.problems.registry import make_problem


@pytest.fixture(scope="module")
def bool_problem():
    return make_problem("bool-trees", n_train=60, n_test=40, seed=3)


@pytest.fixture(scope="module")
def arith_problem():
    return make_problem("arith-trees", n_train=60, n_test=40, seed=4)


def _act(name):
    return {"tanh": np.tanh, "sigmoid": lambda a: 1 / (1 + np.exp(-a)), "linear": lambda a: a}[name]


def python_tree(p, tree, act):
    """The recursive network written from its equations: leaf h = E[:, s]; node act(W [l; r] + b)."""
    if isinstance(tree, int):
        return p["E"][:, tree]
    h = np.concatenate([python_tree(p, tree[0], act), python_tree(p, tree[1], act)])
    return _act(act)(p["W"] @ h + p["b"])


def python_outputs(net, w, formulas, act, out_act, readout):
    p = net.unflatten(w)
    ys = []
    for f in formulas:
        h = python_tree(p, trees.binary_tree(f), act)
        ys.append(_act(out_act)(p["out.W"] @ h + p["out.b"]) if readout else h[:net.n_outputs])
    return np.array(ys)


@pytest.mark.parametrize("kind,act,out_act,readout", [("bool-trees", "tanh", "sigmoid", "dense"),
                                                        ("arith-trees", "sigmoid", "linear", "dense"),
                                                        ("bool-trees", "tanh", "linear", "none")])
def test_tree_kernel_equals_recursive_python_evaluation(kind, act, out_act, readout):
    rng = np.random.default_rng(0)
    formulas = [trees.random_formula(kind, d, rng) for d in (0, 1, 2, 3, 5, 6)]
    forest = trees.Forest.of([trees.binary_tree(f) for f in formulas])
    n_in, n_out = (6, 1) if kind == "bool-trees" else (11, 10)
    net = evornn.build("recursive", n_in, n_out, n_hidden=max(5, n_out) if readout == "none" else 5,
                       activation=act, output_activation=out_act, readout=readout)
    W = rng.normal(0, 1, (3, net.n_params))
    prob = make_problem(kind, n_train=2, n_test=2)
    got = prob.tree_outputs(net, W, forest)
    for q in range(3):
        want = python_outputs(net, W[q], formulas, act, out_act, readout == "dense")
        np.testing.assert_allclose(got[q], want, rtol=1e-12, atol=1e-13)


def test_a_left_branching_tree_equals_the_network_run_on_the_sequence():
    net = evornn.build("recursive", 4, 2, n_hidden=3)
    rng = np.random.default_rng(1)
    w = rng.normal(0, 1, net.n_params)
    syms = [2, 0, 3, 1, 1]
    p = net.unflatten(w)
    # the sequence step starts from h_0 = 0, i.e. a leaf whose embedding is 0: symbol 4 of a 5-input copy
    net5 = evornn.build("recursive", 5, 2, n_hidden=3)
    p5 = net5.unflatten(np.zeros(net5.n_params))
    p5["E"][:, :4], p5["W"][:], p5["b"][:], p5["out.W"][:], p5["out.b"][:] = p["E"], p["W"], p["b"], p["out.W"], p["out.b"]
    w5 = net5.flatten(p5)
    tree = 4
    for s in syms:
        tree = (tree, s)
    forest = trees.Forest.of([tree])
    prob = make_problem("bool-trees", n_train=2, n_test=2)
    prob.n_outputs = 2
    got = prob.tree_outputs(net5, w5[None], forest)[0, 0]
    want = net.run(w, np.eye(4)[syms])[-1]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)


def test_formula_values_prefix_strings_and_post_order_by_hand():
    f = (4, (5, (1,)), (2, (1,), (0,)))          # XOR(NOT T, AND(T, F)) = 0
    assert trees.value(f) == 0 and trees.prefix(f) == [4, 5, 1, 2, 1, 0]
    assert trees.value((3, (0,), (5, (0,)))) == 1
    assert trees.value((10, (10, (7,), (8,)), (9,))) == 4
    assert trees.binary_tree(f) == (4, ((5, 1), (2, (1, 0))))
    forest = trees.Forest.of([trees.binary_tree((10, (3,), (4,)))])
    assert forest.sym.tolist() == [3, 4, -1] and forest.left.tolist()[2] == 0 and forest.right.tolist()[2] == 1
    rng = np.random.default_rng(0)
    for d in range(1, 7):
        g = trees.random_formula("bool-trees", d, rng)
        depth = lambda t: 0 if len(t) == 1 else 1 + max(depth(c) for c in t[1:])    # noqa: E731
        assert depth(g) == d


def test_recursive_and_lstm_scores_agree_with_their_outputs(bool_problem, arith_problem):
    for prob in (bool_problem, arith_problem):
        rec = evornn.build("recursive", prob.n_inputs, prob.n_outputs, n_hidden=6, output_activation="sigmoid")
        lstm = evornn.build("lstm", prob.n_inputs, prob.n_outputs, n_hidden=3, output_activation="sigmoid")
        for net in (rec, lstm):
            W = net.init(np.random.default_rng(2), 4)
            W[1] *= 3.0
            res = prob.evaluate(net, W)
            assert res.metrics.shape == (4, 3) and np.all(res.fitness > 0)
            if net is rec:
                y = prob.tree_outputs(net, W, prob.train_forest)
                target = prob.train.Y[prob.train.mask.astype(bool)]
                np.testing.assert_allclose(res.metrics[:, 0], ((y - target) ** 2).mean(axis=(1, 2)), rtol=1e-12)
                acc = ((y > 0.5) == (target > 0.5)).all(axis=2).mean(axis=1)
                np.testing.assert_array_equal(res.metrics[:, 2], acc)
            # a row's score does not depend on its position in the population
            one = prob.evaluate(net, W[2:3])
            assert one.metrics[0].tolist() == res.metrics[2].tolist()
            assert prob.evaluate_test(net, W).metrics.shape == (4, 3)


def test_test_formulas_are_deeper_and_bad_parameters_are_one_line_errors():
    prob = make_problem("bool-trees", n_train=20, n_test=20, seed=1)
    assert np.diff(prob.train_forest.starts).max() < np.diff(prob.test_forest.starts).max()
    for kw, word in (({"train_depth": 0}, "train_depth"), ({"n_test": 0}, "n_test"),
                     ({"solved_accuracy": 1.5}, "solved_accuracy")):
        with pytest.raises(ValueError, match=word):
            make_problem("bool-trees", **kw)


def test_two_sequence_lag_sequences_by_hand():
    prob = make_problem("two-sequence-lag", p=5, variant="a")
    X, Y, m = prob.train.X, prob.train.Y, prob.train.mask
    assert prob.n_inputs == prob.n_outputs == 6 and prob.train.n_sequences == 2
    first = X[0].argmax()
    assert first in (4, 5) and X[:5].argmax(axis=1).tolist() == [first, 0, 1, 2, 3]
    assert Y[:5].argmax(axis=1).tolist() == [0, 1, 2, 3, first] and m[:5].all()
    assert {X[0].argmax(), X[5].argmax()} == {4, 5}                 # 2a: both sequences
    b = make_problem("two-sequence-lag", p=5, variant="b", n_train=30, n_test=7)
    mb = b.train.mask.reshape(30, 5)
    assert mb[:, -1].all() and not mb[:, :-1].any()              # 2b: only the last prediction
    xb = b.train.X.reshape(30, 5, 6).argmax(axis=2)
    yb = b.train.Y.reshape(30, 5, 6)[:, -1].argmax(axis=1)
    assert np.all(xb[:, 0] == yb) and np.all(xb[:, 1:] < 4) and len({tuple(r) for r in xb[:, 1:]}) > 1
    with pytest.raises(ValueError, match="variant"):
        make_problem("two-sequence-lag", variant="c")


def test_two_sequence_lag_2b_trained_on_every_next_symbol_as_hs():
    """train_targets="all": the training split scores every next symbol (H&S 1997's 2b training),
    the test split still only the last; the same sequences as with "last"."""
    b = make_problem("two-sequence-lag", p=5, variant="b", n_train=12, n_test=6, train_targets="all")
    last = make_problem("two-sequence-lag", p=5, variant="b", n_train=12, n_test=6)
    assert b.train.mask.all() and np.array_equal(b.train.X, last.train.X)
    xs, ys = b.train.X.reshape(12, 5, 6).argmax(axis=2), b.train.Y.reshape(12, 5, 6).argmax(axis=2)
    assert np.all(ys[:, :-1] == xs[:, 1:]) and np.all(ys[:, -1] == xs[:, 0])    # the next symbol; last = first
    assert np.array_equal(b.train.Y.reshape(12, 5, 6)[:, -1], last.train.Y.reshape(12, 5, 6)[:, -1])
    mt = b.test.mask.reshape(6, 5)
    assert mt[:, -1].all() and not mt[:, :-1].any()
    a = make_problem("two-sequence-lag", p=5, variant="a", train_targets="last")
    assert a.train.mask.reshape(2, 5)[:, -1].all() and not a.train.mask.reshape(2, 5)[:, :-1].any()
    assert a.test.mask.all()
    with pytest.raises(ValueError, match="train_targets"):
        make_problem("two-sequence-lag", variant="b", train_targets="middle")


def test_argmax_accuracy_reads_the_largest_output(bool_problem, arith_problem):
    prob = arith_problem
    rec = evornn.build("recursive", prob.n_inputs, prob.n_outputs, n_hidden=6, output_activation="sigmoid")
    lstm = evornn.build("lstm", prob.n_inputs, prob.n_outputs, n_hidden=3, output_activation="sigmoid")
    data = prob.test
    digits = data.Y[data.mask.astype(bool)].argmax(axis=1)
    for net in (rec, lstm):
        W = net.init(np.random.default_rng(5), 3)
        W[1] *= 4.0
        got = prob.argmax_accuracy(net, W)
        for q in range(3):
            if net is rec:
                y = prob.tree_outputs(net, W[q:q + 1], prob.test_forest)[0]
            else:       # each prefix string run alone, its last output
                y = np.array([net.run(W[q], data.X[a:b])[-1] for a, b in zip(data.starts[:-1], data.starts[1:])])
            assert got[q] == np.mean(y.argmax(axis=1) == digits)
        assert prob.argmax_accuracy(net, W[2]).tolist() == got[2:].tolist()
    # every output below 0.5 (accuracy 0), the largest always digit 7: argmax accuracy = the share of 7s
    p = rec.unflatten(np.zeros(rec.n_params))
    p["out.b"][:] = -5.0
    p["out.b"][7] = -1.0
    w = rec.flatten(p)
    assert prob.evaluate_test(rec, w).metrics[0, 2] == 0.0
    assert prob.argmax_accuracy(rec, w).tolist() == [np.mean(digits == 7)] and np.mean(digits == 7) > 0
    train_digits = prob.train.Y[prob.train.mask.astype(bool)].argmax(axis=1)
    assert prob.argmax_accuracy(rec, w, "train").tolist() == [np.mean(train_digits == 7)]
    with pytest.raises(ValueError, match="one output per class"):
        bool_problem.argmax_accuracy(evornn.build("recursive", 6, 1, n_hidden=4), np.zeros(1))
