"""The neural history compressor (and an LSTM) on Hochreiter & Schmidhuber's (1997) experiments 2a and
2b (``two-sequence-lag``, p = 100), trained by evolution jointly or level by level.

Published (H&S 1997, table 2, 18 trials): the neural sequence chunker 33% success after 32,400
training sequences on 2a and failed on 2b; LSTM (gradient) 100% after 5,040 (2a) and 5,680 (2b).
Success: every output within 0.25 at every scored test step (the problem's own "solved").

Sequences are counted as H&S count training sequences: each sequence presented to a learner once
is one. A gradient epoch presents each training sequence once; one evolutionary evaluation reads
the whole training split (2a: its 2 sequences, 2b: ``n_train``), so it counts that many. The
``levels`` optimiser (:mod:`evornn.optim.levels`) counts its runs in sequences itself (its
budget is sequences); for the joint methods sequences = evaluations x training sequences. The
default budget is the chunker's 32,400 sequences.

Methods (``--methods``): ``levels:<core>`` (level 1 ``<core>`` trained alone by BPTT on the next
input, then level 2 evolved by CoSyNE (mutation rate ``--mutation-rate``, uniform +-1 start) on the frozen level 1; ``--h1``, ``--h2`` sizes),
``<optimiser>:history-compressor`` (both levels evolved jointly, 4 + 2 units) and
``<optimiser>:lstm`` (4 cells). ``--level2 cmaes``: level 2 by CMA-ES (sigma0 1 from zero) instead.

Usage: ``python benchmarks/bench_history_compressor.py [--variants a b] [--seeds 10]
[--budget 32400] [--methods levels:elman cosyne:history-compressor] [--csv results/x.csv]``.

Each run prints a line as it ends and, with ``--csv``, appends a row (:mod:`runs_csv`). For the
compressors the row and the line also give how often level 2 stepped per test sequence (mean, min
and max over the test split, counted from the final network's outputs by
:func:`evornn.nets.cells.history_compressor.level2_steps`) of the p steps of a sequence: a level 1
that predicts the middle leaves level 2 one step (the first symbol, at t = 0); one that cannot
predict it (2b's random middle), up to all p.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from evornn.api import make_runner
from evornn.nets.cells.history_compressor import level2_steps
import runs_csv

FIELDS = ("variant", "method", "seed", "budget", "n_train", "n_test", "train_targets", "solved", "sequences_to_solve",
          "sequences", "level1_sequences", "train_learnt", "test_learnt", "level2_steps_mean", "level2_steps_min",
          "level2_steps_max", "seconds")

NETS = {"history-compressor": {"n_hidden": 4, "n_hidden2": 2}, "lstm": {"n_hidden": 4}}


def levels_setup(args, p: int, core: str) -> tuple[dict, dict]:
    """The compressor and the ``levels`` settings of a level-by-level run."""
    net = {"n_hidden": args.h1, "n_hidden2": args.h2, "level1": core, "readout_level2": True,
           "output_activation": "sigmoid"}
    settings = {"level1": "bptt", "level2": args.level2,
                # level 1 is done when it predicts every step but the last (the unpredictable symbol);
                # 2b scores only that step, so there stage 1 ends at its budget or plateau (--level1-plateau)
                "level1_learnt": (p - 1) / p if args.variant == "a" else 1.0,
                "level1_budget": args.level1_budget, "level1_extra": args.level1_extra,
                "level1_gain": args.gain, "level1_plateau": args.level1_plateau,
                "level1_settings": {"optimizer": "adam", "learning_rate": 0.01, "batch_size": 1},
                "level2_settings": ({"mutation_rate": args.mutation_rate} if args.level2 == "cosyne" else
                                    {"sigma0": 1.0, "x0": "zero"})}
    return net, settings


def table(rows: list[dict]) -> str:
    """Per variant, method, budget and training targets: seeds, solved, sequences to success and
    level-2 steps per test sequence (mean of the seeds' means, min-max over every test sequence)."""
    out = ["| variant | method | budget (sequences) | training targets | seeds | solved | sequences to success "
           "(mean, max) | training / test sequences | level-1 sequences (min-max) | test learnt: mean (min-max) "
           "| level-2 steps a test sequence: mean (min-max) | seconds (mean) |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    groups = {}
    for r in rows:
        groups.setdefault((r["variant"], r["method"], r["budget"], r["train_targets"]), []).append(r)
    for (variant, method, budget, targets), rs in groups.items():
        hits = [r["sequences_to_solve"] for r in rs if r["solved"]]
        steps = [r for r in rs if "level2_steps_mean" in r]
        out.append(f"| 2{variant} | {method} | {budget:,} | {targets} | {len(rs)} | {len(hits)} | "
                   + (f"{np.mean(hits):,.0f}, {max(hits):,}" if hits else "-") + " | "
                   + f"{rs[0]['n_train']} / {rs[0]['n_test']} | "
                   + (f"{min(r['level1_sequences'] for r in rs):,}-{max(r['level1_sequences'] for r in rs):,}"
                      if all("level1_sequences" in r for r in rs) else "-") + " | "
                   + f"{np.mean([r['test_learnt'] for r in rs]):.3f} ({min(r['test_learnt'] for r in rs):.3f}-"
                     f"{max(r['test_learnt'] for r in rs):.3f}) | "
                   + (f"{np.mean([r['level2_steps_mean'] for r in steps]):.1f} "
                      f"({min(r['level2_steps_min'] for r in steps)}-{max(r['level2_steps_max'] for r in steps)})"
                      if steps else "-")
                   + f" | {np.mean([r['seconds'] for r in rs]):,.0f} |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--variants", nargs="+", default=["a", "b"])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--seed0", type=int, default=1)
    ap.add_argument("--budget", type=int, default=32400, help="training sequences per run")
    ap.add_argument("--p", type=int, default=100)
    ap.add_argument("--n-train-b", type=int, default=100, help="2b training sequences per evaluation")
    ap.add_argument("--n-test-b", type=int, help="2b test sequences (default: the problem's, 500); the solved "
                    "check scores the best network on them every generation, the run's main cost for a 128-unit level 1")
    ap.add_argument("--train-targets-b", choices=["last", "all"], help="2b: the problem's train_targets "
                    "(default: the problem's, 'last'; 'all': every next symbol, as H&S trained)")
    ap.add_argument("--methods", nargs="+", default=["levels:elman", "cosyne:history-compressor"])
    ap.add_argument("--h1", type=int, default=128, help="levels: level-1 units")
    ap.add_argument("--h2", type=int, default=1, help="levels: level-2 units")
    ap.add_argument("--gain", type=float, default=20.0, help="levels: level1_gain")
    ap.add_argument("--level2", default="cosyne", choices=["cosyne", "cmaes"], help="levels: level 2's optimiser")
    ap.add_argument("--level1-budget", type=int, default=2000, help="levels: sequences stage 1 may use")
    ap.add_argument("--level1-extra", type=int, default=20, help="levels: sequences after level 1 predicts")
    ap.add_argument("--level1-plateau", type=int, default=0, help="levels: level1_plateau (generations without "
                    "the level-1 training MSE falling by 1%% that end stage 1; 0: off)")
    ap.add_argument("--mutation-rate", type=float, default=0.05, help="levels: CoSyNE's for level 2")
    runs_csv.add_arguments(ap)
    args = ap.parse_args()
    if runs_csv.print_table(args, ap, table, FIELDS):
        return
    for variant in args.variants:
        args.variant = variant
        params = {"p": args.p, "variant": variant}
        if variant == "b":
            params["n_train"] = args.n_train_b
            if args.n_test_b:
                params["n_test"] = args.n_test_b
            if args.train_targets_b:
                params["train_targets"] = args.train_targets_b
        for method in args.methods:
            opt, arch = method.split(":")
            hits = []
            for seed in range(args.seed0, args.seed0 + args.seeds):
                t = time.perf_counter()
                if opt == "levels":
                    net, settings = levels_setup(args, args.p, arch)
                    r = make_runner("levels", "two-sequence-lag", "history-compressor", net=net, settings=settings,
                                    seed=seed, problem_params=params,
                                    stop={"max_evaluations": args.budget, "solved": True})
                    res = r.run()
                    n_seq = res.progress.evaluations                   # levels counts sequences itself
                    n_to = res.progress.evaluations_to_solve
                    level1 = r.strategy.info()["level1_sequences"]
                    extra = f", level 1: {level1:,} sequences"
                else:
                    r = make_runner(opt, "two-sequence-lag", arch, net=NETS[arch], seed=seed, problem_params=params,
                                    stop={"max_evaluations": -(-args.budget // 2 if variant == "a" else
                                                               -args.budget // args.n_train_b), "solved": True})
                    res = r.run()
                    n_seq = res.progress.evaluations * r.problem.train.n_sequences
                    n_to = res.progress.evaluations_to_solve * r.problem.train.n_sequences
                    level1, extra = None, ""
                seconds = time.perf_counter() - t
                row = {"variant": variant, "method": method, "seed": seed, "budget": args.budget,
                       "n_train": r.problem.train.n_sequences, "n_test": r.problem.test.n_sequences,
                       "train_targets": r.problem.params()["train_targets"],
                       "solved": bool(res.solved), "sequences": int(n_seq), "train_learnt": float(res.best_metrics["learnt"]),
                       "test_learnt": float(r.problem.evaluate_test(r.net, res.best_chromosome).metrics[0, 1]),
                       "seconds": round(seconds, 1)}
                if res.solved:
                    hits.append(n_to)
                    row["sequences_to_solve"] = int(n_to)
                if level1 is not None:
                    row["level1_sequences"] = int(level1)
                if r.net.spec.get("arch") == "history-compressor":
                    steps = level2_steps(r.net, res.best_chromosome, r.problem.test.X, r.problem.test.starts)
                    row.update(level2_steps_mean=round(float(steps.mean()), 2), level2_steps_min=int(steps.min()),
                               level2_steps_max=int(steps.max()))
                    extra += f", level 2 stepped {steps.mean():.1f} of {args.p} steps a test sequence ({steps.min()}-{steps.max()})"
                if args.csv:
                    runs_csv.append_row(args.csv, FIELDS, row)
                print(f"2{variant} {method} seed {seed}: {'solved' if res.solved else 'unsolved'}"
                      + (f" after {n_to:,} sequences" if res.solved else "") + f", {n_seq:,} sequences run{extra}, "
                      f"train learnt {res.best_metrics['learnt']:.3f}, test learnt {row['test_learnt']:.3f} "
                      f"({seconds:.0f} s)", flush=True)
            print(f"== 2{variant} {method}: {len(hits)}/{args.seeds} solved"
                  + (f", mean {np.mean(hits):,.0f} sequences, max {max(hits):,}" if hits else ""), flush=True)
    print("published (H&S 1997 table 2): chunker 2a 33% after 32,400, 2b failed; LSTM 2a 100% after 5,040, "
          "2b 100% after 5,680", flush=True)


if __name__ == "__main__":
    main()
