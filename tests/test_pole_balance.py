"""Pole balancing: the kernel physics against an independent NumPy implementation, controllers
designed here (LQR, zero output), Gruau's damping fitness by hand, the generalization grid, the
test-episode accounting, parameter errors and the problem checker in every configuration."""
import itertools
import math

import numpy as np
import pytest

import evornn
from evornn.problems.check import check_problem
from evornn.problems.pole_balance import generalization_starts, simulate
from evornn.problems.registry import make_problem

# --- the oracle: ../shared/reference/pole-balancing.md, vectorised over a batch of states ------
G, MC, MUP, MUC, TAU = -9.8, 1.0, 0.000002, 0.0005, 0.01
MASS, HALF = np.array([0.1, 0.01]), np.array([0.5, 0.05])
LIMITS = {1: math.radians(12.0), 2: math.radians(36.0)}


def deriv(y, F, friction=False):
    """dy/dt for states y (..., 2 + 2n): (x, xdot, theta_1, thetadot_1, ...), forces F (...)."""
    n = (y.shape[-1] - 2) // 2
    m, l = MASS[:n], HALF[:n]
    th, thd = y[..., 2::2], y[..., 3::2]
    F = F - MUC * np.sign(y[..., 1]) if friction else F
    ft = m * l * thd**2 * np.sin(th) + 0.75 * m * np.cos(th) * (MUP * thd / (m * l) + G * np.sin(th))
    mt = m * (1.0 - 0.75 * np.cos(th) ** 2)
    xdd = (F + ft.sum(-1)) / (MC + mt.sum(-1))
    out = np.empty_like(y)
    out[..., 0], out[..., 1], out[..., 2::2] = y[..., 1], xdd, thd
    out[..., 3::2] = -0.75 * (xdd[..., None] * np.cos(th) + G * np.sin(th) + MUP * thd / (m * l)) / l
    return out


def control_step(y, F, friction=False):
    for _ in range(2):
        k1 = deriv(y, F, friction)
        k2 = deriv(y + 0.5 * TAU * k1, F, friction)
        k3 = deriv(y + 0.5 * TAU * k2, F, friction)
        k4 = deriv(y + TAU * k3, F, friction)
        y = y + TAU / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return y


def failed(y):
    n = (y.shape[-1] - 2) // 2
    return (np.abs(y[..., 0]) > 2.4) | np.any(np.abs(y[..., 2::2]) > LIMITS[n], axis=-1)


def start(poles, degrees=4.0):
    y = np.zeros(2 + 2 * poles)
    y[2] = math.radians(degrees)
    return y


# --- physics ------------------------------------------------------------------------------------
@pytest.mark.parametrize("poles", [1, 2])
@pytest.mark.parametrize("friction", [False, True])
def test_simulate_matches_numpy_oracle(poles, friction, rng):
    for _ in range(3):
        y0 = rng.uniform(-0.05, 0.05, 2 + 2 * poles)
        forces = rng.uniform(-10.0, 10.0, 60)
        got = simulate(y0, forces, poles=poles, friction=friction)
        want = [y0]
        for F in forces:
            want.append(control_step(want[-1], F, friction))
        want = np.array(want)
        assert got.shape == want.shape == (61, 2 + 2 * poles)
        assert np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want))) <= 1e-12


def test_simulate_rejects_wrong_state():
    with pytest.raises(ValueError, match="initial_state"):
        simulate(np.zeros(6), np.zeros(3), poles=1)
    with pytest.raises(ValueError, match="poles"):
        simulate(np.zeros(4), np.zeros(3), poles=3)


# --- controllers --------------------------------------------------------------------------------
def lqr_network():
    """An LQR controller of the linearised single pole as a 1-unit linear fully recurrent net."""
    from scipy.linalg import expm, solve_discrete_are
    y0, eps = np.zeros(4), 1e-6
    A = np.stack([(deriv(y0 + eps * e, 0.0) - deriv(y0 - eps * e, 0.0)) / (2 * eps) for e in np.eye(4)], 1)
    B = (deriv(y0, eps) - deriv(y0, -eps)) / (2 * eps)
    M = np.zeros((5, 5))
    M[:4, :4], M[:4, 4] = A, B
    E = expm(M * 2 * TAU)                   # zero-order hold over one control step
    Ad, Bd = E[:4, :4], E[:4, 4:]
    Q, R = np.diag([1.0, 1.0, 10.0, 1.0]), np.array([[0.1]])
    P = solve_discrete_are(Ad, Bd, Q, R)
    K = np.linalg.solve(R + Bd.T @ P @ Bd, Bd.T @ P @ Ad)[0]     # F = -K y
    net = evornn.build("frnn", 5, 1, n_hidden=1, activation="linear")
    # inputs x/4.8, xdot/2, theta/0.52, thetadot/2, 1; a = 0.5 + F/20 so that F = (a - 0.5) * 20
    w_in = np.append(-K * np.array([4.8, 2.0, 0.52, 2.0]) / 20.0, 0.5)
    return net, net.flatten({"W_in": w_in[None], "W_rec": np.zeros((1, 1)), "b": np.zeros(1)}), K


def closed_loop(K, y0, steps):
    """The LQR loop in NumPy: states after each step (steps, 4) (stops early on failure)."""
    ys, y = [], np.array(y0, dtype=float)
    for _ in range(steps):
        F = (np.clip(0.5 - K @ y / 20.0, 0.0, 1.0) - 0.5) * 20.0
        y = control_step(y, F)
        if failed(y):
            break
        ys.append(y)
    return np.array(ys)


def test_lqr_balances_single_pole_100000_steps():
    net, w, _ = lqr_network()
    prob = make_problem("pole-balance", poles=1, velocities=True)
    res = prob.evaluate(net, w[None], np.zeros(1, dtype=np.uint64))
    assert res.metric(prob.metric_names, "steps")[0] == 100_000 == res.fitness[0]
    chk = prob.check_solved(net, w, res.metrics[0], 0)
    assert chk.solved and chk.test_episodes == 0


@pytest.mark.parametrize("poles,velocities", list(itertools.product([1, 2], [True, False])))
def test_zero_controller_fails_where_predicted(poles, velocities):
    prob = make_problem("pole-balance", poles=poles, velocities=velocities)
    net = evornn.build("elman", prob.n_inputs, 1, output_activation="sigmoid")
    res = prob.evaluate(net, np.zeros((1, net.n_params)), np.zeros(1, dtype=np.uint64))
    y, t = start(poles), 0                  # sigmoid(0) = 0.5: F = 0 at every step
    while True:
        y = control_step(y, 0.0)
        if failed(y):
            break
        t += 1
    assert t > 10
    assert res.fitness[0] == t


def test_min_force_pushes_at_least_10_over_256():
    # upright start: F = 0 balances for ever, F = 0 raised to +10/256 N pushes the cart away
    kw = dict(poles=1, velocities=False, start_angle=0.0, max_steps=5000)
    net = evornn.build("elman", 3, 1, output_activation="sigmoid")
    W, seeds = np.zeros((1, net.n_params)), np.zeros(1, dtype=np.uint64)
    pushed = make_problem("pole-balance", min_force=10 / 256, **kw).evaluate(net, W, seeds)
    y, t = start(1, 0.0), 0
    while not failed(y := control_step(y, 10 / 256)):
        t += 1
    assert 0 < t < 5000
    assert pushed.fitness[0] == t
    assert make_problem("pole-balance", **kw).evaluate(net, W, seeds).fitness[0] == 5000


# --- damping fitness and the solved test -----------------------------------------------------
def test_damping_fitness_by_hand():
    net, w, K = lqr_network()
    prob = make_problem("pole-balance", poles=1, velocities=True, fitness="damping", max_steps=150)
    res = prob.evaluate(net, w[None], np.zeros(1, dtype=np.uint64))
    ys = closed_loop(K, start(1), 150)
    assert len(ys) == 150
    jiggle = np.abs(ys[50:]).sum()            # states after steps 51..150
    want = 0.1 * 150 / 150 + 0.9 * 0.75 / jiggle
    steps, f1, f2, jig = res.metrics[0]
    assert (steps, f1) == (150, 1.0)
    assert jig == pytest.approx(jiggle, rel=1e-9) and f2 == pytest.approx(0.75 / jiggle, rel=1e-9)
    assert res.fitness[0] == pytest.approx(want, rel=1e-9)


def test_damping_fitness_short_episode_is_f1_only():
    prob = make_problem("pole-balance", poles=2, velocities=False, fitness="damping")
    net = evornn.build("elman", prob.n_inputs, 1, output_activation="sigmoid")
    res = prob.evaluate(net, np.zeros((1, net.n_params)), np.zeros(1, dtype=np.uint64))
    t = res.metrics[0, 0]
    assert 0 < t < 100
    assert res.fitness[0] == 0.1 * t / 1000 and res.metrics[0, 2] == 0.0


def test_generalization_grid_is_the_published_625():
    g = generalization_starts()
    v = (0.05, 0.25, 0.5, 0.75, 0.95)
    want = {(a * 4.32 - 2.16, b * 2.70 - 1.35, c * 0.12566304 - 0.06283152, d * 0.30019504 - 0.15009752)
            for a in v for b in v for c in v for d in v}
    assert g.shape == (625, 6) and np.all(g[:, 4:] == 0.0)
    assert {tuple(r) for r in g[:, :4]} == want and len(want) == 625
    assert np.allclose(g[:, 0].min(), -1.944) and np.allclose(g[:, 3].max(), 0.135087768)


def test_check_solved_runs_and_counts_test_episodes():
    net, w, K = lqr_network()
    prob = make_problem("pole-balance", poles=1, velocities=True, fitness="damping")
    res = prob.evaluate(net, w[None], np.zeros(1, dtype=np.uint64))
    assert res.metrics[0, 0] == 1000
    chk = prob.check_solved(net, w, res.metrics[0], 0)
    assert chk.test_episodes == 1 + 625 and chk.info["test_steps"] == 100_000
    # the oracle's count: closed loop from every start, in NumPy, all at once
    y = generalization_starts()[:, :4].copy()
    alive = np.ones(625, dtype=bool)
    for _ in range(1000):
        F = (np.clip(0.5 - y @ K / 20.0, 0.0, 1.0) - 0.5) * 20.0
        y = control_step(y, F)
        alive &= ~failed(y)
    assert chk.info["generalization"] == int(alive.sum())
    assert chk.solved == (alive.sum() >= 200)
    # a network that fails its evaluation is not tested at all, and standard runs have no tests
    zero = np.zeros_like(w)
    res0 = prob.evaluate(net, zero[None], np.zeros(1, dtype=np.uint64))
    assert prob.check_solved(net, zero, res0.metrics[0], 0).test_episodes == 0
    std = make_problem("pole-balance", poles=1, velocities=True)
    assert std.check_solved(net, w, np.array([100_000.0]), 0).test_episodes == 0


# Winners of NEAT's C++ code (neat1.2.1, p2nv.ne at population 1,000), as its statout prints them
# (weights to 6 digits), with the number of generalization starts each passes in that code: its
# pole2_epoch loop (flush, 1,000 steps, bias input 0.5, sigmoid slope 4.924273) run on the printed
# genomes by a harness linked to the code's own objects. Genes: (in, out, weight, enabled) in its
# node ids: inputs 1-3 (x, theta1, theta2), bias 4, output 5, hidden nodes above.
NEAT_CODE_WINNERS = [
    (310, [(1, 5, -0.586271, 1), (2, 5, -5.61399, 1), (3, 5, 4.60372, 1), (4, 5, 1.23149, 1), (5, 5, -0.999858, 1),
           (5, 13, 5.75938, 1), (13, 5, -0.105695, 1), (1, 13, 1.41785, 1), (2, 13, -1.61177, 1),
           (13, 13, -0.356469, 1), (13, 62, -1.97258, 1), (62, 13, -0.324932, 1), (62, 5, -0.199072, 1),
           (3, 13, 1.00338, 1), (1, 62, -0.717695, 1), (4, 13, 0.398953, 1), (62, 62, -0.281913, 1)]),
    (351, [(1, 5, -1.01675, 1), (2, 5, -5.15956, 1), (3, 5, 3.90665, 1), (4, 5, 1.29548, 1), (5, 5, -1.22358, 1)]),
    (203, [(1, 5, -1.66949, 1), (2, 5, -3.31623, 1), (3, 5, 3.13783, 1), (4, 5, 1.46687, 1), (5, 5, -1.10191, 1),
           (1, 12, -1.41165, 1), (12, 5, -0.683889, 1), (1, 19, -0.258104, 0), (19, 12, 0.724645, 1),
           (19, 5, 0.805767, 1), (4, 19, -0.475943, 0), (2, 12, 0.578042, 1), (2, 19, -0.404914, 1),
           (19, 19, -0.317578, 1), (12, 12, -0.644772, 1)]),
    (240, [(1, 5, -1.42558, 1), (2, 5, -3.84913, 1), (3, 5, 3.04856, 1), (4, 5, 1.22194, 1), (5, 5, -1.03597, 1)]),
    (320, [(1, 5, -1.53355, 1), (2, 5, -6.40523, 1), (3, 5, 4.84775, 1), (4, 5, -2.33473, 1), (5, 5, -1.13556, 1),
           (5, 23, -0.588846, 0), (23, 5, 1.76562, 1), (2, 23, 1.79462, 1), (1, 23, 1.62122, 1),
           (23, 23, -0.697489, 1), (4, 23, 3.27352, 1)]),
    (260, [(1, 5, -0.938075, 1), (2, 5, -6.03406, 1), (3, 5, 4.49224, 1), (4, 5, 1.58892, 1), (5, 5, -1.13692, 1),
           (1, 51, 0.225712, 1), (51, 5, -1.22935, 1), (4, 51, -3.35184, 1), (3, 51, 4.36727, 1), (2, 51, 1.2197, 1),
           (1, 216, 1.0, 0), (216, 51, -0.747083, 1), (1, 237, -0.523427, 1), (237, 216, 1.72092, 1),
           (2, 216, -1.81392, 1), (237, 51, -0.974607, 1), (2, 237, 0.292658, 1), (216, 216, 2.30647, 1),
           (3, 216, -0.508676, 0), (216, 5, -0.167403, 1)]),
]


def test_generalization_equals_neat_codes_on_its_winners():
    """The whole test (grid, flush, 1,000 steps, failure bounds, non-Markov inputs) against NEAT's
    own code: its winners, as neat-net phenotypes with its activation (one synchronous pass a step,
    its sigmoid slope, its bias input 0.5), pass as many starts here as there. Of the code's 174
    winners at populations 100, 150 and 1,000, 152 give the same count and the others differ by 1-4
    starts (float arithmetic in a different order over 1,000 chaotic steps); the mean is the same.
    These are from its first runs, those that agree."""
    from evornn.api import make_network
    from evornn.optim.neat_genome import Genome, Layout
    prob = make_problem("pole-balance", poles=2, velocities=False, fitness="damping", bias_input=0.0)
    net = make_network(prob, "neat-net", max_nodes=8, update="sync", sigmoid_slope=4.924273)
    lay = Layout.of(net)
    starts = generalization_starts()
    W, want = [], []
    for score, genes in NEAT_CODE_WINNERS:
        ids = {1: 0, 2: 1, 3: 2, 4: 3, 5: 4}                  # the code's ids -> evornn's
        for n in sorted({n for a, b, _, _ in genes for n in (a, b)} - set(ids)):
            ids[n] = len(ids)
        g = Genome({ids[n]: 1 for n in ids if ids[n] >= 4},
                   {k: [ids[a], ids[b], w, bool(e)] for k, (a, b, w, e) in enumerate(genes)})
        W.append(lay.phenotype(g, bias=0.5))
        want.append(score)
    got = [int(np.sum(prob.run(net, w[None], starts, 1000)[0][0] >= 1000)) for w in W]
    assert got == want


# --- every architecture in the loop ------------------------------------------------------------
def generic_loop(prob, net, w, max_steps, window, restart=False):
    """The closed loop in Python around the generic network step (net_step, checked against the
    NumPy oracles in the net tests) and the physics (control_step, checked above): what the fused
    kernel, specialised per architecture, must reproduce bit for bit. Returns (steps, jiggle,
    failures) as PoleBalance.run does."""
    from evornn.nets.kernels import net_step
    from evornn.nets.layer import YOFF
    from evornn.problems import pole_kernels as K
    ws = np.zeros(net.ws_len)
    s0, lim = tuple(prob.start[0]), K.ANGLE_LIMIT_DOUBLE if prob.poles == 2 else K.ANGLE_LIMIT_SINGLE
    scale = [4.8, 2.0, 0.52, 2.0, 0.52, 2.0]
    keep = [0, 1, 2, 3, 4, 5][: 2 + 2 * prob.poles] if prob.velocities else [0, 2, 4][: 1 + prob.poles]
    s, jig, t, failures = s0, [], 0, 0
    while t < max_steps:
        for j, i in enumerate(keep):
            ws[j] = s[i] / scale[i]
        if prob.bias_input:
            ws[net.n_inputs - 1] = prob.bias_input
        net_step(net.L, net.ix, net.fx, w, ws)
        a = ws[net.L[-1, YOFF]]
        ok = math.isfinite(a)
        if ok:
            s = K.control_step(K.force_of(a, 0.0), s, prob.poles == 2, False)
            ok = abs(s[0]) <= K.X_LIMIT and abs(s[2]) <= lim and abs(s[4]) <= lim
        if not ok:
            if not restart:
                break
            failures, s, ws[:] = failures + 1, s0, 0.0
        else:
            jig.append(abs(s[0]) + abs(s[1]) + abs(s[2]) + abs(s[3]))
        t += 1
    return t, (sum(jig[-window:]) if t >= window and not restart else 0.0), failures


ARCHS = ["frnn", "elman", "jordan", "lstm", "gru", "indrnn", "ctrnn", "mtrnn", "esn", "second-order",
         "narx", "rmlp", "mlp", "stacked"]


@pytest.mark.parametrize("arch", ARCHS)
def test_every_architecture_equals_the_generic_network_step(arch):
    """The kernel compiles one loop per network (its cells inlined, its layer table a constant, see
    evornn.nets.specialise); stacked and rmlp one per structure (their own cells, run-time sizes)."""
    poles, velocities = (1, True) if arch in ("frnn", "mlp", "esn", "lstm") else (2, arch != "elman")
    prob = make_problem("pole-balance", poles=poles, velocities=velocities)
    opts = {"esn": {"n_hidden": 8}, "mlp": {}, "rmlp": {}, "stacked": {}}.get(arch, {"n_hidden": 3})
    net = evornn.build(arch, prob.n_inputs, 1, output_activation="sigmoid", **opts)
    W = np.random.default_rng(7).normal(0.0, 1.5, (16, net.n_params))
    steps, jiggle, _ = prob.run(net, W, prob.start, 300, window=5)
    want = [generic_loop(prob, net, w, 300, 5) for w in W]
    assert steps[:, 0].tolist() == [t for t, _, _ in want]
    assert jiggle[:, 0].tolist() == pytest.approx([j for _, j, _ in want], rel=1e-12, abs=0)
    # with restarts every network runs all 300 steps: long trajectories, failure by failure
    _, _, failures = prob.run(net, W[:4], prob.start, 300, restart=True)
    assert failures[:, 0].tolist() == [generic_loop(prob, net, w, 300, 5, restart=True)[2] for w in W[:4]]


@pytest.mark.parametrize("arch", ["frnn", "mlp"])
def test_bias_input_is_a_weight_on_a_constant_input(arch):
    """Without the bias input (bias_input = 0) a unit's bias b does what a weight b / v on a bias
    input of value v does with the unit's own bias 0: same trajectories, same steps and jiggle."""
    opts = {"n_hidden": 3} if arch == "frnn" else {"hidden": []}
    base = make_problem("pole-balance", poles=2, velocities=arch == "mlp", bias_input=0)
    net0 = evornn.build(arch, base.n_inputs, 1, output_activation="sigmoid", **opts)
    W0 = np.random.default_rng(3).normal(0.0, 2.0, (12, net0.n_params))
    want = base.run(net0, W0, base.start, 400, window=5)
    assert (want[0] > 20).any()                                     # some networks do balance a while
    for v in (1.0, 0.5):
        prob = make_problem("pole-balance", poles=2, velocities=arch == "mlp", bias_input=v)
        assert prob.n_inputs == base.n_inputs + 1
        net = evornn.build(arch, prob.n_inputs, 1, output_activation="sigmoid", **opts)
        W = np.zeros((W0.shape[0], net.n_params))
        for i, w0 in enumerate(W0):
            p0, p = net0.unflatten(w0), net.unflatten(W[i])
            key_in, key_b = ("W_in", "b") if arch == "frnn" else ("out.W", "out.b")
            for k in p0:
                if k == key_in:
                    p[k][:, :-1] = p0[k]
                    p[k][:, -1] = p0[key_b] / v
                elif k != key_b:
                    p[k][...] = p0[k]
            W[i] = net.flatten(p)
        got = prob.run(net, W, prob.start, 400, window=5)
        assert got[0].tolist() == want[0].tolist()
        assert got[1] == pytest.approx(want[1], rel=1e-9)
    assert [generic_loop(base, net0, w, 400, 5)[0] for w in W0] == want[0][:, 0].tolist()


def test_network_key_is_the_table_contents():
    from evornn.nets.specialise import network_key, structure_key
    a, b = (evornn.build("frnn", 4, 1, n_hidden=5) for _ in range(2))
    assert network_key(a.L) == network_key(b.L) != structure_key(a.L)   # same network, same compiled loop
    assert network_key(evornn.build("frnn", 4, 1, n_hidden=4).L) != network_key(a.L)
    assert network_key(evornn.build("elman", 4, 1, n_hidden=5).L) != network_key(a.L)
    # more than a cell and a readout: one loop per structure (its cells, any sizes)
    s1, s2 = evornn.build("stacked", 4, 1), evornn.build("stacked", 4, 1, layers=[3, 7])
    assert network_key(s1.L) == structure_key(s1.L) == network_key(s2.L)
    assert network_key(evornn.build("stacked", 4, 1, cell="lstm").L) != network_key(s1.L)


# --- interface ----------------------------------------------------------------------------------
def test_defaults_and_sizes():
    prob = make_problem("pole-balance")
    assert (prob.poles, prob.velocities, prob.fitness) == (2, True, "standard")
    assert (prob.n_inputs, prob.n_outputs, prob.output_activation) == (7, 1, "sigmoid")
    sizes = {(p, v): make_problem("pole-balance", poles=p, velocities=v).n_inputs
             for p in (1, 2) for v in (True, False)}
    assert sizes == {(1, True): 5, (1, False): 3, (2, True): 7, (2, False): 4}
    assert make_problem("pole-balance", poles=1, bias_input=0).n_inputs == 4


@pytest.mark.parametrize("param,value", [("poles", 3), ("velocities", "maybe"), ("fitness", "speed"),
                                         ("start_angle", 40.0), ("friction", 1.5), ("max_steps", 0),
                                         ("min_force", -1.0), ("test_steps", 2.5), ("colour", "red"),
                                         ("bias_input", -1.0)])
def test_bad_parameters_name_themselves(param, value):
    with pytest.raises(ValueError, match=param) as e:
        make_problem("pole-balance", **{param: value})
    assert "\n" not in str(e.value)


def test_rejects_bidirectional_networks():
    prob = make_problem("pole-balance")
    net = evornn.build("bidirectional", prob.n_inputs, 1)
    with pytest.raises(ValueError, match="step by step"):
        prob.evaluate(net, np.zeros((1, net.n_params)), np.zeros(1, dtype=np.uint64))


@pytest.mark.parametrize("poles,velocities,fitness",
                         list(itertools.product([1, 2], [True, False], ["standard", "damping"])))
def test_checker_passes(poles, velocities, fitness):
    check_problem(make_problem("pole-balance", poles=poles, velocities=velocities, fitness=fitness))
