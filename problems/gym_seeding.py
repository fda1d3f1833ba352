"""NumPy's ``Generator(PCG64(SeedSequence(seed))).uniform`` in Numba, bit for bit.

Gymnasium's ``reset(seed=s)`` seeds the environment's generator with
``np.random.Generator(np.random.PCG64(np.random.SeedSequence(s)))`` (``gymnasium.utils.seeding``)
and draws the start state with ``uniform``. Made in Python, that generator costs about 40 us, more
than a whole short CartPole episode of the fused kernel; here it is a few hundred nanoseconds, in
the kernel. The algorithms are NumPy's (``numpy/random/bit_generator.pyx``: SeedSequence's
hashmix/mix over a pool of four 32-bit words, then ``generate_state(4, uint64)``; ``pcg64.h``:
the 128-bit LCG with the XSL-RR output; ``next_double`` = (next64 >> 11) * 2**-53; ``uniform`` =
low + (high - low) * next_double). ``tests/test_gym.py`` checks them against NumPy.
"""
import numpy as np
from numba import njit, uint64

U = np.uint64
M32 = U(0xFFFFFFFF)
INIT_A, MULT_A = U(0x43b0d7e5), U(0x931e8875)
INIT_B, MULT_B = U(0x8b51f9dd), U(0x58f38ded)
MIX_MULT_L, MIX_MULT_R = U(0xca01f9dd), U(0x4973f715)
XSHIFT, S32, S63, S58, S11, ONE, ZERO, W64 = U(16), U(32), U(63), U(58), U(11), U(1), U(0), U(64)
PCG_MULT_HI, PCG_MULT_LO = U(2549297995355413924), U(4865540595714422341)


@njit(cache=True, inline="always")
def _hashmix(value, hc):
    value = (value ^ hc) & M32
    hc = (hc * MULT_A) & M32
    value = (value * hc) & M32
    value ^= value >> XSHIFT
    return value, hc


@njit(cache=True, inline="always")
def _mix(x, y):
    r = (MIX_MULT_L * x - MIX_MULT_R * y) & M32
    return r ^ (r >> XSHIFT)


@njit(cache=True, inline="always")
def _mul64(a, b):
    """(hi, lo) of the 128-bit product of two uint64."""
    a0, a1 = a & M32, a >> S32
    b0, b1 = b & M32, b >> S32
    p00, p01, p10, p11 = a0 * b0, a0 * b1, a1 * b0, a1 * b1
    mid = (p00 >> S32) + (p01 & M32) + (p10 & M32)
    lo = (p00 & M32) | ((mid & M32) << S32)
    hi = p11 + (p01 >> S32) + (p10 >> S32) + (mid >> S32)
    return hi, lo


@njit(cache=True, inline="always")
def _add128(ah, al, bh, bl):
    lo = al + bl
    return ah + bh + (ONE if lo < al else ZERO), lo


@njit(cache=True, inline="always")
def _step(sh, sl, ih, il):
    """state = state * MULT + inc (mod 2**128)."""
    hi, lo = _mul64(sl, PCG_MULT_LO)
    hi = hi + sl * PCG_MULT_HI + sh * PCG_MULT_LO
    return _add128(hi, lo, ih, il)


@njit(cache=True)
def generator(seed):
    """The PCG64 state (state_hi, state_lo, inc_hi, inc_lo) of Generator(PCG64(SeedSequence(seed)))
    for a seed 0 <= seed < 2**64."""
    seed = uint64(seed)
    words = np.zeros(2, dtype=np.uint64)
    words[0] = seed & M32
    words[1] = seed >> S32
    n = 2 if words[1] != 0 else 1
    pool = np.zeros(4, dtype=np.uint64)
    hc = uint64(INIT_A)
    for i in range(4):
        v, hc = _hashmix(words[i] if i < n else ZERO, hc)
        pool[i] = v
    for i_src in range(4):
        for i_dst in range(4):
            if i_src != i_dst:
                v, hc = _hashmix(pool[i_src], hc)
                pool[i_dst] = _mix(pool[i_dst], v)
    hc = uint64(INIT_B)
    state = np.zeros(8, dtype=np.uint64)
    for i in range(8):
        v = (pool[i & 3] ^ hc) & M32
        hc = (hc * MULT_B) & M32
        v = (v * hc) & M32
        state[i] = v ^ (v >> XSHIFT)
    s0 = state[0] | (state[1] << S32)      # generate_state(4, uint64): little-endian word pairs
    s1 = state[2] | (state[3] << S32)
    i0 = state[4] | (state[5] << S32)
    i1 = state[6] | (state[7] << S32)
    # pcg64_set_seed: initstate = s0:s1, initseq = i0:i1; inc = initseq << 1 | 1
    ih = (i0 << ONE) | (i1 >> S63)
    il = (i1 << ONE) | ONE
    sh, sl = _step(ZERO, ZERO, ih, il)
    sh, sl = _add128(sh, sl, s0, s1)
    sh, sl = _step(sh, sl, ih, il)
    return sh, sl, ih, il


@njit(cache=True, inline="always")
def next_double(g):
    """(g', u): the generator advanced and its next double in [0, 1)."""
    sh, sl, ih, il = g
    sh, sl = _step(sh, sl, ih, il)
    x = sh ^ sl
    rot = sh >> S58
    out = (x >> rot) | (x << ((W64 - rot) & S63))
    return (sh, sl, ih, il), np.float64(out >> S11) * (1.0 / 9007199254740992.0)


@njit(cache=True, inline="always")
def uniform(g, low, high):
    """(g', low + (high - low) * next_double): NumPy's Generator.uniform, one value."""
    g, u = next_double(g)
    return g, low + (high - low) * u
