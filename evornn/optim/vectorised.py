"""NumPy versions of DEAP's commonest GA operators, for populations where DEAP's per-individual
Python loops dominate a generation.

Each function has the semantics of the DEAP operator it names (Fortin et al. 2012, ``deap.tools``)
and of ``deap.algorithms.varAnd``, but draws from a ``numpy.random.Generator`` in a different order,
so the two paths give the same distributions, not bit-identical populations. The tests in
``tests/test_ga.py`` compare each with DEAP's operator statistically.

- selTournament: k times, ``tournsize`` aspirants drawn uniformly with replacement, the fittest
  wins (ties: the first drawn, as ``max`` in DEAP).
- selRandom: k uniform draws with replacement.
- cxBlend (Eshelman & Schaffer 1993, BLX-alpha): per gene gamma ~ U[-alpha, 1 + alpha),
  c1 = (1 - gamma) x1 + gamma x2, c2 = gamma x1 + (1 - gamma) x2.
- cxUniform: each gene of a pair swapped with probability ``indpb``.
- mutGaussian: each gene, with probability ``indpb``, gets N(mu, sigma) added.
"""
from __future__ import annotations

from typing import Any

import numpy as np

SELECTION = ("selTournament", "selRandom")
CROSSOVER = ("cxBlend", "cxUniform")
MUTATION = ("mutGaussian",)
SUPPORTED = {"selection": SELECTION, "crossover": CROSSOVER, "mutation": MUTATION}


def select(name: str, kw: dict[str, Any], fitness: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Indices (k,) into ``fitness`` (P,) picked by selection ``name``."""
    P = fitness.shape[0]
    if name == "selRandom":
        return rng.integers(0, P, k)
    if name == "selTournament":
        asp = rng.integers(0, P, (k, int(kw["tournsize"])))
        return asp[np.arange(k), np.argmax(fitness[asp], axis=1)]
    raise ValueError(f"no vectorised selection {name!r}; vectorised: {', '.join(SELECTION)}")


def crossover(name: str, kw: dict[str, Any], X: np.ndarray, cxpb: float, rng: np.random.Generator) -> None:
    """Cross rows (0,1), (2,3), ... of X (k, n) in place, each pair with probability ``cxpb``."""
    n_pairs = X.shape[0] // 2
    pairs = np.flatnonzero(rng.random(n_pairs) < cxpb)
    a, b = X[2 * pairs], X[2 * pairs + 1]
    if name == "cxBlend":
        alpha = float(kw["alpha"])
        gamma = (1.0 + 2.0 * alpha) * rng.random(a.shape) - alpha
        X[2 * pairs] = (1.0 - gamma) * a + gamma * b
        X[2 * pairs + 1] = gamma * a + (1.0 - gamma) * b
    elif name == "cxUniform":
        swap = rng.random(a.shape) < float(kw["indpb"])
        X[2 * pairs] = np.where(swap, b, a)
        X[2 * pairs + 1] = np.where(swap, a, b)
    else:
        raise ValueError(f"no vectorised crossover {name!r}; vectorised: {', '.join(CROSSOVER)}")


def mutate(name: str, kw: dict[str, Any], X: np.ndarray, mutpb: float, rng: np.random.Generator) -> None:
    """Mutate each row of X (k, n) in place with probability ``mutpb``."""
    rows = np.flatnonzero(rng.random(X.shape[0]) < mutpb)
    if name != "mutGaussian":
        raise ValueError(f"no vectorised mutation {name!r}; vectorised: {', '.join(MUTATION)}")
    shape = (rows.size, X.shape[1])
    mask = rng.random(shape) < float(kw["indpb"])
    step = rng.normal(np.asarray(kw["mu"], dtype=np.float64), np.asarray(kw["sigma"], dtype=np.float64), shape)
    Y = X[rows]
    Y[mask] += step[mask]
    X[rows] = Y
