"""A checker for problems, in the spirit of Gymnasium's ``check_env`` (Towers et al. 2024).

:func:`check_problem` runs a problem through what the optimisers and runners rely on: metadata
of the declared types and values, ``evaluate`` returning fitness (P,) finite float64 and metrics
(P, k) for k metric names, determinism, independence of the individuals of a population, a finite
worst-case fitness for a broken (NaN/Inf) chromosome, rejection of networks of the wrong size
(and of bidirectional networks when the problem runs the network step by step), a well-formed
``check_solved``, and the memory guard's ``data_bytes`` and ``evaluation_bytes`` (bytes >= 0). The
test suite runs it over every registered problem; third-party problems can run it too.
"""
from __future__ import annotations

import json

import numpy as np

import evornn
from evornn.nets.layer import ACTIVATIONS
from evornn.problem import EvalResult, Problem, SolvedCheck
from evornn.seeding import eval_seeds


def check_problem(problem: Problem, arch: str = "elman", n: int = 4, seed: int = 0) -> None:
    """Raise AssertionError naming the problem and the failed check, or return None.

    ``arch`` is the architecture used to build the test networks (with the problem's sizes and
    output activation), ``n`` >= 3 the population size, ``seed`` the seed of the chromosomes.
    """
    label = f"check_problem({getattr(problem, 'name', type(problem).__name__) or type(problem).__name__})"

    def need(cond, msg: str) -> None:
        if not cond:
            raise AssertionError(f"{label}: {msg}")

    need(n >= 3, f"n must be >= 3, got {n}")
    _check_metadata(problem, need)
    net = evornn.build(arch, problem.n_inputs, problem.n_outputs, output_activation=problem.output_activation)
    try:
        problem.check_network(net)
    except ValueError as e:
        need(False, f"check_network rejects a fitting {arch} network: {e}")
    rng = np.random.default_rng(seed)
    W = net.init(rng, n)
    W[n // 2:] *= 4.0                              # some larger weights too
    seeds = eval_seeds(seed, 0, n)
    k = len(problem.metric_names)

    res = _evaluate(problem, net, W, seeds, need, "evaluate")
    need(res.fitness.shape == (n,) and res.fitness.dtype == np.float64,
         f"fitness must be float64 of shape ({n},), got {res.fitness.dtype} {res.fitness.shape}")
    need(np.all(np.isfinite(res.fitness)), f"fitness must be finite, got {res.fitness}")
    need(res.metrics.shape == (n, k) and res.metrics.dtype == np.float64,
         f"metrics must be float64 of shape ({n}, {k}) (one column per metric name), got "
         f"{res.metrics.dtype} {res.metrics.shape}")

    for what, b in (("data_bytes()", problem.data_bytes()), ("evaluation_bytes(net, n, 2)",
                                                              problem.evaluation_bytes(net, n, 2))):
        need(isinstance(b, (int, np.integer)) and b >= 0, f"{what} (the memory guard's) must be bytes >= 0, got {b!r}")

    again = _evaluate(problem, net, W.copy(), seeds.copy(), need, "evaluate (repeated)")
    need(np.array_equal(res.fitness, again.fitness) and np.array_equal(res.metrics, again.metrics, equal_nan=True),
         "not deterministic: the same chromosomes and seeds gave different results")

    order = rng.permutation(n)
    perm = _evaluate(problem, net, W[order], seeds[order], need, "evaluate (permuted)")
    need(np.array_equal(perm.fitness, res.fitness[order]) and
         np.array_equal(perm.metrics, res.metrics[order], equal_nan=True),
         "individuals are not independent: permuting the population changed their results")
    for i in (0, n - 1):
        one = _evaluate(problem, net, W[i:i + 1], seeds[i:i + 1], need, "evaluate (one row)")
        need(np.array_equal(one.fitness, res.fitness[i:i + 1]) and
             np.array_equal(one.metrics, res.metrics[i:i + 1], equal_nan=True),
             f"individuals are not independent: row {i} alone differs from row {i} in the population")

    bad = W.copy()
    bad[0, 0] = np.nan
    bad[1, :] = np.inf
    broken = _evaluate(problem, net, bad, seeds, need, "evaluate (NaN/Inf chromosomes)")
    need(np.all(np.isfinite(broken.fitness)),
         f"a NaN/Inf chromosome must get a finite fitness, got {broken.fitness[:2]}")
    need(np.all(broken.fitness[:2] <= res.fitness.min()),
         f"a NaN/Inf chromosome must get the worst fitness, got {broken.fitness[:2]} against a population "
         f"minimum of {res.fitness.min()}")
    need(np.array_equal(broken.fitness[2:], res.fitness[2:]),
         "a NaN/Inf chromosome changed the results of the other individuals")

    _check_rejects(problem, arch, net, W, seeds, need)
    check = problem.check_solved(net, W[0], res.metrics[0], int(seeds[0]))
    need(isinstance(check, SolvedCheck), f"check_solved must return a SolvedCheck, got {type(check).__name__}")
    need(isinstance(check.solved, (bool, np.bool_)), f"SolvedCheck.solved must be a bool, got {check.solved!r}")
    need(isinstance(check.test_episodes, (int, np.integer)) and check.test_episodes >= 0,
         f"SolvedCheck.test_episodes must be an int >= 0, got {check.test_episodes!r}")
    need(isinstance(check.info, dict), "SolvedCheck.info must be a dict")


def _check_metadata(problem, need) -> None:
    need(isinstance(problem, Problem), f"must be an evornn.problem.Problem, got {type(problem).__name__}")
    need(isinstance(problem.name, str) and problem.name, f"name must be a non-empty str, got {problem.name!r}")
    need(isinstance(problem.description, str), "description must be a str")
    for attr in ("n_inputs", "n_outputs", "episode_length"):
        v = getattr(problem, attr)
        need(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1,
             f"{attr} must be an int >= 1, got {v!r}")
    names = problem.metric_names
    need(isinstance(names, tuple) and len(names) >= 1 and all(isinstance(m, str) and m for m in names),
         f"metric_names must be a non-empty tuple of non-empty strings, got {names!r}")
    need(len(set(names)) == len(names), f"metric_names must be unique, got {names!r}")
    need(isinstance(problem.solved_description, str) and problem.solved_description,
         "solved_description must be a non-empty str")
    need(problem.output_activation in ACTIVATIONS,
         f"output_activation must be one of {', '.join(ACTIVATIONS)}, got {problem.output_activation!r}")
    need(isinstance(problem.needs_steps, bool), f"needs_steps must be a bool, got {problem.needs_steps!r}")
    params = problem.params()
    need(isinstance(params, dict), f"params() must return a dict, got {type(params).__name__}")
    try:
        json.dumps(params)
    except (TypeError, ValueError) as e:
        need(False, f"params() must be JSON-able: {e}")


def _evaluate(problem, net, W, seeds, need, what: str) -> EvalResult:
    try:
        res = problem.evaluate(net, W, seeds)
    except Exception as e:  # noqa: BLE001 - report any crash as a failed check
        need(False, f"{what} raised {type(e).__name__}: {e}")
    need(isinstance(res, EvalResult), f"{what} must return an EvalResult, got {type(res).__name__}")
    need(isinstance(res.fitness, np.ndarray) and isinstance(res.metrics, np.ndarray),
         f"{what}: fitness and metrics must be numpy arrays")
    return res


def _check_rejects(problem, arch, net, W, seeds, need) -> None:
    """Wrong network sizes, wrong chromosome lengths and (if stepping) whole-sequence networks."""
    act = problem.output_activation
    wrong = [evornn.build(arch, problem.n_inputs + 1, problem.n_outputs, output_activation=act),
             evornn.build(arch, problem.n_inputs, problem.n_outputs + 1, output_activation=act)]
    if problem.needs_steps:
        wrong.append(evornn.build("bidirectional", problem.n_inputs, problem.n_outputs, output_activation=act))
    for other in wrong:
        Wo = other.init(np.random.default_rng(0), W.shape[0])
        _raises_value_error(lambda: problem.evaluate(other, Wo, seeds), need,
                            f"a network {other!r} that does not fit")
    _raises_value_error(lambda: problem.evaluate(net, W[:, :-1], seeds), need,
                        f"a population of shape {W[:, :-1].shape} for a network of {net.n_params} parameters")


def _raises_value_error(fn, need, what: str) -> None:
    try:
        fn()
    except ValueError:
        return
    except Exception as e:  # noqa: BLE001
        need(False, f"{what} must raise ValueError, raised {type(e).__name__}: {e}")
    need(False, f"{what} must raise ValueError, but evaluate accepted it")
