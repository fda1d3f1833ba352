"""The evaluator adapters: evornn's evaluators inside a DEAP toolbox and as a pyswarms objective."""
from __future__ import annotations

import random

import numpy as np
import pytest
from deap import algorithms, base, tools

from evornn import build
from evornn.evaluators.adapters import DeapEvaluator, PySwarmsObjective
from toy_problem import DelayProblem
from evornn.seeding import eval_seeds


@pytest.fixture(scope="module")
def problem():
    return DelayProblem()


@pytest.fixture(scope="module")
def net():
    return build("elman", 1, 1, n_hidden=2)


class _Counting:
    def __init__(self):
        self.calls, self.seeds = [], []

    def __call__(self, problem, net, W, seeds):
        self.calls.append(W.shape[0])
        self.seeds.append(seeds)
        return problem.evaluate(net, W, seeds)


def test_deap_adapter_with_easimple(problem, net):
    class Fit(base.Fitness):
        weights = (1.0,)

    class Ind(list):
        def __init__(self, genes):
            super().__init__(genes)
            self.fitness = Fit()

    rng = np.random.default_rng(0)
    counting = _Counting()
    ev = DeapEvaluator(problem, net, evaluator=counting, seed=3)
    tb = base.Toolbox()
    ev.register(tb)
    tb.register("mate", tools.cxBlend, alpha=0.5)
    tb.register("mutate", tools.mutGaussian, mu=0.0, sigma=0.3, indpb=0.2)
    tb.register("select", tools.selTournament, tournsize=3)
    pop = [Ind(w) for w in net.init(rng, 20).tolist()]
    state = random.getstate()
    random.seed(0)
    try:
        pop, log = algorithms.eaSimple(pop, tb, cxpb=0.5, mutpb=0.3, ngen=4, verbose=False)
    finally:
        random.setstate(state)
    assert len(counting.calls) == 5 and counting.calls[0] == 20          # one batch per generation
    for c, seeds in enumerate(counting.seeds):                            # batch c: the runner's seeds
        np.testing.assert_array_equal(seeds, eval_seeds(3, c, len(seeds)))
    assert ev.evaluations == sum(counting.calls) == sum(r["nevals"] for r in log)
    W = np.array(pop)
    direct = problem.evaluate(net, W, eval_seeds(3, 0, len(pop))).fitness   # deterministic problem
    np.testing.assert_array_equal([ind.fitness.values[0] for ind in pop], direct)
    first = problem.evaluate(net, net.init(np.random.default_rng(0), 20), eval_seeds(3, 0, 20)).fitness
    assert max(ind.fitness.values[0] for ind in pop) > first.max()
    assert tb.map(len, [[1, 2], [3]]) == [2, 1]                                # other functions: plain map
    assert ev.evaluate(pop[0]) == (pop[0].fitness.values[0],)


def test_pyswarms_adapter(problem, net):
    import pyswarms as ps

    obj = PySwarmsObjective(problem, net, evaluator=_Counting(), seed=1)
    swarm = net.init(np.random.default_rng(2), 12)
    cost = obj(swarm)
    np.testing.assert_array_equal(cost, -problem.evaluate(net, swarm, eval_seeds(1, 0, 12)).fitness)
    np.testing.assert_array_equal(PySwarmsObjective(problem, net, seed=1)(swarm), cost)
    state = np.random.get_state()
    np.random.seed(0)
    try:
        opt = ps.single.GlobalBestPSO(n_particles=12, dimensions=net.n_params,
                                      options={"c1": 1.5, "c2": 1.5, "w": 0.7}, init_pos=swarm)
        best_cost, best_pos = opt.optimize(obj, iters=6, verbose=False)
    finally:
        np.random.set_state(state)
    assert obj.evaluator.calls == [12] * 7 and obj.evaluations == 84
    np.testing.assert_array_equal(obj.evaluator.seeds[6], eval_seeds(1, 6, 12))
    assert best_cost <= cost.min()
    assert best_cost == pytest.approx(-problem.evaluate(net, best_pos[None], eval_seeds(1, 0, 1)).fitness[0])
    with pytest.raises(ValueError, match=r"shape \(P, 11\)"):
        obj(swarm[:, :5])
