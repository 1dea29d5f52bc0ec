r"""Figures after Hoffmann et al. (2022): envelope, IsoFLOP valleys, contours, frontiers.

matplotlib is an optional dependency (``pip install 'chinchilla_laws[plot]'``).
It is imported when a function is called, never when this module is imported;
without it every function raises :class:`ImportError` with the install hint.

Every function takes data and results, draws on the axes it is given (or on a
new figure) and returns the :class:`~matplotlib.axes.Axes` it drew on, or the
:class:`~matplotlib.figure.Figure` for the three-panel figures. Budgets follow
the convention ``C = 6 N D`` unless a result says otherwise.

==============================  ===========================================
:func:`plot_envelope`           Figure 2: training curves, their envelope,
                                and the power laws ``N_opt(C)``,
                                ``D_opt(C)`` (Approach 1)
:func:`plot_isoflop`            Figure 3: IsoFLOP valleys, parabolas and
                                vertices, and the power laws through the
                                vertices (Approach 2)
:func:`plot_contours`           Figure 4: iso-loss contours of a law with its
                                efficient frontier and IsoFLOP slices
                                (Approach 3)
:func:`plot_frontiers`          ``N_opt(C)`` (or ``D_opt``, ``D/N``) of
                                several laws and methods, with optional
                                bootstrap bands
:func:`plot_repeated_data`      loss against epochs at fixed unique tokens,
                                with the effective data (Muennighoff et al.
                                2023)
:func:`plot_overtraining`       loss against tokens per parameter per model
                                size (Gadre et al. 2024)
:func:`plot_backtest`           a rolling backtest: the training exponent
                                and the test error against the compute split
:func:`plot_loss_curves`        observed and predicted loss curves under
                                several schedules (multi-power law, Luo et
                                al. 2025)
:func:`plot_schedules`          an optimised schedule beside cosine and WSD,
                                with their predicted losses
==============================  ===========================================
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from ._constants import FLOPS_PER_PARAM_TOKEN
from ._typing import FloatArray
from ._validation import _describe, as_choice, as_float_array, as_int, as_positive_scalar
from .data_constrained import DataConstrainedLaw
from .envelope import EnvelopeResult
from .isoflop import (
    VERTEX_ESTIMATORS,
    IsoFLOPBudget,
    IsoFLOPResult,
    IsoFLOPStatus,
    vertex_estimates,
)
from .laws import ChinchillaLaw
from .multipower import LossCurve, MultiPowerLaw, as_curves, prediction_errors
from .optimal_schedule import OptimizedSchedule
from .overtraining import OverTrainingLaw
from .parametric import ParametricFit
from .planning import RollingBacktest

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "plot_backtest",
    "plot_contours",
    "plot_envelope",
    "plot_frontiers",
    "plot_isoflop",
    "plot_loss_curves",
    "plot_overtraining",
    "plot_repeated_data",
    "plot_schedules",
]

_INSTALL_HINT = (
    "chinchilla_laws.plot needs matplotlib; install it with "
    "`pip install 'chinchilla_laws[plot]'` (or `pip install matplotlib`)."
)

_LABEL_C = "Training FLOPs $C$"
_LABEL_N = "Parameters $N$"
_LABEL_D = "Tokens $D$"
_LABEL_LOSS = "Loss"

FrontierQuantity = Literal["n_params", "n_tokens", "tokens_per_param"]


# ---------------------------------------------------------------------- helpers
def _pyplot() -> Any:
    """``matplotlib.pyplot``, or an ImportError with the install hint."""
    try:
        import matplotlib
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    del matplotlib
    return plt


def _new_axes(ax: Axes | None) -> Axes:
    if ax is not None:
        _check_axes(ax, "ax")
        return ax
    plt = _pyplot()
    _, new = plt.subplots(figsize=(6.0, 4.5), layout="constrained")
    out: Axes = new
    return out


def _check_axes(ax: Any, name: str) -> None:
    from matplotlib.axes import Axes as _Axes

    if not isinstance(ax, _Axes):
        raise TypeError(f"`{name}` must be a matplotlib Axes; got {_describe(ax)}.")


def _three_axes(axes: Sequence[Axes] | None) -> tuple[Figure, list[Axes]]:
    if axes is None:
        plt = _pyplot()
        new_fig, new = plt.subplots(1, 3, figsize=(14.0, 4.2), layout="constrained")
        return new_fig, list(new)
    if isinstance(axes, (str, bytes)) or not isinstance(axes, Sequence) or len(axes) != 3:
        raise TypeError(f"`axes` must be a sequence of 3 matplotlib Axes; got {_describe(axes)}.")
    out = list(axes)
    _pyplot()
    for i, a in enumerate(out):
        _check_axes(a, f"axes[{i}]")
    fig = out[0].get_figure(root=True)
    if fig is None:
        raise ValueError("`axes` must belong to a figure; got axes without one.")
    return fig, out


def _positive_pair(value: Any, name: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise TypeError(f"`{name}` must be a pair (low, high); got {_describe(value)}.") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi):
        raise ValueError(f"`{name}` must satisfy 0 < low < high; got ({lo!r}, {hi!r}).")
    return lo, hi


def _fmt_c(c: float) -> str:
    """A FLOP count as ``6e+20`` style text for legends."""
    return f"{c:.2g}"


def _power_law_label(name: str, coefficient: float, exponent: float) -> str:
    return f"{name} = {coefficient:.3g} $C^{{{exponent:.3f}}}$"


def _log_range(values: FloatArray, target: float | None) -> FloatArray:
    finite = values[np.isfinite(values) & (values > 0)]
    lo, hi = float(finite.min()), float(finite.max())
    if target is not None:
        lo, hi = min(lo, target), max(hi, target)
    out: FloatArray = np.geomspace(lo, hi, 200)
    return out


def _check_target(target: Any) -> float | None:
    return None if target is None else as_positive_scalar(target, "target")


# ---------------------------------------------------------------------- Figure 2
def plot_envelope(
    run_id: ArrayLike,
    n_params: ArrayLike,
    n_tokens: ArrayLike,
    loss: ArrayLike,
    result: EnvelopeResult,
    *,
    target: float | None = None,
    axes: Sequence[Axes] | None = None,
    cmap: str = "viridis",
) -> Figure:
    r"""Hoffmann et al. (2022) Figure 2: training curves, envelope and power laws.

    Left: every run's training curve (loss against FLOPs, coloured by model
    size) and the envelope ``result.loss_min``. Middle and right: the envelope
    points ``(C, N)`` and ``(C, D)`` with the fitted power laws
    ``N_opt = k_N C^a`` and ``D_opt = k_D C^b``.

    Parameters
    ----------
    run_id, n_params, n_tokens, loss : array_like, shape (n_rows,)
        The long-form training curves passed to :func:`~chinchilla_laws.envelope`.
        Curves are drawn as logged (unsmoothed); FLOPs are ``C = f D`` with ``f``
        each run's FLOPs per token from ``result`` (``6 N`` by default, i.e.
        ``C = 6 N D``).
    result : EnvelopeResult
        The envelope computed from the same data.
    target : float, optional
        A budget in FLOPs to extrapolate the power laws to (for instance
        ``5.76e23``, Gopher's budget); marked with a star and a dotted line.
    axes : sequence of 3 Axes, optional
        Where to draw; by default a new figure with three panels.
    cmap : str, default "viridis"
        Colormap for model size (log scale).

    Returns
    -------
    Figure
        The figure holding the three panels.

    Notes
    -----
    Envelope points in the last ``result.final_fraction`` of their run's
    schedule are drawn filled and the others hollow: only the former are
    compute-optimal stand-ins for a run of that length (Hoffmann et al. 2022,
    Appendix B).

    References
    ----------
    Hoffmann et al. (2022), "Training Compute-Optimal Large Language Models",
    arXiv:2203.15556, Sec. 3.1 and Figure 2.
    """
    if not isinstance(result, EnvelopeResult):
        raise TypeError(f"`result` must be an EnvelopeResult; got {_describe(result)}.")
    ids = np.asarray(run_id)
    n = as_float_array(n_params, "n_params", positive=True)
    d = as_float_array(n_tokens, "n_tokens", positive=True)
    y = as_float_array(loss, "loss")
    if not (ids.shape == n.shape == d.shape == y.shape):
        raise ValueError(
            "`run_id`, `n_params`, `n_tokens` and `loss` must have the same length; got "
            f"{ids.shape[0] if ids.ndim else 0}, {n.shape[0]}, {d.shape[0]}, {y.shape[0]}."
        )
    tgt = _check_target(target)
    fig, (ax0, ax1, ax2) = _three_axes(axes)
    from matplotlib.collections import LineCollection
    from matplotlib.colors import LogNorm

    # -- training curves, one segment list per run in result's order
    segments: list[FloatArray] = []
    sizes: list[float] = []
    for r, rid in enumerate(result.run_ids.tolist()):
        sel = ids == rid
        if not sel.any():
            raise ValueError(f"`run_id` has no rows for run {rid!r} of `result`.")
        c_run = d[sel] * result.run_flops_per_token[r]
        segments.append(np.column_stack([c_run, y[sel]]))
        sizes.append(float(result.run_n_params[r]))
    size_arr = np.asarray(sizes)
    lo, hi = float(size_arr.min()), float(size_arr.max())
    norm = LogNorm(vmin=lo, vmax=hi if hi > lo else lo * 1.0001)
    curves = LineCollection(segments, cmap=cmap, norm=norm, linewidths=0.8, alpha=0.7)
    curves.set_array(size_arr)
    curves.set_gid("training-curves")
    ax0.add_collection(curves)
    ax0.plot(result.compute, result.loss_min, color="black", lw=1.8, label="envelope", zorder=3)
    ax0.set_xscale("log")
    ax0.autoscale_view()
    ax0.set_xlabel(_LABEL_C)
    ax0.set_ylabel(_LABEL_LOSS)
    ax0.set_title("Training curve envelope")
    ax0.legend(loc="upper right")
    fig.colorbar(curves, ax=ax0, label=_LABEL_N)

    # -- power laws through the envelope points
    final = result.in_final_fraction
    grid = _log_range(result.compute, tgt)
    for ax, values, law, sym, ylabel in (
        (ax1, result.n_params, result.n_params_law, "$N_{opt}$", _LABEL_N),
        (ax2, result.n_tokens, result.n_tokens_law, "$D_{opt}$", _LABEL_D),
    ):
        pts = ax.scatter(
            result.compute,
            values,
            s=6,
            c=np.where(final, "tab:gray", "none"),
            edgecolors="tab:gray",
            linewidths=0.5,
            label=f"envelope points ({result.share_in_final_fraction:.0%} final)",
        )
        pts.set_gid("envelope-points")
        ax.plot(
            grid,
            law(grid),
            color="tab:blue",
            lw=1.5,
            label=_power_law_label(sym, law.coefficient, law.exponent),
        )
        if tgt is not None:
            ax.axvline(tgt, color="tab:gray", ls=":", lw=1.0)
            ax.scatter(
                [tgt],
                law([tgt]),
                marker="*",
                s=120,
                color="tab:blue",
                zorder=4,
                label=f"{sym}({_fmt_c(tgt)}) = {float(law([tgt])[0]):.3g}",
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(_LABEL_C)
        ax.set_ylabel(ylabel)
        ax.legend(loc="upper left", fontsize="small")
    ax1.set_title("Optimal parameters")
    ax2.set_title("Optimal tokens")
    return fig


# ---------------------------------------------------------------------- Figure 3
def plot_isoflop(
    n_params: ArrayLike,
    loss: ArrayLike,
    result: IsoFLOPResult,
    *,
    n_tokens: ArrayLike | None = None,
    target: float | None = None,
    axes: Sequence[Axes] | None = None,
    cmap: str = "viridis",
    vertex: str | Sequence[str] | None = None,
) -> Figure:
    r"""Hoffmann et al. (2022) Figure 3: IsoFLOP valleys and the power laws.

    Left: the runs' final loss against model size (or tokens) per budget, with
    each budget's fitted curve (the estimator of ``result.vertex``: the global
    parabola, the local parabola over its window, or the Akima spline) and its
    minimum. Middle and right: the minima ``(C, N*)`` and ``(C, D*)`` with the
    power laws ``N_opt = k_N C^a`` and ``D_opt = k_D C^b``.

    Flagged budgets (status other than ``OK``: minimum not bracketed, no valley,
    too few points, an asymmetric parabola) are drawn differently: dashed curve,
    hollow run markers, a cross at the minimum, and a hollow marker in the
    power-law panels; the legend says "flagged".

    Parameters
    ----------
    n_params, loss : array_like, shape (n_runs,)
        The runs passed to :func:`~chinchilla_laws.isoflop_minima`, in
        the same order (``result.run_budget`` maps each run to its budget).
    result : IsoFLOPResult
        The IsoFLOP fit of these runs.
    n_tokens : array_like, optional
        Tokens of each run; required when the parabolas were fitted against
        ``ln D`` (``result.against == "n_tokens"``), which is then the left
        panel's axis.
    target : float, optional
        A budget in FLOPs (``C = 6 N D``) to extrapolate the power laws to,
        marked with a star and a dotted line.
    axes : sequence of 3 Axes, optional
        Where to draw; by default a new figure with three panels.
    cmap : str, default "viridis"
        Colormap for the budgets (log scale).
    vertex : str or sequence of str, optional
        Estimators to draw in the left panel: ``"parabola"``, ``"local"``,
        ``"spline"``, or several to compare them on the same runs. Each one other
        than ``result.vertex`` is drawn thin and dotted (parabola), dash-dotted
        (local) or densely dotted (spline), with its minimum as an open marker
        (gids ``"<name>-compare"`` and ``"vertex-<name>"``). The spline of a result
        fitted with another estimator goes through the mean loss at each size
        (equal weights). By default only ``result.vertex``.

    Returns
    -------
    Figure
        The figure holding the three panels.

    References
    ----------
    Hoffmann et al. (2022), "Training Compute-Optimal Large Language Models",
    arXiv:2203.15556, Sec. 3.2 and Figure 3.
    """
    if not isinstance(result, IsoFLOPResult):
        raise TypeError(f"`result` must be an IsoFLOPResult; got {_describe(result)}.")
    n = as_float_array(n_params, "n_params", positive=True)
    y = as_float_array(loss, "loss")
    if result.against == "n_tokens":
        if n_tokens is None:
            raise ValueError(
                '`n_tokens` is required: `result` was fitted against ln D (`against="n_tokens"`).'
            )
        x = as_float_array(n_tokens, "n_tokens", positive=True)
        x_label = _LABEL_D
    else:
        x = n
        x_label = _LABEL_N
    if not (x.shape == y.shape == result.run_budget.shape):
        raise ValueError(
            "`n_params` and `loss` must have one entry per run of `result` "
            f"({result.run_budget.shape[0]}); got {x.shape[0]} and {y.shape[0]}."
        )
    tgt = _check_target(target)
    if vertex is None:
        names: Sequence[Any] = [result.vertex]
    elif isinstance(vertex, str):
        names = [vertex]
    elif isinstance(vertex, Sequence):
        names = vertex
    else:
        raise TypeError(
            f"`vertex` must be an estimator name or a sequence of them; got {_describe(vertex)}."
        )
    compare = []
    for name in names:
        chosen = as_choice(name, "vertex", VERTEX_ESTIMATORS)
        if chosen != result.vertex and chosen not in compare:
            compare.append(chosen)
    fig, (ax0, ax1, ax2) = _three_axes(axes)
    plt = _pyplot()
    from matplotlib.colors import LogNorm

    cmap_obj = plt.get_cmap(cmap)
    c_lo, c_hi = float(result.compute.min()), float(result.compute.max())
    norm = LogNorm(vmin=c_lo, vmax=c_hi if c_hi > c_lo else c_lo * 1.0001)

    flagged_legend = False
    for g, bud in enumerate(result.budgets):
        colour = cmap_obj(norm(bud.compute))
        sel = result.run_budget == g
        ok = bud.status is IsoFLOPStatus.OK
        label = f"{_fmt_c(bud.compute)} FLOPs" + ("" if ok else f" ({bud.status.name})")
        runs = ax0.scatter(
            x[sel],
            y[sel],
            s=18,
            c=[colour] if ok else "none",
            edgecolors=[colour],
            linewidths=1.0,
            label=label,
        )
        runs.set_gid("runs" if ok else "runs-flagged")
        if np.any(sel) and _drawable(bud, result.vertex):
            xs = _curve_grid(bud, result.vertex, np.log(x[sel]))
            (curve,) = ax0.plot(
                np.exp(xs),
                bud.curve(np.exp(xs)),
                color=colour,
                lw=1.0,
                ls="-" if ok else "--",
            )
            curve.set_gid(result.vertex if ok else f"{result.vertex}-flagged")
        for name in compare:
            _draw_compare(ax0, bud, name, x[sel], y[sel], colour, first=g == 0)
        if math.isfinite(bud.loss):
            v = bud.n_params if result.against == "n_params" else bud.n_tokens
            vert = ax0.scatter(
                [v],
                [bud.loss],
                marker="o" if ok else "X",
                s=40 if ok else 60,
                color="black" if ok else "tab:red",
                zorder=4,
                label=None if ok or flagged_legend else "flagged vertex",
            )
            vert.set_gid("vertex" if ok else "vertex-flagged")
            flagged_legend = flagged_legend or not ok
    ax0.set_xscale("log")
    ax0.set_xlabel(x_label)
    ax0.set_ylabel(_LABEL_LOSS)
    ax0.set_title("IsoFLOP profiles")
    ax0.legend(fontsize="x-small", loc="upper right")

    ok_mask = np.array([b.status is IsoFLOPStatus.OK for b in result.budgets], dtype=bool)
    finite = np.isfinite(result.n_params) & np.isfinite(result.n_tokens)
    grid = _log_range(result.compute, tgt)
    for ax, values, law, sym, ylabel in (
        (ax1, result.n_params, result.n_params_law, "$N_{opt}$", _LABEL_N),
        (ax2, result.n_tokens, result.n_tokens_law, "$D_{opt}$", _LABEL_D),
    ):
        good = finite & ok_mask
        bad = finite & ~ok_mask
        pts = ax.scatter(
            result.compute[good],
            values[good],
            s=30,
            color="black",
            zorder=3,
            label="IsoFLOP vertices",
        )
        pts.set_gid("vertices")
        if bad.any():
            pts_bad = ax.scatter(
                result.compute[bad],
                values[bad],
                s=40,
                marker="X",
                color="tab:red",
                zorder=3,
                label="flagged vertices" + ("" if not result.used[bad].any() else " (used)"),
            )
            pts_bad.set_gid("vertices-flagged")
        if law is not None:
            ax.plot(
                grid,
                law(grid),
                color="tab:blue",
                lw=1.5,
                label=_power_law_label(sym, law.coefficient, law.exponent),
            )
            if tgt is not None:
                ax.scatter(
                    [tgt],
                    law([tgt]),
                    marker="*",
                    s=120,
                    color="tab:blue",
                    zorder=4,
                    label=f"{sym}({_fmt_c(tgt)}) = {float(law([tgt])[0]):.3g}",
                )
        if tgt is not None:
            ax.axvline(tgt, color="tab:gray", ls=":", lw=1.0)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(_LABEL_C)
        ax.set_ylabel(ylabel)
        ax.legend(loc="upper left", fontsize="small")
    ax1.set_title("Optimal parameters")
    ax2.set_title("Optimal tokens")
    return fig


_COMPARE_STYLE = {
    "parabola": (":", "s"),
    "local": ("-.", "D"),
    "spline": ((0, (1, 1)), "^"),
}


def _drawable(bud: IsoFLOPBudget, name: str) -> bool:
    if name == "spline":
        return len(bud.knots[0]) >= 3
    coefficients = bud.local_coefficients if name == "local" else bud.coefficients
    return math.isfinite(coefficients[2])


def _curve_grid(bud: IsoFLOPBudget, name: str, lx: FloatArray) -> FloatArray:
    """ln-size grid for an estimator's curve: the window, the knots, or the runs padded."""
    if name == "spline":
        return np.linspace(bud.knots[0][0], bud.knots[0][-1], 200)
    if name == "local":
        lo, hi = np.log(bud.window_range)
        return np.linspace(float(lo), float(hi), 100)
    pad = 0.1 * float(np.ptp(lx))
    return np.linspace(float(lx.min()) - pad, float(lx.max()) + pad, 100)


def _draw_compare(
    ax: Axes,
    bud: IsoFLOPBudget,
    name: str,
    x: FloatArray,
    y: FloatArray,
    colour: Any,
    *,
    first: bool,
) -> None:
    """Another estimator's curve and minimum for one budget, from the runs ``(x, y)``."""
    if x.size == 0:
        return
    ls, marker = _COMPARE_STYLE[name]
    lx = np.log(x)
    if name == "spline":
        knots, means = np.unique(lx, return_inverse=True)
        if knots.size < 3:
            return
        ys = np.bincount(means.reshape(-1), weights=y) / np.bincount(means.reshape(-1))
        est = vertex_estimates(knots, ys, vertex="spline")
        grid = np.linspace(knots[0], knots[-1], 200)
        from scipy.interpolate import Akima1DInterpolator

        values = np.asarray(Akima1DInterpolator(knots, ys)(grid), dtype=np.float64)
        x_min, l_min = float(est.log_vertex[0]), float(est.loss[0])
    else:
        if not _drawable(bud, name):
            return
        c0, c1, c2 = bud.local_coefficients if name == "local" else bud.coefficients
        grid = _curve_grid(bud, name, lx)
        values = c0 + c1 * grid + c2 * grid * grid
        x_min = -c1 / (2.0 * c2) if c2 > 0 else math.nan
        l_min = c0 + c1 * x_min + c2 * x_min * x_min
    (line,) = ax.plot(np.exp(grid), values, color=colour, lw=0.9, ls=ls, alpha=0.9)
    line.set_gid(f"{name}-compare")
    if math.isfinite(x_min):
        pt = ax.scatter(
            [math.exp(x_min)],
            [l_min],
            marker=marker,
            s=36,
            facecolors="none",
            edgecolors="black",
            zorder=4,
            label=f"{name} minimum" if first else None,
        )
        pt.set_gid(f"vertex-{name}")


# ---------------------------------------------------------------------- Figure 4
def plot_contours(
    law: ChinchillaLaw | ParametricFit,
    *,
    space: Literal["compute", "tokens"] = "compute",
    compute_range: tuple[float, float] = (1e18, 1e25),
    n_params_range: tuple[float, float] = (1e7, 1e12),
    n_tokens_range: tuple[float, float] = (1e9, 1e14),
    budgets: ArrayLike | None = (1e19, 1e21, 1e23),
    levels: int | ArrayLike = 12,
    flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN,
    n_grid: int = 200,
    ax: Axes | None = None,
    cmap: str = "viridis",
    colorbar: bool = True,
) -> Axes:
    r"""Hoffmann et al. (2022) Figure 4: iso-loss contours and the efficient frontier.

    With ``space="compute"`` the axes are ``(C, N)`` and the loss is
    ``L(N, C / (6 N))``; IsoFLOP slices are vertical dashed lines. With
    ``space="tokens"`` the axes are ``(N, D)``; IsoFLOP slices are the dashed
    lines ``D = C / (6 N)``. In both the efficient frontier
    ``(N_opt(C), D_opt(C))`` of the closed form is drawn, and the optimum on
    each slice is marked.

    Parameters
    ----------
    law : ChinchillaLaw or ParametricFit
        The law (a fit is drawn through its ``law``).
    space : {"compute", "tokens"}, default "compute"
        ``(C, N)`` as in the paper's left panel, or ``(N, D)``.
    compute_range : (float, float), default (1e18, 1e25)
        FLOPs on the x axis (``space="compute"``) and the extent of the
        frontier (``C = k N D``, ``k = flops_per_param_token``).
    n_params_range : (float, float), default (1e7, 1e12)
        Parameters on the y axis (``"compute"``) or x axis (``"tokens"``).
    n_tokens_range : (float, float), default (1e9, 1e14)
        Tokens on the y axis (``space="tokens"`` only).
    budgets : array_like or None, default (1e19, 1e21, 1e23)
        FLOP budgets of the IsoFLOP slices; ``None`` or empty for none.
    levels : int or array_like, default 12
        Number of contour levels, spaced geometrically in the reducible loss
        ``L - E``, or the loss values themselves.
    flops_per_param_token : float, default 6.0
        ``k`` of ``C = k N D``.
    n_grid : int, default 200
        Grid points per axis.
    ax : Axes, optional
        Where to draw; by default a new figure.
    cmap : str, default "viridis"
        Colormap of the contours.
    colorbar : bool, default True
        Add a colour bar for the loss.

    Returns
    -------
    Axes

    References
    ----------
    Hoffmann et al. (2022), "Training Compute-Optimal Large Language Models",
    arXiv:2203.15556, Sec. 3.3 and Figure 4.
    """
    if isinstance(law, ParametricFit):
        law = law.law
    if not isinstance(law, ChinchillaLaw):
        raise TypeError(f"`law` must be a ChinchillaLaw or ParametricFit; got {_describe(law)}.")
    as_choice(space, "space", ("compute", "tokens"))
    c_lo, c_hi = _positive_pair(compute_range, "compute_range")
    n_lo, n_hi = _positive_pair(n_params_range, "n_params_range")
    d_lo, d_hi = _positive_pair(n_tokens_range, "n_tokens_range")
    k = as_positive_scalar(flops_per_param_token, "flops_per_param_token")
    n_grid = as_int(n_grid, "n_grid", minimum=2)
    slices = (
        np.empty(0)
        if budgets is None
        else as_float_array(
            np.atleast_1d(np.asarray(budgets, dtype=float)), "budgets", positive=True, min_size=0
        )
    )
    ax = _new_axes(ax)

    ns = np.geomspace(n_lo, n_hi, n_grid)
    if space == "compute":
        xs = np.geomspace(c_lo, c_hi, n_grid)
        cc, nn = np.meshgrid(xs, ns)
        z = law.loss(nn, cc / (k * nn))
        xx, yy = cc, nn
    else:
        ds = np.geomspace(d_lo, d_hi, n_grid)
        nn, dd = np.meshgrid(ns, ds)
        z = law.loss(nn, dd)
        xx, yy = nn, dd

    if isinstance(levels, (int, np.integer)) and not isinstance(levels, bool):
        count = as_int(levels, "levels", minimum=2)
        excess = z - law.E
        # geometric in L - E, up to the 80th percentile: the far corners of the
        # grid (huge models on few tokens) would otherwise take every level
        top = float(np.quantile(excess, 0.8))
        lev = law.E + np.geomspace(float(excess.min()), top, count)
    else:
        lev = np.unique(as_float_array(levels, "levels", positive=True, min_size=1))
    cs = ax.contour(xx, yy, z, levels=lev, cmap=cmap, linewidths=0.9)
    cs.set_gid("iso-loss")
    ax.clabel(cs, fmt="%.3g", fontsize="x-small")
    if colorbar:
        fig = ax.get_figure(root=True)
        assert fig is not None
        cbar = fig.colorbar(cs, ax=ax, label=_LABEL_LOSS, format="%.3g")
        cbar.ax.minorticks_off()

    front_c = np.geomspace(c_lo, c_hi, 200)
    front = law.optimal(front_c, flops_per_param_token=k)
    label = "efficient frontier" + (f" ({law.name})" if law.name else "")
    if space == "compute":
        (fl,) = ax.plot(front.compute, front.n_params, color="tab:blue", lw=2.0, label=label)
    else:
        (fl,) = ax.plot(front.n_params, front.n_tokens, color="tab:blue", lw=2.0, label=label)
    fl.set_gid("frontier")

    if slices.size:
        opt = law.optimal(slices, flops_per_param_token=k)
        for i, c in enumerate(slices.tolist()):
            slice_label = "IsoFLOP slices" if i == 0 else None
            if space == "compute":
                line = ax.axvline(c, color="tab:gray", ls="--", lw=1.0, label=slice_label)
            else:
                (line,) = ax.plot(
                    ns, c / (k * ns), color="tab:gray", ls="--", lw=1.0, label=slice_label
                )
            line.set_gid("isoflop-slice")
        if space == "compute":
            mx, my = opt.compute, opt.n_params
        else:
            mx, my = opt.n_params, opt.n_tokens
        marks = ax.scatter(
            mx, my, marker="*", s=110, color="tab:red", zorder=4, label="optimum on slice"
        )
        marks.set_gid("slice-optima")
    ax.set_xscale("log")
    ax.set_yscale("log")
    if space == "compute":
        ax.set_xlim(c_lo, c_hi)
        ax.set_ylim(n_lo, n_hi)
        ax.set_xlabel(_LABEL_C)
        ax.set_ylabel(_LABEL_N)
    else:
        ax.set_xlim(n_lo, n_hi)
        ax.set_ylim(d_lo, d_hi)
        ax.set_xlabel(_LABEL_N)
        ax.set_ylabel(_LABEL_D)
    ax.set_title("Iso-loss contours" + (f": {law.name}" if law.name else ""))
    ax.legend(loc="upper left", fontsize="small")
    return ax


# ---------------------------------------------------------------------- frontiers
FrontierSource = ChinchillaLaw | ParametricFit | IsoFLOPResult | EnvelopeResult


def _default_label(item: Any, i: int) -> str:
    if isinstance(item, ChinchillaLaw):
        return item.name or f"law {i}"
    if isinstance(item, ParametricFit):
        return item.law.name or "parametric fit (Approach 3)"
    if isinstance(item, IsoFLOPResult):
        return "IsoFLOP minima (Approach 2)"
    return "envelope (Approach 1)"


def _frontier_values(
    item: Any, c: FloatArray, quantity: FrontierQuantity, k: float
) -> FloatArray | None:
    """``N_opt``, ``D_opt`` or ``D/N`` of one source at budgets ``c``; None if unavailable."""
    if isinstance(item, ParametricFit):
        item = item.law
    if isinstance(item, ChinchillaLaw):
        f = item.optimal(c, flops_per_param_token=k)
        n, d = f.n_params, f.n_tokens
    elif isinstance(item, (IsoFLOPResult, EnvelopeResult)):
        if item.n_params_law is None or item.n_tokens_law is None:
            return None
        n, d = item.n_params_law(c), item.n_tokens_law(c)
    else:
        raise TypeError(
            "`laws` entries must be ChinchillaLaw, ParametricFit, IsoFLOPResult or "
            f"EnvelopeResult; got {_describe(item)}."
        )
    out: FloatArray
    if quantity == "n_params":
        out = n
    elif quantity == "n_tokens":
        out = d
    else:
        out = d / n
    return out


_BAND_FIELDS: dict[str, tuple[str, str]] = {
    "n_params": ("n_params_low", "n_params_high"),
    "n_tokens": ("n_tokens_low", "n_tokens_high"),
    "tokens_per_param": ("tokens_per_param_low", "tokens_per_param_high"),
}


def _band_arrays(band: Any, quantity: FrontierQuantity, i: int) -> tuple[Any, Any, Any]:
    low_name, high_name = _BAND_FIELDS[quantity]
    missing = [f for f in ("compute", low_name, high_name) if not hasattr(band, f)]
    if missing:
        raise TypeError(
            f"`bands[{i}]` must have attributes `compute`, `{low_name}`, `{high_name}` "
            f"(a FrontierBand); got {_describe(band)} without {', '.join(missing)}."
        )
    c = as_float_array(band.compute, f"bands[{i}].compute", positive=True)
    lo = as_float_array(getattr(band, low_name), f"bands[{i}].{low_name}", finite=False)
    hi = as_float_array(getattr(band, high_name), f"bands[{i}].{high_name}", finite=False)
    if not (c.shape == lo.shape == hi.shape):
        raise ValueError(
            f"`bands[{i}]` must have arrays of equal length; got {c.shape[0]}, "
            f"{lo.shape[0]}, {hi.shape[0]}."
        )
    return c, lo, hi


def plot_frontiers(
    laws: Sequence[FrontierSource],
    *,
    compute: ArrayLike | None = None,
    bands: Sequence[Any | None] | None = None,
    labels: Sequence[str] | None = None,
    quantity: FrontierQuantity = "n_params",
    target: float | None = None,
    flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN,
    ax: Axes | None = None,
) -> Axes:
    r"""Compare compute-optimal frontiers of several laws and methods.

    Draws ``N_opt(C)`` (or ``D_opt(C)``, or ``D_opt / N_opt``) for each entry of
    ``laws``: preset or fitted laws through their closed form, IsoFLOP and
    envelope results through their power laws. Bootstrap bands, when given,
    are shaded in the matching colour.

    Parameters
    ----------
    laws : sequence
        Each a :class:`~chinchilla_laws.ChinchillaLaw`,
        :class:`~chinchilla_laws.ParametricFit`,
        :class:`~chinchilla_laws.IsoFLOPResult` or
        :class:`~chinchilla_laws.EnvelopeResult`. An IsoFLOP result
        without power laws is left out (with its band).
    compute : array_like, optional
        Budgets in FLOPs (``C = 6 N D`` for laws, ``k`` from
        ``flops_per_param_token``). Default: 200 log-spaced values from 1e18
        to 1e26.
    bands : sequence, optional
        One entry per entry of ``laws``, each ``None`` or an object with array
        attributes ``compute``, ``n_params_low`` and ``n_params_high`` (for
        ``quantity="n_tokens"``: ``n_tokens_low``/``n_tokens_high``; for
        ``"tokens_per_param"``: ``tokens_per_param_low``/``_high``), such as the
        bootstrap's ``FrontierBand``.
    labels : sequence of str, optional
        Legend labels; default the laws' names (or the method).
    quantity : {"n_params", "n_tokens", "tokens_per_param"}, default "n_params"
        What to draw against ``C``.
    target : float, optional
        A budget to mark (dotted line, and a marker on each frontier), e.g.
        Gopher's ``5.76e23``.
    flops_per_param_token : float, default 6.0
        ``k`` of ``C = k N D`` for the closed-form laws.
    ax : Axes, optional
        Where to draw; by default a new figure.

    Returns
    -------
    Axes

    Examples
    --------
    >>> from chinchilla_laws import PRESETS
    >>> from chinchilla_laws.plot import plot_frontiers
    >>> ax = plot_frontiers(list(PRESETS.values()), target=5.76e23)  # doctest: +SKIP
    """
    if isinstance(laws, (str, bytes)) or not isinstance(laws, Sequence):
        raise TypeError(f"`laws` must be a sequence of laws or results; got {_describe(laws)}.")
    items = list(laws)
    if not items:
        raise ValueError("`laws` must hold at least one law or result; got 0.")
    as_choice(quantity, "quantity", tuple(_BAND_FIELDS))
    if labels is not None:
        if isinstance(labels, str) or len(labels) != len(items):
            raise ValueError(
                f"`labels` must hold one string per entry of `laws` ({len(items)}); "
                f"got {_describe(labels)}."
            )
        names = [str(s) for s in labels]
    else:
        names = [_default_label(item, i) for i, item in enumerate(items)]
    band_list: list[Any | None]
    if bands is None:
        band_list = [None] * len(items)
    else:
        if (
            isinstance(bands, (str, bytes))
            or not isinstance(bands, Sequence)
            or len(bands) != len(items)
        ):
            raise ValueError(
                f"`bands` must hold one entry (or None) per entry of `laws` ({len(items)}); "
                f"got {_describe(bands)}."
            )
        band_list = list(bands)
    c = (
        np.geomspace(1e18, 1e26, 200)
        if compute is None
        else as_float_array(
            np.atleast_1d(np.asarray(compute, dtype=float)), "compute", positive=True
        )
    )
    k = as_positive_scalar(flops_per_param_token, "flops_per_param_token")
    tgt = _check_target(target)
    ax = _new_axes(ax)
    plt = _pyplot()
    colours = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    styles = ("-", "--", "-.", ":")
    for i, (item, name, band) in enumerate(zip(items, names, band_list, strict=True)):
        values = _frontier_values(item, c, quantity, k)
        if values is None:
            continue
        colour = colours[i % len(colours)]
        (line,) = ax.plot(
            c, values, color=colour, ls=styles[(i // len(colours)) % 4], lw=1.6, label=name
        )
        line.set_gid("frontier")
        if band is not None:
            bc, lo, hi = _band_arrays(band, quantity, i)
            fill = ax.fill_between(bc, lo, hi, color=colour, alpha=0.2, lw=0)
            fill.set_gid("band")
        if tgt is not None:
            at = _frontier_values(item, np.array([tgt]), quantity, k)
            assert at is not None
            ax.scatter([tgt], at, color=colour, marker="o", s=30, zorder=4)
    if tgt is not None:
        ax.axvline(tgt, color="tab:gray", ls=":", lw=1.0, label=f"C = {_fmt_c(tgt)}")
    ylabels = {
        "n_params": "Optimal parameters $N_{opt}$",
        "n_tokens": "Optimal tokens $D_{opt}$",
        "tokens_per_param": "Tokens per parameter $D_{opt}/N_{opt}$",
    }
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(_LABEL_C)
    ax.set_ylabel(ylabels[quantity])
    ax.set_title("Compute-optimal frontiers")
    ax.legend(loc="upper left", fontsize="small")
    return ax


# ---------------------------------------------------------------------- newer laws
def _runs(runs: Any, names: tuple[str, ...]) -> list[FloatArray] | None:
    """Optional observed runs: a tuple of 1-D arrays, one per name, equal lengths."""
    if runs is None:
        return None
    if not isinstance(runs, (tuple, list)) or len(runs) != len(names):
        raise TypeError(
            f"`runs` must be a tuple of {len(names)} arrays ({', '.join(names)}); "
            f"got {_describe(runs)}."
        )
    cols = [as_float_array(col, f"runs[{i}]", positive=True) for i, col in enumerate(runs)]
    if len({c.shape[0] for c in cols}) != 1:
        raise ValueError(
            f"`runs` arrays must have the same length; got {[c.shape[0] for c in cols]}."
        )
    return cols


def plot_repeated_data(
    law: DataConstrainedLaw,
    *,
    unique_tokens: float,
    n_params: ArrayLike,
    epochs: ArrayLike | None = None,
    runs: tuple[ArrayLike, ArrayLike, ArrayLike, ArrayLike] | None = None,
    ax: Axes | None = None,
    cmap: str = "viridis",
) -> Axes:
    r"""Loss against epochs at a fixed unique-token budget (Muennighoff et al. 2023).

    For each model size, the data-constrained loss ``L(N, e U, U)`` against the
    number of epochs ``e = D / U`` (solid), and the loss the same number of
    *fresh* tokens would give (dotted, ``U = D``). On a second axis (right), the
    effective data ``D' / U`` in epochs of fresh data, which saturates at
    ``1 + R_D*`` (dashed grey, with its ceiling).

    Parameters
    ----------
    law : DataConstrainedLaw
    unique_tokens : float
        The unique-token budget ``U``.
    n_params : array_like
        Model sizes to draw.
    epochs : array_like, optional
        Epochs ``D / U`` on the x-axis; default 200 log-spaced values from 1 to 100.
    runs : tuple of four arrays, optional
        Observed runs ``(n_params, n_tokens, unique_tokens, loss)``; those with this
        ``U`` (to 1e-6 relative) are drawn as points, coloured by size on the
        curves' colour scale.
    ax : Axes, optional
        Where to draw; by default a new figure. The effective-data axis is
        ``ax``'s twin (``ax.right_ax``).
    cmap : str, default "viridis"

    Returns
    -------
    Axes
        The loss axes (gids ``"loss-curve"``, ``"fresh-data"``, ``"runs"``); the
        effective-data curve (gid ``"effective-data"``) is on ``ax.right_ax``.
    """
    if not isinstance(law, DataConstrainedLaw):
        raise TypeError(f"`law` must be a DataConstrainedLaw; got {_describe(law)}.")
    u = as_positive_scalar(unique_tokens, "unique_tokens")
    sizes = as_float_array(np.atleast_1d(np.asarray(n_params)), "n_params", positive=True)
    ep = (
        np.geomspace(1.0, 100.0, 200)
        if epochs is None
        else as_float_array(np.atleast_1d(np.asarray(epochs)), "epochs", positive=True)
    )
    observed = _runs(runs, ("n_params", "n_tokens", "unique_tokens", "loss"))
    ax = _new_axes(ax)
    plt = _pyplot()
    from matplotlib.colors import LogNorm

    sel = None
    all_sizes = sizes
    if observed is not None:
        sel = np.abs(observed[2] / u - 1.0) <= 1e-6
        all_sizes = np.concatenate([sizes, observed[0][sel]])
    lo, hi = float(all_sizes.min()), float(all_sizes.max())
    norm = LogNorm(vmin=lo, vmax=hi if hi > lo else lo * 1.0001)
    colours = plt.get_cmap(cmap)
    d = ep * u
    for n in sizes:
        colour = colours(norm(n))
        (line,) = ax.plot(ep, law.loss(n, d, u), color=colour, lw=1.6, label=f"N = {n:.3g}")
        line.set_gid("loss-curve")
        (fresh,) = ax.plot(ep, law.loss(n, d, d), color=colour, lw=1.0, ls=":")
        fresh.set_gid("fresh-data")
    if observed is not None and sel is not None:
        rn, rd, _, rl = observed
        if sel.any():
            pts = ax.scatter(
                rd[sel] / u,
                rl[sel],
                c=rn[sel],
                cmap=cmap,
                norm=norm,
                s=18,
                edgecolors="black",
                linewidths=0.4,
                zorder=4,
                label=f"runs with U = {u:.3g}",
            )
            pts.set_gid("runs")
    ax.set_xscale("log")
    ax.set_xlabel("Epochs $D / U$")
    ax.set_ylabel(_LABEL_LOSS)
    ax.set_title(f"Repeated data: U = {u:.3g} unique tokens (dotted: fresh data)")
    right = ax.twinx()
    (eff,) = right.plot(
        ep, law.effective_tokens(d, u) / u, color="tab:gray", ls="--", lw=1.2, label="D'/U"
    )
    eff.set_gid("effective-data")
    right.axhline(1.0 + law.rd_star, color="tab:gray", ls=":", lw=0.8)
    right.set_ylabel("Effective data $D'/U$ (fresh epochs)")
    ax.right_ax = right  # type: ignore[attr-defined]
    ax.legend(loc="upper right", fontsize="small")
    return ax


def plot_overtraining(
    law: OverTrainingLaw,
    *,
    n_params: ArrayLike,
    tokens_per_param: ArrayLike | None = None,
    runs: tuple[ArrayLike, ArrayLike, ArrayLike] | None = None,
    ax: Axes | None = None,
    cmap: str = "viridis",
) -> Axes:
    r"""Loss against tokens per parameter ``M`` per model size (Gadre et al. 2024).

    One curve ``L(N, M)`` per size, observed runs as points in the curve's colour,
    and the compute-optimal ratio ``M*`` as a dotted vertical line.

    Parameters
    ----------
    law : OverTrainingLaw
    n_params : array_like
        Model sizes to draw.
    tokens_per_param : array_like, optional
        ``M`` on the x-axis; default 200 log-spaced values from 5 to 640 (the
        paper's range).
    runs : tuple of three arrays, optional
        Observed runs ``(n_params, tokens_per_param, loss)``, coloured by size.
    ax : Axes, optional
    cmap : str, default "viridis"

    Returns
    -------
    Axes
        With gids ``"loss-curve"``, ``"runs"`` and ``"m-star"``.
    """
    if not isinstance(law, OverTrainingLaw):
        raise TypeError(f"`law` must be an OverTrainingLaw; got {_describe(law)}.")
    sizes = as_float_array(np.atleast_1d(np.asarray(n_params)), "n_params", positive=True)
    m = (
        np.geomspace(5.0, 640.0, 200)
        if tokens_per_param is None
        else as_float_array(
            np.atleast_1d(np.asarray(tokens_per_param)), "tokens_per_param", positive=True
        )
    )
    observed = _runs(runs, ("n_params", "tokens_per_param", "loss"))
    ax = _new_axes(ax)
    plt = _pyplot()
    from matplotlib.colors import LogNorm

    all_sizes = sizes if observed is None else np.concatenate([sizes, observed[0]])
    lo, hi = float(all_sizes.min()), float(all_sizes.max())
    norm = LogNorm(vmin=lo, vmax=hi if hi > lo else lo * 1.0001)
    colours = plt.get_cmap(cmap)
    for n in sizes:
        (line,) = ax.plot(
            m, law.loss_at_multiplier(n, m), color=colours(norm(n)), lw=1.6, label=f"N = {n:.3g}"
        )
        line.set_gid("loss-curve")
    if observed is not None:
        pts = ax.scatter(
            observed[1],
            observed[2],
            c=observed[0],
            cmap=cmap,
            norm=norm,
            s=18,
            edgecolors="black",
            linewidths=0.4,
            zorder=4,
            label="runs",
        )
        pts.set_gid("runs")
    m_star = law.compute_optimal_tokens_per_param
    ax.axvline(m_star, color="tab:gray", ls=":", lw=1.0, label=f"M* = {m_star:.3g}", gid="m-star")
    ax.set_xscale("log")
    ax.set_xlabel("Tokens per parameter $M = D/N$")
    ax.set_ylabel(_LABEL_LOSS)
    ax.set_title("Over-training: loss against M per model size")
    ax.legend(loc="upper right", fontsize="small")
    return ax


# ---------------------------------------------------------------------- backtests
def _two_axes(axes: Sequence[Axes] | None) -> tuple[Figure, list[Axes]]:
    if axes is None:
        plt = _pyplot()
        new_fig, new = plt.subplots(1, 2, figsize=(10.0, 4.0), layout="constrained")
        return new_fig, list(new)
    if isinstance(axes, (str, bytes)) or not isinstance(axes, Sequence) or len(axes) != 2:
        raise TypeError(f"`axes` must be a sequence of 2 matplotlib Axes; got {_describe(axes)}.")
    out = list(axes)
    _pyplot()
    for i, a in enumerate(out):
        _check_axes(a, f"axes[{i}]")
    fig = out[0].get_figure(root=True)
    if fig is None:
        raise ValueError("`axes` must belong to a figure; got axes without one.")
    return fig, out


def plot_backtest(
    rolling: RollingBacktest,
    *,
    reference_a: float | None = None,
    axes: Sequence[Axes] | None = None,
) -> Figure:
    r"""How the fitted exponent and the prediction error move as the split grows.

    Left: the training fit's exponent ``a`` of ``N_opt ∝ C^a`` against the compute
    split (runs with ``C <= split`` train). Right: the test runs' mean absolute
    relative error and the bias (mean relative error) against the split. Splits whose
    fit did not converge are drawn hollow.

    Parameters
    ----------
    rolling : RollingBacktest
        From :func:`chinchilla_laws.planning.rolling_backtest`.
    reference_a : float, optional
        An exponent to mark with a dotted line (e.g. the fit on all runs).
    axes : sequence of 2 Axes, optional
        Where to draw; by default a new figure.

    Returns
    -------
    Figure

    Examples
    --------
    >>> from chinchilla_laws.plot import plot_backtest
    >>> fig = plot_backtest(rolling)  # doctest: +SKIP
    """
    if not isinstance(rolling, RollingBacktest):
        raise TypeError(f"`rolling` must be a RollingBacktest; got {_describe(rolling)}.")
    ref = None if reference_a is None else as_positive_scalar(reference_a, "reference_a")
    fig, (ax_a, ax_e) = _two_axes(axes)
    c = rolling.split_compute
    ok = rolling.split_success
    ax_a.plot(c, rolling.a, color="C0", lw=1.2, gid="exponent")
    ax_a.scatter(c[ok], rolling.a[ok], color="C0", s=25, zorder=3, gid="converged")
    if (~ok).any():
        ax_a.scatter(
            c[~ok],
            rolling.a[~ok],
            facecolors="none",
            edgecolors="C0",
            s=25,
            zorder=3,
            gid="not-converged",
        )
    if ref is not None:
        ax_a.axhline(ref, color="tab:gray", ls=":", lw=1.0, label=f"reference a = {ref:.3f}")
        ax_a.legend(loc="best", fontsize="small")
    ax_a.set_xscale("log")
    ax_a.set_xlabel("Split: training runs with $C \\leq$ split (FLOPs)")
    ax_a.set_ylabel("Training exponent $a$ of $N_{opt} \\propto C^a$")
    ax_a.set_title("Exponent against the split")
    ax_e.plot(
        c,
        rolling.mean_abs_relative_error,
        color="C1",
        marker="o",
        ms=4,
        label="mean |relative error|",
        gid="error",
    )
    ax_e.plot(c, rolling.bias, color="C2", marker="s", ms=4, ls="--", label="bias", gid="bias")
    ax_e.axhline(0.0, color="tab:gray", lw=0.8)
    ax_e.set_xscale("log")
    ax_e.set_xlabel("Split: training runs with $C \\leq$ split (FLOPs)")
    ax_e.set_ylabel("Test runs: relative error of the loss")
    ax_e.set_title("Prediction error on the larger runs")
    ax_e.legend(loc="best", fontsize="small")
    return fig


# ---------------------------------------------------------------------- multi-power law
def plot_loss_curves(
    law: MultiPowerLaw,
    curves: Sequence[LossCurve],
    *,
    test: Sequence[LossCurve] = (),
    ax: Axes | None = None,
) -> Axes:
    """Observed against predicted loss curves, one colour per schedule (Luo et al. 2025).

    Observed points are markers (filled for the curves the law was fitted on,
    ``curves``; hollow for held-out ``test`` curves); the law's prediction at every
    logged step is a line (solid for fitted curves, dashed for test curves). The
    legend gives each curve's PredE.

    Parameters
    ----------
    law : MultiPowerLaw
    curves : sequence of LossCurve
        The fitted ("train") curves.
    test : sequence of LossCurve, optional
        Held-out curves.
    ax : Axes, optional

    Returns
    -------
    Axes
        Lines with gids ``"observed-train"``, ``"observed-test"``,
        ``"predicted-train"``, ``"predicted-test"``.
    """
    if not isinstance(law, MultiPowerLaw):
        raise TypeError(f"`law` must be a MultiPowerLaw; got {_describe(law)}.")
    train = as_curves(curves, "curves")
    held = as_curves(test, "test") if len(test) else []
    out = _new_axes(ax)
    plt = _pyplot()
    colours = plt.get_cmap("tab10")
    k = 0
    for group, kind in ((train, "train"), (held, "test")):
        if not group:
            continue
        errs = prediction_errors(law, group)
        for c, pred, pe in zip(group, errs.predicted, errs.pred_error, strict=True):
            colour = colours(k % 10)
            k += 1
            out.plot(
                c.steps,
                c.loss,
                "o",
                ms=3,
                color=colour,
                mfc=colour if kind == "train" else "none",
                alpha=0.7,
                gid=f"observed-{kind}",
                label=f"{c.name} ({kind}, PredE {pe:.4f})",
            )
            out.plot(
                c.steps,
                pred,
                "-" if kind == "train" else "--",
                color=colour,
                lw=1.2,
                gid=f"predicted-{kind}",
            )
    out.set_xlabel("Step")
    out.set_ylabel(_LABEL_LOSS)
    out.set_title("Multi-power law: observed (markers) and predicted (lines)")
    out.legend(fontsize="small")
    return out


def plot_schedules(
    result: OptimizedSchedule,
    *,
    axes: Sequence[Axes] | None = None,
    n_points: int = 400,
) -> Figure:
    """The optimised schedule beside cosine and WSD, and the loss each predicts.

    Left: learning rate against step. Right: the law's predicted loss under each
    schedule; the legend gives each final loss.

    Parameters
    ----------
    result : OptimizedSchedule
        From :func:`chinchilla_laws.optimize_schedule`.
    axes : sequence of 2 Axes, optional
    n_points : int
        Steps at which the loss curves are drawn.

    Returns
    -------
    Figure
        Lines with gids ``"rate-<name>"`` and ``"loss-<name>"`` for ``optimised``,
        ``cosine`` and ``wsd``.
    """
    if not isinstance(result, OptimizedSchedule):
        raise TypeError(f"`result` must be an OptimizedSchedule; got {_describe(result)}.")
    count = as_int(n_points, "n_points", minimum=2)
    if axes is None:
        plt = _pyplot()
        fig, pair = plt.subplots(1, 2, figsize=(12.0, 4.2), layout="constrained")
        ax_rate, ax_loss = pair
    else:
        if isinstance(axes, (str, bytes)) or not isinstance(axes, Sequence) or len(axes) != 2:
            raise TypeError(
                f"`axes` must be a sequence of 2 matplotlib Axes; got {_describe(axes)}."
            )
        _pyplot()
        for i, a in enumerate(axes):
            _check_axes(a, f"axes[{i}]")
        ax_rate, ax_loss = axes
        fig = ax_rate.get_figure(root=True)
    total = result.total_steps
    steps = np.unique(np.linspace(max(result.warmup, 1), total - 1, count).astype(np.int64))
    items = [("optimised", result.schedule, result.final_loss)]
    items += [(n, result.baseline_schedules[n], v) for n, v in result.baselines.items()]
    for name, eta, final in items:
        ax_rate.plot(
            np.arange(total),
            eta,
            lw=1.5 if name == "optimised" else 1.0,
            gid=f"rate-{name}",
            label=name,
        )
        ax_loss.plot(
            steps,
            result.law.loss(eta, steps),
            lw=1.5 if name == "optimised" else 1.0,
            gid=f"loss-{name}",
            label=f"{name}: final {final:.5f}",
        )
    ax_rate.set_xlabel("Step")
    ax_rate.set_ylabel("Learning rate")
    ax_rate.legend(fontsize="small")
    ax_loss.set_xlabel("Step")
    ax_loss.set_ylabel("Predicted loss")
    lo = min(v for _, _, v in items)
    ax_loss.set_ylim(lo - 0.02, lo + 0.5)
    ax_loss.legend(fontsize="small")
    out: Figure = fig
    return out
