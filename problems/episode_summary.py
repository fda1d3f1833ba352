"""A population's episode returns and steps summarised in one compiled call.

An evaluation that plays E episodes per chromosome reports, per row, the mean return (its
fitness, or ``worst`` when the mean is not finite) and the steps played, and the steps of the whole
population. With NumPy those are five array calls of about 1 us each around a kernel call that, for
a small population of a fast environment, takes 70 us; here they are one.

The mean is NumPy's to the last bit: ``np.add.reduce(ret, axis=1) / E`` sums each row from 0.0 by
NumPy's pairwise summation (blocks of 8 running sums up to 128 elements, halves above), which
:func:`pairwise_sum` follows; ``tests/test_episode_summary.py`` checks it against NumPy.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def _block(a, lo: int, n: int) -> float:
    """a[lo:lo+n].sum() for n <= 128 in NumPy's order: left to right below 8, else 8 running sums
    combined as a tree, then the remainder."""
    s = 0.0
    if n < 8:
        for i in range(lo, lo + n):
            s += a[i]
        return s
    r0, r1, r2, r3, r4, r5, r6, r7 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3], a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = lo + 8
    end = lo + n - n % 8
    while i < end:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    s = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < lo + n:
        s += a[i]
        i += 1
    return s


@njit(cache=True)
def pairwise_sum(a, lo: int, n: int) -> float:
    """a[lo:lo+n].sum() in NumPy's order (``pairwise_sum_DOUBLE`` of its umath loops): blocks of at
    most 128 by :func:`_block`, above that the sum of the two halves (the first a multiple of 8
    long). NumPy recurses; Numba's cache cannot load a recursive function (it crashes), so this walks
    the same tree with a stack: each segment is split, and its halves' sums are added (left + right)
    once both are known."""
    if n <= 128:
        return _block(a, lo, n)
    seg = np.empty((192, 3), dtype=np.int64)      # (lo, n, halves done?): depth < 64 for any n
    val = np.empty(64)
    top, nv = 1, 0
    seg[0, 0], seg[0, 1], seg[0, 2] = lo, n, 0
    while top > 0:
        top -= 1
        l, m, done = seg[top, 0], seg[top, 1], seg[top, 2]
        if m <= 128:
            val[nv] = _block(a, l, m)
            nv += 1
        elif done:
            nv -= 1
            val[nv - 1] = val[nv - 1] + val[nv]
        else:
            h = m // 2
            h -= h % 8
            seg[top, 0], seg[top, 1], seg[top, 2] = l, m, 1           # add the halves after both
            seg[top + 1, 0], seg[top + 1, 1], seg[top + 1, 2] = l + h, m - h, 0
            seg[top + 2, 0], seg[top + 2, 1], seg[top + 2, 2] = l, h, 0     # the left half first
            top += 3
    return val[0]


@njit(cache=True)
def summarise(ret, steps, worst: float, fitness, metrics) -> int:
    """ret, steps (P, E): fitness[p] = the mean of ret[p] (``worst`` when not finite), metrics[p] =
    (that mean, the sum of steps[p]); returns the sum of every step."""
    P, E = ret.shape
    total = 0
    for p in range(P):
        mean = pairwise_sum(ret[p], 0, E) / E
        n = 0
        for e in range(E):
            n += steps[p, e]
        metrics[p, 0] = mean
        metrics[p, 1] = n
        fitness[p] = mean if np.isfinite(mean) else worst
        total += n
    return total
