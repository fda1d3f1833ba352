"""Dyck-1, the language of balanced parentheses: next-symbol prediction with a length split.

Suzgun, Gehrmann, Belinkov & Shieber (2019), "LSTM networks can perform dynamic counting"
(ACL workshop on deep learning and formal languages); Lan, Geyer, Chemla & Katzir (2022),
"Minimum description length recurrent neural networks", TACL 10 (MDLRNN: 100% test accuracy on
Dyck-1 from 500 training strings, where the best standard RNN reached 10.8%).

A string is S w T with w a balanced string of n pairs of ``(`` and ``)``; inputs are the one-hot
codes of S ( ) (the symbols of S w), outputs one per symbol of the alphabet S ( ) T. At every
symbol the network predicts the set of legal next symbols: ``(`` always, ``)`` when the prefix is
unbalanced (more ``(`` than ``)``), T when it is balanced; S never. Predicting the set is deciding
at every step whether the prefix is balanced. An output is right on the same side of 0.5 as its
target; a string is right when every prediction in it is.

Strings: w is drawn step by step (``(`` with probability 1/2 while a ``)`` is legal and the string
can still close, else the only legal symbol), n uniform over each group's range of lengths.
Training: ``n_train`` strings with n = ``train_min``..``train_max`` pairs; test: ``n_test``
strings in each group of :mod:`problems.lengths` (the training lengths, up to 2x and up to 5x
train_max), drawn from separate streams of ``seed``. Solved: every test string right; the test
runs only once every training string is right (it is several times longer than the training data).
"""
from __future__ import annotations

import numpy as np


from . import lengths
from .supervised import SequenceProblem
from .symbols import next_symbol_data

DESCRIPTION = "Dyck-1 (balanced parentheses): predict the legal next symbols, i.e. whether each prefix is balanced; train lengths, test at 2x and 5x"
ALPHABET = "S()T"


def word(n: int, rng: np.random.Generator) -> str:
    """A balanced string of ``n`` pairs: ``(`` with probability 1/2 whenever both are legal."""
    out, depth = [], 0
    for left in range(2 * n, 0, -1):
        if depth == left or (depth > 0 and rng.random() < 0.5):
            out.append(")")
            depth -= 1
        else:
            out.append("(")
            depth += 1
    return "".join(out)


def next_sets(s: str) -> list[set[str]]:
    """The legal next symbols after each symbol but the last of S w T."""
    sets, depth = [], 0
    for c in s[:-1]:
        depth += {"(": 1, ")": -1}.get(c, 0)
        sets.append({"(", ")"} if depth > 0 else {"(", "T"})
    return sets


def split(ns: list[int], rng: np.random.Generator):
    return next_symbol_data(["S" + word(n, rng) + "T" for n in ns], ALPHABET, next_sets, labels=ns)


def estimate_data_bytes(name: str, train_min: int, train_max: int, n_train: int, n_test: int, **_) -> int:
    """The memory guard's size of the data (:mod:`problems.registry`): strings of n pairs take
    2n + 1 steps (S and w) of one-hot codes over the alphabet, lengths as
    :func:`problems.lengths.draw` gives them."""
    return lengths.estimate_bytes(train_min, train_max, n_train, n_test, (2, 1), len(ALPHABET), len(ALPHABET))


def make(name: str = "dyck1", train_min: int = 1, train_max: int = 10, n_train: int = 200, n_test: int = 100,
         seed: int = 0) -> SequenceProblem:
    lo, hi, train, test_groups = lengths.seeded_splits(name, split, train_min, train_max, n_train, n_test, seed)
    prob = SequenceProblem(
        name, train, lengths.concat(list(test_groups.values())), threshold=0.5, measures=("string_accuracy",),
        solved_when=(("string_accuracy", ">=", 1.0),),
        precheck=(("string_accuracy", ">=", 1.0),), causal=True, description=DESCRIPTION,
        solved_description=f"every test string right, up to {5 * hi} pairs (5x the longest training string)",
        output_activation="sigmoid", default_net={"arch": "stack-rnn", "n_hidden": 4, "depth": 5 * hi},
        params={"train_min": lo, "train_max": hi, "n_train": int(n_train), "n_test": int(n_test), "seed": int(seed)})
    prob.test_groups = test_groups
    return prob
