"""Comparisons: several optimisers times several seeds on one problem, each run recorded, then a report.

A comparison config shares [problem], [network], [stop] and [run] (without ``seed``) between all
runs, lists the seeds in [compare] and the optimisers as an array of tables::

    [compare]
    name = "pole-balance"          # folder: <run.out>/compare-<name>-<time>
    seeds = [0, 1, 2, 3, 4]

    [[optimisers]]
    name = "ga"                    # the optimiser
    label = "ga"                   # optional: its name in the report (default: name); unique
    population = 50                # its Config keys

Runs go to ``<folder>/runs/<label>-seed<N>/``; ``evornn resume <folder>`` finishes an interrupted
comparison (finished runs are kept, unfinished ones resumed from their checkpoints).
"""
from __future__ import annotations

import copy
import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import RunSettings, apply_sets, check_sections, dumps, experiment, load_toml, settings_dict
from .settings import make_config
from .records import RunRecord, environment, write_atomic
from .report import write_report
from .runs import Prepared, ProgressLines, prepare, resume, start, with_run

COMPARE_SECTIONS = ("compare", "problem", "network", "stop", "run", "optimisers")
SHARED = ("problem", "network", "stop", "run")


@dataclass(frozen=True)
class CompareSettings:
    """The [compare] section."""

    name: str = ""                              # names the comparison's folder (default: the problem)
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)    # every optimiser runs once per seed

    def validate(self, where: str = "compare") -> None:
        if not self.seeds or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in self.seeds):
            raise ValueError(f"{where}.seeds must be a non-empty list of integers >= 0, got {list(self.seeds)!r}")
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"{where}.seeds must not repeat a seed, got {list(self.seeds)!r}")
        if any(c in self.name for c in "/\\"):
            raise ValueError(f"{where}.name must not contain a path separator, got {self.name!r}")


@dataclass
class Comparison:
    settings: CompareSettings
    entries: list[tuple[str, Prepared]]   # (label, the prepared experiment with seed 0)
    doc: dict[str, Any]                   # the resolved comparison config


def load(doc: dict[str, Any], where: str) -> Comparison:
    """Check a comparison document and prepare every optimiser's experiment (no files written)."""
    check_sections({k: v for k, v in doc.items() if k != "optimisers"}, where, COMPARE_SECTIONS)
    settings = make_config(CompareSettings, dict(doc.get("compare", {})), "compare")
    if "seed" in doc.get("run", {}):
        raise ValueError("run.seed: a comparison takes its seeds from compare.seeds")
    opts = doc.get("optimisers")
    if not isinstance(opts, list) or not opts or not all(isinstance(o, dict) for o in opts):
        raise ValueError(f"{where}: list the optimisers as [[optimisers]] tables, each with a name")
    entries: list[tuple[str, Prepared]] = []
    problem = None
    for i, o in enumerate(opts):
        o = dict(o)
        label = o.pop("label", None) or o.get("name")
        if not isinstance(label, str) or not label or any(c in label for c in "/\\"):
            raise ValueError(f"optimisers[{i}].label must be a folder-safe name, got {label!r}")
        if label in [lb for lb, _ in entries]:
            raise ValueError(f"optimisers[{i}].label: {label!r} is used twice; give each entry its own label")
        one = {k: copy.deepcopy(doc[k]) for k in SHARED if k in doc}
        one["optimiser"] = o
        try:
            prep = prepare(experiment(one, where), problem)
        except ValueError as e:
            msg = str(e)
            raise ValueError(msg.replace("optimiser", f"optimisers[{i}]", 1) if msg.startswith("optimiser") else msg) from None
        problem = prep.problem
        entries.append((label, prep))
    first = entries[0][1].doc
    resolved = {"compare": settings_dict(settings), **{k: first[k] for k in ("problem", "network", "stop")},
                "run": {k: v for k, v in first["run"].items() if k != "seed"},
                "optimisers": [{"label": lb, **p.doc["optimiser"]} for lb, p in entries]}
    return Comparison(settings, entries, resolved)


def load_file(path: str | Path, sets: list[str] = ()) -> Comparison:
    doc = apply_sets(load_toml(path), list(sets), COMPARE_SECTIONS[:-1])
    return load(doc, str(path))


def start_compare(comp: Comparison, out: str | Path | None = None, quiet: bool = False) -> Path:
    """A new comparison folder for ``comp``; runs everything and writes the report."""
    run: RunSettings = comp.entries[0][1].exp.run
    root = Path(out or run.out)
    name = comp.settings.name or comp.entries[0][1].exp.problem
    record = RunRecord.create(root, f"compare-{name}-{time.strftime('%Y%m%d-%H%M%S')}")
    write_atomic(record.path / "compare.toml", dumps(comp.doc, "evornn comparison: resolved config"))
    record.write_environment(environment())
    return finish(record.path, comp, quiet)


def finish(folder: str | Path, comp: Comparison | None = None, quiet: bool = False) -> Path:
    """Run every (optimiser, seed) of the comparison in ``folder`` that has not finished, then report."""
    folder = Path(folder)
    if comp is None:
        comp = load(load_toml(folder / "compare.toml"), str(folder / "compare.toml"))
    runs = folder / "runs"
    for label, prep in comp.entries:
        for seed in comp.settings.seeds:
            name = f"{label}-seed{seed}"
            prefix = f"[{name}] "
            progress = None if quiet else ProgressLines(prep.exp.run.log_every, prefix)
            path = runs / name
            if (path / "summary.json").exists():
                continue
            if path.exists():
                _, summary = resume(path, prefix, quiet, label=label)
            else:
                one = dataclasses.replace(prep, exp=with_run(prep.exp, seed=seed))
                one.doc = {**prep.doc, "run": {**prep.doc["run"], "seed": seed}}
                _, summary = start(one, runs, name, label, progress)
            how = (f"solved in {summary.get('evaluations_to_solve') or summary['evaluations']:,} evaluations"
                   if summary["solved"] else
                   f"not solved ({summary['stop_reason']})")
            print(f"{prefix}{how}; best fitness {summary['best_fitness']:.6g}, {summary['elapsed']:.1f} s", flush=True)
    write_report(folder)
    return folder
