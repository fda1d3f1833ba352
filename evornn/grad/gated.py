"""Forward (storing activations) and backward steps of the gated cells, for BPTT.

LSTM with forget gate and optional peepholes (Hochreiter & Schmidhuber 1997; Gers, Schmidhuber &
Cummins 2000; Gers & Schmidhuber 2000) and the GRU of Cho et al. (2014), with the equations and
parameter layout of :mod:`evornn.nets.cells.lstm` and :mod:`evornn.nets.cells.gru`; the backward
steps are those equations differentiated (Graves 2012, "Supervised sequence labelling with
recurrent neural networks", ch. 4.6, for the LSTM). Conventions as in :mod:`evornn.grad.cells`.

LSTM store: h, c, i, f, g, o (6H), g after its squashing G (the options cell_input and cell_output
choose G and the cell output's Hs: :func:`lstm_squash`); carried adjoint: dh = dS[0:H], dc = dS[H:2H]. With the option
readout_inputs the step's input x follows h (h, x, c, i, f, g, o: 6H + n_in), so that the readout
reads [h; x] from column 0; dc is then dS[H + n_in:2H + n_in] and the adjoint of x is not used.
GRU store: h, r, z, n (4H); carried adjoint: dh = dS[0:H].
"""
import math

from numba import njit

from evornn.nets.activations import sigmoid
from evornn.nets.cells.lstm import dsquash, squash
from evornn.nets.layer import NIN, NUNITS, OPT1, OPT2, OPT3, POFF


@njit(cache=True, inline="always")
def _pre(w, p_in, p_rec, p_b, row, H, n_in, x, A, r_prev, h0, scale_off, use_scale):
    """W_in[row] . x + W_rec[row] . v + b[row], with v = A[r_prev, h0:h0+H], optionally times
    A[r_prev + 1, scale_off:scale_off+H] element-wise (the GRU's r * h_{t-1})."""
    a = w[p_b + row]
    for j in range(n_in):
        a += w[p_in + row * n_in + j] * x[j]
    for j in range(H):
        v = A[r_prev, h0 + j]
        if use_scale:
            v *= A[r_prev + 1, scale_off + j]
        a += w[p_rec + row * H + j] * v
    return a


@njit(cache=True, inline="always")
def _acc(G, w, p_in, p_rec, p_b, row, H, n_in, x, A, r_prev, da, dSp):
    """Gradient of one gate row reading h_{t-1} = A[r_prev, 0:H], with pre-activation derivative
    da; dSp[0:H] += W_rec[row]^T da (the GRU's candidate row, which reads r * h_{t-1}, is done by
    its caller)."""
    G[p_b + row] += da
    for j in range(n_in):
        G[p_in + row * n_in + j] += da * x[j]
    for j in range(H):
        G[p_rec + row * H + j] += da * A[r_prev, j]
        dSp[j] += w[p_rec + row * H + j] * da


@njit(cache=True, inline="always")
def lstm_layout(L):
    """(n_in, H, peephole, first parameter, column of c in a store row): the store is h, c, i, f, g, o,
    or with readout_inputs h, x, c, i, f, g, o (the core's output [h; x] contiguous at column 0)."""
    n_in, H = L[0, NIN], L[0, NUNITS]
    return n_in, H, L[0, OPT1], L[0, POFF], H + (n_in if L[0, OPT2] else 0)


@njit(cache=True, inline="always")
def lstm_squash(L):
    """(G's code, Hs's code) of the lstm core (layer 0): :func:`evornn.nets.cells.lstm.squash`."""
    return L[0, OPT3] % 4, L[0, OPT3] // 4


@njit(cache=True)
def lstm_forward(L, fx, w, x, A, r):
    n_in, H, peep, p, z = lstm_layout(L)
    gk, hk = lstm_squash(L)
    p_rec = p + 4 * H * n_in
    p_b = p_rec + 4 * H * H
    p_pe = p_b + 4 * H
    for i in range(H):
        c_prev = A[r - 1, z + i]
        a_i = _pre(w, p, p_rec, p_b, i, H, n_in, x, A, r - 1, 0, 0, False)
        a_f = _pre(w, p, p_rec, p_b, H + i, H, n_in, x, A, r - 1, 0, 0, False)
        a_g = _pre(w, p, p_rec, p_b, 2 * H + i, H, n_in, x, A, r - 1, 0, 0, False)
        a_o = _pre(w, p, p_rec, p_b, 3 * H + i, H, n_in, x, A, r - 1, 0, 0, False)
        if peep:
            a_i += w[p_pe + i] * c_prev
            a_f += w[p_pe + H + i] * c_prev
        ig, f, g = sigmoid(a_i), sigmoid(a_f), squash(gk, a_g)
        c = f * c_prev + ig * g
        if peep:
            a_o += w[p_pe + 2 * H + i] * c
        o = sigmoid(a_o)
        A[r, z + H + i], A[r, z + 2 * H + i], A[r, z + 3 * H + i], A[r, z + 4 * H + i] = ig, f, g, o
        A[r, z + i] = c
    for i in range(H):                       # h after all gates: they read h_{t-1} in row r - 1
        A[r, i] = A[r, z + 4 * H + i] * squash(hk, A[r, z + i])
    for j in range(z - H):                   # readout_inputs: the input, read by the readout
        A[r, H + j] = x[j]


@njit(cache=True)
def lstm_backward(L, fx, w, x, A, r, dS, dSp, tmp, G):
    n_in, H, peep, p, z = lstm_layout(L)
    gk, hk = lstm_squash(L)
    p_rec = p + 4 * H * n_in
    p_b = p_rec + 4 * H * H
    p_pe = p_b + 4 * H
    for i in range(H):
        c, c_prev = A[r, z + i], A[r - 1, z + i]
        ig, f, g, o = A[r, z + H + i], A[r, z + 2 * H + i], A[r, z + 3 * H + i], A[r, z + 4 * H + i]
        tc = squash(hk, c)
        dh = dS[i]
        da_o = dh * tc * o * (1.0 - o)
        dc = dS[z + i] + dh * o * dsquash(hk, tc)
        if peep:
            dc += da_o * w[p_pe + 2 * H + i]
        da_i = dc * g * ig * (1.0 - ig)
        da_f = dc * c_prev * f * (1.0 - f)
        da_g = dc * ig * dsquash(gk, g)
        dSp[z + i] += dc * f
        if peep:
            dSp[z + i] += da_i * w[p_pe + i] + da_f * w[p_pe + H + i]
            G[p_pe + i] += da_i * c_prev
            G[p_pe + H + i] += da_f * c_prev
            G[p_pe + 2 * H + i] += da_o * c
        _acc(G, w, p, p_rec, p_b, i, H, n_in, x, A, r - 1, da_i, dSp)
        _acc(G, w, p, p_rec, p_b, H + i, H, n_in, x, A, r - 1, da_f, dSp)
        _acc(G, w, p, p_rec, p_b, 2 * H + i, H, n_in, x, A, r - 1, da_g, dSp)
        _acc(G, w, p, p_rec, p_b, 3 * H + i, H, n_in, x, A, r - 1, da_o, dSp)


@njit(cache=True)
def gru_forward(L, fx, w, x, A, r):
    n_in, H, p = L[0, NIN], L[0, NUNITS], L[0, POFF]
    p_rec = p + 3 * H * n_in
    p_b = p_rec + 3 * H * H
    for i in range(H):
        A[r, H + i] = sigmoid(_pre(w, p, p_rec, p_b, i, H, n_in, x, A, r - 1, 0, 0, False))
        A[r, 2 * H + i] = sigmoid(_pre(w, p, p_rec, p_b, H + i, H, n_in, x, A, r - 1, 0, 0, False))
    for i in range(H):
        n = math.tanh(_pre(w, p, p_rec, p_b, 2 * H + i, H, n_in, x, A, r - 1, 0, H, True))
        z = A[r, 2 * H + i]
        A[r, 3 * H + i] = n
        A[r, i] = (1.0 - z) * n + z * A[r - 1, i]


@njit(cache=True)
def gru_backward(L, fx, w, x, A, r, dS, dSp, tmp, G):
    n_in, H, p = L[0, NIN], L[0, NUNITS], L[0, POFF]
    p_rec = p + 3 * H * n_in
    p_b = p_rec + 3 * H * H
    for j in range(H):
        tmp[j] = 0.0                         # dL/d(r * h_{t-1})
    for i in range(H):
        hp, z, n = A[r - 1, i], A[r, 2 * H + i], A[r, 3 * H + i]
        dh = dS[i]
        dSp[i] += dh * z
        da_n = dh * (1.0 - z) * (1.0 - n * n)
        da_z = dh * (hp - n) * z * (1.0 - z)
        _acc(G, w, p, p_rec, p_b, H + i, H, n_in, x, A, r - 1, da_z, dSp)
        row = 2 * H + i
        G[p_b + row] += da_n
        for j in range(n_in):
            G[p + row * n_in + j] += da_n * x[j]
        for j in range(H):
            G[p_rec + row * H + j] += da_n * A[r, H + j] * A[r - 1, j]
            tmp[j] += w[p_rec + row * H + j] * da_n
    for j in range(H):
        rj = A[r, H + j]
        dSp[j] += tmp[j] * rj
        da_r = tmp[j] * A[r - 1, j] * rj * (1.0 - rj)
        _acc(G, w, p, p_rec, p_b, j, H, n_in, x, A, r - 1, da_r, dSp)
