"""The cells: one module each, and this registry, the one place that lists them.

A cell module has a unique integer ``CODE`` (the layer table's first column), ``build(...)`` returning
a :class:`~evornn.nets.layer.LayerSpec`, ``step(L, k, ix, fx, w, ws)`` (one individual; the pole
kernels and every other closed loop) and ``step_lanes(L, k, ix, fx, W, ws)`` (a block of
individuals in vector lanes, :mod:`evornn.nets.lanes`; the sequence kernels), and a docstring with
its citation and equations. Adding a cell is its module plus one ``register`` line below: the
kernels (:mod:`evornn.nets.specialise`) compile a network's steps from this table, only for the cells
that network uses, and the tests check every registered cell against its NumPy oracle.

:data:`CELLS` is the registry by name (kebab-case: ``second-order``); :data:`CODES` the same modules
by ``CODE``, the index the kernels dispatch on. A cell module that also sets ``DEFAULT_ACTIVATION``
and whose ``build(n_in, n_hidden, n_out, act, **options)`` writes its first ``n_out`` units to its
output is usable by name as the core of ``stacked`` and ``bidirectional`` networks
(``[network] cell = "my-cell"``), from a plugin too.
"""
from __future__ import annotations

from types import ModuleType

from evornn.registry import Registry

CELLS = Registry("cell")
CODES: dict[int, ModuleType] = {}


def register(module: ModuleType, name: str | None = None) -> ModuleType:
    """Add a cell module to the registry (its ``CODE`` must be new); ``name`` defaults to the
    module's own name in kebab-case."""
    for attr in ("CODE", "build", "step", "step_lanes"):
        if not hasattr(module, attr):
            raise TypeError(f"cell module {module.__name__} has no {attr!r}")
    code = int(module.CODE)
    if code < 1 or code in CODES and CODES[code] is not module:
        raise ValueError(f"cell {module.__name__}: code {code} is taken by {CODES[code].__name__}"
                         if code in CODES else f"cell {module.__name__}: code must be >= 1, got {code}")
    if code in CODES:
        return module
    first = " ".join((module.__doc__ or "").strip().split("\n\n")[0].split()).split(". ")[0].rstrip(".")
    CELLS.register(name or module.__name__.rsplit(".", 1)[-1].replace("_", "-"), module, first)
    CODES[code] = module
    return module


def cell_name(code: int) -> str:
    """The short name of the cell with ``code`` (its module's name)."""
    return CODES[int(code)].__name__.rsplit(".", 1)[-1]


from . import dense, srn, ctrnn, mtrnn, esn, narx, jordan, lstm, gru, indrnn, second_order  # noqa: E402
from . import hopfield, hopfield_continuous, bam, modern_hopfield  # noqa: E402
from . import lsm  # noqa: E402
from . import stack  # noqa: E402
from . import neat_net  # noqa: E402
from . import encdec_switch  # noqa: E402
from . import ntm, dnc  # noqa: E402

register(dense)
register(srn)
register(ctrnn)
register(mtrnn)
register(esn)
register(narx)
register(jordan)
register(lstm)
register(gru)
register(indrnn)
register(second_order)
register(hopfield)
register(hopfield_continuous)
register(bam)
register(modern_hopfield)
register(lsm)
register(stack)
register(neat_net)
register(encdec_switch)
register(ntm)
register(dnc)

from . import recursive, history_compressor  # noqa: E402
register(recursive)
register(history_compressor)

from . import entm_tape  # noqa: E402
register(entm_tape)
