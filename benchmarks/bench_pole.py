"""Nanoseconds per network step of evornn's pole-balancing kernel next to plain C, two workloads.

Both: double pole without velocities, a fully recurrent net of 5 sigmoid units (evornn's ``frnn``,
no bias parameters) with inputs x/4.8, theta1/0.52, theta2/0.52 and a bias input 1.0, unit 0 as
the output; the long pole starts at 4 degrees, everything else at 0 (``PoleBalance``'s start).
C and evornn run in this invocation on the same weights, alternately, ``--repeat`` times; the
best of each is compared.

Single network (../shared/bench/README.md): one network, restart on failure, 20 episodes of
100,000 network steps, one thread. The C program (benchmarks/dpole_limit.c) is compiled here with
``gcc -O3 -march=native`` into benchmarks/bin/; each repeat times C, the evornn kernel
(``PoleBalance.run`` with restarts, i.e. ``run_episodes`` -> ``episode``, compiled for the frnn
cell: ``srn.step`` + ``control_step``) and, to show where the time goes, the same physics loop with
the network written out by hand (sizes known at compile time, as in C), and the C program compiled
with ``-ffp-contract=off`` as well: gcc fuses a*b + c into FMA instructions by default (155 of them
in this loop), which Numba never does (it would change the trajectories), so that build does
exactly evornn's arithmetic. Equal failure counts show that all of them computed the same
trajectories.

Population (issue 14): P = 256 different networks, one episode each of up to 1,000 steps that
ends at the first failure, as in evolution, with the damping evaluation's 100-step window sum
(the non-Markov task's ``fitness = "damping"``), 2 threads. evornn runs ``PoleBalance.run`` (the
evaluation path: ``run_episodes`` on 2 threads that take the networks one at a time,
``evornn.nets.threads``); C (benchmarks/dpole_population.c) an OpenMP
``parallel for schedule(dynamic)`` over them. One timing
evaluates the whole population ``--pop-reps`` times (20). The weights are a solved controller
(below) plus normal(0, ``--sigma``) noise, so that the episodes last a mix of lengths as in an
evolving population (mean about 350 steps; about one in five runs all 1,000). Time per network
step counts every step computed, the failing one included. The C program is compiled with
``-ffp-contract=off``: gcc otherwise fuses a*b + c into FMA instructions, which round differently
from Numba's separate multiply and add, and some episodes then end at another step; with it,
steps and window sums agree exactly for every network (printed). It also prints how unevenly a
static split (one contiguous block of networks per thread, as Numba's ``prange`` and
``--c-schedule static`` deal them) would share the steps out; ``--ranked`` orders the networks
longest episode first, as in a population sorted by fitness.

    python benchmarks/bench_pole.py [--steps 100000] [--episodes 20] [--repeat 5]
    python benchmarks/bench_pole.py --population [--pop 256] [--pop-steps 1000] [--pop-reps 20]
                                    [--threads 2] [--sigma 1.0] [--repeat 5] [--ranked]
                                    [--c-schedule dynamic|static]
    python benchmarks/bench_pole.py --single        # only the single-network workload

Without ``--population`` or ``--single`` both workloads run.
"""
from __future__ import annotations

import argparse
import math
import subprocess
import time
from pathlib import Path

import numba
import numpy as np
from numba import njit

import evornn
from evornn.problems import pole_kernels as K
from evornn.problems.pole_balance import PoleBalance

HERE = Path(__file__).resolve().parent
BIN = HERE / "bin"


def compile_c(name: str = "dpole_limit", flags: tuple[str, ...] = (), exe_name: str = "") -> Path:
    BIN.mkdir(exist_ok=True)
    exe = BIN / (exe_name or name)
    cmd = ["gcc", "-O3", "-march=native", *flags, "-o", str(exe), str(HERE / f"{name}.c"), "-lm"]
    subprocess.run(cmd, check=True)
    return exe


CLOCK = time.perf_counter      # --cpu-time: time.process_time, and the C programs' CPU clock


def run_c(exe: Path, wfile: Path, steps: int, episodes: int, angle: float) -> tuple[float, int]:
    cpu = ["cpu"] if CLOCK is time.process_time else []
    out = subprocess.run([str(exe), str(wfile), str(steps), str(episodes), repr(angle), *cpu],
                         check=True, capture_output=True, text=True).stdout.split()
    return float(out[0]), int(out[2])


@njit(cache=True, error_model="numpy")
def _hand_written(w, s0, steps):
    """The same loop with the 5-unit network written out (no layer table): shows what the
    generic network step costs. Benchmark only; the library always runs ``net_step``."""
    h, hn, x = np.zeros(5), np.zeros(5), np.zeros(4)
    start = (s0[0], s0[1], s0[2], s0[3], s0[4], s0[5])
    s, failures = start, 0
    for _ in range(steps):
        x[0], x[1], x[2], x[3] = s[0] / K.X_SCALE, s[2] / K.A_SCALE, s[4] / K.A_SCALE, 1.0
        for i in range(5):
            u = 0.0
            for j in range(4):
                u += w[i * 4 + j] * x[j]
            v = 0.0
            for j in range(5):
                v += w[20 + i * 5 + j] * h[j]
            hn[i] = 1.0 / (1.0 + math.exp(-(u + v)))
        h[:] = hn
        s = K.control_step(K.force_of(h[0], 0.0), s, True, False)
        if not (abs(s[0]) <= K.X_LIMIT and abs(s[2]) <= K.ANGLE_LIMIT_DOUBLE and abs(s[4]) <= K.ANGLE_LIMIT_DOUBLE):
            failures += 1
            s = start
            h[:] = 0.0
    return failures


def run_hand_written(problem: PoleBalance, W: np.ndarray, steps: int) -> tuple[float, int]:
    t0 = CLOCK()
    failures = sum(_hand_written(w, problem.start[0], steps) for w in W)
    return (CLOCK() - t0) / (W.shape[0] * steps) * 1e9, failures


def run_numba(problem: PoleBalance, net, W: np.ndarray, steps: int) -> tuple[float, int]:
    t0 = CLOCK()
    done, _, failures = problem.run(net, W, problem.start, steps, restart=True)
    dt = CLOCK() - t0
    return dt / done.sum() * 1e9, int(failures.sum())


def pick_weights(net, seed: int, n: int = 2000) -> np.ndarray:
    """The best of ``n`` random chromosomes (normal(0, 1), seeded) at balancing 1,000 steps.

    A controller that balances for a while keeps the states (and so the trigonometry) realistic.
    """
    W = np.random.default_rng(seed).normal(0.0, 1.0, (n, net.n_params))
    problem = PoleBalance(poles=2, velocities=False)
    steps = problem.run(net, W, problem.start, 1000)[0][:, 0]
    return W[int(np.argmax(steps))]


# A 5-unit frnn (45 weights) that solves the non-Markov task (damping fitness: 100,000 steps, then
# 282 of the 625 generalization starts): evornn.optimise("cosyne", "pole-balance", arch="frnn",
# net={"n_hidden": 5, "bias": False, "activation": "sigmoid"}, problem_params={"poles": 2,
# "velocities": False, "fitness": "damping"}, settings of configs/cosyne-pole-nonmarkov.toml, seed=1;
# 7,420 evaluations. Kept here so that the benchmark does not depend on the optimiser.
SOLVED = np.array([
    -7.38127294138288, -33.40788751257476, 23.567111878345237, -2.5652008602892407, 13.410318895806425,
    -0.8129833885398807, -13.18190989834026, -0.9766557030372938, 6.775649469711075, -8.896999134109711,
    2.1188960993783867, 17.123265070255172, -4.251603348844447, 11.167526892681074, 13.102879807749865,
    2.545528174695059, 0.3577531379746075, -11.028565647924498, 0.21405670303811064, 6.5383216389888865,
    -5.485810172658207, -10.938334256890412, 4.854167442519201, -5.439826394281061, 4.516289094647794,
    -9.979385007410038, 4.668125617768088, -14.923629767841579, 1.2265885897587658, -12.94067176045509,
    -3.715951073239257, 2.3030135994048337, 0.8989472364768439, -8.069760579218347, -19.22181577312493,
    -17.996581075507, -1.7418136743763677, -3.3371378038880994, -5.075908281354586, -14.149687185244481,
    18.861390763205538, -4.135856623555951, -0.06982056013883142, -4.2413464143245765, 28.533632704474464])


def population_weights(P: int, sigma: float, seed: int) -> np.ndarray:
    """P networks: the solved controller plus normal(0, sigma) noise (seeded)."""
    return SOLVED + np.random.default_rng(seed).normal(0.0, sigma, (P, SOLVED.shape[0]))


def run_c_population(exe: Path, wfile: Path, P: int, max_steps: int, window: int, reps: int, threads: int,
                     angle: float, schedule: str = "dynamic") -> tuple[float, np.ndarray, np.ndarray]:
    """Seconds for ``reps`` evaluations of the population in C; steps and window sums (P,)."""
    out = subprocess.run([str(exe), str(wfile), str(P), str(max_steps), str(window), str(reps), str(threads),
                          repr(angle), schedule], check=True, capture_output=True, text=True).stdout.split("\n")
    rows = [line.split() for line in out[1:P + 1]]
    return float(out[0]), np.array([int(r[0]) for r in rows]), np.array([float(r[1]) for r in rows])


def run_numba_population(problem: PoleBalance, net, W: np.ndarray, max_steps: int, window: int,
                         reps: int) -> tuple[float, np.ndarray, np.ndarray]:
    """Seconds for ``reps`` evaluations of the population through ``PoleBalance.run``."""
    t0 = time.perf_counter()
    for _ in range(reps):
        steps, jiggle, _ = problem.run(net, W, problem.start, max_steps, window)
    return time.perf_counter() - t0, steps[:, 0], jiggle[:, 0]


def population(args, problem: PoleBalance, net) -> None:
    P, T, window, reps = args.pop, args.pop_steps, args.window, args.pop_reps
    numba.set_num_threads(args.threads)
    W = population_weights(P, args.sigma, args.seed)
    if args.ranked:                          # longest episodes first, as in a population sorted by fitness
        W = W[np.argsort(-problem.run(net, W, problem.start, T, window)[0][:, 0], kind="stable")]
    angle = math.radians(problem.start_angle)
    exe = compile_c("dpole_population", ("-fopenmp", "-ffp-contract=off"))
    wfile = BIN / "population_weights.txt"
    wfile.write_text("\n".join(repr(float(v)) for v in W.ravel()) + "\n")
    run_numba_population(problem, net, W[:2], 10, window, 1)      # compile or load the cached kernel

    best_c = best_nb = math.inf
    same_steps = same_jig = P
    for r in range(args.repeat):
        c_s, c_steps, c_jig = run_c_population(exe, wfile, P, T, window, reps, args.threads, angle, args.c_schedule)
        nb_s, nb_steps, nb_jig = run_numba_population(problem, net, W, T, window, reps)
        same_steps = min(same_steps, int(np.sum(c_steps == nb_steps)))
        same_jig = min(same_jig, int(np.sum(c_jig == nb_jig)))
        computed = int(np.sum(nb_steps + (nb_steps < T))) * reps     # network steps, failing ones included
        c_ns, nb_ns = c_s / computed * 1e9, nb_s / computed * 1e9
        best_c, best_nb = min(best_c, c_ns), min(best_nb, nb_ns)
        print(f"run {r + 1}: C {c_ns:6.1f}  evornn kernel {nb_ns:6.1f} ns/step   ratio {nb_ns / c_ns:.3f}"
              f"   ({c_s:.3f} s and {nb_s:.3f} s for {reps} x {P} episodes)")
    # what a static split (one contiguous block of networks per thread, as Numba's prange deals them
    # out) would give the busiest thread; evornn's threads take the networks one at a time instead
    work = nb_steps + (nb_steps < T)
    busiest = max(b.sum() for b in np.array_split(work, args.threads)) * args.threads / work.sum()
    print(f"episodes: mean {nb_steps.mean():.1f} steps, median {np.median(nb_steps):.0f}, "
          f"{int(np.sum(nb_steps >= T))}/{P} balanced all {T}; C and evornn agree on the steps of "
          f"{same_steps}/{P} networks and the window sums of {same_jig}/{P} (every run); a static split into "
          f"{args.threads} contiguous blocks would give the busiest thread {busiest:.3f} x an even share "
          f"of the steps")
    if same_steps != P:
        raise SystemExit("C and evornn disagree: the workloads are not the same")
    print(f"best of {args.repeat}: C {best_c:.1f} ns/step, evornn kernel {best_nb:.1f} ns/step, "
          f"kernel/C = {best_nb / best_c:.3f} (population {P} x up to {T} steps, window {window}, "
          f"{args.threads} threads, {reps} evaluations per timing)")


def single(args, problem: PoleBalance, net) -> None:
    numba.set_num_threads(1)
    w = pick_weights(net, args.seed)
    W = np.tile(w, (args.episodes, 1))
    angle = math.radians(problem.start_angle)
    exe = compile_c()
    exe_nofma = compile_c("dpole_limit", ("-ffp-contract=off",), "dpole_limit_nofma")
    wfile = BIN / "weights.txt"
    wfile.write_text("\n".join(repr(float(v)) for v in w) + "\n")
    run_numba(problem, net, W[:1], 10)             # compile or load the cached kernels
    run_hand_written(problem, W[:1], 10)

    best_c = best_nb = best_hw = best_nf = math.inf
    ratios = []
    for r in range(args.repeat):
        c_ns, c_fail = run_c(exe, wfile, args.steps, args.episodes, angle)
        nb_ns, nb_fail = run_numba(problem, net, W, args.steps)
        hw_ns, hw_fail = run_hand_written(problem, W, args.steps)
        nf_ns, nf_fail = run_c(exe_nofma, wfile, args.steps, args.episodes, angle)
        best_c, best_nb, best_hw, best_nf = min(best_c, c_ns), min(best_nb, nb_ns), min(best_hw, hw_ns), min(best_nf, nf_ns)
        ratios.append(nb_ns / c_ns)
        print(f"run {r + 1}: C {c_ns:6.1f}  evornn kernel {nb_ns:6.1f}  hand-written net {hw_ns:6.1f}  "
              f"C without FMA {nf_ns:6.1f} ns/step   ratio {nb_ns / c_ns:.3f}   failures C {c_fail} kernel {nb_fail} "
              f"hand {hw_fail} C without FMA {nf_fail}")
    print(f"best of {args.repeat}: C {best_c:.1f} ns/step, evornn kernel {best_nb:.1f} ns/step, "
          f"kernel/C = {best_nb / best_c:.3f} (median of the runs' ratios {np.median(ratios):.3f}); same physics "
          f"with a hand-written net {best_hw:.1f} ns/step = {best_hw / best_c:.3f} x C; C compiled without FMA "
          f"(-ffp-contract=off: the same arithmetic as evornn, which never fuses) {best_nf:.1f} ns/step, "
          f"kernel/that = {best_nb / best_nf:.3f} ({args.episodes} x {args.steps} steps, 1 thread)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=100_000, help="single network: steps per episode")
    ap.add_argument("--episodes", type=int, default=20, help="single network: episodes")
    ap.add_argument("--repeat", type=int, default=5, help="timings of each, the best counts")
    ap.add_argument("--seed", type=int, default=1, help="seed of the fixed random weights")
    which = ap.add_mutually_exclusive_group()
    which.add_argument("--population", action="store_true", help="only the population workload")
    which.add_argument("--single", action="store_true", help="only the single-network workload")
    ap.add_argument("--pop", type=int, default=256, help="population: networks")
    ap.add_argument("--pop-steps", type=int, default=1000, help="population: steps per episode at most")
    ap.add_argument("--pop-reps", type=int, default=20, help="population: evaluations per timing")
    ap.add_argument("--window", type=int, default=100, help="population: damping window (0: none)")
    ap.add_argument("--threads", type=int, default=2, help="population: threads (Numba and OpenMP)")
    ap.add_argument("--sigma", type=float, default=1.0, help="population: weight noise around the solved net")
    ap.add_argument("--ranked", action="store_true", help="population: longest episodes first (a ranked population)")
    ap.add_argument("--c-schedule", choices=("dynamic", "static"), default="dynamic",
                    help="population: the C program's OpenMP schedule (static: one contiguous block per thread)")
    ap.add_argument("--cpu-time", action="store_true",
                    help="single network: CPU time instead of wall time (C and evornn), for a machine shared "
                         "with other jobs; the median of the runs' ratios is then the figure to read")
    args = ap.parse_args()
    if args.cpu_time:
        global CLOCK
        CLOCK = time.process_time

    problem = PoleBalance(poles=2, velocities=False, fitness="standard")
    net = evornn.build("frnn", problem.n_inputs, 1, n_hidden=5, activation="sigmoid", bias=False)
    if not args.population:
        print("single network, restart on failure, 1 thread")
        single(args, problem, net)
    if not args.single:
        print("population, one episode each, ends at failure")
        population(args, problem, net)


if __name__ == "__main__":
    main()
