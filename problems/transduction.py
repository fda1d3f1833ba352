"""Sequence transduction with an encoder-decoder: ``copy-seq`` and ``reverse-seq``.

Sutskever, Vinyals & Le (2014), "Sequence to sequence learning with neural networks", NIPS: an
encoder reads the source, its final state starts a decoder that emits the target. Here the source
is a random string over ``n_symbols`` symbols (8 by default; the issue asks 8-10), the target the
same string (``copy-seq``) or reversed (``reverse-seq``; Sutskever et al. reversed their sources
to shorten the dependencies). Training strings have lengths ``train_lengths`` (1-10), test
strings ``test_lengths`` (11-20): the test asks for generalisation to longer strings.

The network is a ``seq2seq`` network with ``n_symbols + 2`` inputs (the symbols, GO, the phase
flag) and ``n_symbols`` outputs, scored by the softmax cross-entropy of the target symbols (see
:mod:`evornn.problems.transduction_kernel` for the decoding modes). ``decoding`` sets how the
training data are decoded: "teacher" (teacher forcing), "free" (the network's own predictions)
or "scheduled" (the true symbol with probability ``teacher_prob`` at each step, from the
evaluation's seed). The test split is always decoded free-running.

Metrics: ``ce`` (mean cross-entropy per target symbol, nats), ``symbol_accuracy`` (target steps
whose argmax is right) and ``sequence_accuracy`` (strings with every symbol right). Fitness is
exp(-ce), the geometric mean of the probabilities given to the right symbols (0 for non-finite
outputs). Solved: every test string right, free-running.

BPTT (:mod:`evornn.grad.seq2seq_bptt`) minimises the same cross-entropy in the same decoding mode
(the fed-back symbols are taken as given, as in scheduled sampling).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evornn.nets.threads import run_rows
from evornn.problem import EvalResult, Problem, SolvedCheck
from evornn.seeding import generator

from . import transduction_kernel as K

DESCRIPTION = "copy or reverse a random symbol string with an encoder-decoder; test on longer strings (Sutskever et al. 2014)"
MODES = {"teacher": K.TEACHER, "free": K.FREE, "scheduled": K.SCHEDULED}


@dataclass
class SymbolData:
    """Source and target symbol strings, concatenated: src (N,) int64 with src_starts (S+1,), tgt and
    tgt_starts likewise."""

    src: np.ndarray
    src_starts: np.ndarray
    tgt: np.ndarray
    tgt_starts: np.ndarray

    @classmethod
    def from_pairs(cls, pairs) -> "SymbolData":
        srcs, tgts = [np.asarray(a, dtype=np.int64) for a, _ in pairs], [np.asarray(b, dtype=np.int64) for _, b in pairs]
        if not pairs or any(a.size < 1 or b.size < 1 for a, b in zip(srcs, tgts)):
            raise ValueError("every source and target string needs at least one symbol")
        starts = lambda xs: np.concatenate([[0], np.cumsum([x.size for x in xs])]).astype(np.int64)   # noqa: E731
        return cls(np.concatenate(srcs), starts(srcs), np.concatenate(tgts), starts(tgts))

    @property
    def n_sequences(self) -> int:
        return self.src_starts.shape[0] - 1

    def pair(self, s: int) -> tuple[np.ndarray, np.ndarray]:
        return (self.src[self.src_starts[s]:self.src_starts[s + 1]], self.tgt[self.tgt_starts[s]:self.tgt_starts[s + 1]])


class TransductionProblem(Problem):
    """Map source strings to target strings with a ``seq2seq`` network (see the module docstring)."""

    metric_names = ("ce", "symbol_accuracy", "sequence_accuracy")
    own_gradient = True

    def __init__(self, name: str, train: SymbolData, test: SymbolData, n_symbols: int, *, decoding: str = "teacher",
                 teacher_prob: float = 0.5, description: str = "", default_net: dict | None = None,
                 params: dict | None = None):
        if decoding not in MODES:
            raise ValueError(f"problem {name}: decoding must be one of {', '.join(MODES)}, got {decoding!r}")
        if not 0.0 <= teacher_prob <= 1.0:
            raise ValueError(f"problem {name}: teacher_prob must be in [0, 1], got {teacher_prob}")
        self.name, self.train, self.test = name, train, test
        self.n_symbols = int(n_symbols)
        self.decoding, self.teacher_prob = decoding, float(teacher_prob)
        self.n_inputs, self.n_outputs = self.n_symbols + 2, self.n_symbols
        self.episode_length = int(train.src.size + train.tgt.size)
        self.description = description or DESCRIPTION
        self.solved_description = "every test string right, decoded free-running"
        self.default_net = dict(default_net or {"arch": "seq2seq", "cell": "lstm", "n_hidden": 16})
        self._params = dict(params or {})

    def params(self) -> dict:
        return dict(self._params)

    def check_network(self, net) -> None:
        super().check_network(net)
        if net.name != "seq2seq":
            raise ValueError(f"problem {self.name} needs a seq2seq network (an encoder and a decoder), got {net.name}")

    def evaluate(self, net, W: np.ndarray, seeds: np.ndarray | None = None) -> EvalResult:
        """Fitness and metrics on the training strings, decoded in the problem's mode."""
        return self.score(net, W, self.train, self.decoding, seeds)

    def evaluate_test(self, net, W: np.ndarray) -> EvalResult:
        """The metrics on the test strings, decoded free-running."""
        return self.score(net, W, self.test, "free")

    def score(self, net, W: np.ndarray, data: SymbolData, decoding: str = "free",
              seeds: np.ndarray | None = None) -> EvalResult:
        self.check_network(net)
        W = np.asarray(W, dtype=np.float64)
        W = np.ascontiguousarray(W[None, :] if W.ndim == 1 else W)
        if W.ndim != 2 or W.shape[1] != net.n_params:
            raise ValueError(f"problem {self.name}: population must have shape (P, {net.n_params}), got {W.shape}")
        P, S = W.shape[0], data.n_sequences
        seeds = (np.zeros(P, dtype=np.uint64) if seeds is None
                 else np.ascontiguousarray(seeds, dtype=np.uint64).reshape(P))
        ce, n_right = np.empty(P), np.empty(P, dtype=np.int64)
        seq_right = np.empty((P, S), dtype=np.uint8)
        L, ix, fx = (a if a.flags.writeable else a.copy() for a in (net.L, net.ix, net.fx))
        arrs = [a if a.flags.writeable else a.copy() for a in (data.src, data.src_starts, data.tgt, data.tgt_starts)]
        run_rows(K.score_population, 1, P, net.key, L, ix, fx, W, int(net.ws_len), *arrs, MODES[decoding],
                 self.teacher_prob, seeds, ce, n_right, seq_right)
        n = data.tgt.size
        ce = np.where(np.isfinite(ce), ce / n, np.inf)
        fitness = np.where(np.isfinite(ce), np.exp(-ce), 0.0)
        return EvalResult(fitness, np.stack([ce, n_right / n, seq_right.mean(axis=1)], axis=1))

    def check_solved(self, net, w, result_row, seed) -> SolvedCheck:
        row = self.evaluate_test(net, w).metrics[0]
        info = {"test_" + k: float(v) for k, v in zip(self.metric_names, row)}
        return SolvedCheck(bool(row[2] >= 1.0), self.test.n_sequences, info)

    # -- the gradient hook of the bptt trainer --------------------------------------------------
    @property
    def n_train_sequences(self) -> int:
        return self.train.n_sequences

    def check_gradient(self, net) -> None:
        from evornn.grad import seq2seq_bptt
        self.check_network(net)
        seq2seq_bptt.check_supported(net)

    def gradient_bytes(self, net) -> int:
        from evornn.grad import seq2seq_bptt
        return seq2seq_bptt.gradient_bytes(net, self.train)

    def gradient(self, net, w: np.ndarray, seqs: np.ndarray, seed: int = 0, truncation: int = 0):
        """(mean cross-entropy, its gradient) over training strings ``seqs``, decoded in the
        problem's mode (``seed``: scheduled sampling's draws)."""
        from evornn.grad import seq2seq_bptt
        return seq2seq_bptt.gradient(net, w, self.train, seqs, MODES[self.decoding], self.teacher_prob, seed)


def strings(n: int, lengths: tuple[int, int], n_symbols: int, rng: np.random.Generator) -> list[np.ndarray]:
    return [rng.integers(0, n_symbols, int(rng.integers(lengths[0], lengths[1] + 1))) for _ in range(n)]


def _lengths(name: str, what: str, v) -> tuple[int, int]:
    v = tuple(int(x) for x in v)
    if len(v) != 2 or not 1 <= v[0] <= v[1]:
        raise ValueError(f"problem {name}: {what} must be [shortest, longest] with 1 <= shortest <= longest, got {list(v)}")
    return v


def estimate_data_bytes(name: str, train_lengths: tuple, test_lengths: tuple, n_train: int, n_test: int,
                        **_) -> int:
    """The memory guard's size of the data (:mod:`problems.registry`): per split, the source and
    target symbols (int64) of strings of the expected length, and both start arrays."""
    def split(n, lengths):
        (a, b), n = lengths, int(n)
        return 2 * 8 * (n * (int(a) + int(b)) // 2) + 2 * 8 * (n + 1)
    return split(n_train, train_lengths) + split(n_test, test_lengths)


def make(name: str = "copy-seq", n_symbols: int = 8, train_lengths: tuple = (1, 10), test_lengths: tuple = (11, 20),
         n_train: int = 256, n_test: int = 256, decoding: str = "teacher", teacher_prob: float = 0.5,
         seed: int = 0) -> TransductionProblem:
    """``copy-seq`` (target = source) or ``reverse-seq`` (target = source reversed)."""
    tr, te = _lengths(name, "train_lengths", train_lengths), _lengths(name, "test_lengths", test_lengths)
    if int(n_symbols) < 2 or int(n_train) < 1 or int(n_test) < 1:
        raise ValueError(f"problem {name}: need n_symbols >= 2, n_train and n_test >= 1, got {n_symbols}, "
                         f"{n_train}, {n_test}")
    K_ = int(n_symbols)
    flip = name == "reverse-seq"
    split = lambda n, lens, rng: SymbolData.from_pairs([(s, s[::-1] if flip else s)      # noqa: E731
                                                        for s in strings(n, lens, K_, rng)])
    return TransductionProblem(
        name, split(int(n_train), tr, generator(seed, 0)), split(int(n_test), te, generator(seed, 1)), K_,
        decoding=decoding, teacher_prob=teacher_prob,
        description=("reverse" if flip else "copy") + " a random string with an encoder-decoder (Sutskever et al. 2014)",
        params={"n_symbols": K_, "train_lengths": list(tr), "test_lengths": list(te), "n_train": int(n_train),
                "n_test": int(n_test), "decoding": decoding, "teacher_prob": float(teacher_prob), "seed": int(seed)})
