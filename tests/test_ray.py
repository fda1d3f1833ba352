"""The Ray evaluator: bit-identical to the local one, on one or two nodes, through actor and node losses.

Ray starts once for the whole session: one ``ray.cluster_utils.Cluster`` on this machine (head
node, 2 logical CPUs, dashboard off); tests that need a second node add one with a custom resource
and remove it when done. Actors take half a CPU each so that several fit on a 2-core machine.
"""
from __future__ import annotations

import os
import time

import numpy as np
import pytest

ray = pytest.importorskip("ray")

import evornn  # noqa: E402
from evornn.evaluators import LocalEvaluator, NoWorkersLeft, RayEvaluator, make_evaluator  # noqa: E402
from evornn.problems.registry import make_problem  # noqa: E402
from evornn.problems.supervised import supervised_problem  # noqa: E402
from evornn.seeding import eval_seeds, generator  # noqa: E402
from toy_problem import ToyProblem  # noqa: E402

os.environ.setdefault("NUMBA_CACHE_DIR", "/tmp/numba-ray")
TESTS = os.path.dirname(os.path.abspath(__file__))
FAST_FAILURE = {"health_check_initial_delay_ms": 0, "health_check_period_ms": 500,
                "health_check_failure_threshold": 3}


@pytest.fixture(scope="session")
def cluster():
    from ray.cluster_utils import Cluster
    c = Cluster(initialize_head=True, connect=True,
                head_node_args={"num_cpus": 2, "include_dashboard": False, "_system_config": FAST_FAILURE})
    yield c
    ray.shutdown()
    c.shutdown()


@pytest.fixture(scope="module")
def ev(cluster):
    """Three actors on the head node; the toy problem's module is importable by them."""
    e = RayEvaluator(workers=3, cpus_per_worker=0.5, runtime_env={"env_vars": {"PYTHONPATH": TESTS}})
    yield e
    e.close()


def _user_problem():
    rng = np.random.default_rng(5)
    pairs = [(rng.normal(size=(n, 2)), np.sin(rng.normal(size=(n, 1)))) for n in (7, 12, 9)]
    return supervised_problem(pairs, tolerance=0.2, name="mine")


CASES = {   # name -> (problem, arch, net options)
    "pole1-elman": (lambda: make_problem("pole-balance", poles=1), None, {}),
    "pole2-damping-lstm": (lambda: make_problem("pole-balance", fitness="damping", velocities=False),
                           "lstm", {"n_hidden": 3}),
    "parity-gru": (lambda: make_problem("parity"), "gru", {"n_hidden": 4}),
    "user-jordan": (_user_problem, "jordan", {"n_hidden": 3}),
    "user-stacked-gru": (_user_problem, "stacked", {"cell": "gru", "layers": (3, 2)}),
    "toy-seeded": (lambda: ToyProblem(noise=True), None, {}),
}


def _population(name: str, P: int = 37):
    make, arch, opts = CASES[name]
    prob = make()
    net = evornn.make_network(prob, arch, **opts)
    return prob, net, net.init(generator(11), P), eval_seeds(3, 4, P)


def _same(a, b) -> bool:
    return np.array_equal(a.fitness, b.fitness) and np.array_equal(a.metrics, b.metrics, equal_nan=True)


@pytest.mark.parametrize("name", list(CASES))
def test_equals_local_bit_for_bit(ev, name):
    prob, net, W, seeds = _population(name)
    ref = LocalEvaluator()(prob, net, W, seeds)
    res = ev(prob, net, W, seeds)
    assert _same(res, ref)
    assert ev.stats["resubmitted"] == 0
    small = ev(prob, net, W[:2], seeds[:2])           # fewer individuals than chunks
    assert np.array_equal(small.fitness, ref.fitness[:2])


def test_runs_equal_local_runs_and_problem_shipped_once(ev):
    def run(evaluator):
        return evornn.make_runner("ga", ToyProblem(noise=True), seed=9, settings={"population": 20},
                                  stop={"max_generations": 4}, evaluator=evaluator).run()
    a, b = run(LocalEvaluator(threads=1)), run(ev)
    assert [h["best"] for h in a.history] == [h["best"] for h in b.history]
    assert np.array_equal(a.best_chromosome, b.best_chromosome)
    ref = ev._config[0]
    prob, net, W, seeds = _population("toy-seeded")
    ev(prob, net, W, seeds)
    ev(prob, net, W, seeds)
    assert ev._config[0] is not ref                    # a new problem object is shipped ...
    ref = ev._config[0]
    ev(prob, net, W[:5], seeds[:5])
    assert ev._config[0] is ref                        # ... once


def test_actor_killed_during_a_generation(ev):
    prob = make_problem("mackey-glass")
    net = evornn.make_network(prob, "elman", n_hidden=16)
    W, seeds = net.init(generator(2), 60), eval_seeds(1, 0, 60)
    ref = LocalEvaluator()(prob, net, W, seeds)
    before, lost, started = ev.stats["resubmitted"], ev.stats["actors_lost"], ev.stats["actors_started"]
    ev._on_submitted = lambda e: ray.kill(e.actors[0], no_restart=True)
    res = ev(prob, net, W, seeds)
    assert _same(res, ref)
    assert ev.stats["resubmitted"] > before and ev.stats["actors_lost"] == lost + 1
    assert ev.stats["actors_started"] == started + 1   # a replacement
    assert _same(ev(prob, net, W, seeds), ref)


def _wait_dead(node_id: str, timeout: float = 30.0) -> None:
    """Wait until Ray reports the node dead (its actors' processes may outlive the raylet a while)."""
    t = time.monotonic()
    while any(n["NodeID"] == node_id and n["Alive"] for n in ray.nodes()):
        assert time.monotonic() - t < timeout, "removed node still alive"
        time.sleep(0.2)


class CrashOn999(ToyProblem):
    """Kills the worker process when a chromosome starts with 999 (a chunk that kills workers)."""

    def evaluate(self, net, W, seeds):
        if np.any(W[:, 0] == 999.0):
            os._exit(1)
        return super().evaluate(net, W, seeds)


def test_a_chunk_that_kills_workers_stops_the_run(ev):
    prob = CrashOn999()
    net = evornn.make_network(prob)
    W, seeds = net.init(generator(3), 12), eval_seeds(0, 0, 12)
    W[5, 0] = 999.0
    with pytest.raises(NoWorkersLeft, match="lost 3 Ray workers"):
        ev(prob, net, W, seeds)
    W[5, 0] = 0.5                                      # the replacements still work
    assert _same(ev(prob, net, W, seeds), LocalEvaluator()(prob, net, W, seeds))


def _side_node(cluster, side: float = 2.0):
    return cluster.add_node(num_cpus=2, resources={"side": side})


def test_two_nodes_and_a_node_removed_mid_run(cluster):
    node = _side_node(cluster)
    prob = make_problem("sines")
    net = evornn.make_network(prob, "elman", n_hidden=12)
    removed = []

    def remove(e):
        removed.append(node.node_id)
        cluster.remove_node(node, allow_graceful=False)
        _wait_dead(node.node_id)

    def make(evaluator):
        return evornn.make_runner("ga", prob, net, seed=4, settings={"population": 40},
                                  stop={"max_generations": 4}, evaluator=evaluator)
    ref = make(LocalEvaluator()).run()
    evaluator = RayEvaluator(workers=4, cpus_per_worker=0.5, replace_timeout=30)
    try:
        runner = make(evaluator)
        runner.step()
        ids = {n["NodeID"] for n in ray.nodes() if n["Alive"]}
        assert len(ids) == 2 and evaluator.last_nodes == ids          # work reached both nodes
        runner.step()
        evaluator._on_submitted = remove                                # generation 3: lose a node
        res = runner.run()
        assert removed and evaluator.stats["actors_lost"] >= 1
        assert removed[0] not in evaluator.last_nodes
        assert [h["best"] for h in res.history] == [h["best"] for h in ref.history]
        assert np.array_equal(res.best_chromosome, ref.best_chromosome)
    finally:
        evaluator.close()
        if node in cluster.worker_nodes:
            cluster.remove_node(node)


def test_no_workers_left(cluster):
    node = _side_node(cluster, side=1.0)
    prob, net, W, seeds = _population("pole1-elman", 16)
    evaluator = RayEvaluator(workers=2, cpus_per_worker=0.5, resources={"side": 0.5}, replace_timeout=2)
    try:
        assert np.array_equal(evaluator(prob, net, W, seeds).fitness, LocalEvaluator()(prob, net, W, seeds).fitness)
        cluster.remove_node(node, allow_graceful=False)
        _wait_dead(node.node_id)
        with pytest.raises(NoWorkersLeft, match="no Ray worker left"):
            evaluator(prob, net, W, seeds)
    finally:
        evaluator.close()
        if node in cluster.worker_nodes:
            cluster.remove_node(node)


@pytest.mark.parametrize("kw,msg", [
    (dict(backend="spark"), "unknown backend"),
    (dict(workers=0), "workers must be"),
    (dict(backend="ray", workers=True), "workers must be"),
    (dict(backend="local", address="auto"), "needs backend 'ray'"),
    (dict(backend="ray", address=" "), "Ray address"),
])
def test_make_evaluator_rejects_bad_values(kw, msg):
    with pytest.raises(ValueError, match=msg):
        make_evaluator(**kw)


def test_make_evaluator_backends():
    assert isinstance(make_evaluator(), LocalEvaluator)
    assert make_evaluator("local", 1).threads == 1
    r = make_evaluator("ray", 3, "auto")
    assert isinstance(r, RayEvaluator) and r.workers == 3 and r.address == "auto"
