"""Small inlined loops shared by the cell kernels (offsets into flat arrays, no slicing).

Offsets are converted to unsigned integers so that Numba emits no negative-index wraparound
code for each access (measured: about 10% of a small network step).
"""
import numpy as np
from numba import njit


@njit(cache=True, inline="always", error_model="numpy")
def dot(a, a_off, b, b_off, n):
    """sum_j a[a_off + j] * b[b_off + j] for j < n."""
    s = 0.0
    ao, bo = np.uint64(a_off), np.uint64(b_off)
    for j in range(np.uint64(n)):
        s += a[ao + j] * b[bo + j]
    return s


@njit(cache=True, inline="always", error_model="numpy")
def copy(src, src_off, dst, dst_off, n):
    so, do = np.uint64(src_off), np.uint64(dst_off)
    for j in range(np.uint64(n)):
        dst[do + j] = src[so + j]
