"""Capacity of a Hopfield network: storage rules against evolved weights (issue 20).

For each network size N and load P/N: P random bipolar patterns (the ``hopfield-recall`` problem,
its seed = the trial), each probed once with 10% of its bits flipped (fresh probes, the
problem's test probes); the figure is the fraction of patterns recalled exactly, averaged over
``--seeds`` trials. Rules: Hebbian (1/N outer products), Storkey (1997), pseudo-inverse
(projection rule); asynchronous updates to a fixed point.

Published: the Hebbian network's critical capacity is about 0.138 N (Amit, Gutfreund &
Sompolinsky 1985): above it recall collapses; McEliece et al. (1987): N / (2 ln N) patterns
(0.109 N at N = 100... 0.072 N at N = 1000) for almost all memories to be stable.

``--evolve`` adds evolved weights at the loads of ``--evolve-loads``, trials on problem seeds
``--first-seed`` (1000), 1001, ... with optimiser seeds ``--first-optimiser-seed`` (0), 1, ... (so that
``--first-seed 1005 --first-optimiser-seed 5 --evolve-seeds 5`` are trials 5-9 of a run of 20): the
optimiser (separable CMA-ES by default, sigma0 = ``--sigma0``
times the Hebbian weights' rms) starts from the Hebbian weights plus ``--init-sigma`` noise and
maximises, for ``--evolve-evaluations`` evaluations, the fraction of recalled bits of ``--probes``
noisy training probes per pattern plus ``--margin`` x the mean over the stored bits of
min(gamma, ``--kappa``) / kappa, gamma the bits' stabilities (Gardner 1988; the problem's ``margin``
option). The figure is the fraction of ``--test-probes`` FRESH probes per pattern (other flipped
bits than the training probes) recalled exactly; each trial prints the storage rules' figure on
the same patterns beside it. A trial ends early when the training fitness reaches its maximum,
1 + ``--margin`` (every training probe recalled and every stored bit's stability at kappa or more;
the ``target_fitness`` stop): nothing can improve on it, and the run's best chromosome is the first
one to reach it, the one a run to the full budget would return too (``--full-budget`` switches this
stop off). At low loads the Hebbian start is already there, so those trials cost one generation.

    python benchmarks/bench_hopfield.py [--N 64 100 256] [--seeds 20] [--noise 0.1]
    python benchmarks/bench_hopfield.py --N 100 --seeds 0 --evolve --evolve-loads 0.2 0.25 --evolve-seeds 5
    python benchmarks/bench_hopfield.py ... --evolve ... --csv results/hopfield_evolved.csv
    python benchmarks/bench_hopfield.py --csv results/hopfield_evolved.csv --table

``--csv PATH`` appends one row per evolved trial as it ends (its settings, problem and optimiser
seeds, evaluations used, exact recall of the fresh probes, the rules' on the same patterns, the
smallest stability, CPU and wall seconds) and skips the trials already there with the same
settings: a cut-off command, run again, resumes. ``--table`` prints the README's table of evolved
points from it.
    python benchmarks/bench_hopfield.py --bam [--N 32 100] [--pairs 1 2 4 6 8 12 16]

``--modern``: the modern continuous Hopfield layer (``modern-hopfield``, Ramsauer et al. 2020) with
the patterns themselves as its memories (storage rule ``modern``), one update xi <- X softmax(beta
X^T xi) by default (``--modern-iterations``), read by sign: the same figures as the rules' curve,
at the loads of ``--modern-loads`` (up to P/N = 32), for beta = 1/sqrt(N) (the default) and the
values of ``--modern-betas`` (x 1/N, e.g. 1 for beta = 1/N).

    python benchmarks/bench_hopfield.py --modern --N 64 100 --seeds 20 [--modern-betas 1 4]

``--bam``: a BAM with n = p = N (the ``bam-recall`` problem): the fraction of pairs (A, B) recalled
exactly, both layers, from cues of A with 10% of their bits flipped, against the number of pairs m,
for Kosko's correlation encoding (and evolved weights with ``--evolve``, at ``--evolve-pairs``).
"""
from __future__ import annotations

import argparse
import csv
import os
import time

import numpy as np

import evornn
import runs_csv
from evornn.nets import associative as A
from evornn.problems.hopfield_recall import recall
from evornn.problems.registry import make_problem


def test_recall(prob, net, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of W: the fraction of the problem's test probes recalled exactly, and the mean
    overlap m = (1/N) xi . s of the recalled states with their patterns."""
    S = recall(net, W, prob.test)
    target = np.repeat(prob.patterns, prob.params()["test_probes"], axis=0)
    return (S == target[None]).all(axis=2).mean(axis=1), (S * target[None]).mean(axis=(1, 2))


def problem(N: int, P: int, noise: float, seed: int, probes: int = 1, init: str = "random", margin: float = 0.0,
            kappa: float = 2.0, init_sigma: float = 0.5, test_probes: int = 1):
    return make_problem("hopfield-recall", n_units=N, patterns=P, noise=noise, probes=probes,
                        test_probes=test_probes, seed=seed, init=init, margin=margin, kappa=kappa,
                        init_sigma=init_sigma)


def rule_curve(N: int, loads, seeds: int, noise: float, rules) -> dict:
    net = evornn.build("hopfield", N, N, max_sweeps=100)
    out = {}
    for load in loads:
        P = max(1, int(round(load * N)))
        got = {r: [] for r in rules}
        for s in range(seeds):
            prob = problem(N, P, noise, s)
            W = np.stack([A.RULES[r](net, prob.patterns) for r in rules])
            for r, e, m in zip(rules, *test_recall(prob, net, W)):
                got[r].append((e, m))
        out[P] = {r: np.mean(v, axis=0) for r, v in got.items()}
    return out


def max_fitness(margin: float) -> float:
    """The largest training fitness of ``hopfield-recall`` and ``bam-recall``: every recalled bit right
    (1) plus ``margin`` x 1 (every stored bit's stability at kappa or more). Exact in floating point:
    then min(gamma, kappa) / kappa is 1.0 for every bit."""
    return 1.0 + margin


def evolve_stop(evaluations: int, margin: float, full_budget: bool) -> dict:
    """The evolved trials' stopping criteria: the evaluation budget and, unless ``full_budget``, the
    largest fitness (the best chromosome is the first one to reach it either way: the runner keeps a
    new best only when it is strictly better)."""
    return {"max_evaluations": evaluations, "solved": False,
            **({} if full_budget else {"target_fitness": max_fitness(margin)})}


CSV_KEY = ("N", "P", "noise", "problem_seed", "optimiser_seed", "optimiser", "budget", "margin", "kappa", "probes",
           "test_probes", "init", "init_sigma", "sigma0", "full_budget")
CSV_FIELDS = CSV_KEY + ("evaluations", "at_max", "evolved_exact", "hebbian_exact", "storkey_exact", "pinv_exact",
                        "min_stability", "cpu_s", "wall_s", "finished_utc")


def csv_rows(path) -> list[dict]:
    """The trials of results CSV ``path`` (none when it does not exist yet)."""
    if path is None or not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def csv_key(row: dict) -> tuple:
    """A trial's settings as strings, as the CSV holds them: equal keys, the same trial."""
    return tuple(str(row[k]) for k in CSV_KEY)


def append_row(path, row: dict) -> None:
    """Append one trial to ``path`` (header first when the file is new), flushed to disk."""
    runs_csv.append_row(path, CSV_FIELDS, row)


def evolved(N: int, load: float, seeds: int, noise: float, probes: int, evaluations: int, optimiser: str,
            settings: dict, init: str, margin: float, kappa: float, init_sigma: float, test_probes: int,
            first_seed: int = 1000, sigma0: float = 0.05, full_budget: bool = False,
            first_optimiser_seed: int = 0, csv_path: str | None = None) -> tuple[float, float, float, int]:
    """Evolve the weights of ``seeds`` trials (problem seeds first_seed, first_seed + 1, ..., optimiser
    seeds first_optimiser_seed, first_optimiser_seed + 1, ...); print
    each trial's test recall (fresh probes) beside the storage rules' on the same patterns. With
    ``csv_path``, append each trial to that CSV as it ends, and take the trials already there (same
    settings) from it instead of running them again. Returns the mean evolved and Hebbian (same
    patterns) exact recall, the mean CPU seconds per trial run here, and the number of trials at 95%
    or more."""
    P = max(1, int(round(load * N)))
    net = evornn.build("hopfield", N, N, max_sweeps=100)
    done = {csv_key(r): r for r in csv_rows(csv_path)}
    got, heb, cpu = [], [], []
    for s in range(seeds):
        pseed, oseed = first_seed + s, first_optimiser_seed + s
        row = {"N": N, "P": P, "noise": noise, "problem_seed": pseed, "optimiser_seed": oseed, "optimiser": optimiser,
               "budget": evaluations, "margin": margin, "kappa": kappa, "probes": probes, "test_probes": test_probes,
               "init": init, "init_sigma": init_sigma, "sigma0": sigma0, "full_budget": int(full_budget)}
        old = done.get(csv_key(row))
        if old is not None:
            print(f"  trial {s} (problem seed {pseed}, optimiser seed {oseed}): in {csv_path}, evolved "
                  f"{float(old['evolved_exact']):.3f} exact, hebbian {float(old['hebbian_exact']):.3f}", flush=True)
            got.append(float(old["evolved_exact"]))
            heb.append(float(old["hebbian_exact"]))
            continue
        c0, t0 = time.process_time(), time.perf_counter()
        prob = problem(N, P, noise, pseed, probes=probes, init=init, margin=margin, kappa=kappa,
                       init_sigma=init_sigma, test_probes=test_probes)
        trial_settings = dict(settings)
        if optimiser == "cmaes" and init == "hebbian":   # steps on the scale of the Hebbian weights
            w = A.hebbian(net, prob.patterns)
            trial_settings["sigma0"] = sigma0 * float(np.sqrt(np.mean(w ** 2)))
        res = evornn.optimise(optimiser, prob, arch=net, settings=trial_settings,
                              stop=evolve_stop(evaluations, margin, full_budget), seed=oseed)
        exact = float(test_recall(prob, net, res.best_chromosome[None])[0][0])
        rules = test_recall(prob, net, np.stack([A.RULES[r](net, prob.patterns) for r in A.RULES]))[0]
        gmin = float(A.stability(net, res.best_chromosome, prob.patterns).min())
        at_max = bool(res.best_fitness >= max_fitness(margin))
        c1, t1 = time.process_time() - c0, time.perf_counter() - t0
        print(f"  trial {s} (problem seed {pseed}, optimiser seed {oseed}): evolved {exact:.3f} exact, smallest stability "
              f"{gmin:.2f}; " + ", ".join(f"{r} {e:.3f}" for r, e in zip(A.RULES, rules))
              + f"; {res.progress.evaluations} evaluations" + (" (fitness at its maximum)" if at_max else "")
              + f", {c1:.0f} CPU s, {t1:.0f} s", flush=True)
        if csv_path is not None:
            rule = dict(zip(A.RULES, (float(e) for e in rules)))
            append_row(csv_path, {**row, "evaluations": res.progress.evaluations, "at_max": int(at_max),
                                  "evolved_exact": f"{exact:.4f}", "hebbian_exact": f"{rule['hebbian']:.4f}",
                                  "storkey_exact": f"{rule['storkey']:.4f}",
                                  "pinv_exact": f"{rule['pseudo-inverse']:.4f}", "min_stability": f"{gmin:.4f}",
                                  "cpu_s": f"{c1:.1f}", "wall_s": f"{t1:.1f}",
                                  "finished_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())})
        got.append(exact)
        heb.append(float(rules[list(A.RULES).index("hebbian")]))
        cpu.append(c1)
    return (float(np.mean(got)), float(np.mean(heb)), float(np.mean(cpu)) if cpu else 0.0,
            int(np.sum(np.asarray(got) >= 0.95)))


def table(path: str) -> str:
    """The README's table of evolved points from results CSV ``path``: one row per network size,
    load, budget and fitness settings (the stability term's weight ``margin`` shown, since rows of
    the same N and P can differ in it); trials, the mean exact recall of fresh probes (the smallest),
    how many trials reach 95%, the rules on the same patterns, the evaluations used, CPU s a trial."""
    rows = csv_rows(path)
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        k = tuple(r[c] for c in CSV_KEY if c not in ("problem_seed", "optimiser_seed"))
        groups.setdefault(k, []).append(r)
    out = ["| N | P | P/N | margin | trials (problem seeds) | evolved exact: mean (smallest) | trials >= 0.95 | "
           "Hebbian, same patterns | Storkey, same patterns | evaluations: budget / mean used (at max) | "
           "CPU s a trial |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for k in sorted(groups, key=lambda k: (int(k[0]), int(k[1]), float(k[5]), int(k[4]))):
        g = groups[k]
        N, P, budget = int(k[0]), int(k[1]), int(k[4])
        ev = np.array([float(r["evolved_exact"]) for r in g])
        seeds = sorted(int(r["problem_seed"]) for r in g)
        span = (str(seeds[0]) if len(seeds) == 1 else f"{seeds[0]}-{seeds[-1]}"
                if seeds == list(range(seeds[0], seeds[-1] + 1)) else ", ".join(map(str, seeds)))
        mean = lambda c: np.mean([float(r[c]) for r in g])     # noqa: E731
        n_max = sum(int(r["at_max"]) for r in g)
        out.append(f"| {N} | {P} | {P / N:.3f} | {float(k[5]):g} | {len(g)} ({span}) | {ev.mean():.3f} ({ev.min():.3f}) | "
                   f"{int(np.sum(ev >= 0.95))} of {len(g)} | {mean('hebbian_exact'):.3f} | {mean('storkey_exact'):.3f} | "
                   f"{budget:,} / {mean('evaluations'):,.0f} ({n_max} of {len(g)}) | {mean('cpu_s'):.0f} |")
    return "\n".join(out)


def bam_exact(prob, net, W: np.ndarray) -> np.ndarray:
    """Fraction of the problem's test cues whose pair (A, B) is recalled exactly, per row of W."""
    S = recall(net, W, prob.test)
    target = np.repeat(np.hstack([prob.A, prob.B]), prob.params()["test_probes"], axis=0)
    return (S == target[None]).all(axis=2).mean(axis=1)


def bam_problem(N: int, m: int, noise: float, seed: int, probes: int = 1, init: str = "random", margin: float = 0.0,
                kappa: float = 2.0, init_sigma: float = 0.5, test_probes: int = 1):
    return make_problem("bam-recall", n=N, p=N, pairs=m, noise=noise, probes=probes, test_probes=test_probes,
                        seed=seed, init=init, margin=margin, kappa=kappa, init_sigma=init_sigma)


def bam_main(args) -> None:
    for N in args.N:
        net = evornn.build("bam", N, 2 * N, outputs="ab")
        print(f"\nBAM n = p = {N}: fraction of pairs recalled exactly (A and B) from cues of A with "
              f"{args.noise:.0%} of their bits flipped, {args.seeds} trials per m")
        print(f"{'m':>4} {'correlation':>12}")
        for m in args.pairs if args.seeds else ():
            got = [bam_exact(prob, net, A.correlation(net, prob.A, prob.B)[None])[0]
                   for prob in (bam_problem(N, m, args.noise, s) for s in range(args.seeds))]
            print(f"{m:4d} {np.mean(got):12.3f}")
        if args.evolve:
            for m in args.evolve_pairs:
                print(f"evolved ({args.optimiser}, from {args.bam_init} + {args.init_sigma} rms noise, "
                      f"{args.evolve_evaluations} evaluations; fitness: recalled bits of {args.probes} noisy cues per "
                      f"pair + {args.margin} x mean min(stability, {args.kappa}) / {args.kappa}; test: "
                      f"{args.test_probes} fresh cues per pair), m = {m}:", flush=True)
                got, t0 = [], time.perf_counter()
                for s in range(args.evolve_seeds):
                    seed = args.first_seed + s
                    prob = bam_problem(N, m, args.noise, seed, probes=args.probes, init=args.bam_init,
                                       margin=args.margin, kappa=args.kappa, init_sigma=args.init_sigma,
                                       test_probes=args.test_probes)
                    settings = {"separable": True} if args.optimiser == "cmaes" else {}
                    w = A.correlation(net, prob.A, prob.B)
                    if args.optimiser == "cmaes" and args.bam_init == "correlation":
                        settings["sigma0"] = args.sigma0 * float(np.sqrt(np.mean(w ** 2)))
                    t1 = time.perf_counter()
                    res = evornn.optimise(args.optimiser, prob, arch=net, settings=settings,
                                          stop=evolve_stop(args.evolve_evaluations, args.margin, args.full_budget),
                                          seed=s)
                    exact, base = bam_exact(prob, net, np.stack([res.best_chromosome, w]))
                    print(f"  trial {s} (problem seed {seed}): evolved {exact:.3f} exact, correlation {base:.3f}; "
                          f"{res.progress.evaluations} evaluations, {time.perf_counter() - t1:.0f} s", flush=True)
                    got.append(exact)
                print(f"evolved m = {m}: {np.mean(got):.3f} exact, mean of {args.evolve_seeds} trials "
                      f"({min(got):.3f}-{max(got):.3f}, {sum(g >= 0.95 for g in got)} at 95% or more), "
                      f"{(time.perf_counter() - t0) / args.evolve_seeds:.0f} s each", flush=True)


def add_modern_args(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--modern", action="store_true", help="the modern Hopfield layer with the patterns as memories")
    ap.add_argument("--modern-loads", type=float, nargs="+",
                    default=[round(0.02 * k, 2) for k in range(1, 16)] + [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0])
    ap.add_argument("--modern-betas", type=float, nargs="+", default=[],
                    help="further beta columns, in units of 1/N (the first column is beta = 1/sqrt(N))")
    ap.add_argument("--modern-iterations", type=int, default=1)


def modern_curve(N: int, load: float, seeds: int, noise: float, betas: list, iterations: int) -> list:
    """(exact, m) per beta (None: the default 1/sqrt(N)), mean over ``seeds`` pattern sets, for the
    modern-hopfield layer storing the patterns as its memories (``associative.modern``)."""
    P = max(1, int(round(load * N)))
    # one chromosome a trial: the scalar kernel (the lanes kernel would run it in 1 of its 8 lanes)
    nets = [evornn.build("modern-hopfield", N, N, memories=P, beta=b, iterations=iterations, engine="scalar")
            for b in betas]
    got = [[] for _ in betas]
    for s in range(seeds):
        prob = problem(N, P, noise, s)
        for k, net in enumerate(nets):
            e, m = test_recall(prob, net, A.modern(net, prob.patterns)[None])
            got[k].append((e[0], m[0]))
    return [tuple(np.mean(g, axis=0)) for g in got]


def modern_main(args) -> None:
    for N in args.N:
        bs = [None] + [c / N for c in args.modern_betas]
        names = ["1/sqrt(N)"] + [f"{c:g}/N" for c in args.modern_betas]
        print(f"\nmodern Hopfield, N = {N}, memories = the P patterns, {args.modern_iterations} update(s), read by "
              f"sign: fraction of patterns recalled exactly from {args.noise:.0%} noise (m: mean overlap), "
              f"{args.seeds} trials per load; beta = " + ", ".join(names), flush=True)
        print(f"{'P/N':>6} {'P':>5} " + " ".join(f"{'exact ' + n:>16} {'m':>6}" for n in names))
        for load in args.modern_loads:
            row = modern_curve(N, load, args.seeds, args.noise, bs, args.modern_iterations)
            P = max(1, int(round(load * N)))
            print(f"{P / N:6.3f} {P:5d} " + " ".join(f"{e:16.3f} {m:6.3f}" for e, m in row), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--N", type=int, nargs="+", default=[64, 100, 256])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--noise", type=float, default=0.1)
    ap.add_argument("--loads", type=float, nargs="+", default=[round(0.02 * k, 2) for k in range(1, 16)])
    ap.add_argument("--rules", nargs="+", default=list(A.RULES), choices=list(A.RULES))
    ap.add_argument("--evolve", action="store_true")
    ap.add_argument("--evolve-loads", type=float, nargs="+", default=[0.2])
    ap.add_argument("--evolve-seeds", type=int, default=5)
    ap.add_argument("--evolve-evaluations", type=int, default=50000)
    ap.add_argument("--probes", type=int, default=None,
                    help="noisy training probes per pattern (evolved; default 1, with --bam 4)")
    ap.add_argument("--test-probes", type=int, default=10, help="fresh test probes per pattern (evolved)")
    ap.add_argument("--margin", type=float, default=None,
                    help="weight of the stability term in the fitness (default 10, with --bam 0)")
    ap.add_argument("--kappa", type=float, default=2.0, help="stabilities above kappa count as kappa")
    ap.add_argument("--init-sigma", type=float, default=0.05, help="noise on the starting weights (x their rms)")
    ap.add_argument("--sigma0", type=float, default=0.05, help="CMA-ES step from hebbian (x the weights' rms)")
    ap.add_argument("--first-seed", type=int, default=1000, help="problem seed of the first evolved trial")
    ap.add_argument("--first-optimiser-seed", type=int, default=0,
                    help="optimiser seed of the first evolved trial (then +1 a trial): with --first-seed, "
                         "a slice of a longer run")
    ap.add_argument("--full-budget", action="store_true",
                    help="evolve for the whole budget even once the training fitness is at its maximum")
    ap.add_argument("--optimiser", default="cmaes")
    ap.add_argument("--init", choices=["random", "hebbian"], default="hebbian")
    ap.add_argument("--bam", action="store_true")
    ap.add_argument("--pairs", type=int, nargs="+", default=[1, 2, 3, 4, 6, 8, 12, 16])
    ap.add_argument("--evolve-pairs", type=int, nargs="+", default=[4])
    ap.add_argument("--bam-init", choices=["random", "correlation"], default="correlation")
    ap.add_argument("--csv", default=None,
                    help="append each evolved trial to this CSV as it ends; trials already there are not run again")
    ap.add_argument("--table", action="store_true", help="print the table of evolved points of --csv and stop")
    add_modern_args(ap)
    args = ap.parse_args()
    if args.table:
        if args.csv is None:
            ap.error("--table needs --csv PATH")
        print(table(args.csv))
        return
    if args.probes is None:
        args.probes = 4 if args.bam else 1
    if args.margin is None:
        args.margin = 0.0 if args.bam else 10.0
    if args.bam:
        bam_main(args)
        return
    if args.modern:
        modern_main(args)
        return
    settings = {"separable": True} if args.optimiser == "cmaes" else {}
    for N in args.N:
        print(f"\nN = {N}: fraction of patterns recalled exactly from {args.noise:.0%} noise, "
              f"{args.seeds} trials per load (critical Hebbian load 0.138 N = {0.138 * N:.1f}; "
              f"McEliece N/(2 ln N) = {N / (2 * np.log(N)):.1f})")
        print("exact: fraction recalled exactly; m: mean overlap of the recalled state with its pattern")
        if args.seeds:
            print(f"{'P/N':>6} {'P':>4} " + " ".join(f"{r + ' exact':>20} {'m':>6}" for r in args.rules))
            for P, row in rule_curve(N, args.loads, args.seeds, args.noise, args.rules).items():
                print(f"{P / N:6.3f} {P:4d} " + " ".join(f"{row[r][0]:20.3f} {row[r][1]:6.3f}" for r in args.rules),
                      flush=True)
        if args.evolve:
            for load in args.evolve_loads:
                print(f"evolved ({args.optimiser} {settings}, from {args.init} + {args.init_sigma} rms noise, "
                      f"{args.evolve_evaluations} evaluations; fitness: recalled bits of {args.probes} noisy "
                      f"training probes per pattern + {args.margin} x mean min(stability, {args.kappa}) / "
                      f"{args.kappa}; test: {args.test_probes} fresh probes per pattern), P/N = {load}:", flush=True)
                frac, hebb, secs, good = evolved(N, load, args.evolve_seeds, args.noise, args.probes,
                                                 args.evolve_evaluations, args.optimiser, settings, args.init,
                                                 args.margin, args.kappa, args.init_sigma, args.test_probes,
                                                 args.first_seed, args.sigma0, args.full_budget,
                                                 args.first_optimiser_seed, args.csv)
                print(f"evolved P/N = {load}: {frac:.3f} exact, mean of {args.evolve_seeds} trials "
                      f"({good} at 95% or more; Hebbian on the same patterns {hebb:.3f}), {secs:.0f} CPU s a trial "
                      f"run here", flush=True)


if __name__ == "__main__":
    main()
