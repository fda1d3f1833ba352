"""The neural history compressor (and an LSTM) trained by evolution on Hochreiter & Schmidhuber's
(1997) experiments 2a and 2b (``two-sequence-lag``, p = 100).

Published (H&S 1997, table 2, 18 trials): the neural sequence chunker 33% success after 32,400
training sequences on 2a and failed on 2b; LSTM (gradient) 100% after 5,040 (2a) and 5,680 (2b).
Success: every output within 0.25 at every scored test step (the problem's own "solved").

Evolution counts evaluations; one evaluation reads the whole training split (2a: its 2 sequences,
2b: ``n_train`` sequences), so sequences = evaluations x training sequences. The default budget,
16,200 evaluations on 2a, is the chunker's 32,400 sequences.

Usage: ``python benchmarks/bench_history_compressor.py [--variants a b] [--seeds 10]
[--budget 16200] [--methods cosyne:history-compressor cmaes:history-compressor cosyne:lstm]``.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from evornn.api import make_runner

NETS = {"history-compressor": {"n_hidden": 4, "n_hidden2": 2}, "lstm": {"n_hidden": 4}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--variants", nargs="+", default=["a", "b"])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--budget", type=int, default=16200)
    ap.add_argument("--p", type=int, default=100)
    ap.add_argument("--n-train-b", type=int, default=100, help="2b training sequences per evaluation")
    ap.add_argument("--methods", nargs="+",
                    default=["cosyne:history-compressor", "cmaes:history-compressor", "cosyne:lstm"])
    args = ap.parse_args()
    for variant in args.variants:
        params = {"p": args.p, "variant": variant}
        if variant == "b":
            params["n_train"] = args.n_train_b
        for method in args.methods:
            opt, arch = method.split(":")
            hits = []
            for seed in range(1, args.seeds + 1):
                t = time.perf_counter()
                r = make_runner(opt, "two-sequence-lag", arch, net=NETS[arch], seed=seed, problem_params=params,
                                stop={"max_evaluations": args.budget, "solved": True})
                res = r.run()
                n_seq = res.progress.evaluations * r.problem.train.n_sequences
                if res.solved:
                    hits.append(n_seq)
                print(f"2{variant} {opt}/{arch} seed {seed}: {'solved' if res.solved else 'unsolved'}, "
                      f"{res.progress.evaluations:,} evaluations = {n_seq:,} sequences, train learnt "
                      f"{res.best_metrics['learnt']:.3f} ({time.perf_counter() - t:.0f} s)", flush=True)
            print(f"== 2{variant} {opt}/{arch}: {len(hits)}/{args.seeds} solved"
                  + (f", mean {np.mean(hits):,.0f} sequences" if hits else ""), flush=True)
    print("published (H&S 1997 table 2): chunker 2a 33% after 32,400, 2b failed; LSTM 2a 100% after 5,040, "
          "2b 100% after 5,680", flush=True)


if __name__ == "__main__":
    main()
