"""Evaluations per second: local Numba threads against Ray actors (1 node, 2 nodes on one machine).

    NUMBA_CACHE_DIR=/tmp/numba-ray python benchmarks/bench_ray.py [--quick]

Workloads: ``cheap``, double pole balancing on random (first-generation) networks, microseconds per
evaluation; ``expensive``, Mackey-Glass (1,000 steps) with a 32-unit Elman network, milliseconds
per evaluation. Ray configurations run on a ``ray.cluster_utils.Cluster`` on this machine, dashboard
off: one node with ``CPUS`` CPUs (one actor per core with 1 Numba thread, 1 to 4 chunks per actor
per generation; or one actor per node with all the threads), then two nodes with CPUS / 2 each
(one actor per core). "overhead/gen" is the time of a Ray generation of one cheap individual per
chunk: the fixed cost a generation pays on Ray, whatever the fitness.

    NUMBA_CACHE_DIR=/tmp/numba-ray python benchmarks/bench_ray.py --scaling [--rounds 3]

The scale-out figure: Mackey-Glass (4,000 training steps) with a 64-unit Elman network (a few
milliseconds per individual), 64 individuals (``--pop``), on a cluster of one 1-CPU node and then of two 1-CPU nodes (one actor
of one thread per node); the ratio of their generation times (ideal 2). Rounds alternate the two
set-ups so that a change in the machine's load hits both; each round prints its ratio.
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
from evornn.evaluators.ray_evaluator import PRIVATE_SYSTEM_CONFIG
from evornn.problems.registry import make_problem
from evornn.seeding import eval_seeds, generator

os.environ.setdefault("NUMBA_CACHE_DIR", "/tmp/numba-ray")
CPUS = max(1, min(2, os.cpu_count() or 1))
CORES = len(os.sched_getaffinity(0))


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


def generation_times(ev, prob, net, W, reps: int) -> list[float]:
    """Seconds of ``reps`` generations (one warm-up call first)."""
    ev(prob, net, W, eval_seeds(0, 0, W.shape[0]))
    times = []
    for g in range(reps):
        t = time.perf_counter()
        ev(prob, net, W, eval_seeds(0, g + 1, W.shape[0]))
        times.append(time.perf_counter() - t)
    return times


def per_generation(ev, prob, net, W, reps: int) -> float:
    """Median seconds of one generation (one warm-up call first)."""
    return statistics.median(generation_times(ev, prob, net, W, reps))


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


def pin_node(node, cpu: int) -> None:
    """Keep every process of a ``ray.cluster_utils`` node (its raylet, agents, GCS on the head) on
    core ``cpu``; the actors the raylet starts later inherit it."""
    import psutil
    for infos in node.all_processes.values():
        for info in infos:
            proc = psutil.Process(info.process.pid)
            for p in [proc, *proc.children(recursive=True)]:
                p.cpu_affinity([cpu])


def cluster_times(nodes: int, prob, net, W: np.ndarray, ref: np.ndarray, reps: int,
                  chunks: int | None = None, pin: bool = False) -> list[float]:
    """Seconds of ``reps`` generations on a fresh cluster of ``nodes`` 1-CPU nodes, one actor each
    (``pin``: node k's processes on core k, the driver with the head node: a 1-CPU node is one core)."""
    from ray.cluster_utils import Cluster
    import ray
    before = os.sched_getaffinity(0)
    if pin:
        os.sched_setaffinity(0, {0})          # the driver, and the head node it starts, on core 0
    # the head's settings are the evaluator's own private Ray's (dashboard off, metrics off)
    cluster = Cluster(initialize_head=True, connect=True, head_node_args={
        "num_cpus": 1, "include_dashboard": False, "_system_config": PRIVATE_SYSTEM_CONFIG})
    try:
        if pin:
            pin_node(cluster.head_node, 0)
        for k in range(1, nodes):
            node = cluster.add_node(num_cpus=1)
            if pin:
                pin_node(node, k % CORES)
        cluster.wait_for_nodes()
        kw = {} if chunks is None else {"chunks_per_worker": chunks}
        with RayEvaluator(workers=nodes, cpus_per_worker=1, **kw) as ev:
            t = generation_times(ev, prob, net, W, reps)
            assert np.array_equal(ev(prob, net, W, eval_seeds(0, 0, W.shape[0])).fitness, ref), "differs from local"
            assert len(ev.last_nodes) == nodes, f"work reached {len(ev.last_nodes)} of {nodes} nodes"
        return t
    finally:
        ray.shutdown()
        cluster.shutdown()
        os.sched_setaffinity(0, before)


def scaling(reps: int, rounds: int, steps: int, pop: int = 64, chunks: int | None = None, pin: bool = False) -> None:
    prob = make_problem("mackey-glass", n_train=steps)
    net = evornn.make_network(prob, "elman", n_hidden=64)
    W = net.init(generator(7), pop)
    ref = LocalEvaluator(threads=1)(prob, net, W, eval_seeds(0, 0, W.shape[0])).fitness
    t = time.perf_counter()
    LocalEvaluator(threads=1)(prob, net, W, eval_seeds(0, 1, W.shape[0]))
    each = (time.perf_counter() - t) / W.shape[0]
    print(f"Mackey-Glass ({steps} training steps), Elman 64 units, {W.shape[0]} individuals: "
          f"{1e3 * each:.2f} ms per individual "
          "on one local thread")
    ratios, fastest = [], []
    for r in range(rounds):
        one = cluster_times(1, prob, net, W, ref, reps, chunks, pin)
        two = cluster_times(2, prob, net, W, ref, reps, chunks, pin)
        m1, m2 = statistics.median(one), statistics.median(two)
        ratios.append(m1 / m2)
        fastest.append(min(one) / min(two))
        # the machine's own ceiling at this moment: local threads, 2 against 1 (other jobs share the cores)
        ceiling = (per_generation(LocalEvaluator(threads=1), prob, net, W, reps)
                   / per_generation(LocalEvaluator(threads=2), prob, net, W, reps))
        print(f"round {r + 1}: median generation 1 node {1e3 * m1:.1f} ms, 2 nodes {1e3 * m2:.1f} ms, "
              f"ratio {m1 / m2:.2f}x; fastest generation {1e3 * min(one):.1f} and {1e3 * min(two):.1f} ms, "
              f"ratio {fastest[-1]:.2f}x; local 2 threads against 1 meanwhile {ceiling:.2f}x", flush=True)
    print(f"scale-out, two 1-CPU nodes against one (ideal 2): median-generation ratio best {max(ratios):.2f}x, "
          f"median {statistics.median(ratios):.2f}x; fastest-generation ratio best {max(fastest):.2f}x, "
          f"median {statistics.median(fastest):.2f}x; {rounds} rounds, {reps} generations each")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    ap.add_argument("--scaling", action="store_true", help="only the scale-out figure: 2 nodes against 1")
    ap.add_argument("--rounds", type=int, default=3, help="--scaling: alternating rounds")
    ap.add_argument("--steps", type=int, default=4000, help="--scaling: Mackey-Glass training steps (the cost)")
    ap.add_argument("--pop", type=int, default=64, help="--scaling: individuals per generation")
    ap.add_argument("--chunks", type=int, default=None,
                    help="--scaling: chunks per actor and generation (default: the evaluator's)")
    ap.add_argument("--pin", action="store_true",
                    help="--scaling: each node's processes on a core of their own (the driver with the head): "
                         "1-CPU nodes that are one core each, as separate machines would be")
    args = ap.parse_args()
    reps = 5 if args.quick else 15
    if args.scaling:
        scaling(reps, args.rounds, args.steps, args.pop, args.chunks, args.pin)
        return
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
