"""The memory guard: what one generation of a run needs, estimated before anything big is allocated,
and refused in one line when it exceeds ``[run] max_memory``.

The estimate adds up the pieces that grow with the settings, each asked of the object that knows it:

* the optimiser's population matrices and its own state (:meth:`Strategy.memory_bytes
  <evornn.optim.base.Strategy.memory_bytes>`, a classmethod: nothing is built for it);
* the evaluation of one generation: the copy of the population the kernels run on, each thread's
  (or Ray actor's) workspace and the results (:meth:`Problem.evaluation_bytes
  <evornn.problem.Problem.evaluation_bytes>`, from the network's :meth:`evaluation_bytes
  <evornn.nets.network.Network.evaluation_bytes>`);
* the network's own data (layer table, fixed data such as an echo-state reservoir, and what drawing
  that takes) and the problem's data (:meth:`Problem.data_bytes <evornn.problem.Problem.data_bytes>`).

A problem made from its registered name is sized before it is built (:func:`check_problem`): each
problem module's ``estimate_data_bytes`` computes its data's bytes from the parameters alone, so
data that alone exceeds the limit (``n_train = 10**10`` steps of Mackey-Glass: 158 GiB) is refused
before a byte of it is drawn.

The network is sized by building its layout only (:func:`evornn.nets.layer.layout_only`): the layer
table, without the neuron groups or large fixed data, so a network of 10**12 parameters is sized
as fast as one of 10. ``max_memory``: ``"auto"`` (the default: half the memory this machine has
available now), ``0`` (no limit), a number of bytes, or a size such as ``"4GiB"``, ``"500MB"``.
"""
from __future__ import annotations

import dataclasses
import math
import numbers
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable

AUTO = "auto"
AUTO_FRACTION = 0.5          # "auto": this share of MemAvailable
FLOAT = 8                    # bytes of a float64
UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
         "t": 10**12, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
ALLOWED = ('"auto" (half the available memory), 0 (no limit), a number of bytes or a size such as '
           '"4GiB", "500MB", "1.5G"')
_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([a-z]*)\s*$", re.IGNORECASE)


class MemoryLimitError(ValueError):
    """A run whose estimated memory exceeds ``[run] max_memory`` (a ValueError: the CLI's exit 2)."""


def parse_size(value: Any, where: str = "run.max_memory") -> int | None:
    """Bytes that ``value`` allows: None for "auto", 0 for no limit; else a one-line ValueError
    naming ``where`` and the allowed forms."""
    if isinstance(value, str) and value.strip().lower() == AUTO:
        return None
    if isinstance(value, bool):
        n = None
    elif isinstance(value, int):
        n = value if value >= 0 else None
    elif isinstance(value, float):
        n = int(value) if math.isfinite(value) and value >= 0 and value == int(value) else None
    elif isinstance(value, str) and (m := _SIZE.match(value)) and m.group(2).lower() in UNITS:
        n = int(float(m.group(1)) * UNITS[m.group(2).lower()])
    else:
        n = None
    if n is None:
        raise ValueError(f"{where} must be {ALLOWED}; got {value!r}")
    return n


def available_bytes() -> int:
    """Memory available to new allocations now: MemAvailable of /proc/meminfo, else the free pages."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 0   # unknown: no limit


def limit(max_memory: Any) -> tuple[int, str]:
    """(bytes allowed, 0 for none; how the limit was set, for the message)."""
    n = parse_size(max_memory)
    if n is None:
        avail = available_bytes()
        return int(AUTO_FRACTION * avail), f'run.max_memory = "auto": half of the {fmt(avail)} available now'
    return n, f'run.max_memory = "{max_memory}"' if isinstance(max_memory, str) else f"run.max_memory = {max_memory}"


def fmt(n: float) -> str:
    """``n`` bytes for a person: 512 B, 3.2 MiB, 246 GiB."""
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"):
        if n < 1024 or unit == "YiB":
            return f"{n:.0f} {unit}" if unit == "B" or n >= 100 else f"{n:.3g} {unit}"
        n /= 1024


@dataclass
class Estimate:
    """The bytes a generation needs, by part, and the settings that make them (for the message)."""

    parts: dict[str, int] = field(default_factory=dict)
    settings: str = ""

    @property
    def total(self) -> int:
        return int(sum(self.parts.values()))

    def line(self) -> str:
        parts = ", ".join(f"{k} {fmt(v)}" for k, v in self.parts.items())
        return f"a generation needs about {fmt(self.total)} ({parts}) with {self.settings}"


def check(est: Estimate, max_memory: Any) -> None:
    """Raise :class:`MemoryLimitError` (one line) when ``est`` exceeds the ``max_memory`` setting."""
    allowed, how = limit(max_memory)
    if allowed and est.total > allowed:
        raise MemoryLimitError(f"memory: {est.line()}; the limit is {fmt(allowed)} ({how}): lower these settings "
                               f'or raise run.max_memory (e.g. "16GiB"; 0: no limit)')


def check_problem(name: str, params: dict, max_memory: Any = AUTO) -> int | None:
    """Refuse in one line (:class:`MemoryLimitError`) the problem ``name`` with ``params`` when its
    data alone, estimated from the parameters before anything is built
    (:func:`evornn.problems.registry.estimate_data_bytes`), exceeds ``max_memory`` (None: not
    checked). Returns the estimate (None: the problem has no estimate). The estimate is of the built
    data: building it takes a few times that for a moment (lists of sequences before they are
    concatenated: 1-5x at the problems' defaults under tracemalloc, 17x for a timeseries CSV
    parsed into rows)."""
    if max_memory is None:
        return None
    from .problems import registry
    est = registry.estimate_data_bytes(name, params)
    allowed, how = limit(max_memory)
    if est is not None and allowed and est > allowed:
        shown, args = registry.factory_arguments(name, params)
        sizes = {k: v for k, v in args.items() if k != "seed" and (_count(v) or k == "path"
                 or isinstance(v, (list, tuple)) and v and all(_count(x) for x in v))}
        what = f"problem {shown}" + (f" ({_options(sizes)})" if sizes else "")
        raise MemoryLimitError(f"memory: {what} needs about {fmt(est)} of data; the limit is {fmt(allowed)} "
                               f'({how}): lower these settings or raise run.max_memory (e.g. "16GiB"; 0: no limit)')
    return est


def _count(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


# -- the estimate -----------------------------------------------------------------------------------
def layout(problem, arch: Any = None, options: dict | None = None):
    """The network the run would build, as its layout only (no neuron groups, no large fixed data):
    a built Network is returned as it is."""
    from .api import make_network
    from .nets.layer import layout_only
    from .nets.network import Network
    if isinstance(arch, Network):
        return arch
    try:
        with layout_only():
            return make_network(problem, arch, **(options or {}))
    except OverflowError:
        name = arch or problem.default_net.get("arch")
        raise ValueError(f"{name} with {_options(options)} has more parameters than a 64-bit index "
                         f"can count") from None


def _options(options: dict | None) -> str:
    return ", ".join(f"{k} = {v!r}" for k, v in (options or {}).items()) or "its default options"


def estimate(problem, net, strategy_cls, config, backend: str = "local", workers: int = 0) -> Estimate:
    """What one generation of ``strategy_cls`` (settings ``config``) on ``problem`` with network ``net``
    (possibly a layout-only one) needs, evaluated locally on ``workers`` threads (0: all) or on
    ``workers`` Ray actors (0: one per CPU)."""
    import numba
    n = int(net.n_params)
    rows = int(strategy_cls.rows(config, n))
    parts = {"optimiser": int(strategy_cls.memory_bytes(config, n, net, problem))}
    data = int(problem.data_bytes())
    if backend == "ray":
        actors = workers or os.cpu_count() or 1
        chunk = -(-rows // actors)
        # the population and the problem's data go through Ray's object store; each actor evaluates
        # its chunks with its own copies of the network and of the problem (``_Worker.configure``
        # deep-copies it: the object store's arrays are read-only)
        parts["evaluation"] = (actors * (int(problem.evaluation_bytes(net, chunk, 1)) + int(net.data_bytes()) + data)
                               + rows * n * FLOAT + data)
    else:
        threads = workers or numba.config.NUMBA_NUM_THREADS
        parts["evaluation"] = int(problem.evaluation_bytes(net, rows, threads))
    parts["network"] = int(net.data_bytes())
    parts["problem data"] = data
    sizes = ", ".join(f"optimiser.{k} = {v}" for k, v in strategy_cls.size_settings(config).items())
    arch = net.spec.get("arch", net.name)
    shown = {k: v for k, v in net.spec.items() if k not in ("arch", "n_inputs", "n_outputs", "output_activation")}
    counts = {k: v for k, v in problem.params().items() if isinstance(v, int) and not isinstance(v, bool)}
    plural = "s" if rows != 1 else ""
    settings = (f"{strategy_cls.name}" + (f" ({sizes})" if sizes else "") + f": {rows:,} chromosome{plural} of "
                f"{n:,} parameters (network {arch}" + (f", {_options(shown)}" if shown else "") + f") on {problem.name}"
                + (f" ({_options(counts)})" if counts else ""))
    return Estimate(parts, settings)


def room(problem, net, strategy_cls, config, max_memory: Any, backend: str = "local",
         workers: int = 0) -> Callable[[int], str | None]:
    """For a strategy whose generation grows during a run (CMA-ES's IPOP restarts double the
    population): a function of the new population size that returns None when a generation of that
    size fits ``max_memory`` (checked against the limit at that moment), else the one-line reason."""
    def fits(rows: int) -> str | None:
        try:
            check(estimate(problem, net, strategy_cls, dataclasses.replace(config, population=int(rows)),
                           backend, workers), max_memory)
        except MemoryLimitError as e:
            return str(e)
        return None
    return fits


def attach_room(runner, max_memory: Any, backend: str = "local", workers: int = 0) -> None:
    """Give ``runner``'s strategy its :func:`room` (nothing when ``max_memory`` is None)."""
    if max_memory is not None:
        s = runner.strategy
        s.memory_room = room(runner.problem, runner.net, type(s), s.config, max_memory, backend, workers)


def guard(problem, arch: Any, net_options: dict | None, strategy_cls, config, max_memory: Any = AUTO,
          backend: str = "local", workers: int = 0) -> Estimate:
    """Size the run (the network as its layout only) and refuse it in one line when a generation
    would exceed ``max_memory``; returns the estimate."""
    if max_memory is not None:
        parse_size(max_memory)        # a bad setting is reported as such, even when nothing is big
    net = layout(problem, arch, net_options)
    est = estimate(problem, net, strategy_cls, config, backend, workers)
    if max_memory is not None:
        check(est, max_memory)
    return est
