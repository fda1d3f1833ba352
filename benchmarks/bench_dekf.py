"""DEKF against BPTT and evolution (CoSyNE, CMA-ES) on the counting language a^n b^n c^n (issue 23).

Gers, Perez-Ortiz & Schmidhuber (ICANN 2002) trained LSTM with the decoupled extended Kalman filter
on the 10 shortest strings (n <= 10) and report "values of n up to 1000 and more" (abstract);
gradient-trained LSTM (Gers & Schmidhuber 2001, IEEE TNN 12(6)) generalised much less (its exact
figure is not checked here). Here each method trains on n = 1..10 (``anbncn``, targets the
sets of legal next symbols, sigmoid outputs) until the test strings n = 1..20 are all right
("solved", ``--target-n``, default 20) or the budget of sequence presentations is spent; the table gives the
largest n generalised (``max_n`` of the final network on the test strings n = 1..--test-n), the
runs solved, and the sequences presented until solved (evolution: evaluations x 10 strings).

DEKF uses the global filter (one group) and the neuron decoupling; BPTT (Adam, evornn's
defaults) and evolution use the same LSTM (2 memory cells, sigmoid outputs; without peepholes
unless the method's name says so: Gers & Schmidhuber's counting LSTM had them).

Run: ``python benchmarks/bench_dekf.py --seeds 10 --budget 200000`` (the full version); smaller
``--seeds`` and ``--budget`` for a quick one. A script, not a test: it prints measured figures.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import evornn
from evornn.nets import build
from evornn.problems.registry import make_problem

N_TRAIN = 10      # strings n = 1..10, one epoch = 10 presentations

METHODS = {       # name -> (optimiser, architecture options, settings)
    "dekf lstm-2 global": ("dekf", {"arch": "lstm", "n_hidden": 2}, {"decoupling": "global"}),
    "dekf lstm-2 neuron": ("dekf", {"arch": "lstm", "n_hidden": 2}, {"decoupling": "neuron"}),
    "dekf lstm-2 peephole global": ("dekf", {"arch": "lstm", "n_hidden": 2, "peephole": True}, {"decoupling": "global"}),
    "bptt lstm-2": ("bptt", {"arch": "lstm", "n_hidden": 2}, {}),
    "bptt lstm-2 peephole": ("bptt", {"arch": "lstm", "n_hidden": 2, "peephole": True}, {}),
    "cosyne lstm-2": ("cosyne", {"arch": "lstm", "n_hidden": 2}, {}),
    "cmaes lstm-2": ("cmaes", {"arch": "lstm", "n_hidden": 2}, {}),
}


def run(method: str, seed: int, budget: int, test_n: int, target_n: int) -> tuple[int, bool, int, float]:
    opt, net, settings = METHODS[method]
    per_eval = 1 if opt in ("dekf", "bptt", "rtrl") else N_TRAIN     # presentations per counted evaluation
    net = dict(net)
    arch = net.pop("arch")
    t = time.time()
    res = evornn.optimise(opt, "anbncn", arch, net={**net, "output_activation": "sigmoid"}, settings=settings,
                          problem_params={"target_n": target_n, "test_max_n": max(100, target_n)},
                          stop={"max_evaluations": budget // per_eval, "solved": True}, seed=seed)
    p = make_problem("anbncn", test_max_n=test_n)
    netw = build(arch, p.n_inputs, p.n_outputs, **net, output_activation="sigmoid")
    max_n = int(p.evaluate_test(netw, res.best_chromosome[None]).metrics[0, p.metric_names.index("max_n")])
    return max_n, bool(res.solved), int(res.progress.evaluations) * per_eval, time.time() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--budget", type=int, default=200000, help="sequence presentations per run")
    ap.add_argument("--test-n", type=int, default=100, help="largest n of the test strings")
    ap.add_argument("--target-n", type=int, default=20, help="solved (and the run ends) when n = 1..this are right")
    ap.add_argument("--methods", default=",".join(METHODS))
    a = ap.parse_args()
    print(f"| method | seeds | solved (n <= {a.target_n}) | largest n generalised: median [min, max] | "
          f"sequences to success (median of solved) | s per run |")
    print("|---|---|---|---|---|---|")
    for m in a.methods.split(","):
        out = [run(m, s, a.budget, a.test_n, a.target_n) for s in range(a.seeds)]
        ns = np.array([o[0] for o in out])
        solved = [o[2] for o in out if o[1]]
        seq = f"{int(np.median(solved)):,}" if solved else "-"
        print(f"| {m} | {a.seeds} | {len(solved)}/{a.seeds} | {int(np.median(ns))} [{ns.min()}, {ns.max()}] | {seq} | "
              f"{np.mean([o[3] for o in out]):.0f} |", flush=True)


if __name__ == "__main__":
    main()
