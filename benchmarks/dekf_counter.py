"""How a DEKF-trained LSTM of benchmarks/bench_dekf.py counts on a^n b^n c^n (issue 23).

Retrains one run of a bench_dekf method (compact coding, stopping when the 10 training strings are
right, as the benchmark's default) and follows its two memory cells with NumPy, written from the
equations of evornn.nets.cells.lstm (the squashing options included): the cell states at the end of
each block of S a^n b^n c^n and the smallest and largest change of each cell per a, b and c, for a
few n; then the largest n generalised (test n <= 1,000, or --check's N). A script, not a test: it
prints measured figures; networks of 2 memory blocks only.

Run: ``python benchmarks/dekf_counter.py "dekf lstm-2 peephole shortcut global u0.1 g=sigmoid2" 0``.
``--presentations K`` trains for K sequence presentations instead (no stop) and follows the weights
after them: the network a ``--test-every`` run of bench_dekf tests at K (``--kept``: the network
the run keeps, the one with the best training fitness, bench_dekf's final network). ``--check N``
runs every string n = 1..N through the NumPy network too (outputs thresholded at 0.5 against the
legal next symbols) and prints the first n it gets wrong: the largest n without evornn's kernels.
"""
import argparse
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import numpy as np
import evornn
import bench_dekf as b
from evornn.problems.registry import make_problem

ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ap.add_argument("method")
ap.add_argument("seed", type=int)
ap.add_argument("--presentations", type=int, default=0,
                help="train this many presentations (no stop) and take the weights after them "
                     "(0: stop on the training strings)")
ap.add_argument("--kept", action="store_true",
                help="with --presentations: the network the run keeps (the best training fitness), "
                     "not the last weights")
ap.add_argument("--check", type=int, default=0, help="NumPy check of every string n = 1..this (0: off)")
ap.add_argument("--ns", default="10,50,100,200,265,266,300", help="the n whose block ends and steps are printed")
a = ap.parse_args()
method, seed = a.method, a.seed
b.CODING["coding"] = "compact"
opt, net, settings, init = b.parse_method(method)
net = dict(net)
arch = net.pop("arch")
problem = make_problem("anbncn", target_n=10, test_max_n=100, coding="compact")     # as bench_dekf.run
if init["r"] or init.get("ug") or settings.get("fixed"):
    problem = b.small_init(problem, init["r"], tuple(settings.get("fixed", ())), init.get("ug", 0.0))
runner = evornn.make_runner(opt, problem, arch, net={**net, "output_activation": "sigmoid"}, settings=settings,
                            stop={"max_evaluations": a.presentations or 200000, "solved": not a.presentations},
                            seed=seed)
res = runner.run()
w = np.array(runner.strategy.w, dtype=np.float64) if a.presentations and not a.kept else res.best_chromosome
nw = evornn.build(arch, 4, 4, **net, output_activation="sigmoid")
P = nw.unflatten(w)
W, U, bb = P["W_in"], P["W_rec"], P["b"]
pe = P["peep"] if "peep" in P else np.zeros((3, 2))
sig = lambda a: 1 / (1 + np.exp(-a))
SQ = {"tanh": np.tanh, "sigmoid2": lambda a: 4 * sig(a) - 2, "sigmoid1": lambda a: 2 * sig(a) - 1, "identity": lambda a: a}
G, Hs = SQ[net.get("cell_input", "tanh")], SQ[net.get("cell_output", "tanh")]
print("biases i f g o:", np.round(bb, 2).tolist(), "peep:", np.round(pe, 2).tolist())


def step(x, h, c):
    """One step for rows x (B, 4) one-hot over S a b c, h and c (B, 2): the new (c, h)."""
    i = sig(x @ W[0].T + h @ U[0].T + bb[0] + pe[0] * c)
    f = sig(x @ W[1].T + h @ U[1].T + bb[1] + pe[1] * c)
    c = f * c + i * G(x @ W[2].T + h @ U[2].T + bb[2])
    return c, sig(x @ W[3].T + h @ U[3].T + bb[3] + pe[2] * c) * Hs(c)


def follow(s: str):
    """The cells through string ``s``: per symbol (c before, c after)."""
    h, c = np.zeros((1, 2)), np.zeros((1, 2))
    for ch in s:
        cn, h = step(np.eye(4)[["Sabc".index(ch)]], h, c)
        yield c[0], cn[0]
        c = cn


for n in (int(v) for v in a.ns.split(",")):
    s = "S" + "a" * n + "b" * n + "c" * n
    ends, steps = {}, {ch: [] for ch in "abc"}
    for t, (c, cn) in enumerate(follow(s)):
        ch = s[t]
        if ch != "S":
            steps[ch].append(cn - c)
        if t + 1 == len(s) or s[t + 1] != ch:
            ends[ch] = np.round(cn, 3).tolist()
    rng = {ch: (np.round(np.min(v, 0), 3).tolist(), np.round(np.max(v, 0), 3).tolist()) for ch, v in steps.items()}
    print(f"n={n}: c at block ends {ends}; steps (min, max) per cell {rng}")
top = max(1000, a.check)
p = make_problem("anbncn", test_max_n=top, coding="compact")
print(f"max_n (evornn's test, n <= {top:,})",
      int(p.evaluate_test(nw, w[None]).metrics[0, p.metric_names.index("max_n")]))
if a.check:
    OW, Ob = P["out.W"], P["out.b"]
    shortcut = bool(net.get("readout_inputs"))
    ns = np.arange(1, a.check + 1)[:, None]                  # every string n = 1..N at once, one row each
    h, c = np.zeros((a.check, 2)), np.zeros((a.check, 2))
    right = np.ones(a.check, dtype=bool)
    for t in range(3 * a.check + 1):
        live = (t <= 3 * ns)[:, 0]
        k = np.where(t == 0, 0, np.where(t <= ns, 1, np.where(t <= 2 * ns, 2, 3)))[:, 0]   # S a b c
        x = np.eye(4)[k]
        c, h = step(x, h, c)
        y = sig((np.concatenate([h, x], 1) if shortcut else h) @ OW.T + Ob) > 0.5    # outputs a b c T
        last = (t == np.where(k == 2, 2 * ns[:, 0], 3 * ns[:, 0]))                     # last b / last c
        want = np.zeros((a.check, 4), dtype=bool)                                     # the legal next symbols
        want[k == 0, 0] = True
        want[k == 1, :2] = True
        want[(k == 2) & ~last, 1] = want[(k == 2) & last, 2] = True
        want[(k == 3) & ~last, 2] = want[(k == 3) & last, 3] = True
        right &= ~live | (y == want).all(1)
    wrong = np.flatnonzero(~right)
    print(f"NumPy check, n = 1..{a.check:,}:",
          f"first wrong n = {wrong[0] + 1}" if wrong.size else "every string right")
