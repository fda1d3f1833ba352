"""Recorded runs: an :class:`~evornn.config.Experiment` checked, run, and written to a run folder.

:func:`prepare` builds every piece (problem, network, optimiser settings, evaluator choice) so that
any bad setting fails before a file is written; :func:`start` records a new run; :func:`resume`
continues a run from its newest checkpoint, bit for bit (the runner's state, including the
optimiser's Generator, is in the checkpoint, and every evaluation seed is a function of the root
seed, the generation and the individual).
"""
from __future__ import annotations

import copy
import dataclasses
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TextIO

import numpy as np

from . import __version__, memory
from .api import choose_network, make_network, make_runner
from .config import Experiment, RunSettings, check_net_options, dumps, experiment, load_toml, net_defaults, \
    settings_dict
from .nets import Network
from .settings import make_config
from .optim.registry import get_strategy
from .problem import Problem
from .records import CONFIG, ENV, RunRecord, environment, read_json, remove_temporary
from .runner import Runner


@dataclass
class Prepared:
    """An experiment whose pieces are built and checked, and its fully resolved config document."""

    exp: Experiment
    problem: Problem
    net: Network
    doc: dict[str, Any]


def make_problem_checked(name: str, params: dict[str, Any], max_memory: Any = None) -> Problem:
    """The registered problem ``name``; unknown or mistyped parameters are one-line errors, and so is
    a problem whose data alone, sized from its parameters before it is built, exceeds ``max_memory``
    (:func:`evornn.memory.check_problem`; None: not checked)."""
    from .problems import registry
    if registry.split_name(name, params)[0] not in registry.PROBLEMS:
        raise ValueError(f"problem.name: unknown problem {name!r}; choose one of {', '.join(registry.available())}")
    try:
        memory.check_problem(name, params, max_memory)
        return registry.make_problem(name, **params)
    except TypeError as e:
        raise ValueError(f"problem {name}: {e}") from None


def make_evaluator(run: RunSettings):
    """The evaluator [run] asks for (its values are checked by RunSettings.validate): local Numba
    threads or Ray actors (Ray itself starts at the first evaluation, so making one costs nothing)."""
    from .evaluators.factory import make_evaluator as factory
    return factory(run.backend, run.workers or None, run.ray_address.strip() or None)


def prepare(exp: Experiment, problem: Problem | None = None) -> Prepared:
    """Build and check every piece of ``exp`` (``problem``: an already built instance to reuse). The
    memory guard (:mod:`evornn.memory`) sizes the problem's data from its parameters before building
    it, then the run, from the network's layout only."""
    problem = problem or make_problem_checked(exp.problem, exp.problem_params, exp.run.max_memory)
    try:
        arch, net_options = choose_network(problem, exp.arch, exp.optimiser, exp.net_options)
    except ValueError as e:
        raise ValueError(f"optimiser.name: {e}") from None
    check_net_options(arch, exp.net_options)
    try:
        cls = get_strategy(exp.optimiser)
    except ValueError as e:
        raise ValueError(f"optimiser.name: {e}") from None
    cfg = make_config(cls.Config, dict(exp.settings), "optimiser")
    try:   # the memory guard: the network as its layout only, nothing big allocated yet
        sized = memory.layout(problem, arch, net_options)
    except (TypeError, ValueError) as e:
        raise ValueError(f"network: {e}") from None
    memory.guard(problem, sized, None, cls, cfg, exp.run.max_memory, exp.run.backend,
                 exp.run.workers)
    try:
        net = make_network(problem, arch, **net_options)
        problem.check_network(net)
    except (TypeError, ValueError) as e:
        raise ValueError(f"network: {e}") from None
    make_evaluator(exp.run).close()
    try:   # the strategy as the run will make it (some take the network's groups or the problem's data)
        make_runner(exp.optimiser, problem, net, settings=dict(exp.settings), stop=exp.stop, seed=exp.run.seed,
                    max_memory=None)
    except TypeError as e:
        raise ValueError(f"optimiser {exp.optimiser}: {e}") from None
    spec = {k: v for k, v in net.spec.items() if k not in ("arch", "n_inputs", "n_outputs")}
    doc = {"problem": {"name": exp.problem, **exp.problem_params, **problem.params()},
           "network": {"arch": net.spec["arch"], **net_defaults(net.spec["arch"]), **spec},
           "optimiser": {"name": exp.optimiser, **settings_dict(cfg)},
           "stop": settings_dict(exp.stop),
           "run": settings_dict(exp.run)}
    return Prepared(exp, problem, net, doc)


def prepare_file(path: str | Path) -> Prepared:
    return prepare(experiment(load_toml(path), str(path)))


# -- progress lines and summaries ---------------------------------------------------------------
class ProgressLines:
    """Print a progress line every ``log_every`` generations, or (0) about once a second."""

    def __init__(self, log_every: int = 0, prefix: str = "", stream: TextIO | None = None, interval: float = 1.0):
        self.log_every, self.prefix, self.interval = log_every, prefix, interval
        self.stream = stream or sys.stdout
        self.last = time.monotonic()

    def __call__(self, runner: Runner, row: dict[str, Any]) -> None:
        now = time.monotonic()
        due = row["generation"] % self.log_every == 0 if self.log_every else now - self.last >= self.interval
        if due:
            self.last = now
            print(f"{self.prefix}gen {row['generation']:>6}  evals {row['evaluations']:>9}  "
                  f"best {row['run_best']:.6g}  median {row['median']:.6g}  {row['elapsed']:.1f} s"
                  + ("  solved" if row["solved"] else ""), file=self.stream, flush=True)


def summary_lines(s: dict[str, Any], where: Path | None = None) -> list[str]:
    """The end-of-run summary a person reads."""
    metrics = ", ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in s["best_metrics"].items())
    test = f" + {s['test_episodes']:,} test episodes" if s["test_episodes"] else ""
    lines = [f"stopped: {s['stop_reason']}",
             f"{s['generations']:,} generations, {s['evaluations']:,} evaluations{test}, "
             f"{s['elapsed']:.1f} s computing ({s['wall_time']:.1f} s wall time)",
             f"best fitness {s['best_fitness']:.6g}" + (f" ({metrics})" if metrics else ""),
             f"solved: {'yes' if s['solved'] else 'no'}"
             + (" (" + ", ".join(f"{k}={v}" for k, v in s["solved_info"].items()) + ")" if s["solved_info"] else "")]
    went_on = s["solved"] and not any(r.get("criterion") == "solved" for r in s.get("stop_reasons", ()))
    if went_on and s["solved_info"]:         # stop.solved = false: the test above is of the network that solved
        lines[-1] += (f": the network that first solved, after {s['evaluations_to_solve']:,} evaluations; the run went "
                      "on, and the network kept is its best (`evornn show` tests it)")
    if where is not None:
        lines.append(f"results in {where}")
    return lines


# -- running and recording ---------------------------------------------------------------------
def _recorder(record: RunRecord, net: Network, every: int, keep_last: bool = False,
              keep: int = 2) -> Callable[[Runner, dict], None]:
    """Append each generation's row and checkpoint every ``every`` generations. ``keep_last``: also
    hold a copy of the last finished generation's state (a generation that fails half-way has
    already advanced the optimiser), which ``cb.save_last()`` writes as a checkpoint."""
    last: dict[str, Any] = {}

    def cb(runner: Runner, row: dict[str, Any]) -> None:
        record.append_metrics(row)
        due = bool(every) and row["generation"] % every == 0
        if not (due or keep_last):
            return
        arrays, meta = runner.get_state()
        if due:
            if runner.best_x is not None:
                record.write_best(runner.best_x, net.spec)
            record.save_checkpoint(row["generation"], arrays, meta, keep)
            last.clear()
        else:
            last.update(generation=row["generation"], arrays={k: np.array(v, copy=True) for k, v in arrays.items()},
                        meta=copy.deepcopy(meta), best=None if runner.best_x is None else runner.best_x.copy())

    def save_last() -> None:
        if last:
            if last["best"] is not None:
                record.write_best(last["best"], net.spec)
            record.save_checkpoint(last["generation"], last["arrays"], last["meta"], keep)
            last.clear()
    cb.save_last = save_last   # type: ignore[attr-defined]
    return cb


def execute(prep: Prepared, record: RunRecord, label: str, state: tuple | None = None,
            progress: Callable | None = None) -> dict[str, Any]:
    """Run ``prep`` into ``record`` (from checkpoint ``state`` = (arrays, meta) if given); returns the summary."""
    from .evaluators.ray_evaluator import NoWorkersLeft   # does not import Ray
    t0 = time.perf_counter()
    exp = prep.exp
    evaluator = make_evaluator(exp.run)
    recorder = _recorder(record, prep.net, exp.run.checkpoint_every, keep_last=exp.run.backend == "ray",
                         keep=exp.run.keep_checkpoints)
    callbacks = (recorder,) + ((progress,) if progress else ())
    runner = make_runner(exp.optimiser, prep.problem, prep.net, settings=dict(exp.settings), stop=exp.stop,
                         seed=exp.run.seed, evaluator=evaluator, callbacks=callbacks, max_memory=None,
                         blas_threads=exp.run.blas_threads)
    memory.attach_room(runner, exp.run.max_memory, exp.run.backend, exp.run.workers)   # sized in prepare
    wall = 0.0
    if state is not None:
        runner.set_state(*state)
        wall = float(state[1]["progress"]["elapsed"])   # the killed session's wall time is not known
    try:
        result = runner.run()
    except NoWorkersLeft as e:                    # Ray lost every worker: checkpoint the last generation
        recorder.save_last()                      # type: ignore[attr-defined]
        e.folder = record.path                    # type: ignore[attr-defined]   (for the message)
        raise
    finally:
        evaluator.close()
    p = result.progress
    if result.best_chromosome is not None:
        record.write_best(result.best_chromosome, prep.net.spec)
    summary = {"label": label, "optimiser": exp.optimiser, "problem": exp.problem, "arch": prep.net.spec["arch"],
               "seed": exp.run.seed, "n_params": prep.net.n_params,
               "stop_reason": result.stop_reason, "stop_reasons": [r.as_dict() for r in result.stop_reasons],
               "solved": bool(p.solved), "solved_info": result.solved_info,
               "generations": p.generation, "evaluations": p.evaluations, "test_episodes": p.test_episodes,
               "evaluations_to_solve": p.evaluations_to_solve if p.solved else None,
               "elapsed": p.elapsed, "wall_time": wall + time.perf_counter() - t0,
               "best_fitness": result.best_fitness, "best_metrics": result.best_metrics,
               "optimiser_info": runner.strategy.info(),
               "solved_description": prep.problem.solved_description, "evornn": __version__}
    record.write_summary(summary)
    return summary


def header(prep: Prepared, env: dict[str, Any]) -> str:
    git = env["git"].get("commit", "unknown")
    return (f"evornn {__version__} (git {git}{' with local changes' if env['git'].get('dirty') else ''}): "
            f"resolved config of this run\nrerun: evornn run {prep.exp.optimiser} --config=<this file>")


def start(prep: Prepared, root: str | Path | None = None, name: str | None = None, label: str | None = None,
          progress: Callable | None = None) -> tuple[RunRecord, dict[str, Any]]:
    """A new run folder under ``root`` (default [run] out) for ``prep``, run to the end."""
    exp = prep.exp
    label = label or exp.optimiser
    if name is None:
        name = f"{label}-{exp.problem.replace(':', '-')}-seed{exp.run.seed}-{time.strftime('%Y%m%d-%H%M%S')}"
    env = environment()
    record = RunRecord.create(root or exp.run.out, name)
    record.write_config(dumps(prep.doc, header(prep, env)))
    record.write_environment({**env, "label": label})
    return record, execute(prep, record, label, progress=progress)


def resume(path: str | Path, progress_prefix: str = "", quiet: bool = False,
           label: str | None = None) -> tuple[RunRecord, dict[str, Any]]:
    """Continue the run in folder ``path`` from its newest usable checkpoint (or from the start if
    none was written): the folder is put back as it was when that checkpoint was written. A damaged
    newest checkpoint is reported on stderr and the one before it used; none usable: ValueError,
    and nothing in the folder changed."""
    record = RunRecord.open(path)
    if record.finished:
        raise ValueError(f"{path} has already finished (see its summary.json)")
    prep = prepare(experiment(load_toml(record.path / CONFIG), str(record.path / CONFIG)))
    ck = record.latest_checkpoint(warn=lambda line: print(f"evornn: {line}", file=sys.stderr, flush=True))
    generation, state = (0, None) if ck is None else (ck[0], (ck[1], ck[2]))
    env_path = record.path / ENV
    label = label or (read_json(env_path).get("label") if env_path.exists() else None) or prep.exp.optimiser
    record.metrics()                   # damaged rows: one line naming metrics.csv
    remove_temporary(record.path)      # the first change to the folder: everything read is usable
    record.truncate_metrics(generation)
    if ck is None or "best_x" not in ck[1]:
        (record.path / "best.npy").unlink(missing_ok=True)
    else:   # best.npy as it was at that checkpoint (a newer, damaged one may have moved it on)
        record.write_best(ck[1]["best_x"], prep.net.spec)
    progress = None if quiet else ProgressLines(prep.exp.run.log_every, progress_prefix)
    return record, execute(prep, record, label, state, progress)


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


def with_run(exp: Experiment, **changes: Any) -> Experiment:
    """``exp`` with some [run] settings replaced."""
    return dataclasses.replace(exp, run=dataclasses.replace(exp.run, **changes))


def reevaluate(record: RunRecord) -> dict[str, Any]:
    """The best network of a run, rebuilt from network.json and run again on its problem (and the
    problem's own test of it: test data or test episodes)."""
    from .nets import build
    from .seeding import eval_seeds
    prep = prepare(experiment(load_toml(record.path / CONFIG), str(record.path / CONFIG)))
    w, spec = record.best(), record.network_spec()
    try:
        net = build(**spec)
    except (TypeError, ValueError, KeyError) as e:
        raise ValueError(f"{record.path / 'network.json'}: not a network evornn can build ({_one_line(e)})") from None
    if net.n_params != w.shape[0]:
        raise ValueError(f"{record.path}: best.npy has {w.shape[0]} parameters, network.json {net.n_params}")
    seed = int(eval_seeds(prep.exp.run.seed, 0, 1)[0])
    res = prep.problem.evaluate(net, w[None, :], np.array([seed], dtype=np.uint64))
    out = {"fitness": float(res.fitness[0]),
           "metrics": {n: float(res.metrics[0, j]) for j, n in enumerate(prep.problem.metric_names)}}
    if type(prep.problem).check_solved is not Problem.check_solved:
        chk = prep.problem.check_solved(net, w, res.metrics[0], seed)
        out.update(solved=bool(chk.solved), test_episodes=chk.test_episodes, info=dict(chk.info))
    return out
