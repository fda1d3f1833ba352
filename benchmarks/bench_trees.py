"""Recursive networks against a sequential LSTM of the same size (hidden units) on bool-trees and
arith-trees: evolution (CoSyNE, CMA-ES) for both, BPTT for the LSTM on the prefix strings (BPTT
through structure for the recursive network is not implemented).

Per run (one CSV row with --csv): test accuracy of the run's best network on the deeper test
formulas (depth 5-6; trained on depth <= 4), its accuracy on the training formulas, whether solved
(test accuracy >= 0.95; the run stops there), for arith-trees the test argmax accuracy (the largest
of the ten outputs read as the digit; ``accuracy`` needs all ten on their target's side of 0.5), evaluations used, parameters, wall time. Evaluations
are chromosome evaluations on the 400 training formulas (evolution) or training formulas
presented (BPTT). The table gives, per problem, method and network, the seeds, how many solved
and each measure's mean (min-max) over the seeds.

    python benchmarks/bench_trees.py --seeds 10 --budget 10000 --csv results/bench_trees.csv   # the runs
    python benchmarks/bench_trees.py --csv results/bench_trees.csv --table                     # the table

With --csv each run appends its row as it ends and a run already in the file (same problem,
method, network, size, seed and budget) is skipped, so the same command resumes a cut-off
benchmark. The runs go seed by seed (every problem and method for seed 1, then seed 2, ...), so
a cut-off leaves every row about as many seeds.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from evornn.api import make_runner
import runs_csv
from runs_csv import read_rows, run_all, spread

PROBLEMS = ("bool-trees", "arith-trees")
METHODS = (("cosyne", "recursive"), ("cmaes", "recursive"), ("cosyne", "lstm"), ("cmaes", "lstm"), ("bptt", "lstm"))
FIELDS = ("problem", "method", "arch", "n_hidden", "seed", "budget", "n_params", "evaluations", "solved", "seconds",
          "test_accuracy", "train_accuracy", "test_argmax_accuracy")
KEY = ("problem", "method", "arch", "n_hidden", "seed", "budget")     # a run already in the CSV is not run again


def run(problem: str, opt: str, arch: str, hidden: int, seed: int, budget: str) -> dict:
    t = time.perf_counter()
    r = make_runner(opt, problem, arch, net={"n_hidden": hidden, "output_activation": "sigmoid"},
                    stop={"max_evaluations": int(budget.split("=")[1]), "solved": True}, seed=seed,
                    problem_params={"n_train": 400, "n_test": 400})
    res = r.run()
    seconds = time.perf_counter() - t
    test = r.problem.evaluate_test(r.net, res.best_chromosome).metrics[0]
    argmax = {"test_argmax_accuracy": float(r.problem.argmax_accuracy(r.net, res.best_chromosome)[0])
              } if r.problem.n_outputs > 1 else {}       # arith-trees: the largest of the ten outputs read as the digit
    return {"problem": problem, "method": opt, "arch": arch, "n_hidden": hidden, "seed": seed, "budget": budget,
            "n_params": r.net.n_params, "evaluations": int(res.progress.evaluations), "solved": bool(res.solved),
            "seconds": round(seconds, 1), "test_accuracy": float(test[r.problem.metric_names.index("accuracy")]),
            "train_accuracy": float(res.best_metrics["accuracy"]), **argmax}


def plan(problems, methods, hidden: int, seeds, budget: int) -> list[tuple]:
    """The runs (their KEY values) seed by seed, every problem and method within a seed."""
    return [(p, o, a, hidden, s, f"evaluations={budget}") for s in seeds for p in problems for o, a in methods]


def argmax_cell(rs: list[dict]) -> str:
    """mean (min-max) of the runs' test argmax accuracy (arith-trees), "-" where the runs have none."""
    v = [r["test_argmax_accuracy"] for r in rs if "test_argmax_accuracy" in r]
    return spread(v, 1, 3) + (f" ({len(v)} runs)" if len(v) < len(rs) else "") if v else "-"


def table(rows: list[dict]) -> str:
    out = ["| problem | method | network | hidden units | parameters | budget | seeds | solved (test >= 0.95) "
           "| test accuracy (depth 5-6) | test argmax accuracy | training accuracy (depth <= 4) | evaluations (mean) "
           "| seconds (mean) |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    groups = {}
    order = [f"{o}:{a}" for o, a in METHODS]
    for r in sorted(rows, key=lambda r: (PROBLEMS.index(r["problem"]), order.index(f"{r['method']}:{r['arch']}"),
                                         r["n_hidden"], r["budget"], r["seed"])):
        groups.setdefault(tuple(r[k] for k in KEY if k != "seed"), []).append(r)
    for (problem, opt, arch, hidden, budget), rs in groups.items():
        net = "recursive" if arch == "recursive" else "LSTM on the prefix string"
        out.append(f"| {problem} | {opt} | {net} | {hidden} | {rs[0]['n_params']} | {budget} | {len(rs)} | "
                   f"{sum(r['solved'] for r in rs)} | {spread([r['test_accuracy'] for r in rs], 1, 3)} | "
                   f"{argmax_cell(rs)} | "
                   f"{spread([r['train_accuracy'] for r in rs], 1, 3)} | "
                   f"{np.mean([r['evaluations'] for r in rs]):,.0f} | {np.mean([r['seconds'] for r in rs]):,.0f} |")
    return "\n".join(out)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=PROBLEMS)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--budget", type=int, default=50000)
    ap.add_argument("--hidden", type=int, default=8)
    ap.add_argument("--methods", nargs="+", default=[f"{o}:{a}" for o, a in METHODS],
                    choices=[f"{o}:{a}" for o, a in METHODS])
    runs_csv.add_arguments(ap)
    a = ap.parse_args(argv)
    if runs_csv.print_table(a, ap, table, FIELDS):
        return
    runs = plan(a.problems, [tuple(m.split(":")) for m in a.methods], a.hidden,
                range(a.first_seed, a.first_seed + a.seeds), a.budget)
    rows = run_all(runs, a.csv, FIELDS, KEY, lambda r: run(*r))
    print(table(read_rows(a.csv, FIELDS) if a.csv else rows))


if __name__ == "__main__":
    main()
