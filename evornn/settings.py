"""The one settings checker: every config section's keys and value types, in one place.

Each section is typed by a frozen dataclass (optimiser ``Config``, :class:`~evornn.stopping.StopConfig`,
:class:`~evornn.config.RunSettings`, :class:`~evornn.compare.CompareSettings`) or by a function's
signature (a problem's factory, an architecture): the default's type, or the annotation when the
default is None. A value of the wrong type, an integer outside 64 bits, or a float (anywhere inside
the value, lists and tables included) that is NaN or infinite is a one-line ValueError naming the
section and the key; a field may allow non-finite floats with ``metadata={"finite": False}``.
Value ranges are the piece's own business (a dataclass's ``validate(where)``, a factory's checks).
"""
from __future__ import annotations

import dataclasses
import inspect
import math
import types
import typing
from typing import Any, Callable

INT64 = 2 ** 63
_EMPTY = inspect.Parameter.empty


def make_config(cls: type, values: dict[str, Any], where: str) -> Any:
    """The frozen dataclass ``cls`` from ``values`` (keys and types checked), then its ``validate(where)``."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = _hints(cls)
    for k, v in values.items():
        if k not in fields:
            raise ValueError(f"{where}: unknown setting {k!r}; allowed: {', '.join(fields)}")
        f = fields[k]
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else _EMPTY)
        check_value(where, k, v, default, hints.get(k), f.metadata.get("finite", True), number_as_list=False)
    vals = {k: (float(v) if _is_float_field(fields[k], hints.get(k)) and isinstance(v, int) else v)
            for k, v in values.items()}
    vals = {k: (tuple(v) if isinstance(fields[k].default, tuple) and isinstance(v, list) else v)
            for k, v in vals.items()}
    cfg = cls(**vals)
    check = getattr(cfg, "validate", None)
    if check is not None:
        check(where)
    return cfg


def check_call(fn: Callable, values: dict[str, Any], where: str, skip: tuple[str, ...] = (),
               owner: str = "") -> None:
    """Check ``values`` against the keyword parameters of ``fn`` (a problem's factory or class, an
    architecture; ``owner`` names it in errors): unknown keys (unless it takes ``**options``) and
    types (from the defaults, or the annotations where the default is None)."""
    params = {k: p for k, p in inspect.signature(fn).parameters.items()
              if k not in skip and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    open_ended = any(p.kind == p.VAR_KEYWORD for p in inspect.signature(fn).parameters.values())
    hints = _hints(fn.__init__ if isinstance(fn, type) else fn)
    for k, v in values.items():
        p = params.get(k)
        if p is None:
            if not open_ended:
                of = f" of {owner}" if owner else ""
                raise ValueError(f"{where}: unknown setting {k!r}{of}; allowed: {', '.join(params)}")
            check_value(where, k, v, _EMPTY, None)        # still no NaN/Inf, no huge integers
            continue
        check_value(where, k, v, p.default, hints.get(k))


def check_value(where: str, key: str, v: Any, default: Any = _EMPTY, hint: Any = None, finite: bool = True,
                number_as_list: bool = True) -> None:
    """One value: its type against the default's (or the annotation's), then NaN/Inf and 64 bits.
    ``number_as_list``: a list setting also takes one number (``hidden = 8`` for ``[8]``)."""
    plain = _plain(hint)     # an annotation naming several plain types (str | int) allows each
    allowed = plain if (default is None or default is _EMPTY or len(plain) > 1) else _kind_of(default, number_as_list)
    if allowed and not any(_is_a(v, t) for t in allowed):
        names = " or ".join("a list" if t in (list, tuple) else "a table" if t is dict else t.__name__ for t in allowed)
        raise ValueError(f"{where}.{key} must be {names}, got {v!r}")
    bad = _bad_number(v, finite)
    if bad is not None:
        raise ValueError(f"{where}.{key} must be {bad}, got {v!r}")


def _bad_number(v: Any, finite: bool) -> str | None:
    """What is wrong with a number anywhere inside ``v`` (None: nothing)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return None if -INT64 <= v < INT64 else "an integer that fits in 64 bits"
    if isinstance(v, float):
        return None if (math.isfinite(v) or not finite) else "a finite number"
    if isinstance(v, (list, tuple)):
        return next((b for x in v if (b := _bad_number(x, finite)) is not None), None)
    if isinstance(v, dict):
        return next((b for x in v.values() if (b := _bad_number(x, finite)) is not None), None)
    return None


def _kind_of(default: Any, number_as_list: bool) -> tuple[type, ...]:
    if isinstance(default, bool):
        return (bool,)
    if isinstance(default, (int, float, str, dict)):
        return (type(default) if not isinstance(default, float) else float,)
    if isinstance(default, (tuple, list)):
        return (list, int) if number_as_list else (list,)
    return ()


def _plain(hint: Any) -> tuple[type, ...]:
    """The plain types (bool, int, float, str, list, dict) an annotation allows, () when it says more."""
    if hint is None:
        return ()
    args = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    out = []
    for a in args:
        if a is type(None):
            continue
        origin = typing.get_origin(a) or a
        if origin in (bool, int, float, str):
            out.append(origin)
        elif origin in (list, tuple):
            out.append(list)
        elif origin is dict:
            out.append(dict)
        else:
            return ()
    return tuple(out)


def _is_a(v: Any, t: type) -> bool:
    if t is float:
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if t is int:
        return isinstance(v, int) and not isinstance(v, bool)
    if t in (list, tuple):
        return isinstance(v, (list, tuple))
    return isinstance(v, t)


def _is_float_field(f: dataclasses.Field, hint: Any) -> bool:
    return isinstance(f.default, float) and not isinstance(f.default, bool) or _plain(hint) == (float,)


def _hints(obj: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(obj)
    except Exception:   # an annotation that cannot be resolved: the defaults alone decide
        return {}
