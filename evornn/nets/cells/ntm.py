"""Neural Turing machine memory: content and location addressing, erase and add; ENTM option.

Graves, Wayne & Danihelka (2014), "Neural Turing machines", arXiv:1410.5401, with the
hard-attention addressing of the evolvable NTM (Greve, Jacobsen & Risi
2016, "Evolving neural Turing machines for reward-based learning", GECCO) as an option.

A memory of N rows of width M, R read heads and W write heads. The controller (any core, a layer of
its own) sees [x_t, r_{t-1}]; this layer maps its output h_t to every head's parameters by
``W_heads h_t + b_heads`` and gives the readout [h_t, r_t]. Per head (``addressing="soft"``)::

    key k (M, linear), strength beta = softplus, gate g = sigmoid, shift s = softmax (3: -1, 0, +1),
    sharpening gamma = 1 + softplus; a write head also erase e = sigmoid (M) and add a (M, linear)
    w_c[i] = softmax_i(beta K(k, M(i))),  K(u, v) = u.v / (|u| |v| + 1e-8)        (eqs. 5-6)
    w_g = g w_c + (1 - g) w_{t-1}                                                   (eq. 7)
    w~[i] = sum_j w_g[j] s(i - j)  (indices mod N)                                  (eq. 8)
    w[i] = w~[i]^gamma / sum_j w~[j]^gamma                                          (eq. 9)
    M(i) <- M(i) * prod_writes (1 - w[i] e);  M(i) <- M(i) + sum_writes w[i] a      (eqs. 3-4)
    r = sum_i w[i] M(i)                                                              (eq. 2)

``addressing="entm"`` (hard attention): each head holds one location; per head k (M), jump gate
g = sigmoid and three shift logits (no beta, no gamma). If g > 0.5 the head jumps to the location
most similar to k (cosine, the first on ties), else it stays; then it moves by the shift with the
largest logit. Writes and reads are the same equations with a one-hot w.

Order in a step: the write heads address (from M_{t-1}) and write, then the read heads address and
read M_t (the DNC's order). At a sequence's start memory is 0 and every head's weighting is one-hot
at location 0. The cell is two layers of one code: a parameter-free input layer (``mode`` 0) that
gives the controller [x_t, r_{t-1}], reading r_{t-1} from the memory layer two layers on, and the
memory layer (``mode`` 1).

``direct = true`` adds a direct path from the controller's input to the heads, as in the ENTM of
Greve et al., a NEAT network whose inputs connect straight to its head outputs: the head
parameters are ``W_heads h_t + D u_t + b_heads`` with u_t = [x_t, r_{t-1}] (block ``D``, (P, U)).

Parameters: ``W_heads`` (P, H), ``b_heads`` (P), P = R hs + W (hs + 2M), hs = M + 6 (soft) or
M + 4 (entm), per head in the order above; with ``direct``, ``D`` (P, U). Neuron groups: one per
row of W_heads (with its bias and its row of D).
Workspace (memory layer): r (R M), a started flag, memory (N M), head weightings ((R + W) N), head
parameters (P), two scratch vectors (N).
"""
import numpy as np
from numba import njit

from ..layer import IOFF, NIN, NOUT, OPT1, POFF, SOFF, XOFF, YOFF, Block, LayerSpec, dense_units, unit_range
from ..lanes import nlanes
from .. import memory as mm
from .options import integer

CODE = 18
SOFT, ENTM = 0, 1
ADDRESSING = {"soft": SOFT, "entm": ENTM}


def head_size(M: int, addressing: int) -> int:
    return M + (6 if addressing == SOFT else 4)


def n_heads_params(M: int, R: int, Wh: int, addressing: int) -> int:
    hs = head_size(M, addressing)
    return R * hs + Wh * (hs + 2 * M)


def build_input(n_in: int, R: int, M: int, kind: str = "ntm-reads") -> LayerSpec:
    """The input layer: [x_t, r_{t-1}] for the controller (no parameters)."""
    return LayerSpec(CODE, n_in, n_in + R * M, 0, [], 0, [], opts=(0,), kind=kind)


def build(n_in: int, N: int = 16, M: int = 8, R: int = 1, Wh: int = 1, addressing: str = "soft",
          n_direct: int = 0) -> LayerSpec:
    """The memory layer reading a controller output of width ``n_in`` (= H); ``n_direct`` > 0: the
    heads also read the controller's input u_t (width n_direct, the input layer two layers back)."""
    N = integer("ntm", "memory_size", N, 1)
    M = integer("ntm", "memory_width", M, 1)
    R = integer("ntm", "read_heads", R, 1)
    Wh = integer("ntm", "write_heads", Wh, 1)
    if addressing not in ADDRESSING:
        raise ValueError(f"ntm: addressing must be one of {', '.join(ADDRESSING)}, got {addressing!r}")
    mode = ADDRESSING[addressing]
    H = n_in
    P = n_heads_params(M, R, Wh, mode)
    U = int(n_direct)
    blocks = [Block("W_heads", (P, H), ("fan_in", H)), Block("b_heads", (P,))]
    units = dense_units(P, H, 0, P * H)
    if U:
        blocks.append(Block("D", (P, U), ("fan_in", U)))
        base = P * H + P
        units = [np.concatenate([g, np.arange(base + j * U, base + (j + 1) * U, dtype=np.int64)])
                 for j, g in zip(unit_range(P), units)]
    state = R * M + 1 + N * M + (R + Wh) * N + P + 2 * N
    return LayerSpec(CODE, H, H + R * M, P, blocks, state, units, opts=(1,),
                     ints=np.array([N, M, R, Wh, mode, U], dtype=np.int64), kind="ntm",
                     options={"memory_size": N, "memory_width": M, "read_heads": R, "write_heads": Wh,
                              "addressing": addressing, "direct": bool(U)})


@njit(cache=True, error_model="numpy")
def concat_reads(L, k, ws, n):
    """Input layer: y = [x, r_{t-1}], r_{t-1} the first rows of layer k + 2's state (every lane)."""
    n_in, n_out, x, y = L[k, NIN], L[k, NOUT], L[k, XOFF], L[k, YOFF]
    r = L[k + 2, SOFF]
    for e in range(n_in * n):
        ws[y * n + e] = ws[x * n + e]
    for e in range((n_out - n_in) * n):
        ws[(y + n_in) * n + e] = ws[r * n + e]


@njit(cache=True, error_model="numpy")
def project(L, k, w, ws, P, dst, U, n, l):
    """ws[dst + i] = b_heads[i] + W_heads[i] . h (+ D[i] . u with U > 0), for the P head parameters."""
    H, p, x = L[k, NIN], L[k, POFF], L[k, XOFF]
    pb = p + P * H
    pd, u = pb + P, L[k - 2, YOFF]
    for i in range(P):
        acc = w[mm.at(pb + i, n, l)]
        for j in range(H):
            acc += w[mm.at(p + i * H + j, n, l)] * ws[mm.at(x + j, n, l)]
        for j in range(U):
            acc += w[mm.at(pd + i * U + j, n, l)] * ws[mm.at(u + j, n, l)]
        ws[mm.at(dst + i, n, l)] = acc


@njit(cache=True, error_model="numpy")
def _head(ws, mem, N, M, q, wt, t1, t2, mode, n, l):
    """Address one head whose activated parameters start at row q, weighting at row wt."""
    if mode == ENTM:
        mm.hard_address(ws, mem, N, M, q, ws[mm.at(q + M, n, l)], q + M + 1, wt, t1, n, l)
        return
    mm.content(ws, mem, N, M, q, ws[mm.at(q + M, n, l)], t1, n, l)
    mm.interpolate(ws, t1, wt, ws[mm.at(q + M + 1, n, l)], N, n, l)
    mm.shift(ws, t1, q + M + 2, t2, N, n, l)
    mm.sharpen(ws, t2, ws[mm.at(q + M + 5, n, l)], wt, N, n, l)


@njit(cache=True, error_model="numpy")
def _activate(ws, q, M, mode, write, n, l):
    """Head parameters at row q, in place: beta softplus, g sigmoid, s softmax, gamma 1 + softplus,
    e sigmoid (k, a linear)."""
    o = q + M
    if mode == SOFT:
        ws[mm.at(o, n, l)] = mm.softplus(ws[mm.at(o, n, l)])
        o += 1
    ws[mm.at(o, n, l)] = mm.sigmoid(ws[mm.at(o, n, l)])
    mm.softmax(ws, o + 1, 3, n, l)
    o += 4
    if mode == SOFT:
        ws[mm.at(o, n, l)] = 1.0 + mm.softplus(ws[mm.at(o, n, l)])
        o += 1
    if write:
        for j in range(M):
            ws[mm.at(o + j, n, l)] = mm.sigmoid(ws[mm.at(o + j, n, l)])


@njit(cache=True, error_model="numpy")
def memory_step(L, k, ix, w, ws, n, l):
    """The memory layer for lane l of n (n = 1, l = 0: one individual)."""
    io = L[k, IOFF]
    N, M, R, Wh, mode, U = ix[io], ix[io + 1], ix[io + 2], ix[io + 3], ix[io + 4], ix[io + 5]
    H, s, y = L[k, NIN], L[k, SOFF], L[k, YOFF]
    hs = M + (6 if mode == SOFT else 4)
    P = R * hs + Wh * (hs + 2 * M)
    reads = s
    flag = reads + R * M
    mem = flag + 1
    wts = mem + N * M
    q0 = wts + (R + Wh) * N
    t1 = q0 + P
    t2 = t1 + N
    if ws[mm.at(flag, n, l)] == 0.0:                 # a sequence's first step
        ws[mm.at(flag, n, l)] = 1.0
        for h in range(R + Wh):
            ws[mm.at(wts + h * N, n, l)] = 1.0
    project(L, k, w, ws, P, q0, U, n, l)
    for h in range(R):
        _activate(ws, q0 + h * hs, M, mode, False, n, l)
    for h in range(Wh):
        _activate(ws, q0 + R * hs + h * (hs + 2 * M), M, mode, True, n, l)
    for h in range(Wh):                              # write heads: address on M_{t-1}, then write
        _head(ws, mem, N, M, q0 + R * hs + h * (hs + 2 * M), wts + (R + h) * N, t1, t2, mode, n, l)
    for h in range(Wh):
        q = q0 + R * hs + h * (hs + 2 * M)
        mm.erase(ws, mem, N, M, wts + (R + h) * N, q + hs, n, l)
    for h in range(Wh):
        q = q0 + R * hs + h * (hs + 2 * M)
        mm.add(ws, mem, N, M, wts + (R + h) * N, q + hs + M, n, l)
    for h in range(R):                               # read heads: address on M_t, then read
        _head(ws, mem, N, M, q0 + h * hs, wts + h * N, t1, t2, mode, n, l)
        mm.read(ws, mem, N, M, wts + h * N, reads + h * M, n, l)
    x = L[k, XOFF]
    for j in range(H):
        ws[mm.at(y + j, n, l)] = ws[mm.at(x + j, n, l)]
    for j in range(R * M):
        ws[mm.at(y + H + j, n, l)] = ws[mm.at(reads + j, n, l)]


@njit(cache=True, error_model="numpy")
def step(L, k, ix, fx, w, ws):
    if L[k, OPT1] == 0:
        concat_reads(L, k, ws, 1)
    else:
        memory_step(L, k, ix, w, ws, 1, 0)


@njit(cache=True, error_model="numpy")
def step_lanes(L, k, ix, fx, W, ws):
    """:func:`step` for a block of individuals (evornn.nets.lanes), one lane after another."""
    n = nlanes(ws)
    if L[k, OPT1] == 0:
        concat_reads(L, k, ws, n)
    else:
        for l in range(n):
            memory_step(L, k, ix, W, ws, n, l)
