"""Evaluations per second: local Numba threads against Ray actors (1 node, 2 nodes on one machine).

    NUMBA_CACHE_DIR=/tmp/numba-ray python benchmarks/bench_ray.py [--quick]

Workloads: ``cheap``, double pole balancing on random (first-generation) networks, microseconds per
evaluation; ``expensive``, Mackey-Glass (1,000 steps) with a 32-unit Elman network, milliseconds
per evaluation. Ray configurations run on a ``ray.cluster_utils.Cluster`` on this machine, dashboard
off: one node with ``CPUS`` CPUs (one actor per core with 1 Numba thread, 1 to 4 chunks per actor
per generation; or one actor per node with all the threads), then two nodes with CPUS / 2 each
(one actor per core). "overhead/gen" is the time of a Ray generation of one cheap individual per
chunk: the fixed cost a generation pays on Ray, whatever the fitness.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import numba
import numpy as np

import evornn
from evornn.evaluators import LocalEvaluator, RayEvaluator
from evornn.problems.registry import make_problem
from evornn.seeding import eval_seeds, generator

os.environ.setdefault("NUMBA_CACHE_DIR", "/tmp/numba-ray")
CPUS = max(1, min(2, os.cpu_count() or 1))


def workloads() -> dict[str, tuple]:
    """name -> (problem, net, population)."""
    pole = make_problem("pole-balance")
    mg = make_problem("mackey-glass")
    out = {}
    for name, prob, arch, opts, P in (("cheap", pole, None, {}, 512),
                                      ("expensive", mg, "elman", {"n_hidden": 32}, 64)):
        net = evornn.make_network(prob, arch, **opts)
        out[name] = (prob, net, net.init(generator(7), P))
    return out


def per_generation(ev, prob, net, W, reps: int) -> float:
    """Median seconds of one generation (one warm-up call first)."""
    ev(prob, net, W, eval_seeds(0, 0, W.shape[0]))
    times = []
    for g in range(reps):
        t = time.perf_counter()
        ev(prob, net, W, eval_seeds(0, g + 1, W.shape[0]))
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def ray_rows(label: str, evaluators: list[tuple[str, dict]], loads: dict, reps: int, ref: dict) -> list:
    rows = []
    for name, kw in evaluators:
        with RayEvaluator(**kw) as ev:
            row = {"backend": f"{label} {name}"}
            for wl, (prob, net, W) in loads.items():
                t = per_generation(ev, prob, net, W, reps)
                r = ev(prob, net, W, eval_seeds(0, 0, W.shape[0]))
                assert np.array_equal(r.fitness, ref[wl]), "Ray result differs from the local one"
                row[wl] = (W.shape[0] / t, t)
            prob, net, W = loads["cheap"]
            n = len(ev.actors) * ev.chunks_per_worker
            row["overhead"] = per_generation(ev, prob, net, W[:n], reps)
            row["nodes"] = len(ev.last_nodes)
            rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = ap.parse_args()
    reps = 5 if args.quick else 15
    loads = workloads()
    ref = {wl: LocalEvaluator()(p, n, W, eval_seeds(0, 0, W.shape[0])).fitness for wl, (p, n, W) in loads.items()}
    rows = []
    for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
        ev = LocalEvaluator(threads=threads)
        row = {"backend": f"local {threads} thread(s)"}
        for wl, (prob, net, W) in loads.items():
            t = per_generation(ev, prob, net, W, reps)
            row[wl] = (W.shape[0] / t, t)
        row["overhead"], row["nodes"] = 0.0, 1
        rows.append(row)

    from ray.cluster_utils import Cluster
    import ray
    head = {"num_cpus": CPUS, "include_dashboard": False}
    cluster = Cluster(initialize_head=True, connect=True, head_node_args=head)
    try:
        rows += ray_rows("ray 1 node", [
            (f"{CPUS}x1 thread, 1 chunk", dict(chunks_per_worker=1)),
            (f"{CPUS}x1 thread, 2 chunks", dict(chunks_per_worker=2)),
            (f"{CPUS}x1 thread, 4 chunks", dict(chunks_per_worker=4)),
            (f"1x{CPUS} threads, 1 chunk", dict(workers=1, threads_per_worker=CPUS, chunks_per_worker=1)),
        ], loads, reps, ref)
    finally:
        ray.shutdown()
        cluster.shutdown()
    if CPUS >= 2:
        half = {**head, "num_cpus": CPUS // 2}
        cluster = Cluster(initialize_head=True, connect=True, head_node_args=half)
        try:
            cluster.add_node(num_cpus=CPUS // 2)
            rows += ray_rows("ray 2 nodes", [(f"{CPUS}x1 thread, 2 chunks", {})], loads, reps, ref)
        finally:
            ray.shutdown()
            cluster.shutdown()

    print(f"\n{'backend':<38} {'cheap evals/s':>14} {'ms/gen':>8} {'expensive evals/s':>18} {'ms/gen':>8} "
          f"{'overhead/gen ms':>16} {'nodes':>5}")
    P = {wl: loads[wl][2].shape[0] for wl in loads}
    print(f"{'(population)':<38} {P['cheap']:>14} {'':>8} {P['expensive']:>18}")
    for r in rows:
        print(f"{r['backend']:<38} {r['cheap'][0]:>14,.0f} {1e3 * r['cheap'][1]:>8.2f} "
              f"{r['expensive'][0]:>18,.0f} {1e3 * r['expensive'][1]:>8.1f} {1e3 * r['overhead']:>16.2f} {r['nodes']:>5}")


if __name__ == "__main__":
    main()
