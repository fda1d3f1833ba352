"""PyTorch export: a ``torch.nn.Module`` (float64) with the network's forward pass, built at run time.

``module(x, state=None) -> (y, state)`` with x (batch, time, n_inputs), y (batch, time,
n_outputs) and the flat state (batch, state_size) of :mod:`evornn.export.onnx_format` (zero when
``state`` is None; an empty (batch, 0) tensor for networks without one and for bidirectional
networks, which run whole sequences only). The evolved blocks are ``nn.Parameter`` s under
their own names (``layers.0.weights.W_in``), so the module can be trained further with gradients;
fixed data (an echo state reservoir, 1/tau) are buffers.

Where a cell is a torch layer exactly, that layer is used: the srn core (frnn, elman, rmlp) with
tanh or relu is ``nn.RNN`` (bias_ih = b, bias_hh = 0), the LSTM without peepholes is ``nn.LSTM``
(the same gate order i, f, g, o; bias_hh = 0). ``nn.GRU`` is not evornn's GRU: torch applies the
reset gate after the recurrent product, r * (W_hn h + b_hn), where evornn (Cho et al. 2014) has
W_n (r * h); so the GRU, the LSTM with peepholes, the srn with sigmoid or linear units and every
other cell run the step of :mod:`evornn.export.equations` in a Python loop over time. The
associative memories (hopfield, hopfield-continuous, bam) have no state across steps: their step
(one recall, its sweeps a Python loop that stops once the batch is at a fixed point) runs on all
time steps at once.

Torch is imported only here; it is not a dependency of evornn. :func:`write` saves the state dict
and the JSON document in one ``torch.save`` file; :func:`load` reads it back (``weights_only``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from . import equations as eq


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError("PyTorch export needs torch (https://pytorch.org/get-started/locally/)") from None
    return torch


def build_module(doc: dict[str, Any]):
    """The ``torch.nn.Module`` of a network document (:func:`evornn.export.json_format.to_dict`)."""
    torch = _torch()
    nn = torch.nn

    class CellLayer(nn.Module):
        """One recurrent layer running :data:`evornn.export.equations.STEPS` over time (or a dense layer)."""

        def __init__(self, L: dict[str, Any]):
            super().__init__()
            self.L = L
            self.weights = nn.ParameterDict({k: nn.Parameter(torch.tensor(np.asarray(v, dtype=np.float64)))
                                             for k, v in L["weights"].items()})
            for k, v in eq.fixed_arrays(L).items():
                self.register_buffer(f"fixed_{k}", torch.tensor(np.asarray(v, dtype=np.float64)))

        # the ops of evornn.export.equations
        def w(self, key, shape=None, rows=None):
            p = self.weights[key]
            p = p if rows is None else p[rows]
            return p if shape is None else p.reshape(shape)

        def fixed(self, key, shape=None):
            v = getattr(self, f"fixed_{key}")
            return v if shape is None else v.reshape(shape)

        def lin(self, x, W): return x @ W.T
        def sigmoid(self, v): return torch.sigmoid(v)
        def tanh(self, v): return torch.tanh(v)
        def exp(self, v): return torch.exp(v)
        def min1(self, v): return torch.clamp(v, max=1.0)
        def cols(self, v, a, b): return v[..., a:b]
        def cat(self, vs): return torch.cat(vs, dim=-1)
        def outer(self, h, x): return (h.unsqueeze(2) * x.unsqueeze(1)).reshape(h.shape[0], -1)

        def act(self, name, v):
            return {"linear": lambda a: a, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
                    "relu": torch.relu}[name](v)

        # the associative memories' ops
        def symmetric(self, w, N):
            i, j = np.triu_indices(N, 1)
            M = w.new_zeros(N, N).index_put((torch.tensor(i), torch.tensor(j)), w)
            return M + M.T

        def T(self, W): return W.T
        def field(self, s, M): return torch.cumsum(s.unsqueeze(1) * M, dim=-1)[..., -1]   # left to right
        def zeros(self, x, n): return x.new_zeros(x.shape[0], n)
        def bipolar(self, x): return torch.where(x >= 0.0, 1.0, -1.0).to(x.dtype)

        def sgn(self, h, old):
            return torch.where(h > 0.0, torch.ones_like(h), torch.where(h < 0.0, -torch.ones_like(h), old))

        def at(self, v, i): return v[..., i:i + 1]
        def row(self, W, i): return W[i:i + 1]
        def set(self, v, i, u): return torch.cat([v[:, :i], u, v[:, i + 1:]], dim=1)

        def repeat(self, n, f, vs, until_fixed=False):
            for _ in range(n):
                new = f(vs)
                if until_fixed and all(torch.equal(a, b) for a, b in zip(new, vs)):
                    break                                # a fixed point: the other rounds change nothing
                vs = new
            return vs

        def each(self, order, f, vs):
            for i in order:
                vs = f(int(i), vs)
            return vs

        def forward(self, X, state, reverse=False):
            if self.L["cell"] == "dense":
                return eq.dense(self, self.L, X), []
            step = eq.STEPS[self.L["cell"]]
            if not self.L["state"]:                      # no state (hopfield, bam): every row at once
                B, T = X.shape[:2]
                y, _ = step(self, self.L, X.reshape(B * T, -1), [])
                return y.reshape(B, T, -1), []
            T = X.shape[1]
            ys = [None] * T
            for t in (range(T - 1, -1, -1) if reverse else range(T)):
                ys[t], state = step(self, self.L, X[:, t], state)
            return torch.stack(ys, dim=1), state

    class NativeLayer(nn.Module):
        """The srn core as ``nn.RNN`` (tanh, relu) or the LSTM without peepholes as ``nn.LSTM``."""

        def __init__(self, L: dict[str, Any]):
            super().__init__()
            self.L = L
            H, n_in, W = L["n_units"], L["n_in"], L["weights"]
            def t(a):
                return torch.tensor(np.asarray(a, dtype=np.float64))
            if L["cell"] == "lstm":
                self.rnn = nn.LSTM(n_in, H, batch_first=True, dtype=torch.float64)
                w_ih, w_hh, b = t(W["W_in"]).reshape(4 * H, n_in), t(W["W_rec"]).reshape(4 * H, H), t(W["b"]).reshape(-1)
            else:
                bias = bool(L["options"]["bias"])
                self.rnn = nn.RNN(n_in, H, nonlinearity=L["activation"], bias=bias, batch_first=True,
                                  dtype=torch.float64)
                w_ih, w_hh, b = t(W["W_in"]), t(W["W_rec"]), t(W["b"]) if bias else None
            with torch.no_grad():
                self.rnn.weight_ih_l0.copy_(w_ih)
                self.rnn.weight_hh_l0.copy_(w_hh)
                if b is not None:
                    self.rnn.bias_ih_l0.copy_(b)
                    self.rnn.bias_hh_l0.zero_()

        def forward(self, X, state, reverse=False):
            if reverse:
                X = torch.flip(X, dims=[1])
            if self.L["cell"] == "lstm":
                Y, (h, c) = self.rnn(X, (state[0].unsqueeze(0).contiguous(), state[1].unsqueeze(0).contiguous()))
                new = [h[0], c[0]]
            else:
                Y, h = self.rnn(X, state[0].unsqueeze(0).contiguous())
                new = [h[0]]
            if reverse:
                Y = torch.flip(Y, dims=[1])
            return Y[..., :self.L["n_out"]], new

    def native(L):
        if L["cell"] == "lstm":
            return not L["options"]["peephole"]
        return L["cell"] == "srn" and L["activation"] in ("tanh", "relu")

    class Network(nn.Module):
        """An evornn network (see :mod:`evornn.export.torch_format`)."""

        def __init__(self, doc: dict[str, Any]):
            super().__init__()
            self.spec = dict(doc["spec"])
            self.bidirectional = doc["topology"] == "bidirectional"
            self.state_layout = eq.state_layout(doc)
            self.state_size = eq.state_size(doc)
            self.layers = nn.ModuleList([NativeLayer(L) if native(L) else CellLayer(L) for L in doc["layers"]])

        def forward(self, x, state=None):
            B = x.shape[0]
            if self.bidirectional:
                zero = lambda L: [x.new_zeros(B, s) for _, s in L.L["state"]]
                f, _ = self.layers[0](x, zero(self.layers[0]))
                b, _ = self.layers[1](x, zero(self.layers[1]), reverse=True)
                return self.layers[2](torch.cat([f, b], dim=-1), [])[0], x.new_zeros(B, 0)
            if state is None:
                state = x.new_zeros(B, self.state_size)
            pos, finals, h = 0, [], x
            for layer in self.layers:
                pieces = []
                for _, s in layer.L["state"]:
                    pieces.append(state[:, pos:pos + s])
                    pos += s
                h, new = layer(h, pieces)
                finals += new
            return h, (torch.cat(finals, dim=1) if finals else x.new_zeros(B, 0))

    return Network(doc)


def write(doc: dict[str, Any], path: str | Path) -> Path:
    """Save the module's state dict and the document in one ``torch.save`` file."""
    torch = _torch()
    path = Path(path)
    torch.save({"network": doc, "state_dict": build_module(doc).state_dict()}, path)
    return path


def load(path: str | Path):
    """The module saved by :func:`write` (its state dict loaded: weights trained after export too)."""
    torch = _torch()
    saved = torch.load(path, weights_only=True)
    module = build_module(saved["network"])
    module.load_state_dict(saved["state_dict"])
    return module
