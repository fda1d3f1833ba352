"""Hopfield networks and BAMs: the kernels against NumPy oracles written from the equations (same
sweep order, same summation order: equal bits), the energy property, the storage rules on
hand-checked cases, and the recall problems with every optimiser."""
import numpy as np
import pytest

import evornn
from engines import ENGINES, error, tol
from evornn.nets import associative as A
from evornn.optim import registry as optims
from evornn.problems.check import check_problem
from evornn.problems.hopfield_recall import recall as recall_states
from evornn.problems.registry import make_problem

# Networks the oracle tests run: name -> (arch, n_inputs, n_outputs, options)
CASES = {
    "hopfield-async": ("hopfield", 6, 4, {}),
    "hopfield-sync": ("hopfield", 6, 6, {"update": "sync", "max_sweeps": 7}),
    "hopfield-short": ("hopfield", 7, 7, {"max_sweeps": 1, "order_seed": 3}),
    "hopfield-continuous": ("hopfield-continuous", 5, 3, {"dt": 0.2, "gain": 2.0, "n_steps": 9}),
    "bam-b": ("bam", 5, 3, {}),
    "bam-ab": ("bam", 5, 9, {"outputs": "ab", "max_passes": 4}),
}


def sgn(h: float, old: float) -> float:
    return 1.0 if h > 0.0 else (-1.0 if h < 0.0 else old)


def field(M, s, i, theta_i):
    h = 0.0
    for j in range(len(s)):                       # j increasing, the diagonal left out
        if j != i:
            h += M[i, j] * s[j]
    return h - theta_i


def hopfield_oracle(net, w, x, trace=None):
    """One recall of ``hopfield`` network ``net`` from probe x; ``trace`` collects every state."""
    p, o = net.unflatten(w), net.layers[0].options
    N = net.n_inputs
    M = A.symmetric(p["W"], N)
    order = np.random.default_rng(o["order_seed"]).permutation(N)
    s = np.where(x >= 0.0, 1.0, -1.0)
    for _ in range(o["max_sweeps"]):
        old = s.copy()
        if o["update"] == "sync":
            s = np.array([sgn(field(M, old, i, p["theta"][i]), old[i]) for i in range(N)])
        else:
            for i in order:
                s[i] = sgn(field(M, s, i, p["theta"][i]), s[i])
                if trace is not None:
                    trace.append(s.copy())
        if np.array_equal(s, old):
            break
    return s[:net.n_outputs]


def continuous_oracle(net, w, x):
    p, o = net.unflatten(w), net.layers[0].options
    M = A.symmetric(p["W"], net.n_inputs)
    u = np.array(x, dtype=np.float64)
    for _ in range(o["n_steps"]):
        V = np.tanh(o["gain"] * u)
        for i in range(len(u)):
            u[i] += o["dt"] / o["tau"] * ((field(M, V, i, 0.0) + p["I"][i]) - u[i])
    return np.tanh(o["gain"] * u)[:net.n_outputs]


def bam_oracle(net, w, x):
    p, o = net.unflatten(w), net.layers[0].options
    W = p["W"]
    n, m = W.shape
    a, b = np.where(x >= 0.0, 1.0, -1.0), np.zeros(m)
    for _ in range(o["max_passes"]):
        a0, b0 = a.copy(), b.copy()
        for k in range(m):
            b[k] = sgn(sum(W[i, k] * a[i] for i in range(n)) - p["theta_b"][k], b[k])
        for i in range(n):
            a[i] = sgn(sum(W[i, k] * b[k] for k in range(m)) - p["theta_a"][i], a[i])
        if np.array_equal(a, a0) and np.array_equal(b, b0):
            break
    return (np.concatenate([a, b]) if o["outputs"] == "ab" else b)[:net.n_outputs]


ORACLES = {"hopfield": hopfield_oracle, "hopfield-continuous": continuous_oracle, "bam": bam_oracle}


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("case", sorted(CASES))
def test_kernels_equal_the_numpy_oracle(case, ties, engine, rng):
    """Each input row is one probe; ``ties``: weights in {-1, 0, 1} and zero thresholds, so that
    exact zero fields (the tie rule) occur often."""
    arch, n_in, n_out, opts = CASES[case]
    net = evornn.build(arch, n_in, n_out, **opts, **ENGINES[engine])
    W = (rng.integers(-1, 2, (5, net.n_params)).astype(np.float64) if ties
         else rng.normal(0.0, 1.0, (5, net.n_params)))
    if ties:
        for name, (off, shape) in net.layout.items():
            if name != "W":
                W[:, off:off + int(np.prod(shape))] = 0.0
    X = rng.normal(0.0, 1.0, (12, n_in))
    starts = np.array([0, 3, 12])
    Y = net.run_population(W, X, starts)
    exact = arch != "hopfield-continuous"
    for p in range(len(W)):
        want = np.array([ORACLES[arch](net, W[p], x) for x in X])
        assert error(Y[p], want, engine) <= tol(engine, 0.0 if exact else 1e-12), (p, case)


def test_energy_never_increases_along_an_asynchronous_run(rng):
    net = evornn.build("hopfield", 12, 12, max_sweeps=50)
    for _ in range(20):
        w = rng.normal(0.0, 1.0, net.n_params)
        x = rng.normal(0.0, 1.0, 12)
        trace = [np.where(x >= 0.0, 1.0, -1.0)]
        final = hopfield_oracle(net, w, x, trace)
        E = A.energy(net, w, np.array(trace))
        assert np.all(np.diff(E) <= 1e-12)
        assert np.array_equal(net.run(w, x[None])[0], final)
        # the kernel's end is a fixed point: every unit agrees with its field (or the field is 0)
        M, th = A.symmetric(net.unflatten(w)["W"], 12), net.unflatten(w)["theta"]
        h = M @ final - th
        assert np.all((h * final > 0) | (h == 0))


def test_hebbian_by_hand_and_stored_patterns_are_fixed_points():
    net = evornn.build("hopfield", 4, 4)
    xi = np.array([[1, 1, -1, -1], [1, -1, 1, -1]], dtype=float)
    w = A.hebbian(net, xi)
    # (1/4)(xi1 xi1^T + xi2 xi2^T): only W_03 and W_12 are non-zero, both -1/2
    assert np.array_equal(net.unflatten(w)["W"], [0.0, 0.0, -0.5, -0.5, 0.0, 0.0])
    assert np.array_equal(net.unflatten(w)["theta"], np.zeros(4))
    assert np.array_equal(net.run(w, xi), xi)
    assert np.array_equal(A.energy(net, w, xi), [-1.0, -1.0])


def test_storkey_equals_its_formula_written_out(rng):
    N, P = 9, 3
    X = rng.choice([-1.0, 1.0], (P, N))
    Wm = np.zeros((N, N))
    for xi in X:
        new = Wm.copy()
        for i in range(N):
            for j in range(N):
                if i == j:
                    continue
                h_ij = sum(Wm[i, k] * xi[k] for k in range(N) if k not in (i, j))
                h_ji = sum(Wm[j, k] * xi[k] for k in range(N) if k not in (i, j))
                new[i, j] = Wm[i, j] + (xi[i] * xi[j] - xi[i] * h_ji - h_ij * xi[j]) / N
        Wm = new
    net = evornn.build("hopfield", N, N)
    assert np.allclose(A.symmetric(net.unflatten(A.storkey(net, X))["W"], N), Wm, atol=1e-14)


def test_pseudo_inverse_stores_correlated_patterns_at_high_load(rng):
    N, P = 40, 16                                  # P/N = 0.4: far past the Hebbian capacity
    base = rng.choice([-1.0, 1.0], N)
    X = np.where(rng.random((P, N)) < 0.2, -base, base)     # strongly correlated patterns
    net = evornn.build("hopfield", N, N)
    assert np.array_equal(net.run(A.pseudo_inverse(net, X), X), X)
    assert not np.array_equal(net.run(A.hebbian(net, X), X), X)


def test_bam_by_hand_and_kosko_tie_rule():
    net = evornn.build("bam", 4, 7, outputs="ab")
    Ap = np.array([[1, 1, -1, -1], [1, -1, 1, -1]], dtype=float)
    Bp = np.array([[1, -1, 1], [-1, 1, 1]], dtype=float)
    w = A.correlation(net, Ap, Bp)
    assert np.array_equal(net.unflatten(w)["W"], Ap.T @ Bp)
    # cue A1: W^T A1 = 4 B1 + 0 B2 -> B1; W B1 = 3 A1 - A2 -> A1: stable at once
    assert np.array_equal(net.run(w, Ap), np.hstack([Ap, Bp]))
    assert np.array_equal(A.energy(net, w, Ap, Bp), [-(Ap[k] @ (Ap.T @ Bp) @ Bp[k]) for k in range(2)])
    # a B unit with a zero field keeps its old state (B starts at 0, unknown); an A unit likewise
    p = net.unflatten(w)
    p["W"][:, 2] = 0.0
    out = net.run(net.flatten(p), Ap[:1])[0]
    assert out[4 + 2] == 0.0 and np.array_equal(out[:4], Ap[0]) and np.array_equal(out[4:6], Bp[0, :2])


def test_storage_rules_refuse_what_they_cannot_store():
    net = evornn.build("hopfield", 4, 4)
    with pytest.raises(ValueError, match="must be a .* array of \\+1/-1"):
        A.hebbian(net, np.array([[1, 0, 1, 1]]))
    with pytest.raises(ValueError, match="patterns must have 4 units"):
        A.storkey(net, np.ones((2, 5)))
    with pytest.raises(ValueError, match="for hopfield and hopfield-continuous"):
        A.hebbian(evornn.build("elman", 4, 4), np.ones((1, 4)))
    with pytest.raises(ValueError, match="for bam networks"):
        A.correlation(net, np.ones((1, 4)), np.ones((1, 4)))


def test_options_are_checked_in_one_line():
    for arch, opts, word in (("hopfield", {"update": "random"}, "update"), ("hopfield", {"max_sweeps": 0}, "max_sweeps"),
                             ("hopfield", {}, "n_outputs must be in"), ("bam", {"outputs": "ba"}, "outputs"),
                             ("hopfield-continuous", {"dt": 2.0}, "dt must not exceed tau"),
                             ("hopfield", {"output_activation": "tanh"}, "output_activation must be 'linear'")):
        n_out = 6 if word == "n_outputs must be in" else 3
        with pytest.raises(ValueError, match=word) as e:
            evornn.build(arch, 4, n_out, **opts)
        assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="n_outputs must exceed n_inputs"):
        evornn.build("bam", 4, 4, outputs="ab")


# -- the problems ---------------------------------------------------------------------------------
SMALL = {"hopfield-recall": dict(n_units=16, patterns=2, probes=2, test_probes=3),
         "bam-recall": dict(n=8, p=6, pairs=2, probes=2, test_probes=3)}


@pytest.mark.parametrize("name", sorted(SMALL))
def test_problem_metrics_against_numpy(name, rng):
    prob = make_problem(name, **SMALL[name])
    check_problem(prob)
    net = evornn.api.make_network(prob)
    W = rng.normal(0.0, 1.0, (6, net.n_params))
    res = prob.evaluate(net, W, np.zeros(6, dtype=np.uint64))
    cues = prob.probes if name == "hopfield-recall" else prob.cues
    stored = prob.patterns if name == "hopfield-recall" else np.hstack([prob.A, prob.B])
    clean = prob.patterns if name == "hopfield-recall" else prob.A
    for p in range(6):
        S = np.array([ORACLES[net.name](net, W[p], x) for x in cues])
        right = S == prob.targets
        assert res.fitness[p] == res.metrics[p, 0] == right.mean()
        fixed = all(np.array_equal(ORACLES[net.name](net, W[p], c), s) for c, s in zip(clean, stored))
        assert res.metrics[p, -1] == float(fixed)
        if name == "hopfield-recall":
            assert res.metrics[p, 1] == right.all(axis=1).mean()
            assert res.metrics[p, 2] == pytest.approx((S * prob.targets).mean(), abs=1e-15)
        else:
            n = prob.n_inputs
            assert res.metrics[p, 1] == right[:, :n].all(axis=1).mean()
            assert res.metrics[p, 3] == right.all(axis=1).mean()


def test_probes_flip_exactly_the_asked_bits():
    prob = make_problem("hopfield-recall", n_units=50, patterns=3, noise=0.1, probes=4)
    assert np.all((prob.probes != prob.targets).sum(axis=1) == 5)
    assert prob.params() == make_problem("hopfield-recall", **prob.params()).params()
    with pytest.raises(ValueError, match="noise must be"):
        make_problem("hopfield-recall", noise=0.7)
    with pytest.raises(ValueError, match="unknown setting 'size' of bam-recall"):
        make_problem("bam-recall", size=3)


def test_stored_by_rule_is_solved_and_random_is_not(rng):
    prob = make_problem("hopfield-recall", n_units=32, patterns=3)
    net = evornn.build("hopfield", 32, 32)
    for w in (A.hebbian(net, prob.patterns), A.pseudo_inverse(net, prob.patterns)):
        row = prob.evaluate(net, w[None], None).metrics[0]
        assert list(row) == [1.0, 1.0, 1.0, 1.0]
        assert prob.check_solved(net, w, row, 0).solved
    w = net.init(rng)
    row = prob.evaluate(net, w[None], None).metrics[0]
    assert row[1] < 1.0 and not prob.check_solved(net, w, row, 0).solved


EVOLVERS = [o for o in optims.available() if not optims.get_strategy(o).needs]


@pytest.mark.parametrize("opt", EVOLVERS)
def test_every_optimiser_evolves_on_hopfield_recall(opt):
    kw = dict(problem_params=SMALL["hopfield-recall"], stop={"max_evaluations": 400}, seed=3)
    r1 = evornn.optimise(opt, "hopfield-recall", **kw)
    r2 = evornn.optimise(opt, "hopfield-recall", **kw)
    assert np.array_equal(r1.best_chromosome, r2.best_chromosome) and r1.best_fitness == r2.best_fitness
    assert 0.0 < r1.best_fitness <= 1.0


@pytest.mark.parametrize("name, init, rule", [("hopfield-recall", "hebbian", "hebbian"),
                                               ("bam-recall", "correlation", "correlation")])
def test_optimisers_can_start_from_the_closed_form_solution(name, init, rule):
    prob = make_problem(name, **SMALL[name], init=init, init_sigma=0.0)
    net = evornn.api.make_network(prob)
    w = A.hebbian(net, prob.patterns) if rule == "hebbian" else A.correlation(net, prob.A, prob.B)
    assert np.array_equal(prob.initial(net, np.random.default_rng(0), 3), np.stack([w] * 3))
    noisy = make_problem(name, **SMALL[name], init=init, init_sigma=0.5).initial(net, np.random.default_rng(0))
    assert noisy.shape == w.shape and 0 < np.sqrt(np.mean((noisy - w) ** 2)) < np.sqrt(np.mean(w ** 2))
    r = evornn.optimise("ga", prob, stop={"max_generations": 1, "solved": False}, seed=0)
    assert r.best_metrics["bits"] == 1.0                     # the stored solution is in the first generation
    with pytest.raises(ValueError, match=f"init '{init}' needs"):
        evornn.optimise("ga", prob, arch="elman", stop={"max_generations": 1}, seed=0)
    with pytest.raises(ValueError, match="init must be"):
        make_problem(name, init="zeros")


def test_exact_fitness_ranks_exact_recall_first():
    prob = make_problem("hopfield-recall", **SMALL["hopfield-recall"], fitness="exact")
    net = evornn.api.make_network(prob)
    W = np.random.default_rng(2).normal(0.0, 1.0, (8, net.n_params))
    res = prob.evaluate(net, W, None)
    assert np.array_equal(res.fitness, res.metrics[:, 1] + 0.01 * res.metrics[:, 0])


@pytest.mark.parametrize("name, rule", [("hopfield-recall", "hebbian"), ("hopfield-recall", "storkey"),
                                        ("hopfield-recall", "pseudo-inverse"), ("bam-recall", "correlation")])
def test_storage_rule_stores_evaluates_once_and_ends_the_run(name, rule):
    prob = make_problem(name, **SMALL[name])
    r = evornn.optimise("storage-rule", prob, settings={"rule": rule}, stop={"max_generations": 50}, seed=0)
    net = evornn.api.make_network(prob)
    want = (A.correlation(net, prob.A, prob.B) if rule == "correlation"
            else A.RULES[rule](net, prob.patterns))
    assert np.array_equal(r.best_chromosome, want)
    assert r.progress.generation == 1 and "storage-rule" in [s.criterion for s in r.stop_reasons]
    assert r.best_fitness == prob.evaluate(net, want[None], None).fitness[0]


def test_storage_rule_refuses_what_it_cannot_store():
    with pytest.raises(ValueError, match="has none"):
        evornn.optimise("storage-rule", "parity", stop={"max_generations": 1})
    with pytest.raises(ValueError, match="stores pairs by rule 'correlation'"):
        evornn.optimise("storage-rule", "bam-recall", problem_params=SMALL["bam-recall"], settings={"rule": "storkey"})
    with pytest.raises(ValueError, match="for hopfield and hopfield-continuous"):
        evornn.optimise("storage-rule", "hopfield-recall", arch="elman", problem_params=SMALL["hopfield-recall"])
    with pytest.raises(ValueError, match="rule must be one of"):
        evornn.optimise("storage-rule", "hopfield-recall", settings={"rule": "oja"})


# -- stabilities and the margin fitness term ---------------------------------------------------------
def test_stabilities_equal_the_formula_written_out(rng):
    net = evornn.build("hopfield", 7, 7)
    X = rng.choice([-1.0, 1.0], (3, 7))
    W = rng.normal(0.0, 1.0, (4, net.n_params))
    got = A.stability(net, W, X)
    for k in range(4):
        p = net.unflatten(W[k])
        M = A.symmetric(p["W"], 7)
        for mu in range(3):
            for i in range(7):
                norm = np.sqrt(sum(M[i, j] ** 2 for j in range(7) if j != i))
                assert got[k, mu, i] == pytest.approx(X[mu, i] * field(M, X[mu], i, p["theta"][i]) / norm, rel=1e-12)
    bam = evornn.build("bam", 5, 9, outputs="ab")
    Ap, Bp = rng.choice([-1.0, 1.0], (3, 5)), rng.choice([-1.0, 1.0], (3, 4))
    W = rng.normal(0.0, 1.0, (2, bam.n_params))
    got = A.bam_stability(bam, W, Ap, Bp)
    for k in range(2):
        p = bam.unflatten(W[k])
        for mu in range(3):
            ga = [Ap[mu, i] * (p["W"][i] @ Bp[mu] - p["theta_a"][i]) / np.linalg.norm(p["W"][i]) for i in range(5)]
            gb = [Bp[mu, j] * (p["W"][:, j] @ Ap[mu] - p["theta_b"][j]) / np.linalg.norm(p["W"][:, j]) for j in range(4)]
            assert got[k, mu] == pytest.approx(ga + gb, rel=1e-12)


def test_projection_rule_stabilities_and_fixed_points(rng):
    net = evornn.build("hopfield", 40, 40)
    X = rng.choice([-1.0, 1.0], (8, 40))
    C = X.T @ np.linalg.pinv(X @ X.T) @ X
    gamma = A.stability(net, A.pseudo_inverse(net, X), X)[0]
    want = np.sqrt((1.0 - np.diag(C)) / np.diag(C))                 # (1 - C_ii) / sqrt(C_ii (1 - C_ii))
    assert np.allclose(gamma, want[None, :], rtol=1e-9)
    # a pattern is a fixed point exactly when every bit's stability is positive (no zero fields here)
    prob = make_problem("hopfield-recall", n_units=12, patterns=3, probes=1)
    small = evornn.build("hopfield", 12, 12)
    W = rng.normal(0.0, 1.0, (20, small.n_params))
    W[:3] = [A.hebbian(small, prob.patterns)] * 3
    fixed = prob.evaluate(small, W, None).metrics[:, 3]
    assert np.array_equal(fixed, (A.stability(small, W, prob.patterns) > 0).all(axis=(1, 2)).astype(float))
    assert fixed[:3].all() and not fixed[3:].all()


@pytest.mark.parametrize("name", sorted(SMALL))
def test_margin_adds_the_clipped_mean_stability(name, rng):
    plain = make_problem(name, **SMALL[name])
    prob = make_problem(name, **SMALL[name], margin=0.5, kappa=1.5)
    net = evornn.api.make_network(prob)
    W = rng.normal(0.0, 1.0, (5, net.n_params))
    gamma = (A.stability(net, W, prob.patterns) if name == "hopfield-recall"
             else A.bam_stability(net, W, prob.A, prob.B))
    base, res = plain.evaluate(net, W, None), prob.evaluate(net, W, None)
    assert np.array_equal(res.metrics, base.metrics)
    assert np.allclose(res.fitness, base.fitness + 0.5 * np.minimum(gamma, 1.5).mean(axis=(1, 2)) / 1.5, rtol=1e-14)
    for bad in ({"margin": -1.0}, {"kappa": 0.0}, {"kappa": float("inf")}):
        with pytest.raises(ValueError, match="must be a finite number") as e:
            make_problem(name, **SMALL[name], **bad)
        assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="margin > 0"):
        evornn.optimise("ga", prob, arch="elman", stop={"max_generations": 1}, seed=0)


def test_evolution_with_the_margin_term_recalls_fresh_probes_where_hebbian_fails():
    # N = 32, P = 7 (load 0.22, above the Hebbian 0.138 N): separable CMA-ES from the Hebbian weights
    prob = make_problem("hopfield-recall", n_units=32, patterns=7, probes=1, test_probes=10, seed=1,
                        init="hebbian", init_sigma=0.05, margin=10.0)
    net = evornn.build("hopfield", 32, 32)
    h = A.hebbian(net, prob.patterns)
    r = evornn.optimise("cmaes", prob, arch=net, stop={"max_evaluations": 1500, "solved": False}, seed=0,
                        settings={"separable": True, "sigma0": 0.05 * float(np.sqrt(np.mean(h ** 2)))})
    W = np.stack([h, r.best_chromosome])
    exact = (recall_states(net, W, prob.test) == np.repeat(prob.patterns, 10, axis=0)[None]).all(axis=2).mean(axis=1)
    assert exact[0] < 0.5 and exact[1] > 0.85                  # fresh probes: none was seen in training
    assert A.stability(net, h, prob.patterns).min() < 0 < A.stability(net, r.best_chromosome, prob.patterns).min()


def test_fitness_maximum_is_exact_and_the_target_stop_keeps_the_full_run_best():
    # the capacity benchmark stops a trial at fitness 1 + margin (every probe recalled, every stored
    # bit's stability >= kappa): the Hebbian weights reach it exactly at low load, and a run stopped
    # there returns the chromosome a run to the full budget returns (a new best must be strictly better)
    net = evornn.build("hopfield", 32, 32)
    low = make_problem("hopfield-recall", n_units=32, patterns=2, probes=1, seed=0, margin=10.0)
    assert low.evaluate(net, A.hebbian(net, low.patterns)[None], None).fitness[0] == 11.0
    prob = make_problem("hopfield-recall", n_units=32, patterns=4, probes=1, seed=0, init="hebbian",
                        init_sigma=0.05, margin=10.0)
    h = A.hebbian(net, prob.patterns)
    assert prob.evaluate(net, h[None], None).fitness[0] < 11.0
    settings = {"separable": True, "sigma0": 0.05 * float(np.sqrt(np.mean(h ** 2)))}
    full, early = (evornn.optimise("cmaes", prob, arch=net, settings=settings, seed=0,
                                   stop={"max_evaluations": 1500, "solved": False, **target})
                   for target in ({}, {"target_fitness": 11.0}))
    assert early.best_fitness == full.best_fitness == 11.0
    assert early.progress.evaluations < 1000 <= full.progress.evaluations
    assert [r.criterion for r in early.stop_reasons] == ["target_fitness"]
    assert np.array_equal(early.best_chromosome, full.best_chromosome)
