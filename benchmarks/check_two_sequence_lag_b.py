"""Experiment 2b's success criterion in full (Hochreiter & Schmidhuber 1997): train with the 2b config,
then score the trained LSTM on 10,000 fresh random sequences (20 test splits of 500, problem seeds
1000-1019, none of them the run's): solved when every output is within 0.25 at the end of each.

The problem's own test split holds 500 sequences (10,000 at p = 100 would take 1.6 GB at once).

Usage: ``python benchmarks/check_two_sequence_lag_b.py [--seeds 1 2] [--config configs/bptt-two-sequence-lag-b.toml]``
"""
from __future__ import annotations

import argparse

from evornn.api import make_network, optimise
from evornn.config import load_toml
from evornn.problems.registry import make_problem


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--config", default="configs/bptt-two-sequence-lag-b.toml")
    ap.add_argument("--splits", type=int, default=20, help="test splits of 500 fresh sequences")
    args = ap.parse_args()
    doc = load_toml(args.config)
    prob = {k: v for k, v in doc["problem"].items() if k != "name"}
    net = {k: v for k, v in doc["network"].items() if k != "arch"}
    opt = {k: v for k, v in doc["optimiser"].items() if k != "name"}
    for seed in args.seeds:
        r = optimise("bptt", "two-sequence-lag", doc["network"]["arch"], net=net, settings=opt, stop=doc["stop"],
                     seed=seed, problem_params=prob)
        wrong = 0
        for k in range(args.splits):
            P = make_problem("two-sequence-lag", p=prob.get("p", 100), variant="b", n_train=1, n_test=500,
                             seed=1000 + k)
            m = dict(zip(P.metric_names, P.evaluate_test(make_network(P, doc["network"]["arch"], **net),
                                                         r.best_chromosome).metrics[0]))
            wrong += round((1 - m["learnt"]) * 500)
        print(f"seed {seed}: {'solved' if r.solved else 'unsolved'} after {r.progress.evaluations:,} sequences; "
              f"{args.splits * 500:,} fresh sequences, {wrong} with an output off by 0.25 or more at the end",
              flush=True)


if __name__ == "__main__":
    main()
