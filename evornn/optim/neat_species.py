"""NEAT's speciation search, compiled: the first species whose representative is within the threshold.

A speciation compares every genome with the species' representatives in order until one is within
the compatibility threshold; with hundreds of species (the non-Markov double pole's population of
1,000 makes 200-700, as NEAT's own code does) that is some 10^5 to 10^6 distances a generation, most
of a generation's time in plain Python. :func:`first_within` does the same walk over arrays in one
Numba call per genome. Its distance is :func:`evornn.optim.neat_genome.distance` operation for
operation (the merge walk, the weight differences summed in NumPy's pairwise order, the same
float expression), so the species a genome joins are the same, bit for bit (``tests/test_neat.py``).

A genome is given as two arrays, its innovation numbers sorted and the weights in that order
(:func:`gene_arrays`); the representatives as one array of each, concatenated, with offsets.
"""
from __future__ import annotations

import numpy as np
from numba import njit


def gene_arrays(g, mnum: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(sorted innovation numbers int64, their weights float64) of genome ``g``; with ``mnum`` their
    mutation_nums (NEAT's code's compatibility values, ``Genome.compat_value``) instead of the weights."""
    keys = sorted(g.conns)
    return (np.array(keys, dtype=np.int64),
            np.array([g.compat_value(k) if mnum else g.conns[k][2] for k in keys], dtype=np.float64))


class Representatives:
    """The representatives' gene arrays, concatenated (``keys``, ``weights``, ``offsets`` of
    ``len(self) + 1`` entries, in buffers that double when full), growing as species are founded."""

    def __init__(self, genomes, mnum: bool = False) -> None:
        arrays = [gene_arrays(g, mnum) for g in genomes]
        total = sum(len(k) for k, _ in arrays)
        self.n, self.used = 0, 0
        self._keys = np.zeros(max(16, 2 * total), dtype=np.int64)
        self._weights = np.zeros(self._keys.shape[0], dtype=np.float64)
        self._offsets = np.zeros(max(16, 2 * len(arrays) + 1), dtype=np.int64)
        for k, w in arrays:
            self.append(k, w)

    def append(self, keys: np.ndarray, weights: np.ndarray) -> None:
        m = keys.shape[0]
        if self.used + m > self._keys.shape[0]:
            size = 2 * (self.used + m)
            self._keys = np.concatenate([self._keys[:self.used], np.zeros(size - self.used, np.int64)])
            self._weights = np.concatenate([self._weights[:self.used], np.zeros(size - self.used)])
        if self.n + 2 > self._offsets.shape[0]:
            self._offsets = np.concatenate([self._offsets, np.zeros(self._offsets.shape[0], np.int64)])
        self._keys[self.used:self.used + m] = keys
        self._weights[self.used:self.used + m] = weights
        self.used += m
        self.n += 1
        self._offsets[self.n] = self.used

    @property
    def keys(self) -> np.ndarray:
        return self._keys[:self.used]

    @property
    def weights(self) -> np.ndarray:
        return self._weights[:self.used]

    @property
    def offsets(self) -> np.ndarray:
        return self._offsets[:self.n + 1]

    def __len__(self) -> int:
        return self.n


def first_within(keys: np.ndarray, weights: np.ndarray, reps: Representatives, c1: float, c2: float, c3: float,
                 small: int, threshold: float) -> int:
    """The index of the first representative within ``threshold`` of the genome (``keys``,
    ``weights``), -1 when none is."""
    return int(_first_within(keys, weights, reps.keys, reps.weights, reps.offsets, float(c1), float(c2),
                             float(c3), int(small), float(threshold)))


@njit(cache=True)
def _block(v, lo, n):
    # NumPy's pairwise summation of up to 128 float64 (neat_genome._pairwise_sum's leaves)
    if n < 8:
        r = 0.0
        for k in range(lo, lo + n):
            r += v[k]
        return r
    r0 = v[lo]
    r1 = v[lo + 1]
    r2 = v[lo + 2]
    r3 = v[lo + 3]
    r4 = v[lo + 4]
    r5 = v[lo + 5]
    r6 = v[lo + 6]
    r7 = v[lo + 7]
    k = lo + 8
    stop = lo + n - n % 8
    while k < stop:
        r0 += v[k]
        r1 += v[k + 1]
        r2 += v[k + 2]
        r3 += v[k + 3]
        r4 += v[k + 4]
        r5 += v[k + 5]
        r6 += v[k + 6]
        r7 += v[k + 7]
        k += 8
    r = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while k < lo + n:
        r += v[k]
        k += 1
    return r


@njit(cache=True)
def _pairwise_sum(v, lo, n):
    # neat_genome._pairwise_sum: above 128 terms the sum of the halves' sums (the first half a
    # multiple of 8), recursively; here with a stack of its own (Numba's cache and recursion do not
    # mix). A frame's state: 0 new, 1 waiting for its first half, 2 for its second.
    if n <= 128:
        return _block(v, lo, n)
    slo = np.empty(64, dtype=np.int64)
    sn = np.empty(64, dtype=np.int64)
    st = np.zeros(64, dtype=np.int64)
    first = np.empty(64, dtype=np.float64)
    slo[0] = lo
    sn[0] = n
    sp = 1
    ret = 0.0
    have = False                          # a finished frame's sum waits for its parent
    while sp > 0:
        t = sp - 1
        if have:
            if st[t] == 1:
                first[t] = ret
                st[t] = 2
                have = False
                n2 = sn[t] // 2
                n2 -= n2 % 8
                slo[sp] = slo[t] + n2
                sn[sp] = sn[t] - n2
                st[sp] = 0
                sp += 1
            else:
                ret = first[t] + ret
                sp -= 1
        elif sn[t] <= 128:
            ret = _block(v, slo[t], sn[t])
            sp -= 1
            have = True
        else:
            st[t] = 1
            n2 = sn[t] // 2
            n2 -= n2 % 8
            slo[sp] = slo[t]
            sn[sp] = n2
            st[sp] = 0
            sp += 1
    return ret


@njit(cache=True)
def _distance(ka, wa, kb, wb, c1, c2, c3, small, diffs):
    la = ka.shape[0]
    lb = kb.shape[0]
    if la == 0 and lb == 0:
        return 0.0
    i = 0
    j = 0
    disjoint = 0
    m = 0
    while i < la and j < lb:
        x = ka[i]
        y = kb[j]
        if x == y:
            diffs[m] = abs(wa[i] - wb[j])
            m += 1
            i += 1
            j += 1
        elif x < y:
            disjoint += 1
            i += 1
        else:
            disjoint += 1
            j += 1
    excess = (la - i) + (lb - j)
    wdiff = _pairwise_sum(diffs, 0, m) / m if m > 0 else 0.0
    n = max(la, lb)
    if n < small:
        n = 1
    return c1 * excess / n + c2 * disjoint / n + c3 * wdiff


@njit(cache=True)
def _first_within(keys, weights, rkeys, rweights, offsets, c1, c2, c3, small, threshold):
    diffs = np.empty(keys.shape[0], dtype=np.float64)
    for s in range(offsets.shape[0] - 1):
        a, b = offsets[s], offsets[s + 1]
        if _distance(keys, weights, rkeys[a:b], rweights[a:b], c1, c2, c3, small, diffs) < threshold:
            return s
    return -1


def distance(a, b, c1: float, c2: float, c3: float, small: int, mnum: bool = False) -> float:
    """The compiled distance of two genomes (for the tests: equal to neat_genome.distance)."""
    ka, wa = gene_arrays(a, mnum)
    kb, wb = gene_arrays(b, mnum)
    return float(_distance(ka, wa, kb, wb, float(c1), float(c2), float(c3), int(small),
                           np.empty(min(len(ka), len(kb)), dtype=np.float64)))
