"""Length generalisation: train on a range of lengths, test at the training lengths and longer.

The split of Delétang et al. (2023, "Neural networks and the Chomsky hierarchy", ICLR) and of the
counting-language literature (Gers & Schmidhuber 2001): a network is trained on strings of lengths
``train_min..train_max`` and tested on three groups,

* ``train``: lengths train_min..train_max (the training lengths, other strings where drawn),
* ``2x``: lengths train_max + 1 .. 2 * train_max,
* ``5x``: lengths 2 * train_max + 1 .. 5 * train_max,

so "test accuracy at 5x" is the accuracy on strings up to five times longer than any seen in
training, longer than twice. A problem builds one :class:`~problems.supervised.SequenceData` per
group (:func:`groups`), gives their concatenation (:func:`concat`) as its test split and keeps the
groups as ``test_groups``; :func:`accuracy_by_length` then scores a network on each group.
Lengths are in the problem's own unit (pairs of brackets, n of a^n b^n, symbols to reverse).
"""
from __future__ import annotations

import numpy as np

from evornn.seeding import generator

from .supervised import SequenceData, data_bytes

FACTORS = (2, 5)
GROUPS = ("train",) + tuple(f"{f}x" for f in FACTORS)


def check(problem: str, train_min: int, train_max: int) -> tuple[int, int]:
    """The training range as ints, or a one-line ValueError."""
    lo, hi = int(train_min), int(train_max)
    if not 1 <= lo <= hi:
        raise ValueError(f"problem {problem}: need 1 <= train_min <= train_max, got {train_min} and {train_max}")
    return lo, hi


def ranges(train_min: int, train_max: int) -> dict[str, tuple[int, int]]:
    """Inclusive length range of each group: train, 2x, 5x (see the module docstring)."""
    out, prev = {"train": (train_min, train_max)}, train_max
    for f in FACTORS:
        out[f"{f}x"] = (prev + 1, f * train_max)
        prev = f * train_max
    return out


def draw(rng: np.random.Generator, lo: int, hi: int, n: int) -> list[int]:
    """``n`` lengths: every length of lo..hi once when n covers them, the rest (or a sample
    without repetition when n does not) drawn uniformly; sorted."""
    span = np.arange(lo, hi + 1)
    if n >= span.size:
        extra = rng.integers(lo, hi + 1, n - span.size)
        return sorted(int(v) for v in np.concatenate([span, extra]))
    return sorted(int(v) for v in rng.choice(span, n, replace=False))


def concat(parts: list[SequenceData]) -> SequenceData:
    """One split holding the sequences of ``parts`` in order (labels kept)."""
    offs = np.cumsum([0] + [p.X.shape[0] for p in parts])
    starts = np.concatenate([p.starts[:-1] + o for p, o in zip(parts, offs)] + [offs[-1:]])
    return SequenceData(np.concatenate([p.X for p in parts]), np.concatenate([p.Y for p in parts]), starts,
                        np.concatenate([p.mask for p in parts]),
                        np.concatenate([p.free + o for p, o in zip(parts, offs)]),
                        np.concatenate([p.labels for p in parts]))


def groups(make_split, train_min: int, train_max: int) -> dict[str, SequenceData]:
    """``make_split(group, lo, hi)`` -> SequenceData for each group's length range."""
    return {g: make_split(g, lo, hi) for g, (lo, hi) in ranges(train_min, train_max).items()}


def seeded_splits(name: str, split, train_min: int, train_max: int, n_train: int, n_test: int, seed: int):
    """(lo, hi, train, test_groups) of a problem whose strings of given lengths come from
    ``split(lengths, rng)``: ``n_train`` training strings of lengths train_min..train_max and
    ``n_test`` per test group, every draw from its own stream of ``seed``."""
    lo, hi = check(name, train_min, train_max)
    if int(n_train) < 1 or int(n_test) < 1:
        raise ValueError(f"problem {name}: n_train and n_test must be >= 1, got {n_train} and {n_test}")
    train = split(draw(generator(seed, 0), lo, hi, int(n_train)), generator(seed, 1))
    rngs = {g: (generator(seed, 2 + 2 * i), generator(seed, 3 + 2 * i)) for i, g in enumerate(GROUPS)}
    test_groups = groups(lambda g, a, b: split(draw(rngs[g][0], a, b, int(n_test)), rngs[g][1]), lo, hi)
    return lo, hi, train, test_groups


def split_bytes(count: int, lo: int, hi: int, steps: tuple[int, int], n_in: int, n_out: int) -> int:
    """Expected bytes of a split of ``count`` strings whose lengths are uniform over lo..hi (as
    :func:`draw` gives them, or each length once), a string of length n taking
    steps[0] * n + steps[1] steps (Python ints: exact for any size)."""
    count = int(count)
    return data_bytes(count * (steps[0] * (int(lo) + int(hi)) + 2 * steps[1]) // 2, count, n_in, n_out)


def estimate_bytes(train_min: int, train_max: int, n_train: int, n_test: int, steps: tuple[int, int],
                   n_in: int, n_out: int) -> int:
    """Expected bytes of :func:`seeded_splits`' data as a problem keeps it: the training split, the
    test groups and their concatenation, the test split (see :func:`split_bytes`)."""
    spans = ranges(int(train_min), int(train_max)).values()
    groups = sum(split_bytes(n_test, a, b, steps, n_in, n_out) for a, b in spans)
    return split_bytes(n_train, train_min, train_max, steps, n_in, n_out) + 2 * groups


def accuracy_by_length(problem, net, W: np.ndarray) -> dict[str, np.ndarray]:
    """Fraction of strings right (every scored step) in each test group, per row of W."""
    names = problem.metric_names
    col = names.index("string_accuracy") if "string_accuracy" in names else names.index("accuracy")
    return {g: problem.score(net, W, data).metrics[:, col] for g, data in problem.test_groups.items()}
