"""Memory-augmented networks on the NTM tasks (issue 21): evolved NTM, ENTM and DNC against an
Elman network and an LSTM of about the same parameter count.

For each architecture x optimiser x seed: a run from random weights on the training lengths
(``--min-length``..``--max-length``) until every training bit is right or the budget
(``--evaluations``, ``--wall-clock`` seconds) runs out; then the best network's test accuracy at the
training lengths, at 2x and at 5x the longest (the task's test groups, fresh sequences): the
fraction of bits right after thresholding at 0.5 and the fraction of sequences entirely right.
Printed per cell of the table: means over the seeds run, the number of seeds whose test sequences
were all right at each length, evaluations and wall time per run.

Published references: Greve, Jacobsen & Risi (GECCO 2016) evolve an ENTM (NEAT) that solves the
copy task and generalises to longer sequences; pytorch-ntm's gradient NTM (memory 128 x 20,
LSTM 100 controller) converges on copy lengths 1-20 in under 30,000 sequences and generalises to
length 80 (Graves et al. 2014 report the same for their NTM).

    python benchmarks/bench_memory.py --task copy --max-length 4 --seeds 10 --evaluations 200000
    python benchmarks/bench_memory.py --task copy --archs entm elman --optimisers cmaes --seeds 3 --wall-clock 300

``neat-entm`` (Greve et al.'s ENTM: a NEAT phenotype whose outputs drive one read/write head on a
growing tape, memory width bits + 1 as in their code) runs with the ``neat`` optimiser only (the other
architectures with the others); ``--start`` gives the copy task their start step, ``--fitness strict``
their score, ``--set key=value`` any NEAT setting:

    python benchmarks/bench_memory.py --task copy --bits 1 --max-length 5 --start --fitness strict --archs neat-entm --seeds 3 --evaluations 30000

``dense-entm`` is the same tape and head driven by one layer of fixed topology (``--cell``: dense, or a
core such as indrnn), a flat chromosome for CoSyNE, CMA-ES or ESP (``--set`` reaches any optimiser).
``--csv`` appends one row per run as it ends (benchmarks/runs_csv.py), ``--first-seed`` resumes:

    python benchmarks/bench_memory.py --task copy --bits 8 --max-length 5 --start --fitness strict --archs dense-entm --optimisers cosyne --cosyne-restarts --seeds 10 --evaluations 100000 --csv results/bench_memory_entm.csv

``--resample`` draws a fresh training set every generation (a run then stops when the test split is
right, or at the budget); ``--write overwrite`` gives the ENTMs' tape the gated write. The 8-bit copy
that CMA-ES solves in 8 of 10 seeds within 200,000 evaluations (README, "8-bit vectors solved"):

    python benchmarks/bench_memory.py --task copy --max-length 5 --n-train 64 --start --fitness bits --resample --archs dense-entm --bits 8 --optimisers cmaes --seeds 10 --evaluations 200000 --set tolflatfitness=1000000 restart_after=100 restarts=same population=88
"""
from __future__ import annotations

import argparse
import ast
import time

import numpy as np

import evornn
from evornn.problems.registry import make_problem

import runs_csv  # benchmarks/, beside this script

ARCHS = ("ntm", "entm", "dnc", "elman", "lstm", "neat-entm", "dense-entm")


def memory_net(arch: str, prob, args) -> evornn.Network:
    width = prob.default_net["memory_width"]
    if arch == "neat-entm":                  # Greve et al.'s code: memory width = bits + 1
        M = width + 1
        return evornn.build("neat-entm", prob.n_inputs, prob.n_outputs, memory_size=prob.default_net["memory_size"],
                            memory_width=M, update=args.update, write=args.write,
                            max_nodes=args.max_nodes or prob.n_outputs + M + 5 + 10)
    if arch == "dense-entm":                 # the same tape and head, one layer of fixed topology
        return evornn.build("dense-entm", prob.n_inputs, prob.n_outputs, cell=args.cell, write=args.write,
                            memory_size=prob.default_net["memory_size"], memory_width=width + 1)
    common = dict(n_hidden=args.n_hidden, memory_width=width, output_activation="sigmoid")
    if arch == "dnc":
        return evornn.build("dnc", prob.n_inputs, prob.n_outputs, memory_size=min(32, prob.default_net["memory_size"]),
                            **common)
    return evornn.build("ntm", prob.n_inputs, prob.n_outputs, memory_size=prob.default_net["memory_size"],
                        addressing="entm" if arch == "entm" else "soft", direct=args.direct, **common)


def matched(cell: str, prob, n_params: int) -> evornn.Network:
    """The ``cell`` network whose parameter count is closest to ``n_params``."""
    best = None
    for H in range(1, 200):
        net = evornn.build(cell, prob.n_inputs, prob.n_outputs, n_hidden=H, output_activation="sigmoid")
        if best is None or abs(net.n_params - n_params) < abs(best.n_params - n_params):
            best = net
        if net.n_params > n_params:
            break
    return best


def run(arch, net, prob, optimiser, seed, args) -> dict:
    settings = {"population": args.population} if args.population else {}
    if optimiser == "cosyne" and args.cosyne_restarts:
        # the stack RNN's CoSyNE (benchmarks/bench_memory_tasks.py): +-3, Cauchy steps of 1, restarts
        settings.update(init="uniform", init_range=3.0, mutation_scale=1.0, restart_after=100)
    if optimiser == "cmaes":
        settings.update(separable=net.n_params > 300, sigma0=0.5)
    settings.update(args.settings)           # --set: over the defaults above
    # until the training set is right; resampled (a fresh set each generation): until the test split is
    # (the problem tests it whenever a generation's set is right)
    stop = {"solved": True} if args.resample else {"at_least": {"bit_accuracy": 1.0}, "solved": False}
    if args.evaluations:
        stop["max_evaluations"] = args.evaluations
    if args.wall_clock:
        stop["wall_clock"] = args.wall_clock
    t0 = time.perf_counter()
    res = evornn.optimise(optimiser, prob, arch=net, settings=settings, stop=stop, seed=seed)
    wall = time.perf_counter() - t0
    out = prob.lengths(net, res.best_chromosome)
    if args.save:
        np.save(f"{args.save}/{arch}-{optimiser}-seed{seed}.npy", res.best_chromosome)
    out.update(evaluations=res.progress.evaluations, wall=wall, train=res.best_metrics.get("bit_accuracy", np.nan))
    if args.csv:
        row = dict(task=args.task, bits=prob.params()["bits"], lengths=f"{args.min_length}..{args.max_length}",
                   n_train=args.n_train, fitness=args.fitness, start=args.start, arch=arch,
                   **({"resample": True, "write": args.write} if args.resample or args.write != "interpolate" else {}),
                   cell=args.cell if arch == "dense-entm" else "", params=net.n_params, optimiser=optimiser,
                   settings=" ".join(f"{k}={v}" for k, v in settings.items()), seed=seed, **out)
        runs_csv.append_row(args.csv, tuple(row), row)
    if args.verbose:
        print(f"  {arch} {optimiser} seed {seed}: train bits {out['train']:.3f}, test all-right 1x/2x/5x "
              f"{out['accuracy_1x']:.2f}/{out['accuracy_2x']:.2f}/{out['accuracy_5x']:.2f}, "
              f"{out['evaluations']} evaluations, {wall:.1f} s", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--task", default="copy", choices=("copy", "repeat-copy", "assoc-recall"))
    ap.add_argument("--min-length", type=int, default=1)
    ap.add_argument("--max-length", type=int, default=4)
    ap.add_argument("--n-train", type=int, default=32)
    ap.add_argument("--n-test", type=int, default=32)
    ap.add_argument("--archs", nargs="+", default=list(ARCHS), choices=ARCHS)
    ap.add_argument("--optimisers", nargs="+", default=["cosyne", "cmaes"])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--evaluations", type=int, default=100000, help="budget per run (0: none)")
    ap.add_argument("--wall-clock", type=float, default=0.0, help="seconds per run (0: none)")
    ap.add_argument("--population", type=int, default=0, help="optimiser population (0: its default)")
    ap.add_argument("--match-params", type=int, default=0, help="parameter count the Elman/LSTM networks match "
                    "(0: the ENTM's)")
    ap.add_argument("--bits", type=int, default=0, help="bits per vector (0: the task's, 8 or 6)")
    ap.add_argument("--fitness", default="bits", choices=("bits", "closeness", "strict"),
                    help="the task's fitness: bits right, closeness (mean 1 - |y - target|) or strict "
                    "(Greve et al.'s: mean 1 - min(0.25, |y - target|) / 0.25)")
    ap.add_argument("--resample", action="store_true", help="a fresh training set (n-train sequences) every "
                    "generation instead of one fixed set")
    ap.add_argument("--start", action="store_true", help="copy: a first step on a start channel (Greve et al.'s copy)")
    ap.add_argument("--max-nodes", type=int, default=0, help="neat-entm: units of the NEAT phenotype "
                    "(0: its outputs + 10 hidden)")
    ap.add_argument("--cell", default="dense", help="dense-entm: the layer driving the head (dense, or a core: "
                    "indrnn for self-loops)")
    ap.add_argument("--write", default="interpolate", choices=("interpolate", "overwrite"),
                    help="neat-entm, dense-entm: the tape's write mode (overwrite: write the vector when the "
                    "interpolation is >= 0.5, else nothing; Greve et al.'s 8-bit configuration)")
    ap.add_argument("--update", default="sync", choices=("sync", "ordered"), help="neat-entm: the phenotype's update")
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                    help="settings of the optimisers run (NEAT's for neat-entm), over this script's defaults")
    ap.add_argument("--verbose", action="store_true", help="a line per run")
    ap.add_argument("--csv", default="", help="a CSV file each run's row is appended to as it ends")
    ap.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + seeds - 1 "
                    "(to resume a cut-off run)")
    ap.add_argument("--save", default="", help="a folder for each run's best chromosome (.npy)")
    ap.add_argument("--direct", action="store_true",
                    help="ntm/entm: the heads also read the controller's input [x, r] (as Greve et al.'s ENTM)")
    ap.add_argument("--cosyne-restarts", action="store_true",
                    help="CoSyNE from +-3 with Cauchy steps of 1 and restarts after 100 stalled generations")
    ap.add_argument("--n-hidden", type=int, default=0, help="controller units of the memory networks (0: bits + 2, "
                    "what a hand-built copier needs)")
    args = ap.parse_args()
    args.settings = {}
    for kv in args.set:
        k, v = kv.split("=", 1)
        try:
            args.settings[k] = ast.literal_eval(v)
        except (ValueError, SyntaxError):
            args.settings[k] = v
    lo = args.min_length = max(args.min_length, 2) if args.task == "assoc-recall" else args.min_length
    prob = make_problem(args.task, min_length=lo, max_length=args.max_length, n_train=args.n_train,
                        n_test=args.n_test, bits=args.bits or None, fitness=args.fitness,
                        **({"start": True} if args.start else {}), **({"resample": True} if args.resample else {}))
    args.n_hidden = args.n_hidden or prob.default_net["memory_width"] + 2
    hi = args.max_length
    nets = {a: memory_net(a, prob, args) for a in args.archs
            if a in ("ntm", "entm", "dnc", "neat-entm", "dense-entm")}
    size = args.match_params or memory_net("entm", prob, args).n_params
    for a in args.archs:
        if a in ("elman", "lstm"):
            nets[a] = matched(a, prob, size)
    print(f"{args.task}, {prob.params()['bits']}-bit vectors: train lengths {lo}..{hi}, test {lo}..{hi} / {2 * hi} / {5 * hi}, "
          f"{args.n_train} training and {args.n_test} test sequences per length group; budget "
          f"{args.evaluations or '-'} evaluations, {args.wall_clock or '-'} s per run; seeds {args.first_seed}.."
          f"{args.first_seed + args.seeds - 1}; "
          f"fitness {args.fitness}{', start step' if args.start else ''}{', resampled' if args.resample else ''}"
          + (f"; settings {args.settings}" if args.settings else ""))
    head = (f"{'arch':9} {'params':>6} {'optimiser':9} {'seeds':>5} {'train ok':>8} {'train bits':>10} {'bits 1x':>8} {'bits 2x':>8} "
            f"{'bits 5x':>8} {'all 1x':>6} {'all 2x':>6} {'all 5x':>6} {'evals':>8} {'wall s':>7}")
    print(head)
    for a, net in nets.items():
        for opt in (["neat"] if a == "neat-entm" else [o for o in args.optimisers if o != "neat"]):
            rows = [run(a, net, prob, opt, s, args) for s in range(args.first_seed, args.first_seed + args.seeds)]
            m = {k: np.mean([r[k] for r in rows]) for k in rows[0]}
            solved = {x: sum(r[f"accuracy_{x}"] >= 1.0 for r in rows) for x in ("1x", "2x", "5x")}
            fit = sum(r["train"] >= 1.0 for r in rows)
            print(f"{a:9} {net.n_params:6d} {opt:9} {len(rows):5d} {fit:8d} {m['train']:10.3f} {m['bit_accuracy_1x']:8.3f} "
                  f"{m['bit_accuracy_2x']:8.3f} {m['bit_accuracy_5x']:8.3f} {solved['1x']:6d} {solved['2x']:6d} "
                  f"{solved['5x']:6d} {m['evaluations']:8.0f} {m['wall']:7.1f}", flush=True)
    print("published: ENTM (Greve et al. 2016, NEAT) solves copy; pytorch-ntm gradient NTM 128x20 + LSTM 100: copy "
          "lengths 1-20 in < 30,000 sequences, generalises to 80")


if __name__ == "__main__":
    main()
