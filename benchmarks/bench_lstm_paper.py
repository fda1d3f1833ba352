"""BPTT on LSTM against Hochreiter & Schmidhuber (1997): success rate and training sequences to
success, with the shipped configs' defaults (``evornn run bptt --problem=<name> --seed=<s>``).

Published (H&S 1997): adding problem T = 100 (experiment 4, table 7): solved, 74,000 training
sequences on average; two-sequence-lag p = 100 (experiment 2a / 2b, table 2, 18 trials):
LSTM 100% after 5,040 / 5,680 sequences, the neural sequence chunker 33% after 32,400 / failed.

Usage: ``python benchmarks/bench_lstm_paper.py [--problems adding two-sequence-lag] [--seeds 10]
[--first-seed 1] [--config NAME] [--set network.n_hidden=8 ...]`` (2b: ``--config
bptt-two-sequence-lag-b``; ``--config`` replaces the problem's shipped config, a file or a shipped
name). Runs seeds first..first+N-1 one after another and prints one line per run, then the success
rate and the mean (and max) sequences to success over the solved runs.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from evornn.api import optimise
from evornn.config import apply_sets, default_config, find_config, load_toml

PUBLISHED = {"adding": "H&S 1997: solved, 74,000 sequences on average (T = 100)",
             "two-sequence-lag": "H&S 1997: LSTM 100% after 5,040 (2a) and 5,680 (2b); chunker 33% after 32,400 (2a), "
                                 "failed on 2b"}


def run(problem: str, seed: int, sets: list[str], config: str | None = None) -> tuple[bool, int, dict, float]:
    doc = apply_sets(load_toml(find_config(config) if config else default_config("bptt", problem)), sets)
    prob = {k: v for k, v in doc["problem"].items() if k != "name"}
    net = {k: v for k, v in doc["network"].items() if k != "arch"}
    opt = {k: v for k, v in doc["optimiser"].items() if k != "name"}
    t = time.perf_counter()
    r = optimise("bptt", problem, doc["network"]["arch"], net=net, settings=opt, stop=doc["stop"],
                 seed=seed, problem_params=prob)
    return r.solved, int(r.progress.evaluations), r.solved_info, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problems", nargs="+", default=["adding"])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--config", default=None, help="a config (file or shipped name) instead of bptt-<problem>")
    ap.add_argument("--set", action="append", default=[], help="override a config key, e.g. problem.variant=b")
    args = ap.parse_args()
    for problem in args.problems:
        cfg = find_config(args.config) if args.config else default_config("bptt", problem)
        print(f"== bptt on {problem} (config {cfg.name}, sets {args.set})", flush=True)
        done = []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            ok, n, info, secs = run(problem, seed, args.set, args.config)
            done.append((ok, n))
            print(f"seed {seed:>2}: {'solved' if ok else 'unsolved'} after {n:,} sequences ({secs:.0f} s) {info}",
                  flush=True)
        hits = [n for ok, n in done if ok]
        print(f"{problem}: {len(hits)}/{len(done)} solved; sequences to success mean "
              f"{np.mean(hits):,.0f}, max {max(hits):,}" if hits else f"{problem}: 0/{len(done)} solved")
        print(f"published: {PUBLISHED.get(problem, '-')}", flush=True)


if __name__ == "__main__":
    main()
