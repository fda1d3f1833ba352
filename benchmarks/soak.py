"""Soak: many short runs back to back, killed and resumed at random; nothing lost, nothing crashes.

    python benchmarks/soak.py [--runs 200] [--seed 0] [--out /tmp/evornn-soak] [--memory-passes 5]

Each run draws an optimiser, a problem (small settings) and a seed, and is recorded twice:
its uninterrupted twin in this process (:func:`evornn.runs.start`), and ``evornn run`` in a
subprocess that is SIGKILLed at a random moment (about one run in three is left alone; a kill
lands at a random generation, or at a random time that may fall in start-up), then continued with
``evornn resume`` (itself killed again now and then) until it finishes. Checked:

* after every kill, the run folder reads back whole: config.toml, environment.json, metrics.csv,
  best.npy and network.json parse, and the newest checkpoint verifies (a kill never damages one);
  the temporary files a kill may leave are counted (``resume`` removes them);
* every finished run equals its twin: same best.npy bytes, same metrics.csv rows (but the times),
  same summary (but the times), and no temporary file left;
* memory: ``evornn.optimise`` on the first configurations, several passes in this process; the
  resident size after the first pass (compilation) must not grow (less than 5 MB over the rest).

Prints one line per run and the totals (runs, kills, resumes, mismatches, damaged folders).
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import evornn  # noqa: E402
from evornn import checkpoints, config, files, runs  # noqa: E402
from evornn.records import METRICS, read_metrics  # noqa: E402

PROBLEMS = {   # name -> (problem params, network)
    "pole-balance": ({"poles": 1, "max_steps": 500}, {"arch": "frnn", "n_hidden": 1}),
    "parity": ({"length": 4, "n_train": 8, "n_test": 8}, {"arch": "elman", "n_hidden": 3}),
    "adding": ({"length": 8, "n_train": 16, "n_test": 16}, {"arch": "elman", "n_hidden": 3}),
    "hopfield-recall": ({"n_units": 12, "patterns": 2}, {"arch": "hopfield"}),
    "dyck1": ({"train_max": 3, "n_train": 10, "n_test": 5}, {"arch": "stack-rnn", "n_hidden": 2, "depth": 15}),
}
SETTINGS = {"ga": {"population": 12}, "rwg": {"population": 12}, "cosyne": {"population": 12},
            "pso": {"population": 12}, "sa": {"population": 8}, "esp": {"population": 6, "trials": 3},
            "cmaes": {"population": 8}, "bptt": {"batch_size": 8}, "rtrl": {}, "dekf": {}, "esn-ridge": {}, "storage-rule": {},
            "evolino": {"population": 6, "trials": 2}, "neat": {"population": 12}}
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
       "EVORNN_CONFIGS": str(REPO / "configs")}


def draw(rng: random.Random) -> tuple[dict, runs.Prepared]:
    """A random configuration that prepares (some optimisers need sequence data or an architecture)."""
    from evornn.optim import registry
    while True:
        opt, prob = rng.choice(registry.available()), rng.choice(sorted(PROBLEMS))
        params, net = PROBLEMS[prob]
        if opt == "esn-ridge":
            net = {"arch": "esn", "n_hidden": 5}
        if opt == "evolino":         # needs a supervised problem that solves the readout
            if prob not in ("parity", "adding"):
                continue
            params = {**params, "readout": "ridge"}
        if opt == "neat":                # evolves neat-net phenotypes only
            net = {"arch": "neat-net", "max_nodes": 14}
        doc = {"problem": {"name": prob, **params}, "network": dict(net),
               "optimiser": {"name": opt, **SETTINGS.get(opt, {})},
               "stop": {"max_generations": rng.randint(4, 16), "solved": False},
               "run": {"seed": rng.randrange(10_000), "checkpoint_every": rng.randint(1, 4),
                       "keep_checkpoints": rng.randint(1, 3), "workers": 1}}
        try:
            return doc, runs.prepare(config.experiment(doc))
        except ValueError as e:
            if "has none" in str(e) or "does not support" in str(e):
                continue             # this optimiser needs data or a network the problem lacks
            raise                    # anything else: this script's settings went stale



def the_folder(out: Path) -> Path | None:
    """The run folder under ``out`` that has its config.toml (a kill may come before it exists)."""
    found = [p for p in out.iterdir() if (p / "config.toml").is_file()] if out.is_dir() else []
    return found[0] if found else None


def check_whole(folder: Path) -> tuple[list[str], int]:
    """Faults of a killed run folder (each file must read back), and the temporary files left."""
    faults = []
    readers = {"config.toml": config.load_toml, "environment.json": files.read_json, METRICS: read_metrics,
               "best.npy": files.read_vector, "network.json": files.read_json, "summary.json": files.read_json}
    for name, read in readers.items():
        if (folder / name).exists():
            try:
                read(folder / name)
            except (OSError, ValueError) as e:
                faults.append(str(e))
    try:
        checkpoints.newest(folder / "checkpoints", warn=faults.append)
    except ValueError as e:
        faults.append(str(e))
    return faults, len(list(folder.rglob(".*.tmp")))


def launch(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "evornn.cli", *args, "--quiet"], env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def run_and_maybe_kill(args: list[str], out: Path, rng: random.Random, kill: bool, generations: int) -> bool:
    """Run the command; when ``kill``: SIGKILL it at a random generation (or a random time).
    Returns True when it was killed."""
    proc = launch(args)
    if kill:
        by_time = rng.random() < 0.25
        when = time.monotonic() + rng.uniform(0.0, 4.0)
        at = rng.randint(1, max(1, generations - 1))
        while proc.poll() is None:
            folder = the_folder(out)
            rows = _rows(folder / METRICS) if folder is not None else 0
            if (by_time and time.monotonic() >= when) or (not by_time and rows >= at):
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return True
            time.sleep(0.002)
    _, err = proc.communicate(timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}): {err.strip()}")
    return False


def _rows(path: Path) -> int:
    try:
        return max(0, path.read_bytes().count(b"\n") - 1)
    except OSError:
        return 0


def timeless_summary(folder: Path) -> dict:
    s = files.read_json(folder / "summary.json")
    return {k: v for k, v in s.items() if k not in ("elapsed", "wall_time")}


def timeless_rows(folder: Path) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "elapsed"} for r in read_metrics(folder / METRICS)]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def memory(docs: list[dict], passes: int) -> list[float]:
    """Resident size (MB) after each pass of ``evornn.optimise`` over ``docs``."""
    out = []
    for _ in range(passes):
        for d in docs:
            evornn.optimise(d["optimiser"]["name"], d["problem"]["name"], d["network"]["arch"],
                            net={k: v for k, v in d["network"].items() if k != "arch"},
                            problem_params={k: v for k, v in d["problem"].items() if k != "name"},
                            settings={k: v for k, v in d["optimiser"].items() if k != "name"},
                            stop=d["stop"], seed=d["run"]["seed"])
        out.append(rss_mb())
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="/tmp/evornn-soak")
    ap.add_argument("--memory-passes", type=int, default=5)
    ap.add_argument("--memory-configs", type=int, default=20)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    root = Path(args.out)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    totals = dict(runs=0, killed_runs=0, kills=0, resumes=0, restarts=0, empty_folders=0, mismatches=0, damaged=0,
                  tmp_files=0, tmp_left=0)
    docs = []
    t0 = time.monotonic()
    for i in range(args.runs):
        doc, prep = draw(rng)
        docs.append(doc)
        path = root / f"cfg-{i:03d}.toml"
        path.write_text(config.dumps(doc))
        twin_root, out = root / f"twin-{i:03d}", root / f"run-{i:03d}"
        _, twin_summary = runs.start(prep, twin_root, "run")
        gens = doc["stop"]["max_generations"]
        opt = doc["optimiser"]["name"]
        kill = rng.random() < 2 / 3
        killed = run_and_maybe_kill(["run", opt, f"--config={path}", f"--out={out}"], out, rng, kill, gens)
        kills = resumes = 0
        while killed:
            kills += 1
            folder = the_folder(out)
            if folder is None:                  # killed before its folder was written: start again
                totals["restarts"] += 1
                totals["empty_folders"] += len([p for p in out.iterdir() if p.is_dir()]) if out.is_dir() else 0
                shutil.rmtree(out, ignore_errors=True)
                killed = run_and_maybe_kill(["run", opt, f"--config={path}", f"--out={out}"], out, rng,
                                            kills < 4 and rng.random() < 0.3, gens)
                continue
            faults, tmp = check_whole(folder)
            totals["tmp_files"] += tmp
            if faults:
                totals["damaged"] += 1
                print(f"  DAMAGED {folder}: {'; '.join(faults)}", flush=True)
            if (folder / "summary.json").exists():
                break                          # killed after it finished
            resumes += 1
            killed = run_and_maybe_kill(["resume", str(folder)], out, rng, kills < 4 and rng.random() < 0.3, gens)
        folder = the_folder(out)
        same = (folder is not None and (folder / "best.npy").read_bytes() == (twin_root / "run" / "best.npy").read_bytes()
                and timeless_rows(folder) == timeless_rows(twin_root / "run")
                and timeless_summary(folder) == timeless_summary(twin_root / "run"))
        left = len(list(folder.rglob(".*.tmp"))) if folder is not None else 0
        totals["runs"] += 1
        totals["killed_runs"] += kills > 0
        totals["kills"] += kills
        totals["resumes"] += resumes
        totals["mismatches"] += not same
        totals["tmp_left"] += left
        print(f"run {i + 1:>3}/{args.runs}: {opt:<9} {doc['problem']['name']:<12} seed {doc['run']['seed']:>4}, "
              f"{gens:>2} generations, {kills} kill(s), {resumes} resume(s): "
              f"{'same as its twin' if same else 'MISMATCH'}{f', {left} temporary files left' if left else ''}",
              flush=True)
        if same and not left:
            shutil.rmtree(twin_root)
            shutil.rmtree(out)
    minutes = (time.monotonic() - t0) / 60
    print(f"\n{totals['runs']} runs in {minutes:.1f} min: {totals['killed_runs']} killed ({totals['kills']} kills, "
          f"{totals['resumes']} resumes, {totals['restarts']} restarted before their folder had its config.toml, "
          f"leaving {totals['empty_folders']} empty folders), "
          f"{totals['mismatches']} mismatches with the uninterrupted twin, {totals['damaged']} damaged folders "
          f"after a kill, {totals['tmp_files']} temporary files seen after kills, {totals['tmp_left']} left at the end")

    passes = memory(docs[:args.memory_configs], args.memory_passes)
    growth = passes[-1] - passes[0]
    print(f"memory: evornn.optimise, {len(docs[:args.memory_configs])} configurations x {args.memory_passes} passes "
          f"in one process: resident {', '.join(f'{m:.0f}' for m in passes)} MB after each pass; "
          f"growth after the first pass {growth:+.1f} MB")
    ok = totals["mismatches"] == 0 and totals["damaged"] == 0 and totals["tmp_left"] == 0 and growth < 5.0
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
