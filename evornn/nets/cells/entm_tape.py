"""The evolvable neural Turing machine's tape, driven by a network's outputs (no parameters).

Greve, Jacobsen & Risi (2016), "Evolving neural Turing machines for reward-based learning", GECCO,
and their released code (the ENTM's ``MinimalTuringMachine``): a NEAT network whose outputs are, besides
the task's outputs, the controls of one combined read/write head, and whose inputs are the task's
input and the vector the head read at the previous step. Per step, from the controls (the network's
outputs, NEAT's sigmoid units: values in [0, 1]) in the code's order

    write vector a (M), write interpolation i, content jump j, shift s (3: -1, 0, +1),

the tape (locations of width M) and the head position p change in four steps:

    write:  M(p) <- i a + (1 - i) M(p)         (``write = "overwrite"``: M(p) <- a if i >= 0.5)
    jump:   if j >= 0.5, p <- the first location q of the tape with the largest
            sim(a, M(q)) = 1 - mean_k |a_k - M(q)_k|        (the code's "emilarity")
    shift:  p <- p + argmax(s) - 1                            (the first largest)
    read:   r = M(p), the network's input at the next step.

``write = "overwrite"`` is the code's other write mode (``WriteMode`` Absolute/Overwrite, the one
its 8-bit copy configuration uses): the write interpolation is a gate, and a location holds either
its old content or the write vector, never a blend.

The tape starts as one zero location with the head on it and grows by a zero location when the head
moves past either end (the code's unbounded tape); a jump searches the locations the tape has, in
order from its left end. ``memory_size`` N bounds it: once the tape has N locations, moving past an
end wraps to the other end (the code's bounded tape).

Two layers of one code: a parameter-free input layer (``mode`` 0) that gives the network [x_t, r_{t-1}],
reading r_{t-1} from this layer's state two layers on (:func:`evornn.nets.cells.ntm.concat_reads`),
and the tape layer (``mode`` 1), whose input is the network's outputs [y (n_out), a, i, j, s] and whose
output is y. Workspace (tape layer): r (M), p, the tape's left and right ends (absolute positions,
the head starts at 0), the tape (N M; absolute position q at row q mod N).
"""
import math

import numpy as np
from numba import njit

from ..layer import IOFF, NOUT, OPT1, SOFF, XOFF, YOFF, LayerSpec
from ..lanes import nlanes
from .. import memory as mm
from .ntm import concat_reads
from .options import integer

CODE = 24
N_SHIFTS = 3


def n_controls(M: int) -> int:
    """Head controls per step: write vector (M), interpolation, jump, three shifts."""
    return M + 2 + N_SHIFTS


def build_input(n_in: int, M: int) -> LayerSpec:
    """The input layer: [x_t, r_{t-1}] for the network (no parameters)."""
    return LayerSpec(CODE, n_in, n_in + M, 0, [], 0, [], opts=(0,), kind="entm-reads")


WRITE_MODES = ("interpolate", "overwrite")


def build(n_out: int, N: int = 32, M: int = 2, write: str = "interpolate", where: str = "neat-entm") -> LayerSpec:
    """The tape layer after a network of ``n_out + n_controls(M)`` outputs; its output is the first ``n_out``."""
    N = integer(where, "memory_size", N, 1)
    M = integer(where, "memory_width", M, 1)
    if write not in WRITE_MODES:
        raise ValueError(f"{where}: write must be 'interpolate' or 'overwrite', got {write!r}")
    options = {"memory_size": N, "memory_width": M}
    if write != "interpolate":
        options["write"] = write
    return LayerSpec(CODE, n_out + n_controls(M), n_out, 0, [], M + 3 + N * M, [], opts=(1,),
                     ints=np.array([N, M, WRITE_MODES.index(write)], dtype=np.int64), kind="entm-tape",
                     options=options)


@njit(cache=True, inline="always")
def _row(q, N):
    return ((q % N) + N) % N


@njit(cache=True, error_model="numpy")
def tape_step(L, k, ix, ws, n, l):
    """The tape layer for lane l of n (n = 1, l = 0: one individual)."""
    io = L[k, IOFF]
    N, M, overwrite = ix[io], ix[io + 1], ix[io + 2] == 1
    O, x, y, s = L[k, NOUT], L[k, XOFF], L[k, YOFF], L[k, SOFF]
    pos, lo_r, hi_r, tape = s + M, s + M + 1, s + M + 2, s + M + 3
    a = x + O
    g, jump, sh = ws[mm.at(a + M, n, l)], ws[mm.at(a + M + 1, n, l)], a + M + 2
    p, lo, hi = int(ws[mm.at(pos, n, l)]), int(ws[mm.at(lo_r, n, l)]), int(ws[mm.at(hi_r, n, l)])
    row = tape + _row(p, N) * M
    if overwrite:                                        # write: the gate at 0.5, or interpolated
        if g >= 0.5:
            for j in range(M):
                ws[mm.at(row + j, n, l)] = ws[mm.at(a + j, n, l)]
    else:
        for j in range(M):
            o = mm.at(row + j, n, l)
            ws[o] = g * ws[mm.at(a + j, n, l)] + (1.0 - g) * ws[o]
    if jump >= 0.5:                                      # content jump: the first most similar location
        best, bp = -math.inf, lo
        for q in range(lo, hi + 1):
            rq = tape + _row(q, N) * M
            d = 0.0
            for j in range(M):
                d += abs(ws[mm.at(a + j, n, l)] - ws[mm.at(rq + j, n, l)])
            sim = 1.0 - d / M
            if sim > best:
                best, bp = sim, q
        p = bp
    d = mm.argmax(ws, sh, N_SHIFTS, n, l) - 1            # shift; the tape grows, or wraps at N locations
    if d == 1:
        if p < hi:
            p += 1
        elif hi - lo + 1 >= N:
            p = lo
        else:
            hi += 1
            p = hi
    elif d == -1:
        if p > lo:
            p -= 1
        elif hi - lo + 1 >= N:
            p = hi
        else:
            lo -= 1
            p = lo
    row = tape + _row(p, N) * M
    for j in range(M):                                   # read
        ws[mm.at(s + j, n, l)] = ws[mm.at(row + j, n, l)]
    ws[mm.at(pos, n, l)], ws[mm.at(lo_r, n, l)], ws[mm.at(hi_r, n, l)] = p, lo, hi
    for j in range(O):
        ws[mm.at(y + j, n, l)] = ws[mm.at(x + j, n, l)]


@njit(cache=True, error_model="numpy")
def step(L, k, ix, fx, w, ws):
    if L[k, OPT1] == 0:
        concat_reads(L, k, ws, 1)
    else:
        tape_step(L, k, ix, ws, 1, 0)


@njit(cache=True, error_model="numpy")
def step_lanes(L, k, ix, fx, W, ws):
    """:func:`step` for a block of individuals (evornn.nets.lanes), one lane after another."""
    n = nlanes(ws)
    if L[k, OPT1] == 0:
        concat_reads(L, k, ws, n)
    else:
        for l in range(n):
            tape_step(L, k, ix, ws, n, l)
