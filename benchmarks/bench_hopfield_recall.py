"""Time of the hopfield-recall evaluation's parts (issue 20): the recall of a population by the
hopfield kernel (lanes engine) against the incremental-field recall (evornn.nets.hopfield_fields),
the stability term, and the whole evaluation; CPU and wall seconds per call (mean of 20), and a
check that both recalls give the same outputs.

    python benchmarks/bench_hopfield_recall.py N P

A population of 30 chromosomes from the problem's start (Hebbian weights plus 0.05 x rms noise,
problem seed 1000), one noisy training probe per pattern plus the patterns: 2P recalls each.
"""
import time, sys, numpy as np, evornn
from evornn.nets import associative as A, hopfield_fields as F
from evornn.problems.registry import make_problem
N, P = int(sys.argv[1]), int(sys.argv[2])
prob = make_problem("hopfield-recall", n_units=N, patterns=P, noise=0.1, probes=1, test_probes=10, seed=1000,
                    init="hebbian", margin=10.0, kappa=2.0, init_sigma=0.05)
net = evornn.build("hopfield", N, N, max_sweeps=100)
rng = np.random.default_rng(0)
W = prob.initial(net, rng, 30)
X = np.vstack([prob.probes, prob.patterns])
starts = np.arange(len(X) + 1)
F.recall_population(net, W, X); net.run_population(W, X, starts); prob.evaluate(net, W, None)
def t(f, n=20):
    t0 = time.process_time(); w0 = time.perf_counter()
    for _ in range(n): f()
    return (time.process_time() - t0) / n, (time.perf_counter() - w0) / n
print("old kernel (lanes)", t(lambda: net.run_population(W, X, starts)))
print("fields", t(lambda: F.recall_population(net, W, X)))
print("stability", t(lambda: A.stability(net, W, prob.patterns)))
print("evaluate (whole)", t(lambda: prob.evaluate(net, W, None)))
assert np.array_equal(F.recall_population(net, W, X), net.run_population(W, X, starts))
