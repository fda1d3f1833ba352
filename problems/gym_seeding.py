"""NumPy's ``Generator(PCG64(SeedSequence(seed))).uniform`` in Numba, bit for bit.

Gymnasium's ``reset(seed=s)`` seeds the environment's generator with
``np.random.Generator(np.random.PCG64(np.random.SeedSequence(s)))`` (``gymnasium.utils.seeding``)
and draws the start state with ``uniform``. Made in Python, that generator costs about 40 us, more
than a whole short CartPole episode of the fused kernel; here a CartPole start state costs about 30
ns, in the kernel, without allocating. The algorithms are NumPy's
(``numpy/random/bit_generator.pyx``: SeedSequence's hashmix/mix over a pool of four 32-bit words,
then ``generate_state(4, uint64)``; ``pcg64.h``: the 128-bit LCG with the XSL-RR output, here in
LLVM's 128-bit integers; ``next_double`` = (next64 >> 11) * 2**-53; ``uniform`` = low + (high -
low) * next_double). ``tests/test_gym.py`` checks them against NumPy.
"""
import numpy as np
from llvmlite import ir
from numba import njit, types, uint64
from numba.extending import intrinsic

U = np.uint64
M32 = U(0xFFFFFFFF)
INIT_A, MULT_A = U(0x43b0d7e5), U(0x931e8875)
INIT_B, MULT_B = U(0x8b51f9dd), U(0x58f38ded)
MIX_MULT_L, MIX_MULT_R = U(0xca01f9dd), U(0x4973f715)
XSHIFT, S32, S63, S58, S11, ONE, ZERO, W64 = U(16), U(32), U(63), U(58), U(11), U(1), U(0), U(64)
PCG_MULT = (2549297995355413924 << 64) | 4865540595714422341

_I128, _I64 = ir.IntType(128), ir.IntType(64)
_PAIR = types.UniTuple(types.uint64, 2)


def _join(builder, hi, lo):
    """hi:lo as one 128-bit integer."""
    return builder.or_(builder.shl(builder.zext(hi, _I128), ir.Constant(_I128, 64)), builder.zext(lo, _I128))


def _split(context, builder, r):
    """(hi, lo) of a 128-bit integer, as a Numba tuple of two uint64."""
    hi = builder.trunc(builder.lshr(r, ir.Constant(_I128, 64)), _I64)
    return context.make_tuple(builder, _PAIR, [hi, builder.trunc(r, _I64)])


@intrinsic
def _lcg(typingctx, sh, sl, ih, il):
    """(hi, lo) of the PCG64 step (sh:sl) * PCG_MULT + (ih:il) mod 2**128."""
    def codegen(context, builder, sig, args):
        s, inc = _join(builder, args[0], args[1]), _join(builder, args[2], args[3])
        return _split(context, builder, builder.add(builder.mul(s, ir.Constant(_I128, PCG_MULT)), inc))
    return _PAIR(types.uint64, types.uint64, types.uint64, types.uint64), codegen


@intrinsic
def _add128(typingctx, ah, al, bh, bl):
    """(hi, lo) of (ah:al) + (bh:bl) mod 2**128."""
    def codegen(context, builder, sig, args):
        return _split(context, builder, builder.add(_join(builder, args[0], args[1]),
                                                     _join(builder, args[2], args[3])))
    return _PAIR(types.uint64, types.uint64, types.uint64, types.uint64), codegen


@njit(cache=True)
def _hashmix(value, hc, mult):
    """SeedSequence's hashmix with multiplier ``mult`` (MULT_A; MULT_B in ``generate_state``)."""
    value = (value ^ hc) & M32
    hc = (hc * mult) & M32
    value = (value * hc) & M32
    return value ^ (value >> XSHIFT), hc


@njit(cache=True)
def _mix(x, y):
    r = (MIX_MULT_L * x - MIX_MULT_R * y) & M32
    return r ^ (r >> XSHIFT)


@njit(cache=True)
def generator(seed):
    """The PCG64 state (state_hi, state_lo, inc_hi, inc_lo) of Generator(PCG64(SeedSequence(seed)))
    for a seed 0 <= seed < 2**64. The pool of four words in scalars, NumPy's loops written out: a
    seed's entropy is one or two 32-bit words (its high word 0 adds none, and hashes as the zero
    padding does)."""
    seed = uint64(seed)
    hc = uint64(INIT_A)
    p0, hc = _hashmix(seed & M32, hc, MULT_A)
    p1, hc = _hashmix(seed >> S32, hc, MULT_A)
    p2, hc = _hashmix(ZERO, hc, MULT_A)
    p3, hc = _hashmix(ZERO, hc, MULT_A)
    # every word mixed into every other: source outer, destination inner
    v, hc = _hashmix(p0, hc, MULT_A); p1 = _mix(p1, v)
    v, hc = _hashmix(p0, hc, MULT_A); p2 = _mix(p2, v)
    v, hc = _hashmix(p0, hc, MULT_A); p3 = _mix(p3, v)
    v, hc = _hashmix(p1, hc, MULT_A); p0 = _mix(p0, v)
    v, hc = _hashmix(p1, hc, MULT_A); p2 = _mix(p2, v)
    v, hc = _hashmix(p1, hc, MULT_A); p3 = _mix(p3, v)
    v, hc = _hashmix(p2, hc, MULT_A); p0 = _mix(p0, v)
    v, hc = _hashmix(p2, hc, MULT_A); p1 = _mix(p1, v)
    v, hc = _hashmix(p2, hc, MULT_A); p3 = _mix(p3, v)
    v, hc = _hashmix(p3, hc, MULT_A); p0 = _mix(p0, v)
    v, hc = _hashmix(p3, hc, MULT_A); p1 = _mix(p1, v)
    v, hc = _hashmix(p3, hc, MULT_A); p2 = _mix(p2, v)
    # generate_state(4, uint64): eight words from the pool, read cyclically, in little-endian pairs
    hc = uint64(INIT_B)
    a0, hc = _hashmix(p0, hc, MULT_B)
    a1, hc = _hashmix(p1, hc, MULT_B)
    a2, hc = _hashmix(p2, hc, MULT_B)
    a3, hc = _hashmix(p3, hc, MULT_B)
    b0, hc = _hashmix(p0, hc, MULT_B)
    b1, hc = _hashmix(p1, hc, MULT_B)
    b2, hc = _hashmix(p2, hc, MULT_B)
    b3, hc = _hashmix(p3, hc, MULT_B)
    s0, s1 = a0 | (a1 << S32), a2 | (a3 << S32)
    i0, i1 = b0 | (b1 << S32), b2 | (b3 << S32)
    # pcg64_set_seed: initstate = s0:s1, initseq = i0:i1; inc = initseq << 1 | 1
    ih = (i0 << ONE) | (i1 >> S63)
    il = (i1 << ONE) | ONE
    sh, sl = _lcg(ZERO, ZERO, ih, il)
    sh, sl = _add128(sh, sl, s0, s1)
    sh, sl = _lcg(sh, sl, ih, il)
    return sh, sl, ih, il


@njit(cache=True, inline="always")
def next_double(g):
    """(g', u): the generator advanced and its next double in [0, 1)."""
    sh, sl, ih, il = g
    sh, sl = _lcg(sh, sl, ih, il)
    x = sh ^ sl
    rot = sh >> S58
    out = (x >> rot) | (x << ((W64 - rot) & S63))
    return (sh, sl, ih, il), np.float64(out >> S11) * (1.0 / 9007199254740992.0)


@njit(cache=True, inline="always")
def uniform(g, low, high):
    """(g', low + (high - low) * next_double): NumPy's Generator.uniform, one value."""
    g, u = next_double(g)
    return g, low + (high - low) * u
