"""OpenAI-ES: one generation's update against the paper's formulas written out here, convergence on
a sphere, antithetic pairs, the mean's row, shaping and settings errors."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import rankdata

import evornn
from evornn.optim.openes import OpenES, OpenESConfig, shaped
from evornn.seeding import generator
from evornn.settings import make_config


def _es(n=5, seed=1, **settings):
    return OpenES(n, make_config(OpenESConfig, settings, "openes"), generator(seed),
                  lambda rng, k: rng.uniform(-1, 1, (k, n)))


def test_one_generation_is_salimans_algorithm_with_adam():
    """Rows are mean +- sigma eps; the step is Adam on (1 / (n sigma)) sum_j F_j (x_j - mean) / sigma
    minus the weight decay, F the centered ranks: written here from the rows, not from eps."""
    es = _es(n=4, population=6, sigma=0.3, learning_rate=0.05, weight_decay=0.01, x0="uniform")
    lr, b1, b2, wd, sigma = 0.05, 0.9, 0.999, 0.01, 0.3
    m = v = np.zeros(4)
    rng = np.random.default_rng(0)
    for t in range(1, 4):
        X = es.ask()
        mean = es.mean.copy()
        assert np.allclose(X[0::2] - mean, -(X[1::2] - mean))              # antithetic pairs
        fit = rng.normal(size=6)
        es.tell(X, fit)
        F = (rankdata(fit) - 1) / 5 - 0.5
        g = (F @ ((X - mean) / sigma)) / (6 * sigma) - wd * mean
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        want = mean + lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + 1e-8)
        assert np.allclose(es.mean, want, rtol=0, atol=1e-12)


def test_it_climbs_a_sphere():
    target = np.linspace(-1, 1, 8)
    es = _es(n=8, population=20, sigma=0.1, learning_rate=0.05, weight_decay=0.0)
    start = np.linalg.norm(target)
    for _ in range(300):
        X = es.ask()
        es.tell(X, -np.sum((X - target) ** 2, axis=1))
    assert np.linalg.norm(es.mean - target) < 0.05 * start


def test_the_mean_row_is_evaluated_and_tested_but_not_in_the_gradient():
    es = _es(population=4, evaluate_mean=True, sigma_decay=0.5, sigma_min=0.03)
    X = es.ask()
    assert X.shape == (5, 5) and np.array_equal(X[-1], es.mean)
    fit = np.array([1.0, 2.0, 3.0, 4.0, 100.0])
    assert es.test_candidate(fit) == 4
    es.tell(X, fit)
    other = _es(population=4, evaluate_mean=True, sigma_decay=0.5, sigma_min=0.03)
    other.tell(other.ask(), np.array([1.0, 2.0, 3.0, 4.0, -100.0]))   # only the mean's row differs
    assert np.array_equal(es.mean, other.mean)
    assert es.sigma == 0.05
    es.tell(es.ask(), fit)
    assert es.sigma == 0.03                                           # sigma_min holds it


def test_shaping():
    assert np.array_equal(shaped(np.array([3.0, -np.inf, 1.0, 2.0, 5.0]), "ranks"),
                          np.array([0.25, -0.5, -0.25, 0.0, 0.5]))
    assert np.array_equal(shaped(np.array([2.0, 7.0, 2.0, 1.0, 2.0]), "ranks"),
                          np.array([0.0, 0.5, 0.0, -0.5, 0.0]))            # ties share their mean rank
    z = shaped(np.array([1.0, 2.0, 3.0, np.nan]), "zscore")
    assert np.isclose(z.mean(), 0) and np.isclose(z.std(), 1) and z[3] == z[0]
    assert not shaped(np.array([2.0, 2.0]), "zscore").any()


@pytest.mark.parametrize("settings,message", [
    ({"population": 7}, "openes.population must be an even integer >= 2 (antithetic pairs), got 7"),
    ({"sigma": 0}, "openes.sigma must be a number > 0, got 0.0"),
    ({"sigma_decay": 1.5}, "openes.sigma_decay must be in (0, 1], got 1.5"),
    ({"fitness_shaping": "raw"}, "openes.fitness_shaping must be 'ranks' or 'zscore', got 'raw'"),
])
def test_bad_settings_name_the_key_and_the_rule(settings, message):
    with pytest.raises(ValueError) as e:
        _es(**settings)
    assert str(e.value) == message


def test_it_runs_from_the_api_and_balances_a_pole():
    res = evornn.optimise("openes", "pole-balance", problem_params={"poles": 1},
                          settings={"population": 20, "sigma": 0.1, "learning_rate": 0.1},
                          stop={"max_evaluations": 4000}, seed=0)
    assert res.solved and res.progress.evaluations_to_solve <= 4000
