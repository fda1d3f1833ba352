"""Nanoseconds per network step of evornn's pole-balancing kernel next to plain C.

The workload (../shared/bench/README.md): double pole without velocities, a fully recurrent net of
5 sigmoid units (evornn's ``frnn``, no bias parameters) with inputs x/4.8, theta1/0.52,
theta2/0.52 and a bias input 1.0, unit 0 as the output; restart on failure; 20 episodes of
100,000 network steps; one thread. The C program (benchmarks/dpole_limit.c) is compiled here with
``gcc -O3 -march=native`` into benchmarks/bin/ and both run in this invocation on the same
weights; each repeat times C, the evornn kernel (``PoleBalance.run`` with restarts, i.e.
``run_episodes`` -> ``episode``, compiled for the frnn cell: ``srn.step`` + ``control_step``)
and, to show where the time goes, the same physics loop with the network written out by hand
(sizes known at compile time, as in C); the best of each is compared.
Equal failure counts show that all three computed the same trajectories.

    python benchmarks/bench_pole.py [--steps 100000] [--episodes 20] [--repeat 5]
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


def compile_c() -> Path:
    BIN.mkdir(exist_ok=True)
    exe = BIN / "dpole_limit"
    cmd = ["gcc", "-O3", "-march=native", "-o", str(exe), str(HERE / "dpole_limit.c"), "-lm"]
    subprocess.run(cmd, check=True)
    return exe


def run_c(exe: Path, wfile: Path, steps: int, episodes: int, angle: float) -> tuple[float, int]:
    out = subprocess.run([str(exe), str(wfile), str(steps), str(episodes), repr(angle)],
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
    t0 = time.perf_counter()
    failures = sum(_hand_written(w, problem.start[0], steps) for w in W)
    return (time.perf_counter() - t0) / (W.shape[0] * steps) * 1e9, failures


def run_numba(problem: PoleBalance, net, W: np.ndarray, steps: int) -> tuple[float, int]:
    t0 = time.perf_counter()
    done, _, failures = problem.run(net, W, problem.start, steps, restart=True)
    dt = time.perf_counter() - t0
    return dt / done.sum() * 1e9, int(failures.sum())


def pick_weights(net, seed: int, n: int = 2000) -> np.ndarray:
    """The best of ``n`` random chromosomes (normal(0, 1), seeded) at balancing 1,000 steps.

    A controller that balances for a while keeps the states (and so the trigonometry) realistic.
    """
    W = np.random.default_rng(seed).normal(0.0, 1.0, (n, net.n_params))
    problem = PoleBalance(poles=2, velocities=False)
    steps = problem.run(net, W, problem.start, 1000)[0][:, 0]
    return W[int(np.argmax(steps))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=100_000)
    ap.add_argument("--episodes", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1, help="seed of the fixed random weights")
    args = ap.parse_args()

    numba.set_num_threads(1)
    problem = PoleBalance(poles=2, velocities=False, fitness="standard")
    net = evornn.build("frnn", problem.n_inputs, 1, n_hidden=5, activation="sigmoid", bias=False)
    w = pick_weights(net, args.seed)
    W = np.tile(w, (args.episodes, 1))
    angle = math.radians(problem.start_angle)
    exe = compile_c()
    wfile = BIN / "weights.txt"
    wfile.write_text("\n".join(repr(float(v)) for v in w) + "\n")
    run_numba(problem, net, W[:1], 10)             # compile or load the cached kernels
    run_hand_written(problem, W[:1], 10)

    best_c = best_nb = best_hw = math.inf
    for r in range(args.repeat):
        c_ns, c_fail = run_c(exe, wfile, args.steps, args.episodes, angle)
        nb_ns, nb_fail = run_numba(problem, net, W, args.steps)
        hw_ns, hw_fail = run_hand_written(problem, W, args.steps)
        best_c, best_nb, best_hw = min(best_c, c_ns), min(best_nb, nb_ns), min(best_hw, hw_ns)
        print(f"run {r + 1}: C {c_ns:6.1f}  evornn kernel {nb_ns:6.1f}  hand-written net {hw_ns:6.1f} ns/step"
              f"   ratio {nb_ns / c_ns:.3f}   failures C {c_fail} kernel {nb_fail} hand {hw_fail}")
    print(f"best of {args.repeat}: C {best_c:.1f} ns/step, evornn kernel {best_nb:.1f} ns/step, "
          f"kernel/C = {best_nb / best_c:.3f}; same physics with a hand-written net {best_hw:.1f} ns/step "
          f"= {best_hw / best_c:.3f} x C ({args.episodes} x {args.steps} steps, 1 thread)")


if __name__ == "__main__":
    main()
