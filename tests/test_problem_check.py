"""The problem checker: every registered problem passes it, and it catches each kind of fault."""
import numpy as np
import pytest

from evornn.problem import EvalResult, Problem
from evornn.problems import registry
from evornn.problems.check import check_problem


def _params(name, tmp_path) -> dict:
    """Parameters for problems that cannot be made without data (a user's series)."""
    if name == "timeseries":
        path = tmp_path / "series.csv"
        path.write_text("value\n" + "\n".join(f"{np.sin(0.3 * t):.6f}" for t in range(200)) + "\n")
        return {"path": str(path)}
    return {}


@pytest.mark.parametrize("name", registry.available())
def test_every_registered_problem_passes(name, tmp_path):
    arch = "seq2seq" if name in ("copy-seq", "reverse-seq") else "elman"     # transduction needs an encoder-decoder
    check_problem(registry.make_problem(name, **_params(name, tmp_path)), arch=arch)


class Toy(Problem):
    """A correct toy problem: fitness = -|w|^2, NaN/Inf chromosomes get -1e300."""

    name = "toy"
    n_inputs, n_outputs, episode_length = 2, 1, 1
    metric_names = ("norm",)
    solved_description = "never"

    def evaluate(self, net, W, seeds):
        self.check_network(net)
        W = np.asarray(W, dtype=np.float64)
        if W.ndim != 2 or W.shape[1] != net.n_params:
            raise ValueError(f"need (P, {net.n_params})")
        norm = np.sum(W * W, axis=1)
        fit = np.where(np.isfinite(norm), -norm, -1e300)
        return EvalResult(fit, fit[:, None].copy())


class Noisy(Toy):
    def evaluate(self, net, W, seeds):
        r = super().evaluate(net, W, seeds)
        return EvalResult(r.fitness + np.random.default_rng().normal(size=len(r.fitness)), r.metrics)


class Coupled(Toy):
    def evaluate(self, net, W, seeds):
        r = super().evaluate(net, W, seeds)
        return EvalResult(r.fitness - r.fitness.mean(), r.metrics)


class NaNFit(Toy):
    def evaluate(self, net, W, seeds):
        r = super().evaluate(net, W, seeds)
        return EvalResult(np.where(r.fitness == -1e300, np.nan, r.fitness), r.metrics)


class WideMetrics(Toy):
    def evaluate(self, net, W, seeds):
        r = super().evaluate(net, W, seeds)
        return EvalResult(r.fitness, np.hstack([r.metrics, r.metrics]))


class Lenient(Toy):
    def evaluate(self, net, W, seeds):               # checks neither the network nor W's shape
        fit = np.nan_to_num(-np.sum(np.asarray(W, dtype=np.float64) ** 2, axis=1), nan=-1e300, neginf=-1e300)
        return EvalResult(fit, fit[:, None].copy())


class NoInputs(Toy):
    n_inputs = 0


class NoMetrics(Toy):
    metric_names = ()


class Crashes(Toy):
    def evaluate(self, net, W, seeds):
        raise RuntimeError("boom")


def test_correct_toy_passes():
    check_problem(Toy())


@pytest.mark.parametrize("cls,match", [
    (Noisy, "not deterministic"), (Coupled, "not independent"), (NaNFit, "finite"),
    (WideMetrics, "metrics must be"), (Lenient, "must raise ValueError"), (NoInputs, "n_inputs"),
    (NoMetrics, "metric_names"), (Crashes, "RuntimeError: boom"),
])
def test_checker_catches(cls, match):
    with pytest.raises(AssertionError, match=match) as e:
        check_problem(cls())
    assert str(e.value).startswith("check_problem(toy)")
