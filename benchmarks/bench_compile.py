"""Cold compile (issue 14): the seconds a new user waits the first time, with an empty Numba cache.

For every architecture in ``evornn.ARCHS`` (or ``--arch NAME ...``), each in a fresh Python
subprocess whose ``NUMBA_CACHE_DIR`` is a new, empty temporary directory:

- supervised: a small network of the architecture (4 hidden units; ``mlp`` one layer of 4,
  ``rmlp``/``stacked`` two of 4) on ``evornn.supervised_problem(pairs_train, pairs_test,
  tolerance=0.1)`` made of a few short random sequences (2 inputs, 1 output), then
  ``problem.evaluate(net, W, seeds)`` on a population of 10; in ``--dtype float32`` the network
  is built with ``dtype="float32"``;
- pole (architectures whose network can step, ``net.steppable``; another subprocess and another
  empty cache): ``make_problem("pole-balance")`` with its defaults (double pole with velocities),
  a network with ``prob.n_inputs`` inputs and 1 sigmoid output, ``prob.evaluate(net, W, seeds)``
  on a population of 10. Always float64 (closed-loop problems run in float64).

Two figures per case: "first evaluation", timed inside the subprocess from just before the first
``evaluate`` call to just after it (compilation, imports not counted), and "process", the wall
time of the whole subprocess as the parent sees it (interpreter start and imports included). The
progress lines also give the CPU seconds of the first evaluation (``time.process_time``, all
threads): compiling is single-threaded, so on an idle machine CPU and wall time agree, and a wall
time well above the CPU time means the run waited for a core.

- bptt (``--bptt``; the architectures :mod:`evornn.grad.bptt` trains): the same supervised problem
  and network, the first ``bptt.gradient(net, w, problem.train)`` (the gradient kernel; it is
  what ``evornn run bptt`` waits for first). Its figures are in the progress lines.

Then the README's supervised example (its second Python block, ``evornn.optimise("cmaes", ...)``,
copied below as ``README_EXAMPLE``) run with ``python -c``: once cold (empty cache), then 3 times
warm on the same cache (median); whole-process wall time.

Goals from issue 14 (2-core machine): first evaluation of any architecture on any problem at most
10 s; the README example at most 15 s cold and 2 s warm. Each of these figures is marked OK/over.

The subprocesses run one at a time by default (``--jobs 1``): compiling is single-threaded and
concurrent compiles would slow each other. The figures depend on machine load (the machine may be
shared): the load average is printed at the start and the end; compare runs made at similar load.
The temporary cache directories are removed at the end.

    python benchmarks/bench_compile.py                       # all architectures, float64
    python benchmarks/bench_compile.py --arch elman gru      # a few
    python benchmarks/bench_compile.py --dtype float32       # supervised case in float32
    python benchmarks/bench_compile.py --no-pole --no-example [--jobs 2] [--timeout 900]
    python benchmarks/bench_compile.py --arch elman --no-pole --no-example --bptt
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

GOAL_FIRST_EVAL = 10.0      # s, first evaluation of any architecture on any problem, empty cache
GOAL_EXAMPLE_COLD = 15.0    # s, README supervised example end to end, empty cache
GOAL_EXAMPLE_WARM = 2.0     # s, the same, cache filled
WARM_RUNS = 3
POP = 10
HIDDEN = 4

# The second Python block of README.md (the supervised example), verbatim.
README_EXAMPLE = """\
import numpy as np, evornn
rng = np.random.default_rng(0)
seqs = [rng.uniform(-1, 1, (20, 1)) for _ in range(30)]
pairs = [(x, np.vstack([np.zeros((1, 1)), x[:-1]])) for x in seqs]   # echo the input one step late
problem = evornn.supervised_problem(pairs[:20], pairs[20:], tolerance=0.1)
result = evornn.optimise("cmaes", problem, arch="elman", net={"n_hidden": 3, "activation": "tanh"},
                         stop={"max_evaluations": 40000, "at_least": {"learnt": 0.95}}, seed=0)
print(result.stop_reason, result.best_metrics)   # 95% of the training data learnt, mse ~0.003
"""

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ----------------------------------------------------------------------------------------------
# child side: one first evaluation, result as one JSON line on stdout

def size_options(arch: str) -> dict:
    """A small network of ``arch``: 4 hidden units (per layer for the layered architectures)."""
    if arch == "mlp":
        return {"hidden": [HIDDEN]}
    if arch == "rmlp":
        return {"hidden": [HIDDEN, HIDDEN]}
    if arch == "stacked":
        return {"layers": [HIDDEN, HIDDEN]}
    return {"n_hidden": HIDDEN}


def child(arch: str, case: str, dtype: str) -> None:
    import numpy as np
    import evornn

    rng = np.random.default_rng(0)
    seeds = np.zeros(POP, dtype=np.uint64)
    if case in ("supervised", "bptt"):
        pairs = [(rng.uniform(-1, 1, (8, 2)), rng.uniform(-1, 1, (8, 1))) for _ in range(6)]
        problem = evornn.supervised_problem(pairs[:4], pairs[4:], tolerance=0.1)
        net = evornn.build(arch, 2, 1, dtype=dtype, **size_options(arch))
    else:
        from evornn.problems.registry import make_problem
        problem = make_problem("pole-balance")
        net = evornn.build(arch, problem.n_inputs, 1, output_activation="sigmoid", **size_options(arch))
        if not net.steppable:
            print(json.dumps({"skipped": "not steppable"}), flush=True)
            return
    W = net.init(rng, POP)
    t0, c0 = time.perf_counter(), time.process_time()
    if case == "bptt":
        from evornn.grad import bptt
        bptt.gradient(net, W[0], problem.train)
    else:
        problem.evaluate(net, W, seeds)
    first, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"first": first, "cpu": cpu}), flush=True)


# ----------------------------------------------------------------------------------------------
# parent side

def run_process(argv: list[str], cache_dir: str, timeout: float) -> tuple[float, subprocess.CompletedProcess]:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    t0 = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    return time.perf_counter() - t0, proc


def measure_case(arch: str, case: str, dtype: str, timeout: float, tmp_dirs: list[str]) -> dict:
    cache = tempfile.mkdtemp(prefix=f"evornn-bench-compile-{case}-")
    tmp_dirs.append(cache)
    argv = [sys.executable, os.path.abspath(__file__), "--child", arch, case, dtype]
    try:
        wall, proc = run_process(argv, cache, timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"error": f"exit {proc.returncode}: {tail}"}
    out = json.loads(lines[-1])
    out["process"] = wall
    return out


def mark(seconds: float, goal: float, unit: str = "") -> str:
    return f"{seconds:.1f}{unit} {'OK' if seconds <= goal else 'over'}"


def cell(res: dict | None, key: str, goal: float | None) -> str:
    if res is None:
        return "-"
    if "error" in res:
        return "error"
    if "skipped" in res:
        return "n/a"
    return mark(res[key], goal) if goal is not None else f"{res[key]:.1f}"


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    if len(sys.argv) >= 2 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
        return 0

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", nargs="+", metavar="NAME", help="architectures (default: all of evornn.ARCHS)")
    ap.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                    help="precision of the supervised case (pole always float64)")
    ap.add_argument("--no-pole", action="store_true", help="skip the pole-balancing case")
    ap.add_argument("--no-example", action="store_true", help="skip the README example")
    ap.add_argument("--bptt", action="store_true", help="also the first BPTT gradient (architectures bptt trains)")
    ap.add_argument("--jobs", type=int, default=1, help="subprocesses at once (default 1: clean figures)")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds allowed per subprocess")
    args = ap.parse_args()

    import numba
    import evornn

    archs = list(evornn.ARCHS) if not args.arch else list(dict.fromkeys(args.arch))
    unknown = [a for a in archs if a not in evornn.ARCHS]
    if unknown:
        ap.error(f"unknown architecture {unknown[0]!r}; choose from {', '.join(evornn.ARCHS)}")

    print(f"# Cold compile (issue 14): empty NUMBA_CACHE_DIR per subprocess, population {POP}, "
          f"supervised {args.dtype}, pole float64")
    print(f"load average at start: {loadavg()}; cores: {os.cpu_count()}; "
          f"numba {numba.__version__}, NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS}; jobs {args.jobs}",
          flush=True)

    tmp_dirs: list[str] = []
    t_start = time.perf_counter()
    try:
        cases = [(a, "supervised") for a in archs] + ([] if args.no_pole else [(a, "pole") for a in archs])
        if args.bptt:
            from evornn.grad.bptt import SUPPORTED
            cases += [(a, "bptt") for a in archs if a in SUPPORTED]
        results: dict[tuple[str, str], dict] = {}

        def one(key):
            res = measure_case(key[0], key[1], args.dtype, args.timeout, tmp_dirs)
            results[key] = res
            what = res.get("error") or res.get("skipped") or \
                f"first evaluation {res['first']:.1f} s (CPU {res['cpu']:.1f} s), process {res['process']:.1f} s"
            print(f"  {key[0]:14s} {key[1]:10s} {what}", flush=True)

        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            list(pool.map(one, cases))

        example = None
        if not args.no_example:
            cache = tempfile.mkdtemp(prefix="evornn-bench-compile-example-")
            tmp_dirs.append(cache)
            argv = [sys.executable, "-c", README_EXAMPLE]
            try:
                cold, proc = run_process(argv, cache, args.timeout)
                warm, outs = [], [proc]
                for _ in range(WARM_RUNS):
                    w, p = run_process(argv, cache, args.timeout)
                    warm.append(w)
                    outs.append(p)
                bad = [p for p in outs if p.returncode != 0]
                if bad:
                    example = {"error": (bad[0].stderr.strip().splitlines() or ["?"])[-1]}
                else:
                    example = {"cold": cold, "warm": statistics.median(warm), "warm_all": warm,
                               "output": proc.stdout.strip()}
            except subprocess.TimeoutExpired:
                example = {"error": f"timed out after {args.timeout:.0f} s"}

        print()
        print("| arch | supervised first evaluation s | supervised process s | pole first evaluation s | pole process s |")
        print("|---|---|---|---|---|")
        for a in archs:
            sup, pole = results.get((a, "supervised")), results.get((a, "pole"))
            print(f"| {a} | {cell(sup, 'first', GOAL_FIRST_EVAL)} | {cell(sup, 'process', None)} "
                  f"| {cell(pole, 'first', GOAL_FIRST_EVAL)} | {cell(pole, 'process', None)} |")
        for (a, case), res in results.items():
            if "error" in res:
                print(f"error: {a} {case}: {res['error']}")
        print()
        if example is not None:
            if "error" in example:
                print(f"README example: error: {example['error']}")
            else:
                print(f"README example (process wall time): cold {mark(example['cold'], GOAL_EXAMPLE_COLD, ' s')}, "
                      f"warm median of {WARM_RUNS} {mark(example['warm'], GOAL_EXAMPLE_WARM, ' s')} "
                      f"({', '.join(f'{w:.1f}' for w in example['warm_all'])}); output: {example['output']}")
        firsts = [r["first"] for r in results.values() if "first" in r]
        over = sorted({a for (a, _), r in results.items() if r.get("first", 0.0) > GOAL_FIRST_EVAL})
        print(f"goals: first evaluation <= {GOAL_FIRST_EVAL:.0f} s "
              f"({'all OK' if not over else 'over: ' + ', '.join(over)}"
              f"{f'; slowest {max(firsts):.1f} s' if firsts else ''}); "
              f"README example <= {GOAL_EXAMPLE_COLD:.0f} s cold, <= {GOAL_EXAMPLE_WARM:.0f} s warm")
        print(f"load average at end: {loadavg()}; total {time.perf_counter() - t_start:.0f} s")
    finally:
        for d in tmp_dirs:
            shutil.rmtree(d, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
