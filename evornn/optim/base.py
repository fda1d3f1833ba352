"""The ask/tell interface every optimiser implements, and its checkpointable state.

An optimiser is a small object holding its sizes, its settings (a frozen dataclass ``Config``
whose fields are the keys a config file may set) and its state. It *maximises* fitness: ``ask``
returns a (P, n_params) float64 population, ``tell`` receives that population and its fitness
(P,). All its randomness comes from the ``numpy.random.Generator`` it is given.

State for checkpoints is plain data: the attributes named in ``state_fields`` (arrays, numbers,
strings, lists) plus the Generator's state, so a run can be saved as .npz/.json (no pickle) and
resumed bit for bit.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from abc import ABC, abstractmethod
from typing import Any, Callable, ClassVar

import numpy as np

InitFn = Callable[[np.random.Generator, int], np.ndarray]


@dataclasses.dataclass(frozen=True)
class NoConfig:
    pass


class Strategy(ABC):
    """Base of all optimisers. Subclasses set ``name``, ``Config`` and ``state_fields``."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    Config: ClassVar[type] = NoConfig
    state_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, n_params: int, config: Any, rng: np.random.Generator, init: InitFn):
        if int(n_params) < 1:
            raise ValueError(f"{self.name}: n_params must be >= 1, got {n_params}")
        self.n_params = int(n_params)
        self.config = config if config is not None else self.Config()
        self.rng = rng
        self.init = init
        self.best_x: np.ndarray | None = None
        self.best_f = -np.inf

    @abstractmethod
    def ask(self) -> np.ndarray:
        """The next population to evaluate, (P, n_params) float64."""

    @abstractmethod
    def tell(self, population: np.ndarray, fitness: np.ndarray) -> None:
        """Take the fitness (P,) of the population ``ask`` returned."""

    def info(self) -> dict[str, Any]:
        """Facts about the search so far for the run's summary (e.g. restarts); json-able."""
        return {}

    def evaluations_counted(self, population: np.ndarray) -> int:
        """What the generation that evaluated ``population`` adds to the run's evaluation count:
        its rows. Gradient trainers count the sequences their epoch presented instead."""
        return int(population.shape[0])

    def _track_best(self, population: np.ndarray, fitness: np.ndarray) -> None:
        i = int(np.argmax(fitness))
        if fitness[i] > self.best_f:
            self.best_f = float(fitness[i])
            self.best_x = population[i].copy()

    # -- checkpoint state -------------------------------------------------------------------
    def get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """(arrays, json-able metadata) that :meth:`set_state` restores exactly."""
        arrays, meta = {}, {"rng": self.rng.bit_generator.state, "best_f": self.best_f}
        if self.best_x is not None:
            arrays["best_x"] = self.best_x
        for f in self.state_fields:
            v = getattr(self, f)
            if isinstance(v, np.ndarray):
                arrays[f] = v
            else:
                meta[f] = v
        return arrays, meta

    def set_state(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        self.rng.bit_generator.state = meta["rng"]
        self.best_f = float(meta["best_f"])
        self.best_x = np.array(arrays["best_x"]) if "best_x" in arrays else None
        for f in self.state_fields:
            setattr(self, f, np.array(arrays[f]) if f in arrays else meta.get(f))


def make_config(cls: type, values: dict[str, Any], where: str) -> Any:
    """Build the frozen dataclass ``cls`` from ``values``, with one-line errors for bad keys or types."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for k, v in values.items():
        if k not in fields:
            raise ValueError(f"{where}: unknown setting {k!r}; allowed: {', '.join(fields)}")
        default = fields[k].default
        if default is not dataclasses.MISSING and default is not None:
            ok = isinstance(v, type(default)) or (isinstance(default, float) and isinstance(v, int)
                                                   and not isinstance(v, bool))
            if isinstance(default, (tuple, list)) and isinstance(v, (tuple, list)):
                ok = True
            if isinstance(default, int) and isinstance(v, bool) and not isinstance(default, bool):
                ok = False
            if not ok:
                raise ValueError(f"{where}: setting {k!r} must be {type(default).__name__}, got {v!r}")
        elif v is not None:
            allowed = _annotated_types(cls, k)
            ok = not allowed or any(_is_a(v, t) for t in allowed)
            if not ok:
                names = " or ".join(t.__name__ for t in allowed)
                raise ValueError(f"{where}: setting {k!r} must be {names}, got {v!r}")
    vals = {k: (float(v) if isinstance(fields[k].default, float) and isinstance(v, int) else v)
            for k, v in values.items()}
    cfg = cls(**vals)
    check = getattr(cfg, "validate", None)
    if check is not None:
        check(where)
    return cfg


def _annotated_types(cls: type, name: str) -> tuple[type, ...]:
    """The plain types (bool, int, float, str) a field's annotation allows, () when it says more."""
    try:
        hint = typing.get_type_hints(cls).get(name)
    except Exception:   # an annotation that cannot be resolved: no check
        return ()
    args = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    plain = tuple(a for a in args if a is not type(None))
    return plain if plain and all(a in (bool, int, float, str) for a in plain) else ()


def _is_a(v: Any, t: type) -> bool:
    if t is float:
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if t is int:
        return isinstance(v, int) and not isinstance(v, bool)
    return isinstance(v, t)
