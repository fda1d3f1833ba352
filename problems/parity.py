"""Temporal parity (Bengio, Simard & Frasconi 1994; Hochreiter & Schmidhuber 1996, 1997).

A sequence of ``length`` bits (0 or 1) is fed one bit per step; at the last step the network must
output their parity (1 when the number of ones is odd). Only the last step is scored; the answer
is right when the output is on the same side of 0.5 as the target. ``accuracy`` is the fraction
of sequences answered right (equal to ``learnt``, one scored step per sequence).

Defaults: length 10, 128 training and 256 test sequences, distinct from each other (the seed
draws them without replacement from all 2^length bit strings; the two sets cannot both fit when
n_train + n_test > 2^length). Solved: every test sequence right. Bengio et al. needed 810,000
trials of simulated annealing on 500-600-step parity; random weight guessing about 250
(Hochreiter & Schmidhuber 1996).
"""
from __future__ import annotations

import numpy as np

from evornn.seeding import generator

from .supervised import SequenceData, SequenceProblem, data_bytes

DESCRIPTION = "temporal parity of a bit sequence, answered at the last step (Bengio et al. 1994)"


def bit_strings(length: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, length) distinct random bit strings, uint8."""
    if length <= 62:
        codes = rng.choice(2 ** length, size=n, replace=False) if length <= 30 else _distinct(rng, length, n)
        return ((np.asarray(codes, dtype=np.uint64)[:, None] >> np.arange(length, dtype=np.uint64)) & np.uint64(1)).astype(np.uint8)
    bits = rng.integers(0, 2, (n, length), dtype=np.uint8)
    if len({b.tobytes() for b in bits}) != n:            # 2^-63-scale odds: refuse rather than repeat
        raise ValueError(f"parity: drew a repeated bit string of length {length}; use another seed")
    return bits


def _distinct(rng: np.random.Generator, length: int, n: int) -> np.ndarray:
    seen: dict[int, None] = {}
    while len(seen) < n:
        for c in rng.integers(0, 2 ** length, n, dtype=np.uint64):
            seen.setdefault(int(c))
            if len(seen) == n:
                break
    return np.fromiter(seen, dtype=np.uint64, count=n)


def dataset(bits: np.ndarray) -> SequenceData:
    y = np.full(bits.shape, np.nan)
    y[:, -1] = bits.sum(axis=1) % 2
    return SequenceData.from_sequences(list(bits.astype(np.float64)), list(y))


def estimate_data_bytes(name: str, length: int, n_train: int, n_test: int, **_) -> int:
    """The memory guard's size of the data (:mod:`problems.registry`): ``n_train`` and ``n_test``
    sequences of ``length`` one-bit steps."""
    return sum(data_bytes(int(n) * int(length), n, 1, 1) for n in (n_train, n_test))


def make(name: str = "parity", length: int = 10, n_train: int = 128, n_test: int = 256,
         seed: int = 0) -> SequenceProblem:
    """Parity of ``length``-bit sequences; training and test strings drawn apart from ``seed``."""
    length, n_train, n_test = int(length), int(n_train), int(n_test)
    if length < 1 or n_train < 1 or n_test < 1:
        raise ValueError(f"problem {name}: length, n_train and n_test must be >= 1, got {length}, {n_train}, {n_test}")
    if length <= 62 and n_train + n_test > 2 ** length:
        raise ValueError(f"problem {name}: only {2 ** length} bit strings of length {length}; "
                         f"n_train + n_test = {n_train + n_test} must not exceed that")
    bits = bit_strings(length, n_train + n_test, generator(seed, 0))
    return SequenceProblem(
        name, dataset(bits[:n_train]), dataset(bits[n_train:]), threshold=0.5, measures=("accuracy",),
        solved_when=(("accuracy", ">=", 1.0),), description=DESCRIPTION,
        solved_description="every test sequence's parity right (output on the right side of 0.5)",
        output_activation="sigmoid", default_net={"arch": "elman", "n_hidden": 4},
        params={"length": length, "n_train": n_train, "n_test": n_test, "seed": int(seed)})
