"""Numba's on-disk cache, made to notice edits anywhere in evornn.

Numba checks a cached function against its own source file only. evornn's cached functions call
functions of other files (a cell's step calls :mod:`evornn.nets.vmath`, a port kernel calls the
environment's step), so after an edit of such a file the old compiled code of an unchanged file
was loaded again, into kernels compiled after the edit too. Found when vmath's tanh changed and
cached cells kept the old one: the outputs were bit for bit the old ones.

:func:`install` puts a locator in front of Numba's own ones for files of evornn (the package and
its problems): the same cache folders, with a source stamp that is Numba's stamp of the file and a
digest of every ``.py`` file of evornn, so an edit anywhere recompiles what is cached. An installed
evornn is never edited (an upgrade rewrites every file, which Numba already notices), so for it
nothing changes but one hash of its sources per process. Other packages' functions keep Numba's
locators. If Numba's internals are not as expected, the cache is left as Numba makes it.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
from pathlib import Path

_DIGEST: bytes | None = None


@functools.lru_cache(maxsize=1)
def _roots() -> tuple[Path, ...]:
    roots = [Path(__file__).resolve().parent]
    spec = importlib.util.find_spec("evornn.problems")        # problems/ in a checkout
    for p in (spec.submodule_search_locations or []) if spec else []:
        roots.append(Path(p).resolve())
    return tuple(roots)


def tree_digest() -> bytes:
    """sha256 over every .py file of evornn (the package and its problems), once per process."""
    global _DIGEST
    if _DIGEST is None:
        h = hashlib.sha256()
        files = sorted({f for r in _roots() for f in r.rglob("*.py")})
        for f in files:
            h.update(str(f).encode() + b"\0" + f.read_bytes())
        _DIGEST = h.digest()
    return _DIGEST


def in_evornn(py_file: str) -> bool:
    """Whether ``py_file`` is one of evornn's files (the package or its problems)."""
    try:
        p = Path(py_file).resolve()
    except OSError:
        return False
    return any(r in p.parents for r in _roots())


def install() -> bool:
    """Put evornn's locators in front of Numba's (once); False when Numba's cache is not as expected."""
    try:
        from numba.core import caching
    except ImportError:
        return False
    impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl", None)
    classes = getattr(impl, "_locator_classes", None)
    if not isinstance(classes, list):
        return False
    if any(getattr(c, "_evornn", False) for c in classes):
        return True
    ours = []
    for base in classes:
        def from_function(cls, py_func, py_file, _base=base):
            if not in_evornn(py_file):
                return None
            return _base.from_function.__func__(cls, py_func, py_file)

        def get_source_stamp(self, _base=base):
            return (_base.get_source_stamp(self), tree_digest())

        ours.append(type("Evornn" + base.__name__.lstrip("_"), (base,),
                         {"_evornn": True, "from_function": classmethod(from_function),
                          "get_source_stamp": get_source_stamp}))
    classes[:0] = ours
    return True
