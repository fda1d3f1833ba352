"""Symbol sequences as next-symbol-set prediction data (Elman 1990; Hochreiter & Schmidhuber 1997).

A string of symbols becomes one sequence: at step t the input is the one-hot code of symbol t and
the target is the multi-hot code of the set of symbols that may legally follow the prefix up to t.
The last symbol (the end marker) is not an input. Shared by the Reber and counting problems.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .supervised import SequenceData


def one_hot(string: str, alphabet: str) -> np.ndarray:
    """(len(string), len(alphabet)) float64 one-hot codes; unknown symbols raise ValueError."""
    bad = set(string) - set(alphabet)
    if bad:
        raise ValueError(f"symbols {sorted(bad)} are not in the alphabet {alphabet!r}")
    return np.eye(len(alphabet))[[alphabet.index(c) for c in string]]


def multi_hot(sets: Sequence[set[str]], alphabet: str) -> np.ndarray:
    """(len(sets), len(alphabet)) float64: 1 where the symbol is in the step's set."""
    Y = np.zeros((len(sets), len(alphabet)))
    for t, s in enumerate(sets):
        Y[t, [alphabet.index(c) for c in s]] = 1.0
    return Y


def next_symbol_data(strings: Sequence[str], alphabet: str, next_sets: Callable[[str], list[set[str]]],
                     labels: Sequence[int] | None = None) -> SequenceData:
    """The dataset of ``strings``: inputs all symbols but the last, targets ``next_sets(string)``
    (one set per input symbol), every step scored."""
    inputs, targets = [], []
    for s in strings:
        sets = next_sets(s)
        if len(sets) != len(s) - 1:
            raise ValueError(f"{len(sets)} next-symbol sets for the {len(s) - 1} inputs of {s!r}")
        inputs.append(one_hot(s[:-1], alphabet))
        targets.append(multi_hot(sets, alphabet))
    return SequenceData.from_sequences(inputs, targets, labels=labels)
