"""Validation of cell options: each failure is a one-line ValueError naming the option and what is allowed."""
from __future__ import annotations

import math
import numbers

from ..layer import ACTIVATIONS


def real(cell: str, name: str, value, lo: float = -math.inf, hi: float = math.inf, *,
         lo_open: bool = False, hi_open: bool = False) -> float:
    """``value`` as a float in [lo, hi] (open at either end on request), or a ValueError."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        v = float(value)
        ok = (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi)
    if not ok:
        lb, rb = "(" if lo_open else "[", ")" if hi_open else "]"
        raise ValueError(f"{cell}: {name} must be a finite number in {lb}{lo:g}, {hi:g}{rb}, got {value!r}")
    return float(value)


def integer(cell: str, name: str, value, lo: int, hi: int | None = None) -> int:
    """``value`` as an int in [lo, hi], or a ValueError."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if ok:
        ok = lo <= int(value) and (hi is None or int(value) <= hi)
    if not ok:
        rng = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise ValueError(f"{cell}: {name} must be an integer {rng}, got {value!r}")
    return int(value)


def activation(cell: str, code: int, allowed: tuple[str, ...], what: str = "activation") -> int:
    """Check an activation code against the names the cell allows."""
    if code not in [ACTIVATIONS[a] for a in allowed]:
        name = {v: k for k, v in ACTIVATIONS.items()}.get(code, code)
        raise ValueError(f"{cell}: {what} {name!r} is not allowed; choose one of {', '.join(allowed)}")
    return code
