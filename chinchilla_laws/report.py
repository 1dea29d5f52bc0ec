"""Rendering of laws and results: text summaries, ``repr`` and notebook display.

One place for how things print. Results call into it from ``summary()`` and
``_repr_markdown_`` (Jupyter shows the Markdown table of a law or a fit when it is
the value of a cell); the command line (:mod:`chinchilla_laws.cli`) only parses
arguments, calls the library and prints what these functions render.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .data_constrained import DataConstrainedFrontier, DataConstrainedLaw
from .family import get_family
from .overtraining import OverTrainingLaw

if TYPE_CHECKING:
    from .envelope import EnvelopeResult
    from .isoflop import IsoFLOPResult
    from .laws import Frontier
    from .parametric import ParametricFit
    from .powerlaw import PowerLaw

__all__ = [
    "bootstrap_summary",
    "code_markdown",
    "curve_errors_summary",
    "envelope_payload",
    "envelope_text",
    "fit_markdown",
    "fit_payload",
    "fit_summary",
    "fmt_number",
    "frontier_rows",
    "frontier_table",
    "isoflop_payload",
    "isoflop_text",
    "jsonable",
    "law_markdown",
    "markdown",
    "multi_power_fit_summary",
    "schedule_summary",
    "short_repr",
    "summary",
    "text_table",
]


def _fmt(value: float) -> str:
    return f"{value:.10g}"


def law_markdown(law: Any) -> str:
    """A Markdown table of a law's parameters (the family's equation as the caption)."""
    fam = law.family
    title = f"**{law.name}**: " if getattr(law, "name", "") else ""
    rows = [f"{title}`{fam.equation}`", "", "| parameter | value |", "|---|---|"]
    rows += [f"| {k} | {_fmt(v)} |" for k, v in law.params.items()]
    return "\n".join(rows)


def _how(fit: Any, p: str) -> str:
    if p in fit.fixed:
        return "fixed"
    for g in fit.tied:
        if p in g:
            return "tied: " + " = ".join(g)
    return ""


def fit_summary(fit: Any) -> str:
    """The multi-line text report of a :class:`~chinchilla_laws.ParametricFit`."""
    fam = get_family(fit.family)
    counts = ", ".join(f"{k.lower()} {v}" for k, v in fit.start_status_counts().items() if v)
    title = "Chinchilla parametric fit" if fam.name == "chinchilla" else f"{fam.name} fit"
    params = fit.law.params
    width = max(len(p) for p in params)
    lines = [f"{title}  {fam.equation}"]
    for p, v in params.items():
        how = _how(fit, p)
        lines.append(f"  {p:<{width}} = {_fmt(v)}" + (f" ({how})" if how else ""))
    if fam.name == "chinchilla":
        law = fit.law
        lines.append(f"  a = beta/(alpha+beta) = {law.a:.6f}   b = {law.b:.6f}   G = {law.G:.6g}")
    lines += [
        f"  objective ({fit.reduction} Huber, delta={fit.delta:g}) = {fit.objective:.10e}",
        f"  points {fit.n_points}, starts {fit.n_starts} ({counts})",
        f"  max|grad| = {fit.grad_norm:.3g} (gtol {fit.gtol:.3g}); "
        f"status: {fit.status.name} ({fit.message})",
    ]
    lines += [f"  note: {n}" for n in fit.notes]
    if fit.on_grid_boundary:
        lines.append("  warning: the best start lies on the boundary of the start grid")
    return "\n".join(lines)


def fit_markdown(fit: Any) -> str:
    """A Markdown rendering of a fit: status line and a parameter table."""
    fam = get_family(fit.family)
    rows = [
        f"**{fam.name} fit** `{fam.equation}`: {fit.status.name} ({fit.message})",
        "",
        "| parameter | value | |",
        "|---|---|---|",
    ]
    rows += [f"| {k} | {_fmt(v)} | {_how(fit, k)} |" for k, v in fit.law.params.items()]
    rows += [
        "",
        f"objective {fit.objective:.6e} ({fit.reduction} Huber, delta {fit.delta:g}); "
        f"{fit.n_points} points, {fit.n_converged} of {fit.n_starts} starts converged; "
        f"max|grad| {fit.grad_norm:.3g} (gtol {fit.gtol:.3g})",
    ]
    return "\n".join(rows)


def bootstrap_summary(boot: Any, level: float) -> str:
    """A table of estimates, standard errors and percentile intervals of a bootstrap."""
    ses = boot.standard_errors()
    ivs = boot.intervals(level)
    point = dict(boot.fit.params)
    if boot.family.name == "chinchilla":
        point.update(a=boot.fit.law.a, b=boot.fit.law.b, G=boot.fit.law.G)
    pct = f"{100 * level:g}%"
    w = max(6, *(len(k) for k in boot.names))
    lines = [
        f"Bootstrap ({boot.scheme}, {boot.n_resamples} resamples, {boot.n_failed} failed)",
        f"  {'param':<{w}} {'estimate':>12} {'std err':>12}   {pct} interval",
    ]
    for k in boot.names:
        lo, hi = ivs[k]
        lines.append(f"  {k:<{w}} {point[k]:>12.6g} {ses[k]:>12.4g}   ({lo:.6g}, {hi:.6g})")
    lines.append(f"  {boot.status.name}: {boot.message}")
    return "\n".join(lines)


def code_markdown(text: str) -> str:
    """A text report as a Markdown code block (notebook display of tabular results)."""
    return f"```text\n{text}\n```"


# ---------------------------------------------------------------------- tables and payloads
def fmt_number(value: Any, digits: int = 6) -> str:
    if value is None:
        return "-"
    fv = float(value)
    return f"{fv:.{digits}g}" if math.isfinite(fv) else str(fv)


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> str:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    first = [
        h.rjust(w) if i else h.ljust(w)
        for i, (h, w) in enumerate(zip(headers, widths, strict=True))
    ]
    lines = [indent + "  ".join(first)]
    for row in rows:
        cells = [
            c.rjust(w) if i else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append(indent + "  ".join(cells))
    return "\n".join(lines)


def jsonable(value: Any) -> Any:
    """Plain JSON types; NaN and infinities become ``null``; floats keep full precision."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        fv = float(value)
        return fv if math.isfinite(fv) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


def frontier_rows(frontier: Frontier) -> list[dict[str, float]]:
    rows = [
        {
            "compute": float(c),
            "n_params": float(n),
            "n_tokens": float(d),
            "tokens_per_param": float(d / n),
            "loss": float(lo),
        }
        for c, n, d, lo in zip(
            frontier.compute, frontier.n_params, frontier.n_tokens, frontier.loss, strict=True
        )
    ]
    if isinstance(frontier, DataConstrainedFrontier):
        for row, u, ep in zip(rows, frontier.unique_tokens, frontier.epochs, strict=True):
            row["unique_tokens"] = float(u)
            row["epochs"] = float(ep)
    return rows


def frontier_table(rows: list[dict[str, float]]) -> str:
    epochs = bool(rows) and "epochs" in rows[0]
    return text_table(
        ["C (FLOPs)", "N_opt", "D_opt", "D/N", "loss"] + (["epochs"] if epochs else []),
        [
            [
                fmt_number(r["compute"], 4),
                fmt_number(r["n_params"]),
                fmt_number(r["n_tokens"]),
                fmt_number(r["tokens_per_param"], 4),
                fmt_number(r["loss"], 6),
            ]
            + ([fmt_number(r["epochs"], 4)] if epochs else [])
            for r in rows
        ],
    )


def law_line(law: Any) -> str:
    if isinstance(law, OverTrainingLaw):
        return (
            f"E={law.E:.10g}  A={law.A:.10g}  B={law.B:.10g}  eta={law.eta:.10g}  "
            f"(M*={law.compute_optimal_tokens_per_param:.6g} tokens/param)"
        )
    line = (
        f"E={law.E:.10g}  A={law.A:.10g}  B={law.B:.10g}  alpha={law.alpha:.10g}  "
        f"beta={law.beta:.10g}  (a={law.a:.6f}, b={law.b:.6f})"
    )
    if isinstance(law, DataConstrainedLaw):
        line += f"  rd_star={law.rd_star:.10g}  rn_star={law.rn_star:.10g}"
    return line


def power_law_dict(law: PowerLaw | None) -> dict[str, Any] | None:
    if law is None:
        return None
    return {
        "coefficient": law.coefficient,
        "exponent": law.exponent,
        "exponent_se": law.exponent_se,
        "log_coefficient_se": law.log_coefficient_se,
        "n_points": law.n_points,
    }


def power_law_line(name: str, symbol: str, law: PowerLaw | None, note: str = "") -> str:
    if law is None:
        return f"  {name} = k C^{symbol}: not fitted (fewer than 2 usable budgets)"
    return (
        f"  {name} = {law.coefficient:.6g} * C^{law.exponent:.6f}   "
        f"({symbol} = {law.exponent:.6f} ± {law.exponent_se:.2g}{note})"
    )


def bootstrap_payload(boot: Any, level: float, point: dict[str, float]) -> dict[str, Any]:
    ses = boot.standard_errors()
    ivs = boot.intervals(level)
    return {
        "n_resamples": int(boot.n_resamples),
        "n_failed": int(boot.n_failed),
        "level": level,
        "estimate": {k: point.get(k) for k in ivs},
        "standard_errors": ses,
        "intervals": {k: [lo, hi] for k, (lo, hi) in ivs.items()},
    }


def bootstrap_text(info: dict[str, Any]) -> str:
    pct = f"{100 * info['level']:g}%"
    ses = info["standard_errors"]
    rows = []
    for k, (lo, hi) in info["intervals"].items():
        se = ses.get(k, ses.get(f"log_{k}"))
        rows.append(
            [
                k,
                fmt_number(info["estimate"].get(k)),
                fmt_number(se, 4),
                fmt_number(lo),
                fmt_number(hi),
            ]
        )
    head = (
        f"Bootstrap: {info['n_resamples']} resamples ({info['n_failed']} failed), "
        f"{pct} percentile intervals"
    )
    table = text_table(["param", "estimate", "std err", f"{pct} low", f"{pct} high"], rows)
    return head + "\n" + table


def add_powerlaw_extras(
    payload: dict[str, Any],
    lines: list[str],
    boot_info: Any,
    budgets: Sequence[float] | None,
    res: Any,
) -> None:
    """Bootstrap intervals and a table at ``--budgets`` for the power-law methods."""
    if boot_info is not None:
        payload["bootstrap"] = boot_info
        lines.append(bootstrap_text(boot_info))
    if budgets:
        rows = optimal_from_powerlaws(budgets, res.n_params_law, res.n_tokens_law)
        payload["optimal"] = rows
        if rows:
            lines.append("Compute-optimal allocation from the power laws")
            lines.append(powerlaw_table(rows))


def optimal_from_powerlaws(
    compute: Sequence[float], n_law: PowerLaw | None, d_law: PowerLaw | None
) -> list[dict[str, Any]]:
    if n_law is None or d_law is None:
        return []
    c = np.asarray(compute, dtype=np.float64)
    n = n_law(c)
    d = d_law(c)
    return [
        {
            "compute": float(ci),
            "n_params": float(ni),
            "n_tokens": float(di),
            "tokens_per_param": float(di / ni),
        }
        for ci, ni, di in zip(c, n, d, strict=True)
    ]


def powerlaw_table(rows: list[dict[str, Any]]) -> str:
    return text_table(
        ["C (FLOPs)", "N_opt", "D_opt", "D/N"],
        [
            [
                fmt_number(r["compute"], 4),
                fmt_number(r["n_params"]),
                fmt_number(r["n_tokens"]),
                fmt_number(r["tokens_per_param"], 4),
            ]
            for r in rows
        ],
    )


def fit_payload(fit: ParametricFit) -> dict[str, Any]:
    return {
        "law": fit.law.as_dict(),
        "theta": fit.theta,
        "objective": fit.objective,
        "success": fit.success,
        "status": fit.status.name,
        "message": fit.message,
        "grad_norm": fit.grad_norm,
        "gtol": fit.gtol,
        "on_grid_boundary": fit.on_grid_boundary,
        "n_points": fit.n_points,
        "n_starts": fit.n_starts,
        "n_converged": fit.n_converged,
        "delta": fit.delta,
        "reduction": fit.reduction,
        "backend": fit.backend,
    }


def isoflop_payload(res: IsoFLOPResult) -> dict[str, Any]:
    return {
        "a": res.a,
        "b": res.b,
        "a_plus_b_minus_1": res.a_plus_b_minus_1,
        "success": res.success,
        "against": res.against,
        "vertex": res.vertex,
        "window": res.window,
        "power_law_weights": res.power_law_weights,
        "noise_sd": res.noise_sd,
        "labels_consistent": res.labels_consistent,
        "n_params_law": power_law_dict(res.n_params_law),
        "n_tokens_law": power_law_dict(res.n_tokens_law),
        "budgets": [
            {
                "compute": b.compute,
                "n_points": b.n_points,
                "n_params": b.n_params,
                "n_tokens": b.n_tokens,
                "loss": b.loss,
                "vertex_se": b.vertex_se,
                "coefficients": list(b.coefficients),
                "r_squared": b.r_squared,
                "bracketed": b.bracketed,
                "asymmetry": b.asymmetry,
                "asymmetry_se": b.asymmetry_se,
                "used": bool(used),
                "status": b.status.name,
            }
            for b, used in zip(res.budgets, res.used, strict=True)
        ],
    }


def isoflop_text(res: IsoFLOPResult) -> str:
    rows = [
        [
            fmt_number(b.compute, 4),
            str(b.n_points),
            fmt_number(b.n_params),
            fmt_number(b.n_tokens),
            fmt_number(b.loss),
            fmt_number(b.vertex_se, 3),
            fmt_number(b.r_squared, 4),
            "yes" if used else "no",
            b.status.name,
        ]
        for b, used in zip(res.budgets, res.used, strict=True)
    ]
    coordinate = "N" if res.against == "n_params" else "D"
    estimator = {
        "parabola": "parabolas",
        "local": f"local parabolas ({res.window} sizes)",
        "spline": "Akima splines",
    }[res.vertex]
    weighting = ", inverse-variance power laws" if res.power_law_weights != "equal" else ""
    lines = [
        f"IsoFLOP minima (Approach 2; {estimator} in ln {coordinate}{weighting})",
        text_table(
            [
                "C (FLOPs)",
                "runs",
                "N*",
                "D*",
                "L*",
                f"se(ln {coordinate}*)",
                "R^2",
                "used",
                "status",
            ],
            rows,
        ),
        power_law_line("N_opt", "a", res.n_params_law),
        power_law_line("D_opt", "b", res.n_tokens_law),
    ]
    if res.success:
        lines.append(f"  a + b - 1 = {res.a_plus_b_minus_1:.3g}")
    return "\n".join(lines)


def envelope_payload(res: EnvelopeResult) -> dict[str, Any]:
    return {
        "a": res.a,
        "b": res.b,
        "n_params_law": power_law_dict(res.n_params_law),
        "n_tokens_law": power_law_dict(res.n_tokens_law),
        "share_in_final_fraction": res.share_in_final_fraction,
        "final_fraction": res.final_fraction,
        "smoothing": res.smoothing,
        "n_runs": res.n_runs,
        "n_runs_selected": res.n_runs_selected,
        "n_grid": int(res.compute.shape[0]),
        "compute_range": [float(res.compute[0]), float(res.compute[-1])],
        "messages": list(res.messages),
    }


def envelope_text(res: EnvelopeResult) -> str:
    note = ", optimistic: grid points are not independent"
    idx = np.unique(np.linspace(0, res.compute.shape[0] - 1, 8).round().astype(int))
    rows = [
        [
            fmt_number(res.compute[i], 4),
            str(res.run_id[i]),
            fmt_number(res.n_params[i]),
            fmt_number(res.n_tokens[i]),
            fmt_number(res.loss_min[i]),
            "yes" if res.in_final_fraction[i] else "no",
        ]
        for i in idx
    ]
    return "\n".join(
        [
            f"Envelope of training curves (Approach 1): {res.n_runs} runs, "
            f"{res.n_runs_selected} on the envelope, {res.compute.shape[0]} grid points",
            text_table(["C (FLOPs)", "run", "N", "D", "loss", "final"], rows),
            f"  {100 * res.share_in_final_fraction:.1f}% of envelope points lie in the last "
            f"{100 * res.final_fraction:g}% of their run's schedule",
            power_law_line("N_opt", "a", res.n_params_law, note),
            power_law_line("D_opt", "b", res.n_tokens_law, note),
        ]
    )


# ---------------------------------------------------------------------- the result protocol
def _value_text(value: Any) -> str | None:
    """A scalar field's text, or None for values a one-line repr leaves out."""
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:37] + "...")
    return None


def _fields(obj: Any) -> list[tuple[str, Any]]:
    import dataclasses

    return [(f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj)]


def short_repr(obj: Any) -> str:
    """``Name(status=..., scalar fields...)``: one line, arrays and nested objects left out."""
    render = _REPRS.get(type(obj).__name__)
    if render is not None:
        line: str = render(obj)
        return line
    parts = []
    if hasattr(obj, "status") and isinstance(obj.status, enum.Enum):
        parts.append(f"status={obj.status.name}")
    for name, value in _fields(obj):
        text = None if name == "status" else _value_text(value)
        if text is not None:
            parts.append(f"{name}={text}")
        if len(parts) >= 8:
            parts.append("...")
            break
    return f"{type(obj).__name__}({', '.join(parts)})"


def _array_text(a: np.ndarray) -> str:
    with np.printoptions(precision=6, threshold=8, edgeitems=3, linewidth=10_000):
        body = np.array2string(a.ravel() if a.ndim > 1 else a, separator=", ")
    shape = "x".join(str(n) for n in a.shape) or "scalar"
    return f"{body}  ({shape} {a.dtype})"


def _field_line(name: str, value: Any, width: int) -> str:
    text = _value_text(value)
    if text is None:
        if isinstance(value, np.ndarray):
            text = _array_text(value)
        elif isinstance(value, (tuple, list)) and all(_value_text(v) for v in value):
            text = "(" + ", ".join(str(_value_text(v)) for v in value) + ")"
        elif isinstance(value, (tuple, list)):
            text = f"{len(value)} x {type(value[0]).__name__}" if value else "()"
        elif isinstance(value, dict) or hasattr(value, "items"):
            text = ", ".join(f"{k}: {_value_text(v) or type(v).__name__}" for k, v in value.items())
        else:
            text = repr(value) if value is not None else "None"
    return f"  {name:<{width}} {text}"


def generic_summary(obj: Any) -> str:
    """Title with status and message, then every field (arrays abridged)."""
    head = type(obj).__name__
    if hasattr(obj, "status") and isinstance(obj.status, enum.Enum):
        head += f": {obj.status.name}"
    lines = [head]
    if hasattr(obj, "message"):
        lines.append(f"  {obj.message}")
    fields = [(n, v) for n, v in _fields(obj) if n != "status"]
    width = max((len(n) for n, _ in fields), default=0)
    lines += [_field_line(n, v, width) for n, v in fields]
    return "\n".join(lines)


def powerlaw_bootstrap_summary(boot: Any, level: float = 0.95) -> str:
    """Estimates, standard errors and percentile intervals of a power-law bootstrap."""
    info = bootstrap_payload(boot, level, dict(boot.estimate))
    return f"{boot.method} power laws, {bootstrap_text(info)}\n  {boot.status.name}: {boot.message}"


def multi_power_fit_summary(fit: Any) -> str:
    """The multi-line report of a :class:`~chinchilla_laws.MultiPowerFit`."""
    lines = [
        "Multi-power law fit (Luo et al. 2025)",
        f"  curves: {', '.join(fit.curve_names)} ({fit.n_points} points)",
    ]
    for k, v in fit.params.items():
        tag = " (fixed)" if k in fit.fixed else ""
        lines.append(f"  {k:<6}= {v:.10g}{tag}")
    lines += [
        f"  objective {fit.objective:.6g} (Huber delta {fit.delta:g}, log residuals)",
        f"  max|grad| {fit.grad_norm:.3g} (gtol {fit.gtol:.3g}); {fit.n_converged} of "
        f"{fit.n_starts} starts converged, {fit.n_abandoned} abandoned",
        f"  status: {fit.status.name} -- {fit.status.value}",
    ]
    return "\n".join(lines)


def schedule_summary(opt: Any) -> str:
    """The final losses of an :class:`~chinchilla_laws.OptimizedSchedule` and its baselines."""
    lines = [
        f"optimised schedule: {opt.total_steps} steps, warmup {opt.warmup} to "
        f"{opt.peak:.3g}, floor {opt.floor:.3g} ({opt.status.name.lower()}, "
        f"{opt.nit} iterations)",
        f"  optimised    final loss {opt.final_loss:.6f}",
    ]
    for name, value in opt.baselines.items():
        lines.append(f"  {name:<12} final loss {value:.6f}  (+{value - opt.final_loss:.6f})")
    lines.append(f"  status: {opt.status.name} ({opt.message})")
    return "\n".join(lines)


def curve_errors_summary(err: Any) -> str:
    """One line per curve of a :class:`~chinchilla_laws.CurveErrors`, then the means."""
    width = max(len(n) for n in err.names)
    lines = [f"{'curve':<{width}}  PredE     R2"]
    for n, e, r in zip(err.names, err.pred_error, err.r2, strict=True):
        lines.append(f"{n:<{width}}  {e:.6f}  {r:.6f}")
    lines.append(f"{'mean':<{width}}  {err.mean_pred_error:.6f}  {err.mean_r2:.6f}")
    return "\n".join(lines)


_SUMMARIES: dict[str, Any] = {"PowerLawBootstrap": powerlaw_bootstrap_summary}


# short reprs of the results with their own layout
def fit_repr(res: Any) -> str:
    """The short ``repr`` of a :class:`~chinchilla_laws.ParametricFit`."""
    return (
        f"ParametricFit(law={res.law!r}, objective={res.objective:.10e}, "
        f"status={res.status.name}, n_starts={res.n_starts}, "
        f"n_converged={res.n_converged})"
    )


def isoflop_repr(res: Any) -> str:
    """The short ``repr`` of a :class:`~chinchilla_laws.IsoFLOPResult`."""
    return (
        f"IsoFLOPResult(status={res.status.name}, a={res.a:.6g}, b={res.b:.6g}, "
        f"budgets={len(res.budgets)}, used={int(res.used.sum())}, "
        f"against={res.against!r}, vertex={res.vertex!r})"
    )


def envelope_repr(res: Any) -> str:
    """The short ``repr`` of a :class:`~chinchilla_laws.EnvelopeResult`."""
    return (
        f"EnvelopeResult(status={res.status.name}, "
        f"a={res.a:.6g} ± {res.n_params_law.exponent_se:.2g}, "
        f"b={res.b:.6g} ± {res.n_tokens_law.exponent_se:.2g}, "
        f"n_grid={res.compute.shape[0]}, n_runs={res.n_runs}, "
        f"n_runs_selected={res.n_runs_selected}, "
        f"share_in_final_fraction={res.share_in_final_fraction:.3g})"
    )


def profile_repr(res: Any) -> str:
    """The short ``repr`` of a :class:`~chinchilla_laws.Profile`."""
    return (
        f"Profile(param={res.param!r}, within {res.rtol:g} of {res.reference:.6g} "
        f"from {res.flat_low:.4g} to {res.flat_high:.4g}, status={res.status.name})"
    )


def backtest_repr(res: Any) -> str:
    """The short ``repr`` of a :class:`~chinchilla_laws.Backtest`."""
    return (
        f"Backtest(n_train={res.n_train}, n_test={res.n_test}, "
        f"split_compute={res.split_compute:.4g}, "
        f"mean_abs_relative_error={res.mean_abs_relative_error:.4g}, "
        f"bias={res.bias:+.4g}, a={res.a:.4f}, status={res.fit.status.name})"
    )


def rolling_repr(res: Any) -> str:
    """The short ``repr`` of a :class:`~chinchilla_laws.RollingBacktest`."""
    rows = ", ".join(
        f"(C<={c:.3g}: a={a:.4f}, err={e:.4g})"
        for c, a, e in zip(res.split_compute, res.a, res.mean_abs_relative_error, strict=True)
    )
    return f"RollingBacktest(status={res.status.name}, [{rows}])"


def multiplier_repr(res: Any) -> str:
    """The short ``repr`` of a :class:`~chinchilla_laws.ComputeMultiplier`."""
    lo, hi = res.interval
    law = "" if res.law is None else f", E={res.law.E:.4g}, alpha={res.law.alpha:.4g}"
    return (
        f"ComputeMultiplier(multiplier={res.multiplier:.4g}, "
        f"{100 * res.level:g}% interval=({lo:.4g}, {hi:.4g}){law}, "
        f"status={res.status.name})"
    )


_REPRS: dict[str, Any] = {
    "ParametricFit": fit_repr,
    "IsoFLOPResult": isoflop_repr,
    "EnvelopeResult": envelope_repr,
    "Profile": profile_repr,
    "Backtest": backtest_repr,
    "RollingBacktest": rolling_repr,
    "ComputeMultiplier": multiplier_repr,
}


def summary(obj: Any) -> str:
    """The multi-line report of a result: its own renderer, or the generic one."""
    render = _SUMMARIES.get(type(obj).__name__, generic_summary)
    text: str = render(obj)
    return text


def markdown(obj: Any) -> str:
    """Notebook display: the summary of a result, or the fields of a record, as a code block."""
    text = obj.summary() if hasattr(obj, "summary") else generic_summary(obj)
    return code_markdown(text)


# ---------------------------------------------------------------- planning payloads (CLI JSON)
def inference_payload(res: Any) -> dict[str, Any]:
    """An :class:`~chinchilla_laws.InferenceOptimal` as plain lists and floats."""
    import dataclasses

    out: dict[str, Any] = {}
    for f in dataclasses.fields(res):
        value = getattr(res, f.name)
        out[f.name] = value.tolist() if isinstance(value, np.ndarray) else value
    out["tokens_per_param"] = res.tokens_per_param.tolist()
    return out


def backtest_payload(bt: Any) -> dict[str, Any]:
    """Summary numbers and per-run arrays of a :class:`~chinchilla_laws.Backtest`."""
    return {
        "split_compute": bt.split_compute,
        "n_train": bt.n_train,
        "n_test": bt.n_test,
        "mean_abs_relative_error": bt.mean_abs_relative_error,
        "bias": bt.bias,
        "max_abs_relative_error": bt.max_abs_relative_error,
        "train_mean_abs_relative_error": bt.train_mean_abs_relative_error,
        "a": bt.a,
        "law": bt.fit.law.as_dict(),
        "status": bt.fit.status.name,
        "message": bt.fit.message,
        "runs": {
            "train": bt.train.tolist(),
            "compute": bt.compute.tolist(),
            "n_params": bt.n_params.tolist(),
            "n_tokens": bt.n_tokens.tolist(),
            "observed": bt.observed.tolist(),
            "predicted": bt.predicted.tolist(),
            "relative_error": bt.relative_error.tolist(),
        },
    }


def rolling_payload(roll: Any) -> dict[str, Any]:
    """The per-split summary of a :class:`~chinchilla_laws.RollingBacktest` as lists."""
    return {
        "split_compute": roll.split_compute.tolist(),
        "n_train": roll.n_train.tolist(),
        "n_test": roll.n_test.tolist(),
        "a": roll.a.tolist(),
        "mean_abs_relative_error": roll.mean_abs_relative_error.tolist(),
        "bias": roll.bias.tolist(),
        "max_abs_relative_error": roll.max_abs_relative_error.tolist(),
        "success": roll.split_success.tolist(),
    }


def forecast_payload(fc: Any) -> dict[str, Any]:
    """An :class:`~chinchilla_laws.EstimatorForecast` but its per-sweep exponents."""
    return {
        "estimator": fc.estimator,
        "vertex_ratio": fc.vertex_ratio.tolist(),
        "vertex_bias_sim": fc.vertex_bias_sim.tolist(),
        "vertex_se_sim": fc.vertex_se_sim.tolist(),
        "a_bias": fc.a_bias,
        "a_se": fc.a_se,
        "a_mean_bias": fc.a_mean_bias,
        "flagged_fraction": fc.flagged_fraction,
        "n_failed": fc.n_failed,
    }


def design_payload(des: Any) -> dict[str, Any]:
    """An :class:`~chinchilla_laws.IsoFLOPDesign` and its forecasts as plain objects."""
    return {
        "prior_law": des.prior_law.as_dict(),
        "compute": des.compute.tolist(),
        "n_params": des.n_params.tolist(),
        "n_tokens": des.n_tokens.tolist(),
        "total_compute": des.total_compute,
        "span": des.span,
        "noise_sd": des.noise_sd,
        "n_sims": des.n_sims,
        "a_se_linear": des.a_se_linear,
        "forecasts": {k: forecast_payload(v) for k, v in des.forecasts.items()},
        "flops_per_param_token": des.flops_per_param_token,
    }


def plan_payload(plan: Any) -> dict[str, Any]:
    """An :class:`~chinchilla_laws.IsoFLOPPlan` as plain objects."""
    return {
        "target_se": plan.target_se,
        "n_budgets": plan.n_budgets,
        "n_sizes": plan.n_sizes,
        "total_compute": plan.total_compute,
        "design": design_payload(plan.design),
    }


def multiplier_payload(res: Any) -> dict[str, Any]:
    """A :class:`~chinchilla_laws.ComputeMultiplier` as plain objects."""
    return {
        "multiplier": res.multiplier,
        "interval": list(res.interval),
        "level": res.level,
        "log_multiplier_se": res.log_multiplier_se,
        "E": None if res.law is None else res.law.E,
        "alpha": None if res.law is None else res.law.alpha,
        "A_baseline": None if res.law is None else res.law.A,
        "A_new": None if res.new_law is None else res.new_law.A,
        "residual_sd": res.residual_sd,
        "n_baseline": res.n_baseline,
        "n_new": res.n_new,
        "status": res.status.name,
        "message": res.message,
    }
