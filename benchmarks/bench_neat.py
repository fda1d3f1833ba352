"""NEAT against Stanley & Miikkulainen (2002): evaluations to solve XOR and the double poles.

Every task runs ``--seeds`` independent runs (seeds 0, 1, ...) of ``neat`` on ``neat-net`` with
the paper's settings (Section 4.1) and prints, per task, how many runs solved it within
``--max-evals`` evaluations, the mean and median evaluations of the solved runs, and the
published figure beside them (for XOR, whose paper gives the standard deviation, how many
standard errors the difference is). Evaluations are counted up to and including the solving
network in evornn's population order (XOR: the first network of the generation that solves; the
pole tasks: the fittest network, the one the runner tests; also for the non-Markov task, whose
test after the generation, the runner counts by whole generations). Beside them: NEAT's C++ code's
count, ``pop_size * (generation - 1) + genome_id`` of its winner, with the code's genome ids (its
``Population::epoch`` numbers the population species by species: ``NEAT.code_ids``) and its
choice of winner (XOR: the last solving network, ``xor_epoch``; the double pole: the first
fittest, ``pole2_epoch``'s champion), and the count by whole generations.

``--csv FILE`` appends one row per run as it ends (task, seed, solved, the three counts,
generations, generalization, seconds, the ``--set`` overrides); ``--from-csv FILE ...``
summarises such files by task and settings. ``--verbose`` prints a line per generation.

Tasks (``--tasks``, comma-separated):

* ``xor``: problem ``xor`` (NEAT's fitness (4 - error)^2), feed-forward genomes
  (``recurrent = false``), ``update = "ordered"`` (a feed-forward network in one pass, as NEAT's
  XOR code relaxes its networks), population 150, c3 0.4, the settings of configs/neat-xor.toml
  (``XOR_SETTINGS``: NEAT's C++ code where the paper is silent, plus initial weights in +-2.5 and
  the threshold adapted towards 10 species). A run is solved at the first network of a generation
  with all four outputs on the right side of 0.5 (NEAT's code tests every network; the runner
  tests the fittest only, ``--fittest-only``). Paper:
  4,755 evaluations on average, 100 of 100 runs solved (worst 13,459).
* ``xor-code-eval``: ``xor`` evaluated as NEAT's C++ code evaluates XOR (``xor_evaluate``):
  ``neat-net`` with ``update = "neat-code"`` (its ``Network::activate``: a node is activated only
  once one of its inputs is active, passes until the output is active), ``relax = true`` (then
  ``net_depth + 1`` activations more), its sigmoid slope 4.924273, and the problem's ``style =
  "neat-code"`` (fitness 0.001 when the output is never activated, an output of 0.5 counted as 1).
* ``xor-defaults``: XOR with evornn's defaults where the paper is silent (the earlier benchmark:
  initial weights +-2.5, the threshold adapted towards 10 species), for comparison.
* ``dpv``: double pole with velocities, standard fitness (balance 100,000 steps), population
  150, recurrent connections allowed, one activation pass a step. Paper: 3,600 evaluations.
* ``dpnv``: double pole without velocities, Gruau's damping fitness, solved = 100,000 steps from
  the start and 200 of the 625 generalization starts; population 1,000, c3 3.0, threshold 4.0,
  add_connection 0.3. Paper: 33,184 evaluations (CoSyNE's table: 6,929), generalization 286 of
  625; the generalization of each solved run is printed too. ``--set test_choice=unchecked`` tests
  the network NEAT's code tests (the champion of the best species not yet checked;
  ``configs/neat-pole-nonmarkov.toml`` does so) instead of the fittest; with ``--both-tests`` one
  evolution is tested both ways and gives a row for each.
* ``memory`` and ``memory-gates``: the memory task for the gate nodes, the single pole without
  velocities (the network must infer them from past positions), standard fitness (balance
  100,000 steps), population 150, without and with ``gate_nodes = true`` (half the new nodes
  multiplicative). No published NEAT figure; the two rows compare each other.
* ``dpnv-code``: the ``dpnv`` task with the settings of NEAT's C++ code for it (``DPNV_CODE``: its
  p2nv.ne as goNEAT carries it, weight power 1.8, 80% weight mutation, survival 0.4, add node 0.01,
  the code's details of ``NEAT_CODE`` and ``CODE_DETAILS``, and its pole code's bias input 0.5,
  ``bias_value``; ``--set bias_value=1.0`` for the earlier runs).
* ``dpnv-gates``: the ``dpnv`` task with gate nodes (long: population 1,000).

The pole problems use the network's own bias (``bias_input = 0``); ``max_nodes`` bounds the
genomes (``--max-nodes``, 16). Seeds run one after another, each on all threads.

    python benchmarks/bench_neat.py [--tasks xor,xor-code-eval,xor-defaults,dpv,dpnv,memory,memory-gates,dpnv-gates]
                                    [--seeds 20]
                                    [--max-evals N] [--max-nodes 16] [--quiet | --verbose] [--seed0 0]
                                    [--set mate_only=0.2 --set mate_average=0.4 ...] [--net sigmoid_slope=4.924273 ...]
                                    [--csv FILE] [--both-tests]
    python benchmarks/bench_neat.py --from-csv FILE [FILE ...]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import time

import numpy as np

import evornn
import runs_csv
from evornn.problems.registry import make_problem

PAPER = {"xor": "4,755 evaluations, 100/100 solved", "xor-code-eval": "4,755 evaluations, 100/100 solved",
         "xor-defaults": "4,755 evaluations, 100/100 solved", "dpv": "3,600 evaluations",
         "dpnv": "33,184 evaluations (CoSyNE table: 6,929), generalization 286/625",
         "dpnv-code": "33,184 evaluations (CoSyNE table: 6,929), generalization 286/625",
         "memory": "(no published figure: compare with memory-gates)",
         "memory-gates": "(no published figure: compare with memory)",
         "dpnv-gates": "(no published figure: compare with dpnv)"}
# (mean, std dev, runs) of the paper's runs, where it gives them (XOR: Section 4.2)
PAPER_STATS = {"xor": (4755, 2553, 100), "xor-code-eval": (4755, 2553, 100), "xor-defaults": (4755, 2553, 100)}
# configs/neat-xor.toml's: NEAT's code (neat1.2.1) where the paper is silent, two settings not the code's
NEAT_CODE = {"weight_mutation": 0.9, "weight_style": "neat-code", "weight_replace_range": 2.5,
             "link_weight_range": 1.0, "split_bias": False, "representative": "champion", "survivors": "floor+1",
             "elite_by": "offspring", "mate_tie": "smaller", "mate_only": 0.2, "mate_average": 0.4,
             "population_stagnation_style": "delta", "stagnation_penalty": 0.01, "tie_break": "random"}
XOR_SETTINGS = {"recurrent": False, **NEAT_CODE, "weight_init_range": 2.5, "target_species": 10}
POLE_1NV = {"poles": 1, "velocities": False, "bias_input": 0.0}

POLE_NV = {"poles": 2, "velocities": False, "fitness": "damping", "bias_input": 0.0}
# the code's further details (all off by default)
CODE_DETAILS = {"keep_disabled": True, "mate_only_distinct": True, "link_weight_repeat": True,
                "structural_exclusive": True, "stagnation_count": "neat-code", "allocation": "skim",
                "obliterate_every": 30}
# the non-Markov task with NEAT's code's settings for it (its p2nv.ne as goNEAT carries it: weight
# power 1.8, 80% weight mutation, survival 0.4, add node 0.01, add link 0.3; the paper says add node 0.03)
# and the bias input its pole code feeds, 0.5
DPNV_CODE = {"population": 1000, "c3": 3.0, "compat_threshold": 4.0, "add_connection": 0.3, **NEAT_CODE,
             **CODE_DETAILS, "weight_mutation": 0.8, "weight_perturb": 1.8, "weight_replace_range": 1.8,
             "survival_threshold": 0.4, "add_node": 0.01, "bias_value": 0.5}
TASKS = {
    "xor": dict(problem="xor", params={}, net={"update": "ordered"}, settings=XOR_SETTINGS, max_evals=100_000),
    "xor-code-eval": dict(problem="xor", params={"style": "neat-code"},
                          net={"update": "neat-code", "relax": True, "sigmoid_slope": 4.924273},
                          settings=XOR_SETTINGS, max_evals=100_000),
    "xor-defaults": dict(problem="xor", params={}, net={"update": "ordered"},
                         settings={"recurrent": False, "weight_init_range": 2.5, "target_species": 10},
                         max_evals=100_000),
    "dpv": dict(problem="pole-balance", params={"poles": 2, "velocities": True, "bias_input": 0.0}, net={},
                settings={}, max_evals=100_000),
    "dpnv": dict(problem="pole-balance", params=POLE_NV, net={},
                 settings={"population": 1000, "c3": 3.0, "compat_threshold": 4.0, "add_connection": 0.3},
                 max_evals=400_000),
    "dpnv-code": dict(problem="pole-balance", params=POLE_NV, net={}, settings=DPNV_CODE, max_evals=400_000),
    "memory": dict(problem="pole-balance", params=POLE_1NV, net={}, settings={}, max_evals=100_000),
    "memory-gates": dict(problem="pole-balance", params=POLE_1NV, net={}, settings={"gate_nodes": True},
                         max_evals=100_000),
    "dpnv-gates": dict(problem="pole-balance", params=POLE_NV, net={},
                  settings={"population": 1000, "c3": 3.0, "compat_threshold": 4.0, "add_connection": 0.3,
                            "gate_nodes": True}, max_evals=400_000),
}


class Counter:
    """A run's evaluation counts, kept by a callback after each generation.

    The problem's ``evaluate`` is wrapped to keep the generation's fitness and metrics. When the
    run is solved: ``evals``, the networks evaluated up to and including the solving one in
    evornn's population order (XOR: the first network of the generation with all four outputs
    right, unless ``fittest_only``; the pole tasks: the network the runner tested, the fittest);
    ``code_evals``, NEAT's C++ code's count, ``pop_size * (generation - 1) + genome_id`` with its
    genome ids (``NEAT.code_ids``: the population numbered species by species): the last solving
    network's id for XOR (its ``xor_epoch`` keeps the last winner it meets), the first fittest's for
    the double pole with velocities (``pole2_epoch``'s champion), the tested network's for the
    non-Markov task; ``gen_evals``, whole generations up to the solving one."""

    def __init__(self, problem, kind: str, fittest_only: bool):
        self.kind, self.fittest_only = kind, fittest_only
        self.evals = self.code_evals = self.gen_evals = None
        self.fit = self.metrics = None
        inner = problem.evaluate

        def evaluate(net, W, seeds=None):
            res = inner(net, W, seeds)
            self.W = W
            self.fit = np.where(np.isfinite(res.fitness), res.fitness, -np.inf)
            self.metrics = res.metrics
            return res
        problem.evaluate = evaluate

    def __call__(self, runner, row) -> None:
        p = runner.progress
        if self.evals is not None:
            return
        n = self.fit.shape[0]
        before = p.evaluations - n
        ids = np.asarray(runner.strategy.code_ids)
        tested = int(runner.strategy.test_candidate(self.fit))   # the network the runner tested
        if self.kind == "xor" and not self.fittest_only:
            hit = np.flatnonzero(self.metrics[:, 1] == 4)
            if hit.size == 0:
                return
            p.solved = True                      # NEAT's code tests every network
            p.evaluations_to_solve = before + int(hit[0]) + 1
            self.evals, self.code_evals = p.evaluations_to_solve, before + int(ids[hit].max())
        elif not p.solved:
            return
        elif self.kind == "pole":
            hit = np.flatnonzero(self.fit == self.fit[tested])
            self.evals, self.code_evals = before + tested + 1, before + int(ids[hit].min())
        else:                                    # xor fittest-only, the non-Markov task: the tested network
            self.evals, self.code_evals = before + tested + 1, before + int(ids[tested])
        self.gen_evals = p.evaluations
        self.generation, self.info = p.generation, dict(runner.solved_info)


class _BothSolved(Exception):
    """Raised by :class:`FittestToo` to end a run once both tests have solved it."""


class FittestToo:
    """``--both-tests`` on the non-Markov task: the run tests NEAT's code's choice (``test_choice =
    "unchecked"``, the runner's test, :class:`Counter`) and this callback the fittest network of
    every generation too (the runner's default test), until each has passed; the choice of the
    tested network does not change the evolution, so one run gives both rules' counts (each as a
    run with that ``test_choice`` alone would count it)."""

    def __init__(self, problem, counter: Counter):
        self.problem, self.counter = problem, counter
        self.evals = self.code_evals = self.gen_evals = self.generation = None
        self.info: dict = {}

    def __call__(self, runner, row) -> None:
        c, p = self.counter, runner.progress
        if self.evals is None:
            i = int(np.argmax(c.fit))
            chk = self.problem.check_solved(runner.net, c.W[i], c.metrics[i], 0)
            if chk.solved:
                before = p.evaluations - c.fit.shape[0]
                self.evals, self.code_evals = before + i + 1, before + int(runner.strategy.code_ids[i])
                self.gen_evals, self.generation, self.info = p.evaluations, p.generation, dict(chk.info)
        if self.evals is not None and c.evals is not None:
            raise _BothSolved


def run_task(name: str, seeds: int, max_evals: int | None, max_nodes: int, quiet: bool,
             extra: dict | None = None, seed0: int = 0, fittest_only: bool = False, verbose: bool = False,
             csv_path: str | None = None, both_tests: bool = False, net_extra: dict | None = None) -> dict:
    t = dict(TASKS[name])
    t["settings"] = {**t["settings"], **(extra or {})}
    t["net"] = {**t["net"], **(net_extra or {})}
    recorded = {**(extra or {}), **{f"net.{k}": v for k, v in (net_extra or {}).items()}}
    limit = max_evals or t["max_evals"]
    rows, t0 = [], time.time()
    for seed in range(seed0, seed0 + seeds):
        t1 = time.time()
        problem = make_problem(t["problem"], **t["params"])
        kind = "xor" if t["problem"] == "xor" else ("nonmarkov" if t["params"].get("fitness") == "damping" else "pole")
        counter = Counter(problem, kind, fittest_only)
        cbs = [counter]
        both = both_tests and kind == "nonmarkov"
        if both:
            if t["settings"].get("test_choice") != "unchecked":
                raise ValueError("--both-tests: the run tests with test_choice = unchecked (--set test_choice=unchecked)")
            shadow = FittestToo(problem, counter)
            cbs.append(shadow)
        if verbose:
            cbs.insert(0, _verbose_line)
        stop = {"max_evaluations": limit, **({"solved": False} if both else {})}
        runner = evornn.make_runner("neat", problem, "neat-net", problem_params=t["params"],
                                    net={"max_nodes": max_nodes, **t["net"]}, settings=t["settings"],
                                    stop=stop, seed=seed, callbacks=tuple(cbs))
        try:
            runner.run()
        except _BothSolved:
            pass
        tests = [(counter, recorded)]
        if both:
            tests.append((shadow, {**recorded, "test_choice": "fittest"}))
        for rec, settings in tests:
            ok = rec.evals is not None
            row = {"task": name, "seed": seed, "solved": ok,
                   "evaluations": rec.evals if ok else runner.progress.evaluations,
                   "code_evaluations": rec.code_evals if ok else None,
                   "generation_evaluations": rec.gen_evals if ok else None,
                   "generations": rec.generation if ok and both else runner.progress.generation,
                   "generalization": (rec.info if both else runner.solved_info).get("generalization") if ok else None,
                   "seconds": round(time.time() - t1, 2), "limit": limit,
                   "settings": json.dumps(settings, sort_keys=True)}
            if rec is counter:
                rows.append(row)                 # the summary: the run's own test (both: --from-csv)
            if csv_path:
                _append_csv(csv_path, row)
            if not quiet:
                g = f"  generalization {row['generalization']}" if row["generalization"] is not None else ""
                c = f" (the C++ code's count {row['code_evaluations']})" if ok else ""
                how = f" [test_choice {settings.get('test_choice', 'fittest')}]" if both else ""
                print(f"  {name} seed {seed}{how}: {'solved' if ok else 'not solved'} after {row['evaluations']} "
                      f"evaluations{c} ({row['generations']} generations){g}  [{time.time() - t0:.0f} s]", flush=True)
    return summarise(name, rows, time.time() - t0)


def _verbose_line(runner, row) -> None:
    info = runner.strategy.info()
    print(f"    generation {row['generation']:4d}  evaluations {row['evaluations']:7d}  best {row['best']:.4f}  "
          f"median {row['median']:.4f}  species {info['species']:3d}  threshold {info['threshold']:.2f}  "
          f"innovations {info['innovations']}", flush=True)


CSV_FIELDS = ["task", "seed", "solved", "evaluations", "code_evaluations", "generation_evaluations", "generations",
              "generalization", "seconds", "limit", "settings"]


def _append_csv(path: str, row: dict) -> None:
    runs_csv.append_row(path, CSV_FIELDS, row)


def _read_csv(paths: list[str]) -> dict[tuple[str, str], list[dict]]:
    """Rows by (task, settings), as the CSV holds them (numbers parsed)."""
    out: dict[tuple[str, str], list[dict]] = {}
    for path in paths:
        with open(path, newline="") as f:
            for r in csv.DictReader(f):
                r["solved"] = r["solved"] == "True"
                for k in ("evaluations", "code_evaluations", "generation_evaluations", "generations",
                          "generalization", "limit", "seed"):
                    r[k] = int(r[k]) if r[k] not in ("", "None") else None
                r["seconds"] = float(r["seconds"])
                out.setdefault((r["task"], r["settings"]), []).append(r)
    return out


def summarise(name: str, rows: list[dict], seconds: float) -> dict:
    ok = [r for r in rows if r["solved"]]
    return {"task": name, "runs": len(rows), "solved": len(ok), "evals": [r["evaluations"] for r in ok],
            "code": [r["code_evaluations"] for r in ok], "whole": [r["generation_evaluations"] for r in ok],
            "general": [r["generalization"] for r in ok if r["generalization"] is not None],
            "seeds": sorted(r["seed"] for r in rows),
            "limit": max(r["limit"] for r in rows) if rows else 0, "seconds": seconds}


def _stats(e: list) -> str:
    if not e:
        return "-"
    se = f" (std error {statistics.stdev(e) / len(e) ** 0.5:,.0f}, std dev {statistics.stdev(e):,.0f})" if len(e) > 1 else ""
    return f"mean {statistics.mean(e):,.0f}{se}  median {statistics.median(e):,.0f}  min {min(e):,}  max {max(e):,}"


def report(r: dict) -> str:
    e = r["evals"]
    line = f"{r['task']:6s} solved {r['solved']}/{r['runs']} (limit {r['limit']:,} evaluations)  {_stats(e)}"
    if r["code"]:
        line += f"\n        the C++ code's count: mean {statistics.mean(r['code']):,.0f}"
        line += f"; whole generations: mean {statistics.mean(r['whole']):,.0f}"
    if r["general"]:
        line += f"\n        generalization mean {statistics.mean(r['general']):.0f}/625 ({len(r['general'])} runs)"
    ref = PAPER_STATS.get(r["task"])
    if ref and len(e) > 1:
        mean, sd, n = ref
        se = (statistics.stdev(e) ** 2 / len(e) + sd ** 2 / n) ** 0.5
        line += (f"\n        against the paper's mean {mean:,} (std dev {sd:,}, {n} runs): difference "
                 f"{statistics.mean(e) - mean:+,.0f}, {(statistics.mean(e) - mean) / se:+.2f} standard errors "
                 f"of the difference ({se:,.0f})")
    return line + f"  [{r['seconds']:.0f} s]\n        paper: {PAPER[r['task']]}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", default="xor,dpv,dpnv,memory,memory-gates", help="comma-separated: " + ", ".join(TASKS))
    ap.add_argument("--seeds", type=int, default=20, help="runs per task (seeds seed0..seed0+n-1)")
    ap.add_argument("--max-evals", type=int, default=None, help="evaluations per run at most (default per task)")
    ap.add_argument("--max-nodes", type=int, default=16, help="neat-net max_nodes")
    ap.add_argument("--quiet", action="store_true", help="only the summary lines")
    ap.add_argument("--verbose", action="store_true", help="a line per generation too")
    ap.add_argument("--fittest-only", action="store_true",
                    help="XOR: solved only when the generation's fittest network solves (the runner's test)")
    ap.add_argument("--seed0", type=int, default=0, help="the first seed")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a neat setting of every task (a Python literal: 0.2, True; else a string)")
    ap.add_argument("--net", action="append", default=[], metavar="KEY=VALUE",
                    help="override a neat-net option of every task (sigmoid_slope=4.924273; recorded as net.KEY)")
    ap.add_argument("--csv", help="append one row per run to this file as each run ends")
    ap.add_argument("--both-tests", action="store_true",
                    help="non-Markov task with --set test_choice=unchecked: test the fittest network of every "
                         "generation too, and write a row for each test (one evolution, both counts)")
    ap.add_argument("--from-csv", nargs="+", metavar="FILE",
                    help="summarise these files' runs by task and settings (run nothing)")
    a = ap.parse_args()
    if a.from_csv:
        for (task, settings), rows in _read_csv(a.from_csv).items():
            r = summarise(task, rows, sum(x["seconds"] for x in rows))
            print(f"settings {settings}, seeds {_ranges(r['seeds'])}")
            print(report(r))
        return
    extra, net_extra = _pairs(a.set), _pairs(a.net)
    names = [n.strip() for n in a.tasks.split(",") if n.strip()]
    bad = [n for n in names if n not in TASKS]
    if bad:
        ap.error(f"unknown task {bad[0]!r}; choose from {', '.join(TASKS)}")
    results = []
    for n in names:
        results.append(run_task(n, a.seeds, a.max_evals, a.max_nodes, a.quiet, extra, a.seed0, a.fittest_only,
                                a.verbose, a.csv, a.both_tests, net_extra))
        print(report(results[-1]), flush=True)
    print("\nsummary")
    for r in results:
        print(report(r))


def _pairs(items: list[str]) -> dict:
    """KEY=VALUE strings as a dict, each value a Python literal (0.2, True) or else a string."""
    import ast
    out = {}
    for kv in items:
        k, _, v = kv.partition("=")
        try:
            out[k.strip()] = ast.literal_eval(v.strip())
        except (ValueError, SyntaxError):
            out[k.strip()] = v.strip()             # a bare word: a string setting (allocation=skim)
    return out


def _ranges(seeds: list[int]) -> str:
    """0-9, 12, 20-29."""
    out, k = [], 0
    while k < len(seeds):
        j = k
        while j + 1 < len(seeds) and seeds[j + 1] == seeds[j] + 1:
            j += 1
        out.append(f"{seeds[k]}-{seeds[j]}" if j > k else f"{seeds[k]}")
        k = j + 1
    return ", ".join(out)


if __name__ == "__main__":
    main()
