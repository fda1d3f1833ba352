"""The runner, the stopping criteria and the optimiser registry, on a tiny problem."""
import random

import numba
import numpy as np
import pytest

import evornn
from evornn.optim import registry
from evornn.stopping import Progress, StopConfig, check
from toy_problem import ToyProblem

SMALL = {"ga": {"population": 8}, "sa": {}, "pso": {}, "rwg": {"population": 8}, "cosyne": {},
         "esp": {}, "cmaes": {}}

# optimisers that work on any problem (the gradient trainers need a supervised sequence dataset)
EVOLVERS = [o for o in registry.available() if not registry.get_strategy(o).needs]


def _run(opt="rwg", gens=4, seed=3, **kw):
    stop = kw.pop("stop", {"max_generations": gens})
    return evornn.make_runner(opt, ToyProblem(noise=True), seed=seed, settings=kw.pop("settings", SMALL.get(opt)),
                              stop=stop, **kw)


def _timeless(history):
    return [{k: v for k, v in row.items() if k != "elapsed"} for row in history]


@pytest.mark.parametrize("opt", EVOLVERS)
def test_every_optimiser_runs_and_is_deterministic(opt):
    a, b = _run(opt).run(), _run(opt).run()
    assert a.progress.generation == 4
    assert _timeless(a.history) == _timeless(b.history)
    assert np.array_equal(a.best_chromosome, b.best_chromosome)
    assert a.best_fitness == max(r["best"] for r in a.history)


@pytest.mark.parametrize("opt", EVOLVERS)
def test_caller_random_state_untouched(opt):
    random.seed(7)
    np.random.seed(7)
    py, npy = random.getstate(), np.random.get_state()
    _run(opt).run()
    assert random.getstate() == py
    after = np.random.get_state()
    assert after[0] == npy[0] and np.array_equal(after[1], npy[1]) and after[2:] == npy[2:]


@pytest.mark.parametrize("opt", EVOLVERS)
def test_resume_from_state_is_bit_identical(opt):
    full = _run(opt, gens=6).run()
    r = _run(opt, gens=3)
    r.run()
    arrays, meta = r.get_state()
    r2 = _run(opt, gens=6)
    r2.set_state({k: v.copy() for k, v in arrays.items()}, meta)
    res = r2.run()
    assert np.array_equal(res.best_chromosome, full.best_chromosome)
    assert [h["best"] for h in full.history[3:]] == [h["best"] for h in res.history]


def test_one_thread_equals_all_threads():
    from evornn.evaluators import LocalEvaluator
    a = _run(evaluator=LocalEvaluator(threads=1)).run()
    b = _run(evaluator=LocalEvaluator(threads=numba.config.NUMBA_NUM_THREADS)).run()
    assert np.array_equal(a.best_chromosome, b.best_chromosome)
    assert [h["best"] for h in a.history] == [h["best"] for h in b.history]


@pytest.mark.parametrize("cfg,progress,reason", [
    (dict(max_generations=5), dict(generation=5), "max_generations"),
    (dict(max_evaluations=100), dict(evaluations=120), "max_evaluations"),
    (dict(max_generations=9, at_most={"mse": 0.01}), dict(best_metrics={"mse": 0.005}), "at_most.mse"),
    (dict(max_generations=9, at_least={"learnt": 0.9}), dict(best_metrics={"learnt": 0.95}), "at_least.learnt"),
    (dict(max_generations=9, target_fitness=10.0), dict(best_fitness=11.0), "target_fitness"),
    (dict(max_generations=9), dict(solved=True), "solved"),
    (dict(max_generations=9, stagnation=3), dict(since_improvement=3), "stagnation"),
    (dict(wall_clock=1.0), dict(elapsed=1.5), "wall_clock"),
])
def test_each_criterion_fires_with_its_reason(cfg, progress, reason):
    fired = check(StopConfig(**cfg), Progress(**progress))
    assert [r.criterion for r in fired] == [reason]
    assert fired[0].message
    # and stays quiet just below its threshold
    assert check(StopConfig(**cfg), Progress()) == []


def test_runner_reports_the_criterion_that_fired():
    res = _run(stop={"max_generations": 50, "max_evaluations": 24}).run()
    assert [r.criterion for r in res.stop_reasons] == ["max_evaluations"]
    assert res.progress.evaluations == 24
    res = _run(stop={"max_generations": 200, "stagnation": 2}).run()
    assert res.stop_reasons[0].criterion == "stagnation"


def test_stop_config_rejects_bad_values():
    with pytest.raises(ValueError, match="max_generations"):
        _run(stop={"max_generations": -1})
    with pytest.raises(ValueError, match="at least one"):
        _run(stop={"at_most": {"mse": 0.1}})
    with pytest.raises(ValueError, match="unknown setting 'bogus'"):
        _run(stop={"max_generations": 2, "bogus": 1})
    with pytest.raises(ValueError, match="unknown optimiser"):
        _run("nope")


def test_evaluations_to_solve_stop_at_the_solving_network():
    """Solved by the evaluation itself: counted up to the solving network, as an evaluator going
    one network at a time would; the whole batch is still counted as evaluated."""
    from evornn.optim.base import Strategy
    from evornn.runner import Runner
    from test_pole_balance import lqr_network

    net, w, _ = lqr_network()                      # balances the single pole 100,000 steps

    class Fixed(Strategy):
        name = "fixed"

        def __init__(self):
            super().__init__(net.n_params, None, np.random.default_rng(0), net.init)
            self.gen = 0

        def ask(self):
            batch = np.zeros((5, net.n_params))
            if self.gen == 1:
                batch[3] = w
            return batch

        def tell(self, population, fitness):
            self.gen += 1

    from evornn.problems.registry import make_problem
    prob = make_problem("pole-balance", poles=1, velocities=True)
    res = Runner(prob, net, Fixed(), StopConfig(max_generations=5)).run()
    assert res.solved and res.progress.evaluations == 10 and res.progress.evaluations_to_solve == 5 + 4


def test_the_runner_tests_the_row_the_strategy_chooses():
    """The network tested for "solved" is the fittest unless the strategy names another
    (Strategy.test_candidate; NEAT's test_choice = "unchecked"): here the solving network is not the
    fittest, so the runner solves only when the strategy points at it."""
    from evornn.optim.base import Strategy
    from evornn.runner import Runner
    from test_pole_balance import lqr_network
    from evornn.problems.registry import make_problem

    net, w, _ = lqr_network()                      # balances the single pole 100,000 steps

    class Pick(Strategy):
        name = "pick"

        def __init__(self, choose):
            super().__init__(net.n_params, None, np.random.default_rng(0), net.init)
            self.choose = choose

        def ask(self):
            batch = np.zeros((5, net.n_params))
            batch[3] = w
            return batch

        def tell(self, population, fitness):
            pass

        def test_candidate(self, fitness):
            return 3 if self.choose else super().test_candidate(fitness)

    class Tested(type(make_problem("pole-balance", poles=1, velocities=True))):
        def evaluate(self, net, W, seeds):            # the solver scored lowest
            res = super().evaluate(net, W, seeds)
            res.fitness[:] = np.arange(W.shape[0], 0, -1, dtype=float)
            return res

    prob = Tested(poles=1, velocities=True)
    assert not Runner(prob, net, Pick(False), StopConfig(max_generations=2)).run().solved
    res = Runner(prob, net, Pick(True), StopConfig(max_generations=2)).run()
    assert res.solved and res.progress.evaluations_to_solve == 4 and np.array_equal(res.best_chromosome, w)


def test_optimise_names_an_unknown_keyword_and_the_allowed_ones():
    with pytest.raises(TypeError, match=r"optimise: unknown keyword 'problem_options' \(did you mean "
                                        r"'problem_params'\?\); allowed: net, settings, stop, seed, problem_params"):
        evornn.optimise("rwg", ToyProblem(), problem_options={})
