"""A network: layers laid out on one flat float64 chromosome, and the calls that run it."""
from __future__ import annotations

import numpy as np

from . import kernels, lanes
from .specialise import structure_key
from .threads import run_rows
from .layer import (CODE, FOFF, IOFF, NCOL, NIN, NOUT, NUNITS, OPT1, POFF, SLEN, SOFF, XOFF, YOFF,
                    ACT, ACT2, Block, LayerSpec)
from .kernels import BIDIRECTIONAL, SEQUENTIAL


class Network:
    """A recurrent (or feed-forward) network whose parameters are one flat chromosome.

    Build one with :func:`evornn.nets.build`. ``layers`` are run in order at every time step
    (``kind == SEQUENTIAL``), or, for a bidirectional network, layer 0 forward and layer 1 backward
    over the whole sequence and layer 2 as the readout of both.
    """

    def __init__(self, name: str, layers: list[LayerSpec], prefixes: list[str],
                 kind: int = SEQUENTIAL, spec: dict | None = None, readout: bool = False):
        # the sequence kernels' precision and engine: build() sets them from its options
        self.dtype = "float64"
        self.engine = "lanes"
        self.name = name
        self.layers = layers
        self.kind = kind
        self.spec = dict(spec or {"arch": name})
        self.has_readout = readout
        self.n_inputs = layers[0].n_in
        self.n_outputs = layers[-1].n_out
        L = np.zeros((len(layers), NCOL), dtype=np.int64)
        blocks, fx, ix = [], [], []
        p = f = i = 0
        s = self.n_inputs                      # ws[0:n_in] holds the input
        prev_y = 0
        for k, (lay, pre) in enumerate(zip(layers, prefixes)):
            L[k, CODE], L[k, NIN], L[k, NOUT], L[k, NUNITS] = lay.code, lay.n_in, lay.n_out, lay.n_units
            L[k, POFF], L[k, SOFF], L[k, SLEN] = p, s, lay.state_len
            L[k, FOFF], L[k, IOFF], L[k, ACT], L[k, ACT2] = f, i, lay.act, lay.act2
            for j, v in enumerate(lay.opts):
                L[k, OPT1 + j] = v
            L[k, XOFF] = prev_y
            s += lay.state_len
            L[k, YOFF] = s
            s += lay.n_out
            prev_y = L[k, YOFF]
            for b in lay.blocks:
                blocks.append((pre + b.name, p, b))
                p += b.size
            fx.append(np.asarray(lay.floats, dtype=np.float64))
            ix.append(np.asarray(lay.ints, dtype=np.int64))
            f += len(lay.floats)
            i += len(lay.ints)
        if kind == BIDIRECTIONAL:
            # Both directions read the input; their outputs are the readout's contiguous input.
            L[1, XOFF] = 0
            L[1, YOFF] = L[0, YOFF] + L[0, NOUT]
            # That output now sits where layer 1's state was laid out: move the state to the end.
            L[1, SOFF] = s
            s += L[1, SLEN]
            L[2, XOFF] = L[0, YOFF]
            L[2, YOFF] = s
            s += L[2, NOUT]
        self.L = L
        self.fx = np.concatenate(fx) if fx else np.zeros(0)
        self.ix = np.concatenate(ix) if ix else np.zeros(0, dtype=np.int64)
        self.ws_len = int(s)
        self.blocks = blocks
        self.n_params = int(p)
        self.deferred_bytes = sum(int(lay.deferred_bytes) for lay in layers)   # see layer.layout_only
        self.key = structure_key(L, kind, name)

    def __setstate__(self, state: dict) -> None:
        """Unpickled (a Ray actor, a process pool): register the structure key in this process too."""
        self.__dict__.update(state)
        self.__dict__.setdefault("dtype", "float64")
        self.__dict__.setdefault("engine", "lanes")
        self.__dict__.setdefault("deferred_bytes", 0)
        self.key = structure_key(self.L, self.kind, self.name)

    # -- the chromosome ---------------------------------------------------------------------
    @property
    def layout(self) -> dict[str, tuple[int, tuple[int, ...]]]:
        """Named blocks of the chromosome: name -> (offset, shape)."""
        return {name: (off, b.shape) for name, off, b in self.blocks}

    def unflatten(self, w: np.ndarray) -> dict[str, np.ndarray]:
        """Named views (no copies) of the blocks of chromosome ``w``."""
        w = self._check_chromosome(w)
        return {name: w[off:off + b.size].reshape(b.shape) for name, off, b in self.blocks}

    def flatten(self, params: dict[str, np.ndarray]) -> np.ndarray:
        """The chromosome holding the named blocks ``params`` (inverse of :meth:`unflatten`)."""
        missing = set(self.layout) - set(params)
        if missing:
            raise ValueError(f"missing blocks {sorted(missing)} for {self.name}; it has {list(self.layout)}")
        w = np.empty(self.n_params)
        for name, off, b in self.blocks:
            w[off:off + b.size] = np.asarray(params[name], dtype=np.float64).reshape(-1)
        return w

    def init(self, rng: np.random.Generator, n: int | None = None) -> np.ndarray:
        """A random chromosome (or ``n`` of them, shape (n, n_params)) from ``rng``."""
        W = np.empty((1 if n is None else n, self.n_params))
        for _name, off, b in self.blocks:
            W[:, off:off + b.size] = _draw(b, rng, (W.shape[0], b.size))
        return W[0] if n is None else W

    def neuron_groups(self, with_outgoing: bool = True) -> list[np.ndarray]:
        """For each neuron, the chromosome indices that feed it (its incoming weights and bias).

        With ``with_outgoing``, a hidden neuron read by the readout layer also owns its outgoing
        readout weights (as ESP's neurons do), and the output neurons keep only their biases. The
        groups are disjoint and cover every parameter.
        """
        offsets = [int(self.L[k, POFF]) for k in range(len(self.layers))]
        groups = [[g + off for g in lay.units] for lay, off in zip(self.layers, offsets)]
        if with_outgoing and self.has_readout and len(self.layers) >= 2:
            out = self.layers[-1]
            srcs = [k for k in range(len(self.layers) - 1) if self.L[k, YOFF] >= self.L[-1, XOFF]
                    and self.L[k, YOFF] < self.L[-1, XOFF] + out.n_in]
            col0 = 0
            for k in srcs:
                for i, g in enumerate(groups[k]):
                    if i >= self.layers[k].n_out:
                        break
                    col = col0 + i
                    take = offsets[-1] + col + out.n_in * np.arange(out.n_out)
                    groups[k][i] = np.concatenate([g, take])
                col0 += self.layers[k].n_out
            if srcs and all(len(groups[k]) for k in srcs):
                taken = np.concatenate([g for k in srcs for g in groups[k]])
                groups[-1] = [np.setdiff1d(g, taken) for g in groups[-1]]
        flat = [np.asarray(g, dtype=np.int64) for gs in groups for g in gs]
        return [g for g in flat if g.size]

    # -- memory (evornn.memory) ----------------------------------------------------------------
    def data_bytes(self) -> int:
        """Bytes of the network's own data, as built in full: its layer table, fixed data (for a
        layout-only build, what drawing it takes) and neuron groups (an index per parameter)."""
        groups = 8 * self.n_params + 112 * int(self.L[:, NUNITS].sum())   # int64 indices, an array each
        return int(self.L.nbytes + self.fx.nbytes + self.ix.nbytes + self.deferred_bytes + groups)

    def evaluation_bytes(self, rows: int, threads: int) -> int:
        """Bytes a population of ``rows`` chromosomes takes to run on ``threads`` threads, besides the
        population itself: the lanes engine's packed copy of it (blocks of lanes, in the network's
        dtype) and each thread's workspace (a block of lanes, or one individual's for "scalar")."""
        if self.engine == "scalar":
            return int(threads) * self.ws_len * 8
        item = np.dtype(lanes.DTYPES[self.dtype]).itemsize
        n = lanes.lanes_of_dtype(lanes.DTYPES[self.dtype])
        padded = -(-int(rows) // n) * n
        return padded * self.n_params * item + int(threads) * self.ws_len * n * item

    def outputs_bytes(self, rows: int, steps: int) -> int:
        """Bytes of :meth:`run_population`'s outputs for ``rows`` chromosomes over ``steps`` inputs:
        the kernels' blocks of lanes and the (rows, steps, n_outputs) float64 result."""
        item = np.dtype(lanes.DTYPES[self.dtype]).itemsize
        n = lanes.lanes_of_dtype(lanes.DTYPES[self.dtype])
        padded = -(-int(rows) // n) * n
        return int(steps) * self.n_outputs * (padded * item + int(rows) * 8)

    # -- running --------------------------------------------------------------------------
    @property
    def steppable(self) -> bool:
        """True when the network can run one step at a time (every kind but bidirectional)."""
        return self.kind == SEQUENTIAL

    def run(self, w: np.ndarray, X: np.ndarray, starts: np.ndarray | None = None) -> np.ndarray:
        """Outputs (T, n_out) of chromosome ``w`` over inputs X (T, n_in).

        ``starts`` (optional, increasing, from 0 to T) splits X into sequences that each start from
        the zero state.
        """
        return self.run_population(self._check_chromosome(w)[None, :], X, starts)[0]

    def run_population(self, W: np.ndarray, X: np.ndarray, starts: np.ndarray | None = None,
                       engine: str | None = None) -> np.ndarray:
        """Outputs (P, T, n_out) float64 of every row of W (P, n_params) over inputs X (T, n_in).

        ``engine`` (default: the network's, "lanes" unless built with ``engine="scalar"``):
        "lanes" runs blocks of individuals in vector lanes in the network's ``dtype``; "scalar"
        runs one individual at a time in float64 with libm's exp/tanh (the arithmetic of the
        closed-loop kernels). Both run on all threads. A row with a NaN or Inf gives NaN outputs.
        """
        W = np.ascontiguousarray(W, dtype=np.float64)
        if W.ndim != 2 or W.shape[1] != self.n_params:
            raise ValueError(f"population must have shape (P, {self.n_params}) for {self.name}, got {W.shape}")
        X, starts = self.check_inputs(X, starts)
        P, T = W.shape[0], X.shape[0]
        engine = engine or self.engine
        if engine == "scalar":
            Y = np.empty((P, T, self.n_outputs))
            run_rows(kernels.run_population, 1, P, self.key, self.L, self.ix, self.fx, W, X, starts,
                     self.ws_len, Y)
            return Y
        if engine != "lanes":
            raise ValueError(f"engine must be 'lanes' or 'scalar', got {engine!r}")
        dt = lanes.DTYPES[self.dtype]
        Wb = lanes.pack(W, dt)
        Yb = np.empty((Wb.shape[0], T * self.n_outputs * lanes.lanes_of_dtype(dt)), dtype=dt)
        run_rows(kernels.lanes_kernel(self.kind), 1, Wb.shape[0], self.key, self.L, self.ix, self.fx, Wb,
                 np.ascontiguousarray(X, dtype=dt), starts, self.ws_len, Yb)
        Y = lanes.unpack(Yb, P, T, self.n_outputs)
        bad = ~np.isfinite(W).all(axis=1)
        if bad.any():
            Y[bad] = np.nan
        return Y

    def check_inputs(self, X, starts=None) -> tuple[np.ndarray, np.ndarray]:
        X = np.ascontiguousarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise ValueError(f"inputs must have shape (T, {self.n_inputs}) for {self.name}, got {X.shape}")
        if starts is None:
            starts = np.array([0, X.shape[0]], dtype=np.int64)
        starts = np.ascontiguousarray(starts, dtype=np.int64)
        if starts[0] != 0 or starts[-1] != X.shape[0] or np.any(np.diff(starts) < 0):
            raise ValueError(f"sequence starts must rise from 0 to {X.shape[0]}, got {starts}")
        return X, starts

    def _check_chromosome(self, w) -> np.ndarray:
        w = np.asarray(w, dtype=np.float64)
        if w.shape != (self.n_params,):
            raise ValueError(f"chromosome must have shape ({self.n_params},) for {self.name}, got {w.shape}")
        return w

    def __repr__(self) -> str:
        return f"Network({self.name!r}, n_inputs={self.n_inputs}, n_outputs={self.n_outputs}, n_params={self.n_params})"


def _draw(b: Block, rng: np.random.Generator, shape) -> np.ndarray:
    kind = b.init[0]
    if kind == "fan_in":
        a = 1.0 / np.sqrt(max(b.init[1], 1))
        return rng.uniform(-a, a, shape)
    if kind == "uniform":
        return rng.uniform(b.init[1], b.init[2], shape)
    if kind == "spectral":     # a square block: uniform in [-1, 1], each draw scaled to spectral radius rho
        n = b.shape[0]
        M = rng.uniform(-1.0, 1.0, (shape[0], n, n))
        for m in M:
            r = float(np.max(np.abs(np.linalg.eigvals(m))))
            if r > 0:
                m *= b.init[1] / r
        return M.reshape(shape)
    if kind == "rows":
        return np.broadcast_to(np.repeat(np.asarray(b.init[1], dtype=float), b.size // len(b.init[1])), shape)
    return np.full(shape, float(b.init[1]))
