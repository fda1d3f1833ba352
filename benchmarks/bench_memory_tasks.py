"""Length generalisation with memory (issue 21): the stack RNN and the evolved NTM against Elman and
LSTM networks of about the same parameter count, one CSV row per run.

Tasks and rows (architecture x optimiser):

* ``dyck1``, ``anbn`` (with the length split), ``reverse-string``: the stack RNN, an Elman network
  and an LSTM of the nearest parameter count; CoSyNE and CMA-ES. A run goes until the test is solved
  (every test string right up to 5x the longest training string) or the budget. Accuracy: the
  fraction of test strings right at the training lengths, up to 2x and up to 5x
  (:mod:`problems.lengths`).
* ``copy``, ``repeat-copy``, ``assoc-recall`` (small versions: 2-bit vectors, short training
  lengths): the ENTM (``ntm`` with ``addressing = "entm"``, a controller of bits + 2 units, the
  hand-built copier's size, and a memory that holds the longest test), the NTM with Graves' soft
  addressing and the DNC (at most 32 locations) with the same controller, and an LSTM (and an
  Elman network) of the nearest parameter count; CoSyNE and CMA-ES with ``benchmarks/bench_memory.py``'s
  settings. A run goes until every training bit is right or the budget (as ``bench_memory.py``).
  Accuracy: the fraction of test sequences entirely right at the training lengths, at 2x and at 5x
  the longest (``MemoryTask.lengths``); the bits right are in the CSV too.
* NEAT (``--optimisers neat``): NEAT grows its own topology, so its rows have their own network,
  ``neat-net`` (NEAT's recurrent phenotype, no external memory, outputs + 10 units) on the stack
  tasks and ``neat-entm`` (Greve et al.'s ENTM, memory width bits + 1) on the NTM tasks, with the
  settings of the README's ``neat-entm`` copy runs (population 300, 10 species, weight range 10).

Each run's best network (by training fitness) is tested when the run ends, and its row goes to the
CSV (``--csv``, default ``results/bench_memory_tasks.csv``) at once. Runs already in the CSV (same
task, architecture, optimiser, budget, setup and seed) are skipped, so an interrupted benchmark
resumes where it stopped and more seeds can be added later. Seeds are the outer loop: seed 0 of
every row, then seed 1 of every row, and so on, so a cut-off run leaves the rows with even seeds.
``--table`` prints the README table from the CSV (means over the seeds, min-max, runs solved).

Published, beside it: MDLRNN (Lan et al., TACL 2022, a genetic algorithm minimising description
length) reaches 100% test accuracy on a^n b^n and on Dyck-1 from 500 training strings, where the
best standard RNN reached 10.8% on Dyck-1; Delétang et al. (ICLR 2023) find that only networks
with a stack or tape generalise in length on such tasks (reverse string included); Greve, Jacobsen
& Risi (GECCO 2016) evolve an ENTM (NEAT) that solves copy; pytorch-ntm's gradient NTM (memory 128 x
20, LSTM 100) converges on copy lengths 1-20 in under 30,000 sequences and generalises to length 80.

    python benchmarks/bench_memory_tasks.py --seeds 3     # every row, seeds 0-2 (seed 0 of every row first)
    python benchmarks/bench_memory_tasks.py               # seeds 0-9 (those in the CSV are skipped)
    python benchmarks/bench_memory_tasks.py --tasks dyck1 --archs stack-rnn --optimisers cosyne --evaluations 200000
    python benchmarks/bench_memory_tasks.py --optimisers neat        # the NEAT rows, seeds 0-9
    python benchmarks/bench_memory_tasks.py --table                  # the README table from the CSV
"""
from __future__ import annotations

import os

# One BLAS thread: pycma's eigendecomposition of a 74 x 74 covariance took 1.5 s per generation here
# with OpenBLAS's threads competing with Numba's on a loaded machine, 0.1 s with one thread.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import evornn  # noqa: E402
import runs_csv  # noqa: E402
from evornn.problems import lengths  # noqa: E402
from evornn.problems.registry import make_problem  # noqa: E402

# problem parameters (training lengths 1..10, test up to 50) and the stack RNN's options: the
# controller's size and read depth of the hand-built solutions in tests/test_stack_rnn.py
STACK_TASKS = {
    "dyck1": (dict(train_max=10, n_train=100, n_test=100), dict(n_hidden=3, read_depth=2, width=1)),
    "anbn": (dict(train_max_n=10, length_split=True), dict(n_hidden=3, read_depth=2, width=1)),
    "reverse-string": (dict(train_max=10, n_train=100, n_test=100), dict(n_hidden=4, read_depth=1, width=1)),
}
# the NTM tasks, small: 2-bit vectors (copy as in the README's bench_memory.py table)
MEMORY_TASKS = {
    "copy": dict(min_length=1, max_length=3, n_train=16, n_test=32, bits=2),
    "repeat-copy": dict(min_length=1, max_length=3, n_train=16, n_test=32, bits=2, max_repeats=2),
    "assoc-recall": dict(min_length=2, max_length=3, n_train=16, n_test=32, bits=2),
}
TASKS = list(STACK_TASKS) + list(MEMORY_TASKS)
ARCHS = ("stack-rnn", "entm", "ntm", "dnc", "elman", "lstm", "neat-net", "neat-entm")
DEFAULT_ARCHS = {**{t: ("stack-rnn", "elman", "lstm") for t in STACK_TASKS},
                 **{t: ("entm", "ntm", "dnc", "lstm") for t in MEMORY_TASKS}}
# NEAT evolves its own topology, so its rows have a network of their own: ``neat-net`` (NEAT's
# recurrent phenotype, no external memory) on the stack tasks, ``neat-entm`` (Greve et al.'s ENTM)
# on the NTM tasks; the other optimisers do not run these, nor NEAT the fixed-topology networks.
NEAT_ARCH = {**{t: "neat-net" for t in STACK_TASKS}, **{t: "neat-entm" for t in MEMORY_TASKS}}
OPTIMISERS = ("cosyne", "cmaes", "neat")
# CoSyNE: Cauchy steps of scale 1 from +-3 with restarts (steps of 5 from +-10 saturated every unit
# and stalled on dyck1 and anbn; the defaults, +-1 and 0.3, reached 0.97 at 5x on anbn in 6,000).
# The runs that fail within 40,000 evaluations are stalled ones that a restart (after 100
# generations without improvement) gives a fresh try; with 200,000 every seed solved. Bounding the
# weights (weight_limit 10) or a 5-unit controller did not help: 7/10 and 2/10 on anbn, 3/10 on
# dyck1 (README, "Length generalisation and the stack RNN").
STACK_SETTINGS = {"cosyne": {"population": 40, "init_range": 3.0, "mutation_scale": 1.0, "restart_after": 100},
                  "cmaes": {"sigma0": 5.0}}
# the NTM tasks: bench_memory.py's settings (CoSyNE's defaults; CMA-ES from sigma0 0.5)
MEMORY_SETTINGS = {"cosyne": {}, "cmaes": {"sigma0": 0.5}}
# NEAT: the settings of the README's neat-entm copy runs (benchmarks/bench_memory.py), after the C#
# ENTM code's configuration (population 300, 10 species, weight range 10, 80% asexual offspring),
# on both kinds of task
NEAT_SETTINGS = {"population": 300, "weight_perturb": 1.0, "weight_replace": 0.02, "mutate_only": 0.8,
                 "target_species": 10, "weight_limit": 10.0}
NEAT_HIDDEN = 10                                 # the NEAT phenotypes: outputs (and head controls) + 10 units
BUDGET = {"stack": 40000, "memory": 20000}      # evaluations per run (--evaluations overrides both)
FIELDS = ("task", "arch", "params", "optimiser", "budget", "seed", "acc_train", "acc_2x", "acc_5x",
          "bits_train", "bits_2x", "bits_5x", "train_fitness", "solved", "evaluations", "wall_s", "setup",
          "finished_utc")


def nearest(arch: str, prob, n_params: int) -> evornn.Network:
    """The ``arch`` network (Elman or LSTM) whose parameter count is nearest ``n_params``."""
    cands = [evornn.build(arch, prob.n_inputs, prob.n_outputs, n_hidden=h, output_activation=prob.output_activation)
             for h in range(1, 60)]
    return min(cands, key=lambda n: abs(n.n_params - n_params))


def memory_net(prob, arch: str = "entm") -> evornn.Network:
    """bench_memory.py's memory networks: the ENTM (``ntm`` with hard ``entm`` addressing), the NTM
    with Graves' soft addressing, or the DNC (at most 32 locations); bits + 2 controller units and a
    memory holding the longest test."""
    width = prob.default_net["memory_width"]
    common = dict(n_hidden=width + 2, memory_width=width, output_activation="sigmoid")
    if arch == "dnc":
        return evornn.build("dnc", prob.n_inputs, prob.n_outputs, memory_size=min(32, prob.default_net["memory_size"]),
                            **common)
    return evornn.build("ntm", prob.n_inputs, prob.n_outputs, memory_size=prob.default_net["memory_size"],
                        addressing="entm" if arch == "entm" else "soft", **common)


def problem(task: str):
    return make_problem(task, **(STACK_TASKS[task][0] if task in STACK_TASKS else MEMORY_TASKS[task]))


def networks(task: str, prob, stack_hidden: int | None = None) -> dict[str, evornn.Network]:
    """The memory network of the task (stack RNN or ENTM) and the Elman and LSTM networks nearest its size."""
    if task in STACK_TASKS:
        opts = {**STACK_TASKS[task][1], **({"n_hidden": stack_hidden} if stack_hidden else {})}
        mem = evornn.build("stack-rnn", prob.n_inputs, prob.n_outputs, depth=int(max(prob.test.labels)),
                           output_activation=prob.output_activation, **opts)
        nets = {"stack-rnn": mem}
    else:
        mem = memory_net(prob)
        nets = {"entm": mem, "ntm": memory_net(prob, "ntm"), "dnc": memory_net(prob, "dnc")}
    for arch in ("elman", "lstm"):
        nets[arch] = nearest(arch, prob, mem.n_params)
    if task in STACK_TASKS:
        nets["neat-net"] = evornn.build("neat-net", prob.n_inputs, prob.n_outputs, max_nodes=prob.n_outputs + NEAT_HIDDEN,
                                        output_activation=prob.output_activation)
    else:                                        # Greve et al.'s code: memory width = bits + 1 (bench_memory.py)
        M = prob.default_net["memory_width"] + 1
        nets["neat-entm"] = evornn.build("neat-entm", prob.n_inputs, prob.n_outputs, memory_size=prob.default_net["memory_size"],
                                         memory_width=M, max_nodes=prob.n_outputs + M + 5 + NEAT_HIDDEN)
    return nets


def plan(task: str, optimiser: str, budget: int, extra: dict) -> tuple[dict, dict]:
    """(optimiser settings, stopping criteria) of a run."""
    if task in STACK_TASKS:
        base = NEAT_SETTINGS if optimiser == "neat" else STACK_SETTINGS[optimiser]
        return {**base, **extra}, {"max_evaluations": budget, "solved": True}
    return ({**(NEAT_SETTINGS if optimiser == "neat" else MEMORY_SETTINGS[optimiser]), **extra},
            {"max_evaluations": budget, "at_least": {"bit_accuracy": 1.0}, "solved": False})


def setup_key(task: str, prob, net, settings: dict, stop: dict) -> str:
    """What defines a row besides the seed, as compact JSON (a CSV cell)."""
    return json.dumps({"problem": prob.params() if hasattr(prob, "params") else {}, "net": net.spec,
                       "settings": settings, "stop": {k: v for k, v in stop.items() if k != "max_evaluations"}},
                      sort_keys=True, separators=(",", ":"), default=str)


def one_run(task: str, arch: str, net, prob, optimiser: str, seed: int, budget: int, extra: dict) -> dict:
    settings, stop = plan(task, optimiser, budget, extra)
    t0 = time.perf_counter()
    res = evornn.optimise(optimiser, prob, arch=net, settings=settings, stop=stop, seed=seed)
    wall = time.perf_counter() - t0
    row = {"task": task, "arch": arch, "params": net.n_params, "optimiser": optimiser, "budget": budget,
           "seed": seed, "train_fitness": float(res.best_fitness), "evaluations": res.progress.evaluations,
           "wall_s": round(wall, 2), "setup": setup_key(task, prob, net, settings, stop),
           "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if task in STACK_TASKS:
        got = lengths.accuracy_by_length(prob, net, res.best_chromosome[None])
        acc = [float(got[g][0]) for g in lengths.GROUPS]
        bits = [float("nan")] * 3
    else:
        got = prob.lengths(net, res.best_chromosome)
        acc = [got[f"accuracy_{m}x"] for m in (1, 2, 5)]
        bits = [got[f"bit_accuracy_{m}x"] for m in (1, 2, 5)]
    for name, vals in (("acc", acc), ("bits", bits)):
        for g, v in zip(("train", "2x", "5x"), vals):
            row[f"{name}_{g}"] = round(float(v), 6)
    row["solved"] = int(all(a >= 1.0 for a in acc))
    return row


def read_csv(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def append_row(path: Path, row: dict) -> None:
    runs_csv.append_row(str(path), FIELDS, row)


def run_key(task, arch, optimiser, budget, setup, seed) -> tuple:
    return (task, arch, optimiser, int(budget), setup, int(seed))


def fmt(vals: list[float], digits: int = 3) -> str:
    """mean (min-max) of ``vals``; the mean alone for one value."""
    m = float(np.mean(vals))
    if len(vals) == 1 or min(vals) == max(vals):
        return f"{m:.{digits}f}"
    return f"{m:.{digits}f} ({min(vals):.{digits - 1}f}-{max(vals):.{digits - 1}f})"


def spread(vals: list[float], f: str) -> str:
    """mean (min-max) in format ``f``; the value alone for one run."""
    if len(vals) == 1:
        return format(vals[0], f)
    return f"{format(float(np.mean(vals)), f)} ({format(min(vals), f)}-{format(max(vals), f)})"


def table(rows: list[dict], tasks: list[str] | None = None) -> str:
    """The README table: one line per (task, architecture, optimiser, budget, setup), over its seeds."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        groups[(r["task"], r["arch"], r["optimiser"], int(r["budget"]), r["setup"])].append(r)
    order = {t: i for i, t in enumerate(TASKS)}
    arch_order = {a: i for i, a in enumerate(ARCHS)}
    opt_order = {o: i for i, o in enumerate(OPTIMISERS)}
    keys = sorted(groups, key=lambda k: (order.get(k[0], 99), k[0], k[3], arch_order.get(k[1], 99), k[1],
                                         opt_order.get(k[2], 9), k[2], k[4]))
    keys = [k for k in keys if not tasks or k[0] in tasks]
    # the NTM tasks: also the bits right (after thresholding at 0.5), means over the seeds
    bits = any(np.isfinite(float(r.get("bits_train", "nan"))) for k in keys for r in groups[k])
    out = ["| task | network (params) | optimiser | budget | seeds | test acc. train lengths | 2x | 5x "
           + ("| test bits train / 2x / 5x " if bits else "") + "| runs solved (all to 5x) | evaluations | wall time (s) |",
           "|---|---|---|---|---|---|---|---|---|---|---|" + ("---|" if bits else "")]
    for k in keys:
        g = sorted(groups[k], key=lambda r: int(r["seed"]))
        acc = {c: [float(r[f"acc_{c}"]) for r in g] for c in ("train", "2x", "5x")}
        ev = [int(r["evaluations"]) for r in g]
        wall = [float(r["wall_s"]) for r in g]
        solved = sum(int(r["solved"]) for r in g)
        out.append(f"| {k[0]} | {k[1]} ({g[0]['params']}) | {k[2]} | {k[3]:,} | {len(g)} | {fmt(acc['train'])} | "
                   f"{fmt(acc['2x'])} | {fmt(acc['5x'])} | "
                   + (" / ".join(f"{np.mean([float(r[f'bits_{c}']) for r in g]):.3f}" for c in ("train", "2x", "5x"))
                      + " | " if bits else "")
                   + f"{solved}/{len(g)} | "
                   f"{spread(ev, ',.0f')} | {spread(wall, '.1f')} |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", nargs="+", default=TASKS, choices=TASKS)
    ap.add_argument("--archs", nargs="+", default=None, choices=ARCHS,
                    help="default: stack-rnn, elman, lstm on the stack tasks; entm, lstm on the NTM tasks; "
                    "and the task's NEAT network for --optimisers neat")
    ap.add_argument("--optimisers", nargs="+", default=["cosyne", "cmaes"], choices=OPTIMISERS,
                    help="neat runs the task's NEAT network (neat-net or neat-entm) only")
    ap.add_argument("--seeds", type=int, default=10, help="seeds 0..SEEDS-1 of every row (those in the CSV skipped)")
    ap.add_argument("--evaluations", type=int, default=0,
                    help=f"budget per run (0: {BUDGET['stack']:,} on the stack tasks, {BUDGET['memory']:,} on the NTM tasks)")
    ap.add_argument("--stack-hidden", type=int, default=None, help="the stack RNN controller's units (default: per task)")
    ap.add_argument("--set", nargs="+", default=[], metavar="KEY=NUMBER",
                    help="optimiser settings on top of the defaults above, e.g. weight_limit=10 population=100")
    ap.add_argument("--csv", default="results/bench_memory_tasks.csv", help="one row per run, appended")
    ap.add_argument("--table", action="store_true", help="print the table of the CSV (of --tasks) and exit")
    ap.add_argument("--dry-run", action="store_true", help="list the runs to do (not in the CSV) and exit")
    args = ap.parse_args()
    path = Path(args.csv)
    if args.table:
        print(table(read_csv(path), args.tasks))
        return
    extra = {k: float(v) if "." in v else int(v) for k, v in (kv.split("=", 1) for kv in args.set)}
    done = {run_key(r["task"], r["arch"], r["optimiser"], r["budget"], r["setup"], r["seed"]) for r in read_csv(path)}
    rows = []                       # (task, arch, net, prob, optimiser, budget, setup)
    for task in args.tasks:
        prob = problem(task)
        nets = networks(task, prob, args.stack_hidden)
        budget = args.evaluations or BUDGET["stack" if task in STACK_TASKS else "memory"]
        for arch in (args.archs or DEFAULT_ARCHS[task] + (NEAT_ARCH[task],)):
            if arch not in nets:
                continue
            for opt in args.optimisers:
                if (opt == "neat") != (arch == NEAT_ARCH[task]):
                    continue
                settings, stop = plan(task, opt, budget, extra)
                rows.append((task, arch, nets[arch], prob, opt, budget, setup_key(task, prob, nets[arch], settings, stop)))
    seeds = range(args.seeds)
    todo = [(s, r) for s in seeds for r in rows if run_key(*r[:2], r[4], r[5], r[6], s) not in done]
    print(f"{len(rows)} rows x {len(seeds)} seeds: {len(todo)} runs to do, "
          f"{len(rows) * len(seeds) - len(todo)} already in {path}", flush=True)
    for s, (task, arch, net, prob, opt, budget, _) in todo:
        if args.dry_run:
            print(f"  {task} {arch} ({net.n_params}) {opt} budget {budget} seed {s}")
            continue
        row = one_run(task, arch, net, prob, opt, s, budget, extra)
        append_row(path, row)
        print(f"  {task} {arch} ({net.n_params}) {opt} seed {s}: test acc. train {row['acc_train']:.3f} "
              f"2x {row['acc_2x']:.3f} 5x {row['acc_5x']:.3f}, {'solved' if row['solved'] else 'not solved'}, "
              f"{row['evaluations']} evaluations, {row['wall_s']:.1f} s", flush=True)
    if not args.dry_run:
        print("\n" + table(read_csv(path), args.tasks))


if __name__ == "__main__":
    main()
