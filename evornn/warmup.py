"""Fill Numba's cache ahead of time (``evornn warmup``), e.g. when building a container image or
before starting Ray actors, so that the first run does not compile.

For each architecture, :func:`warm` builds a small network with the architecture's default options
and runs it once through every kernel a run would use:

- ``"sequence"``: ``Network.run_population`` on a tiny input, and one evaluation on a tiny
  supervised problem (:func:`evornn.supervised_problem`), the kernel of every sequence problem;
- ``"pole"``: one short evaluation on ``pole-balance`` (double pole, with velocities: the problem's
  defaults) for architectures that can run step by step (``net.steppable``).

The pole loop is compiled for each network layout (:mod:`evornn.nets.specialise`): warming fills
the cache for the architecture's default size on the problem's default settings; a network of
another size, or other pole settings (single pole, no velocities), compiles its own loop on first
use. For those, and for any other problem (the Gymnasium ports, compiled per environment and
network layout), ``evornn warmup --config cosyne-gym-cartpole`` runs that config's first generation
(:func:`first_generation`, :func:`warm_prepared`), compiling what a run of it compiles then (a
kernel that only a "solved" test uses compiles when a network first reaches the test). The kernels
are compiled where Numba keeps its cache (``NUMBA_CACHE_DIR``, else beside the sources), under the
same file lock as the Ray evaluator's own warm-up (one compiler per machine).
"""
from __future__ import annotations

import time
from typing import Any, Iterable

import numpy as np

PROBLEMS = ("sequence", "pole")
_SEQ_T, _POP = 5, 2            # steps of the tiny input, individuals of the tiny population
_POLE_STEPS = 50               # steps of the short pole episode


def check_archs(archs: Iterable[str] | None) -> list[str]:
    """The architecture names to warm (all registered ones when ``archs`` is empty or None), in the
    order given, without repeats; an unknown name raises a one-line ValueError naming the allowed ones."""
    from .nets import ARCHS
    names = list(ARCHS) if not archs else list(dict.fromkeys(archs))
    unknown = [a for a in names if a not in ARCHS]
    if unknown:
        raise ValueError(f"warmup: unknown architecture {unknown[0]!r}; choose from {', '.join(ARCHS)}")
    return names


def _check_problems(problems: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(problems))
    bad = [p for p in chosen if p not in PROBLEMS]
    if bad or not chosen:
        what = f"unknown problem kind {bad[0]!r}" if bad else "no problem kind given"
        raise ValueError(f"warmup: {what}; choose from {', '.join(PROBLEMS)}")
    return chosen


def warm_arch(arch: str, problems: Iterable[str] = PROBLEMS, *, dtype: str | None = None) -> list[str]:
    """Compile (or load from the cache) the kernels of ``arch`` for ``problems``; returns what was
    run (e.g. ``["run_population", "sequence", "pole"]``). ``dtype`` is passed to the network
    builder of the sequence kernels only when given."""
    from .api import make_network, supervised_problem
    from .evaluators.ray_evaluator import _cache_lock
    from .seeding import eval_seeds

    problems = _check_problems(problems)
    options: dict[str, Any] = {} if dtype is None else {"dtype": dtype}
    rng = np.random.default_rng(0)
    done: list[str] = []
    with _cache_lock():
        if "sequence" in problems:
            X, Y = rng.uniform(-1.0, 1.0, (_SEQ_T, 3)), rng.uniform(-1.0, 1.0, (_SEQ_T, 2))
            seq = supervised_problem([(X, Y)], name="warmup")
            net = make_network(seq, arch, **options)          # arch's defaults, 3 inputs, 2 outputs
            W = net.init(rng, _POP)
            net.run_population(W, X)
            done.append("run_population")
            seq.evaluate(net, W, eval_seeds(0, 0, _POP))
            done.append("sequence")
        if "pole" in problems:
            from .problems.registry import make_problem
            pole = make_problem("pole-balance", max_steps=_POLE_STEPS)
            net = make_network(pole, arch)
            if net.steppable:
                pole.evaluate(net, net.init(rng, _POP), eval_seeds(0, 0, _POP))
                done.append("pole")
    return done


def warm(archs: list[str] | None = None, *, problems: Iterable[str] = PROBLEMS, quiet: bool = False,
         dtype: str | None = None) -> list[tuple[str, float]]:
    """Warm the kernels of every architecture in ``archs`` (default: all of :data:`evornn.ARCHS`)
    on ``problems`` (``"sequence"``, ``"pole"``); returns ``(arch, seconds)`` for each. Unless
    ``quiet``, prints one line per architecture as it finishes."""
    names = check_archs(archs)
    problems = _check_problems(problems)
    out = []
    for arch in names:
        t0 = time.perf_counter()
        done = warm_arch(arch, problems, dtype=dtype)
        seconds = time.perf_counter() - t0
        out.append((arch, seconds))
        if not quiet:
            skipped = " (pole skipped: not steppable)" if "pole" in problems and "pole" not in done else ""
            print(f"{arch}: {seconds:.1f} s, {', '.join(done)}{skipped}", flush=True)
    return out


def first_generation(config: str, sets: Iterable[str] = ()):
    """The prepared run of the first generation of ``config`` (a file or a shipped config's name,
    with ``section.key=value`` overrides ``sets``), local and without checkpoints: every setting
    checked (bad configs raise the one-line errors of ``evornn run``), nothing compiled or written."""
    from .config import apply_sets, check_sections, experiment, find_config, load_toml
    from .runs import prepare

    source = f"--config {config}"
    doc = load_toml(find_config(config))
    check_sections(doc, source)
    doc = apply_sets(doc, [*sets, "stop.max_generations=1", 'run.backend="local"', "run.checkpoint_every=0"])
    return prepare(experiment(doc, source))


def warm_prepared(prep) -> float:
    """Run ``prep`` (:func:`first_generation`) in a temporary folder under the cache lock; seconds."""
    import tempfile

    from .evaluators.ray_evaluator import _cache_lock
    from .runs import start

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="evornn-warmup-") as folder, _cache_lock():
        start(prep, root=folder)
    return time.perf_counter() - t0
