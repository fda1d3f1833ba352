"""The spike-templates problem (problems/spike_templates.py): templates and presentations from the
seed, Gaussian jitter, balanced labels, the scored steps of both answer modes, one-line errors."""
import numpy as np
import pytest

from evornn.problems import spike_templates as st
from evornn.problems.registry import make_problem
from evornn.seeding import generator


def test_without_jitter_every_presentation_is_its_template():
    p = make_problem("spike-templates", jitter=0.0, n_train=6, n_test=4, n_templates=3, duration=30, rate=0.1)
    tpl = st.templates(3, 4, 30, 0.1, generator(0, 0))
    d = p.train
    for s, k in enumerate(d.labels):
        X = d.X[d.starts[s]:d.starts[s + 1]]
        want = np.zeros((30, 4))
        for c, times in enumerate(tpl[k]):
            want[times, c] = 1.0
        assert np.array_equal(X, want)
        Y = d.Y[d.starts[s]:d.starts[s + 1]]
        assert np.array_equal(Y[-1], np.eye(3)[k]) and d.mask[d.starts[s]:d.starts[s + 1]].sum() == 1
    assert sorted(np.bincount(d.labels).tolist()) == [2, 2, 2]


def test_jitter_moves_spikes_keeps_their_number_and_seeds_fix_the_data():
    rng = generator(5, 1)
    tpl = [np.array([10, 20, 30]), np.array([5])]
    X = st.present(tpl, 50, 3.0, rng)
    assert X.sum(axis=0).tolist() == [3.0, 1.0] and not np.array_equal(np.flatnonzero(X[:, 0]), tpl[0])
    a, b, c = (make_problem("spike-templates", seed=s, n_train=8, n_test=8) for s in (1, 1, 2))
    assert np.array_equal(a.train.X, b.train.X) and not np.array_equal(a.train.X, c.train.X)
    assert not np.array_equal(a.train.X, a.test.X)


def test_continuous_answers_score_the_second_half():
    p = make_problem("spike-templates", answer="continuous", duration=20, n_train=2, n_test=2)
    assert p.train.mask[:20].tolist() == [0] * 10 + [1] * 10
    assert p.metric_names == ("mse", "learnt", "accuracy")


@pytest.mark.parametrize("params, words", [
    (dict(n_templates=1), "n_templates >= 2"), (dict(rate=0.0), "rate"), (dict(jitter=-1.0), "jitter"),
    (dict(answer="sometimes"), "answer must be one of end, continuous"),
])
def test_bad_parameters_raise_one_line(params, words):
    with pytest.raises(ValueError, match=words) as e:
        make_problem("spike-templates", **params)
    assert "\n" not in str(e.value)
