"""Plain-NumPy oracles for the ctrnn, mtrnn, esn and narx cells, written from the equations.

Each ``*_sequence`` takes the named blocks (``net.unflatten(w)``), a block-name prefix and inputs
X (T, n_in) and returns the core's outputs (T, m) from the zero state; :func:`with_readout` and
:func:`bidirectional` compose them as the architectures do.
"""
import numpy as np

from reference_nets import ACT, dense


def ctrnn_sequence(p, prefix, X, n_out, act="sigmoid", dt=0.1):
    """Beer (1995): tau dy/dt = -y + W_rec s(y + theta) + W_in x, Euler with alpha = min(dt/tau, 1)."""
    s = ACT[act]
    W_in, W_rec = p[prefix + "W_in"], p[prefix + "W_rec"]
    theta, tau = p[prefix + "theta"], np.exp(p[prefix + "log_tau"])
    alpha = np.minimum(dt / tau, 1.0)
    y = np.zeros(W_rec.shape[0])
    out = []
    for x in X:
        y = y + alpha * (-y + W_rec @ s(y + theta) + W_in @ x)
        out.append(s(y + theta)[:n_out])
    return np.array(out)


def mtrnn_sequence(p, prefix, X, n_out, n_slow, tau_fast=5.0, tau_slow=70.0, act="tanh"):
    """Yamashita & Tani (2008): u_t = (1 - 1/tau) u + (1/tau)(W_rec y + W_in x (fast only) + b)."""
    f = ACT[act]
    W_in, W_rec, b = p[prefix + "W_in"], p[prefix + "W_rec"], p[prefix + "b"]
    H = W_rec.shape[0]
    n_fast = H - n_slow
    tau = np.concatenate([np.full(n_fast, tau_fast), np.full(n_slow, tau_slow)])
    u = np.zeros(H)
    out = []
    for x in X:
        drive = W_rec @ f(u) + b
        drive[:n_fast] += W_in @ x
        u = (1.0 - 1.0 / tau) * u + drive / tau
        out.append(f(u)[:n_out])
    return np.array(out)


def esn_sequence(res, X, readout_inputs=True):
    """Jaeger (2001, 2007): x_t = (1 - a) x + a tanh(W_in u + b + W_res x); output [u; x] or x."""
    W, W_in, b, a = res["W_res"], res["W_in"], res["b"], res["leak_rate"]
    x = np.zeros(W.shape[0])
    out = []
    for u in X:
        x = (1.0 - a) * x + a * np.tanh(W_in @ u + b + W @ x)
        out.append(np.concatenate([u, x]) if readout_inputs else x.copy())
    return np.array(out)


def narx_sequence(p, prefix, X, du=2, dy=2, act="tanh", out_act="linear"):
    """Lin et al. (1996): h = act(W_x [x_t..x_{t-du}] + W_y [y_{t-1}..y_{t-dy}] + b), y = out_act(W_out h + b_out)."""
    n_in = X.shape[1]
    n_out = p[prefix + "W_out"].shape[0]
    Ys = []
    for t in range(len(X)):
        xs = [X[t - d] if t - d >= 0 else np.zeros(n_in) for d in range(du + 1)]
        ys = [Ys[t - d] if t - d >= 0 else np.zeros(n_out) for d in range(1, dy + 1)]
        h = ACT[act](p[prefix + "W_x"] @ np.concatenate(xs) + p[prefix + "W_y"] @ np.concatenate(ys) + p[prefix + "b"])
        Ys.append(ACT[out_act](p[prefix + "W_out"] @ h + p[prefix + "b_out"]))
    return np.array(Ys)


def with_readout(p, Hs, out_act="linear", prefix="out."):
    """A dense readout y_t = out_act(W h_t + b) over core outputs Hs (T, m)."""
    return np.array([dense(p, prefix, h, out_act) for h in Hs])


def bidirectional(p, X, core, out_act="linear"):
    """Schuster & Paliwal (1997): ``core(p, prefix, X)`` run forward ("fwd.") and over the reversed
    sequence ("bwd."), re-reversed, concatenated per step and read by the dense readout "out."."""
    fwd = core(p, "fwd.", X)
    bwd = core(p, "bwd.", X[::-1])[::-1]
    return with_readout(p, np.concatenate([fwd, bwd], axis=1), out_act)
