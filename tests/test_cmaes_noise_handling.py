"""CMA-ES ``noise_handling = k``: UH-CMA-ES (Hansen et al. 2009) as pycma's fmin runs it, with
each sample's evaluations as rounds of asks and the re-evaluations as asks of their own."""
import hashlib

import numpy as np
import pytest

from evornn.optim.cmaes import CMAES, CMAESConfig, _import_cma
from test_cli import timeless


class Noisy:
    """A noisy sphere cost whose noise depends only on the point and how often it was evaluated,
    so two loops that evaluate the same points the same number of times see the same values
    whatever the order."""

    def __init__(self, scale: float):
        self.scale, self.seen = scale, {}

    def __call__(self, x) -> float:
        x = np.asarray(x, dtype=np.float64)
        key = x.tobytes()
        n = self.seen[key] = self.seen.get(key, 0) + 1
        h = int.from_bytes(hashlib.sha256(key + n.to_bytes(4, "little")).digest()[:8], "little")
        return float(np.sum(x * x) + self.scale * np.random.default_rng(h).standard_normal())


def drive(s: CMAES, cost: Noisy, asks: int) -> list[int]:
    """``asks`` asks of the strategy, told -cost of every row; the rows of each ask."""
    rows = []
    for _ in range(asks):
        pop = s.ask()
        rows.append(pop.shape[0])
        s.tell(pop, np.array([-cost(x) for x in pop]))
    return rows


def pycma_fmin_loop(n: int, seed: int, k: int, generations: int, cost: Noisy, exponent: float = 1.0):
    """pycma's own fmin loop with its NoiseHandler (fmin's order: ask, evaluate each sample
    nh.evaluations times and aggregate, tell, stop, then the handler re-evaluates and sets sigma)."""
    cma = _import_cma()
    saved = np.random.get_state()
    try:
        opts = {"seed": seed, "verbose": -9, "verb_disp": 0, "verb_log": 0, "CMA_diagonal": False,
                "tolflatfitness": 1}
        if exponent > 0:
            opts["tolfacupx"] = np.inf             # as fmin does when the handler changes sigma
        es = cma.CMAEvolutionStrategy(np.zeros(n), 1.0, opts)
        nh = cma.NoiseHandler(es.N, maxevals=k, aggregate=np.mean, epsilon=0)
        evaluations = []
        for _ in range(generations):
            X = es.ask()
            e = int(nh.evaluations)
            evaluations.append(e)
            fit = [float(np.mean([cost(x) for _ in range(e)])) for x in X]
            es.tell(X, fit)
            es.stop()
            es.sigma *= nh(X, fit, cost) ** exponent
        return np.array(es.mean), float(es.sigma), nh, evaluations
    finally:
        np.random.set_state(saved)


def until_measured(s: CMAES, cost: Noisy, generations: int) -> None:
    """Ask and tell until pycma has been told ``generations`` generations and the last one's
    re-evaluations are measured."""
    for _ in range(10_000):
        if s.es is not None and s.es.countiter == generations and s._phase == "sample" and s._round == 0:
            return
        drive(s, cost, 1)
    raise AssertionError(f"pycma was not told {generations} generations in a row (a restart?)")


@pytest.mark.parametrize("exponent", [1.0, 0.0])
def test_it_is_pycmas_noise_handler_driven_as_its_fmin_does(exponent):
    n, k, generations = 4, 3, 40
    s = CMAES(n, CMAESConfig(x0="zero", noise_handling=k, noise_change_sigma_exponent=exponent),
              np.random.default_rng(5))
    ours, theirs = Noisy(2.0), Noisy(2.0)
    until_measured(s, ours, generations)
    mean, sigma, nh, evaluations = pycma_fmin_loop(n, int(s.es.opts["seed"]), k, generations, theirs, exponent)
    assert max(evaluations) >= 2                   # the noise made it evaluate samples more than once
    assert ours.seen == theirs.seen                # the same points, each evaluated as often
    assert np.array_equal(s.es.mean, mean) and s.es.sigma == sigma
    assert (s.nh.evaluations, s.nh.noiseS) == (nh.evaluations, nh.noiseS)


def test_rounds_repeat_the_samples_and_the_reevaluations_follow():
    s = CMAES(4, CMAESConfig(x0="zero", noise_handling=3), np.random.default_rng(0))
    cost = Noisy(5.0)
    until_measured(s, cost, 30)
    assert s.nh.evaluations >= 2                   # noisy: two or more rounds a generation now
    rounds, lam = int(s.nh.evaluations), s.popsize
    first = s.ask()
    s.tell(first, np.array([-cost(x) for x in first]))
    for _ in range(rounds - 1):                    # the same samples, each round
        again = s.ask()
        assert np.array_equal(again, first)
        s.tell(again, np.array([-cost(x) for x in again]))
    assert s.es.countiter == 31 and s._phase == "reeval"
    reeval = s.ask()                               # a few of them, re-evaluated
    assert 2 <= reeval.shape[0] < lam and all(any(np.array_equal(r, x) for x in first) for r in reeval)


def test_without_noise_it_does_not_raise_the_evaluations():
    s = CMAES(4, CMAESConfig(x0="zero", noise_handling=4), np.random.default_rng(0))
    until_measured(s, Noisy(0.0), 30)
    assert s.nh.evaluations == 1 and s.nh.noiseS < 0


def test_a_checkpoint_between_rounds_resumes_bit_for_bit():
    config = CMAESConfig(x0="uniform", noise_handling=3, restart_after=5)
    s = CMAES(4, config, np.random.default_rng(3))
    cost = Noisy(5.0)
    drive(s, cost, 40)
    for _ in range(40):                            # on to inside a generation: a round told, more to come
        if s._phase == "sample" and s._round == 1:
            break
        drive(s, cost, 1)
    assert s._round == 1 and s._rounds >= 2 and s.restart_count >= 1
    arrays, meta = s.get_state()
    again = CMAES(4, config, np.random.default_rng(99))
    again.set_state(arrays, meta)
    assert (again._phase, again._round, again._rounds) == (s._phase, s._round, s._rounds)
    assert again.nh.noiseS == s.nh.noiseS
    for _ in range(12):                            # through the re-evaluations and on
        a, b = s.ask(), again.ask()
        assert np.array_equal(a, b)
        f = np.array([-cost(x) for x in a])
        s.tell(a, f)
        again.tell(b, f)
    assert np.array_equal(again.es.mean, s.es.mean) and again.sigma == s.sigma


@pytest.mark.parametrize("key, bad, rule", [("noise_handling", -1, "an integer >= 0"),
                                            ("noise_handling", 1.5, "an integer >= 0"),
                                            ("noise_handling", True, "an integer >= 0"),
                                            ("noise_change_sigma_exponent", -0.5, "a finite number >= 0"),
                                            ("noise_change_sigma_exponent", float("inf"), "a finite number >= 0")])
def test_a_bad_value_is_one_line(key, bad, rule):
    with pytest.raises(ValueError, match=rf"^cmaes.{key} must be {rule}") as e:
        CMAESConfig(**{key: bad}).validate()
    assert "\n" not in str(e.value)


def test_with_evaluate_mean_is_one_line():
    with pytest.raises(ValueError, match="cannot be combined") as e:
        CMAESConfig(noise_handling=2, evaluate_mean=True).validate()
    assert "\n" not in str(e.value)


def test_a_run_killed_between_rounds_resumes_as_if_never_stopped(tmp_path):
    """Through the runner and its checkpoint files, on a noisy problem (CartPoleNoVel's port, random
    starts shared by each round): a crash inside a generation, then ``resume``, ends as the run
    that was never stopped."""
    pytest.importorskip("gymnasium")
    from evornn import config, runs
    from evornn.records import read_metrics

    doc = {"problem": {"name": "gym", "env": "CartPoleNoVel-v1", "episodes": 1, "common_seeds": True},
           "network": {"arch": "mlp", "hidden": [2]},
           "optimiser": {"name": "cmaes", "noise_handling": 3, "x0": "zero"},
           "stop": {"max_generations": 70, "solved": False}, "run": {"checkpoint_every": 1}}
    prep = runs.prepare(config.experiment(doc))
    seen = []

    def crash(runner, row):
        s = runner.strategy
        seen.append(s._rounds)
        if s._phase == "sample" and s._round == 1 and row["generation"] >= 40:
            raise KeyboardInterrupt          # between two rounds of a generation's samples

    with pytest.raises(KeyboardInterrupt):
        runs.start(prep, tmp_path / "a", "run", progress=crash)
    assert max(seen) >= 2
    runs.resume(tmp_path / "a" / "run", quiet=True)
    runs.start(prep, tmp_path / "b", "run")
    a, b = tmp_path / "a" / "run", tmp_path / "b" / "run"
    assert np.array_equal(np.load(a / "best.npy"), np.load(b / "best.npy"))
    assert timeless(read_metrics(a / "metrics.csv")) == timeless(read_metrics(b / "metrics.csv"))
