"""Run a kernel over a population on several threads: chunks of rows on a pool of Python threads.

The population kernels are plain (not ``parallel=True``) Numba functions compiled with
``nogil=True`` that take a row range ``lo, hi`` as their last two arguments. A Numba ``prange``
kernel costs about three times as long to compile (measured: 9.4 s against 2.9 s of CPU for the
Elman lanes kernel from an empty cache), and users wait for that on first use; its static
schedule also leaves a thread idle when episodes end early at different times. Here the rows are
cut into chunks that the threads take in turn (a dynamic schedule), ``numba.get_num_threads()``
threads at a time (the setting of the calling thread, as for a ``prange`` kernel). Rows are
independent, so results do not depend on the chunking or the number of threads.
"""
from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import numba

from .specialise import entry

_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()
CHUNKS_PER_THREAD = 4


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=max(1, numba.config.NUMBA_NUM_THREADS),
                                       thread_name_prefix="evornn-kernel")
        return _POOL


def run_rows(kernel, n_literal: int, n_rows: int, *args) -> None:
    """``kernel(*args, lo, hi)`` for chunks [lo, hi) covering rows 0..n_rows-1, in parallel.

    ``n_literal``: how many leading arguments are compile-time literals (see
    :func:`evornn.nets.specialise.call`).
    """
    fn = entry(kernel, n_literal, *args, 0, 0)
    threads = min(numba.get_num_threads(), n_rows)
    if threads <= 1:
        fn(*args, 0, n_rows)
        return
    n_chunks = min(n_rows, threads * CHUNKS_PER_THREAD)
    bounds = [n_rows * i // n_chunks for i in range(n_chunks + 1)]
    counter = itertools.count()                # next() is atomic under the GIL

    def work():
        for i in iter(lambda: next(counter), None):
            if i >= n_chunks:
                return
            fn(*args, bounds[i], bounds[i + 1])

    # ``threads`` workers, this thread one of them: at most that many chunks run at once.
    futures = [_pool().submit(work) for _ in range(threads - 1)]
    work()
    for f in futures:
        f.result()
