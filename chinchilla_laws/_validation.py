"""The one place that raises on user input.

Every public function validates its arguments here; private code trusts them.
Messages follow one template: what was expected, then ``got ...``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection, Container, Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._typing import FloatArray


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def as_float_array(
    value: ArrayLike,
    name: str,
    *,
    ndim: int = 1,
    positive: bool = False,
    nonnegative: bool = False,
    finite: bool = True,
    min_size: int = 0,
) -> FloatArray:
    """Convert ``value`` to a contiguous float64 array and check it.

    Raises ``TypeError`` for non-numeric input and ``ValueError`` for a wrong
    shape, a non-finite or out-of-range entry, or too few entries. The message
    names ``name`` and the first offending index.
    """
    if isinstance(value, (str, bytes)):
        raise TypeError(f"`{name}` must be an array of numbers; got {_describe(value)}.")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # pragma: no cover - exotic inputs
        raise TypeError(f"`{name}` must be an array of numbers; got {_describe(value)}.") from exc
    if arr.dtype.kind in "USaV":
        raise TypeError(
            f"`{name}` must be an array of real numbers; got an array of dtype {arr.dtype}."
        )
    if arr.dtype == object:
        # e.g. a pandas column of Python floats: every entry must be a real number
        for item in arr.flat:
            if isinstance(item, bool) or not isinstance(item, numbers.Real):
                raise TypeError(
                    f"`{name}` must be an array of real numbers; got {_describe(item)} in it."
                )
        arr = arr.astype(np.float64)
    elif arr.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must be an array of real numbers; got dtype {arr.dtype}.")
    if arr.dtype.kind == "b":
        raise TypeError(f"`{name}` must be an array of real numbers; got booleans.")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if ndim == 1 and arr.ndim == 0:
        raise ValueError(f"`{name}` must be a 1-D array; got a scalar.")
    if arr.ndim != ndim:
        raise ValueError(f"`{name}` must be a {ndim}-D array; got shape {arr.shape}.")
    if arr.size < min_size:
        raise ValueError(f"`{name}` must have at least {min_size} entries; got {arr.size}.")
    if finite:
        bad = ~np.isfinite(arr)
        if bad.any():
            idx = np.argwhere(bad)[0]
            where = int(idx[0]) if ndim == 1 else tuple(int(i) for i in idx)
            raise ValueError(
                f"`{name}` must contain only finite values; got {arr[tuple(idx)]} at index {where}."
            )
    if positive:
        bad = ~(arr > 0)
        if bad.any():
            idx = np.argwhere(bad)[0]
            where = int(idx[0]) if ndim == 1 else tuple(int(i) for i in idx)
            raise ValueError(
                f"`{name}` must contain only positive values; got {arr[tuple(idx)]} "
                f"at index {where}."
            )
    if nonnegative:
        bad = ~(arr >= 0)
        if bad.any():
            idx = np.argwhere(bad)[0]
            where = int(idx[0]) if ndim == 1 else tuple(int(i) for i in idx)
            raise ValueError(
                f"`{name}` must contain only non-negative values; got {arr[tuple(idx)]} "
                f"at index {where}."
            )
    return arr


def same_length(**arrays: FloatArray) -> int:
    """Check that all 1-D arrays have one length; return it."""
    lengths = {name: arr.shape[0] for name, arr in arrays.items()}
    values = set(lengths.values())
    if len(values) > 1:
        listing = ", ".join(f"`{k}` has {v}" for k, v in lengths.items())
        raise ValueError(f"the data arrays must have the same length; got {listing}.")
    return int(values.pop())


def as_positive_scalar(value: Any, name: str, *, allow_zero: bool = False) -> float:
    """A finite real number > 0 (or >= 0 with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real number; got {_describe(value)}.")
    out = float(value)
    if not math.isfinite(out) or out < 0 or (out == 0 and not allow_zero):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"`{name}` must be a finite {kind} number; got {out!r}.")
    return out


def as_fraction(value: Any, name: str, *, inclusive_high: bool = False) -> float:
    """A real number in (0, 1) (or (0, 1] with ``inclusive_high``)."""
    out = as_positive_scalar(value, name)
    if out > 1 or (out == 1 and not inclusive_high):
        bracket = "(0, 1]" if inclusive_high else "(0, 1)"
        raise ValueError(f"`{name}` must lie in {bracket}; got {out!r}.")
    return out


def as_int(value: Any, name: str, *, minimum: int = 0) -> int:
    """An integer >= ``minimum`` (booleans are rejected)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer; got {_describe(value)}.")
    out = int(value)
    if out < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}; got {out}.")
    return out


def as_choice(value: Any, name: str, choices: Collection[str]) -> str:
    """One of a fixed set of strings."""
    if not isinstance(value, str):
        raise TypeError(f"`{name}` must be one of {sorted(choices)}; got {_describe(value)}.")
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {sorted(choices)}; got {value!r}.")
    return value


def as_bool(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be True or False; got {_describe(value)}.")
    return bool(value)


def as_rng(rng: Any) -> np.random.Generator:
    """SPEC 7: ``None``, an int seed, a ``SeedSequence`` or a ``Generator``."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if int(rng) < 0:
            raise ValueError(f"`rng` must be a non-negative integer seed; got {int(rng)}.")
        return np.random.default_rng(int(rng))
    raise TypeError(
        "`rng` must be None, an integer seed, a numpy SeedSequence or a numpy Generator; "
        f"got {_describe(rng)}."
    )


def as_positive_array(value: ArrayLike, name: str) -> FloatArray:
    """A positive finite float64 array of any shape (0-d for scalars)."""
    return _any_shape(value, name, positive=True)


def as_nonnegative_array(value: ArrayLike, name: str) -> FloatArray:
    """A non-negative finite float64 array of any shape (0-d for scalars)."""
    return _any_shape(value, name, nonnegative=True)


def _any_shape(value: ArrayLike, name: str, **checks: bool) -> FloatArray:
    if isinstance(value, (str, bytes)):
        as_float_array(value, name)  # raises the TypeError of the house template
    if value is None:  # numpy would turn it into NaN
        raise TypeError(f"`{name}` must be an array of numbers; got {_describe(value)}.")
    try:
        shape = np.shape(value)
    except ValueError:
        raise ValueError(
            f"`{name}` must be a rectangular array of numbers; got a ragged sequence."
        ) from None
    flat = as_float_array(np.reshape(np.asarray(value), -1), name, **checks)
    return flat.reshape(shape)


def tied_groups(
    tied: Any, names: Sequence[str], fixed: Container[str], owner: str
) -> list[tuple[str, ...]]:
    """Validate ``tied`` (groups of parameter names sharing one value) against ``names``.

    ``fixed`` holds the names already held fixed; ``owner`` describes whose
    parameters these are in messages (e.g. "the 'chinchilla' family"). Returns the
    groups as tuples, in the order given.
    """
    if isinstance(tied, (str, bytes)) or not isinstance(tied, Iterable):
        raise TypeError(
            "`tied` must be a sequence of groups of parameter names, e.g. "
            f"[('alpha', 'beta')]; got {_describe(tied)}."
        )
    groups: list[tuple[str, ...]] = []
    seen: set[str] = set()
    for group in tied:
        if isinstance(group, (str, bytes)) or not isinstance(group, Iterable):
            raise TypeError(
                "each group in `tied` must be a sequence of parameter names; got "
                f"{_describe(group)}."
            )
        g = tuple(group)
        if len(g) < 2:
            raise ValueError(f"each group in `tied` must name two or more parameters; got {g}.")
        for key in g:
            if key not in names:
                raise ValueError(
                    f"`tied` names unknown parameter {key!r}; {owner} has {list(names)}."
                )
            if key in fixed:
                raise ValueError(f"`tied` and `fixed` both name {key!r}; choose one.")
            if key in seen:
                raise ValueError(f"`tied` names {key!r} in more than one place.")
            seen.add(key)
        groups.append(g)
    return groups
