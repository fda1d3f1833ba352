"""The benchmarks' run files (benchmarks/runs_csv.py: one CSV row per run, appended as each run
ends) resume a cut-off benchmark without running a run twice; bench_transduction.py plans its runs
seed by seed, and its tables' figures (seeds, solved count, mean and min-max) are those of the rows."""
import sys

import pytest
from bench_scripts import load

import runs_csv  # noqa: E402  (benchmarks/, on sys.path by bench_scripts)


bt = load("bench_transduction")


def fake_row(label, method, seed, evaluations=10_000, epochs=60):
    """A row as bench_transduction.run makes it, its measures a function of the run."""
    row = {"problem": label, "method": method, "seed": seed, "budget": bt.budget(method, evaluations, epochs),
           "arch": "elman", "net": "n_hidden=8", "evaluations": 100 + seed, "solved": seed == 1, "seconds": 2.0}
    if label.startswith("ctc"):
        row.update(test_ler=0.1 * seed, test_sequence_accuracy=0.5, train_ler=0.05 * seed)
    else:
        row.update(test_sequence_accuracy=0.25 * seed, test_symbol_accuracy=0.5, train_sequence_accuracy=1.0)
    return row


class Cut(Exception):
    pass


def runner(calls, cut_after=None):
    def run_one(run):
        if cut_after is not None and len(calls) == cut_after:
            raise Cut
        calls.append(run)
        return fake_row(*run[:3], evaluations=int(run[3].split("=")[1]) if run[1] != "bptt" else 10_000)
    return run_one


def run_all(plan, path, calls, cut_after=None):
    return runs_csv.run_all(plan, path, bt.FIELDS, bt.KEY, runner(calls, cut_after), log=sys.stdout)


def test_runs_go_seed_by_seed():
    runs = bt.plan(["copy-seq", "ctc-stream"], ["cosyne", "bptt"], range(3), 10_000, 60)
    assert [r[2] for r in runs] == [0] * 4 + [1] * 4 + [2] * 4
    assert runs[:4] == [("copy-seq", "cosyne", 0, "evaluations=10000"), ("copy-seq", "bptt", 0, "epochs=60"),
                        ("ctc-stream", "cosyne", 0, "evaluations=10000"), ("ctc-stream", "bptt", 0, "epochs=60")]


def test_a_cut_off_benchmark_resumes_without_running_a_run_twice(tmp_path):
    path = str(tmp_path / "runs.csv")
    runs = bt.plan(["copy-seq", "ctc-stream"], ["cosyne", "bptt"], range(3), 10_000, 60)
    calls = []
    with pytest.raises(Cut):
        run_all(runs, path, calls, cut_after=5)
    assert len(runs_csv.read_rows(path, bt.FIELDS)) == 5
    # a run killed while writing leaves a line without its newline: not a row, dropped, run again
    with open(path, "a") as f:
        f.write("copy-seq,bptt,1,epochs=60,elman,n_hidden=8,10")
    assert len(runs_csv.read_rows(path, bt.FIELDS)) == 5
    run_all(runs, path, calls)
    assert calls == runs                                         # each run once, in the planned order
    rows = runs_csv.read_rows(path, bt.FIELDS)
    assert [tuple(r[k] for k in bt.KEY) for r in rows] == runs
    assert rows[5] == fake_row("copy-seq", "bptt", 1)            # read back as written
    # everything done: nothing runs; another budget is another run
    run_all(runs, path, calls)
    assert len(calls) == len(runs)
    run_all(bt.plan(["copy-seq"], ["cosyne"], range(1), 20_000, 60), path, calls)
    assert calls[-1] == ("copy-seq", "cosyne", 0, "evaluations=20000") and len(calls) == len(runs) + 1


def test_a_file_of_other_columns_is_refused(tmp_path):
    path = tmp_path / "runs.csv"
    path.write_text("problem,seed\ncopy-seq,0\n")
    with pytest.raises(SystemExit):
        runs_csv.read_rows(str(path), bt.FIELDS)


def test_the_transduction_tables_give_seeds_solved_mean_and_range(tmp_path):
    path = str(tmp_path / "runs.csv")
    run_all(bt.plan(["copy-seq", "ctc-stream"], ["cmaes"], range(3), 10_000, 60), path, [])
    lines = bt.table(runs_csv.read_rows(path, bt.FIELDS)).splitlines()
    copy = next(line for line in lines if line.startswith("| copy-seq | cmaes |"))
    # test strings right 0, 25, 50 %; symbols 50 %; training strings 100 %; seed 1 solved
    assert copy == ("| copy-seq | cmaes | elman n_hidden=8 | evaluations=10000 | 3 | 1 | 25.0 (0.0-50.0) | "
                    "50.0 (50.0-50.0) | 100.0 (100.0-100.0) | 101 | 2 |")
    ctc = next(line for line in lines if line.startswith("| ctc-stream | cmaes |"))
    assert ctc == ("| ctc-stream | cmaes | elman n_hidden=8 | evaluations=10000 | 3 | 1 | 10.0 (0.0-20.0) | "
                   "50.0 (50.0-50.0) | 5.0 (0.0-10.0) | 101 | 2 |")


def test_a_real_transduction_run_fills_the_csv_columns(tmp_path):
    """bench_transduction.run through the real runner (tiny budgets): its rows have only the CSV's columns."""
    path = str(tmp_path / "runs.csv")
    runs = [("copy-seq", "cmaes", 0, "evaluations=40"), ("ctc-stream", "bptt", 0, "epochs=1")]
    runs_csv.run_all(runs, path, bt.FIELDS, bt.KEY, lambda r: bt.run(*r[:3], 40, 1))
    copy, ctc = runs_csv.read_rows(path, bt.FIELDS)
    assert copy["arch"] == "seq2seq" and 40 <= copy["evaluations"] < 80
    assert 0 <= copy["test_sequence_accuracy"] <= copy["test_symbol_accuracy"] <= 1 and "test_ler" not in copy
    assert ctc["evaluations"] == 200 and 0 <= ctc["test_ler"] and "test_symbol_accuracy" not in ctc


btr = load("bench_trees")


def test_the_trees_table_gives_seeds_solved_mean_and_range(tmp_path):
    path = str(tmp_path / "trees.csv")
    runs = btr.plan(["bool-trees"], [("cmaes", "recursive"), ("bptt", "lstm")], 8, range(1, 4), 10_000)
    assert runs[:2] == [("bool-trees", "cmaes", "recursive", 8, 1, "evaluations=10000"),
                        ("bool-trees", "bptt", "lstm", 8, 1, "evaluations=10000")]

    def fake(run):
        return {**dict(zip(btr.KEY, run)), "n_params": 193, "evaluations": 1000 * run[4], "solved": run[4] == 3,
                "seconds": 1.0, "test_accuracy": 0.9 + 0.02 * run[4], "train_accuracy": 1.0}
    runs_csv.run_all(runs, path, btr.FIELDS, btr.KEY, fake, log=sys.stdout)
    lines = btr.table(runs_csv.read_rows(path, btr.FIELDS)).splitlines()
    assert lines[2] == ("| bool-trees | cmaes | recursive | 8 | 193 | evaluations=10000 | 3 | 1 | "
                        "0.940 (0.920-0.960) | - | 1.000 (1.000-1.000) | 2,000 | 1 |")
    assert lines[3].startswith("| bool-trees | bptt | LSTM on the prefix string | 8 | 193 |")


def test_a_real_trees_run_fills_the_csv_columns(tmp_path):
    path = str(tmp_path / "trees.csv")
    runs_csv.run_all([("bool-trees", "cmaes", "recursive", 4, 1, "evaluations=40")], path, btr.FIELDS, btr.KEY,
                     lambda r: btr.run(*r))
    (row,) = runs_csv.read_rows(path, btr.FIELDS)
    assert 40 <= row["evaluations"] < 80 and 0 <= row["test_accuracy"] <= 1 and row["n_params"] > 0
