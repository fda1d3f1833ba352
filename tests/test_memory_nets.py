"""NTM, ENTM and DNC memories (evornn/nets/memory.py, cells ntm and dnc) against NumPy oracles
written from the papers' equations (tests/reference_memory.py), a hand-built machine that copies
at any length, and the copy, repeat-copy and assoc-recall problems."""
import numba
import numpy as np
import pytest

import evornn
import reference_memory as ref
from engines import ENGINES, error, tol
from evornn.nets import memory as mm
from evornn.problems.registry import make_problem
from evornn.seeding import generator

N, M, R = 7, 5, 2
LANES, LANE = 4, 2                     # every op runs on lane 2 of 4: the other lanes stay untouched


class WS:
    """A lane-layout workspace: vectors placed at rows, read back from one lane."""

    def __init__(self, rng, rows=400):
        self.ws = rng.normal(size=rows * LANES)
        self.before = self.ws.copy()
        self.top = 0

    def put(self, v):
        v = np.asarray(v, dtype=np.float64).ravel()
        r = self.top
        self.ws[r * LANES + LANE:(r + v.size) * LANES:LANES] = v
        self.top += v.size
        return r

    def space(self, n):
        return self.put(np.zeros(n))

    def get(self, r, n):
        return self.ws[r * LANES + LANE:(r + n) * LANES:LANES].copy()

    def others_untouched(self):
        keep = np.ones(self.ws.size, dtype=bool)
        keep[LANE::LANES] = False
        return np.array_equal(self.ws[keep], self.before[keep])


def _probs(rng, n):
    return ref.softmax(rng.normal(size=n) * 2)


@pytest.fixture
def w(rng):
    return WS(rng)


def test_content_addressing(w, rng):
    Mem, k, beta = rng.normal(size=(N, M)), rng.normal(size=M), 2.7
    Mem[3] = 0.0                                       # an empty row: similarity 0
    m, kk, out = w.put(Mem), w.put(k), w.space(N)
    mm.content(w.ws, m, N, M, kk, beta, out, LANES, LANE)
    assert np.allclose(w.get(out, N), ref.content(Mem, k, beta), rtol=1e-13, atol=1e-15)
    mm.similarity(w.ws, m, N, M, kk, out, LANES, LANE)
    assert np.allclose(w.get(out, N), ref.cosine(Mem, k), rtol=1e-13, atol=1e-15)
    assert w.others_untouched()


def test_interpolation_shift_and_sharpening(w, rng):
    wc, wp, s, g, gamma = _probs(rng, N), _probs(rng, N), _probs(rng, 3), 0.3, 2.4
    a, b, ss, out = w.put(wc), w.put(wp), w.put(s), w.space(N)
    mm.interpolate(w.ws, a, b, g, N, LANES, LANE)
    wg = ref.interpolate(wc, wp, g)
    assert np.allclose(w.get(a, N), wg, rtol=1e-14)
    mm.shift(w.ws, a, ss, out, N, LANES, LANE)
    wt = ref.shift(wg, s)
    assert np.allclose(w.get(out, N), wt, rtol=1e-14)
    # shift +1 moves the focus from location i to i + 1 (Graves et al. eq. 8), circularly
    one, plus = w.put(np.eye(N)[N - 1]), w.put([0.0, 0.0, 1.0])
    mm.shift(w.ws, one, plus, out, N, LANES, LANE)
    assert np.array_equal(w.get(out, N), np.eye(N)[0])
    t = w.put(wt)
    mm.sharpen(w.ws, t, gamma, out, N, LANES, LANE)
    assert np.allclose(w.get(out, N), ref.sharpen(wt, gamma), rtol=1e-13)
    assert w.others_untouched()


def test_read_erase_and_add(w, rng):
    Mem, ww, e, a = rng.normal(size=(N, M)), _probs(rng, N), ref.sigmoid(rng.normal(size=M)), rng.normal(size=M)
    m, wr, ee, aa, r = w.put(Mem), w.put(ww), w.put(e), w.put(a), w.space(M)
    mm.read(w.ws, m, N, M, wr, r, LANES, LANE)
    assert np.allclose(w.get(r, M), ref.read(Mem, ww), rtol=1e-13)
    mm.erase(w.ws, m, N, M, wr, ee, LANES, LANE)
    Mem = ref.erase(Mem, ww, e)
    assert np.allclose(w.get(m, N * M).reshape(N, M), Mem, rtol=1e-14)
    mm.add(w.ws, m, N, M, wr, aa, LANES, LANE)
    assert np.allclose(w.get(m, N * M).reshape(N, M), ref.add(Mem, ww, a), rtol=1e-14)
    assert w.others_untouched()


@pytest.mark.parametrize("jump", [0.2, 0.9])
def test_entm_hard_addressing(w, rng, jump):
    for trial in range(6):
        Mem, k, s, wp = rng.normal(size=(N, M)), rng.normal(size=M), rng.normal(size=3), np.eye(N)[trial]
        m, kk, ss, h, tmp = w.put(Mem), w.put(k), w.put(s), w.put(wp), w.space(N)
        mm.hard_address(w.ws, m, N, M, kk, jump, ss, h, tmp, LANES, LANE)
        assert np.array_equal(w.get(h, N), ref.hard_address(Mem, k, jump, s, wp))
        w.top = 0
    assert w.others_untouched()


def test_dnc_usage_allocation_and_links(w, rng):
    u, ww, wr, f = rng.uniform(size=N), _probs(rng, N) * 0.9, np.array([_probs(rng, N) for _ in range(R)]), rng.uniform(size=R)
    uu, w1, w2, ff = w.put(u), w.put(ww), w.put(wr), w.put(f)
    mm.usage(w.ws, uu, w1, w2, R, ff, N, LANES, LANE)
    u = ref.usage(u, ww, wr, f)
    assert np.allclose(w.get(uu, N), u, rtol=1e-14)
    for usage in (u, np.array([0.5, 0.2, 0.5, 1.0, 0.0, 0.2, 0.5])):   # ties: lower index first
        us, order, a = w.put(usage), w.space(N), w.space(N)
        mm.allocation(w.ws, us, order, a, N, LANES, LANE)
        assert np.allclose(w.get(a, N), ref.allocation(usage), rtol=1e-14, atol=1e-16)
    Lk, p = rng.uniform(size=(N, N)) * 0.1, _probs(rng, N) * 0.5
    np.fill_diagonal(Lk, 0.0)
    lk, pp = w.put(Lk), w.put(p)
    mm.link(w.ws, lk, pp, w1, N, LANES, LANE)
    Lk, p = ref.link(Lk, p, ww)
    assert np.allclose(w.get(lk, N * N).reshape(N, N), Lk, rtol=1e-13, atol=1e-16)
    assert np.allclose(w.get(pp, N), p, rtol=1e-14)
    cw, g_a, g_w, out = w.put(_probs(rng, N)), 0.3, 0.8, w.space(N)
    mm.write_weighting(w.ws, a, cw, g_a, g_w, out, N, LANES, LANE)
    assert np.allclose(w.get(out, N), g_w * (g_a * w.get(a, N) + (1 - g_a) * w.get(cw, N)), rtol=1e-14)
    for transpose, want in ((False, Lk @ wr[0]), (True, Lk.T @ wr[0])):
        mm.directional(w.ws, lk, w2, out, N, transpose, LANES, LANE)
        assert np.allclose(w.get(out, N), want, rtol=1e-13)
    assert w.others_untouched()


# -- whole networks -------------------------------------------------------------------------
NETS = {
    "ntm": (dict(memory_size=6, memory_width=4, read_heads=2, write_heads=2),
            lambda p, X: ref.ntm_net(p, X, 6, 4, 2, 2)),
    "ntm-entm": (dict(memory_size=6, memory_width=4, read_heads=1, write_heads=2, addressing="entm"),
                 lambda p, X: ref.ntm_net(p, X, 6, 4, 1, 2, "entm")),
    "dnc": (dict(memory_size=6, memory_width=4, read_heads=2), lambda p, X: ref.dnc_net(p, X, 6, 4, 2)),
    "ntm-direct": (dict(memory_size=6, memory_width=4, read_heads=1, write_heads=2, addressing="entm", direct=True),
                   lambda p, X: ref.ntm_net(p, X, 6, 4, 1, 2, "entm")),
}


# The scalar engine runs the same memory code with one lane (n = 1): checked on the NTM only, to
# compile one kernel less (the op tests above run every memory function in a lane layout).
@pytest.mark.parametrize("case,engine", [("ntm", "lanes"), ("ntm", "scalar"), ("ntm-entm", "lanes"),
                                         ("ntm-entm", "scalar"), ("dnc", "lanes"), ("ntm-direct", "lanes"),
                                         ("ntm-direct", "scalar")])
def test_network_matches_numpy_oracle(case, engine, rng):
    opts, oracle = NETS[case]
    net = evornn.build(case.split("-")[0], 3, 2, n_hidden=5, **opts, **ENGINES[engine])
    for _ in range(2):
        wv = rng.normal(0.0, 1.0, net.n_params)
        X = rng.normal(0.0, 1.0, (15, 3))
        got, want = net.run(wv, X), oracle(net.unflatten(wv), X)
        assert got.shape == want.shape == (15, 2)
        assert error(got, want, engine) <= tol(engine, 1e-10)


def test_parameter_counts():
    H, I, O = 5, 3, 2
    for case, (opts, _o) in NETS.items():
        net = evornn.build(case.split("-")[0], I, O, n_hidden=H, **opts)
        Mw, Rh = opts["memory_width"], opts["read_heads"]
        ctrl = H * (I + Rh * Mw + H + 1)
        if case == "dnc":
            P = (Rh + 3) * Mw + 5 * Rh + 3
        else:
            hs = Mw + (4 if opts.get("addressing") == "entm" else 6)
            P = Rh * hs + opts["write_heads"] * (hs + 2 * Mw)
        direct = P * (I + Rh * Mw) if opts.get("direct") else 0
        assert net.n_params == ctrl + P * (H + 1) + direct + O * (H + Rh * Mw + 1)
    lstm = evornn.build("ntm", I, O, controller="lstm", n_hidden=H, memory_width=4)
    assert lstm.n_params == 4 * H * (I + 4 + H + 1) + ((4 + 6) + (4 + 6 + 2 * 4)) * (H + 1) + O * (H + 4 + 1)


def test_population_is_bit_identical_across_threads_and_positions(rng):
    net = evornn.build("ntm", 3, 2, n_hidden=5, **{k: v for k, v in NETS["ntm-entm"][0].items()})
    W = rng.normal(size=(11, net.n_params))
    X = rng.normal(size=(20, 3))
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        Y1 = net.run_population(W, X)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        Yn = net.run_population(W, X)
        Yp = net.run_population(W[::-1], X)[::-1]
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(Y1, Yn) and np.array_equal(Y1, Yp)


def test_bad_memory_options_name_themselves():
    for arch, opts, word in (("ntm", dict(addressing="fuzzy"), "addressing"), ("ntm", dict(memory_size=0), "memory_size"),
                             ("dnc", dict(memory_size=33), "memory_size"), ("ntm", dict(read_heads=0), "read_heads"),
                             ("dnc", dict(controller="transformer"), "transformer")):
        with pytest.raises(ValueError, match=word) as e:
            evornn.build(arch, 3, 2, **opts)
        assert "\n" not in str(e.value)


# -- a hand-built machine copies at any length --------------------------------------------
A = 20.0


def copy_machine(addressing: str, memory_size: int):
    """An NTM (elman controller) whose weights copy: the write head writes x_t and moves +1 every
    step; the read head waits at location 0 until the step after the delimiter, then moves +1."""
    net = evornn.build("ntm", 9, 8, n_hidden=10, memory_size=memory_size, memory_width=8, addressing=addressing,
                       output_activation="sigmoid")
    p = {k: np.zeros(s) for k, (_o, s) in net.layout.items()}
    for i in range(9):                     # units 0-7: the bits; unit 8: the delimiter
        p["ctrl.W_in"][i, i] = A
        p["ctrl.b"][i] = -A / 2
    p["ctrl.W_rec"][9, 8] = p["ctrl.W_rec"][9, 9] = A        # unit 9: "the delimiter has passed"
    p["ctrl.b"][9] = -A / 2
    soft = addressing == "soft"
    hs = 8 + (6 if soft else 4)
    Wq, bq = p["mem.W_heads"], p["mem.b_heads"]
    g, s = (9, 10) if soft else (8, 9)     # offsets of the gate and the shifts in a head
    for q in (0, hs):                      # read head, write head
        bq[q + g] = -A                     # never content (ENTM: never jump)
        bq[q + s] = -A                     # never shift -1
        if soft:
            bq[q + 13] = 50.0              # sharpening gamma = 51
    Wq[s + 2, 9] = 2 * A                   # the read head moves on once the delimiter has passed
    bq[s + 2] = -A / 2
    bq[hs + s + 2] = A                     # the write head always moves on
    bq[2 * hs:2 * hs + 8] = A              # erase everything ...
    Wq[2 * hs + 8:2 * hs + 16, :8] = np.eye(8)             # ... and add the bits
    p["out.W"][:, 10:] = A * np.eye(8)     # output = the read vector
    p["out.b"][:] = -A / 2
    return net, net.flatten(p)


@pytest.mark.parametrize("addressing", ["entm", "soft"])
def test_hand_built_ntm_copies_at_every_length(addressing):
    prob = make_problem("copy", max_length=4, n_train=8, n_test=4)
    net, wv = copy_machine(addressing, prob.default_net["memory_size"])
    res = prob.evaluate(net, wv[None], None)
    assert res.fitness[0] == 1.0 and res.metrics[0, 1] == 1.0
    check = prob.check_solved(net, wv, res.metrics[0], 0)
    assert check.solved and check.info["test_bit_accuracy_5x"] == 1.0
    # and a longer sequence than any test, in a memory big enough for it
    net, wv = copy_machine(addressing, 70)
    x, y = __import__("evornn.problems.memory_tasks", fromlist=["copy_sequence"]).copy_sequence(
        60, 8, np.random.default_rng(1))
    out = net.run(wv, x)
    assert np.array_equal(out[61:] > 0.5, y[61:] > 0.5)
    # a memory too small for the sequence loses it: the result depends on the memory
    net, wv = copy_machine(addressing, 40)
    assert not np.array_equal(net.run(wv, x)[61:] > 0.5, y[61:] > 0.5)


def test_entm_copies_without_controller_state_by_jumping_on_the_delimiter():
    """A copier with no recurrent state (B + 1 units reading only the current input): the write
    head writes 1 + A x_t (> 0) and moves on; the read head's key is negative, so on the delimiter it
    jumps to the least dissimilar location, the never-written location 0 (first on ties), and moves
    on otherwise. What evolution has to find without a latch."""
    B = 2
    prob = make_problem("copy", max_length=3, n_train=16, n_test=8, bits=B)
    net = evornn.build("ntm", B + 1, B, n_hidden=B + 1, memory_size=prob.default_net["memory_size"],
                       memory_width=B, addressing="entm", output_activation="sigmoid")
    p = {k: np.zeros(s) for k, (_o, s) in net.layout.items()}
    p["ctrl.W_in"][:, :B + 1] = A * np.eye(B + 1)          # the bits and the delimiter, thresholded
    p["ctrl.b"][:] = -A / 2
    hs, Wq, bq = B + 4, p["mem.W_heads"], p["mem.b_heads"]
    bq[:B] = -A                                             # read key
    Wq[B, B], bq[B] = 2 * A, -A                             # read head jumps on the delimiter
    bq[B + 1], Wq[B + 3, B], bq[B + 3] = -A, -2 * A, A      # else moves on (+1), never -1
    bq[hs + B], bq[hs + B + 1], bq[hs + B + 3] = -A, -A, A  # write head: no jump, always +1
    bq[2 * hs:2 * hs + B] = A                               # erase, then add 1 + A x
    Wq[2 * hs + B:2 * hs + 2 * B, :B] = A * np.eye(B)
    bq[2 * hs + B:2 * hs + 2 * B] = 1.0
    p["out.W"][:, B + 1:] = np.eye(B)
    p["out.b"][:] = -(1 + A / 2)
    w = net.flatten(p)
    assert prob.evaluate(net, w[None], None).metrics[0, 1] == 1.0
    assert all(v == 1.0 for v in prob.lengths(net, w).values())
    bq[B] = -3 * A                                          # never jumps: the read head runs with the writer
    assert prob.evaluate(net, net.flatten(p)[None], None).metrics[0, 1] < 0.5


def test_closeness_fitness_gives_partial_credit():
    bits = make_problem("copy", max_length=3, n_train=6, n_test=1)
    close = make_problem("copy", max_length=3, n_train=6, n_test=1, fitness="closeness")
    net = evornn.build("elman", 9, 8, n_hidden=3, output_activation="sigmoid")
    W = net.init(np.random.default_rng(0), 3)
    W[2, 0] = np.nan
    a, b = bits.evaluate(net, W, None), close.evaluate(net, W, None)
    assert np.array_equal(a.metrics, b.metrics)                       # the same measures
    Y = net.run_population(W[:2], close.train.X, close.train.starts)
    m = close.train.mask == 1
    assert np.allclose(b.fitness[:2], 1 - np.abs(Y[:, m] - close.train.Y[m]).mean(axis=(1, 2)), rtol=1e-12)
    assert b.fitness[2] == 0.0 and close.params()["fitness"] == "closeness"
    with pytest.raises(ValueError, match="fitness must be 'bits', 'closeness' or 'strict'"):
        make_problem("copy", fitness="mse")


def test_resample_draws_a_fresh_training_set_from_the_generation_s_seed():
    fixed = make_problem("copy", max_length=3, n_train=6, n_test=1, bits=2)
    prob = make_problem("copy", max_length=3, n_train=6, n_test=1, bits=2, resample=True)
    assert prob.common_seeds and not fixed.common_seeds and prob.params()["resample"] is True
    assert np.array_equal(prob.train.X, fixed.train.X)                 # the fixed set is still there (seeds=None)
    net = evornn.build("elman", 3, 2, n_hidden=4, output_activation="sigmoid")
    W = net.init(np.random.default_rng(0), 8)
    s1, s2 = np.full(8, 11, dtype=np.uint64), np.full(8, 12, dtype=np.uint64)
    a, b, c = prob.evaluate(net, W, s1), prob.evaluate(net, W, s1), prob.evaluate(net, W, s2)
    assert np.array_equal(a.fitness, b.fitness)                         # same seed, same training set
    assert not np.array_equal(a.fitness, c.fitness)                     # another generation, another set
    assert np.array_equal(fixed.evaluate(net, W, s1).fitness, prob.evaluate(net, W, None).fitness)
    assert not np.array_equal(fixed.evaluate(net, W, s1).fitness, a.fitness)
    # the fresh set is drawn as the training set: its lengths in min_length..max_length, n_train sequences
    d = prob.draw_train(np.random.default_rng(3))
    assert d.n_sequences == 6 and set((np.diff(d.starts) - 1) // 2) <= {1, 2, 3}
    assert np.array_equal(a.fitness, prob.score(net, W, prob.draw_train(generator(11, 2))).fitness)
    with pytest.raises(ValueError, match="resample must be") as e:
        make_problem("copy", resample="yes")
    assert "\n" not in str(e.value)


def test_test_runs_only_once_the_training_set_is_right():
    prob = make_problem("copy", max_length=3, n_train=6, n_test=2, bits=2)
    net = evornn.build("ntm", 3, 2, n_hidden=3, memory_size=17, memory_width=2, addressing="entm",
                       output_activation="sigmoid")
    w = net.init(np.random.default_rng(0), 1)[0]
    row = prob.evaluate(net, w[None], None).metrics[0]
    assert row[1] < 1.0
    chk = prob.check_solved(net, w, row, 0)
    assert not chk.solved and chk.test_episodes == 0 and chk.info == {}
    assert prob.check_solved(net, w, None, 0).test_episodes == prob.test.n_sequences


# -- the problems -------------------------------------------------------------------------
def test_task_layouts_and_test_lengths():
    copy = make_problem("copy", min_length=2, max_length=3, n_train=5, n_test=2)
    assert (copy.n_inputs, copy.n_outputs) == (9, 8)
    lens = np.diff(copy.test.starts)
    assert list((lens - 1) // 2) [2:] == [6, 6, 15, 15]
    assert set((np.diff(copy.train.starts) - 1) // 2) <= {2, 3}
    rep = make_problem("repeat-copy", max_length=2, n_train=3, n_test=1, max_repeats=3)
    assert (rep.n_inputs, rep.n_outputs) == (10, 9)
    x, y = rep.train.X[:rep.train.starts[1]], rep.train.Y[:rep.train.starts[1]]
    L = int(np.flatnonzero(x[:, 8])[0])
    reps = round(x[L, 9] * 3)
    assert 1 <= reps <= 3 and x.shape[0] == L + 1 + reps * L + 1 and y[-1, 8] == 1 and not y[-1, :8].any()
    assert np.array_equal(y[L + 1:L + 1 + L, :8], x[:L, :8])
    ar = make_problem("assoc-recall", max_length=3, n_train=4, n_test=1)
    assert (ar.n_inputs, ar.n_outputs) == (8, 6)
    x, y, m = ar.train.X[:ar.train.starts[1]], ar.train.Y[:ar.train.starts[1]], ar.train.mask[:ar.train.starts[1]]
    n = (x.shape[0] - 8) // 4
    items = [x[4 * i + 1:4 * i + 4, :6] for i in range(n)]
    q = [i for i in range(n - 1) if np.array_equal(items[i], x[4 * n + 1:4 * n + 4, :6])]
    assert q and any(np.array_equal(y[m == 1], items[i + 1]) for i in q)
    for bad, word in ((dict(min_length=3, max_length=2), "min_length"), (dict(max_repeats=2), "max_repeats"),
                      (dict(n_train=0), "n_train")):
        with pytest.raises(ValueError, match=word):
            make_problem("copy", **bad)


def test_bit_accuracy_scores_thresholded_bits():
    prob = make_problem("copy", max_length=3, n_train=6, n_test=1)
    net = evornn.build("elman", 9, 8, n_hidden=3, output_activation="sigmoid")
    W = net.init(np.random.default_rng(0), 3)
    W[2, 0] = np.nan
    res = prob.evaluate(net, W, None)
    Y = net.run_population(W[:2], prob.train.X, prob.train.starts)
    m = prob.train.mask == 1
    right = (Y[:, m] > 0.5) == (prob.train.Y[m] > 0.5)
    assert np.array_equal(res.fitness[:2], right.mean(axis=(1, 2)))
    assert np.allclose(res.metrics[:2, 2], ((Y[:, m] - prob.train.Y[m]) ** 2).mean(axis=(1, 2)), rtol=1e-12)
    assert res.fitness[2] == 0.0 and res.metrics[2, 2] == np.inf


@pytest.mark.parametrize("optimiser", ["ga", "sa", "pso", "rwg", "cosyne", "esp", "cmaes"])
def test_every_evolutionary_optimiser_runs_the_memory_networks(optimiser):
    prob = make_problem("copy", bits=2, max_length=2, n_train=4, n_test=1)
    for arch, opts in (("ntm", {"addressing": "entm"}), ("dnc", {"memory_size": 8})):
        res = evornn.optimise(optimiser, prob, arch=arch, net={"n_hidden": 4, "memory_width": 2, **opts},
                              stop={"max_generations": 2, "solved": False}, seed=1)
        again = evornn.optimise(optimiser, prob, arch=arch, net={"n_hidden": 4, "memory_width": 2, **opts},
                                stop={"max_generations": 2, "solved": False}, seed=1)
        assert 0.0 < res.best_fitness <= 1.0 and res.best_fitness == again.best_fitness
        assert np.array_equal(res.best_chromosome, again.best_chromosome)
