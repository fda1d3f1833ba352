"""The adding problem (Hochreiter & Schmidhuber 1997, Neural Computation 9(8), experiment 4).

Each step gives a pair (value in [-1, 1] uniform, marker in {0, 1}). Exactly two steps are
marked: one among the first ten, another among the first T/2 - 1 (as Hochreiter & Schmidhuber).
At the last step the network must output the sum of the two marked values; only that step is
scored. Sequence lengths are drawn uniformly from [T, T + T/10] with T = ``length`` (50..1000 in
the literature).

Hochreiter & Schmidhuber trained on the target 0.5 + sum/4 and counted an absolute error below
0.04 as right; on the unscaled sum used here that is the default ``tolerance`` 0.16. Solved: every
test sequence right. Defaults: T = 50, 100 training and 256 test sequences, drawn from separate
streams of the seed.
"""
from __future__ import annotations

import numpy as np

from evornn.seeding import generator

from .supervised import SequenceData, SequenceProblem, data_bytes

DESCRIPTION = "adding problem: sum of the two marked values at the end of a long sequence (Hochreiter & Schmidhuber 1997)"


def sequence(length: int, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """One sequence: inputs (T', 2) with T' in [length, length + length // 10], and its target."""
    T = int(rng.integers(length, length + length // 10 + 1))
    x = np.zeros((T, 2))
    x[:, 0] = rng.uniform(-1.0, 1.0, T)
    half = max(T // 2 - 1, 2)
    i = int(rng.integers(min(10, half)))
    j = int(rng.integers(half - 1))
    j += j >= i                                   # uniform over the first `half` steps except i
    x[[i, j], 1] = 1.0
    return x, float(x[i, 0] + x[j, 0])


def dataset(n: int, length: int, rng: np.random.Generator) -> SequenceData:
    xs, ys = [], []
    for _ in range(n):
        x, target = sequence(length, rng)
        y = np.full(x.shape[0], np.nan)
        y[-1] = target
        xs.append(x)
        ys.append(y)
    return SequenceData.from_sequences(xs, ys)


def estimate_data_bytes(name: str, length: int, n_train: int, n_test: int, **_) -> int:
    """The memory guard's size of the data (:mod:`problems.registry`): ``n_train`` and ``n_test``
    sequences of the expected length T + (T // 10) / 2, two inputs and one output."""
    T = int(length)
    return sum(data_bytes(int(n) * (2 * T + T // 10) // 2, n, 2, 1) for n in (n_train, n_test))


def make(name: str = "adding", length: int = 50, n_train: int = 100, n_test: int = 256,
         tolerance: float = 0.16, seed: int = 0) -> SequenceProblem:
    """The adding problem with minimum sequence length ``length``."""
    length, n_train, n_test = int(length), int(n_train), int(n_test)
    if length < 4 or n_train < 1 or n_test < 1:
        raise ValueError(f"problem {name}: need length >= 4, n_train and n_test >= 1, got {length}, {n_train}, {n_test}")
    return SequenceProblem(
        name, dataset(n_train, length, generator(seed, 0)), dataset(n_test, length, generator(seed, 1)),
        tolerance=tolerance, measures=("accuracy",), solved_when=(("accuracy", ">=", 1.0),),
        description=DESCRIPTION,
        solved_description=f"every test sequence's sum within {tolerance:g}",
        output_activation="linear", default_net={"arch": "elman", "n_hidden": 4},
        params={"length": length, "n_train": n_train, "n_test": n_test, "tolerance": float(tolerance),
                "seed": int(seed)})
