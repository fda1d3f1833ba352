"""How a DEKF-trained LSTM of benchmarks/bench_dekf.py counts on a^n b^n c^n (issue 23).

Retrains one run of a bench_dekf method (compact coding, stopping when the 10 training strings are
right, as the benchmark's default) and follows its two memory cells with NumPy, written from the
equations of evornn.nets.cells.lstm (the squashing options included): the cell states at the end of
each block of S a^n b^n c^n and the smallest and largest change of each cell per a, b and c, for a
few n; then the largest n generalised (test n <= 1,000). A script, not a test: it prints measured
figures; networks of 2 memory blocks only.

Run: ``python benchmarks/dekf_counter.py "dekf lstm-2 peephole shortcut global u0.1 g=sigmoid2" 0``.
"""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import numpy as np
import evornn
import bench_dekf as b
from evornn.problems.registry import make_problem

method, seed = sys.argv[1], int(sys.argv[2])
b.CODING["coding"] = "compact"
opt, net, settings, init = b.parse_method(method)
net = dict(net)
arch = net.pop("arch")
problem = make_problem("anbncn", target_n=10, test_max_n=100, coding="compact")     # as bench_dekf.run
if init["r"] or init.get("ug") or settings.get("fixed"):
    problem = b.small_init(problem, init["r"], tuple(settings.get("fixed", ())), init.get("ug", 0.0))
res = evornn.optimise(opt, problem, arch, net={**net, "output_activation": "sigmoid"}, settings=settings,
                      stop={"max_evaluations": 200000, "solved": True}, seed=seed)
nw = evornn.build(arch, 4, 4, **net, output_activation="sigmoid")
P = nw.unflatten(res.best_chromosome)
W, U, bb = P["W_in"], P["W_rec"], P["b"]
pe = P["peep"] if "peep" in P else np.zeros((3, 2))
sig = lambda a: 1 / (1 + np.exp(-a))
SQ = {"tanh": np.tanh, "sigmoid2": lambda a: 4 * sig(a) - 2, "sigmoid1": lambda a: 2 * sig(a) - 1, "identity": lambda a: a}
G, Hs = SQ[net.get("cell_input", "tanh")], SQ[net.get("cell_output", "tanh")]
print("biases i f g o:", np.round(bb, 2).tolist(), "peep:", np.round(pe, 2).tolist())
for n in (10, 50, 100, 200, 265, 266, 300):
    s = "S" + "a" * n + "b" * n + "c" * n
    h, c = np.zeros(2), np.zeros(2)
    ends, steps = {}, {ch: [] for ch in "abc"}
    for t, ch in enumerate(s):
        x = np.zeros(4); x["Sabc".index(ch)] = 1
        i = sig(W[0] @ x + U[0] @ h + bb[0] + pe[0] * c); f = sig(W[1] @ x + U[1] @ h + bb[1] + pe[1] * c)
        g = G(W[2] @ x + U[2] @ h + bb[2]); cn = f * c + i * g
        o = sig(W[3] @ x + U[3] @ h + bb[3] + pe[2] * cn)
        if ch != "S":
            steps[ch].append(cn - c)
        c = cn; h = o * Hs(c)
        if t + 1 == len(s) or s[t + 1] != ch:
            ends[ch] = np.round(c, 3).tolist()
    rng = {ch: (np.round(np.min(v, 0), 3).tolist(), np.round(np.max(v, 0), 3).tolist()) for ch, v in steps.items()}
    print(f"n={n}: c at block ends {ends}; steps (min, max) per cell {rng}")
p = make_problem("anbncn", test_max_n=1000, coding="compact")
print("max_n", p.evaluate_test(nw, res.best_chromosome[None]).metrics[0, p.metric_names.index("max_n")])
