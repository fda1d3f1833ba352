"""bench_hopfield's table of evolved points (``--table``): one row per N, P and fitness settings, the
stability term's weight (``margin``) shown, so that two rows of the same N and P stay apart; the
figures are those of the CSV rows."""
from bench_scripts import load


bh = load("bench_hopfield")


def trial(seed, margin, exact, evaluations=20020, at_max=0):
    key = {"N": 256, "P": 51, "noise": 0.1, "problem_seed": 1000 + seed, "optimiser_seed": seed, "optimiser": "cmaes",
           "budget": 20000, "margin": margin, "kappa": 2.0, "probes": 1, "test_probes": 10, "init": "hebbian",
           "init_sigma": 0.05, "sigma0": 0.05, "full_budget": 0}
    return {**key, "evaluations": evaluations, "at_max": at_max, "evolved_exact": exact, "hebbian_exact": 0.02,
            "storkey_exact": 1.0, "pinv_exact": 1.0, "min_stability": -1.0, "cpu_s": 100.0, "wall_s": 200.0,
            "finished_utc": "2026-12-03 07:00:00"}


def test_rows_of_the_same_load_with_other_margins_stay_apart(tmp_path):
    path = str(tmp_path / "evolved.csv")
    for row in (trial(0, 10.0, 0.016), trial(1, 10.0, 0.5), trial(0, 1000.0, 0.96, 15000, 1)):
        bh.append_row(path, row)
    lines = bh.table(path).splitlines()
    assert lines[0].startswith("| N | P | P/N | margin | trials (problem seeds) |")
    assert len(lines) == 4
    assert lines[2] == ("| 256 | 51 | 0.199 | 10 | 2 (1000-1001) | 0.258 (0.016) | 0 of 2 | 0.020 | 1.000 | "
                        "20,000 / 20,020 (0 of 2) | 100 |")
    assert lines[3] == ("| 256 | 51 | 0.199 | 1000 | 1 (1000) | 0.960 (0.960) | 1 of 1 | 0.020 | 1.000 | "
                        "20,000 / 15,000 (1 of 1) | 100 |")
