"""Network-in-the-loop kernels compiled for one network: the speed of a hand-written loop.

A kernel that steps a network once per step of a long loop (pole balancing: 100,000 steps of a
5-unit network and the cart physics) spends most of its time in the generic network step when
that step is generic: ``net_step`` -> ``layer_step`` -> the cell, each call level passing the five
arrays again, and every loop bound read from the layer table at run time (measured: 1.30 times a
plain C program of the same workload, ``benchmarks/bench_pole.py``).

Such a kernel can instead be compiled for the network it runs. :func:`network_key` gives every
network whose layers are one cell, or a cell and a dense readout (every single-core architecture),
a key: a hash of its layer table. A kernel takes the key as a compile-time literal
(``numba.literally``); inside, :func:`loop_network` returns that layer table as a compile-time
constant and the cell steps of its layers, inlined into the loop, so every size and offset is a
constant, as in C (``#define H 5``). Each network then compiles its own loop once (about two
seconds; Numba's cache keeps it across processes, the key being a hash of the table's contents).
Other networks (stacked, rmlp) get key 0 and the generic step with the run-time table.

Called from Python, a kernel with literal arguments would be typed twice on every call (plain
types, then literals): :func:`call` does that once per set of literal values and argument types,
then calls the compiled entry point directly.
"""
from __future__ import annotations

import hashlib
import threading

import numpy as np
from numba import njit, types, typeof
from numba.core import errors

from .cells import ctrnn, dense, esn, gru, indrnn, jordan, lstm, mtrnn, narx, second_order, srn
from .kernels import net_step

GENERIC = 0
_CELLS = (dense, srn, ctrnn, mtrnn, esn, narx, jordan, lstm, gru, indrnn, second_order)
# The cells' steps again, marked for inlining into the specialised loops only (the generic
# layer_step keeps calling the cached functions; inlining all eleven there makes it slower).
_INLINED = {m.CODE: njit(inline="always", error_model="numpy")(m.step.py_func) for m in _CELLS}
_TABLES: dict[int, np.ndarray] = {}
_ENTRIES: dict = {}
_LOCK = threading.Lock()


@njit(cache=True, error_model="numpy", inline="always")
def all_layers(L, k, ix, fx, w, ws):
    """:func:`net_step` with a cell step's signature (``k`` unused): the generic network step,
    inlined into the loop so that it adds no call level of its own."""
    net_step(L, ix, fx, w, ws)


@njit(cache=True, error_model="numpy")
def skip(L, k, ix, fx, w, ws):
    """A cell step's signature that does nothing (no second layer)."""


def network_key(L: np.ndarray) -> int:
    """The literal that specialises a kernel to the network of layer table ``L`` (0: generic)."""
    n = L.shape[0]
    if not (n == 1 or (n == 2 and int(L[1, 0]) == dense.CODE)) or int(L[0, 0]) not in _INLINED:
        return GENERIC
    table = np.ascontiguousarray(L, dtype=np.int64)
    digest = hashlib.sha256(repr(table.shape).encode() + table.tobytes()).digest()
    key = int.from_bytes(digest[:8], "little") >> 2 or 1          # 1 .. 2**62 - 1
    with _LOCK:
        if key not in _TABLES:
            frozen = table.copy()
            frozen.flags.writeable = False
            _TABLES[key] = frozen
    return key


def loop_network(key):
    """``(table, step0, step1)`` for a kernel's ``@overload`` given the literal ``key`` (a Numba
    type): the loop runs ``step0(table, 0, ix, fx, w, ws)`` then ``step1(table, 1, ix, fx, w, ws)``.
    ``table`` is the layer table as a constant array, or None for :data:`GENERIC` (use the
    kernel's run-time ``L`` and the generic step)."""
    if not isinstance(key, types.IntegerLiteral):
        raise errors.TypingError("the network key must be a compile-time literal (numba.literally)")
    k = key.literal_value
    if k == GENERIC:
        return None, all_layers, skip
    table = _TABLES[k]
    step1 = _INLINED[dense.CODE] if table.shape[0] == 2 else skip
    return table, _INLINED[int(table[0, 0])], step1


def call(kernel, n_literal: int, *args):
    """``kernel(*args)`` with its first ``n_literal`` arguments (ints or bools) compiled as literals."""
    lits = args[:n_literal]
    rest = tuple(typeof(a) for a in args[n_literal:])
    key = (kernel, lits, tuple(type(v) for v in lits), rest)
    entry = _ENTRIES.get(key)
    if entry is not None:
        return entry(*args)
    with _LOCK:
        out = kernel(*args)                         # compiles (or loads from the cache) the specialisation
        cres = kernel.overloads.get(tuple(types.literal(v) for v in lits) + rest)
        if cres is not None:
            _ENTRIES[key] = cres.entry_point
    return out
