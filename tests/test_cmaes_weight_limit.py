"""CMA-ES ``weight_limit``: pycma's bounds keep every sample, and the mean's row, in [-L, L]; a run
with it resumes bit for bit; a bad value is one line."""
import numpy as np
import pytest

from evornn.optim.cmaes import CMAES, CMAESConfig


def far(pop):
    return -np.sum((pop - 3.0) ** 2, axis=1)           # the optimum lies outside the box


def test_samples_and_mean_stay_in_the_box_and_reach_its_edge():
    s = CMAES(5, CMAESConfig(weight_limit=1.0, evaluate_mean=True, x0="uniform", init_range=4.0),
              np.random.default_rng(0))
    free = CMAES(5, CMAESConfig(evaluate_mean=True, x0="uniform", init_range=4.0), np.random.default_rng(0))
    for _ in range(80):
        pop = s.ask()
        assert np.abs(pop).max() <= 1.0
        s.tell(pop, far(pop))
        pop = free.ask()
        free.tell(pop, far(pop))
    assert np.allclose(s.ask()[-1], 1.0, atol=1e-3)    # the mean's row, at the box's corner
    assert np.abs(free.ask()).max() > 2.0                # without the limit the same run leaves it


def test_a_checkpoint_resumes_bit_for_bit():
    cfg = CMAESConfig(weight_limit=0.5, restart_after=2, x0="uniform")
    s = CMAES(4, cfg, np.random.default_rng(3))
    for g in range(6):
        pop = s.ask()
        s.tell(pop, np.random.default_rng(g).uniform(0, 1, pop.shape[0]))
    arrays, meta = s.get_state()
    again = CMAES(4, cfg, np.random.default_rng(99))
    again.set_state(arrays, meta)
    assert np.array_equal(again.ask(), s.ask())


@pytest.mark.parametrize("bad", [-1.0, float("inf")])
def test_a_bad_limit_is_one_line(bad):
    with pytest.raises(ValueError, match=r"^cmaes.weight_limit must be a finite number >= 0 \(0: no limit\), got "):
        CMAES(3, CMAESConfig(weight_limit=bad), np.random.default_rng(0))
