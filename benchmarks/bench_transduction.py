"""Encoder-decoder transduction and CTC labelling: evolution (CoSyNE, CMA-ES) and BPTT, many seeds.

Problems (issue 22): ``copy-seq`` and ``reverse-seq`` (strings over 8 symbols, trained on lengths
1-10, tested free-running on lengths 11-20) with a ``seq2seq`` network; ``ctc-stream`` with the
CTC loss and, as its upper bound, the same network trained framewise given the alignment. Each
run goes through the real runner (``evornn.optimise``) with the budget below and stops early
when solved (every test string right; label error rate 0). Reported per problem and method, over
the seeds run: the test measure of the run's best chromosome (free-running sequence and symbol
accuracy for transduction, label error rate and exact strings for ctc-stream; mean and standard
deviation), the same measures on the training strings (transduction: decoded free-running, so
within the training lengths) and the evaluations used (individuals evaluated; sequence
presentations for BPTT).

There is no published figure for these synthetic tasks: Sutskever et al. (2014) and Graves et al.
(2006) report on machine translation and TIMIT (where CTC did better than framewise-trained
hybrid systems). The framewise rows are the issue's reference: the same network given the
alignment.

    python benchmarks/bench_transduction.py --seeds 10                 # the full table
    python benchmarks/bench_transduction.py --seeds 3 --methods bptt   # a part of it

A script, not a test; it prints a Markdown table (and, with --csv, one row per run).
"""
from __future__ import annotations

import argparse
import csv
import sys
import time

import numpy as np

import evornn
from evornn.problems.registry import make_problem

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
    net = evornn.build(arch, prob.n_inputs, prob.n_outputs, **net_opts)
    w = res.best_chromosome
    test = dict(zip(prob.metric_names, prob.evaluate_test(net, w).metrics[0]))
    # the training strings decoded free-running too: learnt within the training lengths?
    train = prob.score(net, w, prob.train, "free") if hasattr(prob, "decoding") else prob.evaluate(net, w)
    train = dict(zip(prob.metric_names, train.metrics[0]))
    return {"problem": label, "method": method, "seed": seed, "arch": arch, **{f"net_{k}": v for k, v in net_opts.items()},
            "evaluations": int(res.progress.evaluations), "solved": bool(res.solved),
            "seconds": round(time.perf_counter() - t0, 1), **{f"test_{k}": float(v) for k, v in test.items()},
            **{f"train_{k}": float(v) for k, v in train.items()}}


def table(rows: list[dict]) -> str:
    out = ["| problem | method | network | seeds | solved | test (mean +- sd) | training strings (mean +- sd) | evaluations (mean) |",
           "|---|---|---|---|---|---|---|---|"]
    for label in PROBLEMS:
        for method in METHODS:
            rs = [r for r in rows if r["problem"] == label and r["method"] == method]
            if not rs:
                continue
            net = f"{rs[0]['arch']} " + ", ".join(f"{k[4:]}={v}" for k, v in rs[0].items() if k.startswith("net_"))

            def ms(key, pct=True):
                v = np.array([r[key] for r in rs]) * (100 if pct else 1)
                return f"{v.mean():.1f} +- {v.std():.1f}"
            if label.startswith("ctc"):
                measure = [f"LER {ms(f'{s}_ler')}%, strings right {ms(f'{s}_sequence_accuracy')}%" for s in ("test", "train")]
            else:
                measure = [f"strings right {ms(f'{s}_sequence_accuracy')}%, symbols {ms(f'{s}_symbol_accuracy')}%"
                           for s in ("test", "train")]
            ev = np.mean([r["evaluations"] for r in rs])
            out.append(f"| {label} | {method} | {net} | {len(rs)} | {sum(r['solved'] for r in rs)} | {measure[0]} | "
                       f"{measure[1]} | {ev:,.0f} |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=list(PROBLEMS))
    ap.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    ap.add_argument("--evaluations", type=int, default=10_000, help="evolution budget (individuals evaluated)")
    ap.add_argument("--epochs", type=int, default=60, help="BPTT budget (epochs over the training set)")
    ap.add_argument("--csv", help="also write one row per run here")
    ap.add_argument("--from-csv", nargs="+", help="print the table of these files' runs (run nothing)")
    a = ap.parse_args()
    if a.from_csv:
        rows = []
        for path in a.from_csv:
            with open(path, newline="") as f:
                for r in csv.DictReader(f):
                    rows.append({k: (v == "True" if k == "solved" else float(v) if k.startswith(("test_", "train_")) or k in (
                        "evaluations", "seconds") else v) for k, v in r.items() if v != ""})
        print(table(rows))
        return
    rows = []
    for seed in range(a.first_seed, a.first_seed + a.seeds):
        for label in a.problems:
            for method in a.methods:
                r = run(label, method, seed, a.evaluations, a.epochs)
                rows.append(r)
                print(f"# {label} {method} seed {seed}: {r}", file=sys.stderr, flush=True)
                if a.csv:
                    with open(a.csv, "w", newline="") as f:
                        w = csv.DictWriter(f, fieldnames=sorted({k for r in rows for k in r}))
                        w.writeheader()
                        w.writerows(rows)
    print(table(rows))


if __name__ == "__main__":
    main()
