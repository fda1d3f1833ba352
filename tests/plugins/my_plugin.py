"""A user's own problem, optimiser, cell and architecture, registered from outside evornn
(``[run] plugins = ["my_plugin"]``): one registration line each."""
import numpy as np

import my_cell
from evornn.nets import register as register_arch
from evornn.nets.cells import register as register_cell
from evornn.nets.registry import single_core
from evornn.optim.base import Strategy
from evornn.optim.registry import OPTIMISERS
from evornn.problem import EvalResult, Problem
from evornn.problems.registry import PROBLEMS


class MyTask(Problem):
    """Reproduce the previous input (needs memory); fitness = -MSE."""

    name = "my-task"
    description = "echo the previous input (a plugin's problem)"
    n_inputs, n_outputs, episode_length = 1, 1, 12
    metric_names = ("mse",)
    default_net = {"arch": "my-net", "n_hidden": 3}

    def __init__(self, length: int = 12):
        self.X = np.sin(np.arange(length) * 1.3)[:, None]
        self.Y = np.concatenate([[0.0], self.X[:-1, 0]])[:, None]

    def evaluate(self, net, W, seeds):
        out = net.run_population(W, self.X)
        mse = np.mean((out - self.Y[None]) ** 2, axis=(1, 2))
        return EvalResult(-mse, mse[:, None])


class HillClimber(Strategy):
    """(1 + population) hill climbing with Gaussian steps (a plugin's optimiser)."""

    name = "my-opt"
    description = "hill climber (a plugin's optimiser)"

    from dataclasses import dataclass as _dc

    @_dc(frozen=True)
    class Config:
        population: int = 8
        step: float = 0.3

    def ask(self):
        if self.best_x is None:
            return self.init(self.rng, self.config.population)
        return self.best_x + self.config.step * self.rng.standard_normal((self.config.population, self.n_params))

    def update(self, population, fitness):
        pass   # the best so far is all it keeps (tracked by tell)


register_cell(my_cell, "my-cell")
register_arch("my-net", "one my-cell core and a dense readout (a plugin's architecture)")(
    lambda n_inputs, n_outputs, n_hidden=3, output_activation="linear":
    single_core("my-cell", n_inputs, n_outputs, n_hidden, None, output_activation, "dense"))
PROBLEMS.register("my-task", MyTask, MyTask.description)
OPTIMISERS.register("my-opt", HillClimber)

# An entry whose optional dependency is missing: listed as unavailable, with the extra that brings it.
PROBLEMS.register("needs-fancy", "evornn_fancy_dep.tasks:make", "a problem of an uninstalled extra",
                  requires=("evornn_fancy_dep",), extra="fancy")
