"""Mackey-Glass chaotic time series prediction (Mackey & Glass 1977; Jaeger 2001; Jaeger & Haas 2004).

dy/dt = 0.2 y(t - tau) / (1 + y(t - tau)^10) - 0.1 y(t), tau = 17, integrated by Euler with step
0.1 from the constant history y(t) = y0 (default 1.2) for t <= 0, and sampled every 10 Euler
steps (one sample = one time unit); the network sees the squashed series s = tanh(y - 1).

Protocol (Jaeger 2001): the network gets s(t) and predicts s(t + 1). Training: one teacher-forced
sequence of ``n_train`` steps whose first ``washout`` states are not scored. Test: ``n_runs``
sequences from the part of the series after the training data, each ``test_forced`` teacher-forced
steps from the zero state and then free-running (the network's output is its next input) until
the value ``horizon`` = 84 time units after the last teacher-forced input; only that value is
scored, and NRMSE84 = sqrt(mean over runs of (s - s_hat)^2 / var(s)), var over the whole series.
On the training data ``nrmse`` is the one-step NRMSE (``fitness = "one-step"``, the default).

``fitness = "free"`` scores the networks on what the test measures, free-running prediction:
the training split becomes ``train_runs`` windows of the training part of the series (evenly
spaced), each ``washout`` teacher-forced steps from the zero state followed by free-running up
to ``horizon`` steps after the last forced input, every prediction 1..``horizon`` steps ahead
scored (``nrmse`` over them). A solved readout (``readout = "ridge"``, Evolino) is still fitted
on the one-step teacher-forced training sequence (``readout_data``): Evolino's two phases, the
readout from teacher-forced states and the fitness from the network's own generation
(Schmidhuber et al. 2007, Sec. 3).

Defaults keep an evaluation short: washout 100, n_train 1,000, test_forced 1,000, 10 runs whose
start points the seed draws. Jaeger's training: ``washout=1000, n_train=3000``. Published NRMSE84:
ESN with 400 units 2.8e-4 (3,000-step training); ESN with 1,000 units about 6e-5 (Jaeger & Haas
2004); Evolino-LSTM 1.9e-3, the default ``target_nrmse`` of "solved".
"""
from __future__ import annotations

import numpy as np

from evornn.seeding import generator

from .supervised import SequenceData, SequenceProblem, data_bytes

DESCRIPTION = "Mackey-Glass series (tau=17): next-step prediction, NRMSE 84 free-running steps ahead (Jaeger 2001)"
TRANSIENT = 1000     # samples of the system's own start-up dropped before any data is taken


def mackey_glass_series(n: int, tau: float = 17.0, dt: float = 0.1, subsample: int = 10,
                        y0: float = 1.2) -> np.ndarray:
    """Samples y(0), y(subsample*dt), ... (n of them) of the Mackey-Glass equation by Euler steps,
    from y(t) = y0 for t <= 0 (the delayed term reads y0 until t >= tau)."""
    d = int(round(tau / dt))
    hist = [float(y0)] * (d + 1)          # ring buffer: y_{k-d} .. y_k
    out = np.empty(int(n))
    y, head = float(y0), 0                 # head: index of y_{k-d} in hist
    for i in range(int(n)):
        out[i] = y
        for _ in range(subsample):
            yd = hist[head]
            y = y + dt * (0.2 * yd / (1.0 + yd ** 10) - 0.1 * y)
            hist[head] = y                 # y_{k+1} takes the place of y_{k-d}, now too old
            head = (head + 1) % (d + 1)
    return out


def squash(y: np.ndarray) -> np.ndarray:
    """The squashing of Jaeger (2001): tanh(y - 1)."""
    return np.tanh(y - 1.0)


def estimate_data_bytes(name: str, n_train: int, test_forced: int, horizon: int, n_runs: int,
                        fitness: str = "one-step", washout: int = 100, train_runs: int = 10, **_) -> int:
    """The memory guard's size of the data (:mod:`problems.registry`): the training sequence of
    ``n_train`` steps and ``n_runs`` test runs of test_forced + horizon - 1 steps (the series they
    are cut from is not kept); with ``fitness = "free"`` also ``train_runs`` windows of
    washout + horizon - 1 steps."""
    n_runs, run_len = int(n_runs), int(test_forced) + int(horizon) - 1
    out = data_bytes(n_train, 1, 1, 1) + data_bytes(n_runs * run_len, n_runs, 1, 1)
    if fitness == "free":
        out += data_bytes(int(train_runs) * (int(washout) + int(horizon) - 1), int(train_runs), 1, 1)
    return out


def make(name: str = "mackey-glass", washout: int = 100, n_train: int = 1000, test_forced: int = 1000,
         horizon: int = 84, n_runs: int = 10, tau: float = 17.0, y0: float = 1.2,
         tolerance: float = 0.01, target_nrmse: float = 1.9e-3, fitness: str = "one-step", train_runs: int = 10,
         seed: int = 0) -> SequenceProblem:
    """The Mackey-Glass problem; ``tolerance``: |error| under which a training step counts as learnt."""
    washout, n_train, test_forced, horizon, n_runs = map(int, (washout, n_train, test_forced, horizon, n_runs))
    train_runs = int(train_runs)
    if not (0 <= washout < n_train and test_forced >= 1 and horizon >= 1 and n_runs >= 1 and tau > 0):
        raise ValueError(f"problem {name}: need 0 <= washout < n_train, test_forced, horizon, n_runs >= 1 "
                         f"and tau > 0, got {washout}, {n_train}, {test_forced}, {horizon}, {n_runs}, {tau}")
    if fitness not in ("one-step", "free"):
        raise ValueError(f"problem {name}: fitness must be 'one-step' or 'free', got {fitness!r}")
    if fitness == "free" and not (washout >= 1 and train_runs >= 1 and washout + horizon - 1 <= n_train):
        raise ValueError(f"problem {name}: fitness 'free' needs washout >= 1, train_runs >= 1 and "
                         f"washout + horizon - 1 <= n_train, got {washout}, {train_runs}, {horizon}, {n_train}")
    run_len = test_forced + horizon - 1                  # steps of one test run
    span = 4 * n_runs * (run_len + 1)                    # the test part of the series
    s = mackey_glass_series(TRANSIENT + n_train + 1 + span, tau=tau, y0=y0)
    np.tanh(np.subtract(s, 1.0, out=s), out=s)           # squash(s), in place: no copies of the series
    s = s[TRANSIENT:]
    var = float(np.var(s))
    one_step = SequenceData.from_sequences([s[:n_train]], [s[1:n_train + 1]], washout=washout, target_var=var)
    train = one_step if fitness == "one-step" else free_windows(s, n_train, washout, horizon, train_runs, var)
    first = n_train + 1
    starts = np.sort(generator(seed, 1).integers(first, first + span - run_len, n_runs))
    xs, ys = [], []
    for a in starts:
        y = np.full(run_len, np.nan)
        y[-1] = s[a + run_len]                           # horizon steps after the last forced input
        xs.append(s[a:a + run_len])
        ys.append(y)
    test = SequenceData.from_sequences(xs, ys, free_from=[test_forced] * n_runs, target_var=var)
    return SequenceProblem(
        name, train, test, readout_data=one_step, tolerance=tolerance, measures=("nrmse",), feedback=([0], [0]),
        solved_when=(("nrmse", "<=", target_nrmse),), causal=True, description=DESCRIPTION,
        solved_description=f"test NRMSE{horizon} <= {target_nrmse:g} (averaged over {n_runs} runs)",
        output_activation="linear", default_net={"arch": "elman", "n_hidden": 10, "activation": "tanh"},
        params={"washout": washout, "n_train": n_train, "test_forced": test_forced, "horizon": horizon,
                "n_runs": n_runs, "tau": float(tau), "y0": float(y0), "tolerance": float(tolerance),
                "target_nrmse": float(target_nrmse), "fitness": fitness, "train_runs": train_runs,
                "seed": int(seed)})


def free_windows(s: np.ndarray, n_train: int, forced: int, horizon: int, runs: int, var: float) -> SequenceData:
    """``runs`` evenly spaced windows of s[0 : n_train + 1]: ``forced`` teacher-forced inputs, then
    free-running; scored: the predictions 1..``horizon`` steps after the last forced input."""
    run_len = forced + horizon - 1
    starts = np.linspace(0, n_train - run_len, runs).round().astype(int)
    xs = [s[a:a + run_len] for a in starts]
    ys = [s[a + 1:a + run_len + 1] for a in starts]
    return SequenceData.from_sequences(xs, ys, washout=forced - 1, free_from=[forced] * runs, target_var=var)
