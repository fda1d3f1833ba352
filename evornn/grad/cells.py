"""Forward (storing activations) and backward steps of the simple layers, for BPTT and RTRL.

Backpropagation through time (Werbos 1990, "Backpropagation through time: what it does and how to
do it", Proc. IEEE 78(10); Rumelhart, Hinton & Williams 1986) over the layers of
:mod:`evornn.nets.cells` with the same parameter layout as their forward kernels: ``dense``
(y = act(W x + b)), ``srn`` (frnn and elman: h_t = act(W_in x_t + W_rec h_{t-1} + b)), ``indrnn``
(h_t = act(W_in x_t + u * h_{t-1} + b)) and ``jordan`` (c_t = mu c_{t-1} + y_{t-1},
h_t = act(W_in x_t + W_ctx c_t + b), y_t = out_act(W_out h_t + b_out)).

Conventions. A sequence's activations are the rows of ``A`` (T + 1, width): row 0 is the zero
initial state, row r = t - t0 + 1 holds step t. The first ``sw`` columns are the recurrent core's
stored quantities (its *store*), the dense layers' outputs follow. The adjoint ``dS`` has the
store's indexing: dS[j] = dL/dA[r, j] (only the recurrent entries are carried between steps). A
backward step reads ``dS`` (row r) and adds into ``dSp`` (row r - 1, zeroed by the caller) and
into the gradient ``G``, which has the chromosome's indexing. Derivatives of the activations are
taken from their outputs (relu: 1 where the output is > 0).
"""
from numba import njit

from evornn.nets.activations import activate
from evornn.nets.layer import ACT, ACT2, FOFF, NIN, NOUT, NUNITS, OPT1, POFF, RELU, SIGMOID, TANH


@njit(cache=True, inline="always")
def dact(code, y):
    """d act(a) / da written with y = act(a)."""
    if code == SIGMOID:
        return y * (1.0 - y)
    if code == TANH:
        return 1.0 - y * y
    if code == RELU:
        return 1.0 if y > 0.0 else 0.0
    return 1.0


# -- dense layers -------------------------------------------------------------------------------
@njit(cache=True)
def dense_offset(L, k0, k, sw):
    """Column of dense layer k's output in a store row (dense layers k0.. follow the core's store)."""
    off = sw
    for m in range(k0, k):
        off += L[m, NOUT]
    return off


@njit(cache=True)
def dense_forward(L, k0, w, xin, xoff, row, sw):
    """Run dense layers k0..end: the first reads xin[xoff:], each writes its output into ``row``."""
    src, soff = xin, xoff
    off = sw
    for k in range(k0, L.shape[0]):
        n_in, n_out, act, p = L[k, NIN], L[k, NOUT], L[k, ACT], L[k, POFF]
        b = p + n_out * n_in
        for i in range(n_out):
            a = 0.0
            for j in range(n_in):
                a += w[p + i * n_in + j] * src[soff + j]
            if L[k, OPT1]:
                a += w[b + i]
            row[off + i] = activate(act, a)
        src, soff = row, off
        off += n_out


@njit(cache=True)
def dense_backward(L, k0, w, xin, xoff, row, sw, delta, tmp, G):
    """Backpropagate dL/d(last output) in ``delta`` through dense layers k0..end of ``row``.

    On return ``delta[:NIN[k0]]`` holds dL/d(input of layer k0); G gets the layers' gradients.
    """
    for k in range(L.shape[0] - 1, k0 - 1, -1):
        n_in, n_out, act, p = L[k, NIN], L[k, NOUT], L[k, ACT], L[k, POFF]
        b = p + n_out * n_in
        off = dense_offset(L, k0, k, sw)
        if k == k0:
            src, soff = xin, xoff
        else:
            src, soff = row, dense_offset(L, k0, k - 1, sw)
        for j in range(n_in):
            tmp[j] = 0.0
        for i in range(n_out):
            da = delta[i] * dact(act, row[off + i])
            if L[k, OPT1]:
                G[b + i] += da
            for j in range(n_in):
                G[p + i * n_in + j] += da * src[soff + j]
                tmp[j] += w[p + i * n_in + j] * da
        for j in range(n_in):
            delta[j] = tmp[j]


# -- srn (frnn, elman) -----------------------------------------------------------------------------
@njit(cache=True)
def srn_forward(L, fx, w, x, A, r):
    n_in, H, act, bias, p = L[0, NIN], L[0, NUNITS], L[0, ACT], L[0, OPT1], L[0, POFF]
    p_rec = p + H * n_in
    p_b = p_rec + H * H
    for i in range(H):
        a = 0.0
        for j in range(n_in):
            a += w[p + i * n_in + j] * x[j]
        for j in range(H):
            a += w[p_rec + i * H + j] * A[r - 1, j]
        if bias:
            a += w[p_b + i]
        A[r, i] = activate(act, a)


@njit(cache=True)
def srn_backward(L, fx, w, x, A, r, dS, dSp, tmp, G):
    n_in, H, act, bias, p = L[0, NIN], L[0, NUNITS], L[0, ACT], L[0, OPT1], L[0, POFF]
    p_rec = p + H * n_in
    p_b = p_rec + H * H
    for i in range(H):
        da = dS[i] * dact(act, A[r, i])
        for j in range(n_in):
            G[p + i * n_in + j] += da * x[j]
        for j in range(H):
            G[p_rec + i * H + j] += da * A[r - 1, j]
            dSp[j] += w[p_rec + i * H + j] * da
        if bias:
            G[p_b + i] += da


# -- indrnn -------------------------------------------------------------------------------------
@njit(cache=True)
def indrnn_forward(L, fx, w, x, A, r):
    n_in, H, act, p = L[0, NIN], L[0, NUNITS], L[0, ACT], L[0, POFF]
    p_u = p + H * n_in
    for i in range(H):
        a = w[p_u + H + i] + w[p_u + i] * A[r - 1, i]
        for j in range(n_in):
            a += w[p + i * n_in + j] * x[j]
        A[r, i] = activate(act, a)


@njit(cache=True)
def indrnn_backward(L, fx, w, x, A, r, dS, dSp, tmp, G):
    n_in, H, act, p = L[0, NIN], L[0, NUNITS], L[0, ACT], L[0, POFF]
    p_u = p + H * n_in
    for i in range(H):
        da = dS[i] * dact(act, A[r, i])
        for j in range(n_in):
            G[p + i * n_in + j] += da * x[j]
        G[p_u + i] += da * A[r - 1, i]
        G[p_u + H + i] += da
        dSp[i] += da * w[p_u + i]


# -- jordan: store [c (n_out), h (H), y (n_out)] ----------------------------------------------------
@njit(cache=True, inline="always")
def _jordan_layout(L, fx):
    """Sizes, activations, context decay, block offsets and stored-row offsets of a jordan layer."""
    n_in, H, n_o, p = L[0, NIN], L[0, NUNITS], L[0, NOUT], L[0, POFF]
    p_ctx = p + H * n_in
    p_b = p_ctx + H * n_o
    p_out = p_b + H
    return (n_in, H, n_o, L[0, ACT], L[0, ACT2], fx[L[0, FOFF]], p, p_ctx, p_b, p_out, p_out + n_o * H,
            n_o, n_o + H)

@njit(cache=True)
def jordan_forward(L, fx, w, x, A, r):
    n_in, H, n_o, act, out_act, mu, p, p_ctx, p_b, p_out, p_bout, h, y = _jordan_layout(L, fx)
    for j in range(n_o):
        A[r, j] = mu * A[r - 1, j] + A[r - 1, y + j]
    for i in range(H):
        a = w[p_b + i]
        for j in range(n_in):
            a += w[p + i * n_in + j] * x[j]
        for j in range(n_o):
            a += w[p_ctx + i * n_o + j] * A[r, j]
        A[r, h + i] = activate(act, a)
    for j in range(n_o):
        a = w[p_bout + j]
        for i in range(H):
            a += w[p_out + j * H + i] * A[r, h + i]
        A[r, y + j] = activate(out_act, a)


@njit(cache=True)
def jordan_backward(L, fx, w, x, A, r, dS, dSp, tmp, G):
    n_in, H, n_o, act, out_act, mu, p, p_ctx, p_b, p_out, p_bout, h, y = _jordan_layout(L, fx)
    for i in range(H):
        tmp[i] = 0.0                       # dL/dh
    for j in range(n_o):
        da = dS[y + j] * dact(out_act, A[r, y + j])
        G[p_bout + j] += da
        for i in range(H):
            G[p_out + j * H + i] += da * A[r, h + i]
            tmp[i] += w[p_out + j * H + i] * da
    for j in range(n_o):
        tmp[H + j] = dS[j]                 # dL/dc_t, from c_{t+1} = mu c_t + y_t
    for i in range(H):
        da = tmp[i] * dact(act, A[r, h + i])
        G[p_b + i] += da
        for j in range(n_in):
            G[p + i * n_in + j] += da * x[j]
        for j in range(n_o):
            G[p_ctx + i * n_o + j] += da * A[r, j]
            tmp[H + j] += w[p_ctx + i * n_o + j] * da
    for j in range(n_o):                   # c_t = mu c_{t-1} + y_{t-1}
        dSp[j] += mu * tmp[H + j]
        dSp[y + j] += tmp[H + j]
