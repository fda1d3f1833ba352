"""Gymnasium control tasks: success rate, episodes, environment steps and wall time to solve.

For each environment and method, runs N seeds of the shipped config
``configs/<method>-gym-<env>.toml`` (cosyne, cmaes and ga have one each; another method takes the
CoSyNE config's problem and network with its own default settings) through evornn's runner, and
writes a markdown table next to the published references. "Solved" is the problem's own test: the
mean return of 100 test episodes with fresh seeds reaches the environment's reward_threshold
(Pendulum has none; its configs set -200). Episodes to solve = evaluations to solve x episodes per
evaluation + the test episodes the run ran; environment steps are those of the evaluations up to
the end of the run (training steps, as RL counts them; the test episodes' steps are reported apart,
``test_env_steps`` in the JSON lines). Medians are over successful runs.

    python benchmarks/gym_table.py --seeds 10 --out results/gym_table.md
    python benchmarks/gym_table.py --seeds 3 --envs cartpole,cartpole-novel --methods cosyne,cmaes --jobs 2
"""
from __future__ import annotations

import os

# One BLAS thread (each run runs on one thread): pycma's eigendecomposition of LunarLander's 108 x 108
# covariance took 49 ms of CPU (287 ms wall) with OpenBLAS's threads on the loaded machine, 0.85 ms
# with one; a 300-evaluation CMA-ES run used 6.3 s of CPU against 4.5 s, with the same results.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from contextlib import nullcontext  # noqa: E402
import tomllib  # noqa: E402
from pathlib import Path  # noqa: E402

import evornn  # noqa: E402
from evornn.evaluators import LocalEvaluator  # noqa: E402

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
ENVS = ["cartpole", "cartpole-novel", "acrobot", "mountaincar-continuous", "pendulum", "lunarlander"]
# Published references (the list): Gymnasium's threshold; gymnax's OpenES (2x64 MLP,
# 200,000 episodes); RL Zoo RecurrentPPO on the NoVel variants.
REFERENCE = {
    "cartpole": "threshold 475; gymnax OpenES 500 in 200k episodes",
    "cartpole-novel": "RL Zoo RecurrentPPO 500 in 100k steps",
    "acrobot": "threshold -100; gymnax OpenES -80 in 200k episodes",
    "mountaincar-continuous": "threshold 90; gymnax OpenES 92 in 200k episodes",
    "pendulum": "no threshold (ours: -200); gymnax OpenES -130 in 200k episodes",
    "lunarlander": "threshold 200",
}


def load(method: str, env: str, overrides: tuple = ()) -> dict:
    """The shipped config of ``method`` on ``env``, with ``overrides`` ("section.key=value", the value
    in TOML) applied."""
    path = CONFIGS / f"{method}-gym-{env}.toml"
    if path.exists():
        doc = tomllib.loads(path.read_text())
    else:
        doc = tomllib.loads((CONFIGS / f"cosyne-gym-{env}.toml").read_text())
        doc["optimiser"] = {"name": method}
    for item in overrides:
        key, _, value = item.partition("=")
        section, _, name = key.partition(".")
        if not (section and name and value):
            raise SystemExit(f"gym_table: --set takes section.key=value (e.g. problem.episodes=5), got {item!r}")
        try:
            doc.setdefault(section, {})[name] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            raise SystemExit(f"gym_table: --set {item!r}: the value must be TOML (a number, true/false, \"text\", [list])") from None
    return doc


def run_one(method: str, env: str, seed: int, budget: int | None, wall_clock: float = 0.0,
            overrides: tuple = ()) -> dict:
    doc = load(method, env, overrides)
    prob = dict(doc["problem"])
    prob.pop("name")
    net = dict(doc["network"])
    arch = net.pop("arch")
    settings = {k: v for k, v in doc["optimiser"].items() if k != "name"}
    stop = dict(doc["stop"])
    if budget:
        stop["max_evaluations"] = budget
    if wall_clock:
        stop["wall_clock"] = wall_clock
    runner = evornn.make_runner(method, "gym", arch, net=net, settings=settings, problem_params=prob, seed=seed,
                                stop=stop, evaluator=LocalEvaluator(threads=1))
    t0 = time.perf_counter()
    res = runner.run()
    p = runner.problem
    evals = int(res.progress.evaluations_to_solve) if res.solved else int(res.progress.evaluations)
    return {"method": method, "env": env, "env_id": p.env_name, "seed": seed, "solved": bool(res.solved),
            "evaluations": evals, "episodes": evals * p.episodes + int(res.progress.test_episodes),
            "env_steps": int(p.env_steps), "test_env_steps": int(p.test_env_steps), "test_return": res.solved_info.get("test_return"),
            "best_return": float(res.best_fitness), "seconds": time.perf_counter() - t0,
            "n_params": int(runner.net.n_params), "arch": arch,
            "stopped_by": [s.criterion for s in res.stop_reasons], "backend": "port" if p.port is not None else "gymnasium"}


def table(rows: list[dict], envs: list[str], methods: list[str]) -> str:
    out = ["| environment | method | network | solved | median episodes | most episodes | median training env steps | median wall s | reference |",
           "|---|---|---|---|---|---|---|---|---|"]
    for env in envs:
        for m in methods:
            rs = [r for r in rows if r["env"] == env and r["method"] == m]
            if not rs:
                continue
            ok = [r for r in rs if r["solved"]]

            def med(k):
                return f"{statistics.median(r[k] for r in ok):,.0f}" if ok else "-"
            wall = f"{statistics.median(r['seconds'] for r in rs):.1f}"
            most = f"{max(r['episodes'] for r in ok):,}" if ok else "-"     # the worst solved seed (goal: <= 20,000)
            out.append(f"| {rs[0]['env_id']} ({rs[0]['backend']}) | {m} | {rs[0]['arch']}, {rs[0]['n_params']} w | "
                       f"{len(ok)}/{len(rs)} | {med('episodes')} | {most} | {med('env_steps')} | {wall} | {REFERENCE[env]} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--envs", default=",".join(ENVS))
    ap.add_argument("--methods", default="cosyne,cmaes,ga")
    ap.add_argument("--budget", type=int, default=None, help="max evaluations per run (default: the config's)")
    ap.add_argument("--wall-clock", type=float, default=0.0,
                    help="seconds per run (0: none): a run stopped by it counts as not solved (partial figures)")
    ap.add_argument("--jobs", type=int, default=1, help="runs in parallel processes (each run on one thread)")
    ap.add_argument("--out", default="results/gym_table.md")
    ap.add_argument("--jsonl", default=None, help="raw rows (default: --out with .jsonl)")
    ap.add_argument("--set", nargs="+", default=[], metavar="SECTION.KEY=VALUE",
                    help="override the configs, e.g. --set problem.episodes=5 problem.common_seeds=true")
    a = ap.parse_args(argv)
    envs, methods = a.envs.split(","), a.methods.split(",")
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    raw = Path(a.jsonl) if a.jsonl else out.with_suffix(".jsonl")
    raw.write_text("")         # this run's rows, as the table: one line each as its run ends
    rows = []
    jobs = [(m, env, seed, a.budget, a.wall_clock, tuple(a.set)) for env in envs for m in methods for seed in range(a.first_seed, a.first_seed + a.seeds)]
    with ProcessPoolExecutor(a.jobs) if a.jobs > 1 else nullcontext() as pool:
        done = pool.map(run_one, *zip(*jobs)) if pool else (run_one(*j) for j in jobs)
        for r in done:
            rows.append(r)
            with raw.open("a") as f:
                f.write(json.dumps(r) + "\n")
            print(json.dumps(r), flush=True)
            out.write_text(f"{a.seeds} seeds per cell requested\n\n" + table(rows, envs, methods))
    print(table(rows, envs, methods))
    return 0


if __name__ == "__main__":
    sys.exit(main())
