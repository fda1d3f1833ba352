"""Optimisers by registry name (modules imported only when asked for)."""
from __future__ import annotations

import importlib

STRATEGIES = {
    "ga": "evornn.optim.ga",
    "sa": "evornn.optim.sa",
    "pso": "evornn.optim.pso",
    "rwg": "evornn.optim.rwg",
    "cosyne": "evornn.optim.cosyne",
    "esp": "evornn.optim.esp",
    "cmaes": "evornn.optim.cmaes",
    "bptt": "evornn.grad.strategy",
    "rtrl": "evornn.grad.rtrl_strategy",
    "esn-ridge": "evornn.grad.esn_ridge",
}


def available() -> list[str]:
    out = []
    for name, mod in STRATEGIES.items():
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name == mod:
                continue
            raise
        out.append(name)
    return out


def get_strategy(name: str) -> type:
    """The Strategy class registered as ``name``."""
    if name not in STRATEGIES:
        raise ValueError(f"unknown optimiser {name!r}; choose one of {', '.join(available())}")
    try:
        return importlib.import_module(STRATEGIES[name]).STRATEGY
    except ModuleNotFoundError as e:
        if e.name == STRATEGIES[name]:
            raise ValueError(f"optimiser {name!r} is not available yet; choose one of {', '.join(available())}") from None
        raise


def describe(name: str) -> str:
    return get_strategy(name).description
