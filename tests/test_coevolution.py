"""CoSyNE, ESP and CMA-ES: their defining mechanics, and pole balancing solved with fixed seeds."""
import numpy as np
import pytest

import evornn
from evornn.evaluators import LocalEvaluator
from evornn.nets import build
from evornn.settings import make_config
from evornn.optim.cosyne import CoSyNE, permutation_probabilities, permute_marked
from evornn.optim.esp import ESP
from evornn.optim.registry import get_strategy
from evornn.stopping import StopConfig
from evornn.runner import Runner
from evornn.seeding import generator


# -- CoSyNE ------------------------------------------------------------------------------------
def test_permute_marked_keeps_each_column_a_permutation(rng):
    col = rng.normal(size=30)
    marked = rng.random(30) < 0.5
    out = permute_marked(col, marked, rng)
    assert np.array_equal(np.sort(out), np.sort(col))
    assert np.array_equal(out[~marked], col[~marked])          # unmarked values stay in place
    assert not np.array_equal(out[marked], col[marked])         # marked values moved (30 values: p ~ 1e-6)


def test_cosyne_generation_permutes_columns_and_breeds_the_best_quarter(rng):
    m, n = 12, 7
    s = CoSyNE(n, make_config(CoSyNE.Config, {"population": m, "permute_by": "all"}, "cosyne"), rng)
    pop = s.ask()
    fit = rng.normal(size=m)
    s.tell(pop, fit)
    k = s.n_parents
    assert k == 3
    survivors = pop[np.argsort(-fit)][: m - k]
    for i in range(n):   # every surviving column is a permutation of the surviving values
        assert np.array_equal(np.sort(s.pop[: m - k, i]), np.sort(survivors[:, i]))
    # the offspring rows are new and pending, and ask returns exactly the changed rows
    assert s.pending[m - k:].all()
    again = s.ask()
    assert again.shape == (int(s.pending.sum()), n)
    assert np.array_equal(again, s.pop[s.pending])
    assert np.isnan(s.fit[s.pending]).all() and np.isfinite(s.fit[~s.pending]).all()


def test_cosyne_ranked_mating_replaces_the_worst_half(rng):
    m, n = 12, 5
    s = CoSyNE(n, make_config(CoSyNE.Config, {"population": m, "mating": "ranked", "permute_by": "all"}, "cosyne"), rng)
    pop = s.ask()
    fit = rng.normal(size=m)
    s.tell(pop, fit)
    k = s.n_parents
    survivors = pop[np.argsort(-fit)][: m - 2 * k]      # the best half survives, twice k children
    for i in range(n):
        assert np.array_equal(np.sort(s.pop[: m - 2 * k, i]), np.sort(survivors[:, i]))
    assert s.pending[m - 2 * k:].all() and np.isnan(s.fit[m - 2 * k:]).all()
    with pytest.raises(ValueError, match="elite_fraction"):
        make_config(CoSyNE.Config, {"population": 8, "elite_fraction": 0.5, "mating": "ranked"}, "cosyne").validate()


def test_cosyne_weight_limit_clips_the_children(rng):
    m, n = 12, 6
    cfg = {"population": m, "mutation": "cauchy", "mutation_scale": 50.0, "mutation_rate": 1.0}
    free = CoSyNE(n, make_config(CoSyNE.Config, cfg, "cosyne"), np.random.default_rng(5))
    capped = CoSyNE(n, make_config(CoSyNE.Config, {**cfg, "weight_limit": 4.0}, "cosyne"), np.random.default_rng(5))
    for s in (free, capped):
        s.tell(s.ask(), rng.normal(size=m))
    kids = slice(m - capped.n_parents, m)
    assert np.abs(free.pop[kids]).max() > 4.0                     # the same draws, unclipped
    assert np.array_equal(capped.pop[kids], np.clip(free.pop[kids], -4.0, 4.0))
    with pytest.raises(ValueError, match="weight_limit"):
        make_config(CoSyNE.Config, {"weight_limit": -1.0}, "cosyne").validate()


def test_cosyne_restarts_after_stagnation_and_resumes_through_it(rng):
    import json
    m, n = 8, 4
    cfg = make_config(CoSyNE.Config, {"population": m, "restart_after": 3}, "cosyne")
    s = CoSyNE(n, cfg, np.random.default_rng(2))
    first = s.ask()
    s.tell(first, np.arange(m, dtype=float))                # generation 1: the best is 7
    for _ in range(2):                                      # two generations without improvement
        s.tell(s.ask(), np.full(int(s.pending.sum()), -1.0))
        assert s.restarts == 0 and s.stale > 0
    arrays, meta = s.get_state()                            # a checkpoint just before the restart
    s.tell(s.ask(), np.full(int(s.pending.sum()), -1.0))   # the third: start again
    assert s.restarts == 1 and s.pending.all()
    fresh = s.ask()
    assert fresh.shape == (m, n) and not np.isin(fresh, first).any() and np.abs(fresh).max() <= 1.0
    s.tell(fresh, np.zeros(m))
    assert s.best_in_pop == 0.0 and s.stale == 0            # counted from the fresh population
    again = CoSyNE(n, cfg, np.random.default_rng(99))
    again.set_state({k: v.copy() for k, v in arrays.items()}, json.loads(json.dumps(meta)))
    again.tell(again.ask(), np.full(int(again.pending.sum()), -1.0))
    assert again.restarts == 1 and np.array_equal(again.ask(), fresh)
    old = CoSyNE(n, cfg, np.random.default_rng(99))          # a checkpoint from before restarts existed
    old.set_state(arrays, {k: v for k, v in meta.items() if k not in ("best_in_pop", "stale", "restarts")})
    assert (old.stale, old.restarts, old.best_in_pop) == (0, 0, -np.inf)
    with pytest.raises(ValueError, match="restart_after"):
        make_config(CoSyNE.Config, {"restart_after": -2}, "cosyne").validate()


def test_cosyne_restart_on_median_keeps_a_run_whose_median_improves():
    """One lucky row early holds the best up: watching the best restarts a run whose population
    improves; watching the median does not, and restarts when the median stalls."""
    m, n = 8, 4
    runs = {}
    for on in ("best", "median"):
        cfg = make_config(CoSyNE.Config, {"population": m, "restart_after": 3, "reevaluate": True,
                                          "restart_on": on}, "cosyne")
        s = CoSyNE(n, cfg, np.random.default_rng(2))
        s.tell(s.ask(), np.r_[100.0, np.zeros(m - 1)])       # one lucky row, the median 0
        for g in range(1, 5):                                 # then every row better each generation
            s.tell(s.ask(), np.full(m, float(g)))
        runs[on] = s
    assert runs["best"].restarts == 1 and runs["median"].restarts == 0 and runs["median"].stale == 0
    s = runs["median"]
    for _ in range(3):                                        # three generations below the best median (4)
        s.tell(s.ask(), np.full(int(s.pending.sum()), 3.0))
    assert s.restarts == 1
    with pytest.raises(ValueError, match=r"^cosyne\.restart_on must be 'best' or 'median', got 'mean'"):
        make_config(CoSyNE.Config, {"restart_on": "mean"}, "cosyne").validate("cosyne")


def test_cosyne_test_choice_mean_ranks_rows_by_their_shrunk_mean_and_leaves_the_search_alone():
    """test_choice = "mean": after each tell the rows (in the order they were asked) are ranked by
    (sum of their scores since they last changed + the generation's mean) / (count + 1); the
    population evolves exactly as with the fittest tested; the sums survive a checkpoint."""
    m, n = 12, 10
    cfg = {"population": m, "reevaluate": True, "mutation_rate": 1.0}     # every child differs from its parents
    mean = CoSyNE(n, make_config(CoSyNE.Config, {**cfg, "test_choice": "mean"}, "cosyne"), np.random.default_rng(3))
    fittest = CoSyNE(n, make_config(CoSyNE.Config, cfg, "cosyne"), np.random.default_rng(3))
    scores: dict[bytes, list[float]] = {}     # a row's scores, keyed by its weights (a changed row has new ones)
    draw = np.random.default_rng(8)
    long_lived = 0
    for g in range(12):
        pop = mean.ask()
        assert np.array_equal(pop, fittest.ask()) and pop.shape[0] == m
        fit = draw.normal(size=m)
        keys = [row.tobytes() for row in pop]
        for k, f in zip(keys, fit):
            scores.setdefault(k, []).append(float(f))
        if g == 6:     # a checkpoint in the middle: the sums resume exactly
            arrays, meta = mean.get_state()
            mean = CoSyNE(n, mean.config, np.random.default_rng(99))
            mean.set_state({k: np.array(v) for k, v in arrays.items()}, dict(meta))
        mean.tell(pop, fit)
        fittest.tell(pop, fit)
        est = np.array([(sum(scores[k]) + fit.mean()) / (len(scores[k]) + 1) for k in keys])
        assert np.allclose(est[mean.test_candidates(fit)], np.sort(est)[::-1], rtol=0, atol=1e-12)
        assert fittest.test_candidates(fit) == [int(np.argmax(fit))]
        long_lived += max(len(scores[k]) for k in keys) > 1
    assert long_lived >= 10        # rows survived unchanged, so the ranking differs from the fittest's
    assert np.array_equal(mean.pop, fittest.pop)
    with pytest.raises(ValueError, match=r"^cosyne\.test_choice must be 'fittest' unless reevaluate = true"):
        make_config(CoSyNE.Config, {"test_choice": "mean"}, "cosyne").validate("cosyne")
    with pytest.raises(ValueError, match=r"^cosyne\.test_choice must be 'fittest' or 'mean'"):
        make_config(CoSyNE.Config, {"test_choice": "best"}, "cosyne").validate("cosyne")


def test_cosyne_sparse_start_zeroes_initial_weights_at_restarts_too():
    m, n = 200, 50
    cfg = make_config(CoSyNE.Config, {"population": m, "init": "uniform", "init_range": 3.0, "init_density": 0.1,
                                      "restart_after": 1}, "cosyne")
    s = CoSyNE(n, cfg, np.random.default_rng(4))
    dense = CoSyNE(n, make_config(CoSyNE.Config, {"population": m, "init": "uniform", "init_range": 3.0}, "cosyne"),
                   np.random.default_rng(4))
    first, full = s.ask(), dense.ask()
    assert 0.08 < np.mean(first != 0) < 0.12 and np.all(full != 0)
    kept = first != 0
    assert np.array_equal(first[kept], full[kept])           # the same draws, the others set to 0
    s.tell(first, np.zeros(m))
    s.tell(s.ask(), np.full(int(s.pending.sum()), -1.0))    # no improvement: a restart, sparse again
    assert s.restarts == 1 and 0.08 < np.mean(s.ask() != 0) < 0.12
    for bad in (0.0, 1.5):
        with pytest.raises(ValueError, match="init_density"):
            make_config(CoSyNE.Config, {"init_density": bad}, "cosyne").validate()


def test_cosyne_permutation_probability_follows_the_paper():
    f = np.array([10.0, 5.0, 0.0])
    p = permutation_probabilities(f, 4, "fitness")
    assert p[0] == 0.0 and p[2] == 1.0
    assert p[1] == pytest.approx(1 - 0.5 ** 0.25)
    assert np.allclose(permutation_probabilities(np.ones(3), 4, "fitness"),
                       permutation_probabilities(np.ones(3), 4, "rank"))


def test_cosyne_one_point_cut_in_neuron_order(rng):
    net = build("frnn", 4, 1, n_hidden=3)                      # layout: W_in (3x4), W_rec (3x3), b (3)
    groups = CoSyNE.groups_for(net)
    cfg = make_config(CoSyNE.Config, {"population": 8, "crossover_order": "neurons"}, "cosyne")
    s = CoSyNE(net.n_params, cfg, rng, net.init, groups=groups)
    assert np.array_equal(s.order, np.concatenate(groups))      # neuron after neuron, a permutation
    assert np.array_equal(np.sort(s.order), np.arange(net.n_params))
    a, b = np.zeros(net.n_params), np.ones(net.n_params)
    for _ in range(20):
        c1, c2 = s._crossover(a, b)
        pos = np.empty(net.n_params, dtype=int)
        pos[s.order] = np.arange(net.n_params)                   # rank of each gene in neuron order
        cut = int((c1 == 0).sum())
        assert 0 < cut < net.n_params and np.array_equal(c1 == 0, pos < cut) and np.array_equal(c2, 1 - c1)
    with pytest.raises(ValueError, match="neuron groups"):
        CoSyNE(net.n_params, cfg, rng, net.init).ask()   # the groups come from setup(problem, net)
    layout = CoSyNE(net.n_params, make_config(CoSyNE.Config, {"population": 8}, "cosyne"), rng)
    c1, _ = layout._crossover(a, b)
    assert np.array_equal(c1, np.r_[np.zeros(int((c1 == 0).sum())), np.ones(int((c1 == 1).sum()))])


# -- ESP ---------------------------------------------------------------------------------------
def _esp(rng, **settings):
    net = build("elman", 3, 1, n_hidden=3)
    cfg = make_config(ESP.Config, {"population": 6, "trials": 4, **settings}, "esp")
    return net, ESP(net.n_params, cfg, rng, net.init, groups=ESP.groups_for(net))


def test_esp_networks_take_one_neuron_of_each_subpopulation(rng):
    net, s = _esp(rng)
    assert len(s.groups) == 4    # three hidden neurons + the shared output bias
    W = s.ask()
    assert W.shape == (6 * 4, net.n_params)
    for t in range(W.shape[0]):
        for g in s.groups:
            matches = [j for j in range(6) if np.array_equal(s.pool[j, g], W[t, g])]
            assert len(matches) == 1
    # every neuron takes part in exactly `trials` networks
    for col in s.members.T:
        assert np.array_equal(np.bincount(col, minlength=6), np.full(6, 4))


def test_esp_neuron_fitness_is_the_average_of_its_trials(rng):
    _, s = _esp(rng)
    W = s.ask()
    members = s.members.copy()
    fit = rng.normal(size=W.shape[0])
    s.tell(W, fit)
    for sp in range(members.shape[1]):
        for j in range(6):
            assert s.neuron_fitness[j, sp] == pytest.approx(fit[members[:, sp] == j].mean())


def test_esp_requires_groups_and_make_runner_passes_them():
    with pytest.raises(ValueError, match="neuron groups"):
        ESP(5, None, generator(0), None).ask()   # the groups come from setup(problem, net)
    r = evornn.make_runner("esp", "pole-balance", "frnn", net={"n_hidden": 2}, settings={"population": 4, "trials": 1},
                           stop={"max_generations": 1})
    assert len(r.strategy.groups) == 2


def test_esp_lesions_a_neuron_that_does_not_hurt(rng):
    _, s = _esp(rng, stagnation=1)
    W = s.ask()
    s.tell(W, np.ones(W.shape[0]))           # best found; then no improvement
    for _ in range(2):                       # two bursts without improvement -> lesion phase
        W = s.ask()
        s.tell(W, np.zeros(W.shape[0]))
    assert s.phase == "lesion" and list(s.lesioned) == [0, 1, 2]
    W = s.ask()
    assert all(np.all(W[r, s.groups[g]] == 0) for r, g in enumerate(s.lesioned))
    s.tell(W, np.array([0.5, 1.0, 0.2]))     # lesioning neuron 1 keeps the best fitness
    assert list(s.active) == [True, False, True, True]
    assert np.all(s.ask()[:, s.groups[1]] == 0)


# -- pole balancing, fixed seeds, small budgets -------------------------------------------------
def _solve(name, settings, poles, velocities, fitness, arch, hidden, budget, seed=0):
    from evornn.problems.registry import make_problem
    problem = make_problem("pole-balance", poles=poles, velocities=velocities, fitness=fitness)
    net = build(arch, problem.n_inputs, 1, n_hidden=hidden)
    cls = get_strategy(name)
    extra = {"groups": cls.groups_for(net)} if hasattr(cls, "groups_for") else {}
    strat = cls(net.n_params, make_config(cls.Config, settings, name), generator(seed), net.init, **extra)
    return Runner(problem, net, strat, StopConfig(max_evaluations=budget, solved=True), LocalEvaluator(1),
                  seed=seed).run()


COSYNE_POLE = {"population": 20, "init_range": 3.0, "mutation_scale": 1.0}
ESP_POLE = {"population": 8, "trials": 3, "init_range": 5.0, "mutation_scale": 2.0, "burst_scale": 2.0,
            "mutation_rate": 0.8}


@pytest.mark.parametrize("name, settings, hidden", [
    ("cosyne", COSYNE_POLE, 1), ("esp", ESP_POLE, 3), ("cmaes", {"x0": "zero"}, 1)])
def test_solves_double_pole_with_velocities(name, settings, hidden):
    res = _solve(name, settings, 2, True, "standard", "frnn", hidden, 20_000)
    assert res.solved and res.best_metrics["steps"] == 100_000, res.stop_reason
    assert res.progress.evaluations < 20_000


def test_cosyne_solves_double_pole_without_velocities():
    settings = {"population": 40, "init_range": 1.0, "mutation": "gaussian", "mutation_scale": 3.0,
                "mutation_rate": 0.6, "mating": "ranked", "crossover_order": "neurons",
                "restart_after": 60}                                                    # the table's
    res = _solve("cosyne", settings, 2, False, "damping", "frnn", 2, 20_000)
    assert res.solved, res.stop_reason
    assert res.solved_info["test_steps"] == 100_000
    assert res.solved_info["generalization"] >= 200
