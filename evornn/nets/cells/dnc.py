"""Differentiable neural computer memory: usage-based allocation and temporal links, N <= 32.

Graves et al. (2016), "Hybrid computing using a neural network with dynamic external memory",
Nature 538:471-476, Methods.

A memory of N rows of width M, one write head and R read heads. The controller (any core, a layer
of its own) sees [x_t, r_{t-1}]; this layer maps its output h_t to the interface vector
``W_if h_t + b_if`` = [k_r (R M), beta_r (R), k_w (M), beta_w, e (M), v (M), f (R), g_a, g_w,
pi (3 R)] and gives the readout [h_t, r_t]. With oneplus(x) = 1 + softplus(x) for the strengths,
sigmoid for e, f, g_a, g_w and a softmax over each head's read modes (backward, content,
forward)::

    u_t = (u_{t-1} + ww_{t-1} - u_{t-1} ww_{t-1}) psi_t,  psi_t = prod_i (1 - f_i wr^i_{t-1})
    a[phi_j] = (1 - u_t[phi_j]) prod_{i<j} u_t[phi_i],  phi: locations by rising usage
    ww_t = g_w (g_a a + (1 - g_a) C(M_{t-1}, k_w, beta_w))
    M_t = M_{t-1} * (1 - ww_t e^T) + ww_t v^T
    L_t[i, j] = (1 - ww_t[i] - ww_t[j]) L_{t-1}[i, j] + ww_t[i] p_{t-1}[j],  L_t[i, i] = 0
    p_t = (1 - sum_i ww_t[i]) p_{t-1} + ww_t
    wr^i_t = pi_i[0] L_t^T wr^i_{t-1} + pi_i[1] C(M_t, k_r^i, beta_r^i) + pi_i[2] L_t wr^i_{t-1}
    r^i_t = M_t^T wr^i_t

C is the NTM's content addressing (softmax of beta times cosine similarity; see
:mod:`evornn.nets.cells.ntm`), the sort is stable (lower index first on ties). Everything starts at
0. Like the NTM, the cell is two layers of one code: a parameter-free input layer (``mode`` 0)
giving the controller [x_t, r_{t-1}] and the memory layer (``mode`` 1).

Parameters: ``W_if`` (P, H), ``b_if`` (P), P = (R + 3) M + 5 R + 3. Neuron groups: one per row.
Workspace (memory layer): r (R M), memory (N M), usage (N), precedence (N), links (N N), ww (N),
wr (R N), interface (P), four scratch vectors (N).
"""
import numpy as np
from numba import njit

from ..layer import IOFF, NIN, OPT1, POFF, SOFF, XOFF, YOFF, Block, LayerSpec, dense_units
from ..lanes import nlanes
from .. import memory as mm
from .ntm import concat_reads
from .options import integer

CODE = 19
MAX_N = 32


def interface_size(M: int, R: int) -> int:
    return (R + 3) * M + 5 * R + 3


def build_input(n_in: int, R: int, M: int) -> LayerSpec:
    """The input layer: [x_t, r_{t-1}] for the controller (no parameters)."""
    return LayerSpec(CODE, n_in, n_in + R * M, 0, [], 0, [], opts=(0,), kind="dnc-reads")


def build(n_in: int, N: int = 16, M: int = 8, R: int = 1) -> LayerSpec:
    """The memory layer reading a controller output of width ``n_in`` (= H)."""
    N = integer("dnc", "memory_size", N, 1, MAX_N)
    M = integer("dnc", "memory_width", M, 1)
    R = integer("dnc", "read_heads", R, 1)
    H = n_in
    P = interface_size(M, R)
    blocks = [Block("W_if", (P, H), ("fan_in", H)), Block("b_if", (P,))]
    state = R * M + N * M + 3 * N + N * N + R * N + P + 4 * N
    return LayerSpec(CODE, H, H + R * M, P, blocks, state, dense_units(P, H, 0, P * H), opts=(1,),
                     ints=np.array([N, M, R], dtype=np.int64), kind="dnc",
                     options={"memory_size": N, "memory_width": M, "read_heads": R})


@njit(cache=True, error_model="numpy")
def memory_step(L, k, ix, w, ws, n, l):
    """The memory layer for lane l of n (n = 1, l = 0: one individual)."""
    io = L[k, IOFF]
    N, M, R = ix[io], ix[io + 1], ix[io + 2]
    H, p, s, x, y = L[k, NIN], L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    P = (R + 3) * M + 5 * R + 3
    reads = s
    mem = reads + R * M
    u = mem + N * M
    prec = u + N
    lk = prec + N
    ww = lk + N * N
    wr = ww + N
    q = wr + R * N
    t1 = q + P
    t2, t3, order = t1 + N, t1 + 2 * N, t1 + 3 * N
    pb = p + P * H
    for i in range(P):                               # interface vector
        acc = w[mm.at(pb + i, n, l)]
        for j in range(H):
            acc += w[mm.at(p + i * H + j, n, l)] * ws[mm.at(x + j, n, l)]
        ws[mm.at(q + i, n, l)] = acc
    kr = q
    br = kr + R * M
    kw = br + R
    bw = kw + M
    e = bw + 1
    v = e + M
    fg = v + M
    ga = fg + R
    gw = ga + 1
    pi = gw + 1
    for i in range(R):
        ws[mm.at(br + i, n, l)] = 1.0 + mm.softplus(ws[mm.at(br + i, n, l)])
    ws[mm.at(bw, n, l)] = 1.0 + mm.softplus(ws[mm.at(bw, n, l)])
    for j in range(M):
        ws[mm.at(e + j, n, l)] = mm.sigmoid(ws[mm.at(e + j, n, l)])
    for i in range(R + 2):                           # free gates, g_a, g_w
        ws[mm.at(fg + i, n, l)] = mm.sigmoid(ws[mm.at(fg + i, n, l)])
    for i in range(R):
        mm.softmax(ws, pi + 3 * i, 3, n, l)
    # write
    mm.usage(ws, u, ww, wr, R, fg, N, n, l)
    mm.allocation(ws, u, order, t1, N, n, l)
    mm.content(ws, mem, N, M, kw, ws[mm.at(bw, n, l)], t2, n, l)
    mm.write_weighting(ws, t1, t2, ws[mm.at(ga, n, l)], ws[mm.at(gw, n, l)], ww, N, n, l)
    mm.erase(ws, mem, N, M, ww, e, n, l)
    mm.add(ws, mem, N, M, ww, v, n, l)
    mm.link(ws, lk, prec, ww, N, n, l)
    # read
    for h in range(R):
        wh = wr + h * N
        mm.directional(ws, lk, wh, t1, N, True, n, l)      # backward
        mm.directional(ws, lk, wh, t3, N, False, n, l)     # forward
        mm.content(ws, mem, N, M, kr + h * M, ws[mm.at(br + h, n, l)], t2, n, l)
        pb_, pc, pf = ws[mm.at(pi + 3 * h, n, l)], ws[mm.at(pi + 3 * h + 1, n, l)], ws[mm.at(pi + 3 * h + 2, n, l)]
        for i in range(N):
            ws[mm.at(wh + i, n, l)] = (pb_ * ws[mm.at(t1 + i, n, l)] + pc * ws[mm.at(t2 + i, n, l)]
                                       + pf * ws[mm.at(t3 + i, n, l)])
        mm.read(ws, mem, N, M, wh, reads + h * M, n, l)
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
