"""benchmarks/bench_memory.py: one CSV row per run, appended as it ends, resumable from a seed, and
--set reaching the optimiser of a flat-chromosome network (dense-entm)."""
import csv
import sys

import bench_scripts


def test_runs_append_csv_rows_from_the_first_seed_with_the_settings(tmp_path, monkeypatch, capsys):
    bench = bench_scripts.load("bench_memory")
    path = tmp_path / "runs.csv"
    argv = ["bench_memory.py", "--task", "copy", "--bits", "1", "--max-length", "2", "--n-train", "4", "--n-test", "2",
            "--start", "--fitness", "strict", "--archs", "dense-entm", "--optimisers", "cosyne", "--seeds", "2",
            "--first-seed", "3", "--evaluations", "5", "--csv", str(path), "--set", "population=10"]
    monkeypatch.setattr(sys, "argv", argv)
    bench.main()
    monkeypatch.setattr(sys, "argv", argv[:argv.index("--seeds")] + ["--seeds", "1", "--evaluations", "5", "--csv",
                                                                     str(path), "--set", "population=20"])
    bench.main()                                         # a second command appends, one header
    rows = list(csv.DictReader(open(path)))
    assert [(r["seed"], r["arch"], r["cell"], r["optimiser"], r["settings"]) for r in rows] == [
        ("3", "dense-entm", "dense", "cosyne", "population=10"), ("4", "dense-entm", "dense", "cosyne", "population=10"),
        ("0", "dense-entm", "dense", "cosyne", "population=20")]
    # CoSyNE's population reaches the run: a budget of 5 is spent by the first generation, whole
    assert [int(r["evaluations"]) for r in rows] == [10, 10, 20]
    assert rows[0]["params"] == str((1 + 2 + 5) * (3 + 2 + 1)) and rows[0]["bits"] == "1"
    for r in rows:
        assert 0.0 <= float(r["train"]) <= 1.0 and 0.0 <= float(r["bit_accuracy_5x"]) <= 1.0
    assert "seeds 3..4" in capsys.readouterr().out
