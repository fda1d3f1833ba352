"""The Ray evaluator: a population's fitness on long-lived Ray actors, from one machine to a cluster.

How it works
------------
* The driver warms the Numba cache first (it evaluates one chromosome locally), so actors load
  compiled kernels instead of writing the cache concurrently (open Numba bug reports). Actors on
  another machine, whose cache may be cold, compile under a file lock: one at a time per machine.
* The problem is shipped once (``ray.put`` of the problem object: a user's own problem with its
  arrays works too) with the network's ``spec`` (actors rebuild it with :func:`evornn.build`; a
  fingerprint of the rebuilt layer tables must match the driver's). They are shipped again only
  when the problem object or the network spec changes. Each actor deep-copies the problem it
  receives: arrays from the object store are read-only, which Numba compiles as another type.
* Each generation, the population is cut into contiguous chunks, each sent with its evaluation
  seeds to an actor that asks for work (at most ``INFLIGHT`` chunks queued per actor); the results
  are put back in order. An individual's fitness depends only on its chromosome and its seed, so
  the result is bit-identical to :class:`~evornn.evaluators.LocalEvaluator`, whatever the number of
  actors, nodes or failures.
* Faults: when an actor or its node dies, the chunks it held are evaluated again on live actors,
  and a replacement actor is started (it joins when resources allow). When no actor is left and
  none starts within ``replace_timeout`` seconds, :class:`NoWorkersLeft` is raised: stop, keeping
  the last checkpoint to resume from.

Actors per core, chunk size: measured with ``benchmarks/bench_ray.py`` on a 2-core machine shared
with other jobs (two runs; figures move by +-30 %). A Ray generation costs a fixed 1-5 ms (round
trips, object store) whatever the fitness. Cheap fitness (double pole, 512 random networks, 2.4 ms
a generation on 2 local threads): every Ray set-up was 2-4x slower than local threads. Expensive
fitness (Mackey-Glass, 32-unit Elman, 64 individuals, 40-50 ms a generation): 2 actors x 1 thread
with 2 chunks each 1,170-1,400 evaluations/s, 1 actor x 2 threads 1,040-1,520, 1 chunk per actor
only 800 (a core idles behind the slower chunk), local 2 threads 1,300-1,600. One actor per node
saves a round trip or two per generation (1 ms overhead against 2-5 ms), but on expensive fitness
the two were within noise. The default is one actor per core with 1 Numba thread
(``workers=None``: the cluster's CPUs / ``cpus_per_worker``) because it uses Ray's CPU accounting
as it is on any cluster (no per-node placement), a lost process loses one core's chunks, and
fractional ``cpus_per_worker`` packs actors; for one actor per node pass ``workers=<nodes>,
threads_per_worker=<cores per node>``. ``CHUNKS_PER_WORKER`` = 2: one chunk per actor leaves cores
idle behind the slowest chunk; more than 2 adds round trips for no gain measured. With ``INFLIGHT``
= 2 an actor has its next chunk queued while it computes one.

Ports and authentication (measured with Ray 2.60, ``ss -ltnp`` during a run). The private Ray this
evaluator starts (no address, no ``RAY_ADDRESS``) listens on the loopback only: GCS, raylet (node
and object manager), every core worker (the driver's and the actors'), the dashboard agent (gRPC,
HTTP 52365, metrics), the runtime-env agent, and the autoscaler and dashboard metrics ports (44217,
44227), with the dashboard itself off. Ray binds its servers to the node's address, and turns a
127.0.0.1 node address into the machine's routable one unless it runs in its single-machine mode
(see :func:`_loopback_node`): ``_node_ip_address="127.0.0.1"`` alone left GCS, raylet, workers,
the dashboard agent's gRPC and metrics ports and the two metrics ports on all interfaces, and the
runtime-env agent and the agent's HTTP port on the routable address. No port had to stay off the
loopback; ``tests/test_ray.py`` checks every listening socket of a CLI run. A cluster started with ``ray start`` is the user's: its
addresses are the ones given to ``ray start``. Token authentication is Ray's own: ``ray.init()``
turns it on for a private Ray (creating ``~/.ray/auth_token`` if missing) and sends the token to a
cluster it finds itself (``"auto"`` without ``RAY_ADDRESS``; inside ``ray job submit`` the job
inherits ``RAY_AUTH_MODE`` from the cluster). For a given address or ``RAY_ADDRESS`` Ray sends it
only when ``RAY_AUTH_MODE=token`` is set, which a failed join's message says.

Ray is imported here only, and only when an evaluator starts.
"""
from __future__ import annotations

import copy
import hashlib
import logging
import math
import os
import tempfile
import time
from collections import deque
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import numpy as np

from .. import blas
from ..problem import EvalResult, Problem

log = logging.getLogger(__name__)
CHUNKS_PER_WORKER = 2
INFLIGHT = 2
# Ray's own log lines in this process (its token-authentication notice, "Started a local Ray
# instance", ...): errors only; ``evornn ... --verbose`` sets logging.INFO, Ray's default.
RAY_LOG_LEVEL = logging.ERROR
# System settings of the private Ray this evaluator starts (and of bench_ray.py's test clusters).
# Its dashboard is off, so nothing reads Ray's metrics: collecting and exporting them, and the
# event-loop statistics and periodic debug dumps, cost the raylets, the GCS and the agents about a
# third of their CPU during generations (on a 2-node cluster of 1-CPU nodes: 8.7-10.2 % of one core
# without these settings, 6.4-6.9 % with them; /proc/<pid>/stat), CPU the actors lose when every
# core is busy. Ray also starts its workers at nice 15 (``worker_niceness``), below every ordinary
# process: on a machine where anything else runs, the actors then get a few percent of a core (on
# 2 cores with 2 busy processes, a 3-actor start-up took 2 minutes instead of seconds), where the
# local backend's threads would get their fair share. The private Ray's workers run at nice 0.
PRIVATE_SYSTEM_CONFIG = {"enable_metrics_collection": False, "metrics_report_interval_ms": 600_000,
                         "event_stats": False, "debug_dump_period_milliseconds": 600_000,
                         "worker_niceness": 0}


class NoWorkersLeft(RuntimeError):
    """No Ray actor is left to evaluate the population (resume from the last checkpoint)."""


def net_fingerprint(net) -> str:
    """A hash of what the kernels read of a network: kind, sizes and layer tables."""
    h = hashlib.sha256()
    h.update(np.array([net.kind, net.ws_len, net.n_params], dtype=np.int64).tobytes())
    for a in (net.L, net.ix, net.fx):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


@contextmanager
def _cache_lock() -> Iterator[None]:
    """Hold an exclusive file lock in the Numba cache directory (one compiler per machine)."""
    folder = os.environ.get("NUMBA_CACHE_DIR") or tempfile.gettempdir()
    try:
        import fcntl
        os.makedirs(folder, exist_ok=True)
        f = open(os.path.join(folder, ".evornn-warmup.lock"), "a")
    except (ImportError, OSError):
        yield
        return
    with f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _warm(problem: Problem, net) -> None:
    """Compile (or load from the cache) the problem's kernels for this network: one evaluation."""
    from ..seeding import eval_seeds
    problem.evaluate(net, np.zeros((1, net.n_params)), eval_seeds(0, 0, 1))


LOOPBACK_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


@contextmanager
def _loopback_node() -> Iterator[None]:
    """Start a local Ray whose node address is 127.0.0.1, so that its servers listen on the loopback.

    ``ray.init(_node_ip_address="127.0.0.1")`` is not enough: Ray replaces a loopback address by the
    machine's routable address (``services.resolve_ip_for_localhost``), and its servers listen on
    that address or on all interfaces. Ray keeps 127.0.0.1 only in its single-machine mode, the one
    it uses on macOS and Windows, chosen by ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` (read when
    ``ray._private.ray_constants`` is imported, hence the flag set there too). The processes Ray
    starts inherit the variable; both are restored afterwards for this process.
    """
    from ray._private import ray_constants
    old_env, old_flag = os.environ.get(LOOPBACK_ENV), getattr(ray_constants, "ENABLE_RAY_CLUSTER", None)
    os.environ[LOOPBACK_ENV] = "0"
    if old_flag is not None:
        ray_constants.ENABLE_RAY_CLUSTER = False
    try:
        yield
    finally:
        if old_flag is not None:
            ray_constants.ENABLE_RAY_CLUSTER = old_flag
        if old_env is None:
            os.environ.pop(LOOPBACK_ENV, None)
        else:
            os.environ[LOOPBACK_ENV] = old_env


def _join_error(where: str, err: BaseException) -> str:
    """One line for a failed join; with Ray's token authentication in mind (see the README)."""
    first = (str(err).strip().splitlines() or [type(err).__name__])[0]
    msg = f"cannot join the Ray cluster at {where}: {first}"
    if where != "auto" and os.environ.get("RAY_AUTH_MODE", "").lower() != "token":
        # Ray sends the token only to a cluster it finds itself (address "auto", no RAY_ADDRESS):
        # for a given address the user must say so.
        msg += (" (if the cluster uses token authentication, set RAY_AUTH_MODE=token with its token in "
                "~/.ray/auth_token, RAY_AUTH_TOKEN_PATH or RAY_AUTH_TOKEN)")
    return msg


class _Worker:
    """A Ray actor (wrapped by ``ray.remote`` when used): holds one problem and one network."""

    def __init__(self, threads: int):
        import numba
        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
        import ray
        self.node_id = ray.get_runtime_context().get_node_id()
        self.problem: Problem | None = None
        self.net = None

    def configure(self, problem: Problem, spec: dict, fingerprint: str) -> str:
        """Take a problem and a network spec, compile the kernels; returns this actor's node id."""
        from ..nets import build
        problem = copy.deepcopy(problem)     # writable arrays: the Numba types the driver compiled
        net = build(**spec)
        if net_fingerprint(net) != fingerprint:
            raise ValueError(f"network spec {spec} rebuilds a different network on node {self.node_id}: "
                             "is the same evornn version installed on every node?")
        with _cache_lock():
            _warm(problem, net)
        self.problem, self.net = problem, net
        return self.node_id

    def evaluate(self, W: np.ndarray, seeds: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
        """Fitness and metrics of a chunk (copied: object-store arrays are read-only), and the node id
        (with the rows as scored, when the problem rewrote genes: a fourth element)."""
        W = np.array(W, dtype=np.float64, order="C", copy=True)
        seeds = np.array(seeds, dtype=np.uint64, copy=True)
        with blas.limit(1):          # an actor is one of many workers; and 1 thread gives the driver's bits
            res = self.problem.evaluate(self.net, W, seeds)
        if res.chromosomes is not None:
            return np.asarray(res.fitness), np.asarray(res.metrics), self.node_id, np.asarray(res.chromosomes)
        return np.asarray(res.fitness), np.asarray(res.metrics), self.node_id


def _fault_types() -> tuple[type, ...]:
    """Ray errors that mean a worker (actor, process or node) was lost, not that the task failed."""
    import ray.exceptions as rx
    return (rx.RayActorError, rx.WorkerCrashedError, rx.NodeDiedError, rx.ObjectLostError,
            rx.ActorUnschedulableError)


class RayEvaluator:
    """Evaluate populations on Ray actors; same interface and results as ``LocalEvaluator``.

    ``address``: None starts a private local Ray (dashboard off, every port on the loopback: see
    the module's notes), unless ``RAY_ADDRESS`` is set (inside ``ray job submit``), which is
    joined; ``"auto"`` joins the cluster running on this machine (``ray start --head``),
    ``"host:port"`` a given one. A Ray already initialised in this process is used as it is, and
    left running by :meth:`close`.
    ``workers``: number of actors (default: the cluster's CPUs / ``cpus_per_worker``);
    ``threads_per_worker``: Numba threads of each; ``cpus_per_worker``: the CPUs Ray reserves for
    each (fractions pack several on a core); ``resources``: custom Ray resources each actor needs
    (e.g. to keep them on some nodes); ``runtime_env``: passed to the actors (e.g. ``py_modules``
    for a problem class the workers cannot import), with ``NUMBA_CACHE_DIR`` and
    ``NUMBA_NUM_THREADS`` added to its ``env_vars``; ``replace_timeout``: seconds to wait for a
    replacement when no actor is left; ``max_chunk_retries``: a chunk that loses this many actors
    is deemed to kill them, and :class:`NoWorkersLeft` is raised; ``chunks_per_worker``: chunks
    per actor per generation.
    """

    def __init__(self, workers: int | None = None, address: str | None = None, *,
                 threads_per_worker: int = 1, cpus_per_worker: float | None = None,
                 resources: dict[str, float] | None = None, runtime_env: dict | None = None,
                 replace_timeout: float = 60.0, max_chunk_retries: int = 3,
                 chunks_per_worker: int = CHUNKS_PER_WORKER):
        if workers is not None and (isinstance(workers, bool) or int(workers) < 1):
            raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
        if int(threads_per_worker) < 1:
            raise ValueError(f"threads_per_worker must be >= 1, got {threads_per_worker!r}")
        self.workers = None if workers is None else int(workers)
        self.address = address
        self.threads = int(threads_per_worker)
        self.cpus = float(self.threads if cpus_per_worker is None else cpus_per_worker)
        if not self.cpus > 0:
            raise ValueError(f"cpus_per_worker must be > 0, got {cpus_per_worker!r}")
        self.resources = dict(resources or {})
        self.runtime_env = dict(runtime_env or {})
        self.replace_timeout = float(replace_timeout)
        self.max_chunk_retries = int(max_chunk_retries)
        self.chunks_per_worker = max(1, int(chunks_per_worker))
        self.stats = {"chunks": 0, "resubmitted": 0, "actors_lost": 0, "actors_started": 0}
        self.last_nodes: set[str] = set()     # node ids of the actors that computed the last call
        self._on_submitted: Callable[["RayEvaluator"], None] | None = None   # test hook
        self._ray: Any = None
        self._cls: Any = None
        self._started_ray = False
        self._target = 0
        self._live: list = []                 # configured actors
        self._pending: dict = {}              # configure() ref -> actor not yet ready
        self._node_of: dict = {}              # actor -> node id
        self._problem: Problem | None = None
        self._spec: dict | None = None
        self._config: tuple | None = None     # (problem ref, spec, fingerprint)

    # -- the interface ---------------------------------------------------------------------
    def __call__(self, problem: Problem, net, W: np.ndarray, seeds: np.ndarray) -> EvalResult:
        W = np.ascontiguousarray(W, dtype=np.float64)
        seeds = np.ascontiguousarray(seeds, dtype=np.uint64)
        if W.ndim != 2 or seeds.shape != (W.shape[0],):
            raise ValueError(f"population (P, n) and seeds (P,) expected, got {W.shape} and {seeds.shape}")
        if W.shape[0] == 0:
            return problem.evaluate(net, W, seeds)
        self._ensure(problem, net)
        n_chunks = min(W.shape[0], max(1, len(self._live) or self._target) * self.chunks_per_worker)
        bounds = np.linspace(0, W.shape[0], n_chunks + 1).round().astype(int)
        chunks = [(W[a:b], seeds[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
        out = self._run_chunks(chunks)
        scored = None if any(o[2] is None for o in out) else np.concatenate([o[2] for o in out])
        return EvalResult(np.concatenate([o[0] for o in out]), np.concatenate([o[1] for o in out]), scored)

    def close(self) -> None:
        """Kill the actors; shut Ray down when this evaluator started it."""
        if self._ray is None:
            return
        for a in [*self._live, *self._pending.values()]:
            try:
                self._ray.kill(a)
            except Exception:        # already gone
                pass
        self._live, self._pending, self._node_of = [], {}, {}
        self._config, self._problem, self._spec = None, None, None
        if self._started_ray:
            self._ray.shutdown()
        self._ray, self._cls, self._started_ray, self._target = None, None, False, 0

    def __enter__(self) -> "RayEvaluator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def actors(self) -> list:
        """The live (configured) actor handles."""
        return list(self._live)

    # -- setting up ------------------------------------------------------------------------
    def _connect(self) -> None:
        import ray
        self._ray = ray
        if ray.is_initialized():
            return
        env = {"env_vars": {k: os.environ[k] for k in ("NUMBA_CACHE_DIR",) if k in os.environ}}
        if self.address is not None or os.environ.get("RAY_ADDRESS"):
            where = self.address or os.environ["RAY_ADDRESS"]
            auth_error = getattr(ray.exceptions, "AuthenticationError", ConnectionError)
            try:
                ray.init(address=self.address or "auto", runtime_env=env, log_to_driver=True,
                         logging_level=RAY_LOG_LEVEL)
            except (ConnectionError, auth_error) as e:
                raise ConnectionError(_join_error(where, e)) from None
        else:
            ncpu = None if self.workers is None else max(1, math.ceil(self.workers * self.cpus))
            with _loopback_node():
                ray.init(address="local", num_cpus=ncpu, include_dashboard=False, _node_ip_address="127.0.0.1",
                         runtime_env=env, logging_level=RAY_LOG_LEVEL, _system_config=PRIVATE_SYSTEM_CONFIG)
        self._started_ray = True

    def _ensure(self, problem: Problem, net) -> None:
        """Connect, and ship the problem and network to the actors when they changed."""
        if self._ray is None:
            self._connect()
        spec = dict(net.spec)
        if self._config is not None and problem is self._problem and spec == self._spec:
            return
        fp = net_fingerprint(net)
        try:
            from ..nets import build
            same = net_fingerprint(build(**spec)) == fp
        except (TypeError, ValueError):
            same = False
        if not same:
            raise ValueError(f"network {net.name} cannot be rebuilt from its spec {spec}: build it with evornn.build")
        _warm(problem, net)                   # the driver writes the Numba cache, actors read it
        self._problem, self._spec = problem, spec
        self._config = (self._ray.put(problem), spec, fp)
        for a in [*self._live, *self._pending.values()]:   # reconfigure: back to pending
            self._pending[a.configure.remote(*self._config)] = a
        self._live = []
        if not self._target:
            cpus = self._ray.cluster_resources().get("CPU", 1.0)
            self._target = self.workers or max(1, int(cpus // self.cpus))
        while len(self._pending) < self._target:
            self._start_actor()
        self._await_pending(all_of_them=True)

    def _start_actor(self) -> None:
        env = copy.deepcopy(self.runtime_env)
        env_vars = env.setdefault("env_vars", {})
        if "NUMBA_CACHE_DIR" in os.environ:
            env_vars.setdefault("NUMBA_CACHE_DIR", os.environ["NUMBA_CACHE_DIR"])
        env_vars["NUMBA_NUM_THREADS"] = str(self.threads)
        if self._cls is None:
            self._cls = self._ray.remote(_Worker)
        a = self._cls.options(num_cpus=self.cpus, resources=self.resources or None, max_restarts=0,
                        scheduling_strategy="SPREAD", runtime_env=env).remote(self.threads)
        self._pending[a.configure.remote(*self._config)] = a
        self.stats["actors_started"] += 1

    def _await_pending(self, all_of_them: bool = False) -> None:
        """Move ready actors to the live pool; wait for all (start-up) or one (none live) of them
        at most ``replace_timeout`` seconds. Raises NoWorkersLeft when none is live afterwards."""
        deadline = time.monotonic() + self.replace_timeout
        while self._pending and (all_of_them or not self._live):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _ = self._ray.wait(list(self._pending), num_returns=1, timeout=left)
            for ref in ready:
                self._take_ready(ref)
        if not self._live:
            raise NoWorkersLeft(f"no Ray worker left: {self.stats['actors_lost']} lost and none started "
                                f"within {self.replace_timeout:g} s; resume from the last checkpoint")

    def _take_ready(self, ref) -> None:
        a = self._pending.pop(ref)
        try:
            self._node_of[a] = self._ray.get(ref)
        except _fault_types():
            self._lost(a)
            return
        self._live.append(a)

    def _node_lost(self, actor) -> bool:
        """True when ``actor``'s node is dead; then every actor on it is dropped at once (so that
        chunks are not resubmitted to actors whose death Ray has not reported yet)."""
        node = self._node_of.get(actor)
        if node is None or node in {n["NodeID"] for n in self._ray.nodes() if n["Alive"]}:
            return False
        for a in [a for a in self._live if self._node_of.get(a) == node]:
            self._lost(a)
        if actor in self._live:
            self._lost(actor)
        return True

    def _lost(self, actor) -> None:
        """Forget a dead actor and start a replacement (it joins when resources allow)."""
        if actor in self._live:
            self._live.remove(actor)
        self.stats["actors_lost"] += 1
        try:
            self._ray.kill(actor)
        except Exception:
            pass
        if len(self._live) + len(self._pending) < self._target:
            self._start_actor()

    # -- a generation ----------------------------------------------------------------------
    def _run_chunks(self, chunks: list[tuple[np.ndarray, np.ndarray]]) -> list:
        """Evaluate chunks on the actors, resubmitting those whose actor dies; results in order."""
        faults = _fault_types()
        todo = deque(range(len(chunks)))
        tries = [0] * len(chunks)
        results: list = [None] * len(chunks)
        inflight: dict = {}                   # task ref -> (actor, chunk index)
        load: dict = {}
        nodes: set[str] = set()
        hook, done = self._on_submitted, 0
        while done < len(chunks):
            given = True
            while todo and given:             # hand out chunks round-robin to actors with room in their queue
                given = False                 # (in turn: with few chunks, the first actor must not take them all)
                for a in self._live:
                    if todo and load.get(a, 0) < INFLIGHT:
                        c = todo.popleft()
                        inflight[a.evaluate.remote(*chunks[c])] = (a, c)
                        load[a] = load.get(a, 0) + 1
                        self.stats["chunks"] += 1
                        given = True
            if hook is not None:              # tests: kill an actor or a node mid-generation, once
                fn, hook, self._on_submitted = hook, None, None
                fn(self)
            if not inflight:
                self._await_pending()          # no live actor: wait for a replacement or raise
                continue
            ready, _ = self._ray.wait([*inflight, *self._pending], num_returns=1)
            for ref in ready:
                if ref in self._pending:
                    self._take_ready(ref)
                    continue
                a, c = inflight.pop(ref)
                load[a] -= 1
                try:
                    fit, met, node, *scored = self._ray.get(ref)
                except faults as err:
                    log.warning("Ray worker lost (%s); its chunk %d goes to another worker",
                                type(err).__name__, c)
                    self.stats["resubmitted"] += 1
                    todo.appendleft(c)
                    if self._node_lost(a):        # a node failure: not the chunk's fault
                        continue
                    tries[c] += 1                 # a worker crashed on a live node: maybe the chunk
                    if tries[c] >= self.max_chunk_retries:
                        raise NoWorkersLeft(f"a chunk of {len(chunks[c][0])} individuals lost {tries[c]} "
                                            "Ray workers in a row; stopping (resume from the last checkpoint)") from None
                    if a in self._live:
                        self._lost(a)
                    continue
                results[c] = (fit, met, scored[0] if scored else None)
                nodes.add(node)
                done += 1
        self.last_nodes = nodes
        return results
