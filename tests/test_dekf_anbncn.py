"""The a^n b^n c^n options the DEKF benchmark (benchmarks/bench_dekf.py) uses: the compact coding
(inputs S a b c, outputs a b c T, as Gers & Schmidhuber's network) is the full coding without its
never-active units, and scores the same."""
import numpy as np
import pytest

import evornn
from evornn.problems import counting
from evornn.problems.registry import make_problem


@pytest.mark.parametrize("name, k", [("anbn", 3), ("anbncn", 4)])
def test_compact_coding_drops_the_never_active_units(name, k):
    full = make_problem(name, train_max_n=4, test_max_n=6, target_n=5)
    comp = make_problem(name, train_max_n=4, test_max_n=6, target_n=5, coding="compact")
    assert (comp.n_inputs, comp.n_outputs) == (k, k) == (full.n_inputs - 1, full.n_outputs - 1)
    for a, b in ((full.train, comp.train), (full.test, comp.test)):
        assert not a.X[:, -1].any() and not a.Y[:, 0].any()          # T never an input, S never a target
        np.testing.assert_array_equal(b.X, a.X[:, :-1])
        np.testing.assert_array_equal(b.Y, a.Y[:, 1:])
        np.testing.assert_array_equal(b.starts, a.starts)
        np.testing.assert_array_equal(b.labels, a.labels)
    assert comp.params()["coding"] == "compact" and "coding" not in full.params()
    est = counting.estimate_data_bytes(name, 4, 6, False, coding="compact")
    assert est < counting.estimate_data_bytes(name, 4, 6, False)


def test_compact_coding_scores_a_network_as_the_full_coding_does():
    """A full-coding network whose T input and S output are cut off gives the same max_n."""
    full = make_problem("anbncn", train_max_n=3, test_max_n=8, target_n=8)
    comp = make_problem("anbncn", train_max_n=3, test_max_n=8, target_n=8, coding="compact")
    nf = evornn.build("lstm", 5, 5, n_hidden=2, output_activation="sigmoid")
    nc = evornn.build("lstm", 4, 4, n_hidden=2, output_activation="sigmoid")
    rng = np.random.default_rng(0)
    for _ in range(5):
        Pf = nf.unflatten(nf.init(rng) * 3)
        Pc = {k: v.copy() for k, v in nc.unflatten(np.zeros(nc.n_params)).items()}
        Pc["W_in"][:] = Pf["W_in"][:, :, :4]
        Pc["W_rec"][:], Pc["b"][:] = Pf["W_rec"], Pf["b"]
        Pc["out.W"][:], Pc["out.b"][:] = Pf["out.W"][1:], Pf["out.b"][1:]
        wf, wc = nf.flatten(Pf), nc.flatten(Pc)
        mf = full.evaluate_test(nf, wf[None]).metrics[0, full.metric_names.index("string_accuracy")]
        mc = comp.evaluate_test(nc, wc[None]).metrics[0, comp.metric_names.index("string_accuracy")]
        yf, yc = nf.run(wf, full.test.X), nc.run(wc, comp.test.X)
        np.testing.assert_allclose(yc, yf[:, 1:], atol=1e-12)
        # the S output (always 0 as target) can be wrong in the full coding only: compact scores >=
        assert mc >= mf


def test_bad_coding_is_refused_in_one_line():
    with pytest.raises(ValueError, match="problem anbncn: coding must be one of full, compact, got 'paper'"):
        make_problem("anbncn", coding="paper")


def test_init_range_draws_the_fan_in_blocks_uniform_and_keeps_set_values():
    """The network option init_range (the papers' weights in [-0.1, 0.1]): every fan-in block drawn
    in [-r, r], lstm's gate biases kept, the option in the spec (rebuilt the same), bad values refused."""
    opts = dict(n_hidden=2, peephole=True, readout_inputs=True, output_activation="sigmoid")
    net = evornn.build("lstm", 4, 4, init_range=0.1, **opts)
    ref = evornn.build("lstm", 4, 4, **opts)
    W = net.init(np.random.default_rng(0), 200)
    for name, (off, shape) in net.layout.items():
        block = W[:, off:off + int(np.prod(shape))]
        if name == "b":
            np.testing.assert_array_equal(block, ref.init(np.random.default_rng(1), 200)[:, off:off + block.shape[1]])
        elif name != "out.b":                              # the readout's bias starts at 0 either way
            assert np.abs(block).max() <= 0.1 and np.abs(block).max() > 0.09, name
    wide = ref.init(np.random.default_rng(0), 200)
    assert np.abs(wide[:, :net.layout["b"][0]]).max() > 0.3      # fan-in 6: +-0.41
    assert net.spec["init_range"] == 0.1 and "init_range" not in ref.spec
    np.testing.assert_array_equal(evornn.build(**net.spec).init(np.random.default_rng(2)),
                                  net.init(np.random.default_rng(2)))
    for bad in (0, -1.0, "x", True):
        with pytest.raises(ValueError, match="init_range must be a number > 0"):
            evornn.build("lstm", 4, 4, init_range=bad, **opts)
