"""The neural Turing machine's algorithmic tasks (Graves, Wayne & Danihelka 2014, "Neural Turing
machines", arXiv:1410.5401, section 4), with a training length range and longer test lengths.

Vectors have ``bits`` bits (8, 6 for assoc-recall, as Graves et al.; fewer make smaller networks).

* ``copy`` (4.1): ``length`` random 8-bit vectors (each bit 0 or 1 with probability 1/2), then a
  step on the delimiter channel, then ``length`` blank steps in which the network must output the
  vectors in order. Inputs: 8 bits + delimiter; outputs: 8 bits. ``start = true``: first a step on
  a start channel (a third input after the delimiter), as in the copy task of Greve, Jacobsen & Risi's
  ENTM code (observations: the vector, START, DELIMITER), which gives a memory network a step on
  which to mark where the sequence begins.
* ``repeat-copy`` (4.2): the same sequence, then a delimiter step that also carries the number of
  repeats on its own channel (repeats / max_repeats); the network outputs the sequence that many
  times, then an end marker on its ninth output (bits 0). Inputs: 8 bits + delimiter + repeats;
  outputs: 8 bits + end marker.
* ``assoc-recall`` (4.3): ``length`` items of three 6-bit vectors, each item after a step on the
  item-delimiter channel; then the query item (one of them, not the last) between two steps on the
  query-delimiter channel; then three blank steps in which the network outputs the item that
  followed the query. Inputs: 6 bits + two delimiters; outputs: 6 bits.

Only the answer steps are scored. An output bit is right when it is on the same side of 0.5 as its
target; the fitness is the fraction of scored bits right (0 for a chromosome or an output that is
not finite; ``fitness = "closeness"``: the mean of 1 - |y - target| over the scored bits instead,
partial credit for an output moving towards its target; ``fitness = "strict"``: the ENTM code's
"strict close to target", the mean of 1 - min(0.25, |y - target|) / 0.25), ``accuracy`` the fraction of sequences with every bit right, ``mse`` the mean squared
error. The training set: ``n_train`` sequences with lengths uniform in [min_length, max_length]
(``length`` is the number of vectors, or of items). The test set: ``n_test`` such sequences at the
training lengths, ``n_test`` of length 2 x max_length and ``n_test`` of length 5 x max_length
(:meth:`MemoryTask.lengths` reports each group); solved: every test sequence right.
``resample = true``: a fresh training set every generation instead of one fixed set (``n_train``
sequences drawn the same way from the generation's evaluation seed, shared by all its individuals:
``common_seeds``), so a network cannot earn fitness by memorising particular training sequences. Train and test
are drawn from separate streams of ``seed``. A network generalises only with a memory large enough
for the longest test: the default network (an ENTM) gets one.
"""
from __future__ import annotations

import numpy as np

from evornn.problem import EvalResult, Problem, SolvedCheck
from evornn.seeding import generator

from .supervised import SequenceData, data_bytes

DESCRIPTIONS = {
    "copy": "copy task: repeat a sequence of random 8-bit vectors after a delimiter (Graves et al. 2014)",
    "repeat-copy": "repeat-copy task: output a sequence of 8-bit vectors n times, then an end marker (Graves et al. 2014)",
    "assoc-recall": "associative recall: given one item of three 6-bit vectors, recall the next item (Graves et al. 2014)",
}
DESCRIPTION = DESCRIPTIONS["copy"]
MULTIPLIERS = (1, 2, 5)          # test lengths: the training range, 2x and 5x the longest
LENGTHS = {"copy": (1, 10), "repeat-copy": (1, 5), "assoc-recall": (2, 6)}   # default min_length, max_length


def copy_sequence(length: int, bits: int, rng: np.random.Generator, start: bool = False) -> tuple[np.ndarray, np.ndarray]:
    seq = rng.integers(0, 2, (length, bits)).astype(np.float64)
    s = int(start)                                  # a first step on the start channel (bits + 1)
    T = 2 * length + 1 + s
    x, y = np.zeros((T, bits + 1 + s)), np.full((T, bits), np.nan)
    if s:
        x[0, bits + 1] = 1.0
    x[s:s + length, :bits] = seq
    x[s + length, bits] = 1.0
    y[s + length + 1:] = seq
    return x, y


def repeat_copy_sequence(length: int, repeats: int, max_repeats: int, bits: int,
                         rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    seq = rng.integers(0, 2, (length, bits)).astype(np.float64)
    T = length + 1 + repeats * length + 1
    x, y = np.zeros((T, bits + 2)), np.full((T, bits + 1), np.nan)
    x[:length, :bits] = seq
    x[length, bits] = 1.0
    x[length, bits + 1] = repeats / max_repeats
    y[length + 1:] = 0.0
    y[length + 1:T - 1, :bits] = np.tile(seq, (repeats, 1))
    y[T - 1, bits] = 1.0
    return x, y


def assoc_sequence(n_items: int, bits: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    items = rng.integers(0, 2, (n_items, 3, bits)).astype(np.float64)
    q = int(rng.integers(n_items - 1))
    T = 4 * n_items + 8
    x, y = np.zeros((T, bits + 2)), np.full((T, bits), np.nan)
    for i in range(n_items):
        x[4 * i, bits] = 1.0
        x[4 * i + 1:4 * i + 4, :bits] = items[i]
    o = 4 * n_items
    x[o, bits + 1] = 1.0
    x[o + 1:o + 4, :bits] = items[q]
    x[o + 4, bits + 1] = 1.0
    y[o + 5:] = items[q + 1]
    return x, y


class MemoryTask(Problem):
    """One of the tasks above over a training split and a test split labelled by length multiplier."""

    metric_names = ("bit_accuracy", "accuracy", "mse")
    output_activation = "sigmoid"

    def __init__(self, name: str, train: SequenceData, test: SequenceData, params: dict, default_net: dict,
                 fitness: str = "bits", draw_train=None):
        self.name = name
        self.draw_train = draw_train           # resample: rng -> a fresh training split, each generation
        self.common_seeds = draw_train is not None
        self.fitness = fitness
        self.description = DESCRIPTIONS[name]
        self.train, self.test = train, test
        self.n_inputs, self.n_outputs = train.X.shape[1], train.Y.shape[1]
        self.episode_length = int(train.X.shape[0])
        self.solved_description = ("every test sequence right, at the training lengths and at 2x and 5x "
                                   f"the longest ({', '.join(str(m * params['max_length']) for m in MULTIPLIERS[1:])})")
        self.default_net = default_net
        self._params = params
        # each length group of the test split, cut once (lengths() and check_solved use them)
        self.test_groups = {m: _subset(test, np.flatnonzero(test.labels == m)) for m in MULTIPLIERS}

    def params(self) -> dict:
        return dict(self._params)

    def evaluate(self, net, W: np.ndarray, seeds: np.ndarray | None = None) -> EvalResult:
        """Fitness and metrics on the training split (``seeds`` unused), or with ``resample`` on a
        training split drawn from ``seeds[0]`` (the generation's common seed)."""
        if self.draw_train is None or seeds is None:
            return self.score(net, W, self.train)
        return self.score(net, W, self.draw_train(generator(int(seeds[0]), 2)))

    def evaluate_test(self, net, W: np.ndarray) -> EvalResult:
        return self.score(net, W, self.test)

    def _outputs(self, net, W: np.ndarray, data: SequenceData) -> tuple[np.ndarray, np.ndarray]:
        """(bits right (P, T, n_out) bool, finite (P,) bool) on the split ``data``."""
        self.check_network(net)
        W = np.asarray(W, dtype=np.float64)
        W = W[None, :] if W.ndim == 1 else W
        if W.ndim != 2 or W.shape[1] != net.n_params:
            raise ValueError(f"problem {self.name}: population must have shape (P, {net.n_params}) for "
                             f"{net.name}, got {W.shape}")
        Y = net.run_population(W, data.X, data.starts)
        return Y, np.isfinite(W).all(axis=1)

    def score(self, net, W: np.ndarray, data: SequenceData) -> EvalResult:
        """Fitness (P,) and metrics (P, 3) of W (P, n_params) or (n_params,) on ``data``."""
        Y, ok = self._outputs(net, W, data)
        m = data.mask.astype(bool)
        err = Y[:, m] - data.Y[m]
        finite = ok & np.isfinite(err).all(axis=(1, 2))
        right = (Y[:, m] > 0.5) == (data.Y[m] > 0.5)                    # NaN outputs: wrong
        bit_acc = np.where(finite, right.sum(axis=(1, 2)) / right[0].size, 0.0)
        if self.fitness == "closeness":
            close = np.array([1.0 - float(np.sum(np.abs(e.ravel()))) / e.size if f else 0.0 for e, f in zip(err, finite)])
        elif self.fitness == "strict":
            close = np.array([1.0 - float(np.sum(np.minimum(np.abs(e.ravel()), 0.25))) / (0.25 * e.size) if f else 0.0
                              for e, f in zip(err, finite)])
        # row by row: a reduction over a 3-d array may sum in an order that depends on P
        mse = np.array([float(np.sum(e.ravel() ** 2)) / e.size if f else np.inf for e, f in zip(err, finite)])
        seq = self._sequence_right(right.all(axis=2), data)
        acc = np.where(finite, seq.mean(axis=1), 0.0)
        fit = bit_acc if self.fitness == "bits" else close
        return EvalResult(fit.astype(np.float64), np.stack([bit_acc, acc, mse], axis=1))

    @staticmethod
    def _sequence_right(step_right: np.ndarray, data: SequenceData) -> np.ndarray:
        """(P, S) bool: every scored step of sequence s right."""
        seq_of = np.repeat(np.arange(data.n_sequences), np.diff(data.starts))[data.mask.astype(bool)]
        wrong = np.zeros((step_right.shape[0], data.n_sequences), dtype=np.int64)
        for p in range(step_right.shape[0]):
            wrong[p] = np.bincount(seq_of, weights=~step_right[p], minlength=data.n_sequences)
        return wrong == 0

    def lengths(self, net, w: np.ndarray) -> dict[str, float]:
        """Test bit accuracy and sequence accuracy of chromosome ``w`` per length group: ``1x`` (the
        training lengths), ``2x`` and ``5x`` (keys ``bit_accuracy_2x``, ``accuracy_2x``...)."""
        out = {}
        for mlt in MULTIPLIERS:
            row = self.score(net, w, self.test_groups[mlt]).metrics[0]
            out[f"bit_accuracy_{mlt}x"], out[f"accuracy_{mlt}x"] = float(row[0]), float(row[1])
        return out

    def check_solved(self, net, w: np.ndarray, result_row: np.ndarray, seed: int) -> SolvedCheck:
        """Every test sequence right at 1x, 2x and 5x. The test (several times the training data) runs
        only once every training sequence is right (``result_row``: the training metrics)."""
        if result_row is not None and result_row[1] < 1.0:
            return SolvedCheck(False, 0, {})
        info = {"test_" + k: v for k, v in self.lengths(net, w).items()}
        solved = all(info[f"test_accuracy_{m}x"] >= 1.0 for m in MULTIPLIERS)
        return SolvedCheck(solved, self.test.n_sequences, info)


def _subset(data: SequenceData, sel: np.ndarray) -> SequenceData:
    xs = [data.X[data.starts[s]:data.starts[s + 1]] for s in sel]
    ys = [np.where(data.mask[data.starts[s]:data.starts[s + 1], None] == 1,
                   data.Y[data.starts[s]:data.starts[s + 1]], np.nan) for s in sel]
    return SequenceData.from_sequences(xs, ys, labels=data.labels[sel])


def _check(name: str, **ints) -> dict:
    for k, (v, lo) in ints.items():
        if int(v) != v or int(v) < lo:
            raise ValueError(f"problem {name}: {k} must be an integer >= {lo}, got {v!r}")
    return {k: int(v) for k, (v, _lo) in ints.items()}


def _defaults(name: str, min_length, max_length, max_repeats, bits) -> tuple:
    """(min_length, max_length, max_repeats, bits) with the task's defaults for those not given."""
    lo, hi = LENGTHS[name]
    return (lo if min_length is None else min_length, hi if max_length is None else max_length,
            5 if max_repeats is None else max_repeats, (6 if name == "assoc-recall" else 8) if bits is None else bits)


def estimate_data_bytes(name: str, min_length: int | None, max_length: int | None, n_train: int, n_test: int,
                        max_repeats: int | None, bits: int | None, start: bool = False, **_) -> int:
    """The memory guard's size of the data (:mod:`problems.registry`): the training sequences at the
    expected length and the test groups (training lengths, 2x and 5x the longest). A sequence of
    length L takes 2L + 1 steps (copy), L + 2 + repeats * L with E[repeats] = (max_repeats + 1) / 2
    (repeat-copy) or 4L + 8 (assoc-recall)."""
    lo, hi, R, b = (int(x) for x in _defaults(name, min_length, max_length, max_repeats, bits))
    n_train, n_test = int(n_train), int(n_test)
    # 4 x the steps of n sequences of length L (2L: twice the expected length of a uniform lo..hi)
    steps4 = {"copy": lambda n, L2: n * (4 * L2 + 4), "repeat-copy": lambda n, L2: n * (L2 * (R + 3) + 8),
              "assoc-recall": lambda n, L2: n * (8 * L2 + 32)}[name]
    n_in, n_out = (b + 1 + bool(start), b) if name == "copy" else (b + 2, b + 1) if name == "repeat-copy" else (b + 2, b)
    test = steps4(n_test, lo + hi) + sum(steps4(n_test, 2 * m * hi) for m in MULTIPLIERS[1:])
    return (data_bytes(steps4(n_train, lo + hi) // 4, n_train, n_in, n_out)
            + data_bytes(test // 4, len(MULTIPLIERS) * n_test, n_in, n_out))


def make(name: str = "copy", min_length: int | None = None, max_length: int | None = None,
         n_train: int = 32, n_test: int = 32, max_repeats: int | None = None, bits: int | None = None,
         seed: int = 0, fitness: str = "bits", start: bool = False, resample: bool = False) -> MemoryTask:
    """``copy`` (lengths 1..10 by default), ``repeat-copy`` (1..5, repeats 1..``max_repeats``) or
    ``assoc-recall`` (2..6 items); ``bits`` per vector (8, or 6 for assoc-recall, as Graves et al.;
    fewer make smaller networks); ``start`` (copy): a first step on a start channel (Greve et al.'s copy);
    ``resample``: a fresh training set every generation."""
    if name not in DESCRIPTIONS:
        raise ValueError(f"problem {name}: the memory tasks are {', '.join(DESCRIPTIONS)}")
    if fitness not in ("bits", "closeness", "strict"):
        raise ValueError(f"problem {name}: fitness must be 'bits', 'closeness' or 'strict', got {fitness!r}")
    if not isinstance(start, (bool, np.bool_)):
        raise ValueError(f"problem {name}: start must be true or false, got {start!r}")
    if not isinstance(resample, (bool, np.bool_)):
        raise ValueError(f"problem {name}: resample must be true or false, got {resample!r}")
    if start and name != "copy":
        raise ValueError(f"problem {name}: start is an option of copy only")
    if max_repeats is not None and name != "repeat-copy":
        raise ValueError(f"problem {name}: max_repeats is an option of repeat-copy only")
    lo_min = 2 if name == "assoc-recall" else 1
    lo, hi, max_repeats, bits = _defaults(name, min_length, max_length, max_repeats, bits)
    v = _check(name, min_length=(lo, lo_min), max_length=(hi, lo_min), n_train=(n_train, 1), n_test=(n_test, 1),
               max_repeats=(max_repeats, 1), seed=(seed, 0), bits=(bits, 1))
    lo, hi = v["min_length"], v["max_length"]
    if lo > hi:
        raise ValueError(f"problem {name}: need min_length <= max_length, got {lo} > {hi}")

    def draw(rng, length):
        if name == "copy":
            return copy_sequence(length, v["bits"], rng, bool(start))
        if name == "repeat-copy":
            reps = int(rng.integers(1, v["max_repeats"] + 1))
            return repeat_copy_sequence(length, reps, v["max_repeats"], v["bits"], rng)
        return assoc_sequence(length, v["bits"], rng)

    def split(rng, lengths, labels):
        xs, ys = zip(*(draw(rng, int(n)) for n in lengths))
        return SequenceData.from_sequences(list(xs), list(ys), labels=labels)

    def draw_train(rng):
        return split(rng, rng.integers(lo, hi + 1, v["n_train"]), None)

    train = draw_train(generator(v["seed"], 0))
    rng = generator(v["seed"], 1)
    n = v["n_test"]
    test_lengths = np.concatenate([rng.integers(lo, hi + 1, n)] + [np.full(n, m * hi) for m in MULTIPLIERS[1:]])
    test = split(rng, test_lengths, np.repeat(MULTIPLIERS, n))
    longest = MULTIPLIERS[-1] * hi * (4 if name == "assoc-recall" else 1) + 2 + bool(start)
    default_net = {"arch": "ntm", "addressing": "entm", "n_hidden": 8, "memory_size": longest,
                   "memory_width": v["bits"]}
    params = {"min_length": lo, "max_length": hi, "n_train": v["n_train"], "n_test": n, "bits": v["bits"],
              "seed": v["seed"]}
    if name == "repeat-copy":
        params["max_repeats"] = v["max_repeats"]
    params["fitness"] = fitness
    if start:
        params["start"] = True
    if resample:
        params["resample"] = True
    return MemoryTask(name, train, test, params, default_net, fitness, draw_train if resample else None)
