"""CMA-ES ``evaluate_mean``: the distribution's mean is one more row of every generation, evaluated
and counted but not told to pycma, and it is the network the runner tests for "solved"."""
import numpy as np
import pytest

import evornn
from evornn.optim.cmaes import CMAES, CMAESConfig


def sphere(pop):
    return -np.sum((pop - 0.3) ** 2, axis=1)


def test_the_mean_is_the_last_row_and_pycma_sees_only_the_samples():
    on = CMAES(6, CMAESConfig(evaluate_mean=True, x0="zero"), np.random.default_rng(0))
    off = CMAES(6, CMAESConfig(x0="zero"), np.random.default_rng(0))
    for _ in range(5):
        a, b = on.ask(), off.ask()
        assert a.shape == (b.shape[0] + 1, 6) and np.array_equal(a[:-1], b)
        assert np.array_equal(a[-1], on.es.mean)
        fa = sphere(a)
        fa[-1] = 1e9                          # the mean's fitness, however good, moves nothing
        on.tell(a, fa)
        off.tell(b, sphere(b))
        assert on.test_candidate(fa) == a.shape[0] - 1 and off.test_candidate(sphere(b)) == int(np.argmax(sphere(b)))
    assert np.array_equal(on.es.mean, off.es.mean) and on.sigma == off.sigma
    assert CMAES.rows(CMAESConfig(evaluate_mean=True), 6) == CMAES.rows(CMAESConfig(), 6) + 1
    a = on.ask()
    with pytest.raises(ValueError, match="expected the"):
        on.tell(a[:-1], sphere(a[:-1]))        # the mean's row is expected


def test_a_checkpoint_resumes_bit_for_bit():
    s = CMAES(4, CMAESConfig(evaluate_mean=True, restart_after=2, x0="uniform"), np.random.default_rng(3))
    for g in range(6):
        pop = s.ask()
        s.tell(pop, np.random.default_rng(g).uniform(0, 1, pop.shape[0]))
    arrays, meta = s.get_state()
    again = CMAES(4, CMAESConfig(evaluate_mean=True, restart_after=2, x0="uniform"), np.random.default_rng(99))
    again.set_state(arrays, meta)
    assert np.array_equal(again.ask(), s.ask())


def test_the_runner_counts_the_mean_and_tests_it():
    """A problem with a test after the generation (Gymnasium's Pendulum, a threshold every
    evaluation reaches): the network tested each generation is the mean's row, which is counted."""
    pytest.importorskip("gymnasium")
    r = evornn.make_runner("cmaes", "gym", "mlp", net={"hidden": [2]},
                           settings={"evaluate_mean": True, "population": 6, "x0": "uniform"},
                           problem_params={"env": "Pendulum-v1", "reward_threshold": -1e9, "test_episodes": 2,
                                           "max_steps": 5},
                           seed=1, stop={"max_evaluations": 21, "solved": False})
    asked, tested = [], []
    ask, check = r.strategy.ask, r.problem.check_solved
    r.strategy.ask = lambda: asked.append(ask()) or asked[-1]
    r.problem.check_solved = lambda net, w, row, seed: tested.append(np.array(w)) or check(net, w, row, seed)
    r.run()
    assert r.progress.evaluations == 21 and [p.shape[0] for p in asked] == [7, 7, 7]
    assert len(tested) == 1 and np.array_equal(tested[0], asked[0][-1])   # solved at once: the mean was tested


@pytest.mark.parametrize("bad", [1, "yes"])
def test_a_bad_value_is_one_line(bad):
    with pytest.raises(ValueError, match=r"^cmaes\.evaluate_mean must be true or false"):
        CMAESConfig(evaluate_mean=bad).validate()
