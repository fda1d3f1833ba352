"""The Python API in one call: :func:`optimise`."""
from __future__ import annotations

import difflib
import functools
import inspect
from typing import Any

from .nets import Network, build
from .nets.registry import takes_option
from .settings import make_config
from .optim.registry import get_strategy
from .stopping import StopConfig
from .problem import Problem
from .runner import Runner, RunResult
from .seeding import generator


def default_net(problem: Problem, optimiser: str | None = None) -> dict:
    """The network a run uses when it names none: the optimiser's (``Strategy.default_net``, e.g.
    NEAT's neat-net) unless the problem's default is of that architecture, else the problem's."""
    own = get_strategy(optimiser).default_net if optimiser else None
    if own is None or problem.default_net.get("arch") == own.get("arch"):
        return dict(problem.default_net)
    return dict(own)


def choose_network(problem: Problem, arch: str | Network | None, optimiser: str | None,
                   options: dict | None) -> tuple[str | Network, dict]:
    """(arch, options) of the run's network: ``arch`` as given, or, when None, the default
    (:func:`default_net`) with ``options`` over its own."""
    if arch is not None:
        return arch, dict(options or {})
    spec = default_net(problem, optimiser)
    name = spec.pop("arch")
    return name, {**spec, **(options or {})}


def make_network(problem: Problem, arch: str | Network | None = None, **options: Any) -> Network:
    """The network for ``problem``: ``arch`` by name with ``options`` (sizes come from the problem),
    or the problem's default network when ``arch`` is None."""
    if isinstance(arch, Network):
        return arch
    spec = dict(problem.default_net) if arch is None else {"arch": arch}
    spec.update(options)
    name = spec.pop("arch")
    if takes_option(name, "output_activation"):     # dense-entm's one layer has its own activation
        spec.setdefault("output_activation", problem.output_activation)
    return build(name, problem.n_inputs, problem.n_outputs, **spec)


def make_runner(optimiser: str, problem: str | Problem, arch: str | Network | None = None, *,
                net: dict | None = None, settings: dict | None = None, stop: dict | StopConfig | None = None,
                seed: int = 0, problem_params: dict | None = None, evaluator=None,
                callbacks: tuple = (), max_memory: Any = "auto", blas_threads: int = 1) -> Runner:
    """Everything :func:`optimise` sets up, without running it.

    ``max_memory``: the memory guard's limit (:mod:`evornn.memory`; "auto": half the available
    memory, 0: none, "4GiB", bytes; None: not checked): before the network or the population is
    allocated, a run whose generation would need more raises :class:`~evornn.memory.MemoryLimitError`
    (a ValueError) naming the settings and the estimate; a problem given by name is sized from its
    parameters before it is built."""
    if isinstance(problem, str):
        from .memory import check_problem
        from .problems.registry import make_problem
        check_problem(problem, problem_params or {}, max_memory)
        problem = make_problem(problem, **(problem_params or {}))
    cls = get_strategy(optimiser)
    arch, net = choose_network(problem, arch, optimiser, net)
    cfg = make_config(cls.Config, dict(settings or {}), optimiser)
    backend, workers = _evaluator_size(evaluator)
    if max_memory is not None:
        from .memory import guard
        guard(problem, arch, net, cls, cfg, max_memory, backend, workers)
    network = make_network(problem, arch, **(net or {}))
    if stop is None:
        stop = StopConfig(max_generations=1000)
    elif isinstance(stop, dict):
        stop = make_config(StopConfig, stop, "stop")
    strategy = cls(network.n_params, cfg, generator(seed), functools.partial(problem.initial, network))
    runner = Runner(problem, network, strategy, stop, evaluator=evaluator, seed=seed, callbacks=callbacks,
                    blas_threads=blas_threads)
    if max_memory is not None:   # a generation that grows during the run (IPOP) is sized again then
        from .memory import attach_room
        attach_room(runner, max_memory, backend, workers)
    return runner


def _evaluator_size(evaluator) -> tuple[str, int]:
    """("local" or "ray", its threads or actors; 0: as many as there are cores)."""
    from .evaluators.ray_evaluator import RayEvaluator     # does not import Ray
    if isinstance(evaluator, RayEvaluator):
        return "ray", int(getattr(evaluator, "workers", 0) or 0)
    return "local", int(getattr(evaluator, "threads", 0) or 0)


def optimise(optimiser: str, problem: str | Problem, arch: str | Network | None = None, **kwargs: Any) -> RunResult:
    """Train a network on ``problem`` with ``optimiser`` until a stopping criterion fires.

    ``problem``: a registered name (with ``problem_params``) or your own :class:`Problem`;
    ``arch``: an architecture name (options in ``net``), a built network, or None for the problem's
    default; ``settings``: the optimiser's config keys; ``stop``: stopping criteria
    (:class:`~evornn.stopping.StopConfig` keys, default 1,000 generations or solved);
    ``seed``: the root seed (same seed, same result); ``evaluator``: local threads by default;
    ``max_memory``: the memory guard's limit (see :func:`make_runner`).
    """
    _check_keywords("optimise", kwargs)
    return make_runner(optimiser, problem, arch, **kwargs).run()


def _check_keywords(where: str, kwargs: dict) -> None:
    """A TypeError naming an unknown keyword of :func:`make_runner`, the allowed ones and the
    closest (Python's own message names only the inner function)."""
    allowed = [k for k, p in inspect.signature(make_runner).parameters.items() if p.kind == p.KEYWORD_ONLY]
    for k in kwargs:
        if k not in allowed:
            close = difflib.get_close_matches(k, allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise TypeError(f"{where}: unknown keyword {k!r}{hint}; allowed: {', '.join(allowed)}")


def supervised_problem(train, test=None, **options: Any) -> Problem:
    """A problem from your own sequences: lists of (inputs (T_i, n_in), targets (T_i, n_out)) pairs.

    See :func:`evornn.problems.supervised.supervised_problem` for the options (tolerance,
    threshold, washout, measures, solved_when, causal, output_activation, default_net).
    """
    from .problems.supervised import supervised_problem as make
    return make(train, test, **options)
