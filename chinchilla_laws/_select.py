"""Row selection for the readers: ``where=`` filters and ``group_by=`` keys.

Private helpers shared by :func:`chinchilla_laws.io.load_runs` and the log readers of
:mod:`chinchilla_laws.logs`. Values are compared the way a user reads a table: text
equal to text, numbers equal to numbers (``"2048"`` matches ``2048.0``), and
``True``/``False`` equal to their spelling in any case.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import numpy as np

from ._typing import AnyArray, BoolArray
from ._validation import _describe

__all__ = ["check_group_by", "check_where", "find_column", "group_keys", "row_mask"]

_TRUE = frozenset({"true", "yes"})
_FALSE = frozenset({"false", "no"})

Where = Mapping[str, Any] | Callable[[Mapping[str, Any]], Any]


def normalise(name: str) -> str:
    """Lower-case; every run of characters other than letters and digits becomes ``_``."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def check_where(where: Any) -> Where | None:
    """Validate ``where``: None, a mapping from column name to value(s), or a callable."""
    if where is None or callable(where):
        return where  # type: ignore[no-any-return]
    if not isinstance(where, Mapping):
        raise TypeError(
            "`where` must be a mapping from column name to value, e.g. "
            f"{{'dataset': 'dclm'}}, or a callable taking a row; got {_describe(where)}."
        )
    if not where:
        raise ValueError("`where` must name at least one column; got an empty mapping.")
    for key in where:
        if not isinstance(key, str):
            raise TypeError(f"`where` keys must be column names (str); got {_describe(key)}.")
    return where


def check_group_by(group_by: Any) -> str | None:
    """Validate ``group_by``: None or one column name."""
    if group_by is None:
        return None
    if not isinstance(group_by, str) or not group_by.strip():
        raise TypeError(f"`group_by` must be a column name (str); got {_describe(group_by)}.")
    return group_by


def find_column(header: Sequence[str], name: str, arg: str, where: str) -> int:
    """Index of column ``name`` in ``header``: exact match first, then normalised."""
    for i, col in enumerate(header):
        if col == name:
            return i
    hits = [i for i, col in enumerate(header) if normalise(col) == normalise(name)]
    if len(hits) != 1:
        raise ValueError(
            f"`{arg}` names column {name!r}, which {where} does not have"
            f"{' uniquely' if hits else ''}; its columns are {list(header)}."
        )
    return hits[0]


def _as_number(value: Any) -> float | None:
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().replace("_", ""))
        except ValueError:
            return None
    return None


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else str(value)


def matches(cell: Any, wanted: Any) -> bool:
    """Whether a cell equals ``wanted`` (one of ``wanted`` when it is a collection)."""
    if isinstance(wanted, Collection) and not isinstance(wanted, (str, bytes)):
        return any(matches(cell, w) for w in wanted)
    if isinstance(wanted, (bool, np.bool_)) or (
        isinstance(wanted, str) and wanted.strip().lower() in _TRUE | _FALSE
    ):
        got, want = _as_bool(cell), _as_bool(wanted)
        if got is not None and want is not None:
            return got == want
    if _text(cell) == _text(wanted):
        return True
    got_n, want_n = _as_number(cell), _as_number(wanted)
    if got_n is None or want_n is None:
        return False
    return got_n == want_n or (math.isnan(got_n) and math.isnan(want_n))


def row_mask(
    header: Sequence[str],
    column: Callable[[int], Sequence[Any]],
    n_rows: int,
    where: Where,
    label: str,
) -> BoolArray:
    """The rows that ``where`` keeps; ``column(i)`` gives the cells of column ``i``."""
    if callable(where):
        cols = [column(i) for i in range(len(header))]
        keep = np.empty(n_rows, dtype=bool)
        for r in range(n_rows):
            row = {name: cols[i][r] for i, name in enumerate(header)}
            keep[r] = bool(where(row))
        return keep
    keep = np.ones(n_rows, dtype=bool)
    for name, wanted in where.items():
        cells = column(find_column(header, name, "where", label))
        keep &= np.fromiter((matches(c, wanted) for c in cells), dtype=bool, count=n_rows)
    return keep


def group_keys(cells: Sequence[Any]) -> AnyArray:
    """Group labels as text, one per row."""
    return np.array([_text(c) for c in cells], dtype=object)


def describe_where(where: Where) -> str:
    """``where`` in words, for summaries and messages."""
    if callable(where):
        return f"where={getattr(where, '__name__', 'callable')}"
    return "where " + " and ".join(f"{k}={v!r}" for k, v in where.items())
