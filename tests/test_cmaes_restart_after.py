"""CMA-ES ``restart_after``: a restart (IPOP) when the current pycma run's best fitness has not
improved for k generations, for noisy fitness on which pycma's own stop criteria do not fire."""
import numpy as np
import pytest

from evornn.optim.cmaes import CMAES, CMAESConfig


def flat(strategy, generations):
    """Noisy fitness below 1 (not flat, so pycma's tolfun does not fire) after a first generation
    above 1: no generation improves on the first."""
    rng = np.random.default_rng(1)
    for _ in range(generations):
        pop = strategy.ask()
        first = strategy.run_best == -np.inf
        strategy.tell(pop, rng.uniform(1, 1.5, pop.shape[0]) if first else rng.uniform(0, 0.9, pop.shape[0]))


def test_a_stalled_run_restarts_with_the_population_doubled():
    s = CMAES(5, CMAESConfig(restart_after=3, x0="zero"), np.random.default_rng(0))
    flat(s, 3)                                    # generation 1 sets the best, 2 and 3 do not improve
    assert s.restart_count == 0
    first = s.popsize
    flat(s, 1)
    assert s.restart_count == 1 and s.popsize == 2 * first and s.stale == 0
    off = CMAES(5, CMAESConfig(x0="zero"), np.random.default_rng(0))
    flat(off, 10)
    assert off.restart_count == 0                 # pycma's own criteria do not fire on a flat run this short


def test_an_improving_run_does_not_restart():
    s = CMAES(5, CMAESConfig(restart_after=2, x0="zero"), np.random.default_rng(0))
    for g in range(8):
        pop = s.ask()
        s.tell(pop, g + np.random.default_rng(g).uniform(0, 0.5, pop.shape[0]))
    assert s.restart_count == 0


def test_without_restarts_it_ends_the_run_with_its_reason():
    s = CMAES(5, CMAESConfig(restart_after=2, restarts="none", x0="zero"), np.random.default_rng(0))
    flat(s, 2)
    assert s.stop() == []
    flat(s, 1)
    (reason,) = s.stop()
    assert reason.criterion == "cmaes.restart_after" and "restart_after" in reason.message


def test_a_checkpoint_after_a_restart_resumes_bit_for_bit():
    s = CMAES(4, CMAESConfig(restart_after=2, x0="uniform"), np.random.default_rng(3))
    flat(s, 5)
    assert s.restart_count >= 1
    arrays, meta = s.get_state()
    again = CMAES(4, CMAESConfig(restart_after=2, x0="uniform"), np.random.default_rng(99))
    again.set_state(arrays, meta)
    assert (again.restart_count, again.stale, again.popsize) == (s.restart_count, s.stale, s.popsize)
    assert np.array_equal(again.ask(), s.ask())


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_a_bad_value_is_one_line(bad):
    with pytest.raises(ValueError, match=r"^cmaes\.restart_after must be an integer >= 0"):
        CMAESConfig(restart_after=bad).validate()


def lucky_first(strategy, generations):
    """One lucky sample in the first generation (fitness 10), then generations whose best stays
    below it while their median climbs by 0.1 a generation: a run still improving."""
    for g in range(generations):
        pop = strategy.ask()
        fit = np.full(pop.shape[0], 0.1 * g)
        fit[0] = 10.0 if g == 0 else 0.1 * g + 0.05
        strategy.tell(pop, fit)


def test_restart_on_median_keeps_a_run_whose_median_improves():
    best = CMAES(5, CMAESConfig(restart_after=3, x0="zero"), np.random.default_rng(0))
    lucky_first(best, 5)
    assert best.restart_count == 1               # the lucky best held: restarted though improving
    median = CMAES(5, CMAESConfig(restart_after=3, restart_on="median", x0="zero"), np.random.default_rng(0))
    lucky_first(median, 5)
    assert median.restart_count == 0 and median.stale == 0
    rng = np.random.default_rng(1)
    for _ in range(3):                            # then 3 generations below the best median (0.4): a restart
        pop = median.ask()
        median.tell(pop, rng.uniform(0, 0.3, pop.shape[0]))
    assert median.restart_count == 1


def test_restart_on_a_bad_value_is_one_line():
    with pytest.raises(ValueError, match=r"^cmaes\.restart_on must be 'best' or 'median', got 'mean'"):
        CMAESConfig(restart_on="mean").validate()
