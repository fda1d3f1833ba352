"""BLAS's thread count inside a run (evornn.blas): a run computes with one BLAS thread by default,
so the same seed gives the same run whatever the machine or OPENBLAS_NUM_THREADS says."""
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import evornn
from evornn import blas
from toy_problem import ToyProblem

NET = {"n_hidden": 12}     # 193 weights: pycma's products and eigendecompositions use BLAS threads


def _cmaes(**kw):
    return evornn.make_runner("cmaes", ToyProblem(), net=NET, seed=5, stop={"max_generations": 40}, **kw).run()


def _multithreaded_blas() -> bool:
    with threadpool_limits(2, user_api="blas"):
        return bool(blas.threads_now()) and max(blas.threads_now()) >= 2


def test_a_generation_computes_with_one_blas_thread():
    seen = []
    import cma  # noqa: F401  (the BLAS libraries a run loads are loaded before `before` is taken)
    blas._load_numbas_lapack()
    with threadpool_limits(2, user_api="blas"):
        before = blas.threads_now()
        evornn.make_runner("cmaes", ToyProblem(), seed=1, stop={"max_generations": 2},
                           callbacks=(lambda r, row: seen.append(blas.threads_now()),)).run()
        outside = blas.threads_now()
    assert seen and all(t == [1] * len(t) for t in seen)
    assert before and outside == before         # the outer setting is restored after the run


@pytest.mark.skipif(not _multithreaded_blas(), reason="BLAS runs one thread here")
def test_cmaes_run_is_the_same_with_any_blas_thread_count():
    with threadpool_limits(1, user_api="blas"):
        one = _cmaes()
    with threadpool_limits(2, user_api="blas"):
        two = _cmaes()
        free = _cmaes(blas_threads=0)      # BLAS as the environment sets it: 2 threads here
    assert np.array_equal(one.best_chromosome, two.best_chromosome)
    assert [r["best"] for r in one.history] == [r["best"] for r in two.history]
    # what the limit prevents: with 2 threads the same seed takes another path
    assert not np.array_equal(one.best_chromosome, free.best_chromosome)


@pytest.mark.parametrize("bad", [-1, 1.5, True, "2"])
def test_bad_blas_threads(bad):
    with pytest.raises(ValueError, match="blas_threads must be an integer >= 0"):
        evornn.make_runner("cmaes", ToyProblem(), seed=1, stop={"max_generations": 1}, blas_threads=bad)


def test_run_section_blas_threads_is_checked():
    from evornn.config import RunSettings
    from evornn.settings import make_config
    assert make_config(RunSettings, {"blas_threads": 0}, "run").blas_threads == 0
    with pytest.raises(ValueError, match=r"run\.blas_threads must be >= 0"):
        make_config(RunSettings, {"blas_threads": -2}, "run")
