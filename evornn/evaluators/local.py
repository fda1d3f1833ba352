"""The local evaluator: the problem's parallel Numba kernel on this machine's threads."""
from __future__ import annotations

import numba
import numpy as np

from ..problem import EvalResult, Problem


class LocalEvaluator:
    """Evaluate a population with ``threads`` Numba threads (default: all).

    The result does not depend on the number of threads: each individual is evaluated alone from
    its own seed.
    """

    def __init__(self, threads: int | None = None):
        if threads is not None and not 1 <= int(threads) <= numba.config.NUMBA_NUM_THREADS:
            raise ValueError(f"workers must be in 1..{numba.config.NUMBA_NUM_THREADS}, got {threads}")
        self.threads = None if threads is None else int(threads)

    def __call__(self, problem: Problem, net, W: np.ndarray, seeds: np.ndarray) -> EvalResult:
        if self.threads is None:
            return problem.evaluate(net, W, seeds)
        old = numba.get_num_threads()
        numba.set_num_threads(self.threads)
        try:
            return problem.evaluate(net, W, seeds)
        finally:
            numba.set_num_threads(old)

    def close(self) -> None:
        pass
