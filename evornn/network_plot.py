"""A picture of an evolved topology: the best ``neat-net`` network of a run, drawn from its chromosome.

Nodes: the inputs and the bias on the left, the outputs on the right, the hidden units that take
part (a nonzero weight in or out) in columns by their depth along feed-forward connections.
Colours say the unit type (sigmoid, tanh, identity; gate nodes are squares marked x). Edges: the
nonzero weights (blue positive, red negative, width by magnitude); recurrent ones, which read the
previous step's value (self-loops and connections into an earlier unit of the phenotype's order,
the genome's topological order), are dashed arcs.
"""
from __future__ import annotations

import numpy as np

from .nets.cells import neat_net

TYPE_NAMES = {neat_net.IDENTITY: "identity", neat_net.SIGMOID: "sigmoid", neat_net.TANH: "tanh",
              neat_net.GATE: "gate"}
TYPE_COLOURS = {neat_net.IDENTITY: "#bbbbbb", neat_net.SIGMOID: "#8fbf6f", neat_net.TANH: "#e0b050",
                neat_net.GATE: "#b080d0"}


def graph(net, w: np.ndarray) -> dict:
    """Nodes and edges of a neat-net chromosome: {"nodes": [(key, kind, type)], "edges": [(src, dst,
    weight, recurrent)]}; keys "x0".., "bias", "u0".. (units by phenotype slot)."""
    lay = net.layers[0]
    n_in, M, n_out = lay.n_in, lay.n_units, lay.n_out
    C = n_in + 1 + M
    W = np.asarray(w[:M * C], dtype=np.float64).reshape(M, C)
    types = [int(min(max(round(float(t)), 0), 3)) if np.isfinite(t) else 0 for t in w[M * C:M * C + M]]
    outputs = set(range(M - n_out, M))
    used = set(outputs)
    for i in range(M):
        for j in range(M):
            if W[i, n_in + 1 + j] != 0.0:
                used.update((i, j))
        if np.any(W[i, :n_in + 1] != 0.0):
            used.add(i)
    nodes = [(f"x{j}", "input", None) for j in range(n_in)] + [("bias", "bias", None)]
    nodes += [(f"u{i}", "output" if i in outputs else "hidden", types[i]) for i in sorted(used)]
    edges = []
    for i in sorted(used):
        for j in range(C):
            if W[i, j] == 0.0:
                continue
            if j < n_in:
                src, rec = f"x{j}", False
            elif j == n_in:
                src, rec = "bias", False
            else:
                src, rec = f"u{j - n_in - 1}", j - n_in - 1 >= i
            edges.append((src, f"u{i}", float(W[i, j]), rec))
    return {"nodes": nodes, "edges": edges}


def draw(net, w: np.ndarray, title: str = "best network"):
    """A matplotlib Figure of the network (see the module doc)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch

    g = graph(net, w)
    kinds = {k: (kind, t) for k, kind, t in g["nodes"]}
    depth = {k: 0 for k, kind, _ in g["nodes"] if kind in ("input", "bias")}
    hidden = [k for k, kind, _ in g["nodes"] if kind == "hidden"]
    for _ in range(len(hidden) + 1):            # longest feed-forward path from the inputs
        for s, d, _w, rec in g["edges"]:
            if not rec and kinds[d][0] == "hidden" and s in depth:
                depth[d] = max(depth.get(d, 1), depth[s] + 1)
    for k in hidden:
        depth.setdefault(k, 1)
    last = max([depth[k] for k in hidden], default=0) + 1
    for k, kind, _ in g["nodes"]:
        if kind == "output":
            depth[k] = last
    pos, cols = {}, {}
    for k, _kind, _ in g["nodes"]:
        cols.setdefault(depth[k], []).append(k)
    for x, ks in cols.items():
        for r, k in enumerate(ks):
            pos[k] = (float(x), (len(ks) - 1) / 2.0 - r)
    fig = Figure(figsize=(max(5.5, 2.2 + 1.6 * last), 1.5 + 0.7 * max(len(v) for v in cols.values())), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    big = max([abs(e[2]) for e in g["edges"]], default=1.0) or 1.0
    for s, d, wt, rec in g["edges"]:
        colour = "#3060c0" if wt > 0 else "#c03030"
        lw = 0.5 + 2.5 * abs(wt) / big
        if s == d:
            x, y = pos[s]
            ax.add_patch(FancyArrowPatch((x - 0.06, y + 0.08), (x + 0.06, y + 0.08), connectionstyle="arc3,rad=-2.5",
                                         arrowstyle="-|>", mutation_scale=8, color=colour, lw=lw, ls="--"))
            continue
        ax.add_patch(FancyArrowPatch(pos[s], pos[d], connectionstyle="arc3,rad=0.35" if rec else "arc3,rad=0.0",
                                     arrowstyle="-|>", mutation_scale=8, color=colour, lw=lw, alpha=0.8,
                                     ls="--" if rec else "-", shrinkA=9, shrinkB=9))
    for k, (kind, t) in kinds.items():
        x, y = pos[k]
        face = "#ffffff" if t is None else TYPE_COLOURS[t]
        marker = "s" if t == neat_net.GATE else ("D" if kind == "bias" else "o")
        ax.plot([x], [y], marker=marker, markersize=16, markerfacecolor=face, markeredgecolor="black", zorder=3)
        label = "x" if t == neat_net.GATE else ("b" if kind == "bias" else (k if kind == "input" else k[1:]))
        ax.text(x, y, label, ha="center", va="center", fontsize=7, zorder=4)
        if kind == "output":
            ax.text(x + 0.18, y, "out", va="center", fontsize=7)
    handles = [Line2D([], [], marker="s" if t == neat_net.GATE else "o", ls="", markerfacecolor=c, markeredgecolor="black",
                      label=TYPE_NAMES[t]) for t, c in TYPE_COLOURS.items()]
    handles += [Line2D([], [], color="black", ls="--", label="recurrent")]
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title(f"{title}: {len(hidden)} hidden, {len(g['edges'])} connections "
                 f"({sum(e[3] for e in g['edges'])} recurrent)", fontsize=9)
    ax.set_xlim(-0.5, last + 0.5)
    ys = [p[1] for p in pos.values()]
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.8)
    ax.axis("off")
    return fig
