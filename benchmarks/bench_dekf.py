"""DEKF against BPTT and evolution (CoSyNE, CMA-ES) on the counting language a^n b^n c^n (issue 23).

Gers, Perez-Ortiz & Schmidhuber (ICANN 2002) trained LSTM with the decoupled extended Kalman filter
on the 10 shortest strings (n <= 10) and report "values of n up to 1000 and more" (abstract);
gradient-trained LSTM (Gers & Schmidhuber 2001, IEEE TNN 12(6)) generalised much less (its exact
figure is not checked here). Here each method trains on n = 1..10 (``anbncn``: the network is reset
at the start of every string, the targets are the sets of legal next symbols, sigmoid outputs
thresholded at 0.5) until the test strings n = 1..``--target-n`` are all right ("solved") or the
budget of sequence presentations is spent. The default ``--target-n 10`` is the papers' stopping
criterion: stop as soon as the training strings are all right. The table gives the largest n
generalised (``max_n`` of the final network on the test strings n = 1..``--test-n``: every string
with n = 1..N right), median, min and max (the best run), the runs solved, and the sequences
presented until solved (evolution: evaluations x 10 strings).

The network is LSTM with forget gates, 2 memory cells (the papers' 2 blocks of 1 cell for
a^n b^n c^n), sigmoid outputs, peepholes where the name says so; "u0.1" starts every weight but
the gate biases uniform in [-0.1, 0.1] (the papers' range; evornn's default is uniform with the
fan-in scale) and the gate biases at the network's options (input 0, forget 1, output 0). DEKF:
global filter (one group) or neuron decoupling, P0 = 100 I, measurement noise R annealed 100 -> 3
and process noise Q 1e-2 -> 1e-6 (e-folding 1,000 updates), or Q from 0.1 with e-folding 5,000
updates where the name says "q0.1"; the full (RTRL) Jacobian, or the truncated LSTM gradient the
papers' LSTM used where it says "truncated". BPTT: Adam with evornn's defaults. Evolution: CoSyNE
and CMA-ES with their defaults.

``--coding compact`` gives the network 4 input and 4 output units (the papers', as far as we know) (in S a b c, out
a b c T; the default "full" codes all five symbols on both sides, two units never active);
``--dekf-settings`` (JSON) overrides settings of every DEKF method (e.g. ``'{"schedule": "linear",
"anneal": 100000}'``). "constant" holds R = 100 and Q = 1e-2 (no annealing: the filter keeps
learning when a run goes on past the training strings, ``--target-n`` above 10); "forget5" and
"forget10" start the forget gates' biases at 5 and 10 (f = 0.993 and 0.99995).

"shortcut" gives the readout the inputs too ([h; x]: lstm's ``readout_inputs``), the papers'
shortcut connections from the input units to the output units; "stagger" starts the gate biases
per memory block, input -1, -2, forget +1, +2, output -1, -2 (our reading of the papers' staggered
initialisation: the values are not checked against their text).

Run: ``python benchmarks/bench_dekf.py --seeds 10`` (the full version); smaller ``--seeds`` and
``--budget`` for a quick one; ``--first-seed`` splits the seeds over processes (each run's figures
go to stderr). CMA-ES on a busy machine: ``OPENBLAS_NUM_THREADS=1`` (BLAS threads fight Numba's).
A script, not a test: it prints measured figures.
"""
from __future__ import annotations

import argparse
import functools
import json
import sys
import time

import numpy as np

import evornn
from evornn.nets import build
from evornn.problems.registry import make_problem

N_TRAIN = 10      # strings n = 1..10, one epoch = 10 presentations
DEKF_EXTRA: dict = {}          # settings merged into every DEKF method's (--dekf-settings)
CODING = {"coding": "full"}     # the problem's coding (--coding): "full" (S a b c T) or "compact" (4 in, 4 out)

PEEP2 = {"arch": "lstm", "n_hidden": 2, "peephole": True}
SHORT2 = {**PEEP2, "readout_inputs": True}      # + the papers' shortcuts: the readout reads [h; x]
STAGGER = {"input": (-1.0, -2.0), "forget": (1.0, 2.0), "output": (-1.0, -2.0)}   # gate biases of blocks 1, 2
METHODS = {       # name -> (optimiser, architecture options, settings, initial weight range (0: evornn's))
    "dekf lstm-2 global": ("dekf", {"arch": "lstm", "n_hidden": 2}, {"decoupling": "global"}, 0.0),
    "dekf lstm-2 neuron": ("dekf", {"arch": "lstm", "n_hidden": 2}, {"decoupling": "neuron"}, 0.0),
    "dekf lstm-2 peephole global": ("dekf", PEEP2, {"decoupling": "global"}, 0.0),
    "dekf lstm-2 peephole global u0.1": ("dekf", PEEP2, {"decoupling": "global"}, 0.1),
    "dekf lstm-2 peephole neuron u0.1": ("dekf", PEEP2, {"decoupling": "neuron"}, 0.1),
    "dekf lstm-2 peephole global u0.1 truncated": ("dekf", PEEP2, {"decoupling": "global", "jacobian": "truncated"}, 0.1),
    "dekf lstm-2 peephole global u0.1 q0.1": ("dekf", PEEP2, {"decoupling": "global", "process_noise": 0.1,
                                                              "anneal": 5000.0}, 0.1),
    "dekf lstm-2 peephole global u0.1 q0.1 truncated": ("dekf", PEEP2, {"decoupling": "global", "process_noise": 0.1,
                                                                        "anneal": 5000.0, "jacobian": "truncated"}, 0.1),
    "dekf lstm-2 peephole global u0.1 constant": ("dekf", PEEP2, {"decoupling": "global", "measurement_noise_end": 100.0,
                                                                  "process_noise_end": 1e-2}, 0.1),
    "dekf lstm-2 peephole global u0.1 forget5": ("dekf", {**PEEP2, "forget_bias": 5.0}, {"decoupling": "global"}, 0.1),
    "dekf lstm-2 peephole global u0.1 forget10": ("dekf", {**PEEP2, "forget_bias": 10.0}, {"decoupling": "global"}, 0.1),
    "dekf lstm-2 peephole shortcut global u0.1": ("dekf", SHORT2, {"decoupling": "global"}, 0.1),
    "dekf lstm-2 peephole shortcut global u0.1 stagger": ("dekf", SHORT2, {"decoupling": "global"}, 0.1),
    "dekf lstm-2 peephole shortcut global u0.1 q0.1": ("dekf", SHORT2, {"decoupling": "global", "process_noise": 0.1,
                                                                       "anneal": 5000.0}, 0.1),
    "dekf lstm-2 peephole shortcut global u0.1 stagger q0.1": ("dekf", SHORT2, {"decoupling": "global",
                                                                               "process_noise": 0.1, "anneal": 5000.0}, 0.1),
    "dekf lstm-2 peephole shortcut neuron u0.1 stagger": ("dekf", SHORT2, {"decoupling": "neuron"}, 0.1),
    "dekf lstm-2 peephole shortcut global u0.1 stagger truncated": ("dekf", SHORT2, {"decoupling": "global",
                                                                                    "jacobian": "truncated"}, 0.1),
    "dekf lstm-2 peephole shortcut neuron u0.1": ("dekf", SHORT2, {"decoupling": "neuron"}, 0.1),
    "dekf lstm-2 peephole shortcut global u0.1 truncated": ("dekf", SHORT2, {"decoupling": "global",
                                                                            "jacobian": "truncated"}, 0.1),
    "dekf lstm-2 peephole shortcut neuron u0.1 truncated": ("dekf", SHORT2, {"decoupling": "neuron",
                                                                            "jacobian": "truncated"}, 0.1),
    "dekf lstm-2 shortcut global u0.1": ("dekf", {"arch": "lstm", "n_hidden": 2, "readout_inputs": True},
                                         {"decoupling": "global"}, 0.1),
    "bptt lstm-2 peephole shortcut u0.1": ("bptt", SHORT2, {}, 0.1),
    "bptt lstm-2 peephole shortcut u0.1 stagger": ("bptt", SHORT2, {}, 0.1),
    "bptt lstm-2": ("bptt", {"arch": "lstm", "n_hidden": 2}, {}, 0.0),
    "bptt lstm-2 peephole": ("bptt", PEEP2, {}, 0.0),
    "bptt lstm-2 peephole u0.1": ("bptt", PEEP2, {}, 0.1),
    "cosyne lstm-2": ("cosyne", {"arch": "lstm", "n_hidden": 2}, {}, 0.0),
    "cmaes lstm-2": ("cmaes", {"arch": "lstm", "n_hidden": 2}, {}, 0.0),
    "cosyne lstm-2 peephole": ("cosyne", PEEP2, {}, 0.0),
    "cmaes lstm-2 peephole": ("cmaes", PEEP2, {}, 0.0),
}
DEFAULT = ("dekf lstm-2 peephole global,dekf lstm-2 peephole global u0.1,dekf lstm-2 peephole neuron u0.1,"
           "dekf lstm-2 peephole global u0.1 truncated,dekf lstm-2 peephole global u0.1 q0.1,"
           "dekf lstm-2 peephole global u0.1 q0.1 truncated,bptt lstm-2 peephole,bptt lstm-2 peephole u0.1,"
           "cosyne lstm-2 peephole,cmaes lstm-2 peephole")


def small_init(problem, r: float, stagger: bool = False):
    """``problem`` starting every weight but the gate biases (block ``b``) uniform in [-r, r]; with
    ``stagger`` the input, forget and output gate biases of memory block k at STAGGER's k-th values
    (the cell-input bias at 0) instead of the network's options."""
    def initial(net, rng, n=None):
        W = np.atleast_2d(net.init(rng, n if n is not None else 1)).copy()
        off, shape = net.layout["b"]
        keep = W[:, off:off + int(np.prod(shape))].copy()
        if stagger:                       # b is (4, H), gate order i, f, g, o
            H = shape[1]
            for q, gate in ((0, "input"), (1, "forget"), (3, "output")):
                keep[:, q * H:(q + 1) * H] = STAGGER[gate][:H]
        W[:] = rng.uniform(-r, r, W.shape)
        W[:, off:off + keep.shape[1]] = keep
        return W if n is not None else W[0]
    problem.initial = initial
    return problem


@functools.lru_cache(maxsize=None)
def test_problem(test_n: int):
    """The test strings n = 1..test_n (built once: 1.5 million steps for n <= 1000)."""
    return make_problem("anbncn", test_max_n=test_n, **CODING)


def run(method: str, seed: int, budget: int, test_n: int, target_n: int) -> tuple[int, bool, int, float]:
    opt, net, settings, r = METHODS[method]
    if opt == "dekf":
        settings = {**settings, **DEKF_EXTRA}
    per_eval = 1 if opt in ("dekf", "bptt", "rtrl") else N_TRAIN     # presentations per counted evaluation
    net = dict(net)
    arch = net.pop("arch")
    t = time.time()
    problem = make_problem("anbncn", target_n=target_n, test_max_n=max(100, target_n), **CODING)
    if r:
        problem = small_init(problem, r, stagger="stagger" in method)
    res = evornn.optimise(opt, problem, arch, net={**net, "output_activation": "sigmoid"}, settings=settings,
                          stop={"max_evaluations": budget // per_eval, "solved": True}, seed=seed)
    p = test_problem(test_n)
    netw = build(arch, p.n_inputs, p.n_outputs, **net, output_activation="sigmoid")
    max_n = int(p.evaluate_test(netw, res.best_chromosome[None]).metrics[0, p.metric_names.index("max_n")])
    return max_n, bool(res.solved), int(res.progress.evaluations) * per_eval, time.time() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + seeds - 1")
    ap.add_argument("--budget", type=int, default=200000, help="sequence presentations per run")
    ap.add_argument("--test-n", type=int, default=1000, help="largest n of the test strings")
    ap.add_argument("--target-n", type=int, default=10,
                    help="solved (and the run ends) when n = 1..this are right (10: the training strings)")
    ap.add_argument("--coding", choices=("full", "compact"), default="full",
                    help="anbncn's coding: full (S a b c T in and out) or compact (in S a b c, out a b c T: the papers' 4 + 4)")
    ap.add_argument("--dekf-settings", default="{}",
                    help='JSON merged into every DEKF method\'s settings, e.g. \'{"anneal": 100000}\'')
    ap.add_argument("--methods", default=DEFAULT, help=f"comma-separated, of: {', '.join(METHODS)}")
    a = ap.parse_args()
    CODING["coding"] = a.coding
    DEKF_EXTRA.update(json.loads(a.dekf_settings))
    for m in a.methods.split(","):
        if m not in METHODS:
            ap.error(f"unknown method {m!r}; allowed: {', '.join(METHODS)}")
    print(f"| method | seeds | solved (n <= {a.target_n}) | largest n generalised (test n <= {a.test_n}): "
          f"median [min, max] | sequences to success: median [min, max] of solved | s per run |")
    print("|---|---|---|---|---|---|")
    for m in a.methods.split(","):
        out = []
        for s in range(a.first_seed, a.first_seed + a.seeds):
            out.append(run(m, s, a.budget, a.test_n, a.target_n))
            print(f"  {m} seed {s}: largest n {out[-1][0]}, solved {out[-1][1]}, {out[-1][2]:,} sequences",
                  file=sys.stderr, flush=True)
        ns = np.array([o[0] for o in out])
        solved = [o[2] for o in out if o[1]]
        seq = f"{int(np.median(solved)):,} [{min(solved):,}, {max(solved):,}]" if solved else "-"
        print(f"| {m} | {a.seeds} | {len(solved)}/{a.seeds} | {np.median(ns):g} [{ns.min()}, {ns.max()}] | {seq} | "
              f"{np.mean([o[3] for o in out]):.0f} |", flush=True)


if __name__ == "__main__":
    main()
