"""The embedded Reber grammar (Hochreiter & Schmidhuber 1997, Neural Computation 9(8):1735-1780).

Inner Reber graph (Reber 1967; Cleeremans, Servan-Schreiber & McClelland 1989), states 0..6:
0 -B-> 1; 1: T->2, P->3; 2: S->2, X->4; 3: T->3, V->5; 4: X->3, S->6; 5: P->4, V->6; 6 -E-> end.
Each branch is taken with probability 1/2. An embedded string is B, c, an inner string, the same
c again, E, with c = T or P. The task: at every symbol, predict the set of symbols that may come
next (7 symbols BTPSXVE, one-hot in, multi-hot target). The second c needs memory across the whole
inner string. An output is right when it is on the same side of 0.5 as its target; a string is
learnt when every prediction in it is right.

Defaults (as Hochreiter & Schmidhuber): 256 training strings and 256 separately drawn test
strings (about 3,000 steps each). Solved: every test string right. Hochreiter & Schmidhuber's
LSTM solved it in 148 of 150 runs after 8,440 training sequences; Elman networks trained by
gradient failed.
"""
from __future__ import annotations

import numpy as np

from evornn.seeding import generator

from .supervised import SequenceProblem, data_bytes
from .symbols import next_symbol_data

DESCRIPTION = "embedded Reber grammar: predict the set of possible next symbols (Hochreiter & Schmidhuber 1997)"
SYMBOLS = "BTPSXVE"
# state -> ((symbol, next state), ...); None ends the inner string.
INNER_GRAPH: dict[int, tuple[tuple[str, int | None], ...]] = {
    0: (("B", 1),), 1: (("T", 2), ("P", 3)), 2: (("S", 2), ("X", 4)), 3: (("T", 3), ("V", 5)),
    4: (("X", 3), ("S", 6)), 5: (("P", 4), ("V", 6)), 6: (("E", None),),
}


def inner_string(rng: np.random.Generator) -> str:
    """One string of the inner Reber grammar, each branch with probability 1/2."""
    out, state = [], 0
    while state is not None:
        edges = INNER_GRAPH[state]
        sym, state = edges[int(rng.integers(len(edges)))] if len(edges) > 1 else edges[0]
        out.append(sym)
    return "".join(out)


def embedded_string(rng: np.random.Generator) -> str:
    """One embedded Reber string: B, c, inner string, c, E with c = T or P."""
    c = "TP"[int(rng.integers(2))]
    return "B" + c + inner_string(rng) + c + "E"


def next_sets(string: str) -> list[set[str]]:
    """For each symbol but the last of an embedded Reber string, the set of legal next symbols."""
    c, inner = string[1], string[2:-2]
    sets: list[set[str]] = [{"T", "P"}, {"B"}]
    state: int | None = 0
    for sym in inner:
        state = dict(INNER_GRAPH[state])[sym]
        sets.append({c} if state is None else {s for s, _ in INNER_GRAPH[state]})
    sets.append({"E"})
    return sets


def strings(n: int, rng: np.random.Generator) -> list[str]:
    return [embedded_string(rng) for _ in range(n)]


EXPECTED_STEPS = 11    # inputs of an embedded string: B, c, the inner string (8 symbols expected), c


def estimate_data_bytes(name: str, n_train: int, n_test: int, **_) -> int:
    """The memory guard's size of the data (:mod:`problems.registry`): ``n_train`` and ``n_test``
    strings of the expected 11 steps (the inner string's expected length 8 solves
    e(s) = 1 + mean of e over the successors of state s on :data:`INNER_GRAPH`)."""
    return sum(data_bytes(EXPECTED_STEPS * int(n), n, len(SYMBOLS), len(SYMBOLS)) for n in (n_train, n_test))


def make(name: str = "reber", n_train: int = 256, n_test: int = 256, seed: int = 0) -> SequenceProblem:
    """The embedded Reber problem with ``n_train`` training and ``n_test`` test strings drawn from
    separate streams of ``seed``."""
    if int(n_train) < 1 or int(n_test) < 1:
        raise ValueError(f"problem {name}: n_train and n_test must be >= 1, got {n_train} and {n_test}")
    train = next_symbol_data(strings(int(n_train), generator(seed, 0)), SYMBOLS, next_sets)
    test = next_symbol_data(strings(int(n_test), generator(seed, 1)), SYMBOLS, next_sets)
    return SequenceProblem(
        name, train, test, threshold=0.5, measures=("string_accuracy",),
        solved_when=(("string_accuracy", ">=", 1.0),), causal=True, description=DESCRIPTION,
        solved_description="every test string right (each output on the right side of 0.5 at every step)",
        output_activation="sigmoid", default_net={"arch": "elman", "n_hidden": 8},
        params={"n_train": int(n_train), "n_test": int(n_test), "seed": int(seed)})
