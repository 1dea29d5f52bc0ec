"""``chinchilla-laws curves fit|predict|optimize-schedule``: the multi-power law (private).

Wired into :mod:`chinchilla_laws.cli` by :func:`add_parser`. Handlers return
``(payload, text)`` like every command there and raise ``ValueError`` for bad input
(printed as ``chinchilla-laws: error: ...`` with exit status 2).

Data: a CSV long table, one row per logged point, with a curve-id column, the step
and the loss; ``--where COLUMN=VALUE`` keeps rows, ``--test COLUMN=VALUE`` marks
held-out rows. Schedules: ``--schedules luo2025`` rebuilds each curve from its id
(Luo et al.'s names, e.g. ``cosine_24000``), or ``--schedules FILE.csv`` reads one row
per step and curve (columns: the curve id, ``step``, ``lr``).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._typing import FloatArray
from .cli import _api_default, _positive_float
from .multipower import (
    MULTI_POWER_PRESETS,
    PARAM_NAMES,
    CurveErrors,
    LossCurve,
    MultiPowerLaw,
    prediction_errors,
)
from .multipower_fit import bootstrap_multi_power, fit_multi_power
from .optimal_schedule import optimize_schedule
from .schedules import luo2025_schedule
from .serialize import law_from_dict

__all__ = ["add_parser"]

Payload = dict[str, Any]


def _pair(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected COLUMN=VALUE; got {text!r}")
    key, value = text.split("=", 1)
    return key.strip(), value.strip()


def _int_at_least(minimum: int) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer; got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}; got {value}")
        return value

    return parse


def add_parser(sub: Any, common: argparse.ArgumentParser, plot: argparse.ArgumentParser) -> None:
    """Add ``curves`` and its three sub-commands to the CLI's sub-parsers."""
    p = sub.add_parser(
        "curves",
        help="loss curves under any learning-rate schedule (multi-power law, Luo et al. 2025)",
        description="Fit, predict and optimise whole loss curves with the multi-power law "
        "of Luo et al. (2025): fit on several curves, predict held-out schedules, find the "
        "schedule with the lowest predicted final loss.",
    )
    curves_sub = p.add_subparsers(dest="curves_command", metavar="ACTION", required=True)

    data = argparse.ArgumentParser(add_help=False)
    dg = data.add_argument_group("data")
    dg.add_argument("file", metavar="FILE", help="CSV long table: one row per logged point")
    dg.add_argument("--curve", default="curve", metavar="COLUMN", help="curve id column")
    dg.add_argument("--step", default="step", metavar="COLUMN", help="step column (0-based)")
    dg.add_argument("--loss", default="loss", metavar="COLUMN", help="loss column")
    dg.add_argument(
        "--where",
        action="append",
        type=_pair,
        default=[],
        metavar="COLUMN=VALUE",
        help="keep rows whose COLUMN equals VALUE (repeatable; all must hold)",
    )
    dg.add_argument(
        "--schedules",
        required=True,
        metavar="SPEC",
        help="'luo2025' (rebuild each curve's schedule from its id) or a CSV file with "
        "one row per step and curve: the curve id column, 'step' and 'lr'",
    )

    law_opt = argparse.ArgumentParser(add_help=False)
    law_opt.add_argument(
        "--law",
        required=True,
        metavar="LAW",
        help=f"a preset ({', '.join(MULTI_POWER_PRESETS)}) or a JSON file: a law dict "
        "(from `curves fit --save-law`, or `law.as_dict()`) or the older layout with "
        f"{', '.join(PARAM_NAMES)} at the top level",
    )

    f = curves_sub.add_parser(
        "fit",
        parents=[data, common, plot],
        help="fit the law on several curves",
        description="Fit the multi-power law to the curves (summed Huber, delta 1e-3, on "
        "log residuals; multi-start L-BFGS). Rows matching --test are held out and "
        "predicted.",
    )
    f.add_argument(
        "--test",
        action="append",
        type=_pair,
        default=[],
        metavar="COLUMN=VALUE",
        help="hold out rows whose COLUMN equals VALUE (repeatable; all must hold)",
    )
    f.add_argument(
        "--fixed",
        action="append",
        type=_pair,
        default=[],
        metavar="NAME=VALUE",
        help="hold a parameter fixed (repeatable)",
    )
    f.add_argument(
        "--tied",
        action="append",
        default=[],
        metavar="NAME,NAME",
        help="parameters that share one value (repeatable)",
    )
    f.add_argument(
        "--delta",
        type=_positive_float,
        default=_api_default(fit_multi_power, "delta"),
        help="Huber threshold (%(default)g)",
    )
    f.add_argument(
        "--bootstrap", type=_int_at_least(1), default=0, metavar="N", help="block bootstrap"
    )
    f.add_argument(
        "--block-length",
        type=_int_at_least(1),
        default=_api_default(bootstrap_multi_power, "block_length"),
        metavar="K",
        help="logged points per bootstrap block (%(default)s)",
    )
    f.add_argument("--seed", type=_int_at_least(0), default=0, help="random seed (0)")
    f.add_argument(
        "--save-law",
        metavar="JSON",
        default=None,
        help="write the fitted law (its `as_dict()`, as JSON)",
    )
    f.set_defaults(handler=_cmd_fit)

    pr = curves_sub.add_parser(
        "predict",
        parents=[data, law_opt, common, plot],
        help="predict curves with a law; PredE and R2 per curve",
        description="Predict every curve of FILE with a law and report PredE (mean "
        "relative error) and R2 per curve, as in Luo et al. (2025).",
    )
    pr.set_defaults(handler=_cmd_predict)

    o = curves_sub.add_parser(
        "optimize-schedule",
        parents=[law_opt, common, plot],
        help="the schedule with the lowest predicted final loss",
        description="Find the non-increasing post-warmup schedule that minimises the law's "
        "predicted loss at the last step, and compare it with cosine and WSD.",
    )
    o.add_argument("--steps", type=_int_at_least(2), required=True, help="total steps")
    o.add_argument("--warmup", type=_int_at_least(0), required=True, help="warmup steps")
    o.add_argument("--peak", type=_positive_float, required=True, help="peak learning rate")
    o.add_argument(
        "--floor",
        type=_positive_float,
        default=_api_default(optimize_schedule, "floor"),
        help="lowest rate (%(default)g)",
    )
    o.add_argument("--save", metavar="CSV", default=None, help="write step,lr of the optimum")
    o.set_defaults(handler=_cmd_optimize)


# ---------------------------------------------------------------------- data


def _read_rows(path: str) -> tuple[list[dict[str, str]], str]:
    if path == "-":
        return list(csv.DictReader(sys.stdin)), "<stdin>"
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh)), path


def _matches(row: dict[str, str], conditions: Sequence[tuple[str, str]]) -> bool:
    return all(row.get(k) == v for k, v in conditions)


def _check_columns(rows: list[dict[str, str]], source: str, names: Sequence[str]) -> None:
    if not rows:
        raise ValueError(f"{source}: no rows left to use.")
    for name in names:
        if name not in rows[0]:
            raise ValueError(
                f"{source} has no column {name!r} (columns: {', '.join(rows[0])}); "
                "name it with --curve/--step/--loss or --where."
            )


def _schedules(spec: str, ids: Sequence[str], curve_col: str) -> dict[str, FloatArray]:
    if spec == "luo2025":
        return {cid: luo2025_schedule(cid) for cid in ids}
    rows, source = _read_rows(spec)
    _check_columns(rows, source, (curve_col, "step", "lr"))
    out = {}
    for cid in ids:
        mine = [r for r in rows if r[curve_col] == cid]
        if not mine:
            raise ValueError(f"{source} has no schedule rows for curve {cid!r}.")
        steps = np.array([int(r["step"]) for r in mine])
        rates = np.array([float(r["lr"]) for r in mine])
        order = np.argsort(steps)
        steps, rates = steps[order], rates[order]
        if not np.array_equal(steps, np.arange(steps.size)):
            raise ValueError(
                f"{source}: the schedule of curve {cid!r} must list every step from 0 once."
            )
        out[cid] = rates
    return out


def _curves(args: argparse.Namespace, rows: list[dict[str, str]], source: str) -> list[LossCurve]:
    if not rows:
        return []
    ids = list(dict.fromkeys(r[args.curve] for r in rows))
    scheds = _schedules(args.schedules, ids, args.curve)
    out = []
    for cid in ids:
        mine = [r for r in rows if r[args.curve] == cid]
        steps = np.array([float(r[args.step]) for r in mine])
        loss = np.array([float(r[args.loss]) for r in mine])
        order = np.argsort(steps, kind="stable")
        out.append(LossCurve(name=cid, steps=steps[order], loss=loss[order], schedule=scheds[cid]))
    return out


def _load(
    args: argparse.Namespace, test: Sequence[tuple[str, str]] = ()
) -> tuple[list[LossCurve], list[LossCurve]]:
    rows, source = _read_rows(args.file)
    _check_columns(rows, source, (args.curve, args.step, args.loss, *(k for k, _ in args.where)))
    kept = [r for r in rows if _matches(r, args.where)]
    _check_columns(kept, source, (args.curve,))
    if test:
        _check_columns(kept, source, tuple(k for k, _ in test))
        held = [r for r in kept if _matches(r, test)]
        fitted = [r for r in kept if not _matches(r, test)]
    else:
        held, fitted = [], kept
    return _curves(args, fitted, source), _curves(args, held, source)


def _load_law(spec: str) -> MultiPowerLaw:
    """A preset by name, or the law in a JSON file.

    The file holds a law dict (``law.as_dict()``, written by ``curves fit --save-law``),
    the JSON output of a ``curves`` command (the law under ``"law"``), or the layout
    ``--save-law`` wrote before (the parameters at the top level, ``"family"``
    optional).
    """
    if spec.lower() in MULTI_POWER_PRESETS:
        return MULTI_POWER_PRESETS[spec.lower()]
    path = Path(spec)
    if not path.is_file():
        raise ValueError(
            f"`--law` must be a preset ({', '.join(MULTI_POWER_PRESETS)}) or a JSON file; "
            f"got {spec!r}."
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"`--law` file {spec!r} is not readable JSON: {exc}.") from None
    if isinstance(data, dict) and isinstance(data.get("law"), dict):
        data = data["law"]
    if not isinstance(data, dict):
        raise ValueError(f"`--law` file {spec!r} must hold a JSON object; got {_kind(data)}.")
    if "format" not in data and "family" not in data:
        data = {**data, "family": "multi_power"}  # bare parameters, as the old layout allowed
    try:
        law: MultiPowerLaw = law_from_dict(data, family="multi_power")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"`--law` file {spec!r}: {exc}") from None
    return law


def _kind(value: Any) -> str:
    return "null" if value is None else f"a JSON {type(value).__name__}"


def _errors_payload(errs: CurveErrors) -> list[dict[str, Any]]:
    return [
        {"curve": n, "pred_error": float(e), "r2": float(r)}
        for n, e, r in zip(errs.names, errs.pred_error, errs.r2, strict=True)
    ]


def _save_figure(fig: Any, path: str) -> None:
    fig.savefig(path, dpi=120)


# ---------------------------------------------------------------------- commands


def _cmd_fit(args: argparse.Namespace, ctx: Any) -> tuple[Payload, str]:
    train, test = _load(args, args.test)
    if not train:
        raise ValueError("no curves left to fit after --where/--test.")
    fixed = {}
    for k, v in args.fixed:
        try:
            fixed[k] = float(v)
        except ValueError:
            raise ValueError(f"`--fixed {k}={v}`: the value must be a number.") from None
    tied = [tuple(s.strip() for s in group.split(",")) for group in args.tied]
    ctx.note(f"fitting the multi-power law on {len(train)} curves")
    fit = fit_multi_power(train, delta=args.delta, fixed=fixed or None, tied=tied or None)
    payload: Payload = {
        "command": "curves fit",
        "law": fit.law.as_dict(),
        "objective": fit.objective,
        "status": fit.status,
        "success": fit.success,
        "n_points": fit.n_points,
        "train": _errors_payload(prediction_errors(fit.law, train)),
    }
    lines = [fit.summary(), "", "fitted curves:", prediction_errors(fit.law, train).summary()]
    if test:
        errs = prediction_errors(fit.law, test)
        payload["test"] = _errors_payload(errs)
        lines += ["", "held-out curves:", errs.summary()]
    if args.bootstrap:
        ctx.note(f"block bootstrap: {args.bootstrap} resamples")
        boot = bootstrap_multi_power(
            train,
            n_resamples=args.bootstrap,
            block_length=args.block_length,
            rng=args.seed,
            fit=fit,
        )
        intervals = {k: boot.interval(k) for k in PARAM_NAMES}
        payload["bootstrap"] = {
            "n_resamples": boot.n_resamples,
            "n_failed": boot.n_failed,
            "block_length": boot.block_length,
            "intervals": {k: list(v) for k, v in intervals.items()},
        }
        lines += ["", f"block bootstrap ({boot.n_resamples} resamples, 95% intervals):"]
        lines += [f"  {k:<6} [{lo:.6g}, {hi:.6g}]" for k, (lo, hi) in intervals.items()]
    if args.save_law:
        Path(args.save_law).write_text(json.dumps(fit.law.as_dict(), indent=2) + "\n")
        lines.append(f"law written to {args.save_law}")
    if args.plot:
        from .plot import plot_loss_curves

        ax = plot_loss_curves(fit.law, train, test=test)
        _save_figure(ax.get_figure(root=True), args.plot)
        lines.append(f"figure written to {args.plot}")
    return payload, "\n".join(lines)


def _cmd_predict(args: argparse.Namespace, ctx: Any) -> tuple[Payload, str]:
    law = _load_law(args.law)
    curves, _ = _load(args)
    errs = prediction_errors(law, curves)
    payload: Payload = {
        "command": "curves predict",
        "law": law.as_dict(),
        "curves": _errors_payload(errs),
        "mean_pred_error": errs.mean_pred_error,
        "mean_r2": errs.mean_r2,
    }
    text = errs.summary()
    if args.plot:
        from .plot import plot_loss_curves

        ax = plot_loss_curves(law, curves)
        _save_figure(ax.get_figure(root=True), args.plot)
        text += f"\nfigure written to {args.plot}"
    return payload, text


def _cmd_optimize(args: argparse.Namespace, ctx: Any) -> tuple[Payload, str]:
    law = _load_law(args.law)
    ctx.note("optimising the schedule")
    opt = optimize_schedule(law, args.steps, warmup=args.warmup, peak=args.peak, floor=args.floor)
    payload: Payload = {
        "command": "curves optimize-schedule",
        "law": law.as_dict(),
        "final_loss": opt.final_loss,
        "baselines": dict(opt.baselines),
        "status": opt.status,
        "nit": opt.nit,
    }
    text = opt.summary()
    if args.save:
        with open(args.save, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["step", "lr"])
            for t, lr in enumerate(opt.schedule):
                writer.writerow([t, repr(float(lr))])
        text += f"\nschedule written to {args.save}"
    if args.plot:
        from .plot import plot_schedules

        _save_figure(plot_schedules(opt), args.plot)
        text += f"\nfigure written to {args.plot}"
    return payload, text
