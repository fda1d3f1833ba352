"""Speed of the Numba ports (fused with the network) against the Gymnasium path, per environment.

The same population of random networks (an Elman network, 8 hidden units) evaluated on the same
seeds by both backends of the ``gym`` problem, and by the port with ``simd = true`` (the networks
in vector lanes; the returns of each port are checked equal to the Gymnasium path's with the same
network arithmetic); environment steps
per second of each on one thread (each timed over repeated calls of the same evaluation for at
least ``--min-seconds``, best of ``--repeats`` interleaved runs), and the ratio (goal: 50x or more).
Compilation is done before timing.

    python benchmarks/bench_gym_ports.py
    python benchmarks/bench_gym_ports.py --population 100 --episodes 2 --repeats 3
    python benchmarks/bench_gym_ports.py --envs MountainCarContinuous-v0 --repeats 5 --min-seconds 0.3
"""
from __future__ import annotations

import argparse
import sys
import time

import numba
import numpy as np

from evornn.api import make_network
from evornn.problems.gym_ports import PORTS
from evornn.problems.registry import make_problem
from evornn.seeding import eval_seeds


def bench(env: str, population: int, episodes: int, repeats: int, min_seconds: float) -> dict:
    """Steps per second of the port, the port with ``simd``, and the Gymnasium path."""
    make = lambda backend, simd: make_problem("gym", env=env, episodes=episodes, backend=backend, simd=simd)
    runs = {"port": make("port", False), "port simd": make("port", True), "gymnasium": make("gymnasium", False)}
    net = make_network(runs["port"], "elman", n_hidden=8)
    W = net.init(np.random.default_rng(0), population)
    seeds = eval_seeds(0, 0, population)
    for p in runs.values():
        p.evaluate(net, W[:2], seeds[:2])          # compile
    best, fitness = {}, {}
    for _ in range(repeats):          # interleaved, best of each: the machine's load moves
        for name, p in runs.items():
            p.env_steps = 0
            calls = 0
            t0 = time.perf_counter()
            while calls == 0 or time.perf_counter() - t0 < min_seconds:   # a call of the port can
                fitness[name] = p.evaluate(net, W, seeds).fitness           # take 0.1 ms: time many
                calls += 1
            best[name] = max(best.get(name, 0.0), p.env_steps / (time.perf_counter() - t0))
    # each port against the Gymnasium path with the same network arithmetic
    assert np.array_equal(fitness["port"], fitness["gymnasium"]), env
    assert np.array_equal(fitness["port simd"], make("gymnasium", True).evaluate(net, W, seeds).fitness), env
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--population", type=int, default=50)
    ap.add_argument("--episodes", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--min-seconds", type=float, default=0.2,
                    help="time each backend over calls of the same evaluation for at least this long")
    ap.add_argument("--envs", nargs="+", default=list(PORTS), choices=list(PORTS), metavar="ENV",
                    help="the environments (default: every port)")
    a = ap.parse_args(argv)
    numba.set_num_threads(a.threads)
    print(f"population {a.population} x {a.episodes} episode(s), elman 8 hidden, {a.threads} thread(s)")
    print("| environment | port steps/s | port, simd, steps/s | Gymnasium path steps/s | ratio | ratio, simd |")
    print("|---|---|---|---|---|---|")
    for env in a.envs:
        b = bench(env, a.population, a.episodes, a.repeats, a.min_seconds)
        port, simd, slow = b["port"], b["port simd"], b["gymnasium"]
        print(f"| {env} | {port:,.0f} | {simd:,.0f} | {slow:,.0f} | {port / slow:,.0f}x | {simd / slow:,.0f}x |",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
