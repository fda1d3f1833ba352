"""The ``evornn`` command: run, compare, resume, report, list, show, export, warmup.

Bad input (arguments, config keys, types, values) ends with one line on stderr,
``evornn: error: ...``, exit code 2, and nothing written. ``EVORNN_DEBUG=1`` shows tracebacks.
"""
from __future__ import annotations

import argparse
import inspect
import os
import sys
from typing import Any, NoReturn


class UsageError(Exception):
    """A bad command line."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:   # one line instead of usage + message
        raise UsageError(f"{self.prog.removeprefix('evornn ')}: {message}" if self.prog != "evornn" else message)


def build_parser() -> Parser:
    p = Parser(prog="evornn", description="Train recurrent neural networks by neuroevolution.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    r = sub.add_parser("run", help="train a network with one optimiser on one problem")
    r.add_argument("optimiser", help="optimiser name (evornn list)")
    r.add_argument("--problem", help="problem name (evornn list); default: the config's [problem] name")
    r.add_argument("--arch", help="network architecture (default: the config's, else the problem's)")
    r.add_argument("--config", help="TOML config: a file, or a shipped config by name (evornn list --configs); "
                                    "default: <optimiser>-<problem>, else problems/<problem>")
    r.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override one setting, e.g. optimiser.population=50 (repeatable)")
    r.add_argument("--seed", type=int, help="root seed ([run] seed)")
    r.add_argument("--backend", choices=("local", "ray"), help="evaluator ([run] backend)")
    r.add_argument("--workers", type=int, help="threads or actors, 0 = all ([run] workers)")
    r.add_argument("--ray-address", help="with --backend=ray: 'auto' or host:port of a cluster ([run] ray_address)")
    r.add_argument("--out", help="folder for the run folder ([run] out, default results/)")
    r.add_argument("--quiet", action="store_true", help="no progress lines")
    r.add_argument("--verbose", action="store_true", help="also Ray's own log lines (--backend=ray)")

    c = sub.add_parser("compare", help="several optimisers x several seeds on one problem, then a report")
    c.add_argument("config", help="comparison TOML: a file, or a shipped one by name (compare-neuroevolution)")
    c.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override one shared setting")
    c.add_argument("--out", help="folder for the comparison folder ([run] out)")
    c.add_argument("--quiet", action="store_true", help="one line per finished run only")
    c.add_argument("--verbose", action="store_true", help="also Ray's own log lines (backend = ray)")

    s = sub.add_parser("resume", help="continue a run (or a comparison) from its last checkpoint")
    s.add_argument("folder")
    s.add_argument("--quiet", action="store_true")
    s.add_argument("--verbose", action="store_true", help="also Ray's own log lines (backend = ray)")

    sub.add_parser("report", help="write report.md and report.html for a run or comparison folder").add_argument("folder")

    ls = sub.add_parser("list", help="architectures, problems, optimisers and stopping criteria")
    ls.add_argument("--options", action="store_true", help="also show each one's settings and defaults")
    ls.add_argument("--configs", action="store_true", help="list the shipped configs (usable by name)")
    ls.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                    help="also import this plugin module (as [run] plugins does; repeatable)")

    sh = sub.add_parser("show", help="a run's summary, and its best network evaluated again")
    sh.add_argument("folder")
    sh.add_argument("--no-eval", action="store_true", help="do not re-evaluate the best network")

    e = sub.add_parser("export", help="the best network of a run as an ONNX model, a PyTorch module or plain JSON")
    e.add_argument("folder", help="run folder (with best.npy and network.json)")
    e.add_argument("--format", required=True, choices=("onnx", "torch", "json"),
                   help="onnx (needs onnx: pip install 'evornn[export]'), torch (needs torch) or json")
    e.add_argument("--out", help="file to write (default: best.onnx, best.pt or best.json in the run folder)")

    w = sub.add_parser("warmup", help="fill the Numba cache ahead of time (e.g. for Ray nodes or a container image)")
    w.add_argument("arch", nargs="*", help="architectures to warm (default: all; evornn list)")
    w.add_argument("--dtype", choices=("float64", "float32"), default=None,
                   help="precision of the sequence kernels to warm (default float64; pole balancing is float64)")
    w.add_argument("--config", action="append", default=[], metavar="CONFIG",
                   help="warm what this config's first generation compiles instead (a file or a shipped "
                        "config's name; repeat for several); --set applies to each")
    w.add_argument("--set", nargs="+", default=[], metavar="SECTION.KEY=VALUE", help="override config keys")
    return p


# -- commands ---------------------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    from .config import apply_sets, check_sections, default_config, experiment, find_config, load_toml, set_name
    from .runs import ProgressLines, prepare, start, summary_lines
    if args.config:
        source, doc = f"--config {args.config}", load_toml(find_config(args.config))
    elif not args.problem:
        raise UsageError("run: give --problem=<name> (evornn list shows them) or a --config file")
    else:
        path = default_config(args.optimiser, args.problem)
        source, doc = (str(path), load_toml(path)) if path else ("the defaults", {})
    check_sections(doc, source)
    set_name(doc, "optimiser", "name", args.optimiser, source)
    if args.problem:
        set_name(doc, "problem", "name", args.problem, source)
    if args.arch:
        doc.setdefault("network", {})["arch"] = args.arch
    for key in ("seed", "backend", "workers", "out", "ray_address"):
        if getattr(args, key) is not None:
            doc.setdefault("run", {})[key] = getattr(args, key)
    prep = prepare(experiment(apply_sets(doc, args.set), source))
    exp = prep.exp
    print(f"evornn: {exp.optimiser} on {exp.problem} ({prep.net.spec['arch']}, {prep.net.n_params} parameters), "
          f"seed {exp.run.seed}; settings from {source}", flush=True)
    progress = None if args.quiet else ProgressLines(exp.run.log_every)
    record, summary = start(prep, progress=progress)
    print("\n".join(summary_lines(summary, record.path)))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from .compare import load_file, start_compare
    from .config import find_config
    comp = load_file(find_config(args.config), args.set)
    n = len(comp.entries) * len(comp.settings.seeds)
    print(f"evornn: comparing {', '.join(lb for lb, _ in comp.entries)} on {comp.entries[0][1].exp.problem}, "
          f"{len(comp.settings.seeds)} seeds ({n} runs)", flush=True)
    folder = start_compare(comp, args.out, args.quiet)
    print(f"report: {folder / 'report.html'} and {folder / 'report.md'}")
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    from pathlib import Path
    folder = Path(args.folder)
    if (folder / "compare.toml").is_file():
        from .compare import finish
        finish(folder, quiet=args.quiet)
        print(f"report: {folder / 'report.html'} and {folder / 'report.md'}")
        return 0
    from .runs import resume, summary_lines
    record, summary = resume(folder, quiet=args.quiet)
    print("\n".join(summary_lines(summary, record.path)))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .report import write_report
    for path in write_report(args.folder):
        print(path)
    return 0


def _signature_defaults(fn: Any, skip: tuple[str, ...]) -> str:
    params = inspect.signature(fn).parameters.values()
    return ", ".join(f"{p.name}={p.default!r}" for p in params
                     if p.name not in skip and p.default is not inspect.Parameter.empty)


def cmd_list(args: argparse.Namespace) -> int:
    import dataclasses
    from .config import RunSettings
    from .nets import ARCHS
    from .nets.cells import CELLS, CODES
    from .nets.registry import core_names
    from .optim.registry import OPTIMISERS
    from .problems import registry as problems
    from .registry import load_plugins
    from .stopping import CRITERIA
    load_plugins(args.plugin)
    if args.configs:
        from .config import config_dir
        d = config_dir()
        for p in sorted(d.rglob("*.toml")):
            print(p.relative_to(d).with_suffix("").as_posix())
        return 0

    def section(title: str, items: list[tuple[str, str, str]], registry=None) -> None:
        print(title)
        missing = registry.unavailable() if registry is not None else {}
        width = max([len(n) for n, _, _ in items] + [len(n) for n in missing], default=0) + 2
        for name, text, options in items:
            print(f"  {name:<{width}}{text}")
            if args.options and options:
                print(f"  {'':<{width}}settings: {options}")
        for name, why in missing.items():
            print(f"  {name:<{width}}unavailable: {why}")
        print()

    common = ("dtype='float64' (or 'float32', sequence problems), engine='lanes' (or 'scalar'), "
              "init_range (r: weights uniform in [-r, r], not fan-in)")
    section("architectures ([network] arch):",
            [(n, ARCHS.description(n), ", ".join(filter(None, [_signature_defaults(fn, ("n_inputs", "n_outputs")), common])))
             for n, fn in ARCHS.items()], ARCHS)
    cores = set(core_names())
    section("cells (the layer kernels architectures are made of; evornn.nets.cells):",
            [(n, _first_sentence(m.__doc__), f"code {m.CODE}" + (f", a core: [network] cell = \"{n}\"" if n in cores else ""))
             for n, m in sorted(CELLS.items(), key=lambda nm: nm[1].CODE) if int(m.CODE) in CODES], CELLS)
    section("problems ([problem] name):", [(n, problems.describe(n), _problem_options(n) if args.options else "")
                                           for n in problems.available()], problems.PROBLEMS)
    section("optimisers ([optimiser] name):",
            [(n, OPTIMISERS.description(n), ", ".join(f"{f.name}={_default(f)!r}" for f in
                                                      dataclasses.fields(cls.Config)))
             for n, cls in OPTIMISERS.items()], OPTIMISERS)
    section("stopping criteria ([stop] keys; any that fires ends the run):", [(n, d, "") for n, d in CRITERIA.items()])
    if args.options:
        section("run settings ([run] keys):", [(f.name, repr(_default(f)), "") for f in dataclasses.fields(RunSettings)])
    return 0


def _first_sentence(doc: str | None, width: int = 100) -> str:
    """The first sentence of a docstring's first paragraph, at most ``width`` characters."""
    para = " ".join((doc or "").strip().split("\n\n")[0].split())
    text = para.split(". ")[0].rstrip(".")
    return text if len(text) <= width else text[:width].rsplit(" ", 1)[0] + " ..."


def _default(f: Any) -> Any:
    import dataclasses
    return f.default_factory() if f.default is dataclasses.MISSING and f.default_factory is not dataclasses.MISSING \
        else f.default


def _problem_options(name: str) -> str:
    """The problem's parameters with their defaults, or what it needs when it has no default
    (a data file, say)."""
    from .problems import registry
    try:
        return ", ".join(f"{k}={v!r}" for k, v in registry.make_problem(name).params().items())
    except ValueError as e:
        return f"no defaults: {e}"


def cmd_show(args: argparse.Namespace) -> int:
    from .config import check_sections, load_toml
    from .records import CONFIG, RunRecord
    from .runs import reevaluate, summary_lines
    record = RunRecord.open(args.folder)
    cfg = load_toml(record.path / CONFIG)
    check_sections(cfg, str(record.path / CONFIG))
    prob, net, opt = cfg.get("problem", {}), cfg.get("network", {}), cfg.get("optimiser", {})
    print(f"run {record.path}: {opt.get('name')} on {prob.get('name')} "
          f"({', '.join(f'{k}={v}' for k, v in prob.items() if k != 'name')}), network {net.get('arch')}, "
          f"seed {cfg.get('run', {}).get('seed')}")
    summary = record.summary()
    if summary is not None:
        try:
            lines = summary_lines(summary)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise ValueError(f"{record.path / 'summary.json'}: not a run summary (missing or wrong {e})") from None
        print("\n".join(lines))
    else:
        ck = record.latest_checkpoint()
        where = f"its last checkpoint is generation {ck[0]}" if ck else "it has no checkpoint yet"
        print(f"unfinished: {len(record.metrics())} generations recorded, {where}; "
              f"continue with: evornn resume {record.path}")
    if args.no_eval or not (record.path / "best.npy").exists():
        return 0
    r = reevaluate(record)
    metrics = ", ".join(f"{k}={v:.6g}" for k, v in r["metrics"].items())
    print(f"best network evaluated again: fitness {r['fitness']:.6g}" + (f" ({metrics})" if metrics else ""))
    if "solved" in r:
        info = ", ".join(f"{k}={v}" for k, v in r["info"].items())
        print(f"problem's own test: {'solved' if r['solved'] else 'not solved'}"
              + (f" ({info})" if info else "") + f", {r['test_episodes']} test episodes")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .export import export_run
    try:
        path = export_run(args.folder, args.format, args.out)
    except ImportError as e:
        raise UsageError(f"export: {e}") from None
    print(path)
    return 0


def cmd_warmup(args: argparse.Namespace) -> int:
    from .warmup import PROBLEMS, check_archs, first_generation, warm, warm_prepared
    if args.config:
        if args.arch or args.dtype:
            raise UsageError("warmup: give architectures (and --dtype) or --config, not both")
        runs = [(c, first_generation(c, args.set)) for c in args.config]   # every config checked first
        for c, prep in runs:
            print(f"evornn: warming the kernels of --config {c} (its first generation, in a temporary folder)",
                  flush=True)
            print(f"{c}: {warm_prepared(prep):.1f} s", flush=True)
        return 0
    if args.set:
        raise UsageError("warmup: --set applies to --config only")
    archs = check_archs(args.arch)             # unknown names: one-line error before any compile
    print(f"evornn: warming the Numba kernels of {len(archs)} architecture{'s' * (len(archs) != 1)} "
          f"({', '.join(PROBLEMS)})", flush=True)
    total = sum(seconds for _, seconds in warm(archs, dtype=args.dtype))
    print(f"done in {total:.1f} s")
    return 0


COMMANDS = {"run": cmd_run, "compare": cmd_compare, "resume": cmd_resume, "report": cmd_report,
            "list": cmd_list, "show": cmd_show, "export": cmd_export, "warmup": cmd_warmup}


def _one_line(e: BaseException) -> str:
    msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
    return " ".join(str(msg).split()) or type(e).__name__


def _resume_folder(e: BaseException) -> str:
    """The folder to resume after ``e``: the run's, or its comparison's when it is one of its runs."""
    from pathlib import Path
    folder = getattr(e, "folder", None)
    if folder is None:
        return "<folder>"
    top = Path(folder).parent.parent
    return str(top if (top / "compare.toml").is_file() else folder)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``evornn`` console script; returns the exit code."""
    from .evaluators.ray_evaluator import NoWorkersLeft   # does not import Ray
    try:
        args = build_parser().parse_args(argv)
        if not getattr(args, "quiet", False):
            from .nets import specialise
            specialise.on_compile = lambda line: print(f"evornn: {line}", file=sys.stderr, flush=True)
        if getattr(args, "verbose", False):
            import logging
            from .evaluators import ray_evaluator
            ray_evaluator.RAY_LOG_LEVEL = logging.INFO
        return COMMANDS[args.command](args)
    except (UsageError, ValueError, KeyError, FileNotFoundError, NotADirectoryError) as e:
        if os.environ.get("EVORNN_DEBUG"):
            raise
        print(f"evornn: error: {_one_line(e)}", file=sys.stderr)
        return 2
    except NoWorkersLeft as e:         # e.g. every Ray actor lost: the last generation is checkpointed
        print(f"evornn: error: {_one_line(e)}; continue with: evornn resume {_resume_folder(e)}", file=sys.stderr)
        return 1
    except OSError as e:
        if os.environ.get("EVORNN_DEBUG"):
            raise
        print(f"evornn: error: {_one_line(e)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("evornn: interrupted (a run continues from its last checkpoint with: evornn resume <folder>)",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
