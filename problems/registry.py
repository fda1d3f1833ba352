"""Problems by registry name. Each problem module defines ``DESCRIPTION`` and ``make(**params)``."""
from __future__ import annotations

import importlib

_MODULES = {
    "pole-balance": "pole_balance",
    "reber": "reber",
    "anbn": "counting",
    "anbncn": "counting",
    "mackey-glass": "mackey_glass",
    "sines": "sines",
    "parity": "parity",
    "adding": "adding",
    "timeseries": "timeseries",
    "hopfield-recall": "hopfield_recall",
    "bam-recall": "bam_recall",
}


def available() -> list[str]:
    """Names of the problems whose modules are present."""
    out = []
    for name, mod in _MODULES.items():
        try:
            importlib.import_module(f"evornn.problems.{mod}")
        except ModuleNotFoundError:
            continue
        out.append(name)
    return out


def describe(name: str) -> str:
    return importlib.import_module(f"evornn.problems.{_MODULES[name]}").DESCRIPTION


def make_problem(name: str, **params):
    """Make the problem ``name`` with its parameters; unknown names or parameters raise ValueError."""
    if name not in _MODULES:
        raise ValueError(f"unknown problem {name!r}; choose one of {', '.join(available())}")
    mod = importlib.import_module(f"evornn.problems.{_MODULES[name]}")
    return mod.make(name, **params)
