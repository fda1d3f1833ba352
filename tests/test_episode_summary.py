"""The episode summary against NumPy: the same mean to the last bit, worst for non-finite."""
import numpy as np
import pytest

from evornn.problems.episode_summary import SHORT, summarise

WORST = -1e300


@pytest.mark.parametrize("P", [1, 3, 64])
def test_mean_is_numpys_to_the_bit(P):
    rng = np.random.default_rng(P)
    for E in [*range(1, 40), 127, 128, 129, 1000]:    # both paths
        # magnitudes from 1e-6 to 1e6: any other order of the additions rounds differently
        ret = rng.standard_normal((P, E)) * 10.0 ** rng.uniform(-6, 6, (P, E))
        steps = rng.integers(0, 1000, (P, E))
        fitness, metrics, total = summarise(ret, steps, WORST)
        mean = np.add.reduce(ret, axis=1) / E
        assert np.array_equal(metrics[:, 0], mean), E
        assert np.array_equal(fitness, mean), E
        assert np.array_equal(metrics[:, 1], steps.sum(axis=1)), E
        assert total == steps.sum() and isinstance(total, int)


def test_numpy_sums_left_to_right_only_below_short():
    """Why the compiled path stops at SHORT: NumPy's sum of a row is the left-to-right sum below 8
    numbers, and not from 8 on (so the check above can fail)."""
    rng = np.random.default_rng(0)
    for E, same in ((SHORT - 1, True), (SHORT, False)):
        ret = rng.standard_normal((200, E)) * 10.0 ** rng.uniform(-6, 6, (200, E))
        plain = np.array([sum(row.tolist(), 0.0) for row in ret])
        assert np.array_equal(plain, np.add.reduce(ret, axis=1)) is same, E


@pytest.mark.parametrize("E", [2, SHORT + 2])
def test_non_finite_rows_get_the_worst_fitness(E):
    ret = np.zeros((5, E))
    ret[:, :2] = [[1.0, 2.0], [np.nan, 1.0], [np.inf, 0.0], [-np.inf, 1.0], [1e308, 1e308]]
    steps = np.zeros((5, E), dtype=np.int64)
    steps[:, :2] = [[3, 4], [1, 0], [2, 2], [5, 5], [7, 0]]
    fitness, metrics, total = summarise(ret, steps, WORST)
    assert total == 29
    assert fitness.tolist() == [3.0 / E, WORST, WORST, WORST, WORST]      # 1e308 + 1e308 overflows
    assert metrics[0].tolist() == [3.0 / E, 7.0] and np.isnan(metrics[1, 0]) and metrics[2, 0] == np.inf
    assert metrics[:, 1].tolist() == [7, 1, 4, 10, 7]
