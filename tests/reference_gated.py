"""Plain-NumPy oracles for the Jordan, LSTM, GRU, IndRNN and second-order cells.

Written from the equations in the literature (see each cell module's docstring), independently of
the kernels: each ``*_sequence`` takes the named blocks (``net.unflatten(w)``), a block-name
``prefix`` and an input sequence X (T, n_in), starts from the zero state and returns the core's
outputs (T, n_out_of_core). The compositions at the bottom build whole networks from them.
"""
import numpy as np

from reference_nets import ACT, dense


def sig(a):
    return 1.0 / (1.0 + np.exp(-a))


# The cell input's and cell output's squashing functions (either takes any): tanh, the logistic
# sigmoid scaled to [-2, 2] and to [-1, 1] (Gers, Schmidhuber & Cummins 2000), the identity (Gers,
# Schraudolph & Schmidhuber 2002).
SQUASH = {"tanh": np.tanh, "sigmoid2": lambda a: 4.0 / (1.0 + np.exp(-a)) - 2.0,
          "sigmoid1": lambda a: 2.0 / (1.0 + np.exp(-a)) - 1.0, "identity": lambda a: a}


def lstm_sequence(p, prefix, X, peephole=False, cell_input="tanh", cell_output="tanh"):
    """Gers et al. 2000 LSTM, gate order i, f, g, o; peepholes p_i, p_f on c_{t-1}, p_o on c_t;
    g = G(a_g), h = o Hs(c) with G, Hs named by ``cell_input``, ``cell_output`` (:data:`SQUASH`)."""
    G, Hs = SQUASH[cell_input], SQUASH[cell_output]
    W, U, b = p[prefix + "W_in"], p[prefix + "W_rec"], p[prefix + "b"]
    n_hidden = U.shape[1]
    pi, pf, po = p[prefix + "peep"] if peephole else np.zeros((3, n_hidden))
    h, c = np.zeros(n_hidden), np.zeros(n_hidden)
    out = []
    for x in X:
        i = sig(W[0] @ x + U[0] @ h + pi * c + b[0])
        f = sig(W[1] @ x + U[1] @ h + pf * c + b[1])
        g = G(W[2] @ x + U[2] @ h + b[2])
        c = f * c + i * g
        o = sig(W[3] @ x + U[3] @ h + po * c + b[3])
        h = o * Hs(c)
        out.append(h)
    return np.array(out)


def gru_sequence(p, prefix, X):
    """Cho et al. 2014 GRU, gate order r, z, n; the reset gate multiplies h before U_n."""
    W, U, b = p[prefix + "W_in"], p[prefix + "W_rec"], p[prefix + "b"]
    h = np.zeros(U.shape[1])
    out = []
    for x in X:
        r = sig(W[0] @ x + U[0] @ h + b[0])
        z = sig(W[1] @ x + U[1] @ h + b[1])
        n = np.tanh(W[2] @ x + U[2] @ (r * h) + b[2])
        h = (1.0 - z) * n + z * h
        out.append(h)
    return np.array(out)


def indrnn_sequence(p, prefix, X, act="relu"):
    """Li et al. 2018: h_t = act(W_in x_t + u * h_{t-1} + b)."""
    W, u, b = p[prefix + "W_in"], p[prefix + "u"], p[prefix + "b"]
    h = np.zeros(u.shape[0])
    out = []
    for x in X:
        h = ACT[act](W @ x + u * h + b)
        out.append(h)
    return np.array(out)


def second_order_sequence(p, prefix, X, act="sigmoid"):
    """Giles et al. 1992: h_i,t = act(sum_jk W[i, j, k] h_j,t-1 x_k,t + b_i)."""
    W, b = p[prefix + "W"], p[prefix + "b"]
    h = np.zeros(W.shape[0])
    out = []
    for x in X:
        h = ACT[act](np.einsum("ijk,j,k->i", W, h, x) + b)
        out.append(h)
    return np.array(out)


def jordan_sequence(p, prefix, X, act="sigmoid", out_act="linear", mu=0.5):
    """Jordan 1986: c_t = mu c_{t-1} + y_{t-1}; h_t = act(W_in x + W_ctx c + b); y_t = out_act(W_out h + b_out)."""
    W_in, W_ctx, b = p[prefix + "W_in"], p[prefix + "W_ctx"], p[prefix + "b"]
    W_out, b_out = p[prefix + "W_out"], p[prefix + "b_out"]
    c = np.zeros(W_out.shape[0])
    y = np.zeros(W_out.shape[0])
    out = []
    for x in X:
        c = mu * c + y
        h = ACT[act](W_in @ x + W_ctx @ c + b)
        y = ACT[out_act](W_out @ h + b_out)
        out.append(y)
    return np.array(out)


def recursive_sequence(p, prefix, X, act="tanh"):
    """Recursive net over the left-branching tree of a sequence: h_t = act(W [h_{t-1}; E x_t] + b), h_0 = 0."""
    E, W, b = p[prefix + "E"], p[prefix + "W"], p[prefix + "b"]
    h = np.zeros(W.shape[0])
    out = []
    for x in X:
        h = ACT[act](W @ np.concatenate([h, E @ x]) + b)
        out.append(h)
    return np.array(out)


SEQUENCES = {
    "recursive": recursive_sequence,
    "lstm": lstm_sequence,
    "gru": gru_sequence,
    "indrnn": indrnn_sequence,
    "second-order": second_order_sequence,
    "jordan": jordan_sequence,
}


def single(cell, p, X, n_out, readout, readout_act="linear", readout_inputs=False, **kw):
    """One core; readout "dense" (blocks "out.", activation readout_act) or "none" (its first n_out outputs).
    ``readout_inputs``: the dense readout reads [h_t; x_t].

    ``kw`` go to the core's sequence function (act, out_act, mu, peephole)."""
    Hs = SEQUENCES[cell](p, "", X, **kw)
    if readout == "none":
        return Hs[:, :n_out]
    if readout_inputs:
        Hs = np.concatenate([Hs, X], axis=1)
    return np.array([dense(p, "out.", h, readout_act) for h in Hs])


def stacked(cell, p, X, n_layers, readout_act="linear", **kw):
    """Cores "layer0.", "layer1.", ... each reading the previous one's outputs, then dense "out."."""
    for k in range(n_layers):
        X = SEQUENCES[cell](p, f"layer{k}.", X, **kw)
    return np.array([dense(p, "out.", h, readout_act) for h in X])


def bidirectional(cell, p, X, readout_act="linear", **kw):
    """Schuster & Paliwal 1997: "fwd." over t, "bwd." over reversed t (zero start), out = W [hf; hb] + b."""
    Hf = SEQUENCES[cell](p, "fwd.", X, **kw)
    Hb = SEQUENCES[cell](p, "bwd.", X[::-1], **kw)[::-1]
    return np.array([dense(p, "out.", np.concatenate([hf, hb]), readout_act) for hf, hb in zip(Hf, Hb)])
