"""Liquid state machine against an echo state network of the same size (issue 23).

Both reservoirs have H units (default 135, Maass et al.'s 15 x 3 x 3 column; the LSM on that
grid with distance-dependent connections) and a linear readout fitted by ridge regression
(``esn-ridge``, evornn.grad.esn_ridge.fit_readout, ridge 1e-6 unless --ridge); per seed s the
reservoir is drawn with seed s and the problem's data with seed s. Tasks:

* ``spike-templates`` (answered at the end, and continuously): test accuracy;
* ``mackey-glass``: one-step NRMSE on the training series, NRMSE84 free-running on the test runs;
* NARMA-10 (Atiya & Parlos 2000; built here, inputs u ~ U[0, 0.5], y_t = 0.3 y_{t-1} + 0.05 y_{t-1}
  sum_{i=1..10} y_{t-i} + 1.5 u_{t-10} u_{t-1} + 0.1, 2,000 training and 2,000 test steps, 200
  washout): test NRMSE.

Published references beside them: Maass et al. (2002) classify jittered spike templates with a
135-unit liquid (their exact figure is not checked here);
Jaeger (2001) NRMSE84 for Mackey-Glass with 400 units 2.8e-4 (not comparable: 135 units, 1,000
training steps here); NARMA-10 figures of ESNs in the literature depend on size and protocol
(none checked here).

Run: ``python benchmarks/bench_lsm.py --seeds 10`` (the full version); ``--seeds 3`` for a quick one.
A script, not a test: it prints the measured figures, mean and standard deviation over the seeds.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import evornn
from evornn.grad.esn_ridge import fit_readout
from evornn.problems.registry import make_problem
from evornn.problems.supervised import supervised_problem
from evornn.seeding import generator


def narma10(T: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    u = rng.uniform(0.0, 0.5, T)
    y = np.zeros(T)
    for t in range(10, T):
        y[t] = 0.3 * y[t - 1] + 0.05 * y[t - 1] * y[t - 10:t].sum() + 1.5 * u[t - 10] * u[t - 1] + 0.1
    return u[:, None], y[:, None]


def problems(seed: int) -> dict:
    rng = generator(seed, 23)
    tr, te = narma10(2000, rng), narma10(2000, rng)
    return {
        "spike-templates (end)": (make_problem("spike-templates", seed=seed), "accuracy"),
        "spike-templates (continuous)": (make_problem("spike-templates", answer="continuous", seed=seed), "accuracy"),
        "mackey-glass": (make_problem("mackey-glass", seed=seed), "nrmse"),
        "narma-10": (supervised_problem([tr], [te], name="narma-10", washout=200, measures=("nrmse",)), "nrmse"),
    }


def nets(H: int, grid, seed: int, spikes: bool, n_in: int, n_out: int) -> dict:
    lsm = {"n_hidden": H, "seed": seed, "grid": grid}
    if spikes:
        lsm["input_mode"] = "spikes"
    return {"lsm": evornn.build("lsm", n_in, n_out, **lsm), "esn": evornn.build("esn", n_in, n_out, n_hidden=H, seed=seed)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--hidden", type=int, default=135)
    ap.add_argument("--ridge", type=float, default=1e-6)
    a = ap.parse_args()
    grid = [15, 3, 3] if a.hidden == 135 else None
    rows: dict[tuple[str, str, str], list[float]] = {}
    t0 = time.time()
    for s in range(a.seeds):
        for task, (p, measure) in problems(s).items():
            k = p.metric_names.index(measure)
            for name, net in nets(a.hidden, grid, s, task.startswith("spike"), p.n_inputs, p.n_outputs).items():
                w = fit_readout(net, p.train, a.ridge)
                train = p.evaluate(net, w[None]).metrics[0, k]
                test = p.evaluate_test(net, w[None]).metrics[0, k]
                rows.setdefault((task, name, "train"), []).append(float(train))
                rows.setdefault((task, name, "test"), []).append(float(test))
        print(f"seed {s} done ({time.time() - t0:.0f} s)", flush=True)
    print(f"\n{a.seeds} seeds, H = {a.hidden}, ridge {a.ridge:g}; mean +- sd\n")
    print(f"| task | measure | LSM train | LSM test | ESN train | ESN test |")
    print("|---|---|---|---|---|---|")
    for task, (p, measure) in problems(0).items():
        label = "accuracy" if measure == "accuracy" else ("NRMSE (train 1-step, test 84-step)" if task == "mackey-glass"
                                                           else "NRMSE")
        cells = []
        for name in ("lsm", "esn"):
            for split in ("train", "test"):
                v = np.array(rows[(task, name, split)])
                cells.append(f"{v.mean():.3g} +- {v.std():.2g}")
        print(f"| {task} | {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
