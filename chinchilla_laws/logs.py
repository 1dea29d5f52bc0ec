r"""Reading training logs where they live: W&B exports, HF Trainer state, JSON Lines, TensorBoard.

Every reader returns :class:`~chinchilla_laws.io.Runs`: one row per logged point with
the run's name (``run_id``), its model size ``N`` (``n_params``), the tokens seen
``D`` (``n_tokens``), ``C = k N D`` (``compute``), the ``loss`` and, when the log has
it, the optimizer ``step``. :attr:`Runs.columns <chinchilla_laws.io.Runs.columns>`
records where each field came from and :meth:`Runs.summary
<chinchilla_laws.io.Runs.summary>` says what was read and which rows were skipped,
with why.

Training logs rarely hold the model size and often count steps, not tokens. Both are
given per run, in one of five ways (``n_params=``, ``tokens_per_step=``,
``schedule_end=``):

* a number, the same for every run;
* a mapping from run name to number;
* a compiled regular expression searched in the run name (``re.compile(r"_(\d+M)_")``):
  its group, read as a number with an optional ``k``/``M``/``B``/``T`` suffix, or the
  product of its groups when it has several (``re.compile(r"ctx(\d+).*gbs(\d+)")``
  gives context length times sequences per batch: tokens per step);
* a column (CSV), key (JSON) or scalar tag (TensorBoard) of the log, as a string:
  its value, which must be the same on every row of the run;
* a callable taking the run name and returning the number.

Tokens are read from a tokens column when the log has one (``tokens``,
``num_input_tokens_seen``, ...) and ``tokens_per_step`` is not given; otherwise they
are ``step × tokens_per_step``. Rows without a finite loss, without tokens or at
zero tokens (step 0) are skipped and counted in :attr:`Runs.skipped
<chinchilla_laws.io.Runs.skipped>`.

Column, key and tag names are found like :func:`~chinchilla_laws.io.load_runs`'s
columns: case-insensitively through :data:`~chinchilla_laws.io.COLUMN_ALIASES`
(``train/loss`` is ``train_loss``), or given with ``columns={"loss": ...}``. A log
that has ``loss`` itself uses it even when other losses are logged too (``eval_loss``).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union

import numpy as np

from ._constants import FLOPS_PER_PARAM_TOKEN
from ._select import normalise
from ._typing import AnyArray, FloatArray
from ._validation import _describe, as_positive_scalar
from .io import COLUMN_ALIASES, Runs

__all__ = [
    "LOG_ALIASES",
    "PerRun",
    "read_jsonl",
    "read_logs",
    "read_tensorboard",
    "read_trainer_state",
    "read_wandb_csv",
]

PerRun = Union[float, Mapping[str, float], "re.Pattern[str]", str, Callable[[str], float], None]
"""How a per-run number is given: see the module's introduction."""

Progress = Callable[[int, int], None]

LOG_ALIASES: Mapping[str, tuple[str, ...]] = {
    "loss": COLUMN_ALIASES["loss"] + ("training_loss", "train_loss_mean"),
    "step": (*COLUMN_ALIASES["step"], "steps", "train_step", "train_global_step", "iter"),
    "n_tokens": (
        *COLUMN_ALIASES["n_tokens"],
        "num_input_tokens_seen",
        "throughput_total_tokens",
        "total_tokens",
    ),
    "n_params": COLUMN_ALIASES["n_params"],
    "run_id": COLUMN_ALIASES["run_id"],
}
"""Names recognised in logs per field, normalised as :data:`~chinchilla_laws.io.COLUMN_ALIASES`."""

_LOG_FIELDS = ("loss", "step", "n_tokens", "n_params", "run_id")
_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12}
_COUNT = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([kKmMbBgGtT]?)\s*$")
_EVENT_FILE = "tfevents"


# ---------------------------------------------------------------------- argument checks
def _check_columns(columns: Any) -> dict[str, str]:
    if columns is None:
        return {}
    if not isinstance(columns, Mapping):
        raise TypeError(
            "`columns` must be a mapping from field name to column (key, tag) name, e.g. "
            f"{{'loss': 'train/loss'}}; got {_describe(columns)}."
        )
    out: dict[str, str] = {}
    for key, value in columns.items():
        if key not in _LOG_FIELDS:
            raise ValueError(f"`columns` keys must be among {list(_LOG_FIELDS)}; got {key!r}.")
        if not isinstance(value, str) or not value:
            raise TypeError(
                f"`columns[{key!r}]` must be a column name (str); got {_describe(value)}."
            )
        out[key] = value
    return out


def _check_spec(spec: Any, what: str) -> PerRun:
    if spec is None or isinstance(spec, (str, re.Pattern, Mapping)):
        if isinstance(spec, str) and not spec:
            raise ValueError(f"`{what}` as a column name must not be empty.")
        return spec
    if isinstance(spec, (int, float, np.integer, np.floating)) and not isinstance(spec, bool):
        return as_positive_scalar(spec, what)
    if callable(spec):
        return spec  # type: ignore[no-any-return]
    raise TypeError(
        f"`{what}` must be a number, a mapping from run name to number, a compiled regular "
        f"expression on the run name, a column name or a callable; got {_describe(spec)}."
    )


def _parse_count(text: str) -> float:
    """``"500M"`` -> 5e8, ``"1.3B"`` -> 1.3e9, ``"2048"`` -> 2048.0."""
    m = _COUNT.match(text)
    if m is None:
        raise ValueError(text)
    return float(m.group(1)) * _SUFFIX[m.group(2).lower()]


# ---------------------------------------------------------------------- one run's table
@dataclass
class _Log:
    """One run as read: per-row values by source name (NaN where missing)."""

    name: str
    label: str
    values: dict[str, FloatArray]
    state: Mapping[str, Any] = field(default_factory=dict)


def _find(
    names: Sequence[str], fld: str, explicit: Mapping[str, str], label: str, what: str
) -> str | None:
    """The source name of ``fld``: the explicit one, the exact field name, or one alias."""
    if fld in explicit:
        return _find_named(names, explicit[fld], f"columns[{fld!r}]", label, what)
    by_norm: dict[str, list[str]] = {}
    for name in names:
        by_norm.setdefault(normalise(name), []).append(name)
    if fld in by_norm and len(by_norm[fld]) == 1:
        return by_norm[fld][0]
    hits = [n for alias in LOG_ALIASES[fld] for n in by_norm.get(alias, [])]
    hits = list(dict.fromkeys(hits))
    if len(hits) > 1:
        raise ValueError(
            f"{label} has several {what}s that could be `{fld}`: {hits}; choose one with "
            f"`columns={{{fld!r}: ...}}` (command line: `--column {fld}=NAME`)."
        )
    return hits[0] if hits else None


def _find_named(names: Sequence[str], name: str, arg: str, label: str, what: str) -> str:
    if name in names:
        return name
    hits = [n for n in names if normalise(n) == normalise(name)]
    if len(hits) != 1:
        raise ValueError(
            f"`{arg}` names {what} {name!r}, which {label} does not have"
            f"{' uniquely' if hits else ''}; its {what}s are {_shorten(names)}."
        )
    return hits[0]


def _shorten(names: Sequence[str], limit: int = 12) -> str:
    names = list(names)
    if len(names) <= limit:
        return repr(names)
    return repr(names[:limit])[:-1] + f", ... ({len(names) - limit} more)]"


def _floats(cells: Sequence[Any], name: str, label: str, where: Callable[[int], str]) -> FloatArray:
    """Numbers of a column; empty cells and ``None`` become NaN."""
    try:
        return np.array(cells, dtype=np.float64)
    except (TypeError, ValueError):
        pass
    out = np.empty(len(cells))
    for pos, cell in enumerate(cells):
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            out[pos] = math.nan
            continue
        try:
            if isinstance(cell, bool):
                raise ValueError
            out[pos] = float(cell)
        except (TypeError, ValueError):
            raise ValueError(
                f"{label}, {where(pos)}, {name!r}: expected a number; got {cell!r}."
            ) from None
    return out


def _table_logs(
    names: Sequence[str],
    column: Callable[[int], Sequence[Any]],
    n_rows: int,
    *,
    label: str,
    what: str,
    default_run: str,
    explicit: Mapping[str, str],
    wanted: Mapping[str, str],
    where: Callable[[int], str],
    with_runs: bool = True,
    state: Mapping[str, Any] | None = None,
) -> tuple[list[_Log], dict[str, str]]:
    """Split a long table (one row per logged point) into runs."""
    used: dict[str, str] = {}
    for fld in _LOG_FIELDS:
        if fld == "run_id" and not with_runs:
            continue
        name = _find(names, fld, explicit, label, what)
        if name is not None:
            used[fld] = name
    if "loss" not in used:
        raise ValueError(_no_loss(label, what, names))
    index = {name: i for i, name in enumerate(names)}
    keys = [used[f] for f in ("loss", "step", "n_tokens", "n_params") if f in used]
    for spec, param in wanted.items():
        keys.append(_find_named(names, spec, param, label, what))
    values = {key: _floats(column(index[key]), key, label, where) for key in dict.fromkeys(keys)}
    if "run_id" not in used:
        used["run_id"] = "file name" if with_runs else "folder name"
        groups: list[tuple[str, AnyArray | None]] = [(default_run, None)]
    else:
        groups = _split_runs(
            column(index[used["run_id"]]), values[used["loss"]], used["run_id"], label, where
        )
    logs = []
    for name, idx in groups:
        vals = {k: v if idx is None else v[idx] for k, v in values.items()}
        logs.append(_Log(name=name, label=label, values=vals, state=state or {}))
    return logs, used


def _split_runs(
    cells: Sequence[Any], loss: FloatArray, key: str, label: str, where: Callable[[int], str]
) -> list[tuple[str, AnyArray | None]]:
    """Row indices of each run, runs in the order of first appearance."""
    try:
        raw = {cell: code for code, cell in enumerate(dict.fromkeys(cells))}
    except TypeError:
        bad = next(c for c in cells if not isinstance(c, (str, int, float, type(None))))
        raise ValueError(
            f"{label}: run names in {key!r} must be text or numbers; got {_describe(bad)}."
        ) from None
    first = np.fromiter(map(raw.__getitem__, cells), dtype=np.int64, count=len(cells))
    name_code: dict[str, int] = {}
    remap = np.empty(len(raw), dtype=np.int64)
    for cell, code in raw.items():
        text = "" if cell is None else str(cell).strip()
        remap[code] = -1 if not text else name_code.setdefault(text, len(name_code))
    rows_code = remap[first]
    nameless = (rows_code < 0) & np.isfinite(loss)
    if nameless.any():
        pos = int(np.flatnonzero(nameless)[0])
        raise ValueError(f"{label}, {where(pos)}: no run name in {key!r} on a row with a loss.")
    order = np.argsort(rows_code, kind="stable")
    bounds = np.searchsorted(rows_code[order], np.arange(len(name_code) + 1))
    return [(name, order[bounds[c] : bounds[c + 1]]) for name, c in name_code.items()]


def _no_loss(label: str, what: str, names: Sequence[str]) -> str:
    aliases = ", ".join(LOG_ALIASES["loss"][:6])
    return (
        f"{label} has no loss {what} (recognised names include {aliases}); its {what}s are "
        f"{_shorten(names)}. Name it with `columns={{'loss': ...}}` (command line: "
        "`--column loss=NAME`)."
    )


# ---------------------------------------------------------------------- assembling Runs
def _per_run(spec: PerRun, what: str, log: _Log) -> float | None:
    where = f"{log.label}, run {log.name!r}"
    if spec is None:
        return None
    if isinstance(spec, Mapping):
        if log.name not in spec:
            raise ValueError(
                f"`{what}` has no entry for run {log.name!r} ({log.label}); it has entries "
                f"for {_shorten(sorted(map(str, spec)))}."
            )
        value: Any = spec[log.name]
    elif isinstance(spec, re.Pattern):
        m = spec.search(log.name)
        if m is None:
            raise ValueError(
                f"`{what}`: the pattern /{spec.pattern}/ does not match the name of run "
                f"{log.name!r} ({log.label})."
            )
        parts = [g for g in m.groups() if g is not None] or [m.group(0)]
        value = 1.0
        for part in parts:
            try:
                value *= _parse_count(part)
            except ValueError:
                raise ValueError(
                    f"`{what}`: the pattern /{spec.pattern}/ matched {part!r} in the name of "
                    f"run {log.name!r} ({log.label}), which is not a number (with an optional "
                    "k/M/B/T suffix)."
                ) from None
    elif isinstance(spec, str):
        col = log.values.get(spec)
        if col is None:  # the state of a trainer_state.json
            col = np.array([_state_number(log, spec, what)])
        present = col[np.isfinite(col)]
        if present.size == 0:
            raise ValueError(f"{where}: {spec!r} (for `{what}`) has no value on any row.")
        if not np.all(present == present[0]):
            raise ValueError(
                f"{where}: {spec!r} (for `{what}`) must be the same on every row of the run; "
                f"it ranges from {float(present.min())!r} to {float(present.max())!r}."
            )
        value = float(present[0])
    elif callable(spec):
        value = spec(log.name)
    else:
        value = spec
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(
            f"`{what}` for run {log.name!r} ({log.label}) must be a number; got {_describe(value)}."
        )
    if not (math.isfinite(value) and value > 0):
        raise ValueError(
            f"`{what}` for run {log.name!r} ({log.label}) must be a positive finite number; "
            f"got {value!r}."
        )
    return float(value)


def _state_number(log: _Log, key: str, what: str) -> float:
    value = log.state.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(
            f"{log.label}, run {log.name!r}: no {key!r} (for `{what}`) in the log"
            f"{' or the trainer state' if log.state else ''}."
        )
    return float(value)


def _spec_text(spec: PerRun) -> str:
    if isinstance(spec, re.Pattern):
        return f"pattern /{spec.pattern}/ on the run name"
    if isinstance(spec, Mapping):
        return "mapping by run"
    if isinstance(spec, str):
        return spec
    if callable(spec):
        return f"{getattr(spec, '__name__', 'callable')}(run name)"
    return f"{spec:.12g}"


def _count(skipped: dict[str, int], reason: str, n: int) -> None:
    if n:
        skipped[reason] = skipped.get(reason, 0) + n


def _assemble(
    logs: list[_Log],
    used: dict[str, str],
    *,
    n_params: PerRun,
    tokens_per_step: PerRun,
    schedule_end: PerRun,
    k: float,
    source: str,
    skipped: dict[str, int],
    default_schedule_end: Callable[[_Log, float], float | None] | None = None,
) -> Runs:
    if not logs:
        raise ValueError(f"{source}: no runs found.")
    if n_params is None and "n_params" in used:
        n_params = used["n_params"]
    columns: dict[str, str] = {"run_id": used["run_id"], "loss": used["loss"]}
    loss_key = used["loss"]
    parts: dict[str, list[AnyArray]] = {"n_tokens": [], "loss": [], "step": []}
    counts: list[int] = []
    run_n: list[float] = []
    run_end: list[float] = []
    for log in logs:
        where = f"{log.label}, run {log.name!r}"
        loss = log.values[loss_key]
        keep = np.isfinite(loss)
        _count(skipped, f"without a finite {loss_key!r}", int((~keep).sum()))
        step = log.values.get(used["step"]) if "step" in used else None
        tps = _per_run(tokens_per_step, "tokens_per_step", log)
        if tps is not None:
            if step is None:
                raise ValueError(
                    f"{where}: `tokens_per_step` needs the step of each row, and the log has "
                    f"no step (recognised names include {', '.join(LOG_ALIASES['step'][:4])}); "
                    "name it with `columns={'step': ...}`."
                )
            tokens = step * tps
            columns["n_tokens"] = f"{used['step']} × tokens_per_step"
            columns["tokens_per_step"] = _spec_text(tokens_per_step)
        elif "n_tokens" in used:
            tokens = log.values[used["n_tokens"]]
            columns["n_tokens"] = used["n_tokens"]
        else:
            raise ValueError(
                f"{where}: no tokens: the log has no tokens column (recognised names include "
                f"{', '.join(LOG_ALIASES['n_tokens'][:5])}, num_input_tokens_seen) and "
                "`tokens_per_step` is not given (a number, a mapping by run, a regex on the "
                "run name or a column; command line: --tokens-per-step)."
            )
        no_tokens = keep & ~np.isfinite(tokens)
        _count(skipped, "without tokens (no step or tokens logged)", int(no_tokens.sum()))
        keep &= ~no_tokens
        zero = keep & ~(tokens > 0)
        _count(skipped, "at zero tokens (step 0)", int(zero.sum()))
        keep &= ~zero
        if not keep.any():
            raise ValueError(
                f"{where}: no usable rows: every row lacks a finite {loss_key!r} or tokens."
            )
        n = _per_run(n_params, "n_params", log)
        if n is None:
            raise ValueError(
                f"{where}: no model size: the log has no parameter count (recognised names "
                f"include {', '.join(LOG_ALIASES['n_params'][:4])}) and `n_params` is not "
                "given (a number, a mapping by run, a regex on the run name or a column; "
                "command line: --n-params)."
            )
        columns["n_params"] = _spec_text(n_params)
        end = _per_run(schedule_end, "schedule_end", log)
        if end is None and schedule_end is None and default_schedule_end is not None:
            end = default_schedule_end(log, tps or math.nan)
        counts.append(int(keep.sum()))
        run_n.append(n)
        run_end.append(math.nan if end is None else end)
        parts["n_tokens"].append(tokens[keep])
        parts["loss"].append(loss[keep])
        parts["step"].append(step[keep] if step is not None else np.full(counts[-1], np.nan))
    if "step" in used:
        columns["step"] = used["step"]
    steps = np.concatenate(parts["step"])
    ends = np.repeat(np.asarray(run_end), counts)
    if np.isnan(ends).any():  # only the Trainer's max_steps can be missing for some runs
        ends_out = None
    else:
        ends_out = ends
        columns["schedule_end"] = (
            _spec_text(schedule_end) if schedule_end is not None else "max_steps × tokens_per_step"
        )
    order = ("run_id", "loss", "step", "n_tokens", "tokens_per_step", "n_params", "schedule_end")
    columns = {key: columns[key] for key in order if key in columns}
    n_all = np.repeat(np.asarray(run_n), counts)
    d_all = np.concatenate(parts["n_tokens"])
    return Runs(
        n_params=n_all,
        n_tokens=d_all,
        compute=k * n_all * d_all,
        loss=np.concatenate(parts["loss"]),
        run_id=np.repeat(np.array([log.name for log in logs], dtype=str), counts),
        schedule_end=ends_out,
        step=None if np.isnan(steps).all() else steps,
        flops_per_param_token=k,
        columns=columns,
        derived=("compute",),
        source=source,
        skipped=skipped,
    )


# ---------------------------------------------------------------------- files and folders
def _path(path: Any, arg: str = "path") -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"`{arg}` must be a path; got {_describe(path)}.")
    p = Path(os.fspath(path))
    if not p.exists():
        raise ValueError(f"`{arg}` {str(p)!r} does not exist.")
    return p


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"file {str(path)!r} is not UTF-8 text: {exc.reason}.") from None
    except OSError as exc:
        raise ValueError(f"file {str(path)!r} cannot be read: {exc.strerror}.") from None


def _tick(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


@dataclass(frozen=True, slots=True)
class _Options:
    """The options every reader takes, validated by :func:`_common`."""

    explicit: dict[str, str]
    n_params: PerRun
    tokens_per_step: PerRun
    schedule_end: PerRun
    k: float
    wanted: dict[str, str]
    progress: Progress | None

    def runs(
        self,
        logs: list[_Log],
        used: dict[str, str],
        source: str,
        *,
        default_schedule_end: Callable[[_Log, float], float | None] | None = None,
    ) -> Runs:
        """The :class:`Runs` of ``logs`` under these options (:func:`_assemble`)."""
        return _assemble(
            logs,
            used,
            n_params=self.n_params,
            tokens_per_step=self.tokens_per_step,
            schedule_end=self.schedule_end,
            k=self.k,
            source=source,
            skipped={},
            default_schedule_end=default_schedule_end,
        )


def _common(
    columns: Any,
    n_params: Any,
    tokens_per_step: Any,
    schedule_end: Any,
    flops_per_param_token: Any,
    progress: Any,
) -> _Options:
    explicit = _check_columns(columns)
    specs = (
        _check_spec(n_params, "n_params"),
        _check_spec(tokens_per_step, "tokens_per_step"),
        _check_spec(schedule_end, "schedule_end"),
    )
    k = as_positive_scalar(flops_per_param_token, "flops_per_param_token")
    if progress is not None and not callable(progress):
        raise TypeError(f"`progress` must be a callable(done, total); got {_describe(progress)}.")
    params = ("n_params", "tokens_per_step", "schedule_end")
    wanted = {s: p for s, p in zip(specs, params, strict=True) if isinstance(s, str)}
    return _Options(explicit, specs[0], specs[1], specs[2], k, wanted, progress)


# ---------------------------------------------------------------------- W&B CSV
_WIDE = re.compile(r"^(.*\S)\s+-\s+(\S.*)$")
_FIRST_LINE = re.compile(r"^[^\S\n]*\S.*$", re.M)


def _csv_table(text: str, label: str) -> tuple[list[str], list[list[str]], list[int]]:
    """Header, rows and their line numbers; blank lines are skipped."""
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    head, _, body = text.partition("\n")
    if '"' not in body and "\r" not in body and head.strip():
        # numbers only below the header: str.split is several times faster than csv
        header = [c.strip() for c in next(csv.reader([head]))]
        for number, line in enumerate(body.split("\n"), start=2):
            if line.strip():
                rows.append(line.split(","))
                lines.append(number)
    else:
        reader = csv.reader(text.splitlines())
        try:
            for row in reader:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if header is None:
                    header = [c.strip() for c in row]
                    continue
                rows.append(row)
                lines.append(reader.line_num)
        except csv.Error as exc:
            raise ValueError(f"{label}, line {reader.line_num}: malformed CSV ({exc}).") from None
    if header is None:
        raise ValueError(f"{label} is empty: no header row.")
    if not rows:
        raise ValueError(f"{label} has a header but no data rows.")
    for row, number in zip(rows, lines, strict=True):
        if len(row) != len(header):
            raise ValueError(
                f"{label}, line {number}: expected {len(header)} fields as in the header; "
                f"got {len(row)}."
            )
    return header, rows, lines


def _is_wide(header: Sequence[str]) -> bool:
    return any(_WIDE.match(h) for h in header[1:])


def _numbers_fast(text: str, n_columns: int, indices: list[int]) -> FloatArray | None:
    """Columns ``indices`` of an all-numeric CSV body with numpy's C reader (None: not so).

    Empty cells become NaN. Any irregularity (quotes, CRLF, ragged rows, text cells)
    returns None, and the caller's csv-module path reports it with its line.
    """
    head, _, body = text.partition("\n")
    body = body.rstrip("\n")
    if not head.strip() or not body or '"' in body or "\r" in body or "\n\n" in body:
        return None
    if n_columns > 1 and (",," in body or "\n," in body or ",\n" in body or body[0] == ","):
        # fill empty cells: ",," twice (they overlap), and at both ends of lines
        body = body.replace(",,", ",nan,").replace(",,", ",nan,")
        body = body.replace("\n,", "\nnan,").replace(",\n", ",nan\n")
        body = ("nan" if body.startswith(",") else "") + body
    if body.endswith(","):
        body += "nan"
    try:
        out = np.loadtxt(
            io.StringIO(body), delimiter=",", usecols=indices, dtype=np.float64, ndmin=2
        )
    except ValueError:
        return None
    if out.shape != (body.count("\n") + 1, len(indices)):  # pragma: no cover - defensive
        return None
    if not all(line.count(",") == n_columns - 1 for line in body.split("\n", 3)[:3]):
        return None
    return out


def read_wandb_csv(
    path: str | os.PathLike[str],
    *,
    layout: Literal["auto", "long", "wide"] = "auto",
    columns: Mapping[str, str] | None = None,
    n_params: PerRun = None,
    tokens_per_step: PerRun = None,
    schedule_end: PerRun = None,
    flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN,
) -> Runs:
    r"""Read a Weights & Biases CSV export of training curves.

    Parameters
    ----------
    path : str or path
        The CSV file, in one of W&B's two layouts:

        * **wide** (a panel's "Export CSV"): a step column (``Step``) and one column
          ``<run name> - <metric>`` per run and metric, with companion columns
          ``... __MIN`` and ``... __MAX`` (ignored); empty cells where a run logged
          nothing;
        * **long** (a run table or ``run.history()`` concatenated): one row per run
          and step, with a run-name column (``Name``, ``run``, ``run_id``, ...), a
          step column (``_step``, ``step``, ...) and metric columns.
    layout : {"auto", "long", "wide"}, default "auto"
        ``auto`` reads the file as wide when a column other than the first is named
        ``<run> - <metric>``.
    columns : mapping, optional
        Names of the fields in the file: ``loss`` (a metric; in the wide layout the
        part after ``" - "``), ``step``, ``n_tokens``, ``n_params`` and (long layout)
        ``run_id``. Others are found by name (see the module's introduction).
    n_params, tokens_per_step, schedule_end : number, mapping, regex, str or callable
        Model size, tokens per optimizer step and the tokens at which the run's
        schedule ends, per run (see the module's introduction). A string names a
        column of the long layout, or a metric of the wide layout
        (``<run> - <name>``). ``n_params`` may be omitted when the file has a
        parameter-count column; ``tokens_per_step`` when it has a tokens column.
    flops_per_param_token : float, default 6.0
        ``k`` in ``C = k N D``.

    Returns
    -------
    Runs
        One row per logged point, run by run, in the file's order.

    Raises
    ------
    ValueError
        For an unreadable file, a column that is not ``<run> - <metric>`` in the
        wide layout, a run without the loss metric, a missing field (naming the
        file, the run and the field), or a cell that is not a number.

    Examples
    --------
    >>> import re, tempfile, pathlib
    >>> text = ("Step,small - loss,small - loss__MIN,small - loss__MAX,big - loss\n"
    ...         "100,3.5,3.4,3.6,3.2\n200,3.1,3.0,3.2,2.8\n")
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "export.csv"
    >>> _ = path.write_text(text)
    >>> runs = read_wandb_csv(path, n_params={"small": 1e8, "big": 4e8},
    ...                       tokens_per_step=2**19)
    >>> runs.run_id.tolist(), runs.n_tokens.tolist()
    (['small', 'small', 'big', 'big'], [52428800.0, 104857600.0, 52428800.0, 104857600.0])
    """
    opts = _common(columns, n_params, tokens_per_step, schedule_end, flops_per_param_token, None)
    if layout not in ("auto", "long", "wide"):
        raise ValueError(f"`layout` must be 'auto', 'long' or 'wide'; got {layout!r}.")
    p = _path(path)
    label = f"file {str(p)!r}"
    text = _read_text(p)
    first = _FIRST_LINE.search(text)
    head = [c.strip() for c in next(csv.reader([first.group(0)]), [])] if first else []
    wide = _is_wide(head) if layout == "auto" else layout == "wide"
    table: list[Any] = []

    def load_table() -> tuple[list[str], list[list[str]], list[int]]:
        if not table:
            table.append(_csv_table(text, label))
        return table[0]  # type: ignore[no-any-return]

    def row_at(pos: int) -> str:
        return f"line {load_table()[2][pos]}"

    def columns_of(indices: list[int]) -> FloatArray:
        fast = _numbers_fast(text, len(head), indices)
        if fast is not None:
            return fast
        _, rows, _ = load_table()
        by_column = list(zip(*rows, strict=True))
        return np.column_stack(
            [_floats(by_column[i], head[i], label, row_at) for i in indices]
        ).reshape(len(rows), len(indices))

    if not wide:
        header, rows, _ = load_table()
        logs, used = _table_logs(
            header,
            lambda i: [row[i] for row in rows],
            len(rows),
            label=label,
            what="column",
            default_run=p.stem,
            explicit=opts.explicit,
            wanted=opts.wanted,
            where=row_at,
        )
    else:
        if not head:
            load_table()  # raises: the file is empty
        logs, used = _wide_logs(head, columns_of, label, opts.explicit, opts.wanted)
    return opts.runs(logs, used, str(p))


def _wide_logs(
    header: list[str],
    columns_of: Callable[[list[int]], FloatArray],
    label: str,
    explicit: Mapping[str, str],
    wanted: Mapping[str, str],
) -> tuple[list[_Log], dict[str, str]]:
    plain = [h for h in header if not _WIDE.match(h)]
    step_name = _find(plain, "step", explicit, label, "column")
    if step_name is None:
        raise ValueError(
            f"{label} (W&B wide layout) has no step column (recognised names include "
            f"{', '.join(LOG_ALIASES['step'][:4])}); its columns are {_shorten(header)}."
        )
    runs: dict[str, dict[str, int]] = {}
    companions: dict[str, str] = {}
    for i, h in enumerate(header):
        if h == step_name:
            continue
        base = h
        for suffix in ("__MIN", "__MAX"):
            if h.endswith(suffix):
                base = h[: -len(suffix)]
        m = _WIDE.match(base)
        if m is None:
            raise ValueError(
                f"{label} (W&B wide layout): column {h!r} is not '<run name> - <metric>' "
                f"(its metric is missing); the step column is {step_name!r}."
            )
        if base != h:
            companions[base] = h
            continue
        runs.setdefault(m.group(1), {})[m.group(2)] = i
    for base, h in companions.items():
        m = _WIDE.match(base)
        assert m is not None
        if m.group(2) not in runs.get(m.group(1), {}):
            raise ValueError(
                f"{label} (W&B wide layout): run {m.group(1)!r} has the column {h!r} but not "
                f"{base!r}: the metric itself is missing."
            )
    if not runs:
        raise ValueError(f"{label} (W&B wide layout) has no '<run name> - <metric>' columns.")
    metrics = list(dict.fromkeys(mt for cols in runs.values() for mt in cols))
    used: dict[str, str] = {"step": step_name}
    for fld in ("loss", "n_tokens", "n_params"):
        name = _find(metrics, fld, explicit, label, "metric")
        if name is not None:
            used[fld] = name
    if "loss" not in used:
        raise ValueError(_no_loss(label, "metric", metrics))
    keys = [k for k in dict.fromkeys([used["loss"], used.get("n_tokens"), used.get("n_params")])]
    keys += [k for k in wanted if k not in keys]
    needed: dict[int, int] = {header.index(step_name): 0}
    for run, cols in runs.items():
        for key in keys:
            if key is None:
                continue
            if key in cols:
                needed.setdefault(cols[key], len(needed))
            elif key == used["loss"] or key in wanted:
                raise ValueError(
                    f"{label} (W&B wide layout): run {run!r} has no {key!r} column "
                    f"({run + ' - ' + key!r}); its metrics are {sorted(cols)}."
                )
    table = columns_of(list(needed))
    step = table[:, 0]
    logs: list[_Log] = []
    for run, cols in runs.items():
        vals: dict[str, FloatArray] = {step_name: step}
        for key in keys:
            if key is None:
                continue
            vals[key] = table[:, needed[cols[key]]] if key in cols else np.full(len(step), np.nan)
        logs.append(_Log(name=run, label=label, values=vals))
    used["run_id"] = "column names"
    return logs, used


# ---------------------------------------------------------------------- JSON Lines
def _loads(text: str) -> Any:
    """``json.loads``, or the faster ``orjson.loads`` when orjson is installed."""
    try:
        import orjson
    except ImportError:
        return json.loads(text)
    return orjson.loads(text)


def _jsonl_objects(path: Path) -> tuple[list[dict[str, Any]], Callable[[int], int]]:
    """The objects of a JSON Lines file, and the line number of each (by position)."""
    label = f"file {str(path)!r}"
    text = _read_text(path).strip()
    if not text:
        raise ValueError(f"{label} is empty: no JSON lines.")
    objs: Any = None
    if "\r" not in text and "\n\n" not in text:  # no blank lines: line = position + 1
        try:
            objs = _loads("[" + text.replace("\n", ",") + "]")
        except ValueError:  # json.JSONDecodeError and orjson.JSONDecodeError are ValueErrors
            objs = None
        if objs is not None and len(objs) != text.count("\n") + 1:
            objs = None  # pragma: no cover - a line holding two values fails to parse above
        numbers: list[int] | None = None
    if objs is None:  # blank lines, or a bad line to find and name
        raw = text.splitlines()
        numbers = [i + 1 for i, line in enumerate(raw) if line.strip()]
        objs = []
        for number in numbers:
            try:
                objs.append(json.loads(raw[number - 1]))
            except json.JSONDecodeError as exc:
                raise ValueError(
                    f"{label}, line {number}: not valid JSON ({exc.msg} at column "
                    f"{exc.colno}); a truncated last line means the log was cut off."
                ) from None

    def line_of(pos: int) -> int:
        return pos + 1 if numbers is None else numbers[pos]

    if set(map(type, objs)) != {dict}:
        pos = next(i for i, obj in enumerate(objs) if not isinstance(obj, dict))
        raise ValueError(
            f"{label}, line {line_of(pos)}: expected a JSON object ({{...}}); got "
            f"{type(objs[pos]).__name__}."
        )
    return objs, line_of


def _jsonl_files(p: Path) -> list[Path]:
    if p.is_file():
        return [p]
    files = sorted(
        f for f in p.iterdir() if f.is_file() and f.suffix.lower() in (".jsonl", ".ndjson")
    )
    if not files:
        raise ValueError(f"`path` {str(p)!r} is a folder without .jsonl or .ndjson files.")
    return files


def read_jsonl(
    path: str | os.PathLike[str],
    *,
    columns: Mapping[str, str] | None = None,
    n_params: PerRun = None,
    tokens_per_step: PerRun = None,
    schedule_end: PerRun = None,
    flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN,
    progress: Progress | None = None,
) -> Runs:
    r"""Read JSON Lines training logs: one JSON object per logged step.

    Parameters
    ----------
    path : str or path
        A ``.jsonl`` file, or a folder of them (``.jsonl``, ``.ndjson``). A file
        holds one run, named after the file, unless its objects carry a run key
        (``run``, ``run_id``, ``name``, ...), which then splits it into runs.
    columns : mapping, optional
        Keys of the fields: ``loss``, ``step``, ``n_tokens``, ``n_params``,
        ``run_id``; others are found by name as for CSV columns. Objects without the
        loss key (evaluation or summary lines) are skipped and counted.
    n_params, tokens_per_step, schedule_end : number, mapping, regex, str or callable
        Per run, as in :func:`read_wandb_csv`; a string names a key.
    flops_per_param_token : float, default 6.0
        ``k`` in ``C = k N D``.
    progress : callable, optional
        Called as ``progress(done, total)`` after each file.

    Returns
    -------
    Runs

    Notes
    -----
    The file is parsed with the standard library's :mod:`json` in one call (all
    lines joined into one array), which is several times faster than a call per
    line; when that fails the lines are parsed one by one to name the bad one.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "run-70M.jsonl"
    >>> lines = [{"step": s, "loss": 4.0 - s / 1000} for s in (0, 100, 200)]
    >>> _ = path.write_text("\n".join(json.dumps(x) for x in lines))
    >>> runs = read_jsonl(path, n_params=re.compile(r"-(\d+M)"), tokens_per_step=1024)
    >>> float(runs.n_params[0]), runs.n_tokens.tolist(), dict(runs.skipped)
    (70000000.0, [102400.0, 204800.0], {'at zero tokens (step 0)': 1})
    """
    opts = _common(
        columns, n_params, tokens_per_step, schedule_end, flops_per_param_token, progress
    )
    p = _path(path)
    files = _jsonl_files(p)
    logs: list[_Log] = []
    used: dict[str, str] = {}
    for i, f in enumerate(files):
        objs, line_of = _jsonl_objects(f)
        label = f"file {str(f)!r}"
        names = list(dict.fromkeys(itertools.chain.from_iterable(objs)))

        def line_at(pos: int, line_of: Callable[[int], int] = line_of) -> str:
            return f"line {line_of(pos)}"

        def column(
            j: int, objs: list[dict[str, Any]] = objs, names: list[str] = names
        ) -> list[Any]:
            return list(map(dict.get, objs, itertools.repeat(names[j])))

        file_logs, file_used = _table_logs(
            names,
            column,
            len(objs),
            label=label,
            what="key",
            default_run=f.stem,
            explicit=opts.explicit,
            wanted=opts.wanted,
            where=line_at,
        )
        _merge_used(used, file_used, label)
        logs += file_logs
        _tick(progress, i + 1, len(files))
    _check_unique(logs)
    return opts.runs(logs, used, str(p))


def _merge_used(used: dict[str, str], new: dict[str, str], label: str) -> None:
    """Files of one folder must use the same names for the fields."""
    if not used:
        used.update(new)
        return
    for fld in set(used) | set(new):
        if used.get(fld) != new.get(fld):
            raise ValueError(
                f"{label} names `{fld}` {new.get(fld)!r} where the files before it use "
                f"{used.get(fld)!r}; name it with `columns={{{fld!r}: ...}}`."
            )


def _check_unique(logs: list[_Log]) -> None:
    seen: dict[str, str] = {}
    for log in logs:
        if log.name in seen:
            raise ValueError(
                f"run {log.name!r} appears twice: in {seen[log.name]} and in {log.label}."
            )
        seen[log.name] = log.label


# ---------------------------------------------------------------------- HF Trainer
_STATE = "trainer_state.json"


def _checkpoint_step(folder: Path) -> int:
    m = re.search(r"(\d+)$", folder.name)
    return int(m.group(1)) if m else -1


def _state_file(folder: Path) -> Path | None:
    """``folder/trainer_state.json``, else the one in the latest ``checkpoint-*`` folder."""
    direct = folder / _STATE
    if direct.is_file():
        return direct
    checkpoints = [c for c in folder.glob("checkpoint-*") if c.is_dir() and (c / _STATE).is_file()]
    if checkpoints:
        return max(checkpoints, key=_checkpoint_step) / _STATE
    return None


def _state_runs(p: Path) -> list[tuple[str, Path]]:
    if p.is_file():
        folder = p.parent
        if folder.name.startswith("checkpoint-"):
            folder = folder.parent
        return [(folder.name or p.stem, p)]
    single = _state_file(p)
    if single is not None:
        return [(p.name, single)]
    out = []
    for sub in sorted(d for d in p.iterdir() if d.is_dir() and not d.name.startswith(".")):
        found = _state_file(sub)
        if found is None:
            raise ValueError(
                f"folder {str(sub)!r} has no {_STATE} (nor a checkpoint-* folder with one); "
                f"every folder in {str(p)!r} must be a Trainer output folder."
            )
        out.append((sub.name, found))
    if not out:
        raise ValueError(f"`path` {str(p)!r} has no {_STATE} and no run folders.")
    return out


def _load_state(path: Path) -> dict[str, Any]:
    label = f"file {str(path)!r}"
    try:
        state = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{label} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
            "a truncated file was probably cut off while being written."
        ) from None
    if not isinstance(state, dict) or not isinstance(state.get("log_history"), list):
        raise ValueError(f"{label} has no `log_history` list: not a Trainer state file.")
    for i, entry in enumerate(state["log_history"]):
        if not isinstance(entry, dict):
            raise ValueError(f"{label}: `log_history[{i}]` is not an object.")
    return state


def _max_steps_end(log: _Log, tps: float) -> float | None:
    steps = log.state.get("max_steps")
    if not math.isfinite(tps) or isinstance(steps, bool) or not isinstance(steps, int):
        return None
    return float(steps) * tps if steps > 0 else None


def read_trainer_state(
    path: str | os.PathLike[str],
    *,
    columns: Mapping[str, str] | None = None,
    n_params: PerRun = None,
    tokens_per_step: PerRun = None,
    schedule_end: PerRun = None,
    flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN,
    progress: Progress | None = None,
) -> Runs:
    r"""Read Hugging Face ``Trainer`` logs (``trainer_state.json``, its ``log_history``).

    Parameters
    ----------
    path : str or path
        A ``trainer_state.json`` file; a Trainer output folder (with the file, or
        ``checkpoint-*`` folders of which the latest is read); or a folder of such
        output folders, one run each, named after its folder.
    columns : mapping, optional
        Keys in ``log_history`` of the fields. By default the training ``loss``
        (``columns={"loss": "eval_loss"}`` reads the evaluation loss), ``step``, and
        ``num_input_tokens_seen`` when the Trainer logged it
        (``include_num_input_tokens_seen=True``). Entries without the loss are
        skipped and counted.
    n_params, tokens_per_step, schedule_end : number, mapping, regex, str or callable
        Per run, as in :func:`read_wandb_csv`; a string names a key of the log
        entries or of the state file itself. When ``tokens_per_step`` is known and
        ``schedule_end`` is not given, the schedule ends at the state's
        ``max_steps × tokens_per_step``.
    flops_per_param_token : float, default 6.0
        ``k`` in ``C = k N D``.
    progress : callable, optional
        Called as ``progress(done, total)`` after each run.

    Returns
    -------
    Runs

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for size in (1e8, 2e8):
    ...     run = root / f"run-{size:.0e}"
    ...     run.mkdir()
    ...     history = [{"step": s, "loss": 3.0 + 1e9 / (size * s)} for s in (10, 20)]
    ...     history.append({"step": 20, "eval_loss": 3.2})
    ...     state = {"log_history": history, "max_steps": 20}
    ...     _ = (run / "trainer_state.json").write_text(json.dumps(state))
    >>> runs = read_trainer_state(root, n_params=re.compile(r"run-(.*)"), tokens_per_step=1e6)
    >>> runs.n_runs, len(runs), float(runs.schedule_end[0]), dict(runs.skipped)
    (2, 4, 20000000.0, {"without a finite 'loss'": 2})
    """
    opts = _common(
        columns, n_params, tokens_per_step, schedule_end, flops_per_param_token, progress
    )
    if "run_id" in opts.explicit:
        raise ValueError("`columns` cannot name `run_id` here: runs are named after folders.")
    p = _path(path)
    found = _state_runs(p)
    logs: list[_Log] = []
    used: dict[str, str] = {}
    for i, (name, file) in enumerate(found):
        state = _load_state(file)
        history: list[dict[str, Any]] = state["log_history"]
        label = f"file {str(file)!r}"
        names = list(dict.fromkeys(key for entry in history for key in entry))
        wanted_here = {w: a for w, a in opts.wanted.items() if w in names or w not in state}

        def at(pos: int) -> str:
            return f"log_history[{pos}]"

        def column(
            j: int, history: list[dict[str, Any]] = history, names: list[str] = names
        ) -> list[Any]:
            key = names[j]
            return [entry.get(key) for entry in history]

        if not history:
            raise ValueError(f"{label}: `log_history` is empty.")
        run_logs, run_used = _table_logs(
            names,
            column,
            len(history),
            label=label,
            what="key",
            default_run=name,
            explicit=opts.explicit,
            wanted=wanted_here,
            where=at,
            with_runs=False,
            state=state,
        )
        _merge_used(used, run_used, label)
        logs += run_logs
        _tick(progress, i + 1, len(found))
    _check_unique(logs)
    return opts.runs(logs, used, str(p), default_schedule_end=_max_steps_end)


# ---------------------------------------------------------------------- TensorBoard
def _tensorboard() -> tuple[Any, Any]:
    try:
        from tensorboard.backend.event_processing import event_file_loader
        from tensorboard.util import tensor_util
    except ImportError:
        raise ImportError(
            "reading TensorBoard event files needs the `tensorboard` package; install it with "
            "pip install 'chinchilla_laws[tensorboard]'."
        ) from None
    return event_file_loader, tensor_util


def _event_dirs(p: Path) -> list[tuple[str, list[Path]]]:
    if p.is_file():
        return [(p.parent.name or p.name, [p])]
    out = []
    for folder in sorted({f.parent for f in p.rglob(f"*{_EVENT_FILE}*") if f.is_file()}):
        files = sorted(f for f in folder.iterdir() if f.is_file() and _EVENT_FILE in f.name)
        rel = folder.relative_to(p).as_posix()
        out.append((p.name if rel == "." else rel, files))
    if not out:
        raise ValueError(f"`path` {str(p)!r} has no TensorBoard event files (*tfevents*).")
    return out


def _scalars(files: list[Path], loader: Any, tensor_util: Any) -> dict[str, dict[int, float]]:
    """Scalar series by tag, ``{tag: {step: value}}``; a later event at a step wins."""
    out: dict[str, dict[int, float]] = {}
    for f in files:
        try:
            events = list(loader.EventFileLoader(str(f)).Load())
        except Exception as exc:  # the loader raises protobuf and OS errors of many kinds
            raise ValueError(f"file {str(f)!r} is not a readable event file: {exc}.") from None
        for event in events:
            if not event.HasField("summary"):
                continue
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name != "scalars":
                    continue
                arr = tensor_util.make_ndarray(value.tensor)
                if arr.size != 1:
                    continue
                out.setdefault(value.tag, {})[int(event.step)] = float(arr.reshape(()))
    return out


def read_tensorboard(
    path: str | os.PathLike[str],
    *,
    columns: Mapping[str, str] | None = None,
    n_params: PerRun = None,
    tokens_per_step: PerRun = None,
    schedule_end: PerRun = None,
    flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN,
    progress: Progress | None = None,
) -> Runs:
    r"""Read scalar curves from TensorBoard event files, one run per directory.

    Needs the optional ``tensorboard`` package (``pip install
    'chinchilla_laws[tensorboard]'``), whose own event reader is used.

    Parameters
    ----------
    path : str or path
        An event file, or a log directory: every directory under it that holds
        event files (``*tfevents*``) is one run, named by its path relative to
        ``path`` (the directory's own name when the files lie in ``path``). Several
        event files of one run are read in name order; a later value at the same
        step replaces an earlier one (a restarted run).
    columns : mapping, optional
        Scalar tags of the fields: ``loss``, ``n_tokens``, ``n_params``. The loss tag
        is found by name when not given (``loss``, ``train/loss``, ...). The step is
        the event's step.
    n_params, tokens_per_step, schedule_end : number, mapping, regex, str or callable
        Per run, as in :func:`read_wandb_csv`; a string names a scalar tag.
    flops_per_param_token : float, default 6.0
        ``k`` in ``C = k N D``.
    progress : callable, optional
        Called as ``progress(done, total)`` after each run.

    Returns
    -------
    Runs

    Notes
    -----
    The ``tensorboard`` package's ``EventFileLoader`` is used rather than
    ``tbparse``: tbparse is a layer over that same loader which also needs pandas,
    so it brings more and reads nothing more. Scalars written by
    ``torch.utils.tensorboard`` (``simple_value``) and by TensorFlow 2 or
    ``tensorboard.summary.Writer`` (tensors) are both read. TensorBoard stores
    scalars as float32, so values round-trip exactly only when they are float32.
    """
    opts = _common(
        columns, n_params, tokens_per_step, schedule_end, flops_per_param_token, progress
    )
    for fld in ("run_id", "step"):
        if fld in opts.explicit:
            raise ValueError(
                f"`columns` cannot name `{fld}` here: runs are directories and steps are the "
                "events' steps."
            )
    loader, tensor_util = _tensorboard()
    p = _path(path)
    dirs = _event_dirs(p)
    logs: list[_Log] = []
    used: dict[str, str] = {}
    for i, (name, files) in enumerate(dirs):
        series = _scalars(files, loader, tensor_util)
        label = (
            f"file {str(files[0])!r}"
            if len(files) == 1
            else f"event files in {str(files[0].parent)!r}"
        )
        tags = list(series)
        if not tags:
            raise ValueError(f"{label} (run {name!r}) holds no scalar summaries.")
        loss_tag = _find(tags, "loss", opts.explicit, label, "scalar tag")
        if loss_tag is None:
            raise ValueError(_no_loss(f"{label} (run {name!r})", "scalar tag", tags))
        run_used = {"loss": loss_tag, "step": "step", "run_id": "directory"}
        for fld in ("n_tokens", "n_params"):
            tag = _find(tags, fld, opts.explicit, label, "scalar tag")
            if tag is not None:
                run_used[fld] = tag
        keys = [run_used[f] for f in ("loss", "n_tokens", "n_params") if f in run_used]
        for spec, param in opts.wanted.items():
            keys.append(_find_named(tags, spec, param, f"{label} (run {name!r})", "scalar tag"))
        steps = sorted(series[loss_tag])
        vals: dict[str, FloatArray] = {"step": np.asarray(steps, dtype=np.float64)}
        for key in dict.fromkeys(keys):
            s = series[key]
            vals[key] = np.array([s.get(st, math.nan) for st in steps])
        _merge_used(used, run_used, label)
        logs.append(_Log(name=name, label=label, values=vals))
        _tick(progress, i + 1, len(dirs))
    return opts.runs(logs, used, str(p))


# ---------------------------------------------------------------------- any of them
FORMATS = ("wandb", "trainer_state", "jsonl", "tensorboard")
"""The log formats :func:`read_logs` knows."""


def detect_format(path: str | os.PathLike[str]) -> str | None:
    """The log format of ``path`` by its name and contents, or None for a plain CSV."""
    p = _path(path)
    if p.is_file():
        name = p.name.lower()
        if _EVENT_FILE in name:
            return "tensorboard"
        if name.endswith((".jsonl", ".ndjson")):
            return "jsonl"
        if name.endswith(".json"):
            return "trainer_state"
        if name.endswith((".csv", ".tsv")):
            with p.open(encoding="utf-8-sig", newline="") as fh:
                first = next(csv.reader([fh.readline()]), [])
            return "wandb" if _is_wide([c.strip() for c in first]) else None
        return None
    if _state_file(p) is not None or any(_state_file(d) for d in p.iterdir() if d.is_dir()):
        return "trainer_state"
    if any(f.suffix.lower() in (".jsonl", ".ndjson") for f in p.iterdir() if f.is_file()):
        return "jsonl"
    if any(_EVENT_FILE in f.name for f in p.rglob("*") if f.is_file()):
        return "tensorboard"
    raise ValueError(
        f"`path` {str(p)!r} is a folder without training logs: no {_STATE}, no .jsonl files "
        "and no TensorBoard event files."
    )


def read_logs(
    path: str | os.PathLike[str],
    *,
    format: str = "auto",
    progress: Progress | None = None,
    **options: Any,
) -> Runs:
    """Read training logs in any of the known formats.

    Parameters
    ----------
    path : str or path
        A file or folder of logs.
    format : {"auto", "wandb", "trainer_state", "jsonl", "tensorboard"}
        ``auto`` goes by the name and contents: event files, ``.jsonl``,
        ``trainer_state.json`` (or folders of them), and W&B CSV exports; a plain
        CSV in the long layout needs ``format="wandb"``.
    progress : callable, optional
        ``progress(done, total)``, for the readers of folders.
    **options
        The reader's keyword arguments (``columns``, ``n_params``,
        ``tokens_per_step``, ``schedule_end``, ``flops_per_param_token``, and
        ``layout`` for W&B CSV files).

    Returns
    -------
    Runs
    """
    if format == "auto":
        found = detect_format(path)
        if found is None:
            raise ValueError(
                f"`path` {os.fspath(path)!r} is not a recognised training log; give `format` "
                f"(one of {', '.join(FORMATS)})."
            )
        format = found
    if format == "wandb":
        return read_wandb_csv(path, **options)
    readers: dict[str, Callable[..., Runs]] = {
        "trainer_state": read_trainer_state,
        "jsonl": read_jsonl,
        "tensorboard": read_tensorboard,
    }
    if format not in readers:
        raise ValueError(f"`format` must be 'auto' or one of {', '.join(FORMATS)}; got {format!r}.")
    return readers[format](path, progress=progress, **options)
