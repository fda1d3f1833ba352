"""Numba's on-disk cache notices an edit anywhere in evornn (evornn.numba_cache)."""
import importlib
import sys

import numpy as np
from numba.core import caching

from evornn import numba_cache
from evornn.nets.cells import srn
from evornn.nets.kernels import all_finite


def test_evornn_functions_are_stamped_with_every_source_file_and_others_are_not(tmp_path, monkeypatch):
    loc = srn.step_lanes._cache._impl.locator
    assert type(loc).__name__.startswith("Evornn")
    assert loc.get_source_stamp()[1] == numba_cache.tree_digest()
    (tmp_path / "other_pkg_mod.py").write_text(
        "from numba import njit\n\n@njit(cache=True)\ndef g(x):\n    return x + 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = importlib.import_module("other_pkg_mod")
    try:
        assert not type(mod.g._cache._impl.locator).__name__.startswith("Evornn")
        assert mod.g(1) == 2
    finally:
        sys.modules.pop("other_pkg_mod", None)


def test_an_edit_elsewhere_in_evornn_makes_the_cached_code_stale(monkeypatch):
    # a cached evornn function, compiled and saved
    assert all_finite(np.ones(3))
    sig = all_finite.signatures[0]
    found = caching.FunctionCache(all_finite.py_func).load_overload(sig, all_finite.targetctx)
    assert found is not None
    # another evornn file edited (its digest changes), all_finite's own file not: the entry is stale
    monkeypatch.setattr(numba_cache, "_DIGEST", b"after an edit of evornn/nets/vmath.py")
    assert caching.FunctionCache(all_finite.py_func).load_overload(sig, all_finite.targetctx) is None
