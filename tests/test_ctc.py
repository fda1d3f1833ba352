"""CTC (Graves et al. 2006): the alpha recursion against a brute-force sum over every alignment, the
beta recursion and the gradient against finite differences, best-path decoding and the label error
rate against plain Python, the ctc-stream data, BPTT through a network against finite differences."""
import itertools

import numpy as np
import pytest

import evornn
from evornn.grad import ctc_bptt
from evornn.problems import ctc_kernel as C
from evornn.problems.registry import make_problem

SMALL = dict(n_train=10, n_test=6, lengths=[2, 4])


def collapse(path):
    """Merge repeats, then drop blanks (0); labels k are columns k + 1."""
    out, prev = [], -1
    for k in path:
        if k != prev and k != 0:
            out.append(k - 1)
        prev = k
    return out


def brute_log_p(logy, label):
    """ln of the sum over every path of T columns that collapses to ``label``."""
    T, n_col = logy.shape
    terms = [sum(logy[t, k] for t, k in enumerate(path))
             for path in itertools.product(range(n_col), repeat=T) if collapse(path) == list(label)]
    return np.logaddexp.reduce(terms) if terms else -np.inf


def kernel_log_p(A, label, beta=False):
    T = A.shape[0]
    logy = np.empty_like(A)
    C.log_softmax(A, 0, T, logy)
    lab = np.asarray(label, dtype=np.int64)
    ext = np.empty(2 * len(label) + 1, dtype=np.int64)
    S = C.extended(lab, 0, len(label), ext)
    la, lb = np.empty((T, S)), np.empty((T, S))
    logp = C.ctc_alpha(logy, T, ext, S, la)
    if beta:
        C.ctc_beta(logy, T, ext, S, lb)
    return logp, logy, ext, S, la, lb


@pytest.mark.parametrize("T,label", [(1, [0]), (3, [1]), (4, [0, 0]), (5, [1, 0, 1]), (6, [2, 2, 1]),
                                     (8, [0, 1, 1, 2]), (3, [1, 1, 1]), (7, [2]), (8, [0, 1, 2, 0, 1])])
def test_alpha_equals_the_sum_over_every_alignment(T, label):
    A = np.random.default_rng(T * 7 + len(label)).normal(0.0, 1.5, (T, 4))
    logp, logy, ext, S, la, lb = kernel_log_p(A, label, beta=True)
    want = brute_log_p(logy, label)
    if np.isinf(want):                               # too short for the label ([1, 1, 1] needs 5 frames)
        assert logp == -np.inf
        return
    assert logp == pytest.approx(want, rel=1e-12, abs=1e-12)
    for t in range(T):                               # alpha_t(s) beta_t(s) / y_t(l'_s) summed over s is p at every t
        assert np.logaddexp.reduce(la[t] + lb[t] - logy[t, ext[:S]]) == pytest.approx(logp, rel=1e-10)


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    for T, label in ((6, [1, 1, 0]), (8, [2, 0, 3, 1]), (5, [0])):
        A = rng.normal(0.0, 1.0, (T, 5))
        logp, logy, ext, S, la, lb = kernel_log_p(A, label, beta=True)
        D = np.empty_like(A)
        C.ctc_grad(logy, T, ext, S, la, lb, logp, D, 0, 1.0)
        eps = 1e-6
        for t in range(T):
            for k in range(5):
                E = np.zeros_like(A)
                E[t, k] = eps
                fd = (-kernel_log_p(A + E, label)[0] + kernel_log_p(A - E, label)[0]) / (2 * eps)
                assert D[t, k] == pytest.approx(fd, rel=1e-6, abs=1e-9)
        np.testing.assert_allclose(D.sum(axis=1), 0.0, atol=1e-12)      # softmax outputs: rows sum to 0


def levenshtein(a, b):
    d = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, d[0] = d[0], i
        for j, y in enumerate(b, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (x != y))
    return d[-1]


def test_best_path_and_edit_distance():
    rng = np.random.default_rng(1)
    for _ in range(50):
        T = int(rng.integers(1, 12))
        logy = rng.normal(size=(T, 4))
        out = np.empty(T, dtype=np.int64)
        n = C.best_path(logy, T, out)
        assert list(out[:n]) == collapse(np.argmax(logy, axis=1))
        b = rng.integers(0, 3, int(rng.integers(0, 7)))
        assert C.edit_distance(out, n, b, 0, b.size) == levenshtein(list(out[:n]), list(b))


def test_the_streams_hold_their_labels():
    prob = make_problem("ctc-stream", **SMALL, noise=0.0)
    d = prob.train
    for s in range(d.n_sequences):
        t0, t1 = d.starts[s], d.starts[s + 1]
        label = list(d.label[d.label_starts[s]:d.label_starts[s + 1]])
        assert collapse(d.frames[t0:t1]) == label and 2 <= len(label) <= 4
        cols = np.where(d.X[t0:t1].any(axis=1), d.X[t0:t1].argmax(axis=1) + 1, 0)
        assert np.array_equal(cols, d.frames[t0:t1])     # noise 0: the inputs are the alignment itself


@pytest.mark.parametrize("loss", ["ctc", "framewise"])
def test_problem_scores_equal_the_recursions_on_the_network_s_outputs(loss):
    prob = make_problem("ctc-stream", **SMALL, loss=loss)
    net = evornn.build("elman", prob.n_inputs, prob.n_outputs, n_hidden=6)
    W = net.init(np.random.default_rng(2), 3) * 3.0
    res = prob.evaluate(net, W)
    d = prob.train
    for i in range(3):
        Y = net.run(W[i], d.X, d.starts)
        tot, edits, exact = 0.0, 0, 0
        for s in range(d.n_sequences):
            A = Y[d.starts[s]:d.starts[s + 1]]
            label = d.label[d.label_starts[s]:d.label_starts[s + 1]]
            logy = A - np.logaddexp.reduce(A, axis=1, keepdims=True)
            if loss == "ctc":
                tot -= kernel_log_p(A, label)[0]
            else:
                tot -= logy[np.arange(len(A)), d.frames[d.starts[s]:d.starts[s + 1]]].sum()
            e = levenshtein(collapse(np.argmax(A, axis=1)), list(label))
            edits += e
            exact += e == 0
        want = [tot / d.n_sequences, edits / d.label.size, exact / d.n_sequences]
        np.testing.assert_allclose(res.metrics[i], want, rtol=1e-10)
        assert res.fitness[i] == pytest.approx(np.exp(-want[0] * d.n_sequences / d.label.size), rel=1e-10)


@pytest.mark.parametrize("arch", ["elman", "lstm"])
@pytest.mark.parametrize("loss", ["ctc", "framewise"])
def test_bptt_gradient_matches_finite_differences(arch, loss):
    prob = make_problem("ctc-stream", **SMALL, loss=loss)
    net = evornn.build(arch, prob.n_inputs, prob.n_outputs, n_hidden=3)
    rng = np.random.default_rng(3)
    w = net.init(rng) * 2.0
    seqs = np.array([1, 4, 6])
    fw = loss == "framewise"
    value, g = ctc_bptt.gradient(net, w, prob.train, seqs, fw)
    full = ctc_bptt.gradient(net, w, prob.train, None, fw)[0]
    assert full == pytest.approx(prob.evaluate(net, w[None]).metrics[0, 0], rel=1e-12)
    eps = 1e-6
    for i in rng.choice(net.n_params, 12, replace=False):
        e = np.zeros(net.n_params)
        e[i] = eps
        fd = (ctc_bptt.gradient(net, w + e, prob.train, seqs, fw)[0]
              - ctc_bptt.gradient(net, w - e, prob.train, seqs, fw)[0]) / (2 * eps)
        assert g[i] == pytest.approx(fd, rel=1e-5, abs=1e-8), i


def test_bptt_learns_and_bad_settings_are_one_line():
    res = evornn.optimise("bptt", "ctc-stream", "lstm", net={"n_hidden": 8}, problem_params={**SMALL, "n_train": 40},
                          settings={"learning_rate": 0.05, "batch_size": 8}, stop={"max_generations": 20}, seed=0)
    first = evornn.optimise("bptt", "ctc-stream", "lstm", net={"n_hidden": 8}, problem_params={**SMALL, "n_train": 40},
                            settings={"learning_rate": 0.05, "batch_size": 8}, stop={"max_generations": 1}, seed=0)
    assert res.best_fitness > 2 * first.best_fitness
    for bad, word in ((dict(loss="mse"), "loss"), (dict(hold=[0, 2]), "hold"), (dict(noise=-1.0), "noise")):
        with pytest.raises(ValueError, match=word) as e:
            make_problem("ctc-stream", **bad)
        assert "\n" not in str(e.value)
