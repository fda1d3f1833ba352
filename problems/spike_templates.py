"""Spike-template classification, the liquid state machine's kind of task (Maass, Natschlaeger &
Markram 2002, "Real-time computing without stable states", Neural Computation 14(11): "the task
was to classify ... jittered versions of two spike patterns", Gaussian jitter of each spike time).

``n_templates`` templates are drawn once from the seed: each is ``n_channels`` Poisson spike trains
over ``duration`` steps (a spike at each step with probability ``rate``, the discretised Poisson
process; dt = 1 ms gives rate 0.02 = 20 Hz). Every presentation takes one template (the labels of
each split are balanced and shuffled), moves each of its spikes by a Gaussian jitter of standard
deviation ``jitter`` steps (rounded, clipped into the presentation) and feeds the spike counts per
channel and step as inputs (0, 1, sometimes 2 when two jittered spikes meet). The targets are the
one-hot code of the template (``n_templates`` outputs); an output is right on the same side of 0.5
as its target. ``answer = "end"``: only the last step is scored; ``"continuous"``: every step from
the second half of the presentation on (the answer must hold while the input still runs).
``accuracy``: the fraction of presentations with every scored step right.

Defaults: 2 templates over 4 channels, 100 steps at rate 0.02, jitter 4 steps (Maass et al. used
4 ms), 200 training and 200 test presentations. Solved: test accuracy >= 0.95.
"""
from __future__ import annotations

import numpy as np

from evornn.seeding import generator

from .supervised import SequenceData, SequenceProblem, data_bytes

DESCRIPTION = "classify which of several Poisson spike templates produced a jittered spike input (Maass et al. 2002)"
ANSWERS = ("end", "continuous")


def templates(n_templates: int, n_channels: int, duration: int, rate: float,
              rng: np.random.Generator) -> list[list[np.ndarray]]:
    """Spike times (int64, sorted) per template and channel."""
    return [[np.flatnonzero(rng.random(duration) < rate) for _ in range(n_channels)] for _ in range(n_templates)]


def present(template: list[np.ndarray], duration: int, jitter: float, rng: np.random.Generator) -> np.ndarray:
    """(duration, n_channels) spike counts of one jittered presentation of ``template``."""
    X = np.zeros((duration, len(template)))
    for c, times in enumerate(template):
        moved = np.clip(np.rint(times + rng.normal(0.0, jitter, times.shape[0])), 0, duration - 1).astype(np.int64)
        np.add.at(X[:, c], moved, 1.0)
    return X


def dataset(tpl, n: int, duration: int, jitter: float, answer: str, rng: np.random.Generator) -> SequenceData:
    K = len(tpl)
    labels = rng.permutation(np.arange(n) % K)
    xs, ys = [], []
    first = duration - 1 if answer == "end" else duration // 2
    for k in labels:
        xs.append(present(tpl[k], duration, jitter, rng))
        y = np.full((duration, K), np.nan)
        y[first:] = np.eye(K)[k]
        ys.append(y)
    return SequenceData.from_sequences(xs, ys, labels=labels)


def estimate_data_bytes(name: str, n_templates: int, n_channels: int, duration: int, n_train: int,
                        n_test: int, **_) -> int:
    """The memory guard's size of the data (:mod:`problems.registry`): ``n_train`` and ``n_test``
    presentations of ``duration`` steps (the templates' spike times are not kept)."""
    return sum(data_bytes(int(n) * int(duration), n, n_channels, n_templates) for n in (n_train, n_test))


def make(name: str = "spike-templates", n_templates: int = 2, n_channels: int = 4, duration: int = 100,
         rate: float = 0.02, jitter: float = 4.0, answer: str = "end", n_train: int = 200, n_test: int = 200,
         seed: int = 0) -> SequenceProblem:
    """Templates from ``seed``; training and test presentations from their own streams of it."""
    n_templates, n_channels, duration, n_train, n_test = map(int, (n_templates, n_channels, duration, n_train, n_test))
    if n_templates < 2 or n_channels < 1 or duration < 2 or n_train < 1 or n_test < 1:
        raise ValueError(f"problem {name}: need n_templates >= 2, n_channels >= 1, duration >= 2, n_train and "
                         f"n_test >= 1; got {n_templates}, {n_channels}, {duration}, {n_train}, {n_test}")
    if not 0.0 < rate <= 1.0:
        raise ValueError(f"problem {name}: rate (spike probability per step) must be in (0, 1], got {rate}")
    if not jitter >= 0.0:
        raise ValueError(f"problem {name}: jitter (steps) must be >= 0, got {jitter}")
    if answer not in ANSWERS:
        raise ValueError(f"problem {name}: answer must be one of {', '.join(ANSWERS)}, got {answer!r}")
    tpl = templates(n_templates, n_channels, duration, rate, generator(seed, 0))
    if len({tuple(tuple(t.tolist()) for t in T) for T in tpl}) < n_templates:
        raise ValueError(f"problem {name}: two templates drawn with seed {seed} are the same; raise rate or duration")
    train = dataset(tpl, n_train, duration, jitter, answer, generator(seed, 1))
    test = dataset(tpl, n_test, duration, jitter, answer, generator(seed, 2))
    return SequenceProblem(
        name, train, test, threshold=0.5, measures=("accuracy",), solved_when=(("accuracy", ">=", 0.95),),
        description=DESCRIPTION, solved_description="test accuracy >= 0.95 (every scored output on the right side of 0.5)",
        output_activation="linear", default_net={"arch": "lsm", "n_hidden": 27, "input_mode": "spikes"},
        params={"n_templates": n_templates, "n_channels": n_channels, "duration": duration, "rate": float(rate),
                "jitter": float(jitter), "answer": answer, "n_train": n_train, "n_test": n_test, "seed": int(seed)})
