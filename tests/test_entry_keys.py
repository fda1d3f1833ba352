"""``specialise.entry``: the compiled entry point a kernel call uses is the one for its arguments' types.

The entry points are cached by a key of the arguments (Numba's own type fingerprints), so two
arguments of different Numba types must never share an entry, and two of the same type must.
"""
import numpy as np
from numba import literally, njit

from evornn.nets.specialise import entry


@njit
def _kernel(flag, a):
    literally(flag)
    s = 0.0
    for v in a.ravel():
        s += v
    return s + (1000.0 if flag is True else 0.0)


def test_arguments_of_different_types_get_their_own_entry_and_equal_types_share_one():
    a = np.arange(6.0)
    base = entry(_kernel, 1, 1, a)
    assert entry(_kernel, 1, 1, np.ones(4)) is base                     # another array, same type
    readonly = a.copy()
    readonly.flags.writeable = False
    others = {
        "literal True, not 1": (True, a),
        "another literal": (2, a),
        "float32": (1, a.astype(np.float32)),
        "two dimensions": (1, a.reshape(2, 3)),
        "Fortran order": (1, np.asfortranarray(a.reshape(2, 3))),
        "strided": (1, a[::2]),
        "read-only": (1, readonly),
        "int64": (1, np.arange(6)),
    }
    seen = {id(base)}
    for what, args in others.items():
        fn = entry(_kernel, 1, *args)
        assert id(fn) not in seen, what
        seen.add(id(fn))
        assert fn(*args) == _kernel.py_func(*args), what                    # and it computes right


def test_the_literal_true_and_the_literal_1_are_told_apart():
    a = np.arange(3.0)
    assert entry(_kernel, 1, True, a)(True, a) == 1003.0
    assert entry(_kernel, 1, 1, a)(1, a) == 3.0


@njit
def _total(xs):
    s = 0.0
    for v in xs:
        s += v
    return s


def test_arguments_without_a_fingerprint_are_keyed_by_their_numba_type():
    """Numba has no C fingerprint for a typed List: two Lists of different element types must not
    share an entry (their Python type is the same)."""
    from numba.typed import List
    floats, ints = List([1.5, 2.0]), List([1, 2])
    a, b = entry(_total, 0, floats), entry(_total, 0, ints)
    assert a is not b
    assert a(floats) == 3.5 and b(ints) == 3.0
    assert entry(_total, 0, List([0.25])) is a
