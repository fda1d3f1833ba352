"""Experiment settings: TOML files and ``--set`` overrides -> one typed, validated :class:`Experiment`.

A config file has five sections, each mapped onto a typed setting with defaults::

    [problem]    name = "pole-balance", then the problem's parameters (poles = 2, ...)
    [network]    arch = "elman" (default: the problem's own network), then the architecture's options
    [optimiser]  name = "ga", then the optimiser's Config keys (population = 50, ...)
    [stop]       StopConfig keys (max_generations, solved, at_most = {mse = 1e-3}, ...)
    [run]        RunSettings keys (seed, backend, workers, out, checkpoint_every, keep_checkpoints, log_every,
                 plugins, max_memory)

Every error is one line naming the key (``optimiser.population must be >= 1, got -5``) and is raised
as ValueError (or FileNotFoundError) before anything is written.
"""
from __future__ import annotations

import copy
import dataclasses
import importlib.resources
import inspect
import json
import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .settings import check_call, check_value, make_config
from .stopping import StopConfig

SECTIONS = ("problem", "network", "optimiser", "stop", "run")
BACKENDS = ("local", "ray")
BUDGETS = ("max_generations", "max_evaluations", "wall_clock")
DEFAULT_MAX_GENERATIONS = 1000   # the budget of a run whose [stop] names none


@dataclass(frozen=True)
class RunSettings:
    """The [run] section: how a run is executed and recorded (not what it computes, except ``seed``)."""

    seed: int = 0                 # the root seed: same seed, same result
    backend: str = "local"        # local (Numba threads) or ray
    workers: int = 0              # threads (local) or actors (ray); 0 = all cores
    out: str = "results"          # folder that receives the run folders
    checkpoint_every: int = 10    # generations between checkpoints; 0 = none
    keep_checkpoints: int = 2     # checkpoints kept (resume falls back to an older one if the newest is damaged)
    log_every: int = 0            # a progress line every k generations; 0 = about one a second
    ray_address: str = ""         # ray: "" starts Ray here; "auto" or host:port joins a cluster
    plugins: tuple[str, ...] = ()  # modules to import first: they register their own pieces
    max_memory: str | int | float = "auto"  # a generation needing more is refused: "auto" (half the available
    #                                         memory), 0 (no limit), "4GiB", "500MB" or bytes (evornn.memory)
    blas_threads: int = 1         # BLAS's threads in a generation: 1, the same run on any machine; 0: the environment's (evornn.blas)

    def validate(self, where: str = "run") -> None:
        if self.seed < 0:
            raise ValueError(f"{where}.seed must be >= 0, got {self.seed}")
        if self.backend not in BACKENDS:
            raise ValueError(f"{where}.backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        for k in ("workers", "checkpoint_every", "log_every", "blas_threads"):
            if getattr(self, k) < 0:
                raise ValueError(f"{where}.{k} must be >= 0, got {getattr(self, k)}")
        if self.keep_checkpoints < 1:
            raise ValueError(f"{where}.keep_checkpoints must be >= 1, got {self.keep_checkpoints}")
        if self.ray_address and self.backend != "ray":
            raise ValueError(f"{where}.ray_address needs backend = ray, got backend {self.backend!r}")
        if self.ray_address and (not self.ray_address.strip() or any(c.isspace() for c in self.ray_address.strip())):
            raise ValueError(f"{where}.ray_address must be 'auto', 'local' or host:port, got {self.ray_address!r}")
        if self.backend == "local":
            import numba
            most = numba.config.NUMBA_NUM_THREADS
            if self.workers > most:
                raise ValueError(f"{where}.workers must be in 0..{most} for backend local (0: all cores), "
                                 f"got {self.workers}")
        if not self.out:
            raise ValueError(f"{where}.out must name a folder")
        from .memory import parse_size
        parse_size(self.max_memory, f"{where}.max_memory")


@dataclass(frozen=True)
class Experiment:
    """One run's settings, checked for keys and types (the pieces themselves check their values)."""

    problem: str
    optimiser: str
    problem_params: dict[str, Any] = field(default_factory=dict)
    arch: str | None = None
    net_options: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    stop: StopConfig = StopConfig(max_generations=DEFAULT_MAX_GENERATIONS)
    run: RunSettings = RunSettings()


# -- reading ------------------------------------------------------------------------------------
def load_toml(path: str | Path, _chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The TOML document at ``path``; a missing file, a folder, an unreadable file or a syntax error
    is a one-line error naming the path. File paths inside it (``[problem] path`` and keys ending in
    ``_path``) are taken relative to the config file's folder.

    ``include = "other"`` (or a list, applied in order) at the top of a file starts it from other
    config files: a path relative to the file's folder, else a shipped config's name (as ``--config``
    takes it). Each section's keys then replace the included ones (a key's value whole, inline tables
    too); the document returned has no ``include``, so a run's saved config is complete on its own."""
    from .files import read_toml
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"config file {path} not found")
    doc = read_toml(p)       # a folder, unreadable or not TOML: one line naming the path
    problem = doc.get("problem")
    if isinstance(problem, dict):
        for k, v in problem.items():
            if (k == "path" or k.endswith("_path")) and isinstance(v, str) and v and not Path(v).is_absolute():
                problem[k] = str((p.parent / v).resolve())
    if "include" not in doc:
        return doc
    names = doc.pop("include")
    names = [names] if isinstance(names, str) else names
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"{path}: include must be a config's name or path, or a list of them, got {names!r}")
    chain = _chain + (p.resolve(),)
    merged: dict[str, Any] = {}
    for name in names:
        near = p.parent / name
        try:
            src = near if near.is_file() else find_config(name)
        except FileNotFoundError as e:
            raise FileNotFoundError(f"{path}: include {name!r}: {e}") from None
        if src.resolve() in chain:
            raise ValueError(f"{path}: include {name!r} makes a cycle: "
                             + " -> ".join(c.name for c in chain + (src.resolve(),)))
        _merge_into(merged, load_toml(src, chain))
    _merge_into(merged, doc)
    return merged


def _merge_into(base: dict[str, Any], doc: dict[str, Any]) -> None:
    """``doc``'s tables merged into ``base``'s key by key (a value replaces the old one whole); its
    other top-level values replace base's."""
    for k, v in doc.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            base[k].update(copy.deepcopy(v))
        else:
            base[k] = copy.deepcopy(v)


def parse_value(raw: str) -> Any:
    """A ``--set`` value as TOML reads it (``50``, ``0.5``, ``true``, ``[8, 8]``, ``"x"``); else a string."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw.strip()


def apply_sets(doc: dict[str, Any], items: list[str], sections: tuple[str, ...] = SECTIONS) -> dict[str, Any]:
    """A copy of ``doc`` with each ``section.key=value`` of ``items`` set."""
    doc = copy.deepcopy(doc)
    for item in items:
        key, sep, raw = item.partition("=")
        parts = key.strip().split(".")
        if not sep or len(parts) != 2 or not all(parts):
            raise ValueError(f"--set {item!r}: expected section.key=value, e.g. optimiser.population=50")
        section, name = parts
        if section not in sections:
            raise ValueError(f"--set {key.strip()}: unknown section {section!r}; allowed: {', '.join(sections)}")
        table = doc.setdefault(section, {})
        if not isinstance(table, dict):
            raise ValueError(f"--set {key.strip()}: {section} is not a table in the config")
        table[name] = parse_value(raw)
    return doc


def check_sections(doc: dict[str, Any], where: str, allowed: tuple[str, ...] = SECTIONS) -> None:
    for k, v in doc.items():
        if k not in allowed:
            raise ValueError(f"{where}: unknown section [{k}]; allowed: {', '.join(allowed)}")
        if not isinstance(v, dict):
            raise ValueError(f"{where}: {k} must be a table ([{k}]), got {v!r}")


def _name(table: dict[str, Any], key: str, where: str, required: bool) -> str | None:
    v = table.pop(key, None)
    if v is None and required:
        raise ValueError(f"{where}.{key} is missing")
    if v is not None and (not isinstance(v, str) or not v):
        raise ValueError(f"{where}.{key} must be a name (a string), got {v!r}")
    return v


def stop_config(values: dict[str, Any], where: str = "stop") -> StopConfig:
    """[stop] as a StopConfig; when it names no budget, the run gets max_generations = 1000."""
    values = dict(values)
    if not any(k in values for k in BUDGETS):
        values["max_generations"] = DEFAULT_MAX_GENERATIONS
    return make_config(StopConfig, values, where)


def experiment(doc: dict[str, Any], where: str = "config") -> Experiment:
    """The Experiment a config document describes (unknown sections, keys or types raise)."""
    check_sections(doc, where)
    load_run_plugins(doc)
    problem = dict(doc.get("problem", {}))
    network = dict(doc.get("network", {}))
    optimiser = dict(doc.get("optimiser", {}))
    pname = _name(problem, "name", "problem", True)
    oname = _name(optimiser, "name", "optimiser", True)
    arch = _name(network, "arch", "network", False)
    return Experiment(problem=pname, optimiser=oname, problem_params=problem, arch=arch, net_options=network,
                      settings=optimiser, stop=stop_config(doc.get("stop", {})),
                      run=make_config(RunSettings, dict(doc.get("run", {})), "run"))


def load_run_plugins(doc: dict[str, Any]) -> None:
    """Import the modules of ``[run] plugins`` (and the installed entry points) so that the names
    they register can be used in the rest of ``doc``."""
    from .registry import load_plugins
    plugins = doc.get("run", {}).get("plugins", [])
    if not isinstance(plugins, (list, tuple)):
        raise ValueError(f"run.plugins must be a list of module names, got {plugins!r}")
    load_plugins(list(plugins))


# -- where the default configs live ---------------------------------------------------------------
def config_dir() -> Path:
    """$EVORNN_CONFIGS, else the configs shipped with evornn (package data, read through
    importlib.resources), else a source checkout's configs/. The current folder shadows nothing."""
    env = os.environ.get("EVORNN_CONFIGS")
    if env:
        return Path(env)
    try:
        shipped = importlib.resources.files("evornn.configs")
    except ModuleNotFoundError:      # running from a source checkout without installing it
        return Path(__file__).resolve().parents[1] / "configs"
    return Path(str(shipped))


def find_config(name_or_path: str | Path) -> Path:
    """A config file: ``name_or_path`` if it is a file, else the shipped (or $EVORNN_CONFIGS) config
    of that name (``compare-neuroevolution``, ``ga-parity.toml``, ``problems/sines``; a source
    checkout's path ``configs/ga-parity.toml`` names the same config from any folder)."""
    p = Path(name_or_path)
    if p.exists():           # a file; a folder is reported as such when it is read
        return p
    d = config_dir()
    rel = Path(*p.parts[1:]) if len(p.parts) > 1 and p.parts[0] == "configs" else p
    for c in (d / rel, d / f"{rel}.toml"):
        if c.is_file() and not p.is_absolute():
            return c
    raise FileNotFoundError(f"config file {name_or_path} not found (neither a file nor a config in {d}; "
                            f"evornn list --configs shows them)")


def default_config(optimiser: str, problem: str) -> Path | None:
    """configs/<optimiser>-<problem>.toml if present, else configs/problems/<problem>.toml, else None."""
    d = config_dir()
    for p in (d / f"{optimiser}-{problem}.toml", d / "problems" / f"{problem}.toml"):
        if p.is_file():
            return p
    return None


def set_name(doc: dict[str, Any], section: str, key: str, value: str, source: str) -> None:
    """Put the command line's choice ``value`` into ``doc[section][key]``; refuse to silently drop
    settings the config file gives for a different choice."""
    table = doc.setdefault(section, {})
    old = table.get(key)
    if old is not None and old != value and set(table) - {key}:
        raise ValueError(f"{section}.{key}: {source} configures {old!r}, not {value!r}; "
                         f"remove its [{section}] settings or choose {old!r}")
    table[key] = value


# -- network options: keys and types from the architecture's signature ----------------------------
def check_net_options(arch: str, options: dict[str, Any]) -> None:
    """Keys and types of ``options`` against the signature of architecture ``arch`` (plus the
    ``dtype``, ``engine`` and ``init_range`` every architecture takes)."""
    from .nets import ARCHS
    if arch not in ARCHS:
        raise ValueError(f"network.arch: unknown architecture {arch!r}; choose one of {', '.join(sorted(ARCHS))}")
    common = {k: v for k, v in options.items() if k in ("dtype", "engine", "init_range")}
    for k, v in common.items():
        check_value("network", k, v, 0.0 if k == "init_range" else "")
    check_call(ARCHS.get(arch), {k: v for k, v in options.items() if k not in common}, "network",
               skip=("n_inputs", "n_outputs"))


def net_defaults(arch: str) -> dict[str, Any]:
    """The options of architecture ``arch`` that have a (non-None) default, as TOML can hold them."""
    from .nets import ARCHS
    out = {}
    for k, p in inspect.signature(ARCHS.get(arch)).parameters.items():
        if k in ("n_inputs", "n_outputs") or p.default in (inspect.Parameter.empty, None):
            continue
        if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        out[k] = list(p.default) if isinstance(p.default, tuple) else p.default
    return out


# -- writing --------------------------------------------------------------------------------------
def _key(k: str) -> str:
    return k if k and all(c.isalnum() and c.isascii() or c in "-_" for c in k) else json.dumps(k)


def _value(v: Any) -> str:
    if hasattr(v, "item") and not isinstance(v, (list, tuple, dict)):
        v = v.item()   # numpy scalars
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        return repr(v) if math.isfinite(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v if x is not None) + "]"
    if isinstance(v, dict):
        items = ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items() if x is not None)
        return "{ " + items + " }" if items else "{}"
    raise ValueError(f"cannot write {v!r} ({type(v).__name__}) to TOML")


def dumps(doc: dict[str, Any], header: str = "") -> str:
    """TOML text of ``doc``: top-level tables and arrays of tables of plain values (None is left out,
    so the key keeps its default)."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    for name, table in doc.items():
        tables = table if isinstance(table, list) else [table]
        for t in tables:
            lines += ["", f"[[{_key(name)}]]" if isinstance(table, list) else f"[{_key(name)}]"]
            lines += [f"{_key(k)} = {_value(v)}" for k, v in t.items() if v is not None]
    return "\n".join(lines).lstrip("\n") + "\n"


def settings_dict(obj: Any) -> dict[str, Any]:
    """A frozen settings dataclass as a plain dict (tuples as lists)."""
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(obj).items()}
