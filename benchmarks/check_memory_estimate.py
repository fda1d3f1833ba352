"""The memory guard's estimate against the memory a run really takes, locally and on Ray actors.

For each case: the proportional set size of this process and its descendants (Ray's processes, for
a private Ray) is sampled every 20 ms while the run is set up (problem data drawn, network and
population built) and runs; its largest growth over the level before is what the run took from the
machine, which is what the guard's limit (a fraction of the available memory) is compared with.
Printed beside it: the guard's estimate (:func:`evornn.memory.estimate`) by part, and their ratio.
A ratio near 1 or below means the estimate covers what was taken; well above 1, the guard lets
through runs bigger than it thinks.

The cases are made big (hundreds of MB) so that a fixed cost (Python, Numba, Ray's
processes: up to 600 MB, measured apart as the "small" twin of each case and subtracted) stays small
beside them:

    python benchmarks/check_memory_estimate.py            # local and Ray, every case
    python benchmarks/check_memory_estimate.py --backend local
"""
from __future__ import annotations

import argparse
import os
import threading
import time

import evornn
from evornn import memory


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(d))
    return kids


def tree_pss() -> int:
    """Proportional set size (bytes) of this process and all its descendants (Ray's processes are
    the driver's descendants for a private Ray): shared pages, such as Ray's object store mapped by
    several processes, are split between them instead of counted in each."""
    kids, todo, total = _children(), [os.getpid()], 0
    while todo:
        pid = todo.pop()
        todo.extend(kids.get(pid, ()))
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            pass
    return total


class Sampler:
    """The largest growth of :func:`tree_pss` between start() and stop() (other jobs on the machine
    do not count: only this process tree is measured)."""

    def __init__(self, period: float = 0.02):
        self.period, self._stop = period, threading.Event()

    def _loop(self):
        while not self._stop.is_set():
            self.high = max(self.high, tree_pss())
            time.sleep(self.period)

    def __enter__(self):
        self.base = self.high = tree_pss()
        self._t = threading.Thread(target=self._loop, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.high = max(self.high, tree_pss())

    @property
    def taken(self) -> int:
        return max(0, self.high - self.base)


# name: (optimiser, problem, problem params, arch, net options, settings, generations)
CASES = {
    "data": ("ga", "mackey-glass", {"n_train": 6_000_000, "n_runs": 1, "test_forced": 1000}, "elman",
             {"n_hidden": 2}, {"population": 8}, 1),
    "population": ("ga", "mackey-glass", {"n_train": 200, "n_runs": 1, "test_forced": 100}, "elman",
                   {"n_hidden": 200}, {"population": 2000}, 1),
}
SMALL = {"data": {"n_train": 2000}, "population": {"population": 20}}


def run_case(name: str, backend: str, small: bool, workers: int):
    opt, prob, pparams, arch, net, settings, gens = CASES[name]
    pparams, settings = dict(pparams), dict(settings)
    if small:
        for k, v in SMALL[name].items():
            (settings if k in settings else pparams)[k] = v
    evaluator = None
    if backend == "ray":
        from evornn.evaluators.ray_evaluator import RayEvaluator
        evaluator = RayEvaluator(workers=workers)
    with Sampler() as s:
        runner = evornn.make_runner(opt, prob, arch, net=net, settings=settings, problem_params=pparams,
                                    stop={"max_generations": gens}, seed=0, evaluator=evaluator, max_memory=None)
        est = memory.estimate(runner.problem, runner.net, type(runner.strategy), runner.strategy.config,
                              backend, workers)
        runner.run()
        time.sleep(0.2)
    if evaluator is not None:
        evaluator.close()
    return est, s.taken


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", choices=("local", "ray", "both"), default="both")
    ap.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    ap.add_argument("--workers", type=int, default=2, help="threads or Ray actors")
    a = ap.parse_args(argv)
    import ctypes
    ctypes.CDLL(None).mallopt(-3, 128 * 1024)   # M_MMAP_THRESHOLD fixed: a freed big array leaves the
    # process instead of being reused by the next case (glibc raises the threshold after such a free)
    backends = ("local", "ray") if a.backend == "both" else (a.backend,)
    print("| backend | case | estimate (parts) | taken, small twin subtracted | taken / estimate (data-dependent part) |")
    print("|---|---|---|---|---|")
    for backend in backends:
        for name in a.cases:
            run_case(name, backend, True, a.workers)          # compile, start what is started once
            est_s, taken_s = run_case(name, backend, True, a.workers)
            est, taken = run_case(name, backend, False, a.workers)
            d_est, d_taken = est.total - est_s.total, taken - taken_s
            parts = ", ".join(f"{k} {memory.fmt(v)}" for k, v in est.parts.items())
            print(f"| {backend} | {name} | {memory.fmt(est.total)} ({parts}) | {memory.fmt(d_taken)} "
                  f"(run {memory.fmt(taken)}, twin {memory.fmt(taken_s)}) | {d_taken / max(1, d_est):.2f} |",
                  flush=True)


if __name__ == "__main__":
    main()
