"""The command line: ``chinchilla-laws`` (or ``python -m chinchilla_laws``).

Commands
--------
``fit FILE``       Approach 3: the parametric fit of ``L(N, D)`` (optionally bootstrapped).
``isoflop FILE``   Approach 2: IsoFLOP parabolas and power laws through their minima.
``envelope FILE``  Approach 1: the envelope of training curves.
``optimal``        Compute-optimal ``N`` and ``D`` of a preset or saved law.
``curves ACTION``  Multi-power law: ``fit``, ``predict``, ``optimize-schedule``.
``demo``           Every method on the built-in synthetic example (the default).
``plan``           The least-total-cost model for a target loss and an inference demand.
``backtest FILE``  Fit on the small runs, predict the big ones (``--rolling``: many splits).
``design``         An IsoFLOP sweep: sizes per budget, expected vertex bias and SE of ``a``.

Every command takes ``--json`` for machine-readable output. User errors print
``chinchilla-laws: error: <message>`` to stderr and exit with status 2; warnings of
the library are printed as ``chinchilla-laws: warning: ...`` lines (and listed under
``"warnings"`` in JSON output).
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import re
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np

from . import report as R
from .data_constrained import MUENNIGHOFF_2023, DataConstrainedLaw
from .datasets import DEFAULT_BUDGETS, synthetic_curves, synthetic_sweep
from .envelope import DUPLICATES, EnvelopeResult, envelope
from .family import get_family
from .io import FIELDS, Runs, load_runs, save_runs
from .isoflop import VERTEX_ESTIMATORS, IsoFLOPResult, isoflop_minima
from .laws import FLOPS_PER_PARAM_TOKEN, PRESETS, ChinchillaLaw, Frontier
from .logs import FORMATS, detect_format, read_logs
from .overtraining import GADRE_2024, OverTrainingLaw
from .parametric import ParametricFit, fit_parametric, random_starts

__all__ = ["ProgressBar", "main"]

PROG = "chinchilla-laws"
DEFAULT_LAW = "hoffmann2022-tex"
DEMO_TABLE_BUDGETS = (1e21, 1e22, 1e23, 5.76e23, 1e24, 1e25)

Payload = dict[str, Any]
Drawer = Callable[[Any, Any], None]


class UserError(Exception):
    """A problem with the command line's input, reported without a traceback."""


# ---------------------------------------------------------------------- progress
class ProgressBar:
    """A minimal progress bar on a text stream, callable as ``progress(done, total)``.

    Parameters
    ----------
    label : str
        Text in front of the bar.
    enabled : bool
        When False every call does nothing.
    stream : text stream, optional
        Where to draw (default ``sys.stderr``).
    width : int, default 30
        Characters in the bar.
    """

    def __init__(
        self, label: str, *, enabled: bool, stream: IO[str] | None = None, width: int = 30
    ) -> None:
        self.label = label
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self._start = time.perf_counter()
        self._last = -1
        self._open = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        frac = min(max(done / total, 0.0), 1.0)
        step = int(frac * 100)
        if step == self._last and done < total:
            return
        self._last = step
        filled = round(frac * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.perf_counter() - self._start
        self.stream.write(f"\r{self.label} [{bar}] {done}/{total} {elapsed:6.1f}s")
        self._open = True
        if done >= total:
            self.close()
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line (if one was drawn)."""
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False


class _TqdmBar:
    """:class:`ProgressBar`'s interface over a ``tqdm`` bar (used when tqdm is installed)."""

    def __init__(self, tqdm: Any, label: str, stream: IO[str]) -> None:
        self._tqdm = tqdm
        self.label = label
        self.stream = stream
        self._bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if total <= 0:
            return
        if self._bar is None:
            self._bar = self._tqdm(total=total, desc=self.label, file=self.stream, leave=True)
        self._bar.total = total
        self._bar.update(done - self._bar.n)
        if done >= total:
            self.close()

    def close(self) -> None:
        """End the bar (if one was drawn)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def progress_bar(label: str, *, enabled: bool, stream: IO[str] | None = None) -> Any:
    """A progress callable ``bar(done, total)`` with ``close()``: tqdm's when installed.

    Without the optional ``tqdm`` package (``pip install 'chinchilla_laws[progress]'``)
    the built-in :class:`ProgressBar` draws it.
    """
    out = stream if stream is not None else sys.stderr
    if enabled:
        try:
            from tqdm import tqdm
        except ImportError:
            pass
        else:
            return _TqdmBar(tqdm, label, out)
    return ProgressBar(label, enabled=enabled, stream=out)


@dataclass
class _Context:
    """What a command needs besides its arguments: progress and notes on stderr."""

    show_progress: bool
    stream: IO[str] = field(default_factory=lambda: sys.stderr)
    runs: Runs | None = None
    """The rows the command passes to the library, to locate a row named in an error."""

    def bar(self, label: str) -> Any:
        return progress_bar(label, enabled=self.show_progress, stream=self.stream)

    def note(self, message: str) -> None:
        if self.show_progress:
            self.stream.write(f"{PROG}: {message}\n")
            self.stream.flush()


# ---------------------------------------------------------------------- formatting


# ---------------------------------------------------------------------- argument types
def _api_default(func: Callable[..., Any], name: str) -> Any:
    """The library's default of ``func``'s keyword ``name``: the CLI never restates one."""
    return inspect.signature(func).parameters[name].default


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number; got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive number; got {text!r}")
    return value


def _fraction(text: str) -> float:
    value = _positive_float(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1); got {text!r}")
    return value


def _fraction_to_one(text: str) -> float:
    value = _positive_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1]; got {text!r}")
    return value


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1]; got {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1]; got {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer; got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer; got {text!r}")
    return value


def _resamples(text: str) -> int:
    """``--bootstrap``: 0 (off) or at least 2 resamples."""
    value = _count(text)
    if value == 1:
        raise argparse.ArgumentTypeError("needs 0 (off) or at least 2 resamples; got 1")
    return value


def _starts_spec(text: str) -> int | None:
    """``grid`` -> None (the paper's 4,500 starts); ``random:N`` -> N."""
    if text == "grid":
        return None
    if text.startswith("random:"):
        try:
            n = int(text.split(":", 1)[1])
        except ValueError:
            n = 0
        if n >= 1:
            return n
    raise argparse.ArgumentTypeError(f"expected 'grid' or 'random:N' with N >= 1; got {text!r}")


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value:
        raise argparse.ArgumentTypeError(f"expected FIELD=VALUE; got {text!r}")
    return key.strip(), value


def _condition(text: str) -> tuple[str, str]:
    """``--where COLUMN=VALUE``; the value may be empty (an empty cell)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected COLUMN=VALUE; got {text!r}")
    return key.strip(), value.strip()


def _per_run_spec(text: str) -> Any:
    """``--n-params`` / ``--tokens-per-step``: a number, re:PATTERN, column:NAME or FILE.json."""
    try:
        return _positive_float(text)
    except argparse.ArgumentTypeError:
        pass
    if text.startswith("re:"):
        try:
            return re.compile(text[3:])
        except re.error as exc:
            raise argparse.ArgumentTypeError(
                f"bad regular expression {text[3:]!r}: {exc}"
            ) from None
    if text.startswith("column:") and text[7:]:
        return text[7:]
    if text.lower().endswith(".json"):
        try:
            with open(text, encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise argparse.ArgumentTypeError(f"cannot read {text!r} as JSON: {exc}") from None
        if not isinstance(data, dict):
            raise argparse.ArgumentTypeError(f"{text!r} must hold an object: run name -> number")
        return data
    raise argparse.ArgumentTypeError(
        f"expected a positive number, re:PATTERN, column:NAME or a .json file; got {text!r}"
    )


# ---------------------------------------------------------------------- parser
def _build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    out = common.add_argument_group("output")
    out.add_argument("--json", action="store_true", help="print machine-readable JSON")
    out.add_argument(
        "--progress", action="store_true", help="show progress on stderr even when not a terminal"
    )
    out.add_argument(
        "-q", "--quiet", action="store_true", help="no progress and no warnings on stderr"
    )

    data = argparse.ArgumentParser(add_help=False)
    dg = data.add_argument_group("data")
    dg.add_argument("file", metavar="FILE", help="CSV file of runs ('-' reads standard input)")
    dg.add_argument(
        "--column",
        action="append",
        type=_pair,
        default=[],
        metavar="FIELD=NAME",
        help=f"column of FIELD in the file ({', '.join(FIELDS)}); repeatable",
    )
    dg.add_argument(
        "--unit",
        action="append",
        type=_pair,
        default=[],
        metavar="FIELD=UNIT",
        help="unit of a column: FLOP/GFLOP/TFLOP/PFLOP for compute, K/M/B for "
        "n_params and n_tokens, or a number; repeatable",
    )
    dg.add_argument(
        "--flops-per-param-token",
        type=_positive_float,
        default=_api_default(load_runs, "flops_per_param_token"),
        metavar="K",
        help="k in C = k N D (default %(default)g)",
    )
    dg.add_argument("--delimiter", default=None, help="CSV field separator (default: guessed)")
    dg.add_argument(
        "--where",
        action="append",
        type=_condition,
        default=[],
        metavar="COLUMN=VALUE",
        help="keep the rows whose COLUMN equals VALUE (any column of the file); repeatable: "
        "all must hold, a column given twice matches either value",
    )
    dg.add_argument(
        "--group-by",
        default=None,
        metavar="COLUMN",
        help="fit each value of COLUMN on its own and print each (one figure per group with "
        "--plot, named PNG-VALUE.png)",
    )
    lg = data.add_argument_group("training logs (FILE a log file or folder)")
    lg.add_argument(
        "--format",
        choices=("auto", "csv", *FORMATS),
        default="auto",
        help="auto (default): W&B CSV exports, trainer_state.json, .jsonl and TensorBoard "
        "event files (or folders of them) are recognised; other files are CSV tables of runs",
    )
    spec_help = "a number, re:PATTERN (on the run name), column:NAME or a JSON file run -> number"
    lg.add_argument(
        "--n-params",
        type=_per_run_spec,
        default=None,
        metavar="SPEC",
        help=f"model size: {spec_help}",
    )
    lg.add_argument(
        "--tokens-per-step",
        type=_per_run_spec,
        default=None,
        metavar="SPEC",
        help=f"tokens per optimizer step (tokens = step x this): {spec_help}",
    )

    plot = argparse.ArgumentParser(add_help=False)
    plot.add_argument(
        "--plot", metavar="PNG", default=None, help="save a figure (needs matplotlib)"
    )

    def budgets_option(p: argparse.ArgumentParser, default: Sequence[float] | None = None) -> None:
        p.add_argument(
            "--budgets",
            nargs="+",
            type=_positive_float,
            default=None if default is None else list(default),
            metavar="C",
            help="print the compute-optimal N and D at these budgets (FLOPs, C = k N D)",
        )

    def boot_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--bootstrap",
            type=_resamples,
            default=0,
            metavar="N",
            help="bootstrap with N resamples",
        )
        p.add_argument(
            "--level", type=_fraction, default=0.95, help="bootstrap interval level (0.95)"
        )
        p.add_argument("--seed", type=_count, default=0, help="random seed (default 0)")

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Compute-optimal scaling laws after Hoffmann et al. (2022). "
        "Without a command, runs `demo` on the built-in synthetic example.",
        epilog="Errors exit with status 2. Compute follows C = 6 N D unless "
        "--flops-per-param-token says otherwise.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "fit",
        parents=[data, common, plot],
        help="Approach 3: fit L(N, D) = E + A/N^alpha + B/D^beta",
        description="Fit the parametric law (Hoffmann et al. 2022, Approach 3) to final losses.",
    )
    fit_arguments(p)
    p.add_argument("--reduction", choices=("sum", "mean"), default="sum")
    p.add_argument("--backend", choices=("numba", "jax", "jaxopt"), default="numba")
    p.add_argument(
        "--family",
        default="chinchilla",
        metavar="NAME",
        help="the law to fit: chinchilla (default), kaplan, overtraining, data_constrained "
        "(needs a unique-tokens column), or another registered family of (N, D) runs",
    )
    p.add_argument(
        "--unique-tokens-column",
        default="unique_tokens",
        metavar="NAME",
        help="CSV column of unique tokens U per run, for --family data_constrained "
        "(default unique_tokens)",
    )
    boot_options(p)
    budgets_option(p)
    p.set_defaults(handler=_cmd_fit)

    p = sub.add_parser(
        "isoflop",
        parents=[data, common, plot],
        help="Approach 2: IsoFLOP minima and power laws",
        description="Fit a parabola per FLOP budget and power laws through the minima.",
    )
    p.add_argument("--against", choices=("n_params", "n_tokens"), default="n_params")
    p.add_argument(
        "--budget-rtol",
        type=_fraction,
        default=_api_default(isoflop_minima, "budget_rtol"),
        metavar="RTOL",
    )
    p.add_argument("--robust", action="store_true", help="Huber IRLS parabola fits")
    p.add_argument("--include-flagged", action="store_true", help="use unbracketed vertices too")
    p.add_argument(
        "--min-points",
        type=_count,
        default=_api_default(isoflop_minima, "min_points"),
        metavar="M",
        help="runs a budget needs for a parabola (default %(default)s)",
    )
    p.add_argument(
        "--vertex",
        choices=VERTEX_ESTIMATORS,
        default=_api_default(isoflop_minima, "vertex"),
        help="estimator of each budget's minimum: the global parabola, a parabola "
        "through the lowest-loss size's neighbours, or an Akima spline (default "
        "%(default)s)",
    )
    p.add_argument(
        "--window",
        type=_count,
        default=_api_default(isoflop_minima, "window"),
        metavar="W",
        help="sizes in the local window (odd, >= 3; default %(default)s)",
    )
    p.add_argument(
        "--power-law-weights",
        choices=("equal", "inverse_variance"),
        default=_api_default(isoflop_minima, "power_law_weights"),
        help="weights of the minima in the power-law fits (default %(default)s)",
    )
    boot_options(p)
    budgets_option(p)
    p.set_defaults(handler=_cmd_isoflop)

    p = sub.add_parser(
        "envelope",
        parents=[data, common, plot],
        help="Approach 1: the envelope of training curves",
        description="Envelope of training curves (long form: run id, N, tokens seen, loss).",
    )
    p.add_argument(
        "--smoothing", type=_count, default=_api_default(envelope, "smoothing"), metavar="W"
    )
    p.add_argument("--n-grid", type=_count, default=_api_default(envelope, "n_grid"), metavar="G")
    p.add_argument(
        "--final-fraction",
        type=_fraction_to_one,
        default=_api_default(envelope, "final_fraction"),
    )
    p.add_argument("--min-share", type=_share, default=_api_default(envelope, "min_share"))
    p.add_argument(
        "--min-run-points",
        type=_count,
        default=_api_default(envelope, "min_run_points"),
        metavar="M",
        help="skip runs with fewer logged points (default %(default)s), with a warning",
    )
    p.add_argument(
        "--duplicates",
        choices=DUPLICATES,
        default=_api_default(envelope, "duplicates"),
        help="rows of a run with the same token count and different losses: raise an "
        "error (default), or keep their min, mean or last loss",
    )
    boot_options(p)
    budgets_option(p)
    p.set_defaults(handler=_cmd_envelope)

    p = sub.add_parser(
        "optimal",
        parents=[common],
        help="compute-optimal N and D of a law",
        description="Compute-optimal allocation of a preset or saved law: at given budgets "
        "(--flops), or the budget for which a size (--params) or a token count (--tokens) "
        "is optimal (the paper's Table 3).",
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--flops", nargs="+", type=_positive_float, metavar="C")
    what.add_argument("--params", nargs="+", type=_positive_float, metavar="N")
    what.add_argument("--tokens", nargs="+", type=_positive_float, metavar="D")
    p.add_argument(
        "--law",
        action="append",
        default=None,
        metavar="LAW",
        help="a preset (hoffmann2022, hoffmann2022-tex, besiroglu2024, muennighoff2023, "
        f"gadre2024; default {DEFAULT_LAW}) or a JSON file with "
        "E, A, B, alpha, beta (e.g. the output of `fit --json`); repeatable",
    )
    p.add_argument(
        "--flops-per-param-token",
        type=_positive_float,
        default=_api_default(ChinchillaLaw.optimal, "flops_per_param_token"),
        metavar="K",
        help="k in C = k N D (default %(default)g)",
    )
    p.add_argument(
        "--unique-tokens",
        type=_positive_float,
        default=None,
        metavar="U",
        help="unique tokens available: the optimum of a data-constrained law (--law "
        "muennighoff2023) when data must repeat (with --flops)",
    )
    p.set_defaults(handler=_cmd_optimal)

    from ._cli_curves import add_parser as add_curves_parser

    add_curves_parser(sub, common, plot)

    p = sub.add_parser(
        "demo",
        parents=[common, plot],
        help="run every method on the built-in synthetic example",
        description="Draw a synthetic IsoFLOP sweep and training curves from the Hoffmann "
        "et al. (2022) law with log-normal noise, fit them with all three approaches and "
        "compare the results with the truth.",
    )
    p.add_argument("--noise", type=_share, default=0.01, help="relative noise on the loss (0.01)")
    p.add_argument(
        "--starts", type=_starts_spec, default=None, metavar="{grid,random:N}", help="fit starts"
    )
    p.add_argument("--save-sweep", metavar="CSV", default=None, help="write the sweep to CSV")
    p.add_argument("--save-curves", metavar="CSV", default=None, help="write the curves to CSV")
    boot_options(p)
    budgets_option(p, DEMO_TABLE_BUDGETS)
    p.set_defaults(handler=_cmd_demo)

    from ._cli_planning import add_commands  # here: it imports this module's helpers

    add_commands(sub, common, data, plot)
    return parser


# ---------------------------------------------------------------------- helpers
_LOG_COLUMNS = ("loss", "step", "n_tokens", "n_params", "run_id")


def _log_format(args: argparse.Namespace) -> str | None:
    """The training-log format of FILE, or None for a CSV table of runs."""
    fmt: str = getattr(args, "format", "auto")
    if fmt == "csv" or args.file == "-":
        return None
    if fmt != "auto":
        return fmt
    if not os.path.exists(args.file):
        raise UserError(f"`FILE` {args.file!r} does not exist.")
    found = detect_format(args.file)
    if found is None and (args.n_params is not None or args.tokens_per_step is not None):
        return "wandb"  # a long-layout log table: one row per run and step
    return found


def _where(args: argparse.Namespace) -> dict[str, Any] | None:
    where: dict[str, Any] = {}
    for key, value in getattr(args, "where", []):
        prev = where.get(key)
        where[key] = (
            value if prev is None else [*(prev if isinstance(prev, list) else [prev]), value]
        )
    return where or None


def _read_log(args: argparse.Namespace, fmt: str, ctx: _Context) -> Runs:
    columns = dict(args.column)
    bad = [k for k in columns if k not in _LOG_COLUMNS]
    if bad or args.unit or args.where or args.group_by:
        what = f"`--column {bad[0]}=...`" if bad else "`--unit`, `--where` and `--group-by`"
        raise UserError(
            f"{what} cannot be used with training logs ({fmt}); --column names "
            f"{', '.join(_LOG_COLUMNS)} there."
        )
    bar = ctx.bar("reading logs")
    try:
        runs = read_logs(
            args.file,
            format=fmt,
            progress=bar,
            columns=columns or None,
            n_params=args.n_params,
            tokens_per_step=args.tokens_per_step,
            flops_per_param_token=args.flops_per_param_token,
        )
    finally:
        bar.close()
    ctx.note(runs.summary())
    return runs


def _load(args: argparse.Namespace, ctx: _Context | None = None) -> Runs:
    runs = _load_runs(args, ctx)
    if ctx is not None:
        ctx.runs = runs  # to locate a row that an error names by its index
    return runs


def _load_runs(args: argparse.Namespace, ctx: _Context | None) -> Runs:
    preloaded = getattr(args, "preloaded", None)
    if preloaded is not None:
        return preloaded  # type: ignore[no-any-return]
    fmt = _log_format(args)
    if fmt is not None:
        return _read_log(args, fmt, ctx or _Context(show_progress=False))
    if args.n_params is not None or args.tokens_per_step is not None:
        raise UserError("`--n-params` and `--tokens-per-step` apply to training logs only.")
    runs = _load_table(args, group_by=None)
    assert isinstance(runs, Runs)
    return runs


def _unit(text: str) -> str | float:
    """``--unit`` values: a unit name, or a number to multiply by (``budget=3``)."""
    try:
        return float(text)
    except ValueError:
        return text


def _load_table(args: argparse.Namespace, group_by: str | None) -> Runs | dict[str, Runs]:
    columns = dict(args.column)
    units = {key: _unit(value) for key, value in args.unit}
    for key in (*columns, *units):
        if key not in FIELDS:
            raise UserError(
                f"`--column`/`--unit` field must be one of {', '.join(FIELDS)}; got {key!r}."
            )
    source: Any = sys.stdin if args.file == "-" else args.file
    runs = load_runs(
        source,
        columns=columns or None,
        units=units or None,
        flops_per_param_token=args.flops_per_param_token,
        delimiter=args.delimiter,
        where=_where(args),
        group_by=group_by,
    )
    return runs


_INDEX = re.compile(r"\bat index (\d+)\b")


def _locate(message: str, runs: Runs | None) -> str:
    """Turn a library message's 0-based ``at index i`` into the row's place in the file."""
    if runs is None:
        return message

    def where(match: re.Match[str]) -> str:
        i = int(match.group(1))
        if not 0 <= i < len(runs):
            return match.group(0)
        if runs.source_line is not None:
            return f"at line {int(runs.source_line[i])} of {runs.source}"
        return f"at data row {i + 1}"

    return _INDEX.sub(where, message)


def _group_plot(path: str, key: str) -> str:
    stem, ext = os.path.splitext(path)
    safe = re.sub(r"[^0-9A-Za-z._+-]+", "_", key).strip("_") or "group"
    return f"{stem}-{safe}{ext or '.png'}"


def _cmd_grouped(args: argparse.Namespace, ctx: _Context) -> tuple[Payload, str]:
    """Run the command once per ``--group-by`` value; print and collect each."""
    if _log_format(args) is not None:
        raise UserError("`--group-by` applies to CSV tables of runs, not to training logs.")
    groups = _load_table(args, group_by=args.group_by)
    assert isinstance(groups, dict)
    payload: Payload = {"command": args.command, "group_by": args.group_by, "groups": {}}
    texts: list[str] = []
    for key, runs in groups.items():
        sub = argparse.Namespace(**vars(args))
        sub.preloaded = runs
        sub.plot = _group_plot(args.plot, key) if args.plot else None
        ctx.note(f"{args.group_by} = {key}: {len(runs)} rows")
        try:
            group_payload, text = args.handler(sub, ctx)
        except (UserError, ValueError, TypeError, FloatingPointError) as exc:
            raise UserError(f"{args.group_by}={key}: {exc}") from None
        payload["groups"][key] = group_payload
        texts.append(f"== {args.group_by} = {key} ==\n{text}")
    return payload, "\n\n".join(texts)


def _data_info(runs: Runs) -> dict[str, Any]:
    return {
        "source": runs.source,
        "n_rows": len(runs),
        "columns": dict(runs.columns),
        "derived": list(runs.derived),
        "flops_per_param_token": runs.flops_per_param_token,
        "n_runs": runs.n_runs,
        "skipped": dict(runs.skipped),
    }


def _data_line(runs: Runs) -> str:
    cols = ", ".join(f"{k}={v!r}" for k, v in runs.columns.items())
    derived = ""
    if runs.derived:
        k = f"{runs.flops_per_param_token:g}"
        derived = "; derived " + ", ".join(runs.derived) + f" from C = {k} N D"
    line = f"data: {runs.source} ({len(runs)} rows; {cols}{derived})"
    if runs.skipped:
        why = "; ".join(f"{n} {reason}" for reason, n in runs.skipped.items())
        line += f"\n  skipped {sum(runs.skipped.values())} rows: {why}"
    return line


def _starts(n: int | None, seed: int, family: Any = "chinchilla") -> Any:
    return None if n is None else random_starts(n, rng=seed, family=family)


def _require_plot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise UserError(
            "`--plot` needs matplotlib; install it with pip install 'chinchilla_laws[plot]'."
        ) from None
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    try:
        from . import plot as cplot
    except ImportError as exc:
        raise UserError(f"`--plot` could not import chinchilla_laws.plot: {exc}.") from None
    return cplot


def _save_plot(path: str, nrows: int, ncols: int, draw: Drawer, ctx: _Context) -> None:
    """Draw on a fresh ``nrows x ncols`` grid of axes (no pyplot state) and save it."""
    cplot = _require_plot()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.0 * ncols, 4.0 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    draw(cplot, axes)
    try:
        fig.savefig(path, dpi=110)
    except (OSError, ValueError) as exc:
        raise UserError(f"`--plot` could not write {path!r}: {exc}") from None
    ctx.note(f"figure written to {path}")


# ---------------------------------------------------------------------- commands


def _run_fit(
    n: Any, d: Any, loss: Any, args: argparse.Namespace, ctx: _Context
) -> tuple[ParametricFit, dict[str, Any] | None]:
    family = getattr(args, "family", "chinchilla")
    try:
        fam = get_family(family)
    except ValueError as exc:
        raise UserError(f"`--family`: {exc}") from None
    unique = getattr(args, "unique_tokens", None)
    starts = _starts(args.starts, args.seed, fam)
    label = (
        f"{fam.default_starts().shape[0]}-start grid"
        if starts is None
        else f"{starts.shape[0]} random starts"
    )
    if fam.name == "chinchilla" and starts is None:
        label = "4,500-start grid"
    ctx.note(f"fitting {len(loss)} points from the {label} ...")
    t0 = time.perf_counter()
    fit_bar = ctx.bar("fit (starts finished)")
    try:
        fit = fit_parametric(
            n,
            d,
            loss,
            family=fam,
            unique_tokens=unique,
            delta=getattr(args, "delta", _api_default(fit_parametric, "delta")),
            reduction=getattr(args, "reduction", _api_default(fit_parametric, "reduction")),
            starts=starts,
            backend=getattr(args, "backend", "numba"),
            progress=fit_bar,
        )
    finally:
        fit_bar.close()
    ctx.note(f"fit done in {time.perf_counter() - t0:.2f} s")
    boot_info = None
    if args.bootstrap:
        from .bootstrap import bootstrap_parametric

        bar = ctx.bar("bootstrap")
        try:
            boot = bootstrap_parametric(
                n,
                d,
                loss,
                unique_tokens=unique,
                n_resamples=args.bootstrap,
                rng=args.seed,
                fit=fit,
                delta=fit.delta,
                reduction=fit.reduction,  # type: ignore[arg-type]
                backend=fit.backend,
                progress=bar,
            )
        finally:
            bar.close()
        boot_info = R.bootstrap_payload(boot, args.level, fit.law.as_dict())
    return fit, boot_info


def _unique_tokens(args: argparse.Namespace, runs: Runs) -> Any:
    """The unique-tokens column of the fitted rows (matched by their line in the file)."""
    if runs.source_line is None or args.file == "-" or _log_format(args) is not None:
        raise UserError(
            "`--family data_constrained` reads the unique tokens of each run from a column "
            "of a CSV file (--unique-tokens-column); got no CSV file."
        )
    col = args.unique_tokens_column
    columns = {k: v for k, v in dict(args.column).items() if k != "compute"}
    columns["n_tokens"] = col
    try:
        extra = load_runs(args.file, columns=columns, delimiter=args.delimiter, where=_where(args))
    except (ValueError, KeyError) as exc:
        raise UserError(f"`--unique-tokens-column` {col!r}: {exc}") from None
    assert extra.source_line is not None
    by_line = dict(zip(extra.source_line.tolist(), extra.n_tokens.tolist(), strict=True))
    missing = [int(line) for line in runs.source_line if int(line) not in by_line]
    if missing:
        raise UserError(
            f"`--unique-tokens-column` {col!r} has no usable value on line {missing[0]}."
        )
    return np.array([by_line[int(line)] for line in runs.source_line])


def fit_arguments(p: argparse.ArgumentParser) -> None:
    """``--delta``, ``--drop-highest`` and ``--starts``: every command that fits the law."""
    p.add_argument(
        "--delta",
        type=_positive_float,
        default=_api_default(fit_parametric, "delta"),
        help="Huber delta (default %(default)g)",
    )
    p.add_argument(
        "--drop-highest",
        type=_count,
        default=0,
        metavar="K",
        help="leave out the K highest-loss points first (Besiroglu et al. drop 5)",
    )
    p.add_argument(
        "--starts",
        type=_starts_spec,
        default=None,
        metavar="{grid,random:N}",
        help="the paper's 4,500-start grid (default) or N random starts",
    )


def drop_highest(runs: Runs, k: int) -> tuple[Runs, list[int]]:
    """``runs`` without its ``k`` highest-loss rows, and the indices of those rows."""
    if not k:
        return runs, []
    if k >= len(runs):
        raise UserError(
            f"`--drop-highest` must be smaller than the number of rows ({len(runs)}); got {k}."
        )
    order = np.argsort(runs.loss, kind="stable")
    keep = np.sort(order[: len(runs) - k])
    return runs.select(keep), sorted(int(i) for i in order[len(runs) - k :])


def _cmd_fit(args: argparse.Namespace, ctx: _Context) -> tuple[Payload, str]:
    runs, dropped = drop_highest(_load(args, ctx), args.drop_highest)
    ctx.runs = runs
    if args.family == "data_constrained":
        args.unique_tokens = _unique_tokens(args, runs)
    fit, boot_info = _run_fit(runs.n_params, runs.n_tokens, runs.loss, args, ctx)
    payload: Payload = {"command": "fit", "data": _data_info(runs), "dropped_rows": dropped}
    payload["fit"] = R.fit_payload(fit)
    lines = [_data_line(runs)]
    if dropped:
        lines.append(
            f"dropped the {len(dropped)} highest-loss rows (data rows {[i + 1 for i in dropped]})"
        )
    lines.append(fit.summary())
    if boot_info is not None:
        payload["bootstrap"] = boot_info
        lines.append(R.bootstrap_text(boot_info))
    if args.budgets:
        rows = R.frontier_rows(
            fit.law.optimal(args.budgets, flops_per_param_token=runs.flops_per_param_token)
        )
        payload["optimal"] = rows
        lines.append(
            f"Compute-optimal allocation of the fitted law (C = {runs.flops_per_param_token:g} N D)"
        )
        lines.append(R.frontier_table(rows))
    if args.plot:
        law = fit.law.with_name("fit")

        def draw_fit(m: Any, axes: Any) -> None:
            m.plot_contours(law, ax=axes[0, 0])
            m.plot_frontiers([law], labels=["fit"], ax=axes[0, 1])

        _save_plot(args.plot, 1, 2, draw_fit, ctx)
        payload["plot"] = args.plot
    return payload, "\n".join(lines)


def _run_isoflop(
    n: Any,
    d: Any,
    compute: Any,
    loss: Any,
    budgets: Any,
    k: float,
    args: argparse.Namespace,
    ctx: _Context,
) -> tuple[IsoFLOPResult, dict[str, Any] | None]:
    options: dict[str, Any] = {
        "budgets": budgets,
        "flops_per_param_token": k,
        "against": getattr(args, "against", "n_params"),
        "budget_rtol": getattr(args, "budget_rtol", _api_default(isoflop_minima, "budget_rtol")),
        "robust": getattr(args, "robust", False),
        "include_flagged": getattr(args, "include_flagged", False),
        "min_points": getattr(args, "min_points", _api_default(isoflop_minima, "min_points")),
        "vertex": getattr(args, "vertex", _api_default(isoflop_minima, "vertex")),
        "window": getattr(args, "window", _api_default(isoflop_minima, "window")),
        "power_law_weights": getattr(
            args, "power_law_weights", _api_default(isoflop_minima, "power_law_weights")
        ),
    }
    if d is None:
        options["compute"] = compute
    res = isoflop_minima(n, d, loss, **options)
    boot_info = None
    if args.bootstrap:
        from .bootstrap import bootstrap_isoflop

        bar = ctx.bar("bootstrap")
        try:
            boot = bootstrap_isoflop(
                n, d, loss, n_resamples=args.bootstrap, rng=args.seed, progress=bar, **options
            )
        finally:
            bar.close()
        boot_info = R.bootstrap_payload(boot, args.level, dict(boot.estimate))
    return res, boot_info


def _cmd_isoflop(args: argparse.Namespace, ctx: _Context) -> tuple[Payload, str]:
    runs = _load(args, ctx)
    use_d = "n_tokens" not in runs.derived
    res, boot_info = _run_isoflop(
        runs.n_params,
        runs.n_tokens if use_d else None,
        runs.compute,
        runs.loss,
        runs.budget,
        runs.flops_per_param_token,
        args,
        ctx,
    )
    payload: Payload = {
        "command": "isoflop",
        "data": _data_info(runs),
        "isoflop": R.isoflop_payload(res),
    }
    lines = [_data_line(runs), R.isoflop_text(res)]
    R.add_powerlaw_extras(payload, lines, boot_info, args.budgets, res)
    if args.plot:
        n_plot, d_plot, l_plot = runs.n_params, runs.n_tokens, runs.loss

        def draw_iso(m: Any, axes: Any) -> None:
            m.plot_isoflop(n_plot, l_plot, res, n_tokens=d_plot, axes=list(axes[0]))

        _save_plot(args.plot, 1, 3, draw_iso, ctx)
        payload["plot"] = args.plot
    return payload, "\n".join(lines)


def _run_envelope(
    run_id: Any,
    n: Any,
    d: Any,
    loss: Any,
    schedule_end: Any,
    k: float,
    args: argparse.Namespace,
    ctx: _Context,
) -> tuple[EnvelopeResult, dict[str, Any] | None]:
    options: dict[str, Any] = {
        name: getattr(args, name, _api_default(envelope, name))
        for name in (
            "smoothing",
            "n_grid",
            "final_fraction",
            "min_share",
            "min_run_points",
            "duplicates",
        )
    }
    if schedule_end is not None:
        options["schedule_end"] = np.asarray(schedule_end)
    if k != FLOPS_PER_PARAM_TOKEN:
        options["flops_per_token"] = k * np.asarray(n, dtype=np.float64)
    res = envelope(run_id, n, d, loss, **options)
    boot_info = None
    if args.bootstrap:
        from .bootstrap import bootstrap_envelope

        bar = ctx.bar("bootstrap")
        try:
            boot = bootstrap_envelope(
                run_id,
                n,
                d,
                loss,
                n_resamples=args.bootstrap,
                rng=args.seed,
                progress=bar,
                **options,
            )
        finally:
            bar.close()
        boot_info = R.bootstrap_payload(boot, args.level, dict(boot.estimate))
    return res, boot_info


def _cmd_envelope(args: argparse.Namespace, ctx: _Context) -> tuple[Payload, str]:
    runs = _load(args, ctx)
    if runs.run_id is None:
        raise UserError(
            f"`FILE` {runs.source!r} has no run id column (run, run_id, name, ...), which the "
            "envelope needs to tell training curves apart; name it with --column run_id=NAME."
        )
    res, boot_info = _run_envelope(
        runs.run_id,
        runs.n_params,
        runs.n_tokens,
        runs.loss,
        runs.schedule_end,
        runs.flops_per_param_token,
        args,
        ctx,
    )
    payload: Payload = {
        "command": "envelope",
        "data": _data_info(runs),
        "envelope": R.envelope_payload(res),
    }
    lines = [_data_line(runs), R.envelope_text(res)]
    R.add_powerlaw_extras(payload, lines, boot_info, args.budgets, res)
    if args.plot:
        ids = runs.run_id

        def draw_env(m: Any, axes: Any) -> None:
            m.plot_envelope(ids, runs.n_params, runs.n_tokens, runs.loss, res, axes=list(axes[0]))

        _save_plot(args.plot, 1, 3, draw_env, ctx)
        payload["plot"] = args.plot
    return payload, "\n".join(lines)


_LAW_KEYS = ("E", "A", "B", "alpha", "beta")


CLI_LAWS: dict[str, Any] = {
    **PRESETS,
    "muennighoff2023": MUENNIGHOFF_2023,
    "gadre2024": GADRE_2024,
}
"""Laws `--law` accepts by name: the Chinchilla presets, the data-constrained law of
Muennighoff et al. (2023) and the over-training law of Gadre et al. (2024)."""


def _load_law(spec: str) -> Any:
    if spec in CLI_LAWS:
        return CLI_LAWS[spec]
    if not os.path.isfile(spec):
        raise UserError(
            f"`--law` must be a preset ({', '.join(CLI_LAWS)}) or a JSON file with "
            f"{', '.join(_LAW_KEYS)}; got {spec!r}."
        )
    try:
        with open(spec, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"`--law` file {spec!r} is not readable JSON: {exc}.") from None
    # accept the output of `fit --json` (the law sits under "fit" -> "law")
    for key in ("fit", "law"):
        if isinstance(data, dict) and isinstance(data.get(key), dict):
            data = data[key]
    # the layout of `as_dict` / chinchilla_laws.serialize: parameters under "params"
    if isinstance(data, dict) and isinstance(data.get("params"), dict):
        data = {**data["params"], "name": data.get("name")}
    # the keys decide the law: eta -> over-training, rd_star/rn_star -> data-constrained
    keys: tuple[str, ...] = _LAW_KEYS
    make: Any = ChinchillaLaw
    if isinstance(data, dict) and "eta" in data and "alpha" not in data:
        keys, make = OverTrainingLaw.PARAM_NAMES, OverTrainingLaw
    elif isinstance(data, dict) and "rd_star" in data:
        keys, make = DataConstrainedLaw.PARAM_NAMES, DataConstrainedLaw
    if not isinstance(data, dict) or any(k not in data for k in keys):
        raise UserError(f"`--law` file {spec!r} must hold an object with keys {', '.join(keys)}.")
    values = {}
    for k in keys:
        v = data[k]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise UserError(f"`--law` file {spec!r}: `{k}` must be a number; got {v!r}.")
        values[k] = float(v)
    raw_name = data.get("name")
    name = raw_name if isinstance(raw_name, str) and raw_name else spec
    try:
        return make(**values, name=name)
    except ValueError as exc:
        raise UserError(f"`--law` file {spec!r}: {exc}") from None


def _cmd_optimal(args: argparse.Namespace, ctx: _Context) -> tuple[Payload, str]:
    laws = [_load_law(s) for s in (args.law or [DEFAULT_LAW])]
    k = args.flops_per_param_token
    u = args.unique_tokens
    if args.flops:
        given, values = "flops", args.flops
    elif args.params:
        given, values = "params", args.params
    else:
        given, values = "tokens", args.tokens
    if u is not None:
        if given != "flops":
            raise UserError("`--unique-tokens` needs budgets (--flops), not --params/--tokens.")
        bad = [law.name for law in laws if not isinstance(law, DataConstrainedLaw)]
        if bad:
            raise UserError(
                "`--unique-tokens` needs a data-constrained law (--law muennighoff2023 or a "
                f"JSON file with rd_star and rn_star); got {', '.join(bad)}."
            )
    payload: Payload = {
        "command": "optimal",
        "given": given,
        "flops_per_param_token": k,
        "unique_tokens": u,
        "laws": [],
    }
    lines: list[str] = []
    for law in laws:
        frontier: Frontier
        if given == "flops":
            if isinstance(law, DataConstrainedLaw):
                frontier = law.optimal(values, unique_tokens=u, flops_per_param_token=k)
            else:
                frontier = law.optimal(values, flops_per_param_token=k)
        else:
            # the sizes and token counts of the unconstrained frontier
            chin = law if isinstance(law, ChinchillaLaw) else law.chinchilla
            if given == "params":
                frontier = chin.optimal_for_params(values, flops_per_param_token=k)
            else:
                frontier = chin.optimal_for_tokens(values, flops_per_param_token=k)
        rows = R.frontier_rows(frontier)
        payload["laws"].append({"law": law.as_dict(), "frontier": rows})
        lines.append(f"{law.name or 'law'}: {R.law_line(law)}")
        lines.append(R.frontier_table(rows))
    lines.append(f"(C = {k:g} N D" + (f"; U = {u:g} unique tokens)" if u is not None else ")"))
    return payload, "\n".join(lines)


def _cmd_demo(args: argparse.Namespace, ctx: _Context) -> tuple[Payload, str]:
    sweep = synthetic_sweep(noise=args.noise, rng=args.seed)
    curves = synthetic_curves(rng=args.seed)
    truth = sweep.law
    if args.save_sweep:
        save_runs(sweep, args.save_sweep)
    if args.save_curves:
        save_runs(curves, args.save_curves)
    budgets = list(args.budgets or DEMO_TABLE_BUDGETS)

    fit, boot_info = _run_fit(sweep.n_params, sweep.n_tokens, sweep.loss, args, ctx)
    ctx.note("IsoFLOP minima and envelope ...")
    iso, _ = _run_isoflop(
        sweep.n_params,
        sweep.n_tokens,
        None,
        sweep.loss,
        sweep.budget,
        FLOPS_PER_PARAM_TOKEN,
        _no_boot(args),
        ctx,
    )
    env, _ = _run_envelope(
        curves.run_id,
        curves.n_params,
        curves.n_tokens,
        curves.loss,
        curves.schedule_end,
        FLOPS_PER_PARAM_TOKEN,
        _no_boot(args),
        ctx,
    )
    true_rows = R.frontier_rows(truth.optimal(budgets))
    fit_rows = R.frontier_rows(fit.law.optimal(budgets))
    iso_rows = R.optimal_from_powerlaws(budgets, iso.n_params_law, iso.n_tokens_law)
    env_rows = R.optimal_from_powerlaws(budgets, env.n_params_law, env.n_tokens_law)
    exponents = {
        "truth": {"a": truth.a, "b": truth.b},
        "envelope": {"a": env.a, "b": env.b},
        "isoflop": {"a": iso.a, "b": iso.b},
        "parametric": {"a": fit.law.a, "b": fit.law.b},
    }
    payload: Payload = {
        "command": "demo",
        "data": {
            "sweep": {
                "n_runs": len(sweep),
                "budgets": sorted(set(sweep.budget.tolist())),
                "noise": sweep.noise,
                "seed": args.seed,
            },
            "curves": {"n_runs": curves.n_runs, "n_rows": len(curves), "noise": curves.noise},
            "law": truth.as_dict(),
        },
        "fit": R.fit_payload(fit),
        "isoflop": R.isoflop_payload(iso),
        "envelope": R.envelope_payload(env),
        "exponents": exponents,
        "optimal": {
            "truth": true_rows,
            "parametric": fit_rows,
            "isoflop": iso_rows,
            "envelope": env_rows,
        },
    }
    budgets_text = ", ".join(f"{c:g}" for c in DEFAULT_BUDGETS)
    lines = [
        "Built-in example (generated by the library, no data files):",
        f"  IsoFLOP sweep of {len(sweep)} runs at budgets {budgets_text} FLOPs "
        f"(9 sizes each, C = 6 N D), drawn from {truth.name}",
        f"  with log-normal noise of sd {sweep.noise:g} on the loss (seed {args.seed}); "
        f"{curves.n_runs} training curves for the envelope.",
        f"  true law: {R.law_line(truth)}",
        "",
        "Approach 3 (parametric fit):",
        fit.summary(),
    ]
    if boot_info is not None:
        payload["bootstrap"] = boot_info
        lines.append(R.bootstrap_text(boot_info))
    lines += [
        "",
        R.isoflop_text(iso),
        "",
        R.envelope_text(env),
        "",
        "Exponents of N_opt ∝ C^a and D_opt ∝ C^b",
        R.text_table(
            ["method", "a", "b"],
            [[name, f"{v['a']:.6f}", f"{v['b']:.6f}"] for name, v in exponents.items()],
        ),
        "",
        "Compute-optimal model size N_opt by method",
        R.text_table(
            ["C (FLOPs)", "truth", "parametric", "isoflop", "envelope", "D_opt (parametric)"],
            [
                [
                    R.fmt_number(c, 4),
                    R.fmt_number(t["n_params"], 4),
                    R.fmt_number(f["n_params"], 4),
                    R.fmt_number(i["n_params"], 4) if i else "-",
                    R.fmt_number(e["n_params"], 4) if e else "-",
                    R.fmt_number(f["n_tokens"], 4),
                ]
                for c, t, f, i, e in zip(
                    budgets,
                    true_rows,
                    fit_rows,
                    _or_blank(iso_rows, len(budgets)),
                    _or_blank(env_rows, len(budgets)),
                    strict=True,
                )
            ],
        ),
    ]
    if args.save_sweep or args.save_curves:
        saved = [p for p in (args.save_sweep, args.save_curves) if p]
        lines.append("wrote " + ", ".join(saved))
    if args.plot:
        law = fit.law.with_name("parametric fit")

        def draw_demo(m: Any, axes: Any) -> None:
            m.plot_isoflop(
                sweep.n_params, sweep.loss, iso, n_tokens=sweep.n_tokens, axes=list(axes[0])
            )
            m.plot_envelope(
                curves.run_id,
                curves.n_params,
                curves.n_tokens,
                curves.loss,
                env,
                axes=list(axes[1]),
            )
            m.plot_contours(law, ax=axes[2, 0])
            m.plot_frontiers(
                [truth, law, iso, env],
                labels=["truth", "parametric", "isoflop", "envelope"],
                ax=axes[2, 1],
            )
            axes[2, 2].set_visible(False)

        _save_plot(args.plot, 3, 3, draw_demo, ctx)
        payload["plot"] = args.plot
    return payload, "\n".join(lines)


def _or_blank(rows: list[dict[str, Any]], n: int) -> list[dict[str, Any] | None]:
    return list(rows) if rows else [None] * n


def _no_boot(args: argparse.Namespace) -> argparse.Namespace:
    """The demo bootstraps only the parametric fit."""
    return argparse.Namespace(**{**vars(args), "bootstrap": 0})


# ---------------------------------------------------------------------- entry point
def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 success, 2 user error).

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default ``sys.argv[1:]``). No
        arguments at all run ``demo``.
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (
        args_list[0].startswith("-") and args_list[0] not in ("-h", "--help", "--version")
    ):
        args_list = ["demo", *args_list]
    parser = _build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # argparse reports usage errors (2) and --help (0) this way
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    if args.command is None:  # pragma: no cover - every path above names a command
        parser.print_usage(sys.stderr)
        return 2
    stderr = sys.stderr
    ctx = _Context(
        show_progress=(args.progress or _isatty(stderr)) and not args.quiet, stream=stderr
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            grouped = getattr(args, "group_by", None) is not None
            payload, text = (_cmd_grouped if grouped else args.handler)(args, ctx)
        except (UserError, ValueError, TypeError, FloatingPointError, OSError) as exc:
            stderr.write(f"{PROG}: error: {_locate(str(exc), ctx.runs)}\n")
            return 2
    seen: set[tuple[str, str]] = set()
    messages: list[dict[str, str]] = []
    for w in caught:
        key = (w.category.__name__, str(w.message))
        if key not in seen:
            seen.add(key)
            messages.append({"category": key[0], "message": key[1]})
    if not args.quiet:
        for m in messages:
            stderr.write(f"{PROG}: warning: {m['category']}: {m['message']}\n")
    if args.json:
        payload["warnings"] = messages
        sys.stdout.write(json.dumps(R.jsonable(payload), indent=2) + "\n")
    else:
        sys.stdout.write(text + "\n")
    return 0
