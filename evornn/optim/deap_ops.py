"""DEAP's genetic operators by name, with their arguments checked, and an isolated ``random`` state.

Fortin et al. (2012), "DEAP: Evolutionary Algorithms Made Easy", JMLR 13:2171-2175. The operators
are DEAP's own functions (``deap.tools``); this module only names them, checks the arguments a
config gives them, and runs them under a private :mod:`random` state (DEAP draws from Python's
global ``random`` module), so that runs are reproducible and the caller's ``random`` state is never
disturbed. NumPy versions of the commonest operators live in :mod:`evornn.optim.vectorised`.

Only operators that make sense on a fixed-length real-valued chromosome are offered; the rest of
DEAP's selection, crossover and mutation operators are listed in :data:`EXCLUDED` with the reason.
"""
from __future__ import annotations

import inspect
import math
import random
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import numpy as np
from deap import base, tools

KINDS = ("selection", "crossover", "mutation")

# kind -> DEAP name -> default keyword arguments (a user's arguments override them).
OPERATORS: dict[str, dict[str, dict[str, Any]]] = {
    "selection": {
        "selTournament": {"tournsize": 3},
        "selRoulette": {},
        "selStochasticUniversalSampling": {},
        "selBest": {},
        "selRandom": {},
        "selWorst": {},
    },
    "crossover": {
        "cxBlend": {"alpha": 0.5},
        "cxSimulatedBinary": {"eta": 20.0},
        "cxSimulatedBinaryBounded": {"eta": 20.0},   # low, up required
        "cxOnePoint": {},
        "cxTwoPoint": {},
        "cxUniform": {"indpb": 0.5},
    },
    "mutation": {
        "mutGaussian": {"mu": 0.0, "sigma": 0.3, "indpb": 0.1},
        "mutPolynomialBounded": {"eta": 20.0, "indpb": 0.1},   # low, up required
    },
}

ALIASES: dict[str, dict[str, str]] = {
    "selection": {"tournament": "selTournament", "roulette": "selRoulette",
                  "sus": "selStochasticUniversalSampling", "best": "selBest", "random": "selRandom",
                  "worst": "selWorst"},
    "crossover": {"blend": "cxBlend", "sbx": "cxSimulatedBinary", "sbx-bounded": "cxSimulatedBinaryBounded",
                  "one-point": "cxOnePoint", "two-point": "cxTwoPoint", "uniform": "cxUniform"},
    "mutation": {"gaussian": "mutGaussian", "polynomial": "mutPolynomialBounded"},
}

_MULTI = "multi-objective or per-case fitness; evornn has one fitness"
EXCLUDED: dict[str, str] = {
    "selDoubleTournament": "its parsimony tournament compares lengths, all equal here",
    "selLexicase": _MULTI, "selEpsilonLexicase": _MULTI, "selAutomaticEpsilonLexicase": _MULTI,
    "selNSGA2": _MULTI, "selNSGA3": _MULTI, "selNSGA3WithMemory": _MULTI, "selSPEA2": _MULTI,
    "selTournamentDCD": _MULTI,
    "cxPartialyMatched": "permutation operator", "cxUniformPartialyMatched": "permutation operator",
    "cxOrdered": "permutation operator", "cxMessyOnePoint": "changes the chromosome length",
    "cxESBlend": "needs an evolution-strategy 'strategy' attribute",
    "cxESTwoPoint": "needs an evolution-strategy 'strategy' attribute",
    "cxTwoPoints": "deprecated name of cxTwoPoint", "cxESTwoPoints": "deprecated",
    "mutShuffleIndexes": "permutation operator (moves genes between positions)",
    "mutInversion": "permutation operator (reverses a segment)",
    "mutFlipBit": "boolean operator", "mutUniformInt": "integer operator",
    "mutESLogNormal": "needs an evolution-strategy 'strategy' attribute",
}

# Arguments the GA itself passes; a config may not set them.
RESERVED = {"individuals", "k", "fit_attr", "ind1", "ind2", "individual"}


def _num(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)) \
        and math.isfinite(v)


def _nums(v: Any) -> bool:
    return _num(v) or (isinstance(v, (list, tuple)) and len(v) > 0 and all(_num(x) for x in v))


RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "tournsize": (lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1,
                  "an integer >= 1"),
    "indpb": (lambda v: _num(v) and 0 <= v <= 1, "a probability in [0, 1]"),
    "alpha": (lambda v: _num(v) and v >= 0, "a number >= 0"),
    "eta": (lambda v: _num(v) and v >= 0, "a number >= 0"),
    "sigma": (lambda v: _nums(v) and bool(np.all(np.asarray(v) >= 0)), "a number >= 0 or one per gene"),
    "mu": (_nums, "a number or one per gene"),
    "low": (_nums, "a number or one per gene"),
    "up": (_nums, "a number or one per gene"),
}
BOUNDED = {"cxSimulatedBinaryBounded", "mutPolynomialBounded"}


def _ops_module(kind: str):
    return {"selection": tools.selection, "crossover": tools.crossover, "mutation": tools.mutation}[kind]


def allowed(kind: str) -> str:
    """The operators of ``kind`` a config may name, as one line."""
    inv = {v: k for k, v in ALIASES[kind].items()}
    return ", ".join(f"{n} ({inv[n]})" if n in inv else n for n in OPERATORS[kind])


def resolve(kind: str, name: str, args: Any, where: str, n_params: int | None = None
            ) -> tuple[str, Callable[..., Any], dict[str, Any]]:
    """(DEAP name, function, keyword arguments) of operator ``name`` with config arguments ``args``.

    Raises a one-line ValueError naming the setting (``where.kind`` or ``where.kind_args``) and
    what is allowed. With ``n_params``, per-gene lists must have one entry per gene.
    """
    if not isinstance(name, str):
        raise ValueError(f"{where}.{kind} must be an operator name, got {name!r}; allowed: {allowed(kind)}")
    canon = ALIASES[kind].get(name, name)
    if canon not in OPERATORS[kind]:
        why = f"operator {name!r} is not usable ({EXCLUDED[canon]})" if canon in EXCLUDED else \
            f"unknown operator {name!r}"
        raise ValueError(f"{where}.{kind}: {why}; allowed: {allowed(kind)}")
    fn = getattr(_ops_module(kind), canon)
    if args is None:
        args = {}
    if not isinstance(args, dict) or not all(isinstance(k, str) for k in args):
        raise ValueError(f"{where}.{kind}_args must be a table of keyword arguments, got {args!r}")
    params = [p for p in inspect.signature(fn).parameters if p not in RESERVED]
    kw = dict(OPERATORS[kind][canon])
    for k, v in args.items():
        if k not in params:
            raise ValueError(f"{where}.{kind}_args: {canon} takes no argument {k!r}; "
                             f"its arguments: {', '.join(params) or 'none'}")
        kw[k] = v.tolist() if isinstance(v, np.ndarray) else v
    missing = [p for p in params if p not in kw and
               inspect.signature(fn).parameters[p].default is inspect.Parameter.empty]
    if missing:
        raise ValueError(f"{where}.{kind}_args: {canon} needs {', '.join(missing)}")
    for k, v in kw.items():
        rule = RULES.get(k)
        if rule is not None and not rule[0](v):
            raise ValueError(f"{where}.{kind}_args.{k} must be {rule[1]}, got {v!r}")
        if n_params is not None and isinstance(v, (list, tuple)) and len(v) != n_params:
            raise ValueError(f"{where}.{kind}_args.{k} has {len(v)} entries; the chromosome has {n_params} genes")
    if "low" in kw and not np.all(np.asarray(kw["low"], dtype=float) < np.asarray(kw["up"], dtype=float)):
        raise ValueError(f"{where}.{kind}_args: low must be < up, got low={kw['low']!r}, up={kw['up']!r}")
    if canon in ("cxOnePoint", "cxTwoPoint") and n_params is not None and n_params < 2:
        raise ValueError(f"{where}.{kind}: {canon} needs at least 2 genes, the chromosome has {n_params}")
    return canon, fn, kw


class IsolatedRandom:
    """A private :mod:`random` state, swapped into the global module only while DEAP runs.

    ``with r.active(): ...`` saves the caller's global state, installs this one, and on leaving
    stores the advanced state here and puts the caller's back (also when the body raises; then this
    state does not advance). Not thread-safe against other threads using ``random`` at that moment.
    """

    def __init__(self, seed: int):
        self.state = random.Random(seed).getstate()

    @contextmanager
    def active(self) -> Iterator[None]:
        caller = random.getstate()
        random.setstate(self.state)
        try:
            yield
            self.state = random.getstate()
        finally:
            random.setstate(caller)

    def as_list(self) -> list:
        """The state as JSON-able lists (``random.getstate()`` is nested tuples)."""
        version, internal, gauss_next = self.state
        return [version, list(internal), gauss_next]

    def load(self, state: list | tuple) -> None:
        version, internal, gauss_next = state
        self.state = (int(version), tuple(int(x) for x in internal),
                      None if gauss_next is None else float(gauss_next))


class _Fitness(base.Fitness):
    weights = (1.0,)   # maximise


class Individual(list):
    """A chromosome as DEAP's selection operators expect it: a list with ``fitness.values``."""

    __slots__ = ("fitness",)

    def __init__(self, genes, fitness: float):
        super().__init__(genes)
        self.fitness = _Fitness((float(fitness),))


def select(fn: Callable[..., Any], kw: dict[str, Any], fitness: np.ndarray, k: int) -> np.ndarray:
    """Indices (k,) of the individuals DEAP's selection ``fn`` picks by ``fitness`` (P,).

    Call inside :meth:`IsolatedRandom.active`. Selection only reads fitness, so the individuals
    carry their index as their one gene.
    """
    inds = [Individual((i,), f) for i, f in enumerate(fitness.tolist())]
    chosen = fn(inds, k, **kw)
    if len(chosen) != k:
        raise RuntimeError(f"{fn.__name__} returned {len(chosen)} individuals, not {k}")
    return np.fromiter((ind[0] for ind in chosen), dtype=np.int64, count=k)


def vary(X: np.ndarray, cx: Callable[..., Any], cx_kw: dict[str, Any], cxpb: float,
         mut: Callable[..., Any], mut_kw: dict[str, Any], mutpb: float) -> np.ndarray:
    """Offspring of parents X (k, n): DEAP's ``varAnd`` (crossover of pairs (0,1), (2,3), ... each
    with probability ``cxpb``, then mutation of each child with probability ``mutpb``), on lists.

    Call inside :meth:`IsolatedRandom.active`.
    """
    off = X.tolist()
    for i in range(1, len(off), 2):
        if random.random() < cxpb:
            off[i - 1], off[i] = cx(off[i - 1], off[i], **cx_kw)
    for i in range(len(off)):
        if random.random() < mutpb:
            off[i], = mut(off[i], **mut_kw)
    return np.array(off, dtype=np.float64).reshape(X.shape)
