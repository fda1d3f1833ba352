"""The memory guard (evornn.memory): a run whose generation would not fit in ``[run] max_memory`` is
refused before anything big is allocated, for every registered optimiser and for huge networks, in
one line (CLI: exit 2, no run folder); ``max_memory`` parsing; the estimate against measured memory."""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from evornn import cli, config, memory, runs
from evornn.api import make_runner
from evornn.memory import MemoryLimitError
from evornn.nets import ARCHS, build
from evornn.nets.layer import FOFF, IOFF, NCOL, layout_only
from evornn.optim.registry import available, get_strategy
from evornn.problems.registry import make_problem

LIMIT = "2GiB"
HUGE = 1_000_000_000
ROOT = Path(__file__).resolve().parents[1]


def huge_case(name: str) -> dict:
    """A run of optimiser ``name`` that its own settings (or its network) make far too big: the
    population when it has one, else the network (or the patterns an associative memory stores)."""
    cls = get_strategy(name)
    if cls.needs == "stored patterns":
        return {"problem": "hopfield-recall", "arch": "hopfield", "problem_params": {"n_units": 20000},
                "named": "200,010,000 parameters"}
    if cls.needs == "solved readout":
        return {"problem": "sines", "problem_params": {"readout": "ridge"}, "settings": {"population": HUGE},
                "named": f"optimiser.population = {HUGE}"}
    if cls.needs == "sequence data":
        arch = "esn" if name == "esn-ridge" else "elman"
        return {"problem": "sines", "arch": arch, "net": {"n_hidden": 10**6}, "named": "n_hidden = 1000000"}
    if hasattr(cls.Config(), "population"):
        return {"problem": "pole-balance", "settings": {"population": HUGE},
                "named": f"optimiser.population = {HUGE}"}
    return {"problem": "pole-balance", "arch": "elman", "net": {"n_hidden": 10**6}, "named": "n_hidden = 1000000"}


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("evornn: error: "), captured.err
    assert "Traceback" not in captured.err
    return lines[0]


@pytest.mark.parametrize("name", available())
def test_every_optimiser_refuses_a_huge_run_from_python(name):
    c = huge_case(name)
    before = peak_rss()
    with pytest.raises(MemoryLimitError) as e:
        make_runner(name, c["problem"], c.get("arch"), net=c.get("net"), settings=c.get("settings"),
                    problem_params=c.get("problem_params"), max_memory=LIMIT)
    msg = str(e.value)
    assert isinstance(e.value, ValueError) and "\n" not in msg
    assert msg.startswith("memory: a generation needs about ") and c["named"] in msg, msg
    assert 'run.max_memory = "2GiB"' in msg and "raise run.max_memory" in msg, msg
    assert peak_rss() - before < 300 * 2**20     # nothing big was allocated on the way


@pytest.mark.parametrize("name", available())
def test_every_optimiser_refuses_a_huge_run_on_the_command_line(name, tmp_path, capsys):
    c = huge_case(name)
    out = tmp_path / "out"
    doc = {"problem": {"name": c["problem"], **c.get("problem_params", {})},
           "network": {**({"arch": c["arch"]} if c.get("arch") else {}), **c.get("net", {})},
           "optimiser": c.get("settings", {}), "run": {"max_memory": LIMIT, "out": str(out)}}
    (tmp_path / "huge.toml").write_text(config.dumps(doc))
    assert cli.main(["run", name, "--config", str(tmp_path / "huge.toml"), "--quiet"]) == 2
    line = one_error_line(capsys)
    assert "evornn: error: memory: " in line and c["named"] in line, line
    assert not out.exists() or not any(out.iterdir())     # nothing written: no run folder


def test_the_command_line_stays_small_while_refusing(tmp_path):
    """A whole ``evornn run`` process asked for 10**9 individuals (CoSyNE grew to 8.7 GB before the
    guard) or 10**12 parameters: exit 2, one line, and its peak memory is that of the imports."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # The child's own peak is VmHWM of its address space, written when it exits: the rusage a
    # parent gets from wait4 also counts the parent's pages at the fork (a large pytest worker).
    hwm = tmp_path / "vmhwm"
    run = ("import atexit, re, runpy, sys\n"
           f"atexit.register(lambda: open({str(hwm)!r}, 'w').write(re.search(r'VmHWM:\\s*(\\d+)', "
           "open('/proc/self/status').read()).group(1)))\n"
           "sys.argv[0] = 'evornn'\n"
           "runpy.run_module('evornn', run_name='__main__')\n")
    for sets in ([f"optimiser.population={HUGE}"], ["network.n_hidden=1000000"]):
        cmd = [sys.executable, "-c", run, "run", "cosyne", "--problem", "sines", "--quiet",
               "--out", str(tmp_path / "out")] + [a for s in sets for a in ("--set", s)]
        p = subprocess.run(cmd, capture_output=True, env=env, cwd=tmp_path)
        lines = p.stderr.decode().splitlines()
        assert p.returncode == 2 and len(lines) == 1 and "memory: a generation needs" in lines[0], p.stderr
        peak_kb = int(hwm.read_text())
        assert peak_kb * 1024 < 1 * 2**30, peak_kb
        assert not (tmp_path / "out").exists()


ARCH_SIZES = {"mlp": {"hidden": [10**6]}, "rmlp": {"hidden": [10**6]}, "stacked": {"layers": [10**6]}}
SIZED = sorted(a for a in ARCHS if a in ARCH_SIZES or "n_hidden" in config.net_defaults(a))


@pytest.mark.parametrize("arch", SIZED)
def test_a_huge_network_is_refused_from_its_layout(arch):
    """n_hidden = 10**6 (10**12 parameters for most cells): refused from the layer table alone."""
    options = ARCH_SIZES.get(arch, {"n_hidden": 10**6})
    before = peak_rss()
    with pytest.raises(MemoryLimitError, match="parameters"):
        make_runner("ga", "sines", arch, net=options, settings={"population": 10}, max_memory=LIMIT)
    assert peak_rss() - before < 300 * 2**20


def test_a_network_past_64_bit_indices_is_one_line(tmp_path, capsys):
    with pytest.raises(ValueError, match="more parameters than a 64-bit index can count"):
        make_runner("ga", "sines", "elman", net={"n_hidden": 10**10}, max_memory=LIMIT)
    args = ["run", "ga", "--problem", "sines", "--out", str(tmp_path / "o"), "--set", "network.n_hidden=10000000000"]
    assert cli.main(args) == 2
    line = one_error_line(capsys)
    assert line.startswith("evornn: error: network: ") and "n_hidden = 10000000000" in line, line


def test_optimise_refuses_too(monkeypatch):
    import evornn
    with pytest.raises(MemoryLimitError, match="optimiser.population = 1000000000"):
        evornn.optimise("cosyne", "pole-balance", settings={"population": HUGE})   # "auto": no machine has 7 TiB
    est = {b: memory.guard(make_problem("pole-balance"), None, None, get_strategy("ga"),
                           get_strategy("ga").Config(population=100), None, b, 4) for b in ("local", "ray")}
    assert est["ray"].total > est["local"].total       # the object store's copies and each actor's own
    mg = make_problem("mackey-glass", n_train=20000)    # a problem with data: every actor holds a copy
    ray2, ray4 = (memory.guard(mg, None, None, get_strategy("ga"), get_strategy("ga").Config(population=8),
                               None, "ray", k) for k in (2, 4))
    assert ray4.total - ray2.total >= 2 * mg.data_bytes() > 0


def small_options(arch: str) -> tuple[int, int, dict]:
    if arch in ("hopfield", "hopfield-continuous"):
        return 6, 6, {}
    if arch == "bam":
        return 5, 3, {}
    return 3, 2, {"n_hidden": 5} if "n_hidden" in config.net_defaults(arch) else {}


@pytest.mark.parametrize("arch", sorted(ARCHS))
def test_the_layout_alone_has_the_built_network_sizes(arch):
    n_in, n_out, opts = small_options(arch)
    full = build(arch, n_in, n_out, **opts)
    with layout_only():
        lay = build(arch, n_in, n_out, **opts)
    assert (lay.n_params, lay.ws_len, lay.layout) == (full.n_params, full.ws_len, full.layout)
    cols = [c for c in range(NCOL) if c not in (FOFF, IOFF)]     # fixed data is left out of the layout
    assert np.array_equal(lay.L[:, cols], full.L[:, cols])
    assert all(not lay_.units for lay_ in lay.layers)
    # what the layout declares covers the full network's own data
    groups = sum(g.nbytes for g in full.neuron_groups(with_outgoing=False))
    actual = full.L.nbytes + full.fx.nbytes + full.ix.nbytes + groups
    assert actual <= lay.data_bytes() <= 2 * actual + 112 * int(full.L[:, 3].sum()) + 17 * 8 * 50 ** 2


def test_a_normal_run_passes_and_zero_means_no_limit(tmp_path):
    doc = {"problem": {"name": "pole-balance"}, "optimiser": {"name": "ga", "population": 20},
           "run": {"max_memory": "1GiB", "out": str(tmp_path)}}
    prep = runs.prepare(config.experiment(doc))
    assert prep.doc["run"]["max_memory"] == "1GiB"
    make_runner("ga", "pole-balance", settings={"population": 20})          # "auto", the default
    make_runner("ga", "pole-balance", settings={"population": HUGE}, max_memory=0)   # no limit (ga allocates at ask)
    with pytest.raises(MemoryLimitError):
        make_runner("ga", "pole-balance", settings={"population": 20}, max_memory="1KB")


@pytest.mark.parametrize("value,expected", [("auto", None), ("AUTO", None), (0, 0), ("0", 0), (4096, 4096),
                                            ("4GiB", 4 * 2**30), ("500MB", 500 * 10**6), ("1.5G", 1.5e9),
                                            ("2 gb", 2 * 10**9), ("64k", 64000), (2.0e9, 2 * 10**9)])
def test_max_memory_forms(value, expected):
    assert memory.parse_size(value) == expected


@pytest.mark.parametrize("value", ["lots", "-1GB", -1, "4 GiBs", "", "1e9", 1.5, True, "nan"])
def test_a_bad_max_memory_is_one_line_naming_the_allowed_forms(value):
    doc = {"problem": {"name": "pole-balance"}, "optimiser": {"name": "ga"}, "run": {"max_memory": value}}
    with pytest.raises(ValueError) as e:
        config.experiment(doc)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("run.max_memory must be "), msg
    if not isinstance(value, bool):
        assert '"auto"' in msg and "0 (no limit)" in msg and '"4GiB"' in msg, msg


def test_the_command_line_names_a_bad_max_memory(tmp_path, capsys):
    args = ["run", "ga", "--problem", "pole-balance", "--out", str(tmp_path / "o"), "--set", "run.max_memory=lots"]
    assert cli.main(args) == 2
    assert "run.max_memory must be " in one_error_line(capsys)
    assert not (tmp_path / "o").exists()


def test_auto_is_half_the_available_memory(monkeypatch):
    monkeypatch.setattr(memory, "available_bytes", lambda: 8 * 2**30)
    allowed, how = memory.limit("auto")
    assert allowed == 4 * 2**30 and "half" in how


def test_the_estimate_matches_a_measured_generation():
    """One generation of rwg (2,000 Elman networks of 991 parameters on sines), measured with
    tracemalloc (NumPy's allocations, the packed population included), against the estimate."""
    r = make_runner("rwg", "sines", "elman", net={"n_hidden": 30}, settings={"population": 2000}, max_memory=LIMIT)
    r.step()                                    # compiles; the measured step is the second
    est = memory.estimate(r.problem, r.net, type(r.strategy), r.strategy.config)
    tracemalloc.start()
    try:
        r.step()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak / 2 <= est.total <= 2 * peak, (est.parts, peak)


@pytest.mark.parametrize("name,settings", [("ga", {"population": 200}), ("pso", {"population": 200}),
                                           ("cosyne", {"population": 200}), ("sa", {"population": 200}),
                                           ("cmaes", {"population": 20})])
def test_optimiser_estimates_match_their_measured_peak(name, settings):
    """ask/tell over a few generations (random fitness), measured with tracemalloc."""
    from evornn.seeding import generator
    from evornn.settings import make_config
    n = 300
    cls = get_strategy(name)
    cfg = make_config(cls.Config, settings, name)
    fit = np.random.default_rng(1)

    def generations(k: int) -> None:
        st = cls(n, cfg, generator(0), lambda rng, m=None: rng.uniform(-1, 1, (m, n) if m else n))
        for _ in range(k):
            pop = st.ask()
            st.tell(pop, fit.normal(size=pop.shape[0]))
            del pop

    generations(1)              # the libraries' lazy imports are not the optimiser's memory
    tracemalloc.start()
    try:
        generations(3)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    est = cls.memory_bytes(cfg, n)
    assert peak / 2 <= est <= 2 * peak, (est, peak)


def test_an_ipop_restart_that_would_not_fit_ends_the_run_in_one_line():
    """CMA-ES's IPOP restarts double the population during the run: each restart is sized again
    (memory.room), and one whose doubled generation exceeds the limit ends the run with that reason
    instead of allocating it. A flat fitness makes pycma stop (tolflatfitness) at once."""
    from evornn.problem import EvalResult, Problem

    class Flat(Problem):
        name, n_inputs, n_outputs, metric_names = "flat", 2, 1, ()

        def evaluate(self, net, W, seeds):
            return EvalResult(np.zeros(W.shape[0]), np.zeros((W.shape[0], 0)))

    problem = Flat()
    net = build("elman", 2, 1, n_hidden=4)
    cls = get_strategy("cmaes")
    from evornn.settings import make_config
    sizes = [memory.estimate(problem, net, cls, make_config(cls.Config, {"population": p}, "cmaes")).total
             for p in (1000, 2000)]
    between = (sizes[0] + sizes[1]) // 2
    run = make_runner("cmaes", problem, net, settings={"population": 1000}, stop={"max_generations": 50},
                      max_memory=between)
    result = run.run()
    reasons = [r.criterion for r in result.stop_reasons]
    assert reasons == ["cmaes.ipop_memory"], result.stop_reasons
    assert run.strategy.popsize == 1000 and run.strategy.restart_count == 0
    text = result.stop_reasons[0].message
    assert "2,000" in text and "memory:" in text and "\n" not in text
    # without a limit the same run restarts with the population doubled
    free = make_runner("cmaes", problem, net, settings={"population": 1000}, stop={"max_generations": 3},
                       max_memory=0)
    free.run()
    assert free.strategy.restart_count >= 1 and free.strategy.popsize >= 2000


def _resident() -> tuple[int, int]:
    """(VmRSS, VmHWM) of this process, bytes."""
    got = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                got[line[:5]] = int(line.split()[1]) * 1024
    return got["VmRSS"], got["VmHWM"]


@pytest.mark.parametrize("name,params,arch,net", [
    ("ctc-stream", {"lengths": (300, 300), "n_train": 8, "n_test": 2}, "elman", {"n_hidden": 128}),
    ("copy-seq", {"train_lengths": (1500, 1500), "n_train": 8, "n_test": 2}, "seq2seq", {"cell": "lstm", "n_hidden": 64}),
    ("adding", {"length": 3000, "n_train": 8, "n_test": 2}, "lstm", {"n_hidden": 64}),
])
def test_the_gradient_estimate_matches_its_measured_peak(name, params, arch, net):
    """BPTT's estimate of one gradient over the training split (stored states of the chunks at work,
    a partial gradient per chunk; for seq2seq and CTC the problem's own gradient_bytes) against the
    peak resident memory of that call (Numba's allocations are not seen by tracemalloc), with long
    sequences so that the stored states dominate."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pytest.skip("needs /proc/self/clear_refs to reset the peak resident memory")
    import ctypes
    if ctypes.CDLL(None).mallopt(-3, 128 * 1024) != 1:   # M_MMAP_THRESHOLD fixed: a freed big array
        pytest.skip("needs glibc's mallopt")             # leaves the heap, so the warm-up is not in the base
    from evornn.grad import bptt
    r = make_runner("bptt", name, arch, net=net, problem_params=params, max_memory=0)
    st, prob = r.strategy, r.problem
    w = st.w.copy()
    S = prob.n_train_sequences if prob.own_gradient else len(prob.train.starts) - 1
    grad = ((lambda seqs: prob.gradient(r.net, w, seqs)) if prob.own_gradient
            else (lambda seqs: bptt.gradient(r.net, w, prob.train, seqs)))
    grad(np.arange(1))                                   # compiles
    est = type(st).memory_bytes(st.config, r.net.n_params, r.net, prob)
    # free memory the heaps kept (earlier tests' arrays, in the main thread's arena and the kernel
    # threads'): the call would reuse those resident pages and its peak would not show it
    ctypes.CDLL(None).malloc_trim(0)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    base = _resident()[0]
    grad(np.arange(S))
    peak = _resident()[1] - base
    print(f"{name}: estimate {est}, measured peak {peak}, ratio {est / peak:.2f}")
    assert peak / 2 <= est <= 2 * peak, (est, peak)


@pytest.mark.parametrize("case", ["mackey-glass", "own sequences"])
def test_building_the_data_takes_little_more_than_the_data(case):
    """The guard sizes a problem's data as its built arrays (``data_bytes``); building them must not
    take several times that on the way (it took 3.1x for Mackey-Glass when each sequence was copied,
    NaN-cleaned into another copy and concatenated into a third): at most the arrays plus the series
    they are cut from (Mackey-Glass: X and Y are copies of one series, so 1.5x: 1.76x measured at
    n_train = 6,000,000, 1.9x at the 400,000 here) and a margin."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pytest.skip("needs /proc/self/clear_refs to reset the peak resident memory")
    import ctypes
    if ctypes.CDLL(None).mallopt(-3, 128 * 1024) != 1:
        pytest.skip("needs glibc's mallopt")
    from evornn.api import supervised_problem
    if case == "own sequences":
        rng = np.random.default_rng(0)
        seqs = [(rng.normal(size=(20_000, 8)), rng.normal(size=(20_000, 4))) for _ in range(20)]

        def build_it():
            return supervised_problem(seqs)
        bound = 1.3                       # the user's arrays exist already: only the built ones count
    else:
        def build_it():
            return make_problem("mackey-glass", n_train=400_000, n_runs=1, test_forced=100)
        bound = 2.25
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    base = _resident()[0]
    p = build_it()
    peak = _resident()[1] - base
    data = p.data_bytes()
    print(f"{case}: data {data}, peak while building {peak}, ratio {peak / data:.2f}")
    assert peak <= bound * data, (peak, data)
