"""Kernels compiled for the network they run: only its cells, as fast as a hand-written loop.

A generic network step that reaches every cell through one dispatch chain compiles every cell into
every kernel that calls it (137 s from an empty cache for the parallel supervised kernel, growing
with each new cell), and pays for the chain at run time. Instead, each kernel takes a *key*, a
compile-time literal (``numba.literally``) that names what it runs:

* a **structure key** (:func:`structure_key`): the network's kind and the cell code of each layer,
  e.g. (sequential, srn, dense) for every Elman network. The kernel then calls exactly those cells'
  steps, the sizes read from the run-time layer table: one compile per architecture, whatever its
  sizes. The sequence kernels (:mod:`evornn.nets.kernels`) use these.
* a **table key** (:func:`network_key`): the whole layer table of a one-core network (a cell, or a
  cell and a dense readout), which the loop then sees as a compile-time constant with the cells
  inlined, so every size and offset is a constant, as in C. Worth it where a small network runs in
  a long closed loop (pole balancing: 1.03x a C program against 1.30x for a generic step); each
  network compiles its own loop (about two seconds) once. Other networks get their structure key.

Keys are hashes of what they name (and of the cells' source, see :func:`_source_digest`), so
Numba's on-disk cache finds the same compiled kernel in the next process, and never a stale one.
The cells come from the registry (:data:`evornn.nets.cells.CELLS`), so a new cell needs no change
here.

Called from Python, a kernel with literal arguments would be typed twice on every call (plain
types, then literals): :func:`entry` compiles (or loads from the cache) the literal signature
once per set of literal values and argument types, says so first through :data:`on_compile` when
it compiles, and returns the compiled entry point.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path
from typing import Callable

import numpy as np
from numba import njit, types, typeof
from numba._dispatcher import compute_fingerprint
from numba.core import errors
from numba.extending import overload

from ..numba_cache import in_evornn, tree_digest
from .cells import CODES, dense
from .layer import CODE

SEQUENTIAL, BIDIRECTIONAL = 0, 1
_KEYS: dict[int, tuple] = {}          # key -> ("table", table) | ("cells", kind, codes)
_NETWORK_KEYS: dict[tuple, int] = {}  # (kind, table shape, table bytes, label) -> network_key's key
_ENTRIES: dict = {}
_LOCK = threading.Lock()
_INLINED: dict[int, object] = {}
_CHAINS: dict[tuple, object] = {}
_DIGEST: bytes | None = None
_LABELS: dict[int, str] = {}
# What each kernel does, for the compile notice.
KERNEL_ROLES: dict[str, str] = {"run_population_lanes": "sequence", "run_population_lanes_bidir": "sequence",
                                "run_population": "sequence (scalar)", "score_population_lanes": "supervised",
                                "score_population_lanes_bidir": "supervised",
                                "score_population": "supervised (scalar)", "run_episodes": "pole-balance"}
# Called with one line before a kernel is compiled (not when Numba's cache has it): the CLI prints
# it; by default it goes to the "evornn" logger at INFO level.
on_compile: Callable[[str], None] = logging.getLogger("evornn").info


def _source_digest() -> bytes:
    """A digest of the source of the kernels' building blocks: every file of evornn
    (:func:`evornn.numba_cache.tree_digest`, which also makes Numba's cache notice an edit) and the
    module of every registered cell outside it (a plugin's). With this digest in every key, editing
    a cell (or upgrading evornn) gives new keys, so a kernel built from the old cells is never
    loaded again."""
    global _DIGEST
    if _DIGEST is None:
        h = hashlib.sha256(tree_digest())
        for f in sorted({Path(m.__file__) for m in CODES.values() if getattr(m, "__file__", None)}):
            if not in_evornn(str(f)):
                h.update(f.name.encode() + f.read_bytes())
        _DIGEST = h.digest()
    return _DIGEST


def _key_of(what: bytes) -> int:
    digest = hashlib.sha256(_source_digest() + what).digest()
    return int.from_bytes(digest[:8], "little") >> 2 or 1          # 1 .. 2**62 - 1


def structure_key(L: np.ndarray, kind: int = SEQUENTIAL, label: str | None = None) -> int:
    """The literal that compiles a kernel for networks of this kind and these layer cells
    (``label``, e.g. the architecture's name, names it in the compile notice)."""
    codes = tuple(int(c) for c in L[:, CODE])
    for c in codes:
        if c not in CODES:
            raise ValueError(f"layer cell code {c} is not registered (evornn.nets.cells.CODES)")
    key = _key_of(repr(("cells", int(kind), codes)).encode())
    with _LOCK:
        _KEYS.setdefault(key, ("cells", int(kind), codes))
        if label:
            _LABELS.setdefault(key, label)
    return key


def network_key(L: np.ndarray, kind: int = SEQUENTIAL, label: str | None = None) -> int:
    """The literal for a closed-loop kernel: a table key for one-core networks, else the structure key."""
    table = np.ascontiguousarray(L, dtype=np.int64)
    seen = (int(kind), table.shape, table.tobytes(), label)
    key = _NETWORK_KEYS.get(seen)          # hashing costs ~7 us; the gym problem asks every call
    if key is not None:
        return key
    n = L.shape[0]
    if kind != SEQUENTIAL or not (n == 1 or (n == 2 and int(L[1, CODE]) == dense.CODE)):
        key = _NETWORK_KEYS[seen] = structure_key(L, kind, label)
        return key
    key = _key_of(repr(table.shape).encode() + table.tobytes())
    with _LOCK:
        if key not in _KEYS:
            frozen = table.copy()
            frozen.flags.writeable = False
            _KEYS[key] = ("table", frozen)
        if label:
            _LABELS.setdefault(key, label)
    _NETWORK_KEYS[seen] = key               # after _KEYS has it: another thread may use it at once
    return key


def _literal(key) -> int:
    if not isinstance(key, types.IntegerLiteral):
        raise errors.TypingError("the network key must be a compile-time literal (numba.literally)")
    k = key.literal_value
    if k not in _KEYS:
        raise errors.TypingError(f"unknown network key {k}: make it with network_key or structure_key")
    return k


def _inlined(code: int):
    """The cell's step marked for inlining into a specialised loop."""
    if code not in _INLINED:
        _INLINED[code] = njit(inline="always", error_model="numpy")(CODES[code].step.py_func)
    return _INLINED[code]


def _chain(steps: tuple):
    """One function ``f(L, ix, fx, w, ws)`` running ``steps[k](L, k, ix, fx, w, ws)`` for every k."""
    if steps in _CHAINS:
        return _CHAINS[steps]
    run = _links(steps)

    @njit(inline="always", error_model="numpy")
    def f(L, ix, fx, w, ws):
        # A run-time 0, not a constant: a literal layer index would compile each cell's step once
        # per position in the network.
        run(L, L.shape[0] - L.shape[0], ix, fx, w, ws)
    _CHAINS[steps] = f
    return f


def _links(steps: tuple):
    """``g(L, k, ix, fx, w, ws)``: steps[0] on layer k, steps[1] on layer k + 1, ..."""
    head = steps[0]
    if len(steps) == 1:
        return head
    rest = _links(steps[1:])

    @njit(inline="always", error_model="numpy")
    def g(L, k, ix, fx, w, ws):
        head(L, k, ix, fx, w, ws)
        rest(L, k + 1, ix, fx, w, ws)
    return g


def layer_steps(key: int, lanes: bool) -> tuple:
    """The step function of each layer of structure key ``key`` (lane or one-individual steps)."""
    what = _KEYS[key]
    codes = tuple(int(c) for c in what[1][:, CODE]) if what[0] == "table" else what[2]
    return tuple(CODES[c].step_lanes if lanes else CODES[c].step for c in codes)


def kind_of(key: int) -> int:
    what = _KEYS[key]
    return SEQUENTIAL if what[0] == "table" else what[1]


def loop_network(key):
    """``(table, step)`` for a closed-loop kernel's ``@overload`` given the literal ``key`` (a Numba
    type): ``step(table, ix, fx, w, ws)`` is one network step. ``table`` is the layer table as a
    constant array (table keys, cells inlined) or None (structure keys: use the kernel's run-time
    ``L``; the chain calls only the network's own cells)."""
    k = _literal(key)
    what = _KEYS[k]
    if what[0] == "table":
        table = what[1]
        return table, _chain(tuple(_inlined(int(c)) for c in table[:, CODE]))
    if what[1] != SEQUENTIAL:
        raise errors.TypingError("a closed loop needs a network that can step (not bidirectional)")
    return None, _chain(layer_steps(k, lanes=False))


# -- the network step of a structure key, for the sequence kernels ---------------------------
def net_step_keyed(key, L, ix, fx, w, ws):
    """One step of a sequential network of structure ``key`` (one individual); Numba kernels only."""
    raise TypeError("net_step_keyed runs inside Numba kernels only")


def net_step_lanes(key, L, ix, fx, W, ws):
    """One step of a sequential network of structure ``key`` for a block of lanes; Numba only."""
    raise TypeError("net_step_lanes runs inside Numba kernels only")


def layer_step_keyed(key, j, L, ix, fx, w, ws):
    """Layer ``j`` (a literal) of structure ``key`` for one individual; Numba kernels only."""
    raise TypeError("layer_step_keyed runs inside Numba kernels only")


def layer_step_lanes(key, j, L, ix, fx, W, ws):
    """Layer ``j`` (a literal) of structure ``key`` for a block of lanes; Numba kernels only."""
    raise TypeError("layer_step_lanes runs inside Numba kernels only")


def _net_step_impl(lanes):
    def typer(key, L, ix, fx, w, ws):
        step = _chain(layer_steps(_literal(key), lanes))
        return lambda key, L, ix, fx, w, ws: step(L, ix, fx, w, ws)
    return typer


def _layer_step_impl(lanes):
    def typer(key, j, L, ix, fx, w, ws):
        if not isinstance(j, types.IntegerLiteral):
            raise errors.TypingError("the layer index must be a literal")
        steps = layer_steps(_literal(key), lanes)
        jj = j.literal_value
        if jj >= len(steps):
            return lambda key, j, L, ix, fx, w, ws: None
        step = steps[jj]
        return lambda key, j, L, ix, fx, w, ws: step(L, L.shape[0] - L.shape[0] + jj, ix, fx, w, ws)
    return typer


overload(net_step_keyed, inline="always")(_net_step_impl(False))
overload(net_step_lanes, inline="always")(_net_step_impl(True))
overload(layer_step_keyed, inline="always")(_layer_step_impl(False))
overload(layer_step_lanes, inline="always")(_layer_step_impl(True))


def _arg_key(a):
    """What Numba's type of argument ``a`` depends on (``typeof`` costs ~30 us an array): its type
    fingerprint, which Numba's dispatcher computes in C (about 0.1 us), else (a typed List, a
    string, a dict) its Numba type."""
    try:
        return compute_fingerprint(a)
    except NotImplementedError:
        return typeof(a)


def entry(kernel, n_literal: int, *args):
    """The compiled entry point of ``kernel`` for ``args``, its first ``n_literal`` as literals."""
    lits = args[:n_literal]
    try:
        types_of = tuple(map(compute_fingerprint, args))
    except NotImplementedError:                        # an argument Numba has no fingerprint for
        types_of = tuple(map(_arg_key, args))
    key = (kernel, lits, types_of)                     # the literals' types too: True == 1
    found = _ENTRIES.get(key)
    if found is not None:
        return found
    sig = tuple(types.literal(v) for v in lits) + tuple(typeof(a) for a in args[n_literal:])
    with _LOCK:
        if sig not in kernel.overloads and not _load_cached(kernel, sig):
            on_compile(_notice(kernel, lits))
            # Compile the literal specialisation directly: a plain call would first type the
            # kernel with non-literal arguments, only to be told to start again.
            kernel.compile(sig)
        found = _ENTRIES[key] = kernel.overloads[sig].entry_point
    return found


def _load_cached(kernel, sig) -> bool:
    """Load ``kernel`` for ``sig`` from Numba's on-disk cache into the dispatcher (as
    ``Dispatcher.compile`` does first); False when the cache does not have it."""
    cache = getattr(kernel, "_cache", None)
    try:
        cres = None if cache is None else cache.load_overload(sig, kernel.targetctx)
    except Exception:                       # a damaged cache entry: Numba compiles again
        return False
    if cres is None:
        return False
    if not cres.objectmode:
        kernel.targetctx.insert_user_function(cres.entry_point, cres.fndesc, [cres.library])
    kernel.add_overload(cres)
    return True


def _notice(kernel, lits) -> str:
    name = getattr(kernel, "__name__", "")
    role = KERNEL_ROLES.get(name, name)
    key = lits[0] if lits and isinstance(lits[0], int) and lits[0] in _KEYS else None
    label = _LABELS.get(key) if key is not None else None
    if label is None and key is not None:
        what = _KEYS[key]
        codes = what[1][:, CODE] if what[0] == "table" else what[2]
        label = "+".join(CODES[int(c)].__name__.rsplit(".", 1)[-1] for c in codes)
    return f"compiling the {label + ' ' if label else ''}{role} kernel (first use only; cached afterwards)"
