"""Pole balancing, single and double, with and without velocities, as the literature defines it.

The benchmark of ESP (Gomez & Miikkulainen 1999), NEAT (Stanley & Miikkulainen 2002),
CMA-NeuroES (Igel 2003; Heidrich-Meisner & Igel 2009) and CoSyNE (Gomez, Schmidhuber &
Miikkulainen 2008, JMLR 9:937-965), to ../shared/reference/pole-balancing.md: Wieland's (1991)
cart with one or two poles (physics in :mod:`evornn.problems.pole_kernels`), and Gruau, Whitley &
Pyeatt's (1996) damping fitness with the 625-start generalization test for the non-Markov task.

Choices where the papers differ:

- Inputs: x/4.8, xdot/2, theta1/0.52, theta1dot/2[, theta2/0.52, theta2dot/2] (without
  velocities only the positions), then a bias input of ``bias_input`` (1.0 by default; the NEAT
  code uses 0.5; 0 leaves it out, for networks whose units have their own biases: evornn's all
  have, so with the input every unit has two bias weights that act as one).
- Force: the network's first output a (sigmoid by default) is clipped to [0, 1] and
  F = (a - 0.5) * 2 * 10 N. Gomez et al. (2008)'s |F| >= 10/256 N is the option ``min_force``,
  off (0) by default as in the NEAT code and the speed benchmark. A non-finite output fails the
  step.
- A step is balanced when the state after it is inside the limits; ``steps`` is the number of
  balanced steps before the first failure (or ``max_steps``).
- Damping fitness: f1 = t / max_steps (t / 1000 with the default), f2 = 0 when t < 100, else
  0.75 / J with J the sum of |x| + |xdot| + |theta1| + |theta1dot| over the states after the last
  100 balanced steps (t-99 .. t). This is what the NEAT code's indices t-101 .. t-2 of its
  one-based step counter select, whether the episode ends by failure or at 1,000 steps. J is
  floored at 1e-9 so that a degenerate run (no motion at all) keeps a finite fitness.
  fitness = 0.1 f1 + 0.9 f2.
- Solved, damping: the network (reset) balances ``test_steps`` (100,000) steps from the start,
  then 1,000 steps from at least 200 of the 625 generalization starts. The long test is skipped
  (0 test episodes) when the evaluation itself already failed before ``max_steps``: the long test
  starts with the same deterministic episode. A start passes when all 1,000 steps are balanced
  (the NEAT code accepts 999, and 99,999 for the long test). Solved, standard: the evaluation
  episode itself balanced ``max_steps`` (100,000) steps; no test episodes.
- Metrics: ``steps`` (standard); ``steps``, ``f1``, ``f2``, ``jiggle`` (= J, 0 when t < 100)
  (damping). ``check_solved`` reports ``test_steps``, ``generalization`` (starts passed) and
  ``generalization_starts`` in its info, and the episodes it ran as ``test_episodes``.
"""
from __future__ import annotations

import itertools
import math
from typing import Callable

import numpy as np

from evornn.nets import specialise
from evornn.nets.threads import run_rows
from evornn.problem import EvalResult, Problem, SolvedCheck

from . import pole_kernels as K

DESCRIPTION = ("cart-pole balancing (Wieland 1991; Gomez et al. 2008): poles=1|2, velocities=true|false, "
               "fitness=standard|damping (Gruau et al. 1996, with the 625-start generalization test)")

GENERALIZATION_VALUES = (0.05, 0.25, 0.5, 0.75, 0.95)
GENERALIZATION_STEPS = 1000
GENERALIZATION_PASS = 200
DAMPING_WINDOW = 100
JIGGLE_FLOOR = 1e-9


def simulate(initial_state, forces, poles: int = 2, friction: bool = False) -> np.ndarray:
    """Integrate the cart for per-network-step forces; returns the states (T + 1, state_dim).

    ``initial_state`` is (x, xdot, theta1, theta1dot) for one pole, plus (theta2, theta2dot) for
    two; ``forces`` (T,) in newtons, each held for one network step (two RK4 steps of 0.01 s).
    Row 0 is the initial state. No failure limits apply here.
    """
    poles = _poles(poles)
    dim = 2 + 2 * poles
    s0 = np.asarray(initial_state, dtype=np.float64).reshape(-1)
    if s0.shape != (dim,):
        raise ValueError(f"initial_state must have {dim} values for {poles} pole(s), got shape {s0.shape}")
    forces = np.ascontiguousarray(forces, dtype=np.float64)
    if forces.ndim != 1:
        raise ValueError(f"forces must be one-dimensional (T,), got shape {forces.shape}")
    full = np.zeros(6)
    full[:dim] = s0
    out = np.empty((forces.shape[0] + 1, 6))
    K.simulate_kernel(full, forces, poles == 2, _flag("friction", friction), out)
    return out[:, :dim]


def generalization_starts() -> np.ndarray:
    """The 625 starts (625, 6) of the generalization test (Gruau et al. 1996; NEAT's order).

    Every combination of v in (0.05, 0.25, 0.5, 0.75, 0.95) for x = 4.32 v - 2.16,
    xdot = 2.70 v - 1.35, theta1 = 0.12566304 v - 0.06283152, theta1dot = 0.30019504 v - 0.15009752;
    theta2 = theta2dot = 0.
    """
    rows = [(a * 4.32 - 2.16, b * 2.70 - 1.35, c * 0.12566304 - 0.06283152,
             d * 0.30019504 - 0.15009752, 0.0, 0.0)
            for a, b, c, d in itertools.product(GENERALIZATION_VALUES, repeat=4)]
    return np.array(rows, dtype=np.float64)


def estimate_data_bytes(name: str, **params) -> int:
    """The memory guard's size of the data (:mod:`problems.registry`): the start state (1, 6) only,
    whatever the parameters (episodes are simulated, nothing is stored)."""
    return 6 * 8


class PoleBalance(Problem):
    """One or two poles on a cart; the network outputs the force at every 0.02 s step."""

    name = "pole-balance"
    description = DESCRIPTION
    n_outputs = 1
    output_activation = "sigmoid"
    needs_steps = True

    def __init__(self, poles: int = 2, velocities: bool = True, fitness: str = "standard",
                 start_angle: float = 4.0, friction: bool = False, max_steps: int | None = None,
                 min_force: float = 0.0, test_steps: int = 100_000, bias_input: float = 1.0):
        self.poles = _poles(poles)
        self.velocities = _flag("velocities", velocities)
        if fitness not in ("standard", "damping"):
            raise ValueError(f"pole-balance: fitness must be 'standard' or 'damping', got {fitness!r}")
        self.fitness = fitness
        self.friction = _flag("friction", friction)
        limit = 36.0 if self.poles == 2 else 12.0
        self.start_angle = _number("start_angle", start_angle, -limit, limit,
                                   "degrees, inside the failure angle", open_=True)
        self.min_force = _number("min_force", min_force, 0.0, K.FORCE_MAG, "newtons (Gomez 2008 uses 10/256)")
        default_steps = 100_000 if fitness == "standard" else 1000
        self.max_steps = _integer("max_steps", default_steps if max_steps is None else max_steps,
                                  DAMPING_WINDOW if fitness == "damping" else 1)
        self.test_steps = _integer("test_steps", test_steps, 1)
        self.bias_input = _number("bias_input", bias_input, 0.0, 100.0, "(0: no bias input)")
        self.n_inputs = (2 if self.velocities else 1) * (1 + self.poles) + (self.bias_input != 0.0)
        self.episode_length = self.max_steps
        self.metric_names = ("steps",) if fitness == "standard" else ("steps", "f1", "f2", "jiggle")
        what = (f"{'double' if self.poles == 2 else 'single'} pole, "
                f"{'with' if self.velocities else 'without'} velocities")
        if fitness == "standard":
            self.solved_description = f"{what}: balanced {self.max_steps} steps in the evaluation episode"
        else:
            self.solved_description = (f"{what}: balances {self.test_steps} steps from the start, then "
                                       f"{GENERALIZATION_STEPS} steps from >= {GENERALIZATION_PASS} of the "
                                       f"625 generalization starts")
        self.start = np.zeros((1, 6))
        self.start[0, 2] = math.radians(self.start_angle)

    def check_network(self, net) -> None:
        super().check_network(net)
        if getattr(net, "dtype", "float64") != "float64":
            raise ValueError(f"problem {self.name} runs its networks in float64 (closed loop, one "
                             f"individual at a time); dtype {net.dtype!r} is for sequence problems")

    def params(self) -> dict:
        return {"poles": self.poles, "velocities": self.velocities, "fitness": self.fitness,
                "start_angle": self.start_angle, "friction": self.friction, "max_steps": self.max_steps,
                "min_force": self.min_force, "test_steps": self.test_steps, "bias_input": self.bias_input}

    # -- running --------------------------------------------------------------------------
    def run(self, net, W: np.ndarray, starts: np.ndarray, max_steps: int, window: int = 0,
            restart: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every row of W (P, n_params) from every start (S, 6): steps, jiggle, failures (P, S).

        See :func:`evornn.problems.pole_kernels.episode`; ``window`` 100 gives the damping sum.
        """
        self.check_network(net)
        W = np.ascontiguousarray(W, dtype=np.float64)
        if W.ndim != 2 or W.shape[1] != net.n_params:
            raise ValueError(f"population must have shape (P, {net.n_params}) for {net.name}, got {W.shape}")
        starts = np.ascontiguousarray(starts, dtype=np.float64)
        if starts.ndim != 2 or starts.shape[1] != 6:
            raise ValueError(f"pole-balance: starts must have shape (S, 6), got {starts.shape}")
        P, S = W.shape[0], starts.shape[0]
        steps = np.zeros((P, S), dtype=np.int64)
        jiggle = np.zeros((P, S))
        failures = np.zeros((P, S), dtype=np.int64)
        # arrays from Ray's object store are read-only, another Numba type: copy to compile once
        L, ix, fx, W = (a if a.flags.writeable else a.copy() for a in (net.L, net.ix, net.fx, W))
        run_rows(K.run_episodes, 5, P * S, specialise.network_key(L, label=net.name), self.poles == 2, bool(self.velocities),
                 bool(self.friction), bool(restart), L, ix, fx, int(net.ws_len), W, starts, self.bias_input,
                 float(self.min_force), int(max_steps), int(window), steps, jiggle, failures)
        return steps, jiggle, failures

    def observation(self, state) -> np.ndarray:
        """The network's input (n_inputs,) at cart state ``state`` (6,), scaled as the kernels
        scale it: x/4.8, xdot/2, theta1/0.52, theta1dot/2[, theta2/0.52, theta2dot/2] (positions
        only without velocities), then the bias input when ``bias_input`` is not 0."""
        s = state
        if self.velocities:
            v = [s[0] / K.X_SCALE, s[1] / K.V_SCALE, s[2] / K.A_SCALE, s[3] / K.V_SCALE]
            if self.poles == 2:
                v += [s[4] / K.A_SCALE, s[5] / K.V_SCALE]
        else:
            v = [s[0] / K.X_SCALE, s[2] / K.A_SCALE] + ([s[4] / K.A_SCALE] if self.poles == 2 else [])
        if self.bias_input != 0.0:
            v.append(self.bias_input)
        return np.array(v, dtype=np.float64)

    def closed_loop(self, policy: Callable[[np.ndarray], float], start=None, max_steps: int | None = None,
                    states: list | None = None) -> int:
        """Steps balanced by any controller: ``policy(observation) -> a``, called once a step with the
        network's input (:meth:`observation`), returns what the network's first output would be.

        The episode is the evaluation's (the same physics, :func:`pole_kernels.control_step`; the
        same force mapping, :func:`pole_kernels.force_of`, and failure limits): from ``start``
        (default: the problem's start state, (6,)) for at most ``max_steps`` (default: the
        problem's). A policy with memory (an exported recurrent network) starts from its zero
        state. ``states``, a list, receives the cart state after every balanced step.
        """
        s = tuple(float(v) for v in (self.start[0] if start is None else np.asarray(start, dtype=np.float64)))
        if len(s) != 6:
            raise ValueError(f"pole-balance: start must have 6 values, got {len(s)}")
        max_steps = self.max_steps if max_steps is None else _integer("max_steps", max_steps, 0)
        double = self.poles == 2
        lim = K.ANGLE_LIMIT_DOUBLE if double else K.ANGLE_LIMIT_SINGLE
        t = 0
        while t < max_steps:
            a = float(policy(self.observation(s)))
            if not math.isfinite(a):
                break
            s = K.control_step(K.force_of(a, self.min_force), s, double, self.friction)
            if not (abs(s[0]) <= K.X_LIMIT and abs(s[2]) <= lim and abs(s[4]) <= lim):
                break
            if states is not None:
                states.append(s)
            t += 1
        return t

    def evaluate(self, net, W: np.ndarray, seeds: np.ndarray) -> EvalResult:
        """One episode per row of W from the start state; no randomness (``seeds`` unused)."""
        W, seeds = np.asarray(W), np.asarray(seeds)
        if W.ndim == 2 and seeds.shape != (W.shape[0],):
            raise ValueError(f"pole-balance: seeds must have shape ({W.shape[0]},), one per row of W, "
                             f"got {seeds.shape}")
        damping = self.fitness == "damping"
        steps, jiggle, _ = self.run(net, W, self.start, self.max_steps, DAMPING_WINDOW if damping else 0)
        t = steps[:, 0].astype(np.float64)
        if not damping:
            return EvalResult(t.copy(), t[:, None].copy())
        f1, f2, jig = damping_fitness(t, jiggle[:, 0], self.max_steps)
        fitness = 0.1 * f1 + 0.9 * f2
        return EvalResult(fitness, np.stack([t, f1, f2, jig], axis=1))

    def check_solved(self, net, w: np.ndarray, result_row: np.ndarray, seed: int) -> SolvedCheck:
        steps = int(result_row[self.metric_names.index("steps")])
        if self.fitness == "standard":
            return SolvedCheck(steps >= self.max_steps, 0, {"steps": steps})
        if steps < self.max_steps:
            return SolvedCheck(False, 0, {"reason": f"evaluation balanced {steps} < {self.max_steps} steps"})
        W = np.asarray(w, dtype=np.float64).reshape(1, -1)
        long_steps = int(self.run(net, W, self.start, self.test_steps)[0][0, 0])
        info = {"test_steps": long_steps}
        if long_steps < self.test_steps:
            return SolvedCheck(False, 1, info)
        gen = self.run(net, W, generalization_starts(), GENERALIZATION_STEPS)[0][0]
        info["generalization"] = int(np.sum(gen >= GENERALIZATION_STEPS))
        info["generalization_starts"] = int(gen.shape[0])
        return SolvedCheck(info["generalization"] >= GENERALIZATION_PASS, 1 + int(gen.shape[0]), info)


def damping_fitness(steps: np.ndarray, jiggle: np.ndarray, max_steps: int):
    """Gruau et al. (1996)'s components: f1 = t / max_steps; f2 = 0.75 / J when t >= 100, else 0.

    Returns (f1, f2, J) with J the 100-step sum as used (floored at 1e-9; 0 when t < 100).
    """
    t = np.asarray(steps, dtype=np.float64)
    enough = t >= DAMPING_WINDOW
    jig = np.where(enough, np.maximum(jiggle, JIGGLE_FLOOR), 0.0)
    f2 = np.where(enough, 0.75 / np.where(enough, jig, 1.0), 0.0)
    return t / max_steps, f2, jig


# -- parameter checks (the types are checked by evornn.settings before the constructor runs) ------
def _poles(v) -> int:
    if isinstance(v, bool) or v not in (1, 2):
        raise ValueError(f"pole-balance: poles must be 1 or 2, got {v!r}")
    return int(v)


def _flag(name: str, v) -> bool:
    if not isinstance(v, (bool, np.bool_)):
        raise ValueError(f"pole-balance: {name} must be true or false, got {v!r}")
    return bool(v)


def _number(name: str, v, lo: float, hi: float, unit: str, open_: bool = False) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        x = math.nan
    bad = not math.isfinite(x) or isinstance(v, bool) or (x <= lo or x >= hi if open_ else x < lo or x > hi)
    if bad:
        rng = f"({lo:g}, {hi:g})" if open_ else f"[{lo:g}, {hi:g}]"
        raise ValueError(f"pole-balance: {name} must be a number in {rng} {unit}, got {v!r}")
    return x


def _integer(name: str, v, lo: int) -> int:
    try:
        ok = not isinstance(v, bool) and float(v) == int(float(v)) and int(float(v)) >= lo
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise ValueError(f"pole-balance: {name} must be an integer >= {lo}, got {v!r}")
    return int(float(v))
