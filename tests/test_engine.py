"""The kernel engine: the cell registry, SIMD lanes that do not change results, float32, and the
vectorisable exp/tanh against NumPy."""
import types

import numba
import numpy as np
import pytest

import evornn
import test_cells_b
import test_associative
import test_cells_gated
import test_nets_oracle
import test_lsm
import test_stack_rnn
import test_neat
import test_neat_entm
import test_seq2seq
import test_memory_nets
import test_modern_hopfield
from evornn.nets import cells as cell_registry
from evornn.nets.cells import CODES as CELLS   # the kernel index: code -> cell module
from evornn.nets.layer import CODE
from evornn.nets.specialise import layer_steps, structure_key
from evornn.nets.vmath import vexp, vsigmoid, vtanh
from evornn.problems.registry import make_problem
from test_nets_common import ARCH_CASES, I, O


# -- one registry -------------------------------------------------------------------------------
def test_cell_codes_are_unique_and_every_cell_has_its_kernels():
    assert len({m.__name__ for m in CELLS.values()}) == len(CELLS)
    for code, module in CELLS.items():
        assert module.CODE == code >= 1
        for attr in ("build", "step", "step_lanes"):
            assert callable(getattr(module, attr)), f"{module.__name__}.{attr}"


def test_register_refuses_a_taken_code_and_an_incomplete_cell():
    fake = types.ModuleType("fake_cell")
    fake.CODE, fake.build, fake.step, fake.step_lanes = next(iter(CELLS)), len, len, len
    with pytest.raises(ValueError, match="code .* is taken"):
        cell_registry.register(fake)
    del fake.step_lanes
    fake.CODE = max(CELLS) + 1
    with pytest.raises(TypeError, match="step_lanes"):
        cell_registry.register(fake)
    assert fake.CODE not in CELLS


def _oracle_networks():
    """Every network the oracle tests build (their case tables)."""
    for case, (kwargs, _) in test_nets_oracle.CASES.items():
        yield evornn.build(case.split("-")[0], 3, 2, **kwargs)
    for arch, opts, _ in test_cells_b.SINGLE.values():
        yield evornn.build(arch, test_cells_b.N_IN, test_cells_b.N_OUT, **opts)
    for arch, kwargs, _ in test_cells_gated.CASES.values():
        yield evornn.build(arch, test_cells_gated.N_IN, test_cells_gated.N_OUT, **kwargs)
    for arch, n_in, n_out, kwargs in test_associative.CASES.values():
        yield evornn.build(arch, n_in, n_out, **kwargs)
    for build_opts, _draw, _sim, n_in in test_lsm.CASES.values():
        yield evornn.build("lsm", n_in, 2, **build_opts)
    for kwargs, _ in test_stack_rnn.CASES.values():
        yield evornn.build("stack-rnn", test_stack_rnn.N_IN, test_stack_rnn.N_OUT, **kwargs)
    for arch, n_in, n_out, kwargs in test_neat.ORACLE_NETS.values():
        yield evornn.build(arch, n_in, n_out, **kwargs)
    for arch, n_in, n_out, kwargs in test_neat_entm.ORACLE_NETS.values():
        yield evornn.build(arch, n_in, n_out, **kwargs)
    yield from test_seq2seq.oracle_networks()
    for case, (opts, _) in test_memory_nets.NETS.items():
        yield evornn.build(case.split("-")[0], 3, 2, n_hidden=5, **opts)
    yield evornn.build("history-compressor", 4, 3, n_hidden=5)      # tests/test_history_compressor.py's oracle
    for n_in, n_out, kwargs in test_modern_hopfield.CASES.values():
        yield evornn.build("modern-hopfield", n_in, n_out, **kwargs)


def test_every_registered_cell_is_covered_by_the_oracle_tests():
    covered = {int(c) for net in _oracle_networks() for c in net.L[:, CODE]}
    missing = {cell_registry.cell_name(c) for c in set(CELLS) - covered}
    assert not missing, f"no oracle test runs the cells {sorted(missing)}"


@pytest.mark.parametrize("arch", sorted(evornn.ARCHS))
def test_the_kernels_run_exactly_the_network_s_own_cells(arch):
    net = evornn.build(arch, I, O, **ARCH_CASES[arch][0])
    codes = [int(c) for c in net.L[:, CODE]]
    assert layer_steps(net.key, lanes=True) == tuple(CELLS[c].step_lanes for c in codes)
    assert layer_steps(net.key, lanes=False) == tuple(CELLS[c].step for c in codes)
    assert net.key == structure_key(net.L, net.kind)
    # the key names the cells, not the sizes: every Elman network runs the same compiled kernel
    if arch == "elman":
        assert evornn.build("elman", 5, 1, n_hidden=11).key == net.key


# -- lanes do not change results ----------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("arch", sorted(evornn.ARCHS))
def test_a_chromosome_s_outputs_do_not_depend_on_its_position(arch, dtype):
    """The same chromosome at every position of populations of several sizes (lane, block, padded
    last block), on one thread and on all: bit-identical outputs."""
    net = evornn.build(arch, I, O, **ARCH_CASES[arch][0], dtype=dtype)
    rng = np.random.default_rng(3)
    w = rng.normal(0.0, 1.0, net.n_params)
    X, starts = rng.normal(0.0, 1.0, (15, I)), np.array([0, 4, 15])
    want = net.run(w, X, starts)
    assert np.all(np.isfinite(want))
    n = 16 if dtype == "float32" else 8
    before = numba.get_num_threads()
    try:
        for threads in (1, numba.config.NUMBA_NUM_THREADS):
            numba.set_num_threads(threads)
            for P in (2, n + 1, 2 * n + 3):
                W = rng.normal(0.0, 1.0, (P, net.n_params))
                for pos in range(P):
                    W2 = W.copy()
                    W2[pos] = w
                    assert np.array_equal(net.run_population(W2, X, starts)[pos], want), (threads, P, pos)
    finally:
        numba.set_num_threads(before)


@pytest.mark.parametrize("arch", ["elman", "lstm", "bidirectional"])
def test_float32_is_close_to_float64_and_chromosomes_stay_float64(arch):
    net64 = evornn.build(arch, I, O, **ARCH_CASES[arch][0])
    net32 = evornn.build(arch, I, O, **ARCH_CASES[arch][0], dtype="float32")
    assert net32.spec["dtype"] == "float32" and "dtype" not in net64.spec
    assert evornn.build(**net32.spec).dtype == "float32"                 # network.json rebuilds it
    rng = np.random.default_rng(5)
    W, X = rng.normal(0.0, 1.0, (20, net64.n_params)), rng.normal(0.0, 1.0, (30, I))
    y64, y32 = net64.run_population(W, X), net32.run_population(W, X)
    assert y32.dtype == np.float64 and y32.shape == y64.shape
    assert 0 < np.max(np.abs(y32 - y64) / (1 + np.abs(y64))) <= 1e-4


def test_bad_dtype_and_engine_are_one_line_errors():
    with pytest.raises(ValueError, match="dtype must be one of float64, float32"):
        evornn.build("elman", 1, 1, dtype="float16")
    with pytest.raises(ValueError, match="engine must be 'lanes' or 'scalar'"):
        evornn.build("elman", 1, 1, engine="gpu")
    with pytest.raises(ValueError, match="scalar engine runs in float64"):
        evornn.build("elman", 1, 1, engine="scalar", dtype="float32")
    net = evornn.build("elman", 1, 1)
    with pytest.raises(ValueError, match="engine must be"):
        net.run_population(np.zeros((1, net.n_params)), np.zeros((2, 1)), engine="x")


# -- supervised problems: the lanes kernel against the one-individual kernel ---------------------
def _problem(free: bool):
    rng = np.random.default_rng(0)
    seqs = [rng.uniform(-1, 1, (int(rng.integers(3, 12)), 2)) for _ in range(9)]
    pairs = [(x, np.tanh(np.cumsum(x, axis=0))) for x in seqs]
    if free:
        return make_problem("sines", washout=20)
    return evornn.supervised_problem(pairs[:6], pairs[6:], tolerance=0.3)


@pytest.mark.parametrize("arch", ["elman", "gru", "bidirectional", "stacked"])
@pytest.mark.parametrize("free", [False, True])
def test_supervised_scores_equal_the_one_individual_kernel(arch, free):
    if free and arch == "bidirectional":
        pytest.skip("free-running generation needs a network that steps")
    prob = _problem(free)
    nets = {e: evornn.build(arch, prob.n_inputs, prob.n_outputs, **ARCH_CASES[arch][0], **o)
            for e, o in (("lanes", {}), ("scalar", {"engine": "scalar"}), ("float32", {"dtype": "float32"}))}
    rng = np.random.default_rng(1)
    W = rng.normal(0.0, 0.5, (11, nets["lanes"].n_params))
    W[3, 0] = np.nan
    res = {e: prob.evaluate(n, W, np.zeros(len(W), dtype=np.uint64)) for e, n in nets.items()}
    a, b, c = res["lanes"], res["scalar"], res["float32"]
    assert a.fitness[3] == b.fitness[3] == c.fitness[3] == 0.0
    assert np.allclose(a.fitness, b.fitness, rtol=1e-10, atol=0)
    assert np.allclose(a.metrics, b.metrics, rtol=1e-10, atol=0)
    ok = np.isfinite(a.metrics[:, 0])
    assert np.allclose(c.metrics[ok, 0], a.metrics[ok, 0], rtol=1e-3)
    # the same chromosome scores the same wherever it sits
    for pos in (0, 7, 10):
        W2 = rng.normal(0.0, 0.5, W.shape)
        W2[pos] = W[0]
        assert prob.evaluate(nets["lanes"], W2, np.zeros(len(W), dtype=np.uint64)).fitness[pos] == a.fitness[0]


# -- vectorisable exp and tanh --------------------------------------------------------------------
@numba.njit
def _apply(kind, x, out):
    for i in range(x.shape[0]):
        if kind == 0:
            out[i] = vexp(x[i])
        elif kind == 1:
            out[i] = vtanh(x[i])
        else:
            out[i] = vsigmoid(x[i])


@pytest.mark.parametrize("dtype, rel", [(np.float64, 5e-16), (np.float32, 2e-7)])
def test_vmath_against_numpy(dtype, rel):
    rng = np.random.default_rng(0)
    lo = -700.0 if dtype == np.float64 else -85.0
    x = np.concatenate([np.linspace(lo, -lo, 20001), rng.normal(0, 1, 20000), rng.normal(0, 10, 20000)]).astype(dtype)
    for kind, ref in ((0, np.exp), (1, np.tanh), (2, lambda v: 1.0 / (1.0 + np.exp(-v)))):
        out = np.empty_like(x)
        _apply(kind, x, out)
        want = ref(x.astype(np.float64))
        assert out.dtype == dtype
        assert np.max(np.abs(out - want) / np.maximum(np.abs(want), np.finfo(dtype).tiny)) <= rel
    special = np.array([np.nan, np.inf, -np.inf, 0.0, 1e-30, 800.0, -800.0], dtype=dtype)
    out = np.empty_like(special)
    _apply(1, special, out)
    assert np.isnan(out[0]) and out[1] == 1.0 and out[2] == -1.0 and out[3] == 0.0 and out[4] == special[4]
    _apply(0, special, out)
    assert np.isnan(out[0]) and out[1] == np.inf and out[2] == 0.0 and out[5] == np.inf and out[6] == 0.0
    _apply(2, special, out)
    assert np.isnan(out[0]) and out[1] == 1.0 and out[2] == 0.0 and out[3] == 0.5
