"""Small inlined loops shared by the cell kernels (offsets into flat arrays, no slicing)."""
from numba import njit


@njit(cache=True, inline="always")
def dot(a, a_off, b, b_off, n):
    """sum_j a[a_off + j] * b[b_off + j] for j < n."""
    s = 0.0
    for j in range(n):
        s += a[a_off + j] * b[b_off + j]
    return s


@njit(cache=True, inline="always")
def copy(src, src_off, dst, dst_off, n):
    for j in range(n):
        dst[dst_off + j] = src[src_off + j]
