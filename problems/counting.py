"""Counting languages a^n b^n and a^n b^n c^n (Gers & Schmidhuber 2001, IEEE TNN 12(6):1333-1340).

Strings S a^n b^n T (``anbn``) and S a^n b^n c^n T (``anbncn``), n >= 1, symbols one-hot in the
order S a b (c) T. At every symbol the network predicts the set of legal next symbols:
after S: {a}; after an a: {a, b}; after the k-th b: {b} while k < n, then {T} (anbn) or {c}
(anbncn); after the k-th c: {c} while k < n, then {T}. An output is right when it is on the same
side of 0.5 as its target; a string is right when every prediction in it is.

``coding``: "full" (the default) codes inputs and targets over all of S a b (c) T; "compact" drops
the units that are never active, T on the input side (never an input: the last symbol) and S on
the target side (never a next symbol), leaving inputs S a b (c) and outputs a b (c) T: 4 input and
4 output units for a^n b^n c^n (3 and 3 for a^n b^n), as we understand Gers & Schmidhuber's
network. The data and the measure are otherwise the same.

Training strings: n = 1..``train_max_n`` (default 10, as Gers & Schmidhuber), once each. Test
strings: n = 1..``test_max_n`` (default 100). ``max_n`` is the largest N such that every string
with n = 1..N is right (on the training data it cannot exceed ``train_max_n``). Solved: the test
``max_n`` reaches ``target_n`` (default 20, twice the training range; Gers & Schmidhuber's LSTM
generalised much further). The test strings with n <= ``train_max_n`` are the training strings, so
:meth:`check_solved` skips the test while the training ``max_n`` is short of min(train_max_n,
target_n): the test could not pass.

``length_split = true``: the length split of :mod:`problems.lengths` instead: the test strings are
n = 1..5 * train_max_n, in groups (training n, up to 2x, up to 5x; ``test_groups``, scored by
:func:`problems.lengths.accuracy_by_length`), and solved means every one right (``test_max_n`` and
``target_n`` are then 5 * train_max_n, whatever is given).
"""
from __future__ import annotations

from . import lengths
from .supervised import SequenceProblem
from .symbols import next_symbol_data

DESCRIPTION = "counting languages a^n b^n and a^n b^n c^n: next-symbol set prediction, generalisation in n (Gers & Schmidhuber 2001)"
ALPHABETS = {"anbn": "SabT", "anbncn": "SabcT"}
CODINGS = ("full", "compact")


def string(n: int, letters: str = "ab") -> str:
    """S a^n b^n (c^n) T for ``letters`` "ab" or "abc"."""
    return "S" + "".join(c * n for c in letters) + "T"


def next_sets(s: str) -> list[set[str]]:
    """The legal next symbols after each symbol but the last of a counting-language string."""
    letters = "".join(dict.fromkeys(s[1:-1]))     # "ab" or "abc", in order
    n = s.count("a")
    sets: list[set[str]] = [{"a"}]
    seen = dict.fromkeys(letters, 0)
    for c in s[1:-1]:
        seen[c] += 1                                # this is the seen[c]-th c
        if c == "a":
            sets.append({"a", "b"})
        elif seen[c] < n:
            sets.append({c})
        else:
            j = letters.index(c)
            sets.append({letters[j + 1]} if j + 1 < len(letters) else {"T"})
    return sets


def data(ns, language: str, coding: str = "full"):
    letters = ALPHABETS[language][1:-1]
    d = next_symbol_data([string(n, letters) for n in ns], ALPHABETS[language], next_sets, labels=list(ns))
    if coding == "compact":       # T is never an input, S never a target
        d = type(d)(d.X[:, :-1], d.Y[:, 1:], d.starts, d.mask, labels=d.labels)
    return d


def estimate_data_bytes(name: str, train_max_n: int, test_max_n: int, length_split: bool, coding: str = "full",
                        **_) -> int:
    """The memory guard's size of the data (:mod:`problems.registry`): every n = 1..N once, a string
    taking 2n + 1 (anbn) or 3n + 1 (anbncn) steps; with ``length_split`` the test strings
    n = 1..5 * train_max_n and their groups besides."""
    letters = len(ALPHABETS[name]) - 2
    size = len(ALPHABETS[name]) - (coding == "compact")
    split = lambda a, b: lengths.split_bytes(int(b) - int(a) + 1, a, b, (letters, 1), size, size)   # noqa: E731
    tm = int(train_max_n)
    if not length_split:
        return split(1, tm) + split(1, test_max_n)
    return split(1, tm) + split(1, 5 * tm) + sum(split(a, b) for a, b in lengths.ranges(1, tm).values())


def make(name: str = "anbn", train_max_n: int = 10, test_max_n: int = 100, target_n: int = 20,
         seed: int = 0, length_split: bool = False, coding: str = "full") -> SequenceProblem:
    """``anbn`` or ``anbncn``. The data are the definition (no randomness; ``seed`` is accepted
    for a uniform interface)."""
    if name not in ALPHABETS:
        raise ValueError(f"problem {name}: counting languages are {', '.join(ALPHABETS)}")
    if coding not in CODINGS:
        raise ValueError(f"problem {name}: coding must be one of {', '.join(CODINGS)}, got {coding!r}")
    train_max_n, test_max_n, target_n = int(train_max_n), int(test_max_n), int(target_n)
    if length_split:
        lengths.check(name, 1, train_max_n)
        test_max_n = target_n = 5 * train_max_n
    if not (1 <= train_max_n and 1 <= target_n <= test_max_n):
        raise ValueError(f"problem {name}: need 1 <= train_max_n and 1 <= target_n <= test_max_n, "
                         f"got {train_max_n}, {target_n}, {test_max_n}")
    prob = SequenceProblem(
        name, data(range(1, train_max_n + 1), name, coding), data(range(1, test_max_n + 1), name, coding),
        threshold=0.5, measures=("string_accuracy", "max_n"), solved_when=(("max_n", ">=", target_n),),
        precheck=(("max_n", ">=", min(train_max_n, target_n)),),
        causal=True, description=DESCRIPTION,
        solved_description=f"every test string with n = 1..{target_n} right (max_n >= {target_n})",
        output_activation="sigmoid", default_net={"arch": "elman", "n_hidden": 8},
        params={"train_max_n": train_max_n, "test_max_n": test_max_n, "target_n": target_n, "seed": int(seed),
                **({"length_split": True} if length_split else {}), **({"coding": coding} if coding != "full" else {})})
    if length_split:
        prob.test_groups = lengths.groups(lambda g, a, b: data(range(a, b + 1), name, coding), 1, train_max_n)
    return prob
