"""Reports of runs: markdown, and one self-contained HTML page with the PNG plots embedded.

For a run folder or a comparison folder (every run folder below it, grouped by optimiser label):
best-so-far and population-median fitness against evaluations (the median over seeds with the
inter-quartile band), success rate, the distribution of evaluations to solve, wall time, and tables
of the numbers. Everything is read from the run folders' metrics.csv, summary.json and config.toml.
"""
from __future__ import annotations

import base64
import html
import io
import json
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .config import load_toml
from .files import check_folder
from .records import CONFIG, RunRecord, write_atomic

PLOTS = ("fitness.png", "outcomes.png")


@dataclass
class RunData:
    path: Path
    label: str
    seed: int
    rows: list[dict[str, float]]
    summary: dict[str, Any] | None
    config: dict[str, Any]

    @property
    def last(self) -> dict[str, float]:
        return self.rows[-1] if self.rows else {}

    @property
    def success(self) -> bool:
        if self.summary is not None:
            return any(r.get("success") for r in self.summary["stop_reasons"]) or bool(self.summary["solved"])
        return bool(self.last.get("solved", 0))

    @property
    def evals_to_solve(self) -> float:
        if not self.success:
            return math.nan
        if self.summary is not None and self.summary.get("evaluations_to_solve"):
            return float(self.summary["evaluations_to_solve"])    # up to the solving network itself
        first = next((r for r in self.rows if r.get("solved")), None)
        return float((first or self.last).get("evaluations", math.nan))


def find_runs(root: str | Path) -> list[RunData]:
    """The run folders at or below ``root``, in comparison order (compare.toml) or by path."""
    root = check_folder(root)
    paths = [root] if (root / CONFIG).is_file() else sorted(p.parent for p in root.rglob(CONFIG))
    runs = []
    for p in paths:
        rec = RunRecord(p)
        cfg = load_toml(p / CONFIG)
        summary = rec.summary()
        label = summary["label"] if summary else cfg.get("optimiser", {}).get("name", "?")
        runs.append(RunData(p, label, int(cfg.get("run", {}).get("seed", 0)), rec.metrics(), summary, cfg))
    runs = [r for r in runs if r.rows]
    if not runs:
        raise ValueError(f"{root}: no runs with metrics found")
    setups = {json.dumps(r.config.get("problem", {}), sort_keys=True) for r in runs}
    if len(setups) > 1:
        names = sorted({r.config.get("problem", {}).get("name", "?") for r in runs})
        raise ValueError(f"{root}: its runs are on {len(setups)} different problem settings ({', '.join(names)}); "
                         f"report one problem (or one comparison folder) at a time")
    order = _label_order(root)
    runs.sort(key=lambda r: (order.get(r.label, len(order)), r.label, r.seed, str(r.path)))
    return runs


def _label_order(root: Path) -> dict[str, int]:
    path = root / "compare.toml"
    if not path.is_file():
        return {}
    opts = load_toml(path).get("optimisers", [])
    return {o.get("label", o.get("name")): i for i, o in enumerate(opts)}


def groups(runs: list[RunData]) -> dict[str, list[RunData]]:
    out: dict[str, list[RunData]] = {}
    for r in runs:
        out.setdefault(r.label, []).append(r)
    return out


# -- numbers ------------------------------------------------------------------------------------
def fmt(v: Any) -> str:
    """How every number appears in the tables."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{float(v):.6g}"


def fmt_time(v: float) -> str:
    return "-" if math.isnan(v) else f"{v:.2f}"


def _quartiles(x: list[float]) -> tuple[float, float, float]:
    x = [v for v in x if math.isfinite(v)]
    if not x:
        return math.nan, math.nan, math.nan
    q = np.percentile(x, [25, 50, 75])
    return float(q[1]), float(q[0]), float(q[2])


def optimiser_table(runs: list[RunData]) -> tuple[list[str], list[list[str]]]:
    head = ["optimiser", "runs", "solved", "success rate", "evaluations to solve (median)", "(25%-75%)",
            "best fitness (median)", "time s (median)"]
    rows = []
    for label, rs in groups(runs).items():
        ok = [r for r in rs if r.success]
        med, lo, hi = _quartiles([r.evals_to_solve for r in ok])
        rows.append([label, fmt(len(rs)), fmt(len(ok)), f"{len(ok) / len(rs):.0%}", fmt(med),
                     f"{fmt(lo)}-{fmt(hi)}" if ok else "-",
                     fmt(_quartiles([float(r.last["run_best"]) for r in rs])[0]),
                     fmt_time(_quartiles([float(r.last["elapsed"]) for r in rs])[0])])
    return head, rows


def run_table(runs: list[RunData], root: Path) -> tuple[list[str], list[list[str]]]:
    head = ["run", "optimiser", "seed", "generations", "evaluations", "best fitness", "solved", "stop", "time s"]
    rows = []
    for r in runs:
        last = r.last
        stop = ", ".join(x["criterion"] for x in r.summary["stop_reasons"]) if r.summary else "unfinished"
        rows.append([str(r.path.relative_to(root)) if r.path != root else r.path.name, r.label, fmt(r.seed),
                     fmt(last["generation"]), fmt(last["evaluations"]), fmt(last["run_best"]), fmt(r.success),
                     stop, fmt_time(float(last["elapsed"]))])
    return head, rows


def curve(rs: list[RunData], key: str, grid: np.ndarray, carry: bool) -> np.ndarray:
    """(runs, len(grid)) values of ``key`` at each evaluation count: the row at or before it; after a
    run's end its last value (``carry``) or NaN."""
    out = np.full((len(rs), grid.size), np.nan)
    for i, r in enumerate(rs):
        ev = np.array([row["evaluations"] for row in r.rows], dtype=float)
        val = np.array([row[key] for row in r.rows], dtype=float)
        val[~np.isfinite(val)] = np.nan
        k = np.searchsorted(ev, grid, side="right") - 1
        ok = k >= 0 if carry else (k >= 0) & (grid <= ev[-1])
        out[i, ok] = val[k[ok]]
    return out


# -- plots --------------------------------------------------------------------------------------
def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    return buf.getvalue()


def plots(runs: list[RunData]) -> dict[str, bytes]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    gs = groups(runs)
    top = max(r.last["evaluations"] for r in runs)
    grid = np.linspace(0, top, 200)
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2)
    for ax, key, title, carry in ((axes[0], "run_best", "best fitness so far", True),
                                  (axes[1], "median", "population median fitness", False)):
        for c, (label, rs) in enumerate(gs.items()):
            v = curve(rs, key, grid, carry)
            keep = np.any(np.isfinite(v), axis=0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                q = np.nanpercentile(v[:, keep], [25, 50, 75], axis=0) if keep.any() else np.zeros((3, 0))
            ax.plot(grid[keep], q[1], color=f"C{c}", label=f"{label} ({len(rs)})")
            ax.fill_between(grid[keep], q[0], q[2], color=f"C{c}", alpha=0.2, linewidth=0)
        ax.set_title(f"{title}: median over seeds, 25-75%", fontsize=10)
        ax.set_xlabel("evaluations")
        ax.grid(alpha=0.3)
        values = [row[key] for r in runs for row in r.rows if math.isfinite(row[key])]
        if values and min(values) > 0 and max(values) / min(values) > 1e3:
            ax.set_yscale("log")
    axes[0].legend(fontsize=8)
    out = {"fitness.png": _png(fig)}

    fig = Figure(figsize=(10, 3.2), layout="constrained")
    FigureCanvasAgg(fig)
    ax1, ax2, ax3 = fig.subplots(1, 3)
    labels = list(gs)
    pos = np.arange(len(labels))
    ax1.bar(pos, [np.mean([r.success for r in gs[lb]]) for lb in labels], width=0.6,
            color=[f"C{i}" for i in pos])
    ax1.set_ylim(0, 1)
    ax1.set_title("success rate", fontsize=10)
    solved = [[r.evals_to_solve for r in gs[lb] if r.success] for lb in labels]
    if any(solved):
        ax2.boxplot([s or [np.nan] for s in solved], positions=pos, widths=0.5, showfliers=False)
        for i, s in enumerate(solved):
            ax2.plot(np.full(len(s), i), s, "o", color=f"C{i}", alpha=0.6, markersize=4)
    else:
        ax2.text(0.5, 0.5, "no run solved", ha="center", va="center", transform=ax2.transAxes)
    ax2.set_title("evaluations to solve", fontsize=10)
    times = [[r.last["elapsed"] for r in gs[lb]] for lb in labels]
    ax3.boxplot(times, positions=pos, widths=0.5, showfliers=False)
    for i, t in enumerate(times):
        ax3.plot(np.full(len(t), i), t, "o", color=f"C{i}", alpha=0.6, markersize=4)
    ax3.set_title("wall time (s)", fontsize=10)
    for ax in (ax1, ax2, ax3):
        ax.set_xticks(pos, labels, fontsize=8)
        ax.set_xlim(-0.7, len(labels) - 0.3)
        ax.grid(alpha=0.3, axis="y")
    out["outcomes.png"] = _png(fig)
    return out


def network_plot(runs: list[RunData]) -> dict[str, bytes]:
    """{"network.png": the best run's best network} when that network is a neat-net (an evolved
    topology, :mod:`evornn.network_plot`); else nothing."""
    best = max(runs, key=lambda r: float(r.last.get("run_best", -math.inf)))
    rec = RunRecord(best.path)
    if not (best.path / "best.npy").is_file():
        return {}
    spec = rec.network_spec()
    if spec.get("arch") != "neat-net":
        return {}
    from .nets import build
    from .network_plot import draw
    net = build(**spec)
    w = rec.best()
    if w.shape != (net.n_params,):
        return {}
    return {"network.png": _png(draw(net, w, f"best network ({best.label}, seed {best.seed})"))}


# -- documents ----------------------------------------------------------------------------------
def _describe(runs: list[RunData]) -> list[str]:
    cfg = runs[0].config
    prob = cfg.get("problem", {})
    net = cfg.get("network", {})
    params = ", ".join(f"{k}={v}" for k, v in prob.items() if k != "name")
    size = ", ".join(f"{k}={net[k]}" for k in ("n_hidden", "hidden", "layers") if k in net)
    lines = [f"problem: {prob.get('name', '?')}" + (f" ({params})" if params else ""),
             f"network: {net.get('arch', '?')}" + (f" ({size})" if size else ""),
             f"runs: {len(runs)} ({len(groups(runs))} optimisers, seeds {sorted({r.seed for r in runs})})"]
    if runs[0].summary and runs[0].summary.get("solved_description"):
        lines.append(f"solved means: {runs[0].summary['solved_description']}")
    return lines


def markdown(title: str, intro: list[str], tables: list[tuple[str, list[str], list[list[str]]]],
             images: tuple[str, ...] = PLOTS) -> str:
    out = [f"# {title}", "", *[f"- {x}" for x in intro], ""]
    out += [f"![{p[:-4]}]({p})" for p in images] + [""]
    for name, head, rows in tables:
        out += [f"## {name}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
        out.append("")
    return "\n".join(out)


def html_page(title: str, intro: list[str], tables: list[tuple[str, list[str], list[list[str]]]],
              images: dict[str, bytes]) -> str:
    e = html.escape
    parts = [f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{e(title)}</title><style>"
             "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;"
             "text-align:right}td:first-child,th:first-child{text-align:left}img{max-width:100%}"
             f"</style></head><body><h1>{e(title)}</h1><ul>"]
    parts += [f"<li>{e(x)}</li>" for x in intro]
    parts.append("</ul>")
    parts += [f'<img alt="{e(name[:-4])}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
              for name, png in images.items()]
    for name, head, rows in tables:
        parts.append(f"<h2>{e(name)}</h2><table><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr>")
        parts += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows]
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_report(root: str | Path) -> list[Path]:
    """Write report.md, report.html and the PNGs into ``root``; returns the files written."""
    root = Path(root)
    runs = find_runs(root)
    title = f"evornn report: {root.resolve().name}"
    tables = [("Optimisers", *optimiser_table(runs)), ("Runs", *run_table(runs, root))]
    intro = _describe(runs)
    images = plots(runs)
    images.update(network_plot(runs))
    written = []
    for name, png in images.items():
        write_atomic(root / name, png)
        written.append(root / name)
    write_atomic(root / "report.md", markdown(title, intro, tables, tuple(images)))
    write_atomic(root / "report.html", html_page(title, intro, tables, images))
    return written + [root / "report.md", root / "report.html"]
