"""Reverse a string: read it, then write it backwards (a stack's task), with a length split.

Grefenstette, Hermann, Suleyman & Blunsom (2015), "Learning to transduce with unbounded memory"
(NIPS 28: sequence reversal); Delétang et al. (2023), "Neural networks and the Chomsky hierarchy"
(ICLR: ``reverse_string``, solved in length only by networks with a stack or a tape).

A sequence is x_1..x_n over the binary alphabet {a, b}, a delimiter #, then n blank steps: inputs
one-hot a b # (a blank step is all zeros), two outputs (a, b). During the blank steps the target
is x_n, x_{n-1}, .., x_1 one-hot; the other steps are not scored. An output is right on the same
side of 0.5 as its target; a string is right when every scored step is.

Training: ``n_train`` strings with n = ``train_min``..``train_max`` symbols; test: ``n_test``
strings in each group of :mod:`problems.lengths` (training lengths, up to 2x and up to 5x
train_max), from separate streams of ``seed``. Solved: every test string right; the test runs
only once every training string is right (it is several times longer than the training data).
"""
from __future__ import annotations

import numpy as np


from . import lengths
from .supervised import SequenceData, SequenceProblem

DESCRIPTION = "reverse a binary string after a delimiter (Grefenstette et al. 2015); train lengths, test at 2x and 5x"


def sequence(bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (2n + 1, 3) and targets (2n + 1, 2), NaN where not scored, for the string ``bits``."""
    n = bits.size
    X = np.zeros((2 * n + 1, 3))
    X[np.arange(n), bits] = 1.0
    X[n, 2] = 1.0
    Y = np.full((2 * n + 1, 2), np.nan)
    Y[n + 1:] = np.eye(2)[bits[::-1]]
    return X, Y


def split(ns: list[int], rng: np.random.Generator) -> SequenceData:
    pairs = [sequence(rng.integers(0, 2, n)) for n in ns]
    return SequenceData.from_sequences([p[0] for p in pairs], [p[1] for p in pairs], labels=ns)


def estimate_data_bytes(name: str, train_min: int, train_max: int, n_train: int, n_test: int, **_) -> int:
    """The memory guard's size of the data (:mod:`problems.registry`): strings of n symbols take
    2n + 1 steps of 3 inputs and 2 outputs, lengths as :func:`problems.lengths.draw` gives them."""
    return lengths.estimate_bytes(train_min, train_max, n_train, n_test, (2, 1), 3, 2)


def make(name: str = "reverse-string", train_min: int = 1, train_max: int = 10, n_train: int = 200,
         n_test: int = 100, seed: int = 0) -> SequenceProblem:
    lo, hi, train, test_groups = lengths.seeded_splits(name, split, train_min, train_max, n_train, n_test, seed)
    prob = SequenceProblem(
        name, train, lengths.concat(list(test_groups.values())), threshold=0.5, measures=("string_accuracy",),
        solved_when=(("string_accuracy", ">=", 1.0),),
        precheck=(("string_accuracy", ">=", 1.0),), description=DESCRIPTION,
        solved_description=f"every test string reversed right, up to {5 * hi} symbols (5x the longest training string)",
        output_activation="sigmoid", default_net={"arch": "stack-rnn", "n_hidden": 4, "width": 2, "depth": 5 * hi},
        params={"train_min": lo, "train_max": hi, "n_train": int(n_train), "n_test": int(n_test), "seed": int(seed)})
    prob.test_groups = test_groups
    return prob
