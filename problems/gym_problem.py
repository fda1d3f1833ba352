"""Gymnasium environments as problems: a recurrent (or any steppable) network controls the
environment in a closed loop.

``problem.name = "gym"`` with ``env = "<EnvId>"``, or the name ``gym:<EnvId>``. Any environment
with a Box observation space and a Discrete or Box action space:

- Inputs: the observation entries not hidden by ``mask`` (float32 values as Gymnasium returns
  them), optionally normalised (``normalise = true``: entries with finite bounds mapped linearly
  from [low, high] to [-1, 1]; unbounded entries unchanged). The RL Zoo's velocity-masked
  variants are ids of their own: ``CartPoleNoVel-v1`` is CartPole-v1 with mask [1, 3],
  ``PendulumNoVel-v1`` [2], ``MountainCarContinuousNoVel-v0`` [1], ``LunarLanderNoVel-v3``
  [2, 3, 5] (``LunarLanderContinuousNoVel-v3`` too).
- Outputs: Discrete(n), n outputs, the action is the argmax (the first of equals); Box(d) with
  finite bounds, d outputs (tanh by default), each clipped to [-1, 1] and mapped linearly to
  [low, high], then cast to the space's float32. A non-finite output ends the episode with a
  NaN return; a chromosome with a NaN return (or NaN/Inf weights) gets the fitness -1e300, finite
  and below any return.
- Episodes: ``episodes`` per evaluation, each at most ``max_steps`` steps (default: the
  environment's ``max_episode_steps``, 1000 when it has none). Fitness: the mean return. Episode
  e of the chromosome with evaluation seed s resets the environment with seed
  ``eval_seeds(s, 0, episodes)[e]`` (the
  runner's seeds depend only on the run's seed, the generation and the position in the
  population, so results are bit-identical with any number of threads or Ray actors).
  ``common_seeds = true``: common random numbers, every chromosome of a generation gets the
  generation's first seed, so all of them play the same episode starts and are ranked on the
  same conditions (the starts still change every generation).
- Solved: the environment's ``reward_threshold`` (or the option ``reward_threshold``, needed for
  Pendulum, which has none): a network whose evaluation reached the threshold runs
  ``test_episodes`` (100) episodes with fresh seeds (``eval_seeds(s, 1, 100)``), counted apart from
  evaluations; solved when their mean return reaches the threshold. ``test_screen = k`` (0, off,
  by default) runs the first k of those episodes first and stops the test there when their mean is
  more than two standard errors below the threshold (k test episodes counted, not 100); a network
  that passes runs the other
  episodes and is judged on the mean of all ``test_episodes``, exactly as without the screen. So the
  screen never accepts a network the full test would reject; it saves the episodes of tests that
  a noisy evaluation started and that the first k episodes already show failing.
  ``test_sequential = true`` (with ``test_screen = k``) screens again after every k more episodes
  (10, 20, ..., 90 of 100), the same rule each time: a near miss (a true mean a little below the
  threshold, which passes 10 episodes but not 100) usually ends after 20-50. Still never accepting
  a network the full test rejects; a network whose true mean is at the threshold is stopped more
  often than by one screen (the looks are repeated chances).
  ``test_screen_z = z`` (2 by default): the screen stops a test whose mean so far plus z
  standard errors is below the threshold. A smaller z stops failing tests sooner, and more often
  stops a test the full test would have passed (a network near the threshold); it never passes one
  the full test fails (what passes is judged on all ``test_episodes``). Where a stopped network
  stays in the population and is evaluated again, it can be tested again: a false stop costs little.
- Backend: the five classic-control ids with a port (:mod:`evornn.problems.gym_ports`) run it
  fused with the network in one Numba kernel per population (``backend = "auto"`` or ``"port"``);
  ``backend = "gymnasium"`` steps Gymnasium's own environments (every other id does): one list of
  environments, one per (chromosome, episode), stepped together, the network stepped for all of
  them in one kernel call per environment step. Both give the same returns.
- ``simd = true``: the networks run in vector lanes, 8 at a time (:mod:`evornn.problems.gym_lanes`),
  on both backends, so they still agree; exp and tanh then come from :mod:`evornn.nets.vmath`
  (within 2 ulp of libm's), which a closed loop can turn into different episodes, so it is off by
  default and earlier runs reproduce.
- Metrics: ``return`` (mean over the episodes) and ``steps`` (environment steps, summed).
"""
from __future__ import annotations

import math
import re
import threading

import numpy as np

from evornn.nets import lanes as LN
from evornn.nets import specialise
from evornn.nets.threads import run_rows
from evornn.problem import EvalResult, Problem, SolvedCheck
from evornn.seeding import episode_seeds, eval_seeds

from . import gym_kernels as GK
from . import gym_lanes as GL
from . import gym_ports as GP
from .episode_summary import summarise

DESCRIPTION = ("any Gymnasium environment with a Box observation and a Discrete or Box action "
               "(env = 'CartPole-v1' or the name gym:<EnvId>; NoVel ids mask velocities); classic control "
               "runs as a fused Numba port")
INSTALL = "pip install 'evornn[gym]'"
# The RL Zoo's velocity-masked variants: base id and the hidden observation entries.
NOVEL = {"CartPole": [1, 3], "Pendulum": [2], "MountainCarContinuous": [1], "LunarLander": [2, 3, 5],
         "LunarLanderContinuous": [2, 3, 5]}
BACKENDS = ("auto", "port", "gymnasium")
WORST = -1e300      # the fitness of a broken network (NaN/Inf weights or outputs): below any return


def split_novel(env: str) -> tuple[str, list[int] | None]:
    """``"CartPoleNoVel-v1"`` -> ("CartPole-v1", [1, 3]); other ids -> (id, None)."""
    m = re.fullmatch(r"(\w+)NoVel(-v\d+)", env)
    if m and m.group(1) in NOVEL:
        return m.group(1) + m.group(2), list(NOVEL[m.group(1)])
    return env, None


class GymProblem(Problem):
    name = "gym"
    description = DESCRIPTION
    needs_steps = True
    metric_names = ("return", "steps")

    def __init__(self, env: str = "CartPole-v1", episodes: int = 1, max_steps: int | None = None,
                 normalise: bool = False, mask: list | None = None, backend: str = "auto",
                 reward_threshold: float | None = None, test_episodes: int = 100, common_seeds: bool = False,
                 test_screen: int = 0, test_sequential: bool = False, simd: bool = False,
                 test_screen_z: float = 2.0):
        import gymnasium as gym
        if not isinstance(env, str) or not env:
            raise ValueError(f"gym: env must be a Gymnasium environment id, got {env!r}")
        self.env_name = env
        self.env_id, novel = split_novel(env)
        try:
            spec = gym.spec(self.env_id)
        except Exception as e:
            why = (str(e).strip().splitlines() or [""])[0].rstrip(".")
            raise ValueError(f"gym: unknown environment {env!r} ({why}; e.g. CartPole-v1, Acrobot-v1, "
                             f"MountainCarContinuous-v0, Pendulum-v1, LunarLander-v3, CartPoleNoVel-v1)") from None
        self.episodes = _integer("episodes", episodes, 1)
        default_steps = spec.max_episode_steps or 1000
        self.max_steps = _integer("max_steps", default_steps if max_steps is None else max_steps, 1)
        if not isinstance(normalise, (bool, np.bool_)):
            raise ValueError(f"gym: normalise must be true or false, got {normalise!r}")
        self.normalise = bool(normalise)
        if not isinstance(common_seeds, (bool, np.bool_)):
            raise ValueError(f"gym: common_seeds must be true or false, got {common_seeds!r}")
        self.common_seeds = bool(common_seeds)
        if backend not in BACKENDS:
            raise ValueError(f"gym: backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        self.test_episodes = _integer("test_episodes", test_episodes, 1)
        self.test_screen = _integer("test_screen", test_screen, 0)
        self.test_screen_z = _finite("test_screen_z", test_screen_z)
        if self.test_screen_z < 0:
            raise ValueError(f"gym: test_screen_z must be a number >= 0 (standard errors), got {test_screen_z!r}")
        if self.test_screen >= self.test_episodes:
            raise ValueError(f"gym: test_screen must be 0 (off) or below test_episodes ({self.test_episodes}), "
                             f"got {self.test_screen}")
        if not isinstance(test_sequential, (bool, np.bool_)):
            raise ValueError(f"gym: test_sequential must be true or false, got {test_sequential!r}")
        if test_sequential and not self.test_screen:
            raise ValueError("gym: test_sequential repeats the screen every test_screen episodes; set test_screen "
                             "(e.g. 10) too")
        self.test_sequential = bool(test_sequential)
        if not isinstance(simd, (bool, np.bool_)):
            raise ValueError(f"gym: simd must be true or false, got {simd!r}")
        self.simd = bool(simd)
        port = GP.PORTS.get(self.env_id)
        if backend == "port" and port is None:
            raise ValueError(f"gym: no port of {self.env_id} (ports: {', '.join(GP.PORTS)}); use backend "
                             f"'auto' or 'gymnasium'")
        probe = _make(gym, self.env_id, env, self.max_steps)
        obs_space, act_space = probe.observation_space, probe.action_space
        probe.close()
        if not (isinstance(obs_space, gym.spaces.Box) and len(obs_space.shape) == 1):
            raise ValueError(f"gym: {env} has observation space {obs_space}; gym problems need a one-dimensional Box")
        n_obs = int(obs_space.shape[0])
        if isinstance(act_space, gym.spaces.Discrete):
            self.discrete = True
            self.n_outputs = int(act_space.n)
            self.output_activation = "linear"
            self.act_low = self.act_high = np.zeros(0)
        elif isinstance(act_space, gym.spaces.Box) and len(act_space.shape) == 1:
            self.discrete = False
            self.n_outputs = int(act_space.shape[0])
            self.output_activation = "tanh"
            self.act_low = act_space.low.astype(np.float64)
            self.act_high = act_space.high.astype(np.float64)
            if not (np.all(np.isfinite(self.act_low)) and np.all(np.isfinite(self.act_high))):
                raise ValueError(f"gym: {env} has action space {act_space} with infinite bounds; "
                                 f"Box actions need finite bounds to squash to")
        else:
            raise ValueError(f"gym: {env} has action space {act_space}; gym problems need Discrete or a "
                             f"one-dimensional Box")
        self.act_dtype = act_space.dtype
        if mask is None:
            mask = novel or []
        elif novel is not None and sorted(mask) != sorted(novel):
            raise ValueError(f"gym: {env} masks {novel} already; give mask only with the plain id {self.env_id}")
        if not isinstance(mask, (list, tuple)) or not all(isinstance(i, int) and not isinstance(i, bool)
                                                          and 0 <= i < n_obs for i in mask) \
                or len(set(mask)) != len(mask) or len(mask) >= n_obs:
            raise ValueError(f"gym: mask must list distinct observation indices in 0..{n_obs - 1} "
                             f"(leaving at least one), got {mask!r}")
        self.mask = sorted(int(i) for i in mask)
        self.keep = np.array([i for i in range(n_obs) if i not in self.mask], dtype=np.int64)
        self.n_obs, self.n_inputs = n_obs, int(self.keep.shape[0])
        lo = obs_space.low.astype(np.float64)[self.keep]
        hi = obs_space.high.astype(np.float64)[self.keep]
        finite = np.isfinite(lo) & np.isfinite(hi) & (hi > lo) & self.normalise
        lo, hi = np.where(finite, lo, -1.0), np.where(finite, hi, 1.0)
        self.off = np.where(finite, (hi + lo) / 2, 0.0)
        self.scale = np.where(finite, 2.0 / (hi - lo), 1.0)
        self.backend = backend
        self.port = port if backend in ("auto", "port") else None
        if reward_threshold is None:
            reward_threshold = spec.reward_threshold
        self.reward_threshold = None if reward_threshold is None else _finite("reward_threshold", reward_threshold)
        self.episode_length = self.max_steps
        self.solved_description = (
            f"{env}: mean return >= {self.reward_threshold:g} over {self.test_episodes} test episodes with fresh "
            f"seeds" if self.reward_threshold is not None else f"{env} has no reward_threshold: never solved "
            f"(set reward_threshold)")
        self._envs: list = []         # Gymnasium environments, reused across evaluations
        self._lock = threading.Lock()  # one Gymnasium-path evaluation at a time uses them
        self.env_steps = 0            # environment steps this instance ran in evaluations
        self.test_env_steps = 0       # ... and in check_solved's test episodes

    def __getstate__(self):
        d = dict(self.__dict__)
        d["_envs"] = []
        del d["_lock"]
        return d

    def __setstate__(self, d):
        self.__dict__.update(d)
        self._lock = threading.Lock()

    def params(self) -> dict:
        return {"env": self.env_name, "episodes": self.episodes, "max_steps": self.max_steps,
                "normalise": self.normalise, "mask": list(self.mask), "backend": self.backend,
                "reward_threshold": self.reward_threshold, "test_episodes": self.test_episodes,
                "common_seeds": self.common_seeds, "test_screen": self.test_screen,
                "test_sequential": self.test_sequential, "simd": self.simd, "test_screen_z": self.test_screen_z}

    def evaluation_bytes(self, net, rows: int, threads: int) -> int:
        """The default, plus the returns and step counts of every (chromosome, episode) and, on the
        Gymnasium path, each one's network workspace, observation and outputs (the Gymnasium
        environments' own Python objects are not counted)."""
        lanes = int(rows) * self.episodes
        per_lane = 16 if self.port is not None else 16 + 8 * (int(net.ws_len) + self.n_obs + self.n_outputs)
        return super().evaluation_bytes(net, rows, threads) + lanes * per_lane

    def check_network(self, net) -> None:
        super().check_network(net)
        if getattr(net, "dtype", "float64") != "float64":
            raise ValueError(f"problem {self.name} runs its networks in float64 (closed loop); dtype "
                             f"{net.dtype!r} is for sequence problems")

    # -- running --------------------------------------------------------------------------------
    def run(self, net, W: np.ndarray, env_seeds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Chromosome W[p] (P, n_params) for one episode from each seed env_seeds[p, e] (P, E):
        returns (P, E) float64 and steps (P, E) int64."""
        ret, steps = self._run(net, W, env_seeds)
        self.env_steps += int(steps.sum())
        return ret, steps

    def _run(self, net, W, env_seeds):
        """:meth:`run` without counting the steps."""
        self.check_network(net)
        W = np.ascontiguousarray(W, dtype=np.float64)
        if W.ndim != 2 or W.shape[1] != net.n_params:
            raise ValueError(f"population must have shape (P, {net.n_params}) for {net.name}, got {W.shape}")
        env_seeds = np.asarray(env_seeds, dtype=np.uint64)
        if env_seeds.ndim != 2 or env_seeds.shape[0] != W.shape[0]:
            raise ValueError(f"gym: env_seeds must have shape ({W.shape[0]}, E), got {env_seeds.shape}")
        if self.port is not None:
            return self._run_port(net, W, env_seeds)
        with self._lock:
            return self._run_gymnasium(net, W, env_seeds)

    def _run_port(self, net, W, env_seeds):
        P, E = env_seeds.shape
        returns = np.zeros((P, E))
        steps = np.zeros((P, E), dtype=np.int64)
        low = float(self.act_low[0]) if not self.discrete else 0.0
        high = float(self.act_high[0]) if not self.discrete else 0.0
        L, ix, fx = (a if a.flags.writeable else a.copy() for a in (net.L, net.ix, net.fx))
        W = W if W.flags.writeable else W.copy()
        kernel, key = ((GL.run_port_lanes, net.key) if self.simd else
                       (GK.run_port_episodes, specialise.network_key(L, label=net.name)))
        run_rows(kernel, 3, P * E, key, int(self.port), bool(self.discrete), L, ix, fx, int(net.ws_len),
                 int(self.n_obs), W, np.ascontiguousarray(env_seeds), self.keep, self.off, self.scale, low, high,
                 int(self.max_steps), returns, steps)
        return returns, steps

    def _environments(self, n: int) -> list:
        """``n`` Gymnasium environments, each as its (step, reset) (:func:`_step_reset`)."""
        import gymnasium as gym
        while len(self._envs) < n:
            self._envs.append(_step_reset(_make(gym, self.env_id, self.env_name, self.max_steps)))
        return self._envs[:n]

    def _run_gymnasium(self, net, W, env_seeds):
        """Every (chromosome, episode) lane in an environment of its own, stepped together: one
        network call per environment step for all lanes still running, the outputs checked and
        decoded for all of them at once (NumPy), then one Gymnasium step per lane. An episode ends
        when the environment terminates or truncates, or after ``max_steps`` steps (the truncation
        of Gymnasium's TimeLimit wrapper, which :func:`_step_reset` steps past)."""
        P, E = env_seeds.shape
        returns = np.zeros((P, E))
        steps = np.zeros((P, E), dtype=np.int64)
        finite = np.all(np.isfinite(W), axis=1)
        returns[~finite] = np.nan
        lanes = [(p, e) for p in range(P) if finite[p] for e in range(E)]
        if not lanes:
            return returns, steps
        n = len(lanes)
        envs = self._environments(n)
        step = [s for s, _ in envs]
        wrow = np.array([p for p, _ in lanes], dtype=np.int64)
        if self.simd:                   # environment i in lane i % N of block i // N
            Wb = LN.pack(W[wrow], np.float64)
            WS = np.zeros((Wb.shape[0], int(net.ws_len) * LN.lanes_of_dtype(np.float64)))
        else:
            WS = np.zeros((n, int(net.ws_len)))
        obs = np.stack([envs[i][1](seed=int(env_seeds[p, e]))[0] for i, (p, e) in enumerate(lanes)])
        ret = [0.0] * n
        nsteps = [0] * n
        max_steps = self.max_steps
        alive = np.arange(n, dtype=np.int64)
        L, ix, fx = (a if a.flags.writeable else a.copy() for a in (net.L, net.ix, net.fx))
        W = W if W.flags.writeable else W.copy()
        key = net.key
        lo, span = self.act_low, self.act_high - self.act_low
        every = self.keep.shape[0] == self.n_obs
        while alive.size:
            X = (obs[alive] if every else obs[alive][:, self.keep]).astype(np.float64, order="C")
            if self.normalise:
                X = (X - self.off) * self.scale
            Y = np.empty((alive.size, self.n_outputs))
            if self.simd:
                run_rows(GL.step_population_lanes, 1, int(WS.shape[0]), key, L, ix, fx, Wb, WS, X, Y, alive)
            else:
                run_rows(GK.step_population, 1, int(alive.size), key, L, ix, fx, W, wrow, WS, X, Y, alive)
            ok = np.isfinite(Y).all(axis=1).tolist()
            if self.discrete:
                acts = Y.argmax(axis=1).tolist()                     # the first of equals
            else:
                acts = list((lo + (np.clip(Y, -1.0, 1.0) + 1.0) * 0.5 * span).astype(self.act_dtype))
            still = []
            for i, a, good in zip(alive.tolist(), acts, ok):
                t = nsteps[i] = nsteps[i] + 1
                if not good:
                    ret[i] = math.nan
                    continue
                o, rew, term, trunc, _ = step[i](a)
                ret[i] += float(rew)
                if not (term or trunc or t >= max_steps):
                    obs[i] = o
                    still.append(i)
            alive = np.array(still, dtype=np.int64)
        for i, (p, e) in enumerate(lanes):
            returns[p, e] = ret[i]
            steps[p, e] = nsteps[i]
        return returns, steps

    def evaluate(self, net, W: np.ndarray, seeds: np.ndarray) -> EvalResult:
        """``episodes`` episodes per row of W, seeded from the row's evaluation seed."""
        W, seeds = np.asarray(W), np.asarray(seeds, dtype=np.uint64)
        if W.ndim == 2 and seeds.shape != (W.shape[0],):
            raise ValueError(f"gym: seeds must have shape ({W.shape[0]},), one per row of W, got {seeds.shape}")
        ret, steps = self._run(net, W, episode_seeds(seeds, 0, self.episodes))
        fitness, metrics, n_steps = summarise(ret, steps, WORST)     # metrics: (mean return, steps)
        self.env_steps += n_steps
        return EvalResult(fitness, metrics)

    def check_solved(self, net, w: np.ndarray, result_row: np.ndarray, seed: int) -> SolvedCheck:
        if self.reward_threshold is None:
            return SolvedCheck(False, 0, {"reason": "no reward_threshold"})
        mean = float(result_row[0])
        if not mean >= self.reward_threshold:
            return SolvedCheck(False, 0, {"reason": f"evaluation return {mean:g} < {self.reward_threshold:g}"})
        w = np.asarray(w, dtype=np.float64).reshape(1, -1)
        seeds = eval_seeds(int(seed), 1, self.test_episodes).reshape(-1, 1)
        before = self.env_steps
        k = self.test_screen or self.test_episodes
        step = k if self.test_sequential else self.test_episodes     # episodes between screens
        ret = np.zeros(0)
        while ret.size < self.test_episodes:
            if ret.size and not screen_passes(ret, self.reward_threshold, self.test_screen_z):
                n = ret.size
                self._count_test_steps(before)
                return SolvedCheck(False, n, {"test_return": float(ret.mean()), "test_episodes": n,
                                              "reason": f"the first {n} test episodes' mean is more than "
                                                        f"{self.test_screen_z:g} standard errors below the threshold"})
            n = min(ret.size + step, self.test_episodes) if ret.size else k
            more, _ = self.run(net, np.repeat(w, n - ret.size, axis=0), seeds[ret.size:n])
            ret = np.concatenate([ret, more.reshape(-1)])
        self._count_test_steps(before)
        test_mean = float(ret.mean())
        return SolvedCheck(bool(test_mean >= self.reward_threshold), self.test_episodes,
                           {"test_return": test_mean, "test_episodes": self.test_episodes})

    def _count_test_steps(self, before: int) -> None:
        """Move the steps run since ``before`` from the evaluations' count to the tests'."""
        self.test_env_steps += self.env_steps - before
        self.env_steps = before


def screen_passes(returns: np.ndarray, threshold: float, z: float = 2.0) -> bool:
    """Whether a test goes on past its screen: the first k returns' mean plus ``z`` standard errors
    (their sample standard deviation over sqrt(k)) reaches the threshold. With z = 2 a network whose
    true mean return is at the threshold is stopped by the screen about 2% of the time (for roughly
    normal returns; with z = 1 about 16%); one far below it, almost always."""
    r = np.asarray(returns, dtype=np.float64)
    if not np.all(np.isfinite(r)):
        return False
    se = float(r.std(ddof=1)) / math.sqrt(r.size) if r.size > 1 else 0.0
    return float(r.mean()) + z * se >= threshold


def make(env: str = "CartPole-v1", episodes: int = 1, max_steps: int | None = None, normalise: bool = False,
         mask: list | None = None, backend: str = "auto", reward_threshold: float | None = None,
         test_episodes: int = 100, common_seeds: bool = False, test_screen: int = 0,
         test_sequential: bool = False, simd: bool = False, test_screen_z: float = 2.0) -> GymProblem:
    """The ``gym`` problem (see the module's docstring)."""
    return GymProblem(env, episodes, max_steps, normalise, mask, backend, reward_threshold, test_episodes,
                      common_seeds, test_screen, test_sequential, simd, test_screen_z)


def estimate_data_bytes(name: str, **params) -> int:
    """The memory guard's size of the data (:mod:`problems.registry`): the observation and action
    bounds and the kept observation indices, 24 bytes per observation and 16 per action dimension;
    1 KiB (about 40 observations: every classic-control and Box2D environment) without asking
    Gymnasium. Episodes are simulated, nothing is stored."""
    return 1024


def _step_reset(env) -> tuple:
    """(step, reset) of an environment made by :func:`_make`: those of the environment itself when
    ``gym.make`` wrapped it only in TimeLimit (whose truncation after ``max_steps`` steps the run
    applies itself) and OrderEnforcing (which only checks that an episode was reset before it is
    stepped; the run resets every episode first), saving their calls on every step; else the
    wrapped environment's."""
    from gymnasium.wrappers import OrderEnforcing, TimeLimit
    inner = env
    while inner is not env.unwrapped:
        if type(inner) not in (TimeLimit, OrderEnforcing):
            return env.step, env.reset
        inner = inner.env
    return inner.step, inner.reset


def _make(gym, env_id: str, shown: str, max_steps: int):
    try:
        return gym.make(env_id, max_episode_steps=max_steps, disable_env_checker=True)
    except gym.error.DependencyNotInstalled as e:
        first = str(e).strip().split("\n")[0]
        raise ValueError(f"gym: {shown} needs a package that is not installed: {first}") from None


def _integer(name: str, v, lo: int) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
        raise ValueError(f"gym: {name} must be an integer >= {lo}, got {v!r}")
    return int(v)


def _finite(name: str, v) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ValueError(f"gym: {name} must be a finite number, got {v!r}")
    return float(v)
