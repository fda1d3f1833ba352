"""The memory guard sizes a problem's data before building it: every registered problem's module
has ``estimate_data_bytes``, within a factor of 2 of the built problem's ``data_bytes()`` at its
defaults and with each size parameter scaled up; a huge setting of each is refused in one line
(Python: MemoryLimitError; CLI: exit 2, no run folder) without the problem being made."""
from __future__ import annotations

import resource
import time

import numpy as np
import pytest

from evornn import cli, config, memory
from evornn.api import make_runner
from evornn.memory import MemoryLimitError
from evornn.problems import registry

LIMIT = "2GiB"
# Fixed-size arrays a problem keeps whatever its size parameters (feedback columns, start states,
# observation bounds) and the gym problem's nominal 1 KiB: the estimates may differ by this much
# besides the factor of 2.
SLACK = 4096
HUGE = 10**12

# Per problem: its size parameters, each with a scaled setting (x 2 to x 4) checked against the
# built problem, and a huge one that must be refused. Problems whose data do not grow with any
# parameter (pole-balance, sines, gym) have none. A problem missing here fails the walk below.
SIZES: dict[str, dict[str, tuple]] = {
    "pole-balance": {},
    "sines": {},
    "gym": {},
    "xor": {"steps": (4, HUGE)},
    "reber": {"n_train": (1024, HUGE), "n_test": (1024, HUGE)},
    "anbn": {"train_max_n": (40, 10**6), "test_max_n": (200, 10**6), "length_split": (True, None)},
    "anbncn": {"train_max_n": (40, 10**6), "test_max_n": (200, 10**6)},
    "mackey-glass": {"n_train": (4000, 10**10), "test_forced": (2000, 10**10), "horizon": (336, 10**10),
                     "n_runs": (20, 10**10)},
    "parity": {"length": (40, 10**9), "n_train": (512, 10**9), "n_test": (512, 10**9)},
    "adding": {"length": (200, 10**9), "n_train": (400, HUGE), "n_test": (1024, HUGE)},
    "timeseries": {"rows": (8000, None), "window": (4, None)},
    "hopfield-recall": {"n_units": (256, 10**7), "patterns": (32, HUGE), "probes": (16, HUGE),
                        "test_probes": (40, HUGE)},
    "bam-recall": {"n": (128, HUGE), "p": (128, HUGE), "pairs": (16, HUGE), "probes": (16, HUGE),
                   "test_probes": (40, HUGE)},
    "spike-templates": {"n_templates": (8, 10**9), "n_channels": (16, 10**9), "duration": (400, 10**9),
                        "n_train": (800, 10**9), "n_test": (800, 10**9)},
    "dyck1": {"train_min": (4, None), "train_max": (40, 10**9), "n_train": (800, HUGE), "n_test": (400, HUGE)},
    "reverse-string": {"train_min": (4, None), "train_max": (40, 10**9), "n_train": (800, HUGE),
                       "n_test": (400, HUGE)},
    "copy-seq": {"train_lengths": ([4, 40], [1, 10**9]), "test_lengths": ([44, 80], [11, 10**9]),
                 "n_train": (1024, HUGE), "n_test": (1024, HUGE)},
    "reverse-seq": {"train_lengths": ([4, 40], [1, 10**9]), "n_train": (1024, HUGE)},
    "ctc-stream": {"n_labels": (20, 10**9), "lengths": ([12, 32], [3, 10**9]), "hold": ([4, 16], [1, 10**9]),
                   "gap": ([0, 12], [0, 10**9]), "n_train": (800, HUGE), "n_test": (800, HUGE)},
    "copy": {"min_length": (4, None), "max_length": (40, 10**9), "n_train": (128, HUGE), "n_test": (128, HUGE),
             "bits": (32, 10**9)},
    "repeat-copy": {"max_length": (20, 10**9), "max_repeats": (20, 10**9), "n_train": (128, HUGE),
                    "bits": (32, 10**9)},
    "assoc-recall": {"min_length": (4, None), "max_length": (24, 10**9), "n_test": (128, HUGE),
                     "bits": (24, 10**9)},
    "two-sequence-lag": {"p": (400, 10**6), "n_train": (8, HUGE), "n_test": (8, HUGE)},
    "bool-trees": {"train_depth": (8, 3000), "test_depth": ([7, 8], [3000]), "n_train": (800, HUGE),
                   "n_test": (800, HUGE)},
    "arith-trees": {"train_depth": (8, 3000), "n_test": (800, HUGE)},
}
AVAILABLE = [name for name in SIZES if name in registry.available()]      # gym needs gymnasium
SCALED = [(name, key) for name in AVAILABLE for key in SIZES[name]]
HUGE_CASES = [(name, key) for name in AVAILABLE for key, (_, huge) in SIZES[name].items() if huge is not None]


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    """A CSV file of 2,000 rows and one of 8,000 (a date and a value a row) for timeseries."""
    folder = tmp_path_factory.mktemp("series")
    paths = {}
    for rows in (2000, 8000):
        t = np.arange(rows)
        lines = [f"2020-01-{i % 28 + 1:02d},{v:.6f}" for i, v in zip(t, np.sin(t / 7.0) + 0.1 * np.cos(t / 3.0))]
        paths[rows] = folder / f"series{rows}.csv"
        paths[rows].write_text("date,value\n" + "\n".join(lines) + "\n")
    return paths


def params_of(name: str, series, key: str | None = None, value=None) -> dict:
    """The problem's parameters for the test: the defaults (a CSV file for timeseries), ``key`` set."""
    if name == "timeseries":
        rows = value if key == "rows" else 2000
        return {"path": str(series[rows]), "column": "value", **({key: value} if key == "window" else {})}
    return {} if key is None else {key: value}


_DEFAULTS: dict[str, int] = {}


def default_bytes(name: str, series) -> int:
    """data_bytes() of the problem at its defaults (made once per module)."""
    if name not in _DEFAULTS:
        _DEFAULTS[name] = registry.make_problem(name, **params_of(name, series)).data_bytes()
    return _DEFAULTS[name]


def close(est: int, measured: int) -> bool:
    return measured / 2 - SLACK <= est <= 2 * measured + SLACK


def test_every_registered_problem_has_an_estimate_and_a_row_here(series):
    for name in registry.PROBLEMS.names():
        assert name in SIZES, f"{name}: add its size parameters to SIZES"
    for name in registry.available():
        est = registry.estimate_data_bytes(name, params_of(name, series))
        assert isinstance(est, int) and est > 0, f"{name}: no estimate_data_bytes next to its factory"


@pytest.mark.parametrize("name", AVAILABLE)
def test_the_estimate_at_the_defaults_is_the_built_problem_s_data(name, series):
    params = params_of(name, series)
    est = registry.estimate_data_bytes(name, params)
    assert close(est, default_bytes(name, series)), (est, default_bytes(name, series))


@pytest.mark.parametrize("name,key", SCALED)
def test_the_estimate_follows_each_size_parameter(name, key, series):
    value = SIZES[name][key][0]
    params = params_of(name, series, key, value)
    est = registry.estimate_data_bytes(name, params)
    measured = registry.make_problem(name, **params).data_bytes()
    if not isinstance(value, bool):          # length_split: another layout of the data
        assert measured > default_bytes(name, series), f"{key} = {value} does not grow the data: not a size parameter"
    assert close(est, measured), (est, measured)


@pytest.fixture
def never_built(monkeypatch):
    """Making any problem fails the test: the refusal must come from the parameters alone."""
    def fail(name, **params):
        raise AssertionError(f"problem {name} was built")
    monkeypatch.setattr(registry, "make_problem", fail)


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@pytest.mark.parametrize("name,key", HUGE_CASES)
def test_a_huge_setting_is_refused_from_python_before_the_problem_is_made(name, key, series, never_built):
    value = SIZES[name][key][1]
    before = peak_rss()
    with pytest.raises(MemoryLimitError) as e:
        make_runner("ga", name, problem_params=params_of(name, series, key, value), max_memory=LIMIT)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(f"memory: problem {name} ("), msg
    assert f"{key} = {value!r}" in msg and "of data; the limit is 2 GiB" in msg, msg
    assert peak_rss() - before < 100 * 2**20


@pytest.mark.parametrize("name,key", HUGE_CASES)
def test_a_huge_setting_is_refused_on_the_command_line(name, key, series, never_built, tmp_path, capsys):
    value = SIZES[name][key][1]
    out = tmp_path / "out"
    doc = {"problem": {"name": name, **params_of(name, series, key, value)},
           "run": {"max_memory": LIMIT, "out": str(out)}}
    (tmp_path / "huge.toml").write_text(config.dumps(doc))
    assert cli.main(["run", "cmaes", "--config", str(tmp_path / "huge.toml"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"evornn: error: memory: problem {name} ("), err
    assert f"{key} = {value!r}" in err and "Traceback" not in err, err
    assert not out.exists()


def test_a_long_series_file_is_refused_before_it_is_read_into_memory(series, never_built, tmp_path, capsys):
    """timeseries: the size is the file's; 8,000 rows (about 136 KB of data) against a 100 KB limit."""
    params = {"path": str(series[8000]), "column": "value"}
    with pytest.raises(MemoryLimitError, match=r"memory: problem timeseries \(path = '.*series8000.csv', window = 1"):
        make_runner("ga", "timeseries", problem_params=params, max_memory="100KB")
    out = tmp_path / "out"
    assert cli.main(["run", "ga", "--problem", "timeseries", "--set", f"problem.path={str(params['path'])!r}",
                     "--set", "problem.column='value'", "--set", "run.max_memory='100KB'", "--out", str(out)]) == 2
    assert "memory: problem timeseries" in capsys.readouterr().err and not out.exists()


@pytest.mark.parametrize("name", AVAILABLE)
def test_the_largest_settings_are_quick_python_ints(name, series):
    """Every integer parameter (and pair) at 2**62: no overflow, no loop over the sizes, no array."""
    _, args = registry.factory_arguments(name, params_of(name, series))
    big = {k: (2**62 if isinstance(v, int) and not isinstance(v, bool) else [1, 2**62])
           for k, v in args.items() if k != "seed" and (isinstance(v, int) and not isinstance(v, bool)
                                                         or isinstance(v, (list, tuple)) and len(v) == 2)}
    t = time.perf_counter()
    est = registry.estimate_data_bytes(name, {**params_of(name, series), **big})
    assert time.perf_counter() - t < 0.5
    assert est is None or isinstance(est, int)
    if SIZES[name] and name != "timeseries":     # timeseries: a window longer than the file leaves no data
        assert est > 2**62, (name, big, est)


def test_a_problem_without_an_estimate_is_built_unchecked(monkeypatch):
    from evornn.problems import xor
    monkeypatch.delattr(xor, "estimate_data_bytes")
    assert registry.estimate_data_bytes("xor", {"steps": HUGE}) is None
    assert memory.check_problem("xor", {"steps": HUGE}, "1KB") is None


def test_bad_parameters_are_left_to_the_factory_s_own_message():
    assert registry.estimate_data_bytes("copy-seq", {"train_lengths": [5]}) is None
    with pytest.raises(ValueError, match=r"problem copy-seq: train_lengths must be \[shortest, longest\]"):
        make_runner("ga", "copy-seq", problem_params={"train_lengths": [5]}, max_memory=LIMIT)
    with pytest.raises(ValueError, match="problem.n_train must be int"):
        memory.check_problem("reber", {"n_train": "many"}, LIMIT)
    assert memory.check_problem("reber", {}, None) is None         # None: not checked
