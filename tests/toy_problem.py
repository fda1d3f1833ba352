"""A tiny supervised problem for optimiser and runner tests: fit a short target sequence."""
import numpy as np

from evornn.problem import EvalResult, Problem, SolvedCheck


class ToyProblem(Problem):
    name = "toy"
    description = "fit sin over 12 steps from a ramp input"
    n_inputs = 2
    n_outputs = 1
    episode_length = 12
    solved_description = "MSE below 1e-3"
    metric_names = ("mse", "learnt")
    default_net = {"arch": "elman", "n_hidden": 3}

    def __init__(self, noise: bool = False):
        t = np.arange(12)
        self.X = np.stack([t / 12.0, np.ones(12)], axis=1)
        self.Y = 0.5 * np.sin(t / 2.0)
        self.noise = noise

    def evaluate(self, net, W, seeds):
        out = net.run_population(W, self.X)[:, :, 0]
        target = np.broadcast_to(self.Y, out.shape).copy()
        if self.noise:   # evaluation randomness drawn from the per-individual seed only
            target += np.array([np.random.default_rng(int(s)).normal(0, 1e-3) for s in seeds])[:, None]
        err = out - target
        mse = np.mean(err ** 2, axis=1)
        learnt = np.mean(np.abs(err) < 0.05, axis=1)
        fit = np.where(np.isfinite(mse), 1.0 / (mse + 1e-12), 0.0)
        return EvalResult(fit, np.stack([mse, learnt], axis=1))

    def check_solved(self, net, w, row, seed):
        return SolvedCheck(bool(row[0] < 1e-3), 0, {"mse": float(row[0])})


class DelayProblem(Problem):
    """Reproduce the input of the previous step (needs memory); fitness = -MSE."""

    name = "delay"
    n_inputs, n_outputs, episode_length = 1, 1, 12
    metric_names = ("mse",)

    def __init__(self):
        self.X = np.sin(np.arange(12) * 1.3)[:, None]
        self.Y = np.concatenate([[0.0], self.X[:-1, 0]])[:, None]

    def evaluate(self, net, W, seeds):
        out = net.run_population(W, self.X)
        mse = np.mean((out - self.Y[None]) ** 2, axis=(1, 2))
        return EvalResult(-mse, mse[:, None])


class GatedProblem(ToyProblem):
    """ToyProblem whose evaluations wait until the file ``gate`` exists (at most ``limit`` seconds):
    a test holds a generation open until it has done what it wants (killed an actor, say), so the
    outcome does not depend on how fast a busy machine computes."""

    def __init__(self, gate: str, limit: float = 300.0):
        super().__init__(noise=True)
        self.gate, self.limit = gate, limit

    def evaluate(self, net, W, seeds):
        import os
        import time
        t = time.monotonic()
        while not os.path.exists(self.gate):
            if time.monotonic() - t > self.limit:
                raise TimeoutError(f"gate {self.gate} not opened within {self.limit} s")
            time.sleep(0.005)
        return super().evaluate(net, W, seeds)
