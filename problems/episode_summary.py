"""A population's episode returns and steps summarised: each row's mean return (its fitness, or
``worst`` when the mean is not finite) and steps, and the steps of the whole population.

With NumPy those are five array calls of about 1-2 us each around a kernel call that, for a small
population of a fast environment, takes 70 us; with fewer than 8 episodes per row (all but one
config) they are one compiled call. The mean is NumPy's to the last bit: ``np.add.reduce(ret,
axis=1) / E`` sums each row from 0.0 left to right when it is shorter than 8 (pairwise, in blocks of
8 running sums, from 8 on: those rows take the NumPy path here). A compiled pairwise sum would cost
twice the compile time (0.26 s against 0.13 on a first run) for rows that are longer to play anyway.
``tests/test_episode_summary.py`` checks both paths against NumPy.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

SHORT = 8           # rows shorter than this NumPy sums left to right (its pairwise_sum's first case)


@njit(cache=True)
def _summarise(ret, steps, worst, fitness, metrics):
    P, E = ret.shape
    total = 0
    for p in range(P):
        s = 0.0
        n = 0
        for e in range(E):
            s += ret[p, e]
            n += steps[p, e]
        mean = s / E
        metrics[p, 0] = mean
        metrics[p, 1] = n
        fitness[p] = mean if math.isfinite(mean) else worst
        total += n
    return total


def summarise(ret: np.ndarray, steps: np.ndarray, worst: float) -> tuple[np.ndarray, np.ndarray, int]:
    """ret (P, E) float64, steps (P, E) int64: (fitness (P,), metrics (P, 2) = (mean return, steps),
    the sum of every step)."""
    P, E = ret.shape
    fitness, metrics = np.empty(P), np.empty((P, 2))
    if E < SHORT:
        return fitness, metrics, int(_summarise(ret, steps, worst, fitness, metrics))
    mean = metrics[:, 0]
    with np.errstate(over="ignore", invalid="ignore"):      # as the compiled path: no warnings
        np.divide(np.add.reduce(ret, axis=1), E, out=mean)
    metrics[:, 1] = np.add.reduce(steps, axis=1)
    fitness[:] = np.where(np.isfinite(mean), mean, worst)
    return fitness, metrics, int(steps.sum())
