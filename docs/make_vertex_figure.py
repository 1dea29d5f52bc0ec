"""Render ``docs/_static/vertex_estimators.png`` for the how-to "Choosing a vertex estimator".

Run from the repository root (needs the ``plot`` extra)::

    python docs/make_vertex_figure.py

Exact losses of the Hoffmann et al. (2022) law (unrounded TeX constants) at five
budgets from 1e19 to 1e21 FLOPs, all sampled on one ladder of 13 sizes from 1e8 to
1e11 parameters: the optimum sits near the low end of the ladder at the small
budgets, so the global parabola's vertex is up to 27% too large there and the
exponent comes out 0.038 low.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

import chinchilla_laws as cl
from chinchilla_laws.plot import plot_isoflop

OUT = Path(__file__).resolve().parent / "_static" / "vertex_estimators.png"


def main() -> None:
    law = cl.HOFFMANN_2022_TEX
    budgets = np.array([1e19, 3e19, 1e20, 3e20, 1e21])
    n_opt = law.optimal(budgets).n_params
    ladder = np.geomspace(1e8, 1e11, 13)
    n = np.tile(ladder, budgets.size)
    c = np.repeat(budgets, ladder.size)
    d = c / (6 * n)
    loss = law.loss(n, d)
    res = cl.isoflop_minima(n, d, loss, budgets=c, vertex="spline")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.IsoFLOPWarning)  # the parabola is ASYMMETRIC
        par = cl.isoflop_minima(n, d, loss, budgets=c)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
    plot_isoflop(n, loss, res, axes=list(axes), vertex=["spline", "parabola", "local"])
    for ax in axes[1:]:
        truth = n_opt if ax is axes[1] else budgets / (6 * n_opt)
        ax.scatter(budgets, truth, marker="+", s=80, color="tab:green", zorder=5)
        ax.plot(budgets, truth, color="tab:green", lw=0.8, ls="--", label="the law's optimum")
        parabola = par.n_params if ax is axes[1] else par.n_tokens
        ax.scatter(
            budgets,
            parabola,
            marker="s",
            s=30,
            facecolors="none",
            edgecolors="tab:red",
            zorder=5,
            label="parabola vertices",
        )
        ax.legend(loc="upper left", fontsize="small")
    axes[0].set_title("One ladder of sizes: spline (solid), parabola (:), local (-.)")
    axes[0].set_xlim(5e7, 3e10)
    axes[0].set_ylim(2.1, 3.6)
    axes[1].set_title(f"a: spline {res.a:.4f}, parabola {par.a:.4f}, law {law.a:.4f}")
    fig.tight_layout()
    fig.savefig(OUT, dpi=90)
    plt.close(fig)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KiB); law a = {law.a:.4f}")


if __name__ == "__main__":
    main()
