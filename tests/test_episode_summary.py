"""The compiled episode summary against NumPy: the same mean to the last bit, worst for non-finite."""
import numpy as np
import pytest

from evornn.problems.episode_summary import pairwise_sum, summarise

WORST = -1e300


@pytest.mark.parametrize("P", [1, 3, 64])
def test_mean_is_numpys_to_the_bit(P):
    rng = np.random.default_rng(P)
    for E in [*range(1, 40), 63, 64, 127, 128, 129, 200, 255, 256, 257, 1000, 1031, 5000]:
        # magnitudes from 1e-6 to 1e6: any other order of the additions rounds differently
        ret = rng.standard_normal((P, E)) * 10.0 ** rng.uniform(-6, 6, (P, E))
        steps = rng.integers(0, 1000, (P, E))
        fitness, metrics = np.empty(P), np.empty((P, 2))
        total = summarise(ret, steps, WORST, fitness, metrics)
        mean = np.add.reduce(ret, axis=1) / E
        assert np.array_equal(metrics[:, 0], mean), E
        assert np.array_equal(fitness, mean), E
        assert np.array_equal(metrics[:, 1], steps.sum(axis=1)), E
        assert total == steps.sum()


def test_sequential_order_would_differ():
    """The check above can fail: a plain left-to-right sum of these rows is not NumPy's."""
    rng = np.random.default_rng(0)
    ret = rng.standard_normal((50, 300)) * 10.0 ** rng.uniform(-6, 6, (50, 300))
    plain = np.array([sum(row.tolist()) for row in ret])
    assert not np.array_equal(plain, np.add.reduce(ret, axis=1))
    assert np.array_equal(np.array([pairwise_sum(row, 0, 300) for row in ret]), np.add.reduce(ret, axis=1))


def test_non_finite_rows_get_the_worst_fitness():
    ret = np.array([[1.0, 2.0], [np.nan, 1.0], [np.inf, 0.0], [-np.inf, 1.0], [1e308, 1e308]])
    steps = np.array([[3, 4], [1, 0], [2, 2], [5, 5], [7, 0]])
    fitness, metrics = np.empty(5), np.empty((5, 2))
    assert summarise(ret, steps, WORST, fitness, metrics) == 29
    assert fitness.tolist() == [1.5, WORST, WORST, WORST, WORST]      # 1e308 + 1e308 overflows
    assert metrics[0].tolist() == [1.5, 7.0] and np.isnan(metrics[1, 0]) and metrics[2, 0] == np.inf
    assert metrics[:, 1].tolist() == [7, 1, 4, 10, 7]
