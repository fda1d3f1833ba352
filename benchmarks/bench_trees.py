"""Recursive networks against a sequential LSTM of the same size (hidden units) on bool-trees and
arith-trees: evolution (CoSyNE, CMA-ES) for both, BPTT for the LSTM on the prefix strings (BPTT
through structure for the recursive network is not implemented).

Prints, per problem, method and seed: test accuracy of the run's best network on the deeper test
formulas (depth 5-6; trained on depth <= 4), evaluations used, parameters; then the mean over seeds.

Usage: ``python benchmarks/bench_trees.py [--problems bool-trees arith-trees] [--seeds 10]
[--budget 50000] [--hidden 8]``. Evaluations are chromosome evaluations on the 400 training
formulas (evolution) or training formulas presented (BPTT).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from evornn.api import make_runner

METHODS = (("cosyne", "recursive"), ("cmaes", "recursive"), ("cosyne", "lstm"), ("cmaes", "lstm"), ("bptt", "lstm"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problems", nargs="+", default=["bool-trees", "arith-trees"])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--budget", type=int, default=50000)
    ap.add_argument("--hidden", type=int, default=8)
    ap.add_argument("--methods", nargs="+", default=[f"{o}:{a}" for o, a in METHODS])
    args = ap.parse_args()
    for problem in args.problems:
        for method in args.methods:
            opt, arch = method.split(":")
            accs, evals = [], []
            for seed in range(1, args.seeds + 1):
                t = time.perf_counter()
                r = make_runner(opt, problem, arch, net={"n_hidden": args.hidden, "output_activation": "sigmoid"},
                                stop={"max_evaluations": args.budget, "solved": True}, seed=seed,
                                problem_params={"n_train": 400, "n_test": 400})
                res = r.run()
                test = r.problem.evaluate_test(r.net, res.best_chromosome).metrics[0]
                acc = float(test[r.problem.metric_names.index("accuracy")])
                accs.append(acc)
                evals.append(res.progress.evaluations)
                print(f"{problem} {opt}/{arch} seed {seed}: test accuracy {acc:.3f}, train accuracy "
                      f"{res.best_metrics['accuracy']:.3f}, {res.progress.evaluations:,} evaluations, "
                      f"{r.net.n_params} parameters ({time.perf_counter() - t:.0f} s)", flush=True)
            print(f"== {problem} {opt}/{arch}: mean test accuracy {np.mean(accs):.3f} over {len(accs)} seeds, "
                  f"solved (>= 0.95) {sum(a >= 0.95 for a in accs)}/{len(accs)}, mean evaluations "
                  f"{np.mean(evals):,.0f}", flush=True)


if __name__ == "__main__":
    main()
