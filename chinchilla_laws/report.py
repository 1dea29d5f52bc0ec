"""Rendering of laws and results: text summaries, ``repr`` and notebook display.

One place for how things print. Results call into it from ``summary()`` and
``_repr_markdown_`` (Jupyter shows the Markdown table of a law or a fit when it is
the value of a cell).
"""

from __future__ import annotations

from typing import Any

from .family import get_family

__all__ = ["bootstrap_summary", "fit_markdown", "fit_summary", "law_markdown"]


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
        f"  max|grad| = {fit.grad_norm:.3g} (gtol {fit.gtol:.3g}); status: {fit.message}",
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
    return "\n".join(lines)
