"""Encoder-decoder transduction and CTC labelling: evolution (CoSyNE, CMA-ES) and BPTT, many seeds.

Problems (issue 22): ``copy-seq`` and ``reverse-seq`` (strings over 8 symbols, trained on lengths
1-10, tested free-running on lengths 11-20) with a ``seq2seq`` network; ``ctc-stream`` with the
CTC loss and, as its upper bound, the same network trained framewise given the alignment. Each
run goes through the real runner (``evornn.optimise``) with the budget below and stops early
when solved (every test string right; label error rate 0). Per run (one CSV row): evaluations
used (individuals evaluated; sequence presentations for BPTT), wall time, whether solved, and the
run's best chromosome's measures: on the test strings (11-20) decoded free-running, sequence and
symbol accuracy, and on the training strings (1-10) decoded free-running too (learnt within the
training lengths?); for ctc-stream the label error rate and exact strings, test and training.
The tables give, per problem and method, the seeds, how many solved, and each measure's mean
(min-max) over the seeds.

There is no published figure for these synthetic tasks: Sutskever et al. (2014) and Graves et al.
(2006) report on machine translation and TIMIT (where CTC did better than framewise-trained
hybrid systems). The framewise rows are the issue's reference: the same network given the
alignment.

    python benchmarks/bench_transduction.py --seeds 10 --csv results/bench_transduction.csv    # the runs
    python benchmarks/bench_transduction.py --csv results/bench_transduction.csv --table       # the tables

With --csv each run appends its row as it ends and a run already in the file (same problem,
method, seed and budget) is skipped, so the same command resumes a cut-off benchmark. The runs go
seed by seed (every problem and method for seed 0, then seed 1, ...), so a cut-off leaves every
row about as many seeds. A script, not a test; it prints the tables at the end.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import evornn
from evornn.problems.registry import make_problem
import runs_csv
from runs_csv import read_rows, run_all, spread

# problem label -> (registry name, problem params, evolution network, bptt network)
PROBLEMS = {
    "copy-seq": ("copy-seq", {}, ("seq2seq", {"cell": "elman", "n_hidden": 8}),
                 ("seq2seq", {"cell": "lstm", "n_hidden": 32})),
    "reverse-seq": ("reverse-seq", {}, ("seq2seq", {"cell": "elman", "n_hidden": 8}),
                    ("seq2seq", {"cell": "lstm", "n_hidden": 32})),
    "ctc-stream": ("ctc-stream", {"loss": "ctc"}, ("elman", {"n_hidden": 8}), ("lstm", {"n_hidden": 16})),
    "ctc-stream framewise": ("ctc-stream", {"loss": "framewise"}, ("elman", {"n_hidden": 8}),
                             ("lstm", {"n_hidden": 16})),
}
METHODS = ("cosyne", "cmaes", "bptt")
# one CSV row per run; the measures a problem does not report stay empty
FIELDS = ("problem", "method", "seed", "budget", "arch", "net", "evaluations", "solved", "seconds",
          "test_sequence_accuracy", "test_symbol_accuracy", "test_ler",
          "train_sequence_accuracy", "train_symbol_accuracy", "train_ler", "test_ce", "train_ce",
          "test_loss", "train_loss")
KEY = ("problem", "method", "seed", "budget")     # a run already in the CSV is not run again


def budget(method: str, evaluations: int, epochs: int) -> str:
    return f"epochs={epochs}" if method == "bptt" else f"evaluations={evaluations}"


def run(label: str, method: str, seed: int, evaluations: int, epochs: int) -> dict:
    name, params, evo_net, grad_net = PROBLEMS[label]
    arch, net_opts = grad_net if method == "bptt" else evo_net
    prob = make_problem(name, **params)
    if method == "bptt":
        settings = {"learning_rate": 0.01, "batch_size": 16}
        stop = {"max_evaluations": epochs * prob.n_train_sequences}
    else:
        settings = {}
        stop = {"max_evaluations": evaluations}
    t0 = time.perf_counter()
    res = evornn.optimise(method, prob, arch, net=net_opts, settings=settings, stop=stop, seed=seed)
    seconds = time.perf_counter() - t0
    net = evornn.build(arch, prob.n_inputs, prob.n_outputs, **net_opts)
    w = res.best_chromosome
    test = dict(zip(prob.metric_names, prob.evaluate_test(net, w).metrics[0]))
    # the training strings decoded free-running too: learnt within the training lengths?
    train = prob.score(net, w, prob.train, "free") if hasattr(prob, "decoding") else prob.evaluate(net, w)
    train = dict(zip(prob.metric_names, train.metrics[0]))
    return {"problem": label, "method": method, "seed": seed, "budget": budget(method, evaluations, epochs),
            "arch": arch, "net": " ".join(f"{k}={v}" for k, v in net_opts.items()),
            "evaluations": int(res.progress.evaluations), "solved": bool(res.solved), "seconds": round(seconds, 1),
            **{f"test_{k}": float(v) for k, v in test.items()}, **{f"train_{k}": float(v) for k, v in train.items()}}


def plan(problems, methods, seeds, evaluations: int, epochs: int) -> list[tuple]:
    """The runs (their KEY values) in order: seed by seed, every problem and method within a seed,
    so that a run cut off gives every row about as many seeds."""
    return [(p, m, s, budget(m, evaluations, epochs)) for s in seeds for p in problems for m in methods]


# -- the README tables ------------------------------------------------------------------------
def groups(rows: list[dict]):
    """(problem, method, budget) -> its rows, in PROBLEMS and METHODS order."""
    out = {}
    for r in sorted(rows, key=lambda r: (list(PROBLEMS).index(r["problem"]), METHODS.index(r["method"]), r["budget"],
                                         r["seed"])):
        out.setdefault((r["problem"], r["method"], r["budget"]), []).append(r)
    return out


def table(rows: list[dict]) -> str:
    """Two Markdown tables (transduction, ctc-stream): per row of settings the seeds, how many
    solved, and each measure's mean (min-max) over the seeds, in %."""
    trans = ["| problem | method | network | budget | seeds | solved | test strings right % (11-20, free-running) "
             "| test symbols right % | training strings right % (1-10, free-running) | evaluations (mean) "
             "| seconds (mean) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    ctc = ["| problem | method | network | budget | seeds | solved | test label error rate % | test strings right % "
           "| training label error rate % | evaluations (mean) | seconds (mean) |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for (label, method, bud), rs in groups(rows).items():
        head = (f"| {label} | {method} | {rs[0]['arch']} {rs[0].get('net', '')} | {bud} | {len(rs)} | "
                f"{sum(r['solved'] for r in rs)} | ")
        tail = f" | {np.mean([r['evaluations'] for r in rs]):,.0f} | {np.mean([r['seconds'] for r in rs]):,.0f} |"
        ctc_row = "test_ler" in rs[0]
        measures = (("test_ler", "test_sequence_accuracy", "train_ler") if ctc_row else
                    ("test_sequence_accuracy", "test_symbol_accuracy", "train_sequence_accuracy"))
        (ctc if ctc_row else trans).append(head + " | ".join(spread([r[k] for r in rs], 100) for k in measures) + tail)
    return "\n\n".join("\n".join(t) for t in (trans, ctc) if len(t) > 2)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=list(PROBLEMS))
    ap.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    ap.add_argument("--evaluations", type=int, default=10_000, help="evolution budget (individuals evaluated)")
    ap.add_argument("--epochs", type=int, default=60, help="BPTT budget (epochs over the training set)")
    runs_csv.add_arguments(ap)
    a = ap.parse_args(argv)
    if runs_csv.print_table(a, ap, table, FIELDS):
        return
    runs = plan(a.problems, a.methods, range(a.first_seed, a.first_seed + a.seeds), a.evaluations, a.epochs)
    rows = run_all(runs, a.csv, FIELDS, KEY, lambda r: run(*r[:3], a.evaluations, a.epochs))
    print(table(read_rows(a.csv, FIELDS) if a.csv else rows))


if __name__ == "__main__":
    main()
