"""The planning commands of the command line: ``plan``, ``backtest`` and ``design``.

Kept apart from :mod:`chinchilla_laws.cli`, which registers them (``add_commands``)
and runs them like its other commands.
"""

from __future__ import annotations

import argparse
import csv
import math
import time
from typing import Any

import numpy as np

from . import report as R
from .cli import (
    DEFAULT_LAW,
    Payload,
    UserError,
    _api_default,
    _Context,
    _count,
    _data_info,
    _data_line,
    _load,
    _load_law,
    _positive_float,
    _save_plot,
    _starts,
    drop_highest,
    fit_arguments,
)
from .laws import PRESETS
from .planning import (
    ESTIMATORS,
    IsoFLOPDesign,
    backtest,
    design_isoflop,
    design_isoflop_for_se,
    inference_optimal,
    rolling_backtest,
)
from .report import fmt_number as _g
from .report import law_line as _law_line
from .report import text_table as _table

__all__ = ["add_commands"]


def _nonnegative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative number; got {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"expected a non-negative number; got {text!r}")
    return value


def _fixed_pair(text: str) -> tuple[str, float]:
    key, sep, value = text.partition("=")
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not sep or not key.strip() or not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER; got {text!r}")
    return key.strip(), number


def add_commands(
    sub: Any,
    common: argparse.ArgumentParser,
    data: argparse.ArgumentParser,
    plot: argparse.ArgumentParser,
) -> None:
    """Register ``plan``, ``backtest`` and ``design`` on the CLI's subparsers."""
    law_help = (
        f"a preset ({', '.join(PRESETS)}; default {DEFAULT_LAW}) or a JSON file with "
        "E, A, B, alpha, beta (e.g. the output of `fit --json`)"
    )
    p = sub.add_parser(
        "plan",
        parents=[common],
        help="the least-total-cost model for a target loss and an inference demand",
        description="Inference-aware allocation (Sardana et al. 2024): the N and D that reach "
        "a target loss at the least training plus inference FLOPs, against the "
        "Chinchilla-optimal model for the same loss. Every loss is paired with every demand.",
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--loss", nargs="+", type=_positive_float, metavar="L", help="target loss")
    what.add_argument(
        "--params",
        nargs="+",
        type=_positive_float,
        metavar="N",
        help="target the loss of the Chinchilla-optimal model of N parameters",
    )
    p.add_argument(
        "--inference-tokens",
        nargs="+",
        type=_nonnegative_float,
        default=[0.0],
        metavar="D_INF",
        help="tokens served over the model's life (default 0)",
    )
    p.add_argument("--law", default=DEFAULT_LAW, metavar="LAW", help=law_help)
    p.add_argument(
        "--flops-per-inference-token",
        type=_positive_float,
        default=_api_default(inference_optimal, "flops_per_inference_token"),
        metavar="K_INF",
        help="inference FLOPs per parameter per token (default %(default)g)",
    )
    p.add_argument(
        "--flops-per-param-token",
        type=_positive_float,
        default=_api_default(inference_optimal, "flops_per_param_token"),
        metavar="K",
        help="k in the training cost C = k N D (default %(default)g)",
    )
    p.set_defaults(handler=_cmd_plan)

    p = sub.add_parser(
        "backtest",
        parents=[data, common, plot],
        help="fit on the small runs, predict the big ones",
        description="Fit the parametric law on the runs at or below a compute split and "
        "report how well it predicts the rest; --rolling repeats it over increasing splits "
        "(--plot draws the exponent and the error against the split).",
    )
    split = p.add_mutually_exclusive_group(required=True)
    split.add_argument(
        "--split-compute",
        type=_positive_float,
        metavar="C",
        help="train on the runs with C = k N D <= C",
    )
    split.add_argument(
        "--split-rank", type=_count, metavar="R", help="train on the R runs of least compute"
    )
    split.add_argument(
        "--rolling", type=_count, metavar="K", help="K log-spaced splits (a rolling backtest)"
    )
    p.add_argument(
        "--min-train",
        type=_count,
        default=_api_default(rolling_backtest, "min_train"),
        metavar="M",
        help="--rolling: %(default)s",
    )
    p.add_argument(
        "--min-test",
        type=_count,
        default=_api_default(rolling_backtest, "min_test"),
        metavar="M",
        help="--rolling: %(default)s",
    )
    fit_arguments(p)
    p.add_argument("--seed", type=_count, default=0, help="random seed for --starts random:N")
    p.add_argument(
        "--family",
        default=_api_default(backtest, "family"),
        help="law family to fit (a registered family of runs: chinchilla, kaplan, ...)",
    )
    p.add_argument(
        "--fixed",
        action="append",
        type=_fixed_pair,
        default=[],
        metavar="NAME=VALUE",
        help="hold a parameter at a value in the training fit (e.g. E=1.8); repeatable",
    )
    p.add_argument(
        "--tie",
        action="append",
        default=[],
        metavar="NAME,NAME",
        help="parameters sharing one value (e.g. alpha,beta); repeatable",
    )
    p.set_defaults(handler=_cmd_backtest)

    p = sub.add_parser(
        "design",
        parents=[common],
        help="design an IsoFLOP sweep: sizes per budget, vertex bias, SE of a",
        description="Place model sizes around a prior law's optimum at each budget and "
        "forecast, by simulation, the vertex bias of each estimator and the standard error "
        "of the exponent a under a noise level; with --target-se, find the cheapest number "
        "of budgets and sizes that reaches it.",
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--budgets", nargs="+", type=_positive_float, metavar="C", help="FLOP budgets"
    )
    which.add_argument(
        "--target-se",
        type=_positive_float,
        metavar="SE",
        help="find the cheapest design whose standard error of a is at most SE",
    )
    p.add_argument(
        "--budget-range",
        nargs=2,
        type=_positive_float,
        default=list(_api_default(design_isoflop_for_se, "budget_range")),
        metavar=("LOW", "HIGH"),
        help="--target-se: the budgets' range (default %(default)s)",
    )
    p.add_argument(
        "--max-budgets",
        type=_count,
        default=_api_default(design_isoflop_for_se, "max_budgets"),
        metavar="B",
        help="--target-se: %(default)s",
    )
    p.add_argument(
        "--max-sizes",
        type=_count,
        default=_api_default(design_isoflop_for_se, "max_sizes"),
        metavar="S",
        help="--target-se: %(default)s",
    )
    p.add_argument("--law", default=DEFAULT_LAW, metavar="LAW", help="the prior law: " + law_help)
    p.add_argument(
        "--n-sizes",
        type=_count,
        default=_api_default(design_isoflop, "n_sizes"),
        metavar="S",
        help="sizes per budget (%(default)s)",
    )
    p.add_argument(
        "--span",
        type=_positive_float,
        default=_api_default(design_isoflop, "span"),
        help="sizes reach SPAN times either side of the optimum (%(default)g)",
    )
    p.add_argument(
        "--noise",
        type=_positive_float,
        default=_api_default(design_isoflop, "noise_sd"),
        help="noise sd on ln L of a run (%(default)g)",
    )
    p.add_argument(
        "--sims",
        type=_count,
        default=_api_default(design_isoflop, "n_sims"),
        metavar="M",
        help="simulated sweeps (%(default)s)",
    )
    p.add_argument(
        "--estimator",
        action="append",
        choices=ESTIMATORS,
        default=None,
        help="vertex estimator(s) to forecast (default: all); repeatable",
    )
    p.add_argument(
        "--window",
        type=_count,
        default=_api_default(design_isoflop, "window"),
        metavar="W",
        help="local estimator's window (%(default)s)",
    )
    p.add_argument("--seed", type=_count, default=0, help="random seed (default 0)")
    p.add_argument(
        "--flops-per-param-token",
        type=_positive_float,
        default=_api_default(design_isoflop, "flops_per_param_token"),
        metavar="K",
        help="k in C = k N D (default %(default)g)",
    )
    p.add_argument("--save-runs", metavar="CSV", default=None, help="write the runs to CSV")
    p.set_defaults(handler=_cmd_design)


# ---------------------------------------------------------------------- plan
def _cmd_plan(args: argparse.Namespace, ctx: _Context) -> tuple[Payload, str]:
    law = _load_law(args.law)
    k = args.flops_per_param_token
    if args.params:
        losses = law.optimal_for_params(args.params, flops_per_param_token=k).loss
        source = "loss of the Chinchilla-optimal model of " + ", ".join(
            _g(n, 4) for n in args.params
        )
    else:
        losses = np.asarray(args.loss, dtype=np.float64)
        source = "target loss"
    demands = np.asarray(args.inference_tokens, dtype=np.float64)
    res = law.inference_optimal(
        losses[:, None],
        demands[None, :],
        flops_per_inference_token=args.flops_per_inference_token,
        flops_per_param_token=k,
    )
    rows = []
    for i in range(losses.size):
        for j in range(demands.size):
            rows.append(
                {
                    "loss": float(res.loss[i, j]),
                    "inference_tokens": float(res.inference_tokens[i, j]),
                    "n_params": float(res.n_params[i, j]),
                    "n_tokens": float(res.n_tokens[i, j]),
                    "tokens_per_param": float(res.tokens_per_param[i, j]),
                    "compute": float(res.compute[i, j]),
                    "total_flops": float(res.total_flops[i, j]),
                    "chinchilla_n_params": float(res.chinchilla_n_params[i, j]),
                    "chinchilla_n_tokens": float(res.chinchilla_n_tokens[i, j]),
                    "chinchilla_total_flops": float(res.chinchilla_total_flops[i, j]),
                    "saving": float(res.saving[i, j]),
                    "saving_fraction": float(res.saving_fraction[i, j]),
                }
            )
    payload: Payload = {
        "command": "plan",
        "law": law.as_dict(),
        "flops_per_param_token": k,
        "flops_per_inference_token": args.flops_per_inference_token,
        "plans": rows,
    }
    table = _table(
        ["loss", "D_inf", "N", "D", "D/N", "train C", "total", "Chinchilla N", "saving"],
        [
            [
                _g(r["loss"], 6),
                _g(r["inference_tokens"], 4),
                _g(r["n_params"], 4),
                _g(r["n_tokens"], 4),
                _g(r["tokens_per_param"], 4),
                _g(r["compute"], 4),
                _g(r["total_flops"], 4),
                _g(r["chinchilla_n_params"], 4),
                f"{_g(r['saving'], 3)} ({100 * r['saving_fraction']:.1f}%)",
            ]
            for r in rows
        ],
    )
    lines = [
        f"{law.name or 'law'}: {_law_line(law)}",
        f"Least training + inference FLOPs for each {source} (Sardana et al. 2024)",
        table,
        f"(training C = {k:g} N D; inference {args.flops_per_inference_token:g} N D_inf; "
        "saving against the Chinchilla-optimal model of the same loss)",
    ]
    return payload, "\n".join(lines)


# ---------------------------------------------------------------------- backtest
def _cmd_backtest(args: argparse.Namespace, ctx: _Context) -> tuple[Payload, str]:
    runs, dropped = drop_highest(_load(args), args.drop_highest)
    if args.plot and args.rolling is None:
        raise UserError("`--plot` draws a rolling backtest; add `--rolling K`.")
    starts = None if args.starts is None else _starts(args.starts, args.seed)
    options: dict[str, Any] = {"delta": args.delta, "starts": starts, "family": args.family}
    if args.fixed:
        options["fixed"] = dict(args.fixed)
    if args.tie:
        options["tied"] = [tuple(x.strip() for x in t.split(",")) for t in args.tie]
    k = runs.flops_per_param_token
    payload: Payload = {"command": "backtest", "data": _data_info(runs), "dropped_rows": dropped}
    lines = [_data_line(runs)]
    if dropped:
        lines.append(f"dropped the {len(dropped)} highest-loss rows")
    t0 = time.perf_counter()
    if args.rolling is not None:
        ctx.note(f"rolling backtest over {args.rolling} splits ...")
        roll = rolling_backtest(
            runs.n_params,
            runs.n_tokens,
            runs.loss,
            splits=args.rolling,
            min_train=args.min_train,
            min_test=args.min_test,
            flops_per_param_token=k,
            **options,
        )
        ctx.note(f"done in {time.perf_counter() - t0:.2f} s")
        payload["rolling"] = R.rolling_payload(roll)
        lines.append(f"Rolling backtest: fit on C = {k:g} N D <= split, predict the rest")
        lines.append(
            _table(
                ["split C", "train", "test", "a", "mean |rel err|", "bias", "max |rel err|", "fit"],
                [
                    [
                        _g(c, 4),
                        str(int(nt)),
                        str(int(ns)),
                        f"{a:.4f}",
                        f"{e:.4g}",
                        f"{b:+.4g}",
                        f"{m:.4g}",
                        "ok" if ok else "NOT CONVERGED",
                    ]
                    for c, nt, ns, a, e, b, m, ok in zip(
                        roll.split_compute,
                        roll.n_train,
                        roll.n_test,
                        roll.a,
                        roll.mean_abs_relative_error,
                        roll.bias,
                        roll.max_abs_relative_error,
                        roll.split_success,
                        strict=True,
                    )
                ],
            )
        )
        if args.plot:

            def draw(m: Any, axes: Any) -> None:
                m.plot_backtest(roll, axes=[axes[0, 0], axes[0, 1]])

            _save_plot(args.plot, 1, 2, draw, ctx)
            payload["plot"] = args.plot
        return payload, "\n".join(lines)
    bt = backtest(
        runs.n_params,
        runs.n_tokens,
        runs.loss,
        split_compute=args.split_compute,
        split=args.split_rank,
        flops_per_param_token=k,
        **options,
    )
    ctx.note(f"done in {time.perf_counter() - t0:.2f} s")
    payload["backtest"] = R.backtest_payload(bt)
    where = (
        f"C = {k:g} N D <= {_g(bt.split_compute, 4)}"
        if args.split_compute is not None
        else f"the {bt.n_train} runs of least compute"
    )
    lines += [
        f"Backtest: fit on {where} ({bt.n_train} runs), predict the other {bt.n_test}",
        f"  fitted law: {_law_line(bt.fit.law)}",
        f"  fit status: {bt.fit.status.name} ({bt.fit.message})",
        f"  test runs: mean |relative error| = {bt.mean_abs_relative_error:.6g}, "
        f"bias = {bt.bias:+.6g}, max |relative error| = {bt.max_abs_relative_error:.6g}",
        f"  training runs: mean |relative error| = {bt.train_mean_abs_relative_error:.6g}",
        f"  training exponent a = {bt.a:.6f}",
    ]
    return payload, "\n".join(lines)


# ---------------------------------------------------------------------- design
def _design_text(des: IsoFLOPDesign) -> list[str]:
    k = des.flops_per_param_token
    lines = [
        f"IsoFLOP design: {des.n_budgets} budgets x {des.n_sizes} sizes, each from "
        f"N_opt/{des.span:g} to N_opt*{des.span:g} (log-spaced), "
        f"total {des.total_compute:.4g} FLOPs (C = {k:g} N D)",
    ]
    rows = []
    names = list(des.forecasts)
    for i, c in enumerate(des.compute):
        rows.append(
            [
                _g(c, 4),
                _g(math.sqrt(des.n_params[i, 0] * des.n_params[i, -1]), 4),
                _g(des.n_params[i, 0], 4),
                _g(des.n_params[i, -1], 4),
                *(_g(des.forecasts[name].vertex_ratio[i], 5) for name in names),
            ]
        )
    heads = ["C (FLOPs)", "prior N_opt", "smallest N", "largest N"]
    lines.append("Runs per budget, and each estimator's vertex on exact losses (N*/N_opt)")
    lines.append(_table([*heads, *names], rows))
    lines.append(
        f"Forecast over {des.n_sims} simulated sweeps (noise sd {des.noise_sd:g} on ln L); "
        f"prior a = {des.prior_law.a:.6f}"
    )
    lines.append(
        _table(
            ["estimator", "SE of a", "a bias (exact)", "a bias (noisy)", "flagged", "failed"],
            [
                [
                    name,
                    f"{f.a_se:.4g}",
                    f"{f.a_bias:+.2e}",
                    f"{f.a_mean_bias:+.2e}",
                    f"{100 * f.flagged_fraction:.1f}%",
                    str(f.n_failed),
                ]
                for name, f in des.forecasts.items()
            ],
        )
    )
    lines.append(f"  linearised SE of a (parabola): {des.a_se_linear:.4g}")
    return lines


def _cmd_design(args: argparse.Namespace, ctx: _Context) -> tuple[Payload, str]:
    law = _load_law(args.law)
    estimators = tuple(args.estimator) if args.estimator else ESTIMATORS
    common: dict[str, Any] = {
        "span": args.span,
        "noise_sd": args.noise,
        "n_sims": args.sims,
        "estimators": estimators,
        "window": args.window,
        "rng": args.seed,
        "flops_per_param_token": args.flops_per_param_token,
    }
    payload: Payload = {"command": "design", "law": law.as_dict()}
    lines = [f"prior law {law.name or ''}: {_law_line(law)}"]
    if args.target_se is not None:
        plan = design_isoflop_for_se(
            args.target_se,
            law,
            budget_range=tuple(args.budget_range),
            max_budgets=args.max_budgets,
            max_sizes=args.max_sizes,
            **common,
        )
        des = plan.design
        payload["plan"] = R.plan_payload(plan)
        lines.append(
            f"Cheapest design with SE of a <= {args.target_se:g}: {plan.n_budgets} budgets x "
            f"{plan.n_sizes} sizes over {_g(args.budget_range[0], 3)}..."
            f"{_g(args.budget_range[1], 3)} FLOPs, total {plan.total_compute:.4g} FLOPs"
        )
    else:
        des = design_isoflop(args.budgets, law, n_sizes=args.n_sizes, **common)
        payload["design"] = R.design_payload(des)
    lines += _design_text(des)
    if args.save_runs:
        runs = des.runs()
        expected = des.expected_loss.ravel()
        try:
            with open(args.save_runs, "w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh)
                writer.writerow(["budget", "n_params", "n_tokens", "expected_loss"])
                for row in zip(
                    runs["compute"], runs["n_params"], runs["n_tokens"], expected, strict=True
                ):
                    writer.writerow([repr(float(v)) for v in row])
        except OSError as exc:
            raise UserError(f"`--save-runs` could not write {args.save_runs!r}: {exc}") from None
        payload["runs_file"] = args.save_runs
        ctx.note(f"runs written to {args.save_runs}")
    return payload, "\n".join(lines)
