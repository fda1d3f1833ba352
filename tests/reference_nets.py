"""Plain-NumPy implementations of every architecture, written from the literature's equations.

They are the oracles the Numba kernels are tested against: slow, obvious, one function each,
taking the named parameter blocks (``net.unflatten(w)``) and an input sequence X (T, n_in).
"""
import numpy as np

ACT = {
    "linear": lambda a: a,
    "sigmoid": lambda a: 1.0 / (1.0 + np.exp(-a)),
    "tanh": np.tanh,
    "relu": lambda a: np.where(a < 0.0, 0.0, a),
}


def dense(p, prefix, x, act):
    return ACT[act](p[prefix + "W"] @ x + p[prefix + "b"])


def srn_sequence(p, prefix, X, act, bias=True):
    """h_t = act(W_in x_t + W_rec h_{t-1} + b), h_0 = 0; returns H (T, n_hidden)."""
    H = p[prefix + "W_rec"].shape[0]
    h = np.zeros(H)
    out = []
    for x in X:
        a = p[prefix + "W_in"] @ x + p[prefix + "W_rec"] @ h
        if bias:
            a = a + p[prefix + "b"]
        h = ACT[act](a)
        out.append(h)
    return np.array(out)


def frnn(p, X, n_out, act="sigmoid"):
    """Williams & Zipser: outputs are the first n_out units of the fully connected layer."""
    return srn_sequence(p, "", X, act)[:, :n_out]


def elman(p, X, act="sigmoid", out_act="linear"):
    Hs = srn_sequence(p, "", X, act)
    return np.array([dense(p, "out.", h, out_act) for h in Hs])


def mlp(p, X, n_hidden_layers, act="tanh", out_act="linear"):
    out = []
    for x in X:
        for k in range(n_hidden_layers):
            x = dense(p, f"layer{k}.", x, act)
        out.append(dense(p, "out.", x, out_act))
    return np.array(out)


def rmlp(p, X, n_hidden_layers, act="tanh", out_act="linear"):
    for k in range(n_hidden_layers):
        X = srn_sequence(p, f"layer{k}.", X, act)
    return np.array([dense(p, "out.", h, out_act) for h in X])
