"""Why the evolved Hopfield trials stall at N = 256 (issue 20): what ranks the samples.

The evolved trials' fitness is the recalled bits of one noisy training probe per pattern plus
``margin`` x the mean of min(gamma, kappa) / kappa over the stored bits (bench_hopfield.py). Two
diagnostics, problem seed 1000, the Hebbian weights of the ``hopfield-recall`` problem:

``spread``: 60 samples w + sigma rms z around the Hebbian weights w (z standard normal, numpy seed 0),
for sigma = 0.01 and 0.05: the standard deviation over the samples of each fitness term (the
stability term divided by ``margin``, then times 10 as the trials weigh it), and each term's
correlation with z's component along the direction from w to the pseudo-inverse weights (scaled to
w's norm; the fitness does not depend on the weights' scale), the way to a good solution.

    python benchmarks/hopfield_ranking.py spread [--N 64 100 256] [--load 0.2]

``run``: a short run of the trials' optimiser (separable CMA-ES, sigma0 x the Hebbian weights' rms,
from the Hebbian weights plus 0.05 x rms noise, optimiser seed 0), printing every 10 generations the
generation's best fitness, its two terms and the step size sigma / rms; at the end the fresh-probe
exact recall (10 probes per pattern) of the run's best.

    python benchmarks/hopfield_ranking.py run --N 256 --load 0.2 --evaluations 3000 --sigma0 0.05 --margin 10
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import evornn
from evornn.nets import associative as A
from evornn.problems.hopfield_recall import recall
from evornn.problems.registry import make_problem


def setup(N: int, load: float, margin: float, seed: int = 1000):
    P = max(1, int(round(load * N)))
    net = evornn.build("hopfield", N, N, max_sweeps=100)
    prob = make_problem("hopfield-recall", n_units=N, patterns=P, noise=0.1, probes=1, test_probes=10, seed=seed,
                        init="hebbian", margin=margin, kappa=2.0, init_sigma=0.05)
    return net, prob


def terms(prob, net, W: np.ndarray, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """Per row of W: the recalled-bit fraction and the mean min(gamma, kappa) / kappa (the fitness is
    the first plus ``margin`` x the second)."""
    r = prob.evaluate(net, W, None)
    bits = r.metrics[:, 0]
    return bits, (r.fitness - bits) / margin


def spread(args) -> None:
    for N in args.N:
        net, prob = setup(N, args.load, 10.0)
        wh, wp = A.hebbian(net, prob.patterns), A.pseudo_inverse(net, prob.patterns)
        rms = float(np.sqrt(np.mean(wh ** 2)))
        d = wp / np.linalg.norm(wp) * np.linalg.norm(wh) - wh
        print(f"N = {N}, P = {prob.patterns.shape[0]}, {wh.size} genes; distance Hebbian -> pseudo-inverse "
              f"(scaled to the same norm) {np.linalg.norm(d) / np.linalg.norm(wh):.3f} x the Hebbian norm")
        d /= np.linalg.norm(d)
        rng = np.random.default_rng(0)
        for s in (0.01, 0.05):
            Z = rng.normal(size=(60, wh.size))
            bits, stab = terms(prob, net, wh + s * rms * Z, 10.0)
            along = Z @ d
            corr = [np.corrcoef(v, along)[0, 1] if v.std() > 0 else float("nan") for v in (bits, stab, bits + 10 * stab)]
            print(f"  sigma {s} x rms: sd over 60 samples: bits {bits.std():.5f}, 10 x stability term "
                  f"{10 * stab.std():.5f}; correlation with the step toward the pseudo-inverse: bits {corr[0]:+.2f}, "
                  f"stability term {corr[1]:+.2f}, fitness {corr[2]:+.2f}", flush=True)


def run(args) -> None:
    (N,) = args.N
    net, prob = setup(N, args.load, args.margin)
    rms = float(np.sqrt(np.mean(A.hebbian(net, prob.patterns) ** 2)))
    t0 = time.process_time()

    def show(runner, row):
        if row["generation"] % 10 == 1:
            b = row["best_bits"]
            print(f"  generation {row['generation']}, {row['evaluations']} evaluations: best {row['best']:.4f} = "
                  f"bits {b:.4f} + {args.margin:g} x {(row['best'] - b) / args.margin:.5f}; "
                  f"sigma / rms {runner.strategy.es.sigma / rms:.4f}; {time.process_time() - t0:.0f} CPU s", flush=True)

    print(f"N = {N}, P = {prob.patterns.shape[0]}, margin {args.margin:g}, sigma0 {args.sigma0} x rms "
          f"(rms {rms:.5f}), {args.evaluations} evaluations", flush=True)
    res = evornn.optimise("cmaes", prob, arch=net, settings={"separable": True, "sigma0": args.sigma0 * rms},
                          stop={"max_evaluations": args.evaluations, "solved": False, "target_fitness": 1 + args.margin},
                          seed=0, callbacks=(show,))
    S = recall(net, res.best_chromosome[None], prob.test)
    exact = (S == np.repeat(prob.patterns, 10, axis=0)[None]).all(axis=2).mean()
    print(f"end: {res.progress.evaluations} evaluations, best fitness {res.best_fitness:.4f}, fresh probes recalled "
          f"exactly {exact:.3f}, smallest stability {A.stability(net, res.best_chromosome, prob.patterns).min():.2f}, "
          f"{time.process_time() - t0:.0f} CPU s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=["spread", "run"])
    ap.add_argument("--N", type=int, nargs="+", default=[64, 100, 256])
    ap.add_argument("--load", type=float, default=0.2)
    ap.add_argument("--evaluations", type=int, default=3000)
    ap.add_argument("--sigma0", type=float, default=0.05)
    ap.add_argument("--margin", type=float, default=10.0)
    args = ap.parse_args()
    if args.what == "run" and len(args.N) != 1:
        ap.error("run takes one --N")
    (spread if args.what == "spread" else run)(args)


if __name__ == "__main__":
    main()
