"""CMA-ES ``tolflatfitness``: pycma's generations of flat fitness (the best equal to the 75%
quantile) tolerated before its stop() fires, which restarts the run (IPOP). A fitness of few
distinct values (bits right) ties often; the default (1, pycma's) restarts on the second flat
generation, a larger value keeps the run."""
import numpy as np
import pytest

from evornn.optim.cmaes import CMAES, CMAESConfig


def tied(strategy, generations):
    """The best 80% of a generation tie (rising each generation), the rest lower and spread (so
    pycma's tolfun, a range of fitness values below 1e-11, does not fire)."""
    rng = np.random.default_rng(2)
    for g in range(generations):
        pop = strategy.ask()
        f = np.full(pop.shape[0], float(g) + 1.0)
        low = rng.permutation(pop.shape[0])[:max(1, pop.shape[0] // 5)]
        f[low] = g - rng.uniform(1, 2, low.size)
        strategy.tell(pop, f)


def test_flat_generations_restart_the_run_unless_tolerated():
    default = CMAES(5, CMAESConfig(x0="zero"), np.random.default_rng(0))
    tied(default, 3)
    assert default.restart_count >= 1                       # pycma's default: a flat generation is a stop
    assert CMAESConfig().tolflatfitness == 1
    kept = CMAES(5, CMAESConfig(x0="zero", tolflatfitness=10), np.random.default_rng(0))
    tied(kept, 3)
    assert kept.restart_count == 0 and kept.es.opts["tolflatfitness"] == 10
    tied(kept, 10)
    assert kept.restart_count >= 1                          # past the tolerance it stops all the same


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "3"])
def test_bad_values_name_the_setting(bad):
    with pytest.raises(ValueError, match=r"^cmaes\.tolflatfitness must be an integer >= 1") as e:
        CMAESConfig(tolflatfitness=bad).validate()
    assert "\n" not in str(e.value)
