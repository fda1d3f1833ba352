"""The genetic algorithm: operators by name, elitism, random-state isolation, determinism,
checkpoints, the vectorised path against DEAP's operators, and pole balancing."""
from __future__ import annotations

import json
import random

import numpy as np
import pytest
from deap import tools

from evornn import build
from evornn.optim import deap_ops
from evornn.settings import make_config
from evornn.optim.ga import GeneticAlgorithm
from evornn.optim.registry import get_strategy
from evornn.stopping import StopConfig
from toy_problem import DelayProblem
from evornn.runner import Runner
from evornn.seeding import eval_seeds, generator


@pytest.fixture(scope="module")
def problem():
    return DelayProblem()


@pytest.fixture(scope="module")
def net():
    return build("elman", 1, 1, n_hidden=2)


def make_ga(net, seed=0, **settings) -> GeneticAlgorithm:
    cfg = make_config(GeneticAlgorithm.Config, {"population": 16, "elite": 2, **settings}, "ga")
    return GeneticAlgorithm(net.n_params, cfg, generator(seed), net.init)


def run(ga, problem, net, generations, seed=0, transform=lambda f: f):
    """Run ``generations`` with the runner's seeds; returns the list of populations asked."""
    asked = []
    for g in range(generations):
        W = ga.ask()
        asked.append(W)
        ga.tell(W, transform(problem.evaluate(net, W, eval_seeds(seed, g, W.shape[0])).fitness))
    return asked


# -- operators by name --------------------------------------------------------------------------
def test_registry_and_aliases():
    assert get_strategy("ga") is GeneticAlgorithm
    for kind, aliases in deap_ops.ALIASES.items():
        for alias, canon in aliases.items():
            assert canon in deap_ops.OPERATORS[kind]
            extra = {"low": -1.0, "up": 1.0} if canon in deap_ops.BOUNDED else {}
            assert deap_ops.resolve(kind, alias, extra, "ga")[0] == canon


def test_every_deap_operator_is_offered_or_excluded_with_a_reason():
    names = set(tools.selection.__all__) | set(tools.crossover.__all__) | set(tools.mutation.__all__)
    names |= {n for n in tools.emo.__all__ if n.startswith("sel")}
    offered = {n for ops in deap_ops.OPERATORS.values() for n in ops}
    assert names - offered - set(deap_ops.EXCLUDED) == set()
    assert offered & set(deap_ops.EXCLUDED) == set()


@pytest.mark.parametrize("settings, message", [
    ({"selection": "foo"}, "ga.selection: unknown operator 'foo'; allowed: selTournament (tournament)"),
    ({"selection": "selNSGA2"}, "ga.selection: operator 'selNSGA2' is not usable (multi-objective"),
    ({"mutation": "mutUniformInt"}, "ga.mutation: operator 'mutUniformInt' is not usable (integer"),
    ({"crossover": "cxOrdered"}, "permutation operator"),
    ({"crossover_args": {"alpha": -1}}, "ga.crossover_args.alpha must be a number >= 0, got -1"),
    ({"selection_args": {"tournsize": 0}}, "ga.selection_args.tournsize must be an integer >= 1"),
    ({"mutation_args": {"sigmaa": 1.0}},
     "ga.mutation_args: mutGaussian takes no argument 'sigmaa'; its arguments: mu, sigma, indpb"),
    ({"mutation_args": {"indpb": 1.5}}, "ga.mutation_args.indpb must be a probability"),
    ({"selection_args": {"k": 3}}, "takes no argument 'k'"),
    ({"crossover": "sbx-bounded"}, "ga.crossover_args: cxSimulatedBinaryBounded needs low, up"),
    ({"mutation": "polynomial", "mutation_args": {"low": 1.0, "up": -1.0}}, "low must be < up"),
    ({"mutation_args": {"sigma": [0.1, 0.2]}}, "has 2 entries; the chromosome has 11 genes"),
    ({"selection_args": [3]}, "ga.selection_args must be a table"),
    ({"vectorised": True, "selection": "roulette"}, "ga.selection: selRoulette has no vectorised version"),
    ({"elite": 16}, "ga.elite must be in 0..population-1"),
    ({"crossover_prob": 1.5}, "ga.crossover_prob must be in [0, 1]"),
    ({"init": "zeros"}, "ga.init must be 'network' or 'uniform'"),
])
def test_bad_settings_give_one_line_errors(net, settings, message):
    with pytest.raises(ValueError) as err:
        make_ga(net, **settings)
    assert message in str(err.value) and "\n" not in str(err.value)


def _all_operator_settings():
    out = []
    for kind, ops in deap_ops.OPERATORS.items():
        for name in ops:
            args = {"low": -2.0, "up": 2.0} if name in deap_ops.BOUNDED else {}
            out.append({kind: name, f"{kind}_args": args, "crossover_prob": 0.9, "mutation_prob": 0.9})
    return out


@pytest.mark.parametrize("settings", _all_operator_settings(), ids=lambda s: next(iter(s.values())))
def test_every_operator_runs_in_the_ga(problem, net, settings):
    ga = make_ga(net, **settings)
    positive = ga.ops["selection"][0] in ("selRoulette", "selStochasticUniversalSampling")
    asked = run(ga, problem, net, 4, transform=np.exp if positive else lambda f: f)
    assert all(np.all(np.isfinite(W)) for W in asked)
    assert not np.array_equal(asked[1], asked[2])
    if ga._bounds is not None:
        assert all(np.all((W >= -2.0) & (W <= 2.0)) for W in asked)


def test_roulette_needs_non_negative_fitness(net):
    ga = make_ga(net, selection="roulette")
    W = ga.ask()
    with pytest.raises(ValueError, match="ga.selection: selRoulette needs finite fitness >= 0"):
        ga.tell(W, -np.arange(16.0))
    assert ga.generation == 0 and ga.population is None and np.array_equal(ga.ask(), W)
    ga = make_ga(net, selection="sus")
    ga.tell(ga.ask(), np.arange(16.0))     # positive fitness: fine


# -- invariants ---------------------------------------------------------------------------------
@pytest.mark.parametrize("vec", [False, True])
@pytest.mark.parametrize("reevaluate", [False, True])
def test_elitism_keeps_the_best(problem, net, vec, reevaluate):
    ga = make_ga(net, seed=3, vectorised=vec, reevaluate_elite=reevaluate, mutation_prob=1.0)
    W = ga.ask()
    ga.tell(W, problem.evaluate(net, W, eval_seeds(0, 0, 16)).fitness)
    best = [ga.fitness.max()]
    for g in range(1, 12):
        prev_pop, prev_fit = ga.population.copy(), ga.fitness.copy()
        elite = np.argsort(-prev_fit, kind="stable")[:2]
        W = ga.ask()
        assert W.shape[0] == (16 if reevaluate else 14)
        ga.tell(W, problem.evaluate(net, W, eval_seeds(0, g, W.shape[0])).fitness)
        np.testing.assert_array_equal(ga.population[:2], prev_pop[elite])   # unchanged, bit for bit
        if not reevaluate:
            np.testing.assert_array_equal(ga.fitness[:2], prev_fit[elite])
        best.append(ga.fitness.max())
        assert not np.array_equal(ga.population[2:], prev_pop[2:])
    assert np.all(np.diff(best) >= 0) and best[-1] > best[0]
    assert ga.best_f == best[-1]


@pytest.mark.parametrize("vec", [False, True])
def test_caller_random_states_untouched(problem, net, vec):
    random.seed(1234)
    np.random.seed(99)
    py, npy = random.getstate(), np.random.get_state()
    ga = make_ga(net, vectorised=vec)
    run(ga, problem, net, 5)
    assert random.getstate() == py
    after = np.random.get_state()
    assert after[0] == npy[0] and np.array_equal(after[1], npy[1]) and after[2:] == npy[2:]


def test_isolated_random_restores_the_caller_on_errors():
    iso = deap_ops.IsolatedRandom(5)
    own = iso.state
    random.seed(7)
    caller = random.getstate()
    with pytest.raises(ZeroDivisionError):
        with iso.active():
            random.random()
            1 / 0
    assert random.getstate() == caller and iso.state == own
    with iso.active():
        x = random.random()
    assert random.getstate() == caller and iso.state != own
    assert x == random.Random(5).random()


@pytest.mark.parametrize("vec", [False, True])
def test_same_seed_same_run(problem, net, vec):
    a = run(make_ga(net, seed=11, vectorised=vec), problem, net, 6)
    b = run(make_ga(net, seed=11, vectorised=vec), problem, net, 6)
    c = run(make_ga(net, seed=12, vectorised=vec), problem, net, 6)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[-1], c[-1])


@pytest.mark.parametrize("vec", [False, True])
def test_checkpoint_continues_bit_for_bit(problem, net, vec):
    settings = {"vectorised": vec, "mutation_prob": 1.0}   # gaussian: random.gauss keeps a cached value
    ga = make_ga(net, seed=5, **settings)
    run(ga, problem, net, 4)
    arrays, meta = ga.get_state()
    meta = json.loads(json.dumps(meta))
    arrays = {k: np.array(v) for k, v in arrays.items()}
    tail = [W for W in run(ga, problem, net, 4)]
    fresh = make_ga(net, seed=999, **settings)
    fresh.set_state(arrays, meta)
    again = run(fresh, problem, net, 4)
    assert all(np.array_equal(x, y) for x, y in zip(tail, again))
    assert fresh.best_f == ga.best_f and fresh.generation == ga.generation == 8


def test_runner_resume_matches_uninterrupted(problem, net):
    def runner(seed_rng):
        ga = make_ga(net, seed=seed_rng)
        return Runner(problem, net, ga, StopConfig(max_generations=6), seed=4)
    whole = runner(2).run()
    first = runner(2)
    for _ in range(3):
        first.step()
    arrays, meta = first.get_state()
    second = runner(77)
    second.set_state(arrays, json.loads(json.dumps(meta)))
    res = second.run()
    assert [r["best"] for r in res.history] == [r["best"] for r in whole.history[3:]]
    np.testing.assert_array_equal(res.best_chromosome, whole.best_chromosome)


# -- the vectorised path against DEAP's operators -------------------------------------------------
def _both(net, **settings):
    return [make_ga(net, seed=21, vectorised=v, **settings) for v in (False, True)]


def test_tournament_distribution_matches_deap(net):
    P, t, k = 10, 3, 20000
    fit = np.random.default_rng(0).permutation(P).astype(float)     # rank r has fitness r
    r = np.arange(1, P + 1)
    expected = (r / P) ** t - ((r - 1) / P) ** t                    # P(best of t draws has rank r)
    for ga in _both(net, selection_args={"tournsize": t}):
        idx = ga.select(fit, k)
        freq = np.bincount(fit[idx].astype(int), minlength=P) / k
        assert np.max(np.abs(freq - expected)) < 0.012
    for ga in _both(net, selection_args={"tournsize": 60}):      # best of 60 draws from 10
        assert np.all(fit[ga.select(fit, 200)] == P - 1)


def test_random_selection_is_uniform(net):
    fit = np.arange(8.0)
    for ga in _both(net, selection="random"):
        freq = np.bincount(ga.select(fit, 16000), minlength=8) / 16000
        assert np.max(np.abs(freq - 1 / 8)) < 0.012


def _parents(n_pairs, n):
    return np.random.default_rng(1).normal(0.0, 1.0, (2 * n_pairs, n))


def test_blend_matches_deap(net):
    alpha, cxpb = 0.3, 0.6
    X = _parents(3000, net.n_params)
    for ga in _both(net, crossover_args={"alpha": alpha}, crossover_prob=cxpb, mutation_prob=0.0):
        Y = ga.vary(X)
        x1, x2, c1, c2 = X[0::2], X[1::2], Y[0::2], Y[1::2]
        crossed = np.any(c1 != x1, axis=1)
        assert abs(crossed.mean() - cxpb) < 0.03
        assert np.array_equal(c1[~crossed], x1[~crossed]) and np.array_equal(c2[~crossed], x2[~crossed])
        lo, hi = np.minimum(x1, x2), np.maximum(x1, x2)
        d = hi - lo
        for c in (c1, c2):
            assert np.all((c >= lo - alpha * d - 1e-12) & (c <= hi + alpha * d + 1e-12))
        np.testing.assert_allclose(c1 + c2, x1 + x2, atol=1e-12)
        wide = crossed[:, None] & (np.abs(x2 - x1) > 0.1)
        gamma = ((c1 - x1) / (x2 - x1))[wide]                          # uniform on [-alpha, 1 + alpha)
        assert gamma.min() >= -alpha - 1e-9 and gamma.max() <= 1 + alpha + 1e-9
        assert abs(gamma.mean() - 0.5) < 0.01
        assert abs(gamma.var() - (1 + 2 * alpha) ** 2 / 12) < 0.01


def test_uniform_crossover_matches_deap(net):
    X = _parents(3000, net.n_params)
    for ga in _both(net, crossover="uniform", crossover_args={"indpb": 0.3}, crossover_prob=1.0,
                    mutation_prob=0.0):
        Y = ga.vary(X)
        swapped = Y[0::2] == X[1::2]
        assert np.array_equal(np.where(swapped, X[0::2], X[1::2]), Y[1::2])
        assert np.array_equal(np.where(swapped, X[1::2], X[0::2]), Y[0::2])
        assert abs(swapped.mean() - 0.3) < 0.01


def test_gaussian_mutation_matches_deap(net):
    X = _parents(2000, net.n_params)
    mu, sigma, indpb, mutpb = 0.1, 0.5, 0.2, 0.7
    for vec in (False, True):
        ga = make_ga(net, seed=21, vectorised=vec, mutation_args={"mu": mu, "sigma": sigma, "indpb": indpb},
                     crossover_prob=0.0, mutation_prob=1.0)
        Y = ga.vary(X)
        changed = Y != X
        assert abs(changed.mean() - indpb) < 0.008                   # each gene with probability indpb
        step = (Y - X)[changed]
        assert abs(step.mean() - mu) < 0.02 and abs(step.std() - sigma) < 0.02
        ga = make_ga(net, seed=21, vectorised=vec, mutation_args={"indpb": 1.0}, crossover_prob=0.0,
                     mutation_prob=mutpb)
        changed = ga.vary(X) != X
        rows = np.any(changed, axis=1)
        assert np.all(changed[rows])                                  # indpb = 1: the whole child
        assert abs(rows.mean() - mutpb) < 0.03                        # each child with probability mutpb


def test_optimise_api_with_config_tables(problem, net):
    from evornn.api import optimise

    settings = {"population": 12, "elite": 1, "selection": "tournament", "selection_args": {"tournsize": 2},
                "crossover": "sbx", "crossover_args": {"eta": 10}, "mutation": "gaussian",
                "mutation_args": {"sigma": 0.2, "indpb": 0.3}}
    res = optimise("ga", problem, net, settings=settings, stop={"max_generations": 5}, seed=8)
    again = optimise("ga", problem, net, settings=settings, stop={"max_generations": 5}, seed=8)
    assert [r["best"] for r in res.history] == [r["best"] for r in again.history]
    np.testing.assert_array_equal(res.best_chromosome, again.best_chromosome)
    assert res.progress.evaluations == 12 + 4 * 11 and res.stop_reasons[0].criterion == "max_generations"


# -- pole balancing with velocities ---------------------------------------------------------------
# Large initial weights and mutations: the controllers that balance 100,000 steps sit far from
# the network initialiser's small weights. Seed 0 took 146 (one pole) and 914 (two poles)
# evaluations; over seeds 0-9 the medians were 338 and 3,458, all solved.
POLE_GA = {"population": 50, "elite": 2, "init": "uniform", "init_range": 10.0, "selection_args": {"tournsize": 2},
           "mutation_args": {"sigma": 2.0, "indpb": 0.3}, "mutation_prob": 0.8}


@pytest.mark.parametrize("poles, budget", [(1, 2_000), (2, 10_000)])
def test_ga_solves_pole_balancing_with_velocities(poles, budget):
    from evornn.api import optimise
    from evornn.problems.registry import make_problem

    prob = make_problem("pole-balance", poles=poles, velocities=True)
    net = build("frnn", prob.n_inputs, 1, n_hidden=2, output_activation="sigmoid")
    res = optimise("ga", prob, net, settings=POLE_GA, stop={"max_evaluations": budget}, seed=0)
    assert res.solved and res.stop_reasons[0].criterion == "solved", res.stop_reason
    assert res.progress.evaluations < budget
    steps = prob.evaluate(net, res.best_chromosome[None], eval_seeds(0, 0, 1)).metric(prob.metric_names, "steps")
    assert steps[0] == 100_000
