"""Simulated annealing and particle swarm: invariants, schedules, topologies, determinism, resume."""
from __future__ import annotations

import io
import json
import math
import random
import subprocess
import sys

import numpy as np
import pytest
from scipy.spatial import Delaunay

from evornn import build
from evornn.evaluators import LocalEvaluator
from evornn.optim import get_strategy
from evornn.settings import make_config
from evornn.optim.pso import ParticleSwarm, PSOConfig, constriction
from evornn.optim.sa import SAConfig, SimulatedAnnealing, temperature
from evornn.stopping import StopConfig
from evornn.problem import EvalResult, Problem
from evornn.runner import Runner
from evornn.seeding import generator


class FitSequence(Problem):
    """Reproduce half of the previous input of a short sine; a tiny seeded noise uses the seeds."""

    name = "fit-sequence"
    n_inputs = 1
    n_outputs = 1
    episode_length = 12
    metric_names = ("mse",)

    def __init__(self) -> None:
        self.X = np.sin(0.7 * np.arange(12.0))[:, None]
        self.Y = 0.5 * np.roll(self.X, 1, axis=0)

    def evaluate(self, net, W, seeds):
        mse = np.mean((net.run_population(W, self.X) - self.Y[None]) ** 2, axis=(1, 2))
        noise = (np.asarray(seeds) >> np.uint64(44)).astype(np.float64) * 1e-12
        return EvalResult(-mse + noise, mse[:, None])


def make_strategy(name: str, settings: dict, n: int, seed: int = 0, init=None):
    cls = get_strategy(name)
    init = init or (lambda rng, m: rng.uniform(-1.0, 1.0, (m, n)))
    return cls(n, make_config(cls.Config, settings, name), generator(seed), init)


def make_runner(name: str, settings: dict, seed: int = 3, generations: int = 6) -> Runner:
    net = build("elman", 1, 1, n_hidden=2)
    cls = get_strategy(name)
    strat = cls(net.n_params, make_config(cls.Config, settings, name), generator(seed), net.init)
    return Runner(FitSequence(), net, strat, StopConfig(max_generations=generations, solved=False),
                  evaluator=LocalEvaluator(1), seed=seed)


def sphere(X):
    return -np.sum(X ** 2, axis=1)


# -- simulated annealing -------------------------------------------------------------------------
@pytest.mark.parametrize("settings", [{"t0": 0.0}, {"schedule": "linear", "t0": 5.0, "cooling_steps": 6}])
def test_sa_never_accepts_a_worse_state_at_zero_temperature(settings):
    sa = make_strategy("sa", {"population": 6, "step": 0.5, **settings}, 4)
    noise = np.random.default_rng(7)
    sa.tell(sa.ask(), noise.normal(size=6))
    worse_accepted_hot = accepted_cold = 0
    for _ in range(60):
        cold = np.all(sa.temperatures() == 0)
        before = sa.f.copy()
        X = sa.ask()
        sa.tell(X, noise.normal(size=6))   # fitness unrelated to X: half the proposals are worse
        if cold:
            assert np.all(sa.f >= before)
            accepted_cold += int(sa.last_accepted.sum())
        else:
            worse_accepted_hot += int(np.sum(sa.f < before))
    assert accepted_cold > 0
    if settings["t0"] > 0:   # the same loop does accept worse states while T > 0
        assert worse_accepted_hot > 0


@pytest.mark.parametrize("schedule, expected", [
    ("geometric", lambda k: 2.0 * 0.8 ** k),
    ("linear", lambda k: 2.0 * max(0.0, 1.0 - k / 10)),
    ("logarithmic", lambda k: 2.0 / math.log(k + math.e)),
])
def test_sa_cooling_schedules(schedule, expected):
    settings = {"population": 5, "schedule": schedule, "t0": 2.0, "alpha": 0.8, "cooling_steps": 10}
    sa = make_strategy("sa", settings, 3)
    X0 = sa.ask()
    sa.tell(X0, sphere(X0))
    spread = np.std(sphere(X0))
    for k in range(14):
        np.testing.assert_allclose(sa.temperatures(), spread * expected(k), rtol=1e-12)
        X = sa.ask()
        sa.tell(X, sphere(X))
    assert temperature("geometric", 2.0, 3, alpha=0.8) == pytest.approx(1.024)
    assert temperature("linear", 2.0, [0, 5, 10, 20], cooling_steps=10) == pytest.approx([2.0, 1.0, 0.0, 0.0])
    assert temperature("logarithmic", 2.0, 0) == pytest.approx(2.0)
    absolute = make_strategy("sa", {"population": 5, "temperature_unit": "absolute", "t0": 2.0}, 3)
    absolute.tell(X0, sphere(X0))
    np.testing.assert_array_equal(absolute.temperatures(), 2.0)


@pytest.mark.parametrize("step", [1e-3, 1e3])
def test_sa_adaptive_step_moves_acceptance_to_target(step):
    def acceptance(adapt: bool) -> float:
        sa = make_strategy("sa", {"population": 8, "t0": 1.0, "alpha": 1.0, "temperature_unit": "absolute",
                                  "step": step, "step_max": 1e4, "adapt": adapt}, 5)
        X = sa.ask()
        sa.tell(X, sphere(X))
        for g in range(600):
            if g == 400:
                start = sa.n_accepted.sum()
            X = sa.ask()
            sa.tell(X, sphere(X))
        return (sa.n_accepted.sum() - start) / (200 * 8)
    fixed, adapted = acceptance(False), acceptance(True)
    assert fixed > 0.9 if step < 1 else fixed < 0.05
    assert abs(adapted - 0.44) < 0.1


def test_sa_restarts_after_stalling_from_random_points():
    sa = make_strategy("sa", {"population": 3, "restart_after": 4, "restart_from": "random"}, 2)
    counts = []
    for _ in range(16):
        X = sa.ask()
        pending = sa.pending.copy()
        if pending.any() and counts:   # a restarted chain's fresh point is evaluated as it is
            np.testing.assert_array_equal(X[pending], sa.x[pending])
        sa.tell(X, np.zeros(3))        # a flat landscape: a chain's best never strictly improves
        counts.append(int(sa.restarts[0]))
    # generation 0 evaluates the initial points; 4 steps; the restart point; 4 steps; ...
    assert counts == [0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3]


def test_sa_restarts_from_the_best_state():
    sa = make_strategy("sa", {"population": 4, "t0": 0.0, "restart_after": 3, "step": 0.3}, 2)
    X0 = sa.ask()
    sa.tell(X0, np.arange(4.0))
    for g in range(3):
        assert sa.restarts.sum() == 0
        sa.tell(sa.ask(), np.full(4, -1.0))   # every proposal worse: rejected at T = 0
    assert np.all(sa.restarts == 1)
    np.testing.assert_array_equal(sa.x, np.repeat(X0[3:], 4, axis=0))
    np.testing.assert_array_equal(sa.f, 3.0)
    assert np.all(sa.k == 0) and np.all(sa.sigma == 0.3) and not sa.pending.any()


def test_sa_restarts_below_minimum_temperature():
    settings = {"population": 2, "schedule": "linear", "t0": 1.0, "cooling_steps": 10, "t_min": 0.35}
    sa = make_strategy("sa", settings, 2)
    X = sa.ask()
    sa.tell(X, sphere(X))
    for step in range(1, 8):   # T_rel(k) = 1 - k/10 first falls below 0.35 at k = 7
        X = sa.ask()
        sa.tell(X, sphere(X))
        assert np.all(sa.restarts == (1 if step == 7 else 0))
    assert np.all(sa.k == 0) and np.allclose(sa.relative_temperatures(), 1.0)


# -- particle swarm ------------------------------------------------------------------------------
def test_pso_personal_bests_never_get_worse():
    pso = make_strategy("pso", {"population": 10, "topology": "ring", "k": 3}, 5)
    noise = np.random.default_rng(1)
    seen = set()
    prev_fit = prev_pos = None
    for _ in range(40):
        X = pso.ask()
        f = noise.normal(size=10) - np.sum(X ** 2, axis=1) * 0.01
        seen.update((x.tobytes(), fi) for x, fi in zip(X, f))
        pso.tell(X, f)
        assert np.all(pso.pbest_fit >= f)
        if prev_fit is not None:
            assert np.all(pso.pbest_fit >= prev_fit)
            same = pso.pbest_fit == prev_fit
            np.testing.assert_array_equal(pso.pbest_pos[same], prev_pos[same])
        for x, fi in zip(pso.pbest_pos, pso.pbest_fit):   # each personal best is a point evaluated so
            assert (x.tobytes(), fi) in seen
        prev_fit, prev_pos = pso.pbest_fit.copy(), pso.pbest_pos.copy()
    assert np.any(prev_fit > -np.inf) and pso.best_f == prev_fit.max()


def _swarm_after_one_step(topology: str, n: int = 3, P: int = 12, **kw) -> tuple[ParticleSwarm, np.ndarray]:
    pso = make_strategy("pso", {"population": P, "topology": topology, **kw}, n, seed=4)
    X = pso.ask()
    pso.tell(X, np.random.default_rng(2).normal(size=P))
    return pso, X


def _oracle_best(pso: ParticleSwarm, neighbourhoods: list) -> np.ndarray:
    return np.array([pso.pbest_pos[nb[np.argmax(pso.pbest_fit[nb])]] for nb in neighbourhoods])


@pytest.mark.parametrize("topology, k", [("star", 0), ("ring", 1), ("ring", 4), ("ring", 12),
                                         ("von-neumann", 7)])
def test_pso_neighbourhood_best_matches_nearest_neighbour_oracle(topology, k):
    pso, X = _swarm_after_one_step(topology, k=max(k, 1))
    k = 12 if topology == "star" else k   # von Neumann r = 1 in 3-D: D(3, 1) = 7 nearest
    dist = np.linalg.norm(X[:, None] - X[None], axis=2)
    nearest = [np.argsort(row, kind="stable")[:k] for row in dist]
    np.testing.assert_array_equal(pso.neighbourhood_best(X), _oracle_best(pso, nearest))


def test_pso_pyramid_is_the_delaunay_neighbourhood():
    pso, X = _swarm_after_one_step("pyramid")
    tri = Delaunay(X, qhull_options="QJ0.001 Qbb Qc Qx")
    nbrs = [np.unique(tri.simplices[np.any(tri.simplices == i, axis=1)]) for i in range(12)]
    nbrs = [nb[nb != i] for i, nb in enumerate(nbrs)]
    np.testing.assert_array_equal(pso.neighbourhood_best(X), _oracle_best(pso, nbrs))


def test_pso_random_topology_draws_from_the_generator():
    pso, X = _swarm_after_one_step("random", k=2)
    nbrs = pso.topology.neighbor_idx
    assert all(i in nb and len(nb) >= 3 for i, nb in enumerate(nbrs))
    np.testing.assert_array_equal(pso.neighbourhood_best(X), _oracle_best(pso, pso.topology.neighbor_idx))
    again, _ = _swarm_after_one_step("random", k=2)
    assert all(np.array_equal(a, b) for a, b in zip(nbrs, again.topology.neighbor_idx))


@pytest.mark.parametrize("topology", ["star", "ring", "von-neumann", "pyramid", "random"])
@pytest.mark.parametrize("static", [False, True])
def test_pso_each_topology_runs(topology, static):
    result = make_runner("pso", {"population": 8, "topology": topology, "static": static, "k": 2},
                         generations=5).run()
    assert len(result.history) == 5 and np.isfinite(result.best_fitness)


def test_pso_constriction_factor():
    assert constriction(4.1) == pytest.approx(0.7298437881283576, rel=1e-15)
    assert constriction(4.1) * 2.05 == pytest.approx(1.49618, abs=1e-5)   # Eberhart & Shi's c
    with pytest.raises(ValueError, match="c1 \\+ c2 > 4"):
        make_config(PSOConfig, {"velocity": "constriction"}, "pso")


@pytest.mark.parametrize("settings", [
    {"velocity": "constriction", "c1": 2.05, "c2": 2.05},
    {"inertia": "linear", "w": 0.9, "w_end": 0.4, "w_steps": 4, "c1": 1.2, "c2": 1.7},
])
def test_pso_velocity_update_equations(settings):
    c1, c2 = settings["c1"], settings["c2"]
    pso = make_strategy("pso", {"population": 6, "boundary": "none", "v_max": 0.0, **settings}, 3, seed=9)
    fit = np.random.default_rng(3)
    for it in range(3):
        X, v, pbest, pfit = pso.ask(), pso.velocity.copy(), pso.pbest_pos, pso.pbest_fit
        f = fit.normal(size=6)
        if pbest is None:
            pbest, pfit = X.copy(), f.copy()
        else:
            pbest, pfit = np.where((f > pfit)[:, None], X, pbest), np.maximum(f, pfit)
        g = pbest[np.argmax(pfit)]
        rng = np.random.Generator(np.random.PCG64())
        rng.bit_generator.state = pso.rng.bit_generator.state
        r1, r2 = rng.random(X.shape), rng.random(X.shape)
        pull = c1 * r1 * (pbest - X) + c2 * r2 * (g - X)
        if "velocity" in settings:
            expected = 0.7298437881283576 * (v + pull)
        else:
            expected = (0.9 - 0.5 * min(it / 4, 1.0)) * v + pull
        pso.tell(X, f)
        np.testing.assert_allclose(pso.velocity, expected, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(pso.position, X + expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("boundary", ["clip", "reflect", "none"])
def test_pso_bounds_and_velocity_clamp(boundary):
    pso = make_strategy("pso", {"population": 10, "bound": 1.0, "boundary": boundary, "v_max": 0.3}, 4)
    outside = 0
    for _ in range(30):
        X = pso.ask()
        outside += int(np.sum(np.abs(X) > 1.0))
        pso.tell(X, np.sum(np.abs(X), axis=1) + 0.1 * np.sum(X, axis=1))   # pulls particles outward
        assert np.all(np.abs(pso.velocity) <= 0.6 + 1e-12)
    assert (outside > 0) == (boundary == "none")
    if boundary == "reflect":
        x, v = pso._bounded(np.array([1.3, -2.5, 0.2, 5.5]), np.array([1.0, -1.0, 1.0, 1.0]))
        np.testing.assert_allclose(x, [0.7, 0.5, 0.2, 0.5])  # 5.5 -> -3.5 -> 1.5 -> 0.5
        np.testing.assert_array_equal(v, [-1.0, 1.0, 1.0, -1.0])


# -- both: determinism, global state, checkpoints -------------------------------------------------
CASES = [("sa", {"population": 5, "restart_after": 2, "restart_from": "random"}),
         ("sa", {"population": 4, "schedule": "linear", "cooling_steps": 3, "t_min": 0.5}),
         ("pso", {"population": 6, "topology": "random", "k": 2, "static": True}),
         ("pso", {"population": 6, "topology": "ring", "k": 3, "inertia": "linear", "boundary": "reflect"})]


def _rows(history):
    return [{k: v for k, v in row.items() if k != "elapsed"} for row in history]


@pytest.mark.parametrize("name, settings", CASES)
def test_same_seed_identical_and_global_random_state_untouched(name, settings):
    random.seed(11)
    np.random.seed(11)
    py_state, np_state = random.getstate(), np.random.get_state()
    a, b = make_runner(name, settings).run(), make_runner(name, settings).run()
    assert random.getstate() == py_state
    after = np.random.get_state()
    assert after[0] == np_state[0] and np.array_equal(after[1], np_state[1]) and after[2:] == np_state[2:]
    assert _rows(a.history) == _rows(b.history)
    np.testing.assert_array_equal(a.best_chromosome, b.best_chromosome)
    assert _rows(make_runner(name, settings, seed=4).run().history) != _rows(a.history)


@pytest.mark.parametrize("name, settings", CASES)
def test_checkpoint_resume_continues_bit_for_bit(name, settings):
    full = make_runner(name, settings, generations=8)
    full.run()
    part = make_runner(name, settings, generations=4)
    part.run()
    arrays, meta = part.get_state()
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    buf.seek(0)
    loaded = dict(np.load(buf))
    resumed = make_runner(name, settings, seed=3, generations=8)
    resumed.strategy.rng = generator(999)   # its stream must come from the checkpoint
    resumed.set_state(loaded, json.loads(json.dumps(meta)))
    resumed.run()
    assert _rows(resumed.history) == _rows(full.history[4:])
    fa, fm = full.strategy.get_state()
    ra, rm = resumed.strategy.get_state()
    assert fa.keys() == ra.keys() and all(np.array_equal(fa[k], ra[k]) for k in fa)
    assert json.dumps(fm) == json.dumps(rm)


def test_pyswarms_import_leaves_logging_and_cwd_alone(tmp_path):
    code = ("import logging, os\nfrom evornn.optim import get_strategy\n"
            "cls = get_strategy('pso')\nimport numpy as np\n"
            "s = cls(3, None, np.random.default_rng(0), None)\ns.tell(s.ask(), np.zeros(30))\n"
            "print(len(logging.getLogger().handlers), logging.getLogger().level, sorted(os.listdir('.')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["0", "30", "[]"] and out.stderr == ""


def test_registry_and_config_errors():
    assert get_strategy("sa") is SimulatedAnnealing and get_strategy("pso") is ParticleSwarm
    with pytest.raises(ValueError, match="sa.schedule"):
        make_config(SAConfig, {"schedule": "exponential"}, "sa")
    with pytest.raises(ValueError, match="pso.topology"):
        make_config(PSOConfig, {"topology": "wheel"}, "pso")
    for n in (1, 20):
        with pytest.raises(ValueError, match="pyramid"):
            ParticleSwarm(n, PSOConfig(population=30, topology="pyramid"), np.random.default_rng(0), None)


# -- pole balancing with velocities (Markov): each solved with a fixed seed ----------------------
SA_POLE = {"population": 10, "step": 4.0, "step_max": 20.0, "restart_after": 30, "restart_from": "random"}


@pytest.mark.parametrize("name, settings, poles, budget", [
    ("sa", SA_POLE, 1, 10_000), ("sa", SA_POLE, 2, 40_000),
    ("pso", {"population": 20}, 1, 10_000), ("pso", {"population": 30}, 2, 40_000)])
def test_solves_pole_balancing_with_velocities(name, settings, poles, budget):
    from evornn.problems.registry import make_problem
    problem = make_problem("pole-balance", poles=poles, velocities=True)
    net = build("frnn", problem.n_inputs, 1, n_hidden=1)   # one fully recurrent sigmoid neuron
    cls = get_strategy(name)
    strat = cls(net.n_params, make_config(cls.Config, settings, name), generator(0), net.init)
    # one thread: small batches (10 chains) spend more on thread hand-offs than on the episodes
    result = Runner(problem, net, strat, StopConfig(max_evaluations=budget), LocalEvaluator(1), seed=0).run()
    assert result.solved and result.best_metrics["steps"] == 100_000, result.stop_reason
    print(f"{name} poles={poles}: solved in {result.progress.evaluations} evaluations")
