"""``ctc-stream``: unsegmented sequence labelling with CTC (Graves et al. 2006).

A label string of ``lengths`` (3-8) symbols over ``n_labels`` symbols (5 by default; the issue
asks 4-6) becomes a stream of frames: before each symbol, and after the last, 0-3 noise frames
(``gap``; at least 1 between two equal symbols, which would otherwise merge into one), then the
symbol held for 1-4 frames (``hold``). A symbol frame is its one-hot vector, a noise frame the
zero vector; Gaussian noise of standard deviation ``noise`` is added to every input. The network
(``n_labels`` inputs, ``n_labels + 1`` outputs: blank first, then the labels) sees only the
frames; the target is the label string, without its alignment.

``loss = "ctc"`` scores it with the CTC loss (:mod:`evornn.problems.ctc_kernel`); ``loss =
"framewise"`` gives the network the alignment instead (each frame's label, blank on noise frames)
and scores the framewise cross-entropy: the upper bound CTC is compared with. Both decode by best
path. Metrics: ``loss`` (mean per sequence, nats), ``ler`` (label error rate: summed edit
distances over summed target lengths) and ``sequence_accuracy`` (strings decoded exactly).
Fitness: exp(-loss / mean target length), so 1 for a perfect network; 0 for non-finite outputs.
Solved: label error rate 0 on the test split. The network runs on its own engine (lanes), any
architecture (bidirectional ones too); BPTT (:mod:`evornn.grad.ctc_bptt`) trains the
architectures :mod:`evornn.grad.bptt` supports.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evornn.nets.threads import run_rows
from evornn.problem import EvalResult, Problem, SolvedCheck
from evornn.seeding import generator

from . import ctc_kernel as K

DESCRIPTION = "label a noisy stream of held symbols without alignment: CTC or framewise (Graves et al. 2006)"
LOSSES = ("ctc", "framewise")


@dataclass
class StreamData:
    """Frames X (T, n_in) with starts (S+1,), label strings (concatenated) with label_starts, and each
    frame's output column given the alignment (0 = blank)."""

    X: np.ndarray
    starts: np.ndarray
    label: np.ndarray
    label_starts: np.ndarray
    frames: np.ndarray

    @property
    def n_sequences(self) -> int:
        return self.starts.shape[0] - 1


def stream(labels: np.ndarray, n_labels: int, hold: tuple[int, int], gap: tuple[int, int], noise: float,
           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Frames (T, n_labels) and each frame's column (0 blank, k + 1 label k) of one label string."""
    cols = []
    for i, k in enumerate(labels):
        g = int(rng.integers(gap[0], gap[1] + 1))
        if i > 0 and labels[i - 1] == k:
            g = max(g, 1)
        cols += [0] * g + [int(k) + 1] * int(rng.integers(hold[0], hold[1] + 1))
    cols += [0] * int(rng.integers(gap[0], gap[1] + 1))
    cols = np.asarray(cols, dtype=np.int64)
    X = np.zeros((cols.size, n_labels))
    on = cols > 0
    X[np.flatnonzero(on), cols[on] - 1] = 1.0
    return X + rng.normal(0.0, noise, X.shape), cols


def dataset(n: int, n_labels: int, lengths, hold, gap, noise: float, rng: np.random.Generator) -> StreamData:
    xs, labs, cols = [], [], []
    for _ in range(n):
        lab = rng.integers(0, n_labels, int(rng.integers(lengths[0], lengths[1] + 1))).astype(np.int64)
        X, c = stream(lab, n_labels, hold, gap, noise, rng)
        xs.append(X)
        labs.append(lab)
        cols.append(c)
    cum = lambda a: np.concatenate([[0], np.cumsum([x.shape[0] for x in a])]).astype(np.int64)   # noqa: E731
    return StreamData(np.concatenate(xs), cum(xs), np.concatenate(labs), cum(labs), np.concatenate(cols))


class CTCProblem(Problem):
    """Label strings from frames, scored by CTC or, given the alignment, framewise (module docstring)."""

    metric_names = ("loss", "ler", "sequence_accuracy")
    own_gradient = True

    def __init__(self, name: str, train: StreamData, test: StreamData, n_labels: int, loss: str = "ctc",
                 default_net: dict | None = None, params: dict | None = None):
        if loss not in LOSSES:
            raise ValueError(f"problem {name}: loss must be one of {', '.join(LOSSES)}, got {loss!r}")
        self.name, self.train, self.test, self.loss = name, train, test, loss
        self.n_inputs, self.n_outputs = int(n_labels), int(n_labels) + 1
        self.episode_length = int(train.X.shape[0])
        self.description = DESCRIPTION
        self.solved_description = "label error rate 0 on the test streams (best-path decoding)"
        self.default_net = dict(default_net or {"arch": "lstm", "n_hidden": 8})
        self._params = dict(params or {})

    def params(self) -> dict:
        return dict(self._params)

    def evaluate(self, net, W, seeds=None) -> EvalResult:
        return self.score(net, W, self.train)

    def evaluate_test(self, net, W) -> EvalResult:
        return self.score(net, W, self.test)

    def score(self, net, W, data: StreamData) -> EvalResult:
        self.check_network(net)
        W = np.asarray(W, dtype=np.float64)
        W = np.ascontiguousarray(W[None, :] if W.ndim == 1 else W)
        if W.ndim != 2 or W.shape[1] != net.n_params:
            raise ValueError(f"problem {self.name}: population must have shape (P, {net.n_params}), got {W.shape}")
        P, S = W.shape[0], data.n_sequences
        Y = np.ascontiguousarray(net.run_population(W, data.X, data.starts))
        loss, edits = np.empty(P), np.empty(P, dtype=np.int64)
        seq_right = np.empty((P, S), dtype=np.uint8)
        # arrays from Ray's object store are read-only, another Numba type: copy to compile once
        arrs = [a if a.flags.writeable else a.copy() for a in (data.starts, data.label, data.label_starts, data.frames)]
        run_rows(K.score_population, 0, P, Y, *arrs, self.loss == "framewise", loss, edits, seq_right)
        loss = np.where(np.isfinite(loss), loss / S, np.inf)
        per_label = data.label.size / S
        fitness = np.where(np.isfinite(loss), np.exp(-loss / per_label), 0.0)
        ler = np.where(np.isfinite(loss), edits / data.label.size, np.inf)
        return EvalResult(fitness, np.stack([loss, ler, seq_right.mean(axis=1)], axis=1))

    def check_solved(self, net, w, result_row, seed) -> SolvedCheck:
        row = self.evaluate_test(net, w).metrics[0]
        info = {"test_" + k: float(v) for k, v in zip(self.metric_names, row)}
        return SolvedCheck(bool(row[1] <= 0.0), self.test.n_sequences, info)

    # -- the gradient hook of the bptt trainer --------------------------------------------------
    @property
    def n_train_sequences(self) -> int:
        return self.train.n_sequences

    def check_gradient(self, net) -> None:
        from evornn.grad import bptt
        self.check_network(net)
        bptt.check_supported(net)

    def gradient_bytes(self, net) -> int:
        from evornn.grad import ctc_bptt
        return ctc_bptt.gradient_bytes(net, self.train)

    def gradient(self, net, w, seqs, seed: int = 0, truncation: int = 0):
        """(mean loss per sequence, its gradient) over training streams ``seqs``."""
        from evornn.grad import ctc_bptt
        return ctc_bptt.gradient(net, w, self.train, seqs, self.loss == "framewise")


def _pair(name: str, what: str, v, low: int) -> tuple[int, int]:
    v = tuple(int(x) for x in v)
    if len(v) != 2 or not low <= v[0] <= v[1]:
        raise ValueError(f"problem {name}: {what} must be [least, most] with {low} <= least <= most, got {list(v)}")
    return v


def estimate_data_bytes(name: str, n_labels: int, lengths: tuple, hold: tuple, gap: tuple, n_train: int,
                        n_test: int, **_) -> int:
    """The memory guard's size of the data (:mod:`problems.registry`): per stream the expected
    frames, E[length] * (E[gap] + E[hold]) + E[gap] (a repeated symbol's gap of 0 made 1 adds at
    most a frame per repeat), each n_labels inputs (float64) and its column (int64); the labels and
    both start arrays."""
    (l0, l1), (h0, h1), (g0, g1) = ((int(a), int(b)) for a, b in (lengths, hold, gap))
    K = int(n_labels)

    def split(n):
        n = int(n)
        frames = n * ((l0 + l1) * (g0 + g1 + h0 + h1) + 2 * (g0 + g1)) // 4
        return frames * (K + 1) * 8 + n * (l0 + l1) // 2 * 8 + 2 * 8 * (n + 1)
    return split(n_train) + split(n_test)


def make(name: str = "ctc-stream", n_labels: int = 5, lengths: tuple = (3, 8), hold: tuple = (1, 4),
         gap: tuple = (0, 3), noise: float = 0.2, loss: str = "ctc", n_train: int = 200, n_test: int = 200,
         seed: int = 0) -> CTCProblem:
    """The ctc-stream problem; ``loss="framewise"`` is the aligned upper bound."""
    lengths, hold, gap = _pair(name, "lengths", lengths, 1), _pair(name, "hold", hold, 1), _pair(name, "gap", gap, 0)
    if int(n_labels) < 2 or int(n_train) < 1 or int(n_test) < 1 or not noise >= 0:
        raise ValueError(f"problem {name}: need n_labels >= 2, n_train and n_test >= 1, noise >= 0, got "
                         f"{n_labels}, {n_train}, {n_test}, {noise}")
    K_ = int(n_labels)
    make_split = lambda n, rng: dataset(int(n), K_, lengths, hold, gap, float(noise), rng)   # noqa: E731
    return CTCProblem(name, make_split(n_train, generator(seed, 0)), make_split(n_test, generator(seed, 1)), K_,
                      loss=loss, params={"n_labels": K_, "lengths": list(lengths), "hold": list(hold), "gap": list(gap),
                                         "noise": float(noise), "loss": loss, "n_train": int(n_train),
                                         "n_test": int(n_test), "seed": int(seed)})
