"""Calling Numba kernels specialised on compile-time constants, from Python, without re-typing.

A network-in-the-loop kernel (pole balancing) runs fastest when the network's layer codes and the
problem's switches (single or double pole, velocities, friction) are compile-time constants: the
loop then calls the cell's step itself and the physics has no branches left (see
:func:`evornn.nets.kernels.step_codes`). Such a kernel asks for its first arguments as literals
with ``numba.literally``. Called from Python, Numba would type every call with plain types first,
fail, and type it again with literals: tens of milliseconds per call. :func:`call` does that once
per set of literal values and argument types, then calls the compiled entry point directly.
"""
from __future__ import annotations

import threading

from numba import types, typeof

_ENTRIES: dict = {}
_LOCK = threading.Lock()


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
        sig = tuple(types.literal(v) for v in lits) + rest
        cres = kernel.overloads.get(sig)
        if cres is not None:
            _ENTRIES[key] = cres.entry_point
    return out
