r"""Reading runs from CSV files and data frames, by column name.

:func:`load_runs` turns a CSV file, a pandas or polars ``DataFrame`` or a mapping of
arrays into :class:`Runs`: model size ``N``, tokens ``D``, compute ``C`` and loss of
each run (or logged point), with ``C = k N D`` (``k = 6`` by default) filling in
whichever of ``N``, ``D``, ``C`` is missing. Columns are found by name,
case-insensitively, through a table of aliases, or given explicitly. CSV files are
read with the standard :mod:`csv` module; pandas is never imported.
"""

from __future__ import annotations

import csv
import dataclasses
import io as _io
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import IO, Any, overload

import numpy as np
from numpy.typing import ArrayLike

from . import _select
from ._constants import FLOPS_PER_PARAM_TOKEN
from ._typing import AnyArray, FloatArray, IntArray, freeze_arrays
from ._validation import _describe, as_positive_scalar

__all__ = ["COLUMN_ALIASES", "UNIT_SCALES", "Runs", "load_runs", "save_runs"]

FIELDS = (
    "n_params",
    "n_tokens",
    "compute",
    "loss",
    "run_id",
    "budget",
    "schedule_end",
    "step",
)
"""The fields of :class:`Runs` that can be read from a column."""

NUMERIC_FIELDS = ("n_params", "n_tokens", "compute", "loss", "budget", "schedule_end", "step")

COLUMN_ALIASES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "n_params": (
            "n_params",
            "n",
            "params",
            "parameters",
            "num_params",
            "n_parameters",
            "parameter_count",
            "model_size",
            "model_params",
        ),
        "n_tokens": (
            "n_tokens",
            "d",
            "tokens",
            "num_tokens",
            "training_tokens",
            "train_tokens",
            "tokens_seen",
            "data_size",
        ),
        "compute": (
            "compute",
            "c",
            "flops",
            "flop",
            "training_flop",
            "training_flops",
            "train_flops",
            "compute_flops",
        ),
        "loss": (
            "loss",
            "final_loss",
            "l",
            "val_loss",
            "validation_loss",
            "eval_loss",
            "train_loss",
        ),
        "run_id": ("run_id", "run", "name", "run_name", "id"),
        "budget": (
            "budget",
            "compute_budget",
            "flop_budget",
            "isoflop_budget",
            "nominal_budget",
            "nominal_isoflop_budget",
        ),
        "schedule_end": ("schedule_end", "horizon", "schedule_tokens"),
        "step": ("step", "global_step", "trainer_global_step", "iteration"),
    }
)
"""Column names recognised for each field, compared after normalisation.

Names are normalised by lower-casing them and turning every run of characters other
than letters and digits into one underscore (``"Model Size"`` -> ``model_size``).
"""

_FLOP_UNITS = {
    "flop": 1.0,
    "kflop": 1e3,
    "mflop": 1e6,
    "gflop": 1e9,
    "tflop": 1e12,
    "pflop": 1e15,
    "eflop": 1e18,
    "zflop": 1e21,
}
_COUNT_UNITS = {"1": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12}

UNIT_SCALES: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        "compute": MappingProxyType(_FLOP_UNITS),
        "budget": MappingProxyType(_FLOP_UNITS),
        "n_params": MappingProxyType(_COUNT_UNITS),
        "n_tokens": MappingProxyType(_COUNT_UNITS),
        "schedule_end": MappingProxyType(_COUNT_UNITS),
    }
)
"""Units accepted per field: FLOP multiples for compute, count multipliers for N and D.

Unit names are case-insensitive; a trailing ``s`` (``GFLOPs``) is ignored. A plain
number is accepted as a scale factor for any numeric field.
"""


def _normalise(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


_ALIAS_TO_FIELD = {alias: fld for fld, aliases in COLUMN_ALIASES.items() for alias in aliases}


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Runs:
    r"""Runs (or logged points of training curves) read by :func:`load_runs`.

    Attributes
    ----------
    n_params : ndarray
        Model size ``N`` (parameters).
    n_tokens : ndarray
        Training tokens ``D`` (for curves: tokens seen at the logged point).
    compute : ndarray
        Training FLOPs ``C``; ``C = k N D`` links the three (``k`` below), and the
        one missing from the source is derived from the other two.
    loss : ndarray
        Loss of each row.
    run_id : ndarray or None
        Run identifiers (as strings for CSV input), when the source has them.
    budget : ndarray or None
        IsoFLOP budget labels in FLOPs, when the source has them.
    schedule_end : ndarray or None
        Tokens at which each row's schedule ends (training curves), when given.
    step : ndarray or None
        The optimizer step of each row (training logs), when the source has it.
    flops_per_param_token : float
        ``k`` of ``C = k N D`` (6 by default).
    columns : mapping
        For each field read from the source, the source's column name.
    derived : tuple of str
        The fields computed from ``C = k N D`` rather than read.
    source : str
        A description of where the data came from (a path, ``"DataFrame"``, ...).
    skipped : mapping
        Rows of the source that were not read, counted by reason (``where`` filters,
        log entries without the loss, ...); see :meth:`summary`.
    source_line : ndarray of int or None
        The 1-based line of the file each row was read from (CSV input), so that
        a problem found later in row ``i`` can be located in the file.
    """

    n_params: FloatArray
    n_tokens: FloatArray
    compute: FloatArray
    loss: FloatArray
    run_id: AnyArray | None = field(default=None, repr=False)
    budget: FloatArray | None = field(default=None, repr=False)
    schedule_end: FloatArray | None = field(default=None, repr=False)
    step: FloatArray | None = field(default=None, repr=False)
    flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN
    columns: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    derived: tuple[str, ...] = ()
    source: str = ""
    skipped: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    source_line: IntArray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        freeze_arrays(self)
        for name in ("columns", "skipped"):
            value = getattr(self, name)
            if not isinstance(value, MappingProxyType):
                object.__setattr__(self, name, MappingProxyType(dict(value)))

    def __len__(self) -> int:
        return int(self.n_params.shape[0])

    def has(self, name: str) -> bool:
        """Whether the field ``name`` was read from the source (not derived, not absent)."""
        return name in self.columns

    def select(self, index: ArrayLike) -> Runs:
        """The runs at ``index`` (an integer index array or a boolean mask)."""
        idx = np.asarray(index)
        if idx.dtype.kind not in "biu":
            raise TypeError(f"`index` must be integers or a boolean mask; got {_describe(index)}.")
        if idx.dtype.kind == "b" and idx.shape != (len(self),):
            raise ValueError(
                f"`index` as a boolean mask must have shape ({len(self)},); got shape {idx.shape}."
            )

        def take(arr: AnyArray | None) -> Any:
            return None if arr is None else np.array(arr[idx])

        return Runs(
            n_params=take(self.n_params),
            n_tokens=take(self.n_tokens),
            compute=take(self.compute),
            loss=take(self.loss),
            run_id=take(self.run_id),
            budget=take(self.budget),
            schedule_end=take(self.schedule_end),
            step=take(self.step),
            flops_per_param_token=self.flops_per_param_token,
            columns=self.columns,
            derived=self.derived,
            source=self.source,
            skipped=self.skipped,
            source_line=take(self.source_line),
        )

    @property
    def n_runs(self) -> int | None:
        """The number of distinct run ids (None without run ids)."""
        return None if self.run_id is None else int(np.unique(self.run_id).shape[0])

    def summary(self) -> str:
        """What was read: runs and rows, where each field came from, rows skipped and why."""
        runs = "" if self.n_runs is None else f"{self.n_runs} runs, "
        lines = [f"read {runs}{len(self)} rows from {self.source}"]
        if self.columns:
            lines.append("  " + "; ".join(f"{k} from {v}" for k, v in self.columns.items()))
        if self.derived:
            k = f"{self.flops_per_param_token:g}"
            lines.append("  derived " + ", ".join(self.derived) + f" from C = {k} N D")
        if self.skipped:
            total = sum(self.skipped.values())
            why = "; ".join(f"{n} {reason}" for reason, n in self.skipped.items())
            lines.append(f"  skipped {total} rows: {why}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, AnyArray]:
        """The fields present, by name (optional fields only when present)."""
        out: dict[str, AnyArray] = {}
        for name in FIELDS:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    def __repr__(self) -> str:
        extra = [
            f for f in ("run_id", "budget", "schedule_end", "step") if getattr(self, f) is not None
        ]
        return (
            f"Runs(n_rows={len(self)}, source={self.source!r}, columns={dict(self.columns)!r}, "
            f"derived={self.derived!r}, optional={tuple(extra)!r}, "
            f"flops_per_param_token={self.flops_per_param_token!r})"
        )


# ---------------------------------------------------------------------- argument checks
def _check_columns(columns: Any) -> dict[str, str]:
    if columns is None:
        return {}
    if not isinstance(columns, Mapping):
        raise TypeError(
            "`columns` must be a mapping from field name to column name, e.g. "
            f"{{'n_params': 'Model Size'}}; got {_describe(columns)}."
        )
    out: dict[str, str] = {}
    for key, value in columns.items():
        if key not in FIELDS:
            raise ValueError(f"`columns` keys must be among {list(FIELDS)}; got {key!r}.")
        if not isinstance(value, str):
            raise TypeError(
                f"`columns[{key!r}]` must be a column name (str); got {_describe(value)}."
            )
        out[key] = value
    return out


def _unit_scale(fld: str, unit: Any) -> float:
    if isinstance(unit, (int, float)) and not isinstance(unit, bool):
        return as_positive_scalar(unit, f"units[{fld!r}]")
    if not isinstance(unit, str):
        raise TypeError(f"`units[{fld!r}]` must be a unit name or a number; got {_describe(unit)}.")
    table = UNIT_SCALES.get(fld)
    if table is None:
        raise ValueError(f"`units` cannot be given for {fld!r}; only for {sorted(UNIT_SCALES)}.")
    key = unit.strip().lower().replace(" ", "")
    if key not in table and key.endswith("s") and key[:-1] in table:
        key = key[:-1]
    if key not in table:
        names = ", ".join(k[:-4] + "FLOP" if k.endswith("flop") else k.upper() for k in table)
        raise ValueError(f"`units[{fld!r}]` must be one of {names} or a number; got {unit!r}.")
    return float(table[key])


def _check_units(units: Any) -> dict[str, float]:
    if units is None:
        return {}
    if not isinstance(units, Mapping):
        raise TypeError(
            f"`units` must be a mapping from field name to unit, e.g. {{'compute': 'GFLOP'}}; "
            f"got {_describe(units)}."
        )
    out: dict[str, float] = {}
    for key, value in units.items():
        if key not in NUMERIC_FIELDS:
            raise ValueError(f"`units` keys must be among {list(NUMERIC_FIELDS)}; got {key!r}.")
        out[key] = 1.0 if key == "loss" and value in (None, "", "1") else _unit_scale(key, value)
    return out


def _resolve(header: Sequence[str], columns: dict[str, str], where: str) -> dict[str, int]:
    """Map each field to a column index: explicit names first, then aliases."""
    found: dict[str, int] = {}
    exact = {name: i for i, name in enumerate(header)}
    by_norm: dict[str, list[int]] = {}
    for i, name in enumerate(header):
        by_norm.setdefault(_normalise(name), []).append(i)
    for fld, name in columns.items():
        if name in exact:
            found[fld] = exact[name]
            continue
        hits = by_norm.get(_normalise(name), [])
        if len(hits) != 1:
            raise ValueError(
                f"`columns[{fld!r}]` names column {name!r}, which {where} does not have"
                f"{' uniquely' if hits else ''}; its columns are {list(header)}."
            )
        found[fld] = hits[0]
    taken = set(found.values())
    for fld, aliases in COLUMN_ALIASES.items():
        if fld in found:
            continue
        hits = [i for alias in aliases for i in by_norm.get(alias, []) if i not in taken]
        if len(hits) > 1:
            names = [header[i] for i in hits]
            raise ValueError(
                f"{where} has several columns that could be `{fld}`: {names}; "
                f"choose one with `columns={{{fld!r}: ...}}` (command line: "
                f"`--column {fld}=NAME`)."
            )
        if hits:
            found[fld] = hits[0]
            taken.add(hits[0])
    return found


def _missing_message(fld: str, header: Sequence[str], where: str, hint: str) -> str:
    aliases = ", ".join(COLUMN_ALIASES[fld][:5])
    return (
        f"{where} has no column for `{fld}` ({hint}; recognised names include {aliases}); "
        f"its columns are {list(header)}. Name it with `columns={{{fld!r}: ...}}` "
        f"(command line: `--column {fld}=NAME`)."
    )


# ---------------------------------------------------------------------- readers
def _open_source(source: Any) -> tuple[IO[str], str, bool]:
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        try:
            handle = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115
        except OSError as exc:
            raise ValueError(f"`source` {path!r} cannot be read: {exc.strerror}.") from exc
        return handle, path, True
    return source, getattr(source, "name", "<stream>"), False


def _delimiter(where: str, first_line: str, delimiter: str | None) -> str:
    if delimiter is not None:
        return delimiter
    if where.lower().endswith((".tsv", ".tab")):
        return "\t"
    if "," not in first_line and "\t" in first_line:
        return "\t"
    if "," not in first_line and ";" in first_line:
        return ";"
    return ","


def _read_csv(
    source: Any, delimiter: str | None
) -> tuple[list[str], list[list[str]], list[int], str, str]:
    handle, where, owned = _open_source(source)
    try:
        try:
            text = handle.read()
        except UnicodeDecodeError as exc:
            raise ValueError(f"`source` {where!r} is not UTF-8 text: {exc.reason}.") from exc
    finally:
        if owned:
            handle.close()
    if not isinstance(text, str):
        raise TypeError(
            f"`source` must be a path, a text stream or a data frame; got {_describe(source)}."
        )
    label = f"file {where!r}" if owned else f"stream {where!r}"
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")), None)
    if first is None:
        raise ValueError(f"`source` {label} is empty: no header row.")
    reader = csv.reader(
        _io.StringIO(text, newline=""), delimiter=_delimiter(where, first, delimiter)
    )
    header: list[str] | None = None
    rows: list[list[str]] = []
    line_numbers: list[int] = []
    try:
        for row in reader:
            if not row or all(not cell.strip() for cell in row):
                continue
            if header is None:
                if row[0].lstrip().startswith("#"):
                    continue
                header = [cell.strip() for cell in row]
                continue
            rows.append(row)
            line_numbers.append(reader.line_num)
    except csv.Error as exc:
        raise ValueError(
            f"`source` {label}, line {reader.line_num}: malformed CSV ({exc})."
        ) from exc
    assert header is not None
    if not rows:
        raise ValueError(f"`source` {label} has a header but no data rows.")
    for pos, (row, line) in enumerate(zip(rows, line_numbers, strict=True), start=1):
        if len(row) != len(header):
            raise ValueError(
                f"`source` {label}, line {line} (row {pos}): expected {len(header)} fields "
                f"as in the header; got {len(row)}."
            )
    return header, rows, line_numbers, label, where


def _parse_number(text: str) -> float:
    cleaned = text.strip().replace("_", "")
    return float(cleaned)


def _csv_column(
    rows: list[list[str]],
    lines: list[int],
    index: int,
    name: str,
    label: str,
    row_numbers: AnyArray | None = None,
) -> FloatArray:
    out = np.empty(len(rows))
    for pos, row in enumerate(rows):
        cell = row[index]
        try:
            if not cell.strip():
                raise ValueError
            out[pos] = _parse_number(cell)
        except ValueError:
            what = "an empty cell" if not cell.strip() else repr(cell)
            number = pos + 1 if row_numbers is None else int(row_numbers[pos]) + 1
            raise ValueError(
                f"`source` {label}, line {lines[pos]} (row {number}), column {name!r}: "
                f"expected a number; got {what}."
            ) from None
    return out


def _is_frame(source: Any) -> bool:
    return isinstance(source, Mapping) or (
        hasattr(source, "columns") and hasattr(source, "__getitem__")
    )


def _frame_keys(source: Any) -> list[Any]:
    cols: Iterable[Any] = source.keys() if isinstance(source, Mapping) else source.columns
    return list(cols)


def _frame_values(source: Any, key: Any) -> AnyArray:
    name = str(key)
    col = source[key]
    to_numpy = getattr(col, "to_numpy", None)
    arr: AnyArray = np.asarray(to_numpy() if callable(to_numpy) else col)
    if arr.ndim != 1:
        raise ValueError(f"`source` column {name!r} must be 1-D; got shape {arr.shape}.")
    return arr


def _frame_column(arr: AnyArray, name: str, label: str) -> FloatArray:
    if arr.dtype.kind in "iuf":
        return np.asarray(arr, dtype=np.float64)
    if arr.dtype.kind == "b":
        raise ValueError(f"`source` {label}, column {name!r}: expected numbers; got booleans.")
    out = np.empty(arr.shape[0])
    for pos, value in enumerate(arr.tolist()):
        try:
            if value is None or isinstance(value, bool):
                raise ValueError
            out[pos] = _parse_number(value) if isinstance(value, str) else float(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"`source` {label}, row {pos + 1}, column {name!r}: expected a number; "
                f"got {value!r}."
            ) from None
    return out


# ---------------------------------------------------------------------- public API
@overload
def load_runs(
    source: Any,
    *,
    columns: Mapping[str, str] | None = ...,
    units: Mapping[str, str | float] | None = ...,
    flops_per_param_token: float = ...,
    delimiter: str | None = ...,
    where: _select.Where | None = ...,
    group_by: None = ...,
) -> Runs: ...


@overload
def load_runs(
    source: Any,
    *,
    columns: Mapping[str, str] | None = ...,
    units: Mapping[str, str | float] | None = ...,
    flops_per_param_token: float = ...,
    delimiter: str | None = ...,
    where: _select.Where | None = ...,
    group_by: str,
) -> dict[str, Runs]: ...


def load_runs(
    source: Any,
    *,
    columns: Mapping[str, str] | None = None,
    units: Mapping[str, str | float] | None = None,
    flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN,
    delimiter: str | None = None,
    where: _select.Where | None = None,
    group_by: str | None = None,
) -> Runs | dict[str, Runs]:
    r"""Read runs from a CSV file, a text stream, a data frame or a mapping of arrays.

    Parameters
    ----------
    source : str, path, text stream, DataFrame or mapping
        A CSV file (``.tsv`` files and tab- or semicolon-separated text are
        recognised), an open text stream, a pandas or polars ``DataFrame`` (anything
        with ``columns`` whose columns have ``to_numpy()``), or a mapping from column
        name to array. Lines before the header starting with ``#`` are skipped.
    columns : mapping, optional
        Explicit column names per field, e.g. ``{"n_params": "Model Size", "compute":
        "Training FLOP"}``. Fields: ``n_params``, ``n_tokens``, ``compute``, ``loss``,
        ``run_id``, ``budget``, ``schedule_end``. The other fields are found through
        :data:`COLUMN_ALIASES` (case-insensitive: ``N``/``params``/``parameters``/
        ``model size``; ``D``/``tokens``; ``C``/``compute``/``flops``;
        ``loss``/``final_loss``; ``run``/``run_id``/``name``; ...).
    units : mapping, optional
        Units of the source's columns, converted on reading: ``FLOP``, ``GFLOP``,
        ``TFLOP``, ``PFLOP`` (and ``kFLOP``, ``MFLOP``, ``EFLOP``) for ``compute`` and
        ``budget``; ``K``, ``M``, ``B`` (or ``G``), ``T`` for ``n_params``,
        ``n_tokens`` and ``schedule_end``; or a number to multiply by.
    flops_per_param_token : float, default 6.0
        ``k`` in ``C = k N D``, used to derive the one of ``N``, ``D``, ``C`` that
        the source lacks. With only one of them, ``budget`` stands in for ``C``.
    delimiter : str, optional
        CSV field separator; by default guessed from the file name and the header.
    where : mapping or callable, optional
        Keep only some rows. A mapping from column name (any column of the source,
        not only the fields above) to the value the row must have, e.g.
        ``{"dataset": "dclm", "is_validation_optimal_run": False}`` (all must hold;
        a list or tuple of values means any of them). Text matches text, numbers
        match numbers (``"2048"`` matches ``2048.0``) and ``True``/``False`` match
        their spelling in any case. A callable receives each row as a mapping from
        column name to cell and returns whether to keep it. Rows left out are
        neither parsed nor checked, and are counted in :attr:`Runs.skipped`.
    group_by : str, optional
        A column name: return one :class:`Runs` per distinct value of that column
        (its text), in the order of first appearance, instead of one.

    Returns
    -------
    Runs or dict of str to Runs
        One :class:`Runs`, or with ``group_by`` a ``dict`` from group value to the
        group's rows.

    Raises
    ------
    ValueError
        For an unreadable or empty file, rows of the wrong length, a missing or
        ambiguous column, a value that is not a number (naming the line, the 1-based
        data row and the column), and non-finite or non-positive sizes, tokens or
        FLOPs.
    TypeError
        For arguments of the wrong kind.

    Notes
    -----
    The compute convention is ``C = k N D`` with ``k = flops_per_param_token``
    (``C = 6 N D`` by default, Hoffmann et al. 2022). When the source has all three
    of ``N``, ``D`` and ``C`` they are kept as given.

    Examples
    --------
    >>> import io
    >>> from chinchilla_laws.io import load_runs
    >>> text = "Model Size,Training FLOP,loss\n1e8,6e18,3.1\n2e8,6e18,3.0\n"
    >>> runs = load_runs(io.StringIO(text))
    >>> runs.n_tokens.tolist(), runs.derived
    ([10000000000.0, 5000000000.0], ('n_tokens',))
    >>> text = "model,N,D,loss\na,1e8,1e9,3.1\nb,1e8,1e9,3.0\na,2e8,1e9,2.9\n"
    >>> groups = load_runs(io.StringIO(text), group_by="model", where={"D": 1e9})
    >>> {name: g.loss.tolist() for name, g in groups.items()}
    {'a': [3.1, 2.9], 'b': [3.0]}
    """
    where = _select.check_where(where)
    group_by = _select.check_group_by(group_by)
    explicit = _check_columns(columns)
    scales = _check_units(units)
    k = as_positive_scalar(flops_per_param_token, "flops_per_param_token")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise ValueError(f"`delimiter` must be a single character; got {delimiter!r}.")

    if isinstance(source, (str, os.PathLike)) or (
        hasattr(source, "read") and not _is_frame(source)
    ):
        header, rows, lines, label, source_name = _read_csv(source, delimiter)
        found = _resolve(header, explicit, f"`source` {label}")
        n_all = len(rows)
        groups = None
        if group_by is not None:
            gi = _select.find_column(header, group_by, "group_by", f"`source` {label}")
            groups = _select.group_keys([row[gi] for row in rows])
        if where is not None:
            all_rows = rows
            keep = _select.row_mask(
                header, lambda i: [row[i] for row in all_rows], n_all, where, f"`source` {label}"
            )
            rows = [row for row, k in zip(rows, keep, strict=True) if k]
            lines = [line for line, k in zip(lines, keep, strict=True) if k]

        def numeric(fld: str) -> FloatArray:
            return _csv_column(rows, lines, found[fld], header[found[fld]], label, row_number)

        def text_column(fld: str) -> AnyArray:
            # kept exactly as written (" a" and "a" are different runs), so that
            # save_runs -> load_runs is an exact round trip
            return np.array([row[found[fld]] for row in rows])

        def row_ref(pos: int) -> str:
            return f"line {lines[pos]} (row {row_number[pos] + 1})"

        source_line: IntArray | None = np.array(lines, dtype=np.int64)

    elif _is_frame(source):
        keys = _frame_keys(source)  # the source's own keys (e.g. integers); names as str
        header = [str(c) for c in keys]
        label = "data frame" if not isinstance(source, Mapping) else "mapping"
        found = _resolve(header, explicit, f"`source` {label}")
        if not found:
            raise ValueError(_missing_message("n_params", header, f"`source` {label}", "N"))
        length = None
        cache: dict[int, AnyArray] = {}
        for idx in set(found.values()):
            arr = _frame_values(source, keys[idx])
            if length is not None and arr.shape[0] != length:
                raise ValueError(f"`source` {label} has columns of different lengths.")
            length = arr.shape[0]
            cache[idx] = arr
        if length == 0:
            raise ValueError(f"`source` {label} has no rows.")
        n_all = int(length or 0)

        def frame_cells(i: int) -> Any:
            arr = cache[i] if i in cache else _frame_values(source, header[i])
            if arr.shape[0] != n_all:
                raise ValueError(f"`source` {label} has columns of different lengths.")
            return arr.tolist()

        groups = None
        if group_by is not None:
            gi = _select.find_column(header, group_by, "group_by", f"`source` {label}")
            groups = _select.group_keys(frame_cells(gi))
        if where is not None:
            keep = _select.row_mask(header, frame_cells, n_all, where, f"`source` {label}")
            for idx in list(cache):
                cache[idx] = cache[idx][keep]

        def numeric(fld: str) -> FloatArray:
            return _frame_column(cache[found[fld]], header[found[fld]], label)

        def text_column(fld: str) -> AnyArray:
            return np.array([str(v) for v in cache[found[fld]].tolist()])

        def row_ref(pos: int) -> str:
            return f"row {row_number[pos] + 1}"

        source_name = "DataFrame" if label == "data frame" else "mapping"
        source_line = None
    else:
        raise TypeError(
            "`source` must be a path to a CSV file, a text stream, a DataFrame or a mapping "
            f"of columns; got {_describe(source)}."
        )

    skipped: dict[str, int] = {}
    row_number = np.arange(n_all)
    dropped_keys = None
    if where is not None:
        row_number = row_number[keep]
        if groups is not None:
            dropped_keys = groups[~keep]
            groups = groups[keep]
        n_left = int(keep.sum())
        if n_left == 0:
            raise ValueError(
                f"`where` keeps none of the {n_all} rows of `source` {label} "
                f"({_select.describe_where(where)})."
            )
        if n_left < n_all:
            skipped[f"not matching {_select.describe_where(where)}"] = n_all - n_left
    where_label = f"`source` {label}"
    values: dict[str, FloatArray] = {}
    for fld in NUMERIC_FIELDS:
        if fld in found:
            arr = numeric(fld) * scales.get(fld, 1.0)
            col = header[found[fld]]
            if fld == "loss":
                bad, need = ~np.isfinite(arr), "a finite number"
            elif fld == "step":
                bad, need = ~(np.isfinite(arr) & (arr >= 0)), "a non-negative finite number"
            else:
                bad, need = ~(np.isfinite(arr) & (arr > 0)), "a positive finite number"
            if bad.any():
                pos = int(np.flatnonzero(bad)[0])
                raise ValueError(
                    f"{where_label}, {row_ref(pos)}, column {col!r}: `{fld}` must be {need}; "
                    f"got {float(arr[pos])!r}."
                )
            values[fld] = arr
    if "loss" not in values:
        raise ValueError(_missing_message("loss", header, where_label, "the loss of each run"))

    have = [f for f in ("n_params", "n_tokens", "compute") if f in values]
    budget_as_compute = False
    if len(have) == 1 and "budget" in values:
        values["compute"] = values["budget"]
        have.append("compute")
        budget_as_compute = True
    if len(have) < 2:
        missing = [f for f in ("n_params", "n_tokens", "compute") if f not in values]
        raise ValueError(
            _missing_message(
                missing[0],
                header,
                where_label,
                "two of N, D and C are needed, the third follows from C = k N D",
            )
        )
    derived: list[str] = []
    if "n_params" not in values:
        values["n_params"] = values["compute"] / (k * values["n_tokens"])
        derived.append("n_params")
    elif "n_tokens" not in values:
        values["n_tokens"] = values["compute"] / (k * values["n_params"])
        derived.append("n_tokens")
    elif "compute" not in values:
        values["compute"] = k * values["n_params"] * values["n_tokens"]
        derived.append("compute")
    for fld in derived:
        bad = ~(np.isfinite(values[fld]) & (values[fld] > 0))
        if bad.any():  # pragma: no cover - positive inputs give positive results
            pos = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{where_label}, {row_ref(pos)}: derived `{fld}` is not finite.")
    used = {fld: header[i] for fld, i in found.items()}
    if budget_as_compute:
        used["compute"] = used["budget"]
    runs = Runs(
        n_params=np.ascontiguousarray(values["n_params"]),
        n_tokens=np.ascontiguousarray(values["n_tokens"]),
        compute=np.array(values["compute"]),
        loss=np.ascontiguousarray(values["loss"]),
        run_id=text_column("run_id") if "run_id" in found else None,
        budget=values.get("budget"),
        schedule_end=values.get("schedule_end"),
        step=values.get("step"),
        flops_per_param_token=k,
        columns=used,
        derived=tuple(derived),
        source=source_name,
        skipped=skipped,
        source_line=source_line,
    )
    if groups is None:
        return runs
    return _split(runs, groups, header[gi], dropped_keys)


def _split(
    runs: Runs, keys: AnyArray, column: str, dropped_keys: AnyArray | None
) -> dict[str, Runs]:
    """One :class:`Runs` per distinct key, in the order of first appearance.

    Each group's :attr:`Runs.skipped` counts the rows of that group that ``where``
    left out (``dropped_keys`` are their keys).
    """
    uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    reasons = list(runs.skipped)
    out: dict[str, Runs] = {}
    for u in np.argsort(first, kind="stable"):
        key = uniq[u]
        part = runs.select(np.flatnonzero(inverse == u))
        n_dropped = 0 if dropped_keys is None else int(np.count_nonzero(dropped_keys == key))
        skipped = {reasons[0]: n_dropped} if reasons and n_dropped else {}
        out[str(key)] = dataclasses.replace(
            part, source=f"{runs.source} [{column}={key}]", skipped=skipped
        )
    return out


def _format_cell(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        fv = float(value)
        return repr(fv) if math.isfinite(fv) else str(fv)
    return str(value)


def save_runs(data: Any, path: str | os.PathLike[str]) -> None:
    """Write runs to a CSV file that :func:`load_runs` reads back exactly.

    Parameters
    ----------
    data : Runs, Sweep, Curves or mapping
        Anything with (attributes or keys) ``n_params``, ``n_tokens`` and ``loss``,
        and optionally ``compute``, ``run_id``, ``budget`` and ``schedule_end``.
    path : str or path
        The file to write. Floats are written with full precision (``repr``).
    """
    cols: dict[str, AnyArray] = {}
    for name in FIELDS:
        if isinstance(data, Mapping):
            value = data.get(name)
        else:
            try:
                value = getattr(data, name, None)
            except Exception:  # pragma: no cover - defensive against odd properties
                value = None
        if value is not None:
            arr = np.asarray(value)
            if arr.ndim != 1:
                raise ValueError(
                    f"`data` field `{name}` must be a 1-D array (one value per row); "
                    f"got shape {arr.shape}."
                )
            cols[name] = arr
    for name in ("n_params", "n_tokens", "loss"):
        if name not in cols:
            raise ValueError(f"`data` must have `{name}`; got fields {sorted(cols)}.")
    lengths = {v.shape[0] for v in cols.values()}
    if len(lengths) != 1:
        raise ValueError("`data` must have columns of one length.")
    order = ["run_id", *[f for f in FIELDS if f != "run_id"]]
    names = [f for f in order if f in cols]
    with open(os.fspath(path), "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(names)
        for i in range(lengths.pop()):
            writer.writerow([_format_cell(cols[name][i]) for name in names])
