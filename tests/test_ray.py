"""The Ray evaluator: bit-identical to the local one, on one or two nodes, through actor and node losses.

Ray starts once for the whole session: one ``ray.cluster_utils.Cluster`` on this machine (head
node, 2 logical CPUs, the system settings of the evaluator's private Ray: dashboard and metrics
off, workers at nice 0); tests that need a second node add one with a custom resource
and remove it when done. Actors take half a CPU each so that several fit on a 2-core machine.

The fault tests run with every core kept busy by background processes (the ``busy`` fixture), as
on a loaded shared machine, and wait for events (an actor reported dead, a node reported dead, a
generation held open by a gate file) with generous deadlines, never for a fixed time.
"""
from __future__ import annotations

import importlib.util
import ipaddress
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray")
import psutil  # noqa: E402   (Ray ships it)

import evornn  # noqa: E402
from evornn import cli  # noqa: E402
from evornn.evaluators import LocalEvaluator, NoWorkersLeft, RayEvaluator, factory, make_evaluator  # noqa: E402
from evornn.evaluators.ray_evaluator import PRIVATE_SYSTEM_CONFIG  # noqa: E402
from evornn.records import RunRecord, read_metrics  # noqa: E402
from evornn.problems.registry import make_problem  # noqa: E402
from evornn.problems.supervised import supervised_problem  # noqa: E402
from evornn.seeding import eval_seeds, generator  # noqa: E402
from toy_problem import GatedProblem, ToyProblem  # noqa: E402

os.environ.setdefault("NUMBA_CACHE_DIR", "/tmp/numba-ray")
TESTS = os.path.dirname(os.path.abspath(__file__))
CONFIGS = str(Path(TESTS).parent / "configs")
FAST_FAILURE = {"health_check_initial_delay_ms": 0, "health_check_period_ms": 500,
                "health_check_failure_threshold": 3}
EVENT_DEADLINE = 120.0     # seconds to wait for an event (a death, a start) before failing


@pytest.fixture
def busy():
    """Every core busy with a background process for the test's duration (a loaded machine)."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 2)]
    yield
    for p in procs:
        p.kill()
        p.wait()


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    from ray.cluster_utils import Cluster
    # Ray puts the driver's working directory first on its workers' sys.path; from the repository
    # root that would make them import the source tree instead of the installed evornn (and its
    # warm Numba cache), so the driver connects from an empty folder.
    here = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("ray-driver"))
    try:
        c = Cluster(initialize_head=True, connect=True,
                    head_node_args={"num_cpus": 2, "include_dashboard": False, "_system_config": {**PRIVATE_SYSTEM_CONFIG, **FAST_FAILURE}})
    finally:
        os.chdir(here)
    yield c
    ray.shutdown()
    c.shutdown()


@pytest.fixture(scope="module")
def ev(cluster):
    """Three actors on the head node; the toy problem's module is importable by them."""
    e = RayEvaluator(workers=3, cpus_per_worker=0.5, runtime_env={"env_vars": {"PYTHONPATH": TESTS}},
                     replace_timeout=EVENT_DEADLINE)
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
    "user-elman-ridge": (lambda: _user_problem().set_readout("ridge"), "elman", {"n_hidden": 3}),   # Evolino
    "pole2-neat-net": (lambda: make_problem("pole-balance", bias_input=0.0), "neat-net", {"max_nodes": 6}),
    "copy-entm": (lambda: make_problem("copy", bits=2, max_length=2, n_train=6, n_test=1), None,
                  {"n_hidden": 4}),
    "recall-dnc": (lambda: make_problem("assoc-recall", bits=2, max_length=3, n_train=4, n_test=1), "dnc",
                   {"n_hidden": 4, "memory_size": 8, "memory_width": 2}),
}
if importlib.util.find_spec("gymnasium") is not None:   # environment seeds from the evaluation seeds
    CASES["gym-cartpole-gymnasium"] = (lambda: make_problem("gym", env="CartPole-v1", backend="gymnasium",
                                                            max_steps=60, episodes=2), "elman", {"n_hidden": 3})
    CASES["gym-pendulum-port-lstm"] = (lambda: make_problem("gym", env="Pendulum-v1", max_steps=40),
                                       "lstm", {"n_hidden": 2})
    CASES["gym-cartpole-novel-simd-gru"] = (lambda: make_problem("gym", env="CartPoleNoVel-v1", max_steps=60,
                                                                 episodes=2, simd=True), "gru", {"n_hidden": 3})


def _population(name: str, P: int = 37):
    make, arch, opts = CASES[name]
    prob = make()
    net = evornn.make_network(prob, arch, **opts)
    return prob, net, net.init(generator(11), P), eval_seeds(3, 4, P)


def _same(a, b) -> bool:
    scored = (a.chromosomes is None and b.chromosomes is None) or (
        a.chromosomes is not None and b.chromosomes is not None and np.array_equal(a.chromosomes, b.chromosomes))
    return np.array_equal(a.fitness, b.fitness) and np.array_equal(a.metrics, b.metrics, equal_nan=True) and scored


@pytest.mark.parametrize("name", list(CASES))
def test_equals_local_bit_for_bit(ev, name):
    prob, net, W, seeds = _population(name)
    ref = LocalEvaluator()(prob, net, W, seeds)
    res = ev(prob, net, W, seeds)
    assert _same(res, ref)
    assert ev.stats["resubmitted"] == 0
    small = ev(prob, net, W[:2], seeds[:2])           # fewer individuals than chunks
    assert np.array_equal(small.fitness, ref.fitness[:2])


def test_an_actor_with_two_threads_equals_local(cluster):
    """Two threads in one actor, a network big enough that its workspace is reused quickly: a kernel
    that freed a workspace while its blocks still used it crashed here (heap corruption)."""
    prob = make_problem("parity")
    net = evornn.make_network(prob, "elman", n_hidden=64)
    W, seeds = net.init(generator(4), 64), eval_seeds(0, 0, 64)
    ref = LocalEvaluator()(prob, net, W, seeds)
    with RayEvaluator(workers=1, threads_per_worker=2, cpus_per_worker=0.5, replace_timeout=EVENT_DEADLINE) as e:
        for _ in range(3):
            assert _same(e(prob, net, W, seeds), ref)
        assert e.stats["actors_lost"] == 0


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


def test_actor_killed_during_a_generation(ev, busy, tmp_path):
    """An actor killed while it holds chunks: they go to the other actors and a replacement starts.
    The generation is held open (every evaluation waits for a gate file) until Ray reports the
    actor dead, so the kill lands mid-generation however slow the machine is."""
    gate = tmp_path / "gate"
    prob = GatedProblem(str(gate))
    net = evornn.make_network(prob)
    W, seeds = net.init(generator(2), 60), eval_seeds(1, 0, 60)
    gate.touch()
    ref = LocalEvaluator()(prob, net, W, seeds)
    ev(prob, net, W[:2], seeds[:2])                    # ship the problem (the actors' warm-up passes the gate)
    gate.unlink()
    before, lost, started = ev.stats["resubmitted"], ev.stats["actors_lost"], ev.stats["actors_started"]

    def kill_one(e):
        victim = e.actors[0]
        ray.kill(victim, no_restart=True)
        # queued behind its gated chunks: it returns (with an error) only once the actor is dead
        dead, _ = ray.wait([victim.__ray_ready__.remote()], timeout=EVENT_DEADLINE)
        assert dead, f"the killed actor was not reported dead within {EVENT_DEADLINE:g} s"
        gate.touch()
    ev._on_submitted = kill_one
    res = ev(prob, net, W, seeds)
    assert _same(res, ref)
    assert ev.stats["resubmitted"] > before and ev.stats["actors_lost"] == lost + 1
    assert ev.stats["actors_started"] == started + 1   # a replacement
    assert _same(ev(prob, net, W, seeds), ref)


def _wait_dead(node_id: str, timeout: float = EVENT_DEADLINE) -> None:
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


def test_a_chunk_that_kills_workers_stops_the_run(ev, busy):
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


def test_two_nodes_and_a_node_removed_mid_run(cluster, busy):
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
    # 5 actors of half a CPU, at most 4 per 2-CPU node: both nodes hold actors however Ray places them
    evaluator = RayEvaluator(workers=5, cpus_per_worker=0.5, replace_timeout=EVENT_DEADLINE)
    try:
        runner = make(evaluator)
        runner.step()
        ids = {n["NodeID"] for n in ray.nodes() if n["Alive"]}
        assert len(ids) == 2 and {evaluator._node_of[a] for a in evaluator.actors} == ids
        assert evaluator.last_nodes == ids                              # work reached both nodes
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


def test_no_workers_left(cluster, busy):
    node = _side_node(cluster, side=1.0)
    prob, net, W, seeds = _population("pole1-elman", 16)
    evaluator = RayEvaluator(workers=2, cpus_per_worker=0.5, resources={"side": 0.5}, replace_timeout=EVENT_DEADLINE)
    try:
        assert np.array_equal(evaluator(prob, net, W, seeds).fitness, LocalEvaluator()(prob, net, W, seeds).fitness)
        evaluator.replace_timeout = 2.0     # short once started (start-up may take longer on a busy machine)
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


# -- the command line ------------------------------------------------------------------------------
CLI_RUN = ["run", "ga", "--problem=pole-balance", "--quiet"]


def _cli_results(out: Path) -> tuple[np.ndarray, list[dict]]:
    """best.npy and metrics.csv without the elapsed column, of the one run folder in ``out``."""
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    rows = [{k: v for k, v in r.items() if k != "elapsed"} for r in read_metrics(folder / "metrics.csv")]
    return np.load(folder / "best.npy"), rows


def _listening(procs: list) -> set[tuple[str, str]]:
    """(process name, address) of the listening TCP sockets of ``procs`` (gone processes skipped)."""
    found = set()
    for p in procs:
        try:
            name = p.name()
            conns = p.net_connections(kind="tcp") if hasattr(p, "net_connections") else p.connections(kind="tcp")
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        found |= {(name, c.laddr.ip) for c in conns if c.status == psutil.CONN_LISTEN}
    return found


def _worker_nices(procs: list) -> set[int]:
    """Niceness of the evaluator's actor processes among ``procs``."""
    found = set()
    for p in procs:
        try:
            if "_Worker" in p.name():
                found.add(p.nice())
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def _loopback(ip: str) -> bool:
    a = ipaddress.ip_address(ip.split("%")[0])
    return a.is_loopback or (a.version == 6 and a.ipv4_mapped is not None and a.ipv4_mapped.is_loopback)


def test_cli_ray_backend_equals_local_listens_on_loopback_and_shuts_ray_down(tmp_path, monkeypatch):
    """``evornn run --backend=ray --workers=2`` starts its own Ray (a subprocess: this one already
    has the session's): same best.npy and metrics as --backend=local, every socket of the Ray
    processes on the loopback, and none of them left when the command ends."""
    monkeypatch.setenv("EVORNN_CONFIGS", CONFIGS)
    gens = ["--set", "stop.max_generations=5"]
    assert cli.main([*CLI_RUN, *gens, "--backend=local", f"--out={tmp_path / 'local'}"]) == 0
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    proc = subprocess.Popen([sys.executable, "-m", "evornn.cli", *CLI_RUN, *gens, "--backend=ray", "--workers=2",
                             f"--out={tmp_path / 'ray'}"], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    root, seen, pids, nices = psutil.Process(proc.pid), set(), set(), set()
    t = time.monotonic()
    while proc.poll() is None:
        assert time.monotonic() - t < 300, "evornn run --backend=ray did not finish"
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        pids |= {p.pid for p in procs}
        seen |= _listening(procs)
        nices |= _worker_nices(procs)
        time.sleep(0.1)
    out = proc.communicate()[0]
    assert proc.returncode == 0, out
    assert "Token authentication" not in out and "Started a local Ray" not in out, out   # Ray's notices: --verbose
    names = {n for n, _ in seen}
    assert {"gcs_server", "raylet"} <= names and any("_Worker" in n for n in names), seen   # saw Ray up
    assert all(_loopback(ip) for _, ip in seen), f"not on the loopback: {sorted(seen)}"
    assert nices == {os.nice(0)}, f"worker niceness {nices}"        # not Ray's nice 15: a fair share of a busy machine
    best, rows = _cli_results(tmp_path / "ray")
    ref_best, ref_rows = _cli_results(tmp_path / "local")
    assert len(rows) == 5 and rows == ref_rows
    assert np.array_equal(best, ref_best)
    t = time.monotonic()
    while left := [p for p in pids if _running(p)]:
        assert time.monotonic() - t < 30, f"Ray processes left running: {left}"
        time.sleep(0.2)


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class _DiesAtCall(RayEvaluator):
    """Loses ``node`` (all its workers) as its ``at``-th call (a generation) starts, and then waits
    only 2 s for a replacement (start-up may take longer on a busy machine)."""

    def __init__(self, cluster, node, at: int, **kw):
        super().__init__(**kw)
        self.cluster, self.node, self.at, self.calls = cluster, node, at, 0

    def __call__(self, problem, net, W, seeds):
        self.calls += 1
        if self.calls == self.at:
            self.replace_timeout = 2.0
            self.cluster.remove_node(self.node, allow_graceful=False)
            _wait_dead(self.node.node_id)
        return super().__call__(problem, net, W, seeds)


def test_cli_no_workers_left_stops_with_a_checkpoint_and_resume_finishes(cluster, busy, tmp_path, monkeypatch,
                                                                         capsys):
    """Every worker lost in generation 4: one error line naming the folder, exit code 1, generation
    3 checkpointed (before the first regular checkpoint), evaluator closed and the session's Ray
    left running; ``evornn resume`` then ends with the same results as an uninterrupted run."""
    monkeypatch.setenv("EVORNN_CONFIGS", CONFIGS)
    gens = ["--set", "stop.max_generations=6"]
    assert cli.main([*CLI_RUN, *gens, "--backend=local", f"--out={tmp_path / 'local'}"]) == 0
    node = _side_node(cluster, side=1.0)
    made: list[RayEvaluator] = []

    def dying(backend, workers=None, address=None):
        assert backend == "ray"
        made.append(_DiesAtCall(cluster, node, 4, workers=2, cpus_per_worker=0.5, resources={"side": 0.5},
                                replace_timeout=EVENT_DEADLINE))
        return made[-1]
    monkeypatch.setattr(factory, "make_evaluator", dying)
    capsys.readouterr()
    try:
        code = cli.main([*CLI_RUN, *gens, "--backend=ray", f"--out={tmp_path / 'ray'}"])
    finally:
        if node in cluster.worker_nodes:
            cluster.remove_node(node)
    err = capsys.readouterr().err.strip().splitlines()
    (folder,) = [p for p in (tmp_path / "ray").iterdir() if p.is_dir()]
    assert code == 1
    assert [ln for ln in err if ln.startswith("evornn:")] == [err[-1]]
    assert err[-1].startswith("evornn: error: no Ray worker left") and err[-1].endswith(f"evornn resume {folder}")
    record = RunRecord.open(folder)
    assert record.latest_checkpoint()[0] == 3 and len(record.metrics()) == 3 and record.summary() is None
    assert made[-1].calls == 4 and made[-1]._ray is None and not made[-1].actors      # closed ...
    assert ray.is_initialized()                                                      # ... not Ray's own

    monkeypatch.setattr(factory, "make_evaluator",
                        lambda backend, workers=None, address=None: RayEvaluator(workers=1, cpus_per_worker=0.5,
                                                                                     replace_timeout=EVENT_DEADLINE))
    assert cli.main(["resume", str(folder), "--quiet"]) == 0
    best, rows = _cli_results(tmp_path / "ray")
    ref_best, ref_rows = _cli_results(tmp_path / "local")
    assert len(rows) == 6 and rows == ref_rows
    assert np.array_equal(best, ref_best)
