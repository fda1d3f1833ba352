"""Continuous stack memory (Joulin & Mikolov 2015) read by a recurrent controller: the stack RNN.

Joulin & Mikolov (2015), "Inferring algorithmic patterns with stack-augmented recurrent nets",
NIPS 28; the analog stack of the neural network pushdown automaton (Sun, Giles, Chen & Lee 1993,
"The neural network pushdown automaton: model, stack and learning simulations", UMIACS-TR-93-77).

The stack holds ``depth`` elements of ``width`` values, S[0] its top, all zero at the start of a
sequence (zero is also what lies below the bottom). With h_t the controller's output at step t
(any core, :func:`evornn.nets.registry.stack_rnn`) and z_t = V h_t + c:

    a_t = softmax(z_t[0:3])            (a_push, a_pop, a_noop)
    v_t = f(z_t[3:3 + width])          the pushed element, f = sigmoid by default (J & M)
    S_t[0]   = a_push v_t      + a_pop S_{t-1}[1]   + a_noop S_{t-1}[0]
    S_t[i]   = a_push S_{t-1}[i-1] + a_pop S_{t-1}[i+1] + a_noop S_{t-1}[i]     (S_{t-1}[depth] = 0)

and the controller reads its input with the top ``read_depth`` elements of the stack before that
step's update, r_t = [S_{t-1}[0], ..., S_{t-1}[read_depth - 1]]: h_t = core(u_t, h_{t-1}),
y_t = readout(h_t), with u_t = [x_t, r_t] (``read = "concat"``, Joulin & Mikolov) or
u_t = x_t (outer) [1, r_t] flattened, u[k * (1 + R) + l] = x_k [1, r]_l (``read = "product"``).
The product with a second-order core (``cell = "second-order"``) is the NNPDA's controller (Sun et
al.): h_i = g(sum_jkl W_ijkl h_j x_k [1, r]_l + b_i), third-order terms in state, input and
stack reading plus the second-order ones in state and input.

This layer runs first in every step: it applies the update of step t-1 (from the controller's
output h_{t-1}, still in the workspace) and writes [x_t, top of S_{t-1}] as the controller's input,
so the outputs equal the equations above; on a sequence's first step (a flag in its state, zero
when the workspace is zeroed) there is nothing to apply. The layer after it is the controller.

Parameters: ``V`` (3 + width, H) (rows: push, pop, no-op, then the pushed element), ``c``
(3 + width), H the controller's output width. Neuron groups: unit j owns V[j] and c[j].
Options: OPT1 width, OPT2 depth, OPT3 read_depth; ACT the pushed element's activation; int data
(``ix``) [read mode: 0 concat, 1 product].
Workspace: flag (1), S (depth * width), S_new (depth * width), z (3 + width).
"""
import math

import numpy as np
from numba import njit

from ..activations import activate
from ..lanes import U, lact_rows, lane_acc, lcopy, ldot, lload, lstore, nlanes, rt_lanes
from ..layer import ACT, IOFF, NIN, NOUT, OPT1, OPT2, POFF, SOFF, XOFF, YOFF, Block, LayerSpec, unit_range
from ..vmath import vexp

CODE = 17
ACTIONS = 3                                   # push, pop, no-op
READS = {"concat": 0, "product": 1}


def n_read(n_in: int, width: int, read_depth: int, read: str) -> int:
    """The width of the controller's input u_t."""
    return n_in + read_depth * width if read == "concat" else n_in * (1 + read_depth * width)


def build(n_in: int, n_ctrl: int, act: int, width: int = 1, depth: int = 16, read_depth: int = 1,
          read: str = "concat") -> LayerSpec:
    """The stack layer of a network with ``n_in`` inputs whose controller outputs ``n_ctrl`` values."""
    if read not in READS:
        raise ValueError(f"stack-rnn: read must be one of {', '.join(READS)}, got {read!r}")
    width, depth, read_depth = int(width), int(depth), int(read_depth)
    if width < 1 or depth < 1 or not 1 <= read_depth <= depth:
        raise ValueError(f"stack-rnn: need width >= 1, depth >= 1 and 1 <= read_depth <= depth, "
                         f"got width={width}, depth={depth}, read_depth={read_depth}")
    G = ACTIONS + width
    blocks = [Block("V", (G, n_ctrl), ("fan_in", n_ctrl)), Block("c", (G,))]
    units = [np.asarray(list(range(j * n_ctrl, (j + 1) * n_ctrl)) + [G * n_ctrl + j], dtype=np.int64)
             for j in unit_range(G)]
    slen = 1 + 2 * depth * width + G
    return LayerSpec(CODE, n_in, n_read(n_in, width, read_depth, read), G, blocks, slen, units, act=act,
                     opts=(width, depth, read_depth), ints=np.array([READS[read]], dtype=np.int64), kind="stack",
                     options={"width": width, "depth": depth, "read_depth": read_depth, "read": read})


@njit(cache=True, error_model="numpy")
def step(L, k, ix, fx, w, ws):
    n_in, n_out, act = L[k, NIN], L[k, NOUT], L[k, ACT]
    m, D = L[k, OPT1], L[k, OPT2]
    p, s, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    H, hy = L[k + 1, NOUT], L[k + 1, YOFF]        # the controller's output h_{t-1}
    G = ACTIONS + m
    S, Sn, z = s + 1, s + 1 + D * m, s + 1 + 2 * D * m
    if ws[s] != 0.0:
        for j in range(G):
            a = w[p + G * H + j]
            for i in range(H):
                a += w[p + j * H + i] * ws[hy + i]
            ws[z + j] = a
        mx = max(ws[z], max(ws[z + 1], ws[z + 2]))
        e0, e1, e2 = math.exp(ws[z] - mx), math.exp(ws[z + 1] - mx), math.exp(ws[z + 2] - mx)
        tot = e0 + e1 + e2
        a_push, a_pop, a_no = e0 / tot, e1 / tot, e2 / tot
        for c in range(m):
            ws[Sn + c] = a_push * activate(act, ws[z + ACTIONS + c]) + a_pop * (ws[S + m + c] if D > 1 else 0.0) \
                + a_no * ws[S + c]
        for i in range(1, D):
            for c in range(m):
                below = ws[S + (i + 1) * m + c] if i + 1 < D else 0.0
                ws[Sn + i * m + c] = a_push * ws[S + (i - 1) * m + c] + a_pop * below + a_no * ws[S + i * m + c]
        for j in range(D * m):
            ws[S + j] = ws[Sn + j]
    ws[s] = 1.0
    if ix[L[k, IOFF]] == 0:
        for j in range(n_in):
            ws[y + j] = ws[x + j]
        for j in range(n_out - n_in):
            ws[y + n_in + j] = ws[S + j]
    else:
        r = n_out // n_in - 1
        for i in range(n_in):
            xi = ws[x + i]
            ws[y + i * (r + 1)] = xi
            for j in range(r):
                ws[y + i * (r + 1) + 1 + j] = xi * ws[S + j]


@njit(cache=True, error_model="numpy")
def step_lanes(L, k, ix, fx, W, ws):
    """:func:`step` for a block of individuals (evornn.nets.lanes)."""
    n_in, n_out, act = L[k, NIN], L[k, NOUT], L[k, ACT]
    m, D = L[k, OPT1], L[k, OPT2]
    p, s, x, y = L[k, POFF], L[k, SOFF], L[k, XOFF], L[k, YOFF]
    H, hy = L[k + 1, NOUT], L[k + 1, YOFF]
    G = ACTIONS + m
    S, Sn, z = s + 1, s + 1 + D * m, s + 1 + 2 * D * m
    n = nlanes(ws)
    nl = U(rt_lanes(ws))
    if ws[U(s * n)] != 0:                         # the same in every lane: all start together
        acc = lane_acc(ws)
        for j in range(G):
            lload(acc, W, p + G * H + j)
            ldot(acc, W, p + j * H, ws, hy, H)
            lstore(ws, z + j, acc)
        lact_rows(act, ws, z + ACTIONS, m)        # the pushed element, in place
        a_push, a_pop, a_no = lane_acc(ws), lane_acc(ws), lane_acc(ws)
        o0, o1, o2 = U(z * n), U((z + 1) * n), U((z + 2) * n)
        for l in range(nl):
            z0, z1, z2 = ws[o0 + l], ws[o1 + l], ws[o2 + l]
            mx = z1 if z1 > z0 else z0
            mx = z2 if z2 > mx else mx
            a_push[l] = vexp(z0 - mx)
            a_pop[l] = vexp(z1 - mx)
            a_no[l] = vexp(z2 - mx)
        for l in range(nl):
            tot = a_push[l] + a_pop[l] + a_no[l]
            a_push[l] = a_push[l] / tot
            a_pop[l] = a_pop[l] / tot
            a_no[l] = a_no[l] / tot
        for i in range(D):
            for c in range(m):
                on = U((Sn + i * m + c) * n)
                oc = U((S + i * m + c) * n)
                oa = U((z + ACTIONS + c) * n) if i == 0 else U((S + (i - 1) * m + c) * n)
                if i + 1 < D:
                    ob = U((S + (i + 1) * m + c) * n)
                    for l in range(nl):
                        ws[on + l] = a_push[l] * ws[oa + l] + a_pop[l] * ws[ob + l] + a_no[l] * ws[oc + l]
                else:
                    for l in range(nl):
                        ws[on + l] = a_push[l] * ws[oa + l] + a_pop[l] * 0 + a_no[l] * ws[oc + l]
        lcopy(ws, Sn, S, D * m)
    o = U(s * n)
    for l in range(nl):
        ws[o + l] = 1
    if ix[L[k, IOFF]] == 0:
        lcopy(ws, x, y, n_in)
        lcopy(ws, S, y + n_in, n_out - n_in)
    else:
        r = n_out // n_in - 1
        for i in range(n_in):
            lcopy(ws, x + i, y + i * (r + 1), 1)
            ox = U((x + i) * n)
            for j in range(r):
                oy = U((y + i * (r + 1) + 1 + j) * n)
                os_ = U((S + j) * n)
                for l in range(nl):
                    ws[oy + l] = ws[ox + l] * ws[os_ + l]
