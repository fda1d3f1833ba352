"""Two sequences with a long time lag (Hochreiter & Schmidhuber 1997, Neural Computation 9(8),
experiments 2a and 2b).

p + 1 symbols a_1 .. a_{p-1}, x, y, each a one-hot vector of p + 1 units. A sequence is
(e, m_1, .., m_{p-1}, e) with e = x or y (probability 1/2 each); the network reads it one symbol a
step and predicts the next symbol, so it must carry the first symbol across p steps to predict the
last. Variant ``a`` (experiment 2a, "noise-free sequences with long time lags"): the middle is the
fixed a_1 .. a_{p-1}, the training set holds only the two sequences, and every prediction is
scored. Variant ``b`` (2b, "no local regularities"): the middle is p - 1 symbols drawn uniformly
from a_1 .. a_{p-1}; the middle cannot be predicted, so the test scores only the final prediction.
``train_targets`` says which steps the training split scores: ``"all"`` every next symbol (H&S's
training for both variants: "again, every next sequence element has to be predicted", the middle
ones of 2b unpredictable), ``"last"`` only the final one. Default: ``"all"`` for 2a, ``"last"`` for
2b (the measure the test takes; evolution's fitness is then not diluted by the unpredictable steps).

Success (H&S): over 10,000 random test sequences the maximal absolute error of every output unit
at every scored step stays below 0.25 (``tolerance``; solved when every scored step is learnt).
For 2a the 10,000 sequences are copies of the two sequences, so the test split holds those two
(the same maximum for a deterministic network). For 2b the test split holds ``n_test`` random
sequences (default 500: 10,000 one-hot sequences of p = 100 would take 1.6 GB).

Published (table 2, 18 trials, p = 100): LSTM 100% after 5,040 (2a) and 5,680 (2b) training
sequences; the neural sequence chunker 33% after 32,400 (2a) and failed on 2b; RTRL and BPTT 0%
within 5,000,000.
"""
from __future__ import annotations

import numpy as np

from evornn.seeding import generator

from .supervised import SequenceData, SequenceProblem, data_bytes

DESCRIPTION = ("two sequences, long time lag (Hochreiter & Schmidhuber 1997 exp. 2a fixed middle / 2b random "
               "middle): predict the next symbol, the last one equals the first")
VARIANTS = ("a", "b")
TRAIN_TARGETS = ("all", "last")


def sequence(p: int, first: int, middle: np.ndarray, targets: str) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (p, p + 1) one-hot and targets (p, p + 1) of one sequence: every next symbol
    (``targets="all"``) or only the last (``"last"``: the other rows NaN, unscored).

    Symbols: a_i is index i - 1 (i = 1 .. p - 1), x is p - 1, y is p; ``first`` is x or y."""
    symbols = np.concatenate(([first], middle, [first]))
    onehot = np.eye(p + 1)[symbols]
    x, y = onehot[:-1], onehot[1:].copy()
    if targets == "last":
        y[:-1] = np.nan
    return x, y


def dataset(n: int, p: int, variant: str, rng: np.random.Generator, both: bool = False,
            targets: str = "all") -> SequenceData:
    xs, ys = [], []
    for s in range(n):
        first = p - 1 + (s % 2 if both else int(rng.integers(2)))
        middle = np.arange(p - 1) if variant == "a" else rng.integers(0, p - 1, p - 1)
        x, y = sequence(p, first, middle, targets)
        xs.append(x)
        ys.append(y)
    return SequenceData.from_sequences(xs, ys)


def sizes(variant: str, n_train: int | None, n_test: int | None) -> tuple[int, int]:
    """(n_train, n_test): as given, else 2 and 2 (variant a) or 1,000 and 500 (b)."""
    return (int(n_train if n_train is not None else (2 if variant == "a" else 1000)),
            int(n_test if n_test is not None else (2 if variant == "a" else 500)))


def estimate_data_bytes(name: str, p: int, variant: str, n_train: int | None, n_test: int | None, **_) -> int:
    """The memory guard's size of the data (:mod:`problems.registry`): sequences of ``p`` steps of
    p + 1 inputs and outputs."""
    p = int(p)
    return sum(data_bytes(n * p, n, p + 1, p + 1) for n in sizes(variant, n_train, n_test))


def make(name: str = "two-sequence-lag", p: int = 100, variant: str = "a", n_train: int | None = None,
         n_test: int | None = None, tolerance: float = 0.25, seed: int = 0,
         train_targets: str | None = None) -> SequenceProblem:
    """Experiment 2a (``variant="a"``) or 2b (``"b"``) with delay ``p``. Defaults: 2a trains and tests
    on its two sequences; 2b on 1,000 random training and 500 test sequences. ``train_targets``:
    the training split's scored steps, ``"all"`` (every next symbol, as H&S trained) or ``"last"``;
    default ``"all"`` for 2a, ``"last"`` for 2b. The test split scores every step for 2a and the
    last for 2b (H&S's success criteria)."""
    if variant not in VARIANTS:
        raise ValueError(f"problem {name}: variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    if train_targets is None:
        train_targets = "all" if variant == "a" else "last"
    if train_targets not in TRAIN_TARGETS:
        raise ValueError(f"problem {name}: train_targets must be one of {', '.join(TRAIN_TARGETS)}, "
                         f"got {train_targets!r}")
    p = int(p)
    n_train, n_test = sizes(variant, n_train, n_test)
    if p < 2 or n_train < 1 or n_test < 1 or not tolerance > 0:
        raise ValueError(f"problem {name}: need p >= 2, n_train and n_test >= 1, tolerance > 0, got "
                         f"{p}, {n_train}, {n_test}, {tolerance}")
    both = variant == "a"       # 2a: both sequences in every split (alternating), as H&S's training set
    return SequenceProblem(
        name, dataset(n_train, p, variant, generator(seed, 0), both, train_targets),
        dataset(n_test, p, variant, generator(seed, 1), both, "all" if variant == "a" else "last"),
        tolerance=tolerance, measures=("accuracy",), solved_when=(("learnt", ">=", 1.0),),
        causal=True, description=DESCRIPTION,
        solved_description=f"every output within {tolerance:g} at every scored test step",
        output_activation="sigmoid", default_net={"arch": "lstm", "n_hidden": 4},
        params={"p": p, "variant": variant, "n_train": n_train, "n_test": n_test,
                "tolerance": float(tolerance), "seed": int(seed), "train_targets": train_targets})
