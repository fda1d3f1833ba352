"""Seeds: one root seed for a run, and per-evaluation seeds that depend only on what they name.

The optimiser draws from ``numpy.random.Generator(PCG64(SeedSequence(root)))``. Any randomness in
an evaluation comes from ``eval_seeds(root, generation, n)[i]``, a splitmix64 hash of
(root, generation, i): the same whether one thread, many threads or many Ray actors compute it,
and the same in a resumed run. A kernel that needs random numbers derives them from such a seed;
never ``np.random`` inside a kernel.
"""
from __future__ import annotations

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def eval_seeds(root: int, generation: int, n: int, first: int = 0) -> np.ndarray:
    """Seeds (n,) uint64 for individuals first..first+n-1 of ``generation`` of a run seeded ``root``."""
    with np.errstate(over="ignore"):
        z = _mix(np.uint64(root % 2**64) + _GOLDEN)
        z = _mix(z ^ (np.uint64(generation % 2**64) + _GOLDEN))
        idx = np.arange(first, first + n, dtype=np.uint64)
        return _mix(z ^ (idx + _GOLDEN))


@njit(cache=True, inline="always")
def _mix_one(z):
    """:func:`_mix` of one uint64, in Numba kernels."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(cache=True)
def episode_seeds(seeds, stream, n):
    """(P, n) uint64: row p is ``eval_seeds(seeds[p], stream, n)`` (seeds: uint64), for a whole
    population in one kernel: a few hundred nanoseconds where :func:`eval_seeds` row by row, or its
    NumPy array operations on the population, cost about 20 microseconds, which the evaluation of a
    small population notices."""
    out = np.empty((seeds.shape[0], n), dtype=np.uint64)
    s = np.uint64(stream) + _GOLDEN
    for p in range(seeds.shape[0]):
        z = _mix_one(_mix_one(np.uint64(seeds[p]) + _GOLDEN) ^ s)
        for e in range(n):
            out[p, e] = _mix_one(z ^ (np.uint64(e) + _GOLDEN))
    return out


def generation_seeds(problem, root: int, generation: int, n: int) -> np.ndarray:
    """The evaluation seeds (n,) of a generation's n individuals: ``eval_seeds(root, generation, n)``,
    or, for a problem with ``common_seeds`` set (common random numbers), that generation's first seed
    for every individual, so all of them meet the same random conditions (e.g. the same episode starts)
    and their ranking is not decided by luck."""
    if getattr(problem, "common_seeds", False):
        return np.repeat(eval_seeds(root, generation, 1), n)
    return eval_seeds(root, generation, n)


def generator(root: int, *stream: int) -> np.random.Generator:
    """The Generator of a named stream of a run (e.g. ``generator(seed)`` for the optimiser)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(root), *map(int, stream)])))
