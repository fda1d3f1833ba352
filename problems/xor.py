"""XOR, NEAT's first benchmark (Stanley & Miikkulainen 2002, Section 4.2).

Two inputs, one output, the four patterns (0,0)->0, (0,1)->1, (1,0)->1, (1,1)->0, each its own
sequence from the zero state, held for ``steps`` steps (1 by default: enough for a feed-forward
network evaluated in one ordered pass; a recurrent network activated one pass a step needs as many
steps as its depth, as NEAT's code relaxes its networks). The output of the last step of each
pattern is scored. Fitness is NEAT's: (4 - sum_p |o_p - t_p|)^2, at most 16 (0 when the error exceeds 4). Solved: all four
outputs on the right side of 0.5. Metrics: ``error`` (sum of |o - t|) and ``right`` (patterns
right). The NEAT bias is the network's own (neat-net units have one): no bias input here.

``style = "neat-code"`` scores as NEAT's C++ code's ``xor_evaluate`` (neat1.2.1) does: a network
whose activation failed (NaN outputs: ``neat-net`` with ``update = "neat-code"`` when an output is
never activated) gets fitness 0.001 and error 999, its outputs reading 0 (the code's activation of
a node never activated); and an output of exactly 0.5 counts as 1 (the code's ``out >= 0.5``).
The default, "evornn": a non-finite output gives fitness 0, and 0.5 counts as 0.
"""
from __future__ import annotations

import numpy as np

from evornn.problem import EvalResult, Problem, SolvedCheck

DESCRIPTION = "XOR of two inputs, NEAT's fitness (4 - error)^2 (Stanley & Miikkulainen 2002)"

PATTERNS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
TARGETS = np.array([0.0, 1.0, 1.0, 0.0])
STYLES = ("evornn", "neat-code")


def estimate_data_bytes(name: str, steps: int, style: str = "evornn") -> int:
    """The memory guard's size of the data (:mod:`problems.registry`): the inputs (4 steps, 2) and
    the starts (5,); ``style`` does not change it."""
    return 4 * int(steps) * 2 * 8 + 5 * 8


class XOR(Problem):
    name = "xor"
    description = DESCRIPTION
    n_inputs, n_outputs = 2, 1
    output_activation = "sigmoid"
    solved_description = "all four outputs on the right side of 0.5"
    metric_names = ("error", "right")
    default_net = {"arch": "neat-net", "max_nodes": 8, "update": "ordered"}

    def __init__(self, steps: int = 1, style: str = "evornn"):
        if isinstance(steps, bool) or int(steps) != steps or int(steps) < 1:
            raise ValueError(f"problem xor: steps must be an integer >= 1, got {steps!r}")
        if style not in STYLES:
            raise ValueError(f"problem xor: style must be one of {', '.join(STYLES)}, got {style!r}")
        self.steps = int(steps)
        self.style = style
        self.episode_length = 4 * self.steps
        self.X = np.repeat(PATTERNS, self.steps, axis=0)
        self.starts = np.arange(5, dtype=np.int64) * self.steps

    def params(self) -> dict:
        return {"steps": self.steps, **({"style": self.style} if self.style != "evornn" else {})}

    def evaluate(self, net, W: np.ndarray, seeds: np.ndarray | None = None) -> EvalResult:
        self.check_network(net)
        out = net.run_population(W, self.X, self.starts)[:, self.steps - 1::self.steps, 0]   # (P, 4)
        if self.style == "neat-code":
            return _code_scores(out)
        err = np.abs(out - TARGETS).sum(axis=1)
        right = ((out > 0.5) == (TARGETS > 0.5)).sum(axis=1)
        ok = np.isfinite(err)
        fitness = np.where(ok, np.maximum(4.0 - np.where(ok, err, 4.0), 0.0) ** 2, 0.0)
        return EvalResult(fitness, np.stack([np.where(ok, err, np.inf), np.where(ok, right, 0)], axis=1).astype(np.float64))

    def check_solved(self, net, w: np.ndarray, result_row: np.ndarray, seed: int) -> SolvedCheck:
        return SolvedCheck(bool(result_row is not None and result_row[1] == 4), 0, {})


def _code_scores(out: np.ndarray) -> EvalResult:
    """NEAT's code's ``xor_evaluate`` on outputs (P, 4): (4 - error)^2, or 0.001 and error 999 when
    the activation failed (a NaN output); right: out < 0.5 for targets 0, out >= 0.5 for targets 1."""
    failed = ~np.isfinite(out).all(axis=1)
    o = np.where(np.isfinite(out), out, 0.0)
    err = np.abs(o - TARGETS).sum(axis=1)
    right = ((o >= 0.5) == (TARGETS > 0.5)).sum(axis=1)
    fitness = np.where(failed, 0.001, (4.0 - err) ** 2)
    return EvalResult(fitness, np.stack([np.where(failed, 999.0, err), right], axis=1).astype(np.float64))
