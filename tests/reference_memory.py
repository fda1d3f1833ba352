"""Plain-NumPy neural Turing machine (Graves et al. 2014, section 3), ENTM (Greve et al. 2016) and
DNC (Graves et al. 2016, Methods), written from the papers' equations: the oracles of
evornn/nets/memory.py and of the ntm and dnc networks. Vectors are 1-d arrays, memories (N, M)."""
import numpy as np

EPS = 1e-8


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def softplus(a):
    return np.log1p(np.exp(-np.abs(a))) + np.maximum(a, 0.0)


def softmax(a):
    e = np.exp(a - np.max(a))
    return e / e.sum()


def cosine(Mem, k):
    return Mem @ k / (np.linalg.norm(Mem, axis=1) * np.linalg.norm(k) + EPS)


def content(Mem, k, beta):                      # eqs. 5-6
    return softmax(beta * cosine(Mem, k))


def interpolate(wc, w_prev, g):                 # eq. 7
    return g * wc + (1.0 - g) * w_prev


def shift(wg, s):                               # eq. 8: s = (s(-1), s(0), s(+1))
    return s[0] * np.roll(wg, -1) + s[1] * wg + s[2] * np.roll(wg, 1)


def sharpen(w, gamma):                          # eq. 9
    p = w ** gamma
    return p / p.sum()


def read(Mem, w):                               # eq. 2
    return w @ Mem


def erase(Mem, w, e):                           # eq. 3
    return Mem * (1.0 - np.outer(w, e))


def add(Mem, w, a):                             # eq. 4
    return Mem + np.outer(w, a)


def hard_address(Mem, k, jump, s, w_prev):
    """ENTM: jump to the most similar location if jump > 0.5, then move by argmax s - 1."""
    pos = int(np.argmax(w_prev))
    if jump > 0.5:
        pos = int(np.argmax(cosine(Mem, k)))
    pos = (pos + int(np.argmax(s)) - 1) % len(w_prev)
    return np.eye(len(w_prev))[pos]


def usage(u, ww, wr, f):                        # wr (R, N), f (R,)
    psi = np.prod(1.0 - f[:, None] * wr, axis=0)
    return (u + ww - u * ww) * psi


def allocation(u):
    phi = np.argsort(u, kind="stable")
    a = np.zeros_like(u)
    for j, i in enumerate(phi):
        a[i] = (1.0 - u[i]) * np.prod(u[phi[:j]])
    return a


def link(Lk, p, ww):
    """(L_t, p_t) from L_{t-1}, p_{t-1} and ww_t."""
    Ln = (1.0 - ww[:, None] - ww[None, :]) * Lk + np.outer(ww, p)
    np.fill_diagonal(Ln, 0.0)
    return Ln, (1.0 - ww.sum()) * p + ww


# -- whole networks (elman controller, sigmoid; linear dense readout) ------------------------
def _elman(p, c, h):
    return sigmoid(p["ctrl.W_in"] @ c + p["ctrl.W_rec"] @ h + p["ctrl.b"])


def ntm_net(p, X, N, M, R, Wh, addressing="soft"):
    soft = addressing == "soft"
    hs = M + (6 if soft else 4)
    H = p["ctrl.W_rec"].shape[0]
    Mem = np.zeros((N, M))
    ws = [np.eye(N)[0] for _ in range(R + Wh)]
    r = np.zeros(R * M)
    h = np.zeros(H)
    out = []

    def heads(q, w_prev, Mem):
        k = q[:M]
        if not soft:
            return hard_address(Mem, k, sigmoid(q[M]), softmax(q[M + 1:M + 4]), w_prev)
        beta, g, s, gamma = softplus(q[M]), sigmoid(q[M + 1]), softmax(q[M + 2:M + 5]), 1.0 + softplus(q[M + 5])
        return sharpen(shift(interpolate(content(Mem, k, beta), w_prev, g), s), gamma)

    for x in X:
        u = np.concatenate([x, r])
        h = _elman(p, u, h)
        q = p["mem.W_heads"] @ h + p["mem.b_heads"] + (p["mem.D"] @ u if "mem.D" in p else 0.0)   # direct path
        wq = [q[R * hs + i * (hs + 2 * M):R * hs + (i + 1) * (hs + 2 * M)] for i in range(Wh)]
        for i in range(Wh):
            ws[R + i] = heads(wq[i], ws[R + i], Mem)
        for i in range(Wh):
            Mem = erase(Mem, ws[R + i], sigmoid(wq[i][hs:hs + M]))
        for i in range(Wh):
            Mem = add(Mem, ws[R + i], wq[i][hs + M:])
        reads = []
        for i in range(R):
            ws[i] = heads(q[i * hs:(i + 1) * hs], ws[i], Mem)
            reads.append(read(Mem, ws[i]))
        r = np.concatenate(reads)
        out.append(p["out.W"] @ np.concatenate([h, r]) + p["out.b"])
    return np.array(out)


def dnc_net(p, X, N, M, R):
    H = p["ctrl.W_rec"].shape[0]
    Mem, u, prec, Lk, ww = np.zeros((N, M)), np.zeros(N), np.zeros(N), np.zeros((N, N)), np.zeros(N)
    wr = np.zeros((R, N))
    r = np.zeros(R * M)
    h = np.zeros(H)
    out = []
    for x in X:
        h = _elman(p, np.concatenate([x, r]), h)
        xi = p["mem.W_if"] @ h + p["mem.b_if"]
        o = 0

        def take(n):
            nonlocal o
            o += n
            return xi[o - n:o]
        kr = take(R * M).reshape(R, M)
        br = 1.0 + softplus(take(R))
        kw = take(M)
        bw = 1.0 + softplus(take(1))[0]
        e = sigmoid(take(M))
        v = take(M)
        f = sigmoid(take(R))
        ga, gw = sigmoid(take(1))[0], sigmoid(take(1))[0]
        pi = np.array([softmax(z) for z in take(3 * R).reshape(R, 3)])
        u = usage(u, ww, wr, f)
        ww = gw * (ga * allocation(u) + (1.0 - ga) * content(Mem, kw, bw))
        Mem = add(erase(Mem, ww, e), ww, v)
        Lk, prec = link(Lk, prec, ww)
        wr = np.array([pi[i, 0] * (Lk.T @ wr[i]) + pi[i, 1] * content(Mem, kr[i], br[i]) + pi[i, 2] * (Lk @ wr[i])
                       for i in range(R)])
        r = (wr @ Mem).ravel()
        out.append(p["out.W"] @ np.concatenate([h, r]) + p["out.b"])
    return np.array(out)


# -- the ENTM's tape as Greve, Jacobsen & Risi's code keeps it (a list of locations) ------------------
class ENTMTape:
    """One combined read/write head on a list of locations that grows at either end (the code's
    MinimalTuringMachine, bounded at N locations as its later port: past an end it wraps)."""

    def __init__(self, N, M, write="interpolate"):
        self.N, self.M, self.tape, self.p, self.write = N, M, [np.zeros(M)], 0, write

    def step(self, c):
        """c = [a (M), interpolation, jump, shift (3)]: write (interpolated, or overwritten when the
        interpolation is >= 0.5: the code's two write modes), jump, shift, read."""
        M = self.M
        a, i, j, s = c[:M], c[M], c[M + 1], c[M + 2:M + 5]
        if self.write == "overwrite":
            if i >= 0.5:
                self.tape[self.p] = a.copy()
        else:
            self.tape[self.p] = i * a + (1.0 - i) * self.tape[self.p]
        if j >= 0.5:
            sims = [1.0 - np.abs(a - v).sum() / M for v in self.tape]
            self.p = int(np.argmax(sims))                       # the first largest
        d = int(np.argmax(s)) - 1
        full = len(self.tape) >= self.N
        if d == 1:
            if self.p < len(self.tape) - 1:
                self.p += 1
            elif full:
                self.p = 0
            else:
                self.tape.append(np.zeros(M))
                self.p += 1
        elif d == -1:
            if self.p > 0:
                self.p -= 1
            elif full:
                self.p = len(self.tape) - 1
            else:
                self.tape.insert(0, np.zeros(M))
        return self.tape[self.p].copy()
