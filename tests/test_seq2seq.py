"""Encoder-decoder (seq2seq) networks on copy-seq and reverse-seq: teacher-forced, free-running and
scheduled decoding against a NumPy loop written here from the equations, BPTT against finite
differences, the bptt and evolution runs through the runner."""
import numpy as np
import pytest

import evornn
from reference_gated import sig
from evornn.grad import seq2seq_bptt
from evornn.problems.registry import make_problem
from evornn.problems.transduction import MODES

SMALL = dict(n_symbols=4, train_lengths=[1, 4], test_lengths=[5, 6], n_train=12, n_test=6)


@pytest.fixture(scope="module")
def copy():
    return make_problem("copy-seq", **SMALL)


@pytest.fixture(scope="module")
def reverse():
    return make_problem("reverse-seq", **SMALL)


def oracle_networks():
    """The seq2seq networks these oracle tests run (tests/test_engine.py: every cell has an oracle)."""
    yield evornn.build("seq2seq", 6, 4, cell="elman", n_hidden=8, activation="sigmoid")
    yield evornn.build("seq2seq", 6, 4, cell="lstm", n_hidden=8)


def elman_step(p, pre, x, h):
    return sig(p[pre + "W_in"] @ x + p[pre + "W_rec"] @ h + p[pre + "b"])


def lstm_step(p, pre, x, state):
    W, U, b = p[pre + "W_in"], p[pre + "W_rec"], p[pre + "b"]
    h, c = state
    i, f = sig(W[0] @ x + U[0] @ h + b[0]), sig(W[1] @ x + U[1] @ h + b[1])
    g = np.tanh(W[2] @ x + U[2] @ h + b[2])
    c = f * c + i * g
    h = sig(W[3] @ x + U[3] @ h + b[3]) * np.tanh(c)
    return h, c


def oracle(net, w, data, n_symbols, mode, cell, p_teacher=0.5, u=None):
    """(mean cross-entropy, symbol accuracy, sequence accuracy) by a plain loop: the encoder reads the
    one-hot source, its final state starts the decoder, the decoder reads its previous symbol (GO
    first); ``u``: the uniform draws of scheduled sampling, one per target step."""
    p = net.unflatten(w)
    n_in = n_symbols + 2
    step = elman_step if cell == "elman" else lstm_step
    zero = np.zeros(8) if cell == "elman" else (np.zeros(8), np.zeros(8))
    ce, right, seqs, k = 0.0, 0, 0, 0
    for s in range(data.n_sequences):
        src, tgt = data.pair(s)
        state = zero
        for a in src:
            x = np.zeros(n_in)
            x[a] = 1.0
            state = step(p, "enc.", x, state)
        prev, ok = n_symbols, True
        for b in tgt:
            x = np.zeros(n_in)
            x[prev], x[-1] = 1.0, 1.0
            state = step(p, "dec.", x, state)
            h = state if cell == "elman" else state[0]
            o = p["out.W"] @ h + p["out.b"]
            ce += np.logaddexp.reduce(o) - o[b]
            guess = int(np.argmax(o))
            right += guess == b
            ok &= guess == b
            if mode == "teacher" or (mode == "scheduled" and u[k] < p_teacher):
                prev = b
            else:
                prev = guess
            k += 1
        seqs += ok
    n = data.tgt.size
    return ce / n, right / n, seqs / data.n_sequences


def splitmix_uniforms(seed: int, n: int) -> list[float]:
    """Uniforms in [0, 1) from splitmix64 (Steele, Lea & Flood 2014), the top 53 bits of each output."""
    m, out = 2**64 - 1, []
    for _ in range(n):
        seed = (seed + 0x9E3779B97F4A7C15) & m
        z = ((seed ^ (seed >> 30)) * 0xBF58476D1CE4E5B9) & m
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m
        out.append((z ^ (z >> 31)) >> 11)
    return [v / 2**53 for v in out]


@pytest.mark.parametrize("cell", ["elman", "lstm"])
@pytest.mark.parametrize("mode", ["teacher", "free"])
def test_decoding_equals_a_numpy_loop(copy, reverse, cell, mode):
    for prob in (copy, reverse):
        net = evornn.build("seq2seq", prob.n_inputs, prob.n_outputs, cell=cell, n_hidden=8,
                           **({"activation": "sigmoid"} if cell == "elman" else {}))
        W = net.init(np.random.default_rng(1), 3) * 3.0
        res = prob.score(net, W, prob.train, mode)
        for i in range(3):
            want = oracle(net, W[i], prob.train, 4, mode, cell)
            np.testing.assert_allclose(res.metrics[i], want, rtol=1e-10, atol=1e-12)
            assert res.fitness[i] == pytest.approx(np.exp(-want[0]), rel=1e-10)


def test_scheduled_sampling_draws_from_the_seed_and_mixes_the_two(copy):
    net = evornn.build("seq2seq", copy.n_inputs, copy.n_outputs, cell="elman", n_hidden=8, activation="sigmoid")
    W = net.init(np.random.default_rng(2), 2) * 3.0
    seeds = np.array([11, 12], dtype=np.uint64)
    prob = make_problem("copy-seq", **SMALL, decoding="scheduled", teacher_prob=0.5)
    res = prob.evaluate(net, W, seeds)
    for i in range(2):
        u = splitmix_uniforms(int(seeds[i]), prob.train.tgt.size)
        want = oracle(net, W[i], prob.train, 4, "scheduled", "elman", 0.5, u)
        np.testing.assert_allclose(res.metrics[i], want, rtol=1e-10)
    for p, same in ((1.0, "teacher"), (0.0, "free")):
        sch = make_problem("copy-seq", **SMALL, decoding="scheduled", teacher_prob=p).evaluate(net, W, seeds)
        assert np.array_equal(sch.metrics, copy.score(net, W, copy.train, same).metrics)


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
@pytest.mark.parametrize("mode", ["teacher", "free", "scheduled"])
def test_bptt_gradient_matches_finite_differences(reverse, cell, mode):
    net = evornn.build("seq2seq", reverse.n_inputs, reverse.n_outputs, cell=cell, n_hidden=3)
    rng = np.random.default_rng(3)
    w = net.init(rng) * 2.0
    seqs = np.array([0, 3, 5, 7])
    args = (reverse.train, seqs, MODES[mode], 0.5, 7)
    loss, g = seq2seq_bptt.gradient(net, w, *args)
    if mode != "scheduled":            # the loss is the problem's cross-entropy on those strings
        sub = make_problem("reverse-seq", **SMALL)
        from evornn.problems.transduction import SymbolData
        sub.train = SymbolData.from_pairs([reverse.train.pair(s) for s in seqs])
        assert loss == pytest.approx(sub.score(net, w, sub.train, mode).metrics[0, 0], rel=1e-12)
    eps = 1e-6
    for i in rng.choice(net.n_params, 12, replace=False):
        e = np.zeros(net.n_params)
        e[i] = eps
        fd = (seq2seq_bptt.gradient(net, w + e, *args)[0] - seq2seq_bptt.gradient(net, w - e, *args)[0]) / (2 * eps)
        assert g[i] == pytest.approx(fd, rel=1e-5, abs=1e-8), i
    off, shape = net.layout["enc.b"]
    assert np.all(g[off:off + int(np.prod(shape))] != 0.0)          # the gradient reaches the encoder


def test_the_switch_starts_the_decoder_from_the_encoder_s_final_state():
    net = evornn.build("seq2seq", 3, 2, cell="elman", n_hidden=4)
    w = net.init(np.random.default_rng(4))
    X = np.random.default_rng(5).normal(size=(9, 3))
    X[:, -1] = [0, 0, 0, 0, 1, 1, 1, 1, 1]
    p = net.unflatten(w)
    h = np.zeros(4)
    for t in range(4):
        h = elman_step(p, "enc.", X[t], h)
    want = []
    for t in range(4, 9):
        h = elman_step(p, "dec.", X[t], h)
        want.append(p["out.W"] @ h + p["out.b"])
    for engine in ("lanes", "scalar"):
        np.testing.assert_allclose(net.run_population(w[None], X, engine=engine)[0, 4:], want, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="same length"):
        evornn.build("seq2seq", 3, 2, cell="elman", decoder_cell="lstm")


def test_problem_errors_are_one_line():
    for bad, word in ((dict(decoding="beam"), "decoding"), (dict(train_lengths=[5, 2]), "train_lengths"),
                      (dict(n_symbols=1), "n_symbols"), (dict(teacher_prob=2.0), "teacher_prob")):
        with pytest.raises(ValueError, match=word) as e:
            make_problem("copy-seq", **{**SMALL, **bad})
        assert "\n" not in str(e.value)
    prob = make_problem("copy-seq", **SMALL)
    with pytest.raises(ValueError, match="needs a seq2seq network"):
        prob.evaluate(evornn.build("elman", prob.n_inputs, prob.n_outputs), np.zeros((1, 150)))


def test_bptt_and_evolution_run_through_the_runner():
    params = {**SMALL, "n_train": 24}
    res = evornn.optimise("bptt", "copy-seq", "seq2seq", net={"cell": "gru", "n_hidden": 8}, problem_params=params,
                          settings={"learning_rate": 0.03, "batch_size": 8}, stop={"max_generations": 25}, seed=1)
    assert res.progress.evaluations == 25 * 24
    first = evornn.optimise("bptt", "copy-seq", "seq2seq", net={"cell": "gru", "n_hidden": 8}, problem_params=params,
                            settings={"learning_rate": 0.03, "batch_size": 8}, stop={"max_generations": 1}, seed=1)
    assert res.best_fitness > 2 * first.best_fitness          # the cross-entropy went down
    again = evornn.optimise("bptt", "copy-seq", "seq2seq", net={"cell": "gru", "n_hidden": 8}, problem_params=params,
                            settings={"learning_rate": 0.03, "batch_size": 8}, stop={"max_generations": 25}, seed=1)
    assert again.best_fitness == res.best_fitness
    evo = evornn.optimise("cosyne", "reverse-seq", "seq2seq", net={"cell": "elman", "n_hidden": 4},
                          problem_params=params, stop={"max_generations": 2}, seed=0)
    assert evo.progress.generation == 2
