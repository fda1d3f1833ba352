"""Config documents: TOML written by evornn reads back as the same values; --set parsing."""
import math
import tomllib

import pytest

from evornn import config


def test_written_toml_reads_back_identically():
    doc = {"problem": {"name": "pole-balance", "poles": 2, "velocities": True, "start_angle": 4.0,
                       "tiny": 1e-05, "huge": 1e16, "neg": -0.1},
           "network": {"arch": "stacked", "layers": [8, 8], "cell": "lstm", "note": 'a "quoted" \\ string ü'},
           "optimiser": {"name": "ga", "mutation_args": {"sigma": 0.5, "indpb": 0.2}, "selection_args": {}},
           "stop": {"max_generations": 10, "target_fitness": None, "wall_clock": math.inf},
           "optimisers": [{"name": "ga"}, {"name": "sa", "label": "sa-hot", "t0": 2.0}]}
    back = tomllib.loads(config.dumps(doc, "a header\nof two lines"))
    expected = {**doc, "stop": {"max_generations": 10, "wall_clock": math.inf}}   # None: left at its default
    assert back == expected


@pytest.mark.parametrize("raw,value", [("50", 50), ("0.5", 0.5), ("true", True), ("[8, 8]", [8, 8]),
                                       ('"x y"', "x y"), ("elman", "elman"), ("1e-3", 1e-3)])
def test_set_values_parse_as_toml_or_as_a_bare_string(raw, value):
    doc = config.apply_sets({"network": {"arch": "frnn"}}, [f"network.v={raw}"])
    assert doc["network"] == {"arch": "frnn", "v": value}


def test_stop_gets_a_budget_only_when_it_names_none():
    assert config.stop_config({}).max_generations == config.DEFAULT_MAX_GENERATIONS
    assert config.stop_config({"max_evaluations": 500}).max_generations == 0


# -- where configs come from ----------------------------------------------------------------------
def test_the_current_folder_shadows_no_shipped_config(tmp_path, monkeypatch):
    from pathlib import Path
    monkeypatch.delenv("EVORNN_CONFIGS", raising=False)
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "ga-pole-balance.toml").write_text("not toml at all [\n")
    monkeypatch.chdir(tmp_path)
    shipped = config.default_config("ga", "pole-balance")
    assert shipped is not None and shipped.resolve() != (tmp_path / "configs" / "ga-pole-balance.toml").resolve()
    assert config.load_toml(shipped)["optimiser"]["name"] == "ga"
    monkeypatch.setenv("EVORNN_CONFIGS", str(tmp_path / "configs"))      # unless EVORNN_CONFIGS says so
    assert config.default_config("ga", "pole-balance") == Path(tmp_path / "configs" / "ga-pole-balance.toml")


def test_a_shipped_config_by_name_and_its_data_path_from_any_folder(tmp_path, monkeypatch):
    from evornn import runs
    monkeypatch.delenv("EVORNN_CONFIGS", raising=False)
    monkeypatch.chdir(tmp_path)
    assert config.find_config("compare-neuroevolution").name == "compare-neuroevolution.toml"
    assert config.find_config("problems/sines.toml").is_file()
    # a checkout's path, as copied from the repository, names the shipped config from any folder
    assert config.find_config("configs/neat-xor-pop50.toml").name == "neat-xor-pop50.toml"
    assert config.find_config("configs/problems/sines.toml") == config.find_config("problems/sines")
    with pytest.raises(FileNotFoundError, match="configs/nope.toml"):
        config.find_config("configs/nope.toml")
    with pytest.raises(FileNotFoundError, match="nope"):
        config.find_config("nope")
    doc = config.load_toml(config.default_config("ga", "timeseries"))
    assert doc["problem"]["path"].endswith("example-series.csv") and tmp_path.as_posix() not in doc["problem"]["path"]
    doc["optimiser"] = {"name": "rwg"}
    assert runs.prepare(config.experiment(doc)).problem.name == "timeseries"
