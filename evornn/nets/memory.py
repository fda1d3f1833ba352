"""Memory operations of the neural Turing machine and the differentiable neural computer.

The kernels of :mod:`evornn.nets.cells.ntm` and :mod:`evornn.nets.cells.dnc`, one function per
equation of the papers (Graves, Wayne & Danihelka 2014, "Neural Turing machines", arXiv:1410.5401,
section 3; Graves et al. 2016, "Hybrid computing using a neural network with dynamic external
memory", Nature 538, Methods). The tests check each against a NumPy oracle.

Every vector lives in the workspace ``ws`` as consecutive rows: element i of the vector at row
``r`` is ``ws[(r + i) * n + l]``, with ``n`` the number of lanes and ``l`` the lane (``n = 1,
l = 0`` for the one-individual kernels, :mod:`evornn.nets.lanes` for blocks). A memory of N rows
of width M at row ``mem`` holds M(i, j) at row ``mem + i * M + j``. Each lane runs the same scalar
code, so a result never depends on the lane, the block or the thread.
"""
import math

from numba import njit

EPS = 1e-8          # cosine similarity: u.v / (|u| |v| + EPS), 0 for an empty row


@njit(cache=True, inline="always")
def at(r, n, l):
    return r * n + l


@njit(cache=True, error_model="numpy")
def softplus(x):
    return x + math.log1p(math.exp(-x)) if x > 0.0 else math.log1p(math.exp(x))


@njit(cache=True, error_model="numpy")
def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


@njit(cache=True, error_model="numpy")
def softmax(ws, v, N, n, l):
    """ws rows v..v+N-1 = softmax of themselves (the largest subtracted first)."""
    m = ws[at(v, n, l)]
    for i in range(1, N):
        m = max(m, ws[at(v + i, n, l)])
    z = 0.0
    for i in range(N):
        e = math.exp(ws[at(v + i, n, l)] - m)
        ws[at(v + i, n, l)] = e
        z += e
    for i in range(N):
        ws[at(v + i, n, l)] /= z


@njit(cache=True, error_model="numpy")
def similarity(ws, mem, N, M, key, out, n, l):
    """out[i] = K(key, M(i)) = key . M(i) / (|key| |M(i)| + EPS), cosine similarity (NTM eq. 6)."""
    kk = 0.0
    for j in range(M):
        kk += ws[at(key + j, n, l)] ** 2
    kn = math.sqrt(kk)
    for i in range(N):
        d = 0.0
        mm = 0.0
        for j in range(M):
            v = ws[at(mem + i * M + j, n, l)]
            d += ws[at(key + j, n, l)] * v
            mm += v * v
        ws[at(out + i, n, l)] = d / (kn * math.sqrt(mm) + EPS)


@njit(cache=True, error_model="numpy")
def content(ws, mem, N, M, key, beta, out, n, l):
    """out = softmax_i(beta K(key, M(i))): content addressing with key strength beta (NTM eq. 5)."""
    similarity(ws, mem, N, M, key, out, n, l)
    for i in range(N):
        ws[at(out + i, n, l)] *= beta
    softmax(ws, out, N, n, l)


@njit(cache=True, error_model="numpy")
def interpolate(ws, wc, w_prev, g, N, n, l):
    """wc = g wc + (1 - g) w_prev: the interpolation gate (NTM eq. 7), in place."""
    for i in range(N):
        ws[at(wc + i, n, l)] = g * ws[at(wc + i, n, l)] + (1.0 - g) * ws[at(w_prev + i, n, l)]


@njit(cache=True, error_model="numpy")
def shift(ws, wg, s, out, N, n, l):
    """out[i] = sum_j wg[j] s(i - j) over the shifts -1, 0, +1 (rows s..s+2), indices mod N (NTM eq. 8)."""
    for i in range(N):
        acc = 0.0
        for d in range(3):                          # shift d - 1
            acc += ws[at(wg + (i - (d - 1)) % N, n, l)] * ws[at(s + d, n, l)]
        ws[at(out + i, n, l)] = acc


@njit(cache=True, error_model="numpy")
def sharpen(ws, w, gamma, out, N, n, l):
    """out[i] = w[i]^gamma / sum_j w[j]^gamma (NTM eq. 9); left as w when every power is 0."""
    z = 0.0
    for i in range(N):
        z += ws[at(w + i, n, l)] ** gamma
    for i in range(N):
        v = ws[at(w + i, n, l)]
        ws[at(out + i, n, l)] = v ** gamma / z if z > 0.0 else v


@njit(cache=True, error_model="numpy")
def argmax(ws, v, N, n, l):
    """The index of the largest of rows v..v+N-1, the first on ties."""
    b = 0
    for i in range(1, N):
        if ws[at(v + i, n, l)] > ws[at(v + b, n, l)]:
            b = i
    return b


@njit(cache=True, error_model="numpy")
def hard_address(ws, mem, N, M, key, jump, s, w, tmp, n, l):
    """Hard-attention ENTM addressing (Greve, Jacobsen & Risi 2016): w is one-hot. When the jump gate
    exceeds 0.5 the head jumps to the location most similar to ``key`` (cosine similarity, the first
    on ties), else it stays; then it moves by the largest of the three shift logits s (-1, 0, +1)."""
    pos = argmax(ws, w, N, n, l)
    if jump > 0.5:
        similarity(ws, mem, N, M, key, tmp, n, l)
        pos = argmax(ws, tmp, N, n, l)
    pos = (pos + argmax(ws, s, 3, n, l) - 1) % N
    for i in range(N):
        ws[at(w + i, n, l)] = 1.0 if i == pos else 0.0


@njit(cache=True, error_model="numpy")
def read(ws, mem, N, M, w, r, n, l):
    """r = sum_i w[i] M(i) (NTM eq. 2)."""
    for j in range(M):
        acc = 0.0
        for i in range(N):
            acc += ws[at(w + i, n, l)] * ws[at(mem + i * M + j, n, l)]
        ws[at(r + j, n, l)] = acc


@njit(cache=True, error_model="numpy")
def erase(ws, mem, N, M, w, e, n, l):
    """M(i) = M(i) * (1 - w[i] e) (NTM eq. 3)."""
    for i in range(N):
        wi = ws[at(w + i, n, l)]
        for j in range(M):
            ws[at(mem + i * M + j, n, l)] *= 1.0 - wi * ws[at(e + j, n, l)]


@njit(cache=True, error_model="numpy")
def add(ws, mem, N, M, w, a, n, l):
    """M(i) = M(i) + w[i] a (NTM eq. 4)."""
    for i in range(N):
        wi = ws[at(w + i, n, l)]
        for j in range(M):
            ws[at(mem + i * M + j, n, l)] += wi * ws[at(a + j, n, l)]


# -- the differentiable neural computer (Graves et al. 2016, Methods) --------------------------------
@njit(cache=True, error_model="numpy")
def usage(ws, u, ww, wr, R, free, N, n, l):
    """u = (u + ww - u * ww) * psi, psi[i] = prod_k (1 - f_k wr_k[i]): the previous write weighting
    ww, read weightings wr (R rows of N) and free gates f (R rows)."""
    for i in range(N):
        ui, wi = ws[at(u + i, n, l)], ws[at(ww + i, n, l)]
        psi = 1.0
        for k in range(R):
            psi *= 1.0 - ws[at(free + k, n, l)] * ws[at(wr + k * N + i, n, l)]
        ws[at(u + i, n, l)] = (ui + wi - ui * wi) * psi


@njit(cache=True, error_model="numpy")
def allocation(ws, u, order, a, N, n, l):
    """a[phi_j] = (1 - u[phi_j]) prod_{i<j} u[phi_i], phi the locations by rising usage (a stable
    sort: the lower index first on ties); rows ``order`` hold phi (as numbers)."""
    for i in range(N):                              # insertion sort of the indices by usage
        j = i
        ui = ws[at(u + i, n, l)]
        while j > 0 and ws[at(u + int(ws[at(order + j - 1, n, l)]), n, l)] > ui:
            ws[at(order + j, n, l)] = ws[at(order + j - 1, n, l)]
            j -= 1
        ws[at(order + j, n, l)] = i
    prod = 1.0
    for j in range(N):
        i = int(ws[at(order + j, n, l)])
        ui = ws[at(u + i, n, l)]
        ws[at(a + i, n, l)] = (1.0 - ui) * prod
        prod *= ui


@njit(cache=True, error_model="numpy")
def write_weighting(ws, a, cw, g_a, g_w, ww, N, n, l):
    """ww = g_w (g_a a + (1 - g_a) cw)."""
    for i in range(N):
        ws[at(ww + i, n, l)] = g_w * (g_a * ws[at(a + i, n, l)] + (1.0 - g_a) * ws[at(cw + i, n, l)])


@njit(cache=True, error_model="numpy")
def link(ws, lk, p, ww, N, n, l):
    """L[i, j] = (1 - ww[i] - ww[j]) L[i, j] + ww[i] p[j] for i != j, L[i, i] = 0 (the previous
    precedence p), then p = (1 - sum_i ww[i]) p + ww."""
    for i in range(N):
        wi = ws[at(ww + i, n, l)]
        for j in range(N):
            o = at(lk + i * N + j, n, l)
            if i == j:
                ws[o] = 0.0
            else:
                ws[o] = (1.0 - wi - ws[at(ww + j, n, l)]) * ws[o] + wi * ws[at(p + j, n, l)]
    s = 0.0
    for i in range(N):
        s += ws[at(ww + i, n, l)]
    for i in range(N):
        ws[at(p + i, n, l)] = (1.0 - s) * ws[at(p + i, n, l)] + ws[at(ww + i, n, l)]


@njit(cache=True, error_model="numpy")
def directional(ws, lk, w, out, N, transpose, n, l):
    """out = L w (forward weighting f) or, with ``transpose``, L^T w (backward weighting b)."""
    for i in range(N):
        acc = 0.0
        for j in range(N):
            lij = ws[at(lk + j * N + i, n, l)] if transpose else ws[at(lk + i * N + j, n, l)]
            acc += lij * ws[at(w + j, n, l)]
        ws[at(out + i, n, l)] = acc
