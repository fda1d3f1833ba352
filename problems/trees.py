"""Tree-structured problems for recursive networks: ``bool-trees`` and ``arith-trees``.

``bool-trees``: random propositional formulas over the constants F and T with AND, OR, XOR
(binary) and NOT (unary); predict the formula's truth value (one sigmoid output, right when on the
target's side of 0.5). ``arith-trees``: random sums of digits 0..9; predict the sum mod 10 (ten
sigmoid outputs, one-hot target, right when every output is on its target's side of 0.5;
:meth:`TreeProblem.argmax_accuracy` reads the largest output as the answer instead). The
tests of recursive networks in the literature (Pollack 1990; Bowman, Manning & Potts 2015, "Tree-
structured composition in neural networks without tree-structured architectures") train on small
trees and test on deeper ones: here training formulas have depth 1..``train_depth`` (default 4) and
test formulas depth ``test_depth`` (default 5..6), each depth equally often.

Two views of the same formulas:

* the tree, for ``recursive`` networks: post-order arrays (:mod:`evornn.problems.tree_kernel`). A
  binary operator node op(a, b) is the binary tree N(op, N(a, b)) and NOT(a) is N(NOT, a), the
  operator a leaf symbol like the constants, so that one shared W composes every node (sums have
  one operator: a + b is N(a, b));
* the prefix (Polish) string, one one-hot symbol a step, target at the last step, for every
  sequential network (an LSTM of the same size beside the recursive one) and for BPTT.

Fitness and metrics are those of :mod:`evornn.problems.supervised` (fitness 1 / (MSE + 1e-12);
mse, learnt, accuracy = the fraction of formulas right), computed by the tree kernel for a
recursive network and by the sequence kernel otherwise. Solved: test accuracy >= ``solved_accuracy``
(default 0.95).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evornn.nets.layer import ACT, NIN, NUNITS, POFF
from evornn.problem import EvalResult
from evornn.seeding import generator

from .supervised import EPS, SequenceData, SequenceProblem, data_bytes
from .tree_kernel import forest_outputs

BOOL_SYMBOLS = ("F", "T", "AND", "OR", "XOR", "NOT")
ARITH_SYMBOLS = tuple(str(d) for d in range(10)) + ("+",)
DESCRIPTIONS = {
    "bool-trees": "truth value of random AND/OR/XOR/NOT formulas; train depth <= 4, test depth 5-6 (tree or prefix string)",
    "arith-trees": "sum mod 10 of random digit sum trees; train depth <= 4, test depth 5-6 (tree or prefix string)",
}


def random_formula(kind: str, depth: int, rng: np.random.Generator):
    """A nested tuple of exactly ``depth`` (a leaf is depth 0): (symbol,) leaves, (op, a[, b]) nodes."""
    if depth == 0:
        return (int(rng.integers(2)),) if kind == "bool-trees" else (int(rng.integers(10)),)
    op = int(rng.integers(2, 6)) if kind == "bool-trees" else 10
    arity = 1 if op == 5 else 2
    full = int(rng.integers(arity))              # which child reaches the full depth
    kids = [random_formula(kind, depth - 1 if full == c else int(rng.integers(depth)), rng)
            for c in range(arity)]
    return (op, *kids)


def value(f) -> int:
    """The formula's value: a truth value (bool-trees) or a digit (arith-trees)."""
    if len(f) == 1:
        return f[0]
    v = [value(c) for c in f[1:]]
    return {2: lambda: v[0] & v[1], 3: lambda: v[0] | v[1], 4: lambda: v[0] ^ v[1], 5: lambda: 1 - v[0],
            10: lambda: (v[0] + v[1]) % 10}[f[0]]()


def prefix(f) -> list[int]:
    """The formula's symbols in prefix (Polish) order."""
    return [f[0]] + [s for c in f[1:] for s in prefix(c)]


def binary_tree(f):
    """The formula as the binary tree the recursive network reads: ints are leaves, pairs nodes."""
    if len(f) == 1:
        return f[0]
    if f[0] == 5:
        return (5, binary_tree(f[1]))
    a, b = binary_tree(f[1]), binary_tree(f[2])
    return (a, b) if f[0] == 10 else (f[0], (a, b))


def post_order(tree, sym: list, left: list, right: list) -> int:
    """Append ``tree``'s nodes in post-order to the arrays; returns its root's index."""
    if isinstance(tree, int):
        sym.append(tree), left.append(-1), right.append(-1)
    else:
        lft = post_order(tree[0], sym, left, right)
        rgt = post_order(tree[1], sym, left, right)
        sym.append(-1), left.append(lft), right.append(rgt)
    return len(sym) - 1


@dataclass(frozen=True)
class Forest:
    """Trees in post-order: sym (N,), left (N,), right (N,), starts (n_trees + 1,), all int64."""

    sym: np.ndarray
    left: np.ndarray
    right: np.ndarray
    starts: np.ndarray

    @classmethod
    def of(cls, trees) -> "Forest":
        sym, left, right, starts = [], [], [], [0]
        for t in trees:
            post_order(t, sym, left, right)
            starts.append(len(sym))
        return cls(*(np.asarray(a, dtype=np.int64) for a in (sym, left, right, starts)))

    @property
    def max_nodes(self) -> int:
        return int(np.diff(self.starts).max())


def split(kind: str, depths, n: int, rng: np.random.Generator) -> tuple[SequenceData, Forest]:
    n_sym = len(BOOL_SYMBOLS) if kind == "bool-trees" else len(ARITH_SYMBOLS)
    n_out = 1 if kind == "bool-trees" else 10
    formulas = [random_formula(kind, int(depths[i % len(depths)]), rng) for i in range(n)]
    xs, ys = [], []
    for f in formulas:
        s = prefix(f)
        y = np.full((len(s), n_out), np.nan)
        v = value(f)
        y[-1] = v if n_out == 1 else np.eye(10)[v]
        xs.append(np.eye(n_sym)[s])
        ys.append(y)
    return SequenceData.from_sequences(xs, ys), Forest.of([binary_tree(f) for f in formulas])


class TreeProblem(SequenceProblem):
    """A sequence problem (the prefix strings) whose splits also carry their trees (``forests``)."""

    def __init__(self, name: str, train: SequenceData, test: SequenceData, forests: tuple[Forest, Forest],
                 solved_accuracy: float, params: dict):
        super().__init__(name, train, test, threshold=0.5, measures=("accuracy",),
                         solved_when=(("accuracy", ">=", solved_accuracy),), causal=True,
                         description=DESCRIPTIONS[name],
                         solved_description=f"test accuracy >= {solved_accuracy:g} on the deeper formulas",
                         output_activation="sigmoid", default_net={"arch": "recursive", "n_hidden": 8},
                         params=params)
        self.train_forest, self.test_forest = forests

    def score(self, net, W: np.ndarray, data: SequenceData) -> EvalResult:
        if net.name != "recursive":
            return super().score(net, W, data)
        self.check_network(net)
        W = np.asarray(W, dtype=np.float64)
        W = np.ascontiguousarray(W[None, :] if W.ndim == 1 else W)
        if W.ndim != 2 or W.shape[1] != net.n_params:
            raise ValueError(f"problem {self.name}: population must have shape (P, {net.n_params}) for "
                             f"{net.name}, got {W.shape}")
        forest = self.train_forest if data is self.train else self.test_forest if data is self.test else None
        if forest is None:
            raise ValueError(f"problem {self.name}: a recursive network is scored on the problem's own splits only")
        y = self.tree_outputs(net, W, forest)
        target = data.Y[data.mask.astype(bool)]                  # one scored step per formula
        right = ((y > 0.5) == (target[None] > 0.5)).all(axis=2)
        finite = np.isfinite(y).all(axis=(1, 2)) & np.isfinite(W).all(axis=1)
        mse = np.where(finite, ((y - target[None]) ** 2).mean(axis=(1, 2)), np.inf)
        fitness = np.where(np.isfinite(mse), 1.0 / (mse + EPS), 0.0)
        acc = right.mean(axis=1)
        return EvalResult(fitness, np.stack([mse, acc, acc], axis=1))

    def evaluation_bytes(self, net, rows: int, threads: int) -> int:
        """A recursive network also keeps every tree's outputs per row (and their errors and
        verdicts) and, per thread, the node states of the largest tree."""
        out = super().evaluation_bytes(net, rows, threads)
        if net.name == "recursive":
            n_trees = max(self.train.n_sequences, self.test.n_sequences)
            max_nodes = max(self.train_forest.max_nodes, self.test_forest.max_nodes)
            out += 3 * int(rows) * n_trees * self.n_outputs * 8 + int(threads) * max_nodes * int(net.L[0, NUNITS]) * 8
        return out

    def argmax_accuracy(self, net, W: np.ndarray, split: str = "test") -> np.ndarray:
        """(P,): the fraction of ``split``'s formulas ("train" or "test") whose largest output is the
        target's digit (arith-trees: the class read as a 10-way classifier would read it, beside
        ``accuracy``, which needs all ten sigmoid outputs on their target's side of 0.5). Computed on
        demand from the outputs (the tree kernel's, or the network run over the prefix strings), not
        a training metric: it is no part of the fitness or of ``metric_names``."""
        if self.n_outputs < 2:
            raise ValueError(f"problem {self.name}: argmax accuracy needs one output per class, it has "
                             f"{self.n_outputs} output")
        if split not in ("train", "test"):
            raise ValueError(f"problem {self.name}: split must be 'train' or 'test', got {split!r}")
        data, forest = (self.train, self.train_forest) if split == "train" else (self.test, self.test_forest)
        W = np.asarray(W, dtype=np.float64)
        W = np.ascontiguousarray(W[None, :] if W.ndim == 1 else W)
        self.check_network(net)
        scored = data.mask.astype(bool)                        # one scored step per formula
        if net.name == "recursive":
            y = self.tree_outputs(net, W, forest)
        else:
            y = net.run_population(W, data.X, data.starts)[:, scored]
        right = y.argmax(axis=2) == data.Y[scored].argmax(axis=1)[None]
        return np.where(np.isfinite(y).all(axis=(1, 2)), right.mean(axis=1), 0.0)

    def tree_outputs(self, net, W: np.ndarray, forest: Forest) -> np.ndarray:
        """(P, n_trees, n_outputs): the recursive network's outputs on every tree of ``forest``."""
        L = net.L
        H, n_in = int(L[0, NUNITS]), int(L[0, NIN])
        readout = L.shape[0] > 1
        p_out = int(L[1, POFF]) if readout else -1
        out_act = int(L[1, ACT]) if readout else 0
        out = np.empty((W.shape[0], forest.starts.shape[0] - 1, self.n_outputs))
        forest_outputs(W, int(L[0, POFF]), H, n_in, int(L[0, ACT]), p_out, self.n_outputs, out_act,
                       forest.sym, forest.left, forest.right, forest.starts, forest.max_nodes, out)
        return out


def expected_sizes(kind: str, depth: int) -> list[tuple[float, float]]:
    """(expected prefix symbols, expected tree nodes) of a :func:`random_formula` of each depth
    0..``depth``: a node of depth d has one child of depth d - 1 and (binary operators: 3 in 4 for
    bool-trees, every one for arith-trees) another of a depth uniform over 0..d-1; a tree node is one
    (a sum), two (NOT) or three (AND, OR, XOR: the operator and two pairs) nodes of the binary tree.
    Stops early past 1e30 (sizes grow faster than exponentially in d)."""
    binary = 0.75 if kind == "bool-trees" else 1.0
    own = 0.25 * 2 + 0.75 * 3 if kind == "bool-trees" else 1.0
    sizes, total = [(1.0, 1.0)], [1.0, 1.0]
    for d in range(1, int(depth) + 1):
        a, b = sizes[-1]
        sizes.append((1 + a + binary * total[0] / d, own + b + binary * total[1] / d))
        total = [total[0] + sizes[-1][0], total[1] + sizes[-1][1]]
        if sizes[-1][0] > 1e30:
            break
    return sizes


def estimate_data_bytes(name: str, train_depth: int, test_depth, n_train: int, n_test: int, **_) -> int:
    """The memory guard's size of the data (:mod:`problems.registry`): per split, the prefix
    strings (one-hot inputs, one or ten outputs) and the post-order trees (three int64 per node) of
    ``n`` formulas, the depths in turn, at their expected sizes (:func:`expected_sizes`)."""
    n_sym, n_out = (len(BOOL_SYMBOLS), 1) if name == "bool-trees" else (len(ARITH_SYMBOLS), 10)
    test_depth = [int(test_depth)] if np.isscalar(test_depth) else [int(d) for d in test_depth]

    def split(depths, top: int, n: int) -> int:
        sizes = expected_sizes(name, top)
        if top >= len(sizes):                         # past 1e30 symbols
            return 2 ** 128
        n, k = int(n), len(depths)
        count = lambda i: n // k + (i < n % k)        # noqa: E731   formulas of depths[i]
        symbols = sum(count(i) * sizes[d][0] for i, d in enumerate(depths))
        nodes = sum(count(i) * sizes[d][1] for i, d in enumerate(depths))
        return data_bytes(int(symbols), n, n_sym, n_out) + 3 * 8 * int(nodes) + 8 * (n + 1)
    return split(range(1, int(train_depth) + 1), int(train_depth), n_train) + split(test_depth, max(test_depth), n_test)


def make(name: str = "bool-trees", train_depth: int = 4, test_depth: tuple = (5, 6), n_train: int = 400,
         n_test: int = 400, solved_accuracy: float = 0.95, seed: int = 0) -> TreeProblem:
    """``bool-trees`` or ``arith-trees``: ``n_train`` formulas of depth 1..train_depth, ``n_test``
    of the depths ``test_depth`` (an int or a list), from separate streams of ``seed``."""
    if name not in DESCRIPTIONS:
        raise ValueError(f"problem {name}: tree problems are {', '.join(DESCRIPTIONS)}")
    test_depth = [int(test_depth)] if np.isscalar(test_depth) else [int(d) for d in test_depth]
    if int(train_depth) < 1 or not test_depth or min(test_depth) < 1 or max(test_depth) > 12 \
            or int(n_train) < 1 or int(n_test) < 1 or not 0 < solved_accuracy <= 1:
        raise ValueError(f"problem {name}: need train_depth >= 1, test depths in [1, 12], n_train and n_test >= 1 "
                         f"and 0 < solved_accuracy <= 1, got {train_depth}, {test_depth}, {n_train}, {n_test}, "
                         f"{solved_accuracy}")
    train, f_train = split(name, list(range(1, int(train_depth) + 1)), int(n_train), generator(seed, 0))
    test, f_test = split(name, test_depth, int(n_test), generator(seed, 1))
    params = {"train_depth": int(train_depth), "test_depth": test_depth, "n_train": int(n_train),
              "n_test": int(n_test), "solved_accuracy": float(solved_accuracy), "seed": int(seed)}
    return TreeProblem(name, train, test, (f_train, f_test), float(solved_accuracy), params)
