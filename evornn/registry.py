"""One registry type for every family: architectures, cells, problems and optimisers.

A :class:`Registry` maps a kebab-case name (as the CLI and the config files write it) to an object,
or to a lazy ``"module:attr"`` string imported on first use, with a one-line description. An entry
may name the modules it needs (``requires``) and the pip extra that brings them (``extra``):
:meth:`Registry.missing` reports such an entry as unavailable, by the name of the missing module,
instead of hiding it. A lazy entry whose import fails on some other missing module is reported the
same way.

Third-party pieces register themselves in either of two ways:

* a Python entry point in the family's group (:data:`GROUPS`, e.g. ``evornn.problems``) whose
  value is a module to import or a function to call; it calls ``register`` on the family's
  registry (``evornn.problems.registry.PROBLEMS.register("my-task", "mymod:make", "...")``);
* ``[run] plugins = ["mymodule"]`` in a config file: the modules are imported (their import
  registers their pieces) before the rest of the config is checked.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
from dataclasses import dataclass
from typing import Any, Iterator

# Entry-point groups, one per family (read once by load_plugins()).
GROUPS = ("evornn.archs", "evornn.cells", "evornn.problems", "evornn.optimisers")


@dataclass
class Entry:
    name: str
    target: Any                   # the object, or "module:attr" until loaded
    description: str = ""
    requires: tuple[str, ...] = ()
    extra: str | None = None      # the pip extra that brings ``requires``
    loaded: bool = False


class Registry:
    """Name -> object of one family (``kind``: "problem", "optimiser", ...)."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, Entry] = {}

    # -- adding -------------------------------------------------------------------------------------
    def register(self, name: str, target: Any, description: str = "", *, requires: tuple[str, ...] = (),
                 extra: str | None = None) -> Any:
        """Add ``name`` -> ``target`` (an object or "module:attr"); a name may be registered once."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"{self.kind} name must be a non-empty string, got {name!r}")
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is registered already")
        lazy = isinstance(target, str)
        if lazy and ":" not in target:
            raise ValueError(f"{self.kind} {name!r}: a lazy target is 'module:attr', got {target!r}")
        self._entries[name] = Entry(name, target, description, tuple(requires), extra, loaded=not lazy)
        return target

    # -- reading -------------------------------------------------------------------------------------
    def names(self) -> list[str]:
        """Every registered name, available or not, in registration order."""
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def missing(self, name: str) -> str | None:
        """Why ``name`` cannot be used ("needs fancy_dep (pip install 'evornn[fancy]')"), or None."""
        e = self._entry(name)
        gone = [m for m in e.requires if importlib.util.find_spec(m) is None]
        if not gone and not e.loaded:
            try:
                self.get(name)
            except _Missing as m:
                gone = [m.module]
        return f"needs {gone[0]} ({_how(e, gone[0])})" if gone else None

    def available(self) -> list[str]:
        """The names whose dependencies are installed."""
        return [n for n in self._entries if self.missing(n) is None]

    def unavailable(self) -> dict[str, str]:
        """name -> what it is missing, for the names that cannot be used here."""
        return {n: why for n in self._entries if (why := self.missing(n)) is not None}

    def description(self, name: str) -> str:
        e = self._entry(name)
        if not e.description and self.missing(name) is None:
            return str(getattr(self.get(name), "description", ""))
        return e.description

    def get(self, name: str) -> Any:
        """The object registered as ``name`` (imported now if lazy); unknown or unavailable names
        raise a one-line ValueError."""
        e = self._entry(name)
        for m in e.requires:
            if importlib.util.find_spec(m) is None:
                raise _Missing(m, f"{self.kind} {name!r} needs {m}, which is not installed ({_how(e, m)})")
        if not e.loaded:
            module, _, attr = e.target.partition(":")
            try:
                mod = importlib.import_module(module)
            except ModuleNotFoundError as err:
                gone = err.name or module
                if module == gone or module.startswith(gone + "."):      # the entry's own module
                    raise ValueError(f"{self.kind} {name!r}: cannot import {module} (registered as {e.target!r})") from None
                raise _Missing(gone, f"{self.kind} {name!r} needs {gone}, which is not installed "
                                     f"({_how(e, gone)})") from None
            if not hasattr(mod, attr):
                raise ValueError(f"{self.kind} {name!r}: {module} has no {attr!r} (registered as {e.target!r})")
            e.target, e.loaded = getattr(mod, attr), True
        return e.target

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def items(self) -> Iterator[tuple[str, Any]]:
        """(name, object) of the available entries."""
        return ((n, self.get(n)) for n in self.available())

    def _entry(self, name: str) -> Entry:
        e = self._entries.get(name)
        if e is None:
            raise ValueError(f"unknown {self.kind} {name!r}; choose one of {', '.join(self.available())}")
        return e


def _how(e: Entry, module: str) -> str:
    return f"pip install 'evornn[{e.extra}]'" if e.extra else f"pip install {module}"


class _Missing(ValueError):
    """A registered piece whose optional dependency is not installed (a one-line error)."""

    def __init__(self, module: str, message: str):
        super().__init__(message)
        self.module = module


# -- plugins ----------------------------------------------------------------------------------------
_LOADED: set[str] = set()


def load_plugins(modules: list[str] | tuple[str, ...] = (), entry_points: bool = True) -> None:
    """Import the plugin ``modules`` (``[run] plugins``) and, once per process, every entry point of
    :data:`GROUPS`. A module that cannot be imported is a one-line error naming it."""
    if entry_points and "<entry points>" not in _LOADED:
        _LOADED.add("<entry points>")
        for group in GROUPS:
            for ep in importlib.metadata.entry_points(group=group):
                _load_entry_point(ep)
    for name in modules:
        if not isinstance(name, str) or not name:
            raise ValueError(f"run.plugins must list module names, got {name!r}")
        if name in _LOADED:
            continue
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name and name.startswith(e.name):
                raise ValueError(f"run.plugins: cannot import {name!r} (is it on PYTHONPATH or installed?)") from None
            raise
        _LOADED.add(name)


def _load_entry_point(ep: importlib.metadata.EntryPoint) -> None:
    try:
        obj = ep.load()
    except ImportError as e:
        raise ValueError(f"plugin {ep.name} ({ep.value}, entry point group {ep.group}) cannot be loaded: {e}") from None
    if callable(obj):
        obj()
