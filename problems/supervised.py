"""Supervised sequence problems: datasets of input and target sequences, scored by one Numba kernel.

The base of the literature's sequence tasks (Reber, counting languages, Mackey-Glass, sines,
parity, adding, a user's time series) and of a user's own dataset (:func:`supervised_problem`).

A split (:class:`SequenceData`) holds the input sequences concatenated, X (T, n_in), with their
start offsets, the targets Y (T, n_out), a mask of the scored steps, and, for generation tasks,
the step of each sequence from which the network runs free: from then on its previous outputs are
fed back as the next inputs (teacher forcing before it; Jaeger 2001, Jaeger & Haas 2004).

Every evaluation reports, per individual:

* ``mse``: mean squared error over the scored steps and all outputs (``inf`` when any scored
  output is NaN or Inf, or the chromosome is);
* ``learnt``: the fraction of scored steps whose every output is right: within ``tolerance`` of the
  target, or, for tasks with a ``threshold``, on the same side of it as the target;
* the task's own measures (``nrmse``, ``string_accuracy``, ``max_n``, ``accuracy``), see
  :data:`MEASURES`.

Fitness (maximised) is ``1 / (mse + EPS)`` as the genetic-algorithm literature uses the
reciprocal of the error, with ``EPS = 1e-12`` guarding the division (a perfect network gets 1e12)
and fitness 0 for non-finite outputs. :meth:`SequenceProblem.evaluate` reads only the training
split; :meth:`SequenceProblem.evaluate_test` computes the same metrics on the test split, which
:meth:`SequenceProblem.check_solved` uses for the task's published criterion.

Default dataset sizes (steps of one evaluation; each problem's module says how to change them):

============  ============================  ==========================================
problem       training data                 test data
============  ============================  ==========================================
reber         256 strings, 2,763 steps      256 other strings
anbn          n = 1..10, 120 steps          n = 1..100, 10,200 steps
anbncn        n = 1..10, 175 steps          n = 1..100, 15,250 steps
mackey-glass  1,000 steps (100 washout)     10 runs of 1,000 forced + 83 free steps
              (fitness "free": 10 x 183)
sines         949 steps (100 washout)       699 steps (100 washout)
parity        128 x 10 bits, 1,280 steps    256 other strings
adding        100 x 50..55, about 5,300     256 sequences
timeseries    split 0.8 of your series      the rest
============  ============================  ==========================================

An 8-unit Elman network takes 0.2-0.6 us a step here (one thread, busy machine), so one
individual's evaluation is 0.1-2 ms.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from evornn.nets import lanes
from evornn.nets.specialise import BIDIRECTIONAL
from evornn.nets.layer import NOUT
from evornn.nets.threads import run_rows
from evornn.problem import EvalResult, Problem, SolvedCheck

from . import readout as R
from . import supervised_kernel as K

EPS = 1e-12


@dataclass
class SequenceData:
    """One split of a supervised sequence dataset.

    X (T, n_in) float64, Y (T, n_out) float64, starts (S+1,) int64 rising from 0 to T, mask (T,)
    uint8 (1 = scored), free (S,) int64 (first free-running step of each sequence, ``starts[s+1]``
    when it never runs free; otherwise at least ``starts[s] + 1``), labels (S,) int64 (a task's
    label of each sequence, e.g. n of a^n b^n), target_var: the variance NRMSE divides by.
    """

    X: np.ndarray
    Y: np.ndarray
    starts: np.ndarray
    mask: np.ndarray
    free: np.ndarray | None = None
    labels: np.ndarray | None = None
    target_var: float | None = None

    def __post_init__(self):
        self.X = np.ascontiguousarray(self.X, dtype=np.float64)
        self.Y = np.ascontiguousarray(self.Y, dtype=np.float64)
        self.starts = np.ascontiguousarray(self.starts, dtype=np.int64)
        self.mask = np.ascontiguousarray(self.mask, dtype=np.uint8)
        S = self.starts.shape[0] - 1
        T = self.X.shape[0]
        if self.X.ndim != 2 or self.Y.ndim != 2 or self.Y.shape[0] != T or self.mask.shape != (T,):
            raise ValueError(f"inconsistent dataset shapes: X {self.X.shape}, Y {self.Y.shape}, mask {self.mask.shape}")
        if S < 1 or self.starts[0] != 0 or self.starts[-1] != T or np.any(np.diff(self.starts) < 1):
            raise ValueError(f"sequence starts must rise strictly from 0 to {T}")
        self.free = (self.starts[1:].copy() if self.free is None
                     else np.ascontiguousarray(self.free, dtype=np.int64))
        if self.free.shape != (S,) or np.any(self.free > self.starts[1:]) or np.any(
                (self.free <= self.starts[:-1]) & (self.free < self.starts[1:])):
            raise ValueError("free-running steps must lie after each sequence's first step")
        self.labels = (np.arange(S, dtype=np.int64) if self.labels is None
                       else np.ascontiguousarray(self.labels, dtype=np.int64))
        if not self.mask.any():
            raise ValueError("the dataset has no scored step")
        scored = self.mask == 1
        if not np.all(np.isfinite(self.Y).all(axis=1)[scored]) or not np.isfinite(self.X).all():
            raise ValueError("inputs and scored targets must be finite")
        if self.target_var is None:
            self.target_var = scored_variance(self.Y, scored)

    @property
    def n_sequences(self) -> int:
        return self.starts.shape[0] - 1

    @property
    def n_scored(self) -> int:
        return int(self.mask.sum())

    @property
    def free_runs(self) -> bool:
        return bool(np.any(self.free < self.starts[1:]))

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The arrays the kernel takes, writable and C-contiguous (data unpickled from an object
        store may be read-only, which Numba would compile as a different type)."""
        arrs = (self.X, self.Y, self.starts, self.mask, self.free)
        return tuple(a if a.flags.writeable and a.flags.c_contiguous else a.copy() for a in arrs)

    @classmethod
    def from_sequences(cls, inputs: Sequence[np.ndarray], targets: Sequence[np.ndarray],
                       washout: int = 0, free_from: Sequence[int] | None = None,
                       labels: Sequence[int] | None = None, target_var: float | None = None) -> "SequenceData":
        """Concatenate sequences. Steps whose targets are NaN are not scored, nor the first
        ``washout`` steps of each; ``free_from[s]`` is the step (within sequence s) from which it
        runs free (None: never)."""
        if len(inputs) != len(targets) or not len(inputs):
            raise ValueError(f"need as many input as target sequences (at least one), got {len(inputs)} and {len(targets)}")
        pairs, shapes, starts, free = [], [], [0], []
        for s, (x, y) in enumerate(zip(inputs, targets)):
            x, y = np.asarray(x), np.asarray(y)
            pairs.append((x, y))
            if x.ndim not in (1, 2) or y.ndim not in (1, 2) or x.shape[0] != y.shape[0] or x.shape[0] < 1:
                raise ValueError(f"sequence {s}: inputs {x.shape} and targets {y.shape} must have the same number of steps (>= 1)")
            w = (1 if x.ndim == 1 else x.shape[1], 1 if y.ndim == 1 else y.shape[1])
            if shapes and w != shapes[0]:
                raise ValueError(f"sequence {s}: {w[0]} inputs and {w[1]} outputs, the first had "
                                 f"{shapes[0][0]} and {shapes[0][1]}")
            shapes.append(w)
            f = None if free_from is None else free_from[s]
            free.append(starts[-1] + (x.shape[0] if f is None else int(f)))
            starts.append(starts[-1] + x.shape[0])
        # filled in place (no per-sequence copies concatenated): building takes the arrays' own
        # memory, not two or three times it (the memory guard sizes the data as these arrays)
        T, (n_in, n_out) = starts[-1], shapes[0]
        X, Y, mask = np.empty((T, n_in)), np.empty((T, n_out)), np.empty(T, dtype=np.uint8)
        for s, (x, y) in enumerate(pairs):
            a, b = starts[s], starts[s + 1]
            X[a:b] = np.reshape(x, (b - a, n_in))
            Ys = Y[a:b]
            Ys[...] = np.reshape(y, (b - a, n_out))
            nan = np.isnan(Ys)
            if np.any(nan.any(axis=1) & ~nan.all(axis=1)):
                raise ValueError(f"sequence {s}: a step's targets must be all NaN (unscored) or none")
            Ys[nan] = 0.0
            m = ~nan.any(axis=1)
            m[:washout] = False
            mask[a:b] = m
        return cls(X, Y, np.array(starts), mask,
                   np.array(free), None if labels is None else np.asarray(labels), target_var)


VAR_WHOLE = 1 << 20        # values: up to this many, np.var of the scored targets as it always was
VAR_BLOCK = 1 << 16        # values per block above it


def scored_variance(Y: np.ndarray, scored: np.ndarray) -> float:
    """The variance of the scored targets ``Y[scored]``: np.var for up to VAR_WHOLE values; above,
    two passes over blocks of rows, so that large data is not copied twice on the way (the copy of
    the scored rows and np.var's deviations took as much memory as Y again)."""
    if Y.size <= VAR_WHOLE:
        return float(np.var(Y[scored]))
    rows = max(1, VAR_BLOCK // max(1, Y.shape[1]))
    blocks = [(a, min(a + rows, Y.shape[0])) for a in range(0, Y.shape[0], rows)]
    n = int(scored.sum()) * Y.shape[1]
    mean = sum(float(Y[a:b][scored[a:b]].sum()) for a, b in blocks) / n
    return sum(float(np.square(Y[a:b][scored[a:b]] - mean).sum()) for a, b in blocks) / n


def data_bytes(steps: int, sequences: int, n_in: int, n_out: int) -> int:
    """Bytes of a :class:`SequenceData` of ``steps`` steps in ``sequences`` sequences with ``n_in``
    inputs and ``n_out`` outputs: X and Y (float64), the mask (uint8), starts, free and labels
    (int64). The problems' ``estimate_data_bytes`` size their splits with it (Python ints: no
    overflow however large the parameters)."""
    return int(steps) * (8 * (int(n_in) + int(n_out)) + 1) + 8 * (3 * int(sequences) + 1)


# -- the task measures: (mse (P,), seq_right (P, S) bool, data) -> (P,) ----------------------------
def nrmse(mse: np.ndarray, seq_right: np.ndarray, data: SequenceData) -> np.ndarray:
    """Normalised root mean squared error sqrt(mse / var(target)) (Jaeger 2001)."""
    return np.sqrt(mse / data.target_var) if data.target_var > 0 else np.sqrt(mse)


def sequence_accuracy(mse: np.ndarray, seq_right: np.ndarray, data: SequenceData) -> np.ndarray:
    """Fraction of sequences whose every scored step is right."""
    return seq_right.mean(axis=1)


def max_n(mse: np.ndarray, seq_right: np.ndarray, data: SequenceData) -> np.ndarray:
    """Largest N such that every sequence labelled n = 1..N is right (0 when one with n = 1 is
    wrong or missing): the generalisation measure of Gers & Schmidhuber (2001)."""
    ns = np.unique(data.labels)
    right = np.stack([seq_right[:, data.labels == n].all(axis=1) for n in ns], axis=1)  # (P, len(ns))
    out = np.zeros(seq_right.shape[0])
    for p in range(seq_right.shape[0]):
        n = 0
        for k, v in enumerate(ns):
            if v != n + 1 or not right[p, k]:
                break
            n = int(v)
        out[p] = n
    return out


MEASURES: dict[str, Callable[[np.ndarray, np.ndarray, SequenceData], np.ndarray]] = {
    "nrmse": nrmse, "string_accuracy": sequence_accuracy, "accuracy": sequence_accuracy, "max_n": max_n,
}
_COMPARE = {"<=": np.less_equal, ">=": np.greater_equal}


class SequenceProblem(Problem):
    """A supervised sequence problem over a training split and an optional test split.

    ``tolerance`` or ``threshold`` says when a target is learnt (threshold wins when both are
    given). ``measures``: names from :data:`MEASURES` reported after ``mse`` and ``learnt``.
    ``solved_when``: conditions (metric, "<=" or ">=", value) that must all hold on the test split
    (the training split when there is none); ``precheck``: conditions on the training metrics
    that the test cannot pass without (used to skip the test, e.g. the counting languages' test
    strings include the training strings). ``feedback``: (input columns, output columns) fed
    back while free-running. ``causal``: the targets are the next inputs, so a bidirectional
    network, which reads its future inputs, is refused.
    """

    def __init__(self, name: str, train: SequenceData, test: SequenceData | None = None, *,
                 tolerance: float | None = None, threshold: float | None = None,
                 measures: Sequence[str] = (), solved_when: Sequence[tuple[str, str, float]] = (("learnt", ">=", 1.0),),
                 precheck: Sequence[tuple[str, str, float]] = (),
                 feedback: tuple[Sequence[int], Sequence[int]] = ((), ()), causal: bool = False,
                 description: str = "", solved_description: str = "", output_activation: str = "linear",
                 default_net: dict | None = None, params: dict | None = None,
                 readout_data: SequenceData | None = None):
        self.name = name
        self.train, self.test = train, test
        # the split a solved readout (readout = "ridge", esn-ridge) is fitted on: the training
        # split unless the problem scores its networks on other data (mackey-glass, fitness "free")
        self.readout_data = train if readout_data is None else readout_data
        if threshold is None and (tolerance is None or not tolerance >= 0):
            raise ValueError(f"problem {name}: give a tolerance >= 0 or a threshold, got {tolerance} and {threshold}")
        self._mode = K.TOLERANCE if threshold is None else K.THRESHOLD
        self._tol = float(tolerance if tolerance is not None else 0.0)
        self._thr = float(threshold if threshold is not None else 0.0)
        unknown = [m for m in measures if m not in MEASURES]
        if unknown:
            raise ValueError(f"problem {name}: unknown measure {unknown[0]!r}; choose from {', '.join(MEASURES)}")
        self.measures = tuple(measures)
        self.metric_names = ("mse", "learnt", *self.measures)
        for metric, op, _v in (*solved_when, *precheck):
            if metric not in self.metric_names or op not in _COMPARE:
                raise ValueError(f"problem {name}: bad solved condition ({metric}, {op})")
        self.solved_when = tuple((m, op, float(v)) for m, op, v in solved_when)
        self.precheck = tuple((m, op, float(v)) for m, op, v in precheck)
        self.n_inputs, self.n_outputs = train.X.shape[1], train.Y.shape[1]
        for split in (test,) if test is not None else ():
            if split.X.shape[1] != self.n_inputs or split.Y.shape[1] != self.n_outputs:
                raise ValueError(f"problem {name}: the test split has {split.X.shape[1]} inputs and "
                                 f"{split.Y.shape[1]} outputs, training has {self.n_inputs} and {self.n_outputs}")
        self._fb_in = np.asarray(feedback[0], dtype=np.int64).reshape(-1)
        self._fb_out = np.asarray(feedback[1], dtype=np.int64).reshape(-1)
        self._free = train.free_runs or (test is not None and test.free_runs)
        if self._free and (self._fb_in.size == 0 or self._fb_in.size != self._fb_out.size
                           or self._fb_in.max() >= self.n_inputs or self._fb_out.max() >= self.n_outputs):
            raise ValueError(f"problem {name}: free-running needs matching input and output feedback columns")
        self.causal = bool(causal)
        self.needs_steps = self._free or self.causal
        self.episode_length = int(train.X.shape[0])
        self.description = description
        self.solved_description = solved_description or "on the test data: " + " and ".join(
            f"{m} {op} {v:g}" for m, op, v in self.solved_when)
        self.output_activation = output_activation
        self.default_net = dict(default_net or {"arch": "elman", "n_hidden": 8})
        self._params = dict(params or {})
        self.readout, self.ridge = "evolved", 0.0

    def set_readout(self, readout: str = "ridge", ridge: float = 0.0) -> "SequenceProblem":
        """``readout="ridge"``: every evaluation solves each network's dense readout by least
        squares on the training split (``readout_data``; ridge-regularised when ``ridge`` > 0)
        before scoring it (Evolino, :mod:`.readout`); "evolved" (the default): the readout genes are used as given."""
        R.check_readout(readout, ridge, f"problem {self.name}")
        self.readout, self.ridge = readout, float(ridge)
        if readout == "ridge":
            self._params.update(readout=readout, ridge=float(ridge))
        else:
            self._params.pop("readout", None)
            self._params.pop("ridge", None)
        return self

    def params(self) -> dict:
        return dict(self._params)

    def check_network(self, net) -> None:
        if self.readout == "ridge":
            R.readout_slice(net)
        if self.needs_steps and not net.steppable and net.n_inputs == self.n_inputs:
            why = ("feeds the network's outputs back as its inputs" if self._free else
                   "asks for what comes next, which a bidirectional network would read from its future inputs")
            raise ValueError(f"problem {self.name} {why}; {net.name} needs the whole sequence first")
        super().check_network(net)

    def data_bytes(self) -> int:
        """The splits' arrays, and the length groups of the test split (``test_groups``, held
        besides the concatenated test split by the problems with a length split)."""
        groups = (getattr(self, "test_groups", None) or {}).values()
        held = sum(a.nbytes for g in groups for a in (g.X, g.Y, g.starts, g.mask, g.free, g.labels))
        return super().data_bytes() + int(held)

    def evaluation_bytes(self, net, rows: int, threads: int) -> int:
        """Besides the network's kernels: per (padded) row its error, counts and per-sequence
        verdicts; a bidirectional network also keeps each thread's block of outputs and of both
        directions' states over the longest split."""
        splits = [d for d in (self.train, self.test) if d is not None]
        S = max(d.n_sequences for d in splits)
        n = 1 if getattr(net, "engine", "lanes") == "scalar" else lanes.lanes_of_dtype(lanes.DTYPES[net.dtype])
        padded = -(-int(rows) // n) * n
        out = super().evaluation_bytes(net, rows, threads) + 2 * padded * (S + 17)   # lanes' and the results
        if net.kind == BIDIRECTIONAL:
            T = max(int(d.X.shape[0]) for d in splits)
            width = int(net.n_outputs + net.L[0, NOUT] + net.L[1, NOUT])
            out += int(threads) * T * width * n * 8
        if self.readout == "ridge":
            out += R.solve_bytes(net, self.readout_data, rows, threads)
        return out

    def evaluate(self, net, W: np.ndarray, seeds: np.ndarray | None = None) -> EvalResult:
        """Fitness and metrics of every row of W on the training split (no randomness: seeds unused).
        With ``readout="ridge"`` each row's readout is solved first; the result then carries the
        rows as scored (``chromosomes``)."""
        if self.readout != "ridge":
            return self.score(net, W, self.train)
        self.check_network(net)
        W = np.asarray(W, dtype=np.float64)
        W = W[None, :] if W.ndim == 1 else W
        if W.ndim != 2 or W.shape[1] != net.n_params:
            raise ValueError(f"problem {self.name}: population must have shape (P, {net.n_params}) for "
                             f"{net.name}, got {W.shape}")
        V = R.solve(net, W, self.readout_data, self.ridge)
        res = self.score(net, V, self.train)
        res.chromosomes = V
        return res

    def evaluate_test(self, net, W: np.ndarray) -> EvalResult:
        """The same metrics on the test split (W may be one chromosome or a population)."""
        if self.test is None:
            raise ValueError(f"problem {self.name} has no test split")
        return self.score(net, W, self.test)

    def score(self, net, W: np.ndarray, data: SequenceData) -> EvalResult:
        """Fitness (P,) and metrics (P, k) of W (P, n_params) or (n_params,) on the split ``data``."""
        self.check_network(net)
        W = np.asarray(W, dtype=np.float64)
        W = W[None, :] if W.ndim == 1 else W
        if W.ndim != 2 or W.shape[1] != net.n_params:
            raise ValueError(f"problem {self.name}: population must have shape (P, {net.n_params}) for "
                             f"{net.name}, got {W.shape}")
        W = np.ascontiguousarray(W)
        X, Y, starts, mask, free = data.arrays()
        P, S = W.shape[0], data.n_sequences
        sse, n_right = np.empty(P), np.empty(P, dtype=np.int64)
        seq_right, finite = np.empty((P, S), dtype=np.uint8), np.empty(P, dtype=np.uint8)
        fb_in, fb_out = (self._fb_in, self._fb_out) if data.free_runs else (self._fb_in[:0], self._fb_out[:0])
        self._score_kernel(net, W, X, Y, starts, mask, free, fb_in, fb_out, sse, n_right, seq_right, finite)
        ok = finite.astype(bool) & np.isfinite(W).all(axis=1)
        mse = np.where(ok, sse / (data.n_scored * self.n_outputs), np.inf)
        fitness = np.where(np.isfinite(mse), 1.0 / (mse + EPS), 0.0)
        cols = [mse, n_right / data.n_scored]
        cols += [MEASURES[m](mse, seq_right.astype(bool), data) for m in self.measures]
        return EvalResult(fitness, np.stack(cols, axis=1))

    def _score_kernel(self, net, W, X, Y, starts, mask, free, fb_in, fb_out, sse, n_right, seq_right, finite):
        """Run the network's engine: the lanes kernel on the padded population (then the first P
        rows of its outputs), or the one-individual kernel (``engine="scalar"``)."""
        # arrays from Ray's object store are read-only, another Numba type: copy to compile once
        L, ix, fx = (a if a.flags.writeable else a.copy() for a in (net.L, net.ix, net.fx))
        if getattr(net, "engine", "lanes") == "scalar":
            run_rows(K.score_population, 1, W.shape[0], net.key, L, ix, fx, W, int(net.ws_len), X, Y,
                     starts, mask, free, fb_in, fb_out, self._mode, self._tol, self._thr, sse, n_right,
                     seq_right, finite)
            return
        dt = lanes.DTYPES[getattr(net, "dtype", "float64")]
        Wb = lanes.pack(W, dt)
        Pp = Wb.shape[0] * lanes.lanes_of_dtype(dt)
        out = (np.empty(Pp), np.empty(Pp, dtype=np.int64), np.empty((Pp, seq_right.shape[1]), dtype=np.uint8),
               np.empty(Pp, dtype=np.uint8))
        kernel = K.score_population_lanes_bidir if net.kind == BIDIRECTIONAL else K.score_population_lanes
        run_rows(kernel, 1, Wb.shape[0], net.key, L, ix, fx, Wb, int(net.ws_len),
                 np.ascontiguousarray(X, dtype=dt), Y, starts, mask, free, fb_in, fb_out,
                 self._mode, self._tol, self._thr, *out)
        P = W.shape[0]
        for dst, src in zip((sse, n_right, seq_right, finite), out):
            dst[...] = src[:P]

    def check_solved(self, net, w: np.ndarray, result_row: np.ndarray, seed: int) -> SolvedCheck:
        """The published criterion on the test split; ``info`` holds the test metrics.

        The test is skipped (0 test episodes) when ``result_row``, the training metrics, fails a
        ``precheck`` condition."""
        if result_row is not None and not _holds(self.precheck, self.metric_names, result_row):
            return SolvedCheck(False, 0, {})
        data = self.test if self.test is not None else self.train
        row = self.score(net, w, data).metrics[0]
        m = dict(zip(self.metric_names, (float(v) for v in row)))
        solved = _holds(self.solved_when, self.metric_names, row)
        prefix = "test_" if self.test is not None else "train_"
        return SolvedCheck(solved, data.n_sequences, {prefix + k: v for k, v in m.items()})


def _holds(conditions, names: tuple[str, ...], row: np.ndarray) -> bool:
    return all(bool(_COMPARE[op](row[names.index(m)], v)) for m, op, v in conditions)


def supervised_problem(train: Sequence[tuple[np.ndarray, np.ndarray]],
                       test: Sequence[tuple[np.ndarray, np.ndarray]] | None = None, *,
                       name: str = "supervised", tolerance: float = 0.1, threshold: float | None = None,
                       washout: int = 0, measures: Sequence[str] = ("nrmse", "accuracy"),
                       solved_when: Sequence[tuple[str, str, float]] = (("learnt", ">=", 1.0),),
                       causal: bool = False, output_activation: str = "linear",
                       default_net: dict | None = None, description: str = "") -> SequenceProblem:
    """A problem from your own data: lists of (input sequence (T_i, n_in), target sequence (T_i, n_out)).

    1-D sequences are one column. A target step of NaN is not scored (e.g. a label only at the
    end), nor the first ``washout`` steps of each sequence. A target counts as learnt when every
    output is within ``tolerance`` of it, or, with ``threshold``, on the same side of it. Fitness
    is 1 / (MSE + 1e-12); metrics are mse, learnt and ``measures``. ``check_solved`` applies
    ``solved_when`` to the test pairs (the training pairs when there are none). Set ``causal``
    when the targets are the next inputs (bidirectional networks are then refused).
    """
    def split(pairs):
        pairs = list(pairs)
        if not pairs or any(len(p) != 2 for p in pairs):
            raise ValueError("give a non-empty list of (inputs, targets) pairs")
        return SequenceData.from_sequences([p[0] for p in pairs], [p[1] for p in pairs], washout=washout)

    try:
        tr = split(train)
        te = None if test is None else split(test)
    except ValueError as e:
        raise ValueError(f"problem {name}: {e}") from None
    return SequenceProblem(name, tr, te, tolerance=tolerance, threshold=threshold, measures=measures,
                           solved_when=solved_when, causal=causal, description=description or
                           f"your dataset: {tr.n_sequences} training sequences", output_activation=output_activation,
                           default_net=default_net, params={"tolerance": tolerance, "threshold": threshold,
                                                            "washout": washout})
