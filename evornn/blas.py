"""How many threads BLAS (OpenBLAS, MKL, ...) may use while a run computes.

A multithreaded BLAS splits a matrix product or an eigendecomposition differently for different
thread counts, so the last bits of the result, and from there a whole run, depend on how many
threads it had: a CMA-ES run (pycma's sampling and eigendecomposition) with 161 weights took
another path from its fifth generation with 2 BLAS threads than with 1. The runner therefore
computes each generation with ``[run] blas_threads`` BLAS threads, 1 by default: the same seed
gives the same run whatever the machine's cores or ``OPENBLAS_NUM_THREADS``. (The CPU kernels
OpenBLAS picks still matter: ``OPENBLAS_CORETYPE``.) 0 leaves BLAS as the environment set it
(faster for CMA-ES with thousands of weights, not reproducible across thread counts).
threadpoolctl sets the limit in the BLAS libraries already loaded, around the calls only.
"""
from __future__ import annotations

import contextlib
import sys
from typing import Iterator

_controller = None
_modules = -1       # len(sys.modules) when the controller looked: a BLAS is loaded by an import


def limit(threads: int) -> contextlib.AbstractContextManager:
    """A context in which every loaded BLAS uses at most ``threads`` threads (0: no change)."""
    if threads <= 0:
        return contextlib.nullcontext()
    return _limited(threads)


@contextlib.contextmanager
def _limited(threads: int) -> Iterator[None]:
    global _controller, _modules
    if _controller is None or len(sys.modules) != _modules:   # finding the libraries takes about 1.5 ms
        _load_numbas_lapack()
        from threadpoolctl import ThreadpoolController
        _controller, _modules = ThreadpoolController(), len(sys.modules)
    with _controller.limit(limits=threads, user_api="blas"):
        yield


def _load_numbas_lapack() -> None:
    """Numba's np.linalg in a kernel (the readout solves) calls SciPy's LAPACK, whose OpenBLAS is
    loaded when a kernel first needs it: in the middle of a generation, after the limit was set.
    Loaded now (about 0.1 s, once; nothing when pycma has loaded SciPy already), it is limited too."""
    try:
        import scipy.linalg.cython_lapack  # noqa: F401
    except ImportError:      # no SciPy: Numba has no np.linalg either
        pass


def threads_now() -> list[int]:
    """The thread count of every loaded BLAS now (for tests and diagnostics)."""
    from threadpoolctl import threadpool_info
    return [int(d["num_threads"]) for d in threadpool_info() if d.get("user_api") == "blas"]
