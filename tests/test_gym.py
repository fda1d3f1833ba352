"""Gymnasium environments as problems: every Numba port against Gymnasium itself, step by step;
the fused kernel against the Gymnasium path; determinism; the NoVel masks; bad input; CoSyNE
solving CartPole-v1 and CartPoleNoVel-v1. Needs gymnasium (the 'gym' or 'test' extra), except
the test of how the problems are listed without it."""
import importlib.util
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest

import evornn
from evornn.api import make_network
from evornn.problems import registry
from evornn.seeding import eval_seeds

HAVE_GYM = importlib.util.find_spec("gymnasium") is not None
needs_gym = pytest.mark.skipif(not HAVE_GYM, reason="gymnasium is not installed (pip install 'evornn[gym]')")
REPO = Path(__file__).resolve().parents[1]
PORTED = ["CartPole-v1", "Acrobot-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1"]
TOL = 1e-12


def test_without_gymnasium_the_problems_are_listed_as_unavailable_with_the_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "gymnasium" else real(name, *a))
    assert "gym" not in registry.available()
    assert registry.PROBLEMS.unavailable()["gym"] == "needs gymnasium (pip install 'evornn[gym]')"
    with pytest.raises(ValueError, match=r"needs gymnasium, which is not installed \(pip install 'evornn\[gym\]'\)"):
        registry.make_problem("gym:CartPole-v1")


def test_seeding_is_numpy_s_generator_bit_for_bit():
    from numba import njit
    from evornn.problems import gym_seeding as S

    @njit
    def draws(seed, lo, hi, n):
        g = S.generator(seed)
        out = np.empty(n)
        for i in range(n):
            g, out[i] = S.uniform(g, lo, hi)
        return out
    rng = np.random.default_rng(0)
    seeds = [0, 1, 2**32 - 1, 2**32, 2**63 + 5, 2**64 - 1] + [int(s) for s in eval_seeds(3, 0, 60)] + \
        [int(s) for s in rng.integers(0, 2**32, 60)]
    for s in seeds:
        want = np.random.Generator(np.random.PCG64(np.random.SeedSequence(s))).uniform(-0.6, -0.4, size=5)
        assert np.array_equal(draws(np.uint64(s), -0.6, -0.4, 5), want), s


def test_a_kernel_compiles_one_environment_and_its_numbers_are_the_generic_functions():
    """port_reset/port_observe/port_step with a literal env compile that environment alone (Acrobot's
    derivative, a call of its own, appears in no other environment's code: the kernels compiled all
    five before, 8.9 s on first use for CartPole), and give what reset/observe/env_step give."""
    from numba import literally, njit
    from evornn.problems import gym_ports as GP

    @njit
    def run(env, seed, k, u, obs):
        literally(env)
        s = GP.port_reset(env, seed)
        s, r, term = GP.port_step(env, s, True, k, u)
        GP.port_observe(env, s, obs)
        return s, r, term

    @njit
    def run_any(env, seed, k, u, obs):
        s = GP.reset(env, seed)
        s, r, term = GP.env_step(env, s, True, k, u)
        GP.observe(env, s, obs)
        return s, r, term

    for code in GP.PORTS.values():
        for seed, k, u in ((np.uint64(7), 0, -0.25), (np.uint64(2**63 + 1), 1, 0.75)):
            a, b = np.zeros(GP.N_OBS[code]), np.zeros(GP.N_OBS[code])
            assert run(code, seed, k, u, a) == run_any(code, seed, k, u, b) and np.array_equal(a, b), code
    ir = {sig[0].literal_value: text for sig, text in run.inspect_llvm().items()}
    assert len(ir) == 5 and "_acrobot_dsdt" in ir[GP.ACROBOT]
    assert all("_acrobot_dsdt" not in text for code, text in ir.items() if code != GP.ACROBOT)
    assert all("_acrobot_dsdt" in text for text in run_any.inspect_llvm().values())   # all five


def test_episode_seeds_are_eval_seeds_of_each_evaluation_seed():
    from evornn.problems.gym_problem import episode_seeds
    seeds = np.concatenate([eval_seeds(5, 2, 9), np.array([0, 2**64 - 1], dtype=np.uint64)])
    want = np.stack([eval_seeds(int(s), 1, 4) for s in seeds])
    assert np.array_equal(episode_seeds(seeds, 1, 4), want) and episode_seeds(seeds[:0], 0, 3).shape == (0, 3)


# -- the ports, step by step against Gymnasium ---------------------------------------------------
def _gym_state(env) -> np.ndarray:
    s = np.zeros(4)
    u = np.asarray(env.unwrapped.state, dtype=np.float64)
    s[:u.shape[0]] = u
    return s


def _actions(env_id, space, rng, T):
    """Random actions of the space; for Box, a third of them at or beyond the bounds (the clipping
    paths), as float32 values as the problem passes them."""
    if hasattr(space, "n"):
        return rng.integers(0, space.n, T), np.zeros(T)
    lo, hi = float(space.low[0]), float(space.high[0])
    u = rng.uniform(lo, hi, T)
    edge = rng.random(T) < 0.33
    u[edge] = rng.choice([lo, hi, 1.5 * lo, 1.5 * hi], int(edge.sum()))
    return np.zeros(T, dtype=np.int64), u.astype(np.float32).astype(np.float64)


@needs_gym
@pytest.mark.parametrize("env_id", PORTED)
def test_port_matches_gymnasium_step_by_step(env_id):
    import gymnasium as gym
    from evornn.problems import gym_ports as GP
    code = GP.PORTS[env_id]
    rng = np.random.default_rng(17)
    steps = 0
    for seed, max_steps in [(0, None), (1, None), (2, None), (123456789012345, None), (3, 7)]:
        env = gym.make(env_id, disable_env_checker=True, **({} if max_steps is None else {"max_episode_steps": max_steps}))
        T = env.spec.max_episode_steps
        obs, _ = env.reset(seed=seed)
        s0 = GP.reset_state(code, seed)
        assert np.array_equal(s0, _gym_state(env))
        mine = np.empty(GP.N_OBS[code])
        GP.observe(code, s0, mine)
        assert np.array_equal(mine, obs.astype(np.float64))
        ks, us = _actions(env_id, env.action_space, rng, T)
        states, rewards, flags = np.zeros((T, 4)), np.zeros(T), np.zeros((T, 2), dtype=np.bool_)
        n = GP.rollout(code, s0, True, ks, us, T, states, rewards, flags)
        for t in range(n):
            a = int(ks[t]) if hasattr(env.action_space, "n") else np.array([us[t]], dtype=np.float32)
            obs, r, term, trunc, _ = env.step(a)
            assert np.max(np.abs(states[t] - _gym_state(env))) <= TOL, (seed, t)
            assert abs(rewards[t] - r) <= TOL, (seed, t)
            assert (bool(flags[t, 0]), bool(flags[t, 1])) == (term, trunc), (seed, t)
            GP.observe(code, states[t], mine)
            assert np.max(np.abs(mine - obs)) <= TOL, (seed, t)
            if term or trunc:
                break
        assert t + 1 == n
        steps += n
    assert steps > 50


@needs_gym
@pytest.mark.parametrize("env_id", ["Acrobot-v1", "MountainCarContinuous-v0", "Pendulum-v1"])
def test_port_matches_gymnasium_from_random_states(env_id):
    """One step from states all over the state space (the wrap, bound and clip branches)."""
    import gymnasium as gym
    from evornn.problems import gym_ports as GP
    code = GP.PORTS[env_id]
    env = gym.make(env_id, disable_env_checker=True).unwrapped
    env.reset(seed=0)
    rng = np.random.default_rng(5)
    hi = {"Acrobot-v1": [np.pi, np.pi, 4 * np.pi, 9 * np.pi], "MountainCarContinuous-v0": [0.6, 0.07],
          "Pendulum-v1": [3 * np.pi, 8.0]}[env_id]
    lo = [-1.2, -0.07] if env_id.startswith("Mountain") else [-h for h in hi]
    ks, us = _actions(env_id, env.action_space, rng, 3000)
    for i in range(3000):
        s = np.zeros(4)
        s[:len(hi)] = rng.uniform(lo, hi)
        if env_id.startswith("Mountain"):
            s[:2] = s[:2].astype(np.float32)           # its state after any step
        env.state = s[:len(hi)].astype(np.float32) if env_id.startswith("Mountain") else s[:len(hi)].copy()
        a = int(ks[i]) if hasattr(env.action_space, "n") else np.array([us[i]], dtype=np.float32)
        _, r, term, _, _ = env.step(a)
        out, rew, fl = np.zeros((1, 4)), np.zeros(1), np.zeros((1, 2), dtype=np.bool_)
        # first=False: the state is float32 already (MountainCarContinuous after its first step)
        GP.rollout(code, s, False, ks[i:i + 1], us[i:i + 1], 1, out, rew, fl)
        assert np.max(np.abs(out[0] - _gym_state(env))) <= TOL and abs(rew[0] - r) <= TOL and fl[0, 0] == term, i


# -- the problem ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def novel():
    """CartPoleNoVel-v1 (port and Gymnasium path) with a 2-unit fully recurrent network."""
    port = registry.make_problem("gym:CartPoleNoVel-v1", episodes=2)
    gymp = registry.make_problem("gym", env="CartPoleNoVel-v1", episodes=2, backend="gymnasium")
    return port, gymp, make_network(port, "frnn", n_hidden=2)


@needs_gym
def test_fused_port_and_gymnasium_path_give_the_same_returns(novel):
    port, gymp, net = novel
    assert port.port is not None and gymp.port is None
    W = net.init(np.random.default_rng(3), 12) * 3.0
    W[5, 0] = np.nan
    seeds = eval_seeds(9, 4, 12)
    a, b = port.evaluate(net, W, seeds), gymp.evaluate(net, W, seeds)
    assert np.array_equal(a.fitness, b.fitness, equal_nan=True) and np.array_equal(a.metrics, b.metrics, equal_nan=True)
    assert a.fitness[5] == -1e300 and np.isnan(a.metrics[5, 0]) and a.metrics[5, 1] == 0
    assert len(set(a.fitness[np.isfinite(a.fitness)])) > 3          # the episodes differ


def _one_thread_and_all(problem, net, W, seeds):
    """``problem.evaluate`` on one thread and on all of them."""
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = problem.evaluate(net, W, seeds)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        return one, problem.evaluate(net, W, seeds)
    finally:
        numba.set_num_threads(before)


@needs_gym
def test_gymnasium_path_is_deterministic_across_threads_and_positions(novel):
    _, gymp, net = novel
    W = net.init(np.random.default_rng(4), 7) * 3.0
    seeds = eval_seeds(1, 0, 7)
    one, many = _one_thread_and_all(gymp, net, W, seeds)
    assert np.array_equal(one.fitness, many.fitness) and np.array_equal(one.metrics, many.metrics)
    import pickle                                             # as Ray ships it to its actors
    assert np.array_equal(pickle.loads(pickle.dumps(gymp)).evaluate(net, W, seeds).fitness, one.fitness)
    flipped = gymp.evaluate(net, W[::-1], seeds[::-1])        # each chromosome with its own seed
    assert np.array_equal(flipped.fitness[::-1], one.fitness)
    other = gymp.evaluate(net, W, eval_seeds(2, 0, 7))
    assert not np.array_equal(other.fitness, one.fitness)    # the seeds choose the start states


@needs_gym
@pytest.mark.parametrize("env_id, arch, opts", [(e, "elman", {"n_hidden": 5}) for e in PORTED] +
                         [("CartPoleNoVel-v1", "lstm", {"n_hidden": 3}), ("PendulumNoVel-v1", "gru", {"n_hidden": 3})])
def test_simd_port_and_simd_gymnasium_path_give_the_same_returns(env_id, arch, opts):
    """simd: the networks in vector lanes. The port (lanes refilled as episodes end) against the
    Gymnasium path (each environment in a lane of its own), Gymnasium's environments the oracle."""
    make = lambda backend: registry.make_problem("gym", env=env_id, episodes=2, backend=backend, simd=True,
                                                 max_steps=120)
    port, gymp = make("port"), make("gymnasium")
    net = make_network(port, arch, **opts)
    W = net.init(np.random.default_rng(5), 11) * 2.0          # 22 episodes: three blocks' worth of lanes
    W[4, 1] = np.inf
    seeds = eval_seeds(2, 3, 11)
    a, b = port.evaluate(net, W, seeds), gymp.evaluate(net, W, seeds)
    assert np.array_equal(a.fitness, b.fitness) and np.array_equal(a.metrics, b.metrics, equal_nan=True)
    assert a.fitness[4] == -1e300 and a.metrics[4, 1] == 0
    if env_id not in ("Acrobot-v1", "MountainCar-v0"):      # -1 a step until a goal random networks miss
        assert len(set(a.fitness)) > 3                        # the episodes differ


@needs_gym
def test_simd_returns_do_not_depend_on_lane_population_or_threads(novel):
    port = registry.make_problem("gym:CartPoleNoVel-v1", episodes=3, simd=True)
    _, _, net = novel
    W = net.init(np.random.default_rng(6), 13) * 3.0
    seeds = eval_seeds(4, 2, 13)
    one, many = _one_thread_and_all(port, net, W, seeds)
    assert np.array_equal(one.fitness, many.fitness) and np.array_equal(one.metrics, many.metrics)
    flipped = port.evaluate(net, W[::-1], seeds[::-1])
    alone = np.concatenate([port.evaluate(net, W[i:i + 1], seeds[i:i + 1]).fitness for i in (0, 7, 12)])
    assert np.array_equal(flipped.fitness[::-1], one.fitness) and np.array_equal(alone, one.fitness[[0, 7, 12]])
    assert len(set(one.fitness)) > 3
    scalar = registry.make_problem("gym:CartPoleNoVel-v1", episodes=3).evaluate(net, W, seeds)
    assert np.allclose(one.fitness, scalar.fitness, rtol=0.5)   # same networks, same tasks (exp/tanh to 2 ulp)


@needs_gym
@pytest.mark.parametrize("env, params", [("CartPole-v1", {"max_steps": 20}), ("Pendulum-v1", {"max_steps": 40}),
                                         ("LunarLander-v3", {"max_steps": 80}),
                                         ("MountainCarContinuousNoVel-v0", {"max_steps": 50, "normalise": True})])
def test_gymnasium_path_stepping_the_environments_themselves_gives_the_wrapped_ones_returns(env, params, monkeypatch):
    """The Gymnasium path steps each environment past gym.make's TimeLimit and OrderEnforcing and
    truncates after max_steps itself: the same returns and steps as stepping the wrapped
    environments (Discrete and Box actions, truncation, termination, a NaN chromosome)."""
    if env.startswith("LunarLander") and importlib.util.find_spec("Box2D") is None:
        pytest.skip("LunarLander needs box2d (pip install 'evornn[gym]')")
    from evornn.problems import gym_problem as G
    prob = registry.make_problem("gym", env=env, episodes=2, backend="gymnasium", **params)
    net = make_network(prob, "mlp", hidden=[4])
    W = net.init(np.random.default_rng(5), 6) * 2.0
    W[2, 1] = np.nan
    seeds = eval_seeds(3, 0, 6)
    env0 = G._make(__import__("gymnasium"), prob.env_id, env, prob.max_steps)
    assert G._step_reset(env0)[0] == env0.unwrapped.step                 # the wrappers are stepped past
    own = prob.evaluate(net, W, seeds)
    monkeypatch.setattr(G, "_step_reset", lambda e: (e.step, e.reset))   # the wrapped environments
    prob._envs = []
    wrapped = prob.evaluate(net, W, seeds)
    assert np.array_equal(own.fitness, wrapped.fitness) and np.array_equal(own.metrics, wrapped.metrics, equal_nan=True)
    assert own.fitness[2] == -1e300 and own.metrics[2, 1] == 0
    assert np.any(own.metrics[:, 1] == 2 * prob.max_steps)              # some truncated twice
    if env.startswith("CartPole"):
        assert np.any(own.metrics[:, 1] < 2 * prob.max_steps)           # some terminated


@needs_gym
def test_an_environment_with_other_wrappers_is_stepped_through_them():
    import gymnasium as gym
    from evornn.problems import gym_problem as G
    env = gym.wrappers.TransformReward(G._make(gym, "CartPole-v1", "CartPole-v1", 50), lambda r: 2 * r)
    assert G._step_reset(env) == (env.step, env.reset)


@needs_gym
def test_novel_mask_really_removes_the_velocities(novel):
    port, _, net = novel
    assert port.n_inputs == 2 and list(port.keep) == [0, 2] and port.mask == [1, 3]
    full = registry.make_problem("gym:CartPole-v1", episodes=2, backend="gymnasium")
    big = make_network(full, "frnn", n_hidden=2)
    w = net.init(np.random.default_rng(8), 6) * 3.0
    Wbig = np.zeros((6, big.n_params))
    for i in range(6):     # the same network, with zero weights from the velocities
        p, q = net.unflatten(w[i]), big.unflatten(np.zeros(big.n_params))
        for k, v in p.items():
            if v.shape == q[k].shape:
                q[k][...] = v
            else:                                         # the input weights: columns 0, 2 of 4
                assert q[k].shape[-1] == 4 + (v.shape[-1] - 2)
                q[k][..., [0, 2]] = v[..., :2]
                q[k][..., 4:] = v[..., 2:]
        Wbig[i] = big.flatten(q)
    seeds = eval_seeds(3, 1, 6)
    assert np.array_equal(port.evaluate(net, w, seeds).fitness, full.evaluate(big, Wbig, seeds).fitness)
    assert registry.make_problem("gym:CartPole-v1", mask=[1, 3]).n_inputs == 2


@needs_gym
@pytest.mark.parametrize("params, message", [
    ({"env": "NoSuchEnv-v0"}, "unknown environment 'NoSuchEnv-v0'"),
    ({"env": "Taxi-v4"}, "need a one-dimensional Box"),
    ({"env": "Taxi-v3"}, "unknown environment 'Taxi-v3' (Environment version v3 for `Taxi` is deprecated"),
    ({"env": "CartPole-v1", "mask": [4]}, "mask must list distinct observation indices in 0..3"),
    ({"env": "CartPole-v1", "backend": "fast"}, "backend must be one of auto, port, gymnasium"),
    ({"env": "Blackjack-v1"}, "need a one-dimensional Box"),
    ({"env": "CartPoleNoVel-v1", "mask": [0]}, "masks [1, 3] already"),
    ({"env": "LunarLander-v3", "backend": "port"}, "no port of LunarLander-v3"),
    ({"env": "Pendulum-v1", "common_seeds": 1}, "common_seeds must be bool, got 1"),
    ({"env": "Pendulum-v1", "simd": "yes"}, "simd must be bool, got 'yes'"),
    ({"env": "Pendulum-v1", "test_screen": 100}, "test_screen must be 0 (off) or below test_episodes (100), got 100"),
    ({"env": "Pendulum-v1", "test_screen": -1}, "test_screen must be an integer >= 0, got -1"),
    ({"env": "Pendulum-v1", "test_screen_z": -1.0}, "test_screen_z must be a number >= 0 (standard errors), got -1.0"),
    ({"env": "Pendulum-v1", "test_screen_z": float("nan")}, "test_screen_z must be a finite number, got nan"),
    ({"env": "Pendulum-v1", "test_screen_z": "1"}, "test_screen_z must be float, got '1'"),
    ({"env": "Pendulum-v1", "test_screen_z": True}, "test_screen_z must be float, got True"),
])
def test_bad_parameters_are_one_line_errors(params, message):
    with pytest.raises(ValueError) as e:
        registry.make_problem("gym", **params)
    assert message in str(e.value) and "\n" not in str(e.value)


@needs_gym
@pytest.mark.parametrize("name", ["gym:NoSuchEnv-v0", "gym:FrozenLake-v1"])
def test_bad_environment_through_the_cli_is_one_line_and_exit_2(tmp_path, name):
    res = subprocess.run([sys.executable, "-m", "evornn.cli", "run", "cosyne", f"--problem={name}", "--out=out"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "EVORNN_CONFIGS": str(REPO / "configs")})
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and name[4:] in res.stderr, res.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@needs_gym
@pytest.mark.parametrize("config, budget", [("cosyne-gym-cartpole", 2000), ("cosyne-gym-cartpole-novel", 6000)])
def test_cosyne_solves_cartpole(config, budget):
    """The shipped configs' settings (CoSyNE re-evaluating every row: random starts make fitness noisy)."""
    import tomllib
    doc = tomllib.loads((REPO / "configs" / f"{config}.toml").read_text())
    prob, net, opt = dict(doc["problem"]), dict(doc["network"]), dict(doc["optimiser"])
    prob.pop("name"), opt.pop("name")
    r = evornn.optimise("cosyne", "gym", net.pop("arch"), net=net, seed=0, settings=opt, problem_params=prob,
                        stop={"max_evaluations": budget, "solved": True})
    assert r.solved and r.solved_info["test_return"] >= 475.0
    # the passing test ran 100 episodes; each failed one 100, or 10 when test_screen stopped it
    assert r.progress.evaluations_to_solve <= budget and r.progress.test_episodes >= 100 and r.progress.test_episodes % 10 == 0


@needs_gym
def test_cosyne_test_choice_mean_tests_the_first_admitted_row_of_its_order():
    """CoSyNE's test_choice = "mean" on CartPole-v1 (one noisy episode an evaluation): each
    generation the runner tests the first row of CoSyNE's order whose evaluation reached the
    threshold (one test a generation); the search is the one "fittest" runs, generation for
    generation, up to the generation either run is solved in."""
    def run(choice):
        tested = []
        runner = evornn.make_runner(
            "cosyne", "gym", "mlp", net={"hidden": []}, seed=2, stop={"max_evaluations": 3000, "solved": True},
            settings={"population": 20, "reevaluate": True, "mutation_rate": 0.5, "test_choice": choice},
            problem_params={"env": "CartPole-v1", "episodes": 1, "test_screen": 10, "test_sequential": True})
        check = runner.problem.check_solved

        def recorded(net, w, row, seed):
            out = check(net, w, row, seed)
            tested[-1].append((float(row[0]), out.test_episodes))
            return out
        runner.problem.check_solved = recorded
        orders = []
        real = runner.strategy.test_candidates

        def candidates(fit):
            tested.append([])
            order = real(fit)
            orders.append((np.array(fit), list(order)))
            return order
        runner.strategy.test_candidates = candidates
        runner.run()
        return runner, tested, orders
    mean, tested, orders = run("mean")
    fittest, _, _ = run("fittest")
    assert mean.progress.solved
    n = min(len(mean.history), len(fittest.history))
    for a, b in zip(mean.history[:n], fittest.history[:n]):
        assert (a["best"], a["median"], a["evaluations"]) == (b["best"], b["median"], b["evaluations"])
    differ = 0
    for calls, (fit, order) in zip(tested, orders):
        admitted = [j for j in order if fit[j] >= 475.0]
        if not admitted:       # nothing reached the threshold: every call turned away, no test
            assert all(eps == 0 for _, eps in calls)
            continue
        # the calls went down the order to the first admitted row, and that one was tested
        assert len(calls) == order.index(admitted[0]) + 1 and calls[-1][1] > 0
        differ += admitted[0] != int(np.argmax(fit))
    assert differ > 0                    # the order tested other rows than the fittest


@needs_gym
def test_an_optimiser_with_no_test_candidates_tests_nothing_that_generation():
    """A strategy may return no rows to test: each generation runs on untested (no error, no
    test episode, not solved), though rows reached the threshold."""
    runner = evornn.make_runner(
        "cosyne", "gym", "mlp", net={"hidden": []}, seed=2, stop={"max_evaluations": 400, "solved": True},
        settings={"population": 20, "reevaluate": True, "mutation_rate": 0.5},
        problem_params={"env": "CartPole-v1", "episodes": 1, "test_screen": 10})
    runner.strategy.test_candidates = lambda fit: []
    runner.run()
    assert runner.progress.evaluations == 400
    assert runner.progress.test_episodes == 0 and not runner.progress.solved
    assert max(row["best"] for row in runner.history) >= 475.0      # there were rows to test


@needs_gym
def test_a_missing_environment_dependency_is_one_line(monkeypatch):
    """LunarLander without box2d (as in CI, which installs only gymnasium): one line naming it."""
    import gymnasium as gym

    def fail(*args, **kwargs):
        raise gym.error.DependencyNotInstalled('Box2D is not installed, run `pip install "gymnasium[box2d]"`\nmore')
    monkeypatch.setattr(gym, "make", fail)
    with pytest.raises(ValueError) as e:
        registry.make_problem("gym:LunarLander-v3")
    assert "LunarLander-v3 needs a package that is not installed: Box2D is not installed" in str(e.value)
    assert "\n" not in str(e.value)


@needs_gym
@pytest.mark.parametrize("common", [False, True])
def test_common_seeds_give_a_generation_one_seed(common):
    """common_seeds: every chromosome of a generation plays the same episode starts (the runner
    passes the generation's first seed to all), so equal chromosomes score equally; the seeds still
    change from one generation to the next."""
    from evornn.evaluators import LocalEvaluator
    seen = []

    def evaluator(problem, net, W, seeds):
        seen.append(np.array(seeds))
        return LocalEvaluator(threads=1)(problem, net, W, seeds)
    runner = evornn.make_runner("cmaes", "gym", "mlp", net={"hidden": [2]}, settings={"population": 6},
                                problem_params={"env": "Pendulum-v1", "episodes": 2, "common_seeds": common},
                                seed=4, stop={"max_evaluations": 12}, evaluator=evaluator)
    runner.run()
    assert [s.shape for s in seen] == [(6,), (6,)] and seen[0][0] != seen[1][0]
    want = [np.repeat(eval_seeds(4, g, 1), 6) if common else eval_seeds(4, g, 6) for g in (0, 1)]
    assert all(np.array_equal(s, w) for s, w in zip(seen, want))
    prob, net = runner.problem, runner.net
    W = np.repeat(net.init(np.random.default_rng(0), 1).reshape(1, -1), 6, axis=0)
    fit = prob.evaluate(net, W, seen[0]).fitness
    assert (np.unique(fit).size == 1) == common


@needs_gym
def test_test_screen_stops_a_failing_test_early_and_never_changes_a_verdict():
    """test_screen = k: the first k of the 100 test episodes decide whether the other 90 run; a
    test that goes on is the full test (the same episodes, the same mean bit for bit), a test
    stopped counts k episodes and moves their steps to the tests' count."""
    full = registry.make_problem("gym", env="Pendulum-v1", reward_threshold=-1e9)
    net = make_network(full, "mlp", hidden=[4])
    w = net.init(np.random.default_rng(2), 1)[0]
    seeds = eval_seeds(11, 1, 100).reshape(-1, 1)
    r, _ = full.run(net, np.repeat(w.reshape(1, -1), 100, axis=0), seeds)
    m10, m100 = float(r[:10].mean()), float(r.mean())
    assert m10 != m100
    row = np.array([1e9, 0.0])                       # an evaluation that reached any threshold
    for thr, solved in ((min(m10, m100) - 1.0, True), (m100 + 1.0, False)):
        verdicts = []
        for screen in (0, 10):
            p = registry.make_problem("gym", env="Pendulum-v1", reward_threshold=thr, test_screen=screen)
            verdicts.append(p.check_solved(net, w, row, 11))
        a, b = verdicts
        if m10 >= thr:        # past the screen: the full test, same figures
            assert (a.solved, a.test_episodes, a.info["test_return"]) == (b.solved, b.test_episodes, b.info["test_return"])
        assert a.solved == solved and a.test_episodes == 100 and a.info["test_return"] == m100
    se10 = float(r[:10].std(ddof=1)) / 10 ** 0.5
    for thr, stopped in ((m10 + 2 * se10 + 1.0, True), (m10 + 2 * se10 - 1.0, False)):
        p = registry.make_problem("gym", env="Pendulum-v1", reward_threshold=thr, test_screen=10)
        chk = p.check_solved(net, w, row, 11)
        assert chk.test_episodes == (10 if stopped else 100)
        assert chk.info["test_return"] == (m10 if stopped else m100) and not (stopped and chk.solved)
        assert p.env_steps == 0 and p.test_env_steps == chk.test_episodes * 200
    assert p.params()["test_screen"] == 10


def test_test_sequential_screens_after_every_k_episodes_and_accepts_only_what_the_full_test_accepts():
    """test_sequential: the 2-standard-error screen after 10, 20, ..., 90 episodes; the verdict at the
    first look that fails it (counted episodes: that look's), else the full test's, bit for bit."""
    from evornn.problems.gym_problem import screen_passes
    full = registry.make_problem("gym", env="Pendulum-v1", reward_threshold=-1e9)
    net = make_network(full, "mlp", hidden=[4])
    w = net.init(np.random.default_rng(2), 1)[0]
    r, _ = full.run(net, np.repeat(w.reshape(1, -1), 100, axis=0), eval_seeds(11, 1, 100).reshape(-1, 1))
    r = r.reshape(-1)
    row = np.array([1e9, 0.0])
    stops = []
    for thr in np.linspace(r.mean() - 50, r.mean() + 250, 16):      # stops at 100, 80, 60, 50, 40 and 10
        p = registry.make_problem("gym", env="Pendulum-v1", reward_threshold=float(thr), test_screen=10,
                                  test_sequential=True)
        chk = p.check_solved(net, w, row, 11)
        stop = next((n for n in range(10, 100, 10) if not screen_passes(r[:n], thr)), 100)
        stops.append(stop)
        assert chk.test_episodes == stop and chk.info["test_return"] == float(r[:stop].mean())
        assert chk.solved == (stop == 100 and r.mean() >= thr)
        assert p.test_env_steps == stop * 200 and p.env_steps == 0
        once = registry.make_problem("gym", env="Pendulum-v1", reward_threshold=float(thr), test_screen=10)
        assert not (chk.solved and not once.check_solved(net, w, row, 11).solved)
    assert len(set(stops) - {10, 100}) >= 3               # the later looks did stop tests
    assert p.params()["test_sequential"] is True
    with pytest.raises(ValueError, match="test_sequential repeats the screen every test_screen episodes"):
        registry.make_problem("gym", env="Pendulum-v1", test_sequential=True)


@needs_gym
def test_test_screen_z_sets_how_many_standard_errors_below_the_threshold_stop_a_test():
    """test_screen_z = 1: a test stops when the first k episodes' mean plus one standard error is
    below the threshold (2 by default); a test that goes on is still the full test."""
    full = registry.make_problem("gym", env="Pendulum-v1", reward_threshold=-1e9)
    net = make_network(full, "mlp", hidden=[4])
    w = net.init(np.random.default_rng(2), 1)[0]
    r, _ = full.run(net, np.repeat(w.reshape(1, -1), 100, axis=0), eval_seeds(11, 1, 100).reshape(-1, 1))
    r = r.reshape(-1)
    m10, se10 = float(r[:10].mean()), float(r[:10].std(ddof=1)) / 10 ** 0.5
    row = np.array([1e9, 0.0])
    thr = m10 + 1.5 * se10                        # 1.5 standard errors above the first 10's mean
    counted = {}
    for z in (2.0, 1.0, 2):
        p = registry.make_problem("gym", env="Pendulum-v1", reward_threshold=thr, test_screen=10, test_screen_z=z)
        chk = p.check_solved(net, w, row, 11)
        counted[z] = chk.test_episodes
        assert p.params()["test_screen_z"] == float(z)
        assert chk.solved == (z == 2 and float(r.mean()) >= thr)     # one past the screen is the full test
    assert counted == {2.0: 100, 1.0: 10}
    assert registry.make_problem("gym", env="Pendulum-v1").params()["test_screen_z"] == 2.0


def test_the_screen_stops_a_test_two_standard_errors_below_the_threshold():
    from evornn.problems.gym_problem import screen_passes
    r = np.array([-100.0, -300.0, -200.0, -200.0])          # mean -200, standard error 40.8
    assert screen_passes(r, -200.0) and screen_passes(r, -118.4) and not screen_passes(r, -118.3)
    assert screen_passes(np.full(5, 3.0), 3.0) and not screen_passes(np.full(5, 3.0), 3.0001)
    assert not screen_passes(np.array([1e9, np.nan]), -1e9)
    assert screen_passes(r, -159.2, z=1.0) and not screen_passes(r, -159.1, z=1.0)   # one standard error
    assert screen_passes(r, -200.0, z=0.0) and not screen_passes(r, -199.9, z=0.0)
