"""The Python API in one call: :func:`optimise`."""
from __future__ import annotations

import functools
from typing import Any

from .nets import Network, build
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


def make_network(problem: Problem, arch: str | Network | None = None, optimiser: str | None = None,
                 **options: Any) -> Network:
    """The network for ``problem``: ``arch`` by name with ``options`` (sizes come from the problem),
    or the default network (:func:`default_net`) when ``arch`` is None."""
    if isinstance(arch, Network):
        return arch
    spec = default_net(problem, optimiser) if arch is None else {"arch": arch}
    spec.update(options)
    name = spec.pop("arch")
    spec.setdefault("output_activation", problem.output_activation)
    return build(name, problem.n_inputs, problem.n_outputs, **spec)


def make_runner(optimiser: str, problem: str | Problem, arch: str | Network | None = None, *,
                net: dict | None = None, settings: dict | None = None, stop: dict | StopConfig | None = None,
                seed: int = 0, problem_params: dict | None = None, evaluator=None,
                callbacks: tuple = ()) -> Runner:
    """Everything :func:`optimise` sets up, without running it."""
    if isinstance(problem, str):
        from .problems.registry import make_problem
        problem = make_problem(problem, **(problem_params or {}))
    network = make_network(problem, arch, optimiser, **(net or {}))
    cls = get_strategy(optimiser)
    cfg = make_config(cls.Config, dict(settings or {}), optimiser)
    if stop is None:
        stop = StopConfig(max_generations=1000)
    elif isinstance(stop, dict):
        stop = make_config(StopConfig, stop, "stop")
    strategy = cls(network.n_params, cfg, generator(seed), functools.partial(problem.initial, network))
    return Runner(problem, network, strategy, stop, evaluator=evaluator, seed=seed, callbacks=callbacks)


def optimise(optimiser: str, problem: str | Problem, arch: str | Network | None = None, **kwargs: Any) -> RunResult:
    """Train a network on ``problem`` with ``optimiser`` until a stopping criterion fires.

    ``problem``: a registered name (with ``problem_params``) or your own :class:`Problem`;
    ``arch``: an architecture name (options in ``net``), a built network, or None for the problem's
    default; ``settings``: the optimiser's config keys; ``stop``: stopping criteria
    (:class:`~evornn.stopping.StopConfig` keys, default 1,000 generations or solved);
    ``seed``: the root seed (same seed, same result); ``evaluator``: local threads by default.
    """
    return make_runner(optimiser, problem, arch, **kwargs).run()


def supervised_problem(train, test=None, **options: Any) -> Problem:
    """A problem from your own sequences: lists of (inputs (T_i, n_in), targets (T_i, n_out)) pairs.

    See :func:`evornn.problems.supervised.supervised_problem` for the options (tolerance,
    threshold, washout, measures, solved_when, causal, output_activation, default_net).
    """
    from .problems.supervised import supervised_problem as make
    return make(train, test, **options)
