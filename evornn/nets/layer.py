"""The layer table: how a network is described to the Numba kernels.

A network is a short list of layers. Each layer is one row of an int64 table ``L`` whose columns
are named below; the kernels read everything they need from that row, from the network's float
data ``fx`` and int data ``ix`` (fixed, non-evolved data such as an echo-state reservoir or time
constants), from the chromosome ``w`` (the layer's parameters start at ``L[k, POFF]``) and from the
workspace ``ws`` (the layer's input at ``L[k, XOFF]``, its output at ``L[k, YOFF]``, its state and
scratch memory at ``L[k, SOFF]``). Because every kernel takes the same argument types, each cell
compiles once.

On the Python side a cell module builds a :class:`LayerSpec`; :mod:`evornn.nets.network` lays the
specs out one after another.
"""
from __future__ import annotations

import contextlib
import contextvars
import math
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

# Columns of the layer table.
CODE, NIN, NOUT, NUNITS, POFF, SOFF, SLEN, XOFF, YOFF, FOFF, IOFF, ACT, ACT2, OPT1, OPT2, OPT3 = range(16)
NCOL = 16

# Activation codes.
LINEAR, SIGMOID, TANH, RELU = 0, 1, 2, 3
ACTIVATIONS = {"linear": LINEAR, "sigmoid": SIGMOID, "tanh": TANH, "relu": RELU}


def activation_code(name: str, allowed: tuple[str, ...] = ("linear", "sigmoid", "tanh", "relu"),
                    what: str = "activation") -> int:
    """Return the kernel code of an activation name, or raise a one-line ValueError."""
    if name not in allowed:
        raise ValueError(f"{what} {name!r} is not allowed here; choose one of {', '.join(allowed)}")
    return ACTIVATIONS[name]


@dataclass(frozen=True)
class Block:
    """A named block of a layer's parameters: ``shape`` and how to initialise it.

    ``init`` is ``("fan_in", fan_in)`` for uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    ``("const", value)``, ``("uniform", low, high)``, ``("spectral", rho)`` (a square block drawn
    uniform in [-1, 1] and scaled to spectral radius rho, each chromosome's on its own: an echo
    state network's recurrent matrix) or ``("rows", values)``: row r of the block
    (its first axis) filled with ``values[r]`` (with as many values as the block has elements: each
    element its value, in C order).
    """

    name: str
    shape: tuple[int, ...]
    init: tuple = ("const", 0.0)

    @property
    def size(self) -> int:
        return math.prod(int(d) for d in self.shape)    # exact (np.prod wraps around past 2**63)


@dataclass
class LayerSpec:
    """One layer as the cell module describes it, before it is placed in a network.

    ``units``: for each neuron of the layer, the parameter indices (relative to the layer's first
    parameter) that feed it. ``state_len``: persistent state plus scratch memory in the workspace.
    ``opts``: up to three integer options (columns OPT1..OPT3); ``act``/``act2``: activation codes.
    ``floats``/``ints``: fixed data appended to the network's ``fx``/``ix``.
    """

    code: int
    n_in: int
    n_out: int
    n_units: int
    blocks: list[Block]
    state_len: int
    units: list[np.ndarray]
    act: int = LINEAR
    act2: int = LINEAR
    opts: tuple[int, ...] = ()
    floats: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ints: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    kind: str = ""
    options: dict = field(default_factory=dict)
    # Bytes of fixed data left out while only the layout was wanted (:func:`layout_only`), plus
    # what drawing it would take at its peak: 0 for a layer built in full.
    deferred_bytes: int = 0

    @property
    def n_params(self) -> int:
        return sum(b.size for b in self.blocks)

    def block_offsets(self) -> dict[str, int]:
        out, off = {}, 0
        for b in self.blocks:
            out[b.name] = off
            off += b.size
        return out


# -- the layout alone, before anything big is allocated --------------------------------------------
_LAYOUT_ONLY: contextvars.ContextVar[bool] = contextvars.ContextVar("evornn_layout_only", default=False)


@contextlib.contextmanager
def layout_only() -> Iterator[None]:
    """Within this block, cells build only their layout: blocks, sizes, state and small options, not
    the neuron groups (``units`` is empty) nor large fixed data (declared in ``deferred_bytes``).
    A network built so tells its parameter count, workspace and memory at the cost of its layer
    table, whatever its size (:func:`evornn.memory.layout` uses it to refuse a network too
    big to allocate before building it)."""
    token = _LAYOUT_ONLY.set(True)
    try:
        yield
    finally:
        _LAYOUT_ONLY.reset(token)


def sizing() -> bool:
    """True inside :func:`layout_only`."""
    return _LAYOUT_ONLY.get()


def unit_range(n: int) -> range:
    """``range(n)``, over which a cell builds its ``n`` neuron groups; empty inside :func:`layout_only`
    (the groups hold an index per parameter: as large as a chromosome)."""
    return range(0 if _LAYOUT_ONLY.get() else n)


def dense_units(n_units: int, n_in: int, w_off: int, b_off: int | None) -> list[np.ndarray]:
    """Neuron groups of a row-major (n_units, n_in) weight matrix at ``w_off`` plus biases at ``b_off``."""
    groups = []
    for i in unit_range(n_units):
        idx = list(range(w_off + i * n_in, w_off + (i + 1) * n_in))
        if b_off is not None:
            idx.append(b_off + i)
        groups.append(np.asarray(idx, dtype=np.int64))
    return groups
