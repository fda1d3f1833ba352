"""Incremental-field Hopfield recall (evornn.nets.hopfield_fields) against the ``hopfield`` kernels
(both float64 engines) and a NumPy oracle: the same outputs, bit for bit, over random weights,
thresholds, probes, sizes, sweep limits and sweep orders, with exact ties (integer weights) and
near-ties (weights k/N and k/10, whose fields are zero up to rounding)."""
import numpy as np
import pytest

import evornn
from evornn.nets import associative as A
from evornn.nets import hopfield_fields as F
from evornn.problems.hopfield_recall import recall
from evornn.problems.registry import make_problem

KINDS = ("normal", "ties", "tenths", "hebbian", "hebbian-noisy")


def weights(kind: str, net, rows: int, rng) -> np.ndarray:
    """``rows`` chromosomes of ``kind``: N(0, 1); integers in {-1, 0, 1} with zero thresholds (exact
    zero fields); 0.1 x {-1, 0, 1} (thresholds too: fields zero up to rounding); the Hebbian
    weights of random patterns, k/N (near-zero fields), alone or plus a little noise on some."""
    N, n = net.n_inputs, net.n_params
    if kind == "normal":
        return rng.normal(0.0, 1.0, (rows, n))
    if kind == "ties":
        W = rng.integers(-1, 2, (rows, n)).astype(np.float64)
        W[:, N * (N - 1) // 2:] = 0.0
        return W
    if kind == "tenths":
        return 0.1 * rng.integers(-1, 2, (rows, n))
    W = np.stack([A.hebbian(net, rng.choice([-1.0, 1.0], (int(rng.integers(1, N + 2)), N))) for _ in range(rows)])
    if kind == "hebbian-noisy":
        W[::2] += 1e-3 * rng.normal(0.0, 1.0, W[::2].shape)
    return W


def probes(N: int, k: int, rng) -> np.ndarray:
    X = rng.normal(0.0, 1.0, (k, N))
    X[rng.random((k, N)) < 0.1] = 0.0                       # x = 0 starts at +1
    return X


def oracle(net, w, x) -> np.ndarray:
    """One asynchronous recall written from the equations (the kernel's sum order)."""
    N, o = net.n_inputs, net.layers[0].options
    M, th = A.symmetric(net.unflatten(w)["W"], N), net.unflatten(w)["theta"]
    s = np.where(x >= 0.0, 1.0, -1.0)
    for _ in range(o["max_sweeps"]):
        old = s.copy()
        for i in np.random.default_rng(o["order_seed"]).permutation(N):
            h = 0.0
            for j in range(N):
                if j != i:
                    h += M[i, j] * s[j]
            h -= th[i]
            s[i] = 1.0 if h > 0.0 else (-1.0 if h < 0.0 else s[i])
        if np.array_equal(s, old):
            break
    return s[:net.n_outputs]


def case(rng, sizes):
    N = int(rng.choice(sizes))
    net = evornn.build("hopfield", N, int(rng.integers(1, N + 1)), max_sweeps=int(rng.choice([1, 2, 3, 100])),
                       order_seed=int(rng.integers(0, 1000)))
    return net, N


@pytest.mark.parametrize("kind", KINDS)
def test_equals_both_float64_kernels(kind):
    """40 random networks per kind, 5 chromosomes x 20 probes each, sizes 1 to 100."""
    rng = np.random.default_rng(sum(map(ord, kind)))
    for c in range(40):
        net, N = case(rng, [1, 2, 3, 5, 8, 13, 32, 64, 100])
        W, X = weights(kind, net, 5, rng), probes(N, 20, rng)
        got = F.recall_population(net, W, X)
        for engine in ("lanes", "scalar"):
            want = net.run_population(W, X, np.array([0, 7, 20]), engine=engine)
            assert np.array_equal(got, want), (kind, c, engine, N)


@pytest.mark.parametrize("kind", KINDS)
def test_equals_the_numpy_oracle(kind):
    rng = np.random.default_rng(1 + sum(map(ord, kind)))
    for c in range(15):
        net, N = case(rng, [2, 4, 9, 16])
        W, X = weights(kind, net, 3, rng), probes(N, 6, rng)
        got = F.recall_population(net, W, X)
        for p in range(len(W)):
            assert np.array_equal(got[p], [oracle(net, W[p], x) for x in X]), (kind, c, p)


def run_one(net, w, x, bounds: bool):
    """recall_one on chromosome w, probe x; ``bounds`` False: every decision by the incremental
    field's sign (tolerance 0), the exact field only where it is 0."""
    N = net.n_inputs
    M, th, B, fast = np.empty((N, N)), np.empty(N), np.empty(N), np.empty(N, dtype=np.bool_)
    assert F.unpack(w, N, M, th, B, fast)
    if not bounds:
        B[:] = 0.0
    s, h = np.empty(N), np.empty(N)
    _, n_exact = F.recall_one(M, th, B, fast, net.ix, x, net.layers[0].options["max_sweeps"], s, h)
    return s[:net.n_outputs].copy(), n_exact


def test_near_zero_fields_need_the_exact_sum():
    """Hebbian weights k/N: many fields are 0 in exact arithmetic, and the kernel's sign for them
    is its rounding's. Deciding by the incremental field alone gives other states on some probes
    (so the cases can tell), the bound sends those visits to the exact sum, and the result is the
    kernel's on every probe."""
    rng = np.random.default_rng(7)
    differ = exact_visits = 0
    for _ in range(30):
        N = int(rng.choice([20, 50, 100]))
        net = evornn.build("hopfield", N, N, order_seed=int(rng.integers(0, 1000)))
        pats = rng.choice([-1.0, 1.0], (int(rng.integers(2, N // 3)), N))
        w = A.hebbian(net, pats)
        X = np.repeat(pats, 3, axis=0) * np.where(rng.random((3 * len(pats), N)) < 0.15, -1.0, 1.0)
        want = net.run_population(w[None], X)[0]
        for x, y in zip(X, want):
            naive, _ = run_one(net, w, x, bounds=False)
            got, n = run_one(net, w, x, bounds=True)
            differ += not np.array_equal(naive, y)
            exact_visits += n
            assert np.array_equal(got, y)
    assert differ > 0 and exact_visits > 0, (differ, exact_visits)


def test_rows_with_nan_or_inf_give_nan_and_huge_weights_decide_exactly(rng):
    net = evornn.build("hopfield", 12, 12)
    W = rng.normal(0.0, 1.0, (4, net.n_params))
    W[1, 3], W[2, -1] = np.nan, np.inf
    W[3] *= 1e300                                             # B_i above 2^900: exact sums only
    X = probes(12, 5, rng)
    got = F.recall_population(net, W, X)
    want = net.run_population(W, X)
    assert np.isnan(got[1:3]).all() and np.isnan(want[1:3]).all()
    assert np.array_equal(got[[0, 3]], want[[0, 3]])
    assert np.array_equal(got[[0, 3]], net.run_population(W[[0, 3]], X, engine="scalar"))


def test_the_recall_problem_uses_it_only_where_it_applies(rng):
    assert F.applies(evornn.build("hopfield", 8, 8))
    assert F.applies(evornn.build("hopfield", 8, 3, engine="scalar"))
    assert not F.applies(evornn.build("hopfield", 8, 8, update="sync"))
    assert not F.applies(evornn.build("hopfield", 8, 8, dtype="float32"))
    assert not F.applies(evornn.build("hopfield-continuous", 8, 8))
    with pytest.raises(ValueError, match="asynchronous float64 hopfield"):
        F.recall_population(evornn.build("hopfield", 8, 8, update="sync"), np.zeros((1, 36)), np.zeros((1, 8)))
    prob = make_problem("hopfield-recall", n_units=30, patterns=6, noise=0.1, probes=2, seed=3, margin=1.0)
    net = evornn.build("hopfield", 30, 30)
    W = prob.initial(net, rng, 6)
    X = np.vstack([prob.probes, prob.patterns])
    assert np.array_equal(recall(net, W, X), np.sign(net.run_population(W, X, np.arange(len(X) + 1))))
