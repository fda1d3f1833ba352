"""Superimposed sine waves, generated free-running (Evolino: Wierstra, Gomez & Schmidhuber 2005, IJCAI).

f(x) = sum_{i<k} sin(w_i x), k = 2..5, w = 0.2, 0.311, 0.42, 0.51, 0.74, sampled every 0.8. The
network gets f(x_t) and outputs f(x_{t+1}). Training: x in [0, 760) (950 samples), test: x in
[1600, 2160) (700 samples), each one sequence from the zero state: the first ``washout`` steps are
teacher-forced and not scored, after which the network free-runs (its output is its next input)
and every step is scored (``free_run_train=False`` trains by teacher forcing instead; the test
always free-runs). ``nrmse`` = sqrt(mse / var(f)) over the scored steps. Evolino-LSTM generated
up to 5 superimposed sines; an echo-state baseline failed at 3.

Defaults: k = 2, washout 100, ``tolerance`` 0.1 for "learnt", solved when the test NRMSE is at most
``target_nrmse`` = 0.05 (the reference gives no threshold: this one is the project's). The data
are the definition (``seed`` is accepted for a uniform interface and unused).
"""
from __future__ import annotations

import numpy as np

from .supervised import SequenceData, SequenceProblem, data_bytes

DESCRIPTION = "superimposed sine waves (k = 2..5): generation after a teacher-forced washout (Evolino, Wierstra et al. 2005)"
FREQUENCIES = (0.2, 0.311, 0.42, 0.51, 0.74)
STEP = 0.8
TRAIN_RANGE = (0.0, 760.0)
TEST_RANGE = (1600.0, 2160.0)


def superimposed(x: np.ndarray, k: int) -> np.ndarray:
    """sum of sin(w_i x) over the first k frequencies."""
    return np.sin(np.outer(x, FREQUENCIES[:k])).sum(axis=1)


def grid(lo: float, hi: float) -> np.ndarray:
    """x = lo, lo + 0.8, ... below hi (integer steps, no accumulated rounding)."""
    return lo + STEP * np.arange(int(round((hi - lo) / STEP)))


def split(lo: float, hi: float, k: int, washout: int, free: bool, var: float) -> SequenceData:
    f = superimposed(grid(lo, hi), k)
    return SequenceData.from_sequences([f[:-1]], [f[1:]], washout=washout,
                                       free_from=[washout] if free else None, target_var=var)


def estimate_data_bytes(name: str, **params) -> int:
    """The memory guard's size of the data (:mod:`problems.registry`): the training and test
    sequences of the fixed ranges, whatever the parameters."""
    return sum(data_bytes(round((hi - lo) / STEP) - 1, 1, 1, 1) for lo, hi in (TRAIN_RANGE, TEST_RANGE))


def make(name: str = "sines", k: int = 2, washout: int = 100, free_run_train: bool = True,
         tolerance: float = 0.1, target_nrmse: float = 0.05, seed: int = 0) -> SequenceProblem:
    """Sum of ``k`` sines; ``washout`` teacher-forced steps before free-running."""
    k, washout = int(k), int(washout)
    if not 1 <= k <= len(FREQUENCIES):
        raise ValueError(f"problem {name}: k must be in 1..{len(FREQUENCIES)}, got {k}")
    n_test = len(grid(*TEST_RANGE)) - 1
    if not 1 <= washout < n_test:
        raise ValueError(f"problem {name}: washout must be in 1..{n_test - 1}, got {washout}")
    var = float(np.var(superimposed(grid(*TRAIN_RANGE), k)))
    train = split(*TRAIN_RANGE, k, washout, bool(free_run_train), var)
    test = split(*TEST_RANGE, k, washout, True, var)
    return SequenceProblem(
        name, train, test, tolerance=tolerance, measures=("nrmse",), feedback=([0], [0]),
        solved_when=(("nrmse", "<=", target_nrmse),), causal=True, description=DESCRIPTION,
        solved_description=f"free-running test NRMSE <= {target_nrmse:g}",
        output_activation="linear", default_net={"arch": "elman", "n_hidden": 10, "activation": "tanh"},
        params={"k": k, "washout": washout, "free_run_train": bool(free_run_train),
                "tolerance": float(tolerance), "target_nrmse": float(target_nrmse), "seed": int(seed)})
