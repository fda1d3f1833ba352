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


# -- include --------------------------------------------------------------------------------------
def test_include_starts_from_other_configs_and_each_key_replaces_theirs(tmp_path, monkeypatch):
    monkeypatch.delenv("EVORNN_CONFIGS", raising=False)
    monkeypatch.chdir(tmp_path.parent)                      # names resolve from the file, not the folder
    shipped = config.load_toml(config.find_config("cosyne-gym-cartpole"))
    (tmp_path / "data").mkdir()
    (tmp_path / "base.toml").write_text('[problem]\nname = "timeseries"\npath = "data/x.csv"\n'
                                        '[optimiser]\nname = "ga"\nmutation_args = {sigma = 0.5, indpb = 0.2}\n')
    (tmp_path / "mine.toml").write_text('include = ["cosyne-gym-cartpole", "base.toml"]\n'
                                        '[optimiser]\npopulation = 30\nmutation_args = {sigma = 0.1}\n'
                                        '[run]\nseed = 3\n')
    doc = config.load_toml(tmp_path / "mine.toml")
    assert "include" not in doc
    assert doc["network"] == shipped["network"] and doc["stop"] == shipped["stop"]      # from the shipped config
    assert doc["problem"] == {**shipped["problem"], "name": "timeseries",              # base.toml after it
                              "path": str((tmp_path / "data" / "x.csv").resolve())}    # relative to base.toml
    assert doc["optimiser"] == {**shipped["optimiser"], "name": "ga", "population": 30,
                                "mutation_args": {"sigma": 0.1}}                      # a value replaced whole
    assert doc["run"] == {**shipped.get("run", {}), "seed": 3}
    back = tomllib.loads(config.dumps(doc))                 # a run saves it complete, without include
    assert back["optimiser"]["population"] == 30 and "include" not in back


def test_include_errors_are_one_line_naming_the_file(tmp_path):
    (tmp_path / "a.toml").write_text('include = "b.toml"\n')
    (tmp_path / "b.toml").write_text('include = ["a.toml"]\n')
    (tmp_path / "bad.toml").write_text("include = 5\n")
    (tmp_path / "miss.toml").write_text('include = "nope-nothing"\n')
    with pytest.raises(ValueError, match=r"^.*b\.toml: include 'a\.toml' makes a cycle: a\.toml -> b\.toml -> a\.toml$"):
        config.load_toml(tmp_path / "a.toml")
    with pytest.raises(ValueError, match=r"bad\.toml: include must be a config's name or path, or a list of them, got 5$"):
        config.load_toml(tmp_path / "bad.toml")
    with pytest.raises(FileNotFoundError, match=r"miss\.toml: include 'nope-nothing': config file nope-nothing not found"):
        config.load_toml(tmp_path / "miss.toml")
